//! The admin command arguments (SPEC §5): the parsed [`AdminCommand`], and the strict parsers the
//! rows of the command table (`domain::commands`) use. A parser answers `None` for a malformed
//! command; the table answers it with the row's [`Usage`]. Arguments are separated by `|`.

use super::{
    catalog::{Discount, NO_CATEGORY},
    money::parse_amount,
};

/// What a malformed admin command is answered with: the right format and an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub format: &'static str,
    pub example: &'static str,
}

pub const MAX_PRODUCT_ID: i64 = 999_999;
pub const MAX_PRICE: i64 = 100_000_000;
pub const MAX_ITEM_LEN: usize = 2_000;
pub const MAX_ITEMS_PER_IMPORT: usize = 10_000;
/// Largest amount an admin can move in one `/transfer` or set with `/editbalance`.
pub const MAX_ADMIN_AMOUNT: i64 = 100_000_000;
pub const MAX_PM_LEN: usize = 3_500;
pub const MAX_SOLD: i64 = 10_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// `None` = the smallest free id.
    pub id: Option<i64>,
    pub name: String,
    /// `None` = Tanpa Kategori.
    pub category: Option<String>,
    pub price: i64,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockImport {
    pub product_id: i64,
    /// Trimmed, non-empty item lines in input order (duplicates are the store's to skip).
    pub items: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoldEdit {
    Set(i64),
    Add(i64),
}

/// A well-formed admin command; `shop::admin` has one handler per variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    Add(NewProduct),
    AddStock(StockImport),
    Del(i64),
    DelStock {
        product_id: i64,
        stock_id: i64,
    },
    DelAllStock(i64),
    EditId {
        old: i64,
        new: i64,
    },
    /// `None` = Tanpa Kategori.
    EditCategory {
        product_id: i64,
        category: Option<String>,
    },
    EditSold {
        product_id: i64,
        edit: SoldEdit,
    },
    /// `None` removes the discount.
    Disc {
        product_id: i64,
        discount: Option<Discount>,
    },
    DisCat {
        category: String,
        discount: Option<Discount>,
    },
    /// `None` removes the reseller price.
    PriceRess {
        product_id: i64,
        price: Option<i64>,
    },
    /// `/tier`: show, clear or set a product's quantity tiers (bulk prices).
    Tier {
        product_id: i64,
        change: super::tiers::TierChange,
    },
    ExportStock(i64),
    /// `/garansi id|hari`: the product's warranty in days (0 = none).
    Warranty {
        product_id: i64,
        days: i64,
    },
    /// `/liststock id`: the unsold items with their stock ids (for `/delstock`).
    ListStock(i64),
    Info(i64),
    Pm {
        user_id: i64,
        text: String,
    },
    Transfer {
        user_id: i64,
        amount: i64,
    },
    EditBalance {
        user_id: i64,
        amount: i64,
    },
    Ban(i64),
    Unban(i64),
    AddAdmin(i64),
    RmAdmin(i64),
    AddReseller(i64),
    RmReseller(i64),
    Whitelist(i64),
    RmGroup(i64),
    Version,
    /// `/laporan [hari]`: the sales report of the last N WIB days as a chart.
    Report(i64),
    /// `/broadcast`, `/giveaway`, `/setformula`: their arguments are parsed by the campaign
    /// module after the command is audited, so they stay raw here.
    Campaign {
        kind: CampaignKind,
        args: String,
    },
    /// `/stars …`: the Telegram Stars setting (issue 18).
    Stars(super::stars::StarsCommand),
    /// `/setstars ID JUMLAH`: a product's own Stars price (`None` clears it).
    SetStars {
        product_id: i64,
        stars: Option<i64>,
    },
    /// `/refundstars INVOICE`: returns a Stars payment with refundStarPayment.
    RefundStars(String),
}

/// The campaign commands (their arguments are parsed by the campaign use case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignKind {
    Broadcast,
    Giveaway,
    SetFormula,
}

/// One argument of an otherwise well-formed command that is out of its allowed range or not a
/// number: named, with what is allowed, instead of the whole usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadField {
    /// The argument's name as the usage writes it (`harga`, `nominal`, `jumlah`).
    pub field: &'static str,
    /// What the admin typed there (trimmed).
    pub given: String,
    pub min: i64,
    pub max: i64,
    /// A rupiah amount (shown as `Rp1.000`), else a count.
    pub money: bool,
}

