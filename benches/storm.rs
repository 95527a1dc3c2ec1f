//! Checkout storm (issue 8 §1) and the physical limit of the same write transactions (§2).
//!
//! `cargo bench --bench storm` — knobs: `--customers N` / `BENCH_CUSTOMERS` (default 1000),
//! `--items S` / `BENCH_ITEMS` (default 500), `--raw-orders R` / `BENCH_RAW_ORDERS` (default S),
//! `--rate U` / `BENCH_RATE` (offered updates/s: customers arrive evenly at U/3 per second;
//! default 0 = all customers at once, a flash-sale race), `--rtt MS` / `BENCH_RTT_MS` (default
//! 0: Telegram this far away, a fifth of it as jitter), `--limits 0|1` / `BENCH_LIMITS` (default
//! 0; 1: the fake enforces Telegram's flood limits and the bot runs at its default pacing),
//! `--chat-burst B` / `BENCH_CHAT_BURST` (default 1: with the limits, a private chat takes B
//! messages at once before its one a second applies; Telegram allows "short bursts").
//!
//! The release binary runs `serve` against the fake Telegram (no rate limits) and the fake
//! Pakasir (status limit 1 ms) on 127.0.0.1. Every customer is a different Telegram user (so the
//! per-user throttle keeps its default). Each one types the product id (card), presses
//! `Lanjut ke pembayaran` (summary), presses `QRIS` (invoice, or "out of stock" for the late ones)
//! and, with an invoice, pays: the fake marks the transaction completed and the bench posts the
//! Pakasir webhook. Latencies come from the fake's own clock: injection → the bot's first visible
//! call to that chat (or the answer to that button press).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quickcart::domain::order::is_invoice_id;
use quickcart::store::{self, orders::Purchase, outbox::Message};
use quickcart::testkit::MsgKind;
use serde_json::Value;
use support::*;

const PRODUCT: i64 = 7;
const PRICE: i64 = 25_000;
/// How often a simulated customer looks at their chat (their "reaction time"; it does not enter
/// the latencies, which are measured at the fake).
const LOOK_EVERY: Duration = Duration::from_millis(15);
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Debug)]
struct Step {
    kind: &'static str,
    chat: i64,
    at: Instant,
    cbq: Option<String>,
}

#[derive(Clone, Debug)]
struct Payment {
    chat: i64,
    posted: Instant,
    answered: Instant,
    tries: u32,
}

#[derive(Default)]
struct Shared {
    steps: Mutex<Vec<Step>>,
    payments: Mutex<Vec<Payment>>,
    answered: Mutex<HashSet<String>>,
    /// Serialises presses so that callback query ids (numbered by the fake) are known.
    presses: Mutex<u64>,
    errors: Mutex<Vec<String>>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let customers = arg_or_knob("customers", "BENCH_CUSTOMERS", 1000);
    let items = arg_or_knob("items", "BENCH_ITEMS", 500);
    let raw_orders = arg_or_knob("raw-orders", "BENCH_RAW_ORDERS", items);
    let rate = arg_or_knob("rate", "BENCH_RATE", 0);
    let rtt = Duration::from_millis(arg_or_knob("rtt", "BENCH_RTT_MS", 0) as u64);
    let limits = arg_or_knob("limits", "BENCH_LIMITS", 0) == 1;
    let chat_burst = arg_or_knob("chat-burst", "BENCH_CHAT_BURST", 1) as u32;
    let arrivals = if rate == 0 { "all at once".to_string() } else { format!("arriving for {rate} updates/s offered") };
    println!(
        "== checkout storm: {customers} customers ({arrivals}), {items} items of one product; Telegram {} ms away{}",
        rtt.as_millis(),
        if limits {
            format!(", its flood limits enforced (a private chat's burst: {chat_burst}; the bot at its default pacing)")
        } else {
            ", no flood limits".to_string()
        }
    );
    println!("   {}", machine_note());

    let (raw_pay, raw) = raw_limit(raw_orders);
    let raw_group = raw_limit_group_commit(raw_orders).await;

