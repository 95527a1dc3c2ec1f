//! Sends outbox rows to Telegram until Telegram accepts them (the delivery guarantee of SPEC §12).
//! 429 waits `retry_after`; 5xx, timeouts, resets and nonsense answers are retried with backoff
//! (admins hear of a delivery stuck that way); a chat that blocked the bot or is gone gets its
//! rows parked until it talks to the bot again; a message refused for its content falls back to
//! plain text, then to a `.txt` document. Only non-deliveries are ever given up.

use std::time::Duration;

use tokio::sync::watch;

use crate::{
    shop::{
        ports::{Keyboard, Out, SendError},
        Shop,
    },
    store::{self, outbox::Payload},
    texts,
};

const BATCH: i64 = 50;

pub async fn run(shop: Shop, mut shutdown: watch::Receiver<bool>) {
    loop {
        let pause = match drain(&shop).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "outbox: database error");
                Some(Duration::from_secs(1))
            }
        };
        let wait = pause.unwrap_or(Duration::from_secs(1));
        let wake = shop.outbox_wake.clone();
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = wake.notified(), if pause.is_none() => {}
            _ = tokio::time::sleep(wait) => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Sent rows waiting to be marked. They are marked in one transaction while the next messages
/// go out (group commit: one fsync for many rows instead of one per message, which made the
/// outbox the bottleneck of a flash sale; issue 8). A row is still marked only after its send
/// succeeded, and every mark is written before the outbox is read again.
#[derive(Default)]
struct Marks {
    sent: Vec<i64>,
    writing: Option<tokio::task::JoinHandle<Result<(), store::StoreError>>>,
}

impl Marks {
    async fn push(&mut self, shop: &Shop, id: i64) -> Result<(), store::StoreError> {
        self.sent.push(id);
        if self.writing.as_ref().is_some_and(|h| !h.is_finished()) {
            return Ok(());
        }
        self.wait().await?;
        let (db, ids) = (shop.db().clone(), std::mem::take(&mut self.sent));
        self.writing =
            Some(tokio::spawn(async move { db.write(move |c| store::outbox::mark_sent_all(c, &ids)).await }));
        Ok(())
    }

    async fn wait(&mut self) -> Result<(), store::StoreError> {
        if let Some(h) = self.writing.take() {
            h.await.map_err(|_| store::StoreError::Join)??;
        }
        Ok(())
    }

    /// Every mark written.
    async fn settle(&mut self, shop: &Shop) -> Result<(), store::StoreError> {
        self.wait().await?;
        if !self.sent.is_empty() {
            let ids = std::mem::take(&mut self.sent);
            shop.db().write(move |c| store::outbox::mark_sent_all(c, &ids)).await?;
        }
        Ok(())
    }
}

