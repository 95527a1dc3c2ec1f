//! The one Indonesian message catalogue. Every word a customer or admin reads comes from here.
//! Messages are Telegram HTML: anything a person typed goes through [`esc`].

/// How to leave any text-entry step (SPEC §12), the last line of every prompt.
macro_rules! leave_hint {
    () => {
        "Ketik /batal atau pilih menu di bawah untuk keluar."
    };
}

pub mod expiry;
pub mod report;
pub mod segments;
pub mod stars;
pub mod tiers;
pub mod warranty;

use crate::domain::{
    catalog::Product,
    digest::{BUYER_LABEL, DEPOSITOR_LABEL},
    money::rupiah,
    payment::Bank,
    validate::{display_name, display_username},
};

/// Escapes text for Telegram's HTML parse mode.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The text a person reads of Telegram HTML: tags dropped, entities decoded (the fallback form of
/// a message Telegram refused for its markup).
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// `@username` as shown to people (sanitised), or `-`.
fn shown_username(username: Option<&str>) -> String {
    username.and_then(display_username).map(|n| format!("@{}", esc(&n))).unwrap_or_else(|| "-".into())
}

// Reply-keyboard and inline-button labels (SPEC §2). Tools outside this repository press these.
pub const BTN_LIST: &str = "LIST PRODUK";
pub const BTN_STOCK: &str = "STOK";
pub const BTN_ACCOUNT: &str = "AKUN";
pub const BTN_MESSAGE: &str = "KIRIM PESAN";
pub const BTN_CATEGORIES: &str = "Kategori";
pub const BTN_BEST: &str = "Terlaris";
pub const BTN_ALL: &str = "Semua Produk";
pub const BTN_TOP_BUYERS: &str = "Top Buyers";
pub const BTN_BACK: &str = "Kembali";
pub const BTN_CHECKOUT: &str = "Lanjut ke pembayaran";
pub const BTN_CANCEL: &str = "Batalkan";
/// On a sold-out product card: a message when stock arrives.
pub const BTN_NOTIFY_RESTOCK: &str = "Kabari saya";
/// Under a restock alert: opens the product card.
pub const BTN_OPEN_PRODUCT: &str = "Lihat produk";
pub const RESTOCK_SUBSCRIBED: &str = "Siap! Kami kabari begitu stok tersedia lagi.";
pub const RESTOCK_ALREADY: &str = "Anda sudah ada di daftar tunggu produk ini.";
pub const RESTOCK_IN_STOCK: &str = "Stok produk ini sudah tersedia, silakan pesan sekarang.";
/// `[Batal kabari]`: on a sold-out card of a product the customer already waits for.
pub const BTN_CANCEL_RESTOCK: &str = "Batal kabari";
/// `[Batal kabari]` pressed: the toast.
pub const RESTOCK_CANCELLED: &str = "🔕 Anda tidak akan dikabari lagi untuk produk ini.";
/// `[Batal kabari]` pressed again (or on a stale card): nothing to cancel.
pub const RESTOCK_NOT_WAITING: &str = "Anda tidak ada di daftar tunggu produk ini.";

/// The restock alert: one message to each customer who pressed `[Kabari saya]`.
pub fn restock_alert(name: &str) -> String {
    format!("🔔 Stok <b>{}</b> sudah tersedia lagi! Tekan tombol di bawah untuk memesan.", esc(name))
}
pub const BTN_EDIT_NAME: &str = "Ubah Nama";
pub const BTN_EDIT_EMAIL: &str = "Ubah Email";
pub const BTN_EDIT_WA: &str = "Ubah Whatsapp";
pub const BTN_HISTORY: &str = "Riwayat Transaksi";
pub const BTN_DEPOSIT: &str = "Deposit";

pub fn btn_next(next_page: u32, pages: u32) -> String {
    format!("Selanjutnya {next_page}/{pages}")
}

pub fn qty_label(step: i64) -> String {
    match step {
        -1 => "-".into(),
        1 => "+".into(),
        n => format!("+{n}"),
    }
}

// Onboarding.
pub const ASK_NAME: &str = concat!(
    "Siapa nama Anda? Ketik nama Anda, atau /skip untuk memakai nama Telegram.\n",
    "Ketik /batal untuk keluar."
);
pub const ASK_WHATSAPP: &str = concat!(
    "Nomor WhatsApp Anda? Contoh: 081234567890 atau +6281234567890. Ketik /skip untuk melewati.\n",
    "Ketik /batal untuk keluar."
);
pub const ASK_EMAIL: &str =
    concat!("Alamat email Anda? Contoh: nama@email.com. Ketik /skip untuk melewati.\n", "Ketik /batal untuk keluar.");
pub const BAD_NAME: &str = "Nama harus 1–64 karakter yang terlihat. Silakan ketik lagi, /skip, atau /batal.";
pub const BAD_WHATSAPP: &str =
    "Nomor WhatsApp tidak valid. Gunakan format 08xxxxxxxxxx atau +628xxxxxxxxxx. Silakan ketik lagi, /skip, atau /batal.";
pub const BAD_EMAIL: &str = "Alamat email tidak valid. Contoh: nama@email.com. Silakan ketik lagi, /skip, atau /batal.";
pub const ONBOARDED: &str = "Terima kasih, data Anda sudah tersimpan.";
pub const MENU_HINT: &str = "Pilih menu di bawah, atau ketik nomor produk.";
// Leaving a text-entry step (/batal, /skip).
pub const FLOW_LEFT: &str = "Dibatalkan. Pilih menu di bawah, atau ketik nomor produk.";
pub const NOTHING_TO_CANCEL: &str =
    "Tidak ada langkah yang sedang berjalan. Pilih menu di bawah, atau ketik nomor produk.";
pub const NOTHING_TO_SKIP: &str = "Tidak ada langkah yang bisa dilewati. Pilih menu di bawah, atau ketik nomor produk.";
pub const NOT_CHANGED: &str = "Tidak diubah.";
pub const BTN_SKIP_STEP: &str = "Lewati";

pub fn welcome(store: &str, name: &str, users: i64, transactions: i64) -> String {
    format!(
        "Selamat datang di <b>{}</b>, {}!\n\n\
         👥 Total pengguna: {}\n\
         🧾 Total transaksi: {}\n\n\
         Silakan pilih produk melalui menu di bawah.",
        esc(store),
        esc(&display_name(name)),
        thousands(users),
        thousands(transactions)
    )
}

fn thousands(n: i64) -> String {
    rupiah(n).trim_start_matches('-').trim_start_matches("Rp").to_string()
}

// Browsing.
pub const CATEGORIES_TITLE: &str = "<b>Kategori</b>\nPilih kategori:";
pub const NO_PRODUCTS: &str = "Belum ada produk.";
pub const PRODUCT_NOT_FOUND: &str = "Produk tidak ditemukan. Ketik /stock untuk melihat daftar produk.";
pub const STALE_BUTTON: &str = "Tombol ini sudah tidak berlaku. Silakan buka menu lagi.";
pub const MIN_QTY: &str = "Jumlah minimal 1.";
pub const CANCELLED: &str = "Dibatalkan.";
pub const SOLD_OUT: &str = "Stok produk ini sedang habis.";
pub const UNKNOWN_INPUT: &str = "Perintah tidak dikenali. Ketik /start untuk menu utama, atau ketik nomor produk.";
pub const UNSUPPORTED_MESSAGE: &str = "Maaf, jenis pesan ini tidak didukung. Ketik /start untuk menu utama.";
pub const ERROR: &str = "Maaf, terjadi gangguan. Silakan coba lagi.";
pub const BANNED: &str = "Akun Anda diblokir oleh admin.";

pub fn max_qty(stock: i64) -> String {
    format!("Stok tersedia hanya {stock}.")
}

pub fn list_title(title: &str, page: u32, pages: u32) -> String {
    format!("<b>{}</b> (halaman {page}/{pages})", esc(title))
}

/// Longest product name in a list line, in Telegram's UTF-16 units: a page of the longest names
/// still fits in one message (4,096), see `shop::browse`. The card shows the full name.
pub const LIST_NAME_UNITS: usize = 40;

