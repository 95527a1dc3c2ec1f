//! Payment anomaly checks (SPEC §7): flag, review (delivery waits for an admin) or block.

use serde_json::json;

use super::{ports::Out, Actor, Result, Shop};
use crate::{
    domain::anomaly::{assess, Level},
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
    pub(crate) async fn assess_payment(&self, actor: &Actor, amount: i64) -> Result<Option<Level>> {
        let user = actor.user.id;
        let history = self.db.lookup(move |c| store::orders::payment_history(c, user, amount)).await?;
        let (level, rules) = assess(&history);
        if level == Level::None {
            return Ok(Some(level));
        }
        crate::metrics::global().inc("quickcart_payment_anomalies_total", &[("level", level.as_str())]);
        tracing::warn!(event = "payment_anomaly", user, amount, level = level.as_str(), rules = ?rules, "payment anomaly");
        let detail = json!({"level": level.as_str(), "rules": rules, "amount": amount});
        let (d1, d2) = (detail.clone(), detail);
        self.db.write(move |c| store::security::record(c, Some(user), "payment_anomaly", &d1)).await?;
        self.audit(entry(Some(user), "system", "payment_anomaly").entity("user", user).meta(d2)).await?;
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

    /// The messages of a paid order held for review: the customer waits, the admins decide.
    pub(crate) fn held_messages(order: &Order, admins: &[i64]) -> Vec<Message> {
        use crate::{
            domain::callback::Callback,
            store::outbox::{Payload, StoredButton},
        };
        let mut out = Vec::new();
        if let (Some(chat), Some(message_id)) = (order.chat_id, order.message_id) {
            out.push(Message { chat_id: chat, payload: Payload::Delete { message_id } });
        }
        out.push(Message::text(order.user_id, texts::held_for_review(&order.invoice_id)));
        let buttons = vec![vec![
            StoredButton {
                text: texts::BTN_APPROVE.into(),
                data: Some(Callback::ReviewApprove(order.id).encode()),
                url: None,
            },
            StoredButton {
                text: texts::BTN_REJECT.into(),
                data: Some(Callback::ReviewReject(order.id).encode()),
                url: None,
            },
        ]];
        let (name, qty) = order.items.first().map_or(("-", 0), |l| (l.product_name.as_str(), l.quantity));
        let text = texts::admin_review(&order.invoice_id, order.user_id, name, qty, order.total);
        out.extend(
            admins.iter().map(|a| Message {
                chat_id: *a,
                payload: Payload::Text { text: text.clone(), buttons: buttons.clone() },
            }),
        );
        out
    }

    /// `[Setujui]` / `[Tolak]` on a held order (admins only).
    pub(crate) async fn decide_review(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        order_id: i64,
        approve: bool,
    ) -> Result<Option<String>> {
        let admin = actor.user.id;
        let decided = self
            .db
            .write(move |c| {
                store::orders::decide_review(c, order_id, admin, approve, &|o, items| {
                    if approve {
                        Self::paid_messages(o, items, &[])
                    } else {
                        vec![Message::text(o.user_id, texts::review_rejected_user(&o.invoice_id, o.total))]
                    }
                })
            })
            .await?;
        let (notice, action) = match decided {
            Review::Released(_) => (texts::REVIEW_APPROVED, "order_review_approved"),
            Review::Refunded(_) => (texts::REVIEW_REJECTED, "order_refunded"),
            Review::NotHeld => return Ok(Some(texts::REFUND_ALREADY_DECIDED.into())),
        };
        self.audit(entry(Some(admin), "admin", action).entity("order", order_id)).await?;
        self.outbox_wake.notify_one();
        if let Some(m) = message_id {
            let _ = self.tg.edit(actor.chat, m, Out::text(notice)).await;
        }
        Ok(Some(notice.into()))
    }
}
