//! The one command table (SPEC §5, §12): every slash command, public and admin, is one row here —
//! name, who may run it, menu description, and for admin commands the usage (format + example)
//! and the strict argument parser. The `/` menus, `/help`, the "Format salah" answers, the
//! permission check and the routing in the shop all read this table; adding a command means a
//! row here and its handler in the shop.

use super::{
    admin::{self as args, AdminCommand as C, CampaignKind, Usage},
    campaign::{FORMULA_USAGE, GIVEAWAY_USAGE},
};

// Kept at this path (the grammar moved to `admin`): the store, shop, demo and benches name these.
pub use super::admin::{product_id, NewProduct, MAX_PRICE, MAX_PRODUCT_ID};

/// Who may run a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Everyone,
    /// Admins only; for anyone else the command does not exist (SPEC §5).
    Admin,
}

/// A command everyone may run; the shop has one handler per variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Public {
    Start,
    Stock,
    Order,
    Refund,
    MyData,
    EraseData,
    /// Keeps the default of the current onboarding step (or leaves the step on screen).
    Skip,
    Help,
    /// `/batal`: leaves the current text-entry step (SPEC §12).
    Cancel,
}

/// The strict parser of an admin command's arguments (and of a `.txt` sent with it); `None` =
/// malformed, answered with the row's usage.
pub type Parser = fn(&str, Option<&str>) -> Option<C>;

/// How an admin command is checked: its strict parser, and the usage a malformed one gets.
#[derive(Clone, Copy)]
pub struct Grammar {
    pub usage: Usage,
    pub parser: Parser,
}

impl Grammar {
    pub fn parse(&self, args: &str, document: Option<&str>) -> Result<C, Usage> {
        (self.parser)(args, document).ok_or(self.usage)
    }
}

/// What a row runs. Admin rows carry their grammar, so a strict check cannot be forgotten.
#[derive(Clone, Copy)]
pub enum Run {
    Public(Public),
    Admin(Grammar),
}

#[derive(Clone, Copy)]
pub struct Command {
    /// Lowercase, without `/`.
    pub name: &'static str,
    /// Other spellings that run the same command; never shown.
    pub aliases: &'static [&'static str],
    /// Short Indonesian description for the `/` menu and `/help`; `None` = not shown (it runs).
    pub menu: Option<&'static str>,
    pub run: Run,
}

impl Command {
    pub const fn access(&self) -> Access {
        match self.run {
            Run::Public(_) => Access::Everyone,
            Run::Admin(_) => Access::Admin,
        }
    }

    pub const fn grammar(&self) -> Option<&Grammar> {
        match &self.run {
            Run::Public(_) => None,
            Run::Admin(g) => Some(g),
        }
    }

    /// The format and example of an admin command.
    pub const fn usage(&self) -> Option<Usage> {
        match self.run {
            Run::Public(_) => None,
            Run::Admin(g) => Some(g.usage),
        }
    }
}

const fn public(name: &'static str, menu: &'static str, run: Public) -> Command {
    Command { name, aliases: &[], menu: Some(menu), run: Run::Public(run) }
}

const fn admin(name: &'static str, menu: &'static str, usage: Usage, parser: Parser) -> Command {
    Command { name, aliases: &[], menu: Some(menu), run: Run::Admin(Grammar { usage, parser }) }
}

const fn usage(format: &'static str, example: &'static str) -> Usage {
    Usage { format, example }
}

/// Also the answer to a `/broadcast` with neither text nor a replied-to message.
pub const BROADCAST_USAGE: Usage = usage(
    "/broadcast pesan, atau balas sebuah pesan dengan /broadcast; untuk sebagian pengguna awali dengan segmen: \
     @produk:ID (pembeli produk), @kategori:ID (pembeli kategori), @reseller, @pasif:HARI (tidak order N hari), \
     @saldo (punya saldo), lalu konfirmasi [Kirim]",
    "/broadcast Promo hari ini!\n/broadcast @produk:12 Stok baru untuk pembeli produk 12",
);