/// `s` cut to at most `max` UTF-16 units (how Telegram counts), ending in `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.encode_utf16().count() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut units = 0;
    for c in s.chars() {
        // One unit is kept for the ellipsis.
        if units + c.len_utf16() > max.saturating_sub(1) {
            break;
        }
        units += c.len_utf16();
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

fn list_name(p: &Product) -> String {
    esc(&shorten(&p.name, LIST_NAME_UNITS))
}

pub fn list_line(p: &Product, price: i64) -> String {
    let stock = if p.stock > 0 { format!("stok {}", p.stock) } else { "habis".into() };
    format!("<b>{}</b>. {} — {} ({stock})", p.id, list_name(p), rupiah(price))
}

/// A best seller, ranked by its place in the list; the bold number is the product's, as in every
/// list (type it to open the card).
pub fn best_line(p: &Product, price: i64) -> String {
    format!("<b>{}</b>. {} — {} · terjual {}", p.id, list_name(p), rupiah(price), p.sold_count)
}

pub const NO_BEST_SELLERS: &str = "Belum ada produk yang terjual.";

pub const BEST_TITLE: &str = "Terlaris";
pub const ALL_TITLE: &str = "Semua Produk";
pub const TOP_BUYERS_TITLE: &str = "<b>Top Buyers</b>";
pub const NO_BUYERS: &str = "Belum ada pembeli.";

pub fn top_buyer_line(rank: usize, name: &str, items: i64) -> String {
    format!("{rank}. {} — {items} item", esc(&display_name(name)))
}

pub fn stock_title() -> &'static str {
    "<b>Stok Produk</b>"
}

pub fn stock_line(p: &Product, price: i64) -> String {
    format!("<b>{}</b>. {} — {} · stok {}", p.id, list_name(p), rupiah(price), p.stock)
}

/// After the `/addstock` report: the restock alerts queued for the waiting customers.
pub fn restock_alerts_queued(n: i64) -> String {
    format!("\n🔔 Kabar stok dikirim ke {n} pelanggan yang menunggu.")
}

/// Admins' `/stock`: how many customers wait for a restock alert (after [`stock_line`]).
pub fn stock_waiting(n: i64) -> String {
    format!(" · 🔔 {n} menunggu")
}

pub const ORDER_GUIDE: &str = "<b>Cara memesan</b>\n\
1. Ketik nomor produk atau tekan tombol nomornya di menu.\n\
2. Atur jumlah dengan tombol - / + lalu tekan <b>Lanjut ke pembayaran</b>.\n\
3. Pilih <b>QRIS</b> (scan QR dari aplikasi bank/e-wallet), <b>Transfer Bank (VA)</b> bila tersedia, atau <b>SALDO</b>.\n\
4. Setelah pembayaran berhasil, produk langsung dikirim di chat ini.\n\n\
Ketik /stock untuk melihat stok.";

/// Longest description shown on a card, in UTF-16 units: 2,000 characters of emoji are 4,000
/// units, and the card (name, prices, quantity) must stay one message of at most 4,096.
pub const CARD_DESCRIPTION_UNITS: usize = 3_400;

/// A price as the card shows it: with a discount, the price before it struck through and how
/// much is off, e.g. `Rp30.000 (diskon 25% dari ~Rp40.000~)`.
pub fn price_text(price: i64, original: i64) -> String {
    if original <= price || original <= 0 {
        return format!("<b>{}</b>", rupiah(price));
    }
    let off = original - price;
    let percent = i64::try_from(i128::from(off) * 100 / i128::from(original)).unwrap_or(0);
    let how_much = if percent >= 1 { format!("{percent}%") } else { rupiah(off) };
    format!("<b>{}</b> (diskon {how_much} dari <s>{}</s>)", rupiah(price), rupiah(original))
}

/// The product card for a person of `role` (their price, and the price before a discount).
pub fn product_card(p: &Product, role: crate::domain::role::Role, qty: i64) -> String {
    let price = crate::domain::pricing::unit_price(p, role, 1);
    let original = crate::domain::pricing::undiscounted_price(p, role);
    let mut s = format!(
        "<b>{}</b>\n\n💰 Harga: {}\n📦 Stok: {}\n🔥 Terjual: {}\n🏷 Kategori: {}",
        esc(&p.name),
        price_text(price, original),
        p.stock,
        p.sold_count,
        esc(p.category_name())
    );
    s.push_str(&tiers::card_tiers(p, role));
    s.push_str(&warranty::card_line(p.warranty_days));
    if !p.description.is_empty() {
        s.push_str("\n\n");
        s.push_str(&esc(&shorten(&p.description, CARD_DESCRIPTION_UNITS)));
    }
    if p.stock > 0 {
        s.push_str(&format!(
            "\n\nJumlah: <b>{qty}</b>{}\nTotal: <b>{}</b>",
            tiers::card_quantity(p, role, qty),
            rupiah(crate::domain::pricing::subtotal(crate::domain::pricing::unit_price(p, role, qty), qty))
        ));
    } else {
        s.push_str("\n\n");
        s.push_str(SOLD_OUT);
    }
    s
}

// Account.
/// The account card (SPEC §2: id, name, username, email, WhatsApp, balance, member status). The
/// internal bank id is not shown: nothing a customer does uses it.
pub fn account(u: &crate::store::users::User) -> String {
    let opt = |v: &Option<String>| v.as_deref().map(esc).unwrap_or_else(|| "-".into());
    format!(
        "<b>Akun Saya</b>\n\n🆔 ID: <code>{}</code>\n👤 Nama: {}\n🔖 Username: {}\n📧 Email: {}\n📱 WhatsApp: {}\n💰 Saldo: {}\n⭐ Status: {}",
        u.id,
        esc(&display_name(&u.name)),
        shown_username(u.username.as_deref()),
        opt(&u.email),
        opt(&u.whatsapp),
        rupiah(u.balance),
        member_status(u.role)
    )
}

pub fn member_status(role: crate::domain::role::Role) -> &'static str {
    match role {
        crate::domain::role::Role::Customer => "Member",
        crate::domain::role::Role::Reseller => "Reseller",
        crate::domain::role::Role::Admin => "Admin",
    }
}

pub const ASK_NEW_NAME: &str = concat!("Ketik nama baru Anda, atau /skip agar tidak diubah.\n", leave_hint!());
pub const ASK_NEW_EMAIL: &str =
    concat!("Ketik alamat email baru Anda (contoh: nama@email.com), atau /skip agar tidak diubah.\n", leave_hint!());
pub const ASK_NEW_WA: &str = concat!(
    "Ketik nomor WhatsApp baru Anda (contoh: 081234567890 atau +6281234567890), atau /skip agar tidak diubah.\n",
    leave_hint!()
);
pub const SAVED: &str = "Tersimpan.";
pub const BAD_NAME_EDIT: &str = "Nama harus 1–64 karakter yang terlihat. Silakan ketik lagi, atau /batal.";
pub const BAD_EMAIL_EDIT: &str = "Alamat email tidak valid. Contoh: nama@email.com. Silakan ketik lagi, atau /batal.";
pub const BAD_WA_EDIT: &str =
    "Nomor WhatsApp tidak valid. Gunakan format 08xxxxxxxxxx atau +628xxxxxxxxxx. Silakan ketik lagi, atau /batal.";
pub const NO_HISTORY: &str = "Belum ada transaksi.";

// Commands. The usage (format + example) and `/` menu description of every command are in its
// row of the one command table, `domain::commands::COMMANDS` (the domain does not depend on this
// catalogue); the answers built from them are here.

/// Telegram's limit for one text message, in UTF-16 units.
const MAX_MESSAGE_UNITS: usize = 4096;

/// `/help`: the public commands with their descriptions, and for an admin every admin command
/// with its format and example; split into messages Telegram accepts.
pub fn help(admin: bool) -> Vec<String> {
    use crate::domain::commands::{listed, Access};
    let mut public = String::from("<b>Daftar perintah</b>");
    let mut blocks = Vec::new();
    for c in listed(admin) {
        let about = esc(c.menu.unwrap_or_default());
        match (c.access(), c.usage()) {
            (Access::Admin, Some(u)) => blocks.push(format!(
                "/{} — {about}\nFormat: <code>{}</code>\nContoh:\n<code>{}</code>",
                c.name,
                esc(u.format),
                esc(u.example)
            )),
            _ => public.push_str(&format!("\n/{} — {about}", c.name)),
        }
    }
    if !blocks.is_empty() {
        blocks.insert(0, "<b>Perintah admin</b>".to_string());
    }
    blocks.insert(0, public);
    pack(blocks, MAX_MESSAGE_UNITS)
}

/// Joins blocks with a blank line into as few messages of at most `max` UTF-16 units as possible
/// (measured on the HTML, which is never shorter than what Telegram counts).
fn pack(blocks: Vec<String>, max: usize) -> Vec<String> {
    let units = |s: &str| s.encode_utf16().count();
    let mut out: Vec<String> = Vec::new();
    for block in blocks {
        match out.last_mut() {
            Some(last) if units(last) + 2 + units(&block) <= max => {
                last.push_str("\n\n");
                last.push_str(&block);
            }
            _ => out.push(block),
        }
    }
    out
}

// Admin.
pub const FORMAT_WRONG: &str = "Format salah. Contoh penggunaan yang benar:";

pub fn usage(u: crate::domain::admin::Usage) -> String {
    format!("{FORMAT_WRONG}\n<code>{}</code>\n\nContoh:\n<code>{}</code>", esc(u.format), esc(u.example))
}

