//! recommend_model: describe a task, get ranked models from the live catalog (see `ranking`).

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use std::{sync::Arc, time::Duration};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FalMcp, args, failure::Failure, output};
use crate::{
    fal::{EndpointId, FalKey, Model, ModelQuery},
    ranking::{self, Index, Media, Ranked, Request},
    text::shown,
};

const DEFAULT_LIMIT: usize = 5;
const MAX_LIMIT: usize = 20;
/// How much of a category's catalog is ranked, and how much of fal's search answer.
const CANDIDATES: u32 = 100;
const SEARCHED: u32 = 30;
/// How long a call waits for the catalog's index when none is built yet (the first call after a
/// start); after it, the call ranks what fal's search and the category page give.
const INDEX_WAIT: Duration = Duration::from_secs(8);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecommendModelArgs {
    /// The task in plain words, e.g. "animate this photo into a 5 s clip".
    pub(crate) task: String,
    /// Use this category (e.g. image-to-video) instead of inferring one.
    pub(crate) category: Option<String>,
    /// How many, 1 to 20 (default 5).
    pub(crate) limit: Option<usize>,
    /// What the user has: nothing, text, image, video or audio.
    pub(crate) has: Option<String>,
    /// What they want: image, video, speech, audio, text, 3d or model (fine-tune).
    pub(crate) wants: Option<String>,
}

/// One recommended model.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Recommendation {
    pub(crate) endpoint_id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    /// Why it fits this task: the sub-task it is built for, a strength the task asks for, its standing.
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
    /// The language the task was read in, when it could be told (e.g. "Spanish").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) language: Option<String>,
    /// What was assumed where the task does not say, e.g. that there is no picture to start from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) assumed: Option<String>,
    /// Best first.
    pub(crate) recommendations: Vec<Recommendation>,
}

#[tool_router(router = recommend_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "recommend_model",
        title = "Recommend models for a task",
        description = "Describe a task (an image, an edit, a video, speech, music, a transcript, 3D, a fine-tune; any language) \
and get fal models ranked for it, each with why it fits, its unit price and the tool to run it with.",
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
        let has = media(ACTION, "has", args.has.as_deref(), "nothing, text, image, video or audio")?;
        let wants = media(ACTION, "wants", args.wants.as_deref(), "image, video, speech, audio, text, 3d or model")?;
        let key = self.reader(&ctx, ACTION)?;
        let mut request = ranking::read(task, has, wants);
        if given.is_some() {
            // The caller's category, with what the words say the user has and wants.
            request = request.as_words_read();
            request.category = given;
            request.category_given = true;
            request.assumed = None;
        }
        let (catalog, mut extra, searched) = self.evidence(key.as_ref(), task, &request).await?;
        let local;
        let index: &Index = match &catalog {
            Some(index) => index,
            None => {
                let models = std::mem::take(&mut extra);
                local = tokio::task::spawn_blocking(move || Index::of_found(models)).await.map_err(|_| {
                    Failure::unreachable(ACTION, "ranking fal's search results was interrupted", "try again")
                })?;
                &local
            }
        };
        let ranking = ranking::rank(task, &request, index, &extra, &searched);
        let mut picked: Vec<&Ranked<'_>> = ranking.ranked.iter().take(limit).collect();
        if let Some((_, other)) = &ranking.assumed {
            include_alternative(&mut picked, &ranking.ranked, other);
        }
        let told = ranking::explain(&request, &picked, index);
        let mut recommendations: Vec<Recommendation> = picked
            .into_iter()
            .zip(told)
            .map(|(r, more)| Recommendation {
                endpoint_id: r.model.endpoint_id.clone(),
                name: r.model.name().to_string(),
                category: r.model.category().to_string(),
                reason: format!("{}{more}", r.reason),
                run_with: ranking::run_with(r.model).to_string(),
                unit_price: None,
                unit: None,
            })
            .collect();
        // Prices need a key; a keyless reader gets the ranking without them.
        if let Some(key) = &key {
            self.add_prices(key, &mut recommendations).await;
        }
        Ok(output::success(&RecommendModelOutput {
            inferred_category: ranking.category,
            language: request.language.map(|l| l.eng_name().to_string()),
            assumed: ranking.assumed.map(|(sentence, _)| sentence),
            recommendations,
        }))
    }
}

