//! Security controls end to end (issue 6, SPEC §7): the per-user throttle on both update paths
//! with escalation to a temporary block, the Pakasir webhook limiter, the metrics listener, log
//! redaction over a whole session, the payment anomaly rules (flag / review / block) and the
//! privacy requests (`/mydata`, `/hapusdata`, `quickcart user export|erase`).

use crate::common;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{button_on, cli_ok, files_containing, run_cli, App, ADMIN, PAKASIR_API_KEY};
use crate::pay_support::*;
use quickcart::testkit::{BotMessage, Fault, MsgKind, PakasirFault, PakasirRoute};
use serde_json::{json, Value};

const GUIDE: &str = "Cara memesan";
const TOO_FAST: &str = "terlalu cepat";
const TEMP_BLOCKED: &str = "diblokir sementara";
const HELD: &str = "sedang ditinjau";
const ANOMALY: &str = "Anomali pembayaran";
const REVIEW_NOTICE: &str = "Pesanan perlu ditinjau";
const STALE: &str = "tidak berlaku";

// ------------------------------------------------------------------ helpers

fn throttled_env(env: &mut BTreeMap<String, String>) {
    env.insert("TELEGRAM_THROTTLE_LIMIT".into(), "8".into());
    env.insert("TELEGRAM_THROTTLE_WINDOW_SECONDS".into(), "10".into());
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap()
}

/// `GET /metrics` on `METRICS_BIND`: (status, content type, body).
async fn scrape(app: &App) -> (u16, String, String) {
    let url = format!("http://{}/metrics", app.env["METRICS_BIND"]);
    let r = http().get(url).send().await.expect("metrics scrape");
    let status = r.status().as_u16();
    let ctype = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, ctype, r.text().await.unwrap())
}

async fn metrics(app: &App) -> String {
    let (status, _, body) = scrape(app).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The value of the sample `series` (`name{labels}` exactly as rendered); absent = 0.
fn sample(text: &str, series: &str) -> u64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse::<f64>().unwrap_or_else(|_| panic!("bad sample value for {series}: {v}")) as u64)
        .unwrap_or(0)
}

fn abuse(path: &str, outcome: &str) -> String {
    format!("bot_api_abuse_outcomes_total{{path=\"{path}\",outcome=\"{outcome}\"}}")
}

fn count_with(app: &App, chat: i64, needle: &str) -> usize {
    app.tg.all_messages(chat).iter().filter(|m| m.text.contains(needle)).count()
}

/// Waits until the bot fetched every injected update and made no call for a moment.
async fn settle(app: &App) {
    let deadline = Instant::now() + SLOW;
    while app.tg.pending_updates() > 0 {
        assert!(Instant::now() < deadline, "the bot did not fetch its updates");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(app.tg.wait_idle(Duration::from_millis(1200), SLOW).await, "the bot never went quiet");
}

/// Gives `user` a balance with the admin's `/transfer`.
async fn credit(app: &mut App, user: i64, amount: i64) {
    app.admin(&format!("/transfer {user}|{amount}"), "Saldo").await;
}

/// Card → summary → `[SALDO]` → `[Konfirmasi]`; returns once the confirmation was pressed.
async fn saldo_confirm(app: &mut App, user: i64, product: i64) {
    to_summary(app, user, product, 0).await;
    app.press(user, "SALDO");
    app.wait_text(user, "Bayar dengan SALDO").await;
    app.press(user, "Konfirmasi");
}

/// A SALDO purchase that must be delivered; returns the delivery.
async fn saldo_delivered(app: &mut App, user: i64, product: i64) -> BotMessage {
    let before = messages_with(app, user, &[DELIVERED]).len();
    saldo_confirm(app, user, product).await;
    wait_until("the SALDO delivery", SLOW, || messages_with(app, user, &[DELIVERED]).len() == before + 1).await;
    messages_with(app, user, &[DELIVERED]).pop().unwrap()
}

async fn account(app: &mut App, user: i64) -> BotMessage {
    app.say(user, "AKUN");
    app.wait_text(user, "Akun Saya").await
}

/// The `Saldo` line of the user's `[AKUN]` screen, asked for now.
async fn saldo_line(app: &mut App, user: i64) -> String {
    let acct = account(app, user).await;
    acct.text.lines().find(|l| l.contains("Saldo")).unwrap_or_default().trim().to_string()
}

// ================================================================== 1. throttle

/// 20 quick messages with a limit of 8 per 10 s: at most 8 handled, one "terlalu cepat", the
/// metrics count allow/deny; flooding on escalates to a block the admins hear about and the audit
/// log records; the blocked user hears one notice, then silence; `/unban` lifts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_flood_is_throttled_then_escalates_to_a_block_that_unban_lifts() {
    let mut app = App::start_with(throttled_env).await;
    let u = 7101;
    // A known customer (one message handled), then 20 at once.
    app.say(u, "/order");
    app.wait_text(u, GUIDE).await;
    let before = metrics(&app).await;
    let mut last = 0;
    for _ in 0..20 {
        last = app.tg.send_text(u, "/order");
    }
    app.wait_delivered(last).await;
    settle(&app).await;
    let handled = count_with(&app, u, GUIDE);
    assert!((2..=8).contains(&handled), "{handled} handled in the window:\n{}", app.transcript(u));
    assert_eq!(count_with(&app, u, TOO_FAST), 1, "one notice per window:\n{}", app.transcript(u));
    let m = metrics(&app).await;
    let denied = sample(&m, &abuse("polling", "deny")) - sample(&before, &abuse("polling", "deny"));
    assert_eq!(denied as usize, 21 - handled, "{m}");
    assert!(sample(&m, &abuse("polling", "allow")) - sample(&before, &abuse("polling", "allow")) >= handled as u64 - 1);
    let s = stats(&app).await;
    assert!(num(&s, "/security_events/abuse_throttle_deny") >= 1, "{s:#}");

    // Flooding on: ≥ 20 denials within 15 minutes → blocked, admins told, audited.
    for _ in 0..30 {
        last = app.tg.send_text(u, "/order");
    }
    app.wait_delivered(last).await;
    let notice = wait_msg(&app, ADMIN, &["diblokir", &u.to_string()]).await;
    assert!(notice.text.contains(&format!("/unban {u}")), "{}", notice.text);
    settle(&app).await;
    let audit = cli_ok(&app, &["audit", "tail", "--action", "block_applied"]).await;
    assert!(audit.contains("block_applied") && audit.contains(&format!("user:{u}")), "{audit}");
    assert_eq!(audit.lines().filter(|l| l.contains("block_applied")).count(), 1, "escalates once: {audit}");

    // Once the window has passed, the blocked user's messages reach the shop: one notice, then
    // nothing (no menu, no guide).
    tokio::time::sleep(Duration::from_secs(11)).await;
    let mark = app.mark(u);
    for _ in 0..3 {
        last = app.tg.send_text(u, "/order");
    }
    app.wait_delivered(last).await;
    settle(&app).await;
    let new = app.new_messages(u, &mark);
    assert!(new.iter().all(|m| m.text.contains(TEMP_BLOCKED)), "only the block notice: {new:#?}");
    assert_eq!(count_with(&app, u, TEMP_BLOCKED), 1, "the notice comes once:\n{}", app.transcript(u));
    assert!(!new.iter().any(|m| m.text.contains(GUIDE)));

    // The admin lifts it.
    app.admin(&format!("/unban {u}"), "dicabut").await;
    app.say(u, "/order");
    app.wait_text(u, GUIDE).await;
    let s = stats(&app).await;
    assert!(num(&s, "/security_events/abuse_throttle_deny") >= 2, "{s:#}");
    app.finish().await;
}

