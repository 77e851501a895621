//! Short-lived caches of catalog and schema answers, keyed by the caller's key fingerprint so that
//! nothing fetched with one key is ever served to another.

use std::{future::Future, sync::Arc, time::Duration};

use moka::future::Cache;
use serde_json::Value;

use super::{FalError, Fingerprint, Model, ModelPage, ModelSchema, pricing::Price};

/// What one entry costs beyond its value: the key, the Arc, moka's bookkeeping.
const ENTRY_OVERHEAD: u32 = 512;

/// Whose answer this is (`None` for public, key-less fetches such as the docs index) and what was asked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub(crate) caller: Option<Fingerprint>,
    pub(crate) what: String,
}

/// Values that know roughly how much heap they hold, so the budgets below bound real memory.
pub(crate) trait Weigh {
    fn weight(&self) -> u32;
}

/// The heap a JSON value holds: each node, each string's bytes, each object entry's key and slot.
pub(crate) fn value_bytes(value: &Value) -> usize {
    const NODE: usize = std::mem::size_of::<Value>();
    match value {
        Value::String(s) => NODE + s.capacity(),
        Value::Array(items) => NODE + items.iter().map(value_bytes).sum::<usize>(),
        // A preserve_order map keeps each entry twice over: its key and value, plus an index slot.
        Value::Object(map) => NODE + map.iter().map(|(k, v)| k.capacity() + 48 + value_bytes(v)).sum::<usize>(),
        _ => NODE,
    }
}

pub(crate) struct Caches {
    pub(crate) pages: Option<Cache<CacheKey, Arc<ModelPage>>>,
    pub(crate) models: Option<Cache<CacheKey, Arc<Vec<Model>>>>,
    pub(crate) schemas: Option<Cache<CacheKey, Arc<ModelSchema>>>,
    pub(crate) text: Option<Cache<CacheKey, Arc<str>>>,
    pub(crate) prices: Option<Cache<CacheKey, Arc<Vec<Price>>>>,
}

impl Caches {
    pub(crate) fn new(ttl: Duration) -> Self {
        // Budgets in bytes of heap (13.5 MiB in all), whatever callers ask: a search page holds a
        // few dozen KiB, a schema with its validator 20-100 KiB, so hundreds of answers still fit.
        Self {
            pages: build(ttl, 4 << 20),
            models: build(ttl, 2 << 20),
            schemas: build(ttl, 6 << 20),
            text: build(ttl, 1 << 20),
            prices: build(ttl, 512 << 10),
        }
    }

    /// Drops expired entries now (moka otherwise waits for the next access) and hands the freed
    /// memory back to the system, so an instance that was busy shrinks again once it is quiet.
    pub(crate) async fn sweep(&self) {
        if let Some(cache) = &self.pages {
            cache.run_pending_tasks().await;
        }
        if let Some(cache) = &self.models {
            cache.run_pending_tasks().await;
        }
        if let Some(cache) = &self.schemas {
            cache.run_pending_tasks().await;
        }
        if let Some(cache) = &self.text {
            cache.run_pending_tasks().await;
        }
        if let Some(cache) = &self.prices {
            cache.run_pending_tasks().await;
        }
        release_free_memory();
    }
}

/// glibc keeps freed memory for the process; `malloc_trim` returns the free pages to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    // SAFETY: malloc_trim takes no pointers and only walks glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

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
        self.heap_bytes() as u32
    }
}

impl Weigh for Arc<Vec<Price>> {
    fn weight(&self) -> u32 {
        self.iter().map(|p| 64 + p.endpoint_id.len() + p.unit.len() + p.currency.len()).sum::<usize>() as u32
    }
}

impl Weigh for Arc<str> {
    fn weight(&self) -> u32 {
        self.len() as u32
    }
}
