//! Targeted campaigns' words (issue 18 point 3): the audience an admin confirms before a
//! segmented `/broadcast` or `/giveaway` goes out.

use crate::domain::{money::rupiah, segment::Segment};

pub const BTN_SEND: &str = "Kirim";
pub const BTN_CANCEL: &str = "Batal";

/// "pembeli produk 12", ... (what the segment token means).
pub fn segment_name(segment: Segment) -> String {
    match segment {
        Segment::Everyone => "semua pengguna".into(),
        Segment::Product(id) => format!("pembeli produk {id}"),
        Segment::Category(id) => format!("pembeli kategori {id}"),
        Segment::Resellers => "reseller".into(),
        Segment::Inactive(days) => format!("tidak order {days} hari"),
        Segment::Balance => "punya saldo".into(),
    }
}

/// The question before anything is created.
pub fn confirm_broadcast(segment: Segment, audience: i64) -> String {
    format!("Akan dikirim ke {audience} pengguna (segmen: {}).", segment_name(segment))
}

pub fn confirm_giveaway(segment: Segment, audience: i64, amount: i64, count: i64) -> String {
    format!(
        "Giveaway {count} voucher {}.\nAkan dikirim ke {audience} pengguna (segmen: {}).\n\
         Voucher dibuat saat Anda menekan [{BTN_SEND}].",
        rupiah(amount),
        segment_name(segment)
    )
}

/// Under the question while it waits.
pub const ASK: &str = "Tekan [Kirim] untuk mengirim atau [Batal].";

/// The question once answered (its buttons gone).
pub fn answered(question: &str, send: bool) -> String {
    let how = if send { "✅ Dikirim." } else { "✖️ Dibatalkan." };
    format!("{question}\n\n{how}")
}

pub fn empty(segment: Segment) -> String {
    format!("Tidak ada pengguna di segmen {}. Tidak ada yang dikirim.", segment_name(segment))
}

pub const CANCELLED: &str = "Broadcast dibatalkan. Tidak ada yang dikirim.";
/// The answer to a [Kirim]/[Batal] that no longer matches a waiting request.
pub const EXPIRED: &str = "Permintaan ini sudah tidak berlaku. Kirim perintahnya lagi.";
