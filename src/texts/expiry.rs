//! Expiring stock's words (issue 18 point 6): the import report's lines about `[s/d …]` dates and
//! the valid-until shown to admins.

use crate::{
    domain::{
        expiry::Refusal,
        time::{wib, wib_day_label},
    },
    store::expiry::ProductExpiry,
};

use super::esc;

/// Added to the `/addstock` report when a line carried a date or was refused for one.
pub fn import_lines(dated: usize, refused: &[(usize, Refusal)]) -> String {
    let mut s = String::new();
    if dated > 0 {
        s.push_str(&format!("\nBertanggal berlaku (s/d): {dated}"));
    }
    if !refused.is_empty() {
        let lines: Vec<String> = refused
            .iter()
            .map(|(n, why)| {
                let why = match why {
                    Refusal::Unparsable => "tanggal tidak valid",
                    Refusal::TooLate => "sudah/hampir kedaluwarsa",
                };
                format!("baris {n} ({why})")
            })
            .collect();
        s.push_str(&format!(
            "\n⚠️ Ditolak, tidak disimpan: {} item — {}\nFormat tanggal: [s/d TTTT-BB-HH] isi item, mis. [s/d 2026-12-31] user@mail.com:pass",
            refused.len(),
            lines.join(", ")
        ));
    }
    s
}

/// ` · s/d 31/12/2026 23:59` after an item in `/liststock`; `(kedaluwarsa)` once past its sell-by.
pub fn listed_until(valid_until: Option<i64>, expired: bool) -> String {
    match (valid_until, expired) {
        (None, _) => String::new(),
        (Some(v), false) => format!(" · s/d {}", wib(v - 60)),
        (Some(v), true) => format!(" · s/d {} (kedaluwarsa, tidak dijual)", wib(v - 60)),
    }
}

/// The admins' daily note: what went past its sell-by since the last note, what expires soon.
pub fn daily_note(day: i64, lines: &[ProductExpiry]) -> String {
    let mut s = format!("⏳ <b>Stok berbatas waktu</b> ({})", wib_day_label(day));
    let expired: Vec<&ProductExpiry> = lines.iter().filter(|l| l.expired > 0).collect();
    if !expired.is_empty() {
        s.push_str("\n\nKedaluwarsa (tidak dijual lagi):");
        for l in expired {
            s.push_str(&format!("\n• {} (ID {}): {} item", esc(&l.name), l.product_id, l.expired));
        }
    }
    let soon: Vec<&ProductExpiry> = lines.iter().filter(|l| l.soon > 0).collect();
    if !soon.is_empty() {
        s.push_str("\n\nKedaluwarsa dalam 3 hari:");
        for l in soon {
            let first = l.first_until.map(|v| format!(", terdekat s/d {}", wib(v - 60))).unwrap_or_default();
            s.push_str(&format!("\n• {} (ID {}): {} item{first}", esc(&l.name), l.product_id, l.soon));
        }
    }
    s.push_str("\n\nLihat item: /liststock ID · hapus: /delstock ID|stock_id");
    s
}

/// The button of a buyer's reminder: opens the product card.
pub const BTN_BUY_AGAIN: &str = "Beli lagi";

/// The one reminder a buyer gets before a time-limited item expires.
pub fn reminder(product: &str, items: i64, valid_until: i64) -> String {
    format!(
        "⏳ {items} item <b>{}</b> yang Anda beli berlaku s/d {} WIB. Perlu lagi? Tekan Beli lagi.",
        esc(product),
        wib(valid_until - 60)
    )
}

/// After a product's line in the admins' `/stock`: the earliest valid-until on sale, and how
/// many unsold items expired (not offered; `/liststock` shows them).
pub fn stock_suffix(first_until: Option<i64>, expired: i64) -> String {
    let mut s = String::new();
    if let Some(v) = first_until {
        s.push_str(&format!(" · s/d {}", wib(v - 60)));
    }
    if expired > 0 {
        s.push_str(&format!(" · ⏳ {expired} kedaluwarsa"));
    }
    s
}
