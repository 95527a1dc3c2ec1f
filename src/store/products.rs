//! Products and categories. Stock numbers are always counted from `stock_items`.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{now, StoreError};
use crate::domain::{
    catalog::{Discount, Product},
    commands::{NewProduct, MAX_PRODUCT_ID},
};

/// The product columns plus its category's name and discount and its available stock.
const SELECT: &str = concat!(
    "
    SELECT p.id, p.name, p.description, c.name, p.price, p.reseller_price, p.discount_kind,
           p.discount_value, c.discount_kind, c.discount_value, p.sold_count, p.active,
           (SELECT count(*) FROM stock_items s WHERE s.product_id = p.id AND s.status = 'available' AND ",
    sellable!(),
    "),
           p.price_tiers,
           p.warranty_days
    FROM products p LEFT JOIN categories c ON c.id = p.category_id"
);

fn from_row(r: &Row<'_>) -> rusqlite::Result<Product> {
    let pk: Option<String> = r.get(6)?;
    let ck: Option<String> = r.get(8)?;
    Ok(Product {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        category: r.get(3)?,
        price: r.get(4)?,
        reseller_price: r.get(5)?,
        discount: Discount::from_columns(pk.as_deref(), r.get(7)?),
        category_discount: Discount::from_columns(ck.as_deref(), r.get::<_, Option<i64>>(9)?.unwrap_or(0)),
        sold_count: r.get(10)?,
        active: r.get(11)?,
        stock: r.get(12)?,
        tiers: crate::domain::tiers::from_column(r.get::<_, Option<String>>(13)?.as_deref()),
        warranty_days: r.get(14)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Product>, StoreError> {
    let sql = format!("{SELECT} WHERE p.id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id], from_row).optional()?)
}

/// Active products only (what customers may open).
pub fn get_active(conn: &Connection, id: i64) -> Result<Option<Product>, StoreError> {
    Ok(get(conn, id)?.filter(|p| p.active))
}

#[derive(Debug, thiserror::Error)]
pub enum AddProductError {
    #[error("id {0} sudah dipakai")]
    IdTaken(i64),
    #[error("tidak ada id kosong")]
    NoFreeId,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AddProductError {
    fn from(e: rusqlite::Error) -> Self {
        AddProductError::Store(e.into())
    }
}

/// Inserts a product (smallest free id for `-`), creating its category if needed.
pub fn add(conn: &mut Connection, p: &NewProduct) -> Result<i64, AddProductError> {
    let tx = super::writer::begin(conn)?;
    let id = match p.id {
        Some(id) => {
            if tx.query_row("SELECT 1 FROM products WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some() {
                return Err(AddProductError::IdTaken(id));
            }
            id
        }
        None => tx.query_row(
            "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM products WHERE id = 1) THEN 1
                    ELSE (SELECT min(id) + 1 FROM products p
                          WHERE NOT EXISTS (SELECT 1 FROM products q WHERE q.id = p.id + 1)) END",
            [],
            |r| r.get::<_, i64>(0),
        )?,
    };
    if id > MAX_PRODUCT_ID {
        return Err(AddProductError::NoFreeId);
    }
    let category_id = match &p.category {
        None => None,
        Some(name) => Some(category_id(&tx, name)?),
    };
    let t = now();
    tx.execute(
        "INSERT INTO products (id, name, description, category_id, price, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![id, p.name, p.description, category_id, p.price, t],
    )?;
    tx.commit()?;
    Ok(id)
}

/// The id of a category by name (case-insensitive), created if missing.
pub fn category_id(conn: &Connection, name: &str) -> Result<i64, StoreError> {
    conn.prepare_cached("INSERT INTO categories (name) VALUES (?1) ON CONFLICT(name) DO NOTHING")?.execute([name])?;
    Ok(conn.prepare_cached("SELECT id FROM categories WHERE name = ?1")?.query_row([name], |r| r.get(0))?)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryRow {
    /// 0 = Tanpa Kategori.
    pub id: i64,
    pub name: Option<String>,
    pub products: i64,
}

/// Categories that have active products, by name, with `Tanpa Kategori` last.
pub fn categories(conn: &Connection) -> Result<Vec<CategoryRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(c.id, 0), c.name, count(*) FROM products p LEFT JOIN categories c ON c.id = p.category_id
         WHERE p.active = 1 GROUP BY c.id ORDER BY c.id IS NULL, c.name COLLATE NOCASE",
    )?;
    let rows = stmt
        .query_map([], |r| Ok(CategoryRow { id: r.get(0)?, name: r.get(1)?, products: r.get(2)? }))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn category_name(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn.prepare_cached("SELECT name FROM categories WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?)
}

/// Which list of products to show.
#[derive(Clone, Copy, Debug)]
pub enum Listing {
    /// Every active product, sold out included, by id.
    All,
    /// Active products of one category (0 = none), by id.
    Category(i64),
    /// Active products that sold at least once, by sold count.
    BestSellers,
    /// Active products with stock, by id.
    InStock,
}

fn listing_where(l: Listing) -> (&'static str, &'static str) {
    match l {
        Listing::All => ("p.active = 1 AND ?1 = ?1", "p.id"),
        Listing::Category(_) => ("p.active = 1 AND coalesce(p.category_id, 0) = ?1", "p.id"),
        Listing::BestSellers => ("p.active = 1 AND p.sold_count > 0 AND ?1 = ?1", "p.sold_count DESC, p.id"),
        Listing::InStock => (
            concat!(
                "p.active = 1 AND ?1 = ?1 AND EXISTS (SELECT 1 FROM stock_items s WHERE s.product_id = p.id AND s.status = 'available' AND ",
                sellable!(),
                ")"
            ),
            "p.id",
        ),
    }
}

fn listing_arg(l: Listing) -> i64 {
    match l {
        Listing::Category(c) => c,
        _ => 0,
    }
}

pub fn count_listing(conn: &Connection, l: Listing) -> Result<i64, StoreError> {
    let (cond, _) = listing_where(l);
    // nosemgrep: ci.sql-built-with-format -- `cond` is one of the constant fragments above
    let sql = format!("SELECT count(*) FROM products p WHERE {cond}");
    Ok(conn.prepare_cached(&sql)?.query_row([listing_arg(l)], |r| r.get(0))?)
}

pub fn list(conn: &Connection, l: Listing, offset: i64, limit: i64) -> Result<Vec<Product>, StoreError> {
    let (cond, order) = listing_where(l);
    // `cond` and `order` are constants chosen above, never user text.
    // nosemgrep: ci.sql-built-with-format -- `cond`/`order` are constant fragments chosen above
    let sql = format!("{SELECT} WHERE {cond} ORDER BY {order} LIMIT ?2 OFFSET ?3");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![listing_arg(l), limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Top buyers by number of items bought in paid orders: (display name, items).
pub fn top_buyers(conn: &Connection, limit: i64) -> Result<Vec<(String, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.name, sum(i.quantity) AS n FROM orders o JOIN order_items i ON i.order_id = o.id
         JOIN users u ON u.id = o.user_id
         WHERE o.status = 'paid' AND o.kind = 'order' AND u.erased = 0
         GROUP BY o.user_id ORDER BY n DESC, o.user_id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

fn discount_columns(d: Option<Discount>) -> (Option<&'static str>, i64) {
    match d {
        None => (None, 0),
        Some(Discount::Percent(p)) => (Some("percent"), p),
        Some(Discount::Nominal(n)) => (Some("nominal"), n),
    }
}

/// `/del`: deactivates (orders keep their lines). Returns the previous active flag.
pub fn deactivate(conn: &Connection, id: i64) -> Result<Option<bool>, StoreError> {
    let before: Option<bool> =
        conn.prepare_cached("SELECT active FROM products WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
    if before.is_some() {
        conn.prepare_cached("UPDATE products SET active = 0, updated_at = ?2 WHERE id = ?1")?
            .execute(params![id, now()])?;
    }
    Ok(before)
}

#[derive(Debug, PartialEq, Eq)]
pub enum EditIdOutcome {
    Done,
    Missing,
    Taken,
}

/// `/editid`: renumbers a product; stock items and order lines follow (ON UPDATE CASCADE).
pub fn edit_id(conn: &mut Connection, old: i64, new: i64) -> Result<EditIdOutcome, StoreError> {
    let tx = super::writer::begin(conn)?;
    let exists = |id: i64| -> Result<bool, StoreError> {
        Ok(tx.prepare_cached("SELECT 1 FROM products WHERE id = ?1")?.query_row([id], |_| Ok(())).optional()?.is_some())
    };
    if !exists(old)? {
        return Ok(EditIdOutcome::Missing);
    }
    if old != new && exists(new)? {
        return Ok(EditIdOutcome::Taken);
    }
    tx.execute("UPDATE products SET id = ?2, updated_at = ?3 WHERE id = ?1", params![old, new, now()])?;
    tx.commit()?;
    Ok(EditIdOutcome::Done)
}

/// `/editcategory`: returns the previous category name (`Some(None)` = none), `None` if no product.
pub fn set_category(
    conn: &mut Connection,
    id: i64,
    category: Option<&str>,
) -> Result<Option<Option<String>>, StoreError> {
    let tx = super::writer::begin(conn)?;
    let Some(before) = get(&tx, id)? else { return Ok(None) };
    let cat = category.map(|c| category_id(&tx, c)).transpose()?;
    tx.execute("UPDATE products SET category_id = ?2, updated_at = ?3 WHERE id = ?1", params![id, cat, now()])?;
    tx.commit()?;
    Ok(Some(before.category))
}

/// `/editsold`: returns (before, after).
pub fn edit_sold(
    conn: &Connection,
    id: i64,
    edit: &crate::domain::admin::SoldEdit,
) -> Result<Option<(i64, i64)>, StoreError> {
    let Some(before) = get(conn, id)?.map(|p| p.sold_count) else { return Ok(None) };
    let after = match edit {
        crate::domain::admin::SoldEdit::Set(n) => *n,
        crate::domain::admin::SoldEdit::Add(n) => before.saturating_add(*n),
    };
    conn.prepare_cached("UPDATE products SET sold_count = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        after,
        now()
    ])?;
    Ok(Some((before, after)))
}

/// `/disc`: returns the previous discount (`None` if no product).
pub fn set_discount(conn: &Connection, id: i64, d: Option<Discount>) -> Result<Option<Option<Discount>>, StoreError> {
    let Some(before) = get(conn, id)? else { return Ok(None) };
    let (kind, value) = discount_columns(d);
    conn.prepare_cached("UPDATE products SET discount_kind = ?2, discount_value = ?3, updated_at = ?4 WHERE id = ?1")?
        .execute(params![id, kind, value, now()])?;
    Ok(Some(before.discount))
}

/// `/tier`: the product's quantity tiers (already checked; empty = none); the tiers before, or
/// `None` if there is no such product.
pub fn set_tiers(
    conn: &Connection,
    id: i64,
    tiers: &[crate::domain::tiers::Tier],
) -> Result<Option<Vec<crate::domain::tiers::Tier>>, StoreError> {
    let Some(before) = get(conn, id)? else { return Ok(None) };
    let text = (!tiers.is_empty()).then(|| crate::domain::tiers::column_text(tiers));
    conn.prepare_cached("UPDATE products SET price_tiers = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        text,
        now()
    ])?;
    Ok(Some(before.tiers))
}

/// `/discat`: `false` if there is no such category.
pub fn set_category_discount(conn: &Connection, name: &str, d: Option<Discount>) -> Result<bool, StoreError> {
    let (kind, value) = discount_columns(d);
    Ok(conn
        .prepare_cached("UPDATE categories SET discount_kind = ?2, discount_value = ?3 WHERE name = ?1")?
        .execute(params![name, kind, value])?
        == 1)
}

/// The discount of a category by name (case-insensitive): `None` if there is no such category.
pub fn category_discount(conn: &Connection, name: &str) -> Result<Option<Option<Discount>>, StoreError> {
    let row: Option<(Option<String>, i64)> = conn
        .prepare_cached("SELECT discount_kind, discount_value FROM categories WHERE name = ?1")?
        .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(kind, value)| Discount::from_columns(kind.as_deref(), value)))
}

/// Active products of a category by name (what a category discount would apply to).
pub fn active_in_category(conn: &Connection, name: &str) -> Result<Vec<Product>, StoreError> {
    let sql = format!("{SELECT} WHERE p.active = 1 AND c.name = ?1 ORDER BY p.id");
    let rows = conn.prepare_cached(&sql)?.query_map([name], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// `/priceress`: returns the previous reseller price (`None` if no product).
pub fn set_reseller_price(conn: &Connection, id: i64, price: Option<i64>) -> Result<Option<Option<i64>>, StoreError> {
    let Some(before) = get(conn, id)? else { return Ok(None) };
    conn.prepare_cached("UPDATE products SET reseller_price = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        price,
        now()
    ])?;
    Ok(Some(before.reseller_price))
}
