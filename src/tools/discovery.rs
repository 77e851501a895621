//! Discovery tools: search_models, get_model_schema, get_pricing.

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FalMcp, args, failure::Failure, output};
use crate::{
    fal::{EndpointId, Model, ModelQuery},
    text::{clip, shown},
};

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;
const MAX_PRICED: usize = 50;
/// Descriptions in search results are cut here; get_model_schema has the whole text.
const SUMMARY_CHARS: usize = 280;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchModelsArgs {
    /// Free-text search over model names, descriptions and categories, e.g. "flux", "lip sync", "upscale". Omit to list.
    pub(crate) query: Option<String>,
    /// Only this category, e.g. text-to-image, image-to-image, image-to-video, text-to-speech, speech-to-text, image-to-3d, training.
    pub(crate) category: Option<String>,
    /// How many models to return, 1 to 100 (default 20).
    pub(crate) limit: Option<u32>,
    /// The next_cursor of a previous answer, to get the next page of the same search.
    pub(crate) cursor: Option<String>,
}

/// One model in a search answer.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ModelSummary {
    /// The id to pass to get_model_schema, get_pricing and run_model.
    pub(crate) endpoint_id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) description: String,
    /// active or deprecated.
    pub(crate) status: String,
    pub(crate) tags: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SearchModelsOutput {
    pub(crate) models: Vec<ModelSummary>,
    /// Number of models in this answer.
    pub(crate) total_shown: usize,
    /// Whether more models match; pass next_cursor to get them.
    pub(crate) has_more: bool,
    pub(crate) next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetModelSchemaArgs {
    /// The model's endpoint id, e.g. "fal-ai/flux/dev" (from search_models or recommend_model).
    pub(crate) endpoint_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ModelSchemaOutput {
    pub(crate) endpoint_id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) description: String,
    /// JSON Schema of the model's input: the object to pass as run_model's `input`.
    pub(crate) input: Value,
    /// JSON Schema of the model's output.
    pub(crate) output: Value,
    /// How many examples were left out to keep this answer short (the rest of each field is whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) examples_omitted: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetPricingArgs {
    /// One endpoint id, e.g. "fal-ai/flux/dev".
    pub(crate) endpoint_id: Option<String>,
    /// Several endpoint ids (at most 50) to price in one call; may be combined with endpoint_id.
    pub(crate) endpoint_ids: Option<Vec<String>>,
    /// Billing units to estimate for each endpoint (the `unit` of its price, e.g. 4 images or 10 video seconds). Adds `estimate`.
    pub(crate) quantity: Option<f64>,
}

/// fal's price per billing unit of one endpoint.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PriceOutput {
    pub(crate) endpoint_id: String,
    /// Price of one unit, in `currency`.
    pub(crate) unit_price: f64,
    /// What one unit is, e.g. image, megapixel, second, request.
    pub(crate) unit: String,
    pub(crate) currency: String,
}

/// fal's estimate for `quantity` units of every priced endpoint together.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct EstimateOutput {
    pub(crate) total_cost: f64,
    pub(crate) currency: String,
    /// The quantity of units the estimate is for, per endpoint.
    pub(crate) quantity: f64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PricingOutput {
    pub(crate) prices: Vec<PriceOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) estimate: Option<EstimateOutput>,
    /// Requested endpoint ids fal has no price for (unknown ids, or models priced per use of compute).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) unpriced: Vec<String>,
}

