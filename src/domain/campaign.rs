//! Giveaways, vouchers and the refund formula (SPEC §2, §6): pure rules.

use super::admin::Usage;

pub const MIN_GIVEAWAY: i64 = 1_000;
pub const MAX_GIVEAWAY: i64 = 1_000_000;
pub const MAX_GIVEAWAY_COUNT: i64 = 100;
pub const VOUCHER_DAYS: i64 = 30;
/// Seconds between two voucher uses of one user.
pub const VOUCHER_COOLDOWN: i64 = 5 * 60;
pub const VOUCHER_LEN: usize = 8;
const VOUCHER_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub const GIVEAWAY_USAGE: Usage = Usage {
    format: "/giveaway nominal|jumlah, atau /giveaway nominal|jumlah|@segmen (segmen seperti /broadcast)",
    example: "/giveaway 10000|5\n/giveaway 10000|5|@produk:12",
};

/// `/giveaway nominal|jumlah`: nominal Rp1.000–Rp1.000.000, jumlah 1–100.
pub fn parse_giveaway(args: &str) -> Result<(i64, i64), Usage> {
    giveaway_fields(args).and_then(Result::ok).ok_or(GIVEAWAY_USAGE)
}

/// Which `/giveaway` argument is out of range, when the command has its two fields.
pub fn explain_giveaway(args: &str) -> Option<super::admin::BadField> {
    giveaway_fields(args)?.err()
}

/// The two fields of `/giveaway`, or the first one out of range; `None`: not two fields.
fn giveaway_fields(args: &str) -> Option<Result<(i64, i64), super::admin::BadField>> {
    use super::admin::BadField;
    let (a, b) = args.split_once('|')?;
    let Some(nominal) = super::money::parse_amount(a).filter(|n| (MIN_GIVEAWAY..=MAX_GIVEAWAY).contains(n)) else {
        let given = a.trim().to_string();
        return Some(Err(BadField { field: "nominal", given, min: MIN_GIVEAWAY, max: MAX_GIVEAWAY, money: true }));
    };
    let Some(count) = b.trim().parse::<i64>().ok().filter(|n| (1..=MAX_GIVEAWAY_COUNT).contains(n)) else {
        let given = b.trim().to_string();
        return Some(Err(BadField { field: "jumlah", given, min: 1, max: MAX_GIVEAWAY_COUNT, money: false }));
    };
    Some(Ok((nominal, count)))
}

/// An 8-character code from random bytes (callers pass bytes from a CSPRNG). Rejection sampling
/// keeps every character equally likely.
pub fn voucher_code(mut random: impl FnMut() -> u8) -> String {
    let mut code = String::with_capacity(VOUCHER_LEN);
    while code.len() < VOUCHER_LEN {
        let b = random();
        // 252 = 7 × 36: bytes above it would bias the first characters.
        if b < 252 {
            if let Some(c) = VOUCHER_ALPHABET.get(usize::from(b % 36)) {
                code.push(char::from(*c));
            }
        }
    }
    code
}

/// A code as a person typed it: trimmed, uppercased, exactly 8 of A–Z/0–9.
pub fn normalize_code(input: &str) -> Option<String> {
    let s = input.trim().to_ascii_uppercase();
    (s.len() == VOUCHER_LEN && s.bytes().all(|b| VOUCHER_ALPHABET.contains(&b))).then_some(s)
}

/// The discount a voucher gives on a subtotal: never more than the subtotal.
pub fn voucher_discount(voucher: i64, subtotal: i64) -> i64 {
    voucher.clamp(0, subtotal.max(0))
}

/// The refund formula in thousandths (0.8 → 800), so no floats touch money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Formula {
    pub days: i64,
    pub lt7: i64,
    pub ge7: i64,
    pub c12: i64,
    pub c3: i64,
    pub c4: i64,
}

impl Default for Formula {
    fn default() -> Self {
        Self { days: 30, lt7: 800, ge7: 700, c12: 600, c3: 500, c4: 400 }
    }
}

pub const FORMULA_USAGE: Usage = Usage {
    format: "/setformula, atau /setformula days=30|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4",
    example: "/setformula days=30|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4",
};

