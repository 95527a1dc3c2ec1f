//! `quickcart report [--days N]`: the sales report as a table in the terminal.

use std::fmt::Write as _;

use crate::{
    config::Config,
    domain::{
        money::rupiah,
        report::{Report, Window},
        time::wib_day_label,
    },
    store,
};

pub fn run(config: &Config, days: i64) -> anyhow::Result<String> {
    let key = config.require_key()?;
    let conn = store::open_one(&config.data_dir.join(store::SHOP_FILE), key)?;
    let window = Window::last(days, chrono::Utc::now().timestamp());
    Ok(table(&store::report::gather(&conn, window)?))
}

/// The report as plain text: a line per day, then the totals and the top lists.
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let w = r.window;
    let _ = writeln!(
        out,
        "Laporan penjualan {} hari: {} – {} (WIB)\n",
        w.days,
        wib_day_label(w.first_day),
        wib_day_label(w.last_day())
    );
    let _ = writeln!(out, "{:<12} {:>8} {:>16}", "Tanggal", "Pesanan", "Pendapatan");
    for d in &r.days {
        let _ = writeln!(out, "{:<12} {:>8} {:>16}", wib_day_label(d.day), d.orders, rupiah(d.revenue));
    }
    let _ = writeln!(out, "{:<12} {:>8} {:>16}", "Jumlah", r.sales.count, rupiah(r.sales.amount));
    let _ = writeln!(
        out,
        "\nDeposit: {} ({}) · Refund ke saldo: {} ({})",
        r.deposits.count,
        rupiah(r.deposits.amount),
        r.refunds.count,
        rupiah(r.refunds.amount)
    );
    let _ = writeln!(out, "\nProduk terlaris:");
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
        let _ = writeln!(out, "  {} — sisa {}, terjual {} dalam {} hari: {when}", s.product, s.stock, s.sold, w.days);
    }
    out.trim_end().to_string()
}
