//! Slash-command grammar: splitting `/cmd@bot args`, the admin command list, and strict parsers
//! for admin commands (SPEC §5). Arguments are separated by `|`.

use super::money::parse_amount;

/// Every admin command of SPEC §5. The one permission check uses this list.
pub const ADMIN_COMMANDS: [&str; 28] = [
    "add",
    "addstock",
    "del",
    "delstock",
    "delallstock",
    "editid",
    "editcategory",
    "editsold",
    "disc",
    "discat",
    "priceress",
    "exportstock",
    "info",
    "pm",
    "transfer",
    "editbalance",
    "ban",
    "unban",
    "addadmin",
    "rmadmin",
    "addreseller",
    "rmress",
    "whitelist",
    "rm",
    "broadcast",
    "setformula",
    "version",
    "giveaway",
];

/// Commands everyone sees in the `/` menu.
pub const PUBLIC_COMMANDS: [(&str, &str); 6] = [
    ("start", "Menu utama"),
    ("stock", "Daftar stok produk"),
    ("order", "Cara memesan"),
    ("refund", "Hitung refund: /refund INVOICE"),
    ("mydata", "Unduh data saya"),
    ("hapusdata", "Hapus data pribadi saya"),
];

pub fn is_admin_command(name: &str) -> bool {
    ADMIN_COMMANDS.contains(&name)
}

/// A command split from a message: lowercase name without `/` and `@bot`, and the raw rest.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandText<'a> {
    pub name: String,
    pub args: &'a str,
}

/// Splits `/Name@bot rest`; `None` if the text is not a command.
pub fn split(text: &str) -> Option<CommandText<'_>> {
    let rest = text.strip_prefix('/')?;
    let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    let (word, args) = rest.split_at(end);
    let name = word.split('@').next().unwrap_or_default();
    if name.is_empty() || name.len() > 32 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    // Only the separating space (or newline) goes; item lines of /addstock keep their layout.
    let args = args.strip_prefix([' ', '\t']).unwrap_or(args).trim_end();
    let args = args.strip_prefix('\n').unwrap_or(args);
    Some(CommandText { name: name.to_ascii_lowercase(), args })
}

/// What a malformed admin command is answered with: the right format and an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub format: &'static str,
    pub example: &'static str,
}

pub const ADD_USAGE: Usage = Usage {
    format: "/add id|nama|kategori|harga|deskripsi",
    example: "/add 1|Netflix 1 Bulan|Streaming|30000|Akun sharing 1 profil\n/add -|Canva Pro|-|15000|-",
};

pub const ADDSTOCK_USAGE: Usage = Usage {
    format: "/addstock id|item (item berikutnya di baris baru), atau kirim berkas .txt dengan caption /addstock id",
    example: "/addstock 1|user1@mail.com:pass1\nuser2@mail.com:pass2",
};

pub const MAX_PRODUCT_ID: i64 = 999_999;
pub const MAX_PRICE: i64 = 100_000_000;
pub const MAX_ITEM_LEN: usize = 2_000;
pub const MAX_ITEMS_PER_IMPORT: usize = 10_000;

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

fn clean_line(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)).then(|| s.to_string())
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

/// `/add id|name|category|price|description` (`-` placeholders for id, category, description).
pub fn parse_add(args: &str) -> Result<NewProduct, Usage> {
    let mut parts = args.splitn(5, '|');
    let (Some(id), Some(name), Some(category), Some(price), Some(description)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ADD_USAGE);
    };
    let id = match id.trim() {
        "-" => None,
        s => Some(product_id(s).ok_or(ADD_USAGE)?),
    };
    let name = clean_line(name, 100).filter(|n| n != "-").ok_or(ADD_USAGE)?;
    let category = match category.trim() {
        "-" => None,
        c if c.eq_ignore_ascii_case(super::catalog::NO_CATEGORY) => None,
        c => Some(clean_line(c, 50).ok_or(ADD_USAGE)?),
    };
    let price = parse_amount(price).filter(|p| (1..=MAX_PRICE).contains(p)).ok_or(ADD_USAGE)?;
    let description = match description.trim() {
        "-" => String::new(),
        d if d.chars().count() <= 2_000 && !d.chars().any(|c| c.is_control() && c != '\n') => d.to_string(),
        _ => return Err(ADD_USAGE),
    };
    Ok(NewProduct { id, name, category, price, description })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockImport {
    pub product_id: i64,
    /// Trimmed, non-empty item lines in input order (duplicates are the store's to skip).
    pub items: Vec<String>,
}

/// `/addstock id|item` with more items on following lines; or `/addstock id` as the caption of a
/// `.txt` document whose lines are the items.
pub fn parse_addstock(args: &str, document: Option<&str>) -> Result<StockImport, Usage> {
    let (head, first_item) = match args.split_once('|') {
        Some((id, rest)) => (id, Some(rest)),
        None => (args.lines().next().unwrap_or_default(), None),
    };
    let product_id = product_id(head).ok_or(ADDSTOCK_USAGE)?;
    let mut lines: Vec<&str> = Vec::new();
    match (first_item, document) {
        (Some(rest), None) => lines.extend(rest.lines()),
        (None, Some(doc)) => {
            if args.lines().count() > 1 {
                return Err(ADDSTOCK_USAGE);
            }
            lines.extend(doc.lines());
        }
        _ => return Err(ADDSTOCK_USAGE),
    }
    let mut items = Vec::new();
    for line in lines {
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if line.is_empty() {
            continue;
        }
        if line.chars().count() > MAX_ITEM_LEN || line.chars().any(char::is_control) {
            return Err(ADDSTOCK_USAGE);
        }
        items.push(line.to_string());
    }
    if items.is_empty() || items.len() > MAX_ITEMS_PER_IMPORT {
        return Err(ADDSTOCK_USAGE);
    }
    Ok(StockImport { product_id, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_commands() {
        let c = split("/Start@QuickCartBot hello").unwrap();
        assert_eq!((c.name.as_str(), c.args), ("start", "hello"));
        let c = split("/addstock 1|a\nb\nc").unwrap();
        assert_eq!((c.name.as_str(), c.args), ("addstock", "1|a\nb\nc"));
        assert_eq!(split("hello"), None);
        assert_eq!(split("/"), None);
        assert_eq!(split("/ab'c"), None);
        assert_eq!(ADMIN_COMMANDS.len(), 28);
    }

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
            assert_eq!(parse_add(bad), Err(ADD_USAGE), "{bad}");
        }
    }

    #[test]
    fn addstock_formats() {
        let s = parse_addstock("1|a\n b \n\nc", None).unwrap();
        assert_eq!(s, StockImport { product_id: 1, items: vec!["a".into(), "b".into(), "c".into()] });
        let s = parse_addstock("7", Some("\u{feff}x\r\ny\r\n")).unwrap();
        assert_eq!(s.items, vec!["x".to_string(), "y".to_string()]);
        for bad in ["", "1", "x|a", "1|", "1| \n ", "0|a"] {
            assert_eq!(parse_addstock(bad, None), Err(ADDSTOCK_USAGE), "{bad}");
        }
        assert_eq!(parse_addstock("1|a", Some("b")), Err(ADDSTOCK_USAGE));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,300}") {
            let _ = split(&s);
            let _ = parse_add(&s);
            let _ = parse_addstock(&s, None);
            let _ = parse_addstock(&s, Some(&s));
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