/// `0.8` → 800; 0–1 with at most three decimals.
fn multiplier(s: &str) -> Option<i64> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || int.len() > 1 || frac.len() > 3 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value = int.parse::<i64>().ok()? * 1000 + format!("{frac:0<3}").parse::<i64>().ok()?;
    (0..=1000).contains(&value).then_some(value)
}

fn show(m: i64) -> String {
    let s = format!("{}.{:03}", m / 1000, m % 1000);
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').map_or_else(|| s.to_string(), |x| format!("{x}.0"))
}

impl Formula {
    /// `days=30|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4`, every key exactly once.
    pub fn parse(args: &str) -> Result<Self, Usage> {
        let mut f = Formula::default();
        let mut seen = Vec::new();
        for part in args.split('|') {
            let (k, v) = part.split_once('=').ok_or(FORMULA_USAGE)?;
            let k = k.trim().to_ascii_lowercase();
            if seen.contains(&k) {
                return Err(FORMULA_USAGE);
            }
            match k.as_str() {
                "days" => {
                    f.days = v.trim().parse::<i64>().ok().filter(|d| (1..=365).contains(d)).ok_or(FORMULA_USAGE)?
                }
                "lt7" => f.lt7 = multiplier(v).ok_or(FORMULA_USAGE)?,
                "ge7" => f.ge7 = multiplier(v).ok_or(FORMULA_USAGE)?,
                "c12" => f.c12 = multiplier(v).ok_or(FORMULA_USAGE)?,
                "c3" => f.c3 = multiplier(v).ok_or(FORMULA_USAGE)?,
                "c4" => f.c4 = multiplier(v).ok_or(FORMULA_USAGE)?,
                _ => return Err(FORMULA_USAGE),
            }
            seen.push(k);
        }
        if seen.len() != 6 {
            return Err(FORMULA_USAGE);
        }
        Ok(f)
    }

    pub fn display(&self) -> String {
        format!(
            "days={}|lt7={}|ge7={}|c12={}|c3={}|c4={}",
            self.days,
            show(self.lt7),
            show(self.ge7),
            show(self.c12),
            show(self.c3),
            show(self.c4)
        )
    }

    /// The multiplier (thousandths): warranty claims override the days rule.
    pub fn multiplier(&self, days_used: i64, earlier_claims: i64) -> i64 {
        match earlier_claims {
            c if c <= 0 => {
                if days_used < 7 {
                    self.lt7
                } else {
                    self.ge7
                }
            }
            1 | 2 => self.c12,
            3 => self.c3,
            _ => self.c4,
        }
    }

    /// `price × (days − days_used) / days × multiplier`, rounded down, never negative.
    pub fn refund(&self, price: i64, days_used: i64, earlier_claims: i64) -> i64 {
        let remaining = i128::from((self.days - days_used.max(0)).max(0));
        let m = i128::from(self.multiplier(days_used, earlier_claims));
        let value = i128::from(price.max(0)) * remaining * m / (i128::from(self.days.max(1)) * 1000);
        i64::try_from(value).unwrap_or(0).max(0)
    }
}

/// How long a code opened through a voucher link waits for the customer's next checkout.
pub const VOUCHER_LINK_SECONDS: i64 = 7 * 24 * 60 * 60;
/// The deep-link payload prefix of a voucher link (`https://t.me/<bot>?start=v_CODE`).
const VOUCHER_LINK_PREFIX: &str = "v_";

/// The voucher code in a `/start` payload: exactly `v_` and 8 of A–Z/0–9 (as codes are made);
/// anything else (untrusted input) is no voucher link.
pub fn voucher_link_code(payload: &str) -> Option<String> {
    let code = payload.strip_prefix(VOUCHER_LINK_PREFIX)?;
    (code.len() == VOUCHER_LEN && code.bytes().all(|b| VOUCHER_ALPHABET.contains(&b))).then(|| code.to_string())
}

