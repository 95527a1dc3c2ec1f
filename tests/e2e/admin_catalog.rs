//! Minimal catalogue management end to end (SPEC §5, issue 2 point 7): `/add` and `/addstock`
//! for admins, and no reply at all for anyone else.

use crate::common::{flat_labels, has_all, App, ADMIN};
use quickcart::domain::commands::ADMIN_COMMANDS;
use serde_json::json;

const FORMAT_WRONG: &str = "Format salah. Contoh penggunaan yang benar:";
const NOT_FOUND: &str = "Produk tidak ditemukan";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_with_explicit_and_placeholder_ids() {
    let mut app = App::start().await;

    let m = app.admin("/add 5|Netflix Premium|Streaming|30000|Akun sharing | 1 profil", "Produk ditambahkan").await;
    assert!(
        has_all(&m.text, &["ID: 5", "Nama: Netflix Premium", "Kategori: Streaming", "Harga: Rp30.000"]),
        "{}",
        m.text
    );

    // `-` id: the smallest free id; `-` category: Tanpa Kategori; price with a thousands dot.
    let m = app.admin("/add -|Canva Pro|-|12.500|-", "Produk ditambahkan").await;
    assert!(has_all(&m.text, &["ID: 1", "Kategori: Tanpa Kategori", "Harga: Rp12.500"]), "{}", m.text);
    let m = app.admin("/add -|Spotify|Streaming|20000|-", "Produk ditambahkan").await;
    assert!(m.text.contains("ID: 2"), "{}", m.text);

    // Duplicate id refused; nothing changes.
    let m = app.admin("/add 5|Lain|Lain|1000|-", "sudah dipakai").await;
    assert!(m.text.contains('5'), "{}", m.text);

    // Malformed: the format and an example.
    for bad in
        ["/add", "/add 1|x", "/add x|A|B|1000|-", "/add 0|A|B|1000|-", "/add 7||B|1000|-", "/add 1000000|A|B|1000|-"]
    {
        let m = app.admin(bad, FORMAT_WRONG).await;
        assert!(has_all(&m.text, &["/add id|nama|kategori|harga|deskripsi", "Contoh"]), "{bad}: {}", m.text);
    }
    // Only the price wrong: the price is named with its limits, and the format follows.
    for bad in ["/add 7|A|B|abc|-", "/add 7|A|B|0|-", "/add 7|A|B|-5|-", "/add 7|A|B|999999999999|-"] {
        let m = app.admin(bad, "Harga tidak valid").await;
        assert!(
            has_all(&m.text, &["Rp1 sampai Rp100.000.000", "/add id|nama|kategori|harga|deskripsi"]),
            "{bad}: {}",
            m.text
        );
    }

    // Names are shown as typed, never interpreted as HTML.
    let m = app
        .admin("/add 8|<b>Promo</b> & Diskon|Kat <i>|1000|Baca <script>alert(1)</script> &amp;", "Produk ditambahkan")
        .await;
    assert!(has_all(&m.text, &["Nama: <b>Promo</b> & Diskon", "Kategori: Kat <i>"]), "{}", m.text);

    // The customer sees exactly the four products, with their categories and description.
    let u = 6001;
    app.onboard(u).await;
    app.press(u, "Semua Produk");
    let all = app.wait_text(u, "Semua Produk (halaman 1/1)").await;
    assert_eq!(flat_labels(&all)[..4], ["1", "2", "5", "8"], "{}", all.text);
    assert!(all.text.contains("<b>Promo</b> & Diskon"), "{}", all.text);
    assert!(!all.text.contains("Lain"), "{}", all.text);
    app.say(u, "5");
    let card = app.wait_text(u, "Netflix Premium").await;
    assert!(has_all(&card.text, &["Akun sharing | 1 profil", "Stok: 0"]), "{}", card.text);
    app.press(u, "Batalkan");
    app.wait_text(u, "Dibatalkan").await;
    app.say(u, "8");
    let card = app.wait_text(u, "Promo").await;
    assert!(
        has_all(&card.text, &["<b>Promo</b> & Diskon", "Kat <i>", "Baca <script>alert(1)</script> &amp;"]),
        "{}",
        card.text
    );
    app.say(u, "/start");
    app.wait_text(u, "Selamat datang").await;
    app.press(u, "Kategori");
    let cats = app.wait_text(u, "Pilih kategori").await;
    let names = flat_labels(&cats);
    assert!(names.contains(&"Tanpa Kategori (1)".to_string()), "{names:?}");
    assert!(names.contains(&"Streaming (2)".to_string()), "{names:?}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addstock_lines_duplicates_documents_and_the_count_follows_the_rows() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;

    let m = app.admin("/addstock 1|akun-a\nakun-b\nakun-b\n\n  akun-c  ", "Total stok").await;
    assert!(has_all(&m.text, &["Ditambahkan: 3", "Duplikat dilewati: 1", "Total stok tersedia: 3"]), "{}", m.text);
    // Duplicates of rows already stored are skipped too.
    let m = app.admin("/addstock 1|akun-c\nakun-d", "Total stok").await;
    assert!(has_all(&m.text, &["Ditambahkan: 1", "Duplikat dilewati: 1", "Total stok tersedia: 4"]), "{}", m.text);

    // A .txt document with the caption `/addstock id`, CRLF and a BOM.
    app.mark_now(ADMIN);
    app.tg.send_document(ADMIN, "stok.txt", "\u{feff}akun-e\r\nakun-f\r\nakun-a\r\n".as_bytes(), Some("/addstock 1"));
    let m = app.wait_text(ADMIN, "Total stok").await;
    assert!(has_all(&m.text, &["Ditambahkan: 2", "Duplikat dilewati: 1", "Total stok tersedia: 6"]), "{}", m.text);

    // A document that is not UTF-8 text.
    app.mark_now(ADMIN);
    app.tg.send_document(ADMIN, "stok.txt", &[0xff, 0xfe, 0x00, 0x81], Some("/addstock 1"));
    app.wait_text(ADMIN, ".txt").await;

    // A document over 1 MB is refused.
    app.mark_now(ADMIN);
    let big = "x".repeat(1024 * 1024 + 10);
    app.tg.send_document(ADMIN, "besar.txt", big.as_bytes(), Some("/addstock 1"));
    app.wait_text(ADMIN, "terlalu besar").await;

    // Unknown product, and malformed commands.
    let m = app.admin("/addstock 99|x", "tidak ditemukan").await;
    assert!(m.text.contains("99"), "{}", m.text);
    for bad in ["/addstock", "/addstock 1", "/addstock x|a", "/addstock 1|", "/addstock 0|a"] {
        let m = app.admin(bad, FORMAT_WRONG).await;
        assert!(m.text.contains("/addstock id|item"), "{bad}: {}", m.text);
    }

    // The customer's card and /stock show the rows: 6.
    let u = 6101;
    app.onboard(u).await;
    app.say(u, "1");
    let card = app.wait_text(u, "Netflix Premium").await;
    assert!(card.text.contains("Stok: 6"), "{}", card.text);
    app.say(u, "/stock");
    let s = app.wait_text(u, "Stok Produk").await;
    assert!(s.text.contains("stok 6"), "{}", s.text);

    // More stock: an open card picks it up when the quantity changes; a new card shows it.
    app.add_stock(1, &["akun-g", "akun-h"]).await;
    app.say(u, "1");
    let card = app.wait_text(u, "Stok: 8").await;
    app.press(u, "+10");
    let c = app.wait_text(u, "Jumlah: 8").await;
    assert_eq!(c.message_id, card.message_id);

    // The stock survives a restart (it is rows in the encrypted database).
    app.restart().await;
    app.say(u, "/stock");
    let s = app.wait_text(u, "Stok Produk").await;
    assert!(s.text.contains("stok 8"), "{}", s.text);
    app.finish().await;
}

/// Every admin command, with plausible arguments.
fn admin_command_lines() -> Vec<String> {
    ADMIN_COMMANDS
        .iter()
        .map(|c| match *c {
            "add" => "/add 77|Produk Penyusup|X|1000|-".to_string(),
            "addstock" => "/addstock 1|curian".to_string(),
            "del" => "/del 1".to_string(),
            "ban" => "/ban 5".to_string(),
            "broadcast" => "/broadcast hi".to_string(),
            "giveaway" => "/giveaway 1000|1".to_string(),
            "transfer" => "/transfer 6201|100000".to_string(),
            other => format!("/{other} 1"),
        })
        .chain([
            "/ADD 78|Produk Penyusup|X|1000|-".to_string(),
            "/add@QuickCartTestBot 79|Produk Penyusup|X|1000|-".to_string(),
            "/version".to_string(),
            "/setformula".to_string(),
        ])
        .collect()
}

/// Sends every admin command as `user`, then `/stock` as a probe: the user's updates are handled
/// in order, so once the probe is answered every command before it was handled. Nothing but the
/// probe's answer may have reached the user.
async fn assert_all_admin_commands_silent(app: &mut App, user: i64, stock_line: &str) {
    let since = app.calls_len();
    let mark = app.mark(user);
    let mut last = 0;
    for line in admin_command_lines() {
        last = app.tg.send_text(user, &line);
    }
    // A .txt stock import by document too.
    app.tg.send_document(user, "stok.txt", b"curian-1\ncurian-2\n", Some("/addstock 1"));
    // One command through the harness' own silence check.
    app.assert_silent_after(user, since, last).await;
    app.say(user, "/stock");
    let probe = app.wait_text(user, "Stok Produk").await;
    let others: Vec<_> =
        app.new_messages(user, &mark).into_iter().filter(|m| m.message_id != probe.message_id).collect();
    assert!(
        others.is_empty(),
        "{user} got answers to admin commands: {:#?}",
        others.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    assert!(probe.text.contains(stock_line), "stock unchanged: {}", probe.text);
    for id in ["77", "78", "79"] {
        app.say(user, id);
        app.wait_text(user, NOT_FOUND).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_admins_get_no_reply_at_all() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &["asli"]).await;

    // A customer who never onboarded, and one who did.
    let fresh = 6201;
    let since = app.calls_len();
    app.say(fresh, "/add 76|Produk Penyusup|X|1000|-");
    app.assert_silent(fresh, since).await;
    assert_all_admin_commands_silent(&mut app, fresh, "stok 1").await;

    let customer = 6202;
    app.onboard(customer).await;
    assert_all_admin_commands_silent(&mut app, customer, "stok 1").await;

    // The real admin still works, and sees that nothing was added.
    app.say(ADMIN, "/stock");
    let s = app.wait_text(ADMIN, "Stok Produk").await;
    assert!(!s.text.contains("Penyusup"), "{}", s.text);
    assert!(s.text.contains("stok 1"), "{}", s.text);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granted_admins_work_revoked_admins_are_silent_and_menus_are_scoped() {
    let granted = 6301;
    let mut app = App::prepare(|_| {}).await;
    let out = app.cli(&["admin", "grant", &granted.to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    app.spawn().await;

    // Command menus: public commands for everyone, admin commands only in admin chats.
    let chat_scope = |id: i64| json!({"type": "chat", "chat_id": id});
    let names = |cmds: Vec<(String, String)>| cmds.into_iter().map(|(c, _)| c).collect::<Vec<_>>();
    let default = names(app.tg.my_commands(None, None));
    assert!(default.contains(&"start".to_string()) && default.contains(&"stock".to_string()), "{default:?}");
    for c in ADMIN_COMMANDS {
        assert!(!default.contains(&c.to_string()), "{c} in the default menu");
    }
    for id in [ADMIN, granted] {
        let scoped = names(app.tg.my_commands(Some(&chat_scope(id)), None));
        for c in ["start", "add", "addstock", "broadcast"] {
            assert!(scoped.contains(&c.to_string()), "{c} missing for {id}: {scoped:?}");
        }
    }
    assert!(names(app.tg.my_commands(Some(&chat_scope(6302)), None)).is_empty());

    // The granted admin adds a product and stock.
    app.say(granted, "/add -|Dari Admin Baru|-|5000|-");
    app.wait_text(granted, "ID: 1").await;
    app.say(granted, "/addstock 1|x1\nx2");
    app.wait_text(granted, "Total stok tersedia: 2").await;

    // Revoked (while the shop runs): silence from the next update on.
    let out = app.cli(&["admin", "revoke", &granted.to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_all_admin_commands_silent(&mut app, granted, "stok 2").await;

    // An ADMIN_IDS admin cannot be revoked from the command line.
    let out = app.cli(&["admin", "revoke", &ADMIN.to_string()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ADMIN_IDS"), "{}", String::from_utf8_lossy(&out.stdout));
    app.admin("/add 2|Masih Admin|-|1000|-", "Produk ditambahkan").await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_admin_loses_the_admin_menu_after_restart() {
    let granted = 6401;
    let mut app = App::prepare(|_| {}).await;
    assert!(app.cli(&["admin", "grant", &granted.to_string()]).status.success());
    app.spawn().await;
    app.say(granted, "/start");
    app.wait_text(granted, "Siapa nama").await;
    let scope = json!({"type": "chat", "chat_id": granted});
    assert!(app.tg.my_commands(Some(&scope), None).iter().any(|(c, _)| c == "add"));

    let status = app.stop().await;
    assert!(status.success());
    assert!(app.cli(&["admin", "revoke", &granted.to_string()]).status.success());
    app.spawn().await;
    app.say(granted, "/start");
    app.wait_text(granted, "Siapa nama").await;
    let menu = app.tg.my_commands(Some(&scope), None);
    assert!(
        !menu.iter().any(|(c, _)| ADMIN_COMMANDS.contains(&c.as_str())),
        "a customer's menu lists admin commands: {menu:?}"
    );
    app.finish().await;
}
