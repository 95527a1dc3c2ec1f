//! Deployment files (issue 7): the systemd units pass `systemd-analyze verify` and the service
//! rates ≤ 1.5 in `systemd-analyze security`; the real Caddy, run from the repository's
//! Caddyfile with `tls internal` on high ports, lets only the two webhook POSTs reach the app.
//! Issue 15: the units start /usr/bin/quickcart (the package's path), and the templated units
//! for several shops on one VM (quickcart@NAME and its backup and log timers) verify, are the
//! single-shop units with the shop's own paths, and rate as well as quickcart.service.

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

/// One shop of several (issue 15): each template beside the single-shop unit it is made from.
const TEMPLATES: [(&str, &str); 5] = [
    ("quickcart.service", "quickcart@.service"),
    ("quickcart-backup.service", "quickcart-backup@.service"),
    ("quickcart-backup.timer", "quickcart-backup@.timer"),
    ("quickcart-logs.service", "quickcart-logs@.service"),
    ("quickcart-logs.timer", "quickcart-logs@.timer"),
];

/// A concrete instance of a template: quickcart@.service → quickcart@shop1.service.
fn instance(template: &str) -> String {
    template.replace("@.", "@shop1.")
}

/// The settings of a unit (no comments, no blank lines, no Description=), with the single
/// shop's paths turned into the shop NAME's (%i): a template must equal its single-shop unit
/// this way, so hardening or a new setting added to one is not forgotten in the other.
fn settings(text: &str, templated: bool) -> Vec<String> {
    let lines =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("Description="));
    if templated {
        return lines.map(String::from).collect();
    }
    lines
        .map(|line| {
            let (key, value) = line.split_once('=').unwrap_or((line, ""));
            let value = match key {
                "StateDirectory" | "LogsDirectory" => {
                    value.split(' ').map(|d| d.replacen("quickcart", "quickcart/%i", 1)).collect::<Vec<_>>().join(" ")
                }
                "WorkingDirectory" => format!("{value}/%i"),
                "Environment" => value
                    .replace("/var/lib/quickcart/", "/var/lib/quickcart/%i/")
                    .replace("LOG_DIR=/var/log/quickcart", "LOG_DIR=/var/log/quickcart/%i"),
                _ => value
                    .replace("/etc/quickcart/quickcart.env", "/etc/quickcart/%i.env")
                    .replace("quickcart.service", "quickcart@%i.service")
                    .replace("quickcart-backup.service", "quickcart-backup@%i.service")
                    .replace("quickcart-logs.service", "quickcart-logs@%i.service"),
            };
            if line.contains('=') {
                format!("{key}={value}")
            } else {
                line.to_string()
            }
        })
        .collect()
}

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
                "ExecStart=/usr/bin/quickcart ",
            ] {
                assert!(text.contains(needed), "{unit} lacks {needed}");
            }
            assert!(!text.contains("DATABASE_KEY="), "{unit}: no secrets in the unit");
            assert!(!text.contains("/usr/local/bin"), "{unit}: the package installs /usr/bin/quickcart");
        }
    }
    for (single, template) in TEMPLATES {
        let text = std::fs::read_to_string(repo(&format!("systemd/{template}"))).unwrap();
        let single_text = std::fs::read_to_string(repo(&format!("systemd/{single}"))).unwrap();
        assert_eq!(
            settings(&text, true),
            settings(&single_text, false),
            "{template} is {single} with the shop's own paths"
        );
    }
    let shop = std::fs::read_to_string(repo("systemd/quickcart@.service")).unwrap();
    for needed in [
        "EnvironmentFile=/etc/quickcart/%i.env",
        "DATA_DIR=/var/lib/quickcart/%i/data",
        "LOG_DIR=/var/log/quickcart/%i",
        "StateDirectory=quickcart/%i",
        "LogsDirectory=quickcart/%i",
    ] {
        assert!(shop.contains(needed), "quickcart@.service lacks {needed}");
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
    // An instance (quickcart@shop1.service) is loaded from its template beside it.
    let single = exposure(&repo("systemd/quickcart.service"));
    for (single_unit, template) in TEMPLATES.iter().filter(|(_, t)| t.ends_with(".service")) {
        let score = exposure(&repo(&format!("systemd/{}", instance(template))));
        eprintln!("systemd-analyze security {}: {score}", instance(template));
        assert!(score <= 1.5, "{template} exposure {score} > 1.5");
        assert!(
            score <= exposure(&repo(&format!("systemd/{single_unit}"))),
            "{template} rates worse than {single_unit}"
        );
    }
    assert!(exposure(&repo("systemd/quickcart@shop1.service")) <= single);

    // verify needs the ExecStart binary to exist: the same units, pointing at the test binary;
    // the templates are verified through an instance of each.
    let dir = tempfile::tempdir().unwrap();
    for unit in UNITS.iter().chain(TEMPLATES.iter().map(|(_, t)| t)) {
        let text = std::fs::read_to_string(repo(&format!("systemd/{unit}"))).unwrap();
        std::fs::write(dir.path().join(unit), text.replace("/usr/bin/quickcart", common::BIN)).unwrap();
    }
    let instances: Vec<String> = TEMPLATES.iter().map(|(_, t)| instance(t)).collect();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(UNITS.iter().map(|u| dir.path().join(u)))
        .args(instances.iter().map(|u| dir.path().join(u)))
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
