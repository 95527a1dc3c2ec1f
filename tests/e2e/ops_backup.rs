//! Backups, restore, rekey and logs (issue 7), against the real binary: `backup create` while
//! orders flow, `backup verify|restore`, damaged backups and wrong keys, the standard `age` CLI,
//! `backup prune`, `db rekey`, `logs rotate|prune`, and `backup/restore-drill.sh`.

use crate::common;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::{App, PAKASIR_WEBHOOK_SECRET};
use quickcart::testkit::MsgKind;
use serde_json::Value;
use sha2::{Digest, Sha256};

const CUSTOMER: i64 = 700_001;

pub(crate) fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub(crate) fn ok(o: Output) -> String {
    assert!(o.status.success(), "expected success, got {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn cli(app: &App, args: &[&str]) -> Output {
    let mut cmd = app.command(args);
    tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().unwrap()
}

/// Keys for backups: the identity stays in the test dir, the recipient goes to
/// `BACKUP_RECIPIENTS_FILE`. Returns the identity file.
pub(crate) fn backup_keys(app: &mut App) -> PathBuf {
    let identity = app.dir.path().join("identity.txt");
    let recipients = app.dir.path().join("recipients.txt");
    app.env.insert("BACKUP_RECIPIENTS_FILE".into(), recipients.display().to_string());
    let tmp = app.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    app.env.insert("TMPDIR".into(), tmp.display().to_string());
    let out = ok(app.cli(&[
        "keygen",
        "--identity-file",
        identity.to_str().unwrap(),
        "--recipients-file",
        recipients.to_str().unwrap(),
    ]));
    assert!(!out.contains("AGE-SECRET-KEY"), "the identity went to the file, not the screen:\n{out}");
    assert!(std::fs::read_to_string(&identity).unwrap().contains("AGE-SECRET-KEY-1"));
    identity
}

/// The path `backup create` printed.
pub(crate) fn created_path(stdout: &str) -> PathBuf {
    let line = stdout.lines().find(|l| l.starts_with("backup dibuat: ")).unwrap_or_else(|| panic!("{stdout}"));
    PathBuf::from(line.trim_start_matches("backup dibuat: "))
}

pub(crate) fn sha(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// Every file under DATA_DIR with its hash (what "nothing was touched" compares).
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "quickcart.lock")
        .map(|e| {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, if p.is_file() { sha(&p) } else { "dir".into() })
        })
        .collect();
    v.sort();
    v
}

pub(crate) async fn stats(app: &App) -> Value {
    serde_json::from_str(&ok(cli(app, &["db", "stats"]).await)).unwrap()
}

/// `rantai audit utuh: N baris` in a create/verify report.
fn chain_rows(report: &str) -> i64 {
    let line = report.lines().find(|l| l.starts_with("rantai audit utuh: ")).unwrap_or_else(|| panic!("{report}"));
    line.trim_start_matches("rantai audit utuh: ").split_whitespace().next().unwrap().parse().unwrap()
}

fn audit_rows(app: &App) -> i64 {
    let out = ok(app.cli(&["audit", "verify"]));
    let n = out.split_whitespace().skip_while(|w| *w != "ok:").nth(1).unwrap_or_else(|| panic!("{out}"));
    n.parse().unwrap_or_else(|_| panic!("{out}"))
}

