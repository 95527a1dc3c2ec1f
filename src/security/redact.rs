//! Masking of secrets in text that may reach a log line or an error message.

use std::sync::OnceLock;

use regex::Regex;

fn bot_token_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    // A constant pattern (covered by the tests below); `None` would make masking conservative.
    RE.get_or_init(|| Regex::new(r"\d{3,}:[A-Za-z0-9_-]{30,}").ok()).as_ref()
}

/// True for strings shaped like a Telegram bot token (`123456:ABC-DEF...`).
pub fn looks_like_bot_token(s: &str) -> bool {
    bot_token_re().and_then(|re| re.find(s)).is_some_and(|m| m.start() == 0 && m.end() == s.len())
}

/// Replaces anything shaped like a bot token with a mask.
pub fn mask_tokens(text: &str) -> std::borrow::Cow<'_, str> {
    match bot_token_re() {
        Some(re) => re.replace_all(text, "[REDACTED]"),
        None => std::borrow::Cow::Borrowed("[REDACTED]"),
    }
}

/// Field names whose values are never logged.
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["token", "secret", "password", "authorization", "api_key", "apikey", "database_url", "database_key"]
        .iter()
        .any(|s| n.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_bot_tokens_anywhere() {
        let t = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
        assert!(looks_like_bot_token(t));
        assert!(!looks_like_bot_token("hello"));
        let line = format!("GET https://api.telegram.org/bot{t}/getMe failed");
        let masked = mask_tokens(&line);
        assert!(!masked.contains(t));
        assert!(masked.contains("[REDACTED]"));
    }

    #[test]
    fn secret_field_names() {
        for f in ["token", "bot_token", "X-Secret", "password", "Authorization", "api_key", "database_key"] {
            assert!(is_secret_field(f), "{f}");
        }
        assert!(!is_secret_field("user_id"));
    }
}
