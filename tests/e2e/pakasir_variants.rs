//! Pakasir as it really behaves (issue 17): the variants public integrations disagree on, each
//! played by the fake Pakasir against the real binary: no cancel endpoint (404/405), a create
//! answer without `status`, `expired` for a closed transaction, and 429 on create and cancel.

use std::time::Duration;

use crate::common::App;
use crate::pay_support::*;
use quickcart::testkit::{MsgKind, PakasirRoute};

async fn product(app: &mut App, id: i64, price: &str, n: usize) {
    app.add_product(&id.to_string(), &format!("Produk {id}"), "Digital", price).await;
    let items: Vec<String> = (1..=n).map(|k| format!("var-{id}-{k}")).collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    app.add_stock(id, &refs).await;
}

/// The status codes Pakasir answered on `route` for this transaction.
fn answers(app: &App, route: PakasirRoute, txn: &str) -> Vec<u16> {
    app.pakasir
        .calls()
        .iter()
        .filter(|c| c.route == route && c.path.ends_with(&format!("/{txn}")))
        .map(|c| c.status)
        .collect()
}

/// Pakasir without a cancel endpoint: the expiry closes the order at once (stock back), the
/// cancel is tried once and not again, and the transaction, still payable there, is watched:
/// paid after our expiry (webhook lost), it is credited to the balance exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_cancel_endpoint_the_order_closes_and_a_late_payment_is_credited_once() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    app.pakasir.set_cancel_missing(Some(405));
    product(&mut app, 31, "20000", 2).await;
    let u = 17_001;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 31, 0).await;
    wait_msg(&app, u, &[EXPIRED, &inv.id]).await;
    let s = stats(&app).await;
    assert_eq!(
        (num(&s, "/orders/expired"), num(&s, "/stock/available"), num(&s, "/stock/reserved")),
        (1, 2, 0),
        "{s:#}"
    );
    wait_until("the cancel attempt", SLOW, || !answers(&app, PakasirRoute::Cancel, &inv.txn.txn_id).is_empty()).await;

    // Still payable at Pakasir: the customer pays late, the webhook never comes.
    assert!(app.pakasir.pay_if_pending(&inv.id).is_some(), "the transaction stays payable without a cancel");
    let credited = wait_msg(&app, u, &["ditambahkan ke saldo", &inv.id]).await;
    assert!(credited.text.contains("Rp20.000"), "{}", credited.text);
    let s = wait_stats(&app, "the outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/ledger/late_payment"), 20_000, "{s:#}");
    // However often reconciliation looks again, nothing more is credited, and the missing cancel
    // was asked once: a 405 is an answer, not a failure to retry.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let s = stats(&app).await;
    assert_eq!(num(&s, "/ledger/late_payment"), 20_000, "{s:#}");
    assert_eq!(num(&s, "/balance_sum"), 20_000, "{s:#}");
    assert_eq!(messages_with(&app, u, &["ditambahkan ke saldo"]).len(), 1);
    assert_eq!(answers(&app, PakasirRoute::Cancel, &inv.txn.txn_id), vec![405]);
    assert_eq!(deliveries(&app, u, &inv.id), 0);
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