impl FalMcp {
    /// The evidence to rank with: the models fal's own search finds for the task's words with the
    /// caller's key (their private apps among them), that search's order, and then, the key taken,
    /// the live catalog's index. Without an index (the catalog could not be fetched in time) the candidates are the
    /// category's catalog page and its flagships too, as fal's search alone may miss them.
    async fn evidence(
        &self,
        key: Option<&FalKey>,
        task: &str,
        request: &Request,
    ) -> Result<(Option<Arc<Index>>, Vec<Model>, Vec<String>), Failure> {
        let words = ranking::search_words(task, request);
        // Words that say nothing ("something nice") search for nothing.
        let search =
            (!words.trim().is_empty()).then(|| ModelQuery { q: Some(words), limit: SEARCHED, ..ModelQuery::default() });
        let searched = async {
            match &search {
                Some(search) => self.fal.search_models(key, search).await.map(Some),
                None => Ok(None),
            }
        };
        let (mut models, order, catalog): (Vec<Model>, Vec<String>, _) = match searched.await {
            Ok(Some(page)) => (
                page.models.clone(),
                page.models.iter().map(|m| m.endpoint_id.clone()).collect(),
                self.catalog.index(INDEX_WAIT).await,
            ),
            Ok(None) => (Vec::new(), Vec::new(), self.catalog.index(INDEX_WAIT).await),
            // The key itself was refused: nothing else would work either.
            Err(e) if e.is_key_refused() || e.is_account_refused() => {
                return Err(Failure::fal("search the catalog", &e));
            }
            Err(e) => {
                tracing::warn!(error = %e, "catalog search for the task failed; ranking without it");
                (Vec::new(), Vec::new(), self.catalog.ready())
            }
        };
        if catalog.is_some() {
            return Ok((catalog, models, order));
        }
        let Some(category) = request.category.clone() else {
            return Ok((None, models, order));
        };
        let page = ModelQuery { category: Some(category.clone()), limit: CANDIDATES, ..ModelQuery::default() };
        let flagship_ids: Vec<EndpointId> = std::iter::once(category.as_str())
            .chain(request.assumed.as_ref().map(|(_, other)| *other))
            .flat_map(ranking::flagships)
            .filter_map(|id| EndpointId::parse(id).ok())
            .collect();
        let (page, flagships) =
            tokio::join!(self.fal.search_models(key, &page), self.fal.find_models(key, &flagship_ids));
        let page = page.map_err(|e| Failure::fal(format!("list {category} models"), &e))?;
        let mut add = |found: &[Model]| {
            for model in found {
                if !models.iter().any(|m| m.endpoint_id == model.endpoint_id) {
                    models.push(model.clone());
                }
            }
        };
        add(&page.models);
        match flagships {
            Ok(found) => add(&found),
            Err(e) => tracing::warn!(error = %e, "flagship lookup failed; ranking the category page only"),
        }
        Ok((None, models, order))
    }

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
}

/// When the task left open whether there is a picture, the best model of the other reading is in
/// the answer too, in the last place if it did not earn one.
fn include_alternative<'a>(picked: &mut Vec<&'a Ranked<'a>>, ranked: &'a [Ranked<'a>], other: &str) {
    if picked.iter().any(|r| r.model.category() == other) {
        return;
    }
    if let Some(best) = ranked.iter().find(|r| r.model.category() == other) {
        if picked.len() > 1 {
            picked.pop();
        }
        picked.push(best);
    }
}

/// A `has` or `wants` hint.
fn media(action: &str, name: &str, value: Option<&str>, allowed: &str) -> Result<Option<Media>, Failure> {
    value
        .map(|v| {
            Media::parse(v).ok_or_else(|| {
                Failure::invalid(
                    action,
                    format!("{name} '{}' is not a medium", shown(v)),
                    format!("pass one of {allowed}"),
                )
            })
        })
        .transpose()
}