#[tool_router(router = discovery_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "search_models",
        title = "Search fal models",
        description = "Search fal's live catalog (1,000+ image, video, audio, speech, 3D and LLM models) by text and/or category. \
Returns endpoint ids with name, category, description, status and tags, and a cursor for more. \
To choose a model for a task, prefer recommend_model.",
        input_schema = output::input::<SearchModelsArgs>(),
        output_schema = output::schema::<SearchModelsOutput>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn search_models(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        const ACTION: &str = "search models";
        let args: SearchModelsArgs = args::parse(ACTION, arguments)?;
        let limit = args::in_range(ACTION, "limit", args.limit, DEFAULT_LIMIT, 1, MAX_LIMIT)?;
        args::text(ACTION, "query", args.query.as_deref(), 200)?;
        args::text(ACTION, "cursor", args.cursor.as_deref(), 512)?;
        let category = args::category(ACTION, args.category.as_deref())?;
        let key = self.key(&ctx, ACTION)?;
        let query = ModelQuery { q: args.query, category, status: None, limit, cursor: args.cursor };
        let page = self.fal.search_models(&key, &query).await.map_err(|e| {
            let failure = Failure::fal(ACTION, &e);
            if e.is_invalid_input() && query.cursor.is_some() {
                failure.with_hint(
                    "pass a next_cursor exactly as a previous search_models answer gave it, with the same query",
                )
            } else {
                failure
            }
        })?;
        let models: Vec<ModelSummary> = page.models.iter().map(summary).collect();
        Ok(output::success(&SearchModelsOutput {
            total_shown: models.len(),
            models,
            has_more: page.has_more,
            next_cursor: page.next_cursor.clone().filter(|_| page.has_more),
        }))
    }

    #[tool(
        name = "get_model_schema",
        title = "Get a model's input and output schema",
        description = "Get one fal model's input and output JSON Schemas: each parameter's type, description, default, allowed values, bounds, examples, and which are required. \
Read it before run_model or submit_job.",
        input_schema = output::input::<GetModelSchemaArgs>(),
        output_schema = output::schema::<ModelSchemaOutput>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_model_schema(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        let args: GetModelSchemaArgs = args::parse("get a model's schema", arguments)?;
        let action = format!("get the schema of {}", shown(&args.endpoint_id));
        let id = args::endpoint_id(&action, &args.endpoint_id)?;
        let key = self.key(&ctx, &action)?;
        let schema = self.fal.model_schema(&key, &id).await.map_err(|e| {
            let failure = Failure::fal(&action, &e);
            if e.is_not_found() {
                failure.with_hint(
                    "fal's catalog has no model with that id; find the exact endpoint_id with search_models \
                     (ids look like 'fal-ai/flux/dev'). A private app of yours can still be run with run_model or submit_job",
                )
            } else {
                failure
            }
        })?;
        Ok(output::success(&ModelSchemaOutput {
            endpoint_id: schema.endpoint_id.clone(),
            name: schema.name.clone(),
            category: schema.category.clone(),
            description: schema.description.clone(),
            input: schema.input.clone(),
            output: schema.output.clone(),
            examples_omitted: (schema.examples_omitted > 0).then_some(schema.examples_omitted),
        }))
    }

    #[tool(
        name = "get_pricing",
        title = "Get model prices",
        description = "Get fal's price per billing unit (image, megapixel, video second, …) for up to 50 endpoints; \
with quantity, also fal's estimate of the total cost of that many units of each. Check it before paid runs.",
        input_schema = output::input::<GetPricingArgs>(),
        output_schema = output::schema::<PricingOutput>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_pricing(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        const ACTION: &str = "get pricing";
        let args: GetPricingArgs = args::parse(ACTION, arguments)?;
        let mut ids: Vec<EndpointId> = Vec::new();
        for raw in args.endpoint_id.iter().chain(args.endpoint_ids.iter().flatten()) {
            let id = args::endpoint_id(ACTION, raw)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(Failure::invalid(
                ACTION,
                "no endpoint given",
                "pass endpoint_id, or endpoint_ids with up to 50 ids",
            ));
        }
        if ids.len() > MAX_PRICED {
            return Err(Failure::invalid(
                ACTION,
                format!("{} endpoints given", ids.len()),
                "pass at most 50 endpoint ids per call",
            ));
        }
        if let Some(q) = args.quantity.filter(|q| !q.is_finite() || *q < 1e-6) {
            return Err(Failure::invalid(
                ACTION,
                format!("quantity {q} is not a positive number"),
                "pass a quantity of at least 0.000001",
            ));
        }
        let key = self.key(&ctx, ACTION)?;
        let prices = self.fal.prices(&key, &ids).await.map_err(|e| Failure::fal(ACTION, &e))?;
        let (priced, unpriced): (Vec<EndpointId>, Vec<EndpointId>) =
            ids.into_iter().partition(|id| prices.iter().any(|p| p.endpoint_id == id.as_str()));
        // fal refuses a whole estimate that names an endpoint it cannot price, so only priced ones are sent.
        let estimate = match args.quantity {
            Some(quantity) if !priced.is_empty() => {
                let e = self
                    .fal
                    .estimate(&key, &priced, quantity)
                    .await
                    .map_err(|e| Failure::fal("estimate the cost", &e))?;
                Some(EstimateOutput { total_cost: e.total_cost, currency: e.currency, quantity })
            }
            _ => None,
        };
        Ok(output::success(&PricingOutput {
            prices: prices
                .into_iter()
                .map(|p| PriceOutput {
                    endpoint_id: p.endpoint_id,
                    unit_price: p.unit_price,
                    unit: p.unit,
                    currency: p.currency,
                })
                .collect(),
            estimate,
            unpriced: unpriced.iter().map(ToString::to_string).collect(),
        }))
    }
}

pub(crate) fn summary(model: &Model) -> ModelSummary {
    ModelSummary {
        endpoint_id: model.endpoint_id.clone(),
        name: model.name().to_string(),
        category: model.category().to_string(),
        description: clip(model.description(), SUMMARY_CHARS),
        status: model.status().to_string(),
        tags: model.tags().to_vec(),
    }
}
