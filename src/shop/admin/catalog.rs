//! Catalog commands (SPEC §5): products, their category, sold count, discounts and reseller
//! prices. A change bound by the price rule is checked and written in one writer job.

use serde_json::json;

use super::commands::admin_entry;
use crate::shop::{Actor, Result, Shop};
use crate::{
    domain::{
        admin::{NewProduct, SoldEdit},
        audit::AuditAction,
        catalog::{Discount, Product, NO_CATEGORY},
        pricing::{self, TooCheap},
    },
    security::audit::EntryExt,
    store::{self, audit::Entry, products::AddProductError, products::EditIdOutcome},
    texts,
};

/// `/discat`: the discount must leave every active product of the category paid (customer and
/// reseller prices, whether or not the product has a discount of its own today).
fn check_category_discount(products: &[Product], discount: Discount) -> std::result::Result<(), TooCheap> {
    products.iter().try_for_each(|p| pricing::check_discount(p, discount))
}

/// The outcome of a command checked and written in one writer job, so no other write can slip
/// between the check and the change (the price rule of SPEC §5, issue 12 defect 8).
enum Checked<T> {
    Done(T),
    /// No such product / category.
    Missing,
    /// Refused, with the answer for the admin; nothing was written.
    Refused(String),
}

/// `/add` and `/editcategory`: the category's discount (if any) must leave `product` paid.
fn check_category_for(
    c: &rusqlite::Connection,
    product: &Product,
    category: Option<&str>,
) -> std::result::Result<Option<String>, store::StoreError> {
    let Some(name) = category else { return Ok(None) };
    let Some(Some(discount)) = store::products::category_discount(c, name)? else { return Ok(None) };
    Ok(pricing::check_discount(product, discount).err().map(|e| texts::category_discount_makes_free(name, &e)))
}

/// A product as `/add` would create it (id 0 when the id is picked later).
fn product_of(new: &NewProduct) -> Product {
    Product {
        id: new.id.unwrap_or(0),
        name: new.name.clone(),
        description: new.description.clone(),
        category: new.category.clone(),
        price: new.price,
        reseller_price: None,
        discount: None,
        category_discount: None,
        sold_count: 0,
        active: true,
        stock: 0,
        tiers: Vec::new(),
        warranty_days: 0,
    }
}

impl Shop {
    /// `/add`: refused when the category's discount would make the new product free.
    pub(super) async fn add_product(&self, actor: &Actor, new: NewProduct) -> Result<Option<Entry>> {
        let p = new.clone();
        let added = self
            .db
            .write(move |c| {
                if let Some(refusal) = check_category_for(c, &product_of(&p), p.category.as_deref())? {
                    return Ok(Checked::Refused(refusal));
                }
                Ok(Checked::Done(store::products::add(c, &p)))
            })
            .await?;
        let added = match added {
            Checked::Done(added) => added,
            Checked::Refused(text) => return self.refuse(actor, &text).await,
            Checked::Missing => return Ok(None),
        };
        let (text, effect) = match added {
            Ok(id) => (
                texts::product_added(id, &new.name, new.price, new.category.as_deref().unwrap_or(NO_CATEGORY)),
                Some(
                    admin_entry(actor, AuditAction::ProductCreated)
                        .entity("product", id)
                        .after(json!({"id": id, "price": new.price})),
                ),
            ),
            Err(AddProductError::IdTaken(id)) => (texts::product_id_taken(id), None),
            Err(AddProductError::NoFreeId) => (texts::NO_FREE_PRODUCT_ID.to_string(), None),
            Err(AddProductError::Store(e)) => return Err(e.into()),
        };
        self.say(actor, &text).await?;
        Ok(effect)
    }