/// Inline-button presses count against the same limit: every press is answered (the spinner
/// stops), only one answer carries the notice, and the dropped presses do nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_flood_is_throttled() {
    let mut app = App::start_with(throttled_env).await;
    let u = 7201;
    app.say(u, "/order");
    app.wait_text(u, GUIDE).await;
    let m0 = app.tg.last_message(u).unwrap().message_id;
    let before = metrics(&app).await;
    let calls = app.calls_len();
    let mut last = 0;
    for _ in 0..20 {
        last = app.press_data(u, m0, "stk:1");
    }
    app.wait_delivered(last).await;
    settle(&app).await;
    let answers: Vec<_> = app
        .calls_since(calls)
        .into_iter()
        .filter(|c| c.method == "answercallbackquery")
        .map(|c| c.params.get("text").and_then(Value::as_str).unwrap_or_default().to_string())
        .collect();
    assert_eq!(answers.len(), 20, "every press is answered: {answers:?}");
    assert_eq!(answers.iter().filter(|t| t.contains(TOO_FAST)).count(), 1, "{answers:?}");
    let m = metrics(&app).await;
    let denied = sample(&m, &abuse("polling", "deny")) - sample(&before, &abuse("polling", "deny"));
    let allowed = sample(&m, &abuse("polling", "allow")) - sample(&before, &abuse("polling", "allow"));
    assert!((12..=19).contains(&denied), "denied {denied}: {m}");
    assert_eq!(allowed + denied, 20, "{m}");
    // Only the allowed presses did something (the stock list, shown in place).
    let edits_and_sends = app
        .calls_since(calls)
        .into_iter()
        .filter(|c| matches!(c.method.as_str(), "editmessagetext" | "sendmessage"))
        .count() as u64;
    assert!(edits_and_sends <= allowed, "{edits_and_sends} visible calls for {allowed} allowed presses");
    app.finish().await;
}

