//! The sales report's words (issue 16): the terminal table of `quickcart report`, and the
//! caption and summary that `/laporan` sends with its chart. Plain text; the bot escapes it.

use std::fmt::Write as _;

use crate::domain::{money::rupiah, report::Report, time::wib_day_label};

/// The chart's axis words.
pub const CHART_REVENUE: &str = "Pendapatan (Rp)";
pub const CHART_ORDERS: &str = "Pesanan";

/// "Laporan penjualan 7 hari: 20/11/2026 – 26/11/2026 (WIB)"
pub fn title(r: &Report) -> String {
    let w = r.window;
    format!("Laporan penjualan {} hari: {} – {} (WIB)", w.days, wib_day_label(w.first_day), wib_day_label(w.last_day()))
}

/// The whole report: a line per day, then the totals and the lists.
pub fn table(r: &Report) -> String {
    let mut out = title(r);
    out.push_str("\n\n");
    let _ = writeln!(out, "{:<12} {:>8} {:>16}", "Tanggal", "Pesanan", "Pendapatan");
    for d in &r.days {
        let _ = writeln!(out, "{:<12} {:>8} {:>16}", wib_day_label(d.day), d.orders, rupiah(d.revenue));
    }
    let _ = writeln!(out, "{:<12} {:>8} {:>16}", "Jumlah", r.sales.count, rupiah(r.sales.amount));
    let _ = writeln!(out, "\n{}\n", money_in(r));
    out.push_str(&lists(r));
    out
}

/// The chart's caption: what the picture shows, in numbers.
pub fn caption(r: &Report) -> String {
    format!("{}\nPesanan: {} · Pendapatan: {}\n{}", title(r), r.sales.count, rupiah(r.sales.amount), money_in(r))
}

fn money_in(r: &Report) -> String {
    format!(
        "Deposit: {} ({}) · Refund ke saldo: {} ({})",
        r.deposits.count,
        rupiah(r.deposits.amount),
        r.refunds.count,
        rupiah(r.refunds.amount)
    )
}

/// The top lists and the stock that runs out first (what the chart and its caption leave out).
pub fn lists(r: &Report) -> String {
    let mut out = String::from("Produk terlaris:\n");
    if r.top_products.is_empty() {
        let _ = writeln!(out, "  (belum ada penjualan)");
    }
    for (i, p) in r.top_products.iter().enumerate() {
        let _ = writeln!(out, "  {}. {} — {} terjual, {}", i + 1, p.label, p.count, rupiah(p.amount));
    }
    let _ = writeln!(out, "\nPembeli teratas:");
    if r.top_buyers.is_empty() {
        let _ = writeln!(out, "  (belum ada pembeli)");
    }
    for (i, b) in r.top_buyers.iter().enumerate() {
        let _ = writeln!(out, "  {}. {} — {} pesanan, {}", i + 1, b.label, b.count, rupiah(b.amount));
    }
    let _ = writeln!(out, "\nStok yang paling cepat habis:");
    if r.running_out.is_empty() {
        let _ = writeln!(out, "  (tidak ada produk yang terjual)");
    }
    for s in &r.running_out {
        let when = match s.days_left {
            0 if s.stock == 0 => "sudah habis".to_string(),
            0 => "habis hari ini".to_string(),
            n => format!("habis dalam ±{n} hari"),
        };
        let days = r.window.days;
        let _ = writeln!(out, "  {} — sisa {}, terjual {} dalam {days} hari: {when}", s.product, s.stock, s.sold);
    }
    out.trim_end().to_string()
}
