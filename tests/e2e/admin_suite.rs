//! The admin suite end to end (issue 4, SPEC §5, §7 RBAC, §2 KIRIM PESAN): every admin command's
//! happy path with its real effect on what customers see, the malformed forms of each command,
//! silence (and an `rbac_deny` row) for every admin command sent by a customer or a reseller, and
//! the KIRIM PESAN relay in both directions. The real binary against the in-library fakes.

use crate::common;
use crate::common::{App, ADMIN};
use quickcart::domain::commands::ADMIN_COMMANDS;
use quickcart::testkit::{BotMessage, FakeUser, MsgKind};
use serde_json::{json, Value};

const FORMAT_WRONG: &str = "Format salah. Contoh penggunaan yang benar:";
const NOT_FOUND: &str = "tidak ditemukan";
const PRODUCT_NOT_FOUND: &str = "Produk tidak ditemukan";
const BANNED: &str = "Akun Anda diblokir oleh admin.";

// ------------------------------------------------------------------ helpers

/// `user` says `text`; the first message new since then (one command, one answer).
async fn ask(app: &mut App, user: i64, text: &str) -> BotMessage {
    app.say(user, text);
    let mark = app.last_mark(user);
    app.wait_msg_since(user, &mark, |_| true, text).await
}

/// The admin sends `text`; waits for the answer containing `needle` and checks it contains every
/// string of `all` too.
async fn admin_says(app: &mut App, text: &str, needle: &str, all: &[&str]) -> BotMessage {
    let m = app.admin(text, needle).await;
    for n in all {
        assert!(m.text.contains(n), "{text:?}: {n:?} missing in {:?}", m.text);
    }
    m
}

/// The product card `user` gets by typing `id` (or the "not found" answer), as displayed text.
async fn card(app: &mut App, user: i64, id: i64) -> String {
    app.say(user, &id.to_string());
    let mark = app.last_mark(user);
    app.wait_msg_since(user, &mark, |m| m.text.contains("Harga:") || m.text.contains(PRODUCT_NOT_FOUND), "product card")
        .await
        .text
}

/// Asserts the card of `id` as `user` sees it shows every needle.
async fn card_shows(app: &mut App, user: i64, id: i64, needles: &[&str]) {
    let text = card(app, user, id).await;
    for n in needles {
        assert!(text.contains(n), "card {id} for {user}: {n:?} missing in {text:?}");
    }
}

/// The `Saldo` line of the user's AKUN screen.
async fn balance_line(app: &mut App, user: i64) -> String {
    app.say(user, "AKUN");
    let m = app.wait_text(user, "Akun Saya").await;
    m.text.lines().find(|l| l.contains("Saldo")).unwrap_or_default().trim().to_string()
}

