//! The defects a hostile review found in the money paths (issue 12), each reproduced the way it
//! was found, against the real binary: a forged refund of a deposit, Telegram 5xx and blocked
//! buyers losing deliveries, a lost webhook meeting a status outage at expiry, review holds that
//! did not hold deposits, SALDO debiting another amount than confirmed, review decisions that
//! could not complete, money moving without its audit entry, and admin buttons in groups.

use crate::common;
use std::time::Duration;

use crate::common::{button_on, cli_ok, App, ADMIN};
use crate::pay_support::*;
use quickcart::testkit::{FakeUser, Fault, MsgKind, PakasirFault, PakasirRoute};
use serde_json::{json, Value};

const REVIEW_NOTICE: &str = "Pesanan perlu ditinjau";
const DEPOSIT_REVIEW: &str = "Deposit perlu ditinjau";
const REFUND_NOTICE: &str = "Permintaan refund";
const ERROR_TEXT: &str = "terjadi gangguan";

async fn product(app: &mut App, id: i64, price: &str, items: &[&str]) {
    app.add_product(&id.to_string(), &format!("Produk {id}"), "Digital", price).await;
    app.add_stock(id, items).await;
}

/// The user's balance, read through `quickcart user export`.
async fn balance(app: &App, user: i64) -> i64 {
    let out = app.cli(&["user", "export", &user.to_string()]);
    // The exit status too: a CLI that dies of a signal says nothing on stderr.
    assert!(out.status.success(), "user export ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["user"]["balance"].as_i64().unwrap_or_else(|| panic!("no balance in {v:#}"))
}

/// The order id behind an invoice (from its `[Batalkan]` button: `oc:<id>`).
fn order_id(inv: &Invoice) -> i64 {
    let data = inv
        .message
        .inline_buttons
        .iter()
        .flatten()
        .find_map(|b| b.callback_data.clone().filter(|d| d.starts_with("oc:")))
        .expect("invoice has a cancel button");
    data.trim_start_matches("oc:").parse().unwrap()
}

async fn settle_and_check(app: &App) -> Value {
    let s = wait_stats(app, "the outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_invariants(&s);
    assert_db_check(app).await;
    s
}

// ------------------------------------------------------------------ 1. refunds of deposits

/// Defect 1: the refund request button forged for the customer's own paid deposit is refused
/// where it is made, and a claim for a deposit that reached the database anyway is refused inside
/// the approving transaction: a deposit never turns into more balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_refund_of_a_deposit_credits_nothing() {
    let mut app = App::start().await;
    let u = 9001;
    app.onboard(u).await;
    let inv = deposit(&mut app, u, "100000").await;
    assert_eq!(balance(&app, u).await, 100_000);
    let id = order_id(&inv);

    // The deposit's own admin notice goes out after the customer's credit (deliveries first):
    // it must not be taken for an answer to the forged button below.
    wait_msg(&app, ADMIN, &["Deposit masuk", &inv.id]).await;

    // The customer forges `[Ajukan Refund]` for the deposit.
    let before = app.calls_len();
    app.press_data(u, inv.message.message_id, &format!("rr:{id}"));
    assert!(app.wait_answer(u).await.contains("tidak ditemukan"), "{}", app.transcript(u));
    app.assert_silent(ADMIN, before).await;

    // A claim row for the deposit (as an older version could make): approving it credits nothing.
    let (path, key) = (app.data_dir().join("shop.db"), app.env["DATABASE_KEY"].clone());
    let claim: i64 = tokio::task::spawn_blocking(move || {
        let key = quickcart::config::DbKey::parse(&key).unwrap();
        let conn = quickcart::store::open_one(&path, &key).unwrap();
        conn.query_row(
            "INSERT INTO refund_claims (order_id, user_id, days_used, amount, created_at) VALUES (?1, ?2, 0, 80000, 0)
             RETURNING id",
            [id, u],
            |r| r.get(0),
        )
        .unwrap()
    })
    .await
    .unwrap();
    app.press_data(ADMIN, 1, &format!("ra:{claim}"));
    let answer = app.wait_answer(ADMIN).await;
    assert!(answer.contains("bukan untuk pesanan produk"), "{answer}");
    assert_eq!(balance(&app, u).await, 100_000, "no balance from a deposit refund");
    let s = settle_and_check(&app).await;
    assert_eq!(num(&s, "/ledger/refund"), 0, "{s:#}");
    app.finish().await;
}

/// The refund request notice says exactly what is refunded: a product order, its product and
/// quantity, what was paid and what goes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refund_notice_names_the_product_order() {
    let mut app = App::start().await;
    product(&mut app, 2, "30000", &["acc-1", "acc-2"]).await;
    let u = 9002;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 2, 0).await;
    pay(&app, &inv.id).await;
    wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    app.say(u, &format!("/refund {}", inv.id));
    app.wait_text(u, "Perhitungan Refund").await;
    app.press(u, "Ajukan Refund");
    let notice = wait_msg(&app, ADMIN, &[REFUND_NOTICE, &inv.id]).await;
    assert!(
        common::has_all(&notice.text, &["pesanan produk", "Produk 2 × 1", "Rp30.000", "Refund ke saldo"]),
        "{}",
        notice.text
    );
    app.finish().await;
}