/// One argument out of range (`domain::admin::BadField`): named, with what is allowed, then the
/// format as a reminder.
pub fn bad_field(b: &crate::domain::admin::BadField, u: crate::domain::admin::Usage) -> String {
    let shown = |n: i64| if b.money { rupiah(n) } else { n.to_string() };
    let what = if b.money { "angka rupiah" } else { "bilangan bulat" };
    let hint = if b.money { " Tulis angkanya saja, contoh 40000 atau 40.000 (tanpa \"rb\"/\"k\")." } else { "" };
    format!(
        "❌ {} tidak valid: <code>{}</code>. {} harus {what} dari {} sampai {}.{hint}\n\nFormat: <code>{}</code>\nContoh:\n<code>{}</code>",
        capitalized(b.field),
        esc(&shorten(&b.given, 40)),
        capitalized(b.field),
        shown(b.min),
        shown(b.max),
        esc(u.format),
        esc(u.example)
    )
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

pub fn product_added(id: i64, name: &str, price: i64, category: &str) -> String {
    format!(
        "✅ Produk ditambahkan.\nID: <b>{id}</b>\nNama: {}\nKategori: {}\nHarga: {}\n\nTambah stok dengan /addstock {id}|item",
        esc(name),
        esc(category),
        rupiah(price)
    )
}

/// `/add` with a taken id (`-` picks a free one there).
pub fn product_id_taken(id: i64) -> String {
    format!("ID produk {id} sudah dipakai. Pilih id lain atau pakai - untuk id otomatis.")
}

/// `/editid` to a taken id (it has no automatic id).
pub fn edit_id_taken(old: i64, new: i64) -> String {
    format!("ID produk {new} sudah dipakai produk lain. Pilih id baru yang belum dipakai untuk produk {old}; tidak ada yang diubah.")
}

pub const NO_FREE_PRODUCT_ID: &str = "Tidak ada id produk yang kosong.";

pub fn product_missing(id: i64) -> String {
    format!("Produk dengan id {id} tidak ditemukan.")
}

pub fn stock_added(id: i64, added: usize, duplicates: usize, total: i64) -> String {
    format!("✅ Stok produk {id} diperbarui.\nDitambahkan: {added}\nDuplikat dilewati: {duplicates}\nTotal stok tersedia: {total}")
}

pub const DOCUMENT_TOO_BIG: &str = "Berkas terlalu besar (maksimal 1 MB).";
pub const DOCUMENT_NOT_TEXT: &str = "Berkas harus .txt berisi teks UTF-8, satu item per baris.";

// Checkout and payment.
pub const BTN_QRIS: &str = "QRIS";
pub const BTN_SALDO: &str = "SALDO";
pub const BTN_CHECKOUT_PAGE: &str = "Checkout Page";
pub const BTN_PAY_STATUS: &str = "Status Pembayaran";
pub const BTN_CONFIRM: &str = "Konfirmasi";
pub const BTN_CANCEL_PREVIOUS: &str = "Batalkan Pesanan Sebelumnya";

/// The checkout summary; `fees` are the [`fee_lines`] (empty when Pakasir did not tell).
#[allow(clippy::too_many_arguments)]
/// The summary's unit price (with the quantity tier it comes from, if any) and quantity.
pub struct SummaryLine {
    pub unit: i64,
    /// `tiers::summary_tier`, or empty.
    pub tier: String,
    pub qty: i64,
}

pub fn summary(product: &str, line: &SummaryLine, subtotal: i64, discount: i64, total: i64, fees: &str) -> String {
    format!(
        "<b>Ringkasan Pesanan</b>\n\nProduk: {}\nHarga satuan: {}{}\nJumlah: {}\nSubtotal: {}\nDiskon voucher: {}\n<b>Total: {}</b>{fees}\n\nPilih metode pembayaran:",
        esc(product),
        rupiah(line.unit),
        line.tier,
        line.qty,
        rupiah(subtotal),
        rupiah(discount),
        rupiah(total)
    )
}

/// What both invoices (QRIS and bank transfer) say about the order and its payment.
pub struct InvoiceFacts<'a> {
    pub invoice: &'a str,
    /// The order's total, the fee and what is paid (total + fee).
    pub total: i64,
    pub fee: i64,
    pub payable: i64,
    pub expires_wib: &'a str,
    /// What is bought ("Netflix × 1", "Deposit saldo").
    pub what: &'a str,
    pub deposit: bool,
}

impl InvoiceFacts<'_> {
    fn amounts(&self) -> String {
        format!(
            "Total pesanan: {}\nBiaya pembayaran: {}\nTotal tagihan: <b>{}</b>",
            rupiah(self.total),
            rupiah(self.fee),
            rupiah(self.payable)
        )
    }

    fn after_payment(&self) -> &'static str {
        if self.deposit {
            "Saldo bertambah otomatis setelah pembayaran diterima."
        } else {
            "Produk dikirim otomatis setelah pembayaran diterima."
        }
    }
}

pub fn qris_caption(f: &InvoiceFacts<'_>) -> String {
    format!(
        "<b>Tagihan QRIS</b>\n{}\n\nInvoice: <code>{}</code>\n{}\n\nBayar sebelum {} WIB dengan memindai QR ini dari aplikasi bank atau e-wallet. {}",
        esc(f.what),
        f.invoice,
        f.amounts(),
        f.expires_wib,
        f.after_payment()
    )
}

// Bank transfer (virtual account, issue 17) and Pakasir's fees.
pub const BTN_VA: &str = "Transfer Bank (VA)";

/// A bank's name as customers know it (the buttons of the bank choice, the invoice).
pub fn bank_name(bank: Bank) -> &'static str {
    match bank {
        Bank::Bri => "BRI",
        Bank::Bni => "BNI",
        Bank::CimbNiaga => "CIMB Niaga",
        Bank::Permata => "Permata",
        Bank::Maybank => "Maybank",
        Bank::Bnc => "BNC",
        Bank::ArthaGraha => "Artha Graha",
        Bank::AtmBersama => "ATM Bersama",
        Bank::Sampoerna => "Sampoerna",
    }
}

/// The fee lines under a summary's total, as far as Pakasir told them (`None`: that line is
/// left out).
pub fn fee_lines(qris: Option<i64>, va: Option<i64>) -> String {
    let mut out = String::new();
    if let Some(fee) = qris {
        out.push_str(&format!("\nBiaya QRIS ±{}", rupiah(fee)));
    }
    if let Some(fee) = va {
        out.push_str(&format!("\nBiaya Transfer Bank ±{}", rupiah(fee)));
    }
    out
}

/// `[Transfer Bank (VA)]`: which bank.
pub fn choose_bank(total: i64, fee: Option<i64>) -> String {
    let fee = fee_lines(None, fee);
    format!("<b>Transfer Bank (Virtual Account)</b>\n\nTotal: {}{fee}\n\nPilih bank tujuan transfer:", rupiah(total))
}

/// An amount outside a method's limits, refused before anything is created.
pub fn method_limit(va: bool, min: i64, max: i64) -> String {
    let method = if va { "Transfer Bank (VA)" } else { "QRIS" };
    format!(
        "Pembayaran dengan {method} hanya untuk jumlah {} sampai {}. Silakan pilih metode pembayaran lain.",
        rupiah(min),
        rupiah(max)
    )
}

pub const METHOD_UNAVAILABLE: &str = "Metode pembayaran ini tidak tersedia di toko ini. Silakan pilih yang lain.";

/// The deposit summary when there is more than one way to pay; `fees` as in [`summary`].
pub fn deposit_summary(amount: i64, fees: &str) -> String {
    format!("<b>Deposit Saldo</b>\n\nJumlah: <b>{}</b>{fees}\n\nPilih metode pembayaran:", rupiah(amount))
}

/// The bank transfer invoice: bank, the virtual account number (tap to copy), the amounts and
/// the deadline.
pub fn va_invoice(f: &InvoiceFacts<'_>, bank: Bank, number: &str) -> String {
    format!(
        "<b>Tagihan Transfer Bank</b>\n{}\n\nInvoice: <code>{}</code>\nBank: <b>{}</b>\nNomor Virtual Account: <code>{}</code>\n{}\n\nTransfer tepat {} ke nomor virtual account di atas (ketuk nomornya untuk menyalin) sebelum {} WIB. {}",
        esc(f.what),
        f.invoice,
        bank_name(bank),
        esc(number),
        f.amounts(),
        rupiah(f.payable),
        f.expires_wib,
        f.after_payment()
    )
}

pub const SUMMARY_VA: &str = "Tagihan transfer bank dibuat. Silakan transfer ke nomor virtual account di bawah.";

pub fn saldo_confirm(total: i64, balance: i64) -> String {
    format!(
        "<b>Bayar dengan SALDO</b>\n\nTotal: {}\nSaldo Anda: {}\nSisa saldo: {}\n\nLanjutkan pembayaran?",
        rupiah(total),
        rupiah(balance),
        rupiah(balance - total)
    )
}

