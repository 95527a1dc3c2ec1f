//! Runs updates through the shop: one queue per user (a person's updates are handled in order),
//! different users in parallel. Both update paths (polling and webhook) submit here.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use tokio::sync::mpsc;

use crate::{
    security::throttle::{Throttle, Verdict},
    shop::{incoming::Incoming, Shop},
};

#[derive(Clone)]
pub struct Dispatcher {
    shop: Shop,
    throttle: Throttle,
    /// Updates are queued boxed: a channel allocates room for 32 of its items at once, which for
    /// an `Incoming` is ~5 KB per user; boxed, 256 bytes (1,000 users at once: 5 MB, issue 14).
    queues: Arc<Mutex<HashMap<i64, mpsc::UnboundedSender<Box<Incoming>>>>>,
    submitted: Arc<AtomicU64>,
    finished: Arc<AtomicU64>,
}

/// How long a user's queue task waits for more updates before it ends.
const IDLE: Duration = Duration::from_secs(30);

impl Dispatcher {
    pub fn new(shop: Shop) -> Self {
        let c = shop.config();
        let throttle = Throttle::new(c.throttle_limit, Duration::from_secs(u64::from(c.throttle_window_seconds)));
        Self { shop, throttle, queues: Arc::default(), submitted: Arc::default(), finished: Arc::default() }
    }

    /// Takes an update from `path` (`polling` or `webhook`): throttled per user first, then
    /// queued behind that user's earlier updates.
    pub fn submit(&self, inc: Incoming, path: &'static str) {
        let metrics = crate::metrics::global();
        // A Stars payment (and its pre-checkout) is never dropped: the money moved already.
        let payment = matches!(
            inc.input,
            crate::shop::incoming::Input::StarsPaid { .. } | crate::shop::incoming::Input::PreCheckout { .. }
        );
        match if payment { Verdict::Allow } else { self.throttle.check(inc.sender.id) } {
            Verdict::Allow => metrics.inc("bot_api_abuse_outcomes_total", &[("path", path), ("outcome", "allow")]),
            Verdict::Deny { notify, escalate } => {
                metrics.inc("bot_api_abuse_outcomes_total", &[("path", path), ("outcome", "deny")]);
                tracing::warn!(event = "abuse_throttle_deny", user = inc.sender.id, path, "update dropped by throttle");
                let shop = self.shop.clone();
                tokio::spawn(async move { shop.throttled(inc, path, notify, escalate).await });
                return;
            }
        }
        self.submitted.fetch_add(1, Ordering::SeqCst);
        if matches!(inc.input, crate::shop::incoming::Input::PreCheckout { .. }) {
            // Telegram waits at most 10 s for the answer, and the re-check only reads: it does
            // not queue behind the user's slower updates.
            let this = self.clone();
            tokio::spawn(async move {
                Box::pin(this.shop.handle(inc)).await;
                this.finished.fetch_add(1, Ordering::SeqCst);
            });
            return;
        }
        let user = inc.sender.id;
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let inc = match queues.get(&user) {
            Some(tx) => match tx.send(Box::new(inc)) {
                Ok(()) => return,
                Err(mpsc::error::SendError(inc)) => inc,
            },
            None => Box::new(inc),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        // A fresh channel's receiver is alive, so this send cannot fail.
        let _ = tx.send(inc);
        queues.insert(user, tx);
        tokio::spawn(self.clone().worker(user, rx));
    }

    async fn worker(self, user: i64, mut rx: mpsc::UnboundedReceiver<Box<Incoming>>) {
        loop {
            match tokio::time::timeout(IDLE, rx.recv()).await {
                Ok(Some(inc)) => {
                    // Boxed: inline, the handling (~3.5 KB of state) would stay part of this task
                    // while it waits up to IDLE for the user's next update, for every user who wrote
                    // in the last 30 s (issue 14).
                    Box::pin(self.shop.handle(*inc)).await;
                    self.finished.fetch_add(1, Ordering::SeqCst);
                }
                Ok(None) => break,
                Err(_) => {
                    let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
                    if rx.is_empty() {
                        queues.remove(&user);
                        break;
                    }
                }
            }
        }
    }

    /// True when every submitted update has been handled.
    pub fn idle(&self) -> bool {
        self.submitted.load(Ordering::SeqCst) == self.finished.load(Ordering::SeqCst)
    }

    /// Waits (bounded) for updates in hand to finish, for a graceful shutdown.
    pub async fn drain(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.idle() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
