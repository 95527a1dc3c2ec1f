//! Backups that leave the machine (issue 15): `BACKUP_REMOTE` against real rclone remotes on
//! this machine: its local backend (a named remote in a private rclone.conf) and `rclone serve
//! webdav` on loopback, which is stopped to make uploads fail. `backup create` uploads (the
//! remote copy decrypts with the `age` CLI), catches up after a failure, `backup prune` applies
//! retention on both sides, `backup list` shows both, `backup restore|verify --remote` bring a
//! remote backup back through the usual restore path.

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{free_addr, App};
use crate::ops_backup::{backup_keys, created_path, ok, sha, stats, text, which};

/// rclone is a Debian package (`.ci/run` installs it); without it there is nothing to test.
fn have_rclone() -> bool {
    if which("rclone").is_some() {
        return true;
    }
    eprintln!("NOTE: `rclone` is not installed (apt-get install rclone); skipping the BACKUP_REMOTE test");
    false
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => BTreeSet::new(),
    }
}

fn backups_in(dir: &Path) -> BTreeSet<String> {
    names_in(dir).into_iter().filter(|n| n.starts_with("quickcart-") && n.ends_with(".tar.age")).collect()
}

fn name_of(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// A shop with backup keys and a private rclone.conf holding `[vault] type = local`;
/// BACKUP_REMOTE is `vault:<tmp>/offsite/shop`. Returns the identity and the remote directory.
async fn shop_with_local_remote() -> (App, PathBuf, PathBuf) {
    let mut app = App::prepare(|_| {}).await;
    let identity = backup_keys(&mut app);
    let conf = app.dir.path().join("rclone.conf");
    std::fs::write(&conf, "[vault]\ntype = local\n").unwrap();
    let remote_dir = app.dir.path().join("offsite/shop");
    app.env.insert("RCLONE_CONFIG".into(), conf.display().to_string());
    app.env.insert("BACKUP_REMOTE".into(), format!("vault:{}", remote_dir.display()));
    ok(app.cli(&["db", "migrate"]));
    (app, identity, remote_dir)
}

/// The `diunggah ke …: NAME` lines of a create report.
fn uploaded(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with("diunggah ke "))
        .map(|l| l.split(": ").nth(1).unwrap().split(' ').next().unwrap().to_string())
        .collect()
}

/// `backup list` rows: name → (time column, where column).
fn list_rows(stdout: &str) -> Vec<(String, String, String)> {
    stdout
        .lines()
        .filter(|l| l.ends_with(".tar.age"))
        .map(|l| {
            let name = l.split_whitespace().last().unwrap().to_string();
            let when = l.get(..16).unwrap().to_string();
            let place = l.split_whitespace().rev().nth(1).unwrap().to_string();
            (name, when, place)
        })
        .collect()
}

/// `quickcart-20261126T075130Z.tar.age` → `26/11/2026 14:51` (WIB = UTC+7).
fn wib_of(name: &str) -> String {
    let stamp = name.trim_start_matches("quickcart-").get(..16).unwrap();
    let t = chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").unwrap() + chrono::Duration::hours(7);
    t.format("%d/%m/%Y %H:%M").to_string()
}

