//! `quickcart setup` (issue 15, point 3), end to end through stdin against the fake Telegram and
//! fake Pakasir: the answers are checked, keys generated, the environment file (0600) and the
//! Caddy site written, and `doctor` passes on the result.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::{App, BIN, PAKASIR_API_KEY, PAKASIR_PROJECT, TOKEN};

const OWNER: i64 = 424_242;
const DOMAIN: &str = "toko.quickcart.test";
const WRONG_TOKEN: &str = "987654321:WRONG-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"; // pragma: allowlist secret

struct Paths {
    env_file: PathBuf,
    caddyfile: PathBuf,
    recipients: PathBuf,
    identity: PathBuf,
    data: PathBuf,
    logs: PathBuf,
    backups: PathBuf,
}

fn paths(app: &App) -> Paths {
    let d = app.dir.path();
    Paths {
        env_file: d.join("etc/quickcart/quickcart.env"),
        caddyfile: d.join("etc/caddy/Caddyfile"),
        recipients: d.join("etc/quickcart/backup-recipients.txt"),
        identity: d.join("root/quickcart-backup-identity.txt"),
        data: d.join("var/lib/quickcart/data"),
        logs: d.join("var/log/quickcart"),
        backups: d.join("var/lib/quickcart/backups"),
    }
}

/// The binary with only what a root shell on the VM would have, plus the fakes' URLs.
fn bare(app: &App, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_clear().current_dir(app.dir.path());
    for k in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(k) {
            cmd.env(k, v);
        }
    }
    cmd.env("QUICKCART_USER", &app.env["QUICKCART_USER"]);
    cmd
}

fn setup(app: &App, p: &Paths, extra: &[&str]) -> Command {
    let s = |x: &Path| x.display().to_string();
    let mut args: Vec<String> = vec!["setup".into()];
    for (flag, path) in [
        ("--env-file", &p.env_file),
        ("--caddyfile", &p.caddyfile),
        ("--recipients-file", &p.recipients),
        ("--identity-file", &p.identity),
        ("--data-dir", &p.data),
        ("--log-dir", &p.logs),
        ("--backup-dir", &p.backups),
    ] {
        args.push(flag.into());
        args.push(s(path));
    }
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = bare(app, &args);
    cmd.env("TELEGRAM_API_URL", app.tg.url()).env("PAKASIR_BASE_URL", app.pakasir.url());
    cmd
}

/// Runs `cmd` with `input` on stdin (a pipe, as a script would).
async fn run(mut cmd: Command, input: &str) -> Output {
    let input = input.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // The wizard may stop reading early (an error): a broken pipe is not the test's failure.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn env_values(p: &Path) -> std::collections::HashMap<String, String> {
    dotenvy::from_path_iter(p).unwrap().map(|kv| kv.unwrap()).collect()
}

