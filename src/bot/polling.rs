//! Long polling with `getUpdates`. Our own loop (not teloxide's dispatcher) so that every update
//! goes through the same [`Dispatcher`] as webhook updates, and shutdown is ours to control.

use std::time::Duration;

use teloxide::{payloads::GetUpdatesSetters, prelude::Requester, types::AllowedUpdate, Bot, RequestError};
use tokio::sync::watch;

use super::{dispatch::Dispatcher, updates::convert};

/// `poll_timeout`: seconds Telegram holds a `getUpdates` call open (below the client's timeout).
pub async fn run(bot: Bot, dispatcher: Dispatcher, poll_timeout: u32, mut shutdown: watch::Receiver<bool>) {
    // A webhook left over from webhook mode makes getUpdates fail with a conflict.
    if let Err(e) = bot.delete_webhook().await {
        tracing::warn!(error = %crate::security::redact::mask_tokens(&e.to_string()), "deleteWebhook failed");
    }
    let mut offset: i32 = 0;
    let mut backoff = Duration::from_millis(500);
    loop {
        let request = bot.get_updates().offset(offset).timeout(poll_timeout).allowed_updates(vec![
            AllowedUpdate::Message,
            AllowedUpdate::CallbackQuery,
            AllowedUpdate::PreCheckoutQuery,
        ]);
        let result = tokio::select! {
            _ = shutdown.changed() => break,
            r = request => r,
        };
        match result {
            Ok(updates) => {
                backoff = Duration::from_millis(500);
                for update in updates {
                    offset = offset.max(i32::try_from(update.id.0).unwrap_or(i32::MAX).saturating_add(1));
                    if let Some(inc) = convert(&update) {
                        dispatcher.submit(inc, "polling");
                    }
                }
            }
            Err(e) => {
                let wait = match &e {
                    RequestError::RetryAfter(s) => s.duration(),
                    _ => backoff,
                };
                tracing::warn!(
                    error = %crate::security::redact::mask_tokens(&e.to_string()),
                    wait_ms = wait.as_millis() as u64,
                    "getUpdates failed"
                );
                backoff = (backoff * 2).min(Duration::from_secs(30));
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}