/// Why `/add` failed when only its price is wrong (right number of fields, valid id and name).
pub fn explain_add(args: &str) -> Option<BadField> {
    let parts: Vec<&str> = args.splitn(5, '|').collect();
    let [_, _, _, price, _] = parts.as_slice() else { return None };
    price_of(price).is_none().then(|| BadField {
        field: "harga",
        given: price.trim().to_string(),
        min: 1,
        max: MAX_PRICE,
        money: true,
    })
}

// ------------------------------------------------------------------ values

fn clean_line(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)).then(|| s.to_string())
}

/// A product price: a rupiah amount, Rp1–`MAX_PRICE`.
fn price_of(s: &str) -> Option<i64> {
    parse_amount(s).filter(|p| (1..=MAX_PRICE).contains(p))
}

/// A product id: plain digits (no sign), 1–999999.
pub fn product_id(s: &str) -> Option<i64> {
    digits(s).filter(|id| (1..=MAX_PRODUCT_ID).contains(id))
}

/// A non-negative integer written with ASCII digits only (`+5`, `٥` and `1e3` are refused).
pub fn digits(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A Telegram user id: a positive integer.
pub fn user_id(s: &str) -> Option<i64> {
    let s = s.trim();
    (!s.starts_with('+')).then_some(())?;
    s.parse::<i64>().ok().filter(|id| *id > 0 && *id < 1 << 53)
}

/// A group chat id: a negative integer (Telegram groups and supergroups).
pub fn group_id(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok().filter(|id| *id < 0 && *id > -(1 << 53))
}

fn category_name(s: &str) -> Option<Option<String>> {
    let s = s.trim();
    if s == "-" || s.eq_ignore_ascii_case(NO_CATEGORY) {
        return Some(None);
    }
    let ok = !s.is_empty() && s.chars().count() <= 50 && !s.chars().any(char::is_control);
    ok.then(|| Some(s.to_string()))
}

/// `10%`, `5000`, `Rp5.000`, or `0` (remove).
pub fn discount(s: &str) -> Option<Option<Discount>> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        let p: i64 = p.trim().parse().ok()?;
        return match p {
            0 => Some(None),
            1..=100 => Some(Some(Discount::Percent(p))),
            _ => None,
        };
    }
    match parse_amount(s)? {
        0 => Some(None),
        n if n <= MAX_PRICE => Some(Some(Discount::Nominal(n))),
        _ => None,
    }
}

// ------------------------------------------------------------------ shapes

/// One argument on one line, without `|`.
pub fn one<T>(args: &str, f: impl Fn(&str) -> Option<T>) -> Option<T> {
    if args.contains('|') || args.contains('\n') || args.trim().is_empty() {
        return None;
    }
    f(args)
}

/// Two non-empty arguments `a|b` on one line.
pub fn two(args: &str) -> Option<(&str, &str)> {
    if args.contains('\n') {
        return None;
    }
    let (a, b) = args.split_once('|')?;
    (!a.trim().is_empty() && !b.trim().is_empty()).then_some((a, b))
}

// ------------------------------------------------------------------ commands

