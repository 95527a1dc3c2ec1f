//! The variables themselves: placeholders left from `.env.example`, values that do not parse,
//! and what `serve` requires. Every bad variable is named (never its value), not only the first.

use std::collections::HashSet;

use crate::config::{Config, Source};

use super::Report;

/// Every variable whose value could be a placeholder copied from `.env.example`.
const VARS: &[&str] = &[
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "PAKASIR_PROJECT",
    "PAKASIR_API_KEY",
    "PAKASIR_WEBHOOK_SECRET",
    "PAKASIR_BASE_URL",
    "DATA_DIR",
    "DATABASE_KEY",
    "ADMIN_IDS",
    "STORE_NAME",
    "LOG_DIR",
    "BACKUP_DIR",
    "BACKUP_RECIPIENTS_FILE",
    "BACKUP_REMOTE",
];

/// A value copied from `.env.example` and never replaced.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.contains("replace-with") || v == "your-project-slug" || v.contains("example.com")
}

/// What to put in a variable instead of its placeholder.
fn how_to_fill(var: &str) -> &'static str {
    match var {
        "TELEGRAM_BOT_TOKEN" => "isi dengan token dari @BotFather",
        "DATABASE_KEY" => "isi dengan kunci dari `quickcart keygen` (kunci LAMA bila data sudah ada)", // pragma: allowlist secret
        "PAKASIR_PROJECT" | "PAKASIR_API_KEY" => "salin dari dasbor Pakasir (app.pakasir.com), menu proyek", // pragma: allowlist secret
        "PAKASIR_WEBHOOK_SECRET" | "TELEGRAM_WEBHOOK_SECRET" => {
            "isi dengan rahasia acak panjang (`openssl rand -hex 32`)"
        }
        "TELEGRAM_WEBHOOK_URL" => "isi https://DOMAIN-ANDA/webhook/telegram atau kosongkan (long polling)",
        _ => "isi dengan nilai asli atau kosongkan baris itu",
    }
}

/// Variables that stand or fall together: hiding one error's variable must make the next
/// parse get past it.
fn group(var: &'static str) -> &'static [&'static str] {
    match var {
        "PAKASIR_PROJECT" | "PAKASIR_API_KEY" | "PAKASIR_WEBHOOK_SECRET" => {
            &["PAKASIR_PROJECT", "PAKASIR_API_KEY", "PAKASIR_WEBHOOK_SECRET"]
        }
        "TELEGRAM_WEBHOOK_URL" | "TELEGRAM_WEBHOOK_SECRET" => &["TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"],
        "PAYMENT_EXPIRY_MINUTES" => &["PAYMENT_EXPIRY_MINUTES", "PAYMENT_EXPIRY_SECONDS"],
        "PAKASIR_QRIS_MIN" | "PAKASIR_QRIS_MAX" => &["PAKASIR_QRIS_MIN", "PAKASIR_QRIS_MAX"],
        "PAKASIR_VA_MIN" | "PAKASIR_VA_MAX" => &["PAKASIR_VA_MIN", "PAKASIR_VA_MAX"],
        _ => &[],
    }
}

/// `src` with some variables treated as unset.
struct Hiding<'a> {
    inner: &'a dyn Source,
    hidden: HashSet<&'static str>,
}

impl Source for Hiding<'_> {
    fn get(&self, key: &str) -> Option<String> {
        if self.hidden.contains(key) {
            None
        } else {
            self.inner.get(key)
        }
    }
}