pub fn saldo_short(total: i64, balance: i64) -> String {
    format!(
        "Saldo Anda tidak cukup.\nTotal: {}\nSaldo: {}\nKurang: <b>{}</b>\n\nSilakan deposit terlebih dahulu.",
        rupiah(total),
        rupiah(balance),
        rupiah(total - balance)
    )
}

pub fn pending_exists(invoice: &str, total: i64) -> String {
    format!(
        "Anda masih punya pesanan yang belum dibayar: <code>{invoice}</code> ({}).\nBatalkan pesanan itu dulu untuk membuat pesanan baru.",
        rupiah(total)
    )
}

pub fn out_of_stock(available: i64) -> String {
    if available <= 0 {
        "Maaf, stok produk ini sudah habis.".into()
    } else {
        format!("Maaf, stok tidak cukup. Tersedia {available}. Silakan ubah jumlah.")
    }
}

pub const QRIS_UNAVAILABLE: &str = "Pembayaran QRIS belum tersedia di toko ini. Silakan pakai SALDO.";
pub const PAYMENT_TRY_AGAIN: &str = "Maaf, layanan pembayaran sedang gangguan. Silakan coba lagi beberapa saat lagi.";
pub const ORDER_NOT_FOUND: &str = "Pesanan tidak ditemukan.";
pub const ORDER_CANCELLED: &str = "Pesanan dibatalkan. Stok dikembalikan.";
pub const ORDER_ALREADY_CLOSED: &str = "Pesanan ini sudah tidak aktif.";
pub const NOT_PAID_YET: &str = "Pembayaran belum diterima. Silakan selesaikan pembayaran, lalu cek lagi.";
pub const STATUS_TOO_FAST: &str = "Tunggu beberapa detik sebelum cek status lagi.";
pub const ALREADY_PAID: &str = "Pesanan ini sudah dibayar.";
pub const TOTAL_TOO_LARGE: &str = "Total pesanan terlalu besar. Kurangi jumlahnya.";

pub fn expired_notice(invoice: &str) -> String {
    format!("⌛ Tagihan <code>{invoice}</code> sudah kedaluwarsa dan dibatalkan. Stok dikembalikan.\nSilakan buat pesanan baru bila masih ingin membeli.")
}

pub fn cancelled_notice(invoice: &str) -> String {
    format!("Pesanan <code>{invoice}</code> dibatalkan. Stok dikembalikan.")
}

/// The amounts of a paid order as its receipt shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paid {
    pub subtotal: i64,
    pub voucher_discount: i64,
    /// Pakasir's fee (QRIS), paid on top of the total.
    pub fee: i64,
    /// The order total before the fee.
    pub total: i64,
}

/// The receipt: what was bought and what the customer actually paid (the fee included).
pub fn delivery(invoice: &str, product: &str, qty: i64, paid: Paid) -> String {
    let mut s = format!(
        "✅ <b>Pembayaran berhasil!</b>\n\nInvoice: <code>{invoice}</code>\nProduk: {}\nJumlah: {qty}\nSubtotal: {}",
        esc(product),
        rupiah(paid.subtotal)
    );
    if paid.voucher_discount > 0 {
        s.push_str(&format!("\nDiskon voucher: {}", rupiah(paid.voucher_discount)));
    }
    if paid.fee > 0 {
        s.push_str(&format!("\nBiaya pembayaran: {}", rupiah(paid.fee)));
    }
    s.push_str(&format!("\n<b>Dibayar: {}</b>\n\nTerima kasih telah berbelanja.", rupiah(paid.total + paid.fee)));
    s
}

pub fn delivery_items(items: &[String]) -> String {
    let mut s = String::from("\n\n<b>Detail produk:</b>");
    for (i, item) in items.iter().enumerate() {
        s.push_str(&format!("\n{}. <code>{}</code>", i + 1, esc(item)));
    }
    s
}

pub const DELIVERY_FILE_NOTE: &str = "\n\nDetail produk ada di berkas terlampir.";

pub fn delivery_file(invoice: &str, product: &str, items: &[String]) -> String {
    let mut s = format!("Invoice: {invoice}\nProduk: {product}\n\n");
    for item in items {
        s.push_str(item);
        s.push('\n');
    }
    s
}

/// Who bought, for admins: `Nama (@username, <code>id</code>)`; the id alone when the user row
/// is gone.
pub fn buyer(id: i64, user: Option<&crate::store::users::User>) -> String {
    match user {
        Some(u) => format!(
            "{} ({}<code>{id}</code>)",
            esc(&display_name(&u.name)),
            u.username.as_deref().and_then(display_username).map(|n| format!("@{}, ", esc(&n))).unwrap_or_default()
        ),
        None => format!("<code>{id}</code>"),
    }
}

/// `buyer` is [`buyer`]'s HTML.
pub fn admin_new_order(invoice: &str, buyer: &str, product: &str, qty: i64, total: i64, method: &str) -> String {
    format!(
        "🛒 <b>Pesanan baru</b>\nInvoice: <code>{invoice}</code>\n{BUYER_LABEL}{buyer}\nProduk: {} × {qty}\nTotal: {}\nMetode: {}",
        esc(product),
        rupiah(total),
        method.to_uppercase()
    )
}

/// `buyer` is [`buyer`]'s HTML.
pub fn admin_deposit(invoice: &str, buyer: &str, amount: i64) -> String {
    format!(
        "💰 <b>Deposit masuk</b>\nInvoice: <code>{invoice}</code>\n{DEPOSITOR_LABEL}{buyer}\nJumlah: {}",
        rupiah(amount)
    )
}

/// A paid order's line in an admin digest.
pub fn admin_order_line(invoice: &str, user_id: i64, product: &str, qty: i64, total: i64) -> String {
    format!("• <code>{invoice}</code> · {} × {qty} · {} · <code>{user_id}</code>", esc(product), rupiah(total))
}

/// A deposit's line in an admin digest.
pub fn admin_deposit_line(invoice: &str, user_id: i64, amount: i64) -> String {
    format!("• 💰 <code>{invoice}</code> · deposit {} · <code>{user_id}</code>", rupiah(amount))
}

/// Several new-order and deposit notices to one admin chat, due at once, as one message.
pub fn admin_digest(d: &crate::domain::digest::Digest) -> String {
    let within = duration_short(d.span_seconds.max(1));
    let mut heads = Vec::new();
    if d.orders > 0 {
        heads.push(format!("🛒 <b>{} pesanan baru</b>, {}", d.orders, rupiah(d.order_total)));
    }
    if d.deposits > 0 {
        heads.push(format!("💰 <b>{} deposit masuk</b>, {}", d.deposits, rupiah(d.deposit_total)));
    }
    let mut s = format!("{}\n<i>dalam {within}</i>\n\n", heads.join("\n"));
    s.push_str(&d.lines.join("\n"));
    if d.more > 0 {
        s.push_str(&format!("\n… dan {} lainnya", d.more));
    }
    s
}

pub fn deposit_done(invoice: &str, amount: i64, balance: Option<i64>) -> String {
    let mut s =
        format!("✅ <b>Deposit berhasil!</b>\nInvoice: <code>{invoice}</code>\nSaldo bertambah {}.", rupiah(amount));
    if let Some(b) = balance {
        s.push_str(&format!("\nSaldo Anda sekarang: <b>{}</b>", rupiah(b)));
    }
    s
}

pub fn late_payment_user(invoice: &str, amount: i64) -> String {
    format!(
        "Pembayaran untuk tagihan <code>{invoice}</code> diterima setelah tagihan kedaluwarsa/dibatalkan. Produk tidak dikirim karena stok sudah dilepas; {} sudah ditambahkan ke saldo Anda.",
        rupiah(amount)
    )
}

pub fn late_payment_admin(invoice: &str, user_id: i64, amount: i64) -> String {
    format!(
        "⚠️ Pembayaran terlambat: <code>{invoice}</code> dari pengguna <code>{user_id}</code>. {} dikreditkan ke saldo.",
        rupiah(amount)
    )
}

// Deposit and history.
pub const ASK_DEPOSIT: &str =
    concat!("Ketik jumlah deposit (minimal Rp10.000, maksimal Rp10.000.000). Contoh: 50000\n", leave_hint!());
pub const BAD_DEPOSIT: &str = "Jumlah deposit harus antara Rp10.000 dan Rp10.000.000. Silakan ketik lagi, atau /batal.";
pub const DEPOSIT_WHAT: &str = "Deposit saldo";
pub const HISTORY_TITLE: &str = "Riwayat Transaksi";

pub fn history_line(invoice: &str, when_wib: &str, what: &str, total: i64, status: &str) -> String {
    format!("<code>{invoice}</code> · {when_wib}\n{} · {} · {}", esc(what), rupiah(total), status_label(status))
}

