//! Money under attack and under faults (issue 3 point 10, SPEC §4 webhook verification, §11):
//! forged and replayed webhooks, Pakasir and Telegram outages, 50 buyers racing for 10 items,
//! and `kill -9` while payments are being processed.

use crate::common;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{App, ADMIN, PAKASIR_WEBHOOK_SECRET};
use crate::pay_support::*;
use quickcart::testkit::{Fault, MsgKind, PakasirFault, PakasirRoute};
use serde_json::{json, Value};
use tokio::task::JoinSet;

/// A product with `n` items named `<prefix>-<k>`.
async fn product(app: &mut App, id: i64, price: &str, n: usize) -> Vec<String> {
    app.add_product(&id.to_string(), &format!("Produk {id}"), "Digital", price).await;
    let items: Vec<String> = (1..=n).map(|k| format!("item-{id}-{k}")).collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    app.add_stock(id, &refs).await;
    items
}

/// Stats without the security events (those are what a rejected webhook is allowed to add).
fn state_of(s: &Value) -> Value {
    let mut s = s.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("security_events");
    }
    s
}

/// Posts a forged webhook and checks: the expected status, nothing changed, and exactly one
/// more `webhook_rejected` security event. Returns the new stats.
async fn forged(
    app: &App,
    what: &str,
    before: &Value,
    post: impl std::future::Future<Output = u16>,
    expect: u16,
) -> Value {
    let code = post.await;
    assert_eq!(code, expect, "{what}: status\n{}", app.stderr());
    let after = stats(app).await;
    assert_eq!(state_of(&after), state_of(before), "{what}: the forged webhook changed something");
    assert_eq!(
        rejected(&after),
        rejected(before) + 1,
        "{what}: one webhook_rejected security event: {:#}",
        after["security_events"]
    );
    after
}

fn with(body: &Value, key: &str, v: Value) -> Value {
    let mut b = body.clone();
    b[key] = v;
    b
}