/// A Telegram update as the Bot API POSTs it to a webhook.
fn tg_update(update_id: i64, user: i64, message_id: i64, text: &str) -> Value {
    let mut msg = json!({
        "message_id": message_id,
        "date": chrono_now(),
        "chat": {"id": user, "type": "private", "first_name": format!("Hook{user}")},
        "from": {"id": user, "is_bot": false, "first_name": format!("Hook{user}")},
        "text": text,
    });
    if text.starts_with('/') {
        let len = text.split_whitespace().next().unwrap_or_default().encode_utf16().count();
        msg["entities"] = json!([{"type": "bot_command", "offset": 0, "length": len}]);
    }
    json!({"update_id": update_id, "message": msg})
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

const TG_WEBHOOK_SECRET: &str = "tg-hook-secret-E2E-4b7f0c2d";

/// Webhook mode: the app registers its webhook with the secret, refuses updates without it
/// (401), throttles a flood on `path="webhook"`; the Pakasir webhook answers a flood beyond its
/// 300/min with 429 and a JSON retry hint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_paths_are_throttled() {
    let mut app = App::start_with(|env| {
        throttled_env(env);
        env.insert("TELEGRAM_WEBHOOK_URL".into(), "https://shop.example.test/webhook/telegram".into());
        env.insert("TELEGRAM_WEBHOOK_SECRET".into(), TG_WEBHOOK_SECRET.into());
    })
    .await;
    let set = app.tg.calls_to("setWebhook");
    assert_eq!(set.len(), 1, "{set:?}");
    assert_eq!(set[0].params["url"], json!("https://shop.example.test/webhook/telegram"));
    assert_eq!(set[0].params["secret_token"], json!(TG_WEBHOOK_SECRET));
    assert!(app.tg.calls_to("getUpdates").is_empty(), "no polling in webhook mode");

    let client = http();
    let url = format!("{}/webhook/telegram", app.base_url);
    let u = 7301;
    // Wrong or missing secret: 401, nothing handled.
    for secret in [Some("wrong-secret"), None] {
        let mut req = client.post(&url).json(&tg_update(1, u, 1, "/order"));
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        assert_eq!(req.send().await.unwrap().status().as_u16(), 401);
    }
    let before = metrics(&app).await;
    for i in 0..20 {
        let r = client
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", TG_WEBHOOK_SECRET)
            .json(&tg_update(10 + i, u, 10 + i, "/order"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    }
    assert!(app.tg.wait_idle(Duration::from_millis(1200), SLOW).await);
    let handled = count_with(&app, u, GUIDE);
    assert!((1..=8).contains(&handled), "{handled} handled:\n{}", app.transcript(u));
    assert_eq!(count_with(&app, u, TOO_FAST), 1, "{}", app.transcript(u));
    let m = metrics(&app).await;
    let denied = sample(&m, &abuse("webhook", "deny")) - sample(&before, &abuse("webhook", "deny"));
    let allowed = sample(&m, &abuse("webhook", "allow")) - sample(&before, &abuse("webhook", "allow"));
    assert_eq!((allowed + denied, denied as usize), (20, 20 - handled), "{m}");
    assert_eq!(sample(&m, &abuse("polling", "deny")), 0, "{m}");

    // Pakasir's webhook: 300 per minute per caller, then 429 with a retry hint.
    let hook_url = webhook_url(&app);
    let mut set = tokio::task::JoinSet::new();
    let statuses = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    for _ in 0..10 {
        let (client, hook_url, statuses) = (client.clone(), hook_url.clone(), statuses.clone());
        set.spawn(async move {
            for _ in 0..31 {
                let r = client
                    .post(&hook_url)
                    .header("X-Secret", "not-the-secret")
                    .json(&json!({"order_id": "INVNOPE", "amount": 1}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                statuses.lock().unwrap().push((status, body));
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    let statuses = statuses.lock().unwrap().clone();
    assert_eq!(statuses.len(), 310);
    let throttled: Vec<&Value> = statuses.iter().filter(|(s, _)| *s == 429).map(|(_, b)| b).collect();
    let others: Vec<u16> = statuses.iter().filter(|(s, _)| *s != 429).map(|(s, _)| *s).collect();
    assert!(others.iter().all(|s| *s == 401), "below the limit the secret is checked: {others:?}");
    assert!(others.len() >= 300, "Pakasir gets at least 300 per minute: {}", others.len());
    assert!(!throttled.is_empty(), "310 quick requests must hit the limit");
    for b in &throttled {
        assert_eq!(b["code"], json!("throttled"), "{b}");
        let n = b["retry_after_seconds"].as_u64().unwrap_or_else(|| panic!("retry_after_seconds in {b}"));
        assert!((1..=60).contains(&n), "{b}");
    }
    let m = metrics(&app).await;
    assert_eq!(
        sample(&m, "webhook_outcomes_total{source=\"pakasir\",reason=\"throttled\"}") as usize,
        throttled.len(),
        "{m}"
    );
    assert!(sample(&m, "webhook_outcomes_total{source=\"pakasir\",reason=\"bad_secret\"}") >= 300, "{m}");
    // The Telegram webhook secret never reaches a log line.
    let status = app.stop().await;
    assert!(status.success(), "{status}");
    let hits = files_containing(app.dir.path(), TG_WEBHOOK_SECRET.as_bytes());
    assert!(hits.is_empty(), "the Telegram webhook secret was written to {hits:?}");
    app.finish().await;
}

// ================================================================== 2. metrics

/// Prometheus text on `METRICS_BIND` with the throttle, webhook and gauge series; nothing of it
/// on `HTTP_BIND` (the address Caddy forwards to).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listener_serves_prometheus_text_only_on_metrics_bind() {
    let mut app = App::start().await;
    assert!(app.env["METRICS_BIND"].starts_with("127.0.0.1:"));
    app.add_product("1", "Produk Metrik", "Uji", "15000").await;
    app.add_stock(1, &["m-1", "m-2"]).await;
    let u = 7401;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 1, 0).await;
    let (status, _) = hook_with(&app, "forged-secret", genuine(&app, &inv.id)).await;
    assert_eq!(status, 401);

    let (status, ctype, body) = scrape(&app).await;
    assert_eq!(status, 200, "{body}");
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    for line in [
        "# TYPE bot_api_abuse_outcomes_total counter",
        "# TYPE webhook_outcomes_total counter",
        "# TYPE quickcart_outbox_backlog gauge",
        "# TYPE quickcart_broadcast_pending gauge",
        "# TYPE quickcart_orders_pending gauge",
        "# TYPE quickcart_users gauge",
        "quickcart_orders_pending 1",
        "quickcart_users 2",
        "quickcart_broadcast_pending 0",
        "webhook_outcomes_total{source=\"pakasir\",reason=\"bad_secret\"} 1",
    ] {
        assert!(body.lines().any(|l| l == line), "{line:?} in\n{body}");
    }
    assert!(body.lines().any(|l| l.starts_with("quickcart_outbox_backlog ")), "{body}");
    assert!(sample(&body, &abuse("polling", "allow")) >= 5, "{body}");
    assert_eq!(sample(&body, &abuse("polling", "deny")), 0, "{body}");
    // Every sample line is `name{labels} value`.
    for l in body.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (_, v) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {l:?}"));
        assert!(v.parse::<f64>().is_ok(), "bad value in {l:?}");
    }

    // Paying moves the gauges; the webhook outcome is counted.
    pay(&app, &inv.id).await;
    wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    let body = metrics(&app).await;
    assert!(body.lines().any(|l| l == "quickcart_orders_pending 0"), "{body}");
    assert_eq!(sample(&body, "webhook_outcomes_total{source=\"pakasir\",reason=\"applied\"}"), 1, "{body}");

    // Not on the public listener, and the metrics listener serves nothing else.
    let r = app.get("/metrics").await;
    assert_eq!(r.status().as_u16(), 404);
    let text = r.text().await.unwrap();
    assert!(!text.contains("bot_api_abuse_outcomes_total"), "{text}");
    let r = http().get(format!("http://{}/healthz", app.env["METRICS_BIND"])).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    app.finish().await;
}

// ================================================================== 3. redaction

const R_TOKEN: &str = "7312345678:AAHredactE2EsecretTokenXyZ_0123456789-abc";
const R_WEBHOOK_SECRET: &str = "whsec-redact-E2E-5e8c1a9b77";

/// A whole session with known secrets — onboarding, browsing, admin commands, a QRIS purchase
/// with its webhook, forged webhooks, a Pakasir error that echoes the API key and a Telegram error
/// that echoes the bot token — then every byte the binary wrote (stderr, stdout, LOG_DIR) and
/// what the operator tools print: none of the secrets, not even the token's secret half.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_log() {
    let mut app = App::start_with(|env| {
        env.insert("TELEGRAM_BOT_TOKEN".into(), R_TOKEN.into());
        env.insert("PAKASIR_WEBHOOK_SECRET".into(), R_WEBHOOK_SECRET.into());
    })
    .await;
    let db_key = app.env["DATABASE_KEY"].clone();
    let token_secret_half = R_TOKEN.split_once(':').unwrap().1.to_string();
    let secrets: Vec<(&str, String)> = vec![
        ("bot token", R_TOKEN.to_string()),
        ("bot token secret half", token_secret_half.clone()),
        ("Pakasir API key", PAKASIR_API_KEY.to_string()),
        ("Pakasir webhook secret", R_WEBHOOK_SECRET.to_string()),
        ("DATABASE_KEY", db_key.clone()),
    ];

    app.add_product("1", "Produk Rahasia", "Uji", "15000").await;
    app.add_stock(1, &["r-1", "r-2", "r-3"]).await;
    let u = 7501;
    app.say(u, "/start");
    app.wait_text(u, "Siapa nama Anda").await;
    app.say(u, "Rina Redaksi");
    app.wait_text(u, "Nomor WhatsApp").await;
    app.say(u, "081211112222");
    app.wait_text(u, "Alamat email").await;
    app.say(u, "rina@contoh.test");
    app.wait_text(u, "Selamat datang").await;
    app.say(u, "LIST PRODUK");
    app.wait_text(u, "Produk Rahasia").await;
    app.say(u, "STOK");
    app.wait_text(u, "Produk Rahasia").await;
    app.admin(&format!("/info {u}"), &u.to_string()).await;
    credit(&mut app, u, 20_000).await;

    // QRIS purchase with the genuine webhook, then forged ones.
    let inv = buy_qris(&mut app, u, 1, 0).await;
    let (status, _) = hook_with(&app, "forged-secret", genuine(&app, &inv.id)).await;
    assert_eq!(status, 401);
    let mut forged = genuine(&app, &inv.id);
    forged["amount"] = json!(1);
    let (status, _) = hook_with(&app, R_WEBHOOK_SECRET, forged).await;
    assert!((400..500).contains(&status), "{status}");
    app.pakasir.complete(&inv.id).unwrap();
    let (status, body) = hook_with(&app, R_WEBHOOK_SECRET, genuine(&app, &inv.id)).await;
    assert_eq!(status, 200, "{body}");
    wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert_eq!(hook_raw(&app, Some(R_WEBHOOK_SECRET), b"{not json".to_vec()).await, 400);

    // Error paths whose error texts carry the secrets.
    app.pakasir.fail_next(
        PakasirRoute::Create,
        1,
        PakasirFault::Json(401, json!({"message": format!("invalid api key {PAKASIR_API_KEY} for {R_TOKEN}")})),
    );
    to_summary(&mut app, u, 1, 0).await;
    app.press(u, "QRIS");
    app.wait_text(u, TRY_AGAIN).await;
    app.tg.fail_next("sendMessage", 1, Fault::BadRequest(format!("Bad Request: chat not found (bot{R_TOKEN})")));
    app.say(u, "/order");
    app.wait_text(u, "gangguan").await;

    // What the operator tools print.
    let mut tool_output = String::new();
    for args in [&["doctor", "--offline"][..], &["db", "stats"], &["audit", "tail", "-n", "200"], &["db", "check"]] {
        let out = run_cli(&app, args).await;
        tool_output.push_str(&String::from_utf8_lossy(&out.stdout));
        tool_output.push_str(&String::from_utf8_lossy(&out.stderr));
    }

    let status = app.stop().await;
    assert!(status.success(), "{status}");
    let logs = Path::new(&app.env["LOG_DIR"]).to_path_buf();
    let log_bytes: usize =
        std::fs::read_dir(&logs).unwrap().flatten().map(|e| std::fs::read(e.path()).unwrap().len()).sum();
    assert!(log_bytes > 1_000, "the session wrote hardly any log ({log_bytes} bytes in {logs:?})");
    let all_logs = format!(
        "{}\n{}",
        app.stderr(),
        std::fs::read_dir(&logs)
            .unwrap()
            .flatten()
            .map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned())
            .collect::<String>()
    );
    assert!(all_logs.contains("[REDACTED]"), "the error texts with secrets were logged masked");
    for (what, secret) in &secrets {
        let hits = files_containing(app.dir.path(), secret.as_bytes());
        assert!(hits.is_empty(), "the {what} was written to {hits:?}");
        assert!(!tool_output.contains(secret.as_str()), "the {what} is in the tools' output:\n{tool_output}");
        let leaked: Vec<_> = app
            .tg
            .calls()
            .into_iter()
            .filter(|c| c.params.to_string().contains(secret.as_str()))
            .map(|c| c.method)
            .collect();
        assert!(leaked.is_empty(), "the {what} was sent to Telegram in {leaked:?}");
    }
    app.finish().await;
}

// ================================================================== 4. payment anomalies

async fn anomaly_shop(app: &mut App, id: i64, price: i64, stock: usize) {
    app.add_product(&id.to_string(), &format!("Produk {id}"), "Uji", &price.to_string()).await;
    let items: Vec<String> = (1..=stock).map(|n| format!("item-{id}-{n}")).collect();
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    app.add_stock(id, &items).await;
}

/// The 6th payment within an hour is flagged: a security event and an admin notice, and the
/// goods are delivered all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixth_payment_in_an_hour_is_flagged_and_still_delivered() {
    let mut app = App::start().await;
    anomaly_shop(&mut app, 1, 15_000, 6).await;
    let u = 7601;
    app.onboard(u).await;
    credit(&mut app, u, 90_000).await;
    for n in 1..=5 {
        saldo_delivered(&mut app, u, 1).await;
        assert_eq!(count_with(&app, ADMIN, ANOMALY), 0, "payment {n} is unremarkable");
    }
    let s = stats(&app).await;
    assert_eq!(num(&s, "/security_events/payment_anomaly"), 0, "{s:#}");
    let delivery = saldo_delivered(&mut app, u, 1).await;
    assert!(delivery.text.contains("item-1-6"), "{}", delivery.text);
    let notice = wait_msg(&app, ADMIN, &[ANOMALY]).await;
    assert!(has_all(&notice.text, &["flag", "velocity", &u.to_string()]), "{}", notice.text);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/security_events/payment_anomaly"), 1, "{s:#}");
    assert_eq!(num(&s, "/orders/paid"), 6, "{s:#}");
    assert_eq!(count_with(&app, u, HELD), 0);
    let m = metrics(&app).await;
    assert_eq!(sample(&m, "quickcart_payment_anomalies_total{level=\"flag\"}"), 1, "{m}");
    let audit = cli_ok(&app, &["audit", "tail", "--action", "payment_anomaly"]).await;
    assert_eq!(audit.lines().filter(|l| l.contains("payment_anomaly")).count(), 1, "{audit}");
    app.finish().await;
}

fn has_all(text: &str, needles: &[&str]) -> bool {
    common::has_all(text, needles)
}

/// A single payment over Rp1.000.000 (QRIS) is paid but held: the customer hears it is being
/// reviewed, nothing is delivered until an admin presses `[Setujui]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_payment_is_held_until_an_admin_approves() {
    let mut app = App::start().await;
    anomaly_shop(&mut app, 1, 1_500_000, 1).await;
    let u = 7701;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 1, 0).await;
    let notice = wait_msg(&app, ADMIN, &[ANOMALY]).await;
    assert!(has_all(&notice.text, &["review", "large_amount", "Rp1.500.000"]), "{}", notice.text);
    pay(&app, &inv.id).await;
    let held = wait_msg(&app, u, &[HELD, &inv.id]).await;
    assert!(held.inline_buttons.is_empty());
    let review = wait_msg(&app, ADMIN, &[REVIEW_NOTICE, &inv.id]).await;
    assert_eq!(common::flat_labels(&review), vec!["Setujui".to_string(), "Tolak".to_string()]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(deliveries(&app, u, &inv.id), 0, "held:\n{}", app.transcript(u));
    assert!(!app.tg.all_messages(u).iter().any(|m| m.text.contains("item-1-1")));
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "paid, only the delivery waits: {s:#}");
    assert_eq!(num(&s, "/security_events/payment_anomaly"), 1, "{s:#}");

    let (mid, data) = button_on(&app, ADMIN, REVIEW_NOTICE, "Setujui");
    app.press_data(ADMIN, mid, &data);
    app.wait_text(ADMIN, "disetujui").await;
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("item-1-1"), "{}", delivery.text);
    let audit = cli_ok(&app, &["audit", "tail", "--action", "order_review_approved"]).await;
    assert!(audit.contains(&format!("admin:{ADMIN}")), "{audit}");
    // Deciding twice does nothing.
    app.press_data(ADMIN, mid, &data);
    app.wait_answer(ADMIN).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(deliveries(&app, u, &inv.id), 1);
    let m = metrics(&app).await;
    assert_eq!(sample(&m, "quickcart_payment_anomalies_total{level=\"review\"}"), 1, "{m}");
    app.finish().await;
}

