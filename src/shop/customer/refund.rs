//! The refund calculator and claims (SPEC §2): `/refund INVOICE` (alias `/reff`) for the user's
//! own paid orders; `[Ajukan Refund]` goes to the admins; `[Setujui]` credits the balance.

use serde_json::json;

use crate::shop::{
    ports::{Button, Out},
    Actor, Result, Shop,
};
use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        callback::Callback,
        campaign::Formula,
        order::{is_invoice_id, Kind, Status},
    },
    security::audit::{entry, EntryExt},
    store::{self, orders::Order, refunds::Requested},
    texts,
};

impl Shop {
    pub(in crate::shop) async fn refund_calculator(&self, actor: &Actor, args: &str) -> Result<()> {
        let invoice = args.trim().to_ascii_uppercase();
        if invoice.is_empty() {
            return self.say(actor, texts::REFUND_USAGE).await;
        }
        let order = if is_invoice_id(&invoice) {
            self.db.lookup(move |c| store::orders::by_invoice(c, &invoice)).await?
        } else {
            None
        };
        // Someone else's invoice gets the same answer as an unknown one.
        let Some(order) = order.filter(|o| o.user_id == actor.user.id) else {
            return self.say(actor, texts::INVOICE_NOT_FOUND).await;
        };
        if order.kind == Kind::Deposit {
            return self.say(actor, &texts::deposit_not_refundable(&order.invoice_id)).await;
        }
        match order.status {
            Status::Paid => {}
            Status::Refunded => return self.say(actor, texts::ALREADY_REFUNDED).await,
            _ => return self.say(actor, texts::REFUND_ONLY_PAID).await,
        }
        let (formula, claims, days_used, amount) = self.refund_quote(&order, order.total).await?;
        let text = texts::refund_calculation(&order.invoice_id, order.total, days_used, &formula, claims, amount);
        let rows = vec![vec![Button::cb(texts::BTN_REQUEST_REFUND, Callback::RefundRequest(order.id))]];
        self.tg.send(actor.chat, Out::inline(text, rows)).await?;
        Ok(())
    }

    /// The current formula applied to `price` paid in `order` (the whole total for `/refund`, one
    /// item's share for a warranty refund): (formula, earlier claims, days used, refund).
    pub(in crate::shop) async fn refund_quote(&self, order: &Order, price: i64) -> Result<(Formula, i64, i64, i64)> {
        let user = order.user_id;
        let (formula, claims) = self
            .db
            .call(move |c| {
                let claims = store::users::get(c, user)?.map_or(0, |u| u.refund_claims);
                Ok((store::settings::refund_formula(c)?, claims))
            })
            .await?;
        if order.held {
            // Never delivered (held for review): the whole amount comes back.
            return Ok((formula, claims, 0, price));
        }
        let days_used = ((store::now() - order.paid_at.unwrap_or(order.created_at)) / 86_400).max(0);
        Ok((formula, claims, days_used, formula.refund(price, days_used, claims)))
    }

    /// `[Ajukan Refund]`: records the claim and asks the admins.
    pub(in crate::shop) async fn request_refund(&self, actor: &Actor, order_id: i64) -> Result<Option<String>> {
        let order = self.db.lookup(move |c| store::orders::get(c, order_id)).await?;
        // Only the requester's own paid product orders: a forged button for a deposit (or for
        // someone else's order) looks like an unknown invoice.
        let Some(order) =
            order.filter(|o| o.user_id == actor.user.id && o.status == Status::Paid && o.kind == Kind::Order)
        else {
            return Ok(Some(texts::INVOICE_NOT_FOUND.into()));
        };
        let user = actor.user.id;
        let (_, _, days_used, amount) = self.refund_quote(&order, order.total).await?;
        let (oid, uid) = (order.id, order.user_id);
        let requested = self.db.write(move |c| store::refunds::request(c, oid, uid, days_used, amount)).await?;
        let Requested::Created(claim) = requested else { return Ok(Some(texts::REFUND_ALREADY_REQUESTED.into())) };
        self.audit(
            entry(Some(user), ActorType::User, AuditAction::RefundRequested)
                .entity("refund_claim", claim)
                .meta(json!({"order": order.id, "amount": amount})),
        )
        .await?;
        let rows = vec![vec![
            Button::cb(texts::BTN_APPROVE, Callback::RefundApprove(claim)),
            Button::cb(texts::BTN_REJECT, Callback::RefundReject(claim)),
        ]];
        let (name, qty) = order.items.first().map_or(("-", 0), |l| (l.product_name.as_str(), l.quantity));
        let notice = texts::refund_request_admin(&order.invoice_id, user, name, qty, order.total, days_used, amount);
        self.notify_admins(Out::inline(notice, rows), "refund request").await?;
        self.say(actor, texts::REFUND_REQUESTED).await?;
        Ok(None)
    }
}
