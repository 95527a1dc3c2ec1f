//! Telegram Stars end to end (issue 18 point 7): off by default; `/stars` and `/setstars`; the
//! `[⭐ Bayar dengan Stars]` button with its amount; `sendInvoice` in XTR; the pre-checkout
//! re-check (amount, expiry, stock); `successful_payment` applied once per charge id (a replay
//! changes nothing); a payment after expiry delivered or refunded with `refundStarPayment`;
//! admin refunds that only count when Telegram said true; a failing `sendInvoice`.

use std::time::Duration;

use crate::common::{flat_labels, run_cli, App, ADMIN};
use crate::pay_support::*;
use quickcart::testkit::{FakeInvoice, FakeUser, Fault, MsgKind};

const STARS_BUTTON: &str = "⭐ Bayar dengan Stars";

async fn shop(app: &mut App, id: i64, items: &[&str]) {
    app.add_product(&id.to_string(), &format!("Produk {id}"), "Streaming", "15000").await;
    app.add_stock(id, items).await;
}

/// Waits for the `n`-th Stars invoice sent to `user`.
async fn wait_stars_invoice(app: &App, user: i64, n: usize) -> FakeInvoice {
    wait_until("the Stars invoice", SLOW, || app.tg.invoices(user).len() >= n).await;
    app.tg.invoices(user).into_iter().nth(n - 1).unwrap()
}

/// Summary → `[⭐ Bayar dengan Stars]` → the invoice.
async fn buy_with_stars(app: &mut App, user: i64, product: i64, n: usize) -> FakeInvoice {
    let summary = to_summary(app, user, product, 0).await;
    assert!(flat_labels(&summary).contains(&STARS_BUTTON.to_string()), "{:?}", flat_labels(&summary));
    app.press(user, STARS_BUTTON);
    wait_stars_invoice(app, user, n).await
}