/// Reports every placeholder and every invalid variable (failures), and returns the
/// configuration with those variables treated as unset, so the later checks still run on the
/// rest (`None` only if even that does not parse).
pub fn check(src: &dyn Source, r: &mut Report) -> Option<Config> {
    let mut view = Hiding { inner: src, hidden: HashSet::new() };
    let failures_before = r.failures();
    for var in VARS {
        if src.get(var).is_some_and(|v| is_placeholder(&v)) {
            r.fail(format!("{var} masih berisi contoh dari .env.example: {}", how_to_fill(var)));
            view.hidden.insert(var);
        }
    }
    // Each parse stops at the first bad variable: hide it (and its group) and parse again, so one
    // run names them all. Bounded: every round hides at least one more variable.
    let mut config = None;
    for _ in 0..64 {
        match Config::from_source(&view) {
            Ok(c) => {
                config = Some(c);
                break;
            }
            Err(e) => {
                r.fail(e.to_string());
                let before = view.hidden.len();
                view.hidden.insert(e.var());
                view.hidden.extend(group(e.var()).iter().copied());
                if view.hidden.len() == before {
                    break;
                }
            }
        }
    }
    let config = config?;
    if r.failures() == failures_before {
        r.ok("konfigurasi terbaca");
    }
    for (var, missing) in
        [("TELEGRAM_BOT_TOKEN", config.bot_token.is_none()), ("DATABASE_KEY", config.database_key.is_none())]
    {
        if view.hidden.contains(var) {
            continue;
        }
        if missing {
            r.fail(match var {
                "DATABASE_KEY" => {
                    "DATABASE_KEY belum diisi: buat dengan `quickcart keygen` (atau jalankan `quickcart setup`)"
                }
                _ => "TELEGRAM_BOT_TOKEN belum diisi: token dari @BotFather (atau jalankan `quickcart setup`)",
            });
        } else {
            r.ok(format!("{var} diisi"));
        }
    }
    let pakasir_reported = group("PAKASIR_PROJECT").iter().any(|v| view.hidden.contains(v));
    match &config.pakasir {
        Some(p) => {
            r.ok(format!("Pakasir proyek {} ({})", p.project, if p.sandbox { "sandbox diizinkan" } else { "produksi" }))
        }
        None if pakasir_reported => {}
        None => r.warn("PAKASIR_* belum diisi: pembayaran QRIS tidak aktif"),
    }
    match (&config.webhook_url, view.hidden.contains("TELEGRAM_WEBHOOK_URL")) {
        (_, true) => {}
        (Some(url), false) => r.ok(format!("mode webhook Telegram: {url}")),
        (None, false) => r.ok("mode long polling Telegram (TELEGRAM_WEBHOOK_URL kosong)"),
    }
    match (view.hidden.contains("ADMIN_IDS"), config.admin_ids.len()) {
        (true, _) => {}
        (false, 0) => r.warn("ADMIN_IDS kosong: tambahkan admin dengan `quickcart admin grant ID`"),
        (false, n) => r.ok(format!("{n} admin di ADMIN_IDS")),
    }
    Some(config)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_bad_variable_is_named_in_one_run() {
        let mut r = Report::default();
        let got = check(
            &env(&[
                ("DATABASE_KEY", "replace-with-64-hex-characters"),
                ("PAKASIR_PROJECT", "your-project-slug"),
                ("PAKASIR_API_KEY", "replace-with-your-pakasir-api-key"),
                ("PAKASIR_WEBHOOK_SECRET", "replace-with-a-long-random-secret"),
                ("HTTP_BIND", "nowhere"),
                ("ADMIN_IDS", "1,abc"),
                ("TELEGRAM_WEBHOOK_URL", "https://x.test/webhook/telegram"),
            ]),
            &mut r,
        );
        assert!(got.is_some_and(|c| c.pakasir.is_none() && c.database_key.is_none()));
        assert!(!r.healthy());
        let text = r.text();
        for var in [
            "DATABASE_KEY",
            "PAKASIR_PROJECT",
            "PAKASIR_API_KEY",
            "PAKASIR_WEBHOOK_SECRET",
            "HTTP_BIND",
            "ADMIN_IDS",
            "TELEGRAM_WEBHOOK_SECRET",
            "TELEGRAM_BOT_TOKEN",
        ] {
            assert!(text.contains(var), "{var} missing from:\n{text}");
        }
        assert!(!text.contains("replace-with-64"), "{text}");
    }
}
