//! Validation of what customers type about themselves.

/// Longest display name.
pub const MAX_NAME_CHARS: usize = 64;

/// Characters that change how the text around them is shown without being seen themselves:
/// bidirectional controls (U+202E shows a name reversed), zero-width and joiner characters, the
/// other Unicode format (Cf) characters, and the blank "filler" letters used for empty-looking
/// names.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{0890}' | '\u{0891}' | '\u{08E2}'
        | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'      // zero-width space/non-joiner/joiner, LRM, RLM
        | '\u{202A}'..='\u{202E}'      // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'      // word joiner, invisible operators, bidi isolates, deprecated
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}' // tag characters
    )
}

/// The one sanitiser for a person's name (typed, from Telegram, or read back from the database
/// for display): hidden characters ([`is_hidden`]) are removed, other control and line/paragraph
/// separator characters become spaces, runs of whitespace become one space, and surrounding
/// space is trimmed. May return an empty string.
pub fn clean_name(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut space = false;
    for c in input.chars().filter(|c| !is_hidden(*c)) {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// A name as shown to people (admin texts, Top Buyers, the account screen): [`clean_name`],
/// at most [`MAX_NAME_CHARS`] characters, `Anonymous` when nothing visible is left. Also guards
/// against rows stored before names were sanitised.
pub fn display_name(stored: &str) -> String {
    let s = clean_name(stored);
    if s.is_empty() {
        return "Anonymous".into();
    }
    match s.char_indices().nth(MAX_NAME_CHARS) {
        Some((cut, _)) => format!("{}…", s.get(..cut).unwrap_or_default()),
        None => s,
    }
}

/// A Telegram username as shown to people: sanitised like a name; `None` when nothing is left.
pub fn display_username(stored: &str) -> Option<String> {
    let s: String = clean_name(stored).chars().filter(|c| !c.is_whitespace()).take(MAX_NAME_CHARS).collect();
    (!s.is_empty()).then_some(s)
}

/// A display name typed by a person or taken from Telegram: [`clean_name`], then 1–64
/// characters, not a command.
pub fn name(input: &str) -> Option<String> {
    let s = clean_name(input);
    let len = s.chars().count();
    (((1..=MAX_NAME_CHARS).contains(&len)) && !s.starts_with('/')).then_some(s)
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
        // Control characters used to refuse the name; now they are spaces like any other.
        assert_eq!(name("a\u{0}b"), Some("a b".into()));
        assert_eq!(name("\u{0}"), None);
        assert_eq!(name("/skip"), None);
        assert_eq!(name("Siti 🌸"), Some("Siti 🌸".into()));
    }

    #[test]
    fn hidden_characters_are_stripped_from_names() {
        assert_eq!(name("Budi\u{202E}nimda"), Some("Budinimda".into()));
        assert_eq!(name("\u{202E}\u{200B}\u{FEFF}"), None, "nothing visible is no name");
        assert_eq!(name("A\u{2066}B\u{2069}C\u{200E}D\u{200F}E\u{061C}F\u{2060}G\u{200D}H"), Some("ABCDEFGH".into()));
        assert_eq!(name("Siti\n\t  Aminah\u{2028}X"), Some("Siti Aminah X".into()));
        assert_eq!(name("\u{200B}/skip"), None, "still a command");
        assert_eq!(display_name("\u{202E}\u{3164}"), "Anonymous");
        assert_eq!(display_name("Budi\u{202E}"), "Budi");
        assert_eq!(display_name(&"x".repeat(70)), format!("{}…", "x".repeat(64)));
        assert_eq!(display_username("budi\u{202E}_01"), Some("budi_01".into()));
        assert_eq!(display_username("\u{200B}"), None);
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

    /// A product number (up to 6 digits) is never a WhatsApp number or an e-mail, so typing one
    /// in those steps can leave them and open the product (issue 16).
    #[test]
    fn no_product_number_is_a_phone_number_or_email() {
        for n in (1..=999_999_i64).step_by(7).chain([1, 9, 81, 812, 8123, 81234, 812345, 628123, 999_999]) {
            for s in [n.to_string(), format!("0{n}")].iter().filter(|s| s.len() <= 6) {
                assert_eq!(whatsapp(s), None, "{s}");
                assert_eq!(email(s), None, "{s}");
            }
        }
    }

    proptest! {
        #[test]
        fn validators_never_panic(s in "\\PC{0,300}") {
            let _ = (name(&s), email(&s), whatsapp(&s));
        }

        #[test]
        fn cleaned_names_show_nothing_hidden(s in "(\\PC|[\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2066}-\u{2069}\u{FEFF}\u{061C}\n\t ]){0,100}") {
            for cleaned in [clean_name(&s), display_name(&s), name(&s).unwrap_or_default()] {
                prop_assert!(!cleaned.chars().any(|c| is_hidden(c) || c.is_control()), "{:?}", cleaned);
                prop_assert_eq!(cleaned.trim(), cleaned.as_str());
                prop_assert!(!cleaned.contains("  "));
                // Idempotent: sanitising twice changes nothing more.
                prop_assert_eq!(clean_name(&cleaned), cleaned.clone());
            }
            if let Some(n) = name(&s) {
                prop_assert!((1..=MAX_NAME_CHARS).contains(&n.chars().count()));
            }
        }
    }
}
