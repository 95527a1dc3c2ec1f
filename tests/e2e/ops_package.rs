//! The self-contained binary and the Debian package (issue 15). The binary the tests run needs
//! nothing beyond the C library (SQLCipher's OpenSSL is built in) and no glibc newer than
//! Debian 12's. `cargo deb` packs that same binary with the units, the Caddyfile template and
//! the conffile; lintian finds no error or warning; dpkg installs it (files, owners, modes, the
//! quickcart user, nothing started), upgrades it (the shop's data and the edited configuration
//! stay, no prompt), removes it (data and configuration stay) and purges it (configuration and
//! logs go, the shop's data stays), and the test leaves the machine as it found it.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(cmd)).find(|p| p.is_file())
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed ({}):\n{text}", out.status);
    text
}

// ------------------------------------------------------------------ the binary

/// The C library family: present on every glibc system, nothing to install.
const C_LIBRARY: [&str; 8] =
    ["libc.so", "libm.so", "libgcc_s.so", "ld-linux", "libpthread.so", "libdl.so", "librt.so", "linux-vdso"];

/// (major, minor) of Debian 12's glibc: the binary must run there.
const DEBIAN_12_GLIBC: (u32, u32) = (2, 36);

#[test]
fn the_binary_needs_only_the_c_library() {
    if which("readelf").is_none() || which("objdump").is_none() {
        eprintln!("NOTE: readelf/objdump are not installed (apt-get install binutils); skipping");
        return;
    }
    let dynamic = ok(Command::new("readelf").args(["-d", "--wide", common::BIN]));
    let needed: Vec<&str> = dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .collect();
    eprintln!("NEEDED: {needed:?}");
    assert!(needed.iter().any(|n| n.starts_with("libc.so")), "a dynamic glibc binary: {needed:?}");
    for lib in &needed {
        assert!(C_LIBRARY.iter().any(|c| lib.starts_with(c)), "{lib} is not part of the C library (all: {needed:?})");
    }
    for banned in ["libssl", "libcrypto", "libsqlite", "libsqlcipher"] {
        assert!(!dynamic.contains(banned), "{banned} is linked dynamically:\n{dynamic}");
    }

    // The newest glibc symbol version the binary asks for: the oldest glibc it runs on.
    let symbols = ok(Command::new("objdump").args(["-T", common::BIN]));
    let newest = symbols
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.');
            Some((parts.next()?.parse::<u32>().ok()?, parts.next().and_then(|m| m.parse::<u32>().ok()).unwrap_or(0)))
        })
        .max()
        .unwrap();
    eprintln!("newest GLIBC_ symbol version needed: {}.{}", newest.0, newest.1);
    assert!(newest <= DEBIAN_12_GLIBC, "needs glibc {newest:?}, newer than Debian 12's {DEBIAN_12_GLIBC:?}");
}

// ------------------------------------------------------------------ the conffile

#[test]
fn the_packaged_environment_file_is_made_from_env_example() {
    let made = ok(Command::new("sh").arg(repo("debian/make-env.sh")));
    let shipped = std::fs::read_to_string(repo("debian/quickcart.env")).unwrap();
    assert_eq!(made, shipped, "debian/quickcart.env is stale: run  sh debian/make-env.sh > debian/quickcart.env");

    // Every variable of .env.example is there, except the paths quickcart.service sets.
    let keys = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.trim_start_matches("# "))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_string()))
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .collect()
    };
    let example = std::fs::read_to_string(repo(".env.example")).unwrap();
    let unit_paths = ["DATA_DIR", "LOG_DIR", "BACKUP_DIR"];
    let expected: Vec<String> = keys(&example).into_iter().filter(|k| !unit_paths.contains(&k.as_str())).collect();
    assert_eq!(keys(&shipped), expected);
    assert!(shipped.lines().any(|l| l == "BACKUP_RECIPIENTS_FILE=/etc/quickcart/backup-recipients.txt"));
    let unit = std::fs::read_to_string(repo("systemd/quickcart.service")).unwrap();
    for key in unit_paths {
        assert!(!shipped.lines().any(|l| l.starts_with(&format!("{key}="))), "{key} comes from the unit");
        assert!(unit.contains(&format!("{key}=/var/")), "quickcart.service sets {key}");
    }
}

