//! Payment anomaly checks (SPEC §7): flag, review (delivery waits for an admin) or block.

use serde_json::json;

use super::{ports::Out, Actor, Result, Shop};
use crate::{
    domain::{
        anomaly::{assess, Level},
        audit::{ActorType, AuditAction},
    },
    security::audit::{entry, EntryExt},
    store::{
        self,
        orders::{Order, Review},
        outbox::Message,
    },
    texts,
};

impl Shop {
    /// Runs the rules for a payment of `amount` about to be made. `None`: blocked (the person has
    /// been told); otherwise the level to store on the order.
    pub(crate) async fn assess_payment(&self, actor: &Actor, amount: i64, deposit: bool) -> Result<Option<Level>> {
        let user = actor.user.id;
        let history = self.db.lookup(move |c| store::orders::payment_history(c, user, amount, deposit)).await?;
        let (level, rules) = assess(&history);
        if level == Level::None {
            return Ok(Some(level));
        }
        crate::metrics::global().inc("quickcart_payment_anomalies_total", &[("level", level.as_str())]);
        tracing::warn!(event = "payment_anomaly", user, amount, level = level.as_str(), rules = ?rules, "payment anomaly");
        let detail = json!({"level": level.as_str(), "rules": rules, "amount": amount});
        let anomaly = entry(Some(user), ActorType::System, AuditAction::PaymentAnomaly).entity("user", user);
        self.db.security_event(anomaly.meta(detail)).await?;
        let notice = texts::admin_anomaly(user, amount, level.as_str(), &rules.join(", "));
        for chat in self.notice_recipients().await? {
            if let Err(e) = self.tg.send(chat, Out::text(notice.clone())).await {
                tracing::info!(chat, error = %e, "anomaly notice not delivered");
            }
        }
        if level == Level::Block {
            self.say(actor, texts::PAYMENT_BLOCKED).await?;
            return Ok(None);
        }
        Ok(Some(level))
    }

    /// The messages of a paid order or deposit held for review: the customer waits, the admins
    /// decide.
    pub(crate) fn held_messages(order: &Order, admins: &[i64]) -> Vec<Message> {
        use crate::{
            domain::{callback::Callback, order::Kind},
            store::outbox::{Payload, StoredButton},
        };
        let mut out = Vec::new();
        if let (Some(chat), Some(message_id)) = (order.chat_id, order.message_id) {
            out.push(Message::new(chat, Payload::Delete { message_id }));
        }
        let button = |text: &str, cb: Callback| StoredButton { text: text.into(), data: Some(cb.encode()), url: None };
        let buttons = vec![vec![
            button(texts::BTN_APPROVE, Callback::ReviewApprove(order.id)),
            button(texts::BTN_REJECT, Callback::ReviewReject(order.id)),
        ]];
        let (user_text, admin_text) = match order.kind {
            Kind::Deposit => (
                texts::deposit_held_for_review(&order.invoice_id),
                texts::admin_review_deposit(&order.invoice_id, order.user_id, order.total),
            ),
            Kind::Order => {
                let (name, qty) = order.items.first().map_or(("-", 0), |l| (l.product_name.as_str(), l.quantity));
                (
                    texts::held_for_review(&order.invoice_id),
                    texts::admin_review(&order.invoice_id, order.user_id, name, qty, order.total),
                )
            }
        };
        out.push(Message::text(order.user_id, user_text));
        out.extend(
            admins
                .iter()
                .map(|a| Message::new(*a, Payload::Text { text: admin_text.clone(), buttons: buttons.clone() })),
        );
        out
    }

    /// `[Setujui]` / `[Tolak]` on a held order or deposit (admins only). Audited before anything
    /// changes: if the audit log cannot be written, nothing is decided.
    pub(crate) async fn decide_review(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        order_id: i64,
        approve: bool,
    ) -> Result<Option<String>> {
        use crate::domain::order::{Kind, Status};
        let admin = actor.user.id;
        let Some(order) = self
            .db
            .lookup(move |c| store::orders::get(c, order_id))
            .await?
            .filter(|o| o.held && o.status == Status::Paid)
        else {
            return Ok(Some(texts::REFUND_ALREADY_DECIDED.into()));
        };
        let action = match (approve, order.kind) {
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
            .write(move |c| {
                store::orders::decide_review(c, order_id, admin, approve, &|o, items| match (approve, o.kind) {
                    (true, _) => Self::paid_messages(o, items, &[]),
                    (false, Kind::Order) => {
                        vec![Message::text(o.user_id, texts::review_rejected_user(&o.invoice_id, o.total))]
                    }
                    (false, Kind::Deposit) => {
                        vec![Message::text(o.user_id, texts::deposit_review_rejected_user(&o.invoice_id, o.total))]
                    }
                })
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
