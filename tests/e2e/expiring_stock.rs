//! Expiring stock end to end (issue 18 point 6): `[s/d YYYY-MM-DD]` item lines on `/addstock`,
//! a past or malformed date refused and reported, a dated item sold while valid, an item past its
//! sell-by (valid-until − invoice lifetime) neither counted nor offered, `/liststock` showing the
//! valid-until, `db check` flagging an item sold after its valid-until, and the admins' daily note.

use std::time::Duration;

use chrono::{Duration as Days, NaiveDate, Utc};

use crate::common::{flat_labels, App, ADMIN};

const NOTE: &str = "Stok berbatas waktu";
const REMINDER: &str = "yang Anda beli berlaku s/d";
use crate::pay_support::{assert_db_check, buy_qris, pay, wait_msg, DELIVERED};
use quickcart::testkit::MsgKind;

/// Today's WIB calendar day.
fn today_wib() -> NaiveDate {
    (Utc::now() + Days::hours(7)).date_naive()
}

fn token(d: NaiveDate) -> String {
    format!("[s/d {}]", d.format("%Y-%m-%d"))
}

/// Seconds until the current WIB day ends.
fn seconds_left_today() -> i64 {
    quickcart::domain::expiry::end_of_wib_day(today_wib()) - Utc::now().timestamp()
}

/// The shop file, opened with the binary's key while it is stopped.
fn open_db(app: &App) -> rusqlite::Connection {
    let (path, key) = (app.data_dir().join("shop.db"), app.env["DATABASE_KEY"].clone());
    let key = quickcart::config::DbKey::parse(&key).unwrap();
    quickcart::store::open_one(&path, &key).unwrap()
}

