//! Telegram Stars for admins (issue 18 point 7): `/stars` (on, off, rate), `/setstars` (a
//! product's own Stars price) and `/refundstars` (returns a Stars order's payment with
//! `refundStarPayment`; marked refunded only when Telegram said true).

use serde_json::json;

use super::commands::admin_entry;
use crate::{
    domain::{audit::AuditAction, order::Status, stars::StarsCommand},
    security::audit::EntryExt,
    shop::{Actor, Result, Shop},
    store::{self, audit::Entry},
    texts::stars as t,
};

impl Shop {
    pub(super) async fn stars_setting(&self, actor: &Actor, cmd: StarsCommand) -> Result<Option<Entry>> {
        let (before, after) = self
            .db
            .write(move |c| {
                let before = store::stars::setting(c)?;
                let mut after = before;
                match cmd {
                    StarsCommand::Show => return Ok((before, None)),
                    StarsCommand::On => after.enabled = true,
                    StarsCommand::Off => after.enabled = false,
                    StarsCommand::Rate(r) => after.rate = (r > 0).then_some(r),
                }
                store::stars::set_setting(c, &after)?;
                Ok((before, Some(after)))
            })
            .await?;
        let shown = after.unwrap_or(before);
        self.say(actor, &t::setting(shown.enabled, shown.rate)).await?;
        Ok(after.map(|a| {
            admin_entry(actor, AuditAction::StarsSettingChanged)
                .entity("setting", "stars")
                .before(json!({"enabled": before.enabled, "rate": before.rate}))
                .after(json!({"enabled": a.enabled, "rate": a.rate}))
        }))
    }

    pub(super) async fn set_product_stars(
        &self,
        actor: &Actor,
        product_id: i64,
        stars: Option<i64>,
    ) -> Result<Option<Entry>> {
        let done = self
            .db
            .write(move |c| {
                let before = store::stars::product_price(c, product_id)?;
                Ok(store::stars::set_product_price(c, product_id, stars)?.then_some(before))
            })
            .await?;
        let Some(before) = done else { return self.missing_product(actor, product_id).await };
        self.say(actor, &t::product_stars_set(product_id, stars)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::ProductChanged)
                .entity("product", product_id)
                .before(json!({"stars_price": before}))
                .after(json!({"stars_price": stars})),
        ))
    }

    /// `[Setujui]` on a refund claim of a Stars order: the Stars go back with
    /// refundStarPayment; only Telegram's true closes the claim (no rupiah is credited). A
    /// failure leaves the claim open, to press again.
    pub(in crate::shop) async fn approve_stars_claim(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        claim: &store::refunds::Claim,
        paid: store::stars::StarsPayment,
    ) -> Result<Option<String>> {
        let order_id = claim.order_id;
        let Some(order) = self.db.lookup(move |c| store::orders::get(c, order_id)).await? else {
            return Ok(Some(crate::texts::INVOICE_NOT_FOUND.into()));
        };
        let charge = paid.charge_id.clone().filter(|_| order.status == Status::Paid && order.user_id == claim.user_id);
        let Some(charge) = charge else { return Ok(Some(crate::texts::REFUND_NOT_REFUNDABLE.into())) };
        let admin = actor.user.id;
        let done = self
            .refund_stars_payment(order.user_id, &order.invoice_id, order.id, &charge, paid.stars, Some(admin))
            .await?;
        let notice = if done {
            let claim_id = claim.id;
            self.db.transact(move |tx| store::stars::approve_claim(tx, claim_id, admin)).await?;
            t::refunded_admin(&order.invoice_id, paid.stars)
        } else {
            t::refund_failed_admin(&order.invoice_id)
        };
        if let Some(m) = message_id.filter(|_| done) {
            let _ = self.tg.edit(actor.chat, m, crate::shop::ports::Out::text(notice.clone())).await;
        }
        Ok(Some(notice))
    }

    /// `/refundstars INVOICE`: a paid Stars order's Stars go back (audited in
    /// [`Shop::refund_stars_payment`]); a Telegram failure leaves it paid, to try again.
    pub(super) async fn refund_stars_order(&self, actor: &Actor, invoice: String) -> Result<Option<Entry>> {
        let inv = invoice.clone();
        let found = self
            .db
            .lookup(move |c| {
                let Some(o) = store::orders::by_invoice(c, &inv)? else { return Ok(None) };
                let Some(p) = store::stars::payment(c, o.id)? else { return Ok(None) };
                Ok(Some((o.clone(), p, store::stars::refundable_charge(c, o.id)?)))
            })
            .await?;
        let Some((order, paid, refundable)) = found else {
            return self.refuse(actor, &t::not_a_stars_order(&invoice)).await;
        };
        if paid.refunded_at.is_some() || order.status == Status::Refunded {
            return self.refuse(actor, &t::already_refunded(&invoice)).await;
        }
        // A paid order, or a closed one whose late payment could not be delivered (its automatic
        // refund failed).
        let Some((charge, stars)) = refundable else {
            return self.refuse(actor, &t::not_a_stars_order(&invoice)).await;
        };
        let done = self
            .refund_stars_payment(order.user_id, &order.invoice_id, order.id, &charge, stars, Some(actor.user.id))
            .await?;
        let text = if done { t::refunded_admin(&invoice, stars) } else { t::refund_failed_admin(&invoice) };
        self.say(actor, &text).await?;
        Ok(None)
    }
}
