//! The live catalog's index, one per server and shared by every caller: fetched from fal without
//! a key (fal serves its public catalog to anyone; nothing a caller's key could see is in it),
//! built on a blocking thread, rebuilt in the background once stale, kept when a refresh fails.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::watch;

use crate::{fal::FalClient, ranking::Index};

/// fal adds models a few times a week: half an hour old is fresh enough.
const STALE_AFTER: Duration = Duration::from_secs(30 * 60);
/// After a failed fetch, the next try waits this long.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// How often the meaning table's resident pages are handed back.
const RELEASE_EVERY: Duration = Duration::from_secs(10);
/// Pages of 100: room for five times today's catalog, and a bound on a runaway cursor.
const MAX_PAGES: usize = 100;

pub(crate) struct Catalog {
    fal: FalClient,
    index: watch::Sender<Option<Arc<Index>>>,
    /// When the index was built, or when the last fetch failed.
    checked: Mutex<Option<(Instant, bool)>>,
    refreshing: AtomicBool,
}

impl Catalog {
    pub(crate) fn new(fal: FalClient) -> Arc<Self> {
        let catalog = Arc::new(Self {
            fal,
            index: watch::channel(None).0,
            checked: Mutex::new(None),
            refreshing: AtomicBool::new(false),
        });
        catalog.keep_tidy();
        catalog
    }

    /// Every [`RELEASE_EVERY`], hands back the meaning table's pages that requests made resident
    /// (each new request reads a few rows of 39.5 MB), so memory follows load down again; for as
    /// long as the catalog lives (the task holds it weakly).
    fn keep_tidy(self: &Arc<Self>) {
        crate::background::every(self, RELEASE_EVERY, |_| async { meaning::release() });
    }

    /// The index as it is, without waiting or fetching.
    pub(crate) fn ready(&self) -> Option<Arc<Index>> {
        self.index.borrow().clone()
    }

    /// The index, waiting up to `wait` when there is none yet; None when it could not be had in
    /// time (callers then rank what fal's search gives them). Call it once fal has accepted the
    /// caller's key: it may start a fetch.
    pub(crate) async fn index(self: &Arc<Self>, wait: Duration) -> Option<Arc<Index>> {
        self.refresh_if_due();
        let mut receiver = self.index.subscribe();
        if let Some(index) = receiver.borrow_and_update().clone() {
            return Some(index);
        }
        tokio::time::timeout(wait, receiver.wait_for(Option::is_some)).await.ok()?.ok()?.clone()
    }

    /// Starts a fetch when there is no index, or a stale one, and none is under way.
    pub(crate) fn refresh_if_due(self: &Arc<Self>) {
        let due = match *self.checked.lock().expect("catalog clock") {
            None => true,
            Some((at, built)) => at.elapsed() >= if built { STALE_AFTER } else { RETRY_AFTER },
        };
        if !due || self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let catalog = Arc::clone(self);
        tokio::spawn(async move {
            let built = catalog.rebuild().await;
            *catalog.checked.lock().expect("catalog clock") = Some((Instant::now(), built));
            catalog.refreshing.store(false, Ordering::Release);
        });
    }

    async fn rebuild(&self) -> bool {
        let started = Instant::now();
        let models = match self.fal.catalog(MAX_PAGES).await {
            Ok(models) if !models.is_empty() => models,
            Ok(_) => {
                tracing::warn!("fal's catalog came back empty; keeping the index as it was");
                return false;
            }
            Err(e) => {
                tracing::warn!(error = %e, "fetching fal's catalog failed; keeping the index as it was");
                return false;
            }
        };
        let count = models.len();
        tracing::info!(models = count, "fal's catalog fetched; indexing it");
        let built = tokio::task::spawn_blocking(move || Index::build(models)).await;
        match built {
            Ok(index) => {
                self.index.send_replace(Some(Arc::new(index)));
                tracing::info!(models = count, millis = started.elapsed().as_millis() as u64, "catalog index built");
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "building the catalog index failed");
                false
            }
        }
    }
}

/// How long a refusal of an unknown id waits for the catalog to suggest the ids it meant.
const NEAREST_WAIT: Duration = Duration::from_secs(3);

impl crate::tools::FalMcp {
    /// The public catalog's ids nearest to `id` (a misspelling's likely meaning), nearest first.
    /// Call it once fal has accepted the caller's key (it may start a fetch of the catalog).
    pub(crate) async fn nearest_ids(&self, id: &str) -> Vec<String> {
        let Some(index) = self.catalog().index(NEAREST_WAIT).await else { return Vec::new() };
        crate::text::nearest(id, index.models().iter().map(|m| m.endpoint_id.as_str()), 3)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// "did you mean a, b?" for `id`, or nothing when no catalog id is close.
    pub(crate) async fn did_you_mean(&self, id: &str) -> Option<String> {
        let near = self.nearest_ids(id).await;
        (!near.is_empty()).then(|| format!("did you mean {}?", near.join(" or ")))
    }
}
