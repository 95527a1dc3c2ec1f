//! Browsing: welcome, lists, stock, top buyers and the product card.

use std::collections::HashMap;

use crate::shop::{keyboards, ports::Out, session::Flow, Actor, Result, Shop};
use crate::{
    domain::{
        callback::Callback,
        catalog::{Product, NO_CATEGORY},
        paging::Page,
        pricing::unit_price,
        role::Role,
    },
    store::{self, products::Listing},
    texts,
};

// Page sizes: with list names cut to `texts::LIST_NAME_UNITS`, a full page of the longest names,
// ids, prices and stock counts stays under Telegram's 4,096 (checked in the tests below).
const PER_PAGE: u32 = 10;
const STOCK_PER_PAGE: u32 = 30;

/// One page of `/stock` / `[STOK]`; admins also see how many customers wait for a restock alert.
/// `dated`: per product, its earliest valid-until on sale and its expired items (admins only).
fn stock_page(
    p: Page,
    items: &[Product],
    role: Role,
    waiting: &HashMap<i64, i64>,
    dated: &HashMap<i64, (Option<i64>, i64)>,
) -> String {
    let mut text = texts::stock_title().to_string();
    if p.pages > 1 {
        text.push_str(&format!(" ({}/{})", p.page, p.pages));
    }
    if items.is_empty() {
        text.push_str("\n\n");
        text.push_str(texts::NO_PRODUCTS);
    }
    for prod in items {
        text.push('\n');
        text.push_str(&texts::stock_line(prod, unit_price(prod, role, 1)));
        match waiting.get(&prod.id) {
            Some(n) if role == Role::Admin && *n > 0 => text.push_str(&texts::stock_waiting(*n)),
            _ => {}
        }
        if let Some((first, expired)) = dated.get(&prod.id).filter(|_| role == Role::Admin) {
            text.push_str(&texts::expiry::stock_suffix(*first, *expired));
        }
    }
    text
}

/// One page of a product list (a category, best sellers, all products).
fn list_page(title: &str, p: Page, items: &[Product], role: Role, best: bool) -> String {
    let mut text = texts::list_title(title, p.page, p.pages);
    if items.is_empty() {
        text.push_str("\n\n");
        text.push_str(if best { texts::NO_BEST_SELLERS } else { texts::NO_PRODUCTS });
    }
    for prod in items {
        text.push('\n');
        let price = unit_price(prod, role, 1);
        text.push_str(&if best { texts::best_line(prod, price) } else { texts::list_line(prod, price) });
    }
    text
}

impl Shop {
    /// The main menu: the reply keyboard, then the welcome message with its inline buttons.
    pub(super) async fn main_menu(&self, actor: &Actor) -> Result<()> {
        self.main_menu_after(actor, texts::MENU_HINT).await
    }

    /// The reply keyboard under `hint`, then the welcome screen.
    pub(super) async fn main_menu_after(&self, actor: &Actor, hint: &str) -> Result<()> {
        let ids = self
            .db
            .call(|c| {
                Ok(store::products::list(c, Listing::InStock, 0, 24)?.into_iter().map(|p| p.id).collect::<Vec<_>>())
            })
            .await?;
        self.tg.send(actor.chat, Out::reply(hint, keyboards::main_menu(&ids))).await?;
        self.welcome(actor, None).await
    }

    pub(super) async fn welcome(&self, actor: &Actor, message_id: Option<i64>) -> Result<()> {
        let totals = self.db.call(|c| store::stats::totals(c)).await?;
        let text = texts::welcome(&self.config.store_name, &actor.user.name, totals.users, totals.transactions);
        self.edit_or_send(actor, message_id, Out::inline(text, keyboards::welcome())).await?;
        Ok(())
    }

    /// `[Kembali]` to the welcome screen: whatever flow was open ends.
    pub(in crate::shop) async fn home(&self, actor: &Actor, message_id: Option<i64>) -> Result<()> {
        self.sessions.clear(actor.user.id);
        self.welcome(actor, message_id).await
    }

    /// Categories, one category, best sellers or all products, one page, edited in place.
    pub(in crate::shop) async fn product_list(
        &self,
        actor: &Actor,
        cb: Callback,
        message_id: Option<i64>,
    ) -> Result<()> {
        let out = match cb {
            Callback::Categories(page) => self.categories(page).await?,
            Callback::Category(cat, page) => {
                let title = match cat {
                    0 => Some(NO_CATEGORY.to_string()),
                    id => self.db.call(move |c| store::products::category_name(c, id)).await?,
                };
                let title = title.unwrap_or_else(|| NO_CATEGORY.to_string());
                self.listing(
                    actor,
                    Listing::Category(cat),
                    &title,
                    page,
                    move |p| Callback::Category(cat, p),
                    Callback::Categories(1),
                )
                .await?
            }
            Callback::BestSellers(page) => {
                self.listing(
                    actor,
                    Listing::BestSellers,
                    texts::BEST_TITLE,
                    page,
                    Callback::BestSellers,
                    Callback::Home,
                )
                .await?
            }
            _ => {
                let page = if let Callback::AllProducts(p) = cb { p } else { 1 };
                self.listing(actor, Listing::All, texts::ALL_TITLE, page, Callback::AllProducts, Callback::Home).await?
            }
        };
        self.edit_or_send(actor, message_id, out).await?;
        Ok(())
    }

