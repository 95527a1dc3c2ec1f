//! Targeted campaigns (issue 18 point 3): the audience a `/broadcast` or `/giveaway` is aimed at.
//! A segment is an optional leading token that no message text starts with by accident
//! (`@produk:12`, `@kategori:3`, `@reseller`, `@pasif:30`, `@saldo`); without it a campaign goes
//! to everyone, exactly as before.

/// Who a campaign reaches; always among the reachable users (not banned, not erased, not
/// blocking the bot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Every reachable user (no token).
    Everyone,
    /// Buyers of a product: a paid order with it.
    Product(i64),
    /// Buyers of any product of a category.
    Category(i64),
    Resellers,
    /// Customers with no order (and no sign-up) in the last N days.
    Inactive(i64),
    /// Customers with a balance above zero.
    Balance,
}

/// Most days `@pasif:N` accepts.
pub const MAX_INACTIVE_DAYS: i64 = 3_650;

impl Segment {
    /// One token (`@produk:12`, ...), exactly as written in the command table; anything else is
    /// no segment.
    pub fn parse_token(token: &str) -> Option<Self> {
        let rest = token.strip_prefix('@')?;
        let (name, value) = match rest.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (rest, None),
        };
        let number = |v: Option<&str>, min: i64, max: i64| {
            v.filter(|v| !v.is_empty() && v.len() <= 12 && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|n| (min..=max).contains(n))
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("produk", v) => number(v, 1, i64::from(i32::MAX)).map(Segment::Product),
            ("kategori", v) => number(v, 1, i64::from(i32::MAX)).map(Segment::Category),
            ("reseller", None) => Some(Segment::Resellers),
            ("pasif", v) => number(v, 0, MAX_INACTIVE_DAYS).map(Segment::Inactive),
            ("saldo", None) => Some(Segment::Balance),
            _ => None,
        }
    }

    /// The token that reads back as this segment (`None` for everyone).
    pub fn token(&self) -> Option<String> {
        match self {
            Segment::Everyone => None,
            Segment::Product(id) => Some(format!("@produk:{id}")),
            Segment::Category(id) => Some(format!("@kategori:{id}")),
            Segment::Resellers => Some("@reseller".into()),
            Segment::Inactive(days) => Some(format!("@pasif:{days}")),
            Segment::Balance => Some("@saldo".into()),
        }
    }
}

/// `/broadcast [@segmen] pesan`: the segment of a leading token and the text after it, or
/// everyone and the whole text unchanged. Only a first word that is exactly a segment token counts.
pub fn split_broadcast(args: &str) -> (Segment, &str) {
    let trimmed = args.trim_start();
    let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let (first, rest) = trimmed.split_at(end);
    match Segment::parse_token(first) {
        Some(segment) => (segment, rest.trim_start()),
        None => (Segment::Everyone, args),
    }
}

/// `/giveaway nominal|jumlah[|@segmen]`: the segment of a third field and the first two fields;
/// a third field that is not a segment token leaves the arguments to the usual parser (which
/// refuses them).
pub fn split_giveaway(args: &str) -> (Segment, &str) {
    match args.rsplit_once('|') {
        Some((head, tail)) if head.contains('|') => match Segment::parse_token(tail.trim()) {
            Some(segment) => (segment, head),
            None => (Segment::Everyone, args),
        },
        _ => (Segment::Everyone, args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens() {
        assert_eq!(split_broadcast("@produk:12 Promo"), (Segment::Product(12), "Promo"));
        assert_eq!(split_broadcast("  @kategori:3\nDiskon\nhari ini"), (Segment::Category(3), "Diskon\nhari ini"));
        assert_eq!(split_broadcast("@reseller Harga baru"), (Segment::Resellers, "Harga baru"));
        assert_eq!(split_broadcast("@PASIF:30 Kangen"), (Segment::Inactive(30), "Kangen"));
        assert_eq!(split_broadcast("@pasif:0 x"), (Segment::Inactive(0), "x"));
        assert_eq!(split_broadcast("@saldo"), (Segment::Balance, ""));
        for plain in [
            "Promo hari ini!",
            "@admin tolong cek",
            "@produk: 12",
            "@produk:-1 x",
            "@produk:0 x",
            "@produk:12x x",
            "@reseller:1 x",
            "@saldo:5 x",
            "@pasif:99999 x",
            "email@produk:12",
            "",
        ] {
            assert_eq!(split_broadcast(plain), (Segment::Everyone, plain), "{plain:?}");
        }
        assert_eq!(split_giveaway("10000|5|@produk:12"), (Segment::Product(12), "10000|5"));
        assert_eq!(split_giveaway("10000|5| @saldo "), (Segment::Balance, "10000|5"));
        assert_eq!(split_giveaway("10000|5"), (Segment::Everyone, "10000|5"));
        assert_eq!(split_giveaway("10000|5|x"), (Segment::Everyone, "10000|5|x"));
        assert_eq!(split_giveaway("10000|@saldo"), (Segment::Everyone, "10000|@saldo"));
    }

    fn any_segment() -> impl Strategy<Value = Segment> {
        prop_oneof![
            (1i64..=i64::from(i32::MAX)).prop_map(Segment::Product),
            (1i64..=i64::from(i32::MAX)).prop_map(Segment::Category),
            Just(Segment::Resellers),
            (0i64..=MAX_INACTIVE_DAYS).prop_map(Segment::Inactive),
            Just(Segment::Balance),
        ]
    }

    proptest! {
        /// No existing broadcast changes meaning: text that does not start with `@` is always
        /// everyone's, unchanged.
        #[test]
        fn text_without_a_token_is_everyones(s in "[^@]\\PC{0,200}") {
            prop_assume!(!s.trim_start().starts_with('@'));
            prop_assert_eq!(split_broadcast(&s), (Segment::Everyone, s.as_str()));
        }

        /// Any text whose first word is no exact token stays everyone's too.
        #[test]
        fn only_exact_tokens_count(s in "\\PC{0,200}") {
            let (seg, rest) = split_broadcast(&s);
            let first = s.split_whitespace().next().unwrap_or("");
            if Segment::parse_token(first).is_none() {
                prop_assert_eq!((seg, rest), (Segment::Everyone, s.as_str()));
            } else {
                prop_assert_eq!(Some(seg), Segment::parse_token(first));
            }
        }

        #[test]
        fn tokens_round_trip(seg in any_segment(), text in "[^@\\s]\\PC{0,50}") {
            let token = seg.token().unwrap();
            let msg = format!("{token} {text}");
            prop_assert_eq!(split_broadcast(&msg), (seg, text.as_str()));
            let giveaway = format!("10000|5|{token}");
            prop_assert_eq!(split_giveaway(&giveaway), (seg, "10000|5"));
        }

        #[test]
        fn giveaways_without_a_token_are_unchanged(s in "[^@]{0,60}") {
            prop_assert_eq!(split_giveaway(&s), (Segment::Everyone, s.as_str()));
        }
    }
}