// ------------------------------------------------------------------ 7. Forged webhooks

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_webhooks_change_nothing_and_are_security_events() {
    let mut app = App::start().await;
    product(&mut app, 11, "30000", 5).await;
    let a = buy_qris(&mut app, 6101, 11, 0).await;
    let b = buy_qris(&mut app, 6102, 11, 0).await;
    // A transaction Pakasir made in sandbox mode (PAKASIR_SANDBOX is not set for this shop).
    app.pakasir.set_sandbox(true);
    let c = buy_qris(&mut app, 6103, 11, 0).await;
    app.pakasir.set_sandbox(false);
    assert!(c.txn.is_sandbox);
    // Verification re-queries the status for most cases; the 4 s limit is not the subject here.
    app.pakasir.set_status_interval(Duration::ZERO);
    let mut s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/orders/pending"), 3);
    assert_eq!(num(&s, "/stock/reserved"), 3);
    let body = genuine(&app, &a.id);

    s = forged(&app, "wrong amount", &s, async { hook(&app, with(&body, "amount", json!(1000))).await.0 }, 400).await;
    s = forged(
        &app,
        "another order's txn_id",
        &s,
        async { hook(&app, with(&body, "txn_id", json!(b.txn.txn_id))).await.0 },
        400,
    )
    .await;
    s = forged(&app, "sandbox flag", &s, async { hook(&app, with(&body, "is_sandbox", json!(true))).await.0 }, 400)
        .await;
    app.pakasir.complete(&c.id).unwrap();
    s = forged(
        &app,
        "sandbox transaction at Pakasir",
        &s,
        async { hook(&app, with(&genuine(&app, &c.id), "is_sandbox", json!(false))).await.0 },
        400,
    )
    .await;
    s = forged(
        &app,
        "unknown order",
        &s,
        async { hook(&app, with(&body, "order_id", json!("INV20260101AAAAAA"))).await.0 },
        404,
    )
    .await;
    s = forged(
        &app,
        "garbage order id",
        &s,
        async { hook(&app, with(&body, "order_id", json!("'; DROP TABLE orders; --"))).await.0 },
        404,
    )
    .await;
    s = forged(&app, "status still pending", &s, async { hook(&app, body.clone()).await.0 }, 409).await;
    // Paid at Pakasir, but the status endpoint reports another amount.
    app.pakasir.complete(&a.id).unwrap();
    app.pakasir.override_status_amount(&a.id, Some(1000));
    s = forged(&app, "status lying about the amount", &s, async { hook(&app, genuine(&app, &a.id)).await.0 }, 400)
        .await;

    // Malformed and oversized bodies (with the right secret).
    for (what, bytes, expect) in [
        ("malformed JSON", b"{\"txn_id\": ".to_vec(), 400),
        ("wrong JSON shape", b"[1,2,3]".to_vec(), 400),
        ("empty body", Vec::new(), 400),
        ("oversized body", oversized(), 413),
    ] {
        s = forged(&app, what, &s, async { hook_raw(&app, Some(PAKASIR_WEBHOOK_SECRET), bytes).await }, expect).await;
    }

    // Without the secret: refused, nothing changes, and the audit log is not filled with them
    // (one summary row per reason and minute, issue 12 defect 10).
    let codes = [
        hook_with(&app, "not-the-secret", body.clone()).await.0,
        hook_with(&app, &format!("{PAKASIR_WEBHOOK_SECRET}x"), body.clone()).await.0,
        hook_raw(&app, None, serde_json::to_vec(&body).unwrap()).await,
    ];
    assert_eq!(codes, [401, 401, 401], "{}", app.stderr());
    let after = stats(&app).await;
    assert_eq!(state_of(&after), state_of(&s), "a webhook without the secret changed something");
    assert!(rejected(&after) <= rejected(&s) + 1, "at most one summary row: {:#}", after["security_events"]);

    // Nothing was delivered to anyone, and the server is fine.
    for u in [6101, 6102, 6103] {
        assert!(messages_with(&app, u, &[DELIVERED]).is_empty());
    }
    assert_eq!(app.get("/healthz").await.status(), 200);

    // The genuine payment of `a` still goes through afterwards.
    app.pakasir.override_status_amount(&a.id, None);
    pay(&app, &a.id).await;
    wait_msg(&app, 6101, &[DELIVERED, &a.id]).await;
    let end = stats(&app).await;
    assert_eq!(num(&end, "/orders/paid"), 1, "{end:#}");
    assert_eq!(num(&end, "/orders/pending"), 2, "{end:#}");
    assert_invariants(&end);
    app.finish().await;
}

