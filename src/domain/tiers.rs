//! Bulk prices (issue 18 point 5): a product's quantity tiers, e.g. "from 5 items −10 %, from 10
//! items −15 %". Their grammar (the `/tier` command and the stored column, both `5=10,10=15`) and
//! their shape rules live here; what they do to a price lives in [`super::pricing`].

/// From `min_qty` items on, each item costs `percent` % less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    pub min_qty: i64,
    pub percent: i64,
}

/// At most this many tiers per product.
pub const MAX_TIERS: usize = 5;
/// The deepest tier percent an admin may set.
pub const MAX_TIER_PERCENT: i64 = 90;
/// A tier starts at 2 items at the earliest (one item is the plain price).
pub const MIN_TIER_QTY: i64 = 2;
/// The largest quantity a tier may start at.
pub const MAX_TIER_QTY: i64 = 100_000;
/// Longest list the grammar reads at all (the shape rule then names the limit).
const MAX_PARSED: usize = 20;

/// What `/tier` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TierChange {
    /// `/tier id`: the product's tiers.
    Show,
    /// `/tier id|-`: no tiers any more.
    Clear,
    /// `/tier id|5=10,10=15`: these tiers (checked by [`validate`] and the price rule).
    Set(Vec<Tier>),
}

/// Why a well-formed tier list is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TierError {
    TooMany {
        count: usize,
    },
    QtyTooSmall {
        qty: i64,
    },
    QtyTooLarge {
        qty: i64,
    },
    PercentOutOfRange {
        percent: i64,
    },
    /// Quantities must grow from tier to tier.
    QtyNotIncreasing {
        qty: i64,
    },
    /// A tier for more items must take more off.
    PercentNotIncreasing {
        qty: i64,
        percent: i64,
    },
}

/// `5=10,10=15` (spaces and a `%` after the percent allowed); `None` = not that shape.
pub fn parse_list(s: &str) -> Option<Vec<Tier>> {
    let s = s.trim();
    if s.is_empty() || s.contains('\n') {
        return None;
    }
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() > MAX_PARSED {
        return None;
    }
    parts
        .into_iter()
        .map(|part| {
            let (q, p) = part.split_once('=')?;
            let p = p.trim();
            let p = p.strip_suffix('%').unwrap_or(p);
            Some(Tier { min_qty: super::admin::digits(q)?, percent: super::admin::digits(p)? })
        })
        .collect()
}

/// `/tier` arguments: `id`, `id|-` or `id|5=10,10=15`.
pub fn parse_command(args: &str) -> Option<(i64, TierChange)> {
    if args.contains('\n') {
        return None;
    }
    let (id, rest) = match args.split_once('|') {
        Some((id, rest)) => (id, Some(rest.trim())),
        None => (args, None),
    };
    let id = super::admin::product_id(id)?;
    let change = match rest {
        None => TierChange::Show,
        Some("-") => TierChange::Clear,
        Some(list) => TierChange::Set(parse_list(list)?),
    };
    Some((id, change))
}

/// The shape rules: 1–[`MAX_TIERS`] tiers, quantities ≥ [`MIN_TIER_QTY`] and strictly
/// increasing, percents 1–[`MAX_TIER_PERCENT`] and strictly increasing. (That no tier makes a
/// price too low is the price rule's: `pricing::check_tiers`.)
pub fn validate(tiers: &[Tier]) -> Result<(), TierError> {
    if tiers.len() > MAX_TIERS {
        return Err(TierError::TooMany { count: tiers.len() });
    }
    let mut last: Option<Tier> = None;
    for t in tiers {
        if t.min_qty < MIN_TIER_QTY {
            return Err(TierError::QtyTooSmall { qty: t.min_qty });
        }
        if t.min_qty > MAX_TIER_QTY {
            return Err(TierError::QtyTooLarge { qty: t.min_qty });
        }
        if !(1..=MAX_TIER_PERCENT).contains(&t.percent) {
            return Err(TierError::PercentOutOfRange { percent: t.percent });
        }
        if let Some(prev) = last {
            if t.min_qty <= prev.min_qty {
                return Err(TierError::QtyNotIncreasing { qty: t.min_qty });
            }
            if t.percent <= prev.percent {
                return Err(TierError::PercentNotIncreasing { qty: t.min_qty, percent: t.percent });
            }
        }
        last = Some(*t);
    }
    Ok(())
}