/// Campaign commands are parsed after they are audited (by the campaign use case).
fn campaign(kind: CampaignKind, args: &str) -> C {
    C::Campaign { kind, args: args.to_string() }
}

/// Every command, in menu order: public first, then admin in SPEC §5 order.
pub const COMMANDS: &[Command] = &[
    public("start", "Menu utama", Public::Start),
    public("stock", "Daftar stok produk", Public::Stock),
    public("order", "Cara memesan", Public::Order),
    Command { aliases: &["reff"], ..public("refund", "Hitung refund: /refund INVOICE", Public::Refund) },
    public("mydata", "Unduh data saya", Public::MyData),
    public("hapusdata", "Hapus data pribadi saya", Public::EraseData),
    public("help", "Daftar perintah", Public::Help),
    Command { aliases: &["cancel"], ..public("batal", "Batalkan langkah yang sedang berjalan", Public::Cancel) },
    // Only meaningful inside onboarding, which names it; not worth a menu line.
    Command { menu: None, ..public("skip", "", Public::Skip) },
    admin(
        "add",
        "Tambah produk",
        usage(
            "/add id|nama|kategori|harga|deskripsi",
            "/add 1|Netflix 1 Bulan|Streaming|30000|Akun sharing 1 profil\n/add -|Canva Pro|-|15000|-",
        ),
        |a, _| args::parse_add(a).map(C::Add),
    ),
    admin(
        "addstock",
        "Tambah stok produk",
        usage(
            "/addstock id|item (item berikutnya di baris baru), atau kirim berkas .txt dengan caption /addstock id. \
             Item berbatas waktu: awali barisnya dengan [s/d TTTT-BB-HH] (berlaku s/d akhir hari itu, WIB)",
            "/addstock 1|user1@mail.com:pass1\nuser2@mail.com:pass2\n[s/d 2026-12-31] user3@mail.com:pass3",
        ),
        |a, doc| args::parse_addstock(a, doc).map(C::AddStock),
    ),
    admin("del", "Nonaktifkan produk", usage("/del id", "/del 3"), |a, _| args::one(a, args::product_id).map(C::Del)),
    admin("delstock", "Hapus satu item stok", usage("/delstock id|stock_id", "/delstock 3|120"), |a, _| {
        args::parse_delstock(a)
    }),
    admin("delallstock", "Hapus semua stok yang belum terjual", usage("/delallstock id", "/delallstock 3"), |a, _| {
        args::one(a, args::product_id).map(C::DelAllStock)
    }),
    admin("editid", "Ganti ID produk", usage("/editid id_lama|id_baru", "/editid 3|30"), |a, _| args::parse_editid(a)),
    admin(
        "editcategory",
        "Ganti kategori produk",
        usage("/editcategory id|kategori", "/editcategory 3|Streaming"),
        |a, _| args::parse_editcategory(a),
    ),
    admin(
        "editsold",
        "Ubah jumlah terjual",
        usage("/editsold id|N atau /editsold id|+N", "/editsold 3|100\n/editsold 3|+5"),
        |a, _| args::parse_editsold(a),
    ),
    admin(
        "disc",
        "Diskon produk",
        usage("/disc id|10% atau /disc id|5000, /disc id|0 menghapus", "/disc 3|10%"),
        |a, _| args::parse_disc(a),
    ),
    admin(
        "discat",
        "Diskon kategori",
        usage("/discat kategori|15% atau nominal, 0 menghapus", "/discat Streaming|15%"),
        |a, _| args::parse_discat(a),
    ),
    admin(
        "priceress",
        "Harga reseller produk",
        usage("/priceress id|harga, - menghapus", "/priceress 3|25000"),
        |a, _| args::parse_priceress(a),
    ),
    admin(
        "tier",
        "Harga grosir produk (potongan per jumlah)",
        usage(
            "/tier id|jumlah=persen,… (dari N item potong P%), /tier id|- menghapus, /tier id melihat",
            "/tier 3|5=10,10=15",
        ),
        |a, _| super::tiers::parse_command(a).map(|(product_id, change)| C::Tier { product_id, change }),
    ),
    admin(
        "garansi",
        "Atur garansi produk (hari)",
        usage("/garansi id|hari (0 = tanpa garansi, maks 3650)", "/garansi 3|30"),
        |a, _| args::parse_warranty(a),
    ),
    admin("exportstock", "Ekspor stok ke berkas .txt", usage("/exportstock id", "/exportstock 3"), |a, _| {
        args::one(a, args::product_id).map(C::ExportStock)
    }),
    admin("liststock", "Lihat id item stok (untuk /delstock)", usage("/liststock id", "/liststock 3"), |a, _| {
        args::one(a, args::product_id).map(C::ListStock)
    }),
    admin("info", "Info pengguna", usage("/info user_id", "/info 123456789"), |a, _| {
        args::one(a, args::user_id).map(C::Info)
    }),
    admin(
        "pm",
        "Kirim pesan ke pengguna",
        usage("/pm user_id|pesan", "/pm 123456789|Halo, pesanan Anda sudah dikirim."),
        |a, _| args::parse_pm(a),
    ),
    admin(
        "transfer",
        "Tambah saldo pengguna",
        usage("/transfer user_id|jumlah", "/transfer 123456789|50000"),
        |a, _| args::user_amount(a, 1).map(|(user_id, amount)| C::Transfer { user_id, amount }),
    ),
    admin(
        "editbalance",
        "Atur saldo pengguna",
        usage("/editbalance user_id|jumlah", "/editbalance 123456789|100000"),
        |a, _| args::user_amount(a, 0).map(|(user_id, amount)| C::EditBalance { user_id, amount }),
    ),
    admin("ban", "Blokir pengguna", usage("/ban user_id", "/ban 123456789"), |a, _| {
        args::one(a, args::user_id).map(C::Ban)
    }),
    admin("unban", "Buka blokir pengguna", usage("/unban user_id", "/unban 123456789"), |a, _| {
        args::one(a, args::user_id).map(C::Unban)
    }),
    admin("addadmin", "Jadikan admin", usage("/addadmin user_id", "/addadmin 123456789"), |a, _| {
        args::one(a, args::user_id).map(C::AddAdmin)
    }),
    admin("rmadmin", "Cabut peran admin", usage("/rmadmin user_id", "/rmadmin 123456789"), |a, _| {
        args::one(a, args::user_id).map(C::RmAdmin)
    }),
    admin("addreseller", "Jadikan reseller", usage("/addreseller user_id", "/addreseller 123456789"), |a, _| {
        args::one(a, args::user_id).map(C::AddReseller)
    }),
    admin("rmress", "Cabut peran reseller", usage("/rmress user_id", "/rmress 123456789"), |a, _| {
        args::one(a, args::user_id).map(C::RmReseller)
    }),
    admin(
        "whitelist",
        "Tambah grup notifikasi admin",
        usage("/whitelist chat_id", "/whitelist -1001234567890"),
        |a, _| args::one(a, args::group_id).map(C::Whitelist),
    ),
    admin("rm", "Hapus grup notifikasi admin", usage("/rm chat_id", "/rm -1001234567890"), |a, _| {
        args::one(a, args::group_id).map(C::RmGroup)
    }),
    admin("broadcast", "Kirim pesan ke semua atau satu segmen pengguna", BROADCAST_USAGE, |a, _| {
        Some(campaign(CampaignKind::Broadcast, a))
    }),
    admin("setformula", "Lihat atau atur rumus refund", FORMULA_USAGE, |a, _| {
        Some(campaign(CampaignKind::SetFormula, a))
    }),
    admin(
        "laporan",
        "Laporan penjualan (grafik)",
        usage("/laporan [7|30|90] (hari, 1–366; tanpa angka: 7)", "/laporan 30"),
        |a, _| args::parse_report(a),
    ),
    admin("version", "Versi dan status bot", usage("/version", "/version"), |a, _| {
        a.trim().is_empty().then_some(C::Version)
    }),
    admin("giveaway", "Buat voucher giveaway", GIVEAWAY_USAGE, |a, _| Some(campaign(CampaignKind::Giveaway, a))),
    admin(
        "stars",
        "Pembayaran Telegram Stars (aktif/nonaktif, kurs)",
        usage("/stars, /stars on, /stars off, /stars rate RUPIAH (rupiah per Star; - menghapus)", "/stars rate 250"),
        |a, _| super::stars::parse_stars(a).map(C::Stars),
    ),
    admin(
        "setstars",
        "Harga Stars produk",
        usage("/setstars id jumlah (Stars per item), - menghapus", "/setstars 3 120"),
        |a, _| super::stars::parse_setstars(a).map(|(product_id, stars)| C::SetStars { product_id, stars }),
    ),
    admin(
        "refundstars",
        "Refund pesanan Stars (refundStarPayment)",
        usage("/refundstars INVOICE", "/refundstars INV20261123K7Q2XM"),
        |a, _| {
            let inv = a.trim().to_ascii_uppercase();
            super::order::is_invoice_id(&inv).then_some(C::RefundStars(inv))
        },
    ),
];

