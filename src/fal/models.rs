//! The model catalog: `GET /v1/models` in its search, find and expand modes.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::{
    EndpointId, FalClient, FalError, FalKey, ModelSchema,
    cache::{CacheKey, through},
    join, schema,
};

/// One page of the catalog.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ModelPage {
    pub(crate) models: Vec<Model>,
    #[serde(default)]
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) next_cursor: Option<String>,
}

/// A catalog entry. `metadata` is absent for endpoints without a registry entry.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Model {
    pub(crate) endpoint_id: String,
    #[serde(default)]
    pub(crate) metadata: Option<ModelMetadata>,
    #[serde(default)]
    pub(crate) openapi: Option<Value>,
}

/// The metadata fields this server uses; every one tolerates being absent or null.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ModelMetadata {
    pub(crate) display_name: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) date: Option<String>,
    pub(crate) updated_at: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) duration_estimate: Option<f64>,
}

impl Model {
    fn meta(&self) -> Option<&ModelMetadata> {
        self.metadata.as_ref()
    }

    pub(crate) fn name(&self) -> &str {
        self.meta().and_then(|m| m.display_name.as_deref()).unwrap_or(&self.endpoint_id)
    }

    pub(crate) fn category(&self) -> &str {
        self.meta().and_then(|m| m.category.as_deref()).unwrap_or("")
    }

    pub(crate) fn description(&self) -> &str {
        self.meta().and_then(|m| m.description.as_deref()).unwrap_or("")
    }

    pub(crate) fn status(&self) -> &str {
        self.meta().and_then(|m| m.status.as_deref()).unwrap_or("active")
    }

    pub(crate) fn tags(&self) -> &[String] {
        self.meta().and_then(|m| m.tags.as_deref()).unwrap_or(&[])
    }

    /// The most recent of `updated_at` and `date` (ISO 8601, so they compare as text).
    pub(crate) fn last_changed(&self) -> Option<&str> {
        let meta = self.meta()?;
        [meta.updated_at.as_deref(), meta.date.as_deref()].into_iter().flatten().max()
    }

    /// fal's typical run time (`duration_estimate`, in minutes) in seconds.
    pub(crate) fn typical_seconds(&self) -> Option<f64> {
        self.meta()?.duration_estimate.filter(|m| m.is_finite() && *m > 0.0).map(|m| m * 60.0)
    }

    pub(crate) fn is_training(&self) -> bool {
        self.meta().and_then(|m| m.kind.as_deref()) == Some("training") || self.category() == "training"
    }

    /// The heap this entry holds, for the caches' budgets.
    pub(crate) fn weight(&self) -> u32 {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        let meta = self.metadata.as_ref().map_or(0, |m| {
            std::mem::size_of::<ModelMetadata>()
                + [&m.display_name, &m.category, &m.description, &m.status, &m.date, &m.updated_at, &m.kind]
                    .into_iter()
                    .map(text)
                    .sum::<usize>()
                + m.tags.iter().flatten().map(|t| 24 + t.capacity()).sum::<usize>()
        });
        let openapi = self.openapi.as_ref().map_or(0, super::cache::value_bytes);
        (std::mem::size_of::<Self>() + self.endpoint_id.capacity() + meta + openapi) as u32
    }
}

/// A catalog search. Empty fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ModelQuery {
    pub(crate) q: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) limit: u32,
    pub(crate) cursor: Option<String>,
}

impl ModelQuery {
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("limit", self.limit.to_string())];
        let optional =
            [("q", &self.q), ("category", &self.category), ("status", &self.status), ("cursor", &self.cursor)];
        for (name, value) in optional {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                params.push((name, value.to_string()));
            }
        }
        params
    }
}

impl FalClient {
    /// Searches or lists the live catalog, as `key`'s owner sees it (their private apps too), or
    /// as anyone does without a key (fal serves its public catalog keyless).
    pub(crate) async fn search_models(
        &self,
        key: Option<&FalKey>,
        query: &ModelQuery,
    ) -> Result<Arc<ModelPage>, FalError> {
        let params = query.params();
        let cache_key = CacheKey { caller: key.map(FalKey::fingerprint), what: format!("search?{params:?}") };
        through(&self.inner.cache.pages, cache_key, async {
            let request = self.http().get(join(&self.urls().api, "v1/models")).query(&params);
            self.json::<ModelPage>("GET /v1/models", key, request).await.map(Arc::new)
        })
        .await
    }

    /// The whole public catalog, every status, page by page. Fetched without a key: fal serves the
    /// catalog to anyone, and an answer fetched with one caller's key (which may list their
    /// private apps) must never be shared with another. At most `max_pages` pages of 100.
    pub(crate) async fn catalog(&self, max_pages: usize) -> Result<Vec<Model>, FalError> {
        let mut models = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..max_pages {
            let query = ModelQuery { limit: 100, cursor: cursor.take(), ..ModelQuery::default() };
            let request = self.http().get(join(&self.urls().api, "v1/models")).query(&query.params());
            let page = self.json::<ModelPage>("GET /v1/models?catalog", None, request).await?;
            models.extend(page.models);
            match page.next_cursor.filter(|c| page.has_more && !c.is_empty()) {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(models)
    }

    /// Looks up to 50 models by endpoint id; ids fal does not know are simply absent from the answer.
    pub(crate) async fn find_models(
        &self,
        key: Option<&FalKey>,
        ids: &[EndpointId],
    ) -> Result<Arc<Vec<Model>>, FalError> {
        let mut sorted: Vec<&str> = ids.iter().map(EndpointId::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let cache_key = CacheKey { caller: key.map(FalKey::fingerprint), what: format!("find?{}", sorted.join(",")) };
        through(&self.inner.cache.models, cache_key, async {
            let mut params: Vec<(&str, &str)> = sorted.iter().map(|id| ("endpoint_id", *id)).collect();
            let limit = sorted.len().to_string();
            params.push(("limit", &limit));
            let request = self.http().get(join(&self.urls().api, "v1/models")).query(&params);
            match self.json::<ModelPage>("GET /v1/models?endpoint_id", key, request).await {
                Ok(page) => Ok(Arc::new(page.models)),
                // fal may answer an unknown id with 404 rather than an empty list.
                Err(e) if e.is_not_found() => Ok(Arc::new(Vec::new())),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// A model's compact input/output schema, from its OpenAPI document.
    pub(crate) async fn model_schema(
        &self,
        key: Option<&FalKey>,
        id: &EndpointId,
    ) -> Result<Arc<ModelSchema>, FalError> {
        let cache_key = CacheKey { caller: key.map(FalKey::fingerprint), what: format!("schema?{id}") };
        through(&self.inner.cache.schemas, cache_key, async {
            let params = [("endpoint_id", id.as_str()), ("expand", "openapi-3.0")];
            let request = self.http().get(join(&self.urls().api, "v1/models")).query(&params);
            let page = match self.json::<ModelPage>("GET /v1/models?expand=openapi", key, request).await {
                Err(e) if e.is_not_found() => return Err(FalError::UnknownModel(id.to_string())),
                other => other?,
            };
            let model = page
                .models
                .into_iter()
                .find(|m| m.endpoint_id == id.as_str())
                .ok_or_else(|| FalError::UnknownModel(id.to_string()))?;
            schema::from_model(model).map(Arc::new)
        })
        .await
    }
}