/// A new account (< 24 h, as every test user is) paying over Rp500.000 is reviewed; the customer
/// cannot press the admins' buttons (stale notice, `rbac_deny`, nothing changes); `[Tolak]`
/// refunds the balance and puts the item back in stock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_account_large_payment_is_reviewed_and_tolak_refunds() {
    let mut app = App::start().await;
    anomaly_shop(&mut app, 2, 600_000, 1).await;
    let u = 7801;
    app.onboard(u).await;
    credit(&mut app, u, 600_000).await;
    saldo_confirm(&mut app, u, 2).await;
    let held = wait_msg(&app, u, &[HELD]).await;
    let invoice = invoice_in(&held.text).expect("invoice in the held notice");
    let notice = wait_msg(&app, ADMIN, &[ANOMALY]).await;
    assert!(has_all(&notice.text, &["review", "new_account_large"]), "{}", notice.text);
    assert!(!notice.text.contains("large_amount,") && !notice.text.contains("velocity"), "{}", notice.text);
    wait_msg(&app, ADMIN, &[REVIEW_NOTICE, &invoice]).await;
    assert!(saldo_line(&mut app, u).await.contains("Rp0"));
    let s = stats(&app).await;
    assert_eq!(num(&s, "/stock/sold"), 1, "{s:#}");

    // The customer forges the admins' buttons.
    let (_, approve) = button_on(&app, ADMIN, REVIEW_NOTICE, "Setujui");
    let (_, reject) = button_on(&app, ADMIN, REVIEW_NOTICE, "Tolak");
    assert!(approve.starts_with("va:") && reject.starts_with("vr:"), "{approve} {reject}");
    let denies = num(&s, "/security_events/rbac_deny");
    let own = held.message_id;
    for data in [&approve, &reject] {
        let calls = app.calls_len();
        app.press_data(u, own, data);
        let answer = app.wait_answer(u).await;
        assert!(answer.contains(STALE), "{answer}");
        app.assert_silent(u, calls).await;
    }
    let s = stats(&app).await;
    assert_eq!(num(&s, "/security_events/rbac_deny"), denies + 2, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 1, "nothing changed: {s:#}");
    assert_eq!(deliveries(&app, u, &invoice), 0);
    assert!(!app.tg.all_messages(u).iter().any(|m| m.text.contains("dikembalikan")));

    // The admin rejects: refund to the balance, the item back on sale.
    let (mid, _) = button_on(&app, ADMIN, REVIEW_NOTICE, "Tolak");
    app.press_data(ADMIN, mid, &reject);
    app.wait_text(ADMIN, "ditolak").await;
    wait_msg(&app, u, &[&invoice, "dikembalikan ke saldo"]).await;
    assert!(saldo_line(&mut app, u).await.contains("Rp600.000"));
    let s = wait_stats(&app, "the item back in stock", |s| num(s, "/stock/available") == 1).await;
    assert_eq!(num(&s, "/stock/sold"), 0, "{s:#}");
    assert_invariants(&s);
    let card = open_card(&mut app, u, 2).await;
    assert!(card.text.contains("Stok: 1"), "{}", card.text);
    // A late `[Setujui]` on the rejected order delivers nothing.
    app.press_data(ADMIN, mid, &approve);
    app.wait_answer(ADMIN).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(deliveries(&app, u, &invoice), 0);
    assert_db_check(&app).await;
    app.finish().await;
}

