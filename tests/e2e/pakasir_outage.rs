//! A Pakasir outage delays, never stalls (issue 17): Pakasir hangs every call for a minute in
//! the middle of a sale of dozens of QRIS orders, some customers pay meanwhile (their webhooks
//! are lost), the expiries fall due; once Pakasir answers again every paid order is delivered
//! exactly once and every unpaid one expires with its stock released. Nothing here measures
//! speed: the deadlines are generous, the outage is what takes the time.

use std::time::{Duration, Instant};

use crate::common::App;
use crate::pay_support::*;
use quickcart::testkit::MsgKind;

const PRODUCT: i64 = 41;
const BUYERS: i64 = 30;
const PAYERS: usize = 10;
const STOCK: usize = 40;
const OUTAGE: Duration = Duration::from_secs(60);

/// Every buyer opens the card, goes to the summary and presses `[QRIS]`, all at once; returns
/// each buyer's invoice.
async fn buy_all(app: &mut App, buyers: &[i64]) -> Vec<(i64, String)> {
    for &u in buyers {
        app.say(u, &PRODUCT.to_string());
    }
    for &u in buyers {
        app.tg.wait_for(u, |m| m.text.contains("Harga:"), SLOW).await.unwrap_or_else(|| panic!("no card for {u}"));
    }
    for &u in buyers {
        app.press(u, "Lanjut ke pembayaran");
    }
    for &u in buyers {
        app.tg.wait_for(u, |m| m.text.contains(SUMMARY), SLOW).await.unwrap_or_else(|| panic!("no summary for {u}"));
    }
    for &u in buyers {
        app.press(u, "QRIS");
    }
    let mut invoices = Vec::new();
    for &u in buyers {
        let m = app
            .tg
            .wait_for(u, |m| m.kind == MsgKind::Photo && m.text.contains(INVOICE_TITLE), SLOW)
            .await
            .unwrap_or_else(|| panic!("no invoice for {u}:\n{}\n{}", app.transcript(u), app.stderr()));
        invoices.push((u, invoice_in(&m.text).unwrap()));
    }
    invoices
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_long_pakasir_hang_during_a_sale_delays_but_loses_nothing() {
    let mut app = App::start_with(|env| {
        // Long enough for every invoice to be made before the outage, short enough that every
        // expiry falls due during it.
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "40".into());
        env.insert("PAKASIR_POLL_SECONDS".into(), "4".into());
        // The sale itself is not what this test is about: make its invoices quickly.
        env.insert("PAKASIR_CALLS_PER_SECOND".into(), "20".into());
    })
    .await;
    app.add_product(&PRODUCT.to_string(), "Produk Ramai", "Digital", "10000").await;
    let items: Vec<String> = (1..=STOCK).map(|k| format!("out-{k}")).collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    app.add_stock(PRODUCT, &refs).await;
    let buyers: Vec<i64> = (17_201..17_201 + BUYERS).collect();
    let invoices = buy_all(&mut app, &buyers).await;

    // Pakasir hangs: every call stays open, nothing is answered.
    app.pakasir.set_hang(true);
    let outage = Instant::now();
    let (paid, unpaid) = invoices.split_at(PAYERS);
    for (_, id) in paid {
        assert!(
            app.pakasir.pay_if_pending(id).is_some(),
            "{id} expired before the outage; the test needs a longer expiry"
        );
    }
    // A customer who checks out now hears "try again", and nothing stays reserved for them.
    let late = 17_299;
    app.say(late, &PRODUCT.to_string());
    app.tg.wait_for(late, |m| m.text.contains("Harga:"), SLOW).await.expect("card");
    app.press(late, "Lanjut ke pembayaran");
    app.tg.wait_for(late, |m| m.text.contains(SUMMARY), SLOW).await.expect("summary");
    app.press(late, "QRIS");
    let told = app
        .tg
        .wait_for(late, |m| m.text.contains(TRY_AGAIN) || m.kind == MsgKind::Photo, OUTAGE)
        .await
        .unwrap_or_else(|| panic!("nothing told during the outage:\n{}", app.transcript(late)));
    assert!(told.text.contains(TRY_AGAIN), "{}", told.text);
    assert!(latest_invoice_photo(&app, late).is_none());

    // Until Pakasir answers, no order is closed while its payment is unknown.
    if let Some(rest) = OUTAGE.checked_sub(outage.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), BUYERS, "closed while Pakasir could not be asked: {s:#}");
    // The checks did not queue up one behind the other: many waited on Pakasir at once.
    assert!(app.pakasir.held_peak() >= 8, "checks in flight at once: {}", app.pakasir.held_peak());
    assert_eq!(num(&s, "/orders/paid"), 0, "{s:#}");

    // Pakasir is back: the paid orders are delivered once, the others expire, stock returns.
    app.pakasir.set_hang(false);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let s = stats(&app).await;
        let done = paid.iter().all(|(u, id)| deliveries(&app, *u, id) == 1)
            && unpaid.iter().all(|(u, id)| !messages_with(&app, *u, &[EXPIRED, id]).is_empty())
            && num(&s, "/orders/pending") == 0
            && num(&s, "/outbox/pending") == 0;
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "the shop never caught up after the outage: {s:#}\n{}", app.stderr());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), PAYERS as i64, "{s:#}");
    assert_eq!(num(&s, "/orders/expired"), BUYERS - PAYERS as i64, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), PAYERS as i64, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), (STOCK - PAYERS) as i64, "{s:#}");
    assert_eq!(num(&s, "/ledger/late_payment"), 0, "a paid order was expired first: {s:#}");
    for (u, id) in paid {
        assert_eq!(deliveries(&app, *u, id), 1, "{}", app.transcript(*u));
    }
    for (u, id) in unpaid {
        assert_eq!(deliveries(&app, *u, id), 0, "{}", app.transcript(*u));
    }
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}
