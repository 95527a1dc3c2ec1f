//! Flash sale under real conditions (issue 14): N buyers with open QRIS invoices pay at the same
//! moment while the fake Telegram answers after a round trip and enforces Telegram's limits
//! (30 messages/s in all, 1/s per private chat, 20/min per group, 429 beyond).
//!
//! `cargo bench --bench sale` — knobs: `--buyers N` / `BENCH_BUYERS` (default 150),
//! `--rtt MS` / `BENCH_RTT_MS` (default 100; jitter is a fifth of it), `--limits 0|1` /
//! `BENCH_LIMITS` (default 1).
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
    println!(
        "== flash sale: {buyers} buyers pay at once; Telegram {} ms away{}",
        rtt.as_millis(),
        if limits { ", its flood limits enforced" } else { ", no flood limits" }
    );
    println!("   {}", machine_note());

    let mut bot = Bot::prepare(|env| {
        env.insert("PAKASIR_WEBHOOK_LIMIT_PER_MINUTE".into(), "1000000".into());
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    bot.pakasir.set_status_interval(Duration::from_millis(1));
    let invoices = {
        let db = seed_db(&bot.data_dir(), &bot.key());
        seed_users(&db, FIRST_USER..FIRST_USER + buyers as i64);
        seed_product(&db, PRODUCT, PRICE, buyers);
        open_invoices(&db, &bot, buyers).await
    };
    bot.spawn().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    if limits {
        bot.tg.set_telegram_limits();
    }
    bot.tg.set_round_trip(rtt, rtt / 5);

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
    let too_many = bot.tg.too_many_requests();
    let on_buyers: u64 = too_many.iter().filter(|(c, _)| **c >= FIRST_USER).map(|(_, n)| *n).sum();
    let on_admin: u64 = too_many.iter().filter(|(c, _)| **c < FIRST_USER).map(|(_, n)| *n).sum();
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
    println!("429 answers: {on_buyers} on buyer chats, {on_admin} on the admin's chat");
    bot.stop().await;
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
        store::orders::set_transaction(&conn, order.id, &txn, fee, &qr).unwrap();
        out.push((user, order.invoice_id));
    }
    out
}
