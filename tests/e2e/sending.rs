//! Issue 14: sending under Telegram's real conditions (a 100 ms round trip, 30 messages a
//! second in all, one a second per private chat, 20 a minute per group). Behaviour only: every
//! buyer gets exactly one delivery (and one copy of a broadcast running meanwhile), buyers'
//! chats never meet a 429, and the admin chat's notices come as a digest. Speed is measured by
//! `cargo bench`.

use std::time::Duration;

use crate::common::{App, ADMIN};
use crate::pay_support::*;
use quickcart::testkit::{Fault, MsgKind};
use tokio::task::JoinSet;

async fn product(app: &mut App, id: i64, price: &str, n: usize) {
    app.add_product(&id.to_string(), &format!("Produk {id}"), "Digital", price).await;
    let items: Vec<String> = (1..=n).map(|k| format!("item-{id}-{k}")).collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    app.add_stock(id, &refs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_under_telegram_limits_delivers_everyone_once_without_429s_on_buyer_chats() {
    // Which messages arrive first, and whether a window of Telegram's limit overflows, depend on
    // when sends arrive: the machine is not shared with other tests' shops meanwhile.
    let _alone = crate::common::alone().await;
    let mut app = App::start().await;
    product(&mut app, 21, "15000", 20).await;
    let buyers: Vec<i64> = (7201..=7220).collect();
    for &u in &buyers {
        app.say(u, "21");
    }
    for &u in &buyers {
        app.tg.wait_for(u, |m| m.text.contains("Harga:"), SLOW).await.expect("card");
        app.press(u, "Lanjut ke pembayaran");
    }
    for &u in &buyers {
        app.tg.wait_for(u, |m| m.text.contains(SUMMARY), SLOW).await.expect("summary");
        app.press(u, "QRIS");
    }
    let mut invoices = Vec::new();
    for &u in &buyers {
        let m = app
            .tg
            .wait_for(u, |m| m.kind == MsgKind::Photo && m.text.contains(INVOICE_TITLE), SLOW)
            .await
            .unwrap_or_else(|| panic!("no invoice for {u}:\n{}", app.transcript(u)));
        invoices.push((u, invoice_in(&m.text).expect("invoice id")));
    }

    // From here on Telegram is 100 ms away and enforces its limits (once the checkout's own
    // messages have gone out).
    assert!(app.tg.wait_idle(Duration::from_millis(500), SLOW).await, "the bot never went quiet");
    app.tg.set_telegram_limits();
    app.tg.set_round_trip(Duration::from_millis(100), Duration::from_millis(20));
    // A broadcast to everyone (the buyers too) runs through the sale.
    app.say(ADMIN, "/broadcast Promo kilat: diskon 20%");
    app.wait_text(ADMIN, "Broadcast dimulai").await;
    let mut set = JoinSet::new();
    for (_, id) in &invoices {
        app.pakasir.complete(id).expect("complete");
        let (p, url, body) = (app.pakasir.clone(), webhook_url(&app), genuine(&app, id));
        set.spawn(async move { p.post_webhook(&url, crate::common::PAKASIR_WEBHOOK_SECRET, body).await });
    }
    while let Some(r) = set.join_next().await {
        let (code, text) = r.expect("join").expect("webhook answered");
        assert_eq!(code, 200, "{text}");
    }
    for (u, id) in &invoices {
        wait_msg(&app, *u, &[DELIVERED, id]).await;
    }
    // The admin chat takes one message a second: its notices were summed up into digests
    // instead of a queue of 20, and every order is counted exactly once.
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    for (u, id) in &invoices {
        assert_eq!(deliveries(&app, *u, id), 1, "{u}: exactly one delivery");
    }
    assert_eq!(orders_noticed(&app, ADMIN), invoices.len(), "{}", app.transcript(ADMIN));
    let notices = app.tg.all_messages(ADMIN).iter().filter(|m| m.text.to_lowercase().contains("pesanan baru")).count();
    assert!(notices <= 5, "{notices} admin messages for 20 orders:\n{}", app.transcript(ADMIN));
    let digest = app.tg.all_messages(ADMIN).into_iter().find(|m| digest_orders(&m.text) > 1).expect("a digest");
    assert!(digest.text.contains("Rp") && digest.text.contains("dalam"), "{}", digest.text);
    for (_, id) in &invoices {
        // A digest lists 15 orders by line, then "… dan N lainnya".
        assert!(admin_notices(&app, ADMIN, id) <= 1, "{id} named twice:\n{}", app.transcript(ADMIN));
    }
    // The broadcast reached every buyer once, around their delivery, without a 429 on their
    // chat (a broadcast message and a delivery to one chat stay a second apart).
    for u in &buyers {
        wait_msg(&app, *u, &["Promo kilat"]).await;
    }
    wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    for u in &buyers {
        assert_eq!(messages_with(&app, *u, &["Promo kilat"]).len(), 1, "{}", app.transcript(*u));
    }
    assert_eq!(app.tg.too_many_global(), 0, "the bot's total went over 30/s");
    let limited = app.tg.too_many_requests();
    for u in &buyers {
        assert_eq!(limited.get(u), None, "a buyer's chat met a 429: {limited:?}");
    }
    assert_eq!(limited.get(&ADMIN), None, "the admin chat met a 429: {limited:?}");
    assert_eq!(num(&s, "/orders/paid"), 20, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

#[tokio::test]
async fn a_reply_that_meets_a_429_waits_it_out_and_arrives_once() {
    let mut app = App::start().await;
    product(&mut app, 22, "15000", 1).await;
    let u = 7301;
    app.onboard(u).await;
    // Telegram says "retry after 1 s" to the card: the customer still gets it, once.
    app.tg.fail_next_for("sendMessage", u, 1, Fault::RetryAfter(1));
    app.say(u, "22");
    app.tg.wait_for(u, |m| m.text.contains("Harga:"), SLOW).await.expect("the card after the 429");
    assert_eq!(app.tg.faults_left(), 0, "the 429 was met");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(messages_with(&app, u, &["Harga:"]).len(), 1, "{}", app.transcript(u));
    app.finish().await;
}
