//! Events counted per holder (a client address, say) in a window that opens at the holder's first
//! event and closes `window` later: the sign-in's attempts (in this process) and reads without a key.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use moka::future::Cache;

pub(crate) struct WindowCounts(Cache<String, Arc<AtomicU32>>);

impl WindowCounts {
    pub(crate) fn new(window: Duration) -> Self {
        Self(Cache::builder().max_capacity(100_000).time_to_live(window).build())
    }

    /// One more event for `who`; the count in its window, this one included.
    pub(crate) async fn add(&self, who: String) -> u32 {
        let count = self.0.get_with(who, async { Arc::default() }).await;
        count.fetch_add(1, Ordering::Relaxed).saturating_add(1)
    }
}
