//! Keyboards of the screens, built from the labels in `texts`.

use super::ports::Button;
use crate::{
    domain::{
        callback::{Callback, QTY_STEPS},
        paging::Page,
    },
    texts,
};

/// The reply-keyboard main menu: four fixed buttons, then up to 24 in-stock product ids,
/// ascending, 8 per row.
pub fn main_menu(product_ids: &[i64]) -> Vec<Vec<String>> {
    let mut rows = vec![
        vec![texts::BTN_LIST.to_string(), texts::BTN_STOCK.to_string()],
        vec![texts::BTN_ACCOUNT.to_string(), texts::BTN_MESSAGE.to_string()],
    ];
    rows.extend(
        product_ids.iter().take(24).collect::<Vec<_>>().chunks(8).map(|c| c.iter().map(|id| id.to_string()).collect()),
    );
    rows
}

/// Under a text-entry prompt: `[Lewati]` where the step may be skipped, and `[Batalkan]`.
pub fn step(skippable: bool) -> Vec<Vec<Button>> {
    let mut row = Vec::new();
    if skippable {
        row.push(Button::cb(texts::BTN_SKIP_STEP, Callback::SkipStep));
    }
    row.push(Button::cb(texts::BTN_CANCEL, Callback::Cancel));
    vec![row]
}

pub fn welcome() -> Vec<Vec<Button>> {
    vec![vec![
        Button::cb(texts::BTN_CATEGORIES, Callback::Categories(1)),
        Button::cb(texts::BTN_BEST, Callback::BestSellers(1)),
        Button::cb(texts::BTN_ALL, Callback::AllProducts(1)),
    ]]
}

/// `[Kembali] [Selanjutnya 2/5]`: Kembali goes a page back, or to `parent` on the first page.
pub fn nav(page: Page, to_page: impl Fn(u32) -> Callback, parent: Callback) -> Vec<Button> {
    let back = if page.has_prev() { to_page(page.page - 1) } else { parent };
    let mut row = vec![Button::cb(texts::BTN_BACK, back)];
    if page.has_next() {
        row.push(Button::cb(texts::btn_next(page.page + 1, page.pages), to_page(page.page + 1)));
    }
    row
}

/// Number buttons that open products, 5 per row.
pub fn product_buttons(ids: &[i64]) -> Vec<Vec<Button>> {
    ids.chunks(5).map(|c| c.iter().map(|id| Button::cb(id.to_string(), Callback::Product(*id))).collect()).collect()
}

/// A sold-out card's buttons for a customer already waiting for the product: `[Batal kabari]`
/// instead of `[Kabari saya]`.
pub fn card_waiting(product_id: i64) -> Vec<Vec<Button>> {
    vec![
        vec![Button::cb(texts::BTN_CANCEL_RESTOCK, Callback::CancelRestock(product_id))],
        vec![Button::cb(texts::BTN_CANCEL, Callback::Cancel)],
    ]
}

pub fn card(product_id: i64, in_stock: bool) -> Vec<Vec<Button>> {
    let mut rows = Vec::new();
    if in_stock {
        rows.push(QTY_STEPS.iter().map(|s| Button::cb(texts::qty_label(*s), Callback::Qty(product_id, *s))).collect());
        rows.push(vec![Button::cb(texts::BTN_CHECKOUT, Callback::Checkout(product_id))]);
    } else {
        rows.push(vec![Button::cb(texts::BTN_NOTIFY_RESTOCK, Callback::NotifyRestock(product_id))]);
    }
    rows.push(vec![Button::cb(texts::BTN_CANCEL, Callback::Cancel)]);
    rows
}

pub fn account() -> Vec<Vec<Button>> {
    vec![
        vec![
            Button::cb(texts::BTN_EDIT_NAME, Callback::EditName),
            Button::cb(texts::BTN_EDIT_EMAIL, Callback::EditEmail),
            Button::cb(texts::BTN_EDIT_WA, Callback::EditWhatsapp),
        ],
        vec![Button::cb(texts::BTN_HISTORY, Callback::History(1)), Button::cb(texts::BTN_DEPOSIT, Callback::Deposit)],
    ]
}
