//! Voucher links end to end (issue 18 point 4): `https://t.me/<bot>?start=v_CODE` opens the bot
//! with `/start v_CODE`; the code is kept for the customer's next checkout (through onboarding
//! for a new customer), applied there once with every voucher rule, and giveaways carry the link.
//! Unknown codes are refused clearly; malformed payloads are a plain `/start`.

use crate::common::{flat_labels, App, ADMIN};
use crate::pay_support::{assert_db_check, pay, stats, to_summary, wait_invoice, wait_msg, DELIVERED};

const SAVED: &str = "otomatis dipakai pada checkout Anda berikutnya";
const UNKNOWN: &str = "tidak dikenal atau sudah habis dipakai";
const WELCOME: &str = "Selamat datang";

/// `/giveaway amount|count` as the admin; returns the codes the admin got.
async fn giveaway(app: &mut App, amount: i64, count: usize) -> Vec<String> {
    let m = app.admin(&format!("/giveaway {amount}|{count}"), "dibuat").await;
    let codes: Vec<String> = m
        .text
        .lines()
        .map(str::trim)
        .filter(|l| l.len() == 8 && l.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), count, "codes in the admin's message: {}", m.text);
    codes
}

fn has_voucher_button(m: &quickcart::testkit::BotMessage) -> bool {
    flat_labels(m).iter().any(|l| l == "Gunakan Voucher")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voucher_link_is_kept_for_the_next_checkout_and_applied_once() {
    let mut app = App::start().await;
    let (a, fresh, other) = (7_801, 7_802, 7_803);
    app.add_product("1", "Netflix", "Streaming", "30000").await;
    app.add_stock(1, &["nf-1", "nf-2", "nf-3", "nf-4"]).await;
    for u in [a, other] {
        app.onboard(u).await;
    }

    // The giveaway announcement carries each code's link to this bot.
    let codes = giveaway(&mut app, 10_000, 2).await;
    let announced = wait_msg(&app, a, &["GIVEAWAY"]).await;
    let bot = app.tg.bot_username();
    for c in &codes {
        let link = format!("https://t.me/{bot}?start=v_{c}");
        assert!(announced.raw_text.contains(&link), "no link {link} in: {}", announced.raw_text);
    }
    assert!(announced.raw_text.contains("?start=v_"), "{}", announced.raw_text);
    wait_msg(&app, ADMIN, &["Broadcast selesai"]).await;

    // An existing customer opens the link: told it is kept; the next summary has it applied.
    let code = codes[0].clone();
    app.say(a, &format!("/start v_{code}"));
    let m = app.wait_text(a, SAVED).await;
    assert!(m.text.contains(&code), "{}", m.text);
    let summary = to_summary(&mut app, a, 1, 0).await;
    assert!(summary.text.contains("Diskon voucher: Rp10.000"), "{}", summary.text);
    assert!(summary.text.contains("Total: Rp20.000"), "{}", summary.text);
    assert!(summary.text.contains(&format!("Voucher: {code}")), "{}", summary.text);
    assert!(!has_voucher_button(&summary), "the voucher is already applied: {:?}", flat_labels(&summary));
    // Leaving that checkout keeps the code for the next one.
    app.press(a, "Batalkan");
    let summary = to_summary(&mut app, a, 1, 0).await;
    assert!(summary.text.contains(&format!("Voucher: {code}")), "kept after a cancel: {}", summary.text);
    app.press(a, "QRIS");
    let invoice = wait_invoice(&app, a).await;
    assert_eq!(invoice.txn.amount, 20_000, "Pakasir is asked for the discounted total");
    pay(&app, &invoice.id).await;
    wait_msg(&app, a, &[DELIVERED]).await;

    // Applied once: the next checkout has no voucher.
    let again = to_summary(&mut app, a, 1, 0).await;
    assert!(
        !again.text.contains("Diskon voucher: Rp10.000") && again.text.contains("Total: Rp30.000"),
        "{}",
        again.text
    );
    assert!(has_voucher_button(&again), "{:?}", flat_labels(&again));
    app.press(a, "Batalkan");

    // The used code opened again: refused, with the reason.
    app.say(a, &format!("/start v_{code}"));
    app.wait_text(a, UNKNOWN).await;

    // A new customer through the link: onboarding first, the code kept through it.
    let second = codes[1].clone();
    app.say(fresh, &format!("/start v_{second}"));
    app.wait_text(fresh, "Siapa nama Anda").await;
    assert!(
        app.tg.all_messages(fresh).iter().any(|m| m.text.contains(SAVED) && m.text.contains(&second)),
        "{}",
        app.transcript(fresh)
    );
    app.say(fresh, "/skip");
    app.wait_text(fresh, "Nomor WhatsApp").await;
    app.say(fresh, "/skip");
    app.wait_text(fresh, "Alamat email").await;
    app.say(fresh, "/skip");
    app.wait_text(fresh, WELCOME).await;
    let summary = to_summary(&mut app, fresh, 1, 0).await;
    assert!(summary.text.contains("Diskon voucher: Rp10.000"), "{}", summary.text);
    assert!(summary.text.contains(&format!("Voucher: {second}")), "{}", summary.text);
    app.press(fresh, "QRIS");
    let invoice = wait_invoice(&app, fresh).await;
    assert_eq!(invoice.txn.amount, 20_000);
    pay(&app, &invoice.id).await;
    wait_msg(&app, fresh, &[DELIVERED]).await;

    // An unknown code: a clear refusal, and nothing applied at checkout.
    app.say(other, "/start v_ZZZZ9999");
    let m = app.wait_text(other, UNKNOWN).await;
    assert!(m.text.contains("ZZZZ9999"), "{}", m.text);
    let summary = to_summary(&mut app, other, 1, 0).await;
    assert!(
        !summary.text.contains("Diskon voucher: Rp10.000") && summary.text.contains("Total: Rp30.000"),
        "{}",
        summary.text
    );
    assert!(has_voucher_button(&summary));
    app.press(other, "Batalkan");

    // Malformed payloads: a plain /start (the menu), no word about vouchers, nothing kept.
    for payload in ["v_zzzz9999", "v_ZZZZ99999", "v_ZZ<b>99", "x_ZZZZ9999", "v_", "v_ZZZZ 9999"] {
        app.say(other, &format!("/start {payload}"));
        app.wait_text(other, WELCOME).await;
        let mark = app.last_mark(other);
        let said: Vec<String> = app
            .tg
            .all_messages(other)
            .into_iter()
            .filter(|m| mark.is_new(m) && m.text.to_lowercase().contains("voucher"))
            .map(|m| m.text)
            .collect();
        assert!(said.is_empty(), "{payload}: {said:?}");
    }
    let summary = to_summary(&mut app, other, 1, 0).await;
    assert!(!summary.text.contains("Diskon voucher: Rp10.000"), "{}", summary.text);
    app.press(other, "Batalkan");

    // Money: two orders, each with its voucher used exactly once; the database is consistent.
    let s = stats(&app).await;
    assert_eq!(s.pointer("/orders/paid").and_then(serde_json::Value::as_i64), Some(2), "{s:#}");
    assert_db_check(&app).await;
}