// ------------------------------------------------------------------ 2. deliveries are never lost

/// Defect 2: a Telegram 5xx (then a reset connection, then an HTML answer) on the delivery is a
/// hiccup, retried until the goods arrive, never a refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_5xx_reset_and_nonsense_on_a_delivery_are_retried_until_it_arrives() {
    let mut app = App::start().await;
    product(&mut app, 3, "10000", &["key-1", "key-2"]).await;
    let u = 9003;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 3, 0).await;
    app.tg.fail_next_for("sendMessage", u, 1, Fault::ServerError(500));
    app.tg.fail_next_for("sendMessage", u, 1, Fault::Reset);
    app.tg.fail_next_for("sendMessage", u, 1, Fault::Nonsense);
    pay(&app, &inv.id).await;
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("key-1"), "{}", delivery.text);
    let s = settle_and_check(&app).await;
    assert_eq!(app.tg.faults_left(), 0);
    assert_eq!(deliveries(&app, u, &inv.id), 1);
    assert_eq!(num(&s, "/outbox/failed"), 0, "{s:#}");
    assert_eq!(num(&s, "/deliveries/sent"), 1, "{s:#}");
    app.finish().await;
}

/// Defect 2: a buyer who blocked the bot gets the delivery parked, not lost; the admins hear of it;
/// it goes out when the buyer talks to the bot again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_to_a_buyer_who_blocked_the_bot_is_parked_and_sent_when_they_return() {
    let mut app = App::start().await;
    product(&mut app, 4, "10000", &["vpn-1", "vpn-2"]).await;
    let u = 9004;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 4, 0).await;
    app.tg.block_chat(u);
    pay(&app, &inv.id).await;
    let notice = wait_msg(&app, ADMIN, &["Pengiriman menunggu pembeli", &inv.id]).await;
    assert!(notice.text.contains(&u.to_string()), "{}", notice.text);
    let s = wait_stats(&app, "the delivery parked", |s| num(s, "/deliveries/parked") == 1).await;
    assert_eq!(num(&s, "/deliveries/given_up"), 0, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;

    app.tg.unblock_chat(u);
    app.say(u, "/start");
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("vpn-1"), "{}", delivery.text);
    let s = settle_and_check(&app).await;
    assert_eq!(num(&s, "/deliveries/parked"), 0, "{s:#}");
    assert_eq!(deliveries(&app, u, &inv.id), 1);

    // History can show the goods again.
    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Riwayat Transaksi");
    app.wait_text(u, &inv.id).await;
    app.press(u, &format!("Kirim ulang {}", inv.id));
    assert!(app.wait_answer(u).await.contains("dikirim ulang"));
    wait_until("the goods again", SLOW, || deliveries(&app, u, &inv.id) == 2).await;
    // Nobody else can fetch them.
    let (_, data) = app.button(u, &format!("Kirim ulang {}", inv.id));
    app.onboard(9099).await;
    app.press_data(9099, 1, &data);
    assert!(app.wait_answer(9099).await.contains("tidak ditemukan"));
    settle_and_check(&app).await;
    app.finish().await;
}

