//! The appliance from the operator's side (SPEC §1, §9; issue 2 points 2–5): encrypted files,
//! configuration errors, `doctor`, `--help`, health and graceful shutdown.

use crate::common;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{files_containing, random_key, App, ADMIN};
use quickcart::testkit::Fault;

const SQLITE3: &str = "/usr/bin/sqlite3";
const MARKER: &str = "PLAINTEXT-MARKER-7f3a";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `/usr/bin/sqlite3 FILE .tables`, or `None` (with a note) when sqlite3 is not installed.
fn sqlite3_tables(file: &Path) -> Option<Output> {
    if !Path::new(SQLITE3).exists() {
        println!("note: {SQLITE3} is not installed; skipping the plain-SQLite check (CI installs it)");
        return None;
    }
    Some(Command::new(SQLITE3).arg(file).arg(".tables").output().expect("run sqlite3"))
}

fn assert_not_a_database(file: &Path) {
    if let Some(out) = sqlite3_tables(file) {
        assert!(!out.status.success(), "sqlite3 read {}: {}", file.display(), stdout(&out));
        assert!(stderr(&out).contains("file is not a database"), "{}: {}", file.display(), stderr(&out));
    }
}

/// The one-line error contract: exit ≠ 0, one line on stderr naming `var`, never `secret`.
fn assert_one_line_error(out: &Output, var: &str, secrets: &[&str]) {
    let err = stderr(out);
    assert!(!out.status.success(), "expected failure; stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    assert!(err.contains(var), "names {var}: {err:?}");
    for s in secrets {
        assert!(!err.contains(s), "echoes a secret: {err:?}");
        assert!(!stdout(out).contains(s), "echoes a secret on stdout");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_then_check_and_files_are_not_plain_sqlite() {
    let app = App::prepare(|_| {}).await;
    let out = app.cli(&["db", "migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("shop.db"), "{}", stdout(&out));
    assert!(stdout(&out).contains("audit.db"), "{}", stdout(&out));
    // Again: already current.
    let again = app.cli(&["db", "migrate"]);
    assert!(again.status.success(), "{}", stderr(&again));

    let out = app.cli(&["db", "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("shop.db: ok"), "{text}");
    assert!(text.contains("audit.db: ok"), "{text}");

    for f in ["shop.db", "audit.db"] {
        assert_not_a_database(&app.data_dir().join(f));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_check_without_files_says_what_to_do() {
    let app = App::prepare(|_| {}).await;
    let out = app.cli(&["db", "check"]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("db migrate"), "{}", stdout(&out));
    assert!(!stderr(&out).contains("panicked"));
}

/// Stores the marker as a product name, description, category, stock item, and a customer's
/// name and email.
async fn store_markers(app: &mut App) {
    app.admin(&format!("/add 1|{MARKER}-name|{MARKER}-cat|30000|{MARKER}-desc"), "Produk ditambahkan").await;
    app.add_stock(1, &[&format!("{MARKER}-item1"), &format!("{MARKER}-item2")]).await;
    let u = 7001;
    app.say(u, "/start");
    app.wait_text(u, "Siapa nama").await;
    app.say(u, &format!("{MARKER}-customer"));
    app.wait_text(u, "Nomor WhatsApp").await;
    app.say(u, "/skip");
    app.wait_text(u, "Alamat email").await;
    app.say(u, &format!("{}@example.com", MARKER.to_lowercase()));
    app.wait_text(u, "Selamat datang").await;
}

fn assert_no_marker_in_db_files(app: &App) {
    let dir = app.data_dir();
    let files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(files.iter().any(|f| f == "shop.db"), "{files:?}");
    assert!(files.iter().any(|f| f == "audit.db"), "{files:?}");
    for needle in [MARKER.to_string(), MARKER.to_lowercase()] {
        let hits = files_containing(&dir, needle.as_bytes());
        assert!(hits.is_empty(), "plaintext {needle} in {hits:?} (files: {files:?})");
    }
    // Not even the key's own hex.
    let key = app.env["DATABASE_KEY"].clone();
    assert!(files_containing(&dir, key.as_bytes()).is_empty());
}

/// The marker really was stored: it comes back through the bot after a restart.
async fn assert_marker_readable_through_the_bot(app: &mut App) {
    let u = 7002;
    app.say(u, "/stock");
    let s = app.wait_text(u, "Stok Produk").await;
    assert!(s.text.contains(&format!("{MARKER}-name")), "{}", s.text);
    assert!(s.text.contains("stok 2"), "{}", s.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_in_any_db_file_after_a_graceful_stop() {
    let mut app = App::start().await;
    store_markers(&mut app).await;
    let status = app.stop().await;
    assert!(status.success(), "{status}");
    assert_no_marker_in_db_files(&app);
    for f in ["shop.db", "audit.db"] {
        assert_not_a_database(&app.data_dir().join(f));
    }
    let out = app.cli(&["db", "check"]);
    assert!(out.status.success(), "{}", stdout(&out));

    app.spawn().await;
    assert_marker_readable_through_the_bot(&mut app).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_in_wal_or_shm_after_kill_9_and_nothing_lost() {
    let mut app = App::start().await;
    store_markers(&mut app).await;
    app.kill9();
    let dir = app.data_dir();
    assert!(dir.join("shop.db-wal").exists(), "a killed process leaves its WAL behind");
    for f in ["shop.db-wal", "shop.db-shm"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    assert_no_marker_in_db_files(&app);
    for f in ["shop.db", "shop.db-wal", "audit.db"] {
        assert_not_a_database(&dir.join(f));
    }

    // Restarted after the kill: everything committed is there and the files are sound.
    app.spawn().await;
    assert_marker_readable_through_the_bot(&mut app).await;
    let status = app.stop().await;
    assert!(status.success());
    let out = app.cli(&["db", "check"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_no_marker_in_db_files(&app);
    app.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_stderr_or_the_log_files() {
    let mut app = App::start().await;
    store_markers(&mut app).await;
    app.say(7003, "/add 9|x|x|1000|-");
    app.say(7003, "garbage <b>");
    app.wait_text(7003, "Perintah tidak dikenali").await;
    let status = app.stop().await;
    assert!(status.success());

    let logs = std::path::PathBuf::from(&app.env["LOG_DIR"]);
    let files: Vec<_> = std::fs::read_dir(&logs).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    assert!(!files.is_empty(), "serve writes log files to LOG_DIR");
    let token_secret = common::TOKEN.split_once(':').unwrap().1;
    for secret in
        [app.env["DATABASE_KEY"].as_str(), token_secret, common::PAKASIR_API_KEY, common::PAKASIR_WEBHOOK_SECRET]
    {
        let hits = files_containing(&logs, secret.as_bytes());
        assert!(hits.is_empty(), "a secret is in {hits:?}");
        assert!(!app.stderr().contains(secret), "a secret is on stderr");
    }
    app.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_missing_or_malformed_key_is_one_clear_line() {
    let mut app = App::prepare(|_| {}).await;
    let good = app.env["DATABASE_KEY"].clone();
    assert!(app.cli(&["db", "migrate"]).status.success());

    // Wrong key, for the maintenance commands and for serve.
    let wrong = random_key();
    app.env.insert("DATABASE_KEY".into(), wrong.clone());
    for args in [&["db", "check"][..], &["db", "migrate"], &["serve"], &["admin", "grant", "5"]] {
        let out = app.cli(args);
        assert_one_line_error(&out, "DATABASE_KEY", &[&wrong, &good]);
    }
    // Uppercase spelling of the wrong key is not echoed either.
    let out = app.cli(&["db", "check"]);
    assert!(!stderr(&out).contains(&wrong.to_uppercase()));

    // Missing.
    app.env.remove("DATABASE_KEY");
    for args in [&["db", "check"][..], &["serve"]] {
        let out = app.cli(args);
        assert_one_line_error(&out, "DATABASE_KEY", &[&good]);
    }
    // Empty counts as missing.
    app.env.insert("DATABASE_KEY".into(), String::new());
    assert_one_line_error(&app.cli(&["db", "check"]), "DATABASE_KEY", &[&good]);

    // Malformed: named, never echoed.
    for bad in [
        "xyz",
        "xyzSECRETVALUE123",
        &good[..63],
        &format!("{good}00"),
        &format!("x'{good}'"),
        &format!("g{}", &good[1..]),
    ] {
        app.env.insert("DATABASE_KEY".into(), bad.to_string());
        for args in [&["db", "check"][..], &["serve"]] {
            let out = app.cli(args);
            assert_one_line_error(&out, "DATABASE_KEY", &[bad]);
        }
    }

    // The right key still opens the files (nothing was damaged by the attempts).
    app.env.insert("DATABASE_KEY".into(), good);
    let out = app.cli(&["db", "check"]);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_names_missing_or_malformed_variables() {
    let mut app = App::prepare(|_| {}).await;
    let token = app.env["TELEGRAM_BOT_TOKEN"].clone();

    app.env.remove("TELEGRAM_BOT_TOKEN");
    assert_one_line_error(&app.cli(&["serve"]), "TELEGRAM_BOT_TOKEN", &[]);

    app.env.insert("TELEGRAM_BOT_TOKEN".into(), "not-a-token-SECRETISH".into());
    assert_one_line_error(&app.cli(&["serve"]), "TELEGRAM_BOT_TOKEN", &["SECRETISH"]);
    app.env.insert("TELEGRAM_BOT_TOKEN".into(), token.clone());

    for (var, value) in [
        ("HTTP_BIND", "nowhere"),
        ("ADMIN_IDS", "1,abc"),
        ("PAKASIR_BASE_URL", "ftp://x"),
        ("SESSION_TTL_SECONDS", "soon"),
        ("PAYMENT_EXPIRY_MINUTES", "0"),
    ] {
        let before = app.env.insert(var.into(), value.into());
        assert_one_line_error(&app.cli(&["serve"]), var, &[&token, &app.env["DATABASE_KEY"]]);
        match before {
            Some(v) => app.env.insert(var.into(), v),
            None => app.env.remove(var),
        };
    }

    // Pakasir variables come together: one missing is named.
    let secret = app.env.remove("PAKASIR_API_KEY").unwrap();
    assert_one_line_error(&app.cli(&["serve"]), "PAKASIR_API_KEY", &[&app.env["PAKASIR_WEBHOOK_SECRET"]]);
    app.env.insert("PAKASIR_API_KEY".into(), secret);

    // HTTP_BIND already taken: named.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut cmd = app.command(&["serve"]);
    cmd.env("HTTP_BIND", &addr);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("HTTP_BIND"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&token));
    assert!(!stderr(&out).contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dotenv_in_the_working_directory_is_read_and_the_environment_wins() {
    let mut app = App::prepare(|_| {}).await;
    let key = app.env.remove("DATABASE_KEY").unwrap();
    let env_file = app.dir.path().join(".env");
    std::fs::write(&env_file, format!("DATABASE_KEY={key}\nSTORE_NAME=\"Dari Dotenv\"\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = app.cli(&["db", "migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A wrong key in the real environment wins over .env.
    let mut cmd = app.command(&["db", "check"]);
    cmd.env("DATABASE_KEY", random_key());
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("DATABASE_KEY"));
    assert!(!stderr(&out).contains(&key));

    // A broken .env is one clear line that does not quote it.
    std::fs::write(&env_file, format!("DATABASE_KEY {key} SECRET\n\"unterminated")).unwrap();
    let out = app.cli(&["db", "check"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(".env"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&key), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_offline_passes_on_a_good_config_and_names_problems() {
    let mut app = App::prepare(|_| {}).await;
    // Before the files exist: warnings, not failures.
    let out = app.cli(&["doctor", "--offline"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(app.cli(&["db", "migrate"]).status.success());
    let out = app.cli(&["doctor", "--offline"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("shop.db"), "{text}");
    assert!(!text.contains(&app.env["DATABASE_KEY"]), "{text}");
    assert!(!text.contains(&app.env["TELEGRAM_BOT_TOKEN"]), "{text}");

    let doctor_fails_naming = |app: &App, needle: &str| {
        let out = app.cli(&["doctor", "--offline"]);
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!out.status.success(), "doctor passed: {all}");
        assert!(all.contains(needle), "{needle} not named: {all}");
        assert!(!all.contains("panicked"), "{all}");
        all
    };

    let good = app.env["DATABASE_KEY"].clone();
    app.env.insert("DATABASE_KEY".into(), random_key());
    let all = doctor_fails_naming(&app, "DATABASE_KEY");
    assert!(!all.contains(&app.env["DATABASE_KEY"]), "{all}");
    app.env.insert("DATABASE_KEY".into(), "xyzNOTAKEY".into());
    let all = doctor_fails_naming(&app, "DATABASE_KEY");
    assert!(!all.contains("xyzNOTAKEY"), "{all}");
    app.env.remove("DATABASE_KEY");
    doctor_fails_naming(&app, "DATABASE_KEY");
    app.env.insert("DATABASE_KEY".into(), good);

    let token = app.env.remove("TELEGRAM_BOT_TOKEN").unwrap();
    doctor_fails_naming(&app, "TELEGRAM_BOT_TOKEN");
    app.env.insert("TELEGRAM_BOT_TOKEN".into(), token);

    // A .env other users can read is a problem to fix.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let env_file = app.dir.path().join(".env");
        std::fs::write(&env_file, "STORE_NAME=X\n").unwrap();
        std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        doctor_fails_naming(&app, "chmod 600");
        std::fs::remove_file(&env_file).unwrap();
    }

    let out = app.cli(&["doctor", "--offline"]);
    assert!(out.status.success(), "{}", stdout(&out));
}

/// Subcommand names listed under `Commands:` in a clap help text.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_of_every_subcommand_works() {
    let app = App::prepare(|_| {}).await;
    let mut queue: Vec<Vec<String>> = vec![vec![]];
    let mut seen = Vec::new();
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = app.cli(&args);
        let text = stdout(&out);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(text.contains("Usage:"), "{args:?}: {text}");
        for sub in subcommands(&text) {
            let mut p = path.clone();
            p.push(sub);
            queue.push(p);
        }
        seen.push(path.join(" "));
    }
    for required in
        ["serve", "demo", "doctor", "setup", "db", "db migrate", "db check", "admin", "admin grant", "admin revoke"]
    {
        assert!(seen.iter().any(|s| s == required), "{required} in {seen:?}");
    }
    let out = app.cli(&["--version"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("quickcart"));
    // An unknown subcommand is a usage error, not a panic.
    let out = app.cli(&["frobnicate"]);
    assert!(!out.status.success());
    assert!(!stderr(&out).contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_sigterm_exit_zero() {
    let mut app = App::start().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(app.get("/nope").await.status(), 404);

    // A conversation in flight, then SIGTERM: exit 0 within 15 s (App::stop enforces the limit).
    app.say(ADMIN, "/stock");
    app.wait_text(ADMIN, "Stok Produk").await;
    let started = Instant::now();
    let status = app.stop().await;
    assert!(status.success(), "{status}; stderr:\n{}", app.stderr());
    assert!(started.elapsed() < Duration::from_secs(15));
    app.assert_no_panic();

    // And again after a restart; the shop comes back healthy on the same files.
    app.spawn().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.finish().await;
}

/// systemd may stop a shop that is still starting (a restart loop, a quick `systemctl stop`):
/// SIGTERM then must still be a graceful exit 0, not the default action that kills the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_starting_exits_zero() {
    let mut app = App::start().await;
    let status = app.stop().await;
    assert!(status.success(), "{status}");

    // Start again with Telegram slow to answer the command menus, and stop it right then.
    app.tg.fail_next("setmycommands", 1, Fault::Hang(Duration::from_secs(3)));
    let child = app.command(&["serve"]).stderr(std::process::Stdio::piped()).spawn().expect("spawn serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.tg.faults_left() > 0 {
        assert!(Instant::now() < deadline, "serve never asked for setMyCommands");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.expect("join").expect("wait");
    assert!(out.status.success(), "{}; stderr:\n{}", out.status, stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}
