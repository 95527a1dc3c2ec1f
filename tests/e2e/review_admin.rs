//! Issue 12 (hostile review), defects 7, 8 and 12a–c, end to end against the real binary:
//! role commands follow one rule table and never demote an admin; a discount or reseller price
//! that would make a product free (or a reseller pay more than a customer) is refused with the
//! product, its price and the limit; names lose bidi and zero-width characters; a long KIRIM
//! PESAN photo caption reaches the admins in full; list pages with the longest product names fit
//! in one Telegram message.

use crate::common::{App, ADMIN};
use quickcart::testkit::{BotMessage, FakeUser, MsgKind};

const REFUSED: &str = "Ditolak";

/// The admin sends `text`; waits for the answer containing `needle` and checks it contains every
/// string of `all` too.
async fn admin_says(app: &mut App, text: &str, needle: &str, all: &[&str]) -> BotMessage {
    let m = app.admin(text, needle).await;
    for n in all {
        assert!(m.text.contains(n), "{text:?}: {n:?} missing in {:?}", m.text);
    }
    m
}

/// The `Role:` line of `/info id`.
async fn role_of(app: &mut App, id: i64) -> String {
    let m = app.admin(&format!("/info {id}"), "Info Pengguna").await;
    m.text.lines().find(|l| l.starts_with("Role:")).unwrap_or_default().trim().to_string()
}

/// `user` (with their own first name / username) says `text`.
fn say_as(app: &mut App, user: &FakeUser, text: &str) {
    app.mark_now(user.id);
    app.tg.send_text_as(user, user.id, text, None);
}

// ------------------------------------------------------------------ defect 7: roles

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reseller_commands_never_demote_an_admin() {
    let mut app = App::start().await;
    let (adm, ress, cust) = (12_701, 12_702, 12_703);
    for u in [adm, ress, cust] {
        app.onboard(u).await;
    }
    admin_says(&mut app, &format!("/addadmin {adm}"), "sekarang", &["sekarang admin"]).await;
    admin_says(&mut app, &format!("/addreseller {ress}"), "sekarang", &["sekarang reseller"]).await;
    assert_eq!(role_of(&mut app, adm).await, "Role: admin");

    // /rmress on an admin: refused, naming why; the admin stays admin and keeps admin commands.
    admin_says(&mut app, &format!("/rmress {adm}"), REFUSED, &[&adm.to_string(), "admin", "/rmress"]).await;
    assert_eq!(role_of(&mut app, adm).await, "Role: admin");
    // /addreseller on an admin: refused too (it used to be the other silent demotion).
    admin_says(&mut app, &format!("/addreseller {adm}"), REFUSED, &["admin", "/addreseller", "/rmadmin"]).await;
    assert_eq!(role_of(&mut app, adm).await, "Role: admin");
    app.say(adm, "/version");
    app.wait_text(adm, "QuickCart").await;

    // The ADMIN_IDS admin: no reseller command and no /rmadmin touches them.
    for cmd in ["rmress", "addreseller"] {
        admin_says(&mut app, &format!("/{cmd} {ADMIN}"), REFUSED, &["ADMIN_IDS", &format!("/{cmd}")]).await;
    }
    admin_says(&mut app, &format!("/rmadmin {ADMIN}"), "ADMIN_IDS", &[]).await;
    let env_role = role_of(&mut app, ADMIN).await;
    assert!(!env_role.contains("reseller"), "{env_role}");
    let info = app.admin(&format!("/info {ADMIN}"), "Info Pengguna").await;
    assert!(info.text.contains("admin via ADMIN_IDS"), "{}", info.text);

    // /rmress only turns a reseller into a customer; on a customer it says why it did nothing.
    admin_says(&mut app, &format!("/rmress {cust}"), REFUSED, &["bukan reseller"]).await;
    assert_eq!(role_of(&mut app, cust).await, "Role: customer");
    admin_says(&mut app, &format!("/rmress {ress}"), "sekarang", &["sekarang customer"]).await;
    assert_eq!(role_of(&mut app, ress).await, "Role: customer");
    // /rmadmin is the one way down for an admin.
    admin_says(&mut app, &format!("/rmadmin {cust}"), REFUSED, &["bukan admin"]).await;
    admin_says(&mut app, &format!("/rmadmin {adm}"), "sekarang", &["sekarang customer"]).await;
    assert_eq!(role_of(&mut app, adm).await, "Role: customer");
    app.finish().await;
}

// ------------------------------------------------------------------ defect 8: prices