    let mut bot = Bot::prepare(|env| {
        // The bench posts every webhook from 127.0.0.1: lift the per-caller limit (default 300/min).
        env.insert("PAKASIR_WEBHOOK_LIMIT_PER_MINUTE".into(), "1000000".into());
        // Payments arrive by webhook only: keep the poller out of the measurement.
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
        // Without the fake's limits: at the pacer's defaults (30 messages/s) the race takes
        // minutes and customers give up. The pacer's most permissive setting instead.
        if !limits {
            env.insert("TELEGRAM_MESSAGES_PER_SECOND".into(), "1000".into());
            env.insert("TELEGRAM_CHAT_PACING_MS".into(), "0".into());
        }
    })
    .await;
    bot.pakasir.set_status_interval(Duration::from_millis(1));
    bot.tg.set_rate_limit(None);
    if limits {
        bot.tg.set_telegram_limits();
        bot.tg.set_chat_burst(chat_burst);
    }
    bot.tg.set_round_trip(rtt, rtt / 5);
    {
        let db = seed_db(&bot.data_dir(), &bot.key());
        seed_users(&db, FIRST_USER..FIRST_USER + customers as i64);
        seed_product(&db, PRODUCT, PRICE, items);
    }
    bot.spawn().await;
    let pid = bot.pid();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cpu0 = cpu_seconds(pid);

    let shared = Arc::new(Shared::default());
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let webhook_url = format!("{}/webhook/pakasir", bot.base_url);