/// Over Rp5.000.000 within 24 hours the payment is refused with a clear message: no order, no
/// Pakasir transaction, no money moved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_five_million_a_day_is_refused() {
    let mut app = App::start().await;
    anomaly_shop(&mut app, 1, 3_000_000, 1).await;
    anomaly_shop(&mut app, 2, 2_500_000, 1).await;
    let u = 7901;
    app.onboard(u).await;
    credit(&mut app, u, 3_000_000).await;
    saldo_confirm(&mut app, u, 1).await;
    wait_msg(&app, u, &[HELD]).await;
    let creates = app.pakasir.calls().iter().filter(|c| c.route == PakasirRoute::Create).count();

    to_summary(&mut app, u, 2, 0).await;
    app.press(u, "QRIS");
    let refusal = app.wait_text(u, "batas transaksi harian").await;
    assert!(refusal.text.contains("tidak dapat diproses"), "{}", refusal.text);
    let notice = wait_msg(&app, ADMIN, &["block", "daily_limit"]).await;
    assert!(notice.text.contains(&u.to_string()), "{}", notice.text);
    settle(&app).await;
    assert_eq!(app.pakasir.calls().iter().filter(|c| c.route == PakasirRoute::Create).count(), creates);
    assert!(!app.tg.all_messages(u).iter().any(|m| m.kind == MsgKind::Photo && m.text.contains(INVOICE_TITLE)));
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(num(&s, "/orders/pending"), 0, "no order for the refused payment: {s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");
    assert_eq!(num(&s, "/security_events/payment_anomaly"), 2, "{s:#}");
    let m = metrics(&app).await;
    assert_eq!(sample(&m, "quickcart_payment_anomalies_total{level=\"block\"}"), 1, "{m}");
    app.finish().await;
}

