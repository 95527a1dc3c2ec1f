//! Helpers for the payment end-to-end tests, on top of `common`:
//! reaching a QRIS invoice, paying it through the fake Pakasir, posting webhooks, reading
//! `quickcart db stats`, and counting what customers received.

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::future::Future;
use std::time::{Duration, Instant};

use quickcart::testkit::{BotMessage, MsgKind, PakasirRoute, Txn};
use serde_json::Value;

use crate::common::{run_cli, App, PAKASIR_WEBHOOK_SECRET};

/// Longer than `common::WAIT`, for things that pass through the poller or the scheduler.
pub const SLOW: Duration = Duration::from_secs(30);

pub const SUMMARY: &str = "Ringkasan Pesanan";
pub const INVOICE_TITLE: &str = "Tagihan QRIS";
pub const DELIVERED: &str = "Pembayaran berhasil";
pub const ADMIN_NEW_ORDER: &str = "Pesanan baru";
pub const DEPOSIT_DONE: &str = "Deposit berhasil";
pub const EXPIRED: &str = "kedaluwarsa";
pub const TRY_AGAIN: &str = "coba lagi";

/// A QRIS invoice as the customer got it.
#[derive(Clone, Debug)]
pub struct Invoice {
    pub user: i64,
    /// `INV…`, the order id at Pakasir.
    pub id: String,
    /// The photo message carrying the QR.
    pub message: BotMessage,
    /// The transaction the fake Pakasir created for it.
    pub txn: Txn,
}

/// The first `INV…` id in a text.
pub fn invoice_in(text: &str) -> Option<String> {
    let start = text.find("INV")?;
    let id: String = text[start..].chars().take_while(char::is_ascii_alphanumeric).collect();
    (id.len() > 3).then_some(id)
}

/// `http://HTTP_BIND/webhook/pakasir` of the current run.
pub fn webhook_url(app: &App) -> String {
    format!("{}/webhook/pakasir", app.base_url)
}

/// Posts `body` with the right secret; returns (status, body).
pub async fn hook(app: &App, body: Value) -> (u16, String) {
    hook_with(app, PAKASIR_WEBHOOK_SECRET, body).await
}

pub async fn hook_with(app: &App, secret: &str, body: Value) -> (u16, String) {
    app.pakasir.post_webhook(&webhook_url(app), secret, body).await.expect("webhook post")
}

/// Posts raw bytes (malformed or huge bodies, missing secret). Returns the status.
pub async fn hook_raw(app: &App, secret: Option<&str>, body: Vec<u8>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(webhook_url(app))
        .header("Content-Type", "application/json")
        .timeout(Duration::from_secs(30))
        .body(body);
    if let Some(s) = secret {
        req = req.header("X-Secret", s);
    }
    req.send().await.expect("raw webhook post").status().as_u16()
}

/// The genuine webhook body for an invoice (as Pakasir would send it).
pub fn genuine(app: &App, invoice: &str) -> Value {
    app.pakasir.webhook_body(invoice).unwrap_or_else(|| panic!("no transaction for {invoice} at the fake Pakasir"))
}

/// Marks the invoice paid at the fake and posts the genuine webhook; expects 200.
pub async fn pay(app: &App, invoice: &str) {
    app.pakasir.complete(invoice).unwrap_or_else(|| panic!("no transaction for {invoice}"));
    let (status, body) = hook(app, genuine(app, invoice)).await;
    assert_eq!(status, 200, "webhook for {invoice}: {body}\n{}", app.stderr());
}

// ------------------------------------------------------------------ db