/// Defect 2: a delivery Telegram refuses for its markup goes out as plain text; one too long for a
/// message as a `.txt` document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_refused_for_its_content_falls_back_to_a_form_telegram_accepts() {
    let mut app = App::start().await;
    product(&mut app, 5, "10000", &["<b>odd & item</b>", "plain-2"]).await;
    let u = 9005;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 5, 0).await;
    let since = app.calls_len();
    app.tg.fail_next_for(
        "sendMessage",
        u,
        1,
        Fault::BadRequest("Bad Request: can't parse entities: Unsupported start tag".into()),
    );
    pay(&app, &inv.id).await;
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("<b>odd & item</b>"), "the item as typed: {}", delivery.text);
    let plain = app
        .calls_since(since)
        .into_iter()
        .rev()
        .find(|c| c.method == "sendmessage" && common::chat_of(c) == Some(u) && c.outcome == 200)
        .unwrap();
    assert!(plain.params.get("parse_mode").is_none(), "sent without markup: {:?}", plain.params);
    let s = settle_and_check(&app).await;
    assert_eq!(num(&s, "/outbox/failed"), 0, "{s:#}");

    // Refused as text twice (markup, then "too long"): the goods arrive as a document.
    let inv = buy_qris(&mut app, u, 5, 0).await;
    app.tg.fail_next_for("sendMessage", u, 2, Fault::BadRequest("Bad Request: message is too long".into()));
    pay(&app, &inv.id).await;
    let doc = app
        .tg
        .wait_for(
            u,
            |m| {
                m.kind == MsgKind::Document
                    && m.file_bytes.as_ref().is_some_and(|b| String::from_utf8_lossy(b).contains("plain-2"))
            },
            SLOW,
        )
        .await;
    assert!(doc.is_some(), "the goods as a document:\n{}", app.transcript(u));
    settle_and_check(&app).await;
    app.finish().await;
}

/// Defect 2: a delivery that keeps failing is retried with backoff and the admins are told it is
/// stuck; it still arrives once Telegram recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_hear_of_a_stuck_delivery_and_it_still_arrives() {
    let mut app = App::start().await;
    product(&mut app, 6, "10000", &["slow-1"]).await;
    let u = 9006;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 6, 0).await;
    app.tg.fail_next_for("sendMessage", u, 1, Fault::ServerError(502));
    app.tg.fail_next_for("sendMessage", u, 4, Fault::Reset);
    pay(&app, &inv.id).await;
    let notice = wait_msg(&app, ADMIN, &["Pengiriman tertunda", &inv.id]).await;
    assert!(notice.text.contains(&u.to_string()), "{}", notice.text);
    let s = stats(&app).await;
    assert_eq!(num(&s, "/deliveries/waiting"), 1, "still being retried: {s:#}");
    assert_invariants(&s);
    wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    settle_and_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 3. expiry with an unknown payment

/// Defect 3: the webhook is lost and Pakasir's status call fails when the invoice expires. The
/// order is not closed while the payment is unknown; once Pakasir answers, the goods go out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_webhook_and_a_status_outage_at_expiry_do_not_lose_the_payment() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "4".into());
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    product(&mut app, 7, "10000", &["exp-1", "exp-2"]).await;
    let u = 9007;
    app.onboard(u).await;
    // Every status call fails for a while (from before the invoice exists: the poller asks about
    // a new order at once, and a "pending" it got before the outage would stand in for the
    // expiry's own check); the customer pays; the webhook never comes.
    app.pakasir.fail_next(PakasirRoute::Status, 6, PakasirFault::ServerError(500));
    let inv = buy_qris(&mut app, u, 7, 0).await;
    app.pakasir.complete(&inv.id).unwrap();
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("exp-1"), "{}", delivery.text);
    let s = settle_and_check(&app).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(num(&s, "/orders/expired"), 0, "never closed while unknown: {s:#}");
    app.finish().await;
}

/// Defect 3: a QR stays payable after our expiry when Pakasir's cancel fails or does not exist.
/// Reconciliation keeps asking about closed orders and credits the payment that shows up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_after_expiry_without_webhook_is_found_and_credited() {
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), "3".into());
        env.insert("PAKASIR_POLL_SECONDS".into(), "3600".into());
    })
    .await;
    product(&mut app, 8, "20000", &["late-1"]).await;
    let u = 9008;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 8, 0).await;
    // Cancel is not there (404), as some Pakasir versions answer.
    app.pakasir.fail_next(PakasirRoute::Cancel, 1, PakasirFault::Json(404, json!({"message": "not found"})));
    wait_msg(&app, u, &[EXPIRED, &inv.id]).await;
    wait_stats(&app, "the cancel attempt", |_| pakasir_calls(&app, PakasirRoute::Cancel, &inv.txn.txn_id) >= 1).await;
    // Paid at Pakasir after our expiry; the webhook is lost.
    app.pakasir.complete(&inv.id).unwrap();
    let credited = wait_msg(&app, u, &["ditambahkan ke saldo", &inv.id]).await;
    assert!(credited.text.contains("Rp20.000"), "{}", credited.text);
    assert_eq!(balance(&app, u).await, 20_000);
    let s = settle_and_check(&app).await;
    assert_eq!(num(&s, "/ledger/late_payment"), 20_000, "{s:#}");
    // Nothing is credited twice, however often reconciliation looks again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(balance(&app, u).await, 20_000);
    app.finish().await;
}