    /// `/del`: deactivates, never deletes: orders and history keep pointing at the product.
    pub(super) async fn deactivate_product(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        let before = self.db.write(move |c| store::products::deactivate(c, id)).await?;
        let Some(before) = before else { return self.missing_product(actor, id).await };
        self.say(actor, &texts::product_deactivated(id)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::ProductDeactivated)
                .entity("product", id)
                .before(json!({"active": before}))
                .after(json!({"active": false})),
        ))
    }

    /// `/editid`: refused when the new id is taken; its stock and order lines follow it.
    pub(super) async fn edit_id(&self, actor: &Actor, old: i64, new: i64) -> Result<Option<Entry>> {
        let outcome = self.db.write(move |c| store::products::edit_id(c, old, new)).await?;
        match outcome {
            EditIdOutcome::Missing => self.missing_product(actor, old).await,
            EditIdOutcome::Taken => {
                self.say(actor, &texts::edit_id_taken(old, new)).await?;
                Ok(None)
            }
            EditIdOutcome::Done => {
                self.say(actor, &texts::id_changed(old, new)).await?;
                Ok(Some(
                    admin_entry(actor, AuditAction::ProductChanged)
                        .entity("product", new)
                        .before(json!({"id": old}))
                        .after(json!({"id": new})),
                ))
            }
        }
    }

    /// `/editcategory`: refused when the new category's discount would make the product free.
    pub(super) async fn edit_category(
        &self,
        actor: &Actor,
        product_id: i64,
        category: Option<String>,
    ) -> Result<Option<Entry>> {
        let c2 = category.clone();
        let outcome = self
            .db
            .write(move |c| {
                let Some(p) = store::products::get(c, product_id)? else { return Ok(Checked::Missing) };
                if let Some(refusal) = check_category_for(c, &p, c2.as_deref())? {
                    return Ok(Checked::Refused(refusal));
                }
                Ok(store::products::set_category(c, product_id, c2.as_deref())?.map_or(Checked::Missing, Checked::Done))
            })
            .await?;
        let before = match outcome {
            Checked::Done(before) => before,
            Checked::Missing => return self.missing_product(actor, product_id).await,
            Checked::Refused(text) => return self.refuse(actor, &text).await,
        };
        let shown = category.as_deref().unwrap_or(NO_CATEGORY);
        self.say(actor, &texts::category_changed(product_id, shown)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::ProductChanged)
                .entity("product", product_id)
                .before(json!({"category": before}))
                .after(json!({"category": category})),
        ))
    }

    /// `/editsold`: the shown sold count (best sellers), set or added to.
    pub(super) async fn edit_sold(&self, actor: &Actor, product_id: i64, edit: SoldEdit) -> Result<Option<Entry>> {
        let r = self.db.write(move |c| store::products::edit_sold(c, product_id, &edit)).await?;
        let Some((before, after)) = r else { return self.missing_product(actor, product_id).await };
        self.say(actor, &texts::sold_changed(product_id, before, after)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::ProductChanged)
                .entity("product", product_id)
                .before(json!({"sold": before}))
                .after(json!({"sold": after})),
        ))
    }

    /// `/disc`: `None` removes the discount; one that would make the product free is refused.
    pub(super) async fn set_discount(
        &self,
        actor: &Actor,
        product_id: i64,
        discount: Option<Discount>,
    ) -> Result<Option<Entry>> {
        let outcome = self
            .db
            .write(move |c| {
                let Some(p) = store::products::get(c, product_id)? else { return Ok(Checked::Missing) };
                if let Some(Err(e)) = discount.map(|d| pricing::check_discount(&p, d)) {
                    return Ok(Checked::Refused(texts::discount_too_big("diskon", &e)));
                }
                Ok(store::products::set_discount(c, product_id, discount)?.map_or(Checked::Missing, Checked::Done))
            })
            .await?;
        let before = match outcome {
            Checked::Done(before) => before,
            Checked::Missing => return self.missing_product(actor, product_id).await,
            Checked::Refused(text) => return self.refuse(actor, &text).await,
        };
        self.say(actor, &texts::discount_changed(product_id, discount)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::ProductChanged)
                .entity("product", product_id)
                .before(json!({"discount": texts::discount_text(before)}))
                .after(json!({"discount": texts::discount_text(discount)})),
        ))
    }

    /// `/discat`: refused when it would make any active product of the category free.
    pub(super) async fn set_category_discount(
        &self,
        actor: &Actor,
        category: String,
        discount: Option<Discount>,
    ) -> Result<Option<Entry>> {
        let name = category.clone();
        let outcome = self
            .db
            .write(move |c| {
                if store::products::category_discount(c, &name)?.is_none() {
                    return Ok(Checked::Missing);
                }
                if let Some(d) = discount {
                    let products = store::products::active_in_category(c, &name)?;
                    if let Err(e) = check_category_discount(&products, d) {
                        return Ok(Checked::Refused(texts::discount_too_big("diskon kategori", &e)));
                    }
                }
                let found = store::products::set_category_discount(c, &name, discount)?;
                Ok(if found { Checked::Done(()) } else { Checked::Missing })
            })
            .await?;
        match outcome {
            Checked::Done(()) => {}
            Checked::Missing => {
                self.say(actor, &texts::category_missing(&category)).await?;
                return Ok(None);
            }
            Checked::Refused(text) => return self.refuse(actor, &text).await,
        }
        self.say(actor, &texts::category_discount_changed(&category, discount)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::CategoryChanged)
                .entity("category", &category)
                .after(json!({"discount": texts::discount_text(discount)})),
        ))
    }

    /// `/priceress`: `None` removes the reseller price; one the price rule forbids is refused.
    pub(super) async fn set_reseller_price(
        &self,
        actor: &Actor,
        product_id: i64,
        price: Option<i64>,
    ) -> Result<Option<Entry>> {
        let outcome = self
            .db
            .write(move |c| {
                let Some(p) = store::products::get(c, product_id)? else { return Ok(Checked::Missing) };
                if let Some(Err(e)) = price.map(|r| pricing::check_reseller_price(&p, r)) {
                    return Ok(Checked::Refused(texts::reseller_price_refused(&e)));
                }
                Ok(store::products::set_reseller_price(c, product_id, price)?.map_or(Checked::Missing, Checked::Done))
            })
            .await?;
        let before = match outcome {
            Checked::Done(before) => before,
            Checked::Missing => return self.missing_product(actor, product_id).await,
            Checked::Refused(text) => return self.refuse(actor, &text).await,
        };
        self.say(actor, &texts::reseller_price_changed(product_id, price)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::ProductChanged)
                .entity("product", product_id)
                .before(json!({"reseller_price": before}))
                .after(json!({"reseller_price": price})),
        ))
    }
}
