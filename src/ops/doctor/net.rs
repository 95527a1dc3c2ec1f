//! Telegram and Pakasir, each asked something only the right credentials answer, with a short
//! timeout, both at once. `quickcart setup` asks the same questions through these functions.

use std::time::Duration;

use serde_json::Value;

use crate::config::Config;

use super::{Level, Report};

/// No network check waits longer than this.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A transaction id no shop has: the status call answers "not found" to a key it accepts.
const PROBE_TXN: &str = "quickcart-doctor-probe";

pub fn client(timeout: Duration) -> Option<reqwest::Client> {
    reqwest::Client::builder().timeout(timeout).connect_timeout(timeout).build().ok()
}

/// Why a call got no answer, in words that never carry the URL (a bot token is in it).
fn no_answer(e: &reqwest::Error, timeout: Duration) -> NoAnswer {
    if e.is_timeout() {
        NoAnswer::Timeout(timeout.as_secs())
    } else {
        NoAnswer::Unreachable
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoAnswer {
    /// No answer within this many seconds.
    Timeout(u64),
    /// Connection refused, DNS, TLS…
    Unreachable,
}

impl NoAnswer {
    pub fn describe(&self, what: &str, url: &str) -> String {
        match self {
            NoAnswer::Timeout(s) => {
                format!("{what} ({url}) tidak menjawab dalam {s} detik: periksa jaringan keluar VM")
            }
            NoAnswer::Unreachable => {
                format!("{what} ({url}) tidak terjangkau: periksa DNS, firewall keluar, atau alamat URL-nya")
            }
        }
    }
}

/// The answer to `getMe`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TelegramMe {
    /// The token works; the bot's @username.
    Bot {
        username: String,
    },
    /// 401/404: Telegram does not know this token.
    Refused(u16),
    NoAnswer(NoAnswer),
    /// Anything else (status, or not the Bot API's JSON).
    Odd(u16),
}

/// A Bot API call; `Ok` carries `result`, `Err(status, description)` an error answer.
pub async fn bot_call(
    client: &reqwest::Client,
    api_url: &str,
    token: &str,
    method: &str,
    params: &Value,
    timeout: Duration,
) -> Result<Result<Value, (u16, String)>, NoAnswer> {
    let url = format!("{api_url}/bot{token}/{method}");
    let resp = client.post(url).timeout(timeout).json(params).send().await.map_err(|e| no_answer(&e, timeout))?;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status == 200 && body.get("ok") == Some(&Value::Bool(true)) {
        return Ok(Ok(body.get("result").cloned().unwrap_or(Value::Null)));
    }
    let description = body.get("description").and_then(Value::as_str).unwrap_or("").to_string();
    Ok(Err((status, crate::security::redact::mask_tokens(&description).into_owned())))
}

pub async fn telegram_me(client: &reqwest::Client, api_url: &str, token: &str, timeout: Duration) -> TelegramMe {
    match bot_call(client, api_url, token, "getMe", &Value::Object(Default::default()), timeout).await {
        Ok(Ok(me)) => match me.get("username").and_then(Value::as_str) {
            Some(u) => TelegramMe::Bot { username: u.to_string() },
            None => TelegramMe::Odd(200),
        },
        Ok(Err((status @ (401 | 404), _))) => TelegramMe::Refused(status),
        Ok(Err((status, _))) => TelegramMe::Odd(status),
        Err(e) => TelegramMe::NoAnswer(e),
    }
}

/// The answer to Pakasir's status call for a transaction that does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PakasirAuth {
    /// The key was accepted ("transaction not found").
    Accepted,
    /// 401/403: the API key is wrong.
    KeyRefused(u16),
    /// 404 about the project: the slug is wrong.
    UnknownProject,
    NoAnswer(NoAnswer),
    /// Anything else: status and Pakasir's `message`.
    Odd(u16, String),
}

pub async fn pakasir_auth(
    client: &reqwest::Client,
    base_url: &str,
    project: &str,
    api_key: &str,
    timeout: Duration,
) -> PakasirAuth {
    use crate::pakasir::client::{endpoint, API_KEY_HEADER};
    let url = endpoint(base_url, project, "transaction-status", PROBE_TXN);
    let resp = match client.get(url).timeout(timeout).header(API_KEY_HEADER, api_key).send().await {
        Ok(r) => r,
        Err(e) => return PakasirAuth::NoAnswer(no_answer(&e, timeout)),
    };
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let message = body.get("message").and_then(Value::as_str).unwrap_or("").chars().take(200).collect::<String>();
    match status {
        401 | 403 => PakasirAuth::KeyRefused(status),
        404 if message.to_ascii_lowercase().contains("project") => PakasirAuth::UnknownProject,
        // Not found for a made-up transaction (or, for an odd gateway, found): the key passed.
        404 | 200 => PakasirAuth::Accepted,
        _ => PakasirAuth::Odd(status, message),
    }
}