/// `/add id|name|category|price|description` (`-` placeholders for id, category, description).
pub fn parse_add(args: &str) -> Option<NewProduct> {
    let mut parts = args.splitn(5, '|');
    let (Some(id), Some(name), Some(category), Some(price), Some(description)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let id = match id.trim() {
        "-" => None,
        s => Some(product_id(s)?),
    };
    let name = clean_line(name, 100).filter(|n| n != "-")?;
    let category = match category.trim() {
        "-" => None,
        c if c.eq_ignore_ascii_case(NO_CATEGORY) => None,
        c => Some(clean_line(c, 50)?),
    };
    let price = price_of(price)?;
    let description = match description.trim() {
        "-" => String::new(),
        d if d.chars().count() <= 2_000 && !d.chars().any(|c| c.is_control() && c != '\n') => d.to_string(),
        _ => return None,
    };
    Some(NewProduct { id, name, category, price, description })
}

/// `/addstock id|item` with more items on following lines; or `/addstock id` as the caption of a
/// `.txt` document whose lines are the items.
pub fn parse_addstock(args: &str, document: Option<&str>) -> Option<StockImport> {
    let (head, first_item) = match args.split_once('|') {
        Some((id, rest)) => (id, Some(rest)),
        None => (args.lines().next().unwrap_or_default(), None),
    };
    let product_id = product_id(head)?;
    let mut lines: Vec<&str> = Vec::new();
    match (first_item, document) {
        (Some(rest), None) => lines.extend(rest.lines()),
        (None, Some(doc)) => {
            if args.lines().count() > 1 {
                return None;
            }
            lines.extend(doc.lines());
        }
        _ => return None,
    }
    let mut items = Vec::new();
    for line in lines {
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if line.is_empty() {
            continue;
        }
        if line.chars().count() > MAX_ITEM_LEN || line.chars().any(char::is_control) {
            return None;
        }
        items.push(line.to_string());
    }
    if items.is_empty() || items.len() > MAX_ITEMS_PER_IMPORT {
        return None;
    }
    Some(StockImport { product_id, items })
}

/// `/pm user_id|text`: the text may span lines and contain `|`.
pub fn parse_pm(args: &str) -> Option<AdminCommand> {
    let (id, text) = args.split_once('|')?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_PM_LEN {
        return None;
    }
    Some(AdminCommand::Pm { user_id: user_id(id)?, text: text.to_string() })
}

pub fn parse_delstock(args: &str) -> Option<AdminCommand> {
    let (p, s) = two(args)?;
    let stock_id = digits(s).filter(|i| *i > 0)?;
    Some(AdminCommand::DelStock { product_id: product_id(p)?, stock_id })
}

pub fn parse_editid(args: &str) -> Option<AdminCommand> {
    let (a, b) = two(args)?;
    Some(AdminCommand::EditId { old: product_id(a)?, new: product_id(b)? })
}

pub fn parse_editcategory(args: &str) -> Option<AdminCommand> {
    let (a, b) = two(args)?;
    Some(AdminCommand::EditCategory { product_id: product_id(a)?, category: category_name(b)? })
}

/// `/editsold id|N` sets, `/editsold id|+N` adds.
pub fn parse_editsold(args: &str) -> Option<AdminCommand> {
    let (a, b) = two(args)?;
    let b = b.trim();
    let edit = match b.strip_prefix('+') {
        Some(n) => SoldEdit::Add(digits(n).filter(|n| (1..=MAX_SOLD).contains(n))?),
        None => SoldEdit::Set(digits(b).filter(|n| (0..=MAX_SOLD).contains(n))?),
    };
    Some(AdminCommand::EditSold { product_id: product_id(a)?, edit })
}

pub fn parse_disc(args: &str) -> Option<AdminCommand> {
    let (a, b) = two(args)?;
    Some(AdminCommand::Disc { product_id: product_id(a)?, discount: discount(b)? })
}

pub fn parse_discat(args: &str) -> Option<AdminCommand> {
    let (a, b) = two(args)?;
    Some(AdminCommand::DisCat { category: category_name(a).flatten()?, discount: discount(b)? })
}

/// `/priceress id|price`, `-` removes.
/// The longest warranty `/garansi` accepts: ten years.
pub const MAX_WARRANTY_DAYS: i64 = 3_650;

pub fn parse_warranty(args: &str) -> Option<AdminCommand> {
    let (a, b) = two(args)?;
    let days = digits(b.trim()).filter(|d| (0..=MAX_WARRANTY_DAYS).contains(d))?;
    Some(AdminCommand::Warranty { product_id: product_id(a)?, days })
}

pub fn parse_priceress(args: &str) -> Option<AdminCommand> {
    let (a, b) = two(args)?;
    let price = match b.trim() {
        "-" => None,
        p => Some(price_of(p)?),
    };
    Some(AdminCommand::PriceRess { product_id: product_id(a)?, price })
}

/// `user_id|amount` with `min..=MAX_ADMIN_AMOUNT` (`/transfer` moves at least 1, `/editbalance`
/// may set 0).
/// `/laporan`, `/laporan 30`: a week unless told; a day to a year.
pub fn parse_report(args: &str) -> Option<AdminCommand> {
    let args = args.trim();
    if args.is_empty() {
        return Some(AdminCommand::Report(7));
    }
    digits(args).filter(|d| (1..=super::report::Window::MAX_DAYS).contains(d)).map(AdminCommand::Report)
}

pub fn user_amount(args: &str, min: i64) -> Option<(i64, i64)> {
    let (a, b) = two(args)?;
    Some((user_id(a)?, parse_amount(b).filter(|n| (min..=MAX_ADMIN_AMOUNT).contains(n))?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn add_formats() {
        let p = parse_add("1|Netflix 1 Bulan|Streaming|30000|Akun sharing").unwrap();
        assert_eq!(
            p,
            NewProduct {
                id: Some(1),
                name: "Netflix 1 Bulan".into(),
                category: Some("Streaming".into()),
                price: 30_000,
                description: "Akun sharing".into()
            }
        );
        let p = parse_add("-|Canva|-|15.000|-").unwrap();
        assert_eq!((p.id, p.category, p.price, p.description.as_str()), (None, None, 15_000, ""));
        let p = parse_add("2|A|B|1000|has | pipes").unwrap();
        assert_eq!(p.description, "has | pipes");
        for bad in [
            "",
            "1|x",
            "0|A|B|1000|-",
            "x|A|B|1000|-",
            "1||B|1000|-",
            "1|A|B|0|-",
            "1|A|B|-5|-",
            "1|A|B|abc|-",
            "1|A|B|999999999999|-",
            "1000000|A|B|1000|-",
        ] {
            assert_eq!(parse_add(bad), None, "{bad}");
        }
    }

    #[test]
    fn add_names_a_bad_price() {
        let bad = explain_add("1|Netflix|Streaming|40rb|-").unwrap();
        assert_eq!((bad.field, bad.given.as_str(), bad.min, bad.max), ("harga", "40rb", 1, MAX_PRICE));
        assert_eq!(explain_add("1|Netflix|Streaming|40000|-"), None);
        assert_eq!(explain_add("1|x"), None, "a truly malformed command gets the usage");
    }

    #[test]
    fn addstock_formats() {
        let s = parse_addstock("1|a\n b \n\nc", None).unwrap();
        assert_eq!(s, StockImport { product_id: 1, items: vec!["a".into(), "b".into(), "c".into()] });
        let s = parse_addstock("7", Some("\u{feff}x\r\ny\r\n")).unwrap();
        assert_eq!(s.items, vec!["x".to_string(), "y".to_string()]);
        for bad in ["", "1", "x|a", "1|", "1| \n ", "0|a"] {
            assert_eq!(parse_addstock(bad, None), None, "{bad}");
        }
        assert_eq!(parse_addstock("1|a", Some("b")), None);
    }

    #[test]
    fn values() {
        assert_eq!(user_id(" 42 "), Some(42));
        assert_eq!(user_id("+42"), None);
        assert_eq!(user_id("0"), None);
        assert_eq!(group_id("-1001234567890"), Some(-1_001_234_567_890));
        assert_eq!(group_id("42"), None);
        assert_eq!(discount("10%"), Some(Some(Discount::Percent(10))));
        assert_eq!(discount("Rp5.000"), Some(Some(Discount::Nominal(5000))));
        assert_eq!(discount("0"), Some(None));
        assert_eq!(discount("101%"), None);
        assert_eq!(product_id("+1"), None);
        assert_eq!(one("1\n2", product_id), None);
        assert_eq!(two("1|2\n3"), None);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,300}") {
            let _ = parse_add(&s);
            let _ = parse_addstock(&s, None);
            let _ = parse_addstock(&s, Some(&s));
            let _ = parse_pm(&s);
            let _ = parse_editsold(&s);
            let _ = parse_priceress(&s);
        }

        #[test]
        fn valid_add_parses(id in 1i64..=MAX_PRODUCT_ID, name in "[A-Za-z][A-Za-z0-9 ]{0,40}", price in 1i64..=MAX_PRICE) {
            let p = parse_add(&format!("{id}|{name}|-|{price}|-")).unwrap();
            prop_assert_eq!(p.id, Some(id));
            prop_assert_eq!(p.price, price);
            prop_assert_eq!(p.name, name.trim().to_string());
        }
    }
}
