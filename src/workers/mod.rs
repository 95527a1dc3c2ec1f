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
