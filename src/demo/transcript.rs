//! Renders what the bot did as transcript lines: `< ` + first line, further lines indented by two
//! spaces, buttons as `[label]`. An edited message is shown again as `< (diubah) …`.

use crate::testkit::{BotMessage, MsgKind};

pub fn render(m: &BotMessage, own_chat: bool, numbered: bool, edited: bool) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut prefix = if own_chat { String::new() } else { format!("[ke {}] ", m.chat_id) };
    if edited {
        prefix.push_str("(diubah) ");
    }
    let body = match m.kind {
        MsgKind::Sticker => "(stiker)".to_string(),
        MsgKind::Invoice => format!("(tagihan Stars) {}", m.text),
        MsgKind::Photo => format!("(gambar) {}", m.text),
        MsgKind::Document => format!("(berkas {}) {}", m.file_name.as_deref().unwrap_or("dokumen"), m.text),
        _ => m.text.clone(),
    };
    let mut body_lines = body.trim_end().lines();
    lines.push(format!("< {prefix}{}", body_lines.next().unwrap_or_default()));
    lines.extend(body_lines.map(|l| format!("  {l}")));
    let mut n = 0;
    for row in &m.inline_buttons {
        let labels: Vec<String> = row
            .iter()
            .map(|b| {
                n += 1;
                if numbered {
                    format!("[{}] {n}", b.text)
                } else {
                    format!("[{}]", b.text)
                }
            })
            .collect();
        lines.push(format!("  {}", labels.join(" ")));
    }
    if let Some(rows) = &m.reply_keyboard {
        for row in rows {
            let labels: Vec<String> = row.iter().map(|l| format!("[{l}]")).collect();
            lines.push(format!("  {}", labels.join(" ")));
        }
    }
    lines.join("\n")
}

/// A QRIS string drawn with Unicode half blocks (light modules printed as blocks, so it scans on
/// a dark terminal), each line indented as a continuation line.
pub fn qr_lines(data: &str) -> Vec<String> {
    use qrcode::render::unicode::Dense1x2;
    let Ok(code) = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M) else {
        return Vec::new();
    };
    let drawn = code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).build();
    drawn.lines().map(|l| format!("  {l}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_is_drawn_as_indented_block_lines() {
        let lines = qr_lines("00020101021226570011ID.DANA.WWW");
        assert!(lines.len() > 10);
        assert!(lines.iter().all(|l| l.starts_with("  ")));
        assert!(lines.iter().any(|l| l.contains('█') || l.contains('▀') || l.contains('▄')));
    }
}