pub fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "menunggu pembayaran",
        "paid" => "lunas",
        "expired" => "kedaluwarsa",
        "cancelled" => "dibatalkan",
        "refunded" => "direfund",
        _ => "-",
    }
}
pub const PAYMENT_RECEIVED: &str = "Pembayaran diterima. Produk segera dikirim.";

pub const SUMMARY_QRIS: &str = "Tagihan QRIS dibuat. Silakan bayar dengan QR di bawah.";
pub const SUMMARY_SALDO: &str = "Dibayar dengan saldo. Produk dikirim di bawah.";
/// A total fully covered by a voucher: nothing was paid, by QRIS or from the balance.
pub const SUMMARY_VOUCHER: &str = "Lunas dengan voucher, tidak ada yang perlu dibayar. Produk dikirim di bawah.";

// Admin results.
pub fn user_missing(id: i64) -> String {
    format!("Pengguna dengan id {id} tidak ditemukan (pengguna harus pernah membuka bot).")
}

pub fn product_deactivated(id: i64) -> String {
    format!("✅ Produk {id} dinonaktifkan. Riwayat pesanan tetap tersimpan.")
}

pub fn stock_deleted(product: i64, stock: i64) -> String {
    format!("✅ Item stok {stock} dari produk {product} dihapus.")
}

pub fn stock_not_found(product: i64, stock: i64) -> String {
    format!("Item stok {stock} tidak ada pada produk {product}.")
}

pub fn stock_not_deletable(stock: i64) -> String {
    format!("Item stok {stock} sedang dipesan atau sudah terjual, tidak dapat dihapus.")
}

pub fn all_stock_deleted(product: i64, n: usize) -> String {
    format!("✅ {n} item stok tersedia dari produk {product} dihapus.")
}

pub fn id_changed(old: i64, new: i64) -> String {
    format!("✅ ID produk {old} diubah menjadi {new}.")
}

pub fn category_changed(id: i64, category: &str) -> String {
    format!("✅ Kategori produk {id} sekarang {}.", esc(category))
}

pub fn sold_changed(id: i64, before: i64, after: i64) -> String {
    format!("✅ Jumlah terjual produk {id}: {before} → {after}.")
}

pub fn discount_text(d: Option<crate::domain::catalog::Discount>) -> String {
    match d {
        None => "tanpa diskon".into(),
        Some(crate::domain::catalog::Discount::Percent(p)) => format!("{p}%"),
        Some(crate::domain::catalog::Discount::Nominal(n)) => rupiah(n),
    }
}

pub fn discount_changed(id: i64, d: Option<crate::domain::catalog::Discount>) -> String {
    format!("✅ Diskon produk {id}: {}.", discount_text(d))
}

pub fn category_discount_changed(category: &str, d: Option<crate::domain::catalog::Discount>) -> String {
    format!("✅ Diskon kategori {}: {}.", esc(category), discount_text(d))
}

pub fn category_missing(category: &str) -> String {
    format!("Kategori {} tidak ditemukan.", esc(category))
}

pub fn reseller_price_changed(id: i64, price: Option<i64>) -> String {
    match price {
        Some(p) => format!("✅ Harga reseller produk {id}: {}.", rupiah(p)),
        None => format!("✅ Harga reseller produk {id} dihapus."),
    }
}

pub(crate) fn product_label(id: Option<i64>, name: &str) -> String {
    match id {
        Some(id) => format!("produk {id} ({})", esc(name)),
        None => format!("produk {}", esc(name)),
    }
}

/// A discount refused because it would make a price Rp0 or less (`domain::pricing::check_discount`).
pub fn discount_too_big(what: &str, e: &crate::domain::pricing::TooCheap) -> String {
    let price = match e.kind {
        crate::domain::pricing::PriceKind::Customer => "harga",
        crate::domain::pricing::PriceKind::Reseller => "harga reseller",
    };
    let limit = if e.max_percent() > 0 {
        format!("Diskon paling besar untuk harga ini: {} atau {}%.", rupiah(e.max_nominal()), e.max_percent())
    } else {
        "Harga ini tidak bisa diberi diskon.".to_string()
    };
    format!(
        "❌ Ditolak: {what} {} membuat {price} {} dari {} menjadi {}.{} Harga setelah diskon minimal {}. {limit} Tidak ada yang diubah.",
        discount_text(Some(e.discount)),
        product_label(e.product_id, &e.name),
        rupiah(e.base),
        rupiah(e.after.max(0)),
        tiers::with_tier_note(e.tier_percent),
        rupiah(crate::domain::pricing::MIN_UNIT_PRICE)
    )
}

/// `/add` or `/editcategory` refused: the category's discount would make the product free.
pub fn category_discount_makes_free(category: &str, e: &crate::domain::pricing::TooCheap) -> String {
    format!(
        "❌ Ditolak: diskon kategori {} sebesar {} membuat {} seharga {} menjadi {}. Harga setelah diskon minimal {}. {} Tidak ada yang diubah.",
        esc(category),
        discount_text(Some(e.discount)),
        product_label(e.product_id, &e.name),
        rupiah(e.base),
        rupiah(e.after.max(0)),
        rupiah(crate::domain::pricing::MIN_UNIT_PRICE),
        match crate::domain::pricing::min_base_price(e.discount) {
            Some(min) => format!("Dengan diskon kategori ini harga paling rendah {}; atau ubah dulu diskon kategori dengan /discat.", rupiah(min)),
            None => "Ubah dulu diskon kategori dengan /discat.".to_string(),
        }
    )
}

/// `/priceress` refused (`domain::pricing::check_reseller_price`).
pub fn reseller_price_refused(e: &crate::domain::pricing::ResellerPriceError) -> String {
    match e {
        crate::domain::pricing::ResellerPriceError::AboveCustomer { product_id, name, customer, reseller } => format!(
            "❌ Ditolak: harga reseller {} lebih tinggi dari harga customer {} untuk {}. Reseller tidak pernah membayar lebih mahal dari customer: harga reseller paling tinggi {}. Tidak ada yang diubah.",
            rupiah(*reseller),
            rupiah(*customer),
            product_label(Some(*product_id), name),
            rupiah(*customer)
        ),
        crate::domain::pricing::ResellerPriceError::TooCheap(t) => discount_too_big("diskon yang berlaku", t),
        crate::domain::pricing::ResellerPriceError::Tier(t) => tiers::too_cheap(t),
    }
}

pub fn export_caption(id: i64, n: usize) -> String {
    format!("Stok tersedia produk {id}: {n} item.")
}

/// How many items `/liststock` shows in one message (each line at most ~60 characters).
pub const STOCK_IDS_SHOWN: usize = 50;

/// `/liststock id`: stock id and the start of each unsold item.
/// `items`: (stock id, content, what follows it, e.g. its valid-until from [`expiry::listed_until`]).
pub fn stock_ids(id: i64, items: &[(i64, String, String)]) -> String {
    let mut s = format!("<b>Item stok tersedia produk {id}</b> ({} item)\nid stok · isi", items.len());
    for (stock_id, content, after) in items.iter().take(STOCK_IDS_SHOWN) {
        s.push_str(&format!("\n<code>{stock_id}</code> · {}{}", esc(&shorten(content, 40)), esc(after)));
    }
    if items.len() > STOCK_IDS_SHOWN {
        s.push_str(&format!("\n… dan {} item lainnya (isi lengkap: /exportstock {id})", items.len() - STOCK_IDS_SHOWN));
    }
    let first = items.first().map_or(0, |(s, _, _)| *s);
    s.push_str(&format!("\n\nHapus satu item: <code>/delstock {id}|{first}</code>"));
    s
}

pub fn export_empty(id: i64) -> String {
    format!("Produk {id} tidak punya stok tersedia.")
}

pub fn user_info(i: &crate::store::users::Info, env_admin: bool) -> String {
    let u = &i.user;
    let mut flags = Vec::new();
    if u.banned {
        flags.push("diblokir admin".to_string());
    }
    if let Some(t) = u.blocked_until.filter(|t| *t > crate::store::now()) {
        flags.push(format!("diblokir sampai {} WIB", crate::domain::time::wib(t)));
    }
    if env_admin {
        flags.push("admin via ADMIN_IDS".into());
    }
    format!(
        "<b>Info Pengguna</b>\nID: <code>{}</code>\nNama: {}\nUsername: {}\nEmail: {}\nWhatsApp: {}\nRole: {}\nSaldo: {}\nPesanan lunas: {}\nTotal belanja: {}\nTotal deposit: {}\nPesanan menunggu: {}\nTerdaftar: {} WIB\nStatus: {}",
        u.id,
        esc(&display_name(&u.name)),
        shown_username(u.username.as_deref()),
        u.email.as_deref().map(esc).unwrap_or_else(|| "-".into()),
        u.whatsapp.as_deref().map(esc).unwrap_or_else(|| "-".into()),
        u.role.as_str(),
        rupiah(u.balance),
        i.orders_paid,
        rupiah(i.spend),
        rupiah(i.deposits),
        i.pending,
        crate::domain::time::wib(u.created_at),
        if flags.is_empty() { "normal".to_string() } else { flags.join(", ") }
    )
}

