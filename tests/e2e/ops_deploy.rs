//! Deployment files (issue 7): the systemd units pass `systemd-analyze verify` and the service
//! rates ≤ 1.5 in `systemd-analyze security`; the real Caddy, run from the repository's
//! Caddyfile with `tls internal` on high ports, lets only the two webhook POSTs reach the app.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{free_addr, App, PAKASIR_WEBHOOK_SECRET};

const UNITS: [&str; 5] = [
    "quickcart.service",
    "quickcart-backup.service",
    "quickcart-backup.timer",
    "quickcart-logs.service",
    "quickcart-logs.timer",
];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(cmd)).find(|p| p.is_file())
}

// ------------------------------------------------------------------ systemd

/// The number after "Overall exposure level for UNIT:".
fn exposure(unit: &Path) -> f64 {
    let out = Command::new("systemd-analyze").args(["security", "--offline=yes"]).arg(unit).output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let line = all.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_else(|| panic!("{all}"));
    let after = line.split(':').nth(1).unwrap_or_else(|| panic!("{line}"));
    after.split_whitespace().next().unwrap().parse().unwrap_or_else(|_| panic!("{line}"))
}

#[test]
fn systemd_units_verify_and_the_service_is_hardened() {
    if which("systemd-analyze").is_none() {
        eprintln!("NOTE: systemd-analyze is not installed (apt-get install systemd); skipping");
        return;
    }
    for unit in UNITS {
        let text = std::fs::read_to_string(repo(&format!("systemd/{unit}"))).unwrap();
        if unit.ends_with(".service") {
            for needed in [
                "User=quickcart",
                "EnvironmentFile=/etc/quickcart/quickcart.env",
                "LogsDirectory=quickcart",
                "UMask=0077",
            ] {
                assert!(text.contains(needed), "{unit} lacks {needed}");
            }
            assert!(!text.contains("DATABASE_KEY="), "{unit}: no secrets in the unit");
        }
    }
    let service = std::fs::read_to_string(repo("systemd/quickcart.service")).unwrap();
    assert!(service.contains("StateDirectory=quickcart"));
    assert!(std::fs::read_to_string(repo("systemd/quickcart-backup.timer")).unwrap().contains("OnCalendar=*:0/15"));
    assert!(std::fs::read_to_string(repo("systemd/quickcart-logs.timer")).unwrap().contains("OnCalendar=daily"));

    for unit in ["quickcart.service", "quickcart-backup.service", "quickcart-logs.service"] {
        let score = exposure(&repo(&format!("systemd/{unit}")));
        eprintln!("systemd-analyze security {unit}: {score}");
        assert!(score <= 1.5, "{unit} exposure {score} > 1.5");
    }

    // verify needs the ExecStart binary to exist: the same units, pointing at the test binary.
    let dir = tempfile::tempdir().unwrap();
    for unit in UNITS {
        let text = std::fs::read_to_string(repo(&format!("systemd/{unit}"))).unwrap();
        std::fs::write(dir.path().join(unit), text.replace("/usr/local/bin/quickcart", common::BIN)).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(UNITS.iter().map(|u| dir.path().join(u)))
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify failed:\n{err}");
    let complaints: Vec<&str> = err.lines().filter(|l| l.contains("quickcart")).collect();
    assert!(complaints.is_empty(), "systemd-analyze verify complained:\n{err}");

    let cal = Command::new("systemd-analyze").args(["calendar", "*:0/15", "--iterations=2"]).output().unwrap();
    assert!(cal.status.success());
}

// ------------------------------------------------------------------ caddy

struct Caddy {
    child: Child,
    _home: tempfile::TempDir,
    https: u16,
    http: u16,
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn port(addr: &str) -> u16 {
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

const DOMAIN: &str = "shop.quickcart.test";

fn start_caddy(upstream: &str) -> Caddy {
    let home = tempfile::tempdir().unwrap();
    let (http, https) = (port(&free_addr()), port(&free_addr()));
    let log = std::fs::File::create(home.path().join("caddy.log")).unwrap();
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(repo("Caddyfile"))
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("QUICKCART_DOMAIN", DOMAIN)
        .env("QUICKCART_TLS", "tls internal")
        .env("QUICKCART_HTTP_PORT", http.to_string())
        .env("QUICKCART_HTTPS_PORT", https.to_string())
        .env("QUICKCART_CADDY_ADMIN", "off")
        .env("QUICKCART_UPSTREAM", upstream)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    Caddy { child, _home: home, https, http }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_lets_only_the_webhook_posts_through() {
    if which("caddy").is_none() {
        eprintln!("NOTE: caddy is not installed (apt-get install caddy); skipping the Caddy test");
        return;
    }
    let app = App::start().await;
    let upstream = app.env["HTTP_BIND"].clone();
    let mut caddy = start_caddy(&upstream);
    let https_addr = format!("127.0.0.1:{}", caddy.https).parse().unwrap();
    let client = reqwest::Client::builder()
        .resolve(DOMAIN, https_addr)
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let base = format!("https://{DOMAIN}:{}", caddy.https);

    // Ready once it answers TLS with its internal certificate.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = caddy.child.try_wait().unwrap() {
            let log = std::fs::read_to_string(caddy._home.path().join("caddy.log")).unwrap_or_default();
            panic!("caddy exited ({status}):\n{log}");
        }
        if client.get(format!("{base}/")).send().await.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "caddy did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A forged Pakasir webhook goes through Caddy and the app itself refuses it (401, its JSON).
    let forged = client
        .post(format!("{base}/webhook/pakasir"))
        .header("X-Secret", "not-the-secret")
        .json(&serde_json::json!({"order_id": "INVX", "amount": 1000, "project": "x", "status": "completed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert!(forged.headers().get("server").is_none(), "Server header removed");
    assert_eq!(forged.headers().get("x-content-type-options").unwrap(), "nosniff");
    assert!(forged.headers().get("strict-transport-security").is_some());
    assert!(forged.text().await.unwrap().contains("bad_secret"), "the answer came from the app");

    // With the right secret the app answers for an unknown invoice (its own 404 JSON).
    let unknown = client
        .post(format!("{base}/webhook/pakasir"))
        .header("X-Secret", PAKASIR_WEBHOOK_SECRET)
        .json(&serde_json::json!({
            "order_id": "INVNOPE", "amount": 1000, "project": common::PAKASIR_PROJECT, "status": "completed"
        }))
        .send()
        .await
        .unwrap();
    let status = unknown.status().as_u16();
    let body = unknown.text().await.unwrap();
    assert!(!body.is_empty() && status != 200, "app answer expected, got {status} {body:?}");

    // The Telegram webhook path reaches the app too (404 from the app: not in webhook mode).
    let tg = client.post(format!("{base}/webhook/telegram")).body("{}").send().await.unwrap();
    assert_eq!(tg.status(), 404);

    // Everything else: 404 from Caddy, never the app.
    for (method, path) in [
        ("GET", "/webhook/pakasir"),
        ("PUT", "/webhook/pakasir"),
        ("GET", "/webhook/telegram"),
        ("GET", "/healthz"),
        ("POST", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/"),
        ("POST", "/webhook/pakasir/extra"),
        ("POST", "/webhook"),
        ("GET", "/.env"),
    ] {
        let r = client.request(method.parse().unwrap(), format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{method} {path}");
        assert!(r.headers().get("server").is_none());
        assert!(r.text().await.unwrap().is_empty(), "{method} {path}: Caddy's empty 404, not the app");
    }

    // A body over 64 KB never reaches the app's handler (Caddy 2.6 says 502, newer ones 413).
    let big = client
        .post(format!("{base}/webhook/pakasir"))
        .header("X-Secret", PAKASIR_WEBHOOK_SECRET)
        .header("Content-Type", "application/json")
        .body(vec![b' '; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert!(matches!(big.status().as_u16(), 413 | 502), "{}", big.status());

    // Port 80 redirects to HTTPS.
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = plain
        .get(format!("http://127.0.0.1:{}/webhook/pakasir", caddy.http))
        .header("Host", DOMAIN)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let location = r.headers().get("location").unwrap().to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("https://{DOMAIN}")), "{location}");

    drop(caddy);
    app.finish().await;
}