/// A create answer without `status` is a pending invoice: the customer gets the QR, pays, and
/// the order is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answer_without_status_is_read_as_pending() {
    let mut app = App::start().await;
    app.pakasir.set_create_without_status(true);
    product(&mut app, 32, "15000", 2).await;
    let u = 17_002;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 32, 0).await;
    assert!(inv.message.text.contains("Rp15.000"), "{}", inv.message.text);
    pay(&app, &inv.id).await;
    wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    let s = wait_stats(&app, "the outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!((num(&s, "/orders/paid"), num(&s, "/stock/sold")), (1, 1), "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

/// A status call that says `expired` for a transaction Pakasir closed by itself counts as closed:
/// the order expires, and reconciliation stops asking about it (an unknown word would be read as
/// still payable and asked about again every 12 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_from_the_status_call_counts_as_closed() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    app.pakasir.set_closed_word(Some("expired"));
    app.pakasir.set_cancel_missing(Some(404));
    app.pakasir.set_status_interval(Duration::ZERO);
    product(&mut app, 33, "10000", 1).await;
    let u = 17_003;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 33, 0).await;
    // Pakasir's own expiry came first.
    assert!(app.pakasir.expire(&inv.id).is_some());
    wait_msg(&app, u, &[EXPIRED, &inv.id]).await;
    // The order closed and the cancel (absent) was tried; whatever Pakasir was asked so far,
    // `expired` ends the watching: nothing is asked about this transaction any more.
    wait_until("the cancel attempt", SLOW, || !answers(&app, PakasirRoute::Cancel, &inv.txn.txn_id).is_empty()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let asked = answers(&app, PakasirRoute::Status, &inv.txn.txn_id).len();
    assert!(asked >= 1, "never asked");
    tokio::time::sleep(Duration::from_secs(14)).await;
    assert_eq!(
        answers(&app, PakasirRoute::Status, &inv.txn.txn_id).len(),
        asked,
        "asked again about a closed transaction"
    );
    assert!(app.pakasir.pay_if_pending(&inv.id).is_none());
    let s = stats(&app).await;
    assert_eq!((num(&s, "/orders/expired"), num(&s, "/stock/available")), (1, 1), "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

/// Pakasir answers 429 beyond 2 create or cancel calls per second. A burst of customers pressing
/// `[QRIS]` at once all get their QR (the client paces the calls and waits out a 429), none is
/// told to try again; and when they all cancel at once, every transaction is canceled there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_under_pakasirs_create_and_cancel_limit_gets_every_qr() {
    let mut app = App::start().await;
    product(&mut app, 34, "12000", 12).await;
    app.pakasir.set_rate_limit(Some(2));
    let buyers: Vec<i64> = (17_101..=17_112).collect();
    for &u in &buyers {
        app.say(u, "34");
    }
    for &u in &buyers {
        app.tg.wait_for(u, |m| m.text.contains("Harga:"), SLOW).await.unwrap_or_else(|| panic!("no card for {u}"));
    }
    for &u in &buyers {
        app.press(u, "Lanjut ke pembayaran");
    }
    for &u in &buyers {
        app.tg.wait_for(u, |m| m.text.contains(SUMMARY), SLOW).await.unwrap_or_else(|| panic!("no summary for {u}"));
    }
    for &u in &buyers {
        app.press(u, "QRIS");
    }
    for &u in &buyers {
        let m = app
            .tg
            .wait_for(
                u,
                |m| (m.kind == MsgKind::Photo && m.text.contains(INVOICE_TITLE)) || m.text.contains(TRY_AGAIN),
                SLOW,
            )
            .await
            .unwrap_or_else(|| panic!("no outcome for {u}:\n{}\n{}", app.transcript(u), app.stderr()));
        assert_eq!(m.kind, MsgKind::Photo, "{u} was refused: {}", m.text);
    }
    assert_eq!(app.pakasir.txns().len(), buyers.len());
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), 12, "{s:#}");

    // Everyone cancels at once: the cancels are paced too, and every one reaches Pakasir.
    for &u in &buyers {
        app.press(u, "Batalkan");
    }
    wait_until("every transaction canceled at Pakasir", SLOW, || {
        app.pakasir.txns().iter().all(|t| t.status == "canceled")
    })
    .await;
    for &u in &buyers {
        assert!(messages_with(&app, u, &[TRY_AGAIN]).is_empty(), "{}", app.transcript(u));
    }
    let s = wait_stats(&app, "all cancelled", |s| num(s, "/orders/pending") == 0).await;
    assert_eq!((num(&s, "/orders/cancelled"), num(&s, "/stock/available")), (12, 12), "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}
