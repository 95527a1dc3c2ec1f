//! Issue 14: sending under Telegram's real conditions (a 100 ms round trip, 30 messages a
//! second in all, one a second per private chat, 20 a minute per group). Behaviour only: every
//! buyer gets exactly one delivery, buyers' chats never meet a 429, and nothing is lost while
//! the admin chat's notices queue behind its own limit. Speed is measured by `cargo bench`.

use std::time::Duration;

use crate::common::{App, ADMIN};
use crate::pay_support::*;
use quickcart::testkit::MsgKind;
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
    // Deliveries go before notices: the buyers did not wait for the admin chat's queue (one
    // notice a second), which still holds most of its notices now.
    let noticed = invoices.iter().filter(|(_, id)| admin_notices(&app, ADMIN, id) > 0).count();
    assert!(noticed <= invoices.len() / 2, "{noticed} of {} notices went before the last delivery", invoices.len());
    // The admin's notices queue behind the admin chat's one-a-second limit; all arrive.
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    for (u, id) in &invoices {
        assert_eq!(deliveries(&app, *u, id), 1, "{u}: exactly one delivery");
        assert_eq!(admin_notices(&app, ADMIN, id), 1, "{id}: one notice");
    }
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