    async fn categories(&self, page: u32) -> Result<Out> {
        let cats = self.db.call(|c| store::products::categories(c)).await?;
        if cats.is_empty() {
            return Ok(Out::inline(
                texts::NO_PRODUCTS,
                vec![vec![crate::shop::ports::Button::cb(texts::BTN_BACK, Callback::Home)]],
            ));
        }
        let p = Page::new(page, i64::try_from(cats.len()).unwrap_or(i64::MAX), PER_PAGE);
        let mut rows: Vec<Vec<crate::shop::ports::Button>> = cats
            .iter()
            .skip(usize::try_from(p.offset()).unwrap_or(0))
            .take(PER_PAGE as usize)
            .map(|c| {
                let name = c.name.as_deref().unwrap_or(NO_CATEGORY);
                vec![crate::shop::ports::Button::cb(format!("{name} ({})", c.products), Callback::Category(c.id, 1))]
            })
            .collect();
        rows.push(keyboards::nav(p, Callback::Categories, Callback::Home));
        Ok(Out::inline(texts::CATEGORIES_TITLE, rows))
    }

    async fn listing(
        &self,
        actor: &Actor,
        listing: Listing,
        title: &str,
        page: u32,
        to_page: impl Fn(u32) -> Callback,
        parent: Callback,
    ) -> Result<Out> {
        let (total, items) = self
            .db
            .call(move |c| {
                let total = store::products::count_listing(c, listing)?;
                let p = Page::new(page, total, PER_PAGE);
                Ok((total, store::products::list(c, listing, p.offset(), i64::from(PER_PAGE))?))
            })
            .await?;
        let p = Page::new(page, total, PER_PAGE);
        let text = list_page(title, p, &items, actor.role, matches!(listing, Listing::BestSellers));
        let ids: Vec<i64> = items.iter().map(|p| p.id).collect();
        let mut rows = keyboards::product_buttons(&ids);
        if matches!(listing, Listing::BestSellers) {
            rows.push(vec![crate::shop::ports::Button::cb(texts::BTN_TOP_BUYERS, Callback::TopBuyers)]);
        }
        rows.push(keyboards::nav(p, to_page, parent));
        Ok(Out::inline(text, rows))
    }

    pub(in crate::shop) async fn top_buyers(&self, actor: &Actor, message_id: Option<i64>) -> Result<()> {
        let buyers = self.db.call(|c| store::products::top_buyers(c, 10)).await?;
        let mut text = texts::TOP_BUYERS_TITLE.to_string();
        if buyers.is_empty() {
            text.push_str("\n\n");
            text.push_str(texts::NO_BUYERS);
        }
        for (i, (name, n)) in buyers.iter().enumerate() {
            text.push('\n');
            text.push_str(&texts::top_buyer_line(i + 1, name, *n));
        }
        let rows = vec![vec![crate::shop::ports::Button::cb(texts::BTN_BACK, Callback::BestSellers(1))]];
        self.edit_or_send(actor, message_id, Out::inline(text, rows)).await?;
        Ok(())
    }

    /// `/stock` and `[STOK]`: active products with price and available stock.
    pub(in crate::shop) async fn stock_list(&self, actor: &Actor, page: u32, message_id: Option<i64>) -> Result<()> {
        let admin = actor.role == Role::Admin;
        let (total, items, (waiting, dated)) = self
            .db
            .call(move |c| {
                let total = store::products::count_listing(c, Listing::All)?;
                let p = Page::new(page, total, STOCK_PER_PAGE);
                let items = store::products::list(c, Listing::All, p.offset(), i64::from(STOCK_PER_PAGE))?;
                let extra = if admin {
                    (store::restock::waiting(c)?, store::expiry::stock_overview(c, store::now())?)
                } else {
                    (HashMap::new(), HashMap::new())
                };
                Ok((total, items, extra))
            })
            .await?;
        let p = Page::new(page, total, STOCK_PER_PAGE);
        let text = stock_page(p, &items, actor.role, &waiting, &dated);
        let out = if p.pages > 1 {
            Out::inline(text, vec![keyboards::nav(p, Callback::Stock, Callback::Home)])
        } else {
            Out::text(text)
        };
        self.edit_or_send(actor, message_id, out).await?;
        Ok(())
    }