/// `[AKUN]` → `[Deposit]` → amount → invoice → paid at the fake Pakasir → webhook → credited.
async fn deposit(app: &mut App, user: i64, amount: &str) {
    app.say(user, "AKUN");
    app.wait_text(user, "Akun Saya").await;
    app.press(user, "Deposit");
    app.wait_text(user, "Ketik jumlah deposit").await;
    app.say(user, amount);
    let mark = app.last_mark(user);
    let photo = app
        .tg
        .wait_for(
            user,
            |m| mark.is_new(m) && m.kind == MsgKind::Photo && m.text.contains("INV"),
            Duration::from_secs(30),
        )
        .await
        .unwrap_or_else(|| panic!("no invoice; chat:\n{}", app.transcript(user)));
    let start = photo.text.find("INV").unwrap();
    let invoice: String = photo.text[start..].chars().take_while(char::is_ascii_alphanumeric).collect();
    app.pakasir.complete(&invoice).unwrap();
    let body = app.pakasir.webhook_body(&invoice).unwrap();
    let url = format!("{}/webhook/pakasir", app.base_url);
    let (status, reply) = app.pakasir.post_webhook(&url, PAKASIR_WEBHOOK_SECRET, body).await.unwrap();
    assert_eq!(status, 200, "{reply}");
    app.wait_text_any(user, &invoice).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !app.tg.all_messages(user).iter().any(|m| m.text.contains("Deposit berhasil") && m.text.contains(&invoice)) {
        assert!(Instant::now() < deadline, "deposit {invoice} not credited; chat:\n{}", app.transcript(user));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn transfer(app: &mut App, user: i64, amount: i64) {
    app.admin(&format!("/transfer {user}|{amount}"), &format!("Saldo {user}")).await;
}

// ------------------------------------------------------------------ round trip

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_taken_while_orders_flow_verify_and_restore_the_same_shop() {
    let mut app = App::prepare(|_| {}).await;
    let identity = backup_keys(&mut app);
    app.spawn().await;
    app.onboard(CUSTOMER).await;
    transfer(&mut app, CUSTOMER, 10_000).await;

    // Backups run in a thread, back to back, while the shop takes deposits and transfers.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop2, base) = (stop.clone(), app.command(&["backup", "create"]));
    let (program, envs, cwd) = (
        base.get_program().to_owned(),
        base.get_envs().map(|(k, v)| (k.to_owned(), v.map(ToOwned::to_owned))).collect::<Vec<_>>(),
        base.get_current_dir().map(Path::to_path_buf),
    );
    let backups_thread = std::thread::spawn(move || {
        let mut outputs = Vec::new();
        while outputs.len() < 3 || (!stop2.load(std::sync::atomic::Ordering::SeqCst) && outputs.len() < 25) {
            let mut c = std::process::Command::new(&program);
            c.args(["backup", "create"]).env_clear();
            for (k, v) in &envs {
                if let Some(v) = v {
                    c.env(k, v);
                }
            }
            if let Some(d) = &cwd {
                c.current_dir(d);
            }
            outputs.push(c.output().unwrap());
            std::thread::sleep(Duration::from_millis(150));
        }
        outputs
    });
    for round in 0..3 {
        deposit(&mut app, CUSTOMER, &format!("{}", 15_000 + round * 1000)).await;
        transfer(&mut app, CUSTOMER, 1_000 + round).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let outputs = tokio::task::spawn_blocking(move || backups_thread.join().unwrap()).await.unwrap();
    let mut made = Vec::new();
    for o in outputs {
        let out = ok(o);
        assert!(out.contains("ukuran: ") && out.contains("waktu: "), "{out}");
        made.push(created_path(&out));
    }
    for path in &made {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("quickcart-20") && name.ends_with(".tar.age"), "{name}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let out = ok(cli(&app, &["backup", "verify", path.to_str().unwrap(), "-i", identity.to_str().unwrap()]).await);
        assert!(out.contains("backup OK") && out.contains("rantai audit utuh"), "{out}");
    }
    // Nothing but finished backups in BACKUP_DIR; no plaintext left in TMPDIR.
    let leftovers: Vec<_> = std::fs::read_dir(&app.env["BACKUP_DIR"])
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".tar.age"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(std::fs::read_dir(&app.env["TMPDIR"]).unwrap().count(), 0);

    // A quiet moment: this is the state backup B must bring back (retried if the outbox was
    // still busy while B was taken).
    let (mut at_b, mut b, mut rows_b) = (Value::Null, PathBuf::new(), 0);
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        at_b = stats(&app).await;
        let out = ok(cli(&app, &["backup", "create"]).await);
        b = created_path(&out);
        rows_b = chain_rows(&out);
        if stats(&app).await == at_b {
            break;
        }
    }
    assert!(at_b["orders"]["paid"].as_i64().unwrap() >= 3, "{at_b:#}");
    assert_eq!(audit_rows(&app), rows_b + 1, "backup_created is recorded after the snapshot");
    let tail = ok(app.cli(&["audit", "tail", "-n", "1"]));
    assert!(tail.contains("backup_created"), "{tail}");

    // Life goes on after B.
    transfer(&mut app, CUSTOMER, 777).await;
    deposit(&mut app, CUSTOMER, "20000").await;
    assert_ne!(stats(&app).await, at_b);

    // Restore refuses while serve runs, and touches nothing.
    let data = app.data_dir();
    let refused = cli(&app, &["backup", "restore", b.to_str().unwrap(), "-i", identity.to_str().unwrap()]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("serve sedang berjalan"), "{}", text(&refused));
    assert!(!snapshot(&data).iter().any(|(n, _)| n.starts_with("pre-restore") || n.starts_with(".quickcart")));

    let status = app.stop().await;
    assert!(status.success());
    let before_restore = snapshot(&data);
    let out = ok(cli(&app, &["backup", "restore", b.to_str().unwrap(), "-i", identity.to_str().unwrap()]).await);
    assert!(out.contains("berkas lama disimpan di"), "{out}");
    let aside: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("pre-restore-"))
        .collect();
    assert_eq!(aside.len(), 1, "{out}");
    // The old files are kept byte for byte.
    for (name, hash) in before_restore.iter().filter(|(n, _)| n.starts_with("shop.db") || n.starts_with("audit.db")) {
        assert_eq!(&sha(&aside[0].join(name)), hash, "{name} kept aside unchanged");
    }

    // Same shop as at B: every count, balance and ledger row; the chain continues.
    assert_eq!(stats(&app).await, at_b);
    assert_eq!(audit_rows(&app), rows_b + 1, "B's rows plus backup_restored");
    assert!(ok(app.cli(&["audit", "tail", "-n", "1"])).contains("backup_restored"));
    ok(app.cli(&["db", "check"]));

    app.spawn().await;
    assert_eq!(stats(&app).await["ledger_sum"], at_b["ledger_sum"]);
    transfer(&mut app, CUSTOMER, 5).await;
    app.finish().await;
}

// ------------------------------------------------------------------ the age CLI

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_age_cli_decrypts_our_backup_and_tar_lists_it() {
    if which("age").is_none() {
        eprintln!("NOTE: `age` is not installed (apt-get install age); skipping the age CLI check");
        return;
    }
    let mut app = App::prepare(|_| {}).await;
    let identity = backup_keys(&mut app);
    ok(app.cli(&["db", "migrate"]));
    ok(app.cli(&["admin", "grant", "4242"]));
    let file = created_path(&ok(app.cli(&["backup", "create"])));
    let tar = app.dir.path().join("out.tar");
    let age = std::process::Command::new("age")
        .args(["-d", "-i", identity.to_str().unwrap(), "-o", tar.to_str().unwrap(), file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(age.status.success(), "age -d: {}", text(&age));
    let list = std::process::Command::new("tar").args(["-tf", tar.to_str().unwrap()]).output().unwrap();
    let names: Vec<String> = String::from_utf8_lossy(&list.stdout).lines().map(String::from).collect();
    assert_eq!(names, vec!["manifest.json", "shop.db", "audit.db"]);
    let x = app.dir.path().join("x");
    std::fs::create_dir_all(&x).unwrap();
    let untar = std::process::Command::new("tar")
        .args(["-xf", tar.to_str().unwrap(), "-C", x.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(untar.status.success());
    let manifest: Value = serde_json::from_slice(&std::fs::read(x.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "quickcart-backup/1");
    assert!(manifest["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(manifest["counts"]["shop.db"]["users"], 1);
    assert_eq!(manifest["audit"]["rows"], 1);
    assert_eq!(manifest["audit"]["head"].as_str().unwrap().len(), 64);
    for f in manifest["files"].as_array().unwrap() {
        let path = x.join(f["name"].as_str().unwrap());
        assert_eq!(sha(&path), f["sha256"].as_str().unwrap());
        // Inside the age layer the databases are still SQLCipher files.
        assert!(!std::fs::read(&path).unwrap().starts_with(b"SQLite format 3\0"));
    }
    // The copy opens with DATABASE_KEY and nothing else: `db check` on the extracted files.
    let mut check = app.command(&["db", "check"]);
    check.env("DATA_DIR", &x);
    assert!(check.output().unwrap().status.success());
}

pub(crate) fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(cmd)).find(|p| p.is_file())
}

// ------------------------------------------------------------------ damage

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_backups_wrong_identities_and_wrong_keys_fail_loudly_and_touch_nothing() {
    let mut app = App::prepare(|_| {}).await;
    let identity = backup_keys(&mut app);
    ok(app.cli(&["db", "migrate"]));
    ok(app.cli(&["admin", "grant", "4242"]));
    let good = created_path(&ok(app.cli(&["backup", "create"])));
    ok(app.cli(&["admin", "grant", "4343"]));
    let bytes = std::fs::read(&good).unwrap();
    let dir = app.dir.path().to_path_buf();
    let write = |name: &str, b: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, b).unwrap();
        p
    };
    let flip = |at: usize| {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        b
    };
    let other_identity = dir.join("other-identity.txt");
    ok(app.cli(&["keygen", "--identity-file", other_identity.to_str().unwrap()]));
    let wrong_key = common::random_key();

    // (label, file, identity, DATABASE_KEY override)
    let cases: Vec<(&str, PathBuf, PathBuf, Option<String>)> = vec![
        ("flipped byte in the payload", write("flip-mid.age", &flip(bytes.len() / 2)), identity.clone(), None),
        ("flipped byte in the header", write("flip-head.age", &flip(40)), identity.clone(), None),
        ("flipped last byte", write("flip-end.age", &flip(bytes.len() - 1)), identity.clone(), None),
        ("truncated to half", write("half.age", &bytes[..bytes.len() / 2]), identity.clone(), None),
        ("one byte short", write("short.age", &bytes[..bytes.len() - 1]), identity.clone(), None),
        ("empty file", write("empty.age", b""), identity.clone(), None),
        ("wrong identity", good.clone(), other_identity.clone(), None),
        ("wrong DATABASE_KEY", good.clone(), identity.clone(), Some(wrong_key)),
    ];
    let data = app.data_dir();
    let tmp = PathBuf::from(&app.env["TMPDIR"]);
    let before = snapshot(&data);
    for (label, file, id, key) in &cases {
        for verb in ["verify", "restore"] {
            let mut cmd = app.command(&["backup", verb, file.to_str().unwrap(), "-i", id.to_str().unwrap()]);
            if let Some(k) = key {
                cmd.env("DATABASE_KEY", k);
            }
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{label}: backup {verb} succeeded: {}", text(&out));
            assert!(err.starts_with("quickcart: ") && err.len() > 30, "{label}: {verb} must say why: {}", text(&out));
            assert!(!err.contains("panicked"), "{label}: {}", text(&out));
            assert_eq!(snapshot(&data), before, "{label}: backup {verb} touched DATA_DIR");
            assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "{label}: plaintext left in TMPDIR");
        }
    }
    let err = |i: usize| {
        let (_, file, id, key) = &cases[i];
        let mut cmd = app.command(&["backup", "verify", file.to_str().unwrap(), "-i", id.to_str().unwrap()]);
        if let Some(k) = key {
            cmd.env("DATABASE_KEY", k);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stderr).into_owned()
    };
    assert!(err(3).contains("rusak atau terpotong"), "{}", err(3));
    assert!(err(6).contains("tidak cocok"), "{}", err(6));
    assert!(err(7).contains("DATABASE_KEY"), "{}", err(7));
    // The untouched original still verifies: the failures above are about the damage.
    ok(app.cli(&["backup", "verify", good.to_str().unwrap(), "-i", identity.to_str().unwrap()]));
}

// ------------------------------------------------------------------ prune

fn stamp(t: chrono::NaiveDateTime) -> String {
    format!("quickcart-{}.tar.age", t.format("%Y%m%dT%H%M%SZ"))
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_keeps_the_newest_96_and_one_per_day_for_30_days() {
    let app = App::prepare(|_| {}).await;
    let dir = PathBuf::from(&app.env["BACKUP_DIR"]);
    std::fs::create_dir_all(&dir).unwrap();
    let day = |m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(2025, m, d).unwrap();
    let mut all = BTreeSet::new();
    // Quarter-hourly on 10 and 11 March (192 files), one at noon on every day before.
    for d in [10, 11] {
        for q in 0..96 {
            all.insert(stamp(day(3, d).and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(15 * q)));
        }
    }
    let mut d = day(1, 1);
    while d < day(3, 10) {
        all.insert(stamp(d.and_hms_opt(12, 0, 0).unwrap()));
        d = d.succ_opt().unwrap();
    }
    for n in &all {
        std::fs::write(dir.join(n), b"x").unwrap();
    }
    for foreign in ["notes.txt", "quickcart-garbage.tar.age", "quickcart-20250101T000000Z.tar.age.part"] {
        std::fs::write(dir.join(foreign), b"keep me").unwrap();
    }

    let dry = ok(app.cli(&["backup", "prune", "--dry-run"]));
    assert!(dry.contains("akan dihapus"), "{dry}");
    assert_eq!(names_in(&dir).len(), all.len() + 3, "dry run deletes nothing");

    let out = ok(app.cli(&["backup", "prune"]));
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for q in 0..96 {
        expected.insert(stamp(day(3, 11).and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(15 * q)));
    }
    expected.insert(stamp(day(3, 10).and_hms_opt(23, 45, 0).unwrap()));
    let mut d = day(3, 9);
    while d >= day(2, 10) {
        expected.insert(stamp(d.and_hms_opt(12, 0, 0).unwrap()));
        d = d.pred_opt().unwrap();
    }
    assert_eq!(expected.len(), 96 + 1 + 28);
    for foreign in ["notes.txt", "quickcart-garbage.tar.age", "quickcart-20250101T000000Z.tar.age.part"] {
        expected.insert(foreign.to_string());
    }
    assert_eq!(names_in(&dir), expected, "{out}");
    assert!(out.contains(&format!("dihapus {}", all.len() - 125)), "{out}");

    // Flags change the policy.
    ok(app.cli(&["backup", "prune", "--keep-last", "1", "--keep-daily", "2"]));
    let left: BTreeSet<String> = names_in(&dir).into_iter().filter(|n| n.ends_with("Z.tar.age")).collect();
    assert_eq!(
        left,
        [stamp(day(3, 11).and_hms_opt(23, 45, 0).unwrap()), stamp(day(3, 10).and_hms_opt(23, 45, 0).unwrap())]
            .into_iter()
            .collect()
    );
}

// ------------------------------------------------------------------ rekey

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekey_refuses_while_serving_then_changes_the_key() {
    let mut app = App::start().await;
    app.onboard(CUSTOMER).await;
    transfer(&mut app, CUSTOMER, 2_500).await;
    let new_key = common::random_key();
    let mut cmd = app.command(&["db", "rekey"]);
    cmd.env("QUICKCART_NEW_DATABASE_KEY", &new_key);
    let refused = cmd.output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("serve sedang berjalan"), "{}", text(&refused));

    app.stop().await;
    let before = stats(&app).await;
    let key_file = app.dir.path().join("new.key");
    std::fs::write(&key_file, format!("{new_key}\n")).unwrap();
    let out = ok(app.cli(&["db", "rekey", "--new-key-file", key_file.to_str().unwrap()]));
    assert!(out.contains("DATABASE_KEY"), "{out}");
    let old = app.cli(&["db", "check"]);
    assert!(!old.status.success(), "the old key must not open the files any more");
    assert!(String::from_utf8_lossy(&old.stderr).contains("DATABASE_KEY"));
    app.env.insert("DATABASE_KEY".into(), new_key);
    ok(app.cli(&["db", "check"]));
    assert_eq!(stats(&app).await, before);
    assert!(ok(app.cli(&["audit", "tail", "-n", "1"])).contains("database_rekeyed"));
    app.spawn().await;
    transfer(&mut app, CUSTOMER, 1).await;
    app.finish().await;
}

// ------------------------------------------------------------------ logs

fn log_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_rotate_while_serving_and_prune_by_retention() {
    let mut app = App::start_with(|env| {
        env.insert("LOG_RETENTION_DAYS".into(), "7".into());
    })
    .await;
    let logs = PathBuf::from(&app.env["LOG_DIR"]);
    let today = chrono::Utc::now().date_naive();
    let name = |days: i64, suffix: &str| {
        format!("quickcart.{}{suffix}.log", (today - chrono::Duration::days(days)).format("%Y-%m-%d"))
    };
    let current = logs.join(name(0, ""));
    // The log is written by a background writer: "ready" reaches the file a moment after the
    // shop answers /healthz.
    let deadline = Instant::now() + common::WAIT;
    while !log_lines(&current).iter().any(|l| l.to_string().contains("quickcart ready")) {
        assert!(Instant::now() < deadline, "no 'quickcart ready' in {current:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let out = ok(cli(&app, &["logs", "rotate"]).await);
    let rotated = logs.join(name(0, ".1"));
    assert!(rotated.is_file() && !current.exists(), "{out}");
    // serve notices and starts a new file; the next lines land there.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.admin("/transfer 123|1", "").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !log_lines(&current).iter().any(|l| l.to_string().contains("admin_command")) {
        assert!(Instant::now() < deadline, "no new log file after rotate; logs: {:?}", names_in(&logs));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(log_lines(&rotated).iter().any(|l| l.to_string().contains("quickcart ready")));

    for (days, suffix) in [(1, ""), (7, ""), (7, ".1"), (8, ""), (8, ".2"), (40, "")] {
        std::fs::write(logs.join(name(days, suffix)), "{}\n").unwrap();
    }
    std::fs::write(logs.join("other.log"), "x").unwrap();
    let out = ok(cli(&app, &["logs", "prune"]).await);
    let left = names_in(&logs);
    let expected: BTreeSet<String> =
        [name(0, ""), name(0, ".1"), name(1, ""), name(7, ""), name(7, ".1"), "other.log".to_string()]
            .into_iter()
            .collect();
    assert_eq!(left, expected, "{out}");
    assert!(out.contains("3 berkas"), "{out}");
    app.finish().await;
}

// ------------------------------------------------------------------ the drill script

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restore_drill_script_brings_the_shop_back() {
    let mut app = App::prepare(|_| {}).await;
    let identity = backup_keys(&mut app);
    app.spawn().await;
    app.onboard(CUSTOMER).await;
    deposit(&mut app, CUSTOMER, "12000").await;
    transfer(&mut app, CUSTOMER, 3_000).await;
    let file = created_path(&ok(cli(&app, &["backup", "create"]).await));
    app.stop().await;
    let expected = stats(&app).await;

    // The operator's .env, as the drill reads it.
    let env_file = app.dir.path().join("quickcart.env");
    let env: String = app.env.iter().filter(|(k, _)| *k != "TMPDIR").map(|(k, v)| format!("{k}=\"{v}\"\n")).collect();
    std::fs::write(&env_file, env).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("backup/restore-drill.sh");
    let out = std::process::Command::new(&script)
        .arg(&file)
        .arg(&identity)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("QUICKCART", common::BIN)
        .env("QUICKCART_ENV_FILE", &env_file)
        .env("TMPDIR", &app.env["TMPDIR"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("DRILL OK"), "{}", text(&out));
    assert!(stdout.contains(&format!("ledger sum: {}", expected["ledger_sum"])), "{stdout}");
    assert!(stdout.contains(&format!("paid orders: {}", expected["orders"]["paid"])), "{stdout}");
    // The live shop was not touched by the drill.
    assert_eq!(stats(&app).await, expected);
    assert_eq!(std::fs::read_dir(&app.env["TMPDIR"]).unwrap().count(), 0, "scratch directory removed");
    app.finish().await;
}
