//! Bulk prices end to end (issue 18 point 5): `/tier` sets a product's quantity tiers (refused
//! with the reason when malformed or too deep), the card lists them and shows the tier and the
//! price per item as the quantity changes, the summary and the paid order carry exactly that
//! price (through the fake Pakasir), and a reseller price, a discount and a tier combine in the
//! written order (base price for the role → discount → tier).

use crate::common::App;
use crate::pay_support::*;

const SET: &str = "Harga grosir produk";

/// Presses `+` until the card shows `qty`; returns the card.
async fn card_at(app: &mut App, user: i64, product: i64, qty: i64) -> quickcart::testkit::BotMessage {
    let mut card = open_card(app, user, product).await;
    for n in 2..=qty {
        app.press(user, "+");
        card = app.wait_text(user, &format!("Jumlah: {n}\n")).await;
    }
    card
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_are_set_shown_and_charged() {
    let mut app = App::start().await;
    app.add_product("3", "Canva Pro", "Desain", "10000").await;
    let items: Vec<String> = (1..=6).map(|n| format!("canva-{n}")).collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    app.add_stock(3, &refs).await;

    // Set, shown, audited.
    let set = app.admin("/tier 3|5=10,10=15", SET).await;
    assert!(set.text.contains("Beli 5+: −10%, Beli 10+: −15%"), "{}", set.text);
    let shown = app.admin("/tier 3", SET).await;
    assert!(shown.text.contains("Beli 5+: −10%"), "{}", shown.text);
    let audit = String::from_utf8_lossy(&app.cli(&["audit", "tail"]).stdout).into_owned();
    assert!(audit.contains("5=10,10=15"), "{audit}");

    let u = 7301;
    app.onboard(u).await;
    // The card lists the tiers with the price per item; below the first tier the plain price.
    let card = open_card(&mut app, u, 3).await;
    for needle in ["Harga grosir:", "Beli 5+: −10% (Rp9.000/item)", "Beli 10+: −15% (Rp8.500/item)"] {
        assert!(card.text.contains(needle), "{needle:?} in {}", card.text);
    }
    assert!(card.text.contains("Harga satuan: Rp10.000\nTotal: Rp10.000"), "{}", card.text);
    // 4 items: no tier yet; 5 items: the tier and its price per item.
    let card = card_at(&mut app, u, 3, 4).await;
    assert!(card.text.contains("Total: Rp40.000"), "{}", card.text);
    app.press(u, "+");
    let card = app.wait_text(u, "Jumlah: 5\n").await;
    assert!(card.text.contains("Harga satuan: Rp9.000 (harga grosir Beli 5+: −10%)"), "{}", card.text);
    assert!(card.text.contains("Total: Rp45.000"), "{}", card.text);
    // Back to 4: the plain price again.
    app.press(u, "-");
    let card = app.wait_text(u, "Jumlah: 4\n").await;
    assert!(card.text.contains("Harga satuan: Rp10.000\nTotal: Rp40.000"), "{}", card.text);
    app.press(u, "+");
    app.wait_text(u, "Jumlah: 5\n").await;

    // The summary shows the tier; the order Pakasir is asked for and paid is exactly that.
    app.press(u, "Lanjut ke pembayaran");
    let summary = app.wait_text(u, SUMMARY).await;
    for needle in
        ["Harga satuan: Rp9.000 (harga grosir Beli 5+: −10%)", "Jumlah: 5", "Subtotal: Rp45.000", "Total: Rp45.000"]
    {
        assert!(summary.text.contains(needle), "{needle:?} in {}", summary.text);
    }
    app.press(u, "QRIS");
    let inv = wait_invoice(&app, u).await;
    assert_eq!(inv.txn.amount, 45_000, "Pakasir was asked for the tier total");
    pay(&app, &inv.id).await;
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("Subtotal: Rp45.000"), "{}", delivery.text);
    assert!(delivery.text.contains("Jumlah: 5"), "{}", delivery.text);
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_eq!(num(&s, "/orders/paid"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/sold"), 5, "{s:#}");
    assert_invariants(&s);
    assert_db_check(&app).await;

    // Cleared: the card no longer lists tiers.
    let cleared = app.admin("/tier 3|-", SET).await;
    assert!(cleared.text.contains("dihapus"), "{}", cleared.text);
    let card = open_card(&mut app, u, 3).await;
    assert!(!card.text.contains("Harga grosir"), "{}", card.text);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tiers_are_refused_with_the_reason() {
    let mut app = App::start().await;
    app.add_product("3", "Canva Pro", "Desain", "10000").await;
    app.add_product("4", "Stiker", "Desain", "1").await;
    for (cmd, reason) in [
        ("/tier 3|5=10,3=15", "jumlah 3 tidak lebih besar dari tingkat sebelumnya"),
        ("/tier 3|5=10,10=10", "beli lebih banyak harus lebih murah"),
        ("/tier 3|1=10", "tingkat mulai dari 2 item"),
        ("/tier 3|5=95", "potongan harus 1–90%"),
        ("/tier 3|2=1,3=2,4=3,5=4,6=5,7=6", "paling banyak 5"),
        ("/tier 4|2=50", "Harga per item minimal Rp1"),
    ] {
        let m = app.admin(cmd, "Ditolak").await;
        assert!(m.text.contains(reason), "{cmd}: {}", m.text);
        assert!(m.text.contains("Tidak ada yang diubah"), "{cmd}: {}", m.text);
    }
    let m = app.admin("/tier 3|5=abc", "Format").await;
    assert!(m.text.contains("/tier 3|5=10,10=15"), "the usage with its example: {}", m.text);
    app.admin("/tier 99|5=10", "tidak ditemukan").await;
    // Nothing was set; a discount later counts the deepest tier on top.
    let m = app.admin("/tier 3", "belum punya harga grosir").await;
    assert!(m.text.contains("/tier 3|5=10,10=15"), "{}", m.text);
    app.admin("/tier 3|5=50", SET).await;
    let m = app.admin("/disc 3|9999", "Ditolak").await;
    assert!(m.text.contains("Harga grosir −50% ikut dihitung"), "{}", m.text);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reseller_price_discount_and_tier_combine_in_the_written_order() {
    let mut app = App::start().await;
    app.add_product("3", "Canva Pro", "Desain", "10000").await;
    app.add_stock(3, &["c-1", "c-2", "c-3", "c-4", "c-5"]).await;
    let (r, c) = (7401, 7402);
    app.onboard(r).await;
    app.onboard(c).await;
    app.admin(&format!("/addreseller {r}"), "reseller").await;
    app.admin("/priceress 3|8000", "Harga reseller").await;
    app.admin("/disc 3|1000", "Diskon produk").await;
    app.admin("/tier 3|5=10", SET).await;

    // Reseller: (Rp8.000 − Rp1.000) − 10 % = Rp6.300; customer: (Rp10.000 − Rp1.000) − 10 % = Rp8.100.
    let card = open_card(&mut app, c, 3).await;
    assert!(card.text.contains("Beli 5+: −10% (Rp8.100/item)"), "{}", card.text);
    let card = open_card(&mut app, r, 3).await;
    assert!(card.text.contains("Beli 5+: −10% (Rp6.300/item)"), "{}", card.text);
    let summary = to_summary(&mut app, r, 3, 4).await;
    for needle in ["Harga satuan: Rp6.300 (harga grosir Beli 5+: −10%)", "Jumlah: 5", "Total: Rp31.500"] {
        assert!(summary.text.contains(needle), "{needle:?} in {}", summary.text);
    }
    app.press(r, "QRIS");
    let inv = wait_invoice(&app, r).await;
    assert_eq!(inv.txn.amount, 31_500);
    pay(&app, &inv.id).await;
    wait_msg(&app, r, &[DELIVERED, &inv.id]).await;
    let s = wait_stats(&app, "outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

// ------------------------------------------------------------------ [Batal kabari]

const NOTIFY: &str = "Kabari saya";
const UNNOTIFY: &str = "Batal kabari";
const CANCELLED: &str = "tidak akan dikabari lagi";
const NOT_WAITING: &str = "tidak ada di daftar tunggu";

/// Waits until the card `message_id` shows exactly `labels` (it is edited in place).
async fn card_shows(app: &App, user: i64, message_id: i64, labels: &[&str]) {
    let want: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
    wait_until(&format!("the card to show {want:?}"), SLOW, || {
        crate::common::flat_labels(&message(app, user, message_id)) == want
    })
    .await;
}

/// A waiting customer sees `[Batal kabari]` on the sold-out card; pressing it ends the wait
/// (once: a second, stale or forged press only hears there is nothing to cancel) and the card
/// flips back to `[Kabari saya]`; no alert comes when stock arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batal_kabari_ends_the_wait_and_flips_the_card() {
    let mut app = App::start().await;
    app.seed(&[1], "Streaming", |_| 0).await;
    let a = 7501;
    app.onboard(a).await;
    app.say(a, "1");
    let card = app.wait_text(a, "Produk 1").await;
    assert_eq!(crate::common::flat_labels(&card), vec![NOTIFY.to_string(), "Batalkan".to_string()]);
    let (card_id, notify_data) = app.button(a, NOTIFY);
    app.press(a, NOTIFY);
    assert!(app.wait_answer(a).await.contains("Kami kabari"));
    card_shows(&app, a, card_id, &[UNNOTIFY, "Batalkan"]).await;
    // A stale [Kabari saya] press on the flipped card: still one subscription.
    app.press_data(a, card_id, &notify_data);
    assert!(app.wait_answer(a).await.contains("sudah ada di daftar tunggu"));
    // A card opened later shows [Batal kabari] too.
    app.say(a, "1");
    let mark = app.last_mark(a);
    let again = app
        .wait_msg_since(a, &mark, |m| crate::common::flat_labels(m).contains(&UNNOTIFY.to_string()), "a new card")
        .await;
    assert_ne!(again.message_id, card_id);
    app.say(crate::common::ADMIN, "/stock");
    let stock = app.wait_text(crate::common::ADMIN, "Stok Produk").await;
    assert!(stock.text.contains("1 menunggu"), "{}", stock.text);

    // [Batal kabari]: the wait ends, the card flips back.
    let (new_card, cancel_data) = app.button(a, UNNOTIFY);
    app.press(a, UNNOTIFY);
    assert!(app.wait_answer(a).await.contains(CANCELLED));
    card_shows(&app, a, new_card, &[NOTIFY, "Batalkan"]).await;
    // Pressed again (stale), or forged for another product: nothing to cancel.
    app.press_data(a, new_card, &cancel_data);
    assert!(app.wait_answer(a).await.contains(NOT_WAITING));
    app.press_data(a, new_card, "un:999");
    assert!(app.wait_answer(a).await.contains(NOT_WAITING));
    app.press_data(a, new_card, "un:x");
    app.wait_answer(a).await;
    app.say(crate::common::ADMIN, "/stock");
    let stock = app.wait_text(crate::common::ADMIN, "Stok Produk").await;
    assert!(!stock.text.contains("menunggu"), "{}", stock.text);

    // Stock arrives: no alert for a.
    let since = app.calls_len();
    let report = app.add_stock(1, &["akun-1"]).await;
    assert!(!report.text.contains("pelanggan"), "{}", report.text);
    app.assert_silent(a, since).await;
    app.finish().await;
}

// ------------------------------------------------------------------ demo

/// `quickcart demo`: the admin gives Netflix (Rp30.000) bulk prices, the customer takes 5 with
/// the `+2` buttons and sees the tier price on the card and the summary, and pays exactly that.
#[test]
fn demo_script_shows_and_charges_the_tier_price() {
    let script = "/start\nBudi Demo\n081234567890\n/skip\n:as admin\n/tier 1|5=10,10=15\n:as customer\n1\n\
                  :press +2\n:press +2\n:press Lanjut ke\n:press QRIS\n:pay\n:as admin\n/tier 1|0=5\n";
    let (out, t) = crate::demo::run_demo(script);
    assert!(out.status.success(), "{t}");
    assert!(crate::demo::answer_to(&t, "/tier 1|5=10,10=15").join("\n").contains("Beli 5+: −10%"), "{t}");
    assert!(crate::demo::answer_to(&t, "1").join("\n").contains("Beli 10+: −15% (Rp25.500/item)"), "{t}");
    let fifth = t.split("> :press +2").nth(2).unwrap_or_default();
    assert!(fifth.contains("Harga satuan: Rp27.000 (harga grosir Beli 5+: −10%)"), "{t}");
    let summary = crate::demo::answer_to(&t, ":press Lanjut ke").join("\n");
    assert!(
        summary.contains("Subtotal: Rp135.000")
            && summary.contains("Harga satuan: Rp27.000 (harga grosir Beli 5+: −10%)"),
        "{t}"
    );
    assert!(crate::demo::answer_to(&t, ":press QRIS").join("\n").contains("Total pesanan: Rp135.000"), "{t}");
    assert!(crate::demo::answer_to(&t, "/tier 1|0=5").join("\n").contains("tingkat mulai dari 2 item"), "{t}");
}
