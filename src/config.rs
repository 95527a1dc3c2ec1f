//! Typed configuration from the environment (and `.env`). Secrets are wrapped in [`Secret`] so
//! they never reach a log line or an error text by accident.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr};

/// A value that must never be printed. `Debug`/`Display` show a mask.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// The only way to read the value; grep for it when auditing secret use.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The SQLCipher raw key: exactly 64 hex characters (32 bytes).
#[derive(Clone, Debug)]
pub struct DbKey(Secret<String>);

impl DbKey {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(Secret::new(raw.to_ascii_lowercase())))
        } else {
            Err(ConfigError::Invalid {
                var: "DATABASE_KEY",
                why: "harus 64 karakter heksadesimal (buat dengan `quickcart keygen`)",
            })
        }
    }
    pub fn hex(&self) -> &str {
        self.0.expose()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} belum diisi ({why})")]
    Missing { var: &'static str, why: &'static str },
    #[error("{var} tidak valid: {why}")]
    Invalid { var: &'static str, why: &'static str },
}

impl ConfigError {
    /// The variable the error is about (`doctor` reports every one, not only the first).
    pub fn var(&self) -> &'static str {
        match self {
            Self::Missing { var, .. } | Self::Invalid { var, .. } => var,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PakasirConfig {
    pub project: String,
    pub api_key: Secret<String>,
    pub webhook_secret: Secret<String>,
    pub base_url: String,
    pub sandbox: bool,
    /// Create and cancel calls per second the client sends at most (`PAKASIR_CALLS_PER_SECOND`,
    /// default 2: Pakasir answers 429 beyond about that).
    pub calls_per_second: u32,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub bot_token: Option<Secret<String>>,
    pub telegram_api_url: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<Secret<String>>,
    pub pakasir: Option<PakasirConfig>,
    pub data_dir: PathBuf,
    pub database_key: Option<DbKey>,
    pub http_bind: SocketAddr,
    pub metrics_bind: SocketAddr,
    pub admin_ids: Vec<i64>,
    pub store_name: String,
    pub payment_expiry_minutes: u32,
    /// The invoice lifetime in seconds: `PAYMENT_EXPIRY_MINUTES`, or `PAYMENT_EXPIRY_SECONDS`
    /// when set (for tests and demos that cannot wait minutes).
    pub payment_expiry_seconds: u64,
    /// How often each pending QRIS order is checked at Pakasir (`PAKASIR_POLL_SECONDS`, ≥ 4 s:
    /// Pakasir allows one status call per 4 s per transaction).
    pub pakasir_poll_seconds: u64,
    /// Pakasir webhook requests per minute per caller (`PAKASIR_WEBHOOK_LIMIT_PER_MINUTE`; load
    /// tests post every webhook from 127.0.0.1).
    pub pakasir_webhook_limit_per_minute: u32,
    /// The ways to pay through Pakasir the shop offers (`PAKASIR_METHODS`, default `qris`).
    pub pakasir_methods: Vec<crate::domain::payment::PayMethod>,
    /// Least and most one QRIS payment may be (`PAKASIR_QRIS_MIN`/`_MAX`, Rp500–Rp10.000.000).
    pub qris_limits: crate::domain::payment::Limits,
    /// Least and most one bank transfer may be (`PAKASIR_VA_MIN`/`_MAX`, Rp10.000–Rp50.000.000).
    pub va_limits: crate::domain::payment::Limits,
    /// How long one Bot API call may take before it counts as failed and is retried
    /// (`TELEGRAM_TIMEOUT_SECONDS`, default 17 s like teloxide's; tests shorten it).
    pub telegram_timeout_seconds: u64,
    /// Messages per second the bot sends in all (`TELEGRAM_MESSAGES_PER_SECOND`, default 30,
    /// Telegram's limit): one budget for replies, deliveries, notices and broadcasts.
    pub telegram_messages_per_second: u32,
    /// Least milliseconds between two background messages to one private chat
    /// (`TELEGRAM_CHAT_PACING_MS`, default 1100: Telegram takes about one a second per chat;
    /// groups get three times as long). 0 turns per-chat pacing off (tests that flood a chat).
    pub telegram_chat_pacing_ms: u32,
    pub throttle_limit: u32,
    pub throttle_window_seconds: u32,
    pub log_dir: PathBuf,
    pub log_retention_days: u32,
    pub backup_dir: PathBuf,
    pub backup_recipients_file: Option<PathBuf>,
    /// `BACKUP_REMOTE`: an rclone remote (`name:path`) that receives every backup; `None` =
    /// backups stay on this machine only.
    pub backup_remote: Option<String>,
    pub session_ttl_seconds: u64,
    pub broadcast_rate: u32,
    pub abuse_block_hours: u32,
}

/// Where configuration values come from; the process environment in production, a map in tests.
pub trait Source {
    fn get(&self, key: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

impl Source for std::collections::HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        std::collections::HashMap::get(self, key).cloned()
    }
}

fn non_empty(src: &dyn Source, key: &str) -> Option<String> {
    src.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn parsed<T: FromStr>(src: &dyn Source, key: &'static str, default: T, why: &'static str) -> Result<T, ConfigError> {
    match non_empty(src, key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError::Invalid { var: key, why }),
    }
}

/// A method's payment limits in rupiah: each 1–1.000.000.000, the minimum not above the maximum.
fn limits(
    src: &dyn Source,
    (min_var, max_var): (&'static str, &'static str),
    (min, max): (u32, u32),
) -> Result<crate::domain::payment::Limits, ConfigError> {
    let why = "harus 1–1000000000 rupiah";
    let min = bounded(src, min_var, min, 1..=1_000_000_000, why)?;
    let max = bounded(src, max_var, max, 1..=1_000_000_000, why)?;
    if min > max {
        return Err(ConfigError::Invalid { var: min_var, why: "tidak boleh lebih dari maksimumnya" });
    }
    Ok(crate::domain::payment::Limits { min: i64::from(min), max: i64::from(max) })
}

fn bounded(
    src: &dyn Source,
    key: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
    why: &'static str,
) -> Result<u32, ConfigError> {
    let v: u32 = parsed(src, key, default, why)?;
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(ConfigError::Invalid { var: key, why })
    }
}

fn url(src: &dyn Source, key: &'static str, default: &str) -> Result<String, ConfigError> {
    let v = non_empty(src, key).unwrap_or_else(|| default.to_string());
    if reqwest::Url::parse(&v).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
        Ok(v.trim_end_matches('/').to_string())
    } else {
        Err(ConfigError::Invalid { var: key, why: "harus URL http(s)" })
    }
}

