//! Validation of what customers type about themselves.

/// A display name: 1–64 characters, no control characters, surrounding space trimmed.
pub fn name(input: &str) -> Option<String> {
    let s = input.trim();
    let len = s.chars().count();
    if (1..=64).contains(&len) && !s.chars().any(char::is_control) && !s.starts_with('/') {
        Some(s.to_string())
    } else {
        None
    }
}

/// An e-mail address of the usual shape `local@domain.tld`, at most 254 characters, lowercased.
pub fn email(input: &str) -> Option<String> {
    let s = input.trim();
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = s.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    (local_ok && domain_ok).then(|| s.to_ascii_lowercase())
}

/// An Indonesian WhatsApp number, normalised to `62…`: accepts `08…`, `8…`, `62…`, `+62…`, with
/// spaces or dashes. 10–15 digits after normalising.
pub fn whatsapp(input: &str) -> Option<String> {
    let s = input.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let normalised = if let Some(rest) = digits.strip_prefix("62") {
        format!("62{rest}")
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("62{rest}")
    } else if digits.starts_with('8') {
        format!("62{digits}")
    } else {
        return None;
    };
    let ok = (10..=15).contains(&normalised.len()) && normalised.get(2..3) == Some("8");
    ok.then_some(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names() {
        assert_eq!(name("  Budi  "), Some("Budi".into()));
        assert_eq!(name(""), None);
        assert_eq!(name(&"x".repeat(65)), None);
        assert_eq!(name("a\u{0}b"), None);
        assert_eq!(name("/skip"), None);
        assert_eq!(name("Siti 🌸"), Some("Siti 🌸".into()));
    }

    #[test]
    fn emails() {
        assert_eq!(email("Budi@Example.com"), Some("budi@example.com".into()));
        assert_eq!(email("a.b+shop@mail.co.id"), Some("a.b+shop@mail.co.id".into()));
        for bad in [
            "",
            "budi",
            "budi@",
            "@x.com",
            "a@b",
            "a b@x.com",
            "a@x.c",
            "a@-x.com",
            "a..b@x.com",
            "a@x.com'; DROP TABLE users;--",
        ] {
            assert_eq!(email(bad), None, "{bad}");
        }
    }

    #[test]
    fn whatsapp_numbers() {
        assert_eq!(whatsapp("081234567890"), Some("6281234567890".into()));
        assert_eq!(whatsapp("+62 812-3456-7890"), Some("6281234567890".into()));
        assert_eq!(whatsapp("6281234567890"), Some("6281234567890".into()));
        assert_eq!(whatsapp("81234567890"), Some("6281234567890".into()));
        for bad in ["", "12345", "0212345678", "08123abc", "+1 555 1234567", "0812345678901234567"] {
            assert_eq!(whatsapp(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn validators_never_panic(s in "\\PC{0,300}") {
            let _ = (name(&s), email(&s), whatsapp(&s));
        }
    }
}
