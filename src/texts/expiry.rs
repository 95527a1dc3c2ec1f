//! Expiring stock's words (issue 18 point 6): the import report's lines about `[s/d …]` dates and
//! the valid-until shown to admins.

use crate::domain::{expiry::Refusal, time::wib};

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
