//! The admin command grammar (SPEC §5): one enum, one strict parser per command, and the usage
//! text (format + example) every malformed command is answered with.

use super::{
    catalog::{Discount, NO_CATEGORY},
    commands::{
        digits, parse_add, parse_addstock, product_id, NewProduct, StockImport, Usage, ADDSTOCK_USAGE, ADD_USAGE,
        MAX_PRICE,
    },
    money::parse_amount,
};

/// Largest amount an admin can move in one `/transfer` or set with `/editbalance`.
pub const MAX_ADMIN_AMOUNT: i64 = 100_000_000;
pub const MAX_PM_LEN: usize = 3_500;
pub const MAX_SOLD: i64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoldEdit {
    Set(i64),
    Add(i64),
}

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
    ExportStock(i64),
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
    /// `/broadcast`, `/giveaway`, `/setformula`: parsed by the campaign module.
    Campaign {
        name: String,
        args: String,
    },
}

const fn usage(format: &'static str, example: &'static str) -> Usage {
    Usage { format, example }
}

pub fn usage_of(name: &str) -> Usage {
    match name {
        "add" => ADD_USAGE,
        "addstock" => ADDSTOCK_USAGE,
        "del" => usage("/del id", "/del 3"),
        "delstock" => usage("/delstock id|stock_id", "/delstock 3|120"),
        "delallstock" => usage("/delallstock id", "/delallstock 3"),
        "editid" => usage("/editid id_lama|id_baru", "/editid 3|30"),
        "editcategory" => usage("/editcategory id|kategori", "/editcategory 3|Streaming"),
        "editsold" => usage("/editsold id|N atau /editsold id|+N", "/editsold 3|100\n/editsold 3|+5"),
        "disc" => usage("/disc id|10% atau /disc id|5000, /disc id|0 menghapus", "/disc 3|10%"),
        "discat" => usage("/discat kategori|15% atau nominal, 0 menghapus", "/discat Streaming|15%"),
        "priceress" => usage("/priceress id|harga, - menghapus", "/priceress 3|25000"),
        "exportstock" => usage("/exportstock id", "/exportstock 3"),
        "info" => usage("/info user_id", "/info 123456789"),
        "pm" => usage("/pm user_id|pesan", "/pm 123456789|Halo, pesanan Anda sudah dikirim."),
        "transfer" => usage("/transfer user_id|jumlah", "/transfer 123456789|50000"),
        "editbalance" => usage("/editbalance user_id|jumlah", "/editbalance 123456789|100000"),
        "ban" => usage("/ban user_id", "/ban 123456789"),
        "unban" => usage("/unban user_id", "/unban 123456789"),
        "addadmin" => usage("/addadmin user_id", "/addadmin 123456789"),
        "rmadmin" => usage("/rmadmin user_id", "/rmadmin 123456789"),
        "addreseller" => usage("/addreseller user_id", "/addreseller 123456789"),
        "rmress" => usage("/rmress user_id", "/rmress 123456789"),
        "whitelist" => usage("/whitelist chat_id", "/whitelist -1001234567890"),
        "rm" => usage("/rm chat_id", "/rm -1001234567890"),
        "version" => usage("/version", "/version"),
        "broadcast" => {
            usage("/broadcast pesan, atau balas sebuah pesan dengan /broadcast", "/broadcast Promo hari ini!")
        }
        "giveaway" => usage("/giveaway nominal|jumlah", "/giveaway 10000|5"),
        _ => usage(
            "/setformula, atau /setformula days=30|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4",
            "/setformula days=30|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4",
        ),
    }
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

fn one<T>(args: &str, f: impl Fn(&str) -> Option<T>) -> Option<T> {
    if args.contains('|') || args.trim().is_empty() {
        return None;
    }
    f(args)
}

fn two(args: &str) -> Option<(&str, &str)> {
    let (a, b) = args.split_once('|')?;
    (!a.trim().is_empty() && !b.trim().is_empty()).then_some((a, b))
}

/// Parses one admin command. `document` is the text of a `.txt` sent with the command.
pub fn parse(name: &str, args: &str, document: Option<&str>) -> Result<AdminCommand, Usage> {
    let bad = || usage_of(name);
    let args_single = || (!args.contains('\n')).then_some(args).ok_or_else(bad);
    use AdminCommand as C;
    Ok(match name {
        "add" => C::Add(parse_add(args)?),
        "addstock" => C::AddStock(parse_addstock(args, document)?),
        "broadcast" | "giveaway" | "setformula" => C::Campaign { name: name.to_string(), args: args.to_string() },
        "version" if args.trim().is_empty() => C::Version,
        "pm" => {
            let (id, text) = args.split_once('|').ok_or_else(bad)?;
            let text = text.trim();
            if text.is_empty() || text.chars().count() > MAX_PM_LEN {
                return Err(bad());
            }
            C::Pm { user_id: user_id(id).ok_or_else(bad)?, text: text.to_string() }
        }
        _ => {
            let args = args_single()?;
            match name {
                "del" => C::Del(one(args, product_id).ok_or_else(bad)?),
                "delallstock" => C::DelAllStock(one(args, product_id).ok_or_else(bad)?),
                "exportstock" => C::ExportStock(one(args, product_id).ok_or_else(bad)?),
                "delstock" => {
                    let (p, s) = two(args).ok_or_else(bad)?;
                    let stock_id = digits(s).filter(|i| *i > 0).ok_or_else(bad)?;
                    C::DelStock { product_id: product_id(p).ok_or_else(bad)?, stock_id }
                }
                "editid" => {
                    let (a, b) = two(args).ok_or_else(bad)?;
                    C::EditId { old: product_id(a).ok_or_else(bad)?, new: product_id(b).ok_or_else(bad)? }
                }
                "editcategory" => {
                    let (a, b) = two(args).ok_or_else(bad)?;
                    C::EditCategory {
                        product_id: product_id(a).ok_or_else(bad)?,
                        category: category_name(b).ok_or_else(bad)?,
                    }
                }
                "editsold" => {
                    let (a, b) = two(args).ok_or_else(bad)?;
                    let b = b.trim();
                    let edit = match b.strip_prefix('+') {
                        Some(n) => SoldEdit::Add(digits(n).filter(|n| (1..=MAX_SOLD).contains(n)).ok_or_else(bad)?),
                        None => SoldEdit::Set(digits(b).filter(|n| (0..=MAX_SOLD).contains(n)).ok_or_else(bad)?),
                    };
                    C::EditSold { product_id: product_id(a).ok_or_else(bad)?, edit }
                }
                "disc" => {
                    let (a, b) = two(args).ok_or_else(bad)?;
                    C::Disc { product_id: product_id(a).ok_or_else(bad)?, discount: discount(b).ok_or_else(bad)? }
                }
                "discat" => {
                    let (a, b) = two(args).ok_or_else(bad)?;
                    let category = category_name(a).flatten().ok_or_else(bad)?;
                    C::DisCat { category, discount: discount(b).ok_or_else(bad)? }
                }
                "priceress" => {
                    let (a, b) = two(args).ok_or_else(bad)?;
                    let price = match b.trim() {
                        "-" => None,
                        p => Some(parse_amount(p).filter(|p| (1..=MAX_PRICE).contains(p)).ok_or_else(bad)?),
                    };
                    C::PriceRess { product_id: product_id(a).ok_or_else(bad)?, price }
                }
                "transfer" | "editbalance" => {
                    let (a, b) = two(args).ok_or_else(bad)?;
                    let user_id = user_id(a).ok_or_else(bad)?;
                    let min = if name == "transfer" { 1 } else { 0 };
                    let amount = parse_amount(b).filter(|n| (min..=MAX_ADMIN_AMOUNT).contains(n)).ok_or_else(bad)?;
                    if name == "transfer" {
                        C::Transfer { user_id, amount }
                    } else {
                        C::EditBalance { user_id, amount }
                    }
                }
                "info" => C::Info(one(args, user_id).ok_or_else(bad)?),
                "ban" => C::Ban(one(args, user_id).ok_or_else(bad)?),
                "unban" => C::Unban(one(args, user_id).ok_or_else(bad)?),
                "addadmin" => C::AddAdmin(one(args, user_id).ok_or_else(bad)?),
                "rmadmin" => C::RmAdmin(one(args, user_id).ok_or_else(bad)?),
                "addreseller" => C::AddReseller(one(args, user_id).ok_or_else(bad)?),
                "rmress" => C::RmReseller(one(args, user_id).ok_or_else(bad)?),
                "whitelist" => C::Whitelist(one(args, group_id).ok_or_else(bad)?),
                "rm" => C::RmGroup(one(args, group_id).ok_or_else(bad)?),
                _ => return Err(bad()),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::commands::ADMIN_COMMANDS;
    use proptest::prelude::*;

    #[test]
    fn well_formed_commands() {
        assert_eq!(parse("del", "3", None), Ok(AdminCommand::Del(3)));
        assert_eq!(parse("delstock", "3|120", None), Ok(AdminCommand::DelStock { product_id: 3, stock_id: 120 }));
        assert_eq!(parse("editid", "3|30", None), Ok(AdminCommand::EditId { old: 3, new: 30 }));
        assert_eq!(
            parse("editcategory", "3|-", None),
            Ok(AdminCommand::EditCategory { product_id: 3, category: None })
        );
        assert_eq!(
            parse("editsold", "3|+5", None),
            Ok(AdminCommand::EditSold { product_id: 3, edit: SoldEdit::Add(5) })
        );
        assert_eq!(
            parse("editsold", "3|100", None),
            Ok(AdminCommand::EditSold { product_id: 3, edit: SoldEdit::Set(100) })
        );
        assert_eq!(
            parse("disc", "3|10%", None),
            Ok(AdminCommand::Disc { product_id: 3, discount: Some(Discount::Percent(10)) })
        );
        assert_eq!(
            parse("disc", "3|5.000", None),
            Ok(AdminCommand::Disc { product_id: 3, discount: Some(Discount::Nominal(5000)) })
        );
        assert_eq!(parse("disc", "3|0", None), Ok(AdminCommand::Disc { product_id: 3, discount: None }));
        assert_eq!(
            parse("discat", "Streaming|15%", None),
            Ok(AdminCommand::DisCat { category: "Streaming".into(), discount: Some(Discount::Percent(15)) })
        );
        assert_eq!(parse("priceress", "3|-", None), Ok(AdminCommand::PriceRess { product_id: 3, price: None }));
        assert_eq!(parse("transfer", "42|50.000", None), Ok(AdminCommand::Transfer { user_id: 42, amount: 50_000 }));
        assert_eq!(parse("editbalance", "42|0", None), Ok(AdminCommand::EditBalance { user_id: 42, amount: 0 }));
        assert_eq!(
            parse("pm", "42|Halo | dunia", None),
            Ok(AdminCommand::Pm { user_id: 42, text: "Halo | dunia".into() })
        );
        assert_eq!(parse("whitelist", "-1001234567890", None), Ok(AdminCommand::Whitelist(-1_001_234_567_890)));
        assert_eq!(parse("version", "", None), Ok(AdminCommand::Version));
    }

    #[test]
    fn malformed_commands_get_their_usage() {
        for (name, args) in [
            ("del", ""),
            ("del", "x"),
            ("del", "1|2"),
            ("delstock", "3"),
            ("editid", "3|"),
            ("editsold", "3|-5"),
            ("editsold", "3|+0"),
            ("disc", "3|101%"),
            ("disc", "3|-5"),
            ("discat", "-|10%"),
            ("transfer", "42|0"),
            ("transfer", "-42|100"),
            ("transfer", "42|999999999999"),
            ("editbalance", "42|-1"),
            ("pm", "42|"),
            ("pm", "abc|hi"),
            ("ban", "0"),
            ("ban", "+42"),
            ("whitelist", "42"),
            ("rm", "abc"),
            ("version", "x"),
            ("info", "1\n2"),
            ("editsold", "1|++5"),
            ("editsold", "+1|5"),
            ("disc", "+1|10%"),
            ("editid", "+1|2"),
            ("del", "+1"),
        ] {
            assert_eq!(parse(name, args, None), Err(usage_of(name)), "/{name} {args}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(idx in 0usize..28, args in "\\PC{0,200}") {
            let name = ADMIN_COMMANDS[idx];
            let _ = parse(name, &args, None);
            let _ = parse(name, &args, Some(&args));
        }

        #[test]
        fn ids_round_trip(id in 1i64..(1 << 53)) {
            prop_assert_eq!(parse("info", &id.to_string(), None), Ok(AdminCommand::Info(id)));
            prop_assert_eq!(parse("ban", &format!(" {id} "), None), Ok(AdminCommand::Ban(id)));
        }

        #[test]
        fn amounts_in_bounds(amount in 1i64..=MAX_ADMIN_AMOUNT) {
            prop_assert_eq!(parse("transfer", &format!("7|{amount}"), None), Ok(AdminCommand::Transfer { user_id: 7, amount }));
        }

        #[test]
        fn usage_always_names_the_command(idx in 0usize..28) {
            let name = ADMIN_COMMANDS[idx];
            let prefix = format!("/{}", name);
            prop_assert!(usage_of(name).format.starts_with(&prefix), "{}", name);
        }
    }
}
