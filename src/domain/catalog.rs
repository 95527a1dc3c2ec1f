//! Catalogue types shared by the store, the pricing rule and the screens.

/// A product discount or a category discount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discount {
    /// Whole percent, 1–100.
    Percent(i64),
    /// Rupiah off the unit price.
    Nominal(i64),
}

impl Discount {
    /// From the two schema columns (`discount_kind`, `discount_value`).
    pub fn from_columns(kind: Option<&str>, value: i64) -> Option<Self> {
        match (kind, value) {
            (_, v) if v <= 0 => None,
            (Some("percent"), v) => Some(Discount::Percent(v.min(100))),
            (Some("nominal"), v) => Some(Discount::Nominal(v)),
            _ => None,
        }
    }
}

pub const NO_CATEGORY: &str = "Tanpa Kategori";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `None` shows as "Tanpa Kategori".
    pub category: Option<String>,
    pub price: i64,
    pub reseller_price: Option<i64>,
    pub discount: Option<Discount>,
    pub category_discount: Option<Discount>,
    pub sold_count: i64,
    pub active: bool,
    /// Counted from stock item rows, never stored as a number.
    pub stock: i64,
    /// Bulk prices (issue 18 point 5), validated; empty = none.
    pub tiers: Vec<super::tiers::Tier>,
    /// Days of warranty from delivery (issue 18); 0 = none.
    pub warranty_days: i64,
}

impl Product {
    pub fn category_name(&self) -> &str {
        self.category.as_deref().unwrap_or(NO_CATEGORY)
    }
}
