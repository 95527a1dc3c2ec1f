//! Warranty claims, the admins' side (issue 18): `/garansi`, and `[Ganti]` (a replacement item
//! through the outbox, or the claim waits for stock), `[Refund]` (the refund calculator's amount
//! to the balance) and `[Tolak]` (with a reason). Each decision is audited before anything
//! changes and is one guarded transition in the store: a double press or two admins act once.

use serde_json::json;

use super::commands::admin_entry;
use crate::shop::{
    ports::{Button, Out},
    session::Flow,
    Actor, Result, Shop,
};
use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        callback::Callback,
    },
    security::audit::{entry, EntryExt},
    store::{
        self,
        audit::Entry,
        outbox::{Message, Payload},
        warranty::{Claim, Decided, Replaced, Status},
    },
    texts::warranty as t,
};

/// The delivery of a replacement item: retried or parked like the goods of an order, never
/// given up; linked to the claimed order.
pub(crate) fn replacement_delivery(claim: &Claim, item: &str) -> Message {
    Message::delivery(
        claim.user_id,
        Payload::Text { text: t::replacement_user(&claim.invoice_id, &claim.product_name, item), buttons: Vec::new() },
    )
}

impl Shop {
    /// `/garansi id|hari`.
    pub(super) async fn set_warranty(&self, actor: &Actor, product_id: i64, days: i64) -> Result<Option<Entry>> {
        let before = self.db.write(move |c| store::warranty::set_days(c, product_id, days)).await?;
        let Some(before) = before else { return self.missing_product(actor, product_id).await };
        self.say(actor, &t::set(product_id, days)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::ProductChanged)
                .entity("product", product_id)
                .before(json!({"warranty_days": before}))
                .after(json!({"warranty_days": days})),
        ))
    }

    /// An open (or waiting) claim, or the "already decided" notice.
    async fn undecided(&self, claim_id: i64) -> Result<std::result::Result<Claim, Option<String>>> {
        let claim = self.db.lookup(move |c| store::warranty::get(c, claim_id)).await?;
        Ok(match claim {
            Some(c) if matches!(c.status, Status::Open | Status::Waiting) => Ok(c),
            _ => Err(Some(t::ALREADY_DECIDED.into())),
        })
    }

    /// Edits the claim notice the button was on, so other admins see it was handled.
    async fn show_outcome(
        &self,
        chat: i64,
        message_id: Option<i64>,
        claim: &Claim,
        outcome: &str,
        rows: Vec<Vec<Button>>,
    ) {
        if let Some(m) = message_id {
            let head = format!("🛡 Klaim garansi #{} · {} · {}", claim.id, claim.invoice_id, claim.product_name);
            let _ =
                self.tg.edit(chat, m, Out::inline(t::decided_admin(&crate::texts::esc(&head), outcome), rows)).await;
        }
    }

    /// `[Ganti]`.
    pub(in crate::shop) async fn warranty_replace(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        claim_id: i64,
    ) -> Result<Option<String>> {
        let open = match self.undecided(claim_id).await? {
            Ok(c) if c.status == Status::Open => c,
            Ok(_) => return Ok(Some(t::waiting_admin(claim_id))),
            Err(notice) => return Ok(notice),
        };
        let admin = actor.user.id;
        self.audit(
            entry(Some(admin), ActorType::Admin, AuditAction::WarrantyReplaced)
                .entity("warranty_claim", claim_id)
                .meta(json!({"order": open.order_id, "product": open.product_id, "user": open.user_id})),
        )
        .await?;
        let replaced = self
            .db
            .transact(move |tx| {
                let r = store::warranty::replace(tx, claim_id, admin)?;
                match &r {
                    Replaced::Done(claim, item) => {
                        store::outbox::enqueue(tx, &replacement_delivery(claim, item), Some(claim.order_id))?;
                    }
                    Replaced::Waiting(claim) => {
                        let m = Message::text(claim.user_id, t::waiting_user(&claim.invoice_id, &claim.product_name));
                        store::outbox::enqueue(tx, &m, Some(claim.order_id))?;
                    }
                    Replaced::AlreadyDecided => {}
                }
                Ok(r)
            })
            .await?;
        let notice = match replaced {
            Replaced::Done(claim, _) => {
                let notice = t::replaced_admin(claim.id);
                self.show_outcome(actor.chat, message_id, &claim, &notice, Vec::new()).await;
                notice
            }
            Replaced::Waiting(claim) => {
                if let Err(e) = self
                    .audit(
                        entry(Some(admin), ActorType::Admin, AuditAction::WarrantyWaiting)
                            .entity("warranty_claim", claim.id)
                            .meta(json!({"product": claim.product_id})),
                    )
                    .await
                {
                    tracing::error!(error = %e, "audit: warranty claim waiting not recorded");
                }
                let notice = t::waiting_admin(claim.id);
                let rows = vec![vec![
                    Button::cb(t::BTN_REFUND, Callback::WarrantyRefund(claim.id)),
                    Button::cb(t::BTN_REJECT, Callback::WarrantyReject(claim.id)),
                ]];
                self.show_outcome(actor.chat, message_id, &claim, &notice, rows).await;
                notice
            }
            // Another admin decided in between; the entry above records an attempt only.
            Replaced::AlreadyDecided => return Ok(Some(t::ALREADY_DECIDED.into())),
        };
        self.outbox_wake.notify_one();
        Ok(Some(notice))
    }

    /// `[Refund]`: the refund calculator's amount for one item (its price paid, days since
    /// delivery, the buyer's earlier claims), credited with a ledger row; a claim is counted.
    pub(in crate::shop) async fn warranty_refund(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        claim_id: i64,
    ) -> Result<Option<String>> {
        let open = match self.undecided(claim_id).await? {
            Ok(c) => c,
            Err(notice) => return Ok(notice),
        };
        // Paid in Stars: a rupiah credit would be money with no rupiah source, and Telegram only
        // refunds a Stars charge whole (`/refundstars`).
        let order = open.order_id;
        if self.db.lookup(move |c| store::stars::payment(c, order)).await?.is_some() {
            return Ok(Some(t::refund_paid_in_stars(&open.invoice_id)));
        }
        let amount = self.warranty_refund_amount(&open).await?;
        let admin = actor.user.id;
        self.audit(
            entry(Some(admin), ActorType::Admin, AuditAction::WarrantyRefunded)
                .entity("warranty_claim", claim_id)
                .after(json!({"status": "refunded", "refund": amount}))
                .meta(json!({"order": open.order_id, "user": open.user_id})),
        )
        .await?;
        let decided = self
            .db
            .transact(move |tx| {
                let d = store::warranty::refund(tx, claim_id, admin, amount)?;
                if let Decided::Done(claim) = &d {
                    let m = Message::text(claim.user_id, t::refunded_user(&claim.invoice_id, amount));
                    store::outbox::enqueue(tx, &m, Some(claim.order_id))?;
                }
                Ok(d)
            })
            .await?;
        let Decided::Done(claim) = decided else { return Ok(Some(t::ALREADY_DECIDED.into())) };
        let notice = t::refunded_admin(claim.id, amount);
        self.show_outcome(actor.chat, message_id, &claim, &notice, Vec::new()).await;
        self.outbox_wake.notify_one();
        Ok(Some(notice))
    }

    /// The refund calculator's amount for one item: its share of what the order paid (the
    /// order's total over its items), with the days and earlier claims `/refund` uses.
    pub(crate) async fn warranty_refund_amount(&self, claim: &Claim) -> Result<i64> {
        let order = claim.order_id;
        let Some(order) = self.db.lookup(move |c| store::orders::get(c, order)).await? else { return Ok(0) };
        let items: i64 = order.items.iter().map(|l| l.quantity).sum::<i64>().max(1);
        Ok(self.refund_quote(&order, order.total / items).await?.3)
    }

    /// `[Tolak]`: asks the admin (in their private chat) for the reason.
    pub(in crate::shop) async fn warranty_reject(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        claim_id: i64,
    ) -> Result<Option<String>> {
        if let Err(notice) = self.undecided(claim_id).await? {
            return Ok(notice);
        }
        self.sessions.set(actor.user.id, Flow::WarrantyReason { claim_id, chat: actor.chat, message_id });
        let private = Actor { user: actor.user.clone(), role: actor.role, chat: actor.user.id, is_new: false };
        self.prompt(&private, &t::ask_reason(claim_id), false).await?;
        Ok(None)
    }

    /// The reason typed after `[Tolak]`: the claim is rejected once and the buyer told why.
    pub(in crate::shop) async fn warranty_reason(
        &self,
        actor: &Actor,
        claim_id: i64,
        chat: i64,
        message_id: Option<i64>,
        text: &str,
    ) -> Result<()> {
        let reason = text.trim().to_string();
        if reason.is_empty() {
            return self.say(actor, t::REASON_EMPTY).await;
        }
        self.sessions.clear(actor.user.id);
        let admin = actor.user.id;
        self.audit(
            entry(Some(admin), ActorType::Admin, AuditAction::WarrantyRejected).entity("warranty_claim", claim_id),
        )
        .await?;
        let decided = self
            .db
            .transact(move |tx| {
                let d = store::warranty::reject(tx, claim_id, admin, &reason)?;
                if let Decided::Done(claim) = &d {
                    let m = Message::text(claim.user_id, t::rejected_user(&claim.invoice_id, &reason));
                    store::outbox::enqueue(tx, &m, Some(claim.order_id))?;
                }
                Ok(d)
            })
            .await?;
        let Decided::Done(claim) = decided else { return self.say(actor, t::ALREADY_DECIDED).await };
        let notice = t::rejected_admin(claim.id);
        self.show_outcome(chat, message_id, &claim, &notice, Vec::new()).await;
        self.outbox_wake.notify_one();
        self.say(actor, &notice).await
    }
}
