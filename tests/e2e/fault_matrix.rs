//! The fault matrix (issue 12): every money flow, with each failure of each outside call injected
//! at each step — Telegram 5xx, 429, timeout, reset, nonsense, 403, 400; Pakasir 5xx, 429,
//! timeout, reset, malformed answers, cancel "already completed" or "not found". After each case
//! the shop settles and the money invariants must hold, checked by the binary itself (`db check`
//! with its money-conservation rules, `db stats`): nothing sold twice, every completed payment
//! delivered (or parked) or credited exactly once, balance = ledger, no credit without a source.

use std::collections::HashSet;
use std::time::Duration;

use crate::common::{App, ADMIN};
use crate::pay_support::*;
use quickcart::testkit::{Fault, PakasirFault, PakasirRoute};
use serde_json::{json, Value};

const PRODUCT: i64 = 1;
const PRICE: i64 = 10_000;

/// Telegram's ways to fail one call.
fn telegram_faults() -> Vec<(&'static str, Fault)> {
    vec![
        ("5xx", Fault::ServerError(500)),
        ("429", Fault::RetryAfter(1)),
        // The client gives up after TELEGRAM_TIMEOUT_SECONDS=3; Telegram acts on it anyway.
        ("timeout", Fault::Hang(Duration::from_secs(4))),
        ("reset", Fault::Reset),
        ("nonsense", Fault::Nonsense),
        ("403 blocked", Fault::Blocked),
        ("400 refused", Fault::BadRequest("Bad Request: can't parse entities: Unsupported start tag".into())),
    ]
}

/// Pakasir's ways to fail one call (after the client's own retries where it retries).
fn pakasir_faults() -> Vec<(&'static str, usize, PakasirFault)> {
    vec![
        ("5xx", 3, PakasirFault::ServerError(500)),
        ("429", 1, PakasirFault::Json(429, json!({"message": "rate limited"}))),
        // One try times out (the client waits at most 6 s), the retry goes through.
        ("timeout", 1, PakasirFault::Delay(Duration::from_secs(11))),
        ("reset", 3, PakasirFault::Reset),
        ("malformed", 1, PakasirFault::Garbage),
        ("wrong shape", 1, PakasirFault::Json(200, json!({"unexpected": true}))),
    ]
}

async fn start() -> App {
    start_expiring_after(8).await
}

async fn start_expiring_after(seconds: u32) -> App {
    let mut app = App::start_with(|env| {
        env.insert("TELEGRAM_TIMEOUT_SECONDS".into(), "3".into());
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), seconds.to_string());
        env.insert("PAKASIR_POLL_SECONDS".into(), "4".into());
    })
    .await;
    app.add_product(&PRODUCT.to_string(), "Produk Uji", "Digital", &PRICE.to_string()).await;
    let items: Vec<String> = (1..=60).map(|k| format!("mx-{k}")).collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    app.add_stock(PRODUCT, &refs).await;
    app
}

