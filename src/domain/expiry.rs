//! Expiring stock (issue 18 point 6): the "valid until" token of an `/addstock` item line and the
//! rule for when such an item may still be sold.
//!
//! Syntax: an item line may START with `[s/d YYYY-MM-DD]` and a space; the rest of the line is the
//! item, untouched (it may hold `|`, dates or brackets of its own). The date is a WIB calendar
//! day: the item is valid until the end of that day (00:00 WIB of the next day, stored as UTC).
//! A line that starts with `[s/d` but is not exactly a valid token is refused, never stored as
//! content: a mistyped date cannot turn into an item sold without its limit.
//!
//! Sell-by rule: an item is offered, counted and reserved only while
//! `sell_until > now`, where `sell_until = valid_until − invoice lifetime` (fixed when the item
//! is imported). A reservation therefore never outlives its item: an invoice created while the
//! item is sellable expires before the item does.

use chrono::NaiveDate;

use super::time::{wib_date, wib_day_start};

/// How the token begins; the help and the usage name it.
pub const TOKEN_OPEN: &str = "[s/d ";
/// An example line for the command table.
pub const EXAMPLE_LINE: &str = "[s/d 2026-12-31] user3@mail.com:pass3";

/// One `/addstock` item line, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemLine<'a> {
    /// No token: the whole line is the item, valid without limit.
    Plain(&'a str),
    /// `[s/d DATE] content`.
    Until(NaiveDate, &'a str),
    /// Starts like a token but is not one (bad date, no `]`, nothing after it).
    BadDate,
}

/// Splits an (already trimmed) item line into its optional valid-until date and its content.
pub fn split(line: &str) -> ItemLine<'_> {
    let Some(rest) = line.strip_prefix(TOKEN_OPEN) else {
        // `[s/d` followed by something other than one space is a mistyped token.
        return if line.starts_with("[s/d") { ItemLine::BadDate } else { ItemLine::Plain(line) };
    };
    let Some((date, content)) = rest.split_once(']') else { return ItemLine::BadDate };
    let Some(content) = content.strip_prefix(' ') else { return ItemLine::BadDate };
    let content = content.trim();
    if content.is_empty() || date.len() != 10 {
        return ItemLine::BadDate;
    }
    match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(d) => ItemLine::Until(d, content),
        Err(_) => ItemLine::BadDate,
    }
}

/// The token for `date` (`[s/d 2026-12-31]`), as an admin writes it.
pub fn token(date: NaiveDate) -> String {
    format!("{TOKEN_OPEN}{}]", date.format("%Y-%m-%d"))
}

/// An item as `/exportstock` writes it: with its token when it has a valid-until, so the file
/// imports back with the same date (`valid_until` is the exclusive end of its WIB day).
pub fn export_line(content: &str, valid_until: Option<i64>) -> String {
    match valid_until.and_then(|end| wib_date(end - 1)) {
        Some(date) => format!("{} {content}", token(date)),
        None => content.to_string(),
    }
}

/// The end of WIB day `date` as a unix timestamp (exclusive: valid while `now < end`).
pub fn end_of_wib_day(date: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    wib_day_start((date - epoch).num_days() + 1)
}

/// Why a dated line cannot be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a valid `[s/d YYYY-MM-DD]` token.
    Unparsable,
    /// The day has ended, or ends before an invoice created now would: it could never be sold.
    TooLate,
}

/// The (valid_until, sell_until) of an item valid through `date`, imported at `now` by a shop
/// whose invoices live `invoice_lifetime` seconds; refused when it could not be sold right now.
pub fn limits(date: NaiveDate, now: i64, invoice_lifetime: i64) -> Result<(i64, i64), Refusal> {
    let valid_until = end_of_wib_day(date);
    let sell_until = valid_until - invoice_lifetime.max(0);
    if sell_until <= now {
        return Err(Refusal::TooLate);
    }
    Ok((valid_until, sell_until))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn splits_lines() {
        assert_eq!(split("a|b 2026-12-31"), ItemLine::Plain("a|b 2026-12-31"));
        assert_eq!(split("[s/d 2026-12-31] a|b"), ItemLine::Until(d("2026-12-31"), "a|b"));
        assert_eq!(split("[s/d 2026-12-31] [s/d x] y"), ItemLine::Until(d("2026-12-31"), "[s/d x] y"));
        assert_eq!(split("[x] item"), ItemLine::Plain("[x] item"));
        for bad in [
            "[s/d 2026-13-01] a",
            "[s/d 2026-02-30] a",
            "[s/d 31-12-2026] a",
            "[s/d 2026-12-31]a",
            "[s/d 2026-12-31]",
            "[s/d 2026-12-31]  ",
            "[s/d 2026-12-31 a",
            "[s/d2026-12-31] a",
            "[s/d  2026-12-31] a",
            "[s/d +2026-12-31] a",
        ] {
            assert_eq!(split(bad), ItemLine::BadDate, "{bad}");
        }
    }

    #[test]
    fn end_of_day_is_midnight_wib() {
        // 2026-12-31 ends at 2027-01-01 00:00 WIB = 2026-12-31 17:00 UTC.
        assert_eq!(end_of_wib_day(d("2026-12-31")), 1_798_736_400);
        assert_eq!(super::super::time::wib(1_798_736_400 - 60), "31/12/2026 23:59");
    }

    #[test]
    fn too_late_dates_are_refused() {
        let end = end_of_wib_day(d("2026-12-31"));
        assert_eq!(limits(d("2026-12-31"), end - 601, 600), Ok((end, end - 600)));
        assert_eq!(limits(d("2026-12-31"), end - 600, 600), Err(Refusal::TooLate));
        assert_eq!(limits(d("2026-12-30"), end - 601, 600), Err(Refusal::TooLate));
    }

    proptest! {
        /// Any date and any content round-trip through the token; content is never changed.
        #[test]
        fn token_round_trip(days in 0i64..100_000, content in "[^\\s\\x00-\\x1f][^\\x00-\\x1f]{0,40}[^\\s\\x00-\\x1f]") {
            let date = d("1970-01-01") + chrono::Duration::days(days);
            let line = format!("{} {content}", token(date));
            prop_assert_eq!(split(&line), ItemLine::Until(date, content.as_str()));
        }

        /// An exported dated item imports back as the same day and the same content.
        #[test]
        fn export_lines_import_back(days in 0i64..100_000, content in "[^\\s\\x00-\\x1f][^\\x00-\\x1f]{0,40}[^\\s\\x00-\\x1f]") {
            let date = d("1970-01-01") + chrono::Duration::days(days);
            let line = export_line(&content, Some(end_of_wib_day(date)));
            prop_assert_eq!(split(&line), ItemLine::Until(date, content.as_str()));
            prop_assert_eq!(export_line(&content, None), content.clone());
        }

        /// A line that does not start with the token is the item itself.
        #[test]
        fn plain_lines_stay_plain(line in "[^\\[][^\\x00-\\x1f]{0,60}") {
            prop_assert_eq!(split(&line), ItemLine::Plain(line.as_str()));
        }
    }
}
