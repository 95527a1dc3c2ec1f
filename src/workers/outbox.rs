//! Sends outbox rows to Telegram until Telegram accepts them (the delivery guarantee of SPEC §12).
//! 429 waits `retry_after`; 5xx, timeouts, resets and nonsense answers are retried with backoff
//! (admins hear of a delivery stuck that way); a chat that blocked the bot or is gone gets its
//! rows parked until it talks to the bot again; a message refused for its content falls back to
//! plain text, then to a `.txt` document. Only non-deliveries are ever given up.

use std::time::Duration;

use tokio::sync::watch;

use crate::{
    domain::digest::Digest,
    shop::{
        ports::{Keyboard, Out, SendError},
        Shop,
    },
    store::{self, outbox::Payload},
    texts,
};

/// Rows read at once, and at most this many of one chat (so that an admin chat with a queue
/// of notices cannot fill a read and hold everyone else back).
const BATCH: i64 = 200;
const PER_CHAT: i64 = 10;
/// Chats sent to at once. Telegram is tens to hundreds of milliseconds away: one call at a time
/// is ten messages a second at 100 ms. The pacer keeps the total under Telegram's limit.
const IN_FLIGHT: usize = 64;
/// Sends the outbox: one lane per chat (its rows in order), many chats at once, chats with a
/// delivery first. A lane's rows are marked sent before its chat can be read again, so nothing
/// is sent twice. A 429 holds back only its chat's rows (they wait for their retry time); when
/// Telegram means the whole bot, the pacer holds every send.
pub async fn run(shop: Shop, mut shutdown: watch::Receiver<bool>) {
    let mut lanes = tokio::task::JoinSet::new();
    let mut busy = std::collections::HashSet::new();
    loop {
        if lanes.len() < IN_FLIGHT {
            match shop.db().call(|c| store::outbox::due(c, BATCH, PER_CHAT)).await {
                Ok(rows) => {
                    for (chat, rows) in by_chat(rows) {
                        if lanes.len() >= IN_FLIGHT {
                            break;
                        }
                        if busy.insert(chat) {
                            lanes.spawn(lane(shop.clone(), chat, rows));
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "outbox: database error"),
            }
        }
        let wake = shop.outbox_wake.clone();
        tokio::select! {
            _ = shutdown.changed() => {
                // Sends in flight finish (and are marked) before the process stops.
                while lanes.join_next().await.is_some() {}
                return;
            }
            ended = lanes.join_next(), if !lanes.is_empty() => {
                if let Some(Ok(chat)) = ended {
                    busy.remove(&chat);
                }
            }
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if *shutdown.borrow() {
            while lanes.join_next().await.is_some() {}
            return;
        }
    }
}

/// Rows grouped by chat, keeping the order in which `due` ranked the chats.
fn by_chat(rows: Vec<store::outbox::Row>) -> Vec<(i64, Vec<store::outbox::Row>)> {
    let mut out: Vec<(i64, Vec<store::outbox::Row>)> = Vec::new();
    for row in rows {
        match out.iter_mut().find(|(c, _)| *c == row.chat_id) {
            Some((_, rows)) => rows.push(row),
            None => out.push((row.chat_id, vec![row])),
        }
    }
    for (_, rows) in &mut out {
        rows.sort_by_key(|r| r.id);
    }
    out
}

/// Sends one chat's rows in order until one cannot go now; marks what was sent.
async fn lane(shop: Shop, chat: i64, rows: Vec<store::outbox::Row>) -> i64 {
    let mut sent = Vec::new();
    let mut rows = std::collections::VecDeque::from(rows);
    while let Some(row) = rows.pop_front() {
        let (payload, covers) = coalesce(&shop, &row, &mut rows).await;
        match send(&shop, row.chat_id, &payload).await {
            Ok(()) | Err(SendError::NotModified) => sent.extend(covers),
            Err(e) => match failed(&shop, &row, e).await {
                Ok(Next::Done) => sent.extend(covers),
                // The notices a failed digest summed up are still due: read again, in order.
                Ok(Next::Continue) if covers.len() > 1 => break,
                Ok(Next::Continue) => {}
                Ok(Next::Stop) => break,
                Err(e) => {
                    tracing::error!(error = %e, chat, "outbox: database error");
                    break;
                }
            },
        }
    }
    if !sent.is_empty() {
        // Written before the chat can be read again: a sent row is never sent twice.
        if let Err(e) = shop.db().write(move |c| store::outbox::mark_sent_all(c, &sent)).await {
            tracing::error!(error = %e, chat, "outbox: sent rows not marked (they will be sent again)");
        }
    }
    shop.outbox_wake.notify_one();
    chat
}

/// Most notices one digest sums up (beyond, the next digest takes them).
const DIGEST_MAX: i64 = 1_000;

/// The payload to send for `first`, and the rows it covers. A run of admin notices due together
/// in one chat becomes one digest: under a flash sale Telegram lets an admin chat take one
/// message a second (a group one every three), so one notice per order would reach the admin
/// minutes late. A notice that is alone goes out as it is, at once.
async fn coalesce(
    shop: &Shop,
    first: &store::outbox::Row,
    rest: &mut std::collections::VecDeque<store::outbox::Row>,
) -> (Payload, Vec<i64>) {
    let single = || (first.payload.clone(), vec![first.id]);
    let Payload::Notice { tally, .. } = &first.payload else { return single() };
    let mut run = vec![(tally.clone(), first.created_at, first.id)];
    while let Some(Payload::Notice { tally, .. }) = rest.front().map(|r| &r.payload) {
        let tally = tally.clone();
        if let Some(row) = rest.pop_front() {
            run.push((tally, row.created_at, row.id));
        }
    }
    if rest.is_empty() && run.len() > 1 {
        // The read hands a lane only the start of a long queue: sum up the rest of the run too.
        let (chat, after) = (first.chat_id, run.last().map_or(first.id, |r| r.2));
        match shop.db().call(move |c| store::outbox::due_in_chat(c, chat, after, DIGEST_MAX)).await {
            Ok(more) => {
                for row in more {
                    let Payload::Notice { tally, .. } = row.payload else { break };
                    run.push((tally, row.created_at, row.id));
                }
            }
            Err(e) => tracing::warn!(error = %e, chat, "outbox: could not read the rest of a digest"),
        }
    }
    if run.len() == 1 {
        return single();
    }
    let digest = Digest::of(run.iter().map(|(tally, at, _)| (tally, *at)));
    let text = texts::admin_digest(&digest);
    (Payload::Text { text, buttons: Vec::new() }, run.into_iter().map(|(_, _, id)| id).collect())
}

/// What a lane does after a failed send.
enum Next {
    /// Nothing more to do for this row: count it as sent.
    Done,
    /// The row is dealt with (failed for good); go on with the chat's next row.
    Continue,
    /// The chat's next rows wait (a retry, a simpler form, a parked chat).
    Stop,
}

async fn failed(shop: &Shop, row: &store::outbox::Row, error: SendError) -> Result<Next, store::StoreError> {
    let id = row.id;
    match error {
        SendError::NotModified => Ok(Next::Done),
        SendError::RetryAfter(d) => {
            let at = store::now() + i64::try_from(d.as_secs()).unwrap_or(30).max(1);
            shop.db().write(move |c| store::outbox::retry_at(c, id, at, "429")).await?;
            tracing::warn!(outbox = id, chat = row.chat_id, retry_after_s = d.as_secs(), "outbox: telegram rate limit");
            Ok(Next::Stop)
        }
        SendError::Network(e) => {
            let backoff = 2_i64.saturating_pow(u32::try_from(row.attempts.clamp(0, 8)).unwrap_or(8)).min(300);
            let at = store::now() + backoff;
            let error = e.clone();
            shop.db().write(move |c| store::outbox::retry_at(c, id, at, &error)).await?;
            tracing::warn!(outbox = id, error = %e, "outbox: telegram unreachable, will retry");
            if row.delivery && row.attempts + 1 >= STUCK_AFTER_ATTEMPTS && !row.stuck_noticed {
                tell_admins_stuck(shop, row, &texts::delivery_stuck_admin).await?;
            }
            Ok(Next::Stop)
        }
        // A message that is already gone (or too old to delete) needs no deleting.
        SendError::Blocked | SendError::Refused(_) if matches!(row.payload, Payload::Delete { .. }) => Ok(Next::Done),
        SendError::Blocked => {
            tracing::warn!(outbox = id, chat = row.chat_id, "outbox: chat unreachable, its messages are parked");
            let chat = row.chat_id;
            shop.db()
                .write(move |c| {
                    store::users::set_bot_blocked(c, chat, true)?;
                    store::outbox::park_chat(c, chat)
                })
                .await?;
            if row.delivery && !row.stuck_noticed {
                tell_admins_stuck(shop, row, &texts::delivery_parked_admin).await?;
            }
            Ok(Next::Stop)
        }
        SendError::Refused(e) => match fallback(&row.payload) {
            Some(simpler) => {
                tracing::warn!(outbox = id, error = %e, "outbox: refused, sending a simpler form");
                shop.db().write(move |c| store::outbox::replace_payload(c, id, &simpler)).await?;
                Ok(Next::Stop)
            }
            None => {
                tracing::error!(outbox = id, chat = row.chat_id, error = %e, "outbox: refused in every form");
                let error = e.clone();
                shop.db().write(move |c| store::outbox::mark_failed(c, id, &error)).await?;
                if row.delivery && !row.stuck_noticed {
                    tell_admins_stuck(shop, row, &texts::delivery_parked_admin).await?;
                }
                Ok(Next::Continue)
            }
        },
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
        Payload::Text { text, .. } | Payload::Notice { text, .. } => {
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
    let notices: Vec<_> =
        admins.into_iter().filter(|a| *a != chat).map(|a| store::outbox::Message::text(a, notice.clone())).collect();
    shop.db()
        .transact(move |tx| {
            store::outbox::enqueue_all(tx, &notices, None)?;
            store::outbox::mark_stuck_noticed(tx, id)
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
    let tg = shop.background_messenger();
    match payload {
        Payload::Text { text, buttons } => {
            let keyboard = if buttons.is_empty() { Keyboard::None } else { Keyboard::Inline(buttons.clone()) };
            tg.send(chat, Out { text: text.clone(), keyboard }).await.map(|_| ())
        }
        Payload::Plain { text } => tg.send_plain(chat, text.clone()).await.map(|_| ()),
        Payload::Notice { text, .. } => tg.send(chat, Out::text(text.clone())).await.map(|_| ()),
        Payload::Document { file_name, content, caption } => tg
            .send_document(chat, file_name, content.clone().into_bytes(), Out::text(caption.clone()))
            .await
            .map(|_| ()),
        Payload::Delete { message_id } => tg.delete(chat, *message_id).await,
    }
}