/// The shareable link of a voucher for the bot `@username`, if `username` looks like a bot's.
pub fn voucher_link(username: &str, code: &str) -> Option<String> {
    let ok = (5..=32).contains(&username.len()) && username.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then(|| format!("https://t.me/{username}?start={VOUCHER_LINK_PREFIX}{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn giveaway_bounds() {
        assert_eq!(parse_giveaway("10000|5"), Ok((10_000, 5)));
        assert_eq!(parse_giveaway("1.000|100"), Ok((1_000, 100)));
        for bad in ["", "999|1", "1000001|1", "1000|0", "1000|101", "abc|1", "1000", "1000|1|2"] {
            assert_eq!(parse_giveaway(bad), Err(GIVEAWAY_USAGE), "{bad}");
        }
    }

    #[test]
    fn formula_spec_examples() {
        let f = Formula::default();
        assert_eq!(f.refund(30_000, 0, 0), 24_000); // 30000 × 30/30 × 0.8
        assert_eq!(f.refund(30_000, 10, 0), 14_000); // 30000 × 20/30 × 0.7
        assert_eq!(f.refund(30_000, 10, 2), 12_000); // 0.6 for 1–2 earlier claims
        assert_eq!(f.refund(30_000, 10, 3), 10_000);
        assert_eq!(f.refund(30_000, 10, 9), 8_000);
        assert_eq!(f.refund(30_000, 45, 0), 0);
        assert_eq!(Formula::parse(&f.display()), Ok(f));
        assert_eq!(f.display(), "days=30|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4");
        for bad in [
            "",
            "days=30",
            "days=0|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4",
            "days=30|lt7=1.5|ge7=0.7|c12=0.6|c3=0.5|c4=0.4",
            "days=30|lt7=0.8|lt7=0.7|c12=0.6|c3=0.5|c4=0.4",
            "days=30|lt7=-0.1|ge7=0.7|c12=0.6|c3=0.5|c4=0.4",
        ] {
            assert!(Formula::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes() {
        let mut n = 0u8;
        let code = voucher_code(|| {
            n = n.wrapping_add(37);
            n
        });
        assert_eq!(code.len(), 8);
        assert_eq!(normalize_code(&format!(" {} ", code.to_lowercase())), Some(code));
        assert_eq!(normalize_code("ABC"), None);
        assert_eq!(normalize_code("ABCD-123"), None);
    }

    proptest! {
        #[test]
        fn refund_is_bounded(price in 0i64..=100_000_000, days_used in -5i64..400, claims in 0i64..10,
                              lt7 in 0i64..=1000, ge7 in 0i64..=1000, days in 1i64..=365) {
            let f = Formula { days, lt7, ge7, ..Formula::default() };
            let r = f.refund(price, days_used, claims);
            prop_assert!(r >= 0 && r <= price);
            // more days used never refunds more
            prop_assert!(f.refund(price, days_used.max(0) + 1, claims) <= r || (days_used < 7 && days_used + 1 >= 7));
        }

        #[test]
        fn discount_never_makes_total_negative(v in 0i64..=2_000_000, sub in 0i64..=2_000_000) {
            let d = voucher_discount(v, sub);
            prop_assert!(d >= 0 && sub - d >= 0);
        }

        #[test]
        fn codes_are_valid(bytes in proptest::collection::vec(any::<u8>(), 64)) {
            let mut it = bytes.into_iter().cycle();
            let code = voucher_code(|| it.next().unwrap_or(0));
            prop_assert_eq!(normalize_code(&code), Some(code.clone()));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,120}") {
            let _ = parse_giveaway(&s);
            let _ = Formula::parse(&s);
            let _ = normalize_code(&s);
        }
    }

    #[test]
    fn voucher_link_payloads_are_strict() {
        assert_eq!(voucher_link_code("v_AB12CD34").as_deref(), Some("AB12CD34"));
        for bad in
            ["", "v_", "v_ab12cd34", "v_AB12CD3", "v_AB12CD345", "V_AB12CD34", "x_AB12CD34", "v_AB12CD3!", "v_AB12CD3É"]
        {
            assert_eq!(voucher_link_code(bad), None, "{bad}");
        }
        let link = voucher_link("QuickCartBot", "AB12CD34").unwrap();
        assert_eq!(link, "https://t.me/QuickCartBot?start=v_AB12CD34");
        assert_eq!(voucher_link_code(link.split_once("start=").unwrap().1).as_deref(), Some("AB12CD34"));
        assert_eq!(voucher_link("bad name", "AB12CD34"), None);
        assert_eq!(voucher_link("", "AB12CD34"), None);
    }
}