fn bool_var(src: &dyn Source, key: &'static str) -> Result<bool, ConfigError> {
    match non_empty(src, key).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(_) => Err(ConfigError::Invalid { var: key, why: "harus true atau false" }),
    }
}

/// Pakasir's own, generous limit per source address (it retries failed notifications).
pub const DEFAULT_WEBHOOK_LIMIT_PER_MINUTE: u32 = 300;

impl Config {
    /// The invoice lifetime in seconds as the clock's type (bounded by the parser, so the
    /// conversion cannot fail; the largest lifetime stands in if it ever did).
    pub fn invoice_lifetime(&self) -> i64 {
        i64::try_from(self.payment_expiry_seconds).unwrap_or(86_400)
    }

    /// Reads every variable of SPEC §1. Required-for-a-feature variables are `Option`s here and
    /// demanded by the feature (see [`Config::require_serve`]).
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let database_key = non_empty(src, "DATABASE_KEY").map(|k| DbKey::parse(&k)).transpose()?;
        let bot_token = non_empty(src, "TELEGRAM_BOT_TOKEN").map(Secret::new);
        if let Some(t) = &bot_token {
            if !crate::security::redact::looks_like_bot_token(t.expose()) {
                return Err(ConfigError::Invalid {
                    var: "TELEGRAM_BOT_TOKEN",
                    why: "bentuknya harus 123456:ABC... dari BotFather",
                });
            }
        }
        let webhook_url = non_empty(src, "TELEGRAM_WEBHOOK_URL");
        let webhook_secret = non_empty(src, "TELEGRAM_WEBHOOK_SECRET").map(Secret::new);
        if webhook_url.is_some() && webhook_secret.is_none() {
            return Err(ConfigError::Missing {
                var: "TELEGRAM_WEBHOOK_SECRET",
                why: "wajib bila TELEGRAM_WEBHOOK_URL diisi",
            });
        }
        let pakasir = Self::pakasir(src)?;
        let admin_ids = match non_empty(src, "ADMIN_IDS") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<i64>().ok().filter(|id| *id > 0))
                .collect::<Option<Vec<_>>>()
                .ok_or(ConfigError::Invalid { var: "ADMIN_IDS", why: "harus daftar id Telegram dipisah koma" })?,
        };
        let store_name = non_empty(src, "STORE_NAME").unwrap_or_else(|| "QuickCart".into());
        if store_name.chars().count() > 64 {
            return Err(ConfigError::Invalid { var: "STORE_NAME", why: "maksimal 64 karakter" });
        }
        let payment_expiry_minutes = bounded(src, "PAYMENT_EXPIRY_MINUTES", 10, 1..=1440, "harus 1–1440 menit")?;
        Ok(Self {
            bot_token,
            telegram_api_url: url(src, "TELEGRAM_API_URL", "https://api.telegram.org")?,
            webhook_url,
            webhook_secret,
            pakasir,
            data_dir: non_empty(src, "DATA_DIR").unwrap_or_else(|| "./data".into()).into(),
            database_key,
            http_bind: parsed(src, "HTTP_BIND", default_addr(8080), "harus alamat seperti 127.0.0.1:8080")?,
            metrics_bind: parsed(src, "METRICS_BIND", default_addr(9090), "harus alamat seperti 127.0.0.1:9090")?,
            admin_ids,
            store_name,
            payment_expiry_minutes,
            payment_expiry_seconds: match non_empty(src, "PAYMENT_EXPIRY_SECONDS") {
                Some(_) => u64::from(bounded(src, "PAYMENT_EXPIRY_SECONDS", 600, 1..=86_400, "harus 1–86400 detik")?),
                None => u64::from(payment_expiry_minutes) * 60,
            },
            pakasir_poll_seconds: u64::from(bounded(src, "PAKASIR_POLL_SECONDS", 10, 4..=3600, "harus 4–3600 detik")?),
            pakasir_webhook_limit_per_minute: bounded(
                src,
                "PAKASIR_WEBHOOK_LIMIT_PER_MINUTE",
                DEFAULT_WEBHOOK_LIMIT_PER_MINUTE,
                1..=1_000_000,
                "harus 1–1000000",
            )?,
            pakasir_methods: match non_empty(src, "PAKASIR_METHODS") {
                None => vec![crate::domain::payment::PayMethod::Qris],
                Some(list) => crate::domain::payment::PayMethod::parse_list(&list).ok_or(ConfigError::Invalid {
                    var: "PAKASIR_METHODS",
                    why: "daftar dipisah koma dari: qris, bri_va, bni_va, cimb_niaga_va, permata_va, maybank_va, bnc_va, artha_graha_va, atm_bersama_va, sampoerna_va",
                })?,
            },
            qris_limits: limits(src, ("PAKASIR_QRIS_MIN", "PAKASIR_QRIS_MAX"), (500, 10_000_000))?,
            va_limits: limits(src, ("PAKASIR_VA_MIN", "PAKASIR_VA_MAX"), (10_000, 50_000_000))?,
            telegram_timeout_seconds: u64::from(bounded(
                src,
                "TELEGRAM_TIMEOUT_SECONDS",
                17,
                3..=120,
                "harus 3–120 detik",
            )?),
            telegram_messages_per_second: bounded(
                src,
                "TELEGRAM_MESSAGES_PER_SECOND",
                30,
                1..=1_000,
                "harus 1–1000 pesan per detik",
            )?,
            telegram_chat_pacing_ms: bounded(src, "TELEGRAM_CHAT_PACING_MS", 1_100, 0..=60_000, "harus 0–60000 ms")?,
            throttle_limit: bounded(src, "TELEGRAM_THROTTLE_LIMIT", 8, 1..=10_000, "harus 1–10000")?,
            throttle_window_seconds: bounded(
                src,
                "TELEGRAM_THROTTLE_WINDOW_SECONDS",
                10,
                1..=3600,
                "harus 1–3600 detik",
            )?,
            log_dir: non_empty(src, "LOG_DIR").unwrap_or_else(|| "./logs".into()).into(),
            log_retention_days: bounded(src, "LOG_RETENTION_DAYS", 30, 1..=3650, "harus 1–3650 hari")?,
            backup_dir: non_empty(src, "BACKUP_DIR").unwrap_or_else(|| "./backups".into()).into(),
            backup_recipients_file: non_empty(src, "BACKUP_RECIPIENTS_FILE").map(PathBuf::from),
            backup_remote: backup_remote(src)?,
            session_ttl_seconds: u64::from(bounded(
                src,
                "SESSION_TTL_SECONDS",
                86_400,
                60..=2_592_000,
                "harus 60–2592000 detik",
            )?),
            broadcast_rate: bounded(src, "BROADCAST_RATE", 25, 1..=30, "harus 1–30 pesan per detik")?,
            abuse_block_hours: bounded(src, "ABUSE_BLOCK_HOURS", 24, 1..=8760, "harus 1–8760 jam")?,
        })
    }

    fn pakasir(src: &dyn Source) -> Result<Option<PakasirConfig>, ConfigError> {
        let project = non_empty(src, "PAKASIR_PROJECT");
        let api_key = non_empty(src, "PAKASIR_API_KEY");
        let secret = non_empty(src, "PAKASIR_WEBHOOK_SECRET");
        let base_url = url(src, "PAKASIR_BASE_URL", "https://app.pakasir.com")?;
        let sandbox = bool_var(src, "PAKASIR_SANDBOX")?;
        let calls_per_second = bounded(src, "PAKASIR_CALLS_PER_SECOND", 2, 1..=100, "harus 1–100 per detik")?;
        match (project, api_key, secret) {
            (None, None, None) => Ok(None),
            (Some(project), Some(api_key), Some(secret)) => {
                if !project.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(ConfigError::Invalid { var: "PAKASIR_PROJECT", why: "hanya huruf, angka, - dan _" });
                }
                Ok(Some(PakasirConfig {
                    project,
                    api_key: Secret::new(api_key),
                    webhook_secret: Secret::new(secret),
                    base_url,
                    sandbox,
                    calls_per_second,
                }))
            }
            (None, _, _) => Err(missing_pakasir("PAKASIR_PROJECT")),
            (_, None, _) => Err(missing_pakasir("PAKASIR_API_KEY")),
            (_, _, None) => Err(missing_pakasir("PAKASIR_WEBHOOK_SECRET")),
        }
    }

    /// `serve` needs a bot token and a database key.
    pub fn require_serve(&self) -> Result<(&Secret<String>, &DbKey), ConfigError> {
        let token = self.bot_token.as_ref().ok_or(ConfigError::Missing {
            var: "TELEGRAM_BOT_TOKEN",
            why: "wajib untuk serve; dapatkan dari @BotFather",
        })?;
        Ok((token, self.require_key()?))
    }

    pub fn require_key(&self) -> Result<&DbKey, ConfigError> {
        self.database_key.as_ref().ok_or(ConfigError::Missing {
            var: "DATABASE_KEY",
            why: "64 karakter heksadesimal; buat dengan `quickcart keygen`",
        })
    }

    /// Every secret value, for the log redactor.
    pub fn secret_values(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        if let Some(t) = &self.bot_token {
            v.push(t.expose());
            // The part after the colon is the secret half of a bot token.
            if let Some((_, tail)) = t.expose().split_once(':') {
                v.push(tail);
            }
        }
        if let Some(s) = &self.webhook_secret {
            v.push(s.expose());
        }
        if let Some(p) = &self.pakasir {
            v.push(p.api_key.expose());
            v.push(p.webhook_secret.expose());
        }
        if let Some(k) = &self.database_key {
            v.push(k.hex());
        }
        v
    }

    pub fn is_env_admin(&self, user_id: i64) -> bool {
        self.admin_ids.contains(&user_id)
    }
}