/// `quickcart db stats` as JSON.
fn stats(app: &App) -> Value {
    let out = app.cli(&["db", "stats"]);
    assert!(out.status.success(), "db stats: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("db stats prints JSON")
}

fn num(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// `quickcart audit tail ARGS…` stdout (must succeed).
fn audit_tail(app: &App, args: &[&str]) -> String {
    let mut all = vec!["audit", "tail"];
    all.extend_from_slice(args);
    let out = app.cli(&all);
    assert!(out.status.success(), "audit tail: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The first `INV…` id in a text.
fn invoice_in(text: &str) -> String {
    let start = text.find("INV").expect("an invoice id");
    text[start..].chars().take_while(char::is_ascii_alphanumeric).collect()
}

/// Buys one of product `id` with the balance; returns the delivery message.
async fn saldo_buy(app: &mut App, user: i64, id: i64) -> BotMessage {
    app.say(user, &id.to_string());
    let mark = app.last_mark(user);
    app.wait_msg_since(
        user,
        &mark,
        |m| m.inline_buttons.iter().flatten().any(|b| b.text == "Lanjut ke pembayaran"),
        "product card",
    )
    .await;
    to_payment_choice(app, user).await;
    app.press(user, "SALDO");
    app.wait_text(user, "Bayar dengan SALDO").await;
    app.press(user, "Konfirmasi");
    app.wait_text(user, "Pembayaran berhasil").await
}

/// From an open card to the `[QRIS] [SALDO]` choice (passing an optional voucher step).
async fn to_payment_choice(app: &mut App, user: i64) {
    app.press(user, "Lanjut ke pembayaran");
    app.wait_text(user, "Ringkasan Pesanan").await;
    if app.tg.find_button(user, "SALDO").is_none() {
        app.press(user, "Skip");
        let mark = app.last_mark(user);
        app.wait_msg_since(
            user,
            &mark,
            |m| m.inline_buttons.iter().flatten().any(|b| b.text == "SALDO"),
            "payment choice",
        )
        .await;
    }
}

/// The commands set for one private chat's `/` menu.
fn chat_menu(app: &App, chat: i64) -> Vec<String> {
    app.tg.my_commands(Some(&json!({"type": "chat", "chat_id": chat})), None).into_iter().map(|(c, _)| c).collect()
}

/// The chat's menu once `pred` holds (the bot answers the admin before it sets the menu), or
/// as it is after [`common::WAIT`].
async fn wait_menu(app: &App, chat: i64, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = std::time::Instant::now() + common::WAIT;
    loop {
        let menu = chat_menu(app, chat);
        if pred(&menu) || std::time::Instant::now() >= deadline {
            return menu;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn admin_commands_in(menu: &[String]) -> Vec<String> {
    menu.iter().filter(|c| ADMIN_COMMANDS.contains(&c.as_str())).cloned().collect()
}

// ------------------------------------------------------------------ 1. catalogue commands

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_commands_change_cards_lists_and_exports() {
    let mut app = App::start().await;
    let c = 7101;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_product("2", "Spotify Family", "Streaming", "20000").await;
    app.add_product("3", "Kursus Gitar", "Musik", "10000").await;
    // Stock ids start at 1 in a fresh database: nf-* are 1..=3, sp-* 4..=5, kg-1 is 6.
    app.add_stock(1, &["nf-1", "nf-2", "nf-3"]).await;
    app.add_stock(2, &["sp-1", "sp-2"]).await;
    app.add_stock(3, &["kg-1"]).await;
    app.onboard(c).await;

    // /editsold sets and adds; the card shows it.
    admin_says(&mut app, "/editsold 1|5", "Jumlah terjual", &["produk 1: 0 → 5"]).await;
    admin_says(&mut app, "/editsold 1|+3", "Jumlah terjual", &["produk 1: 5 → 8"]).await;
    card_shows(&mut app, c, 1, &["Terjual: 8", "Harga: Rp30.000"]).await;

    // /disc: percent, nominal, removal.
    admin_says(&mut app, "/disc 1|10%", "Diskon produk 1", &["10%"]).await;
    // The card shows the price before the discount (struck through) and how much is off.
    card_shows(&mut app, c, 1, &["Harga: Rp27.000 (diskon 10% dari Rp30.000)", "Total: Rp27.000"]).await;
    admin_says(&mut app, "/disc 1|5000", "Diskon produk 1", &["Rp5.000"]).await;
    card_shows(&mut app, c, 1, &["Harga: Rp25.000 (diskon 16% dari Rp30.000)"]).await;
    admin_says(&mut app, "/disc 1|0", "Diskon produk 1", &["tanpa diskon"]).await;
    card_shows(&mut app, c, 1, &["Harga: Rp30.000\n"]).await;

    // /discat applies where the product has no discount of its own.
    admin_says(&mut app, "/disc 1|10%", "Diskon produk 1", &[]).await;
    admin_says(&mut app, "/discat Streaming|15%", "Diskon kategori", &["Streaming", "15%"]).await;
    card_shows(&mut app, c, 2, &["Harga: Rp17.000"]).await;
    card_shows(&mut app, c, 1, &["Harga: Rp27.000"]).await;
    card_shows(&mut app, c, 3, &["Harga: Rp10.000"]).await;
    app.say(c, "/stock");
    let list = app.wait_text(c, "Stok Produk").await;
    assert!(list.text.contains("Spotify Family — Rp17.000"), "{}", list.text);
    admin_says(&mut app, "/discat Streaming|2000", "Diskon kategori", &["Rp2.000"]).await;
    card_shows(&mut app, c, 2, &["Harga: Rp18.000"]).await;
    admin_says(&mut app, "/discat Streaming|0", "Diskon kategori", &["tanpa diskon"]).await;
    card_shows(&mut app, c, 2, &["Harga: Rp20.000"]).await;
    admin_says(&mut app, "/discat Tidak Ada|10%", NOT_FOUND, &["Tidak Ada"]).await;
    admin_says(&mut app, "/disc 1|0", "Diskon produk 1", &[]).await;

    // /editcategory: the card shows it, and the new category's discount applies.
    admin_says(&mut app, "/editcategory 3|Streaming", "Kategori produk 3", &["sekarang Streaming"]).await;
    card_shows(&mut app, c, 3, &["Kategori: Streaming"]).await;
    admin_says(&mut app, "/discat Streaming|50%", "Diskon kategori", &[]).await;
    card_shows(&mut app, c, 3, &["Harga: Rp5.000"]).await;
    admin_says(&mut app, "/discat Streaming|0", "Diskon kategori", &[]).await;
    admin_says(&mut app, "/editcategory 3|-", "Kategori produk 3", &["Tanpa Kategori"]).await;
    card_shows(&mut app, c, 3, &["Kategori: Tanpa Kategori", "Harga: Rp10.000"]).await;

    // /exportstock: a .txt document with the available items.
    assert_eq!(export(&mut app, 1).await, ["nf-1", "nf-2", "nf-3"]);

    // /liststock: the stock ids /delstock needs, next to each item.
    admin_says(
        &mut app,
        "/liststock 1",
        "Item stok tersedia produk 1",
        &["(3 item)", "1 · nf-1", "2 · nf-2", "3 · nf-3", "/delstock 1|1"],
    )
    .await;
    admin_says(&mut app, "/liststock 99", NOT_FOUND, &["99"]).await;

    // /delstock: one unsold item, by its stock id; other ids say it is not there.
    admin_says(&mut app, "/delstock 1|1", "dihapus", &["Item stok 1 dari produk 1 dihapus"]).await;
    admin_says(&mut app, "/delstock 1|1", "tidak ada", &["Item stok 1"]).await;
    admin_says(&mut app, "/delstock 1|4", "tidak ada", &["Item stok 4"]).await;
    admin_says(&mut app, "/delstock 1|999", "tidak ada", &["999"]).await;
    assert_eq!(export(&mut app, 1).await, ["nf-2", "nf-3"]);
    card_shows(&mut app, c, 1, &["Stok: 2"]).await;
    let s = stats(&app);
    assert_eq!(num(&s, "/stock/deleted"), 1, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 5, "{s:#}");

    // /delallstock: every unsold item of one product.
    admin_says(&mut app, "/delallstock 2", "dihapus", &["2 item stok tersedia dari produk 2"]).await;
    card_shows(&mut app, c, 2, &["Stok: 0", "habis"]).await;
    admin_says(&mut app, "/exportstock 2", "tidak punya stok", &[]).await;
    admin_says(&mut app, "/delallstock 99", NOT_FOUND, &["99"]).await;
    let s = stats(&app);
    assert_eq!(num(&s, "/stock/deleted"), 3, "{s:#}");
    assert_eq!(num(&s, "/stock/available"), 3, "{s:#}");
    assert_eq!(export(&mut app, 1).await, ["nf-2", "nf-3"]);

    // Stock reserved by a pending QRIS order is neither deleted nor exported; cancelling the
    // order makes it available again.
    app.add_product("4", "Disney Plus", "Streaming", "25000").await;
    app.add_stock(4, &["dp-1", "dp-2"]).await; // stock ids 7, 8
    app.say(c, "4");
    app.wait_text(c, "Disney Plus").await;
    to_payment_choice(&mut app, c).await;
    app.press(c, "QRIS");
    app.wait_text(c, "Tagihan QRIS").await;
    let s = stats(&app);
    assert_eq!(num(&s, "/stock/reserved"), 1, "{s:#}");
    admin_says(&mut app, "/delstock 4|7", "tidak dapat dihapus", &[]).await;
    admin_says(&mut app, "/delallstock 4", "dihapus", &["1 item stok tersedia dari produk 4"]).await;
    admin_says(&mut app, "/exportstock 4", "tidak punya stok", &[]).await;
    app.press(c, "Batalkan");
    let answer = app.wait_answer(c).await;
    assert!(answer.contains("dibatalkan"), "{answer}");
    assert_eq!(export(&mut app, 4).await, ["dp-1"]);
    let s = stats(&app);
    assert_eq!(num(&s, "/stock/reserved"), 0, "{s:#}");

    // Typed text reaches the admin and the customer escaped, never as markup.
    admin_says(&mut app, "/editcategory 3|<b>Promo</b> & Co", "Kategori produk 3", &["sekarang <b>Promo</b> & Co"])
        .await;
    card_shows(&mut app, c, 3, &["Kategori: <b>Promo</b> & Co"]).await;
    admin_says(&mut app, "/discat <i>Tidak</i>|10%", NOT_FOUND, &["Kategori <i>Tidak</i> tidak ditemukan"]).await;
    app.finish().await;
}

/// `/exportstock id`: waits for the `.txt` document and returns its lines.
async fn export(app: &mut App, id: i64) -> Vec<String> {
    app.say(ADMIN, &format!("/exportstock {id}"));
    let mark = app.last_mark(ADMIN);
    let doc = app.wait_msg_since(ADMIN, &mark, |m| m.kind == MsgKind::Document, "stock export document").await;
    let name = doc.file_name.clone().unwrap_or_default();
    assert!(name.ends_with(".txt"), "{name}");
    assert!(doc.text.contains(&format!("Stok tersedia produk {id}")), "{}", doc.text);
    let body = String::from_utf8(doc.file_bytes.clone().expect("document bytes")).unwrap();
    body.lines().map(str::to_string).collect()
}

// ------------------------------------------------------------------ 2. history, balance, groups

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editid_and_del_keep_history_balances_follow_the_ledger_groups_get_notices() {
    let mut app = App::start().await;
    let c = 7201;
    let group: i64 = -1_007_201;
    app.add_product("5", "Canva Pro", "Desain", "15000").await;
    app.add_product("6", "Zoom Pro", "Desain", "10000").await;
    app.add_stock(5, &["cv-1", "cv-2"]).await;
    app.onboard(c).await;

    admin_says(&mut app, &format!("/whitelist {group}"), "whitelist", &[&format!("Grup {group} masuk whitelist")])
        .await;
    admin_says(&mut app, &format!("/whitelist {group}"), "sudah ada", &[]).await;

    // /transfer: the admin sees before → after, the user is told, AKUN shows it.
    admin_says(&mut app, &format!("/transfer {c}|50000"), "Saldo", &[&format!("Saldo {c}: Rp0 → Rp50.000")]).await;
    app.wait_text_any(c, "Saldo Anda bertambah Rp50.000").await;
    assert!(balance_line(&mut app, c).await.contains("Rp50.000"));

    // A SALDO purchase; its "Pesanan baru" notice reaches the admin and the whitelisted group.
    let delivery = saldo_buy(&mut app, c, 5).await;
    assert!(delivery.text.contains("cv-1"), "{}", delivery.text);
    let invoice = invoice_in(&delivery.text);
    for chat in [ADMIN, group] {
        let inv = invoice.clone();
        let notice =
            app.tg.wait_for(chat, |m| m.text.contains("Pesanan baru") && m.text.contains(&inv), common::WAIT * 3).await;
        assert!(notice.is_some(), "no 'Pesanan baru' for {invoice} in chat {chat}:\n{}", app.transcript(chat));
    }

    // The sold item cannot be deleted.
    admin_says(&mut app, "/delstock 5|1", "tidak dapat dihapus", &[]).await;

    // /editid: refused when taken or missing; otherwise the card opens under the new id.
    let taken = admin_says(&mut app, "/editid 5|6", "sudah dipakai", &["6", "tidak ada yang diubah"]).await;
    assert!(!taken.text.contains("otomatis"), "/editid has no automatic id: {}", taken.text);
    admin_says(&mut app, "/editid 99|100", NOT_FOUND, &["99"]).await;
    admin_says(&mut app, "/editid 5|8", "diubah", &["ID produk 5 diubah menjadi 8"]).await;
    card_shows(&mut app, c, 8, &["Canva Pro", "Stok: 1"]).await;
    assert!(card(&mut app, c, 5).await.contains(PRODUCT_NOT_FOUND));
    // The stock moved with the product: the sold item is still not deletable, and the rest sells.
    admin_says(&mut app, "/delstock 8|1", "tidak dapat dihapus", &[]).await;
    let second = saldo_buy(&mut app, c, 8).await;
    assert!(second.text.contains("cv-2"), "{}", second.text);
    let invoice2 = invoice_in(&second.text);

    admin_says(
        &mut app,
        &format!("/info {c}"),
        "Info Pengguna",
        &["Pesanan lunas: 2", "Total belanja: Rp30.000", "Saldo: Rp20.000"],
    )
    .await;
    admin_says(&mut app, "/version", "QuickCart", &["Transaksi lunas: 2"]).await;

    // /del: gone from cards and lists; both past orders stay readable in the history.
    app.add_stock(8, &["cv-3"]).await;
    app.say(c, "8");
    app.wait_text(c, "Canva Pro").await;
    admin_says(&mut app, "/del 8", "dinonaktifkan", &["Produk 8 dinonaktifkan"]).await;
    // The card opened before /del cannot be checked out any more.
    let mark = app.mark(c);
    app.press(c, "Lanjut ke pembayaran");
    app.wait_answer(c).await;
    assert!(!app.new_messages(c, &mark).iter().any(|m| m.text.contains("Ringkasan Pesanan")), "{}", app.transcript(c));
    assert!(card(&mut app, c, 8).await.contains(PRODUCT_NOT_FOUND));
    app.say(c, "/stock");
    let list = app.wait_text(c, "Stok Produk").await;
    assert!(!list.text.contains("Canva"), "{}", list.text);
    app.say(c, "LIST PRODUK");
    let list = app.wait_text(c, "Semua Produk").await;
    assert!(!list.text.contains("Canva"), "{}", list.text);
    assert!(list.text.contains("Zoom Pro"), "{}", list.text);
    app.say(c, "AKUN");
    app.wait_text(c, "Akun Saya").await;
    app.press(c, "Riwayat Transaksi");
    let history = app.wait_text(c, "Riwayat Transaksi").await;
    for needle in [invoice.as_str(), invoice2.as_str(), "Canva Pro × 1", "lunas"] {
        assert!(history.text.contains(needle), "{needle:?} in {}", history.text);
    }

    // /editbalance sets; unchanged says so.
    admin_says(&mut app, &format!("/editbalance {c}|1000"), "Saldo", &[&format!("Saldo {c}: Rp20.000 → Rp1.000")])
        .await;
    assert!(balance_line(&mut app, c).await.contains("Rp1.000"));
    admin_says(&mut app, &format!("/editbalance {c}|1000"), "tidak berubah", &[]).await;
    admin_says(&mut app, &format!("/editbalance {c}|0"), "Saldo", &["Rp1.000 → Rp0"]).await;
    assert!(balance_line(&mut app, c).await.contains("Rp0"));
    let s = stats(&app);
    assert_eq!(num(&s, "/ledger/admin_transfer"), 50_000, "{s:#}");
    assert_eq!(num(&s, "/ledger/admin_edit"), -20_000, "{s:#}");
    assert_eq!(num(&s, "/ledger/purchase"), -30_000, "{s:#}");
    assert_eq!(num(&s, "/ledger_mismatches"), 0, "{s:#}");
    assert_eq!(num(&s, "/ledger_sum"), num(&s, "/balance_sum"), "{s:#}");

    // /rm takes the group off the list.
    admin_says(&mut app, &format!("/rm {group}"), "whitelist", &[&format!("Grup {group} dihapus")]).await;
    admin_says(&mut app, &format!("/rm {group}"), "tidak ada", &[]).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 3. users and roles

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_prices_bans_pm_info_and_version() {
    let mut app = App::start().await;
    let (cust, ress, adm) = (7301, 7302, 7303);
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &["nf-1", "nf-2", "nf-3"]).await;
    for u in [cust, ress, adm] {
        app.onboard(u).await;
    }

    // Reseller price: only resellers see it, from the moment they become one.
    admin_says(&mut app, "/priceress 1|20000", "Harga reseller", &["produk 1: Rp20.000"]).await;
    card_shows(&mut app, ress, 1, &["Harga: Rp30.000"]).await;
    admin_says(&mut app, &format!("/addreseller {ress}"), "sekarang", &[&format!("Pengguna {ress} sekarang reseller")])
        .await;
    app.wait_text_any(ress, "Reseller").await;
    card_shows(&mut app, ress, 1, &["Harga: Rp20.000"]).await;
    card_shows(&mut app, cust, 1, &["Harga: Rp30.000"]).await;
    admin_says(&mut app, &format!("/addreseller {ress}"), "sudah", &[]).await;
    admin_says(&mut app, "/disc 1|10%", "Diskon produk 1", &[]).await;
    card_shows(&mut app, ress, 1, &["Harga: Rp18.000"]).await;
    card_shows(&mut app, cust, 1, &["Harga: Rp27.000"]).await;
    admin_says(&mut app, "/disc 1|0", "Diskon produk 1", &[]).await;
    admin_says(&mut app, &format!("/rmress {ress}"), "sekarang", &[&format!("Pengguna {ress} sekarang customer")])
        .await;
    app.wait_text_any(ress, "Status reseller akun Anda dicabut").await;
    card_shows(&mut app, ress, 1, &["Harga: Rp30.000"]).await;
    admin_says(&mut app, &format!("/addreseller {ress}"), "sekarang", &[]).await;
    card_shows(&mut app, ress, 1, &["Harga: Rp20.000"]).await;
    admin_says(&mut app, "/priceress 1|-", "Harga reseller", &["produk 1 dihapus"]).await;
    card_shows(&mut app, ress, 1, &["Harga: Rp30.000"]).await;

    // /addadmin: works at once, with the admin `/` menu in that chat.
    assert!(admin_commands_in(&chat_menu(&app, adm)).is_empty());
    admin_says(&mut app, &format!("/addadmin {adm}"), "sekarang", &[&format!("Pengguna {adm} sekarang admin")]).await;
    app.wait_text_any(adm, "Anda sekarang admin").await;
    let menu = wait_menu(&app, adm, |m| admin_commands_in(m).len() == ADMIN_COMMANDS.len()).await;
    for c in ADMIN_COMMANDS {
        assert!(menu.contains(&c.to_string()), "{c} missing: {menu:?}");
    }
    app.say(adm, "/version");
    app.wait_text(adm, "QuickCart").await;
    app.say(adm, &format!("/info {cust}"));
    app.wait_text(adm, "Info Pengguna").await;
    admin_says(&mut app, &format!("/addreseller {adm}"), "admin", &["/rmadmin"]).await;
    admin_says(&mut app, &format!("/ban {adm}"), "tidak dapat diblokir", &[]).await;
    admin_says(&mut app, &format!("/ban {ADMIN}"), "tidak dapat diblokir", &[]).await;
    admin_says(&mut app, &format!("/rmadmin {ADMIN}"), "ADMIN_IDS", &[]).await;
    admin_says(&mut app, "/version", "QuickCart", &[]).await;

    // /rmadmin: the admin menu and the commands are gone at once.
    admin_says(&mut app, &format!("/rmadmin {adm}"), "sekarang", &[&format!("Pengguna {adm} sekarang customer")]).await;
    let menu = wait_menu(&app, adm, |m| admin_commands_in(m).is_empty()).await;
    assert!(
        admin_commands_in(&menu).is_empty() && menu.contains(&"start".to_string()),
        "a demoted admin's menu: {menu:?}"
    );
    let since = app.calls_len();
    let u = app.say(adm, "/version");
    app.assert_silent_after(adm, since, u).await;
    admin_says(&mut app, "/addadmin 424242", NOT_FOUND, &["424242"]).await;

    // /info.
    admin_says(
        &mut app,
        &format!("/info {ress}"),
        "Info Pengguna",
        &[&format!("ID: {ress}"), "Role: reseller", "Saldo: Rp0", "Status: normal"],
    )
    .await;
    admin_says(&mut app, &format!("/info {ADMIN}"), "Info Pengguna", &["admin via ADMIN_IDS"]).await;
    admin_says(&mut app, "/info 424242", NOT_FOUND, &[]).await;

    // /pm: delivered through the bot, HTML-escaped.
    let text = "Halo <b>kamu</b> & '; DROP TABLE users;--";
    admin_says(&mut app, &format!("/pm {cust}|{text}"), "terkirim", &[&format!("Pesan terkirim ke {cust}")]).await;
    let pm = app.wait_text_any(cust, "Pesan dari admin").await;
    assert!(pm.text.contains(text), "{:?}", pm.text);
    assert!(pm.raw_text.contains("Halo &lt;b&gt;kamu&lt;/b&gt; &amp; '; DROP TABLE users;--"), "{:?}", pm.raw_text);
    admin_says(&mut app, "/pm 424242|halo", NOT_FOUND, &[]).await;
    app.tg.block_chat(ress);
    admin_says(&mut app, &format!("/pm {ress}|halo"), "gagal", &[]).await;
    app.tg.unblock_chat(ress);
    let s = stats(&app);
    assert_eq!(num(&s, "/users"), 4, "the injection dropped nothing: {s:#}");

    // /ban: one notice, then silence; /unban: the user is told and served again.
    admin_says(&mut app, &format!("/ban {cust}"), "diblokir", &[&format!("Pengguna {cust} diblokir")]).await;
    app.say(cust, "/start");
    app.wait_text(cust, BANNED).await;
    let since = app.calls_len();
    for text in ["1", "AKUN", "/stock", "KIRIM PESAN", "/start"] {
        app.say(cust, text);
    }
    app.assert_silent(cust, since).await;
    // A button press (an old card) is answered without a pop-up.
    let (card_msg, data) = app.button(cust, "Lanjut ke pembayaran");
    app.press_data(cust, card_msg, &data);
    assert_eq!(app.wait_answer(cust).await, "", "a second notice as a pop-up");
    app.assert_silent(cust, since).await;
    let notices = app.tg.all_messages(cust).iter().filter(|m| m.text.contains(BANNED)).count();
    assert_eq!(notices, 1, "{}", app.transcript(cust));
    admin_says(&mut app, &format!("/info {cust}"), "Info Pengguna", &["diblokir admin"]).await;
    admin_says(&mut app, &format!("/unban {cust}"), "dicabut", &[&format!("Blokir pengguna {cust} dicabut")]).await;
    app.wait_text_any(cust, "Blokir akun Anda sudah dicabut").await;
    app.say(cust, "/stock");
    app.wait_text(cust, "Stok Produk").await;
    admin_says(&mut app, "/ban 424242", NOT_FOUND, &[]).await;

    // /version; the uptime in words ("45 detik", "6 menit"), not "0h 6m 3s".
    let v = admin_says(
        &mut app,
        "/version",
        "QuickCart",
        &[
            "QuickCart 0.1.0",
            "Uptime:",
            "Ukuran database:",
            "Pengguna: 4",
            "Produk: 1",
            "Transaksi lunas: 0",
            "Stok tersedia: 3",
        ],
    )
    .await;
    let up = v.text.lines().find(|l| l.starts_with("Uptime: ")).unwrap_or_default();
    let words = up.trim_start_matches("Uptime: ").split(' ').collect::<Vec<_>>();
    assert!(words.len() == 2 && words[0].parse::<u64>().is_ok() && ["detik", "menit"].contains(&words[1]), "{up:?}");
    app.finish().await;
}

// ------------------------------------------------------------------ 4. malformed commands

/// Malformed forms of every admin command (campaign commands are the next issue).
fn malformed(u: i64) -> Vec<String> {
    let long = "x".repeat(5000);
    let digits = "9".repeat(5000);
    let mut v: Vec<String> = Vec::new();
    let mut add = |forms: &[&str]| v.extend(forms.iter().map(|s| s.to_string()));
    add(&[
        "/add",
        "/add 9|Nama",
        "/add 9;Nama;Kat;1000;-",
        "/add x|Nama|Kat|1000|-",
        "/add ٩|Nama|Kat|1000|-",
        "/add <b>9</b>|Nama|Kat|1000|-",
        "/add 9'; DROP TABLE products;--|Nama|Kat|1000|-",
        "/addstock",
        "/addstock 1",
        "/addstock x|item",
        "/addstock 1;item",
        "/addstock 0|item",
        "/addstock <b>1</b>|item",
        "/del",
        "/del x",
        "/del 1|2",
        "/del 0",
        "/del 1000000",
        "/del １",
        "/del 1; DROP TABLE products",
        "/del <b>1</b>",
        "/delstock",
        "/delstock 1",
        "/delstock 1,1",
        "/delstock 1|x",
        "/delstock x|1",
        "/delstock 1|0",
        "/delstock 1|-1",
        "/delallstock",
        "/delallstock x",
        "/delallstock 1|2",
        "/delallstock -1",
        "/editid",
        "/editid 1",
        "/editid 1|",
        "/editid 1 2",
        "/editid 1|x",
        "/editid 1|0",
        "/editid 1|1000000",
        "/editid 1|２",
        "/editcategory",
        "/editcategory 1",
        "/editcategory 1|",
        "/editcategory x|Musik",
        "/editcategory 1;Musik",
        "/editsold",
        "/editsold 1",
        "/editsold 1|x",
        "/editsold 1|-1",
        "/editsold 1|+0",
        "/editsold 1|+-5",
        "/editsold 1|10000001",
        "/editsold 1 5",
        "/disc",
        "/disc 1",
        "/disc 1|x",
        "/disc 1|101%",
        "/disc 1|-5",
        "/disc 1|10.5%",
        "/disc 1|%",
        "/disc 1 10%",
        "/disc x|10%",
        "/disc 1|100000001",
        "/discat",
        "/discat Streaming",
        "/discat -|10%",
        "/discat Streaming|x",
        "/discat Streaming|101%",
        "/discat Streaming 10%",
        "/priceress",
        "/priceress 1",
        "/priceress 1|0",
        "/priceress 1|x",
        "/priceress 1|-5",
        "/priceress 1|100000001",
        "/priceress x|1000",
        "/exportstock",
        "/exportstock x",
        "/exportstock 1|2",
        "/info",
        "/info x",
        "/info 0",
        "/info -5",
        "/info +5",
        "/info 9007199254740993",
        "/info 1\n2",
        "/info ٧",
        "/pm",
        "/pm 5",
        "/pm 5 halo",
        "/pm x|halo",
        "/pm 0|halo",
        "/pm <b>5</b>|halo",
        "/transfer",
        "/transfer 5",
        "/transfer 5|0",
        "/transfer 5|-100",
        "/transfer 5|100000001",
        "/transfer 5|1.000.000.000",
        "/transfer 5|abc",
        "/transfer 5,1000",
        "/transfer x|1000",
        "/transfer 5|1e6",
        "/editbalance",
        "/editbalance 5",
        "/editbalance 5|-1",
        "/editbalance 5|100000001",
        "/editbalance 5;1000",
        "/ban",
        "/ban x",
        "/ban 0",
        "/ban -5",
        "/ban 5|6",
        "/unban",
        "/unban x",
        "/addadmin",
        "/addadmin x",
        "/addadmin -1",
        "/rmadmin",
        "/rmadmin x",
        "/addreseller",
        "/addreseller 1.5",
        "/rmress",
        "/rmress x",
        "/whitelist",
        "/whitelist 5",
        "/whitelist x",
        "/whitelist -100|-200",
        "/rm",
        "/rm 5",
        "/rm abc",
        "/version x",
        "/version 1|2",
    ]);
    for forms in [
        // 5000-character arguments.
        format!("/add 9|{long}|Kat|1000|-"),
        format!("/add {digits}|Nama|Kat|1000|-"),
        format!("/addstock 1|{long}"),
        format!("/del {digits}"),
        format!("/delstock 1|{digits}"),
        format!("/editid 1|{digits}"),
        format!("/editcategory 1|{long}"),
        format!("/editsold 1|{digits}"),
        format!("/disc 1|{digits}"),
        format!("/discat {long}|10%"),
        format!("/priceress 1|{digits}"),
        format!("/exportstock {long}"),
        format!("/info {digits}"),
        format!("/pm {u}|{long}"),
        format!("/transfer {u}|{digits}"),
        format!("/editbalance {u}|{digits}"),
        format!("/ban {long}"),
        format!("/unban {digits}"),
        format!("/addadmin {long}"),
        format!("/rmadmin {digits}"),
        format!("/addreseller {long}"),
        format!("/rmress {digits}"),
        format!("/whitelist -{digits}"),
        format!("/rm {long}"),
        format!("/version {long}"),
        // Injections in the id/amount positions, unicode digits, multi-line single arguments.
        format!("/transfer {u}|<b>1000</b>"),
        format!("/transfer {u}|1000'; DROP TABLE ledger;--"),
        format!("/editbalance {u}|١٠٠٠"),
        format!("/ban {u}'; DROP TABLE users;--"),
        format!("/addadmin {u}\n{u}"),
        format!("/pm {u}|   "),
    ] {
        v.push(forms);
    }
    v
}

/// Commands about a product or user that does not exist, with the answer they must give.
fn missing_targets() -> Vec<(&'static str, &'static str)> {
    vec![
        ("/addstock 99|item", NOT_FOUND),
        ("/del 99", NOT_FOUND),
        ("/delstock 99|1", "tidak ada"),
        ("/delallstock 99", NOT_FOUND),
        ("/editid 99|100", NOT_FOUND),
        ("/editcategory 99|Musik", NOT_FOUND),
        ("/editsold 99|5", NOT_FOUND),
        ("/disc 99|10%", NOT_FOUND),
        ("/discat Tidak Ada|10%", NOT_FOUND),
        ("/priceress 99|1000", NOT_FOUND),
        ("/exportstock 99", NOT_FOUND),
        ("/info 424242", NOT_FOUND),
        ("/pm 424242|halo", NOT_FOUND),
        ("/transfer 424242|1000", NOT_FOUND),
        ("/editbalance 424242|1000", NOT_FOUND),
        ("/ban 424242", NOT_FOUND),
        ("/unban 424242", NOT_FOUND),
        ("/addadmin 424242", NOT_FOUND),
        ("/rmadmin 424242", NOT_FOUND),
        ("/addreseller 424242", NOT_FOUND),
        ("/rmress 424242", NOT_FOUND),
        ("/rm -100424242", "tidak ada"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_commands_get_the_usage_and_missing_targets_say_so() {
    let mut app = App::start().await;
    let c = 7401;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &["nf-1", "nf-2"]).await;
    app.onboard(c).await;
    let before = stats(&app);

    let mut wrong = Vec::new();
    for cmd in malformed(c) {
        let name: String = cmd[1..].chars().take_while(char::is_ascii_alphanumeric).collect();
        let m = ask(&mut app, ADMIN, &cmd).await;
        let ok = m.text.starts_with(FORMAT_WRONG) && m.text.contains(&format!("/{name}")) && m.text.contains("Contoh:");
        if !ok {
            let shown: String = cmd.chars().take(80).collect();
            wrong.push(format!("{shown:?} → {:?}", m.text));
        }
    }
    assert!(wrong.is_empty(), "malformed commands not answered with the usage:\n{}", wrong.join("\n"));

    for (cmd, needle) in missing_targets() {
        let m = ask(&mut app, ADMIN, cmd).await;
        if !m.text.contains(needle) {
            wrong.push(format!("{cmd:?} → {:?}", m.text));
        }
    }
    assert!(wrong.is_empty(), "commands about missing targets:\n{}", wrong.join("\n"));

    // Nothing changed, nothing was dropped.
    let after = stats(&app);
    for p in ["/users", "/products", "/stock/available", "/ledger_sum", "/balance_sum"] {
        assert_eq!(num(&before, p), num(&after, p), "{p}: {after:#}");
    }
    card_shows(&mut app, c, 1, &["Harga: Rp30.000", "Stok: 2", "Terjual: 0"]).await;
    assert!(balance_line(&mut app, c).await.contains("Rp0"));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_price_is_named_with_its_limits() {
    let mut app = App::start().await;
    for (price, shown) in [("40rb", "40rb"), ("Rp-5", "Rp-5"), ("0", "0"), ("100000001", "100000001"), ("40k", "40k")] {
        let m = ask(&mut app, ADMIN, &format!("/add 9|Nama|Kat|{price}|-")).await;
        assert!(!m.text.contains(FORMAT_WRONG), "{price}: {}", m.text);
        let want = format!("Harga tidak valid: {shown}. Harga harus angka rupiah dari Rp1 sampai Rp100.000.000.");
        assert!(m.text.contains(&want), "{price}: {}", m.text);
        assert!(m.text.contains("Format: /add id|nama|kategori|harga|deskripsi"), "{}", m.text);
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plus_signed_product_ids_are_malformed() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    let mut executed = Vec::new();
    for cmd in ["/editsold 1|++5", "/editsold +1|5", "/disc +1|10%", "/editid +1|2", "/del +1"] {
        let m = ask(&mut app, ADMIN, cmd).await;
        if !m.text.starts_with(FORMAT_WRONG) {
            executed.push(format!("{cmd:?} → {:?}", m.text));
        }
    }
    assert!(executed.is_empty(), "{}", executed.join("\n"));
    app.finish().await;
}

// ------------------------------------------------------------------ 5. RBAC

/// Every admin command without arguments, then with plausible arguments aimed at this shop.
fn all_admin_lines(me: i64, other: i64) -> Vec<String> {
    let with_args = |name: &str| -> String {
        let args = match name {
            "add" => "9|Produk Penyusup|X|1000|-".to_string(),
            "addstock" => "1|curian-1\ncurian-2".to_string(),
            "del" | "delallstock" | "exportstock" => "1".to_string(),
            "delstock" => "1|1".to_string(),
            "editid" => "1|50".to_string(),
            "editcategory" => "1|Penyusup".to_string(),
            "editsold" => "1|+999".to_string(),
            "disc" => "1|100%".to_string(),
            "discat" => "Streaming|100%".to_string(),
            "priceress" => "1|1".to_string(),
            "info" | "addadmin" | "addreseller" => me.to_string(),
            "pm" => format!("{other}|halo dari penyusup"),
            "transfer" => format!("{me}|1000000"),
            "editbalance" => format!("{me}|99999999"),
            "ban" | "rmadmin" | "rmress" | "unban" => other.to_string(),
            "whitelist" | "rm" => "-100999".to_string(),
            "broadcast" => "promo palsu".to_string(),
            "giveaway" => "10000|5".to_string(),
            "setformula" => "days=30|lt7=0.1|ge7=0.1|c12=0.1|c3=0.1|c4=0.1".to_string(),
            _ => "x".to_string(),
        };
        format!("/{name} {args}")
    };
    ADMIN_COMMANDS.iter().map(|n| format!("/{n}")).chain(ADMIN_COMMANDS.iter().map(|n| with_args(n))).collect()
}

/// `user` sends every admin command (and a `.txt` stock import): nothing reaches them; then the
/// rbac_deny rows name each command with the user's role.
async fn assert_denied(app: &mut App, user: i64, other: i64, role: &str) {
    let lines = all_admin_lines(user, other);
    let rows_before = audit_tail(app, &["--action", "rbac_deny", "--actor", &user.to_string(), "-n", "10000"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let since = app.calls_len();
    for line in &lines {
        app.tg.send_text(user, line);
    }
    app.tg.send_document(user, "stok.txt", b"curian-3\n", Some("/addstock 1"));
    app.assert_silent(user, since).await;
    // The user's updates are handled in order: once this probe is answered, all were handled.
    app.say(user, "/stock");
    let probe = app.wait_text(user, "Stok Produk").await;
    assert!(probe.text.contains("stok 1"), "{}", probe.text);
    assert!(!probe.text.contains("Penyusup"), "{}", probe.text);
    // Nobody else heard anything from these commands either.
    for chat in [other, -100_999] {
        let visible: Vec<_> = app
            .calls_since(since)
            .into_iter()
            .filter(|c| common::chat_of(c) == Some(chat) && c.method.starts_with("send"))
            .map(|c| c.params)
            .collect();
        assert!(visible.is_empty(), "{chat} got {visible:#?}");
    }

    let tail = audit_tail(app, &["--action", "rbac_deny", "--actor", &user.to_string(), "-n", "10000"]);
    let rows: Vec<&str> = tail.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(rows.len() - rows_before, lines.len() + 1, "one rbac_deny row per denied command:\n{tail}");
    for name in ADMIN_COMMANDS {
        let hits = rows.iter().filter(|l| l.contains(&format!(" command:{name} "))).count();
        assert!(hits >= 2, "/{name}: {hits} rbac_deny rows for {user}:\n{tail}");
    }
    for r in &rows {
        assert!(r.contains(&format!(":{user} rbac_deny")), "{r}");
        assert!(r.contains(&format!("\"role\":\"{role}\"")), "{r}");
    }
    let menu = chat_menu(app, user);
    assert!(admin_commands_in(&menu).is_empty(), "{user}'s menu lists admin commands: {menu:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_and_resellers_get_silence_and_an_rbac_deny_row_for_every_admin_command() {
    let mut app = App::start().await;
    let (cust, ress) = (7501, 7502);
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &["nf-1"]).await;
    app.onboard(cust).await;
    app.onboard(ress).await;
    admin_says(&mut app, &format!("/addreseller {ress}"), "sekarang", &[]).await;
    app.wait_text_any(ress, "Reseller").await;
    let before = stats(&app);

    assert_denied(&mut app, cust, ress, "customer").await;
    assert_denied(&mut app, ress, cust, "reseller").await;

    // Nothing changed: balances, roles, bans, products, stock, groups.
    let after = stats(&app);
    for p in ["/users", "/products", "/stock/available", "/ledger_sum", "/balance_sum", "/sold_count_sum"] {
        assert_eq!(num(&before, p), num(&after, p), "{p}: {after:#}");
    }
    assert!(num(&after, "/security_events/rbac_deny") >= 2 * (2 * ADMIN_COMMANDS.len() as i64 + 1), "{after:#}");
    for u in [cust, ress] {
        assert!(balance_line(&mut app, u).await.contains("Rp0"));
    }
    card_shows(&mut app, cust, 1, &["Harga: Rp30.000", "Terjual: 0", "Stok: 1"]).await;
    card_shows(&mut app, ress, 1, &["Harga: Rp30.000"]).await;
    admin_says(&mut app, &format!("/info {ress}"), "Info Pengguna", &["Role: reseller", "Status: normal"]).await;
    admin_says(&mut app, &format!("/info {cust}"), "Info Pengguna", &["Role: customer", "Status: normal"]).await;
    admin_says(&mut app, "/rm -100999", "tidak ada", &[]).await;

    // The default menu never lists admin commands; the admin's chat does.
    let default: Vec<String> = app.tg.my_commands(None, None).into_iter().map(|(c, _)| c).collect();
    assert!(default.contains(&"start".to_string()), "{default:?}");
    assert!(admin_commands_in(&default).is_empty(), "{default:?}");
    assert_eq!(admin_commands_in(&chat_menu(&app, ADMIN)).len(), ADMIN_COMMANDS.len());
    app.finish().await;
}

// ------------------------------------------------------------------ 6. KIRIM PESAN

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kirim_pesan_reaches_every_admin_and_group_and_replies_come_back() {
    let mut app = App::start().await;
    let (c, adm, stranger) = (7601, 7602, 7603);
    let group: i64 = -1_007_601;
    app.onboard(c).await;
    app.onboard(adm).await;
    app.onboard(stranger).await;
    admin_says(&mut app, &format!("/addadmin {adm}"), "sekarang", &[]).await;
    admin_says(&mut app, &format!("/whitelist {group}"), "whitelist", &[]).await;

    // The reply keyboard has the button; pressing it sends its label.
    let kb = app.tg.reply_keyboard(c).unwrap_or_default();
    assert!(kb.iter().flatten().any(|b| b == "KIRIM PESAN"), "reply keyboard: {kb:?}");
    app.say(c, "KIRIM PESAN");
    app.wait_text(c, "Tulis pesan untuk admin").await;
    let text = "Kapan restock <Netflix> & Spotify?";
    app.say(c, text);
    app.wait_text(c, "diteruskan ke admin").await;
    let mut relayed = Vec::new();
    for chat in [ADMIN, adm, group] {
        let m = app
            .tg
            .wait_for(chat, |m| m.text.contains(text), common::WAIT)
            .await
            .unwrap_or_else(|| panic!("no relay in {chat}:\n{}", app.transcript(chat)));
        assert!(m.text.contains(&c.to_string()), "{}", m.text);
        assert!(m.text.contains(&format!("User{c}")), "{}", m.text);
        relayed.push((chat, m.message_id));
    }
    let stranger_got = app.tg.all_messages(stranger).iter().any(|m| m.text.contains(text));
    assert!(!stranger_got, "a customer received the relay");

    // An ADMIN_IDS admin replies in private.
    let (_, admin_msg) = relayed[0];
    let mark_c = app.mark(c);
    let mark_a = app.mark(ADMIN);
    app.tg.send_text_as(&FakeUser::new(ADMIN), ADMIN, "Besok siang <3", Some(admin_msg));
    let r = app.wait_text_since(c, &mark_c, "Balasan admin").await;
    assert!(r.text.contains("Besok siang <3"), "{}", r.text);
    app.wait_text_since(ADMIN, &mark_a, "Balasan terkirim").await;

    // The granted admin replies in private.
    let (_, adm_msg) = relayed[1];
    let mark_c = app.mark(c);
    app.tg.send_text_as(&FakeUser::new(adm), adm, "Dari admin kedua", Some(adm_msg));
    app.wait_text_since(c, &mark_c, "Dari admin kedua").await;

    // An admin replies in the group.
    let (_, group_msg) = relayed[2];
    let mark_c = app.mark(c);
    app.tg.send_text_as(&FakeUser::new(ADMIN), group, "Dari grup", Some(group_msg));
    app.wait_text_since(c, &mark_c, "Dari grup").await;

    // A non-admin's reply in the group does not reach the customer.
    let since = app.calls_len();
    let u = app.tg.send_text_as(&FakeUser::new(stranger), group, "Saya bukan admin", Some(group_msg));
    app.assert_silent_after(c, since, u).await;

    // A photo with a caption is relayed as a copy to every admin and group.
    app.say(c, "KIRIM PESAN");
    app.wait_text(c, "Tulis pesan untuk admin").await;
    let since = app.calls_len();
    app.mark_now(c);
    app.tg.send_photo(c, Some("Bukti transfer"));
    app.wait_text(c, "diteruskan ke admin").await;
    let mut copies = Vec::new();
    for chat in [ADMIN, adm, group] {
        let m = app
            .tg
            .wait_for(chat, |m| m.kind == MsgKind::Copy && m.text.contains("Bukti transfer"), common::WAIT)
            .await
            .unwrap_or_else(|| panic!("no photo relay in {chat}:\n{}", app.transcript(chat)));
        assert!(m.text.contains(&c.to_string()), "{}", m.text);
        copies.push(m.message_id);
    }
    let copy_calls: Vec<_> = app.calls_since(since).into_iter().filter(|call| call.method == "copymessage").collect();
    assert_eq!(copy_calls.len(), 3, "{copy_calls:#?}");
    for call in &copy_calls {
        assert_eq!(
            call.params.get("from_chat_id").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())),
            Some(c),
            "{call:?}"
        );
    }
    let mark_c = app.mark(c);
    app.tg.send_text_as(&FakeUser::new(adm), adm, "Foto diterima", Some(copies[1]));
    app.wait_text_since(c, &mark_c, "Foto diterima").await;

    // The sender's name is shown as typed, never as markup.
    let eve = FakeUser { id: 7604, first_name: "<i>Eve</i> & Co".into(), username: None };
    app.tg.send_text_as(&eve, eve.id, "KIRIM PESAN", None);
    app.tg
        .wait_for_text(eve.id, "Tulis pesan untuk admin", common::WAIT)
        .await
        .unwrap_or_else(|| panic!("{}", app.transcript(eve.id)));
    app.tg.send_text_as(&eve, eve.id, "Pesan dari Eve", None);
    let m = app
        .tg
        .wait_for(ADMIN, |m| m.text.contains("Pesan dari Eve"), common::WAIT)
        .await
        .unwrap_or_else(|| panic!("{}", app.transcript(ADMIN)));
    assert!(m.text.contains("<i>Eve</i> & Co"), "{:?}", m.text);
    assert!(m.text.contains("7604"), "{:?}", m.text);

    // After /rm the group no longer receives relays.
    admin_says(&mut app, &format!("/rm {group}"), "dihapus", &[]).await;
    app.say(c, "KIRIM PESAN");
    app.wait_text(c, "Tulis pesan untuk admin").await;
    let since = app.calls_len();
    app.say(c, "Pesan ketiga");
    app.wait_text(c, "diteruskan ke admin").await;
    app.wait_text_any(adm, "Pesan ketiga").await;
    app.assert_silent(group, since).await;
    app.finish().await;
}