/// Why a command its grammar refused failed, when one argument alone is wrong (the rest is
/// well formed): named instead of answering with the whole usage.
pub fn explain(name: &str, args: &str) -> Option<super::admin::BadField> {
    match name {
        "add" => super::admin::explain_add(args),
        _ => None,
    }
}

const fn count_admin() -> usize {
    let mut rest: &[Command] = COMMANDS;
    let mut n = 0;
    while let [row, tail @ ..] = rest {
        if matches!(row.run, Run::Admin(_)) {
            n += 1;
        }
        rest = tail;
    }
    n
}

const fn admin_names() -> [&'static str; count_admin()] {
    let mut out = [""; count_admin()];
    {
        let mut rest: &[Command] = COMMANDS;
        let mut slots: &mut [&'static str] = &mut out;
        while let [row, tail @ ..] = rest {
            if matches!(row.run, Run::Admin(_)) {
                if let [slot, more @ ..] = slots {
                    *slot = row.name;
                    slots = more;
                }
            }
            rest = tail;
        }
    }
    out
}

/// The names of every admin command, derived from the table at compile time.
pub const ADMIN_COMMANDS: [&str; count_admin()] = admin_names();

/// The row of `name` (lowercase, without `/`), aliases included.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name || c.aliases.contains(&name))
}