// ------------------------------------------------------------------ local backend

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_uploads_a_copy_that_age_decrypts_catches_up_and_list_shows_both_sides() {
    if !have_rclone() {
        return;
    }
    let (app, identity, remote_dir) = shop_with_local_remote().await;
    ok(app.cli(&["admin", "grant", "4242"]));

    let out = ok(app.cli(&["backup", "create"]));
    let first = created_path(&out);
    assert_eq!(uploaded(&out), vec![name_of(&first)], "{out}");
    assert!(out.contains("(diperiksa: sha256)"), "the local backend offers sha256: {out}");
    let copy = remote_dir.join(name_of(&first));
    assert_eq!(sha(&copy), sha(&first), "the remote copy is the same file");
    assert_eq!(names_in(&remote_dir), backups_in(&remote_dir), "no temporary upload left on the remote");

    // The remote copy decrypts with the standard age CLI to the same archive.
    if which("age").is_some() {
        let tar = app.dir.path().join("remote.tar");
        let age = Command::new("age")
            .args(["-d", "-i", identity.to_str().unwrap(), "-o", tar.to_str().unwrap(), copy.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(age.status.success(), "age -d on the remote copy: {}", text(&age));
        let list = Command::new("tar").args(["-tf", tar.to_str().unwrap()]).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&list.stdout).lines().collect::<Vec<_>>(),
            ["manifest.json", "shop.db", "audit.db"]
        );
    } else {
        eprintln!("NOTE: `age` is not installed; skipping the age CLI check of the remote copy");
    }

    // The next create uploads only its own backup.
    let out = ok(app.cli(&["backup", "create"]));
    let second = created_path(&out);
    assert_eq!(uploaded(&out), vec![name_of(&second)], "{out}");

    // A backup made while BACKUP_REMOTE was unset is only here; the next create sends it too,
    // newest first.
    let mut local_only = app.command(&["backup", "create"]);
    local_only.env_remove("BACKUP_REMOTE");
    let third = created_path(&ok(local_only.output().unwrap()));
    assert!(!remote_dir.join(name_of(&third)).exists());
    // A backup that only the remote has (this machine lost it).
    std::fs::remove_file(&first).unwrap();

    let listed = ok(app.cli(&["backup", "list"]));
    let rows = list_rows(&listed);
    let expected = vec![
        (name_of(&third), wib_of(&name_of(&third)), "lokal".to_string()),
        (name_of(&second), wib_of(&name_of(&second)), "keduanya".to_string()),
        (name_of(&first), wib_of(&name_of(&first)), "remote".to_string()),
    ];
    assert_eq!(rows, expected, "{listed}");
    assert!(listed.contains("lokal (") && listed.contains(": 2 backup"), "{listed}");
    assert!(listed.contains("remote (vault:") && listed.contains("1 di kedua tempat"), "{listed}");

    let out = ok(app.cli(&["backup", "create"]));
    let fourth = created_path(&out);
    assert_eq!(uploaded(&out), vec![name_of(&fourth), name_of(&third)], "{out}");
    for p in [&second, &third, &fourth] {
        assert_eq!(sha(&remote_dir.join(name_of(p))), sha(p));
    }
    let rows = list_rows(&ok(app.cli(&["backup", "list"])));
    assert_eq!(rows.iter().filter(|r| r.2 == "keduanya").count(), 3, "{rows:?}");

    // Without BACKUP_REMOTE, list says the backups are only here.
    let mut plain = app.command(&["backup", "list"]);
    plain.env_remove("BACKUP_REMOTE");
    let out = ok(plain.output().unwrap());
    assert!(out.contains("BACKUP_REMOTE belum diisi"), "{out}");

    // The doctor's check: reachable and writable, and it leaves nothing behind.
    let before = names_in(&remote_dir);
    let spec = format!(":local:{}", remote_dir.display());
    let line = check_remote(&spec).await.unwrap_or_else(|e| panic!("check_remote: {e:#}"));
    assert!(line.contains("dapat ditulisi") && line.contains("4 backup"), "{line}");
    assert_eq!(names_in(&remote_dir), before);
    // A remote rclone does not know: the error says where remotes come from.
    let err = check_remote("quickcart-e2e-no-such-remote:shop").await.unwrap_err();
    assert!(format!("{err:#}").contains("rclone config"), "{err:#}");
}

/// `ops::rclone::check_remote`, the doctor's entry point (blocking, so off the runtime).
async fn check_remote(spec: &str) -> anyhow::Result<String> {
    let spec = spec.to_string();
    tokio::task::spawn_blocking(move || quickcart::ops::rclone::check_remote(&spec)).await.unwrap()
}

