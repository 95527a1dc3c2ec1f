//! Background work inside `serve`: the outbox sender, the job scheduler and the payment poller.
//! Each loop stops when the shutdown signal flips.

pub mod broadcast;
pub mod outbox;
pub mod poller;
pub mod scheduler;

use std::time::Duration;

use tokio::sync::watch;

/// Sleeps `d`, or returns true early when shutdown is requested.
pub(crate) async fn pause(shutdown: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = shutdown.changed() => true,
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
    }
}

/// Checks at Pakasir that run at once, at most (issue 17): a hanging Pakasir then costs one
/// timeout per batch of this many orders instead of one per order.
pub(crate) const CONCURRENT_CHECKS: usize = 12;

/// Runs `work` for every item, at most `limit` at once, and waits for all of them.
pub(crate) async fn each_bounded<T, F, Fut>(items: Vec<T>, limit: usize, work: F)
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    for item in items {
        while running.len() >= limit.max(1) {
            running.join_next().await;
        }
        running.spawn(work(item));
    }
    while running.join_next().await.is_some() {}
}
