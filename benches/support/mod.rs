//! Shared pieces of the benchmarks (`cargo bench`): start the release binary against the
//! in-library fakes, seed a data directory through the library, read /proc, summarise samples.
//!
//! The environment, the fakes and the small helpers are the end-to-end tests' own
//! (`tests/e2e/common.rs`, included below); nothing here asserts on speed, the benches print
//! numbers.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use quickcart::config::DbKey;
use quickcart::domain::commands::NewProduct;
use quickcart::store::{self, Db};
use quickcart::testkit::{FakePakasir, FakeTelegram};

/// The tests' harness: the same binary, test configuration and helpers.
#[path = "../../tests/e2e/common.rs"]
pub mod common;

pub use common::{free_addr, random_key, ADMIN, BIN, PAKASIR_API_KEY, PAKASIR_PROJECT, PAKASIR_WEBHOOK_SECRET, TOKEN};
/// First simulated customer id (customers are `FIRST_USER..FIRST_USER + n`).
pub const FIRST_USER: i64 = 1_000_000;

/// A number from the environment, else the default.
pub fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

/// `--name value` or `--name=value` among the bench arguments, else `knob(env, default)`.
pub fn arg_or_knob(flag: &str, env: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    for (i, a) in args.iter().enumerate() {
        if let Some(v) = a.strip_prefix(&format!("--{flag}=")) {
            if let Ok(n) = v.parse() {
                return n;
            }
        }
        if a == &format!("--{flag}") {
            if let Some(n) = args.get(i + 1).and_then(|v| v.parse().ok()) {
                return n;
            }
        }
    }
    knob(env, default)
}

/// The release binary with its own fakes and temp data directory.
pub struct Bot {
    pub tg: FakeTelegram,
    pub pakasir: FakePakasir,
    pub dir: tempfile::TempDir,
    pub env: BTreeMap<String, String>,
    pub base_url: String,
    child: Option<Child>,
}

