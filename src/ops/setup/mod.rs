//! `quickcart setup`: first-time configuration of a VM, asked step by step (or given as flags
//! with `--yes`). Each answer is checked where it can be (the token with `getMe`, the Pakasir key
//! with the doctor's authenticated call); keys are generated; the environment file (0600) and the
//! Caddy site are written; then the doctor runs on the result.

mod caddy;
mod envfile;
mod layout;
mod prompt;
mod secrets;
mod telegram;

use std::path::PathBuf;

use anyhow::{anyhow, bail};

use crate::ops::doctor::{
    self,
    net::{self, PakasirAuth, TelegramMe},
    Level,
};
use crate::ops::keys;
use crate::security::redact::looks_like_bot_token;

use envfile::{real, Values};
pub use layout::Layout;
use prompt::Prompt;

/// What the command line gave; anything missing is asked (or, with `yes`, an error).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub bot_token: Option<String>,
    pub admin_id: Option<i64>,
    pub pakasir_project: Option<String>,
    pub pakasir_api_key: Option<String>,
    pub pakasir_webhook_secret: Option<String>,
    pub domain: Option<String>,
    /// Long polling, no Caddy site (`--no-domain`).
    pub no_domain: bool,
    pub env_file: PathBuf,
    pub caddyfile: PathBuf,
    pub recipients_file: PathBuf,
    pub identity_file: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub backup_dir: PathBuf,
    /// Never ask; a missing answer is an error naming its flag.
    pub yes: bool,
    /// Replace a configured environment file without asking (its DATABASE_KEY is still kept).
    pub force: bool,
    /// The user the shop runs as (for the doctor's ownership checks and `--fix`).
    pub user: Option<String>,
}

