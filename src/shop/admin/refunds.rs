//! An admin's decision on a refund claim (SPEC §2): `[Setujui]` credits the balance, `[Tolak]`
//! tells the customer.

use serde_json::json;

use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        ids::{ClaimId, Ruling, UserId},
    },
    security::audit::{entry, EntryExt},
    shop::{ports::Out, Actor, Result, Shop},
    store::{self, outbox::Message, refunds::Decided},
    texts,
};

impl Shop {
    /// `[Setujui]` / `[Tolak]` on a refund request: admins only (the one permission check).
    /// Audited before anything changes: if the audit log cannot be written, nothing is decided.
    pub(in crate::shop) async fn decide_refund(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        claim_id: ClaimId,
        ruling: Ruling,
    ) -> Result<Option<String>> {
        let (claim, admin) = (claim_id.0, actor.user.id);
        let Some(open) =
            self.db.lookup(move |c| store::refunds::get(c, claim)).await?.filter(|c| c.status == "requested")
        else {
            return Ok(Some(texts::REFUND_ALREADY_DECIDED.into()));
        };
        if ruling == Ruling::Approve {
            // A Stars order's refund goes back in Stars (refundStarPayment), never as balance.
            let order_id = open.order_id;
            if let Some(paid) = self.db.lookup(move |c| store::stars::payment(c, order_id)).await? {
                return self.approve_stars_claim(actor, message_id, &open, paid).await;
            }
        }
        let intent = if ruling == Ruling::Approve {
            entry(Some(admin), ActorType::Admin, AuditAction::OrderRefunded)
                .entity("order", open.order_id)
                .after(json!({"status": "refunded", "refund": open.amount, "claim": claim}))
        } else {
            entry(Some(admin), ActorType::Admin, AuditAction::RefundRejected).entity("refund_claim", claim)
        };
        self.audit(intent.meta(json!({"user": open.user_id}))).await?;
        let decided = self
            .db
            .transact(move |tx| {
                let decided = store::refunds::decide(tx, claim_id, UserId(admin), ruling)?;
                if let Decided::Approved(claim, o) = &decided {
                    let notice = Message::text(o.user_id, texts::refund_approved_user(&o.invoice_id, claim.amount));
                    store::outbox::enqueue(tx, &notice, Some(o.id))?;
                }
                Ok(decided)
            })
            .await?;
        let notice = match decided {
            Decided::Approved(claim, _) => texts::refund_approved_admin(claim.amount),
            Decided::Rejected(claim) => {
                let uid = claim.user_id;
                let _ = self.tg.send(uid, Out::text(texts::REFUND_REJECTED_USER)).await;
                texts::REFUND_REJECTED_ADMIN.to_string()
            }
            Decided::NotRefundable(claim) => {
                tracing::warn!(
                    claim = claim.id,
                    order = claim.order_id,
                    "refund claim for a non-refundable order closed"
                );
                texts::REFUND_NOT_REFUNDABLE.to_string()
            }
            // Another admin decided in between; the entry above records an attempt only.
            Decided::AlreadyDecided => return Ok(Some(texts::REFUND_ALREADY_DECIDED.into())),
            Decided::NotFound => return Ok(Some(texts::INVOICE_NOT_FOUND.into())),
        };
        self.outbox_wake.notify_one();
        if let Some(m) = message_id {
            let _ = self.tg.edit(actor.chat, m, Out::text(notice.clone())).await;
        }
        Ok(Some(notice))
    }
}