pub fn pm_to_user(text: &str) -> String {
    format!("💬 <b>Pesan dari admin</b>\n\n{}", esc(text))
}

pub fn pm_sent(id: i64) -> String {
    format!("✅ Pesan terkirim ke {id}.")
}

pub fn pm_failed(id: i64) -> String {
    format!("Pesan ke {id} gagal: pengguna memblokir bot atau belum pernah membukanya.")
}

pub fn balance_changed(id: i64, before: i64, after: i64) -> String {
    format!("✅ Saldo {id}: {} → {}.", rupiah(before), rupiah(after))
}

pub const BALANCE_UNCHANGED: &str = "Saldo tidak berubah.";

pub fn balance_credited_user(amount: i64, after: i64) -> String {
    format!("💰 Saldo Anda bertambah {} dari admin. Saldo sekarang {}.", rupiah(amount), rupiah(after))
}

pub fn banned_ok(id: i64) -> String {
    format!("✅ Pengguna {id} diblokir.")
}

pub fn unbanned_ok(id: i64) -> String {
    format!("✅ Blokir pengguna {id} dicabut.")
}

pub const CANNOT_BAN_ADMIN: &str = "Admin tidak dapat diblokir. Cabut dulu status adminnya.";
pub const UNBANNED_USER: &str = "Blokir akun Anda sudah dicabut. Ketik /start untuk mulai.";

pub fn role_set(id: i64, role: &str) -> String {
    format!("✅ Pengguna {id} sekarang {role}.")
}

pub fn role_unchanged(id: i64, role: &str) -> String {
    format!("Pengguna {id} sudah {role}.")
}

pub const CANNOT_REMOVE_ENV_ADMIN: &str = "Admin ini tercantum di ADMIN_IDS dan tidak dapat dicabut dari Telegram.";

/// Why a role command changed nothing (the rule table in `domain::role`).
pub fn role_refused(
    id: i64,
    cmd: crate::domain::role::RoleCommand,
    why: crate::domain::role::RoleRefusal,
    env_admin: bool,
) -> String {
    use crate::domain::role::RoleRefusal as R;
    let cmd = cmd.command();
    match why {
        R::Already(role) if env_admin => format!("Pengguna {id} sudah {role} (tercantum di ADMIN_IDS)."),
        R::Already(role) => role_unchanged(id, role.as_str()),
        R::EnvAdmin => format!("Ditolak: pengguna {id} tercantum di ADMIN_IDS dan tidak dapat dicabut dari Telegram (ubah ADMIN_IDS di konfigurasi)."),
        R::IsAdmin if env_admin => format!("Ditolak: pengguna {id} adalah admin (tercantum di ADMIN_IDS). {cmd} hanya untuk customer dan reseller; role tidak diubah."),
        R::IsAdmin => format!("Ditolak: pengguna {id} adalah admin. {cmd} hanya untuk customer dan reseller, tidak menurunkan admin; role tidak diubah. Cabut dulu status adminnya dengan /rmadmin bila memang perlu."),
        R::NotAdmin(role) => format!("Ditolak: pengguna {id} bukan admin (role sekarang: {role}); tidak ada yang dicabut."),
        R::NotReseller(role) => format!("Ditolak: pengguna {id} bukan reseller (role sekarang: {role}). {cmd} hanya mengubah reseller menjadi customer; role tidak diubah."),
    }
}
pub const YOU_ARE_RESELLER: &str = "🎉 Akun Anda sekarang <b>Reseller</b>: harga reseller berlaku untuk Anda.";
pub const YOU_ARE_NOT_RESELLER: &str = "Status reseller akun Anda dicabut; harga normal berlaku.";
pub const YOU_ARE_ADMIN: &str = "Anda sekarang admin. Ketik / untuk melihat perintah admin.";

pub fn group_added(id: i64) -> String {
    format!("✅ Grup {id} masuk whitelist notifikasi.")
}

pub fn group_exists(id: i64) -> String {
    format!("Grup {id} sudah ada di whitelist.")
}

pub fn group_removed(id: i64) -> String {
    format!("✅ Grup {id} dihapus dari whitelist.")
}

pub fn group_missing(id: i64) -> String {
    format!("Grup {id} tidak ada di whitelist.")
}

