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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    #[tokio::test]
    async fn each_bounded_runs_everything_at_most_limit_at_once() {
        let (now, peak, done) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        super::each_bounded((0..40).collect::<Vec<u64>>(), 5, |i| {
            let (now, peak, done) = (now.clone(), peak.clone(), done.clone());
            async move {
                peak.fetch_max(now.fetch_add(1, SeqCst) + 1, SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(1 + i % 3)).await;
                now.fetch_sub(1, SeqCst);
                done.fetch_add(1, SeqCst);
            }
        })
        .await;
        assert_eq!(done.load(SeqCst), 40);
        assert_eq!(peak.load(SeqCst), 5);
    }
}