pub fn is_admin_command(name: &str) -> bool {
    find(name).is_some_and(|c| c.access() == Access::Admin)
}

/// The shown rows `role_admin` may run, in table order.
pub fn listed(role_admin: bool) -> impl Iterator<Item = &'static Command> {
    COMMANDS.iter().filter(move |c| c.menu.is_some() && (role_admin || c.access() == Access::Everyone))
}

/// The `/` menu (setMyCommands): everyone's, or an admin's (public + admin commands).
pub fn menu(role_admin: bool) -> Vec<(&'static str, &'static str)> {
    listed(role_admin).filter_map(|c| Some((c.name, c.menu?))).collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        admin::{SoldEdit, MAX_ADMIN_AMOUNT},
        campaign::{parse_giveaway, Formula},
        catalog::Discount,
    };
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn parse(name: &str, args: &str, document: Option<&str>) -> Result<C, Usage> {
        find(name).unwrap().grammar().unwrap().parse(args, document)
    }

    fn usage_of(name: &str) -> Usage {
        find(name).unwrap().usage().unwrap()
    }

    /// The commands of a usage example: a line starting with `/` begins one; other lines continue
    /// it (the items of `/addstock`).
    fn example_commands(example: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for line in example.lines() {
            match out.last_mut() {
                Some(last) if !line.starts_with('/') => {
                    last.push('\n');
                    last.push_str(line);
                }
                _ => out.push(line.to_string()),
            }
        }
        out
    }

    #[test]
    fn names_are_unique_and_valid_for_telegram() {
        let mut seen = HashSet::new();
        for c in COMMANDS {
            for name in std::iter::once(&c.name).chain(c.aliases) {
                assert!(seen.insert(*name), "/{name} declared twice");
                let ok = name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
                assert!(ok && (1..=32).contains(&name.len()), "/{name}");
            }
            if let Some(menu) = c.menu {
                // setMyCommands: a description of 1–256 characters.
                assert!((3..=256).contains(&menu.chars().count()), "/{}: {menu}", c.name);
            }
        }
    }

    #[test]
    fn every_command_is_routable() {
        for c in COMMANDS {
            for name in std::iter::once(&c.name).chain(c.aliases) {
                let text = format!("/{}@QuickCartBot", name.to_uppercase());
                let split = split(&text).unwrap();
                assert_eq!(find(&split.name).map(|r| r.name), Some(c.name), "/{name}");
                assert_eq!(is_admin_command(name), c.access() == Access::Admin);
                assert_eq!(c.grammar().is_some(), c.access() == Access::Admin);
            }
        }
        assert!(find("help").is_some_and(|c| c.access() == Access::Everyone && c.menu.is_some()));
        assert!(find("nope").is_none());
    }

    #[test]
    fn every_admin_usage_has_an_example_its_parser_accepts() {
        for c in COMMANDS.iter().filter(|c| c.access() == Access::Admin) {
            let u = c.usage().unwrap();
            assert!(u.format.starts_with(&format!("/{}", c.name)), "{}: {}", c.name, u.format);
            let examples = example_commands(u.example);
            assert!(!examples.is_empty(), "/{} has no example", c.name);
            for e in examples {
                let cmd = split(&e).unwrap();
                assert_eq!(cmd.name, c.name, "{e}");
                let parsed = c.grammar().unwrap().parse(cmd.args, None);
                assert!(parsed.is_ok(), "the example {e:?} is refused by its own parser");
                // Campaign commands are parsed again by their use case: that parser too.
                match c.name {
                    "giveaway" => {
                        assert!(parse_giveaway(crate::domain::segment::split_giveaway(cmd.args).1).is_ok(), "{e}")
                    }
                    "setformula" => assert!(Formula::parse(cmd.args).is_ok(), "{e}"),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn menus_come_from_the_table() {
        let admin_rows: Vec<&str> = COMMANDS.iter().filter(|c| c.access() == Access::Admin).map(|c| c.name).collect();
        assert_eq!(ADMIN_COMMANDS.to_vec(), admin_rows);
        let everyone = menu(false);
        assert!(everyone.iter().all(|(name, _)| !is_admin_command(name)));
        assert!(everyone.iter().any(|(name, _)| *name == "help"));
        let admins = menu(true);
        assert_eq!(admins.len(), everyone.len() + ADMIN_COMMANDS.len());
        for name in ADMIN_COMMANDS {
            let (_, description) = admins.iter().find(|(n, _)| *n == name).unwrap();
            assert_ne!(*description, "Admin", "/{name} needs a real description");
        }
        assert!(!admins.iter().any(|(name, _)| *name == "skip" || *name == "reff"));
    }

    #[test]
    fn splits_commands() {
        let c = split("/Start@QuickCartBot hello").unwrap();
        assert_eq!((c.name.as_str(), c.args), ("start", "hello"));
        let c = split("/addstock 1|a\nb\nc").unwrap();
        assert_eq!((c.name.as_str(), c.args), ("addstock", "1|a\nb\nc"));
        // The documented example's dated line is what the expiry parser reads.
        let example = COMMANDS.iter().find(|c| c.name == "addstock").and_then(|c| c.usage()).unwrap().example;
        assert!(example.ends_with(crate::domain::expiry::EXAMPLE_LINE));
        assert_eq!(split("hello"), None);
        assert_eq!(split("/"), None);
        assert_eq!(split("/ab'c"), None);
    }

    #[test]
    fn well_formed_commands() {
        assert_eq!(parse("del", "3", None), Ok(C::Del(3)));
        assert_eq!(parse("delstock", "3|120", None), Ok(C::DelStock { product_id: 3, stock_id: 120 }));
        assert_eq!(parse("editid", "3|30", None), Ok(C::EditId { old: 3, new: 30 }));
        assert_eq!(parse("editcategory", "3|-", None), Ok(C::EditCategory { product_id: 3, category: None }));
        assert_eq!(parse("editsold", "3|+5", None), Ok(C::EditSold { product_id: 3, edit: SoldEdit::Add(5) }));
        assert_eq!(parse("editsold", "3|100", None), Ok(C::EditSold { product_id: 3, edit: SoldEdit::Set(100) }));
        assert_eq!(parse("disc", "3|10%", None), Ok(C::Disc { product_id: 3, discount: Some(Discount::Percent(10)) }));
        assert_eq!(
            parse("disc", "3|5.000", None),
            Ok(C::Disc { product_id: 3, discount: Some(Discount::Nominal(5000)) })
        );
        assert_eq!(parse("disc", "3|0", None), Ok(C::Disc { product_id: 3, discount: None }));
        assert_eq!(
            parse("discat", "Streaming|15%", None),
            Ok(C::DisCat { category: "Streaming".into(), discount: Some(Discount::Percent(15)) })
        );
        assert_eq!(parse("priceress", "3|-", None), Ok(C::PriceRess { product_id: 3, price: None }));
        assert_eq!(parse("garansi", "3|30", None), Ok(C::Warranty { product_id: 3, days: 30 }));
        assert_eq!(parse("garansi", "3|0", None), Ok(C::Warranty { product_id: 3, days: 0 }));
        for bad in ["3|-1", "3|3651", "3", "3|30 hari", "0|30", "3|1.5"] {
            assert!(parse("garansi", bad, None).is_err(), "{bad}");
        }
        assert_eq!(parse("transfer", "42|50.000", None), Ok(C::Transfer { user_id: 42, amount: 50_000 }));
        assert_eq!(parse("editbalance", "42|0", None), Ok(C::EditBalance { user_id: 42, amount: 0 }));
        assert_eq!(parse("pm", "42|Halo | dunia", None), Ok(C::Pm { user_id: 42, text: "Halo | dunia".into() }));
        assert_eq!(parse("whitelist", "-1001234567890", None), Ok(C::Whitelist(-1_001_234_567_890)));
        assert_eq!(parse("version", "", None), Ok(C::Version));
        assert_eq!(
            parse("addstock", "7", Some("a\nb")),
            Ok(C::AddStock(crate::domain::admin::StockImport { product_id: 7, items: vec!["a".into(), "b".into()] }))
        );
    }

    #[test]
    fn malformed_commands_get_their_usage() {
        for (name, args) in [
            ("add", "1|x"),
            ("addstock", "1"),
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
        // Each command answers with its own usage (no shared catch-all).
        assert_eq!(usage_of("del").format, "/del id");
        assert_eq!(usage_of("setformula"), FORMULA_USAGE);
        assert_eq!(usage_of("giveaway"), GIVEAWAY_USAGE);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(idx in 0usize..COMMANDS.len(), args in "\\PC{0,200}") {
            let row = COMMANDS.get(idx).unwrap();
            let _ = split(&args);
            if let Some(g) = row.grammar() {
                let _ = g.parse(&args, None);
                let _ = g.parse(&args, Some(&args));
            }
        }

        #[test]
        fn ids_round_trip(id in 1i64..(1 << 53)) {
            prop_assert_eq!(parse("info", &id.to_string(), None), Ok(C::Info(id)));
            prop_assert_eq!(parse("ban", &format!(" {id} "), None), Ok(C::Ban(id)));
        }

        #[test]
        fn amounts_in_bounds(amount in 1i64..=MAX_ADMIN_AMOUNT) {
            prop_assert_eq!(parse("transfer", &format!("7|{amount}"), None), Ok(C::Transfer { user_id: 7, amount }));
        }
    }
}
