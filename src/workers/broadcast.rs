//! The broadcast engine: at most `BROADCAST_RATE` messages per second, and only what the bot's
//! budget leaves after replies, deliveries and notices (the pacer's bulk lane); a recipient
//! that met a 429 is tried again later. Marks users who blocked the bot, edits one progress
//! message for the admin, and resumes after a restart without sending anyone a second copy.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::{
    sync::{watch, Semaphore},
    task::JoinSet,
};

use crate::{
    shop::{
        ports::{Out, SendError},
        Shop,
    },
    store::{
        self,
        broadcasts::{self, Broadcast, Content},
    },
    texts,
};

/// Sends in flight at once (Telegram's latency would otherwise cap the rate).
const IN_FLIGHT: usize = 8;
const BATCH: i64 = 50;
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// The broadcast's own rate (`BROADCAST_RATE`), on top of the bot's shared budget (the bulk
/// lane of the pacer, which lets deliveries and notices go first).
type Rate = governor::DefaultDirectRateLimiter;

pub async fn run(shop: Shop, mut shutdown: watch::Receiver<bool>) {
    match shop.db().write(|c| broadcasts::recover(c)).await {
        Ok(n) if n > 0 => tracing::warn!(recipients = n, "broadcast: recipients caught mid-send counted as failed"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "broadcast: recovery failed"),
    }
    let per_second = std::num::NonZeroU32::new(shop.config().broadcast_rate).unwrap_or(std::num::NonZeroU32::MIN);
    // No burst: a burst on top of a full second is what Telegram answers with 429.
    let pacer = Arc::new(governor::RateLimiter::direct(
        governor::Quota::per_second(per_second).allow_burst(std::num::NonZeroU32::MIN),
    ));
    loop {
        let running = shop.db().call(|c| broadcasts::running(c)).await.unwrap_or_default();
        for b in running {
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = run_one(&shop, &b, &pacer, &mut shutdown).await {
                tracing::error!(broadcast = b.id, error = %e, "broadcast error");
            }
        }
        let wake = shop.broadcast_wake.clone();
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn run_one(
    shop: &Shop,
    b: &Broadcast,
    pacer: &Arc<Rate>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), store::StoreError> {
    let mut last_progress = Instant::now() - PROGRESS_EVERY;
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        let id = b.id;
        let mut users = shop.db().call(move |c| broadcasts::pending(c, id, BATCH)).await?;
        if users.is_empty() {
            // Sends in flight may still put recipients back to pending (429).
            while tasks.join_next().await.is_some() {}
            users = shop.db().call(move |c| broadcasts::pending(c, id, BATCH)).await?;
            if users.is_empty() {
                break;
            }
        }
        spawn_all(shop, b, pacer, &permits, &mut tasks, users, shutdown).await;
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            progress(shop, b, false).await;
        }
    }
    while tasks.join_next().await.is_some() {}
    if !*shutdown.borrow() {
        progress(shop, b, true).await;
    }
    Ok(())
}

async fn spawn_all(
    shop: &Shop,
    b: &Broadcast,
    pacer: &Arc<Rate>,
    permits: &Arc<Semaphore>,
    tasks: &mut JoinSet<()>,
    users: Vec<i64>,
    shutdown: &watch::Receiver<bool>,
) {
    for user in users {
        if *shutdown.borrow() {
            return;
        }
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        let (shop, content, pacer, id) = (shop.clone(), b.content.clone(), pacer.clone(), b.id);
        // Reap finished sends so the set does not grow with the recipient list.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            match shop.db().write(move |c| broadcasts::claim(c, id, user)).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::error!(broadcast = id, error = %e, "broadcast: could not claim a recipient");
                    return;
                }
            }
            // The slot is taken right before the send, so a slow database write above cannot
            // bunch sends together.
            pacer.until_ready().await;
            let status = match send(&shop, user, &content).await {
                Ok(()) => "sent",
                Err(SendError::RetryAfter(d)) => {
                    // Put back for later; when Telegram means the whole bot, the pacer holds
                    // every send.
                    tracing::warn!(broadcast = id, retry_after_s = d.as_secs(), "broadcast: telegram rate limit");
                    "pending"
                }
                Err(SendError::Blocked) => "blocked",
                Err(SendError::Network(_)) => "pending",
                Err(_) => "failed",
            };
            if let Err(e) = shop.db().write(move |c| broadcasts::mark(c, id, user, status)).await {
                tracing::error!(broadcast = id, error = %e, "broadcast: could not record a send");
            }
            drop(permit);
        });
    }
}

async fn send(shop: &Shop, user: i64, content: &Content) -> Result<(), SendError> {
    let tg = shop.bulk_messenger();
    match content {
        Content::Text { text } => tg.send(user, Out::text(text.clone())).await.map(|_| ()),
        Content::Copy { from_chat, message_id } => tg.copy(user, *from_chat, *message_id, None).await.map(|_| ()),
        Content::Card { text, buttons } => tg.send(user, Out::inline(text.clone(), buttons.clone())).await.map(|_| ()),
    }
}

/// Edits the admin's progress message (`Terkirim 1200/5000 · gagal 3`), and the final summary.
async fn progress(shop: &Shop, b: &Broadcast, done: bool) {
    let id = b.id;
    let Ok(p) = shop.db().call(move |c| broadcasts::progress(c, id)).await else { return };
    let text = if done {
        texts::broadcast_done(p.sent, p.total, p.failed)
    } else {
        texts::broadcast_progress(p.sent, p.total, p.failed)
    };
    if let (Some(chat), Some(message)) = (b.progress_chat, b.progress_message) {
        // The admin's chat has Telegram's per-chat limit too: the final count is worth a wait.
        for _ in 0..if done { 5 } else { 1 } {
            match shop.bulk_messenger().edit(chat, message, Out::text(text.clone())).await {
                Ok(()) | Err(SendError::NotModified) => break,
                Err(SendError::RetryAfter(d)) if done => tokio::time::sleep(d).await,
                Err(e) => {
                    tracing::debug!(error = %e, "broadcast progress not edited");
                    break;
                }
            }
        }
    }
    if done {
        let finished = shop.db().write(move |c| broadcasts::finish(c, id)).await.unwrap_or(false);
        // A restock alert is the shop's own notice, not the admin's campaign: no summary.
        if finished && b.kind != broadcasts::RESTOCK {
            // The summary goes through the outbox, which retries until Telegram accepts it.
            let admin = b.admin_id;
            let queued = shop
                .db()
                .write(move |c| store::outbox::enqueue(c, &store::outbox::Message::text(admin, text), None))
                .await;
            match queued {
                Ok(()) => shop.outbox_wake.notify_one(),
                Err(e) => tracing::error!(broadcast = id, error = %e, "broadcast summary not queued"),
            }
        }
    }
}
