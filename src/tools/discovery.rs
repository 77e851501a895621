//! Discovery tools: search_models, get_model_schema, get_pricing.

use rmcp::{
    RoleServer, handler::server::wrapper::Parameters, model::CallToolResult, service::RequestContext, tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    FalMcp,
    output::{self, Failure},
};
use crate::{
    fal::{EndpointId, FalError, Model, ModelQuery},
    text::{clip, shown},
};

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;
const MAX_PRICED: usize = 50;
/// Descriptions in search results are cut here; get_model_schema has the whole text.
const SUMMARY_CHARS: usize = 280;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchModelsArgs {
    /// Free-text search over model names, descriptions and categories, e.g. "flux", "lip sync", "upscale". Omit to list.
    pub query: Option<String>,
    /// Only this category, e.g. text-to-image, image-to-image, image-to-video, text-to-speech, speech-to-text, image-to-3d, training.
    pub category: Option<String>,
    /// How many models to return, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// The next_cursor of a previous answer, to get the next page of the same search.
    pub cursor: Option<String>,
}

/// One model in a search answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ModelSummary {
    /// The id to pass to get_model_schema, get_pricing and run_model.
    pub endpoint_id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    /// active or deprecated.
    pub status: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchModelsOutput {
    pub models: Vec<ModelSummary>,
    /// Number of models in this answer.
    pub total_shown: usize,
    /// Whether more models match; pass next_cursor to get them.
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetModelSchemaArgs {
    /// The model's endpoint id, e.g. "fal-ai/flux/dev" (from search_models or recommend_model).
    pub endpoint_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ModelSchemaOutput {
    pub endpoint_id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    /// JSON Schema of the model's input: the object to pass as run_model's `input`.
    pub input: Value,
    /// JSON Schema of the model's output.
    pub output: Value,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetPricingArgs {
    /// One endpoint id, e.g. "fal-ai/flux/dev".
    pub endpoint_id: Option<String>,
    /// Several endpoint ids (at most 50) to price in one call; may be combined with endpoint_id.
    pub endpoint_ids: Option<Vec<String>>,
    /// Billing units to estimate for each endpoint (the `unit` of its price, e.g. 4 images or 10 video seconds). Adds `estimate`.
    pub quantity: Option<f64>,
}

/// fal's price per billing unit of one endpoint.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PriceOutput {
    pub endpoint_id: String,
    /// Price of one unit, in `currency`.
    pub unit_price: f64,
    /// What one unit is, e.g. image, megapixel, second, request.
    pub unit: String,
    pub currency: String,
}

/// fal's estimate for `quantity` units of every priced endpoint together.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EstimateOutput {
    pub total_cost: f64,
    pub currency: String,
    /// The quantity of units the estimate is for, per endpoint.
    pub quantity: f64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PricingOutput {
    pub prices: Vec<PriceOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<EstimateOutput>,
    /// Requested endpoint ids fal has no price for (unknown ids, or models priced per use of compute).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unpriced: Vec<String>,
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
        Parameters(args): Parameters<SearchModelsArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        const ACTION: &str = "search models";
        let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Failure::invalid(ACTION, format!("limit {limit} is out of range"), "pass a limit from 1 to 100")
                .into();
        }
        if let Err(message) = check_text("query", args.query.as_deref(), 200)
            .and_then(|_| check_category(args.category.as_deref()))
            .and_then(|_| check_text("cursor", args.cursor.as_deref(), 512))
        {
            return Failure::invalid(ACTION, message, "fix the argument and search again").into();
        }
        let key = match self.key(&ctx, ACTION) {
            Ok(key) => key,
            Err(failure) => return failure.into(),
        };
        let query = ModelQuery {
            q: args.query,
            category: args.category.map(|c| c.trim().to_ascii_lowercase()),
            status: None,
            limit,
            cursor: args.cursor,
        };
        match self.fal.search_models(&key, &query).await {
            Ok(page) => {
                let models: Vec<ModelSummary> = page.models.iter().map(summary).collect();
                output::success(&SearchModelsOutput {
                    total_shown: models.len(),
                    models,
                    has_more: page.has_more,
                    next_cursor: page.next_cursor.clone().filter(|_| page.has_more),
                })
            }
            Err(FalError::Api { status, .. }) if status.as_u16() == 400 && query.cursor.is_some() => Failure::invalid(
                ACTION,
                "fal did not accept the cursor",
                "pass a next_cursor exactly as a previous search_models answer gave it, with the same query",
            )
            .into(),
            Err(e) => Failure::fal(ACTION, &e).into(),
        }
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
        Parameters(args): Parameters<GetModelSchemaArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let action = format!("get the schema of {}", shown(&args.endpoint_id));
        let id = match parse_id(&action, &args.endpoint_id) {
            Ok(id) => id,
            Err(failure) => return failure.into(),
        };
        let key = match self.key(&ctx, &action) {
            Ok(key) => key,
            Err(failure) => return failure.into(),
        };
        match self.fal.model_schema(&key, &id).await {
            Ok(schema) => output::success(&ModelSchemaOutput {
                endpoint_id: schema.endpoint_id.clone(),
                name: schema.name.clone(),
                category: schema.category.clone(),
                description: schema.description.clone(),
                input: schema.input.clone(),
                output: schema.output.clone(),
            }),
            Err(e @ FalError::UnknownModel(_)) => Failure::fal(&action, &e)
                .with_hint("fal has no model with that id; find the exact endpoint_id with search_models (ids look like 'fal-ai/flux/dev')")
                .into(),
            Err(e) => Failure::fal(&action, &e).into(),
        }
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
        Parameters(args): Parameters<GetPricingArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        const ACTION: &str = "get pricing";
        let mut raw: Vec<String> = args.endpoint_id.into_iter().chain(args.endpoint_ids.unwrap_or_default()).collect();
        raw.dedup();
        if raw.is_empty() {
            return Failure::invalid(
                ACTION,
                "no endpoint given",
                "pass endpoint_id, or endpoint_ids with up to 50 ids",
            )
            .into();
        }
        if raw.len() > MAX_PRICED {
            return Failure::invalid(
                ACTION,
                format!("{} endpoints given", raw.len()),
                "pass at most 50 endpoint ids per call",
            )
            .into();
        }
        if let Some(q) = args.quantity.filter(|q| !q.is_finite() || *q < 1e-6) {
            return Failure::invalid(
                ACTION,
                format!("quantity {q} is not a positive number"),
                "pass a quantity of at least 0.000001",
            )
            .into();
        }
        let mut ids: Vec<EndpointId> = Vec::with_capacity(raw.len());
        for id in &raw {
            match parse_id(ACTION, id) {
                Ok(id) if !ids.contains(&id) => ids.push(id),
                Ok(_) => {}
                Err(failure) => return failure.into(),
            }
        }
        let key = match self.key(&ctx, ACTION) {
            Ok(key) => key,
            Err(failure) => return failure.into(),
        };
        let prices = match self.fal.prices(&key, &ids).await {
            Ok(prices) => prices,
            Err(e) => return Failure::fal(ACTION, &e).into(),
        };
        let (priced, unpriced): (Vec<EndpointId>, Vec<EndpointId>) =
            ids.into_iter().partition(|id| prices.iter().any(|p| p.endpoint_id == id.as_str()));
        // fal refuses a whole estimate that names an endpoint it cannot price, so only priced ones are sent.
        let estimate = match args.quantity {
            Some(quantity) if !priced.is_empty() => match self.fal.estimate(&key, &priced, quantity).await {
                Ok(e) => Some(EstimateOutput { total_cost: e.total_cost, currency: e.currency, quantity }),
                Err(e) => return Failure::fal("estimate the cost", &e).into(),
            },
            _ => None,
        };
        output::success(&PricingOutput {
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
        })
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

/// Validates an endpoint id before it is used, as a tool failure naming the problem.
pub(crate) fn parse_id(action: &str, raw: &str) -> Result<EndpointId, Failure> {
    EndpointId::parse(raw).map_err(|message| {
        Failure::invalid(
            action,
            message,
            "pass an endpoint_id exactly as search_models returns it, e.g. 'fal-ai/flux/dev'",
        )
    })
}

pub(crate) fn check_category(category: Option<&str>) -> Result<(), String> {
    match category.map(str::trim) {
        Some(c) if c.is_empty() || c.len() > 64 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') => {
            Err(format!(
                "category '{}' is not a category name (lowercase words joined by '-', e.g. text-to-image)",
                shown(c)
            ))
        }
        _ => Ok(()),
    }
}

pub(crate) fn check_text(name: &str, value: Option<&str>, max: usize) -> Result<(), String> {
    match value {
        Some(v) if v.chars().count() > max => Err(format!("{name} is longer than {max} characters")),
        Some(v) if v.chars().any(char::is_control) => Err(format!("{name} contains control characters")),
        _ => Ok(()),
    }
}
