//! `quickcart doctor`: checks configuration, key, files and reachability, and says what to fix.

use std::time::Duration;

use crate::{
    config::{Config, ConfigError, ProcessEnv},
    ops::maintenance,
    store,
};

#[derive(Default)]
pub struct Report {
    lines: Vec<String>,
    failures: usize,
}

impl Report {
    fn ok(&mut self, what: impl AsRef<str>) {
        self.lines.push(format!("ok    {}", what.as_ref()));
    }
    fn warn(&mut self, what: impl AsRef<str>) {
        self.lines.push(format!("warn  {}", what.as_ref()));
    }
    fn fail(&mut self, what: impl AsRef<str>) {
        self.failures += 1;
        self.lines.push(format!("FAIL  {}", what.as_ref()));
    }
    pub fn text(&self) -> String {
        let mut s = self.lines.join("\n");
        s.push('\n');
        s.push_str(&if self.failures == 0 {
            "semua pemeriksaan lulus".to_string()
        } else {
            format!("{} masalah perlu diperbaiki", self.failures)
        });
        s
    }
    pub fn healthy(&self) -> bool {
        self.failures == 0
    }
}

pub async fn run(offline: bool) -> Report {
    let mut r = Report::default();
    let config = match Config::from_source(&ProcessEnv) {
        Ok(c) => {
            r.ok("konfigurasi terbaca");
            c
        }
        Err(e) => {
            r.fail(format!("konfigurasi: {e}"));
            return r;
        }
    };
    check_secrets(&config, &mut r);
    check_files(&config, &mut r);
    if !offline {
        check_network(&config, &mut r).await;
    }
    r
}

fn check_secrets(config: &Config, r: &mut Report) {
    match config.require_serve() {
        Ok(_) => r.ok("TELEGRAM_BOT_TOKEN dan DATABASE_KEY diisi"),
        Err(ConfigError::Missing { var, why } | ConfigError::Invalid { var, why }) => r.fail(format!("{var}: {why}")),
    }
    match &config.pakasir {
        Some(p) => r.ok(format!(
            "Pakasir project {} ({})",
            p.project,
            if p.sandbox { "sandbox diizinkan" } else { "produksi" }
        )),
        None => r.warn("PAKASIR_* belum diisi: pembayaran QRIS tidak aktif"),
    }
    if config.admin_ids.is_empty() {
        r.warn("ADMIN_IDS kosong: tambahkan admin dengan `quickcart admin grant ID`");
    } else {
        r.ok(format!("{} admin di ADMIN_IDS", config.admin_ids.len()));
    }
    if config.backup_recipients_file.is_none() {
        r.warn("BACKUP_RECIPIENTS_FILE belum diisi: `quickcart backup create` belum bisa dipakai");
    }
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(".env") {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            r.fail(".env dapat dibaca pengguna lain: jalankan `chmod 600 .env`");
        } else {
            r.ok(".env hanya dapat dibaca pemiliknya");
        }
    }
}

fn check_files(config: &Config, r: &mut Report) {
    for (name, dir) in [("DATA_DIR", &config.data_dir), ("LOG_DIR", &config.log_dir)] {
        if maintenance::writable(dir) {
            r.ok(format!("{name} {} dapat ditulis", dir.display()));
        } else {
            r.fail(format!("{name} {} tidak dapat ditulis: periksa izin folder", dir.display()));
        }
    }
    let Some(key) = &config.database_key else { return };
    for file in [store::SHOP_FILE, store::AUDIT_FILE] {
        let path = config.data_dir.join(file);
        if !path.exists() {
            r.warn(format!("{file} belum ada: dibuat saat `quickcart serve` atau `quickcart db migrate`"));
            continue;
        }
        match store::open_one(&path, key).and_then(|c| Ok((store::migrate::version(&c)?, store::check::check(&c)?))) {
            Ok((_, problems)) if !problems.is_empty() => r.fail(format!("{file}: {}", problems.join("; "))),
            Ok((v, _)) => r.ok(format!("{file} terbuka dengan DATABASE_KEY (schema versi {v})")),
            Err(store::StoreError::WrongKey) => r.fail(format!("{file}: DATABASE_KEY salah untuk berkas ini")),
            Err(e) => r.fail(format!("{file}: {e}")),
        }
    }
}

async fn check_network(config: &Config, r: &mut Report) {
    let Ok(client) = reqwest::Client::builder().timeout(Duration::from_secs(5)).build() else {
        r.fail("klien HTTP tidak dapat dibuat");
        return;
    };
    if let Some(token) = &config.bot_token {
        let url = format!("{}/bot{}/getMe", config.telegram_api_url, token.expose());
        match client.post(url).send().await {
            Ok(resp) if resp.status().is_success() => r.ok("Telegram Bot API terjangkau, token diterima"),
            Ok(resp) if resp.status().as_u16() == 401 || resp.status().as_u16() == 404 => {
                r.fail("Telegram menolak TELEGRAM_BOT_TOKEN: periksa token dari @BotFather")
            }
            Ok(resp) => r.warn(format!("Telegram menjawab HTTP {}", resp.status().as_u16())),
            Err(_) => r.fail(format!("Telegram tidak terjangkau ({}) dalam 5 detik", config.telegram_api_url)),
        }
    }
    if let Some(p) = &config.pakasir {
        match client.get(&p.base_url).send().await {
            Ok(_) => r.ok(format!("Pakasir terjangkau ({})", p.base_url)),
            Err(_) => r.fail(format!("Pakasir tidak terjangkau ({}) dalam 5 detik", p.base_url)),
        }
    }
}
