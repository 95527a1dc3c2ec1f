//! The `demo --script` line grammar. Tools outside this repository write these files: extend,
//! don't rename.
//!
//! - plain text: sent as a message (reply-keyboard buttons are pressed by typing their label);
//!   `\n` inside it stands for a line break, for multi-line messages such as `/addstock`
//! - `:press LABEL`: press the inline button whose label contains LABEL (case-insensitive) on the
//!   newest bot message that has one; interactively a number works too
//! - `:as admin` / `:as customer` / `:as ID`: switch user
//! - `:pay`: settle the newest QRIS invoice
//! - `:quit`
//! - empty lines and lines starting with `#` are skipped

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Say(String),
    Press(String),
    As(Who),
    Pay,
    Quit,
    Skip,
}

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
        assert_eq!(parse("# comment"), Ok(Line::Skip));
        assert_eq!(parse("   "), Ok(Line::Skip));
        assert!(parse(":press").is_err());
        assert!(parse(":as -1").is_err());
        assert!(parse(":fly").is_err());
    }
}
