//! The Telegram boundary: teloxide in, [`crate::shop`] calls out, nothing more.

pub mod dispatch;
pub mod pacer;
pub mod polling;
pub mod telegram;
pub mod updates;

use teloxide::Bot;

use crate::config::Config;

/// A bot client for the configured Bot API base URL (the real one, or a local fake in tests).
pub fn client(config: &Config, token: &str) -> anyhow::Result<Bot> {
    let url =
        reqwest::Url::parse(&config.telegram_api_url).map_err(|_| anyhow::anyhow!("TELEGRAM_API_URL tidak valid"))?;
    let http = teloxide::net::default_reqwest_settings()
        .timeout(std::time::Duration::from_secs(config.telegram_timeout_seconds))
        .build()
        .map_err(|_| anyhow::anyhow!("HTTP client for Telegram could not be built"))?;
    Ok(Bot::with_client(token, http).set_api_url(url))
}

/// Seconds Telegram may hold a `getUpdates` call open: below the client's timeout, so a long
/// poll is never taken for a failure.
pub fn poll_timeout(config: &Config) -> u32 {
    u32::try_from(config.telegram_timeout_seconds.saturating_sub(2).clamp(1, 10)).unwrap_or(10)
}