    /// Opens a product card as a new message; the card becomes the user's current flow.
    pub(in crate::shop) async fn open_card(&self, actor: &Actor, id: i64) -> Result<()> {
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, id)).await? else {
            return self.say(actor, texts::PRODUCT_NOT_FOUND).await;
        };
        let qty = 1;
        let out =
            Out::inline(texts::product_card(&product, actor.role, qty), self.card_buttons(actor, &product).await?);
        let message_id = self.tg.send(actor.chat, out).await?;
        self.sessions.set(actor.user.id, Flow::Card { product_id: id, qty, message_id });
        Ok(())
    }

    /// `[-] [+] [+2] [+5] [+10]`: quantity stays within 1..=stock; the card is edited in place.
    /// Returns the notice for the button press, if any.
    pub(in crate::shop) async fn change_qty(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        id: i64,
        step: i64,
    ) -> Result<Option<String>> {
        let Some(Flow::Card { product_id, qty, message_id: card_msg }) = self.sessions.get(actor.user.id) else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        if product_id != id || message_id != Some(card_msg) {
            return Ok(Some(texts::STALE_BUTTON.into()));
        }
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, id)).await? else {
            self.sessions.clear(actor.user.id);
            return Ok(Some(texts::PRODUCT_NOT_FOUND.into()));
        };
        let wanted = qty.saturating_add(step);
        let (new_qty, notice) = if product.stock < 1 {
            (1, Some(texts::SOLD_OUT.to_string()))
        } else if wanted < 1 {
            (1, Some(texts::MIN_QTY.to_string()))
        } else if wanted > product.stock {
            (product.stock, Some(texts::max_qty(product.stock)))
        } else {
            (wanted, None)
        };
        // Re-render when the quantity changed or the stock moved under the card.
        if new_qty != qty || product.stock < qty {
            let out = Out::inline(
                texts::product_card(&product, actor.role, new_qty),
                self.card_buttons(actor, &product).await?,
            );
            self.edit_or_send(actor, Some(card_msg), out).await?;
            self.sessions.set(actor.user.id, Flow::Card { product_id: id, qty: new_qty, message_id: card_msg });
        }
        Ok(notice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{catalog::Discount, commands::MAX_PRICE, commands::MAX_PRODUCT_ID, tiers::Tier};

    /// Telegram's count of a message sent with parse_mode HTML: tags dropped, entities decoded,
    /// UTF-16 units.
    fn shown_units(html: &str) -> usize {
        let mut shown = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if !in_tag => shown.push(c),
                _ => {}
            }
        }
        let shown = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
        shown.encode_utf16().count()
    }

    /// The longest product a `/add` accepts: 100 characters (here 2 UTF-16 units each, or HTML
    /// specials), the largest id and price, and a huge stock and sold count.
    fn longest(i: i64, name: &str) -> Product {
        Product {
            id: MAX_PRODUCT_ID - i,
            name: name.repeat(100),
            description: String::new(),
            category: Some("K".repeat(50)),
            price: MAX_PRICE,
            reseller_price: None,
            discount: Some(Discount::Nominal(1)),
            category_discount: None,
            sold_count: 10_000_000,
            active: true,
            stock: 999_999_999,
            // The most tiers, with the longest numbers.
            tiers: (0..5).map(|i| Tier { min_qty: 99_996 + i, percent: 86 + i }).collect(),
            warranty_days: 0,
        }
    }

    #[test]
    fn a_page_of_the_longest_names_fits_in_one_message() {
        for name in ["🎮", "W", "&", "\u{202E}"] {
            let page = Page::new(99_999, 99_999 * i64::from(STOCK_PER_PAGE), STOCK_PER_PAGE);
            let items: Vec<Product> = (0..i64::from(STOCK_PER_PAGE)).map(|i| longest(i, name)).collect();
            let text = stock_page(page, &items, Role::Customer, &HashMap::new(), &HashMap::new());
            assert!(shown_units(&text) <= 4_096, "{name}: {} units", shown_units(&text));
            assert!(text.contains('…'), "long names are shortened");
            let page = Page::new(99_999, 99_999 * i64::from(PER_PAGE), PER_PAGE);
            let items: Vec<Product> = (0..i64::from(PER_PAGE)).map(|i| longest(i, name)).collect();
            for best in [false, true] {
                let text = list_page(&"T".repeat(50), page, &items, Role::Reseller, best);
                assert!(shown_units(&text) <= 4_096, "{name}: {} units", shown_units(&text));
            }
        }
    }

    #[test]
    fn the_longest_card_fits_in_one_message() {
        for c in ["🎮", "&", "W"] {
            let p = Product { description: c.repeat(2_000), stock: 5, ..longest(0, c) };
            let card = texts::product_card(&p, Role::Reseller, 999_999);
            assert!(shown_units(&card) <= 4_096, "{c}: {} units", shown_units(&card));
        }
        let p = Product { description: "Akun sharing 1 profil".into(), ..longest(0, "x") };
        assert!(texts::product_card(&p, Role::Customer, 1).contains("Akun sharing 1 profil"));
    }

    #[test]
    fn short_names_are_shown_in_full() {
        let p = Product { name: "Netflix Premium".into(), ..longest(0, "x") };
        assert!(texts::stock_line(&p, 30_000).contains("Netflix Premium — Rp30.000"));
        assert_eq!(texts::shorten(&"🎮".repeat(30), 40), format!("{}…", "🎮".repeat(19)));
        assert_eq!(texts::shorten("abc", 3), "abc");
    }
}