/// The `Saldo` line of the user's AKUN screen.
async fn balance_line(app: &mut App, user: i64) -> String {
    app.say(user, "AKUN");
    let m = app.wait_text(user, "Akun Saya").await;
    m.text.lines().find(|l| l.contains("Saldo")).unwrap_or_default().trim().to_string()
}

/// Card → summary → (voucher step skipped) → SALDO → Konfirmasi; returns the delivery.
async fn buy_with_saldo(app: &mut App, user: i64, id: i64) -> BotMessage {
    app.say(user, &id.to_string());
    let mark = app.last_mark(user);
    app.wait_msg_since(
        user,
        &mark,
        |m| m.inline_buttons.iter().flatten().any(|b| b.text == "Lanjut ke pembayaran"),
        "card",
    )
    .await;
    app.press(user, "Lanjut ke pembayaran");
    app.wait_text(user, "Ringkasan Pesanan").await;
    if app.tg.find_button(user, "SALDO").is_none() {
        app.press(user, "Skip");
        let mark = app.last_mark(user);
        app.wait_msg_since(user, &mark, |m| m.inline_buttons.iter().flatten().any(|b| b.text == "SALDO"), "SALDO")
            .await;
    }
    app.press(user, "SALDO");
    app.wait_text(user, "Bayar dengan SALDO").await;
    app.press(user, "Konfirmasi");
    app.wait_text(user, "Pembayaran berhasil").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discounts_and_reseller_prices_never_make_a_product_free() {
    let mut app = App::start().await;
    let c = 12_801;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_product("2", "Spotify Family", "Streaming", "5000").await;
    app.add_stock(1, &["nf-1", "nf-2"]).await;
    app.onboard(c).await;

    // The typo of the review: Rp100.000 off a Rp30.000 product. Refused with name, price, limit.
    let m = admin_says(
        &mut app,
        "/disc 1|100000",
        REFUSED,
        &["produk 1", "Netflix Premium", "Rp30.000", "Rp100.000", "Rp0", "Rp29.999", "99%"],
    )
    .await;
    assert!(!m.text.contains("✅"), "{}", m.text);
    admin_says(&mut app, "/disc 1|100%", REFUSED, &["Netflix Premium", "Rp30.000", "100%", "Rp29.999"]).await;
    admin_says(&mut app, "/disc 1|30000", REFUSED, &["Rp29.999"]).await;

    // Nothing changed: the card and a SALDO purchase are at the full price, never Rp0.
    app.say(c, "1");
    let card = app.wait_text(c, "Harga:").await;
    assert!(card.text.contains("Harga: Rp30.000"), "{}", card.text);
    admin_says(&mut app, &format!("/transfer {c}|50000"), "Saldo", &[]).await;
    let delivered = buy_with_saldo(&mut app, c, 1).await;
    assert!(delivered.text.contains("Dibayar: Rp30.000"), "{}", delivered.text);
    assert!(!delivered.text.contains("Rp0"), "{}", delivered.text);
    assert_eq!(balance_line(&mut app, c).await, "💰 Saldo: Rp20.000");

    // The limit itself is accepted (Rp1 left), and removing works as before.
    admin_says(&mut app, "/disc 1|29999", "Diskon produk 1", &["Rp29.999"]).await;
    admin_says(&mut app, "/disc 1|0", "Diskon produk 1", &["tanpa diskon"]).await;

    // /discat: refused when ANY active product of the category would cost Rp0 (here Spotify).
    admin_says(&mut app, "/discat Streaming|5000", REFUSED, &["Spotify Family", "Rp5.000", "Rp4.999"]).await;
    admin_says(&mut app, "/discat Streaming|100%", REFUSED, &["Netflix Premium", "100%"]).await;
    admin_says(&mut app, "/discat Streaming|4999", "Diskon kategori", &["Rp4.999"]).await;
    app.say(c, "2");
    let card = app.wait_text(c, "Harga:").await;
    assert!(card.text.contains("Harga: Rp1\n") || card.text.contains("Harga: Rp1 "), "{}", card.text);
    admin_says(&mut app, "/discat Streaming|0", "Diskon kategori", &["tanpa diskon"]).await;

    // /add into a category whose nominal discount would make the new product free: refused.
    app.add_product("3", "Kursus Gitar", "Musik", "50000").await;
    admin_says(&mut app, "/discat Musik|20000", "Diskon kategori", &["Rp20.000"]).await;
    admin_says(&mut app, "/add 4|Pick Gitar|Musik|15000|-", REFUSED, &["Pick Gitar", "Rp15.000", "Musik", "Rp20.001"])
        .await;
    app.say(c, "4");
    app.wait_text(c, "Produk tidak ditemukan").await;
    admin_says(&mut app, "/add -|Pick Gitar|Musik|25000|-", "Produk ditambahkan", &["Rp25.000"]).await;
    // Moving a product into that category is refused the same way.
    admin_says(&mut app, "/editcategory 2|Musik", REFUSED, &["Spotify Family", "Rp5.000"]).await;
    app.say(c, "2");
    let card = app.wait_text(c, "Harga:").await;
    assert!(card.text.contains("Kategori: Streaming") && card.text.contains("Harga: Rp5.000"), "{}", card.text);

    // /priceress: never above the customer price, never free under a discount.
    admin_says(&mut app, "/priceress 1|35000", REFUSED, &["Rp35.000", "Rp30.000", "Netflix Premium", "lebih tinggi"])
        .await;
    admin_says(&mut app, "/priceress 3|20000", REFUSED, &["Kursus Gitar", "harga reseller", "Rp20.000"]).await;
    admin_says(&mut app, "/priceress 1|30000", "Harga reseller", &["produk 1: Rp30.000"]).await;
    admin_says(&mut app, "/priceress 1|25000", "Harga reseller", &["produk 1: Rp25.000"]).await;
    // A product discount is checked against the reseller price too.
    admin_says(&mut app, "/disc 1|25000", REFUSED, &["harga reseller", "Rp25.000", "Rp24.999"]).await;
    app.finish().await;
}

// ------------------------------------------------------------------ 12a: hidden characters in names

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_lose_bidi_and_zero_width_characters() {
    let mut app = App::start().await;
    let hidden =
        ['\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{200D}', '\u{200E}', '\u{FEFF}', '\u{061C}'];
    let shows_hidden = |s: &str| s.chars().any(|c| hidden.contains(&c));

    // A typed name at onboarding.
    let typed = 12_901;
    app.say(typed, "/start");
    app.wait_text(typed, "Siapa nama Anda").await;
    app.say(typed, "Budi\u{202E}nimdA\u{200B}");
    app.wait_text(typed, "Nomor WhatsApp").await;
    for step in ["Alamat email", "Selamat datang"] {
        app.say(typed, "/skip");
        app.wait_text(typed, step).await;
    }
    let info = app.admin(&format!("/info {typed}"), "Info Pengguna").await;
    assert!(info.raw_text.contains("Nama: BudinimdA\n"), "{:?}", info.raw_text);
    assert!(!shows_hidden(&info.raw_text), "{:?}", info.raw_text);

    // The Telegram first name (the default name) and the username.
    let eve = FakeUser {
        id: 12_902,
        first_name: "\u{2066}Eve\u{202E}lyn\u{FEFF}".into(),
        username: Some("eve\u{200F}lyn".into()),
    };
    say_as(&mut app, &eve, "/start");
    app.wait_text(eve.id, "Siapa nama Anda").await;
    for step in ["Nomor WhatsApp", "Alamat email", "Selamat datang"] {
        say_as(&mut app, &eve, "/skip");
        app.wait_text(eve.id, step).await;
    }
    let info = app.admin(&format!("/info {}", eve.id), "Info Pengguna").await;
    assert!(info.raw_text.contains("Nama: Evelyn\n"), "{:?}", info.raw_text);
    assert!(info.raw_text.contains("Username: @evelyn\n"), "{:?}", info.raw_text);
    assert!(!shows_hidden(&info.raw_text), "{:?}", info.raw_text);

    // KIRIM PESAN: the admin sees the clean name.
    say_as(&mut app, &eve, "KIRIM PESAN");
    app.wait_text(eve.id, "Tulis pesan untuk admin").await;
    say_as(&mut app, &eve, "Halo admin");
    app.wait_text(eve.id, "diteruskan ke admin").await;
    let relayed = app.wait_text_any(ADMIN, "Halo admin").await;
    assert!(relayed.raw_text.contains("Evelyn") && relayed.raw_text.contains("@evelyn"), "{:?}", relayed.raw_text);
    assert!(!shows_hidden(&relayed.raw_text), "{:?}", relayed.raw_text);

    // [Ubah Nama] with only hidden characters is no name; with some it is cleaned.
    app.say(typed, "AKUN");
    app.wait_text(typed, "Akun Saya").await;
    app.press(typed, "Ubah Nama");
    app.wait_text(typed, "nama baru").await;
    app.say(typed, "\u{202E}\u{200B}");
    app.wait_text(typed, "Nama harus").await;
    app.say(typed, "Siti\u{2067} Aminah\u{2069}");
    let account = app.wait_text(typed, "Akun Saya").await;
    assert!(account.raw_text.contains("Nama: Siti Aminah\n"), "{:?}", account.raw_text);
    assert!(!shows_hidden(&account.raw_text), "{:?}", account.raw_text);
    app.finish().await;
}

// ------------------------------------------------------------------ 12b: long photo captions

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_photo_message_reaches_the_admins_in_full() {
    let mut app = App::start().await;
    let c = 12_951;
    app.onboard(c).await;
    // Within Telegram's own 1,024 for the customer, but too long with the sender header added.
    let text = format!("Bukti transfer {} AKHIR-PESAN", "pembayaran pesanan saya ".repeat(40));
    assert!(text.chars().count() < 1_024);
    app.say(c, "KIRIM PESAN");
    app.wait_text(c, "Tulis pesan untuk admin").await;
    let mark_admin = app.mark(ADMIN);
    app.mark_now(c);
    app.tg.send_photo(c, Some(&text));
    app.wait_text(c, "diteruskan ke admin").await;

    // By the time the customer hears "sent", the admin has the full text and the photo.
    let new = app.new_messages(ADMIN, &mark_admin);
    let full = new.iter().find(|m| m.text.contains(&text));
    assert!(full.is_some(), "the full text did not reach the admin:\n{}", app.transcript(ADMIN));
    let photo = new.iter().find(|m| m.kind == MsgKind::Copy);
    let Some(photo) = photo else { panic!("the photo did not reach the admin:\n{}", app.transcript(ADMIN)) };
    assert!(photo.text.contains(&c.to_string()), "the photo names the sender: {:?}", photo.text);
    for m in &new {
        let limit = if m.kind == MsgKind::Copy { 1_024 } else { 4_096 };
        assert!(m.text.encode_utf16().count() <= limit, "{:?}", m.text);
    }

    // A reply to either part reaches the customer.
    for (reply_to, answer) in
        [(photo.message_id, "Foto sudah kami cek"), (full.unwrap().message_id, "Teks sudah dibaca")]
    {
        let mark_c = app.mark(c);
        app.tg.send_text_as(&FakeUser::new(ADMIN), ADMIN, answer, Some(reply_to));
        app.wait_text_since(c, &mark_c, answer).await;
    }
    app.finish().await;
}

// ------------------------------------------------------------------ 12c: long names in lists

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_and_product_lists_with_the_longest_names_fit_in_a_message() {
    let mut app = App::start().await;
    let c = 12_991;
    // 35 products with the longest name /add accepts (100 characters, here 2 UTF-16 units each).
    let adds: Vec<String> =
        (1..=35).map(|id| format!("/add {id}|{id:03}{}|Game|{}|-", "🎮".repeat(97), 1000 * id)).collect();
    app.admin_batch(&adds, "Produk ditambahkan").await;
    app.add_stock(1, &["g-1"]).await;
    app.onboard(c).await;

    let fits = |m: &BotMessage| m.text.encode_utf16().count() <= 4_096;
    for how in ["/stock", "STOK"] {
        app.say(c, how);
        let page = app.wait_text(c, "Stok Produk").await;
        assert!(fits(&page), "{how}: {} units", page.text.encode_utf16().count());
        assert!(page.text.contains("001🎮") && page.text.contains('…'), "{}", page.text);
        assert!(page.text.contains("Rp1.000"), "{}", page.text);
    }
    app.press(c, "Selanjutnya");
    let page2 = app.wait_text(c, "Stok Produk (2/2)").await;
    assert!(fits(&page2) && page2.text.contains("035🎮"), "{}", page2.text);

    // The product lists (all products, a category, best sellers) too.
    app.say(c, "/start");
    app.wait_text(c, "Selamat datang").await;
    app.press(c, "Semua Produk");
    let all = app.wait_text(c, "halaman 1/4").await;
    assert!(fits(&all) && all.text.contains("010🎮"), "{}", all.text);
    // The card still shows the whole name.
    app.say(c, "1");
    let card = app.wait_text(c, "Harga:").await;
    assert!(card.text.contains(&format!("001{}", "🎮".repeat(97))), "{}", card.text);
    app.finish().await;
}