/// The stored form (and the audit log's): `5=10,10=15`; empty for none.
pub fn column_text(tiers: &[Tier]) -> String {
    tiers.iter().map(|t| format!("{}={}", t.min_qty, t.percent)).collect::<Vec<_>>().join(",")
}

/// The tiers of a stored column; anything that does not pass [`validate`] counts as none (only
/// validated lists are ever written).
pub fn from_column(s: Option<&str>) -> Vec<Tier> {
    match s.and_then(parse_list) {
        Some(t) if validate(&t).is_ok() => t,
        _ => Vec::new(),
    }
}

/// The tier that applies to `qty` items: of those reached (`min_qty` ≤ `qty`) the one that takes
/// most off (with validated tiers, the one with the largest `min_qty`). Choosing the deepest one
/// reached keeps the price per item from ever rising with the quantity, whatever the list.
pub fn tier_for(tiers: &[Tier], qty: i64) -> Option<Tier> {
    tiers.iter().copied().filter(|t| t.min_qty <= qty).max_by_key(|t| (t.percent, t.min_qty))
}

/// The deepest tier (the one that takes most off), reached at some quantity.
pub fn deepest(tiers: &[Tier]) -> Option<Tier> {
    tier_for(tiers, i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min_qty: i64, percent: i64) -> Tier {
        Tier { min_qty, percent }
    }

    #[test]
    fn grammar() {
        assert_eq!(parse_list("5=10,10=15"), Some(vec![t(5, 10), t(10, 15)]));
        assert_eq!(parse_list(" 5 = 10% , 10=15 "), Some(vec![t(5, 10), t(10, 15)]));
        assert_eq!(parse_list("5:10"), None);
        assert_eq!(parse_list("5=-10"), None);
        assert_eq!(parse_list(""), None);
        assert_eq!(parse_command("3"), Some((3, TierChange::Show)));
        assert_eq!(parse_command("3|-"), Some((3, TierChange::Clear)));
        assert_eq!(parse_command("3|5=10"), Some((3, TierChange::Set(vec![t(5, 10)]))));
        assert_eq!(parse_command("x|5=10"), None);
        assert_eq!(parse_command("3|5"), None);
    }

    #[test]
    fn shape_rules() {
        assert_eq!(validate(&[t(5, 10), t(10, 15)]), Ok(()));
        assert_eq!(validate(&[t(1, 10)]), Err(TierError::QtyTooSmall { qty: 1 }));
        assert_eq!(validate(&[t(5, 0)]), Err(TierError::PercentOutOfRange { percent: 0 }));
        assert_eq!(validate(&[t(5, 91)]), Err(TierError::PercentOutOfRange { percent: 91 }));
        assert_eq!(validate(&[t(5, 10), t(5, 15)]), Err(TierError::QtyNotIncreasing { qty: 5 }));
        assert_eq!(validate(&[t(5, 10), t(10, 10)]), Err(TierError::PercentNotIncreasing { qty: 10, percent: 10 }));
        let six: Vec<_> = (2..8).map(|q| t(q, q)).collect();
        assert_eq!(validate(&six), Err(TierError::TooMany { count: 6 }));
        assert_eq!(from_column(Some("5=10,10=15")), vec![t(5, 10), t(10, 15)]);
        assert_eq!(from_column(Some("5=10,3=15")), vec![]);
        assert_eq!(column_text(&[t(5, 10), t(10, 15)]), "5=10,10=15");
        assert_eq!(tier_for(&[t(5, 10), t(10, 15)], 4), None);
        assert_eq!(tier_for(&[t(5, 10), t(10, 15)], 9), Some(t(5, 10)));
        assert_eq!(tier_for(&[t(5, 10), t(10, 15)], 10), Some(t(10, 15)));
    }
}
