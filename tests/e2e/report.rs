//! `quickcart report` (issue 16, "a sales report you can look at"): the table a shop owner reads
//! in the terminal, with numbers that agree with `db stats`.

use crate::common::{App, ADMIN};
use crate::pay_support::*;
use quickcart::domain::time::{wib_day, wib_day_label};
use quickcart::testkit::MsgKind;

fn report(app: &App, args: &[&str]) -> String {
    let out = app.cli(&[&["report"][..], args].concat());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// Width and height from a PNG's header (after its 8-byte signature, the IHDR chunk).
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (be(16), be(20))
}

fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_sums_up_sales_deposits_buyers_and_stock_as_the_database_does() {
    let mut app = App::start().await;
    app.add_product("7", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(7, &["nf-1:pw", "nf-2:pw", "nf-3:pw", "nf-4:pw", "nf-5:pw"]).await;
    app.add_product("8", "Canva Pro", "Desain", "20000").await;
    app.add_stock(8, &["cv-1:pw", "cv-2:pw", "cv-3:pw"]).await;
    app.add_product("9", "Spotify", "Musik", "15000").await;
    app.add_stock(9, &["sp-1:pw"]).await;

    let empty = report(&app, &["--days", "7"]);
    assert!(line_with(&empty, "Jumlah").contains("Rp0"), "{empty}");
    assert!(empty.contains("(belum ada penjualan)"), "{empty}");

    let (a, b) = (2001, 2002);
    let two = buy_qris(&mut app, a, 7, 1).await;
    pay(&app, &two.id).await;
    let one = buy_qris(&mut app, b, 8, 0).await;
    pay(&app, &one.id).await;
    let dep = deposit_invoice(&mut app, b, "50000").await;
    pay(&app, &dep.id).await;
    let stats = wait_stats(&app, "three paid orders", |s| num(s, "/orders/paid") == 3).await;

    let text = report(&app, &["--days", "7"]);
    // One line per WIB day, today's with both sales.
    let today = wib_day_label(wib_day(chrono::Utc::now().timestamp()));
    assert!(text.starts_with("Laporan penjualan 7 hari:"), "{text}");
    assert!(text.contains(&format!("– {today} (WIB)")), "{text}");
    let day_lines = text.lines().filter(|l| l.len() > 10 && l.chars().nth(2) == Some('/')).count();
    assert_eq!(day_lines, 7, "{text}");
    let today_line = text.lines().find(|l| l.starts_with(&today)).unwrap_or_else(|| panic!("no {today} row: {text}"));
    assert!(today_line.contains(" 2 ") && today_line.ends_with("Rp80.000"), "{today_line}");
    // Totals agree with the database: paid orders that are sales, the ledger's deposits.
    let sales = num(&stats, "/orders/paid") - num(&stats, "/deposits/paid");
    let total = line_with(&text, "Jumlah");
    assert!(total.contains(&format!(" {sales} ")) && total.ends_with("Rp80.000"), "{total}");
    assert_eq!(num(&stats, "/ledger/deposit"), 50_000);
    assert!(text.contains("Deposit: 1 (Rp50.000) · Refund ke saldo: 0 (Rp0)"), "{text}");
    // Top lists, the biggest first.
    assert!(text.contains("1. Netflix Premium — 2 terjual, Rp60.000"), "{text}");
    assert!(text.contains("2. Canva Pro — 1 terjual, Rp20.000"), "{text}");
    assert!(text.contains("1. User2001 (@user2001, 2001) — 1 pesanan, Rp60.000"), "{text}");
    assert!(!text.contains("Spotify"), "a product that never sold has no runway to tell: {text}");
    // Runway at the window's pace: 3 left after 2 in 7 days → ±10 days; Canva 2 after 1 → ±14.
    let netflix = line_with(&text, "Netflix Premium — sisa");
    assert!(netflix.ends_with("sisa 3, terjual 2 dalam 7 hari: habis dalam ±10 hari"), "{netflix}");
    let stock = &text[text.find("Stok yang paling cepat habis").unwrap()..];
    assert!(stock.find("Netflix").unwrap() < stock.find("Canva").unwrap(), "{stock}");

    // `/laporan 7` in the bot: a chart of the same week, its caption and lists from the same rows.
    let since = app.mark(ADMIN);
    app.say(ADMIN, "/laporan 7");
    let chart = app.wait_msg_since(ADMIN, &since, |m| m.kind == MsgKind::Photo, "the chart").await;
    let png = chart.file_bytes.clone().expect("the chart's bytes");
    let (width, height) = png_size(&png);
    assert!((800..=1280).contains(&width) && (400..=1280).contains(&height), "{width}×{height}");
    assert!((5_000..500_000).contains(&png.len()), "{} bytes", png.len());
    assert!(chart.text.starts_with(line_with(&text, "Laporan penjualan 7 hari")), "{}", chart.text);
    assert!(chart.text.contains(&format!("Pesanan: {sales} · Pendapatan: Rp80.000")), "{}", chart.text);
    assert!(chart.text.contains("Deposit: 1 (Rp50.000) · Refund ke saldo: 0 (Rp0)"), "{}", chart.text);
    let lists = app.wait_text_since(ADMIN, &since, "Produk terlaris").await;
    for line in ["1. Netflix Premium — 2 terjual, Rp60.000", "1. User2001 (@user2001, 2001) — 1 pesanan, Rp60.000"]
    {
        assert!(lists.text.contains(line), "{}", lists.text);
    }
    assert!(lists.text.contains(netflix.trim()), "{}", lists.text);
    // A week unless told; out of range gets the format; a customer gets nothing at all.
    let since = app.mark(ADMIN);
    app.say(ADMIN, "/laporan");
    app.wait_msg_since(ADMIN, &since, |m| m.kind == MsgKind::Photo && m.text.contains("7 hari"), "a week").await;
    app.wait_text_since(ADMIN, &since, "Produk terlaris").await;
    app.say(ADMIN, "/laporan 0");
    app.wait_text(ADMIN, "/laporan 30").await;
    let (stranger, before) = (2003, app.calls_len());
    app.say(stranger, "/laporan 30");
    app.assert_silent(stranger, before).await;

    // A day is enough, a year the most; anything else is refused with the allowed range.
    assert!(report(&app, &["--days", "1"]).contains("Laporan penjualan 1 hari"));
    let out = app.cli(&["report", "--days", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1..=366"), "{}", String::from_utf8_lossy(&out.stderr));
}