#[test]
fn the_debian_changelog_names_this_version() {
    // cargo-deb versions the package VERSION-1 from Cargo.toml; the changelog it ships must agree.
    let changelog = std::fs::read_to_string(repo("debian/changelog")).unwrap();
    let first = changelog.lines().next().unwrap();
    let expected = format!("quickcart ({}-1) ", env!("CARGO_PKG_VERSION"));
    assert!(first.starts_with(&expected), "debian/changelog starts with {first:?}; add an entry for {expected:?}");
}

// ------------------------------------------------------------------ the package

const UNITS: [&str; 10] = [
    "quickcart.service",
    "quickcart@.service",
    "quickcart-backup.service",
    "quickcart-backup.timer",
    "quickcart-backup@.service",
    "quickcart-backup@.timer",
    "quickcart-logs.service",
    "quickcart-logs.timer",
    "quickcart-logs@.service",
    "quickcart-logs@.timer",
];
const ENV_FILE: &str = "/etc/quickcart/quickcart.env";
const WANTS: &str = "/etc/systemd/system/timers.target.wants";

/// Builds the .deb of version `version` from the binary under test: cargo-deb takes
/// `target/release/quickcart` from CARGO_TARGET_DIR, so a scratch target dir holds a copy of it
/// and `--no-build` packs it (no second, release build of the crate).
fn build_deb(target: &Path, out: &Path, version: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let start = std::time::Instant::now();
    ok(Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target)
        .args(["deb", "--no-build", "--offline", "--fast", "--deb-version", version, "--output"])
        .arg(out));
    eprintln!("cargo deb {version}: {:.1} s", start.elapsed().as_secs_f64());
    let deb = out.join(format!("quickcart_{version}_amd64.deb"));
    assert!(deb.is_file(), "{} missing", deb.display());
    deb
}

fn mode(path: &str) -> (u32, u32, u32) {
    let meta = std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (meta.permissions().mode() & 0o7777, meta.uid(), meta.gid())
}

fn passwd(name: &str) -> Option<Vec<String>> {
    let out = run(Command::new("getent").args(["passwd", name]));
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().split(':').map(String::from).collect())
}

fn dpkg_status() -> String {
    let out = run(Command::new("dpkg-query").args(["-W", "-f=${Status} ${Version}", "quickcart"]));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Puts the machine back as the test found it, even when an assertion failed half-way.
struct Cleanup {
    made_wants_dir: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = run(Command::new("dpkg").args(["--purge", "quickcart"]));
        let _ = std::fs::remove_dir_all("/var/lib/quickcart");
        let _ = std::fs::remove_dir_all("/var/log/quickcart");
        let _ = std::fs::remove_dir_all("/etc/quickcart");
        let _ = std::fs::remove_file(format!("{WANTS}/quickcart-backup.timer"));
        if self.made_wants_dir {
            let _ = std::fs::remove_dir(WANTS);
        }
        if passwd("quickcart").is_some() {
            let _ = run(Command::new("userdel").arg("quickcart"));
        }
        let _ = run(Command::new("groupdel").arg("quickcart"));
    }
}