/// The Bot API and Pakasir base URLs: the environment's (tests, or a proxy), else the defaults.
fn base_urls(existing: &Values) -> (String, String) {
    let pick = |key: &str, default: &str| {
        std::env::var(key)
            .ok()
            .or_else(|| existing.get(key).cloned())
            .map(|v| v.trim().trim_end_matches('/').to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    (pick("TELEGRAM_API_URL", "https://api.telegram.org"), pick("PAKASIR_BASE_URL", "https://app.pakasir.com"))
}

fn random_secret() -> String {
    keys::new_database_key()
}

/// Runs the wizard; `Ok(false)` when everything was written but the doctor found a problem.
pub async fn run(opts: Options) -> anyhow::Result<bool> {
    let mut p = Prompt::new(!opts.yes);
    p.say("QuickCart setup: token bot, admin, Pakasir, kunci, domain. Jawab tiap pertanyaan lalu Enter.");
    p.say(format!("Konfigurasi ditulis ke {}.", opts.env_file.display()));
    let existing = envfile::read(&opts.env_file)?.unwrap_or_default();
    if envfile::is_configured(&existing) && !opts.force {
        p.say(format!("{} sudah berisi konfigurasi (DATABASE_KEY-nya tetap dipakai).", opts.env_file.display()));
        if !p.confirm("Ganti konfigurasi itu?", false, "--force", None)? {
            bail!("dibatalkan: {} tidak diubah", opts.env_file.display());
        }
    }
    let (api, pakasir_base) = base_urls(&existing);
    let client = net::client(net::TIMEOUT).ok_or_else(|| anyhow!("klien HTTP tidak dapat dibuat"))?;

    let old_token = real(&existing, "TELEGRAM_BOT_TOKEN").map(str::to_string);
    let (token, bot) = ask_token(&mut p, &client, &api, opts.bot_token.clone(), old_token).await?;
    let admin_ids = ask_admin(&mut p, &client, &api, &token, &bot, opts.admin_id, &existing).await?;
    let pakasir = ask_pakasir(&mut p, &client, &pakasir_base, &opts, &existing).await?;
    // Whatever the old file had (STORE_NAME, tuning…) stays; placeholders from .env.example do not.
    let mut values: Values = existing
        .iter()
        .filter(|(_, v)| !doctor::vars::is_placeholder(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let db_key = secrets::database_key(&existing, &opts.data_dir)?;
    p.say(match real(&existing, "DATABASE_KEY") {
        Some(_) => "DATABASE_KEY: kunci yang sudah ada tetap dipakai.".to_string(),
        None => "DATABASE_KEY: kunci baru dibuat (simpan salinannya di pengelola kata sandi di luar VM).".to_string(),
    });
    secrets::backup_keys(&p, &opts)?;
    let domain = ask_domain(&mut p, &opts, &existing)?;

    let set = |values: &mut Values, k: &str, v: &str| {
        values.insert(k.to_string(), v.to_string());
    };
    set(&mut values, "TELEGRAM_BOT_TOKEN", &token);
    set(&mut values, "TELEGRAM_API_URL", &api);
    set(&mut values, "ADMIN_IDS", &admin_ids);
    set(&mut values, "DATABASE_KEY", &db_key);
    set(&mut values, "PAKASIR_BASE_URL", &pakasir_base);
    match &pakasir {
        Some((project, key, secret)) => {
            set(&mut values, "PAKASIR_PROJECT", project);
            set(&mut values, "PAKASIR_API_KEY", key);
            set(&mut values, "PAKASIR_WEBHOOK_SECRET", secret);
        }
        None => {
            for k in ["PAKASIR_PROJECT", "PAKASIR_API_KEY", "PAKASIR_WEBHOOK_SECRET"] {
                set(&mut values, k, "");
            }
        }
    }
    for (k, path) in [
        ("DATA_DIR", &opts.data_dir),
        ("LOG_DIR", &opts.log_dir),
        ("BACKUP_DIR", &opts.backup_dir),
        ("BACKUP_RECIPIENTS_FILE", &opts.recipients_file),
    ] {
        set(&mut values, k, &path.display().to_string());
    }
    match &domain {
        Some(d) => {
            set(&mut values, "TELEGRAM_WEBHOOK_URL", &format!("https://{d}/webhook/telegram"));
            let secret = real(&existing, "TELEGRAM_WEBHOOK_SECRET").map_or_else(random_secret, str::to_string);
            set(&mut values, "TELEGRAM_WEBHOOK_SECRET", &secret);
        }
        None => {
            set(&mut values, "TELEGRAM_WEBHOOK_URL", "");
            set(&mut values, "TELEGRAM_WEBHOOK_SECRET", "");
        }
    }

    let header = format!(
        "# QuickCart configuration, written by `quickcart setup` on {}.\n\
         # Holds every secret of the shop: root only (mode 0600). systemd reads it for the service.\n\
         # Run `quickcart setup` again to change it (DATABASE_KEY is kept), then\n\
         # `systemctl restart quickcart`.\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    envfile::write_atomic(&opts.env_file, &envfile::render(&values, &header), 0o600)?;
    p.say(format!("\n{} ditulis (mode 0600).", opts.env_file.display()));
    if let Some(d) = &domain {
        p.say(caddy::write(&opts.caddyfile, &caddy::render(d)?)?);
        p.say(format!(
            "\nDi dasbor Pakasir (proyek → Webhook), isi URL webhook:\n    https://{d}/webhook/pakasir\n\
             dan rahasia webhook (X-Secret) yang sama dengan PAKASIR_WEBHOOK_SECRET; tampilkan dengan:\n    \
             grep PAKASIR_WEBHOOK_SECRET {}",
            opts.env_file.display()
        ));
    }

    p.say("\nPemeriksaan (quickcart doctor):");
    let written: std::collections::HashMap<String, String> =
        envfile::read(&opts.env_file)?.unwrap_or_default().into_iter().collect();
    let doctor_opts =
        doctor::Options { offline: false, fix: true, env_file: Some(opts.env_file.clone()), user: opts.user.clone() };
    let report = doctor::run(&written, &doctor_opts).await;
    p.say(report.text());
    let env = opts.env_file.display();
    let shop = Layout::for_env_file(&opts.env_file);
    p.say(format!(
        "\nLangkah berikutnya:\n  1) {}systemctl enable --now {}\n  \
         2) quickcart doctor --env-file {env}   (dan log: journalctl -u {} -f)",
        if domain.is_some() { "systemctl reload caddy && " } else { "" },
        shop.units(),
        shop.service(),
    ));
    Ok(report.healthy())
}

/// The bot token, checked with `getMe`; asked again until Telegram takes it.
async fn ask_token(
    p: &mut Prompt,
    client: &reqwest::Client,
    api: &str,
    mut given: Option<String>,
    old: Option<String>,
) -> anyhow::Result<(String, String)> {
    loop {
        let token = match given.take() {
            Some(t) => t,
            None => p.ask_or_keep(
                "\nToken bot dari @BotFather (bentuknya 123456789:AA...)",
                "--bot-token",
                old.as_deref(),
                false,
            )?,
        };
        if !looks_like_bot_token(&token) {
            p.say("  bentuk token salah: salin utuh dari @BotFather (/mybots → API Token).");
        } else {
            let me = net::telegram_me(client, api, &token, net::TIMEOUT).await;
            if let TelegramMe::Bot { username } = &me {
                p.say(format!("  ✓ token diterima: bot @{username}"));
                return Ok((token, username.clone()));
            }
            p.say(format!("  {}", net::telegram_line(&me, api).1));
        }
        if !p.interactive() {
            bail!("--bot-token tidak diterima");
        }
    }
}

/// The owner's Telegram id: from `--admin-id`, typed, or learned from their `/start`.
async fn ask_admin(
    p: &mut Prompt,
    client: &reqwest::Client,
    api: &str,
    token: &str,
    bot: &str,
    given: Option<i64>,
    existing: &Values,
) -> anyhow::Result<String> {
    if let Some(id) = given {
        return Ok(id.to_string());
    }
    if let Some(ids) = real(existing, "ADMIN_IDS") {
        if p.confirm(&format!("\nADMIN_IDS={ids} dipertahankan?"), true, "--admin-id", Some(true))? {
            return Ok(ids.to_string());
        }
    }
    if !p.interactive() {
        bail!("--admin-id ID wajib diisi dengan --yes");
    }
    p.say(format!(
        "\nAdmin toko: buka Telegram dari akun Anda, cari @{bot}, kirim /start, lalu tekan Enter di sini.\n\
         (Atau ketik id Telegram Anda, angka dari @userinfobot, lalu Enter.)"
    ));
    loop {
        let answer = p.ask("Enter setelah /start terkirim, atau id Anda", "--admin-id")?;
        if !answer.is_empty() {
            match answer.parse::<i64>() {
                Ok(id) if id > 0 => return Ok(id.to_string()),
                _ => {
                    p.say("  id Telegram adalah angka positif, mis. 123456789");
                    continue;
                }
            }
        }
        p.say(format!("  menunggu /start di @{bot} (paling lama {} detik)...", telegram::WAIT_SECONDS));
        match telegram::wait_for_start(client, api, token).await {
            telegram::StartWait::Found(s) => {
                p.say(format!("  ✓ /start dari {}: id {}", s.name, s.id));
                telegram::greet_owner(client, api, token, s.id).await;
                return Ok(s.id.to_string());
            }
            telegram::StartWait::Nothing => p.say("  belum ada /start yang masuk: kirim /start ke bot, lalu Enter lagi."),
            telegram::StartWait::WebhookSet => p.say(
                "  bot ini punya webhook terdaftar (toko sudah berjalan dengan webhook?), jadi pesannya tidak dapat\n  \
                 dibaca di sini: ketik id Telegram Anda (dari @userinfobot).",
            ),
            telegram::StartWait::Failed(why) => p.say(format!("  getUpdates gagal ({why}): coba lagi, atau ketik id Anda.")),
        }
    }
}

/// A value that goes into the environment file unquoted: no spaces, quotes or `$`.
fn plain(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| c.is_ascii_graphic() && !"'\"$\\#`".contains(c))
}

/// Project, API key (checked with the doctor's authenticated call) and webhook secret; `None`
/// when the owner leaves Pakasir out (no QRIS payments).
async fn ask_pakasir(
    p: &mut Prompt,
    client: &reqwest::Client,
    base: &str,
    opts: &Options,
    existing: &Values,
) -> anyhow::Result<Option<(String, String, String)>> {
    let (mut project_flag, mut key_flag) = (opts.pakasir_project.clone(), opts.pakasir_api_key.clone());
    if p.interactive() {
        p.say("\nPakasir (pembayaran QRIS): slug proyek dan API key ada di dasbor app.pakasir.com → proyek Anda.");
    }
    let (project, key) = loop {
        let project = match project_flag.take() {
            Some(v) => v,
            None => {
                let old = real(existing, "PAKASIR_PROJECT");
                let a = p.ask_or_keep("Slug proyek Pakasir (`-` = tanpa QRIS)", "--pakasir-project", old, true)?;
                if a == "-" {
                    p.say("  tanpa Pakasir: pembayaran QRIS tidak aktif (isi nanti dengan `quickcart setup`).");
                    return Ok(None);
                }
                a
            }
        };
        let key = match key_flag.take() {
            Some(v) => v,
            None => p.ask_or_keep("API key Pakasir", "--pakasir-api-key", real(existing, "PAKASIR_API_KEY"), false)?,
        };
        let project_ok =
            !project.is_empty() && project.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !project_ok || !plain(&key) {
            p.say("  slug proyek hanya huruf, angka, - dan _; API key tanpa spasi atau tanda kutip.");
        } else {
            let auth = net::pakasir_auth(client, base, &project, &key, net::TIMEOUT).await;
            let (level, line) = net::pakasir_line(&auth, &project, base);
            p.say(format!("  {}{line}", if level == Level::Ok { "✓ " } else { "" }));
            match auth {
                PakasirAuth::Accepted => break (project, key),
                // Pakasir could not say: keep the answer, the doctor reports it again at the end.
                PakasirAuth::NoAnswer(_) | PakasirAuth::Odd(..) => break (project, key),
                PakasirAuth::KeyRefused(_) | PakasirAuth::UnknownProject => {}
            }
        }
        if !p.interactive() {
            bail!("--pakasir-project/--pakasir-api-key tidak diterima Pakasir");
        }
    };
    let secret = match opts.pakasir_webhook_secret.clone() {
        Some(s) => s,
        None => {
            let old = real(existing, "PAKASIR_WEBHOOK_SECRET").map(str::to_string);
            let a = if p.interactive() {
                let hint = if old.is_some() { "Enter = yang lama" } else { "Enter = buat rahasia acak yang kuat" };
                p.ask(&format!("Rahasia webhook Pakasir (X-Secret) [{hint}]"), "--pakasir-webhook-secret")?
            } else {
                String::new()
            };
            match (a.is_empty(), old) {
                (false, _) => a,
                (true, Some(o)) => o,
                (true, None) => random_secret(),
            }
        }
    };
    if !plain(&secret) || secret.len() < 16 {
        bail!("rahasia webhook Pakasir minimal 16 karakter, tanpa spasi atau tanda kutip");
    }
    Ok(Some((project, key, secret)))
}

/// The shop's domain, or `None` for long polling without Caddy.
fn ask_domain(p: &mut Prompt, opts: &Options, existing: &Values) -> anyhow::Result<Option<String>> {
    if opts.no_domain {
        return Ok(None);
    }
    if let Some(d) = &opts.domain {
        return caddy::domain(d).map(Some);
    }
    let old = real(existing, "TELEGRAM_WEBHOOK_URL")
        .and_then(|u| u.strip_prefix("https://"))
        .and_then(|u| u.split('/').next())
        .map(str::to_string);
    if !p.interactive() {
        return match old {
            Some(d) => Ok(Some(d)),
            None => bail!("--domain DOMAIN (atau --no-domain) wajib diisi dengan --yes"),
        };
    }
    p.say(
        "\nDomain toko: nama yang A/AAAA record-nya menunjuk ke VM ini, port 80 dan 443 terbuka (Caddy mengambil\n\
         sertifikat TLS otomatis). Tanpa domain (`-`): bot memakai long polling dan pembayaran dicek berkala,\n\
         tanpa webhook Pakasir.",
    );
    loop {
        let hint = old.as_ref().map(|o| format!(" [Enter = {o}]")).unwrap_or_default();
        let a = p.ask(&format!("Domain{hint}"), "--domain")?;
        let chosen = match (a.as_str(), &old) {
            ("-", _) => return Ok(None),
            ("", Some(o)) => o.clone(),
            _ => a,
        };
        match caddy::domain(&chosen) {
            Ok(d) => return Ok(Some(d)),
            Err(e) => p.say(format!("  {e}")),
        }
    }
}