/// Posts the genuine webhook until the shop takes it, as Pakasir retries: in these tests it can
/// arrive in the milliseconds between Pakasir creating the transaction and the shop storing it.
async fn pay_retried(app: &App, invoice: &str) {
    app.pakasir.complete(invoice).unwrap();
    let deadline = std::time::Instant::now() + SLOW;
    loop {
        let (code, body) = hook(app, genuine(app, invoice)).await;
        if code == 200 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "webhook for {invoice}: {code} {body}\n{}", app.stderr());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The transactions the fake Pakasir made for invoices not in `seen`.
fn new_txns(app: &App, seen: &HashSet<String>) -> Vec<quickcart::testkit::Txn> {
    app.pakasir.txns().into_iter().filter(|t| !seen.contains(&t.order_id)).collect()
}

fn all_invoices(app: &App) -> HashSet<String> {
    app.pakasir.txns().into_iter().map(|t| t.order_id).collect()
}

/// Lets the shop settle after a case: the people talk to the bot again (what was parked for them
/// goes out), every scripted fault is used up, the outbox drains, no order waits; then the
/// invariants, through the binary.
async fn settle(app: &mut App, case: &str, users: &[i64]) -> Value {
    // Reconciliation asks about a closed order at most every 12 s: a fault it is to meet can
    // take a few rounds.
    // A Pakasir fault may sit on a path the case did not take (the poller saw the payment before
    // the cancel that was to meet it): it is dropped after a while, not carried to the next case.
    let deadline = std::time::Instant::now() + SLOW;
    while app.tg.faults_left() + app.pakasir.faults_left() > 0 {
        if std::time::Instant::now() >= deadline {
            assert_eq!(app.tg.faults_left(), 0, "{case}: a Telegram fault never met; stderr:\n{}", app.stderr());
            app.pakasir.clear_faults();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = settle_talking(app, &format!("{case}: settled"), users).await;
    assert_invariants(&s);
    assert_db_check(app).await;
    s
}

/// Every completed transaction of the case gets delivered to its buyer (at least once: a
/// timed-out send may have reached Telegram) or credited, and not more than that. Waits for it:
/// a cancel retried in a few seconds, or reconciliation, may be what finds the payment.
async fn assert_paid_delivered(app: &App, case: &str, user: i64, invoices: &[String]) {
    for inv in invoices {
        let count = || {
            let delivered = deliveries(app, user, inv);
            let credited = messages_with(app, user, &["ditambahkan ke saldo", inv]).len()
                + messages_with(app, user, &[DEPOSIT_DONE, inv]).len();
            (delivered, credited)
        };
        let deadline = std::time::Instant::now() + SLOW;
        while count().0 + count().1 == 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (delivered, credited) = count();
        assert!(delivered + credited >= 1, "{case}: {inv} neither delivered nor credited:\n{}", app.transcript(user));
        assert!(delivered <= 2 && credited <= 1, "{case}: {inv} delivered {delivered}×, credited {credited}×");
        assert!(delivered == 0 || credited == 0, "{case}: {inv} delivered and credited");
    }
    let s = stats(app).await;
    assert_invariants(&s);
}

// ------------------------------------------------------------------ QRIS purchase × Telegram

/// The steps of a QRIS purchase where a Telegram call can fail: the invoice photo, the summary
/// edit, the QR removal, the delivery, the admin notice.
const QRIS_STEPS: [(&str, &str, bool); 5] = [
    ("invoice photo", "sendPhoto", false),
    ("summary edit", "editMessageText", false),
    ("QR removal", "deleteMessage", false),
    ("delivery", "sendMessage", false),
    ("admin notice", "sendMessage", true),
];

/// A QRIS purchase with one Telegram call failing at each of `steps` (users from `first_user`).
async fn qris_purchase_survives_every_telegram_fault_at(steps: &[(&str, &str, bool)], first_user: i64) {
    let mut app = start().await;
    let mut user = first_user;
    for &(step, method, to_admin) in steps {
        for (what, fault) in telegram_faults() {
            user += 1;
            let case = format!("QRIS, {step}: {what}");
            app.onboard(user).await;
            to_summary(&mut app, user, PRODUCT, 0).await;
            let seen = all_invoices(&app);
            app.tg.fail_next_for(method, if to_admin { ADMIN } else { user }, 1, fault);
            app.press(user, "QRIS");
            wait_until(&format!("{case}: transaction"), SLOW, || !new_txns(&app, &seen).is_empty()).await;
            let invoices: Vec<String> = new_txns(&app, &seen).into_iter().map(|t| t.order_id).collect();
            for inv in &invoices {
                pay_retried(&app, inv).await;
            }
            settle(&mut app, &case, &[user]).await;
            assert_paid_delivered(&app, &case, user, &invoices).await;
        }
    }
    app.finish().await;
}

// ------------------------------------------------------------------ SALDO purchase × Telegram

async fn saldo_purchase_survives_every_telegram_fault_at_every_step() {
    let mut app = start().await;
    let steps: [(&str, &str, bool); 3] = [
        ("summary edit", "editMessageText", false),
        ("delivery", "sendMessage", false),
        ("admin notice", "sendMessage", true),
    ];
    let mut user = 21_000;
    for (step, method, to_admin) in steps {
        for (what, fault) in telegram_faults() {
            user += 1;
            let case = format!("SALDO, {step}: {what}");
            app.onboard(user).await;
            app.admin(&format!("/transfer {user}|{PRICE}"), "Saldo").await;
            to_summary(&mut app, user, PRODUCT, 0).await;
            app.press(user, "SALDO");
            app.wait_text(user, "Bayar dengan SALDO").await;
            app.tg.fail_next_for(method, if to_admin { ADMIN } else { user }, 1, fault);
            app.press(user, "Konfirmasi");
            let s = settle(&mut app, &case, &[user]).await;
            assert_eq!(num(&s, "/ledger/purchase"), -PRICE * (user - 21_000), "{case}: {s:#}");
            wait_msg(&app, user, &[DELIVERED]).await;
        }
    }
    app.finish().await;
}

// ------------------------------------------------------------------ deposits × Pakasir and Telegram

/// A deposit with Pakasir failing on create, on the status check behind the webhook, and Telegram
/// failing on the "deposit done" message: credited exactly once, or not at all when no invoice
/// could be made (the customer was told to try again).
async fn deposit_survives_pakasir_and_telegram_faults() {
    let mut app = start().await;
    app.pakasir.set_status_interval(Duration::ZERO);
    let mut user = 22_000;
    for (what, n, fault) in pakasir_faults() {
        // On create: either the invoice comes (after retries) or "coba lagi", nothing pending.
        user += 1;
        let case = format!("deposit, create: {what}");
        app.onboard(user).await;
        let seen = all_invoices(&app);
        app.pakasir.fail_next(PakasirRoute::Create, n, fault.clone());
        app.say(user, "AKUN");
        app.wait_text(user, "Akun Saya").await;
        app.press(user, "Deposit");
        app.wait_text(user, "Ketik jumlah deposit").await;
        app.say(user, "25000");
        let mark = app.last_mark(user);
        let outcome = app
            .tg
            .wait_for(user, |m| mark.is_new(m) && (m.text.contains(INVOICE_TITLE) || m.text.contains(TRY_AGAIN)), SLOW)
            .await;
        assert!(outcome.is_some(), "{case}: neither invoice nor 'coba lagi':\n{}", app.transcript(user));
        let invoices: Vec<String> = new_txns(&app, &seen)
            .into_iter()
            .filter(|t| messages_with(&app, user, &[INVOICE_TITLE, &t.order_id]).len() == 1)
            .map(|t| t.order_id)
            .collect();
        for inv in &invoices {
            pay(&app, inv).await;
        }
        settle(&mut app, &case, &[user]).await;
        assert_paid_delivered(&app, &case, user, &invoices).await;

        // On the status check behind the webhook: 503 until Pakasir answers, then credited once.
        user += 1;
        let case = format!("deposit, status: {what}");
        app.onboard(user).await;
        let inv = deposit_invoice(&mut app, user, "30000").await;
        app.pakasir.complete(&inv.id).unwrap();
        app.pakasir.fail_next(PakasirRoute::Status, n, fault.clone());
        let mut answers = Vec::new();
        for _ in 0..4 {
            let (code, _) = hook(&app, genuine(&app, &inv.id)).await;
            answers.push(code);
            if code == 200 {
                break;
            }
        }
        assert_eq!(answers.last(), Some(&200), "{case}: {answers:?}\n{}", app.stderr());
        assert!(answers.iter().all(|c| *c == 200 || *c == 503), "{case}: {answers:?}");
        // A replay after success changes nothing.
        assert_eq!(hook(&app, genuine(&app, &inv.id)).await.0, 200);
        settle(&mut app, &case, &[user]).await;
        assert_paid_delivered(&app, &case, user, std::slice::from_ref(&inv.id)).await;
    }
    for (what, fault) in telegram_faults() {
        user += 1;
        let case = format!("deposit, done message: {what}");
        app.onboard(user).await;
        let inv = deposit_invoice(&mut app, user, "20000").await;
        app.tg.fail_next_for("sendMessage", user, 1, fault);
        pay(&app, &inv.id).await;
        settle(&mut app, &case, &[user]).await;
        wait_msg(&app, user, &[DEPOSIT_DONE, &inv.id]).await;
    }
    // (A create slower than the invoice lifetime leaves an invoice that is already expired when
    // it is paid: credited as a late payment, which the invariants above accept.)
    assert_invariants(&stats(&app).await);
    app.finish().await;
}

// ------------------------------------------------------------------ cancel and expiry × Pakasir

/// `[Batalkan]` with Pakasir failing on the status check and on the cancel, including a payment
/// that completed just before (cancel answers "already completed") and a Pakasir without a cancel
/// endpoint (404): every completed payment ends delivered or credited.
async fn cancel_survives_pakasir_faults() {
    let mut app = start().await;
    let mut user = 23_000;
    let cancel_faults: Vec<(&str, usize, PakasirFault)> = vec![
        ("cancel 5xx", 3, PakasirFault::ServerError(502)),
        ("cancel reset", 3, PakasirFault::Reset),
        ("cancel malformed", 1, PakasirFault::Garbage),
        ("cancel not found", 1, PakasirFault::Json(404, json!({"message": "not found"}))),
    ];
    for paid_first in [false, true] {
        for (what, n, fault) in &cancel_faults {
            // The customer cancels; maybe they had just paid (the webhook is lost) and the status
            // check fails too, so only the cancel's refusal or reconciliation can tell.
            user += 1;
            let case = format!("cancel (paid first: {paid_first}), {what}");
            app.onboard(user).await;
            let inv = buy_qris(&mut app, user, PRODUCT, 0).await;
            if paid_first {
                app.pakasir.complete(&inv.id).unwrap();
                app.pakasir.fail_next(PakasirRoute::Status, 3, PakasirFault::ServerError(500));
            }
            app.pakasir.fail_next(PakasirRoute::Cancel, *n, fault.clone());
            app.press(user, "Batalkan");
            let answer = app.wait_answer(user).await;
            if paid_first && answer == quickcart::texts::ALREADY_PAID {
                // The poller saw the payment before the press: the order is paid, so no cancel
                // and no further status call for it will ever come. The faults scripted for them
                // cannot be met; drop them now instead of letting `settle` wait them out (SLOW).
                app.pakasir.clear_faults();
            }
            let s = settle(&mut app, &case, &[user]).await;
            if paid_first {
                // Delivered if the poller saw the payment before the press, else credited.
                assert_paid_delivered(&app, &case, user, std::slice::from_ref(&inv.id)).await;
            } else {
                assert_eq!(deliveries(&app, user, &inv.id), 0, "{case}");
            }
            assert_invariants(&s);
        }
    }
    // The cancel answers "already completed": the payment raced the cancel, and is credited.
    user += 1;
    app.onboard(user).await;
    let inv = buy_qris(&mut app, user, PRODUCT, 0).await;
    app.pakasir.complete(&inv.id).unwrap();
    app.pakasir.fail_next(PakasirRoute::Status, 3, PakasirFault::ServerError(500));
    app.press(user, "Batalkan");
    settle(&mut app, "cancel: already completed", &[user]).await;
    assert_paid_delivered(&app, "cancel: already completed", user, std::slice::from_ref(&inv.id)).await;

    // The cancel answers 200 but changed nothing (found by the soak): the QR is still payable,
    // and a payment made after it (webhook lost) is found by reconciliation and credited.
    user += 1;
    let case = "cancel: 200 that changed nothing";
    app.onboard(user).await;
    let inv = buy_qris(&mut app, user, PRODUCT, 0).await;
    app.pakasir.fail_next(PakasirRoute::Cancel, 1, PakasirFault::Json(200, json!({"message": "ok"})));
    app.press(user, "Batalkan");
    app.wait_answer(user).await;
    wait_until(&format!("{case}: the cancel call"), SLOW, || app.pakasir.faults_left() == 0).await;
    assert!(app.pakasir.pay_if_pending(&inv.id).is_some(), "{case}: still payable at Pakasir");
    settle(&mut app, case, &[user]).await;
    assert_paid_delivered(&app, case, user, std::slice::from_ref(&inv.id)).await;
    app.finish().await;
}

/// The expiry timer meets a failing status check: the order waits (it is never closed while the
/// payment is unknown); a payment made meanwhile is delivered.
async fn expiry_survives_pakasir_faults(faults: &[(&str, usize, PakasirFault)], first_user: i64) {
    let mut app = start_expiring_after(5).await;
    let mut user = first_user;

    for (what, n, fault) in faults.iter().cloned() {
        for paid in [false, true] {
            user += 1;
            let case = format!("expiry (paid: {paid}), status {what}");
            app.onboard(user).await;
            let inv = buy_qris(&mut app, user, PRODUCT, 0).await;
            app.pakasir.fail_next(PakasirRoute::Status, n, fault.clone());
            if paid {
                app.pakasir.complete(&inv.id).unwrap();
            }
            let s = settle(&mut app, &case, &[user]).await;
            if paid {
                assert_paid_delivered(&app, &case, user, std::slice::from_ref(&inv.id)).await;
            } else {
                assert_eq!(deliveries(&app, user, &inv.id), 0, "{case}");
                wait_msg(&app, user, &[EXPIRED, &inv.id]).await;
            }
            assert_invariants(&s);
        }
    }
    let s = stats(&app).await;
    assert_eq!(num(&s, "/ledger_sum"), num(&s, "/ledger/late_payment"), "only late payments credited: {s:#}");
    app.finish().await;
}

// ------------------------------------------------------------------ refunds and reviews × Telegram

/// Refund decisions and review decisions with Telegram failing on the messages they send: the
/// balance is credited exactly once, the goods of an approved review arrive.
async fn refund_and_review_decisions_survive_telegram_faults() {
    let mut app = start().await;
    app.add_product("2", "Produk Besar", "Digital", "600000").await;
    let big: Vec<String> = (1..=20).map(|k| format!("big-{k}")).collect();
    let refs: Vec<&str> = big.iter().map(String::as_str).collect();
    app.add_stock(2, &refs).await;
    let mut user = 24_000;
    let mut refunded = 0;
    for (what, fault) in telegram_faults() {
        // Refund approved while the message to the customer fails.
        user += 1;
        let case = format!("refund decision: {what}");
        app.onboard(user).await;
        let inv = buy_qris(&mut app, user, PRODUCT, 0).await;
        pay(&app, &inv.id).await;
        wait_msg(&app, user, &[DELIVERED, &inv.id]).await;
        app.say(user, &format!("/refund {}", inv.id));
        app.wait_text(user, "Perhitungan Refund").await;
        app.press(user, "Ajukan Refund");
        let notice = wait_msg(&app, ADMIN, &["Permintaan refund", &inv.id]).await;
        // The customer's "request sent" comes after the admins' notice: wait for it, or the fault
        // below meets it instead of the decision's message (and `settle` does not wait for the
        // decision).
        app.wait_text(user, "Permintaan refund dikirim").await;
        let data = notice
            .inline_buttons
            .iter()
            .flatten()
            .find(|b| b.text == "Setujui")
            .and_then(|b| b.callback_data.clone())
            .unwrap();
        app.tg.fail_next_for("sendMessage", user, 1, fault.clone());
        app.press_data(ADMIN, notice.message_id, &data);
        // Pressed twice (a double tap, or a second admin): decided once.
        app.press_data(ADMIN, notice.message_id, &data);
        let s = settle(&mut app, &case, &[user]).await;
        refunded += 8_000;
        assert_eq!(num(&s, "/ledger/refund"), refunded, "{case}: {s:#}");

        // A held order approved while the delivery fails.
        user += 1;
        let case = format!("review decision: {what}");
        app.onboard(user).await;
        let inv = buy_qris(&mut app, user, 2, 0).await;
        pay(&app, &inv.id).await;
        let review = wait_msg(&app, ADMIN, &["Pesanan perlu ditinjau", &inv.id]).await;
        let data = review
            .inline_buttons
            .iter()
            .flatten()
            .find(|b| b.text == "Setujui")
            .and_then(|b| b.callback_data.clone())
            .unwrap();
        app.tg.fail_next_for("sendMessage", user, 1, fault);
        app.press_data(ADMIN, review.message_id, &data);
        settle(&mut app, &case, &[user]).await;
        assert_paid_delivered(&app, &case, user, std::slice::from_ref(&inv.id)).await;
    }
    app.finish().await;
}

// ------------------------------------------------------------------ broadcast × Telegram

/// A broadcast meeting every Telegram fault on some recipients: everyone reachable gets it
/// exactly once (a timed-out send may reach Telegram: at most twice), the blocked are skipped.
async fn broadcast_survives_every_telegram_fault() {
    let mut app = start().await;
    let users: Vec<i64> = (25_001..=25_014).collect();
    for u in &users {
        app.onboard(*u).await;
    }
    for ((_, fault), u) in telegram_faults().into_iter().zip(users.iter().step_by(2)) {
        app.tg.fail_next_for("sendMessage", *u, 1, fault);
    }
    app.say(ADMIN, "/broadcast Promo akhir pekan");
    app.wait_text(ADMIN, "Broadcast dimulai").await;
    wait_until("every scripted fault met", SLOW, || app.tg.faults_left() == 0).await;
    // Only the recipient answered 403 and the one refused for its content may miss it.
    let missing = || users.iter().filter(|u| messages_with(&app, **u, &["Promo akhir pekan"]).is_empty()).count();
    wait_until("the broadcast reached everyone reachable", SLOW, || missing() <= 2).await;
    wait_stats(&app, "broadcast done", |s| num(s, "/outbox/pending") == 0).await;
    for u in &users {
        let got = messages_with(&app, *u, &["Promo akhir pekan"]).len();
        assert!(got <= 2, "{u} got the broadcast {got} times");
    }
    let s = stats(&app).await;
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

/// The flows above, each on its own shop, all at once: they wait on timers and retries far more
/// than they use the CPU, so together they take about as long as the longest one. The two longest
/// (every invoice waits out its expiry; every Telegram 5xx costs teloxide's 10 s pause) are split
/// over two shops each, so that no flow is much longer than the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_money_flow_survives_every_fault() {
    let (qris_a, qris_b) = QRIS_STEPS.split_at(3);
    let expiry = pakasir_faults();
    let (expiry_a, expiry_b) = expiry.split_at(expiry.len() / 2);
    tokio::join!(
        qris_purchase_survives_every_telegram_fault_at(qris_a, 20_000),
        qris_purchase_survives_every_telegram_fault_at(qris_b, 20_500),
        saldo_purchase_survives_every_telegram_fault_at_every_step(),
        deposit_survives_pakasir_and_telegram_faults(),
        cancel_survives_pakasir_faults(),
        expiry_survives_pakasir_faults(expiry_a, 23_500),
        expiry_survives_pakasir_faults(expiry_b, 23_700),
        refund_and_review_decisions_survive_telegram_faults(),
        broadcast_survives_every_telegram_fault(),
    );
}