/// How long the bot has run, the two largest units: "45 detik", "6 menit", "2 jam 5 menit",
/// "3 hari 4 jam".
pub fn uptime(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60);
    let pair = |big: u64, big_unit: &str, small: u64, small_unit: &str| {
        if small == 0 {
            format!("{big} {big_unit}")
        } else {
            format!("{big} {big_unit} {small} {small_unit}")
        }
    };
    match seconds {
        s if s < 60 => format!("{s} detik"),
        s if s < 3600 => format!("{minutes} menit"),
        s if s < 86_400 => pair(hours, "jam", minutes, "menit"),
        _ => pair(days, "hari", hours, "jam"),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn version(
    version: &str,
    build: &str,
    uptime: &str,
    db_bytes: u64,
    users: i64,
    products: i64,
    paid: i64,
    stock: i64,
) -> String {
    format!(
        "<b>QuickCart {}</b>\nBuild: {}\nUptime: {}\nUkuran database: {:.1} MB\nPengguna: {users}\nProduk: {products}\nTransaksi lunas: {paid}\nStok tersedia: {stock}",
        esc(version),
        esc(build),
        esc(uptime),
        db_bytes as f64 / 1_048_576.0
    )
}

// KIRIM PESAN.
pub const ASK_MESSAGE: &str =
    concat!("Tulis pesan untuk admin (teks, atau satu foto dengan keterangan).\n", leave_hint!());
pub const MESSAGE_SENT: &str = "✅ Pesan Anda sudah diteruskan ke admin. Balasan admin akan muncul di sini.";
pub const MESSAGE_EMPTY: &str = "Pesan tidak boleh kosong. Tulis pesan Anda, atau /start untuk batal.";

pub const MESSAGE_NOT_SENT: &str =
    "❌ Pesan Anda belum terkirim ke admin karena gangguan. Silakan kirim lagi beberapa saat lagi, atau /start untuk batal.";

/// `<b>{what} {name}</b> (<code>id</code>, @username)`, the sender sanitised.
fn relay_sender(what: &str, name: &str, id: i64, username: Option<&str>) -> String {
    format!(
        "<b>{what} {}</b> (<code>{id}</code>{})",
        esc(&display_name(name)),
        username.and_then(display_username).map(|u| format!(", @{}", esc(&u))).unwrap_or_default()
    )
}

pub fn relay_to_admin(name: &str, id: i64, username: Option<&str>, text: &str) -> String {
    format!(
        "📩 {}\n\n{}\n\n<i>Balas (reply) pesan ini untuk menjawab.</i>",
        relay_sender("Pesan dari", name, id, username),
        esc(text)
    )
}

/// The caption of a relayed photo whose text went in the message just before it (a photo
/// caption holds at most 1,024 characters).
pub fn relay_photo_caption(name: &str, id: i64, username: Option<&str>) -> String {
    format!(
        "📷 {}\nTeks lengkapnya ada di pesan sebelum foto ini.\n\n<i>Balas (reply) pesan ini untuk menjawab.</i>",
        relay_sender("Foto dari", name, id, username)
    )
}

pub fn admin_reply(text: &str) -> String {
    format!("💬 <b>Balasan admin</b>\n\n{}", esc(text))
}

pub const REPLY_DELIVERED: &str = "✅ Balasan terkirim.";
pub const REPLY_FAILED: &str = "Balasan gagal dikirim: pengguna memblokir bot.";

// Vouchers.
pub const BTN_USE_VOUCHER: &str = "Gunakan Voucher";
pub const BTN_SKIP: &str = "Skip";
pub const BTN_NO_VOUCHER: &str = "Lanjut tanpa voucher";
pub const BTN_RETRY: &str = "Coba Lagi";
pub const ASK_VOUCHER: &str = "Ketik kode voucher Anda (8 karakter), atau /skip untuk lanjut tanpa voucher. \
     Ketik /batal untuk membatalkan pesanan.";
pub const VOUCHER_INVALID: &str =
    "Kode voucher tidak valid atau sudah dipakai. Ketik kode lain, atau lanjutkan tanpa voucher.";
pub const VOUCHER_EXPIRED: &str = "Voucher ini sudah kedaluwarsa.";
pub const VOUCHER_TOO_MANY: &str =
    "Terlalu banyak kode voucher yang salah. Coba lagi nanti; pesanan ini dilanjutkan tanpa voucher.";

pub fn voucher_cooldown(minutes: i64) -> String {
    format!("Anda baru saja memakai voucher. Tunggu {minutes} menit lagi sebelum memakai voucher berikutnya.")
}

pub fn voucher_link_saved(code: &str) -> String {
    format!(
        "🎟 Voucher <code>{}</code> disimpan dan otomatis dipakai pada checkout Anda berikutnya (berlaku 7 hari).",
        esc(code)
    )
}

pub fn voucher_link_invalid(code: &str) -> String {
    format!("Voucher <code>{}</code> tidak dikenal atau sudah habis dipakai, jadi tidak disimpan.", esc(code))
}

pub fn voucher_link_expired(code: &str) -> String {
    format!("Voucher <code>{}</code> sudah kedaluwarsa, jadi tidak disimpan.", esc(code))
}

pub const VOUCHER_LINK_TOO_MANY: &str =
    "Terlalu banyak kode voucher yang salah. Coba lagi nanti; voucher dari tautan ini tidak disimpan.";

pub fn voucher_link_dropped(code: &str) -> String {
    format!(
        "Voucher <code>{}</code> dari tautan tidak bisa dipakai lagi (sudah terpakai atau kedaluwarsa); checkout dilanjutkan tanpa voucher itu.",
        esc(code)
    )
}

pub fn voucher_line(code: &str) -> String {
    format!("\nVoucher: <code>{}</code>", esc(code))
}

// Broadcasts and giveaways.
pub fn broadcast_progress(sent: i64, total: i64, failed: i64) -> String {
    format!("📣 Broadcast berjalan…\nTerkirim {sent}/{total} · gagal {failed}")
}

pub fn broadcast_done(sent: i64, total: i64, failed: i64) -> String {
    format!("✅ Broadcast selesai.\nTerkirim {sent}/{total} · gagal {failed}")
}

pub fn broadcast_started(total: i64) -> String {
    format!("📣 Broadcast dimulai ke {total} pengguna.\nTerkirim 0/{total} · gagal 0")
}

pub const BROADCAST_EMPTY: &str = "Tidak ada pengguna yang dapat menerima broadcast.";

pub fn broadcast_text(text: &str) -> String {
    format!("📣 {}", esc(text))
}

/// The giveaway broadcast; with the bot's @username (when known) each code carries its voucher
/// link (`?start=v_CODE`), which keeps the code for the next checkout.
pub fn giveaway_announcement(store: &str, amount: i64, codes: &[String], expires: &str, bot: Option<&str>) -> String {
    let links = bot.is_some_and(|b| crate::domain::campaign::voucher_link(b, "X").is_some());
    let mut s = format!(
        "🎁 <b>GIVEAWAY {}!</b>\n\n{} voucher senilai <b>{}</b> untuk pembeli tercepat. Pakai saat checkout dengan tombol <b>Gunakan Voucher</b>{}:\n",
        esc(store),
        codes.len(),
        rupiah(amount),
        if links { ", atau ketuk <b>pakai</b> agar otomatis terpasang di checkout berikutnya" } else { "" }
    );
    for c in codes {
        s.push_str(&format!("\n<code>{c}</code>"));
        if let Some(link) = bot.and_then(|b| crate::domain::campaign::voucher_link(b, c)) {
            s.push_str(&format!(" · <a href=\"{}\">pakai</a>", esc(&link)));
        }
    }
    s.push_str(&format!("\n\nBerlaku sampai {expires} WIB. Satu voucher untuk satu pesanan."));
    s
}

pub fn giveaway_created(amount: i64, codes: &[String]) -> String {
    let mut s = format!("✅ {} voucher {} dibuat (berlaku 30 hari):\n", codes.len(), rupiah(amount));
    for c in codes {
        s.push_str(&format!("\n<code>{c}</code>"));
    }
    s
}

pub const GIVEAWAY_FAILED: &str = "Giveaway gagal dibuat. Silakan coba lagi.";

pub fn formula_current(f: &str) -> String {
    format!(
        "<b>Formula refund</b>\n<code>{}</code>\n\nrefund = harga × (days − hari terpakai) / days × pengali\nlt7: &lt; 7 hari, ge7: ≥ 7 hari, c12: 1–2 klaim sebelumnya, c3: 3 klaim, c4: lebih dari 3.\n\nUbah dengan:\n<code>/setformula days=30|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4</code>",
        esc(f)
    )
}

pub fn formula_set(f: &str) -> String {
    format!("✅ Formula refund diperbarui:\n<code>{}</code>", esc(f))
}

// Refunds.
pub const BTN_REQUEST_REFUND: &str = "Ajukan Refund";
pub const BTN_APPROVE: &str = "Setujui";
pub const BTN_REJECT: &str = "Tolak";
pub const REFUND_USAGE: &str = "Format: /refund INVOICE\nContoh: /refund INV20261123K7Q2XM";
pub const INVOICE_NOT_FOUND: &str = "Invoice tidak ditemukan.";
pub fn deposit_not_refundable(invoice: &str) -> String {
    format!(
        "Invoice <code>{}</code> adalah deposit saldo, bukan pesanan produk. Refund hanya untuk pesanan produk; saldo deposit tetap bisa dipakai untuk membeli produk (bayar dengan SALDO). Butuh bantuan? Hubungi admin lewat KIRIM PESAN.",
        esc(invoice)
    )
}

pub const ALREADY_REFUNDED: &str = "Pesanan ini sudah direfund.";
pub const REFUND_ONLY_PAID: &str = "Refund hanya untuk pesanan yang sudah lunas.";
pub const REFUND_REQUESTED: &str = "✅ Permintaan refund dikirim ke admin. Anda akan diberi tahu hasilnya.";
pub const REFUND_ALREADY_REQUESTED: &str = "Refund untuk pesanan ini sudah diajukan.";
pub const REFUND_ALREADY_DECIDED: &str = "Permintaan refund ini sudah diproses.";
pub const REFUND_REJECTED_USER: &str = "Permintaan refund Anda ditolak admin.";
pub const REFUND_REJECTED_ADMIN: &str = "Refund ditolak.";

fn multiplier_text(m: i64) -> String {
    let s = format!("{}.{:03}", m / 1000, m % 1000);
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').map_or_else(|| s.to_string(), |x| format!("{x}.0"))
}

pub fn refund_calculation(
    invoice: &str,
    price: i64,
    days_used: i64,
    f: &crate::domain::campaign::Formula,
    claims: i64,
    amount: i64,
) -> String {
    let m = f.multiplier(days_used, claims);
    let why = match claims {
        c if c <= 0 && days_used < 7 => "kurang dari 7 hari".to_string(),
        c if c <= 0 => "7 hari atau lebih".to_string(),
        c => format!("{c} klaim garansi sebelumnya"),
    };
    format!(
        "<b>Perhitungan Refund</b>\nInvoice: <code>{}</code>\nHarga: {}\nHari terpakai: {days_used} dari {}\nPengali: {} ({why})\n\nRefund = {} × ({} − {days_used}) / {} × {} = <b>{}</b>",
        esc(invoice),
        rupiah(price),
        f.days,
        multiplier_text(m),
        rupiah(price),
        f.days,
        f.days,
        multiplier_text(m),
        rupiah(amount)
    )
}

pub fn refund_request_admin(
    invoice: &str,
    user: i64,
    product: &str,
    qty: i64,
    price: i64,
    days_used: i64,
    amount: i64,
) -> String {
    format!(
        "↩️ <b>Permintaan refund pesanan produk</b>\nInvoice: <code>{}</code>\nPengguna: <code>{user}</code>\nProduk: {} × {qty}\nHarga dibayar: {}\nHari terpakai: {days_used}\nRefund ke saldo: <b>{}</b>",
        esc(invoice),
        esc(product),
        rupiah(price),
        rupiah(amount)
    )
}

pub const REFUND_NOT_REFUNDABLE: &str =
    "Permintaan ini bukan untuk pesanan produk milik pengguna tersebut; ditutup tanpa refund.";

pub fn refund_approved_user(invoice: &str, amount: i64) -> String {
    format!("✅ Refund pesanan <code>{}</code> disetujui. {} ditambahkan ke saldo Anda.", esc(invoice), rupiah(amount))
}

pub fn refund_approved_admin(amount: i64) -> String {
    format!("Refund disetujui: {} dikreditkan ke saldo pengguna.", rupiah(amount))
}

// Abuse.
pub const TOO_FAST: &str = "Anda terlalu cepat mengirim pesan. Tunggu sebentar, lalu coba lagi.";
pub const TEMP_BLOCKED: &str =
    "Akun Anda diblokir sementara karena aktivitas berlebihan. Hubungi admin bila ini keliru.";

pub fn admin_user_blocked(user: i64, hours: u32) -> String {
    format!("🚫 Pengguna <code>{user}</code> diblokir {hours} jam karena membanjiri bot. Cabut dengan /unban {user}.")
}

// Payment anomalies.
pub const PAYMENT_BLOCKED: &str =
    "Maaf, pembayaran ini tidak dapat diproses karena melewati batas transaksi harian. Hubungi admin bila perlu.";
pub const REVIEW_APPROVED: &str = "Pesanan disetujui; produk dikirim ke pembeli.";
pub const REVIEW_REJECTED: &str = "Pesanan ditolak; dana dikembalikan ke saldo pembeli.";

pub fn admin_anomaly(user: i64, amount: i64, level: &str, rules: &str) -> String {
    format!(
        "⚠️ <b>Anomali pembayaran</b> ({})\nPengguna: <code>{user}</code>\nJumlah: {}\nAturan: {}",
        esc(level),
        rupiah(amount),
        esc(rules)
    )
}

pub fn held_for_review(invoice: &str) -> String {
    format!(
        "✅ Pembayaran <code>{}</code> diterima. Pesanan Anda sedang ditinjau admin dan akan segera dikirim.",
        esc(invoice)
    )
}

pub fn admin_review(invoice: &str, user: i64, product: &str, qty: i64, total: i64) -> String {
    format!(
        "🔎 <b>Pesanan perlu ditinjau</b>\nInvoice: <code>{}</code>\nPembeli: <code>{user}</code>\nProduk: {} × {qty}\nTotal: {}\n\nSetujui untuk mengirim produk, atau tolak untuk mengembalikan dana ke saldo.",
        esc(invoice),
        esc(product),
        rupiah(total)
    )
}

pub fn review_rejected_user(invoice: &str, amount: i64) -> String {
    format!(
        "Pesanan <code>{}</code> tidak dapat diproses setelah ditinjau. {} dikembalikan ke saldo Anda.",
        esc(invoice),
        rupiah(amount)
    )
}

// Privacy.
pub const MY_DATA_CAPTION: &str = "Ini semua data Anda yang tersimpan di toko ini.";
pub const BTN_ERASE_CONFIRM: &str = "Ya, hapus data saya";
pub const ERASE_CONFIRM: &str = "Hapus data pribadi Anda (nama, username, email, WhatsApp)? Riwayat transaksi tetap disimpan sesuai aturan keuangan. Tindakan ini tidak dapat dibatalkan.";
pub const ERASED: &str = "Data pribadi Anda sudah dihapus. Riwayat transaksi tetap disimpan tanpa data pribadi.";

// ---------------------------------------------------------------- money safety (issue 12)

/// "45 detik", "12 menit", "3 jam".
pub fn duration_short(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} detik"),
        s if s < 3600 => format!("{} menit", s / 60),
        s => format!("{} jam", s / 3600),
    }
}