fn missing_pakasir(var: &'static str) -> ConfigError {
    ConfigError::Missing { var, why: "PAKASIR_PROJECT, PAKASIR_API_KEY dan PAKASIR_WEBHOOK_SECRET diisi bersama" }
}

/// `name:path` (or an rclone connection string `:backend:path`); never an option, a bare local
/// path or several lines.
fn backup_remote(src: &dyn Source) -> Result<Option<String>, ConfigError> {
    let Some(v) = non_empty(src, "BACKUP_REMOTE") else { return Ok(None) };
    let name = v.strip_prefix(':').unwrap_or(&v).split(':').next().unwrap_or_default();
    if !v.contains(':') || name.is_empty() || v.starts_with('-') || v.chars().any(char::is_control) {
        return Err(ConfigError::Invalid {
            var: "BACKUP_REMOTE",
            why: "harus remote rclone NAMA:PATH, mis. b2:toko-backup (buat dengan `rclone config`)",
        });
    }
    Ok(Some(v))
}

fn default_addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Loads `.env` from the working directory if there is one; the real environment wins.
pub fn load_dotenv() -> Result<(), String> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        // The error text of dotenvy can quote the offending line, which may hold a secret.
        Err(dotenvy::Error::LineParse(_, idx)) => Err(format!(".env tidak valid di sekitar karakter {idx}")),
        Err(_) => Err(".env tidak dapat dibaca".into()),
    }
}