/// 70 KiB of valid-looking JSON.
fn oversized() -> Vec<u8> {
    serde_json::to_vec(&json!({"txn_id": "x", "order_id": "INV20260101AAAAAA", "amount": 1,
        "is_sandbox": false, "status": "completed", "pad": "A".repeat(70 * 1024)}))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_payment_is_accepted_when_the_shop_allows_it() {
    let mut app = App::start_with(|env| {
        env.insert("PAKASIR_SANDBOX".into(), "true".into());
    })
    .await;
    app.pakasir.set_sandbox(true);
    product(&mut app, 12, "10000", 2).await;
    let inv = buy_qris(&mut app, 6201, 12, 0).await;
    assert!(inv.txn.is_sandbox);
    let body = genuine(&app, &inv.id);
    assert_eq!(body["is_sandbox"], json!(true));
    pay(&app, &inv.id).await;
    let d = wait_msg(&app, 6201, &[DELIVERED, &inv.id]).await;
    assert!(d.text.contains("item-12-1"), "{}", d.text);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(rejected(&s), 0, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}

// ------------------------------------------------------------------ 8. Replays

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_webhook_delivers_once() {
    let mut app = App::start().await;
    product(&mut app, 13, "12000", 4).await;
    let (u1, u2) = (6301, 6302);

    // Sequentially, 10 times.
    let a = buy_qris(&mut app, u1, 13, 0).await;
    app.pakasir.complete(&a.id).unwrap();
    let body = genuine(&app, &a.id);
    for n in 0..10 {
        let (code, text) = hook(&app, body.clone()).await;
        assert_eq!(code, 200, "replay {n}: {text}");
    }

    // Concurrently, 10 at once.
    let b = buy_qris(&mut app, u2, 13, 1).await;
    app.pakasir.complete(&b.id).unwrap();
    let body = genuine(&app, &b.id);
    let mut set = JoinSet::new();
    for _ in 0..10 {
        let (p, url, body) = (app.pakasir.clone(), webhook_url(&app), body.clone());
        set.spawn(async move { p.post_webhook(&url, PAKASIR_WEBHOOK_SECRET, body).await });
    }
    let mut codes = BTreeMap::new();
    while let Some(r) = set.join_next().await {
        let (code, _) = r.unwrap().expect("webhook answered");
        *codes.entry(code).or_insert(0) += 1;
    }
    eprintln!("answers to 10 concurrent replays: {codes:?}");
    assert!(codes.get(&200).copied().unwrap_or(0) >= 1, "at least one applied: {codes:?}");
    // A 503 asks Pakasir to resend (its status endpoint allows one call per 4 s); nothing else.
    assert!(codes.keys().all(|c| *c == 200 || *c == 503), "only 200 or 503: {codes:?}");
    // Pakasir resends what got 503: still 200.
    let (code, text) = hook(&app, body.clone()).await;
    assert_eq!(code, 200, "{text}");

    wait_msg(&app, u1, &[DELIVERED, &a.id]).await;
    wait_msg(&app, u2, &[DELIVERED, &b.id]).await;
    wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(deliveries(&app, u1, &a.id), 1, "{}", app.transcript(u1));
    assert_eq!(deliveries(&app, u2, &b.id), 1, "{}", app.transcript(u2));
    assert_eq!(admin_notices(&app, ADMIN, &a.id), 1);
    assert_eq!(admin_notices(&app, ADMIN, &b.id), 1);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 2, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 3, "{s:#}");
    assert_eq!(num(&s, "/sold_count_sum"), 3, "{s:#}");
    assert_eq!(rejected(&s), 0, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicate_webhooks_all_answer_200() {
    let mut app = App::start().await;
    product(&mut app, 22, "12000", 2).await;
    let inv = buy_qris(&mut app, 6351, 22, 0).await;
    app.pakasir.complete(&inv.id).unwrap();
    let body = genuine(&app, &inv.id);
    let mut set = JoinSet::new();
    for _ in 0..10 {
        let (p, url, body) = (app.pakasir.clone(), webhook_url(&app), body.clone());
        set.spawn(async move { p.post_webhook(&url, PAKASIR_WEBHOOK_SECRET, body).await });
    }
    let mut codes = BTreeMap::new();
    while let Some(r) = set.join_next().await {
        let (code, _) = r.unwrap().expect("webhook answered");
        *codes.entry(code).or_insert(0) += 1;
    }
    assert_eq!(codes, BTreeMap::from([(200, 10)]), "applied once, the rest are replays");
    wait_msg(&app, 6351, &[DELIVERED, &inv.id]).await;
    assert_eq!(deliveries(&app, 6351, &inv.id), 1);
    app.finish().await;
}

// ------------------------------------------------------------------ 10. Pakasir faults

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pakasir_create_is_retried_after_5xx_and_timeouts() {
    let mut app = App::start().await;
    product(&mut app, 14, "30000", 4).await;

    // One 500, then OK.
    app.pakasir.fail_next(PakasirRoute::Create, 1, PakasirFault::ServerError(500));
    let a = buy_qris(&mut app, 6401, 14, 0).await;
    let creates: Vec<u16> = app
        .pakasir
        .calls()
        .iter()
        .filter(|c| c.route == PakasirRoute::Create && c.path.ends_with(&a.id))
        .map(|c| c.status)
        .collect();
    assert_eq!(creates, vec![500, 200]);
    assert!(a.message.text.contains("Total tagihan: Rp30.520"));
    pay(&app, &a.id).await;
    wait_msg(&app, 6401, &[DELIVERED, &a.id]).await;

    // A create that times out (the transaction still exists at Pakasir) is retried with the
    // same order id and gets the same transaction back.
    app.pakasir.fail_next(PakasirRoute::Create, 1, PakasirFault::Delay(Duration::from_secs(12)));
    let b = buy_qris(&mut app, 6402, 14, 0).await;
    assert_eq!(app.pakasir.txns().iter().filter(|t| t.order_id == b.id).count(), 1);
    pay(&app, &b.id).await;
    wait_msg(&app, 6402, &[DELIVERED, &b.id]).await;
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 2, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pakasir_down_on_create_leaves_nothing_pending() {
    let mut app = App::start().await;
    product(&mut app, 15, "30000", 3).await;
    let u = 6501;
    app.pakasir.fail_next(PakasirRoute::Create, 3, PakasirFault::ServerError(502));
    to_summary(&mut app, u, 15, 1).await;
    app.press(u, "QRIS");
    let m = wait_msg(&app, u, &[TRY_AGAIN]).await;
    for leak in ["internal server error", "502", "http", "pakasir.", "api/v2"] {
        assert!(!m.text.to_lowercase().contains(leak), "{leak:?} in {}", m.text);
    }
    assert!(latest_invoice_photo(&app, u).is_none(), "{}", app.transcript(u));
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 3, "{s:#}");
    assert!(app.pakasir.txns().is_empty());
    // Every attempt failed, and there was more than one.
    let attempts: Vec<u16> =
        app.pakasir.calls().iter().filter(|c| c.route == PakasirRoute::Create).map(|c| c.status).collect();
    assert!(attempts.len() >= 2 && attempts.iter().all(|s| *s == 502), "retried: {attempts:?}");
    assert!(!app.stderr().contains(common::PAKASIR_API_KEY), "the API key leaked to the log");

    // Pakasir is back: the same customer can buy right away.
    let inv = buy_qris(&mut app, u, 15, 1).await;
    assert_eq!(inv.txn.amount, 60_000);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 2, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pakasir_status_down_during_webhook_answers_503_then_succeeds() {
    let mut app = App::start_with(|env| {
        // The poller looks once at a new order, then not again during the test.
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    product(&mut app, 16, "30000", 2).await;
    let u = 6601;
    let inv = buy_qris(&mut app, u, 16, 0).await;
    wait_until("the poller's first look", SLOW, || pakasir_calls(&app, PakasirRoute::Status, &inv.txn.txn_id) >= 1)
        .await;
    app.pakasir.complete(&inv.id).unwrap();
    app.pakasir.fail_next(PakasirRoute::Status, 5, PakasirFault::ServerError(503));
    let (code, body) = hook(&app, genuine(&app, &inv.id)).await;
    assert_eq!(code, 503, "{body}");
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 1, "{s:#}");
    assert_eq!(deliveries(&app, u, &inv.id), 0);
    // Pakasir resends until it works.
    let mut last = 0;
    for _ in 0..5 {
        let (code, _) = hook(&app, genuine(&app, &inv.id)).await;
        last = code;
        if code == 200 {
            break;
        }
        assert_eq!(code, 503);
    }
    assert_eq!(last, 200);
    wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}

// ------------------------------------------------------------------ 11. Telegram faults

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_429_during_delivery_delays_it_once() {
    let mut app = App::start().await;
    product(&mut app, 17, "10000", 2).await;
    let u = 6701;
    let inv = buy_qris(&mut app, u, 17, 0).await;
    let since = app.calls_len();
    app.tg.fail_next("sendMessage", 2, Fault::RetryAfter(1));
    pay(&app, &inv.id).await;
    wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    wait_msg(&app, ADMIN, &[ADMIN_NEW_ORDER, &inv.id]).await;
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    let limited = app.calls_since(since).into_iter().filter(|c| c.method == "sendmessage" && c.outcome == 429).count();
    assert_eq!(limited, 2, "both 429s were met");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(deliveries(&app, u, &inv.id), 1, "{}", app.transcript(u));
    assert_eq!(admin_notices(&app, ADMIN, &inv.id), 1);
    assert_eq!(num(&s, "/outbox/failed"), 0, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buyer_who_blocked_the_bot_gets_the_delivery_parked_and_nothing_breaks() {
    let mut app = App::start().await;
    product(&mut app, 18, "10000", 3).await;
    let u = 6801;
    let inv = buy_qris(&mut app, u, 18, 0).await;
    app.tg.block_chat(u);
    pay(&app, &inv.id).await;
    // The admins still hear about the sale.
    wait_msg(&app, ADMIN, &[ADMIN_NEW_ORDER, &inv.id]).await;
    let s =
        wait_stats(&app, "the delivery parked", |s| num(s, "/outbox/parked") >= 1 && num(s, "/outbox/pending") == 0)
            .await;
    assert_eq!(num(&s, "/outbox/parked"), 1, "only the delivery: {s:#}");
    assert_eq!(num(&s, "/outbox/failed"), 0, "a delivery is never given up: {s:#}");
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 1, "{s:#}");
    assert_eq!(deliveries(&app, u, &inv.id), 0);
    assert_invariants(&s);
    // The shop keeps working for everyone else.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let other = buy_qris(&mut app, 6802, 18, 0).await;
    pay(&app, &other.id).await;
    wait_msg(&app, 6802, &[DELIVERED, &other.id]).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 12. Race

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_buyers_race_for_ten_items() {
    let mut app = App::start().await;
    let items = product(&mut app, 19, "25000", 10).await;
    let buyers: Vec<i64> = (7001..=7050).collect();

    // Everyone opens the card (typing the id works without onboarding)…
    for &u in &buyers {
        app.say(u, "19");
    }
    for &u in &buyers {
        app.tg
            .wait_for(u, |m| m.text.contains("Harga:"), SLOW)
            .await
            .unwrap_or_else(|| panic!("no card for {u}:\n{}", app.transcript(u)));
    }
    // …goes to the summary…
    for &u in &buyers {
        app.press(u, "Lanjut ke pembayaran");
    }
    for &u in &buyers {
        app.tg
            .wait_for(u, |m| m.text.contains(SUMMARY), SLOW)
            .await
            .unwrap_or_else(|| panic!("no summary for {u}:\n{}", app.transcript(u)));
    }
    // …and presses QRIS at the same moment.
    for &u in &buyers {
        app.press(u, "QRIS");
    }
    let mut invoices = Vec::new();
    let mut refused = 0;
    for &u in &buyers {
        let m = app
            .tg
            .wait_for(
                u,
                |m| (m.kind == MsgKind::Photo && m.text.contains(INVOICE_TITLE)) || m.text.contains("stok"),
                SLOW,
            )
            .await
            .unwrap_or_else(|| panic!("no outcome for {u}:\n{}", app.transcript(u)));
        if m.kind == MsgKind::Photo {
            invoices.push((u, invoice_in(&m.text).unwrap()));
        } else {
            assert!(m.text.contains("habis"), "{}", m.text);
            refused += 1;
        }
    }
    assert_eq!(invoices.len(), 10, "exactly 10 invoices");
    assert_eq!(refused, 40);
    assert_eq!(app.pakasir.txns().len(), 10);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), 10, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 10, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 0, "{s:#}");

    // All ten pay at once.
    let mut set = JoinSet::new();
    for (_, id) in &invoices {
        app.pakasir.complete(id).unwrap();
        let (p, url, body) = (app.pakasir.clone(), webhook_url(&app), genuine(&app, id));
        set.spawn(async move { p.post_webhook(&url, PAKASIR_WEBHOOK_SECRET, body).await });
    }
    while let Some(r) = set.join_next().await {
        let (code, text) = r.unwrap().expect("webhook answered");
        assert_eq!(code, 200, "{text}");
    }
    let mut delivered = Vec::new();
    for (u, id) in &invoices {
        let d = wait_msg(&app, *u, &[DELIVERED, id]).await;
        let got: Vec<&String> =
            items.iter().filter(|i| d.text.lines().any(|l| l.ends_with(&format!(" {i}")))).collect();
        assert_eq!(got.len(), 1, "one item each: {}", d.text);
        delivered.push(got[0].clone());
    }
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), 10, "ten different items");
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    for (u, id) in &invoices {
        assert_eq!(deliveries(&app, *u, id), 1);
    }
    assert_eq!(num(&s, "/orders/paid"), 10, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 10, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 0, "{s:#}");
    assert_eq!(num(&s, "/sold_count_sum"), 10, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 13. kill -9

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_payment_processing_loses_and_duplicates_nothing() {
    kill_9_scenario().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "KNOWN LIMIT (at-least-once by design): a delivery Telegram accepted in the instant before kill -9, before the outbox row is marked sent, is sent again after restart. Telegram has no idempotency key; the alternative (mark first) could lose a paid delivery. See the issue note."]
async fn kill_9_after_telegram_accepted_a_delivery_does_not_send_it_again() {
    // Deterministic: a proxy forwards the delivery to Telegram but holds back the answer, and
    // the binary dies while waiting for it.
    let proxy = HoldingProxy::start(DELIVERED).await;
    let install = proxy.clone();
    let mut app = App::start_with(move |env| install.install(env)).await;
    product(&mut app, 21, "11000", 2).await;
    let u = 7201;
    let inv = buy_qris(&mut app, u, 21, 0).await;
    proxy.set_hold(true);
    pay(&app, &inv.id).await;
    wait_until("the delivery to reach Telegram", SLOW, || proxy.held() == 1).await;
    assert_eq!(deliveries(&app, u, &inv.id), 1);
    app.kill9();
    proxy.set_hold(false);

    app.spawn().await;
    wait_msg(&app, ADMIN, &[ADMIN_NEW_ORDER, &inv.id]).await;
    wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(deliveries(&app, u, &inv.id), 1, "the customer got the delivery twice:\n{}", app.transcript(u));
    assert_eq!(admin_notices(&app, ADMIN, &inv.id), 1);
    assert_invariants(&stats(&app).await);
    app.finish().await;
}

async fn kill_9_scenario() {
    let mut app = App::start_with(|env| {
        env.insert("PAKASIR_POLL_SECONDS".into(), "4".into());
    })
    .await;
    product(&mut app, 20, "11000", 6).await;
    // Five orders and one deposit, all pending.
    let mut invoices = Vec::new();
    for u in 7101..=7105 {
        invoices.push(buy_qris(&mut app, u, 20, 0).await);
    }
    invoices.push(deposit_invoice(&mut app, 7106, "25000").await);

    // All paid at Pakasir; the webhooks fly; the binary dies in the middle.
    let status_calls = || app.pakasir.calls().iter().filter(|c| c.route == PakasirRoute::Status).count();
    let asked_before = status_calls();
    let mut set = JoinSet::new();
    for inv in &invoices {
        app.pakasir.complete(&inv.id).unwrap();
        let (p, url, body) = (app.pakasir.clone(), webhook_url(&app), genuine(&app, &inv.id));
        set.spawn(async move { p.post_webhook(&url, PAKASIR_WEBHOOK_SECRET, body).await });
    }
    // Kill as soon as the bot asks Pakasir about one of them (webhooks being verified).
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while std::time::Instant::now() < deadline && status_calls() == asked_before {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    app.kill9();
    while set.join_next().await.is_some() {}

    app.spawn().await;
    // Pakasir resends every webhook that did not get a 200; here: all of them, once more.
    for inv in &invoices {
        let (code, text) = hook(&app, genuine(&app, &inv.id)).await;
        assert_eq!(code, 200, "{}: {text}", inv.id);
    }
    for inv in &invoices[..5] {
        wait_msg(&app, inv.user, &[DELIVERED, &inv.id]).await;
    }
    let dep = &invoices[5];
    wait_msg(&app, dep.user, &[DEPOSIT_DONE, &dep.id]).await;
    wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    // A poller round later, still exactly once.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for inv in &invoices[..5] {
        assert_eq!(deliveries(&app, inv.user, &inv.id), 1, "{}", app.transcript(inv.user));
        assert!(admin_notices(&app, ADMIN, &inv.id) >= 1);
    }
    assert_eq!(messages_with(&app, dep.user, &[DEPOSIT_DONE]).len(), 1);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 6, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 5, "{s:#}");
    assert_eq!(num(&s, "/sold_count_sum"), 5, "{s:#}");
    assert_eq!(num(&s, "/ledger/deposit"), 25_000, "{s:#}");
    assert_eq!(num(&s, "/balance_sum"), 25_000, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}