async fn doctor(app: &App, p: &Paths) -> Output {
    let env = p.env_file.display().to_string();
    run(bare(app, &["doctor", "--env-file", &env]), "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_run_through_stdin_writes_a_config_the_doctor_passes() {
    let app = App::prepare(|_| {}).await;
    app.tg.accept_only_token(Some(TOKEN));
    let p = paths(&app);
    // The owner sends /start to the new bot (the fake keeps it until read).
    app.tg.send_text(OWNER, "/start");
    let input = [
        "123:short",       // not a token: asked again
        WRONG_TOKEN,       // well-formed, Telegram refuses it: asked again
        TOKEN,             // accepted
        "",                // Enter: /start was sent
        PAKASIR_PROJECT,   //
        "a-wrong-api-key", // refused by Pakasir: project and key asked again
        PAKASIR_PROJECT,   //
        PAKASIR_API_KEY,   // accepted
        "",                // generate the webhook secret
        DOMAIN,            //
    ]
    .join("\n")
        + "\n";
    let out = run(setup(&app, &p, &[]), &input).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");

    // What the owner saw.
    assert!(all.contains("bentuk token salah"), "{all}");
    assert!(all.contains("Telegram menolak TELEGRAM_BOT_TOKEN"), "{all}");
    assert!(all.contains("token diterima: bot @QuickCartTestBot"), "{all}");
    assert!(all.contains(&format!("id {OWNER}")), "{all}");
    assert!(all.contains("Pakasir menolak PAKASIR_API_KEY"), "{all}");
    assert!(all.contains("Pakasir menerima PAKASIR_API_KEY"), "{all}");
    assert!(all.contains(&format!("https://{DOMAIN}/webhook/pakasir")), "{all}");
    assert!(all.contains("╔") && all.contains("shred -u"), "boxed warning about the identity: {all}");
    assert!(
        all.contains("systemctl enable --now quickcart.service quickcart-backup.timer quickcart-logs.timer"),
        "{all}"
    );
    assert!(all.contains("quickcart doctor --env-file"), "{all}");
    for secret in [PAKASIR_API_KEY, TOKEN.split_once(':').unwrap().1] {
        assert!(!all.contains(secret), "a secret is echoed: {all}");
    }
    // The owner was told in Telegram, and the /start was confirmed (not handled again later).
    assert!(app.tg.messages(OWNER).iter().any(|m| m.text.contains("admin")), "{:?}", app.tg.messages(OWNER));
    assert_eq!(app.tg.pending_updates(), 0);

    // The environment file.
    assert_eq!(mode(&p.env_file), 0o600);
    let v = env_values(&p.env_file);
    assert_eq!(v["TELEGRAM_BOT_TOKEN"], TOKEN);
    assert_eq!(v["ADMIN_IDS"], OWNER.to_string());
    assert_eq!(v["PAKASIR_PROJECT"], PAKASIR_PROJECT);
    assert_eq!(v["PAKASIR_API_KEY"], PAKASIR_API_KEY);
    assert!(v["PAKASIR_WEBHOOK_SECRET"].len() >= 32);
    assert_eq!(v["TELEGRAM_WEBHOOK_URL"], format!("https://{DOMAIN}/webhook/telegram"));
    assert!(v["TELEGRAM_WEBHOOK_SECRET"].len() >= 32);
    assert_eq!(v["DATABASE_KEY"].len(), 64);
    assert_eq!(v["DATA_DIR"], p.data.display().to_string());
    let raw = std::fs::read_to_string(&p.env_file).unwrap();
    assert!(!raw.contains("replace-with") && !raw.contains("your-project-slug"), "{raw}");

    // Keys: the recipient stays, the identity is root's alone and opens what the recipient seals.
    assert_eq!(mode(&p.identity), 0o600);
    let identity = std::fs::read_to_string(&p.identity).unwrap();
    assert!(identity.contains("AGE-SECRET-KEY-1"));
    let recipients = std::fs::read_to_string(&p.recipients).unwrap();
    let recipient = recipients.lines().find(|l| l.starts_with("age1")).unwrap();
    assert!(identity.contains(recipient), "the identity's public key is the recipient");

    // The Caddy site, with the domain in it; real Caddy accepts it when installed.
    let site = std::fs::read_to_string(&p.caddyfile).unwrap();
    assert!(site.contains(&format!("{DOMAIN} {{")), "{site}");
    assert!(!site.contains("QUICKCART_DOMAIN"), "{site}");
    if Path::new("/usr/bin/caddy").exists() {
        let adapted = Command::new("/usr/bin/caddy")
            .args(["adapt", "--adapter", "caddyfile", "--config"])
            .arg(&p.caddyfile)
            .output()
            .unwrap();
        assert!(adapted.status.success(), "{}", String::from_utf8_lossy(&adapted.stderr));
        assert!(String::from_utf8_lossy(&adapted.stdout).contains(DOMAIN));
    }

    // The doctor (run inside setup, with --fix) made the directories; alone it passes too.
    assert_eq!(mode(&p.data), 0o700);
    assert_eq!(mode(&p.logs), 0o750);
    let out = doctor(&app, &p).await;
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_only_runs_without_questions_and_a_rerun_keeps_the_database_key() {
    let app = App::prepare(|_| {}).await;
    let p = paths(&app);
    let admin = OWNER.to_string();
    let flags = [
        "--yes",
        "--bot-token",
        TOKEN,
        "--admin-id",
        &admin,
        "--pakasir-project",
        PAKASIR_PROJECT,
        "--pakasir-api-key",
        PAKASIR_API_KEY,
        "--no-domain",
    ];
    // The file the package ships: .env.example with its placeholders (not "configured"), plus
    // one setting of the owner's.
    let shipped = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example"))
        .replace("STORE_NAME=QuickCart", "STORE_NAME='Toko Bu Ani'");
    std::fs::create_dir_all(p.env_file.parent().unwrap()).unwrap();
    std::fs::write(&p.env_file, shipped).unwrap();
    // stdin is closed: nothing may be asked.
    let out = run(setup(&app, &p, &flags), "").await;
    assert!(out.status.success(), "{}", text(&out));
    let first = env_values(&p.env_file);
    assert_eq!(first["STORE_NAME"], "Toko Bu Ani", "the owner's settings stay");
    let raw = std::fs::read_to_string(&p.env_file).unwrap();
    assert!(!raw.contains("replace-with") && !raw.contains("your-project-slug"), "{raw}");
    assert_eq!(first["TELEGRAM_WEBHOOK_URL"], "", "no domain: long polling");
    assert!(!p.caddyfile.exists(), "no Caddy site without a domain");

    // The shop runs on it and makes its files.
    let mut migrate = bare(&app, &["db", "migrate"]);
    for (k, v) in &first {
        migrate.env(k, v);
    }
    assert!(run(migrate, "").await.status.success());

    // A configured file is not replaced without --force.
    let out = run(setup(&app, &p, &flags), "").await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));

    // With --force (and a domain now): same DATABASE_KEY, same backup keys, the data still opens.
    let identity_before = std::fs::read(&p.identity).unwrap();
    let mut again: Vec<&str> = flags.iter().copied().filter(|f| *f != "--no-domain").collect();
    again.extend(["--force", "--domain", DOMAIN]);
    let out = run(setup(&app, &p, &again), "").await;
    assert!(out.status.success(), "{}", text(&out));
    let second = env_values(&p.env_file);
    assert_eq!(second["DATABASE_KEY"], first["DATABASE_KEY"]);
    assert_eq!(second["PAKASIR_WEBHOOK_SECRET"], first["PAKASIR_WEBHOOK_SECRET"]);
    assert_eq!(second["TELEGRAM_WEBHOOK_URL"], format!("https://{DOMAIN}/webhook/telegram"));
    assert_eq!(std::fs::read(&p.identity).unwrap(), identity_before, "no new identity");
    let out = doctor(&app, &p).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("shop.db terbuka dengan DATABASE_KEY"), "{all}");

    // A Caddyfile that was there before is kept aside; with --yes, what the file has is kept.
    std::fs::write(&p.caddyfile, "# mine\n").unwrap();
    let out = run(setup(&app, &p, &["--yes", "--force", "--domain", DOMAIN]), "").await;
    assert!(out.status.success(), "{}", text(&out));
    let third = env_values(&p.env_file);
    for k in ["DATABASE_KEY", "TELEGRAM_BOT_TOKEN", "ADMIN_IDS", "PAKASIR_API_KEY", "TELEGRAM_WEBHOOK_SECRET"] {
        assert_eq!(third[k], second[k], "{k}");
    }
    let mut bak = p.caddyfile.clone().into_os_string();
    bak.push(".bak");
    assert_eq!(std::fs::read_to_string(PathBuf::from(bak)).unwrap(), "# mine\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_answers_in_flags_mode_stop_before_anything_is_written() {
    let app = App::prepare(|_| {}).await;
    app.tg.accept_only_token(Some(TOKEN));
    let p = paths(&app);
    let admin = OWNER.to_string();
    let base = ["--yes", "--admin-id", &admin, "--pakasir-project", PAKASIR_PROJECT, "--no-domain"];

    let mut wrong_token = base.to_vec();
    wrong_token.extend(["--bot-token", WRONG_TOKEN, "--pakasir-api-key", PAKASIR_API_KEY]);
    let out = run(setup(&app, &p, &wrong_token), "").await;
    assert!(!out.status.success());
    assert!(text(&out).contains("--bot-token"), "{}", text(&out));

    let mut wrong_key = base.to_vec();
    wrong_key.extend(["--bot-token", TOKEN, "--pakasir-api-key", "not-the-key"]);
    let out = run(setup(&app, &p, &wrong_key), "").await;
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("Pakasir menolak PAKASIR_API_KEY"), "{all}");
    assert!(!all.contains("not-the-key"), "{all}");

    let mut no_admin: Vec<&str> = wrong_key.iter().copied().filter(|a| *a != "--admin-id" && *a != admin).collect();
    no_admin.retain(|a| *a != "not-the-key");
    no_admin.push(PAKASIR_API_KEY);
    let out = run(setup(&app, &p, &no_admin), "").await;
    assert!(!out.status.success());
    assert!(text(&out).contains("--admin-id"), "{}", text(&out));

    assert!(!p.env_file.exists() && !p.identity.exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_webhook_means_typing_the_id() {
    let app = App::prepare(|_| {}).await;
    app.tg.set_webhook_url("https://elsewhere.test/webhook/telegram");
    let p = paths(&app);
    let input = [TOKEN, "", "4242", "-", "-"].join("\n") + "\n";
    let out = run(setup(&app, &p, &[]), &input).await;
    let all = text(&out);
    assert!(all.contains("webhook terdaftar"), "{all}");
    assert_eq!(env_values(&p.env_file)["ADMIN_IDS"], "4242", "{all}");
    assert_eq!(app.tg.webhook_url(), "https://elsewhere.test/webhook/telegram", "setup leaves it alone");
}
