//! `quickcart doctor` (issue 15, point 4): every problem in one run, placeholders are errors,
//! credentials are checked with calls only the right ones pass, each network check has a
//! timeout, and nothing is created unless `--fix`.

use std::path::Path;
use std::process::Output;

use crate::common::{free_addr, run_cli, App, TOKEN};

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The report's lines that start with `level` (`ok`, `warn`, `FAIL`) and mention `needle`.
fn lines<'a>(all: &'a str, level: &str, needle: &str) -> Vec<&'a str> {
    all.lines().filter(|l| l.split_whitespace().next() == Some(level) && l.contains(needle)).collect()
}

fn assert_line(all: &str, level: &str, needle: &str) {
    assert!(!lines(all, level, needle).is_empty(), "no `{level}` line about {needle:?} in:\n{all}");
}

/// A recipients file with one fresh age recipient.
fn write_recipients(path: &Path) {
    let id = age::x25519::Identity::generate();
    std::fs::write(path, format!("# backups\n{}\n", id.to_public())).unwrap();
}

/// A configuration that passes: fakes, a recipients file, existing directories.
async fn healthy_app() -> App {
    let app = App::prepare(|_| {}).await;
    let rec = app.dir.path().join("recipients.txt");
    write_recipients(&rec);
    let mut app = app;
    app.env.insert("BACKUP_RECIPIENTS_FILE".into(), rec.display().to_string());
    for (d, mode) in [("DATA_DIR", 0o700), ("LOG_DIR", 0o750)] {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(mode).create(&app.env[d]).unwrap();
    }
    assert!(run_cli(&app, &["db", "migrate"]).await.status.success());
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_shop_passes_online_with_the_bot_name() {
    let app = healthy_app().await;
    let out = run_cli(&app, &["doctor"]).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_line(&all, "ok", "@QuickCartTestBot");
    assert_line(&all, "ok", "Pakasir menerima PAKASIR_API_KEY");
    assert_line(&all, "ok", "BACKUP_RECIPIENTS_FILE");
    assert_line(&all, "ok", "shop.db");
    assert!(lines(&all, "FAIL", "").is_empty(), "{all}");
    // The Pakasir check was one authenticated status call.
    let calls = app.pakasir.calls();
    assert!(calls.iter().any(|c| c.path.starts_with("/api/v2/transaction-status/") && c.status == 404), "{calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_is_reported_in_one_run_and_placeholders_are_errors() {
    let mut app = healthy_app().await;
    let placeholders = [
        ("DATABASE_KEY", "replace-with-64-hex-characters"),
        ("PAKASIR_PROJECT", "your-project-slug"),
        ("PAKASIR_API_KEY", "replace-with-your-pakasir-api-key"),
        ("PAKASIR_WEBHOOK_SECRET", "replace-with-a-long-random-secret"),
    ];
    for (k, v) in placeholders {
        app.env.insert(k.into(), v.into());
    }
    app.env.remove("TELEGRAM_BOT_TOKEN");
    app.env.insert("ADMIN_IDS".into(), "1,abc".into());
    app.env.insert("HTTP_BIND".into(), "nowhere".into());
    app.env.insert("BACKUP_RECIPIENTS_FILE".into(), app.dir.path().join("missing.txt").display().to_string());
    let out = run_cli(&app, &["doctor", "--offline"]).await;
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    for var in [
        "DATABASE_KEY",
        "PAKASIR_PROJECT",
        "PAKASIR_API_KEY",
        "PAKASIR_WEBHOOK_SECRET",
        "TELEGRAM_BOT_TOKEN",
        "ADMIN_IDS",
        "HTTP_BIND",
        "BACKUP_RECIPIENTS_FILE",
    ] {
        assert_line(&all, "FAIL", var);
    }
    let fails = lines(&all, "FAIL", "").len();
    assert!(fails >= 8, "{all}");
    assert!(all.contains(&format!("{fails} masalah")), "summary counts the failures: {all}");
    for (_, v) in placeholders {
        assert!(!all.contains(v), "echoes the value {v}: {all}");
    }
    // The directories were still checked in the same run.
    assert_line(&all, "ok", "DATA_DIR");

    // A recipients file holding a secret identity, or nothing valid, is an error too.
    let bad = app.dir.path().join("bad-recipients.txt");
    std::fs::write(
        &bad,
        format!("{}\n", age::secrecy::ExposeSecret::expose_secret(&age::x25519::Identity::generate().to_string())),
    )
    .unwrap();
    app.env.insert("BACKUP_RECIPIENTS_FILE".into(), bad.display().to_string());
    let all = text(&run_cli(&app, &["doctor", "--offline"]).await);
    assert_line(&all, "FAIL", "RAHASIA");
    assert!(!all.contains("AGE-SECRET-KEY-1"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_fail_and_unset_recipients_only_warn() {
    let mut app = healthy_app().await;
    app.env.remove("BACKUP_RECIPIENTS_FILE");
    let out = run_cli(&app, &["doctor"]).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_line(&all, "warn", "BACKUP_RECIPIENTS_FILE");

    // Wrong Pakasir key: the fake refuses it (401), so does the doctor.
    app.env.insert("PAKASIR_API_KEY".into(), "a-wrong-key".into());
    // Telegram no longer knows this token.
    app.tg.accept_only_token(Some("987654321:ANOTHER-aaaaaaaaaaaaaaaaaaaaaaaaaaa")); // pragma: allowlist secret
    let out = run_cli(&app, &["doctor"]).await;
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert_line(&all, "FAIL", "menolak PAKASIR_API_KEY");
    assert_line(&all, "FAIL", "menolak TELEGRAM_BOT_TOKEN");
    assert!(!all.contains("a-wrong-key") && !all.contains(TOKEN), "{all}");
    assert!(app.pakasir.calls().iter().any(|c| c.status == 401));

    // A wrong project is named as such.
    app.tg.accept_only_token(None);
    app.env.insert("PAKASIR_API_KEY".into(), crate::common::PAKASIR_API_KEY.into());
    app.env.insert("PAKASIR_PROJECT".into(), "no-such-project".into());
    let all = text(&run_cli(&app, &["doctor"]).await);
    assert_line(&all, "FAIL", "tidak mengenal proyek no-such-project");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_services_time_out_and_are_reported_together() {
    let mut app = healthy_app().await;
    // Accepts connections (the kernel's backlog) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    app.env.insert("TELEGRAM_API_URL".into(), format!("http://{}", silent.local_addr().unwrap()));
    app.env.insert("TELEGRAM_TIMEOUT_SECONDS".into(), "3".into());
    // Nothing listens here.
    app.env.insert("PAKASIR_BASE_URL".into(), format!("http://{}", free_addr()));
    let out = run_cli(&app, &["doctor"]).await;
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert_line(&all, "FAIL", "tidak menjawab dalam 3 detik");
    assert_line(&all, "FAIL", "Pakasir");
    assert_line(&all, "ok", "shop.db");
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_registration_is_compared_and_its_last_error_shown() {
    let mut app = healthy_app().await;
    let url = "https://shop.quickcart.test/webhook/telegram";
    app.env.insert("TELEGRAM_WEBHOOK_URL".into(), url.into());
    app.env.insert("TELEGRAM_WEBHOOK_SECRET".into(), "tg-secret-for-doctor-test".into());
    let all = text(&run_cli(&app, &["doctor"]).await);
    assert_line(&all, "warn", "belum terdaftar");
    app.tg.set_webhook_url(url);
    app.tg.set_webhook_error(Some("Connection refused"));
    let out = run_cli(&app, &["doctor"]).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_line(&all, "ok", &format!("terdaftar: {url}"));
    assert_line(&all, "warn", "Connection refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_side_effects_without_fix_and_fix_creates_the_directories() {
    let mut app = App::prepare(|_| {}).await;
    let data = app.dir.path().join("srv/data");
    let logs = app.dir.path().join("srv/logs");
    app.env.insert("DATA_DIR".into(), data.display().to_string());
    app.env.insert("LOG_DIR".into(), logs.display().to_string());
    let env_file = app.dir.path().join("quickcart.env");
    std::fs::write(&env_file, "STORE_NAME=\"Dari Berkas\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let env_arg = env_file.display().to_string();

    let out = run_cli(&app, &["doctor", "--offline", "--env-file", &env_arg]).await;
    let all = text(&out);
    assert_line(&all, "warn", "--fix");
    assert_line(&all, "FAIL", "chmod 600");
    assert!(!data.exists() && !logs.exists() && !app.dir.path().join("srv").exists(), "doctor created folders");
    assert_eq!(std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777, 0o644);
    let before: Vec<_> = std::fs::read_dir(app.dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();

    let out = run_cli(&app, &["doctor", "--offline", "--fix", "--env-file", &env_arg]).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_line(&all, "ok", "dibuat (--fix)");
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(&logs).unwrap().permissions().mode() & 0o777, 0o750);
    let srv = app.dir.path().join("srv");
    assert_eq!(std::fs::metadata(&srv).unwrap().permissions().mode() & 0o777, 0o700, "made by the first of them");
    assert_eq!(std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777, 0o600);
    let after: Vec<_> = std::fs::read_dir(app.dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(before.len() + 1, after.len(), "only srv/ is new: {after:?}");

    // Now they exist: ok, and a second --fix changes nothing.
    let all = text(&run_cli(&app, &["doctor", "--offline"]).await);
    assert_line(&all, "ok", "DATA_DIR");
    assert_line(&all, "ok", "LOG_DIR");
}
