//! Learning the owner's Telegram id: they send `/start` to their new bot, and the wizard reads
//! it with `getUpdates` (before the shop runs, nobody else is reading the bot's updates).

use std::time::Duration;

use serde_json::{json, Value};

use crate::ops::doctor::net::{bot_call, NoAnswer};

/// How long one wait for `/start` lasts (Telegram holds a long poll up to 50 s).
pub const WAIT_SECONDS: u64 = 50;

/// Who sent `/start`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    pub id: i64,
    pub name: String,
}

#[derive(Debug)]
pub enum StartWait {
    Found(Sender),
    /// No `/start` arrived in time.
    Nothing,
    /// A webhook is registered, so Telegram refuses `getUpdates` (409).
    WebhookSet,
    Failed(String),
}

/// Waits for a private `/start` and confirms every update read, so the shop does not answer
/// them again later.
pub async fn wait_for_start(client: &reqwest::Client, api: &str, token: &str) -> StartWait {
    let timeout = Duration::from_secs(WAIT_SECONDS + 10);
    let params = json!({"timeout": WAIT_SECONDS, "allowed_updates": ["message"]});
    let updates = match bot_call(client, api, token, "getUpdates", &params, timeout).await {
        Ok(Ok(Value::Array(u))) => u,
        Ok(Ok(_)) => return StartWait::Failed("jawaban getUpdates tidak dikenal".into()),
        Ok(Err((409, _))) => return StartWait::WebhookSet,
        Ok(Err((s, d))) => return StartWait::Failed(format!("HTTP {s} {d}")),
        Err(NoAnswer::Timeout(_)) => return StartWait::Nothing,
        Err(n) => return StartWait::Failed(n.describe("Telegram", api)),
    };
    let last = updates.iter().filter_map(|u| u.get("update_id").and_then(Value::as_i64)).max();
    // The newest /start wins: an older one may be a test message from before.
    let found = updates.iter().rev().find_map(start_sender);
    if let Some(last) = last {
        let confirm = json!({"offset": last + 1, "timeout": 0});
        let _ = bot_call(client, api, token, "getUpdates", &confirm, Duration::from_secs(10)).await;
    }
    match found {
        Some(s) => StartWait::Found(s),
        None => StartWait::Nothing,
    }
}

fn start_sender(update: &Value) -> Option<Sender> {
    let msg = update.get("message")?;
    if msg.pointer("/chat/type").and_then(Value::as_str) != Some("private") {
        return None;
    }
    let text = msg.get("text").and_then(Value::as_str)?;
    if !text.starts_with("/start") {
        return None;
    }
    let from = msg.get("from")?;
    let id = from.get("id").and_then(Value::as_i64).filter(|id| *id > 0)?;
    let first = from.get("first_name").and_then(Value::as_str).unwrap_or("");
    let name = match from.get("username").and_then(Value::as_str) {
        Some(u) => format!("{first} (@{u})"),
        None => first.to_string(),
    };
    Some(Sender { id, name })
}

/// Tells the owner in Telegram that the bot knows them now (best effort).
pub async fn greet_owner(client: &reqwest::Client, api: &str, token: &str, owner: i64) {
    let text = "QuickCart: akun ini dicatat sebagai admin toko (ADMIN_IDS). Lanjutkan pemasangan di server.";
    let _ =
        bot_call(client, api, token, "sendMessage", &json!({"chat_id": owner, "text": text}), Duration::from_secs(10))
            .await;
}
