//! Telegram Stars words (issue 18 point 7): the summary's button and line, the invoice, the
//! pre-checkout refusals, the payment and refund notices, and the admin commands' answers.

use super::{esc, rupiah};

pub const BTN_PAY_STARS: &str = "⭐ Bayar dengan Stars";

/// The method in the admins' new-order notice ("Metode: STARS (45 ⭐)").
pub fn method(stars: i64) -> String {
    format!("stars ({stars} ⭐)")
}

/// The summary's extra line when Stars are offered.
pub fn summary_line(stars: i64) -> String {
    format!("\n⭐ Atau bayar {stars} Stars")
}

/// What the summary becomes once the Stars invoice was sent.
pub const SUMMARY_STARS: &str = "Tagihan Stars sudah dikirim di bawah. Tekan Pay untuk membayar.";

/// The invoice's title (1–32 characters) and description (1–255).
pub fn invoice_title(invoice: &str) -> String {
    format!("Pesanan {invoice}")
}

pub fn invoice_description(what: &str, expires_wib: &str) -> String {
    let mut d = format!("{what}. Bayar sebelum {expires_wib} WIB.");
    if d.chars().count() > 255 {
        d = d.chars().take(255).collect();
    }
    d
}

pub fn invoice_label(what: &str) -> String {
    what.chars().take(32).collect()
}

/// The product has no Stars price (or Stars are off): the button was stale.
pub const STARS_UNAVAILABLE: &str = "Pembayaran dengan Stars tidak tersedia untuk pesanan ini.";
/// sendInvoice failed: the order was released.
pub const INVOICE_FAILED: &str = "Tagihan Stars gagal dibuat. Pesanan dibatalkan, silakan coba lagi.";

/// The pre-checkout refusals (short: Telegram shows them in its payment window).
pub const PRECHECK_UNKNOWN: &str = "Pesanan tidak ditemukan.";
pub const PRECHECK_CLOSED: &str = "Pesanan sudah tidak aktif. Silakan pesan ulang.";
pub const PRECHECK_EXPIRED: &str = "Tagihan sudah kedaluwarsa. Silakan pesan ulang.";
pub const PRECHECK_STOCK: &str = "Stok sudah habis. Pembayaran dibatalkan.";
pub const PRECHECK_AMOUNT: &str = "Jumlah pembayaran tidak sesuai. Silakan pesan ulang.";
pub const PRECHECK_BANNED: &str = "Akun Anda tidak dapat berbelanja.";

/// A payment for a closed order whose stock is gone: the Stars went back.
pub fn refunded_late(invoice: &str, stars: i64) -> String {
    format!(
        "Pembayaran {stars} Stars untuk <b>{}</b> diterima setelah pesanan ditutup dan stoknya habis. Stars Anda sudah dikembalikan.",
        esc(invoice)
    )
}

/// The refund could not be made yet (Telegram did not confirm): admins retry.
pub fn refund_pending_admin(invoice: &str, stars: i64) -> String {
    format!(
        "⚠️ Refund {stars} Stars untuk <b>{}</b> belum berhasil (Telegram tidak mengonfirmasi). Ulangi dengan /refundstars {}.",
        esc(invoice),
        esc(invoice)
    )
}

/// Admin refund of a Stars order.
pub fn refunded_user(invoice: &str, stars: i64) -> String {
    format!("Refund {stars} Stars untuk pesanan <b>{}</b> sudah dikembalikan ke akun Telegram Anda.", esc(invoice))
}

pub fn refunded_admin(invoice: &str, stars: i64) -> String {
    format!("✅ {stars} Stars untuk <b>{}</b> sudah dikembalikan (refundStarPayment).", esc(invoice))
}

pub fn refund_failed_admin(invoice: &str) -> String {
    format!(
        "❌ Telegram menolak atau tidak menjawab refund Stars untuk <b>{}</b>. Status pesanan tidak berubah; coba lagi nanti.",
        esc(invoice)
    )
}

pub fn not_a_stars_order(invoice: &str) -> String {
    format!("Pesanan <b>{}</b> bukan pesanan Stars yang sudah dibayar.", esc(invoice))
}

pub fn already_refunded(invoice: &str) -> String {
    format!("Pesanan <b>{}</b> sudah direfund.", esc(invoice))
}

/// `/stars`: the setting as it is now.
pub fn setting(enabled: bool, rate: Option<i64>) -> String {
    let state = if enabled { "AKTIF" } else { "NONAKTIF" };
    let rate = match rate {
        Some(r) => format!("1 Star = {}", rupiah(r)),
        None => "belum diatur (hanya produk dengan harga Stars sendiri, /setstars)".to_string(),
    };
    format!(
        "<b>Pembayaran Telegram Stars</b>\n\nStatus: {state}\nKurs: {rate}\n\nHarga Stars = harga Stars produk × jumlah, atau total rupiah ÷ kurs dibulatkan ke atas.\n/stars on · /stars off · /stars rate RUPIAH · /setstars ID JUMLAH"
    )
}

pub fn product_stars_set(id: i64, stars: Option<i64>) -> String {
    match stars {
        Some(s) => format!("Harga Stars produk {id}: {s} Stars per item."),
        None => format!("Harga Stars produk {id} dihapus (memakai kurs, bila ada)."),
    }
}