impl Bot {
    /// Fakes, temp dir and environment; the binary is not started.
    pub async fn prepare(adjust: impl FnOnce(&mut BTreeMap<String, String>)) -> Bot {
        let tg = FakeTelegram::start().await.expect("fake telegram");
        let pakasir = FakePakasir::start(PAKASIR_PROJECT, PAKASIR_API_KEY).await.expect("fake pakasir");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            env.insert(k.to_string(), v);
        };
        set("DATABASE_KEY", random_key());
        set("TELEGRAM_BOT_TOKEN", TOKEN.into());
        set("TELEGRAM_API_URL", tg.url());
        set("PAKASIR_PROJECT", PAKASIR_PROJECT.into());
        set("PAKASIR_API_KEY", PAKASIR_API_KEY.into());
        set("PAKASIR_WEBHOOK_SECRET", PAKASIR_WEBHOOK_SECRET.into());
        set("PAKASIR_BASE_URL", pakasir.url());
        set("DATA_DIR", dir.path().join("data").display().to_string());
        set("LOG_DIR", dir.path().join("logs").display().to_string());
        set("BACKUP_DIR", dir.path().join("backups").display().to_string());
        set("HTTP_BIND", free_addr());
        set("METRICS_BIND", free_addr());
        set("ADMIN_IDS", ADMIN.to_string());
        set("STORE_NAME", "Toko Bench".into());
        adjust(&mut env);
        Bot { tg, pakasir, dir, env, base_url: String::new(), child: None }
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(&self.env["DATA_DIR"])
    }

    pub fn key(&self) -> DbKey {
        DbKey::parse(&self.env["DATABASE_KEY"]).expect("key")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).env_clear().envs(&self.env).current_dir(self.dir.path()).stdin(Stdio::null());
        for k in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(k) {
                cmd.env(k, v);
            }
        }
        cmd
    }

    /// Spawns `serve`; returns the time from spawn to the first `/healthz` 200, after which it
    /// also waits until the bot polls Telegram.
    pub async fn spawn(&mut self) -> Duration {
        assert!(self.child.is_none());
        self.base_url = format!("http://{}", self.env["HTTP_BIND"]);
        let stderr = File::create(self.dir.path().join("serve.stderr")).expect("stderr file");
        let stdout = File::create(self.dir.path().join("serve.stdout")).expect("stdout file");
        let http = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().expect("client");
        let url = format!("{}/healthz", self.base_url);
        let polls_before = self.tg.calls_to("deletewebhook").len();
        let t0 = Instant::now();
        let child = self
            .command(&["serve"])
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("spawn quickcart serve");
        self.child = Some(child);
        let deadline = t0 + Duration::from_secs(30);
        let ready = loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("quickcart serve exited during start ({status}); stderr:\n{}", self.stderr());
            }
            if matches!(http.get(&url).send().await, Ok(r) if r.status() == 200) {
                break t0.elapsed();
            }
            assert!(Instant::now() < deadline, "not ready in 30 s; stderr:\n{}", self.stderr());
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        while self.tg.calls_to("deletewebhook").len() <= polls_before {
            assert!(Instant::now() < deadline, "bot never polled; stderr:\n{}", self.stderr());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        ready
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("running")
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.stderr")).unwrap_or_default()
    }

    /// SIGTERM and wait (bounded).
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().ok().flatten().is_none() {
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `quickcart db stats` as JSON (run with the binary stopped or running).
    pub fn db_stats(&self) -> serde_json::Value {
        let out = self.command(&["db", "stats"]).output().expect("db stats");
        assert!(out.status.success(), "db stats failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("db stats JSON")
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ------------------------------------------------------------------ /proc

/// A `kB` field of /proc/PID/status (`VmRSS`, `VmHWM`), in MiB.
pub fn status_mib(pid: u32, field: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.trim_start_matches(':').split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// User + system CPU seconds used so far by a process (clock ticks of 1/100 s).
pub fn cpu_seconds(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`: state is field 3; utime and stime are 14 and 15.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

// ------------------------------------------------------------------ seeding

/// Opens the data directory through the library (creating and migrating it) with fsync off on
/// the connection used for seeding: seeding is set-up, not what is measured.
pub fn seed_db(data_dir: &Path, key: &DbKey) -> Db {
    Db::open(data_dir, key).expect("open data dir")
}

pub fn seed_users(db: &Db, ids: impl Iterator<Item = i64>) {
    let mut c = db.shop().expect("conn");
    c.execute_batch("PRAGMA synchronous = OFF;").expect("pragma");
    for id in ids {
        store::users::get_or_create(&mut c, id, &format!("User{id}"), Some(&format!("user{id}"))).expect("user");
        store::users::set_onboarded(&c, id).expect("onboarded");
    }
    c.execute_batch("PRAGMA synchronous = FULL;").expect("pragma");
}

pub fn seed_product(db: &Db, id: i64, price: i64, items: usize) {
    let mut c = db.shop().expect("conn");
    c.execute_batch("PRAGMA synchronous = OFF;").expect("pragma");
    let p = NewProduct {
        id: Some(id),
        name: format!("Produk {id}"),
        category: Some(format!("Kategori {}", id % 20)),
        price,
        description: format!("Deskripsi produk {id}"),
    };
    store::products::add(&mut c, &p).expect("product");
    let list: Vec<String> = (1..=items).map(|n| format!("akun-{id}-{n}@example.com:pass{n}")).collect();
    for chunk in list.chunks(10_000) {
        store::stock::add(&mut c, id, chunk).expect("stock");
    }
    c.execute_batch("PRAGMA synchronous = FULL;").expect("pragma");
}

// ------------------------------------------------------------------ numbers

/// Percentile (nearest rank) of durations, in ms.
pub fn pct_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1000.0
}

pub fn summary(name: &str, samples: &mut [Duration]) -> String {
    samples.sort();
    format!(
        "{name}: n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
        samples.len(),
        pct_ms(samples, 50.0),
        pct_ms(samples, 90.0),
        pct_ms(samples, 99.0),
        pct_ms(samples, 100.0)
    )
}

/// The load average and other cargo/quickcart processes, printed with every result so a number
/// taken on a busy machine says so.
pub fn machine_note() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let me = std::process::id();
    let others = Command::new("pgrep")
        .args(["-fa", "cargo|quickcart"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| {
                    !l.starts_with(&format!("{me} "))
                        && !l.contains("pgrep")
                        && !l.contains("binary_backend")
                        && !l.contains("cargo bench")
                        && !l.contains("target/release/quickcart")
                })
                .count()
        })
        .unwrap_or(0);
    format!(
        "load average {} | other cargo/quickcart processes: {others}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    )
}