// ------------------------------------------------------------------ 4, 12d. review holds deposits

/// Defect 4 and 12d: a held deposit is credited only when an admin presses `[Setujui]`;
/// `[Tolak]` leaves it uncredited, tells the customer to contact the shop and the admin what to
/// return by hand. The largest deposit the shop offers (Rp10.000.000) can be made: held, not
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_deposit_is_credited_only_after_an_admin_approves() {
    let mut app = App::start().await;
    let u = 9009;
    app.onboard(u).await;
    let inv = deposit_invoice(&mut app, u, "2000000").await;
    pay(&app, &inv.id).await;
    wait_msg(&app, u, &["ditinjau", &inv.id]).await;
    wait_msg(&app, ADMIN, &[DEPOSIT_REVIEW, &inv.id]).await;
    assert_eq!(balance(&app, u).await, 0, "nothing to spend before an admin decides");
    let (mid, reject) = button_on(&app, ADMIN, DEPOSIT_REVIEW, "Tolak");
    app.press_data(ADMIN, mid, &reject);
    let told = app.wait_text(ADMIN, "secara manual").await;
    assert!(told.text.contains("Rp2.000.000"), "{}", told.text);
    wait_msg(&app, u, &["hubungi toko", &inv.id]).await;
    assert_eq!(balance(&app, u).await, 0);
    settle_and_check(&app).await;

    let inv = deposit_invoice(&mut app, u, "10.000.000").await;
    pay(&app, &inv.id).await;
    wait_msg(&app, u, &["ditinjau", &inv.id]).await;
    wait_msg(&app, ADMIN, &[DEPOSIT_REVIEW, &inv.id]).await;
    assert_eq!(balance(&app, u).await, 0);
    let (mid, approve) = button_on(&app, ADMIN, DEPOSIT_REVIEW, "Setujui");
    app.press_data(ADMIN, mid, &approve);
    app.wait_text(ADMIN, "Deposit disetujui").await;
    wait_msg(&app, u, &[DEPOSIT_DONE, &inv.id]).await;
    assert_eq!(balance(&app, u).await, 10_000_000);
    let audit = cli_ok(&app, &["audit", "tail", "--action", "deposit_review_approved"]).await;
    assert!(audit.contains(&format!("admin:{ADMIN}")), "{audit}");
    settle_and_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 5. SALDO debits what was confirmed

/// Defect 5: the confirmation showed Rp15.000 (50 % off); an admin removed the discount; the
/// `[Konfirmasi]` press shows the new total and debits nothing until confirmed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saldo_never_debits_another_amount_than_the_one_confirmed() {
    let mut app = App::start().await;
    product(&mut app, 10, "30000", &["nf-1", "nf-2"]).await;
    let u = 9010;
    app.onboard(u).await;
    app.admin(&format!("/transfer {u}|50000"), "Saldo").await;
    app.admin("/disc 10|50%", "Diskon produk 10").await;
    to_summary(&mut app, u, 10, 0).await;
    app.press(u, "SALDO");
    let confirm = app.wait_text(u, "Bayar dengan SALDO").await;
    assert!(confirm.text.contains("Rp15.000"), "{}", confirm.text);
    app.admin("/disc 10|0", "Diskon produk 10").await;
    app.press(u, "Konfirmasi");
    let changed = app.wait_text(u, "Harga berubah").await;
    assert!(common::has_all(&changed.text, &["Rp15.000", "Rp30.000"]), "{}", changed.text);
    assert_eq!(balance(&app, u).await, 50_000, "nothing debited");
    app.press(u, "Konfirmasi");
    wait_msg(&app, u, &[DELIVERED]).await;
    assert_eq!(balance(&app, u).await, 20_000);
    settle_and_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 6. review decisions complete

/// Defect 6: `[Tolak]` on a held order completes even when the same item content was added to
/// stock again meanwhile; a refund approved for a held order returns its items to stock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_and_refund_decisions_on_held_orders_always_complete() {
    let mut app = App::start().await;
    product(&mut app, 11, "600000", &["dup-item"]).await;
    let u = 9011;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 11, 0).await;
    pay(&app, &inv.id).await;
    wait_msg(&app, ADMIN, &[REVIEW_NOTICE, &inv.id]).await;
    app.add_stock(11, &["dup-item"]).await;
    let (mid, reject) = button_on(&app, ADMIN, REVIEW_NOTICE, "Tolak");
    app.press_data(ADMIN, mid, &reject);
    app.wait_text(ADMIN, "ditolak").await;
    wait_msg(&app, u, &["dikembalikan ke saldo", &inv.id]).await;
    assert_eq!(balance(&app, u).await, 600_000);
    let s = settle_and_check(&app).await;
    assert_eq!(num(&s, "/stock/available"), 1, "one live copy: {s:#}");

    // Another held order, refunded through `/refund`: the whole amount, the item back on sale.
    product(&mut app, 12, "700000", &["held-1"]).await;
    let u2 = 9012;
    app.onboard(u2).await;
    let inv = buy_qris(&mut app, u2, 12, 0).await;
    pay(&app, &inv.id).await;
    wait_msg(&app, ADMIN, &[REVIEW_NOTICE, &inv.id]).await;
    app.say(u2, &format!("/refund {}", inv.id));
    let quote = app.wait_text(u2, "Perhitungan Refund").await;
    assert!(quote.text.contains("Rp700.000"), "never delivered: all of it back\n{}", quote.text);
    app.press(u2, "Ajukan Refund");
    wait_msg(&app, ADMIN, &[REFUND_NOTICE, &inv.id]).await;
    let (mid, approve) = button_on(&app, ADMIN, REFUND_NOTICE, "Setujui");
    app.press_data(ADMIN, mid, &approve);
    // "Refund … disetujui": the quote above also names the invoice.
    wait_msg(&app, u2, &["Refund", &inv.id, "disetujui"]).await;
    assert_eq!(balance(&app, u2).await, 700_000);
    let s = settle_and_check(&app).await;
    assert_eq!(num(&s, "/stock/available"), 2, "held-1 is on sale again: {s:#}");
    assert_eq!(num(&s, "/stock/sold"), 0, "{s:#}");
    app.finish().await;
}

