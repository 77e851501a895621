//! Short-lived caches of catalog and schema answers, keyed by the caller's key fingerprint so that
//! nothing fetched with one key is ever served to another.

use std::{future::Future, sync::Arc, time::Duration};

use moka::future::Cache;

use super::{FalError, Fingerprint, Model, ModelPage, ModelSchema};

/// What one entry costs beyond its own bytes: key, Arc, moka's bookkeeping.
const ENTRY_OVERHEAD: u32 = 1024;

/// Whose answer this is (`None` for public, key-less fetches such as the docs index) and what was asked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub(crate) caller: Option<Fingerprint>,
    pub(crate) what: String,
}

/// Values that know roughly how much memory they hold.
pub(crate) trait Weigh {
    fn weight(&self) -> u32;
}

pub(crate) struct Caches {
    pub(crate) pages: Option<Cache<CacheKey, Arc<ModelPage>>>,
    pub(crate) models: Option<Cache<CacheKey, Arc<Vec<Model>>>>,
    pub(crate) schemas: Option<Cache<CacheKey, Arc<ModelSchema>>>,
    pub(crate) text: Option<Cache<CacheKey, Arc<str>>>,
}

impl Caches {
    pub(crate) fn new(ttl: Duration) -> Self {
        // Budgets in approximate bytes (11 MiB in all), whatever callers ask: a search page is a few
        // KiB, a compact schema 2-10 KiB, so thousands of distinct answers still fit.
        Self {
            pages: build(ttl, 4 << 20),
            models: build(ttl, 2 << 20),
            schemas: build(ttl, 4 << 20),
            text: build(ttl, 1 << 20),
        }
    }
}

fn build<V: Weigh + Clone + Send + Sync + 'static>(ttl: Duration, budget: u64) -> Option<Cache<CacheKey, V>> {
    (!ttl.is_zero()).then(|| {
        Cache::builder()
            .max_capacity(budget)
            .weigher(|key: &CacheKey, value: &V| value.weight().saturating_add(key.what.len() as u32 + ENTRY_OVERHEAD))
            .time_to_live(ttl)
            .build()
    })
}

/// Answers from the cache, or runs `fetch` once for all concurrent askers of the same key.
/// Failures are never cached.
pub(crate) async fn through<V, F>(cache: &Option<Cache<CacheKey, V>>, key: CacheKey, fetch: F) -> Result<V, FalError>
where
    V: Clone + Send + Sync + 'static,
    F: Future<Output = Result<V, FalError>>,
{
    match cache {
        Some(cache) => cache.try_get_with(key, fetch).await.map_err(|e| (*e).clone()),
        None => fetch.await,
    }
}

impl Weigh for Arc<ModelPage> {
    fn weight(&self) -> u32 {
        self.models.iter().map(Model::weight).sum()
    }
}

impl Weigh for Arc<Vec<Model>> {
    fn weight(&self) -> u32 {
        self.iter().map(Model::weight).sum()
    }
}

impl Weigh for Arc<ModelSchema> {
    fn weight(&self) -> u32 {
        self.compact_bytes as u32
    }
}

impl Weigh for Arc<str> {
    fn weight(&self) -> u32 {
        self.len() as u32
    }
}
