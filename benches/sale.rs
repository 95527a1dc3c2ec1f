//! Flash sale under real conditions (issue 14): N buyers with open QRIS invoices pay at the same
//! moment while the fake Telegram answers after a round trip and enforces Telegram's limits
//! (30 messages/s in all, 1/s per private chat, 20/min per group, 429 beyond).
//!
//! `cargo bench --bench sale` — knobs: `--buyers N` / `BENCH_BUYERS` (default 150),
//! `--rtt MS` / `BENCH_RTT_MS` (default 100; jitter is a fifth of it), `--limits 0|1` /
//! `BENCH_LIMITS` (default 1), `--broadcast R` / `BENCH_BROADCAST` (default 0: a broadcast to
//! R more users, started 3 s before the sale, running through it at the default
//! `BROADCAST_RATE`), `--chatter U` / `BENCH_CHATTER` (default 0: U updates a second from other
//! customers, each opening a product card, from the start of the sale for 10 s; their update →
//! reply time is reported).
//!
//! The invoices are made through the library (orders in the data directory, transactions at the
//! fake Pakasir through its HTTP API) before the release binary starts, so only the payment →
//! delivery path is measured: every webhook is posted at once; the time is from the first post
//! to each buyer's delivery as the fake Telegram recorded it. The floor is what Telegram allows:
//! the deliveries at 30 messages/s plus one round trip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use quickcart::domain::anomaly::Level;
use quickcart::store::{self, orders::Purchase};
use support::*;