pub fn delivery_stuck_admin(invoice: &str, chat: i64, age: &str) -> String {
    format!(
        "⏳ <b>Pengiriman tertunda</b>\nInvoice: <code>{}</code>\nPembeli: <code>{chat}</code>\nTelegram belum menerima pesan ini sejak {age}. Bot terus mencoba mengirim; tidak perlu tindakan kecuali tertunda lama.",
        esc(invoice)
    )
}

pub fn delivery_parked_admin(invoice: &str, chat: i64, age: &str) -> String {
    format!(
        "📦 <b>Pengiriman menunggu pembeli</b>\nInvoice: <code>{}</code>\nPembeli: <code>{chat}</code>\nPembeli memblokir bot atau chat tidak dapat dijangkau ({age}). Produk dikirim otomatis begitu pembeli menghubungi bot lagi; Anda juga dapat menghubunginya langsung.",
        esc(invoice)
    )
}

pub fn deposit_held_for_review(invoice: &str) -> String {
    format!(
        "✅ Pembayaran deposit <code>{}</code> diterima dan sedang ditinjau admin. Saldo bertambah setelah disetujui.",
        esc(invoice)
    )
}

pub fn admin_review_deposit(invoice: &str, user: i64, total: i64) -> String {
    format!(
        "🔎 <b>Deposit perlu ditinjau</b>\nInvoice: <code>{}</code>\nPengguna: <code>{user}</code>\nJumlah: {}\n\nSetujui untuk menambah saldo pengguna. Jika ditolak, saldo tidak bertambah dan dana harus dikembalikan secara manual.",
        esc(invoice),
        rupiah(total)
    )
}

pub const DEPOSIT_REVIEW_APPROVED: &str = "Deposit disetujui; saldo pengguna sudah bertambah.";

pub fn deposit_review_rejected_user(invoice: &str, amount: i64) -> String {
    format!(
        "Deposit <code>{}</code> sebesar {} tidak dapat diproses setelah ditinjau dan saldo tidak bertambah. Silakan hubungi toko (KIRIM PESAN) untuk pengembalian dana.",
        esc(invoice),
        rupiah(amount)
    )
}

pub fn deposit_review_rejected_admin(user: i64, amount: i64) -> String {
    format!(
        "Deposit ditolak; saldo tidak ditambahkan. Kembalikan <b>{}</b> kepada pengguna <code>{user}</code> secara manual.",
        rupiah(amount)
    )
}

pub fn saldo_total_changed(shown: i64, total: i64, balance: i64) -> String {
    format!(
        "⚠️ Harga berubah sejak konfirmasi: sebelumnya {}, sekarang <b>{}</b>. Saldo Anda {}. Tidak ada saldo yang dipotong; tekan Konfirmasi untuk membayar harga baru.",
        rupiah(shown),
        rupiah(total),
        rupiah(balance)
    )
}

pub fn btn_resend(invoice: &str) -> String {
    format!("📦 Kirim ulang {invoice}")
}

pub const RESENT: &str = "Produk dikirim ulang ke chat ini.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::commands::{Access, COMMANDS};

    #[test]
    fn help_lists_what_the_user_may_run_within_telegram_limits() {
        let customer = help(false).join("\n");
        let admin = help(true);
        for c in COMMANDS.iter().filter(|c| c.menu.is_some()) {
            let line = format!("/{} — ", c.name);
            assert_eq!(customer.contains(&line), c.access() == Access::Everyone, "/{}", c.name);
            assert!(admin.iter().any(|m| m.contains(&line)), "/{}", c.name);
            if let Some(u) = c.usage() {
                assert!(admin.iter().any(|m| m.contains(&esc(u.format)) && m.contains(&esc(u.example))));
            }
        }
        assert!(!customer.contains("skip") && !customer.contains("Format:"));
        assert!(admin.iter().all(|m| m.encode_utf16().count() <= MAX_MESSAGE_UNITS));
    }

    #[test]
    fn a_discounted_price_shows_the_price_before_it() {
        assert_eq!(price_text(30_000, 30_000), "<b>Rp30.000</b>");
        assert_eq!(price_text(30_000, 40_000), "<b>Rp30.000</b> (diskon 25% dari <s>Rp40.000</s>)");
        assert_eq!(plain(&price_text(25_000, 30_000)), "Rp25.000 (diskon 16% dari Rp30.000)");
        // Less than 1% off: the rupiah amount instead of "0%".
        assert_eq!(plain(&price_text(999_900, 1_000_000)), "Rp999.900 (diskon Rp100 dari Rp1.000.000)");
    }

    #[test]
    fn uptime_reads_like_a_person_says_it() {
        assert_eq!(uptime(45), "45 detik");
        assert_eq!(uptime(6 * 60 + 59), "6 menit");
        assert_eq!(uptime(2 * 3600 + 5 * 60 + 7), "2 jam 5 menit");
        assert_eq!(uptime(3600), "1 jam");
        assert_eq!(uptime(3 * 86_400 + 4 * 3600 + 59), "3 hari 4 jam");
        assert_eq!(uptime(86_400 + 59 * 60), "1 hari");
    }

    #[test]
    fn a_bad_field_is_named_with_its_limits() {
        let b = crate::domain::campaign::explain_giveaway("500|3").unwrap();
        let text = plain(&bad_field(&b, crate::domain::campaign::GIVEAWAY_USAGE));
        assert!(
            text.starts_with(
                "❌ Nominal tidak valid: 500. Nominal harus angka rupiah dari Rp1.000 sampai Rp1.000.000."
            ),
            "{text}"
        );
        assert!(!text.contains(FORMAT_WRONG), "{text}");
        let b = crate::domain::campaign::explain_giveaway("5000|0").unwrap();
        assert!(plain(&bad_field(&b, crate::domain::campaign::GIVEAWAY_USAGE))
            .contains("Jumlah harus bilangan bulat dari 1 sampai 100."));
        assert_eq!(crate::domain::campaign::explain_giveaway("5000|3"), None);
        assert_eq!(crate::domain::campaign::explain_giveaway("5000"), None);
    }

    #[test]
    fn pack_splits_between_blocks() {
        let blocks = vec!["a".repeat(6), "b".repeat(6), "c".repeat(2)];
        assert_eq!(pack(blocks, 10), vec!["a".repeat(6), format!("{}\n\n{}", "b".repeat(6), "c".repeat(2))]);
    }
}
