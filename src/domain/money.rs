//! Integer rupiah. Shown as `Rp30.000`.

/// Formats rupiah with dots as thousands separators: `Rp30.000`, `-Rp5.000`.
///
/// ```
/// assert_eq!(quickcart::domain::money::rupiah(30_520), "Rp30.520");
/// ```
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 3);
    if amount < 0 {
        out.push('-');
    }
    out.push_str("Rp");
    let first = digits.len() % 3;
    for (i, ch) in digits.chars().enumerate() {
        if i != 0 && (i + 3 - first) % 3 == 0 {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// Parses an amount typed by a person: `30000`, `30.000`, `Rp30.000`, `rp 30,000`.
/// Returns `None` for anything else (negative, fractional, overflowing, empty).
pub fn parse_amount(input: &str) -> Option<i64> {
    let s = input.trim();
    let s = s.strip_prefix("Rp").or_else(|| s.strip_prefix("rp")).or_else(|| s.strip_prefix("RP")).unwrap_or(s).trim();
    if s.is_empty() || s.len() > 32 {
        return None;
    }
    let mut value: i64 = 0;
    let mut last_sep = None;
    for (i, c) in s.char_indices() {
        match c {
            '0'..='9' => value = value.checked_mul(10)?.checked_add(i64::from(c as u8 - b'0'))?,
            '.' | ',' => {
                // Separators must split groups of exactly three digits.
                if let Some(prev) = last_sep {
                    if i - prev != 4 {
                        return None;
                    }
                } else if i == 0 || i > 3 {
                    return None;
                }
                last_sep = Some(i);
            }
            _ => return None,
        }
    }
    if let Some(prev) = last_sep {
        if s.len() - prev != 4 {
            return None;
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_like_indonesian_rupiah() {
        assert_eq!(rupiah(0), "Rp0");
        assert_eq!(rupiah(520), "Rp520");
        assert_eq!(rupiah(30_000), "Rp30.000");
        assert_eq!(rupiah(30_520), "Rp30.520");
        assert_eq!(rupiah(1_000_000), "Rp1.000.000");
        assert_eq!(rupiah(-5_000), "-Rp5.000");
    }

    #[test]
    fn parses_typed_amounts() {
        assert_eq!(parse_amount("30000"), Some(30_000));
        assert_eq!(parse_amount("30.000"), Some(30_000));
        assert_eq!(parse_amount("Rp10.000.000"), Some(10_000_000));
        assert_eq!(parse_amount("1,500"), Some(1_500));
        for bad in ["", "-5", "1.5", "30.00", "abc", "99999999999999999999", ".100", "1..000", "1e5"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(n in 0i64..=i64::MAX) {
            let shown = rupiah(n);
            prop_assert_eq!(parse_amount(&shown), Some(n));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = parse_amount(&s);
        }
    }
}