/// Ten payments under Rp10.000 within an hour: the tenth is flagged as structuring (the 6th–9th
/// already as velocity); everything is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_small_payments_in_an_hour_are_flagged_as_structuring() {
    let mut app = App::start().await;
    anomaly_shop(&mut app, 1, 5_000, 10).await;
    let u = 8001;
    app.onboard(u).await;
    credit(&mut app, u, 50_000).await;
    for n in 1..=9 {
        saldo_delivered(&mut app, u, 1).await;
        assert_eq!(count_with(&app, ADMIN, "structuring"), 0, "payment {n}");
    }
    saldo_delivered(&mut app, u, 1).await;
    let notice = wait_msg(&app, ADMIN, &[ANOMALY, "structuring"]).await;
    assert!(has_all(&notice.text, &["flag", &u.to_string()]), "{}", notice.text);
    assert_eq!(count_with(&app, ADMIN, "structuring"), 1);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/security_events/payment_anomaly"), 5, "payments 6 to 10: {s:#}");
    assert_eq!(num(&s, "/orders/paid"), 10, "{s:#}");
    assert_eq!(count_with(&app, u, HELD), 0);
    app.finish().await;
}

// ================================================================== 5. privacy

/// `/start` with a typed name, WhatsApp and email.
async fn onboard_as(app: &mut App, user: i64, name: &str, wa: &str, email: &str) {
    app.say(user, "/start");
    app.wait_text(user, "Siapa nama Anda").await;
    app.say(user, name);
    app.wait_text(user, "Nomor WhatsApp").await;
    app.say(user, wa);
    app.wait_text(user, "Alamat email").await;
    app.say(user, email);
    app.wait_text(user, "Selamat datang").await;
}

