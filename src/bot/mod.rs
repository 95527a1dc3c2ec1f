//! The Telegram boundary: teloxide in, [`crate::shop`] calls out, nothing more.

pub mod dispatch;
pub mod polling;
pub mod telegram;
pub mod updates;

use teloxide::Bot;

use crate::config::Config;

/// A bot client for the configured Bot API base URL (the real one, or a local fake in tests).
pub fn client(config: &Config, token: &str) -> anyhow::Result<Bot> {
    let url =
        reqwest::Url::parse(&config.telegram_api_url).map_err(|_| anyhow::anyhow!("TELEGRAM_API_URL tidak valid"))?;
    Ok(Bot::new(token).set_api_url(url))
}