/// `quickcart db stats` as JSON.
pub async fn stats(app: &App) -> Value {
    let out = run_cli(app, &["db", "stats"]).await;
    assert!(out.status.success(), "db stats failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("db stats is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// `quickcart db check` must say ok (exit 0).
pub async fn assert_db_check(app: &App) {
    let out = run_cli(app, &["db", "check"]).await;
    assert!(
        out.status.success(),
        "db check failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A number in the stats by JSON pointer (`/orders/paid`); absent = 0.
pub fn num(stats: &Value, pointer: &str) -> i64 {
    stats.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// Number of `webhook_rejected` security events.
pub fn rejected(stats: &Value) -> i64 {
    num(stats, "/security_events/webhook_rejected")
}

/// The money and stock invariants every test ends with.
pub fn assert_invariants(s: &Value) {
    assert_eq!(num(s, "/ledger_mismatches"), 0, "ledger mismatch: {s:#}");
    assert_eq!(num(s, "/items_in_two_orders"), 0, "item sold twice: {s:#}");
    assert_eq!(num(s, "/stock_violations"), 0, "stock violation: {s:#}");
    assert_eq!(num(s, "/ledger_sum"), num(s, "/balance_sum"), "balance != ledger: {s:#}");
    assert_eq!(num(s, "/money_violations"), 0, "money not conserved: {s:#}");
}

/// Waits until `db stats` satisfies `pred`; returns the last stats.
pub async fn wait_stats(app: &App, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + SLOW;
    loop {
        let s = stats(app).await;
        if pred(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "db stats never showed {what}: {s:#}\n--- stderr:\n{}", app.stderr());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until the shop has settled: outbox drained, nothing parked, no order pending; returns the
/// stats. `users` and the admin write `/stock` first (what was parked for them goes out when they
/// write), and again every 2 s while something is still parked: a chat is parked when Telegram
/// refuses a message (403), and a `/stock` the bot handled before that refusal was recorded
/// unparks nothing (seen under load).
pub async fn settle_talking(app: &mut App, what: &str, users: &[i64]) -> Value {
    let deadline = Instant::now() + SLOW;
    let mut talked: Option<Instant> = None;
    loop {
        if talked.is_none() {
            for u in users.iter().copied().chain([crate::common::ADMIN]) {
                app.say(u, "/stock");
            }
            talked = Some(Instant::now());
        }
        let s = stats(app).await;
        if num(&s, "/outbox/pending") == 0 && num(&s, "/outbox/parked") == 0 && num(&s, "/orders/pending") == 0 {
            return s;
        }
        assert!(Instant::now() < deadline, "db stats never showed {what}: {s:#}\n--- stderr:\n{}", app.stderr());
        if num(&s, "/outbox/parked") > 0 && talked.is_some_and(|t| t.elapsed() >= Duration::from_secs(2)) {
            talked = None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Polls `cond` until true (panics after `timeout`, naming `what`).
pub async fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Like [`wait_until`] with an async condition.
pub async fn wait_until_async<F, Fut>(what: &str, timeout: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ------------------------------------------------------------------ what people see

/// Messages (deleted ones too) in `chat` whose text contains every needle.
pub fn messages_with(app: &App, chat: i64, needles: &[&str]) -> Vec<BotMessage> {
    app.tg.all_messages(chat).into_iter().filter(|m| needles.iter().all(|n| m.text.contains(n))).collect()
}

/// How many delivery messages (text or `.txt` document) the user got for this invoice.
pub fn deliveries(app: &App, user: i64, invoice: &str) -> usize {
    messages_with(app, user, &[DELIVERED, invoice]).len()
}

/// How many new-order notices named this invoice: its own "Pesanan baru", or its line in a
/// digest of several ("🛒 5 pesanan baru", at most 15 lines).
pub fn admin_notices(app: &App, admin: i64, invoice: &str) -> usize {
    app.tg
        .all_messages(admin)
        .iter()
        .filter(|m| m.text.contains(invoice) && (m.text.contains(ADMIN_NEW_ORDER) || digest_orders(&m.text) > 0))
        .count()
}

/// How many orders a digest notice counts ("🛒 12 pesanan baru, Rp…"); 0 for any other message.
pub fn digest_orders(text: &str) -> usize {
    text.strip_prefix("🛒 ")
        .and_then(|rest| rest.split_once(" pesanan baru"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0)
}

/// Orders the admin was told of: one per "Pesanan baru", and each digest's count.
pub fn orders_noticed(app: &App, admin: i64) -> usize {
    app.tg
        .all_messages(admin)
        .iter()
        .map(|m| if m.text.contains(ADMIN_NEW_ORDER) { 1 } else { digest_orders(&m.text) })
        .sum()
}

/// Waits (up to [`SLOW`]) until the user got a message containing all needles; returns it.
pub async fn wait_msg(app: &App, chat: i64, needles: &[&str]) -> BotMessage {
    let needles_owned: Vec<String> = needles.iter().map(|s| (*s).to_string()).collect();
    match app.tg.wait_for(chat, |m| needles_owned.iter().all(|n| m.text.contains(n.as_str())), SLOW).await {
        Some(m) => m,
        None => panic!(
            "no message with {needles:?} for {chat} within {SLOW:?}; chat:\n{}\n--- stderr:\n{}",
            app.transcript(chat),
            app.stderr()
        ),
    }
}

/// The current text of one message (edits applied), deleted or not.
pub fn message(app: &App, chat: i64, message_id: i64) -> BotMessage {
    app.tg
        .all_messages(chat)
        .into_iter()
        .find(|m| m.message_id == message_id)
        .unwrap_or_else(|| panic!("no message {message_id} in chat {chat}"))
}

/// The newest QRIS invoice photo of the user (not deleted), if any.
pub fn latest_invoice_photo(app: &App, user: i64) -> Option<BotMessage> {
    app.tg.messages(user).into_iter().rev().find(|m| m.kind == MsgKind::Photo && m.text.contains(INVOICE_TITLE))
}

/// The Pakasir calls to `route` whose path mentions `id` (an invoice or a txn id).
pub fn pakasir_calls(app: &App, route: PakasirRoute, id: &str) -> usize {
    app.pakasir.calls().iter().filter(|c| c.route == route && c.path.ends_with(&format!("/{id}"))).count()
}

// ------------------------------------------------------------------ flows

/// Opens the card of `product` (typing its id) and waits for it.
pub async fn open_card(app: &mut App, user: i64, product: i64) -> BotMessage {
    app.say(user, &product.to_string());
    let mark = app.last_mark(user);
    app.wait_msg_since(
        user,
        &mark,
        |m| m.inline_buttons.iter().flatten().any(|b| b.text == "Lanjut ke pembayaran"),
        "product card",
    )
    .await
}

/// Card → (`plus` presses of `[+]`) → summary. Returns the summary message.
pub async fn to_summary(app: &mut App, user: i64, product: i64, plus: usize) -> BotMessage {
    open_card(app, user, product).await;
    for n in 0..plus {
        app.press(user, "+");
        app.wait_text(user, &format!("Jumlah: {}", n + 2)).await;
    }
    app.press(user, "Lanjut ke pembayaran");
    app.wait_text(user, SUMMARY).await
}

/// Buys one of `product` with the balance; returns the delivery.
pub async fn saldo_buy(app: &mut App, user: i64, product: i64) -> BotMessage {
    let before = messages_with(app, user, &[DELIVERED]).len();
    to_summary(app, user, product, 0).await;
    app.press(user, "SALDO");
    app.wait_text(user, "Bayar dengan SALDO").await;
    app.press(user, "Konfirmasi");
    wait_until("the SALDO delivery", SLOW, || messages_with(app, user, &[DELIVERED]).len() == before + 1).await;
    messages_with(app, user, &[DELIVERED]).pop().unwrap()
}

/// Waits for the invoice photo new since the user's last action and the fake's transaction.
pub async fn wait_invoice(app: &App, user: i64) -> Invoice {
    let mark = app.last_mark(user);
    let Some(message) = app
        .tg
        .wait_for(user, |m| mark.is_new(m) && m.kind == MsgKind::Photo && m.text.contains(INVOICE_TITLE), SLOW)
        .await
    else {
        panic!("no invoice for {user} within {SLOW:?}; chat:\n{}\n--- stderr:\n{}", app.transcript(user), app.stderr())
    };
    let id = invoice_in(&message.text).unwrap_or_else(|| panic!("no invoice id in the caption: {}", message.text));
    let txn =
        app.pakasir.txn_by_order(&id).unwrap_or_else(|| panic!("invoice {id} has no transaction at the fake Pakasir"));
    Invoice { user, id, message, txn }
}

/// Card → summary → `[QRIS]` → invoice photo.
pub async fn buy_qris(app: &mut App, user: i64, product: i64, plus: usize) -> Invoice {
    to_summary(app, user, product, plus).await;
    app.press(user, "QRIS");
    wait_invoice(app, user).await
}

/// `[AKUN]` → `[Deposit]` → amount → invoice photo.
pub async fn deposit_invoice(app: &mut App, user: i64, amount: &str) -> Invoice {
    app.say(user, "AKUN");
    app.wait_text(user, "Akun Saya").await;
    app.press(user, "Deposit");
    app.wait_text(user, "Ketik jumlah deposit").await;
    app.say(user, amount);
    wait_invoice(app, user).await
}

/// Deposits `amount` (digits) by QRIS and waits for the credit.
pub async fn deposit(app: &mut App, user: i64, amount: &str) -> Invoice {
    let inv = deposit_invoice(app, user, amount).await;
    pay(app, &inv.id).await;
    wait_msg(app, user, &[DEPOSIT_DONE, &inv.id]).await;
    inv
}

/// The balance line of `[AKUN]`.
pub async fn balance_text(app: &mut App, user: i64) -> String {
    app.say(user, "AKUN");
    let m = app.wait_text(user, "Akun Saya").await;
    m.text.lines().find(|l| l.contains("Saldo")).unwrap_or_default().trim().to_string()
}

// ------------------------------------------------------------------ a holding Bot API proxy

/// A proxy between the binary and the fake Telegram. While `hold` is on, a request whose body
/// contains `needle` is forwarded (so Telegram shows the message) but its answer never comes
/// back: the binary is stuck exactly between "Telegram accepted it" and "I know it was sent".
#[derive(Clone)]
pub struct HoldingProxy {
    pub url: String,
    target: std::sync::Arc<std::sync::Mutex<String>>,
    hold: std::sync::Arc<std::sync::atomic::AtomicBool>,
    needle: std::sync::Arc<Vec<u8>>,
    held: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    http: reqwest::Client,
}

impl HoldingProxy {
    pub async fn start(needle: &str) -> HoldingProxy {
        use axum::body::Bytes;
        use axum::extract::State;
        use axum::http::{HeaderMap, Method, StatusCode, Uri};
        use axum::response::{IntoResponse, Response};

        async fn forward(
            State(p): State<HoldingProxy>,
            method: Method,
            uri: Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            let target = p.target.lock().unwrap().clone();
            let url = format!("{target}{uri}");
            let mut req = p.http.request(method, url).body(body.to_vec());
            if let Some(ct) = headers.get("content-type") {
                req = req.header("content-type", ct.as_bytes());
            }
            let Ok(resp) = req.send().await else {
                return StatusCode::BAD_GATEWAY.into_response();
            };
            let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
            let ct = resp.headers().get("content-type").cloned();
            let bytes = resp.bytes().await.unwrap_or_default();
            let matches = body.windows(p.needle.len()).any(|w| w == p.needle.as_slice());
            if matches && p.hold.load(std::sync::atomic::Ordering::SeqCst) {
                p.held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::future::pending::<()>().await;
            }
            let mut out = (status, bytes).into_response();
            if let Some(ct) = ct {
                out.headers_mut().insert("content-type", ct);
            }
            out
        }

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let proxy = HoldingProxy {
            url,
            target: std::sync::Arc::default(),
            hold: std::sync::Arc::default(),
            needle: std::sync::Arc::new(needle.as_bytes().to_vec()),
            held: std::sync::Arc::default(),
            http: reqwest::Client::new(),
        };
        let app = axum::Router::new().fallback(forward).with_state(proxy.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        proxy
    }

    /// Points the binary's `TELEGRAM_API_URL` at the proxy (and the proxy at the fake).
    pub fn install(&self, env: &mut std::collections::BTreeMap<String, String>) {
        let fake = env.insert("TELEGRAM_API_URL".into(), self.url.clone()).expect("TELEGRAM_API_URL is set");
        *self.target.lock().unwrap() = fake;
    }

    pub fn set_hold(&self, on: bool) {
        self.hold.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many answers have been held back so far.
    pub fn held(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::SeqCst)
    }
}