// ------------------------------------------------------------------ 9. audited or not at all

/// Holds a write lock on audit.db until `release` is sent (at most a minute): the audit log
/// cannot be written meanwhile.
async fn lock_audit(app: &App) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
    let (path, key) = (app.data_dir().join("audit.db"), app.env["DATABASE_KEY"].clone());
    let (locked_tx, locked) = tokio::sync::oneshot::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let handle = tokio::task::spawn_blocking(move || {
        let key = quickcart::config::DbKey::parse(&key).unwrap();
        let conn = quickcart::store::open_one(&path, &key).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(Duration::from_secs(60));
        conn.execute_batch("COMMIT").unwrap();
    });
    locked.await.unwrap();
    (release, handle)
}

/// Defect 9 (SPEC §8): when audit.db cannot be written, a SALDO purchase and a refund approval
/// do not happen; once it can, they do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_money_moves_while_the_audit_log_cannot_be_written() {
    let mut app = App::start().await;
    product(&mut app, 13, "10000", &["au-1", "au-2", "au-3"]).await;
    let (buyer, claimant) = (9013, 9014);
    for u in [buyer, claimant] {
        app.onboard(u).await;
        app.admin(&format!("/transfer {u}|50000"), "Saldo").await;
    }
    // The claimant bought earlier and asks for a refund.
    to_summary(&mut app, claimant, 13, 0).await;
    app.press(claimant, "SALDO");
    app.wait_text(claimant, "Bayar dengan SALDO").await;
    app.press(claimant, "Konfirmasi");
    let delivered = wait_msg(&app, claimant, &[DELIVERED]).await;
    let invoice = invoice_in(&delivered.text).unwrap();
    app.say(claimant, &format!("/refund {invoice}"));
    app.wait_text(claimant, "Perhitungan Refund").await;
    app.press(claimant, "Ajukan Refund");
    wait_msg(&app, ADMIN, &[REFUND_NOTICE, &invoice]).await;
    // The buyer is one press away from paying.
    to_summary(&mut app, buyer, 13, 0).await;
    app.press(buyer, "SALDO");
    app.wait_text(buyer, "Bayar dengan SALDO").await;
    let before = stats(&app).await;

    // Locked until both attempts have waited out the 10 s busy timeout and failed.
    let (release, lock) = lock_audit(&app).await;
    app.press(buyer, "Konfirmasi");
    let (mid, approve) = button_on(&app, ADMIN, REFUND_NOTICE, "Setujui");
    app.press_data(ADMIN, mid, &approve);
    wait_msg(&app, buyer, &[ERROR_TEXT]).await;
    wait_msg(&app, ADMIN, &[ERROR_TEXT]).await;
    release.send(()).unwrap();
    lock.await.unwrap();
    assert_eq!(balance(&app, buyer).await, 50_000, "no debit without its audit entry");
    assert_eq!(balance(&app, claimant).await, 40_000, "no refund without its audit entry");
    let after = stats(&app).await;
    assert_eq!(after["orders"], before["orders"], "no order happened");
    assert_eq!(after["ledger"], before["ledger"], "no ledger row happened");

    // Writable again: the refund goes through, audited.
    app.press_data(ADMIN, mid, &approve);
    // "Refund … disetujui": the quote the claimant got earlier also names the invoice.
    wait_msg(&app, claimant, &["Refund", &invoice, "disetujui"]).await;
    assert!(balance(&app, claimant).await > 40_000);
    let audit = cli_ok(&app, &["audit", "tail", "--action", "order_refunded"]).await;
    assert!(audit.contains(&format!("admin:{ADMIN}")), "{audit}");
    assert!(cli_ok(&app, &["audit", "verify"]).await.contains("ok"));
    settle_and_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 12e. admin buttons in groups