/// Loads an environment file given on the command line (e.g. `doctor --env-file`); the real
/// environment wins, as with `.env`.
pub fn load_env_file(path: &std::path::Path) -> Result<(), String> {
    match dotenvy::from_path(path) {
        Ok(()) => Ok(()),
        Err(dotenvy::Error::LineParse(_, idx)) => {
            Err(format!("{} tidak valid di sekitar karakter {idx}", path.display()))
        }
        Err(_) => Err(format!("{} tidak dapat dibaca", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn defaults_match_the_spec() {
        let c = Config::from_source(&env(&[])).unwrap();
        assert_eq!(c.telegram_api_url, "https://api.telegram.org");
        assert_eq!(c.http_bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.metrics_bind.to_string(), "127.0.0.1:9090");
        assert_eq!(c.payment_expiry_minutes, 10);
        assert_eq!((c.throttle_limit, c.throttle_window_seconds), (8, 10));
        assert_eq!(c.session_ttl_seconds, 86_400);
        assert_eq!(c.broadcast_rate, 25);
        assert_eq!(c.store_name, "QuickCart");
        assert!(c.pakasir.is_none());
    }

    #[test]
    fn pakasir_methods_and_limits() {
        use crate::domain::payment::{Bank, Limits, PayMethod};
        let c = Config::from_source(&env(&[])).unwrap();
        assert_eq!(c.pakasir_methods, vec![PayMethod::Qris]);
        assert_eq!(c.qris_limits, Limits { min: 500, max: 10_000_000 });
        assert_eq!(c.va_limits, Limits { min: 10_000, max: 50_000_000 });
        let c = Config::from_source(&env(&[("PAKASIR_METHODS", "qris, bni_va"), ("PAKASIR_VA_MIN", "20000")])).unwrap();
        assert_eq!(c.pakasir_methods, vec![PayMethod::Qris, PayMethod::Va(Bank::Bni)]);
        assert_eq!(c.va_limits.min, 20_000);
        let e = Config::from_source(&env(&[("PAKASIR_METHODS", "qris,gopay")])).unwrap_err();
        assert_eq!(e.var(), "PAKASIR_METHODS");
        let e = Config::from_source(&env(&[("PAKASIR_QRIS_MIN", "20000000")])).unwrap_err();
        assert_eq!(e.var(), "PAKASIR_QRIS_MIN");
    }

    #[test]
    fn malformed_values_name_the_variable_not_the_value() {
        let e = Config::from_source(&env(&[("DATABASE_KEY", "hunter2-secret")])).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("DATABASE_KEY"));
        assert!(!text.contains("hunter2"));
        let e = Config::from_source(&env(&[("ADMIN_IDS", "1,abc")])).unwrap_err();
        assert!(e.to_string().contains("ADMIN_IDS"));
        let e = Config::from_source(&env(&[("PAKASIR_PROJECT", "shop")])).unwrap_err();
        assert!(e.to_string().contains("PAKASIR_API_KEY"));
        let e = Config::from_source(&env(&[("HTTP_BIND", "nowhere")])).unwrap_err();
        assert!(e.to_string().contains("HTTP_BIND"));
        for bad in ["/var/backups", "-x:y", ":", "::y", "a:b\nc"] {
            let e = Config::from_source(&env(&[("BACKUP_REMOTE", bad)])).unwrap_err();
            assert!(e.to_string().contains("BACKUP_REMOTE"), "{bad}");
        }
        for good in ["b2:toko/backup", "r:", ":local:/tmp/x"] {
            assert_eq!(Config::from_source(&env(&[("BACKUP_REMOTE", good)])).unwrap().backup_remote.unwrap(), good);
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Config::from_source(&env(&[
            ("DATABASE_KEY", KEY),
            ("TELEGRAM_BOT_TOKEN", "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ("PAKASIR_PROJECT", "shop"),
            ("PAKASIR_API_KEY", "pk_live_supersecret"),
            ("PAKASIR_WEBHOOK_SECRET", "whsec_supersecret"),
        ]))
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(KEY));
        assert!(!dbg.contains("AAAAAAAAAAAAAAAAAAAA"));
        assert!(!dbg.contains("supersecret"));
        assert_eq!(c.admin_ids, Vec::<i64>::new());
    }

    #[test]
    fn admin_ids_parse() {
        let c = Config::from_source(&env(&[("ADMIN_IDS", " 42, 7 ,")])).unwrap();
        assert_eq!(c.admin_ids, vec![42, 7]);
        assert!(c.is_env_admin(7));
    }
}
