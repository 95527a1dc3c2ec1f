//! `/tier` (issue 18 point 5): a product's quantity tiers (bulk prices), shown, cleared or set.
//! A new list must pass the shape rules (`domain::tiers::validate`) and the price rule
//! (`domain::pricing::check_tiers`), checked and written in one writer job; every change is
//! audited with the tiers before and after.

use serde_json::json;

use crate::security::audit::EntryExt;

use super::commands::admin_entry;
use crate::shop::{Actor, Result, Shop};
use crate::{
    domain::{
        audit::AuditAction,
        pricing,
        tiers::{self, Tier, TierChange},
    },
    store::{self, audit::Entry},
    texts,
};

enum Outcome {
    Done { before: Vec<Tier>, after: Vec<Tier> },
    Shown(Vec<Tier>),
    Missing,
    Refused(String),
}

impl Shop {
    /// `/tier id`, `/tier id|-`, `/tier id|5=10,10=15`.
    pub(super) async fn set_tiers(&self, actor: &Actor, product_id: i64, change: TierChange) -> Result<Option<Entry>> {
        let outcome = self
            .db
            .write(move |c| {
                let Some(p) = store::products::get(c, product_id)? else { return Ok(Outcome::Missing) };
                let after = match change {
                    TierChange::Show => return Ok(Outcome::Shown(p.tiers)),
                    TierChange::Clear => Vec::new(),
                    TierChange::Set(list) => {
                        if let Err(e) = tiers::validate(&list) {
                            return Ok(Outcome::Refused(texts::tiers::refused(&e)));
                        }
                        if let Err(e) = pricing::check_tiers(&p, &list) {
                            return Ok(Outcome::Refused(texts::tiers::too_cheap(&e)));
                        }
                        list
                    }
                };
                Ok(match store::products::set_tiers(c, product_id, &after)? {
                    Some(before) => Outcome::Done { before, after },
                    None => Outcome::Missing,
                })
            })
            .await?;
        let (before, after) = match outcome {
            Outcome::Done { before, after } => (before, after),
            Outcome::Shown(list) => {
                self.say(actor, &texts::tiers::shown(product_id, &list)).await?;
                return Ok(None);
            }
            Outcome::Missing => return self.missing_product(actor, product_id).await,
            Outcome::Refused(text) => return self.refuse(actor, &text).await,
        };
        self.say(actor, &texts::tiers::changed(product_id, &after)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::ProductChanged)
                .entity("product", product_id)
                .before(json!({"tiers": tiers::column_text(&before)}))
                .after(json!({"tiers": tiers::column_text(&after)})),
        ))
    }
}
