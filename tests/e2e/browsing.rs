//! Customer browsing end to end (SPEC §2, issue 2 point 6): the real binary, a fake Telegram, and
//! assertions on what the customer sees.

use crate::common::{flat_labels, has_all, labels, App, ADMIN, STORE_NAME};
use quickcart::testkit::MsgKind;

const ASK_NAME: &str = "Siapa nama Anda";
const ASK_WA: &str = "Nomor WhatsApp Anda";
const ASK_EMAIL: &str = "Alamat email Anda";
const INVALID: &str = "tidak valid";
const UNKNOWN: &str = "Perintah tidak dikenali";
const UNSUPPORTED: &str = "jenis pesan ini tidak didukung";
const STALE: &str = "Tombol ini sudah tidak berlaku";
const NOT_FOUND: &str = "Produk tidak ditemukan";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_asks_in_order_validates_and_welcomes() {
    let mut app = App::start().await;
    // A small catalogue: 2 and 3 in stock, 1 sold out.
    app.seed(&[1, 2, 3], "Streaming", |id| if id == 1 { 0 } else { 2 }).await;
    let u = 5001;

    app.say(u, "/start");
    app.wait_text(u, ASK_NAME).await;
    let first = app.tg.messages(u);
    assert_eq!(first[0].kind, MsgKind::Sticker, "the welcome sticker comes first:\n{}", app.transcript(u));
    assert_eq!(app.tg.calls_to("sendSticker").len(), 1);

    app.say(u, "Budi Santoso");
    app.wait_text(u, ASK_WA).await;

    // Invalid WhatsApp: told so, asked again; the next valid answer moves on.
    for bad in ["12345", "halo", "0812-abc-999"] {
        app.say(u, bad);
        let m = app.wait_text(u, INVALID).await;
        assert!(m.text.contains("WhatsApp"), "{}", m.text);
    }
    app.say(u, "081234567890");
    app.wait_text(u, ASK_EMAIL).await;

    for bad in ["bukan-email", "a@", "@b.co", "budi@@x.com"] {
        app.say(u, bad);
        let m = app.wait_text(u, INVALID).await;
        assert!(m.text.contains("email"), "{}", m.text);
    }
    app.say(u, "budi@example.com");
    let welcome = app.wait_text(u, "Selamat datang").await;
    assert!(
        has_all(
            &welcome.text,
            &[
                STORE_NAME,
                "Budi Santoso",
                // the admin who added the products is a user too
                "Total pengguna: 2",
                "Total transaksi: 0"
            ]
        ),
        "{}",
        welcome.text
    );
    assert_eq!(labels(&welcome), vec![vec!["Kategori", "Terlaris", "Semua Produk"]]);
    app.wait_text_any(u, "data Anda sudah tersimpan").await;

    // The reply keyboard: the four fixed buttons, then the in-stock product ids.
    let kb = app.tg.reply_keyboard(u).expect("reply keyboard");
    assert_eq!(
        kb,
        vec![
            vec!["LIST PRODUK".to_string(), "STOK".to_string()],
            vec!["AKUN".to_string(), "KIRIM PESAN".to_string()],
            vec!["2".to_string(), "3".to_string()],
        ]
    );

    // What was typed is what the account shows.
    app.say(u, "AKUN");
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(
        has_all(&acc.text, &["Budi Santoso", "81234567890", "budi@example.com", "@user5001", "5001", "Rp0"]),
        "{}",
        acc.text
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_keeps_defaults_and_returning_users_go_straight_to_the_menu() {
    let mut app = App::start().await;
    let (a, b) = (5101, 5102);
    let w = app.onboard(a).await;
    assert!(has_all(&w.text, &["User5101", "Total pengguna: 1"]), "{}", w.text);

    app.say(a, "AKUN");
    let acc = app.wait_text(a, "Akun Saya").await;
    assert!(acc.text.contains("Nama: User5101"), "{}", acc.text);
    assert!(acc.text.contains("Email: -"), "{}", acc.text);
    assert!(acc.text.contains("WhatsApp: -"), "{}", acc.text);

    // A second user makes the total 2.
    let w = app.onboard(b).await;
    assert!(w.text.contains("Total pengguna: 2"), "{}", w.text);

    // Returning: straight to the menu, no sticker, no questions.
    let stickers = app.tg.calls_to("sendSticker").len();
    app.say(a, "/start");
    let w = app.wait_text(a, "Selamat datang").await;
    assert!(w.text.contains("Total pengguna: 2"), "{}", w.text);
    assert_eq!(app.tg.calls_to("sendSticker").len(), stickers);
    let since = app.last_mark(a);
    assert!(
        app.new_messages(a, &since).iter().all(|m| !m.text.contains(ASK_NAME) && m.kind != MsgKind::Sticker),
        "{}",
        app.transcript(a)
    );

    // Still a returning user after a restart: the data lives in the encrypted database.
    app.restart().await;
    app.say(a, "/start");
    app.wait_text(a, "Selamat datang").await;
    assert_eq!(app.tg.calls_to("sendSticker").len(), stickers);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_products_keyboard_and_pagination_edit_in_place() {
    let mut app = App::start().await;
    // 27 products; 5 and 27 sold out: 25 in stock, the keyboard shows the first 24.
    let ids: Vec<i64> = (1..=27).collect();
    app.seed(&ids, "Lisensi", |id| if id == 5 || id == 27 { 0 } else { 1 }).await;
    let u = 5201;
    app.onboard(u).await;

    let kb = app.tg.reply_keyboard(u).expect("reply keyboard");
    let expected: Vec<String> = (1..=26).filter(|id| *id != 5).take(24).map(|i: i64| i.to_string()).collect();
    assert_eq!(kb.len(), 2 + 3, "{kb:?}");
    for row in &kb[2..] {
        assert_eq!(row.len(), 8, "8 per row: {kb:?}");
    }
    assert_eq!(kb[2..].concat(), expected);

    // Semua Produk: page 1/3 (10 per page), then 2/3, 3/3, and back, all in one message.
    let pressed_on = app.press(u, "Semua Produk");
    let p1 = app.wait_text(u, "halaman 1/3").await;
    assert_eq!(p1.message_id, pressed_on, "the list replaces the welcome");
    assert!(flat_labels(&p1).contains(&"Selanjutnya 2/3".to_string()));
    assert!(p1.text.contains("Produk 5") && p1.text.contains("habis"));

    app.press(u, "Selanjutnya");
    let p2 = app.wait_text(u, "halaman 2/3").await;
    assert_eq!(p2.message_id, p1.message_id);
    assert!(flat_labels(&p2).contains(&"Selanjutnya 3/3".to_string()));
    assert!(p2.text.contains("Produk 11") && !p2.text.contains("Produk 10 "));

    app.press(u, "Selanjutnya 3/3");
    let p3 = app.wait_text(u, "halaman 3/3").await;
    assert_eq!(p3.message_id, p1.message_id);
    assert!(p3.text.contains("Produk 27"), "sold out still listed");
    assert!(!flat_labels(&p3).iter().any(|l| l.contains("Selanjutnya")));

    app.press(u, "Kembali");
    let back = app.wait_text(u, "halaman 2/3").await;
    assert_eq!(back.message_id, p1.message_id);
    app.press(u, "Kembali");
    app.wait_text(u, "halaman 1/3").await;
    app.press(u, "Kembali");
    let home = app.wait_text(u, "Selamat datang").await;
    assert_eq!(home.message_id, p1.message_id);
    assert!(
        app.tg.messages(u).iter().filter(|m| m.message_id == p1.message_id).all(|m| m.edits >= 6),
        "{}",
        app.transcript(u)
    );

    // A product button on a list opens the card as a new message.
    app.press(u, "Semua Produk");
    app.wait_text(u, "halaman 1/3").await;
    app.press(u, "7");
    let card = app.wait_text(u, "Harga: Rp7.000").await;
    assert_ne!(card.message_id, p1.message_id);

    // /stock lists 30 per page: one page for 27 products.
    app.say(u, "/stock");
    let stock = app.wait_text(u, "Stok Produk").await;
    assert!(has_all(&stock.text, &["Produk 1 ", "Produk 27", "Rp27.000"]), "{}", stock.text);

    // 31 products: /stock has two pages, navigated in place.
    app.seed(&[28, 29, 30, 31], "Lisensi", |_| 0).await;
    app.say(u, "/stock");
    let s1 = app.wait_text(u, "Stok Produk (1/2)").await;
    assert!(s1.text.contains("Produk 30") && !s1.text.contains("Produk 31"), "{}", s1.text);
    app.press(u, "Selanjutnya 2/2");
    let s2 = app.wait_text(u, "Stok Produk (2/2)").await;
    assert_eq!(s2.message_id, s1.message_id);
    assert!(s2.text.contains("Produk 31"), "{}", s2.text);
    app.press(u, "Kembali");
    let back = app.wait_text(u, "Stok Produk (1/2)").await;
    assert_eq!(back.message_id, s1.message_id);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_at_the_same_time_each_keep_their_own_flow() {
    let mut app = App::start().await;
    let users: Vec<i64> = (5901..=5906).collect();
    for &u in &users {
        app.say(u, "/start");
    }
    for &u in &users {
        app.wait_text(u, ASK_NAME).await;
    }
    for &u in &users {
        app.say(u, &format!("Pelanggan {u}"));
    }
    for &u in &users {
        app.wait_text(u, ASK_WA).await;
        app.say(u, &format!("0812{u}0000"));
    }
    for &u in &users {
        app.wait_text(u, ASK_EMAIL).await;
        app.say(u, "/skip");
    }
    for &u in &users {
        let w = app.wait_text(u, "Selamat datang").await;
        assert!(w.text.contains(&format!("Pelanggan {u}!")), "{}", w.text);
    }
    app.say(users[0], "/start");
    let w = app.wait_text(users[0], "Selamat datang").await;
    assert!(w.text.contains("Total pengguna: 6"), "{}", w.text);
    for &u in &users {
        app.say(u, "AKUN");
        let acc = app.wait_text(u, "Akun Saya").await;
        assert!(
            acc.text.contains(&format!("Pelanggan {u}")) && acc.text.contains(&format!("812{u}0000")),
            "{}",
            acc.text
        );
        // No unexplained internal "ID Bank" on the card.
        assert!(!acc.text.contains("Bank"), "{}", acc.text);
        // Nothing of anyone else (their name, username or number).
        for &other in users.iter().filter(|o| **o != u) {
            for theirs in [format!("Pelanggan {other}"), format!("@user{other}"), format!("812{other}0000")] {
                assert!(!acc.text.contains(&theirs), "{}", acc.text);
            }
        }
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_best_sellers_and_all_products() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_product("2", "Spotify Premium", "Streaming", "20000").await;
    app.add_product("3", "Kursus Rust", "-", "99000").await;
    app.add_product("4", "Canva Pro", "Desain", "45000").await;
    app.add_stock(1, &["n1", "n2"]).await;
    app.add_stock(2, &["s1"]).await;
    app.add_stock(3, &["k1"]).await;
    // 4 stays sold out.
    let u = 5301;
    app.onboard(u).await;

    app.press(u, "Kategori");
    let cats = app.wait_text(u, "Pilih kategori").await;
    let names = flat_labels(&cats);
    for want in ["Streaming (2)", "Tanpa Kategori (1)", "Desain (1)"] {
        assert!(names.iter().any(|l| l == want), "{want} in {names:?}");
    }

    app.press(u, "Tanpa Kategori");
    let list = app.wait_text(u, "Tanpa Kategori (halaman 1/1)").await;
    assert!(list.text.contains("Kursus Rust — Rp99.000 (stok 1)"), "{}", list.text);
    assert!(!list.text.contains("Netflix"), "{}", list.text);
    app.press(u, "Kembali");
    app.wait_text(u, "Pilih kategori").await;
    app.press(u, "Streaming");
    let list = app.wait_text(u, "Streaming (halaman 1/1)").await;
    assert!(has_all(&list.text, &["Netflix Premium", "Spotify Premium"]), "{}", list.text);
    app.press(u, "Kembali");
    app.wait_text(u, "Pilih kategori").await;
    app.press(u, "Kembali");
    app.wait_text(u, "Selamat datang").await;

    app.press(u, "Terlaris");
    let best = app.wait_text(u, "Terlaris (halaman 1/1)").await;
    // Nothing sold yet: no list of "terjual 0".
    assert!(best.text.contains("Belum ada produk yang terjual"), "{}", best.text);
    assert!(!best.text.contains("terjual 0"), "{}", best.text);
    assert!(flat_labels(&best).contains(&"Top Buyers".to_string()));
    app.press(u, "Top Buyers");
    let top = app.wait_text(u, "Top Buyers").await;
    assert!(top.text.contains("Belum ada pembeli"), "{}", top.text);
    app.press(u, "Kembali");
    app.wait_text(u, "Terlaris (halaman").await;
    app.press(u, "Kembali");
    app.wait_text(u, "Selamat datang").await;

    // With sales: the products that sold, most first, each numbered once (its product number).
    app.admin("/editsold 2|5", "Jumlah terjual").await;
    app.admin("/editsold 4|9", "produk 4").await;
    app.press(u, "Terlaris");
    let best = app.wait_text(u, "terjual 9").await;
    let lines: Vec<&str> = best.text.lines().skip(1).collect();
    assert_eq!(
        lines,
        vec!["4. Canva Pro — Rp45.000 · terjual 9", "2. Spotify Premium — Rp20.000 · terjual 5"],
        "{}",
        best.text
    );
    app.press(u, "Kembali");
    app.wait_text(u, "Selamat datang").await;

    app.press(u, "Semua Produk");
    let all = app.wait_text(u, "Semua Produk (halaman 1/1)").await;
    assert!(all.text.contains("Canva Pro — Rp45.000 (habis)"), "{}", all.text);
    assert!(all.text.contains("Netflix Premium — Rp30.000 (stok 2)"), "{}", all.text);

    // LIST PRODUK on the reply keyboard shows the same list.
    app.say(u, "LIST PRODUK");
    app.wait_text(u, "Semua Produk (halaman 1/1)").await;

    // A sold-out card has no quantity or checkout buttons, only the restock alert (issue 18).
    app.say(u, "4");
    let card = app.wait_text(u, "Canva Pro").await;
    assert!(card.text.contains("Stok produk ini sedang habis"), "{}", card.text);
    assert_eq!(labels(&card), vec![vec!["Kabari saya"], vec!["Batalkan"]]);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_card_quantity_is_bounded_and_edited_in_place() {
    let mut app = App::start().await;
    app.admin("/add 1|Netflix Premium|Streaming|30000|Akun sharing 1 profil", "Produk ditambahkan").await;
    app.add_stock(1, &["a", "b", "c"]).await;
    let u = 5401;
    app.onboard(u).await;

    // By the reply-keyboard button (its text is the id).
    let kb = app.tg.reply_keyboard(u).unwrap();
    assert_eq!(kb[2], vec!["1".to_string()]);
    app.say(u, &kb[2][0]);
    let card = app.wait_text(u, "Netflix Premium").await;
    assert!(
        has_all(
            &card.text,
            &[
                "Harga: Rp30.000",
                "Stok: 3",
                "Terjual: 0",
                "Streaming",
                "Akun sharing 1 profil",
                "Jumlah: 1",
                "Total: Rp30.000"
            ]
        ),
        "{}",
        card.text
    );
    assert_eq!(labels(&card), vec![vec!["-", "+", "+2", "+5", "+10"], vec!["Lanjut ke pembayaran"], vec!["Batalkan"]]);

    // [-] at 1: stays 1, a notice, no edit.
    app.press(u, "-");
    let notice = app.wait_answer(u).await;
    assert!(notice.contains("minimal 1"), "{notice:?}");
    assert_eq!(app.tg.last_message(u).unwrap().edits, 0);

    // [+10] clamps to the stock, edited in place.
    app.press(u, "+10");
    let edited = app.wait_text(u, "Jumlah: 3").await;
    assert_eq!(edited.message_id, card.message_id);
    assert_eq!(edited.edits, 1);
    assert!(edited.text.contains("Total: Rp90.000"), "{}", edited.text);
    assert!(app.wait_answer(u).await.contains('3'));

    // [+] at the top stays, with a notice.
    app.press(u, "+");
    let notice = app.wait_answer(u).await;
    assert!(notice.contains("Stok tersedia hanya 3"), "{notice:?}");

    app.press(u, "-");
    let edited = app.wait_text(u, "Jumlah: 2").await;
    assert_eq!((edited.message_id, edited.edits), (card.message_id, 2), "{}", app.transcript(u));
    assert_eq!(app.tg.messages(u).iter().filter(|m| m.text.contains("Netflix Premium")).count(), 1, "no second card");

    // By typed id, with spaces; then [Batalkan] edits the card.
    app.say(u, " 1 ");
    let card2 = app.wait_text(u, "Jumlah: 1").await;
    assert_ne!(card2.message_id, card.message_id);
    app.press(u, "Batalkan");
    let c = app.wait_text(u, "Dibatalkan").await;
    assert_eq!(c.message_id, card2.message_id);

    // Unknown ids.
    for id in ["999", "999999", "0", "1000000"] {
        app.say(u, id);
        let m = app
            .wait_msg_since(u, &app.last_mark(u), |m| m.text.contains(NOT_FOUND) || m.text.contains(UNKNOWN), id)
            .await;
        assert!(!m.text.contains("Netflix"), "{}", m.text);
    }
    app.say(u, "42");
    app.wait_text(u, NOT_FOUND).await;

    // [Lanjut ke pembayaran] answers (payments come later) and never crashes.
    app.say(u, "1");
    app.wait_text(u, "Jumlah: 1").await;
    app.press(u, "Lanjut ke pembayaran");
    app.wait_answer(u).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_order_and_account_edits() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "12.500").await;
    app.add_product("2", "Canva Pro", "-", "45000").await;
    app.add_stock(1, &["x1", "x2"]).await;
    let u = 5501;
    app.onboard(u).await;

    for how in ["/stock", "STOK", "stok"] {
        app.say(u, how);
        let s = app.wait_text(u, "Stok Produk").await;
        assert!(
            has_all(&s.text, &["1. Netflix Premium — Rp12.500 · stok 2", "2. Canva Pro — Rp45.000 · stok 0"]),
            "{how}: {}",
            s.text
        );
    }
    app.say(u, "/order");
    let o = app.wait_text(u, "Cara memesan").await;
    assert!(o.text.contains("Lanjut ke pembayaran"), "{}", o.text);

    app.say(u, "AKUN");
    let acc = app.wait_text(u, "Akun Saya").await;
    assert_eq!(labels(&acc)[0], vec!["Ubah Nama", "Ubah Email", "Ubah Whatsapp"]);
    assert!(acc.text.contains("Status: Member"), "{}", acc.text);

    app.press(u, "Ubah Nama");
    app.wait_text(u, "nama baru").await;
    app.say(u, &"x".repeat(65));
    app.wait_text(u, "Nama harus 1–64 karakter").await;
    app.say(u, "Siti <Aminah> & Co");
    app.wait_text(u, "Tersimpan").await;
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(acc.text.contains("Nama: Siti <Aminah> & Co"), "{}", acc.text);

    app.press(u, "Ubah Email");
    app.wait_text(u, "email baru").await;
    app.say(u, "siti@");
    app.wait_text(u, INVALID).await;
    app.say(u, "siti@example.co.id");
    app.wait_text(u, "Tersimpan").await;
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(acc.text.contains("Email: siti@example.co.id"), "{}", acc.text);

    app.press(u, "Ubah Whatsapp");
    app.wait_text(u, "WhatsApp baru").await;
    app.say(u, "123");
    app.wait_text(u, INVALID).await;
    app.say(u, "081298765432");
    app.wait_text(u, "Tersimpan").await;
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(acc.text.contains("81298765432"), "{}", acc.text);

    // The edit is over: the next number opens a product, it is not taken as a phone number.
    app.say(u, "1");
    app.wait_text(u, "Netflix Premium").await;

    // KIRIM PESAN answers (the feature arrives later).
    app.say(u, "KIRIM PESAN");
    let m = app.wait_msg_since(u, &app.last_mark(u), |m| !m.text.is_empty(), "any answer").await;
    assert!(!m.text.contains("Perintah tidak dikenali"), "{}", m.text);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flexible_navigation_drops_the_old_flow() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &["a"]).await;
    let u = 5601;

    // Mid-onboarding: /stock works, and the next text is no longer taken as the name.
    app.say(u, "/start");
    app.wait_text(u, ASK_NAME).await;
    app.say(u, "/stock");
    app.wait_text(u, "Stok Produk").await;
    app.say(u, "Budi");
    app.wait_text(u, UNKNOWN).await;

    // STOK (reply keyboard) in the middle of onboarding too.
    app.say(u, "/start");
    app.wait_text(u, ASK_NAME).await;
    app.say(u, "Budi");
    app.wait_text(u, ASK_WA).await;
    app.say(u, "STOK");
    app.wait_text(u, "Stok Produk").await;
    app.say(u, "081234567890");
    app.wait_text(u, UNKNOWN).await;

    // Finish onboarding properly; the WhatsApp number typed after STOK was not stored.
    app.onboard(u).await;
    app.say(u, "AKUN");
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(acc.text.contains("WhatsApp: -"), "{}", acc.text);

    // Mid email edit: STOK, then an email address is just unknown input.
    app.press(u, "Ubah Email");
    app.wait_text(u, "email baru").await;
    app.say(u, "STOK");
    app.wait_text(u, "Stok Produk").await;
    app.say(u, "budi@example.com");
    app.wait_text(u, UNKNOWN).await;
    app.say(u, "AKUN");
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(acc.text.contains("Email: -"), "{}", acc.text);

    // Mid name edit: a product id opens the card (a button works at any time).
    app.press(u, "Ubah Nama");
    app.wait_text(u, "nama baru").await;
    app.say(u, "/start");
    app.wait_text(u, "Selamat datang").await;
    app.press(u, "Semua Produk");
    app.wait_text(u, "Semua Produk (halaman").await;
    app.press(u, "1");
    app.wait_text(u, "Netflix Premium").await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_and_forged_buttons_get_a_short_notice() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_product("2", "Spotify Premium", "Streaming", "20000").await;
    app.add_stock(1, &["a", "b", "c"]).await;
    app.add_stock(2, &["d", "e"]).await;
    let (u, other) = (5701, 5702);
    let welcome = app.onboard(u).await;
    app.onboard(other).await;

    app.say(u, "1");
    let old = app.wait_text(u, "Netflix Premium").await;
    let (_, plus_old) = app.button(u, "+");
    app.say(u, "2");
    let new = app.wait_text(u, "Spotify Premium").await;

    // A quantity button on the older card: notice, no edit of either card.
    app.press_data(u, old.message_id, &plus_old);
    let notice = app.wait_answer(u).await;
    assert!(notice.contains(STALE), "{notice:?}");
    let after: Vec<_> = app.tg.messages(u);
    let find = |id: i64| after.iter().find(|m| m.message_id == id).unwrap().clone();
    assert_eq!(find(old.message_id).edits, 0);
    assert_eq!(find(new.message_id).edits, 0);

    // Forged data on the current card.
    let junk64 = "Z".repeat(64);
    let random: String = (0..40).map(|_| char::from(rand::random::<u8>() % 94 + 33)).collect();
    for data in [
        "q:1:99",
        "q:2:3",
        "q:2:-100",
        "q:0:1",
        "p:-1",
        "p:abc",
        "cat:x:1",
        "all:0",
        "all:99999999999",
        "hist:-1",
        "",
        "::::",
        "\u{0}\u{1}\u{7f}",
        "\u{f0}\u{9f}\u{98}\u{80}\u{e4}\u{b8}\u{ad}",
        "😀中文",
        random.as_str(),
        junk64.as_str(),
    ] {
        app.press_data(u, new.message_id, data);
        let notice = app.wait_answer(u).await;
        assert!(!notice.is_empty(), "data {data:?} got no notice");
    }
    // A forged "open product" for a product that does not exist.
    app.press_data(u, new.message_id, "p:424242");
    app.wait_text(u, NOT_FOUND).await;
    // Pages beyond the end land on the last page.
    app.press_data(u, welcome.message_id, "all:9999");
    let list = app.wait_text(u, "Semua Produk (halaman 1/1)").await;
    assert_eq!(list.message_id, welcome.message_id);

    // Another user's card: pressing its button (by its id in their own chat) is stale for them.
    app.press_data(other, new.message_id, "q:2:1");
    let notice = app.wait_answer(other).await;
    assert!(notice.contains(STALE), "{notice:?}");
    // A message id that does not exist at all (Telegram: inaccessible message).
    app.press_data(u, 987_654, "q:2:1");
    app.wait_answer(u).await;

    // The owner's card was never touched by the other user, and still works.
    let card = app.tg.messages(u).into_iter().find(|m| m.message_id == new.message_id).unwrap();
    assert_eq!(card.edits, 0, "{}", app.transcript(u));
    app.press_data(u, new.message_id, "q:2:1");
    let edited = app.wait_text(u, "Jumlah: 2").await;
    assert_eq!(edited.message_id, new.message_id);
    assert!(app.tg.messages(other).iter().all(|m| !m.text.contains("Spotify Premium")), "{}", app.transcript(other));

    app.say(u, "/start");
    app.wait_text(u, "Selamat datang").await;
    for who in [u, other] {
        assert!(
            app.tg.messages(who).iter().all(|m| !m.text.contains("terjadi gangguan")),
            "no internal error shown:\n{}",
            app.transcript(who)
        );
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_input_gets_a_clear_indonesian_answer() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    let u = 5801;

    // A name full of HTML is shown as typed (escaped), never breaking the message.
    app.say(u, "/start");
    app.wait_text(u, ASK_NAME).await;
    app.say(u, "<i>Tom & Jerry</i>");
    app.wait_text(u, ASK_WA).await;
    app.say(u, "/skip");
    app.wait_text(u, ASK_EMAIL).await;
    app.say(u, "/skip");
    let w = app.wait_text(u, "Selamat datang").await;
    assert!(w.text.contains("<i>Tom & Jerry</i>"), "{}", w.text);

    let long = "panjang ".repeat(500);
    for text in [
        long.as_str(),
        "🙂 ñ 中文 عربى \u{200b}\u{202e}",
        "<b>tebal</b> & <script>alert(1)</script>",
        "&amp; &lt; &#0; &",
        "'; DROP TABLE users; --",
        "1 OR 1=1",
        "1; DELETE FROM products",
        ".",
        "\u{3000}",
        "-1",
        "99999999999999999999999",
        "/",
        "/nosuchcommand",
        "/start@QuickCartTestBot extra args",
        "/skip",
        "%s%s%n {{}} ${PATH}",
    ] {
        app.say(u, text);
        // One of the clear answers; a restart of the menu for /start.
        app.wait_msg_since(
            u,
            &app.last_mark(u),
            |m| m.text.contains(UNKNOWN) || m.text.contains(NOT_FOUND) || m.text.contains("Selamat datang"),
            text,
        )
        .await;
    }

    app.mark_now(u);
    app.tg.send_sticker(u);
    app.wait_text(u, UNSUPPORTED).await;
    app.mark_now(u);
    app.tg.send_photo(u, None);
    app.wait_text(u, UNSUPPORTED).await;
    app.mark_now(u);
    app.tg.send_photo(u, Some("<b>caption</b> ' OR 1=1"));
    app.wait_text(u, UNSUPPORTED).await;
    app.mark_now(u);
    app.tg.send_document(u, "x.bin", &[0, 159, 146, 150, 255], None);
    app.wait_text(u, UNSUPPORTED).await;
    app.mark_now(u);
    app.tg.send_document(u, "notes.txt", b"hello", Some("hanya keterangan"));
    app.wait_text(u, UNSUPPORTED).await;

    assert!(
        app.tg.messages(u).iter().all(|m| !m.text.contains("terjadi gangguan")),
        "no internal error shown:\n{}",
        app.transcript(u)
    );

    // The admin's products are untouched by any of it.
    app.say(ADMIN, "/stock");
    let s = app.wait_text(ADMIN, "Stok Produk").await;
    assert!(s.text.contains("Netflix Premium"), "{}", s.text);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_on_an_older_card_leaves_the_current_card_alone() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_product("2", "Spotify Premium", "Streaming", "20000").await;
    app.add_stock(1, &["a", "b"]).await;
    app.add_stock(2, &["c", "d"]).await;
    let u = 5751;
    app.onboard(u).await;
    app.say(u, "1");
    let old = app.wait_text(u, "Netflix Premium").await;
    let (_, cancel_old) = app.button(u, "Batalkan");
    app.say(u, "2");
    let new = app.wait_text(u, "Spotify Premium").await;

    app.press_data(u, old.message_id, &cancel_old);
    let notice = app.wait_answer(u).await;
    assert!(notice.contains(STALE), "{notice:?}");
    assert_eq!(
        app.tg.messages(u).iter().find(|m| m.message_id == old.message_id).unwrap().edits,
        0,
        "{}",
        app.transcript(u)
    );
    // The current card still works.
    app.press(u, "+");
    let edited = app.wait_text(u, "Jumlah: 2").await;
    assert_eq!(edited.message_id, new.message_id);
    app.finish().await;
}
