//! Warranty claims' words (issue 18): the card line, the `[Klaim Garansi]` step, the admins'
//! claim notice and its outcomes, and what the buyer is told. Telegram HTML: what a person typed
//! goes through [`esc`].

use super::esc;
use crate::domain::{money::rupiah, time::wib};

/// SPEC §12: the button on a delivered item under warranty.
pub const BTN_CLAIM: &str = "Klaim Garansi";
pub const BTN_REPLACE: &str = "Ganti";
pub const BTN_REFUND: &str = "Refund";
pub const BTN_REJECT: &str = "Tolak";

/// The product card's warranty line ("🛡 Garansi: 30 hari"); empty without a warranty.
pub fn card_line(days: i64) -> String {
    if days > 0 {
        format!("\n🛡 Garansi: {days} hari")
    } else {
        String::new()
    }
}

/// `/garansi`'s answer.
pub fn set(product: i64, days: i64) -> String {
    if days > 0 {
        format!("✅ Garansi produk {product}: {days} hari sejak pengiriman.")
    } else {
        format!("✅ Produk {product} sekarang tanpa garansi.")
    }
}

/// Under the goods sent again from history: the items still under warranty.
pub fn claimable_list(invoice: &str, items: &[(String, i64)]) -> String {
    let mut s = format!("🛡 <b>Garansi</b> <code>{invoice}</code>\nItem yang masih bergaransi:");
    for (n, (content, until)) in items.iter().enumerate() {
        s.push_str(&format!("\n{}. <code>{}</code> (sampai {} WIB)", n + 1, esc(content), wib(*until)));
    }
    s.push_str("\n\nBermasalah? Tekan Klaim Garansi pada item itu.");
    s
}

/// The button of item `n` (1-based) of `of` claimable items: the exact label when there is one.
pub fn btn_claim(n: usize, of: usize) -> String {
    if of <= 1 {
        BTN_CLAIM.to_string()
    } else {
        format!("{BTN_CLAIM} #{n}")
    }
}

pub fn ask_problem(item: &str, product: &str) -> String {
    format!(
        "🛡 Klaim garansi <b>{}</b>\nItem: <code>{}</code>\n\nApa masalahnya? Tulis penjelasan singkat (boleh satu foto dengan keterangan).\n{}",
        esc(product),
        esc(item),
        leave_hint!()
    )
}

/// A forged or stale `[Klaim Garansi]`: not the buyer's, not delivered, or outside the warranty.
pub const NOT_CLAIMABLE: &str = "Item ini tidak bisa diklaim (garansi tidak berlaku atau sudah lewat).";
pub const ALREADY_OPEN: &str = "Klaim garansi untuk item ini sudah diajukan dan sedang diproses.";
pub const PROBLEM_EMPTY: &str = "Tulis masalahnya (teks, atau foto dengan keterangan), atau /batal.";
/// The longest problem description kept.
pub const MAX_PROBLEM_CHARS: usize = 1_000;
pub const PROBLEM_TOO_LONG: &str = "Penjelasan terlalu panjang (maks 1.000 karakter). Silakan ketik lagi, atau /batal.";
pub const OPENED: &str = "✅ Klaim garansi Anda sudah diteruskan ke admin. Kami kabari hasilnya di sini.";

/// The admins' notice of a new claim.
#[allow(clippy::too_many_arguments)]
pub fn admin_notice(
    claim: i64,
    invoice: &str,
    product: &str,
    item: &str,
    buyer: &str,
    claims: i64,
    problem: &str,
    photo: bool,
) -> String {
    format!(
        "🛡 <b>Klaim garansi #{claim}</b>\nInvoice: <code>{invoice}</code>\nProduk: {}\nItem: <code>{}</code>\nPembeli: {buyer}\nKlaim pembeli sejauh ini: {claims}\nMasalah: {}{}",
        esc(product),
        esc(item),
        esc(problem),
        if photo { "\n(foto terlampir di bawah)" } else { "" }
    )
}

pub fn photo_caption(claim: i64) -> String {
    format!("Foto klaim garansi #{claim}")
}

/// The claim notice, edited once decided (so other admins see it was handled).
pub fn decided_admin(notice: &str, outcome: &str) -> String {
    format!("{notice}\n\n{outcome}")
}

pub fn replaced_admin(claim: i64) -> String {
    format!("✅ Klaim #{claim}: item pengganti dikirim ke pembeli.")
}
pub fn waiting_admin(claim: i64) -> String {
    format!("⏳ Klaim #{claim}: stok habis. Klaim menunggu dan dilayani pertama saat stok ditambah (/addstock).")
}
pub fn refunded_admin(claim: i64, amount: i64) -> String {
    format!("✅ Klaim #{claim}: {} dikembalikan ke saldo pembeli.", rupiah(amount))
}
pub fn rejected_admin(claim: i64) -> String {
    format!("❌ Klaim #{claim} ditolak. Alasan sudah dikirim ke pembeli.")
}
/// `[Refund]` on an item paid in Stars: no partial Stars refunds exist, and rupiah would come from nothing.
pub fn refund_paid_in_stars(invoice: &str) -> String {
    format!(
        "Pesanan {} dibayar dengan Stars, jadi tidak bisa dikembalikan ke saldo. Pilih [Ganti], atau kembalikan seluruh Stars-nya dengan /refundstars {}.",
        esc(invoice),
        esc(invoice)
    )
}
pub const ALREADY_DECIDED: &str = "Klaim ini sudah diproses.";
pub fn ask_reason(claim: i64) -> String {
    format!("Tulis alasan penolakan klaim #{claim} untuk pembeli.\n{}", leave_hint!())
}
pub const REASON_EMPTY: &str = "Alasan tidak boleh kosong. Tulis alasannya, atau /batal.";

/// The buyer's replacement: a delivery (through the outbox).
pub fn replacement_user(invoice: &str, product: &str, item: &str) -> String {
    format!(
        "🛡 <b>Item pengganti garansi</b>\nInvoice: <code>{invoice}</code>\nProduk: {}\n\n<code>{}</code>",
        esc(product),
        esc(item)
    )
}
pub fn waiting_user(invoice: &str, product: &str) -> String {
    format!(
        "⏳ Klaim garansi <code>{invoice}</code> ({}) disetujui, tetapi stok sedang habis. Item pengganti dikirim otomatis begitu stok tersedia.",
        esc(product)
    )
}
pub fn refunded_user(invoice: &str, amount: i64) -> String {
    format!("✅ Klaim garansi <code>{invoice}</code>: {} dikembalikan ke saldo Anda.", rupiah(amount))
}
pub fn rejected_user(invoice: &str, reason: &str) -> String {
    format!("❌ Klaim garansi <code>{invoice}</code> ditolak.\nAlasan: {}", esc(reason))
}

/// After `/addstock`: claims served from the new stock first.
pub fn served_on_restock(n: usize) -> String {
    format!("\n🛡 {n} item dipakai untuk klaim garansi yang menunggu (sudah dikirim).")
}

/// `/info`: the user's claims.
pub fn info_block(count: i64, latest: &[(i64, String, String, i64)]) -> String {
    let mut s = format!("\n\n🛡 Klaim garansi: {count}");
    for (id, invoice, status, at) in latest {
        s.push_str(&format!("\n#{id} <code>{invoice}</code> {} ({})", status_word(status), wib(*at)));
    }
    s
}

fn status_word(status: &str) -> &'static str {
    match status {
        "open" => "terbuka",
        "waiting" => "menunggu stok",
        "replaced" => "diganti",
        "refunded" => "direfund",
        "rejected" => "ditolak",
        _ => "-",
    }
}