/// Sends what is due. Returns a pause when Telegram asked us to slow down.
async fn drain(shop: &Shop) -> Result<Option<Duration>, store::StoreError> {
    let mut marks = Marks::default();
    loop {
        marks.settle(shop).await?;
        let rows = shop.db().call(|c| store::outbox::due(c, BATCH)).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        for row in rows {
            let result = send(shop, row.chat_id, &row.payload).await;
            let id = row.id;
            match result {
                Ok(()) | Err(SendError::NotModified) => marks.push(shop, id).await?,
                Err(SendError::RetryAfter(d)) => {
                    marks.settle(shop).await?;
                    let at = store::now() + i64::try_from(d.as_secs()).unwrap_or(30).max(1);
                    shop.db().write(move |c| store::outbox::retry_at(c, id, at, "429")).await?;
                    tracing::warn!(outbox = id, retry_after_s = d.as_secs(), "outbox: telegram rate limit");
                    return Ok(Some(d.max(Duration::from_millis(200))));
                }
                Err(SendError::Network(e)) => {
                    marks.settle(shop).await?;
                    let backoff = 2_i64.saturating_pow(u32::try_from(row.attempts.clamp(0, 8)).unwrap_or(8)).min(300);
                    let at = store::now() + backoff;
                    let error = e.clone();
                    shop.db().write(move |c| store::outbox::retry_at(c, id, at, &error)).await?;
                    tracing::warn!(outbox = id, error = %e, "outbox: telegram unreachable, will retry");
                    if row.delivery && row.attempts + 1 >= STUCK_AFTER_ATTEMPTS && !row.stuck_noticed {
                        tell_admins_stuck(shop, &row, &texts::delivery_stuck_admin).await?;
                    }
                    return Ok(Some(Duration::from_secs(1)));
                }
                Err(SendError::Blocked) => {
                    if matches!(row.payload, Payload::Delete { .. }) {
                        shop.db().write(move |c| store::outbox::mark_sent(c, id)).await?;
                        continue;
                    }
                    marks.settle(shop).await?;
                    tracing::warn!(
                        outbox = id,
                        chat = row.chat_id,
                        "outbox: chat unreachable, its messages are parked"
                    );
                    let chat = row.chat_id;
                    shop.db()
                        .write(move |c| {
                            store::users::set_bot_blocked(c, chat, true)?;
                            store::outbox::park_chat(c, chat)
                        })
                        .await?;
                    if row.delivery && !row.stuck_noticed {
                        tell_admins_stuck(shop, &row, &texts::delivery_parked_admin).await?;
                    }
                }
                Err(SendError::Refused(e)) => {
                    if matches!(row.payload, Payload::Delete { .. }) {
                        // A message that is already gone (or too old to delete) needs no deleting.
                        shop.db().write(move |c| store::outbox::mark_sent(c, id)).await?;
                        continue;
                    }
                    marks.settle(shop).await?;
                    match fallback(&row.payload) {
                        Some(simpler) => {
                            tracing::warn!(outbox = id, error = %e, "outbox: refused, sending a simpler form");
                            shop.db().write(move |c| store::outbox::replace_payload(c, id, &simpler)).await?;
                        }
                        None => {
                            tracing::error!(outbox = id, chat = row.chat_id, error = %e, "outbox: refused in every form");
                            let error = e.clone();
                            shop.db().write(move |c| store::outbox::mark_failed(c, id, &error)).await?;
                            if row.delivery && !row.stuck_noticed {
                                tell_admins_stuck(shop, &row, &texts::delivery_parked_admin).await?;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A delivery that failed this many times in a row (about half a minute of backoff) is reported.
const STUCK_AFTER_ATTEMPTS: i64 = 5;

/// Telegram's limit for one text message.
const MAX_TEXT: usize = 4096;

/// The next simpler form of a refused message: HTML → plain text → a `.txt` document → a
/// document without caption. `None` when there is nothing simpler left.
fn fallback(payload: &Payload) -> Option<Payload> {
    let as_document = |text: String| Payload::Document {
        file_name: "pesan.txt".into(),
        content: if text.trim().is_empty() { "-".into() } else { text },
        caption: String::new(),
    };
    match payload {
        Payload::Text { text, .. } => {
            let plain = texts::plain(text);
            Some(if plain.chars().count() <= MAX_TEXT && !plain.trim().is_empty() {
                Payload::Plain { text: plain }
            } else {
                as_document(plain)
            })
        }
        Payload::Plain { text } => Some(as_document(text.clone())),
        Payload::Document { file_name, content, caption } if !caption.is_empty() || content.trim().is_empty() => {
            Some(Payload::Document {
                file_name: file_name.clone(),
                content: if content.trim().is_empty() { "-".into() } else { content.clone() },
                caption: String::new(),
            })
        }
        Payload::Document { .. } | Payload::Delete { .. } => None,
    }
}

/// Tells the admins (through the outbox) that a delivery is stuck or parked, once per row.
async fn tell_admins_stuck(
    shop: &Shop,
    row: &store::outbox::Row,
    text: &(dyn Fn(&str, i64, &str) -> String + Sync),
) -> Result<(), store::StoreError> {
    let order = match row.order_id {
        Some(id) => shop.db().lookup(move |c| store::orders::get(c, id)).await?,
        None => None,
    };
    let invoice = order.map_or_else(|| "-".to_string(), |o| o.invoice_id);
    let admins = shop.notice_recipients().await.map_err(|e| match e {
        crate::shop::ShopError::Store(s) => s,
        crate::shop::ShopError::Send(_) => store::StoreError::Join,
    })?;
    let notice = text(&invoice, row.chat_id, &row_age(row));
    let (id, chat) = (row.id, row.chat_id);
    shop.db()
        .write(move |c| {
            let tx = store::writer::begin(c)?;
            for admin in admins.into_iter().filter(|a| *a != chat) {
                store::outbox::enqueue(&tx, &store::outbox::Message::text(admin, notice.clone()), None)?;
            }
            store::outbox::mark_stuck_noticed(&tx, id)?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    shop.outbox_wake.notify_one();
    Ok(())
}

/// How long a row has waited, for people ("12 menit").
fn row_age(row: &store::outbox::Row) -> String {
    texts::duration_short((store::now() - row.created_at).max(0))
}

async fn send(shop: &Shop, chat: i64, payload: &Payload) -> Result<(), SendError> {
    let tg = shop.messenger();
    match payload {
        Payload::Text { text, buttons } => {
            let keyboard = if buttons.is_empty() { Keyboard::None } else { Keyboard::Inline(buttons.clone()) };
            tg.send(chat, Out { text: text.clone(), keyboard }).await.map(|_| ())
        }
        Payload::Plain { text } => tg.send_plain(chat, text.clone()).await.map(|_| ()),
        Payload::Document { file_name, content, caption } => tg
            .send_document(chat, file_name, content.clone().into_bytes(), Out::text(caption.clone()))
            .await
            .map(|_| ()),
        Payload::Delete { message_id } => tg.delete(chat, *message_id).await,
    }
}