#[test]
fn the_debian_package_installs_upgrades_and_purges_cleanly() {
    // SAFETY of the machine: this test runs dpkg as root on the real system.
    if !run(Command::new("id").arg("-u")).stdout.starts_with(b"0\n") {
        eprintln!("NOTE: not root: the package test needs dpkg -i (CI runs as root); skipping");
        return;
    }
    for tool in ["cargo-deb", "lintian", "dpkg", "getent"] {
        if which(tool).is_none() {
            eprintln!("NOTE: {tool} is not installed (.ci/run installs it); skipping the package test");
            return;
        }
    }
    if !dpkg_status().is_empty()
        || passwd("quickcart").is_some()
        || ["/var/lib/quickcart", "/var/log/quickcart", "/etc/quickcart"].iter().any(|p| Path::new(p).exists())
    {
        eprintln!("NOTE: QuickCart is installed on this machine (package, user or directories); not touching it");
        return;
    }

    let scratch = tempfile::tempdir().unwrap();
    let target = scratch.path().join("target");
    std::fs::create_dir_all(target.join("release")).unwrap();
    std::fs::copy(common::BIN, target.join("release/quickcart")).unwrap();
    let out = scratch.path().join("debs");
    std::fs::create_dir_all(&out).unwrap();
    let v1 = build_deb(&target, &out, "0.1.0-1");
    let v2 = build_deb(&target, &out, "0.1.1-1");

    // What is in it, before anything is installed.
    let contents = ok(Command::new("dpkg-deb").arg("--contents").arg(&v1));
    assert!(contents.contains("-rw------- 0/0") && contents.contains("./etc/quickcart/quickcart.env"), "{contents}");
    let control = ok(Command::new("dpkg-deb").arg("--field").arg(&v1).arg("Depends"));
    assert!(!control.contains("libssl") && !control.contains("libsqlite"), "Depends: {control}");

    // lintian: no error, no warning (each override in debian/lintian-overrides says why).
    let lint = run(Command::new("lintian").args(["--fail-on", "error,warning", "--display-info"]).arg(&v1));
    let lint_text = format!("{}{}", String::from_utf8_lossy(&lint.stdout), String::from_utf8_lossy(&lint.stderr));
    eprintln!("lintian:\n{lint_text}");
    assert!(lint.status.success(), "lintian found errors or warnings:\n{lint_text}");
    assert!(!lint_text.lines().any(|l| l.starts_with("E: ") || l.starts_with("W: ")), "{lint_text}");

    let made_wants_dir = !Path::new(WANTS).exists();
    let _cleanup = Cleanup { made_wants_dir };

    // ---- install
    let installed = ok(Command::new("dpkg").arg("-i").arg(&v1));
    assert!(installed.contains("not started"), "postinst says what comes next:\n{installed}");
    assert_eq!(dpkg_status(), "install ok installed 0.1.0-1");

    assert_eq!(mode("/usr/bin/quickcart"), (0o755, 0, 0));
    assert!(ok(Command::new("/usr/bin/quickcart").arg("--version")).contains("quickcart"));
    assert_eq!(mode(ENV_FILE), (0o600, 0, 0), "the secrets file is root's alone");
    assert_eq!(
        std::fs::read_to_string(ENV_FILE).unwrap(),
        std::fs::read_to_string(repo("debian/quickcart.env")).unwrap()
    );
    let conffiles = ok(Command::new("dpkg-query").args(["-W", "-f=${Conffiles}", "quickcart"]));
    assert!(conffiles.contains(ENV_FILE), "conffiles: {conffiles}");
    for unit in UNITS {
        let path = format!("/usr/lib/systemd/system/{unit}");
        assert_eq!(mode(&path), (0o644, 0, 0), "{path}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            std::fs::read_to_string(repo(&format!("systemd/{unit}"))).unwrap()
        );
    }
    assert_eq!(
        std::fs::read_to_string("/usr/share/quickcart/Caddyfile").unwrap(),
        std::fs::read_to_string(repo("Caddyfile")).unwrap(),
        "the Caddyfile template is the repository's"
    );
    assert_eq!(mode("/usr/share/quickcart/restore-drill.sh").0, 0o755);

    let user = passwd("quickcart").expect("postinst creates the quickcart user");
    let uid: u32 = user[2].parse().unwrap();
    let gid: u32 = user[3].parse().unwrap();
    assert!(uid < 1000 && uid > 0, "a system user: {user:?}");
    assert_eq!(user[5], "/var/lib/quickcart");
    assert_eq!(user[6], "/usr/sbin/nologin");
    assert!(ok(Command::new("getent").args(["group", "quickcart"])).starts_with("quickcart:"));
    for dir in ["/var/lib/quickcart", "/var/lib/quickcart/data", "/var/lib/quickcart/backups"] {
        assert_eq!(mode(dir), (0o700, uid, gid), "{dir}");
    }
    assert_eq!(mode("/var/log/quickcart"), (0o750, uid, gid));
    let enabled = run(Command::new("sh").args(["-c", "ls /etc/systemd/system/*.wants/ 2>/dev/null | grep quickcart"]));
    assert!(enabled.stdout.is_empty(), "nothing is enabled on install: {}", String::from_utf8_lossy(&enabled.stdout));

    // The owner's shop and settings: data, an edited conffile, a timer enabled by hand (as
    // `systemctl enable` does: a link in timers.target.wants).
    std::fs::write("/var/lib/quickcart/data/marker", "shop data").unwrap();
    std::fs::write("/var/log/quickcart/quickcart.2026-11-26.log", "{}\n").unwrap();
    let edited = std::fs::read_to_string(ENV_FILE).unwrap().replace("STORE_NAME=QuickCart", "STORE_NAME=Toko Uji");
    assert!(edited.contains("STORE_NAME=Toko Uji"));
    std::fs::write(ENV_FILE, &edited).unwrap();
    std::fs::write("/etc/quickcart/backup-recipients.txt", "age1example\n").unwrap();
    std::fs::create_dir_all(WANTS).unwrap();
    std::os::unix::fs::symlink(
        "/usr/lib/systemd/system/quickcart-backup.timer",
        format!("{WANTS}/quickcart-backup.timer"),
    )
    .unwrap();

    // ---- upgrade: stdin is /dev/null, so a conffile prompt would fail the command.
    ok(Command::new("dpkg").arg("-i").arg(&v2));
    assert_eq!(dpkg_status(), "install ok installed 0.1.1-1");
    assert_eq!(std::fs::read_to_string("/var/lib/quickcart/data/marker").unwrap(), "shop data");
    assert_eq!(std::fs::read_to_string(ENV_FILE).unwrap(), edited, "the owner's configuration survives an upgrade");
    assert_eq!(mode(ENV_FILE), (0o600, 0, 0));
    assert_eq!(mode("/var/lib/quickcart/data"), (0o700, uid, gid));
    assert_eq!(passwd("quickcart").unwrap()[2], user[2], "same user after the upgrade");

    // ---- remove: the program goes, the shop and its configuration stay.
    ok(Command::new("dpkg").args(["--remove", "quickcart"]));
    assert_eq!(dpkg_status(), "deinstall ok config-files 0.1.1-1");
    assert!(!Path::new("/usr/bin/quickcart").exists());
    assert!(!Path::new("/usr/lib/systemd/system/quickcart.service").exists());
    assert_eq!(std::fs::read_to_string("/var/lib/quickcart/data/marker").unwrap(), "shop data");
    assert_eq!(std::fs::read_to_string(ENV_FILE).unwrap(), edited);
    assert!(Path::new("/var/log/quickcart/quickcart.2026-11-26.log").exists());
    assert!(passwd("quickcart").is_some());

    // ---- purge: configuration, logs and the dangling enable link go; the shop's data and the
    // user stay (postrm says how to delete them).
    let purged = ok(Command::new("dpkg").args(["--purge", "quickcart"]));
    assert!(dpkg_status().is_empty() || dpkg_status().starts_with("unknown ok not-installed"), "{}", dpkg_status());
    assert!(!Path::new(ENV_FILE).exists(), "purge removes the conffile");
    assert!(!Path::new("/var/log/quickcart").exists(), "purge removes the logs");
    assert!(
        std::fs::symlink_metadata(format!("{WANTS}/quickcart-backup.timer")).is_err(),
        "dangling enable link removed"
    );
    assert!(Path::new("/etc/quickcart/backup-recipients.txt").exists(), "the owner's own files are not the package's");
    assert_eq!(
        std::fs::read_to_string("/var/lib/quickcart/data/marker").unwrap(),
        "shop data",
        "purge never deletes a shop"
    );
    assert!(purged.contains("kept /var/lib/quickcart"), "{purged}");
    assert!(passwd("quickcart").is_some(), "Debian keeps system users");

    // The test's own leftovers (Cleanup also runs on failure): the machine as it was.
    drop(_cleanup);
    assert!(passwd("quickcart").is_none());
    for path in ["/var/lib/quickcart", "/var/log/quickcart", "/etc/quickcart"] {
        assert!(!Path::new(path).exists(), "{path} left behind");
    }
    assert_eq!(Path::new(WANTS).exists(), !made_wants_dir);
}
