//! Discovery tools: search_models, get_model_schema.

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FalMcp, args, failure::Failure, output};
use crate::{
    fal::{Model, ModelQuery},
    ranking,
    text::{clip, shown},
};

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;
/// Descriptions in search results are cut here; get_model_schema has the whole text.
const SUMMARY_CHARS: usize = 280;
/// How long a search waits for the catalog's index when none is built yet; fal's own search
/// answers alone after it.
const SEARCH_INDEX_WAIT: Duration = Duration::from_secs(3);
/// The prefix of this server's cursors (an offset into its ranking); fal's are base64 page numbers,
/// which never hold a colon.
const OUR_CURSOR: &str = "fm:";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchModelsArgs {
    /// A model id or name ("flux dev"), or what it should do, in any language. Omit to list.
    pub(crate) query: Option<String>,
    /// Only this category, e.g. text-to-image, image-to-video, training.
    pub(crate) category: Option<String>,
    /// How many, 1 to 100 (default 20).
    pub(crate) limit: Option<u32>,
    /// A previous answer's next_cursor, for the next page.
    pub(crate) cursor: Option<String>,
}

/// One model in a search answer.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ModelSummary {
    /// The id to pass to get_model_schema, get_pricing and run_model.
    pub(crate) endpoint_id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) description: String,
    /// "deprecated" when fal has retired it; absent when active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
    /// The model's endpoint id, e.g. "fal-ai/flux/dev".
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

#[tool_router(router = discovery_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "search_models",
        title = "Search fal models",
        description = "Search fal's live catalog (1,000+ image, video, audio, 3D and LLM models) by name, by what a model \
should do (any language) and/or category: endpoint ids with name, category, description. To choose for a task, prefer recommend_model.",
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
        let key = self.reader(&ctx, ACTION)?;
        let text = args.query.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_string);
        let offset = match args.cursor.as_deref().map(|c| c.strip_prefix(OUR_CURSOR)) {
            None => Some(0),
            Some(Some(ours)) => Some(ours.parse::<usize>().map_err(|_| {
                Failure::invalid(
                    ACTION,
                    "the cursor is not one this server gave",
                    "pass next_cursor exactly as a previous answer gave it",
                )
            })?),
            // fal's own cursor: its pages, as fal orders them.
            Some(None) => None,
        };
        let fal_cursor = if offset.is_some() { None } else { args.cursor };
        let query = ModelQuery { q: text.clone(), category: category.clone(), status: None, limit, cursor: fal_cursor };
        let searched = self.fal.search_models(key.as_ref(), &query).await;
        // The index once fal has taken the key; after another failure, only one already built.
        let catalog = match (&text, offset, &searched) {
            (Some(_), Some(_), Ok(_)) => self.catalog.index(SEARCH_INDEX_WAIT).await,
            (Some(_), Some(_), Err(e)) if !(e.is_key_refused() || e.is_account_refused()) => self.catalog.ready(),
            _ => None,
        };
        if let (Some(index), Some(text), Some(offset)) = (catalog, &text, offset) {
            let found = match searched {
                Ok(page) => page.models.clone(),
                Err(e) => {
                    tracing::warn!(error = %e, "fal's catalog search failed; searching the index alone");
                    Vec::new()
                }
            };
            let ranked = ranking::search(text, &index, &found, category.as_deref());
            let end = (offset + limit as usize).min(ranked.len());
            let models: Vec<ModelSummary> =
                ranked.get(offset..end).unwrap_or_default().iter().map(|m| summary(m)).collect();
            let has_more = ranked.len() > end;
            return Ok(output::success(&SearchModelsOutput {
                total_shown: models.len(),
                models,
                has_more,
                next_cursor: has_more.then(|| format!("{OUR_CURSOR}{end}")),
            }));
        }
        let page = searched.map_err(|e| {
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
        title = "Get a model's schema",
        description = "Get a fal model's input and output JSON Schemas (types, defaults, allowed values, bounds, examples). \
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
        let key = self.reader(&ctx, &action)?;
        let schema = match self.fal.model_schema(key.as_ref(), &id).await {
            Ok(schema) => schema,
            Err(e) if e.is_not_found() => {
                let meant = self.did_you_mean(id.as_str()).await.map(|m| format!("{m} ")).unwrap_or_default();
                return Err(Failure::fal(&action, &e).with_hint(format!(
                    "fal's catalog has no model with that id; {meant}(search_models finds exact ids, which look like \
                     'fal-ai/flux/dev'). A private app of yours can still be run with run_model or submit_job"
                )));
            }
            Err(e) => return Err(Failure::fal(&action, &e)),
        };
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
}

pub(crate) fn summary(model: &Model) -> ModelSummary {
    ModelSummary {
        endpoint_id: model.endpoint_id.clone(),
        name: model.name().to_string(),
        category: model.category().to_string(),
        description: clip(model.description(), SUMMARY_CHARS),
        status: (model.status() != "active").then(|| model.status().to_string()),
        tags: model.tags().to_vec(),
    }
}