/// Defect 12: the review buttons sent to a whitelisted group work for admins there, and do
/// nothing (but an `rbac_deny`) for anyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_buttons_work_in_whitelisted_groups_for_admins_only() {
    let mut app = App::start().await;
    let group = -100_777;
    app.admin(&format!("/whitelist {group}"), "whitelist").await;
    product(&mut app, 14, "600000", &["grp-1"]).await;
    let u = 9015;
    app.onboard(u).await;
    let inv = buy_qris(&mut app, u, 14, 0).await;
    pay(&app, &inv.id).await;
    let notice = wait_msg(&app, group, &[REVIEW_NOTICE, &inv.id]).await;
    let (mid, approve) = button_on(&app, group, REVIEW_NOTICE, "Setujui");
    assert_eq!(mid, notice.message_id);

    app.tg.press_as(&FakeUser::new(4242), group, mid, &approve);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(deliveries(&app, u, &inv.id), 0, "a stranger decides nothing");

    app.tg.press_as(&FakeUser::new(ADMIN), group, mid, &approve);
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("grp-1"), "{}", delivery.text);
    let s = settle_and_check(&app).await;
    assert!(num(&s, "/security_events/rbac_deny") >= 1, "{s:#}");
    let audit = cli_ok(&app, &["audit", "tail", "--action", "order_review_approved"]).await;
    assert!(audit.contains(&format!("admin:{ADMIN}")), "{audit}");
    app.finish().await;
}

// ------------------------------------------------------------------ db check: money conservation

/// `quickcart db check` fails, naming the problem, on money that does not add up: here a credit
/// without a source (balance and ledger moved together, so balance = ledger still holds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_check_reports_a_credit_without_a_source() {
    let mut app = App::start().await;
    let u = 9020;
    app.onboard(u).await;
    assert_db_check(&app).await;
    app.stop().await;
    let (path, key) = (app.data_dir().join("shop.db"), app.env["DATABASE_KEY"].clone());
    let key = quickcart::config::DbKey::parse(&key).unwrap();
    let conn = quickcart::store::open_one(&path, &key).unwrap();
    conn.execute(
        "INSERT INTO ledger (user_id, kind, amount, balance_after, created_at) VALUES (?1, 'deposit', 50000, 50000, 0)",
        [u],
    )
    .unwrap();
    conn.execute("UPDATE users SET balance = 50000 WHERE id = ?1", [u]).unwrap();
    drop(conn);
    let out = app.cli(&["db", "check"]);
    let report = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "db check passed: {report}");
    assert!(report.contains("kredit deposit tanpa deposit lunas"), "{report}");
    let s = stats(&app).await;
    assert_eq!(num(&s, "/money_violations"), 1, "{s:#}");
    assert_eq!(num(&s, "/ledger_mismatches"), 0, "balance = ledger is not enough: {s:#}");
}