/// Every text (and blob, as lossy text) value of every table of a database, read through a
/// keyed connection, as `table.column = value`.
fn dump_values(path: &Path, key: &str) -> Vec<String> {
    let key = quickcart::config::DbKey::parse(key).unwrap();
    let conn = quickcart::store::open_one(path, &key).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!tables.is_empty(), "no tables in {path:?}");
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let cols: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for (i, c) in cols.iter().enumerate() {
                let v = match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                        String::from_utf8_lossy(b).into_owned()
                    }
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    _ => continue,
                };
                out.push(format!("{t}.{c} = {v}"));
            }
        }
    }
    out
}

fn count_rows(path: &Path, key: &str, sql: &str, user: i64) -> i64 {
    let key = quickcart::config::DbKey::parse(key).unwrap();
    let conn = quickcart::store::open_one(path, &key).unwrap();
    conn.query_row(sql, [user], |r| r.get(0)).unwrap()
}

/// `/mydata` sends everything stored as JSON; `/hapusdata` (confirmed) and `quickcart user erase`
/// anonymise: the names, emails and WhatsApp numbers are gone from both databases (read through
/// the key, every column of every table) and from the raw files, while orders, ledger and the
/// audit trail (ids only) stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mydata_export_and_erasure_leave_no_personal_data() {
    let mut app = App::start().await;
    anomaly_shop(&mut app, 1, 15_000, 4).await;
    let (a, b) = (8101, 8102);
    onboard_as(&mut app, a, "Sulastri Privasiwati", "081398765432", "sulastri.privasi@contoh.test").await;
    onboard_as(&mut app, b, "Bambang Rahasiadi", "081277553311", "bambang.rahasia@contoh.test").await;
    for u in [a, b] {
        credit(&mut app, u, 30_000).await;
        saldo_delivered(&mut app, u, 1).await;
        // A KIRIM PESAN relay, too.
        app.say(u, "KIRIM PESAN");
        app.wait_text(u, "pesan").await;
        app.say(u, "Halo admin, ini pesan pribadi saya");
        wait_msg(&app, ADMIN, &["Halo admin, ini pesan pribadi saya", &u.to_string()]).await;
    }

    // /mydata: a JSON document with the profile and the orders.
    app.say(a, "/mydata");
    let doc = app.wait_msg_since(a, &app.last_mark(a), |m| m.kind == MsgKind::Document, "the /mydata document").await;
    assert!(doc.file_name.as_deref().unwrap_or_default().ends_with(".json"), "{:?}", doc.file_name);
    let mine: Value = serde_json::from_slice(doc.file_bytes.as_deref().expect("document bytes")).unwrap();
    assert_eq!(mine["user"]["id"], json!(a), "{mine:#}");
    assert_eq!(mine["user"]["name"], json!("Sulastri Privasiwati"), "{mine:#}");
    assert_eq!(mine["user"]["email"], json!("sulastri.privasi@contoh.test"), "{mine:#}");
    let wa_a = mine["user"]["whatsapp"].as_str().expect("whatsapp stored").to_string();
    assert!(wa_a.ends_with("81398765432"), "{wa_a}");
    assert_eq!(mine["orders"].as_array().map(Vec::len), Some(1), "{mine:#}");
    assert!(mine["ledger"].as_array().is_some_and(|l| l.len() == 2), "credit and purchase: {mine:#}");
    assert!(!mine.to_string().contains("Bambang"), "only the asker's data");

    // The operator's export of the other user.
    let theirs: Value = serde_json::from_str(&cli_ok(&app, &["user", "export", &b.to_string()]).await).unwrap();
    assert_eq!(theirs["user"]["name"], json!("Bambang Rahasiadi"));
    assert_eq!(theirs["user"]["email"], json!("bambang.rahasia@contoh.test"));
    let wa_b = theirs["user"]["whatsapp"].as_str().expect("whatsapp stored").to_string();
    assert_eq!(theirs["orders"].as_array().map(Vec::len), Some(1), "{theirs:#}");
    let out = run_cli(&app, &["user", "export", "999999"]).await;
    assert!(!out.status.success(), "an unknown user cannot be exported");

    // /hapusdata asks first; cancelling keeps everything.
    app.say(a, "/hapusdata");
    app.wait_text(a, "tidak dapat dibatalkan").await;
    app.press(a, "Batalkan");
    app.wait_answer(a).await;
    let acct = account(&mut app, a).await;
    assert!(acct.text.contains("Sulastri Privasiwati"), "{}", acct.text);
    app.say(a, "/hapusdata");
    app.wait_text(a, "tidak dapat dibatalkan").await;
    app.press(a, "Ya, hapus data saya");
    app.wait_text(a, "sudah dihapus").await;
    let acct = account(&mut app, a).await;
    for line in ["Nama: Anonymous", "Username: -", "Email: -", "WhatsApp: -"] {
        assert!(acct.text.contains(line), "{line:?} in {}", acct.text);
    }
    let out = cli_ok(&app, &["user", "erase", &b.to_string()]).await;
    assert!(out.contains(&b.to_string()), "{out}");
    let theirs: Value = serde_json::from_str(&cli_ok(&app, &["user", "export", &b.to_string()]).await).unwrap();
    assert_eq!(theirs["user"]["name"], json!("Anonymous"), "{theirs:#}");
    assert_eq!(theirs["user"]["email"], Value::Null, "{theirs:#}");
    assert_eq!(theirs["orders"].as_array().map(Vec::len), Some(1), "orders are kept: {theirs:#}");
    // The erased user can still use the shop; the Telegram username is not stored again.
    app.say(b, "/order");
    app.wait_text(b, GUIDE).await;

    let audit = cli_ok(&app, &["audit", "tail", "-n", "10000"]).await;
    let erased: Vec<&str> = audit.lines().filter(|l| l.contains("user_erased")).collect();
    assert_eq!(erased.len(), 2, "{audit}");
    assert!(
        erased.iter().any(|l| l.contains(&format!("user:{a}")))
            && erased.iter().any(|l| l.contains(&format!("user:{b}")))
    );

    let status = app.stop().await;
    assert!(status.success(), "{status}");
    let key = app.env["DATABASE_KEY"].clone();
    let data = app.data_dir();
    let personal = [
        "Sulastri Privasiwati",
        "sulastri.privasi@contoh.test",
        wa_a.as_str(),
        "81398765432",
        "Bambang Rahasiadi",
        "bambang.rahasia@contoh.test",
        wa_b.as_str(),
        "81277553311",
        "Sulastri",
        "Bambang",
    ];
    for file in ["shop.db", "audit.db"] {
        let values = dump_values(&data.join(file), &key);
        assert!(values.len() > 20, "{file} has hardly any values: {values:?}");
        for p in personal {
            let hits: Vec<&String> = values.iter().filter(|v| v.contains(p)).collect();
            assert!(hits.is_empty(), "{p:?} is still in {file}: {hits:#?}");
        }
    }
    for p in personal {
        assert!(!audit.contains(p), "{p:?} in the audit tail");
        let hits = files_containing(&data, p.as_bytes());
        assert!(hits.is_empty(), "{p:?} in the raw files {hits:?}");
    }
    // Financial records stay.
    let shop_db = data.join("shop.db");
    for u in [a, b] {
        assert_eq!(count_rows(&shop_db, &key, "SELECT count(*) FROM orders WHERE user_id = ?1", u), 1);
        assert_eq!(count_rows(&shop_db, &key, "SELECT count(*) FROM ledger WHERE user_id = ?1", u), 2);
        assert_eq!(count_rows(&shop_db, &key, "SELECT erased FROM users WHERE id = ?1", u), 1);
    }
    app.finish().await;
}
