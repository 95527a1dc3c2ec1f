//! Broadcast (issue 8 §3): `cargo bench --bench broadcast` — knob `--recipients N` /
//! `BENCH_RECIPIENTS` (default 2000), `--scripted-429 K` / `BENCH_SCRIPTED_429` (default 2),
//! `--rtt MS` / `BENCH_RTT_MS` (default 0: Telegram this far away, a fifth of it as jitter).
//!
//! The fake Telegram enforces 30 sends/s globally and 1 per chat per second (429 with
//! `retry_after` 1 beyond that), and answers K extra scripted 429s (`retry_after` 1) spread over
//! the run. The binary runs with the default `BROADCAST_RATE=25`. Reported: achieved rate ÷
//! configured rate, the 429s received, and recipients that never got the message (must be 0).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use quickcart::testkit::{Fault, RateLimit};
use support::*;

const CONFIGURED_RATE: f64 = 25.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let recipients = arg_or_knob("recipients", "BENCH_RECIPIENTS", 2000);
    let scripted = arg_or_knob("scripted-429", "BENCH_SCRIPTED_429", 2);
    let rtt = Duration::from_millis(arg_or_knob("rtt", "BENCH_RTT_MS", 0) as u64);
    println!(
        "== broadcast: {recipients} recipients, fake Telegram at 30 msg/s global, {scripted} scripted 429s, {} ms away",
        rtt.as_millis()
    );
    println!("   {}", machine_note());
    let mut bot = Bot::prepare(|env| {
        env.insert("BROADCAST_RATE".into(), "25".into());
    })
    .await;
    {
        let db = seed_db(&bot.data_dir(), &bot.key());
        seed_users(&db, FIRST_USER..FIRST_USER + recipients as i64);
    }
    bot.tg.set_rate_limit(Some(RateLimit { global_per_sec: 30, per_chat_per_sec: 1, retry_after: 1 }));
    bot.spawn().await;
    bot.tg.set_round_trip(rtt, rtt / 5);
    let pid = bot.pid();
    let want: HashSet<i64> = (FIRST_USER..FIRST_USER + recipients as i64).collect();

    let t0 = Instant::now();
    bot.tg.send_text(ADMIN, "/broadcast Promo kilat hari ini: semua akun diskon 20%!");
    let deadline = t0 + Duration::from_secs_f64(recipients as f64 / CONFIGURED_RATE * 2.0 + 60.0);
    let marks: Vec<usize> = (1..=scripted).map(|k| recipients * k / (scripted + 1)).collect();
    let mut next_mark = 0;
    let mut cpu0 = None;
    loop {
        let delivered: HashSet<i64> = bot
            .tg
            .calls_to("sendMessage")
            .iter()
            .filter(|c| c.outcome == 200)
            .filter_map(|c| c.params.get("chat_id").and_then(|v| v.as_i64()))
            .filter(|c| want.contains(c))
            .collect();
        if cpu0.is_none() && !delivered.is_empty() {
            cpu0 = Some(cpu_seconds(pid));
        }
        if let Some(m) = marks.get(next_mark) {
            if delivered.len() >= *m {
                bot.tg.fail_next("sendMessage", 1, Fault::RetryAfter(1));
                next_mark += 1;
            }
        }
        if delivered.len() >= recipients || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let the engine finish (summary to the admin) before reading the numbers.
    bot.tg.wait_idle(Duration::from_secs(3), Duration::from_secs(30)).await;
    let cpu = cpu_seconds(pid) - cpu0.unwrap_or(0.0);
    let hwm = status_mib(pid, "VmHWM");
    let calls = bot.tg.calls_to("sendMessage");
    let edits = bot.tg.calls_to("editMessageText");
    let (in_flight, too_many_global) = (bot.tg.max_in_flight(), bot.tg.too_many_global());
    bot.stop().await;

    let mut ok: HashMap<i64, Vec<Instant>> = HashMap::new();
    let mut too_many: usize = 0;
    let mut too_many_all: usize = 0;
    let mut others: HashMap<i64, usize> = HashMap::new();
    for c in &calls {
        let Some(chat) = c.params.get("chat_id").and_then(|v| v.as_i64()) else { continue };
        if c.outcome == 429 {
            too_many_all += 1;
            if !want.contains(&chat) {
                *others.entry(chat).or_insert(0_usize) += 1;
            }
            if want.contains(&chat) {
                too_many += 1;
            }
        }
        if c.outcome == 200 && want.contains(&chat) {
            ok.entry(chat).or_default().push(c.at);
        }
    }
    let mut times: Vec<Instant> = ok.values().flatten().copied().collect();
    times.sort();
    let mut gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let stalls: Vec<(usize, u128)> =
        gaps.iter().enumerate().filter(|(_, g)| g.as_millis() > 100).map(|(i, g)| (i + 1, g.as_millis())).collect();
    println!("stalls > 100 ms (after send #, ms): {stalls:?}");
    if let Some(first) = times.first().copied() {
        let at = |t: Instant| t.saturating_duration_since(first).as_millis();
        let starts: Vec<u128> = stalls.iter().filter_map(|(i, _)| times.get(i - 1).map(|t| at(*t))).collect();
        let edits: Vec<(u128, u16)> = edits.iter().map(|c| (at(c.at), c.outcome)).collect();
        println!("stall starts (ms after the first send): {starts:?}");
        println!("progress edits (ms, status): {edits:?}");
    }
    let unhandled = want.iter().filter(|u| !ok.contains_key(u)).count();
    let duplicates = ok.values().filter(|v| v.len() > 1).count();
    let (first, last) = (times.first().copied(), times.last().copied());
    let span = match (first, last) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => f64::NAN,
    };
    let rate = (times.len().saturating_sub(1)) as f64 / span;
    // The same, with the time the scripted 429s asked the bot to wait (retry_after 1 s each) not counted.
    let rate_excl = (times.len().saturating_sub(1)) as f64 / (span - scripted as f64).max(1e-9);
    println!("-- results");
    println!("delivered: {} of {recipients} in {span:.2} s (first → last recipient send)", ok.len());
    println!(
        "achieved rate: {rate:.2} msg/s = {:.1} % of configured {CONFIGURED_RATE} (excluding the {scripted} s the scripted \
         429s asked to wait: {:.1} %)",
        100.0 * rate / CONFIGURED_RATE,
        100.0 * rate_excl / CONFIGURED_RATE
    );
    println!(
        "429s received: {too_many} on recipient sends ({scripted} scripted, {} from the 30/s limiter); {too_many_all} in all",
        too_many.saturating_sub(scripted)
    );
    if !others.is_empty() {
        println!("429s on sends to other chats (admin notices, not recipients): {others:?}");
    }
    println!("{}", summary("gap between recipient sends", &mut gaps));
    println!("unhandled 429s (recipients never delivered): {unhandled}; duplicate deliveries: {duplicates}");
    println!("bot CPU during the broadcast: {cpu:.2} s; peak RSS (VmHWM) {hwm:.1} MiB");
    println!("Bot API calls in flight at most: {}; 429s for the bot's total (30/s): {}", in_flight, too_many_global);
    println!("   {}", machine_note());
    if unhandled > 0 || duplicates > 0 {
        eprintln!("--- stderr tail:\n{}", bot.stderr().lines().rev().take(30).collect::<Vec<_>>().join("\n"));
        std::process::exit(1);
    }
}
