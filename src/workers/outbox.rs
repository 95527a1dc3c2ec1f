//! Sends outbox rows to Telegram until Telegram accepts them. Honours 429 `retry_after`,
//! retries network failures with backoff, gives up only on permanent refusals.

use std::time::Duration;

use tokio::sync::watch;

use crate::{
    shop::{
        ports::{Button, Keyboard, Out, SendError},
        Shop,
    },
    store::{self, outbox::Payload},
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
                    shop.db().write(move |c| store::outbox::retry_at(c, id, at)).await?;
                    tracing::warn!(outbox = id, retry_after_s = d.as_secs(), "outbox: telegram rate limit");
                    return Ok(Some(d.max(Duration::from_millis(200))));
                }
                Err(SendError::Network(e)) => {
                    marks.settle(shop).await?;
                    let backoff = 2_i64.saturating_pow(u32::try_from(row.attempts.clamp(0, 8)).unwrap_or(8)).min(300);
                    let at = store::now() + backoff;
                    shop.db().write(move |c| store::outbox::retry_at(c, id, at)).await?;
                    tracing::warn!(outbox = id, error = %e, "outbox: telegram unreachable, will retry");
                    return Ok(Some(Duration::from_secs(1)));
                }
                Err(e @ (SendError::Blocked | SendError::Refused(_))) => {
                    // A deleted message that is already gone is a success; anything else is final.
                    if matches!(row.payload, Payload::Delete { .. }) {
                        shop.db().write(move |c| store::outbox::mark_sent(c, id)).await?;
                    } else {
                        tracing::warn!(outbox = id, chat = row.chat_id, error = %e, "outbox: message refused for good");
                        let (chat, blocked) = (row.chat_id, e == SendError::Blocked);
                        shop.db()
                            .write(move |c| {
                                if blocked {
                                    store::users::set_bot_blocked(c, chat, true)?;
                                }
                                store::outbox::mark_failed(c, id)
                            })
                            .await?;
                    }
                }
            }
        }
    }
}

async fn send(shop: &Shop, chat: i64, payload: &Payload) -> Result<(), SendError> {
    let tg = shop.messenger();
    match payload {
        Payload::Text { text, buttons } => {
            let keyboard = if buttons.is_empty() {
                Keyboard::None
            } else {
                Keyboard::Inline(
                    buttons
                        .iter()
                        .map(|row| {
                            row.iter()
                                .map(|b| match (&b.data, &b.url) {
                                    (Some(data), _) => Button::Callback { text: b.text.clone(), data: data.clone() },
                                    (None, Some(url)) => Button::Url { text: b.text.clone(), url: url.clone() },
                                    (None, None) => Button::Callback { text: b.text.clone(), data: "noop".into() },
                                })
                                .collect()
                        })
                        .collect(),
                )
            };
            tg.send(chat, Out { text: text.clone(), keyboard }).await.map(|_| ())
        }
        Payload::Document { file_name, content, caption } => tg
            .send_document(chat, file_name, content.clone().into_bytes(), Out::text(caption.clone()))
            .await
            .map(|_| ()),
        Payload::Delete { message_id } => tg.delete(chat, *message_id).await,
    }
}
