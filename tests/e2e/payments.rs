//! Checkout and payments end to end (issue 3, SPEC §2 checkout/QRIS/SALDO/deposit, §4): the real
//! binary against the fake Telegram and the fake Pakasir, asserting on what customers and admins
//! see, on what Pakasir was asked, and on `quickcart db stats`.

use std::time::Duration;

use crate::common::{flat_labels, labels, App, ADMIN};
use crate::pay_support::*;
use quickcart::testkit::{MsgKind, PakasirRoute};

const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// A shop with one product `id` (price `price`) and `items` in stock.
async fn shop_with(app: &mut App, id: i64, name: &str, price: &str, items: &[&str]) {
    app.add_product(&id.to_string(), name, "Streaming", price).await;
    if !items.is_empty() {
        app.add_stock(id, items).await;
    }
}

/// Presses `[Status Pembayaran]` on the invoice until the bot actually asked Pakasir (it asks
/// at most once per 4 s per transaction and says "Tunggu" otherwise). Returns the answer.
async fn status_answer(app: &mut App, user: i64, invoice: &Invoice) -> String {
    let (_, data) = invoice
        .message
        .inline_buttons
        .iter()
        .flatten()
        .find(|b| b.text == "Status Pembayaran")
        .map(|b| (b.text.clone(), b.callback_data.clone().expect("callback")))
        .expect("Status Pembayaran button");
    let deadline = std::time::Instant::now() + SLOW;
    loop {
        app.press_data(user, invoice.message.message_id, &data);
        let answer = app.wait_answer(user).await;
        if !answer.contains("Tunggu") {
            return answer;
        }
        assert!(std::time::Instant::now() < deadline, "status check never got through: {answer}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

// ------------------------------------------------------------------ 1. QRIS purchase

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qris_purchase_end_to_end() {
    let mut app = App::start().await;
    shop_with(
        &mut app,
        7,
        "Netflix Premium",
        "15000",
        &["nf-a@mail.test:p1", "nf-b@mail.test:p2", "nf-c@mail.test:p3", "nf-d@mail.test:p4"],
    )
    .await;
    let u = 5101;
    app.onboard(u).await;

    // Card → summary with unit price, quantity, subtotal and total.
    let summary = to_summary(&mut app, u, 7, 1).await;
    for needle in
        ["Produk: Netflix Premium", "Harga satuan: Rp15.000", "Jumlah: 2", "Subtotal: Rp30.000", "Total: Rp30.000"]
    {
        assert!(summary.text.contains(needle), "{needle:?} in {}", summary.text);
    }
    // (A voucher row may come first; the payment rows end the summary.)
    let rows = labels(&summary);
    assert!(
        rows.ends_with(&[
            vec!["QRIS".to_string(), "SALDO".to_string()],
            vec!["Kembali".to_string(), "Batalkan".to_string()]
        ]),
        "{rows:?}"
    );

    // QRIS → the QR photo with Pakasir's fee breakdown and the three buttons.
    app.press(u, "QRIS");
    let inv = wait_invoice(&app, u).await;
    assert_eq!(inv.message.kind, MsgKind::Photo);
    let png = inv.message.file_bytes.clone().expect("photo bytes");
    assert!(png.starts_with(PNG_MAGIC), "the QR is a PNG");
    assert!(png.len() > 500, "a real QR image, not a placeholder");
    assert!(inv.id.starts_with("INV") && inv.id.len() == 17, "invoice id {}", inv.id);
    assert_eq!(
        (inv.txn.amount, inv.txn.fee, inv.txn.total_payment),
        (30_000, 520, 30_520),
        "Pakasir was asked for the order total before its fee"
    );
    for needle in
        ["Total pesanan: Rp30.000", "Biaya pembayaran: Rp520", "Total tagihan: Rp30.520", inv.id.as_str(), "WIB"]
    {
        assert!(inv.message.text.contains(needle), "{needle:?} in {}", inv.message.text);
    }
    assert_eq!(labels(&inv.message), vec![vec!["Checkout Page"], vec!["Status Pembayaran", "Batalkan"]]);
    let page = &inv.message.inline_buttons[0][0];
    assert_eq!(page.url.as_deref(), Some(format!("{}/pay-v2/{}", app.pakasir.url(), inv.txn.txn_id).as_str()));
    assert_eq!(pakasir_calls(&app, PakasirRoute::Create, &inv.id), 1);
    // The summary can no longer be paid twice.
    wait_until("the summary to lose its buttons", SLOW, || {
        message(&app, u, summary.message_id).inline_buttons.is_empty()
    })
    .await;

    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/pending"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 2, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 2, "{s:#}");

    // Webhook → delivery with exactly the two reserved items.
    pay(&app, &inv.id).await;
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    // The receipt shows what was paid, Pakasir's fee included.
    for needle in [
        "Netflix Premium",
        "Jumlah: 2",
        "Subtotal: Rp30.000",
        "Biaya pembayaran: Rp520",
        "Dibayar: Rp30.520",
        "nf-a@mail.test:p1",
        "nf-b@mail.test:p2",
    ] {
        assert!(delivery.text.contains(needle), "{needle:?} in {}", delivery.text);
    }
    assert!(
        !delivery.text.contains("nf-c") && !delivery.text.contains("nf-d"),
        "only the bought items: {}",
        delivery.text
    );
    let notice = wait_msg(&app, ADMIN, &[ADMIN_NEW_ORDER, &inv.id]).await;
    assert!(notice.text.contains("QRIS"), "{}", notice.text);
    // The admin sees who bought: name, @username and id, not only a number.
    assert!(notice.text.contains(&format!("Pembeli: User{u} (@user{u}, {u})")), "{}", notice.text);
    wait_until("the QR photo to be deleted", SLOW, || message(&app, u, inv.message.message_id).deleted).await;

    // The card shows the sale.
    let card = open_card(&mut app, u, 7).await;
    assert!(card.text.contains("Terjual: 2"), "{}", card.text);
    assert!(card.text.contains("Stok: 2"), "{}", card.text);

    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(num(&s, "/orders/pending"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 2, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 2, "{s:#}");
    assert_eq!(num(&s, "/sold_count_sum"), 2, "{s:#}");
    assert_eq!(num(&s, "/ledger_sum"), 0, "a QRIS purchase moves no balance: {s:#}");
    assert_invariants(&s);
    assert_eq!(deliveries(&app, u, &inv.id), 1);
    // A single order gets its own notice, not a digest.
    assert_eq!(messages_with(&app, ADMIN, &[ADMIN_NEW_ORDER, &inv.id]).len(), 1, "{}", app.transcript(ADMIN));
    assert_eq!(admin_notices(&app, ADMIN, &inv.id), 1);
    assert_db_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 2. SALDO purchase

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saldo_purchase_after_a_deposit_and_short_balance() {
    let mut app = App::start().await;
    shop_with(&mut app, 3, "YouTube Premium", "20000", &["yt-1:pw", "yt-2:pw", "yt-3:pw"]).await;
    let u = 5201;
    app.onboard(u).await;
    let dep = deposit(&mut app, u, "50000").await;
    assert_eq!(dep.txn.amount, 50_000);
    assert!(balance_text(&mut app, u).await.contains("Rp50.000"));

    // SALDO: confirmation with the numbers, then deduct + deliver.
    to_summary(&mut app, u, 3, 0).await;
    app.press(u, "SALDO");
    let confirm = app.wait_text(u, "Bayar dengan SALDO").await;
    for needle in ["Total: Rp20.000", "Saldo Anda: Rp50.000", "Sisa saldo: Rp30.000"] {
        assert!(confirm.text.contains(needle), "{needle:?} in {}", confirm.text);
    }
    assert_eq!(labels(&confirm), vec![vec!["Konfirmasi", "Batalkan"]]);
    let creates_before = app.pakasir.calls().iter().filter(|c| c.route == PakasirRoute::Create).count();
    app.press(u, "Konfirmasi");
    let delivery = wait_msg(&app, u, &[DELIVERED, "YouTube Premium"]).await;
    assert!(delivery.text.contains("yt-1:pw"), "{}", delivery.text);
    assert!(!delivery.text.contains("yt-2"), "{}", delivery.text);
    let invoice = invoice_in(&delivery.text).expect("invoice in the delivery");
    let notice = wait_msg(&app, ADMIN, &[ADMIN_NEW_ORDER, &invoice]).await;
    assert!(notice.text.contains("SALDO"), "{}", notice.text);
    assert!(balance_text(&mut app, u).await.contains("Rp30.000"));
    assert_eq!(
        app.pakasir.calls().iter().filter(|c| c.route == PakasirRoute::Create).count(),
        creates_before,
        "a balance purchase never goes to Pakasir"
    );

    // Short balance: 2 × 20.000 with 30.000 left → shortfall 10.000 and [Deposit].
    to_summary(&mut app, u, 3, 1).await;
    app.press(u, "SALDO");
    let short = app.wait_text(u, "tidak cukup").await;
    assert!(short.text.contains("Kurang: Rp10.000"), "{}", short.text);
    assert!(short.text.contains("Saldo: Rp30.000"), "{}", short.text);
    assert_eq!(flat_labels(&short), vec!["Deposit"]);
    app.press(u, "Deposit");
    app.wait_text(u, "Ketik jumlah deposit").await;

    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/ledger/deposit"), 50_000, "{s:#}");
    assert_eq!(num(&s, "/ledger/purchase"), -20_000, "{s:#}");
    assert_eq!(num(&s, "/balance_sum"), 30_000, "{s:#}");
    assert_eq!(num(&s, "/orders/paid"), 2, "deposit + order: {s:#}");
    assert_eq!(num(&s, "/orders/pending"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 2, "{s:#}");
    assert_eq!(num(&s, "/sold_count_sum"), 1, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 3. Deposit and history

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_bounds_credit_and_paginated_history() {
    let mut app = App::start().await;
    shop_with(&mut app, 4, "Canva Pro", "10000", &["cv-1", "cv-2", "cv-3", "cv-4"]).await;
    let u = 5301;
    app.onboard(u).await;

    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Deposit");
    app.wait_text(u, "Ketik jumlah deposit").await;
    for bad in ["9999", "10000001", "sepuluh ribu"] {
        app.say(u, bad);
        let m = app.wait_text(u, "Jumlah deposit harus").await;
        assert!(m.text.contains("Rp10.000") && m.text.contains("Rp10.000.000"), "{}", m.text);
    }
    assert!(app.pakasir.txns().is_empty(), "nothing reached Pakasir");
    app.say(u, "50.000");
    let dep = wait_invoice(&app, u).await;
    assert_eq!(dep.txn.amount, 50_000);
    for needle in ["Deposit saldo", "Total pesanan: Rp50.000", "Biaya pembayaran: Rp660", "Total tagihan: Rp50.660"] {
        assert!(dep.message.text.contains(needle), "{needle:?} in {}", dep.message.text);
    }
    // A deposit delivers no product: its invoice says what happens instead.
    assert!(!dep.message.text.contains("Produk dikirim"), "{}", dep.message.text);
    assert!(dep.message.text.contains("Saldo bertambah otomatis"), "{}", dep.message.text);
    // Not credited before it is paid.
    assert!(balance_text(&mut app, u).await.contains("Rp0"));
    pay(&app, &dep.id).await;
    let done = wait_msg(&app, u, &[DEPOSIT_DONE, &dep.id]).await;
    assert!(done.text.contains("Rp50.000"), "{}", done.text);
    assert!(done.text.contains("Saldo Anda sekarang: Rp50.000"), "{}", done.text);
    // A deposit cannot be refunded: /reff says so instead of "not found" (to its owner only).
    app.say(u, &format!("/reff {}", dep.id));
    let m = app.wait_text(u, "deposit saldo").await;
    assert!(m.text.contains(&dep.id) && m.text.contains("Refund hanya untuk pesanan produk"), "{}", m.text);
    app.onboard(5399).await;
    app.say(5399, &format!("/reff {}", dep.id));
    app.wait_text(5399, "Invoice tidak ditemukan").await;
    let notice = wait_msg(&app, ADMIN, &["Deposit masuk", &dep.id]).await;
    assert!(notice.text.contains(&format!("Pengguna: User{u} (@user{u}, {u})")), "{}", notice.text);
    assert!(balance_text(&mut app, u).await.contains("Rp50.000"));
    // Replayed: credited once.
    let (code, body) = hook(&app, genuine(&app, &dep.id)).await;
    assert_eq!(code, 200, "{body}");
    let s = stats(&app).await;
    assert_eq!(num(&s, "/ledger/deposit"), 50_000, "{s:#}");
    assert_eq!(num(&s, "/deposits/paid"), 1, "{s:#}");

    // More entries: a QRIS order (paid), a SALDO order, a cancelled order, a cancelled
    // deposit, another SALDO order, and a pending deposit → 7 entries, 2 pages of 5.
    let paid = buy_qris(&mut app, u, 4, 0).await;
    pay(&app, &paid.id).await;
    wait_msg(&app, u, &[DELIVERED, &paid.id]).await;
    saldo_buy(&mut app, u, 4).await;
    let cancelled = buy_qris(&mut app, u, 4, 0).await;
    app.press(u, "Batalkan");
    assert!(app.wait_answer(u).await.contains("dibatalkan"));
    let dep2 = deposit_invoice(&mut app, u, "10000").await;
    assert_ne!(cancelled.id, dep2.id);
    app.press(u, "Batalkan");
    assert!(app.wait_answer(u).await.contains("dibatalkan"));
    saldo_buy(&mut app, u, 4).await;
    let pending = deposit_invoice(&mut app, u, "20000").await;

    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Riwayat Transaksi");
    let p1 = app.wait_text(u, "halaman 1/2").await;
    assert_eq!(p1.text.matches("INV").count(), 5, "{}", p1.text);
    assert!(p1.text.contains(&pending.id), "newest first: {}", p1.text);
    assert!(p1.text.contains("menunggu pembayaran"), "{}", p1.text);
    assert!(p1.text.contains("dibatalkan"), "{}", p1.text);
    assert!(p1.text.contains("lunas"), "{}", p1.text);
    assert!(p1.text.contains("Deposit saldo"), "{}", p1.text);
    assert!(p1.text.contains("Canva Pro × 1"), "{}", p1.text);
    // Paid product orders can send their goods again; the last row turns pages.
    let rows = labels(&p1);
    assert_eq!(rows.last(), Some(&vec!["Kembali".to_string(), "Selanjutnya 2/2".to_string()]), "{rows:?}");
    for row in &rows[..rows.len() - 1] {
        assert!(row.len() == 1 && row[0].starts_with("📦 Kirim ulang INV"), "{rows:?}");
        assert!(p1.text.contains(row[0].trim_start_matches("📦 Kirim ulang ")), "{rows:?}");
    }
    app.press(u, "Selanjutnya");
    let p2 = app.wait_text(u, "halaman 2/2").await;
    assert_eq!(p2.text.matches("INV").count(), 2, "{}", p2.text);
    assert!(p2.text.contains(&dep.id), "oldest last: {}", p2.text);
    assert!(p2.text.contains(&paid.id), "{}", p2.text);
    assert!(p2.text.contains("Rp50.000 · lunas"), "{}", p2.text);
    assert_eq!(flat_labels(&p2).last().map(String::as_str), Some("Kembali"), "{:?}", labels(&p2));
    assert!(flat_labels(&p2).iter().rev().skip(1).all(|l| l.starts_with("📦 Kirim ulang INV")), "{:?}", labels(&p2));

    let s = stats(&app).await;
    assert_eq!(num(&s, "/balance_sum"), 30_000, "50.000 − 2 × 10.000: {s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 4. Cancel

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_from_the_invoice_and_second_checkout_offers_to_cancel_the_first() {
    let mut app = App::start().await;
    shop_with(&mut app, 5, "Disney Plus", "25000", &["dp-1", "dp-2", "dp-3"]).await;
    let u = 5401;
    app.onboard(u).await;

    let inv = buy_qris(&mut app, u, 5, 1).await;
    assert_eq!(num(&stats(&app).await, "/stock/reserved"), 2);
    app.press(u, "Batalkan");
    let answer = app.wait_answer(u).await;
    assert!(answer.contains("dibatalkan"), "{answer}");
    wait_until("the QR photo to be deleted", SLOW, || message(&app, u, inv.message.message_id).deleted).await;
    wait_msg(&app, u, &["dibatalkan", &inv.id]).await;
    wait_until("Pakasir cancel", SLOW, || pakasir_calls(&app, PakasirRoute::Cancel, &inv.txn.txn_id) == 1).await;
    assert_eq!(app.pakasir.txn_by_order(&inv.id).unwrap().status, "canceled");
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/cancelled"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 3, "{s:#}");
    // Pressing the stale invoice button again changes nothing.
    let (_, data) = inv
        .message
        .inline_buttons
        .iter()
        .flatten()
        .find(|b| b.text == "Batalkan")
        .map(|b| (0, b.callback_data.clone().unwrap()))
        .unwrap();
    app.press_data(u, inv.message.message_id, &data);
    let again = app.wait_answer(u).await;
    assert!(again.contains("tidak aktif"), "{again}");

    // A pending invoice blocks a second checkout, which offers to cancel it.
    let first = buy_qris(&mut app, u, 5, 0).await;
    to_summary(&mut app, u, 5, 0).await;
    app.press(u, "QRIS");
    let offer = app.wait_text(u, "belum dibayar").await;
    assert!(offer.text.contains(&first.id), "{}", offer.text);
    assert!(flat_labels(&offer).contains(&"Batalkan Pesanan Sebelumnya".to_string()), "{}", app.transcript(u));
    assert_eq!(app.pakasir.txns().len(), 2, "no third transaction");
    assert_eq!(num(&stats(&app).await, "/stock/reserved"), 1);
    app.press(u, "Batalkan Pesanan Sebelumnya");
    assert!(app.wait_answer(u).await.contains("dibatalkan"));
    wait_until("the first QR to be deleted", SLOW, || message(&app, u, first.message.message_id).deleted).await;
    // Now a new checkout goes through.
    let second = buy_qris(&mut app, u, 5, 2).await;
    assert_ne!(second.id, first.id);
    assert_eq!(second.txn.amount, 75_000);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/cancelled"), 2, "{s:#}");
    assert_eq!(num(&s, "/orders/pending"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 3, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}

// ------------------------------------------------------------------ 5. Expiry

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_invoice_expires() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
    })
    .await;
    shop_with(&mut app, 6, "Spotify", "20000", &["sp-1", "sp-2"]).await;
    let u = 5501;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 6, 0).await;
    let notice = wait_msg(&app, u, &[EXPIRED, &inv.id]).await;
    assert_eq!(flat_labels(&notice), vec!["Kembali"], "{}", app.transcript(u));
    wait_until("the QR photo to be deleted", SLOW, || message(&app, u, inv.message.message_id).deleted).await;
    wait_until("Pakasir cancel", SLOW, || pakasir_calls(&app, PakasirRoute::Cancel, &inv.txn.txn_id) == 1).await;
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/expired"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 2, "{s:#}");
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");
    assert_eq!(deliveries(&app, u, &inv.id), 0);
    // [Kembali] works.
    app.press(u, "Kembali");
    app.wait_answer(u).await;
    // The stock is buyable again.
    let again = buy_qris(&mut app, u, 6, 1).await;
    assert_eq!(again.txn.amount, 40_000);
    assert_invariants(&stats(&app).await);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_due_while_stopped_runs_at_the_next_start() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "8".into());
    })
    .await;
    shop_with(&mut app, 6, "Spotify", "20000", &["sp-1", "sp-2"]).await;
    let u = 5502;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 6, 0).await;
    let created = std::time::Instant::now();
    let status = app.stop().await;
    assert!(status.success());
    assert!(
        messages_with(&app, u, &[EXPIRED]).is_empty(),
        "expired before the stop; the test needs a slower expiry on this machine"
    );
    // Wait past the expiry while nothing runs.
    let past = Duration::from_secs(10);
    if let Some(rest) = past.checked_sub(created.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    assert_eq!(num(&stats(&app).await, "/orders/pending"), 1);
    assert!(!message(&app, u, inv.message.message_id).deleted);

    app.spawn().await;
    let notice = wait_msg(&app, u, &[EXPIRED, &inv.id]).await;
    assert_eq!(flat_labels(&notice), vec!["Kembali"]);
    wait_until("the QR photo to be deleted", SLOW, || message(&app, u, inv.message.message_id).deleted).await;
    wait_until("Pakasir cancel", SLOW, || pakasir_calls(&app, PakasirRoute::Cancel, &inv.txn.txn_id) == 1).await;
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/expired"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 2, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}

// ------------------------------------------------------------------ 6. Late payment

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_after_expiry_is_credited_to_the_balance_once() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
    })
    .await;
    shop_with(&mut app, 8, "Prime Video", "15000", &["pv-1", "pv-2", "pv-3"]).await;
    let u = 5601;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 8, 1).await;
    assert_eq!((inv.txn.amount, inv.txn.fee), (30_000, 520));
    wait_msg(&app, u, &[EXPIRED, &inv.id]).await;
    wait_until("Pakasir cancel", SLOW, || pakasir_calls(&app, PakasirRoute::Cancel, &inv.txn.txn_id) == 1).await;

    // The customer paid anyway (the fake lets a cancelled transaction complete).
    pay(&app, &inv.id).await;
    let told = wait_msg(&app, u, &["setelah tagihan kedaluwarsa", &inv.id]).await;
    assert!(told.text.contains("Rp30.000"), "{}", told.text);
    let admin = wait_msg(&app, ADMIN, &["Pembayaran terlambat", &inv.id]).await;
    assert!(admin.text.contains("Rp30.000"), "{}", admin.text);
    assert!(balance_text(&mut app, u).await.contains("Rp30.000"));

    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/ledger/late_payment"), 30_000, "amount, not fee: {s:#}");
    assert_eq!(num(&s, "/balance_sum"), 30_000, "{s:#}");
    assert_eq!(num(&s, "/orders/expired"), 1, "{s:#}");
    assert_eq!(num(&s, "/orders/paid"), 0, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 0, "nothing delivered: {s:#}");
    assert_eq!(num(&s, "/stock/available"), 3, "{s:#}");
    assert_eq!(deliveries(&app, u, &inv.id), 0);
    assert_eq!(admin_notices(&app, ADMIN, &inv.id), 0);

    // Replays credit nothing more and tell nobody again.
    for _ in 0..2 {
        let (code, body) = hook(&app, genuine(&app, &inv.id)).await;
        assert_eq!(code, 200, "{body}");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s2 = stats(&app).await;
    assert_eq!(num(&s2, "/ledger/late_payment"), 30_000, "{s2:#}");
    assert_eq!(num(&s2, "/balance_sum"), 30_000, "{s2:#}");
    assert_eq!(messages_with(&app, u, &["setelah tagihan kedaluwarsa"]).len(), 1);
    assert_eq!(messages_with(&app, ADMIN, &["Pembayaran terlambat"]).len(), 1);
    assert_invariants(&s2);
    assert_db_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 9. Lost webhook

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_webhook_is_recovered_by_the_poller() {
    let mut app = App::start_with(|env| {
        env.insert("PAKASIR_POLL_SECONDS".into(), "4".into());
    })
    .await;
    shop_with(&mut app, 9, "ChatGPT Plus", "30000", &["gpt-1", "gpt-2"]).await;
    let u = 5901;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 9, 0).await;
    // Unpaid: the poller keeps asking, nothing happens.
    wait_until("the poller to ask twice", SLOW, || pakasir_calls(&app, PakasirRoute::Status, &inv.txn.txn_id) >= 2)
        .await;
    assert_eq!(deliveries(&app, u, &inv.id), 0);
    // Paid at Pakasir; the webhook never arrives.
    app.pakasir.complete(&inv.id).unwrap();
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("gpt-1"), "{}", delivery.text);
    wait_msg(&app, ADMIN, &[ADMIN_NEW_ORDER, &inv.id]).await;
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 1, "{s:#}");
    // The poller stops asking about a paid order.
    let asked = pakasir_calls(&app, PakasirRoute::Status, &inv.txn.txn_id);
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(pakasir_calls(&app, PakasirRoute::Status, &inv.txn.txn_id), asked);
    assert_eq!(deliveries(&app, u, &inv.id), 1);
    assert_invariants(&s);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_button_checks_on_demand() {
    // The poller looks once at a new order and then not for an hour: only the button helps.
    let mut app = App::start_with(|env| {
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    shop_with(&mut app, 9, "ChatGPT Plus", "30000", &["gpt-1", "gpt-2"]).await;
    let u = 5902;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 9, 0).await;
    let answer = status_answer(&mut app, u, &inv).await;
    assert!(answer.contains("belum diterima"), "{answer}");
    assert_eq!(deliveries(&app, u, &inv.id), 0);

    app.pakasir.complete(&inv.id).unwrap();
    let answer = status_answer(&mut app, u, &inv).await;
    assert!(answer.contains("Pembayaran diterima"), "{answer}");
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("gpt-1"), "{}", delivery.text);
    // Asked again after delivery: already paid, nothing new.
    let answer = status_answer(&mut app, u, &inv).await;
    assert!(answer.contains("sudah dibayar"), "{answer}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(deliveries(&app, u, &inv.id), 1);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_invariants(&s);
    app.finish().await;
}