const PRODUCT: i64 = 7;
const PRICE: i64 = 25_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let buyers = arg_or_knob("buyers", "BENCH_BUYERS", 150);
    let rtt = Duration::from_millis(arg_or_knob("rtt", "BENCH_RTT_MS", 100) as u64);
    let limits = arg_or_knob("limits", "BENCH_LIMITS", 1) == 1;
    let broadcast = arg_or_knob("broadcast", "BENCH_BROADCAST", 0);
    let chatter = arg_or_knob("chatter", "BENCH_CHATTER", 0);
    println!(
        "== flash sale: {buyers} buyers pay at once; Telegram {} ms away{}; broadcast to {broadcast} more users; \
         {chatter} updates/s from other customers",
        rtt.as_millis(),
        if limits { ", its flood limits enforced" } else { ", no flood limits" }
    );
    // Users: buyers, then the customers who chatter, then the broadcast's other recipients.
    let chatters: Vec<i64> = (0..chatter * CHATTER_SECONDS).map(|i| FIRST_USER + (buyers + i) as i64).collect();
    let everyone = FIRST_USER..FIRST_USER + (buyers + chatters.len() + broadcast) as i64;
    println!("   {}", machine_note());

    let mut bot = Bot::prepare(|env| {
        env.insert("PAKASIR_WEBHOOK_LIMIT_PER_MINUTE".into(), "1000000".into());
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    bot.pakasir.set_status_interval(Duration::from_millis(1));
    let invoices = {
        let db = seed_db(&bot.data_dir(), &bot.key());
        seed_users(&db, everyone.clone());
        seed_product(&db, PRODUCT, PRICE, buyers);
        open_invoices(&db, &bot, buyers).await
    };
    bot.spawn().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    if limits {
        bot.tg.set_telegram_limits();
    }
    bot.tg.set_round_trip(rtt, rtt / 5);
    let broadcast_started = Instant::now();
    if broadcast > 0 {
        bot.tg.send_text(ADMIN, &format!("/broadcast {BROADCAST_TEXT}"));
        tokio::time::sleep(Duration::from_secs(3)).await;
    }

    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let url = format!("{}/webhook/pakasir", bot.base_url);
    let t0 = Instant::now();
    let mut posts = tokio::task::JoinSet::new();
    for (_, invoice) in &invoices {
        bot.pakasir.complete(invoice).expect("transaction");
        let body = bot.pakasir.webhook_body(invoice).expect("body");
        let (http, url) = (http.clone(), url.clone());
        posts.spawn(async move {
            let started = Instant::now();
            let status = http
                .post(&url)
                .header("X-Secret", PAKASIR_WEBHOOK_SECRET)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            (status, started.elapsed())
        });
    }
    let chatting = {
        let (tg, chatters) = (bot.tg.clone(), chatters.clone());
        tokio::spawn(async move { chatter_along(&tg, &chatters, chatter).await })
    };
    let mut answers = Vec::new();
    while let Some(r) = posts.join_next().await {
        let (status, took) = r.unwrap();
        assert_eq!(status, 200, "webhook answered {status}");
        answers.push(took);
    }

    // Wait for every delivery, then read when each arrived at the fake.
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut delivered: HashMap<i64, Duration> = HashMap::new();
    let mut duplicates = 0;
    while Instant::now() < deadline {
        delivered.clear();
        duplicates = 0;
        for call in bot.tg.calls_to("sendmessage") {
            let chat = call.params.get("chat_id").and_then(serde_json::Value::as_i64).unwrap_or(0);
            let text = call.params.get("text").and_then(serde_json::Value::as_str).unwrap_or("");
            let delivery = chat >= FIRST_USER && text.contains("Pembayaran berhasil") && call.outcome == 200;
            if delivery && delivered.insert(chat, call.at.saturating_duration_since(t0)).is_some() {
                duplicates += 1;
            }
        }
        if delivered.len() == invoices.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut times: Vec<Duration> = delivered.values().copied().collect();
    times.sort();
    let last = times.last().copied().unwrap_or_default();
    let floor = Duration::from_secs_f64(buyers as f64 / 30.0) + rtt;
    let injected = chatting.await.unwrap();
    if broadcast > 0 {
        // The broadcast reaches everyone, then its summary goes to the admin.
        let total = everyone.clone().count();
        let deadline = Instant::now() + Duration::from_secs_f64(total as f64 / 20.0 + 120.0);
        while broadcast_sends(&bot, t0).len() < total && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    bot.tg.wait_idle(Duration::from_secs(2), Duration::from_secs(60)).await;
    let buyer_chats = FIRST_USER..FIRST_USER + buyers as i64;
    let chatter_chats = FIRST_USER + buyers as i64..FIRST_USER + (buyers + chatters.len()) as i64;
    let too_many = bot.tg.too_many_requests();
    let count = |f: &dyn Fn(i64) -> bool| -> u64 { too_many.iter().filter(|(c, _)| f(**c)).map(|(_, n)| *n).sum() };
    let on_buyers = count(&|c| buyer_chats.contains(&c));
    let on_admin = count(&|c| c < FIRST_USER);
    let on_chatters = count(&|c| chatter_chats.contains(&c));
    let on_others = count(&|c| c >= chatter_chats.end);
    answers.sort();
    println!(
        "deliveries: {}/{} (duplicates {duplicates}); last after {:.2} s; floor {:.2} s; ratio {:.2}",
        delivered.len(),
        invoices.len(),
        last.as_secs_f64(),
        floor.as_secs_f64(),
        last.as_secs_f64() / floor.as_secs_f64()
    );
    println!("{}", summary("delivery after the webhooks", &mut times));
    println!("{}", summary("webhook answered in", &mut answers));
    println!(
        "429 answers: {on_buyers} on buyer chats, {on_admin} on the admin's chat, {on_chatters} on chatting \
         customers, {on_others} on other broadcast recipients; {} for the bot's total (30/s)",
        bot.tg.too_many_global()
    );
    println!("Bot API calls in flight at most: {}", bot.tg.max_in_flight());
    let calls = bot.tg.calls();
    let to_admin: Vec<_> = calls
        .iter()
        .filter(|c| c.method == "sendmessage" && c.outcome == 200 && c.at >= t0 && chat_of(c) == ADMIN)
        .collect();
    let digests = to_admin.iter().filter(|c| text_of(c).contains("pesanan baru</b>")).count();
    println!("admin chat: {} messages after the first webhook ({digests} digests)", to_admin.len());
    println!("most messages the bot sent in one second: {}", busiest_second(&calls));
    if !injected.is_empty() {
        let mut replies = reply_times(&calls, &injected);
        println!(
            "{} (chatter: {} updates in {CHATTER_SECONDS} s, {} answered)",
            summary("update → reply", &mut replies),
            injected.len(),
            replies.len()
        );
    }
    if broadcast > 0 {
        let mut sends = broadcast_sends(&bot, broadcast_started);
        sends.sort();
        let sale_end = t0 + last;
        let before: Vec<_> = sends.iter().filter(|t| **t < t0).collect();
        let during = sends.iter().filter(|t| **t >= t0 && **t <= sale_end).count();
        let after: Vec<_> = sends.iter().filter(|t| **t > sale_end + Duration::from_secs(1)).collect();
        let rate = |v: &[&Instant]| match (v.first(), v.last()) {
            (Some(a), Some(b)) if v.len() > 1 => (v.len() - 1) as f64 / b.duration_since(**a).as_secs_f64(),
            _ => f64::NAN,
        };
        let duplicates = {
            let mut seen = std::collections::HashSet::new();
            broadcast_chats(&bot).into_iter().filter(|c| !seen.insert(*c)).count()
        };
        println!(
            "broadcast: {} recipients reached (duplicates {duplicates}); {:.1} msg/s before the sale, {during} sends \
             during it, {:.1} msg/s after it = {:.1} % of the configured {BROADCAST_RATE}/s",
            sends.len(),
            rate(&before),
            rate(&after),
            100.0 * rate(&after) / BROADCAST_RATE
        );
    }
    println!("   {}", machine_note());
    bot.stop().await;
}

const BROADCAST_TEXT: &str = "Promo kilat hari ini: semua akun diskon 20%!";
const BROADCAST_RATE: f64 = 25.0;
const CHATTER_SECONDS: usize = 10;

fn chat_of(c: &quickcart::testkit::Call) -> i64 {
    c.params.get("chat_id").and_then(serde_json::Value::as_i64).unwrap_or(0)
}

fn text_of(c: &quickcart::testkit::Call) -> &str {
    c.params.get("text").and_then(serde_json::Value::as_str).unwrap_or("")
}

fn is_broadcast(c: &quickcart::testkit::Call) -> bool {
    c.method == "sendmessage" && c.outcome == 200 && text_of(c).contains(BROADCAST_TEXT)
}

/// When each broadcast message was answered, since `from`.
fn broadcast_sends(bot: &Bot, from: Instant) -> Vec<Instant> {
    bot.tg.calls().iter().filter(|c| is_broadcast(c) && c.at >= from).map(|c| c.at).collect()
}

fn broadcast_chats(bot: &Bot) -> Vec<i64> {
    bot.tg.calls().iter().filter(|c| is_broadcast(c)).map(chat_of).collect()
}

/// Most messages answered 200 within any one second.
fn busiest_second(calls: &[quickcart::testkit::Call]) -> usize {
    let mut times: Vec<Instant> = calls
        .iter()
        .filter(|c| {
            c.outcome == 200
                && (c.method.starts_with("send") || c.method.starts_with("edit") || c.method == "copymessage")
        })
        .map(|c| c.at)
        .collect();
    times.sort();
    let mut most = 0;
    let mut start = 0;
    for (i, t) in times.iter().enumerate() {
        while times.get(start).is_some_and(|s| t.duration_since(*s) >= Duration::from_secs(1)) {
            start += 1;
        }
        most = most.max(i + 1 - start);
    }
    most
}

/// `per_second` customers a second open a product card, one new customer each time.
async fn chatter_along(
    tg: &quickcart::testkit::FakeTelegram,
    chatters: &[i64],
    per_second: usize,
) -> Vec<(i64, Instant)> {
    let mut injected = Vec::new();
    if per_second == 0 {
        return injected;
    }
    let gap = Duration::from_secs(1) / per_second as u32;
    let start = Instant::now();
    for (i, user) in chatters.iter().enumerate() {
        tokio::time::sleep_until((start + gap * i as u32).into()).await;
        injected.push((*user, Instant::now()));
        tg.send_text(*user, &PRODUCT.to_string());
    }
    injected
}

/// Injection → the first message answered to that customer that is not the broadcast.
fn reply_times(calls: &[quickcart::testkit::Call], injected: &[(i64, Instant)]) -> Vec<Duration> {
    let mut first: HashMap<i64, Instant> = HashMap::new();
    for c in calls {
        if c.method == "sendmessage" && c.outcome == 200 && !is_broadcast(c) {
            first.entry(chat_of(c)).or_insert(c.at);
        }
    }
    injected.iter().filter_map(|(u, at)| first.get(u).map(|t| t.saturating_duration_since(*at))).collect()
}

/// Pending QRIS orders with their transactions at the fake Pakasir, one per buyer.
async fn open_invoices(db: &store::Db, bot: &Bot, buyers: usize) -> Vec<(i64, String)> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut conn = db.shop().unwrap();
    for i in 0..buyers {
        let user = FIRST_USER + i as i64;
        let purchase = Purchase::Product { product_id: PRODUCT, quantity: 1, unit_price: PRICE, voucher: None };
        let expires = store::now() + 3600;
        let order = store::writer::transaction(&mut conn, |tx| {
            store::orders::create_pending(tx, user, &purchase, expires, Level::None)
        })
        .expect("order");
        let created: serde_json::Value = http
            .post(format!("{}/api/v2/create-transaction/{PAKASIR_PROJECT}/{}", bot.pakasir.url(), order.invoice_id))
            .header("X-Api-Key", PAKASIR_API_KEY)
            .json(&serde_json::json!({"method": "qris", "amount": order.total}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let txn = created["txn_id"].as_str().expect("txn_id").to_string();
        let fee = created["fee"].as_i64().unwrap_or(0);
        let qr = created["qr_string"].as_str().unwrap_or("").to_string();
        let qr = quickcart::domain::payment::Instrument::Qris(qr);
        store::orders::set_transaction(&conn, order.id, &txn, fee, &qr).unwrap();
        out.push((user, order.invoice_id));
    }
    out
}