fn stamp(t: chrono::NaiveDateTime) -> String {
    format!("quickcart-{}.tar.age", t.format("%Y%m%dT%H%M%SZ"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_applies_the_same_retention_on_the_remote() {
    if !have_rclone() {
        return;
    }
    let (app, _identity, remote_dir) = shop_with_local_remote().await;
    let local_dir = PathBuf::from(&app.env["BACKUP_DIR"]);
    std::fs::create_dir_all(&local_dir).unwrap();
    std::fs::create_dir_all(&remote_dir).unwrap();
    let at = |d: u32, h: u32| chrono::NaiveDate::from_ymd_opt(2025, 3, d).unwrap().and_hms_opt(h, 0, 0).unwrap();
    // Days 1..=6, four a day. Both sides hold days 3..=6; only the remote holds days 1 and 2
    // (older history), only here the last one of day 6.
    let mut local = BTreeSet::new();
    let mut remote = BTreeSet::new();
    for d in 1..=6 {
        for h in [1, 7, 13, 19] {
            let n = stamp(at(d, h));
            if d >= 3 && !(d == 6 && h == 19) {
                local.insert(n.clone());
            }
            if !(d == 6 && h == 19) {
                remote.insert(n);
            }
        }
    }
    local.insert(stamp(at(6, 19)));
    for n in &local {
        std::fs::write(local_dir.join(n), b"x").unwrap();
    }
    for n in &remote {
        std::fs::write(remote_dir.join(n), b"x").unwrap();
    }
    // A foreign file stays; an upload that broke off two days ago goes, a fresh one stays.
    std::fs::write(remote_dir.join("notes.txt"), b"keep").unwrap();
    let stale = ".quickcart-upload-4321-quickcart-20250301T010000Z.tar.age.partial";
    let fresh = ".quickcart-upload-4321-quickcart-20250306T190000Z.tar.age.partial";
    std::fs::write(remote_dir.join(stale), b"x").unwrap();
    std::fs::write(remote_dir.join(fresh), b"x").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options().write(true).open(remote_dir.join(stale)).unwrap().set_modified(old).unwrap();

    let args = ["backup", "prune", "--keep-last", "3", "--keep-daily", "4"];
    let dry = ok(app.cli(&[&args[..], &["--dry-run"]].concat()));
    assert!(dry.contains("akan dihapus di vault:"), "{dry}");
    assert_eq!(backups_in(&local_dir), local, "dry run deletes nothing here");
    assert_eq!(backups_in(&remote_dir), remote, "dry run deletes nothing there");

    let out = ok(app.cli(&args));
    // Each side keeps its newest 3 plus the newest of each of its 4 latest days.
    let keep_local: BTreeSet<String> =
        [stamp(at(6, 19)), stamp(at(6, 13)), stamp(at(6, 7)), stamp(at(5, 19)), stamp(at(4, 19)), stamp(at(3, 19))]
            .into_iter()
            .collect();
    let keep_remote: BTreeSet<String> =
        [stamp(at(6, 13)), stamp(at(6, 7)), stamp(at(6, 1)), stamp(at(5, 19)), stamp(at(4, 19)), stamp(at(3, 19))]
            .into_iter()
            .collect();
    assert_eq!(backups_in(&local_dir), keep_local, "{out}");
    assert_eq!(backups_in(&remote_dir), keep_remote, "{out}");
    let others: BTreeSet<String> = names_in(&remote_dir).into_iter().filter(|n| !n.starts_with("quickcart-")).collect();
    assert_eq!(others, ["notes.txt".to_string(), fresh.to_string()].into_iter().collect(), "{out}");
    assert!(out.contains(&format!("dihapus {}", remote.len() - keep_remote.len())), "{out}");

    // The next create sends up its own backup and day 6 19:00, which only this side had;
    // nothing the remote just pruned goes back.
    let out = ok(app.cli(&["backup", "create"]));
    let new = name_of(&created_path(&out));
    assert_eq!(uploaded(&out), vec![new.clone(), stamp(at(6, 19))], "{out}");
    let mut after = keep_remote.clone();
    after.extend([new, stamp(at(6, 19))]);
    assert_eq!(backups_in(&remote_dir), after);
}

// ------------------------------------------------------------------ restore from the remote

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_machine_restores_from_the_remote() {
    if !have_rclone() {
        return;
    }
    let (mut app, identity, remote_dir) = shop_with_local_remote().await;
    app.spawn().await;
    app.onboard(700_101).await;
    app.admin("/transfer 700101|12345", "Saldo 700101").await;
    app.stop().await;
    let at_backup = stats(&app).await;
    let out = ok(app.cli(&["backup", "create"]));
    let name = name_of(&created_path(&out));
    app.spawn().await;
    app.admin("/transfer 700101|1", "Saldo 700101").await;
    app.stop().await;
    assert_ne!(stats(&app).await, at_backup);

    // The machine's backups are gone; the remote still has the copy.
    let local_dir = PathBuf::from(&app.env["BACKUP_DIR"]);
    std::fs::remove_dir_all(&local_dir).unwrap();
    assert!(remote_dir.join(&name).is_file());

    let id = identity.to_str().unwrap();
    let out = ok(app.cli(&["backup", "verify", "--remote", &name, "-i", id]));
    assert!(out.contains("diunduh dari vault:") && out.contains("backup OK"), "{out}");
    let out = ok(app.cli(&["backup", "restore", "--remote", &name, "-i", id]));
    assert!(out.contains("(diperiksa: sha256)") && out.contains("berkas lama disimpan di"), "{out}");
    assert_eq!(stats(&app).await, at_backup, "the shop as it was at the backup");
    let tail = ok(app.cli(&["audit", "tail", "-n", "1"]));
    assert!(tail.contains("backup_restored") && tail.contains(&name), "{tail}");
    ok(app.cli(&["db", "check"]));
    assert!(
        names_in(&local_dir).iter().all(|n| !n.starts_with(".quickcart-download-")),
        "the download is removed: {:?}",
        names_in(&local_dir)
    );

    // A name that is not there, or not a backup name, fails and says why.
    for (bad, why) in
        [("quickcart-20200101T000000Z.tar.age", "tidak ada di vault:"), ("../etc/passwd", "bukan nama backup")]
    {
        let o = app.cli(&["backup", "restore", "--remote", bad, "-i", id]);
        assert!(!o.status.success(), "{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains(why), "{}", text(&o));
    }
    app.spawn().await;
    app.finish().await;
}

// ------------------------------------------------------------------ a networked remote

/// `rclone serve webdav|sftp` on loopback, stopped on drop.
struct Served {
    child: Child,
    addr: String,
}

impl Served {
    /// `extra`: the protocol and its options, e.g. `["webdav"]`. `home` keeps rclone's files
    /// (the sftp host keys) inside the test directory.
    fn start(extra: &[&str], root: &Path, home: &Path, addr: &str) -> Option<Served> {
        let child = Command::new("rclone")
            .arg("serve")
            .args(extra)
            .args(["--addr", addr])
            .arg(root)
            .env("RCLONE_CONFIG", "/dev/null")
            .env("XDG_CACHE_HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut served = Served { child, addr: addr.to_string() };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&served.addr).is_err() {
            if Instant::now() > deadline || served.child.try_wait().unwrap().is_some() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(served)
    }

    /// A server on a free port (another test may take a port between picking and binding).
    fn start_anywhere(extra: &[&str], root: &Path, home: &Path) -> Served {
        (0..5).find_map(|_| Served::start(extra, root, home, &free_addr())).expect("rclone serve did not start")
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.addr.clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dav_conf(app: &App, addr: &str) {
    let conf = format!("[dav]\ntype = webdav\nurl = http://{addr}/\nvendor = other\n");
    std::fs::write(&app.env["RCLONE_CONFIG"], conf).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webdav_remote_that_is_down_fails_the_run_keeps_the_backup_and_the_next_run_uploads_both() {
    if !have_rclone() {
        return;
    }
    let mut app = App::prepare(|_| {}).await;
    let identity = backup_keys(&mut app);
    let served = app.dir.path().join("dav-root");
    std::fs::create_dir_all(&served).unwrap();
    let conf = app.dir.path().join("rclone.conf");
    app.env.insert("RCLONE_CONFIG".into(), conf.display().to_string());
    app.env.insert("BACKUP_REMOTE".into(), "dav:shop/backups".into());
    ok(app.cli(&["db", "migrate"]));
    let remote_dir = served.join("shop/backups");

    let home = app.dir.path().join("rclone-home");
    let dav = Served::start_anywhere(&["webdav"], &served, &home);
    dav_conf(&app, &dav.addr);
    let out = ok(app.cli(&["backup", "create"]));
    let first = created_path(&out);
    // Plain WebDAV offers no hash: the upload is read back once and hashed.
    assert!(out.contains("sha256 (dibaca ulang)"), "{out}");
    assert_eq!(sha(&remote_dir.join(name_of(&first))), sha(&first));

    // The server goes away: the run fails and says so, the local backup stays.
    let addr = dav.stop();
    let failed = app.cli(&["backup", "create"]);
    assert!(!failed.status.success(), "{}", text(&failed));
    let second = created_path(&String::from_utf8_lossy(&failed.stdout));
    assert!(second.is_file(), "the local backup is kept");
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(err.starts_with("quickcart: rclone "), "{}", text(&failed));
    assert!(err.contains("connection refused") && err.contains("backup tetap tersimpan di BACKUP_DIR"), "{err}");
    assert!(!remote_dir.join(name_of(&second)).exists());
    let listed = app.cli(&["backup", "list"]);
    assert!(!listed.status.success(), "list says the remote could not be read: {}", text(&listed));
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("tidak dapat dibaca") && listed.contains(&name_of(&second)), "{listed}");

    // A connection string with parameters never shows them, even in an error.
    let mut secret = app.command(&["backup", "list"]);
    secret.env("BACKUP_REMOTE", format!(":webdav,url='http://{addr}/',bearer_token=hunter2-bearer-xyz:shop"));
    let o = secret.output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(!o.status.success() && all.contains(":webdav,…:shop"), "{all}");
    assert!(!all.contains("hunter2-bearer-xyz"), "{all}");

    // Back up again (on the same port if it is still free): the next create uploads both.
    let dav = Served::start(&["webdav"], &served, &home, &addr)
        .unwrap_or_else(|| Served::start_anywhere(&["webdav"], &served, &home));
    dav_conf(&app, &dav.addr);
    let out = ok(app.cli(&["backup", "create"]));
    let third = created_path(&out);
    assert_eq!(uploaded(&out), vec![name_of(&third), name_of(&second)], "{out}");
    assert_eq!(backups_in(&remote_dir), [&first, &second, &third].iter().map(|p| name_of(p)).collect());
    for p in [&first, &second, &third] {
        assert_eq!(sha(&remote_dir.join(name_of(p))), sha(p), "{}", name_of(p));
    }
    let rows = list_rows(&ok(app.cli(&["backup", "list"])));
    assert!(rows.len() == 3 && rows.iter().all(|r| r.2 == "keduanya"), "{rows:?}");

    // And one of them comes back over the network.
    let out = ok(app.cli(&["backup", "verify", "--remote", &name_of(&second), "-i", identity.to_str().unwrap()]));
    assert!(out.contains("backup OK"), "{out}");
    drop(dav);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sftp_remote_checks_each_transfer_with_its_own_sha1() {
    if !have_rclone() {
        return;
    }
    let mut app = App::prepare(|_| {}).await;
    let identity = backup_keys(&mut app);
    let served = app.dir.path().join("sftp-root");
    let home = app.dir.path().join("rclone-home");
    std::fs::create_dir_all(&served).unwrap();
    let password = "e2e-sftp-password-0000"; // pragma: allowlist secret
    let sftp = Served::start_anywhere(&["sftp", "--user", "shop", "--pass", password], &served, &home);
    let obscured = Command::new("rclone").args(["obscure", password]).output().unwrap();
    assert!(obscured.status.success(), "{}", text(&obscured));
    let (host, port) = sftp.addr.split_once(':').unwrap();
    let conf = app.dir.path().join("rclone.conf");
    std::fs::write(
        &conf,
        format!(
            "[vm2]\ntype = sftp\nhost = {host}\nport = {port}\nuser = shop\npass = {}\nshell_type = unix\nmd5sum_command = md5sum\nsha1sum_command = sha1sum\n",
            String::from_utf8_lossy(&obscured.stdout).trim()
        ),
    )
    .unwrap();
    app.env.insert("RCLONE_CONFIG".into(), conf.display().to_string());
    app.env.insert("BACKUP_REMOTE".into(), "vm2:backups".into());
    ok(app.cli(&["db", "migrate"]));
    ok(app.cli(&["admin", "grant", "4242"]));
    let at_backup = stats(&app).await;

    // SFTP offers md5 and sha1, not sha256: the copy is compared with rclone's sha1 of ours.
    let out = ok(app.cli(&["backup", "create"]));
    let file = created_path(&out);
    assert!(out.contains("(diperiksa: sha1)"), "{out}");
    assert_eq!(sha(&served.join("backups").join(name_of(&file))), sha(&file));

    ok(app.cli(&["admin", "grant", "4343"]));
    assert_ne!(stats(&app).await, at_backup);
    std::fs::remove_file(&file).unwrap();
    let out = ok(app.cli(&["backup", "restore", "--remote", &name_of(&file), "-i", identity.to_str().unwrap()]));
    assert!(out.contains("diunduh dari vm2:backups") && out.contains("(diperiksa: sha1)"), "{out}");
    assert_eq!(stats(&app).await, at_backup);
    drop(sftp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_that_never_answers_is_given_up_on_at_the_deadline() {
    if !have_rclone() {
        return;
    }
    // Connections are accepted (by the kernel's backlog) and never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!(":webdav,url='http://{}/':shop", silent.local_addr().unwrap());
    let remote = quickcart::ops::rclone::Remote::new(&spec).quick(30);
    let err = tokio::task::spawn_blocking(move || remote.list()).await.unwrap().unwrap_err();
    assert!(format!("{err:#}").contains("tidak selesai dalam 3 detik"), "{err:#}");
    drop(silent);
}