async fn audit_has(app: &App, action: &str, needle: &str) -> bool {
    let deadline = std::time::Instant::now() + SLOW;
    loop {
        let out = run_cli(app, &["audit", "tail", "--action", action]).await;
        if String::from_utf8_lossy(&out.stdout).contains(needle) {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stars_off_by_default_then_bought_once_even_when_replayed() {
    let mut app = App::start().await;
    shop(&mut app, 7, &["st-a:p1", "st-b:p2", "st-c:p3"]).await;
    let u = 7101;
    app.onboard(u).await;

    // Off by default: no Stars button.
    let summary = to_summary(&mut app, u, 7, 0).await;
    assert!(!flat_labels(&summary).contains(&STARS_BUTTON.to_string()), "{:?}", flat_labels(&summary));
    assert!(!summary.text.contains("Stars"), "{}", summary.text);
    app.admin("/stars", "NONAKTIF").await;

    // On with a rate: 15.000 / 250 = 60 Stars.
    app.admin("/stars rate 250", "Rp250").await;
    app.admin("/stars on", "AKTIF").await;
    let summary = to_summary(&mut app, u, 7, 0).await;
    assert!(summary.text.contains("60 Stars"), "{}", summary.text);
    // A product's own price wins: 45 Stars per item.
    app.admin("/setstars 7 45", "45 Stars").await;
    let summary = to_summary(&mut app, u, 7, 0).await;
    let (_, stars_data) = app.button(u, STARS_BUTTON);
    app.press(u, STARS_BUTTON);
    let inv = wait_stars_invoice(&app, u, 1).await;
    assert_eq!((inv.currency.as_str(), inv.amount), ("XTR", 45));
    // Pressed again (or forged) on the old summary: stale, no second order or invoice.
    app.press_data(u, summary.message_id, &stars_data);
    app.wait_answer(u).await;
    app.press_data(u, summary.message_id, "xs:");
    app.wait_answer(u).await;
    assert_eq!(app.tg.invoices(u).len(), 1);
    assert!(inv.payload.starts_with("INV"), "{inv:?}");
    let call = app.tg.calls_to("sendinvoice").pop().unwrap();
    assert!(call.params.get("provider_token").is_none_or(|t| t.as_str() == Some("")), "{:?}", call.params);
    assert!(app.tg.messages(u).iter().any(|m| m.kind == MsgKind::Invoice));
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 1, "{s:#}");

    // Pay: pre-checkout accepted, the goods delivered once.
    let user = FakeUser::new(u);
    let paid = app.tg.pay_invoice(&user, &inv, SLOW).await;
    let answer = paid.answer.clone().expect("pre-checkout answered");
    assert!(answer.ok, "{answer:?}");
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.payload]).await;
    assert!(delivery.text.contains("st-a:p1"), "{}", delivery.text);
    let notice = wait_msg(&app, ADMIN, &[ADMIN_NEW_ORDER, &inv.payload]).await;
    assert!(notice.text.contains("Metode: STARS (45 ⭐)"), "{}", notice.text);

    // Telegram delivers the same successful_payment again: nothing changes.
    let charge = paid.charge_id.clone().unwrap();
    let replay = app.tg.send_successful_payment(&user, &inv.payload, inv.amount, &charge);
    app.wait_delivered(replay).await;
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(deliveries(&app, u, &inv.payload), 1, "{}", app.transcript(u));
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 2, "{s:#}");
    assert_eq!(num(&s, "/ledger_sum"), 0, "Stars mint no rupiah balance: {s:#}");
    assert_invariants(&s);
    assert!(app.tg.star_refunds().is_empty());
    assert_db_check(&app).await;
    assert!(audit_has(&app, "stars_setting_changed", "stars").await, "the setting change is audited");
    assert!(audit_has(&app, "payment_confirmed", &charge).await, "the charge is audited");
    assert!(audit_has(&app, "order_paid", &inv.payload).await, "the paid order is audited");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_checkout_refuses_a_wrong_amount_and_a_closed_order() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
    })
    .await;
    shop(&mut app, 3, &["x-1", "x-2"]).await;
    app.admin("/setstars 3 20", "20 Stars").await;
    app.admin("/stars on", "AKTIF").await;
    let u = 7201;
    app.onboard(u).await;
    let user = FakeUser::new(u);
    let inv = buy_with_stars(&mut app, u, 3, 1).await;

    // A wrong amount (a forged or stale invoice): refused, with a short reason.
    let q = app.tg.send_pre_checkout(&user, &inv, "XTR", inv.amount - 1);
    let a = app.tg.wait_pre_checkout_answer(&q, SLOW).await.expect("answered");
    assert!(!a.ok);
    assert!(a.error_message.unwrap().contains("tidak sesuai"));
    let q = app.tg.send_pre_checkout(&user, &inv, "USD", inv.amount);
    assert!(!app.tg.wait_pre_checkout_answer(&q, SLOW).await.expect("answered").ok);

    // Expired: refused; nothing was taken.
    wait_msg(&app, u, &[EXPIRED, &inv.payload]).await;
    let paid = app.tg.pay_invoice(&user, &inv, SLOW).await;
    let a = paid.answer.expect("answered");
    assert!(!a.ok && a.error_message.as_deref().unwrap_or("").contains("tidak aktif"), "{a:?}");
    assert!(paid.charge_id.is_none());
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/expired"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 2, "{s:#}");
    assert_db_check(&app).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_after_expiry_is_delivered_while_stock_lasts_else_refunded() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
    })
    .await;
    shop(&mut app, 4, &["late-1"]).await;
    app.admin("/setstars 4 30", "30 Stars").await;
    app.admin("/stars on", "AKTIF").await;
    let (a, b) = (7301, 7302);
    app.onboard(a).await;
    app.onboard(b).await;

    // a's invoice expires, then the payment arrives (accepted just before): the item is still
    // there, so it is delivered.
    let inv_a = buy_with_stars(&mut app, a, 4, 1).await;
    wait_msg(&app, a, &[EXPIRED, &inv_a.payload]).await;
    app.tg.send_successful_payment(&FakeUser::new(a), &inv_a.payload, 30, "stxLATE1");
    wait_msg(&app, a, &[DELIVERED, &inv_a.payload]).await;
    assert!(app.tg.star_refunds().is_empty());

    // b's order expires too, but the stock is gone now: the Stars go back.
    app.add_stock(4, &["late-2"]).await;
    let inv_b = buy_with_stars(&mut app, b, 4, 1).await;
    wait_msg(&app, b, &[EXPIRED, &inv_b.payload]).await;
    let inv_a2 = buy_with_stars(&mut app, a, 4, 2).await;
    app.tg.pay_invoice(&FakeUser::new(a), &inv_a2, SLOW).await;
    wait_msg(&app, a, &[DELIVERED, &inv_a2.payload]).await;
    let update = app.tg.send_successful_payment(&FakeUser::new(b), &inv_b.payload, 30, "stxLATE2");
    app.wait_delivered(update).await;
    wait_until("refundStarPayment", SLOW, || app.tg.star_refunds() == vec![(b, "stxLATE2".to_string())]).await;
    wait_msg(&app, b, &["dikembalikan", &inv_b.payload]).await;
    assert_eq!(deliveries(&app, b, &inv_b.payload), 0);
    // Replayed: no second refund.
    let update = app.tg.send_successful_payment(&FakeUser::new(b), &inv_b.payload, 30, "stxLATE2");
    app.wait_delivered(update).await;
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(app.tg.star_refunds().len(), 1);
    assert_eq!(num(&s, "/orders/paid"), 2, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 2, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    assert!(audit_has(&app, "order_refunded", "stxLATE2").await);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_refund_returns_stars_only_when_telegram_says_true() {
    let mut app = App::start().await;
    shop(&mut app, 5, &["r-1"]).await;
    app.admin("/setstars 5 25", "25 Stars").await;
    app.admin("/stars on", "AKTIF").await;
    let u = 7401;
    app.onboard(u).await;
    let inv = buy_with_stars(&mut app, u, 5, 1).await;
    let paid = app.tg.pay_invoice(&FakeUser::new(u), &inv, SLOW).await;
    wait_msg(&app, u, &[DELIVERED, &inv.payload]).await;
    let charge = paid.charge_id.unwrap();

    // Telegram fails (5xx, then 400): still paid, nothing recorded as refunded.
    // (teloxide waits 10 s after a 5xx before it reports it: SLOW, not the usual wait.)
    app.tg.fail_next("refundStarPayment", 1, Fault::ServerError(500));
    app.say(ADMIN, &format!("/refundstars {}", inv.payload));
    wait_until("the 5xx answer", SLOW, || messages_with(&app, ADMIN, &["tidak menjawab"]).len() == 1).await;
    app.tg.fail_next("refundStarPayment", 1, Fault::BadRequest("Bad Request: CHARGE_NOT_FOUND".into()));
    app.say(ADMIN, &format!("/refundstars {}", inv.payload));
    wait_until("the 400 answer", SLOW, || messages_with(&app, ADMIN, &["tidak menjawab"]).len() == 2).await;
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(num(&s, "/orders/refunded"), 0, "{s:#}");
    assert!(app.tg.star_refunds().is_empty());

    // Retried: refunded, the buyer told, once.
    app.admin(&format!("/refundstars {}", inv.payload), "sudah dikembalikan").await;
    assert_eq!(app.tg.star_refunds(), vec![(u, charge.clone())]);
    wait_msg(&app, u, &["Refund 25 Stars", &inv.payload]).await;
    app.admin(&format!("/refundstars {}", inv.payload), "sudah direfund").await;
    assert_eq!(app.tg.star_refunds().len(), 1);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/refunded"), 1, "{s:#}");
    assert_eq!(num(&s, "/ledger_sum"), 0, "no rupiah moved: {s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    assert!(audit_has(&app, "order_refunded", &charge).await);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_send_invoice_releases_the_reservation() {
    let mut app = App::start().await;
    shop(&mut app, 6, &["f-1"]).await;
    app.admin("/stars rate 1000", "Rp1.000").await;
    app.admin("/stars on", "AKTIF").await;
    let u = 7501;
    app.onboard(u).await;
    app.tg.fail_next("sendInvoice", 1, Fault::ServerError(502));
    let summary = to_summary(&mut app, u, 6, 0).await;
    assert!(summary.text.contains("15 Stars"), "{}", summary.text);
    app.press(u, STARS_BUTTON);
    // (teloxide waits 10 s after a 5xx before it reports it.)
    wait_msg(&app, u, &["Tagihan Stars gagal dibuat"]).await;
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/cancelled"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 1, "{s:#}");
    // Trying again works.
    let inv = buy_with_stars(&mut app, u, 6, 1).await;
    assert_eq!(inv.amount, 15);
    assert_db_check(&app).await;
    app.finish().await;
}

/// A customer's refund claim on a Stars order: `[Setujui]` returns the Stars with
/// refundStarPayment, never rupiah balance; a Telegram failure leaves the claim open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_refund_claim_on_a_stars_order_returns_stars_not_balance() {
    let mut app = App::start().await;
    shop(&mut app, 8, &["c-1"]).await;
    app.admin("/setstars 8 40", "40 Stars").await;
    app.admin("/stars on", "AKTIF").await;
    let u = 7601;
    app.onboard(u).await;
    let inv = buy_with_stars(&mut app, u, 8, 1).await;
    let paid = app.tg.pay_invoice(&FakeUser::new(u), &inv, SLOW).await;
    wait_msg(&app, u, &[DELIVERED, &inv.payload]).await;
    let charge = paid.charge_id.unwrap();

    app.say(u, &format!("/refund {}", inv.payload));
    app.wait_text(u, "Perhitungan Refund").await;
    let admin_mark = app.mark(ADMIN);
    app.press(u, "Ajukan Refund");
    app.wait_text(u, "dikirim ke admin").await;
    let req = app.wait_msg_since(ADMIN, &admin_mark, |m| m.text.contains("Permintaan refund"), "refund request").await;
    let approve = req
        .inline_buttons
        .iter()
        .flatten()
        .find(|b| b.text == "Setujui")
        .and_then(|b| b.callback_data.clone())
        .expect("[Setujui]");

    // Telegram refuses: the claim stays open, nothing credited.
    app.tg.fail_next("refundStarPayment", 1, Fault::BadRequest("Bad Request: CHARGE_NOT_FOUND".into()));
    app.press_data(ADMIN, req.message_id, &approve);
    assert!(app.wait_answer(ADMIN).await.contains("tidak menjawab"));
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert!(app.tg.star_refunds().is_empty());

    // Pressed again: the Stars go back; no rupiah balance.
    app.press_data(ADMIN, req.message_id, &approve);
    assert!(app.wait_answer(ADMIN).await.contains("dikembalikan"));
    assert_eq!(app.tg.star_refunds(), vec![(u, charge)]);
    wait_msg(&app, u, &["Refund 40 Stars", &inv.payload]).await;
    // A third press: decided already.
    app.press_data(ADMIN, req.message_id, &approve);
    app.wait_answer(ADMIN).await;
    assert_eq!(app.tg.star_refunds().len(), 1);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/refunded"), 1, "{s:#}");
    assert_eq!(num(&s, "/ledger/refund"), 0, "no rupiah refund: {s:#}");
    assert_eq!(num(&s, "/ledger_sum"), 0, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

/// `quickcart demo`: `:pay` settles a Stars invoice (pre-checkout, then successful_payment).
#[test]
fn demo_pays_a_stars_invoice() {
    let script = "/start\n/skip\n/skip\n/skip\n:as admin\n/stars rate 500\n/stars on\n:as customer\n3\n\
                  :press Lanjut ke pembayaran\n:press Skip\n:press Bayar dengan Stars\n:pay\n";
    let (out, t) = crate::demo::run_demo(script);
    assert!(out.status.success(), "{t}");
    assert!(crate::demo::answer_to(&t, "/stars on").join("\n").contains("AKTIF"), "{t}");
    let invoice = crate::demo::answer_to(&t, ":press Bayar dengan Stars").join("\n");
    assert!(invoice.contains("(tagihan Stars)") && invoice.contains("Stars"), "{t}");
    let paid = crate::demo::answer_to(&t, ":pay").join("\n");
    assert!(paid.contains(DELIVERED), "{t}");
}

/// A late payment whose automatic refund Telegram refused: `db check` shows the Stars kept for
/// nothing until an admin's `/refundstars` returns them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_automatic_refund_is_flagged_and_retried_by_an_admin() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
    })
    .await;
    shop(&mut app, 9, &["g-1"]).await;
    app.admin("/setstars 9 35", "35 Stars").await;
    app.admin("/stars on", "AKTIF").await;
    let u = 7701;
    app.onboard(u).await;
    let inv = buy_with_stars(&mut app, u, 9, 1).await;
    wait_msg(&app, u, &[EXPIRED, &inv.payload]).await;
    app.admin("/delallstock 9", "").await;
    app.tg.fail_next("refundStarPayment", 1, Fault::BadRequest("Bad Request: CHARGE_NOT_FOUND".into()));
    app.tg.send_successful_payment(&FakeUser::new(u), &inv.payload, 35, "stxKEPT1");
    wait_msg(&app, ADMIN, &["belum berhasil", &inv.payload]).await;
    assert!(app.tg.star_refunds().is_empty());
    let out = run_cli(&app, &["db", "check"]).await;
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && report.contains("charged but neither delivered nor refunded"), "{report}");

    app.say(ADMIN, &format!("/refundstars {}", inv.payload));
    wait_msg(&app, ADMIN, &["sudah dikembalikan", &inv.payload]).await;
    assert_eq!(app.tg.star_refunds(), vec![(u, "stxKEPT1".to_string())]);
    assert_eq!(deliveries(&app, u, &inv.payload), 0);
    assert_db_check(&app).await;
}

/// A warranty `[Refund]` on an item paid in Stars would credit rupiah that never came in:
/// refused with the way out (`[Ganti]` or `/refundstars`); `[Ganti]` still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warranty_refund_on_a_stars_item_credits_no_rupiah() {
    let mut app = App::start().await;
    shop(&mut app, 7, &["wr-a:p1", "wr-b:p2"]).await;
    app.admin("/garansi 7|30", "aransi").await;
    app.admin("/stars on", "AKTIF").await;
    app.admin("/setstars 7 45", "45 Stars").await;
    let u = 7601;
    app.onboard(u).await;
    let inv = buy_with_stars(&mut app, u, 7, 1).await;
    app.tg.pay_invoice(&FakeUser::new(u), &inv, SLOW).await;
    wait_msg(&app, u, &[DELIVERED, &inv.payload]).await;

    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Riwayat Transaksi");
    app.wait_text(u, "Riwayat Transaksi").await;
    app.press(u, "Kirim ulang");
    app.wait_text(u, "Item yang masih bergaransi").await;
    app.press(u, "Klaim Garansi");
    app.wait_text(u, "Apa masalahnya?").await;
    app.say(u, "Tidak bisa login");
    let notice = app.wait_text_any(ADMIN, "Tidak bisa login").await;
    let data = |prefix: &str| {
        notice.inline_buttons.iter().flatten().find_map(|b| b.callback_data.clone().filter(|d| d.starts_with(prefix)))
    };
    app.press_data(ADMIN, notice.message_id, &data("wf:").unwrap());
    let answer = app.wait_answer(ADMIN).await;
    assert!(answer.contains("dibayar dengan Stars") && answer.contains("/refundstars"), "{answer}");
    let s = stats(&app).await;
    assert_eq!(num(&s, "/ledger_sum"), 0, "no rupiah from a Stars payment: {s:#}");

    app.press_data(ADMIN, notice.message_id, &data("wg:").unwrap());
    wait_msg(&app, u, &["Item pengganti garansi"]).await;
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/stock/sold"), 2, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}
