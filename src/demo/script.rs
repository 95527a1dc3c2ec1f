//! The `demo --script` line grammar. Tools outside this repository write these files: extend,
//! don't rename.
//!
//! - plain text: sent as a message (reply-keyboard buttons are pressed by typing their label);
//!   `\n` inside it stands for a line break, for multi-line messages such as `/addstock`
//! - `:press LABEL`: press the inline button labelled LABEL (exactly, else containing it;
//!   case-insensitive) on the newest of the recent bot messages that has one; when no label
//!   matches, a number N presses button #N of the newest message with buttons
//! - `:as admin` / `:as customer` / `:as ID`: switch user
//! - `:pay`: settle the newest invoice (QRIS, bank transfer or Telegram Stars)
//! - `:expire`: let the newest unpaid invoice expire now (the scheduler's own expiry)
//! - `:reply TEXT`: answer (reply to) the newest relayed KIRIM PESAN message in this chat
//! - `:upload FILE [CAPTION]`: send FILE as a document (relative to the script's folder), e.g.
//!   `:upload stok.txt /addstock 20`
//! - `:help`: list these commands
//! - `:quit`
//! - `$INVOICE` anywhere in a line stands for the newest invoice id (e.g. `/refund $INVOICE`)
//! - empty lines and lines starting with `#` are skipped

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Say(String),
    Press(String),
    As(Who),
    Pay,
    Expire,
    Reply(String),
    Upload { file: String, caption: Option<String> },
    Help,
    Quit,
    Skip,
}

/// The demo commands, for `:help` and the interactive banner.
pub const HELP: &str = "Perintah demo:
  teks biasa             dikirim sebagai pesan (tombol menu: ketik labelnya; \\n = baris baru)
  :press LABEL|NOMOR     tekan tombol (label dicari di pesan terbaru lebih dulu)
  :as admin|customer|ID  ganti pengguna
  :pay                   bayar tagihan terbaru (QRIS, VA atau Stars)
  :expire                buat tagihan terbaru yang belum dibayar kedaluwarsa sekarang
  :reply TEKS            balas pesan KIRIM PESAN terbaru (sebagai admin)
  :upload BERKAS [CAPTION]  kirim berkas, mis. :upload stok.txt /addstock 20
  $INVOICE               diganti id invoice terbaru, mis. /refund $INVOICE
  :help                  daftar ini     :quit  keluar";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Admin,
    Customer,
    Id(i64),
}

pub fn parse(line: &str) -> Result<Line, String> {
    let trimmed = line.trim_end_matches(['\r', '\n']);
    if trimmed.trim().is_empty() || trimmed.trim_start().starts_with('#') {
        return Ok(Line::Skip);
    }
    let Some(directive) = trimmed.trim().strip_prefix(':') else {
        return Ok(Line::Say(trimmed.replace("\\n", "\n")));
    };
    let (word, rest) = directive.split_once(char::is_whitespace).unwrap_or((directive, ""));
    let rest = rest.trim();
    match (word.to_ascii_lowercase().as_str(), rest) {
        ("press", "") => Err(":press butuh label tombol".into()),
        ("press", label) => Ok(Line::Press(label.to_string())),
        ("as", "admin") => Ok(Line::As(Who::Admin)),
        ("as", "customer") => Ok(Line::As(Who::Customer)),
        ("as", id) => id
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(|id| Line::As(Who::Id(id)))
            .ok_or_else(|| format!(":as butuh admin, customer atau id, bukan {id:?}")),
        ("pay", "") => Ok(Line::Pay),
        ("expire", "") => Ok(Line::Expire),
        ("help", "") => Ok(Line::Help),
        ("reply", "") => Err(":reply butuh teks balasan".into()),
        ("reply", text) => Ok(Line::Reply(text.replace("\\n", "\n"))),
        ("upload", "") => Err(":upload butuh nama berkas".into()),
        ("upload", rest) => {
            let (file, caption) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let caption = caption.trim();
            let caption = (!caption.is_empty()).then(|| caption.replace("\\n", "\n"));
            Ok(Line::Upload { file: file.to_string(), caption })
        }
        ("quit", "") => Ok(Line::Quit),
        _ => Err(format!("perintah demo tidak dikenal: :{word}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        assert_eq!(parse("/start"), Ok(Line::Say("/start".into())));
        assert_eq!(parse("LIST PRODUK"), Ok(Line::Say("LIST PRODUK".into())));
        assert_eq!(parse("/addstock 1|a\\nb"), Ok(Line::Say("/addstock 1|a\nb".into())));
        assert_eq!(parse(":press Lanjut ke"), Ok(Line::Press("Lanjut ke".into())));
        assert_eq!(parse(":as admin"), Ok(Line::As(Who::Admin)));
        assert_eq!(parse(":as 42"), Ok(Line::As(Who::Id(42))));
        assert_eq!(parse(":pay"), Ok(Line::Pay));
        assert_eq!(parse(":quit"), Ok(Line::Quit));
        assert_eq!(parse(":expire"), Ok(Line::Expire));
        assert_eq!(parse(":help"), Ok(Line::Help));
        assert_eq!(parse(":reply Siap, kak"), Ok(Line::Reply("Siap, kak".into())));
        assert_eq!(
            parse(":upload stok.txt /addstock 20"),
            Ok(Line::Upload { file: "stok.txt".into(), caption: Some("/addstock 20".into()) })
        );
        assert_eq!(parse(":upload a.txt"), Ok(Line::Upload { file: "a.txt".into(), caption: None }));
        assert!(parse(":reply").is_err());
        assert!(parse(":upload").is_err());
        assert!(parse(":expire now").is_err());
        assert_eq!(parse("# comment"), Ok(Line::Skip));
        assert_eq!(parse("   "), Ok(Line::Skip));
        assert!(parse(":press").is_err());
        assert!(parse(":as -1").is_err());
        assert!(parse(":fly").is_err());
    }
}
