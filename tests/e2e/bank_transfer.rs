//! Bank transfer (virtual account) and Pakasir's fees (issue 17): `[Transfer Bank (VA)]` next to
//! `[QRIS]` at checkout and deposit, the bank choice, the VA invoice, paying it at the fake
//! Pakasir; the fee lines before the customer commits; the per-method limits; `PAKASIR_METHODS`.

use crate::common::{flat_labels, labels, App, ADMIN};
use crate::pay_support::*;
use quickcart::testkit::{BotMessage, MsgKind, PakasirFault, PakasirRoute};

const VA_INVOICE: &str = "Tagihan Transfer Bank";
const BANK_CHOICE: &str = "Pilih bank tujuan";

async fn start_with_methods(methods: &str) -> App {
    let methods = methods.to_string();
    App::start_with(move |env| {
        env.insert("PAKASIR_METHODS".into(), methods);
    })
    .await
}

async fn shop_with(app: &mut App, id: i64, name: &str, price: &str, items: &[&str]) {
    app.add_product(&id.to_string(), name, "Streaming", price).await;
    if !items.is_empty() {
        app.add_stock(id, items).await;
    }
}

/// Waits for the VA invoice (a text message, no QR) new since the user's last action.
async fn wait_va_invoice(app: &App, user: i64) -> (String, BotMessage) {
    let mark = app.last_mark(user);
    let Some(message) =
        app.tg.wait_for(user, |m| mark.is_new(m) && m.text.contains(VA_INVOICE) && !m.deleted, SLOW).await
    else {
        panic!("no VA invoice for {user}; chat:\n{}\n--- stderr:\n{}", app.transcript(user), app.stderr())
    };
    assert_eq!(message.kind, MsgKind::Text, "a VA invoice has no QR image");
    let id = invoice_in(&message.text).expect("invoice id");
    (id, message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn va_purchase_shows_bank_number_fee_and_total_and_delivers_once() {
    let mut app = start_with_methods("qris,bri_va,bni_va").await;
    shop_with(&mut app, 7, "Netflix Premium", "15000", &["nf-a@mail.test:p1", "nf-b@mail.test:p2", "nf-c:p3"]).await;
    let u = 17_101;
    app.onboard(u).await;

    // The summary: both fees before anything is created, [Transfer Bank (VA)] next to [QRIS].
    let summary = to_summary(&mut app, u, 7, 1).await;
    for needle in ["Total: Rp30.000", "Biaya QRIS ±Rp520", "Biaya Transfer Bank ±Rp3.500"] {
        assert!(summary.text.contains(needle), "{needle:?} in {}", summary.text);
    }
    let rows = labels(&summary);
    assert!(rows.contains(&vec!["QRIS".to_string(), "Transfer Bank (VA)".to_string()]), "{rows:?}");
    assert!(rows.contains(&vec!["SALDO".to_string()]), "{rows:?}");
    assert!(app.pakasir.txns().is_empty(), "nothing created before the customer commits");

    // The bank choice: only the banks the shop offers.
    app.press(u, "Transfer Bank (VA)");
    let choice = app.wait_text(u, BANK_CHOICE).await;
    assert!(choice.text.contains("Biaya Transfer Bank ±Rp3.500"), "{}", choice.text);
    let banks = flat_labels(&choice);
    assert!(banks.contains(&"BRI".to_string()) && banks.contains(&"BNI".to_string()), "{banks:?}");
    assert!(!banks.contains(&"Permata".to_string()), "{banks:?}");
    // [Kembali] leads back to the summary (QRIS is still a choice), then on to the banks again.
    app.press(u, "Kembali");
    let back = app.wait_text(u, "Pilih metode pembayaran").await;
    assert!(labels(&back).contains(&vec!["QRIS".to_string(), "Transfer Bank (VA)".to_string()]));
    app.press(u, "Transfer Bank (VA)");
    app.wait_text(u, BANK_CHOICE).await;

    app.press(u, "BNI");
    let (id, inv) = wait_va_invoice(&app, u).await;
    let txn = app.pakasir.txn_by_order(&id).expect("transaction at the fake");
    assert_eq!(txn.payment_method, "bni_va");
    assert_eq!((txn.amount, txn.fee, txn.total_payment), (30_000, 3_500, 33_500));
    let number = txn.va_number.clone().expect("a VA number");
    for needle in [
        "Bank: BNI",
        &format!("Nomor Virtual Account: {number}"),
        "Total pesanan: Rp30.000",
        "Biaya pembayaran: Rp3.500",
        "Total tagihan: Rp33.500",
        "WIB",
        id.as_str(),
    ] {
        assert!(inv.text.contains(needle), "{needle:?} in {}", inv.text);
    }
    // The number is in <code>: one tap copies it.
    assert!(inv.raw_text.contains(&format!("<code>{number}</code>")), "{}", inv.raw_text);
    assert_eq!(labels(&inv), vec![vec!["Checkout Page"], vec!["Status Pembayaran", "Batalkan"]]);
    app.wait_text(u, "Tagihan transfer bank dibuat").await;

    // Paid at the bank: delivered once, also when the webhook comes twice.
    pay(&app, &id).await;
    let delivered = wait_msg(&app, u, &[DELIVERED, &id]).await;
    assert!(delivered.text.contains("nf-"), "{}", delivered.text);
    let (status, _) = hook(&app, genuine(&app, &id)).await;
    assert_eq!(status, 200);
    wait_msg(&app, ADMIN, &[ADMIN_NEW_ORDER, &id]).await;
    let s = wait_stats(&app, "the VA order paid", |s| num(s, "/orders/paid") == 1).await;
    assert_invariants(&s);
    assert_eq!(deliveries(&app, u, &id), 1);
    wait_until("the VA invoice removed", SLOW, || message(&app, u, inv.message_id).deleted).await;
    assert_db_check(&app).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn va_deposit_credits_the_balance_once() {
    let mut app = start_with_methods("qris,bri_va").await;
    let u = 17_201;
    app.onboard(u).await;
    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Deposit");
    app.wait_text(u, "Ketik jumlah deposit").await;
    app.say(u, "50000");
    // More than one way to pay: a deposit summary with both fees first.
    let summary = app.wait_text(u, "Deposit Saldo").await;
    for needle in ["Jumlah: Rp50.000", "Biaya QRIS ±Rp660", "Biaya Transfer Bank ±Rp3.500"] {
        assert!(summary.text.contains(needle), "{needle:?} in {}", summary.text);
    }
    assert_eq!(labels(&summary), vec![vec!["QRIS", "Transfer Bank (VA)"], vec!["Batalkan"]]);
    assert!(app.pakasir.txns().is_empty());
    app.press(u, "Transfer Bank (VA)");
    let choice = app.wait_text(u, BANK_CHOICE).await;
    assert_eq!(labels(&choice), vec![vec!["BRI"], vec!["Kembali", "Batalkan"]]);
    // [Kembali] is the way back to the other method, on the same message.
    app.press(u, "Kembali");
    let again = app.wait_text(u, "Deposit Saldo").await;
    assert_eq!(again.message_id, summary.message_id);
    assert_eq!(labels(&again), vec![vec!["QRIS", "Transfer Bank (VA)"], vec!["Batalkan"]]);
    app.press(u, "Transfer Bank (VA)");
    app.wait_text(u, BANK_CHOICE).await;
    app.press(u, "BRI");
    let (id, inv) = wait_va_invoice(&app, u).await;
    for needle in ["Deposit saldo", "Bank: BRI", "Total pesanan: Rp50.000", "Total tagihan: Rp53.500"] {
        assert!(inv.text.contains(needle), "{needle:?} in {}", inv.text);
    }
    assert!(inv.text.contains("Saldo bertambah otomatis"), "{}", inv.text);
    assert_eq!(app.pakasir.txn_by_order(&id).unwrap().payment_method, "bri_va");

    pay(&app, &id).await;
    let (status, _) = hook(&app, genuine(&app, &id)).await;
    assert_eq!(status, 200);
    let done = wait_msg(&app, u, &[DEPOSIT_DONE, &id]).await;
    assert!(done.text.contains("Saldo Anda sekarang: Rp50.000"), "{}", done.text);
    let s = wait_stats(&app, "the VA deposit paid", |s| num(s, "/orders/paid") == 1).await;
    assert_invariants(&s);
    assert_eq!(messages_with(&app, u, &[DEPOSIT_DONE, &id]).len(), 1, "credited once");
    assert!(balance_text(&mut app, u).await.contains("Rp50.000"));
    assert_db_check(&app).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_outside_a_methods_limits_are_refused_up_front() {
    let mut app = App::start_with(|env| {
        env.insert("PAKASIR_METHODS".into(), "qris,bri_va".into());
        env.insert("PAKASIR_QRIS_MIN".into(), "6000".into());
    })
    .await;
    shop_with(&mut app, 3, "Voucher Game", "5000", &["vg-1", "vg-2"]).await;
    let u = 17_301;
    app.onboard(u).await;
    to_summary(&mut app, u, 3, 0).await;
    app.press(u, "Transfer Bank (VA)");
    let m = app.wait_text(u, "hanya untuk jumlah").await;
    assert!(m.text.contains("Transfer Bank (VA)") && m.text.contains("Rp10.000 sampai Rp50.000.000"), "{}", m.text);
    app.press(u, "QRIS");
    let m = app.wait_text(u, "QRIS hanya untuk jumlah").await;
    assert!(m.text.contains("Rp6.000 sampai Rp10.000.000"), "{}", m.text);
    assert!(app.pakasir.txns().is_empty(), "nothing reached Pakasir");
    // The summary stays payable another way.
    app.press(u, "SALDO");
    app.wait_text(u, "Saldo Anda").await;
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), 0, "{s:#}");
    assert_db_check(&app).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qris_only_hides_the_bank_transfer_and_a_failed_fee_call_only_drops_the_line() {
    let mut app = App::start().await;
    shop_with(&mut app, 4, "Canva Pro", "10000", &["cv-1", "cv-2", "cv-3", "cv-4", "cv-5", "cv-6"]).await;
    let u = 17_401;
    app.onboard(u).await;

    // PAKASIR_METHODS defaults to qris: no bank transfer anywhere, the QRIS fee shown.
    let summary = to_summary(&mut app, u, 4, 0).await;
    assert!(summary.text.contains("Biaya QRIS ±Rp380"), "{}", summary.text);
    assert!(!summary.text.contains("Transfer Bank"), "{}", summary.text);
    assert!(!flat_labels(&summary).contains(&"Transfer Bank (VA)".to_string()));
    assert!(labels(&summary).contains(&vec!["QRIS".to_string(), "SALDO".to_string()]));
    app.press(u, "Batalkan");
    app.wait_text(u, "Dibatalkan").await;

    // The `{status, data}` form of the fee answer reads the same.
    app.pakasir.set_fee_wrapped(true);
    let summary = to_summary(&mut app, u, 4, 2).await;
    assert!(summary.text.contains("Biaya QRIS ±Rp520"), "{}", summary.text);
    let pakasir = app.pakasir.clone();
    let fee_calls = || pakasir.calls().iter().filter(|c| c.route == PakasirRoute::Fee).count();
    assert!(
        app.pakasir.calls().iter().any(|c| c.route == PakasirRoute::Fee && c.path == "/api/v2/payment-fee/30000"),
        "the wrapped answer came from the fee endpoint"
    );
    app.press(u, "Batalkan");
    app.wait_text(u, "Dibatalkan").await;

    // Pakasir's fee endpoint down: the summary comes without the line, and QRIS still works.
    app.pakasir.fail_next(PakasirRoute::Fee, 5, PakasirFault::ServerError(500));
    let before = fee_calls();
    let summary = to_summary(&mut app, u, 4, 1).await;
    assert!(summary.text.contains("Total: Rp20.000"), "{}", summary.text);
    assert!(!summary.text.contains("Biaya QRIS"), "{}", summary.text);
    assert_eq!(fee_calls(), before + 1, "one try, no retries");
    app.press(u, "QRIS");
    let inv = wait_invoice(&app, u).await;
    assert!(inv.message.text.contains("Total tagihan: Rp20.450"), "{}", inv.message.text);
    pay(&app, &inv.id).await;
    wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    // Right after a failure the next summary (an amount not asked before) does not wait for
    // the fee endpoint again.
    let summary = to_summary(&mut app, u, 4, 3).await;
    assert!(summary.text.contains("Total: Rp40.000"), "{}", summary.text);
    assert!(!summary.text.contains("Biaya QRIS"), "{}", summary.text);
    assert_eq!(fee_calls(), before + 1, "the fee endpoint rests after a failure");
    assert!(!app.stderr().contains("panicked"));
    assert_db_check(&app).await;
    app.finish().await;
}

/// Buys product `id` (qty 1 + `plus`) by bank transfer at `bank`; returns the invoice id.
async fn buy_va(app: &mut App, user: i64, id: i64, plus: usize, bank: &str) -> String {
    to_summary(app, user, id, plus).await;
    app.press(user, "Transfer Bank (VA)");
    app.wait_text(user, BANK_CHOICE).await;
    app.press(user, bank);
    wait_va_invoice(app, user).await.0
}

/// The same expiry and late payment as QRIS: a bank transfer that expired and is paid anyway is
/// credited to the balance once, nothing delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_va_order_paid_late_is_credited_once() {
    let mut app = App::start_with(|env| {
        env.insert("PAKASIR_METHODS".into(), "bri_va".into());
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
    })
    .await;
    shop_with(&mut app, 8, "Prime Video", "15000", &["pv-1", "pv-2", "pv-3"]).await;
    let u = 17_501;
    app.onboard(u).await;
    // Only bank transfers offered: no [QRIS] on the summary.
    let summary = to_summary(&mut app, u, 8, 0).await;
    assert!(!flat_labels(&summary).contains(&"QRIS".to_string()), "{:?}", labels(&summary));
    app.press(u, "Batalkan");
    app.wait_text(u, "Dibatalkan").await;

    let late = buy_va(&mut app, u, 8, 1, "BRI").await;
    wait_msg(&app, u, &[EXPIRED, &late]).await;
    pay(&app, &late).await;
    let told = wait_msg(&app, u, &["setelah tagihan kedaluwarsa", &late]).await;
    assert!(told.text.contains("Rp30.000"), "{}", told.text);
    for _ in 0..2 {
        let (code, body) = hook(&app, genuine(&app, &late)).await;
        assert_eq!(code, 200, "{body}");
    }
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/ledger/late_payment"), 30_000, "amount, not fee: {s:#}");
    assert_eq!(num(&s, "/orders/expired"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 0, "{s:#}");
    assert_eq!(deliveries(&app, u, &late), 0);
    assert_eq!(messages_with(&app, u, &["setelah tagihan kedaluwarsa"]).len(), 1);
    assert!(balance_text(&mut app, u).await.contains("Rp30.000"));
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

/// The same poller as QRIS: a bank transfer paid without any webhook is found and delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_va_payment_without_webhook_is_found_by_the_poller() {
    let mut app = App::start_with(|env| {
        env.insert("PAKASIR_METHODS".into(), "qris,permata_va".into());
        env.insert("PAKASIR_POLL_SECONDS".into(), "4".into());
    })
    .await;
    shop_with(&mut app, 9, "Disney+", "25000", &["dp-1", "dp-2"]).await;
    let u = 17_601;
    app.onboard(u).await;
    let id = buy_va(&mut app, u, 9, 0, "Permata").await;
    assert_eq!(app.pakasir.txn_by_order(&id).unwrap().payment_method, "permata_va");
    app.pakasir.complete(&id).expect("transaction");
    let delivered = wait_msg(&app, u, &[DELIVERED, &id]).await;
    assert!(delivered.text.contains("dp-"), "{}", delivered.text);
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(deliveries(&app, u, &id), 1);
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}