/// One report line for a Pakasir answer (shared with `setup`).
pub fn pakasir_line(auth: &PakasirAuth, project: &str, base_url: &str) -> (Level, String) {
    match auth {
        PakasirAuth::Accepted => (Level::Ok, format!("Pakasir menerima PAKASIR_API_KEY untuk proyek {project}")),
        PakasirAuth::KeyRefused(s) => (
            Level::Fail,
            format!(
                "Pakasir menolak PAKASIR_API_KEY (HTTP {s}): salin lagi API key dari dasbor Pakasir, proyek {project}"
            ),
        ),
        PakasirAuth::UnknownProject => (
            Level::Fail,
            format!("Pakasir tidak mengenal proyek {project}: periksa PAKASIR_PROJECT (slug proyek di dasbor Pakasir)"),
        ),
        PakasirAuth::NoAnswer(n) => (Level::Fail, n.describe("Pakasir", base_url)),
        PakasirAuth::Odd(s, m) => {
            (Level::Warn, format!("Pakasir menjawab HTTP {s} ({m}): kunci belum dapat dipastikan, coba lagi nanti"))
        }
    }
}

/// One report line for a `getMe` answer (shared with `setup`).
pub fn telegram_line(me: &TelegramMe, api_url: &str) -> (Level, String) {
    match me {
        TelegramMe::Bot { username } => (Level::Ok, format!("Telegram menerima TELEGRAM_BOT_TOKEN: bot @{username}")),
        TelegramMe::Refused(s) => (
            Level::Fail,
            format!("Telegram menolak TELEGRAM_BOT_TOKEN (HTTP {s}): salin lagi token dari @BotFather (/mybots → API Token)"),
        ),
        TelegramMe::NoAnswer(n) => (Level::Fail, n.describe("Telegram", api_url)),
        TelegramMe::Odd(s) => (Level::Warn, format!("Telegram menjawab HTTP {s} pada getMe: coba lagi nanti")),
    }
}

/// The network part of `doctor`: Telegram and Pakasir at the same time.
pub async fn check(config: &Config) -> Report {
    let Some(client) = client(TIMEOUT) else {
        let mut r = Report::default();
        r.fail("klien HTTP tidak dapat dibuat");
        return r;
    };
    let (mut tg, pk) = tokio::join!(check_telegram(&client, config), check_pakasir(&client, config));
    tg.extend(pk);
    tg
}

async fn check_telegram(client: &reqwest::Client, config: &Config) -> Report {
    let mut r = Report::default();
    let Some(token) = &config.bot_token else { return r };
    // TELEGRAM_TIMEOUT_SECONDS is how long the shop itself waits; never more than TIMEOUT here.
    let timeout = Duration::from_secs(config.telegram_timeout_seconds).min(TIMEOUT);
    let api = &config.telegram_api_url;
    let me = telegram_me(client, api, token.expose(), timeout).await;
    let (level, line) = telegram_line(&me, api);
    r.push(level, line);
    if !matches!(me, TelegramMe::Bot { .. }) {
        return r;
    }
    let info = match bot_call(client, api, token.expose(), "getWebhookInfo", &serde_json::json!({}), timeout).await {
        Ok(Ok(info)) => info,
        Ok(Err((s, d))) => {
            r.warn(format!("getWebhookInfo gagal (HTTP {s} {d})"));
            return r;
        }
        Err(n) => {
            r.warn(n.describe("Telegram getWebhookInfo", api));
            return r;
        }
    };
    let registered = info.get("url").and_then(Value::as_str).unwrap_or("");
    match (&config.webhook_url, registered) {
        (Some(want), got) if got == want => r.ok(format!("webhook Telegram terdaftar: {got}")),
        (Some(want), "") => r.warn(format!(
            "webhook Telegram belum terdaftar; `quickcart serve` mendaftarkan {want} saat mulai (Caddy harus sudah \
             melayani domain itu)"
        )),
        (Some(want), got) => r.warn(format!(
            "webhook Telegram terdaftar ke {got}, bukan {want}; `quickcart serve` menggantinya saat mulai"
        )),
        (None, "") => r.ok("tidak ada webhook Telegram terdaftar (long polling)"),
        (None, got) => r.warn(format!(
            "webhook Telegram {got} masih terdaftar; `quickcart serve` menghapusnya saat mulai (long polling)"
        )),
    }
    if let Some(err) = info.get("last_error_message").and_then(Value::as_str).filter(|e| !e.is_empty()) {
        r.warn(format!(
            "Telegram gagal mengirim ke webhook: \"{}\": periksa Caddy, DNS domain, dan port 443",
            crate::security::redact::mask_tokens(err)
        ));
    }
    r
}

async fn check_pakasir(client: &reqwest::Client, config: &Config) -> Report {
    let mut r = Report::default();
    let Some(p) = &config.pakasir else { return r };
    let auth = pakasir_auth(client, &p.base_url, &p.project, p.api_key.expose(), TIMEOUT).await;
    let (level, line) = pakasir_line(&auth, &p.project, &p.base_url);
    r.push(level, line);
    r
}
