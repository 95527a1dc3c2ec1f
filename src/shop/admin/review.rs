//! An admin's decision on a payment held for review (SPEC §7): release the goods (or credit
//! the deposit), or refund the order to the balance.

use serde_json::json;

use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        ids::{OrderId, Ruling, UserId},
    },
    security::audit::{entry, EntryExt},
    shop::{ports::Out, Actor, Result, Shop},
    store::{self, orders::Review, outbox::Message},
    texts,
};

impl Shop {
    /// `[Setujui]` / `[Tolak]` on a held order or deposit (admins only). Audited before anything
    /// changes: if the audit log cannot be written, nothing is decided.
    pub(in crate::shop) async fn decide_review(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        order: OrderId,
        ruling: Ruling,
    ) -> Result<Option<String>> {
        use crate::domain::order::{Kind, Status};
        let (order_id, admin) = (order.0, actor.user.id);
        let Some(order) = self
            .db
            .lookup(move |c| store::orders::get(c, order_id))
            .await?
            .filter(|o| o.held && o.status == Status::Paid)
        else {
            return Ok(Some(texts::REFUND_ALREADY_DECIDED.into()));
        };
        let action = match (ruling == Ruling::Approve, order.kind) {
            (true, Kind::Order) => AuditAction::OrderReviewApproved,
            (true, Kind::Deposit) => AuditAction::DepositReviewApproved,
            (false, Kind::Order) => AuditAction::OrderRefunded,
            (false, Kind::Deposit) => AuditAction::DepositReviewRejected,
        };
        self.audit(
            entry(Some(admin), ActorType::Admin, action)
                .entity("order", order_id)
                .before(json!({"status": "paid", "held": true}))
                .meta(json!({"kind": order.kind.as_str(), "total": order.total, "user": order.user_id})),
        )
        .await?;
        let decided = self
            .db
            .transact(move |tx| {
                let decided = store::orders::decide_review(tx, OrderId(order_id), UserId(admin), ruling)?;
                let messages = match &decided {
                    Review::Released(o) => Self::paid_messages_in(tx, o, &[])?,
                    Review::Refunded(o) if o.kind == Kind::Order => {
                        vec![Message::text(o.user_id, texts::review_rejected_user(&o.invoice_id, o.total))]
                    }
                    Review::Refunded(o) => {
                        vec![Message::text(o.user_id, texts::deposit_review_rejected_user(&o.invoice_id, o.total))]
                    }
                    Review::NotHeld => Vec::new(),
                };
                store::outbox::enqueue_all(tx, &messages, Some(order_id))?;
                Ok(decided)
            })
            .await?;
        let notice = match decided {
            Review::Released(o) if o.kind == Kind::Deposit => texts::DEPOSIT_REVIEW_APPROVED.to_string(),
            Review::Released(_) => texts::REVIEW_APPROVED.to_string(),
            Review::Refunded(o) if o.kind == Kind::Deposit => texts::deposit_review_rejected_admin(o.user_id, o.total),
            Review::Refunded(_) => texts::REVIEW_REJECTED.to_string(),
            Review::NotHeld => {
                // Another admin decided in between; the entry above records an attempt only.
                tracing::info!(order = order_id, "review decided by someone else first");
                return Ok(Some(texts::REFUND_ALREADY_DECIDED.into()));
            }
        };
        self.outbox_wake.notify_one();
        if let Some(m) = message_id {
            let _ = self.tg.edit(actor.chat, m, Out::text(notice.clone())).await;
        }
        Ok(Some(notice))
    }
}
