//! Telegram Stars, the optional second payment rail (issue 18 point 7): the shop's setting and
//! the one rule that turns a purchase into a Stars amount.
//!
//! A product's Stars amount is its own Stars price × quantity when the admin set one
//! (`/setstars`); otherwise the rupiah total from the one pricing function divided by the shop's
//! rate (rupiah per Star), rounded UP to whole Stars (the shop never sells below its rupiah
//! price). Neither → no Stars price, and no Stars button.

use serde::{Deserialize, Serialize};

/// The currency Telegram uses for Stars.
pub const CURRENCY: &str = "XTR";
/// The largest rate and product Stars price accepted by the admin commands.
pub const MAX_RATE: i64 = 10_000_000;
pub const MAX_STARS: i64 = 100_000;

/// The shop's Stars setting (stored as JSON in `settings`). Off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarsSetting {
    pub enabled: bool,
    /// Rupiah per Star; `None`: only products with their own Stars price can be paid in Stars.
    pub rate: Option<i64>,
}

/// The Stars amount of a purchase (see the module comment), or `None` when it has none.
/// `own`: the product's Stars price per item; `rupiah_total`: the total the pricing function
/// gave (vouchers and discounts applied).
pub fn amount(own: Option<i64>, quantity: i64, rupiah_total: i64, rate: Option<i64>) -> Option<i64> {
    let stars = match own {
        Some(per_item) => per_item.checked_mul(quantity)?,
        None => {
            let rate = rate.filter(|r| *r > 0)?;
            if rupiah_total <= 0 {
                return None;
            }
            // Round up: ceil(total / rate).
            rupiah_total.checked_add(rate - 1)? / rate
        }
    };
    (stars > 0).then_some(stars)
}

/// What the admin's `/stars` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StarsCommand {
    Show,
    On,
    Off,
    Rate(i64),
}

/// `/stars`, `/stars on`, `/stars off`, `/stars rate RUPIAH` (`/stars rate -` clears the rate).
pub fn parse_stars(args: &str) -> Option<StarsCommand> {
    let mut words = args.split_whitespace();
    let cmd = match (words.next().map(str::to_ascii_lowercase).as_deref(), words.next()) {
        (None, None) => StarsCommand::Show,
        (Some("on"), None) => StarsCommand::On,
        (Some("off"), None) => StarsCommand::Off,
        (Some("rate"), Some("-")) => StarsCommand::Rate(0),
        (Some("rate"), Some(n)) => {
            StarsCommand::Rate(super::money::parse_amount(n).filter(|r| (1..=MAX_RATE).contains(r))?)
        }
        _ => return None,
    };
    words.next().is_none().then_some(cmd)
}

/// `/setstars ID JUMLAH` (`-` clears): the product and its Stars price per item.
pub fn parse_setstars(args: &str) -> Option<(i64, Option<i64>)> {
    let mut words = args.split_whitespace();
    let id = super::admin::product_id(words.next()?)?;
    let stars = match words.next()? {
        "-" => None,
        n => Some(n.parse::<i64>().ok().filter(|s| (1..=MAX_STARS).contains(s))?),
    };
    words.next().is_none().then_some((id, stars))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn own_price_wins_and_is_per_item() {
        assert_eq!(amount(Some(50), 3, 90_000, Some(250)), Some(150));
    }

    #[test]
    fn rate_rounds_up_to_whole_stars() {
        assert_eq!(amount(None, 1, 30_000, Some(250)), Some(120));
        assert_eq!(amount(None, 1, 30_001, Some(250)), Some(121));
        assert_eq!(amount(None, 1, 1, Some(250)), Some(1));
    }

    #[test]
    fn no_price_no_stars() {
        assert_eq!(amount(None, 1, 30_000, None), None);
        assert_eq!(amount(None, 1, 0, Some(250)), None);
    }

    #[test]
    fn commands_parse_strictly() {
        assert_eq!(parse_stars(""), Some(StarsCommand::Show));
        assert_eq!(parse_stars("on"), Some(StarsCommand::On));
        assert_eq!(parse_stars("OFF"), Some(StarsCommand::Off));
        assert_eq!(parse_stars("rate 250"), Some(StarsCommand::Rate(250)));
        assert_eq!(parse_stars("rate -"), Some(StarsCommand::Rate(0)));
        assert_eq!(parse_stars("rate 0"), None);
        assert_eq!(parse_stars("on now"), None);
        assert_eq!(parse_setstars("3 50"), Some((3, Some(50))));
        assert_eq!(parse_setstars("3 -"), Some((3, None)));
        assert_eq!(parse_setstars("3 0"), None);
        assert_eq!(parse_setstars("3"), None);
    }

    proptest! {
        /// Paid in Stars at the rate, the shop never gets less than its rupiah total.
        #[test]
        fn rate_never_undercharges(total in 1i64..100_000_000, rate in 1i64..MAX_RATE) {
            let stars = amount(None, 1, total, Some(rate)).unwrap();
            prop_assert!(stars * rate >= total);
            prop_assert!((stars - 1) * rate < total);
        }
    }
}