    // One watcher learns which button presses have been answered.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (tg, shared, stop) = (bot.tg.clone(), shared.clone(), stop.clone());
        tokio::spawn(async move {
            let mut seen = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Only the calls since the last look: the bench must not eat the bot's CPU.
                let (answers, next) = tg.calls_to_since("answerCallbackQuery", seen);
                seen = next;
                if !answers.is_empty() {
                    let mut set = shared.answered.lock().unwrap();
                    for c in &answers {
                        if let Some(id) = c.params.get("callback_query_id").and_then(Value::as_str) {
                            set.insert(id.to_string());
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    let t_start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..customers {
        let user = FIRST_USER + i as i64;
        let (tg, pakasir, shared, http, url) =
            (bot.tg.clone(), bot.pakasir.clone(), shared.clone(), http.clone(), webhook_url.clone());
        let start = t_start + Duration::from_secs_f64(if rate == 0 { 0.0 } else { 3.0 * i as f64 / rate as f64 });
        tasks.spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            if let Err(e) = customer(user, &tg, &pakasir, &shared, &http, &url).await {
                shared.errors.lock().unwrap().push(format!("{user}: {e}"));
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let t_checkout_done = Instant::now();
    // Deliveries go out through the outbox after the webhooks: wait until the fake is quiet.
    let quiet = bot.tg.wait_idle(Duration::from_millis(1500), Duration::from_secs(120)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.await;
    let cpu = cpu_seconds(pid) - cpu0;
    let hwm = status_mib(pid, "VmHWM");
    let rss = status_mib(pid, "VmRSS");
    let calls = bot.tg.calls();
    let global_429 = bot.tg.too_many_global();
    bot.stop().await;
    let stats = bot.db_stats();

    // ---------------------------------------------------------------- analysis
    let errors = shared.errors.lock().unwrap().clone();
    let steps = shared.steps.lock().unwrap().clone();
    let payments = shared.payments.lock().unwrap().clone();
    const VISIBLE: &[&str] = &["sendmessage", "sendphoto", "senddocument", "editmessagetext", "editmessagecaption"];
    let mut visible: HashMap<i64, Vec<Instant>> = HashMap::new();
    let mut sends: HashMap<i64, Vec<Instant>> = HashMap::new();
    let mut answers: HashMap<String, Instant> = HashMap::new();
    for c in &calls {
        if c.outcome != 200 {
            continue;
        }
        let chat = c.params.get("chat_id").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
        if VISIBLE.contains(&c.method.as_str()) {
            if let Some(chat) = chat {
                visible.entry(chat).or_default().push(c.at);
                if c.method == "sendmessage" {
                    sends.entry(chat).or_default().push(c.at);
                }
            }
        }
        if c.method == "answercallbackquery" {
            if let Some(id) = c.params.get("callback_query_id").and_then(Value::as_str) {
                answers.entry(id.to_string()).or_insert(c.at);
            }
        }
    }
    let first_after = |v: Option<&Vec<Instant>>, t: Instant| v.and_then(|v| v.iter().find(|a| **a >= t).copied());
    let mut lat = Vec::new();
    let mut by_kind: HashMap<&'static str, Vec<Duration>> = HashMap::new();
    let mut last_reply = t_start;
    let mut unanswered = 0;
    for s in &steps {
        let a = first_after(visible.get(&s.chat), s.at);
        let b = s.cbq.as_ref().and_then(|id| answers.get(id).copied()).filter(|b| *b >= s.at);
        match [a, b].into_iter().flatten().min() {
            Some(r) => {
                lat.push(r - s.at);
                by_kind.entry(s.kind).or_default().push(r - s.at);
                last_reply = last_reply.max(r);
            }
            None => unanswered += 1,
        }
    }
    let mut to_200: Vec<Duration> = payments.iter().map(|p| p.answered - p.posted).collect();
    let mut to_delivery: Vec<Duration> = Vec::new();
    let mut last_delivery = t_start;
    for p in &payments {
        if let Some(d) = first_after(sends.get(&p.chat), p.posted) {
            to_delivery.push(d - p.posted);
            last_delivery = last_delivery.max(d);
        }
    }
    let first_post = payments.iter().map(|p| p.posted).min().unwrap_or(t_start);
    let last_200 = payments.iter().map(|p| p.answered).max().unwrap_or(t_start);
    let retried = payments.iter().filter(|p| p.tries > 1).count();
    if std::env::var_os("BENCH_DEBUG").is_some() {
        if let Some(p) = payments.iter().max_by_key(|p| p.answered - p.posted) {
            println!(
                "slowest webhook: chat {} posted at +{:?}, took {:?}",
                p.chat,
                p.posted - t_start,
                p.answered - p.posted
            );
            let log = bot.stderr();
            let mut kinds: HashMap<String, usize> = HashMap::new();
            for line in log.lines() {
                let words: Vec<&str> = line.split_whitespace().skip(2).take(3).collect();
                *kinds.entry(words.join(" ")).or_default() += 1;
            }
            let mut kinds: Vec<_> = kinds.into_iter().collect();
            kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
            println!("log lines: {} ({:?})", log.lines().count(), &kinds[..kinds.len().min(8)]);
            for line in log.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).take(20) {
                println!("   log: {line}");
            }
        }
    }

    let span = (last_reply.max(last_200) - t_start).as_secs_f64();
    let updates = steps.len();
    let paid = payments.len();
    let paid_rate = paid as f64 / (last_200 - t_start).as_secs_f64().max(1e-9);
    let paid_rate_window = paid as f64 / (last_200 - first_post).as_secs_f64().max(1e-9);

    println!("-- results");
    println!("updates injected: {updates} (unanswered {unanswered}); customer errors: {}", errors.len());
    for e in errors.iter().take(5) {
        println!("   error: {e}");
    }
    println!(
        "updates/s handled: {:.0} ({updates} updates, first injection → last reply {span:.2} s)",
        updates as f64 / span
    );
    if let (Some(first), Some(last)) = (steps.iter().map(|s| s.at).min(), steps.iter().map(|s| s.at).max()) {
        let window = (last - first).as_secs_f64();
        println!(
            "offered: {updates} updates injected in {window:.2} s (first → last injection) = {:.0} updates/s",
            updates as f64 / window.max(1e-9)
        );
    }
    println!("{}", summary("update → reply", &mut lat));
    for kind in ["card", "summary", "qris"] {
        if let Some(v) = by_kind.get_mut(kind) {
            println!("   {}", summary(kind, v));
        }
    }
    // Telegram's 429s by method: a reply that meets one waits out its retry_after.
    let mut throttled: Vec<(String, usize)> = calls
        .iter()
        .filter(|c| c.outcome == 429)
        .fold(HashMap::new(), |mut m: HashMap<String, usize>, c| {
            *m.entry(c.method.clone()).or_default() += 1;
            m
        })
        .into_iter()
        .collect();
    throttled.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    println!("429 answers by method: {throttled:?} (global budget: {global_429})");
    println!("{}", summary("webhook POST → HTTP 200", &mut to_200));
    println!("{}", summary("webhook POST → delivery sendMessage", &mut to_delivery));
    println!(
        "paid orders: {paid}; {paid_rate:.1} orders/s over the whole storm (start → last webhook 200), \
         {paid_rate_window:.1}/s over the payment window; webhooks retried: {retried}"
    );
    println!(
        "raw transaction limit: {raw:.1} orders/s reserve + pay + deliver ({raw_pay:.1}/s reserve + pay only), \
         one connection, same PRAGMAs"
    );
    println!(
        "paid-order rate / raw limit (reserve + pay + deliver): {:.1} % (whole storm), {:.1} % (payment window); \
         / reserve + pay only: {:.1} %, {:.1} %",
        100.0 * paid_rate / raw,
        100.0 * paid_rate_window / raw,
        100.0 * paid_rate / raw_pay,
        100.0 * paid_rate_window / raw_pay
    );
    println!(
        "paid-order rate / raw limit with group commit (reserve + pay + deliver through Db::write): {:.1} % (whole \
         storm), {:.1} % (payment window)",
        100.0 * paid_rate / raw_group,
        100.0 * paid_rate_window / raw_group
    );
    println!(
        "bot CPU: {cpu:.2} s for {updates} updates + {paid} webhooks ({:.0} updates per CPU-second)",
        updates as f64 / cpu.max(1e-9)
    );
    println!("peak RSS (VmHWM): {hwm:.1} MiB; RSS at end: {rss:.1} MiB");
    println!(
        "storm wall time: {:.2} s (customers done), quiet afterwards: {quiet}",
        (t_checkout_done - t_start).as_secs_f64()
    );
    let sold = stats["stock"]["sold"].as_i64().unwrap_or(0);
    let two = stats["items_in_two_orders"].as_i64().unwrap_or(-1);
    let mism = stats["ledger_mismatches"].as_i64().unwrap_or(-1);
    let viol = stats["stock_violations"].as_i64().unwrap_or(-1);
    let outbox_pending = stats["outbox"]["pending"].as_i64().unwrap_or(-1);
    println!(
        "invariants (quickcart db stats): sold={sold} (expected {}), items_in_two_orders={two}, ledger_mismatches={mism}, \
         stock_violations={viol}, paid orders={}, outbox pending={outbox_pending}",
        items.min(customers),
        stats["orders"]["paid"]
    );
    let ok = sold == items.min(customers) as i64 && two == 0 && mism == 0 && viol == 0 && errors.is_empty();
    println!("invariants: {}", if ok { "OK" } else { "VIOLATED" });
    println!("   {}", machine_note());
    if !ok {
        eprintln!("--- stderr of serve (tail):\n{}", tail(&bot.stderr(), 40));
        std::process::exit(1);
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Waits (polling this customer's chat) for a message satisfying `pred`.
async fn look(
    tg: &quickcart::testkit::FakeTelegram,
    chat: i64,
    pred: impl Fn(&quickcart::testkit::BotMessage) -> bool,
) -> Option<quickcart::testkit::BotMessage> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Some(m) = tg.all_messages(chat).into_iter().find(|m| !m.deleted && pred(m)) {
            return Some(m);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

fn press(tg: &quickcart::testkit::FakeTelegram, shared: &Shared, chat: i64, message_id: i64, data: &str) -> Step {
    let mut n = shared.presses.lock().unwrap();
    *n += 1;
    let at = Instant::now();
    tg.press(chat, message_id, data);
    Step { kind: "", chat, at, cbq: Some((4_000_000_000_000_u64 + *n).to_string()) }
}

async fn answered(shared: &Shared, cbq: &str) -> bool {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if shared.answered.lock().unwrap().contains(cbq) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

fn button(m: &quickcart::testkit::BotMessage, label: &str) -> Option<String> {
    m.inline_buttons.iter().flatten().find(|b| b.text.contains(label)).and_then(|b| b.callback_data.clone())
}

async fn customer(
    user: i64,
    tg: &quickcart::testkit::FakeTelegram,
    pakasir: &quickcart::testkit::FakePakasir,
    shared: &Shared,
    http: &reqwest::Client,
    url: &str,
) -> Result<(), String> {
    // 1. the card
    let at = Instant::now();
    tg.send_text(user, &PRODUCT.to_string());
    shared.steps.lock().unwrap().push(Step { kind: "card", chat: user, at, cbq: None });
    let card = look(tg, user, |m| !m.inline_buttons.is_empty()).await.ok_or("no card")?;
    // 2. Lanjut ke pembayaran → summary (or a "sold out" answer)
    let Some(data) = button(&card, "Lanjut") else {
        return Ok(()); // sold out already: the card has no checkout button
    };
    let step = Step { kind: "summary", ..press(tg, shared, user, card.message_id, &data) };
    let cbq = step.cbq.clone().unwrap_or_default();
    shared.steps.lock().unwrap().push(step);
    if !answered(shared, &cbq).await {
        return Err("summary press never answered".into());
    }
    let Some(summary) =
        tg.all_messages(user).into_iter().find(|m| m.message_id == card.message_id && button(m, "QRIS").is_some())
    else {
        return Ok(()); // sold out before the summary
    };
    // 3. QRIS → invoice photo (or "out of stock")
    let data = button(&summary, "QRIS").ok_or("no QRIS button")?;
    let step = Step { kind: "qris", ..press(tg, shared, user, summary.message_id, &data) };
    let cbq = step.cbq.clone().unwrap_or_default();
    shared.steps.lock().unwrap().push(step);
    if !answered(shared, &cbq).await {
        return Err("QRIS press never answered".into());
    }
    let Some(invoice) = tg.all_messages(user).into_iter().find(|m| m.kind == MsgKind::Photo) else {
        return Ok(()); // out of stock at reservation
    };
    let invoice_id = invoice
        .text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| is_invoice_id(w))
        .ok_or("no invoice id in the caption")?
        .to_string();
    // 4. pay: Pakasir completes the transaction and posts its webhook
    pakasir.complete(&invoice_id).ok_or("no Pakasir transaction")?;
    let body = pakasir.webhook_body(&invoice_id).ok_or("no webhook body")?;
    let posted = Instant::now();
    for tries in 1..=20 {
        let resp = http
            .post(url)
            .header("X-Secret", PAKASIR_WEBHOOK_SECRET)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("webhook: {e}"))?;
        let status = resp.status().as_u16();
        let _ = resp.bytes().await;
        if status == 200 {
            shared.payments.lock().unwrap().push(Payment { chat: user, posted, answered: Instant::now(), tries });
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("webhook never accepted".into())
}

/// §2: the same write transactions straight against SQLCipher (same disk, same PRAGMAs, one
/// connection, one after the other): reserve the item + order row (`create_pending`), pay it
/// (`confirm_payment`: reserved → sold, outbox rows for the delivery and the admin notice), and
/// deliver (each outbox row marked sent, one write each, as the outbox worker does).
/// Returns (reserve + pay, reserve + pay + deliver) in orders/s.
fn raw_limit(orders: usize) -> (f64, f64) {
    let mut rates = Vec::new();
    for deliver in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = quickcart::config::DbKey::parse(&random_key()).unwrap();
        let db = seed_db(&dir.path().join("data"), &key);
        seed_users(&db, FIRST_USER..FIRST_USER + orders as i64);
        seed_product(&db, PRODUCT, PRICE, orders);
        let mut c = db.shop().unwrap();
        let expires = store::now() + 600;
        let mut transactions = 0;
        let t0 = Instant::now();
        for i in 0..orders {
            let user = FIRST_USER + i as i64;
            let purchase = Purchase::Product { product_id: PRODUCT, quantity: 1, unit_price: PRICE, voucher: None };
            let order = store::writer::transaction(&mut c, |tx| {
                store::orders::create_pending(tx, user, &purchase, expires, quickcart::domain::anomaly::Level::None)
            })
            .expect("create_pending");
            let paid = store::writer::transaction(&mut c, |tx| pay_and_queue(tx, order.id)).expect("confirm_payment");
            assert!(matches!(paid, Some(store::orders::Paid::Delivered(_))));
            transactions += 2;
            if deliver {
                for row in store::outbox::due(&c, 50, 50).expect("due") {
                    store::outbox::mark_sent(&c, row.id).expect("mark_sent");
                    transactions += 1;
                }
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        let rate = orders as f64 / secs;
        println!(
            "raw limit ({}): {orders} orders, {transactions} write transactions in {secs:.2} s = {rate:.1} orders/s, \
             {:.2} ms per transaction",
            if deliver { "reserve + pay + deliver" } else { "reserve + pay" },
            secs * 1000.0 / transactions as f64
        );
        rates.push(rate);
    }
    (rates[0], rates[1])
}

/// Confirms a payment and queues what the shop queues for it (the QR removal, the delivery,
/// one admin notice), in the caller's transaction.
fn pay_and_queue(tx: &rusqlite::Connection, order_id: i64) -> Result<Option<store::orders::Paid>, store::StoreError> {
    let paid = store::orders::confirm_payment(tx, order_id)?;
    if let Some(store::orders::Paid::Delivered(o)) = &paid {
        let items = store::orders::sold_items(tx, o.id)?;
        let messages = [
            Message::new(o.user_id, store::outbox::Payload::Delete { message_id: 3 }),
            Message::text(o.user_id, format!("Pesanan {} berhasil\n{}", o.invoice_id, items.join("\n"))),
            Message::text(ADMIN, format!("Pesanan baru {} dari {}", o.invoice_id, o.user_id)),
        ];
        store::outbox::enqueue_all(tx, &messages, Some(o.id))?;
    }
    Ok(paid)
}

/// §2 again, the way the shop writes: the same transactions through `Db::write` (the one writer
/// connection, group commit) from `CONCURRENT` buyers at once, each reserving then paying; the
/// deliveries marked sent 50 at a time as the outbox worker does. What SQLCipher on this disk
/// allows when fsyncs are shared; returns orders/s.
async fn raw_limit_group_commit(orders: usize) -> f64 {
    const CONCURRENT: usize = 64;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = quickcart::config::DbKey::parse(&random_key()).unwrap();
    let db = seed_db(&dir.path().join("data"), &key);
    seed_users(&db, FIRST_USER..FIRST_USER + orders as i64);
    seed_product(&db, PRODUCT, PRICE, orders);
    let expires = store::now() + 600;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut buyers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT {
        let (db, next) = (db.clone(), next.clone());
        buyers.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= orders {
                    return;
                }
                let user = FIRST_USER + i as i64;
                let purchase = Purchase::Product { product_id: PRODUCT, quantity: 1, unit_price: PRICE, voucher: None };
                let order = db
                    .write(move |c| {
                        Ok(store::writer::transaction(c, |tx| {
                            store::orders::create_pending(
                                tx,
                                user,
                                &purchase,
                                expires,
                                quickcart::domain::anomaly::Level::None,
                            )
                        }))
                    })
                    .await
                    .expect("write")
                    .expect("create_pending");
                let paid = db.transact(move |tx| pay_and_queue(tx, order.id)).await.expect("confirm_payment");
                assert!(matches!(paid, Some(store::orders::Paid::Delivered(_))));
            }
        });
    }
    while buyers.join_next().await.is_some() {}
    loop {
        let ids: Vec<i64> =
            db.call(|c| store::outbox::due(c, 50, 50)).await.expect("due").iter().map(|r| r.id).collect();
        if ids.is_empty() {
            break;
        }
        db.write(move |c| store::outbox::mark_sent_all(c, &ids)).await.expect("mark_sent_all");
    }
    let secs = t0.elapsed().as_secs_f64();
    let rate = orders as f64 / secs;
    println!(
        "raw limit (reserve + pay + deliver, group commit, {CONCURRENT} buyers at once): {orders} orders in {secs:.2} s \
         = {rate:.1} orders/s"
    );
    rate
}
