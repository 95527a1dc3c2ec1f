//! Renders what the bot did as transcript lines: `< ` + first line, further lines indented by two
//! spaces, buttons as `[label]`.

use crate::testkit::{BotMessage, MsgKind};

pub fn render(m: &BotMessage, own_chat: bool, numbered: bool) -> String {
    let mut lines: Vec<String> = Vec::new();
    let prefix = if own_chat { String::new() } else { format!("[ke {}] ", m.chat_id) };
    let body = match m.kind {
        MsgKind::Sticker => "(stiker)".to_string(),
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
