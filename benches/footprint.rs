//! Footprint (issue 8 §4): `cargo bench --bench footprint` — knobs `BENCH_USERS` (10000),
//! `BENCH_PRODUCTS` (10000), `BENCH_ITEMS_PER_PRODUCT` (10, i.e. 100,000 stock items),
//! `BENCH_PROBES` (50).
//!
//! Release binary size; start → ready (spawn → first `/healthz` 200) on an empty and on a full
//! data directory; idle RSS; RSS with the full data; `/stock` and product-card latency (inject →
//! the bot's sendMessage at the fake) with 10,000 products.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::time::{Duration, Instant};

use support::*;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users = knob("BENCH_USERS", 10_000);
    let products = knob("BENCH_PRODUCTS", 10_000);
    let per_product = knob("BENCH_ITEMS_PER_PRODUCT", 10);
    let probes = knob("BENCH_PROBES", 50);
    println!("== footprint: {users} users, {products} products × {per_product} items");
    println!("   {}", machine_note());

    let size = std::fs::metadata(BIN).map(|m| m.len()).unwrap_or(0);
    println!("release binary: {BIN} = {:.1} MiB", size as f64 / (1024.0 * 1024.0));

    // ---- empty shop: first start (creates the files), restarts, idle RSS
    let mut bot = Bot::prepare(|_| {}).await;
    let first = bot.spawn().await;
    bot.stop().await;
    let mut restarts = Vec::new();
    for _ in 0..5 {
        restarts.push(bot.spawn().await);
        bot.stop().await;
    }
    bot.spawn().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_rss = status_mib(bot.pid(), "VmRSS");
    bot.stop().await;
    println!(
        "start → ready, empty data dir: first start {:.0} ms (creates shop.db/audit.db)",
        first.as_secs_f64() * 1000.0
    );
    println!("{}", summary("start → ready, restarts", &mut restarts));
    println!("idle RSS (empty shop, 3 s after ready): {idle_rss:.1} MiB");

    // ---- full shop
    let mut bot = Bot::prepare(|env| {
        // Probes come from many users, a few each: the default throttle stays.
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    let t = Instant::now();
    {
        let db = seed_db(&bot.data_dir(), &bot.key());
        seed_users(&db, FIRST_USER..FIRST_USER + users as i64);
        for id in 1..=products as i64 {
            seed_product(&db, id, 1000 + id, per_product);
        }
    }
    let file = std::fs::metadata(bot.data_dir().join("shop.db")).map(|m| m.len()).unwrap_or(0);
    println!(
        "seeded {users} users, {products} products, {} items in {:.1} s (shop.db {:.1} MiB)",
        products * per_product,
        t.elapsed().as_secs_f64(),
        file as f64 / (1024.0 * 1024.0)
    );
    let mut readies = Vec::new();
    for _ in 0..3 {
        readies.push(bot.spawn().await);
        bot.stop().await;
    }
    println!("{}", summary("start → ready, full data dir", &mut readies));
    bot.spawn().await;
    let pid = bot.pid();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_loaded_idle = status_mib(pid, "VmRSS");

    let mut stock = Vec::new();
    let mut card = Vec::new();
    for i in 0..probes {
        let user = FIRST_USER + i as i64;
        stock.push(probe(&bot, user, "/stock").await);
        let id = 1 + (i as i64 * 7919) % products as i64;
        card.push(probe(&bot, FIRST_USER + (probes + i) as i64, &id.to_string()).await);
    }
    // A little of everything users do, so the caches and pools are as warm as in real use.
    for i in 0..probes {
        let user = FIRST_USER + (2 * probes + i) as i64;
        probe(&bot, user, "/start").await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = status_mib(pid, "VmRSS");
    let hwm = status_mib(pid, "VmHWM");
    bot.stop().await;
    println!("{}", summary("/stock (page 1 of the list, 10k products)", &mut stock));
    println!("{}", summary("product card", &mut card));
    println!(
        "RSS with {users} users / {} items: {rss_loaded_idle:.1} MiB after start, {rss:.1} MiB after {} probes, \
         peak (VmHWM) {hwm:.1} MiB",
        products * per_product,
        3 * probes
    );
    println!("   {}", machine_note());
}

/// `user` sends `text`; returns inject → the bot's first sendMessage to that chat (fake's clock).
async fn probe(bot: &Bot, user: i64, text: &str) -> Duration {
    let before = bot.tg.all_messages(user).len();
    let at = Instant::now();
    bot.tg.send_text(user, text);
    let deadline = at + Duration::from_secs(30);
    while bot.tg.all_messages(user).len() <= before {
        assert!(Instant::now() < deadline, "no answer to {text:?} for {user}; stderr:\n{}", bot.stderr());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let first = bot
        .tg
        .calls_to("sendMessage")
        .iter()
        .filter(|c| c.params.get("chat_id").and_then(|v| v.as_i64()) == Some(user) && c.at >= at)
        .map(|c| c.at)
        .min()
        .unwrap_or_else(Instant::now);
    // Give the rest of the answer (e.g. /start's second message) time to finish.
    tokio::time::sleep(Duration::from_millis(30)).await;
    first - at
}
