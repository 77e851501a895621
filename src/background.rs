//! Housekeeping that lives as long as what it tends: `work` every `period`, on a task that holds
//! its owner weakly and ends once the owner is gone. Outside a runtime it does nothing.

use std::{future::Future, sync::Arc, time::Duration};

pub(crate) fn every<T, F, Fut>(owner: &Arc<T>, period: Duration, work: F)
where
    T: Send + Sync + 'static,
    F: Fn(Arc<T>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let owner = Arc::downgrade(owner);
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(owner) = owner.upgrade() else { return };
            work(owner).await;
        }
    });
}
