//! recommend_model: describe a task, get ranked models from the live catalog (see `ranking`).

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FalMcp, args, failure::Failure, output};
use crate::{
    fal::{EndpointId, FalKey, Model, ModelQuery},
    ranking,
};

const DEFAULT_LIMIT: usize = 5;
const MAX_LIMIT: usize = 20;
/// How much of a category's catalog is ranked.
const CANDIDATES: u32 = 100;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecommendModelArgs {
    /// The task in plain words, e.g. "animate this product photo into a 5 second clip" or "transcribe a podcast".
    pub(crate) task: String,
    /// Use this category instead of inferring one from the task (e.g. text-to-image, image-to-video).
    pub(crate) category: Option<String>,
    /// How many models to recommend, 1 to 20 (default 5).
    pub(crate) limit: Option<usize>,
}

/// One recommended model.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Recommendation {
    pub(crate) endpoint_id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    /// Why it ranks here: flagship status, matching words, recency, deprecation.
    pub(crate) reason: String,
    /// The tool to run it with: run_model (waits for the result) or submit_job (video, 3D and training jobs that take minutes).
    pub(crate) run_with: String,
    /// fal's price per unit, in USD (get_pricing with input gives a call's cost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit_price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RecommendModelOutput {
    /// The category the task was matched to (or the one given); null when no category fits and the whole catalog was searched.
    pub(crate) inferred_category: Option<String>,
    /// Best first.
    pub(crate) recommendations: Vec<Recommendation>,
}

#[tool_router(router = recommend_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "recommend_model",
        title = "Recommend models for a task",
        description = "Describe what you want to make (an image, an edit, a video from a photo, speech, music, a transcript, a 3D asset, a fine-tune) \
and get fal models ranked for it from the live catalog, each with its reason, unit price and run_with (run_model, or submit_job for long jobs).",
        input_schema = output::input::<RecommendModelArgs>(),
        output_schema = output::schema::<RecommendModelOutput>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn recommend_model(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        const ACTION: &str = "recommend models";
        let args: RecommendModelArgs = args::parse(ACTION, arguments)?;
        let limit = args::in_range(ACTION, "limit", args.limit, DEFAULT_LIMIT, 1, MAX_LIMIT)?;
        let task = args.task.trim();
        if task.is_empty() {
            return Err(Failure::invalid(
                ACTION,
                "the task is empty",
                "describe what you want to make, e.g. 'a logo for a coffee shop'",
            ));
        }
        args::text(ACTION, "task", Some(task), 1000)?;
        let given = args::category(ACTION, args.category.as_deref())?;
        let key = self.key(&ctx, ACTION)?;
        let category = given.or_else(|| ranking::infer_category(task).map(str::to_string));
        let candidates = match &category {
            Some(category) => self.category_candidates(&key, category).await?,
            None => self.keyword_candidates(&key, task).await?,
        };
        let mut recommendations: Vec<Recommendation> = ranking::rank(task, category.as_deref(), &candidates)
            .into_iter()
            .take(limit)
            .map(|r| Recommendation {
                endpoint_id: r.model.endpoint_id.clone(),
                name: r.model.name().to_string(),
                category: r.model.category().to_string(),
                reason: r.reason,
                run_with: ranking::run_with(r.model).to_string(),
                unit_price: None,
                unit: None,
            })
            .collect();
        self.add_prices(&key, &mut recommendations).await;
        Ok(output::success(&RecommendModelOutput { inferred_category: category, recommendations }))
    }
}

impl FalMcp {
    /// Each recommendation's unit price, from one batched lookup; without them when it fails (the
    /// ranking stands on its own).
    async fn add_prices(&self, key: &FalKey, recommendations: &mut [Recommendation]) {
        let ids: Vec<EndpointId> =
            recommendations.iter().filter_map(|r| EndpointId::parse(&r.endpoint_id).ok()).collect();
        if ids.is_empty() {
            return;
        }
        match self.fal.prices(key, &ids).await {
            Ok(prices) => {
                for r in recommendations.iter_mut() {
                    if let Some(p) = prices.iter().find(|p| p.endpoint_id == r.endpoint_id && p.currency == "USD") {
                        r.unit_price = Some(p.unit_price);
                        r.unit = Some(p.unit.clone());
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "price lookup for recommendations failed; answering without prices"),
        }
    }

    /// A category's catalog page plus its flagships (fetched by id, so they count even when the page misses them).
    async fn category_candidates(&self, key: &FalKey, category: &str) -> Result<Vec<Model>, Failure> {
        let query = ModelQuery { category: Some(category.to_string()), limit: CANDIDATES, ..ModelQuery::default() };
        let flagship_ids: Vec<EndpointId> =
            ranking::flagships(category).iter().filter_map(|id| EndpointId::parse(id).ok()).collect();
        let flagships = async {
            if flagship_ids.is_empty() {
                Ok(Default::default())
            } else {
                self.fal.find_models(key, &flagship_ids).await
            }
        };
        let (page, flagships) = tokio::join!(self.fal.search_models(key, &query), flagships);
        let page = page.map_err(|e| Failure::fal(format!("list {category} models"), &e))?;
        let mut models = page.models.clone();
        match flagships {
            Ok(found) => {
                for model in found.iter().filter(|m| m.category() == category) {
                    if !models.iter().any(|m| m.endpoint_id == model.endpoint_id) {
                        models.push(model.clone());
                    }
                }
            }
            // The flagships are a prior; the category page alone still gives an answer.
            Err(e) => {
                tracing::warn!(error = %e, "flagship lookup failed; ranking the category page only")
            }
        }
        Ok(models)
    }

    /// Catalog search by the task's words, widest first, for tasks that fit no category.
    async fn keyword_candidates(&self, key: &FalKey, task: &str) -> Result<Vec<Model>, Failure> {
        let words = ranking::keywords(task);
        let mut longest: Vec<&String> = words.iter().collect();
        longest.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let attempts = std::iter::once(words.join(" ")).chain(longest.into_iter().take(2).cloned());
        for q in attempts.filter(|q| !q.is_empty()) {
            let query = ModelQuery { q: Some(q), limit: CANDIDATES, ..ModelQuery::default() };
            let page = self.fal.search_models(key, &query).await.map_err(|e| Failure::fal("search the catalog", &e))?;
            if !page.models.is_empty() {
                return Ok(page.models.clone());
            }
        }
        Ok(Vec::new())
    }
}