/// The customer's card of product `id` (typed number).
async fn card_text(app: &mut App, user: i64, id: i64) -> String {
    let m = app.mark(user);
    app.say(user, &id.to_string());
    app.wait_text_since(user, &m, &format!("Produk {id}")).await.text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_dates_are_refused_and_a_dated_item_is_sold_while_valid() {
    let mut app = App::start().await;
    app.seed(&[1], "Streaming", |_| 0).await;
    let today = today_wib();
    let (past, later) = (today - Days::days(1), today + Days::days(5));
    let report = app
        .admin(
            &format!(
                "/addstock 1|{} old-1\n{} fresh-1|x 2026-01-01\n[s/d 2026-13-45] bad-1\n[s/d {}]x",
                token(past),
                token(later),
                later
            ),
            "Total stok tersedia",
        )
        .await
        .text;
    for needle in [
        "Ditambahkan: 1",
        "Bertanggal berlaku (s/d): 1",
        "Ditolak, tidak disimpan: 3 item",
        "baris 1 (sudah/hampir kedaluwarsa)",
        "baris 3 (tanggal tidak valid)",
        "baris 4 (tanggal tidak valid)",
        "Total stok tersedia: 1",
    ] {
        assert!(report.contains(needle), "{needle:?} in {report}");
    }

    // The admin sees the valid-until (end of the WIB day) next to the item.
    let stock = app.admin("/stock", "Stok Produk").await.text;
    let shown = format!("· stok 1 · s/d {} 23:59", later.format("%d/%m/%Y"));
    assert!(stock.contains(&shown), "{shown:?} in {stock}");
    let listed = app.admin("/liststock 1", "Item stok tersedia").await.text;
    let shown = format!("fresh-1|x 2026-01-01 · s/d {} 23:59", later.format("%d/%m/%Y"));
    assert!(listed.contains(&shown), "{shown:?} in {listed}");
    assert!(!listed.contains("old-1") && !listed.contains("bad-1"), "{listed}");
    // `/exportstock` keeps the date, so the file imports back as it was.
    app.say(ADMIN, "/exportstock 1");
    let mark = app.last_mark(ADMIN);
    let doc = app.wait_msg_since(ADMIN, &mark, |m| m.kind == MsgKind::Document, "stock export").await;
    let body = String::from_utf8(doc.file_bytes.clone().expect("document bytes")).unwrap();
    assert_eq!(body, format!("{} fresh-1|x 2026-01-01\n", token(later)));

    // The customer sees one item and buys it; the content arrives without the token.
    let u = 7101;
    app.onboard(u).await;
    assert!(card_text(&mut app, u, 1).await.contains("Stok: 1"));
    let inv = buy_qris(&mut app, u, 1, 0).await;
    pay(&app, &inv.id).await;
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("fresh-1|x 2026-01-01"), "{}", delivery.text);
    assert!(!delivery.text.contains("s/d"), "{}", delivery.text);
    assert_db_check(&app).await;

    // The buyer's one reminder: seeded as bought two days ago and valid two more days (inside
    // the 3-day window), it arrives with [Beli lagi], which opens the card; never a second one.
    app.stop().await;
    let t = Utc::now().timestamp();
    let conn = open_db(&app);
    conn.execute(
        "UPDATE stock_items SET valid_until = ?1, sell_until = ?1 - 600 WHERE status = 'sold'",
        [t + 2 * 86_400],
    )
    .unwrap();
    conn.execute("UPDATE orders SET paid_at = ?1 WHERE status = 'paid'", [t - 2 * 86_400]).unwrap();
    drop(conn);
    app.spawn().await;
    let reminder = wait_msg(&app, u, &[REMINDER]).await;
    assert!(reminder.text.contains("Produk 1"), "{}", reminder.text);
    assert_eq!(flat_labels(&reminder), vec!["Beli lagi".to_string()]);
    app.press(u, "Beli lagi");
    let opened = app.wait_text(u, "Stok: 0").await;
    assert!(opened.text.contains("Produk 1"), "{}", opened.text);
    app.restart().await;
    app.admin("/stock", "Stok Produk").await;
    let since = app.calls_len();
    app.assert_silent(u, since).await;
    let reminders = app.tg.all_messages(u).into_iter().filter(|m| m.text.contains(REMINDER)).count();
    assert_eq!(reminders, 1, "{}", app.transcript(u));
    assert_db_check(&app).await;

    // `db check` flags an item sold after its valid-until (here its date moved before the sale).
    app.stop().await;
    let conn = open_db(&app);
    let n = conn.execute("UPDATE stock_items SET valid_until = 1, sell_until = 0 WHERE status = 'sold'", []).unwrap();
    assert_eq!(n, 1);
    drop(conn);
    let out = app.cli(&["db", "check"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "db check passed: {text}");
    assert!(text.contains("sold after their valid-until"), "{text}");
}

/// An item dated today, imported by a shop whose invoices live until shortly before the WIB day
/// ends: accepted and on sale, then past its sell-by (an invoice made then would outlive the
/// item), so the card's count drops and the product is sold out; the admin still sees it, marked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_past_its_sell_by_is_no_longer_counted_or_offered() {
    if seconds_left_today() < 120 {
        // Too close to midnight WIB for the margin below: start in the new day.
        tokio::time::sleep(Duration::from_secs(u64::try_from(seconds_left_today() + 2).unwrap_or(0))).await;
    }
    // The sell-by lands about 20 s after the start: long enough to import and see the item.
    let lifetime = (seconds_left_today() - 20).clamp(1, 86_400);
    let mut app = App::start_with(|env| {
        env.insert("PAYMENT_EXPIRY_SECONDS".into(), lifetime.to_string());
    })
    .await;
    app.seed(&[1], "Streaming", |_| 0).await;
    let report =
        app.admin(&format!("/addstock 1|{} soon-1\nplain-1", token(today_wib())), "Total stok tersedia").await.text;
    assert!(report.contains("Ditambahkan: 2") && report.contains("Total stok tersedia: 2"), "{report}");
    // The daily note: the item expires within 3 days (today), sent once through the outbox.
    let note = wait_msg(&app, ADMIN, &[NOTE]).await.text;
    assert!(note.contains("Kedaluwarsa dalam 3 hari") && note.contains("Produk 1 (ID 1): 1 item"), "{note}");
    let u = 7201;
    app.onboard(u).await;
    assert!(card_text(&mut app, u, 1).await.contains("Stok: 2"));

    // Wait (bounded) for the sell-by to pass; the count drops to the undated item.
    let mut card = String::new();
    for _ in 0..60 {
        card = card_text(&mut app, u, 1).await;
        if card.contains("Stok: 1") {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(card.contains("Stok: 1"), "{card}");

    // The undated one is bought; the expired one is never reserved: the product is sold out.
    let inv = buy_qris(&mut app, u, 1, 0).await;
    pay(&app, &inv.id).await;
    let delivery = wait_msg(&app, u, &[DELIVERED, &inv.id]).await;
    assert!(delivery.text.contains("plain-1") && !delivery.text.contains("soon-1"), "{}", delivery.text);
    let m = app.mark(u);
    app.say(u, "1");
    let sold_out = app.wait_text_since(u, &m, "Produk 1").await;
    assert!(flat_labels(&sold_out).contains(&"Kabari saya".to_string()), "{}", sold_out.text);
    let stock = app.admin("/stock", "Stok Produk").await.text;
    assert!(stock.lines().any(|l| l.starts_with("1. ") && l.ends_with("· stok 0 · ⏳ 1 kedaluwarsa")), "{stock}");
    let listed = app.admin("/liststock 1", "Item stok tersedia").await.text;
    assert!(listed.contains("soon-1") && listed.contains("kedaluwarsa, tidak dijual"), "{listed}");
    assert_db_check(&app).await;

    // Not twice the same WIB day, also after a restart.
    app.restart().await;
    app.admin("/stock", "Stok Produk").await;
    let since = app.calls_len();
    app.assert_silent(ADMIN, since).await;
    let notes = app.tg.all_messages(ADMIN).into_iter().filter(|m| m.text.contains(NOTE)).count();
    assert_eq!(notes, 1, "{}", app.transcript(ADMIN));
    app.finish().await;
}

/// `quickcart demo`: `/addstock` with a valid-until date, a past one refused, `/liststock`
/// showing the date.
#[test]
fn demo_script_adds_dated_stock() {
    let script =
        "/start\n:as admin\n/addstock 6|[s/d 2099-12-31] kursus-dated\\n[s/d 2000-01-01] kursus-old\n/liststock 6\n";
    let (out, t) = crate::demo::run_demo(script);
    assert!(out.status.success(), "{t}");
    let report = crate::demo::answer_to(&t, "/addstock 6|[s/d 2099-12-31] kursus-dated\\n[s/d 2000-01-01] kursus-old")
        .join("\n");
    assert!(report.contains("Ditambahkan: 1") && report.contains("baris 2 (sudah/hampir kedaluwarsa)"), "{t}");
    let listed = crate::demo::answer_to(&t, "/liststock 6").join("\n");
    assert!(listed.contains("kursus-dated · s/d 31/12/2099 23:59"), "{t}");
}
