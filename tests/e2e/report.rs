//! `quickcart report` (issue 16, "a sales report you can look at"): the table a shop owner reads
//! in the terminal, with numbers that agree with `db stats`.

use crate::common::App;
use crate::pay_support::*;
use quickcart::domain::time::{wib_day, wib_day_label};

fn report(app: &App, args: &[&str]) -> String {
    let out = app.cli(&[&["report"][..], args].concat());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
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

    // A day is enough, a year the most; anything else is refused with the allowed range.
    assert!(report(&app, &["--days", "1"]).contains("Laporan penjualan 1 hari"));
    let out = app.cli(&["report", "--days", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1..=366"), "{}", String::from_utf8_lossy(&out.stderr));
}
