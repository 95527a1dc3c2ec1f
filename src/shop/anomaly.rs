//! Payment anomaly checks (SPEC §7): flag, review (delivery waits for an admin) or block.

use serde_json::json;

use super::{ports::Out, Actor, Result, Shop};
use crate::{
    domain::{
        anomaly::{assess, Level},
        audit::{ActorType, AuditAction},
    },
    security::audit::{entry, EntryExt},
    store::{self, orders::Order, outbox::Message},
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
        self.notify_admins(Out::text(notice), "anomaly").await?;
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
            shop::ports::Button,
            store::outbox::Payload,
        };
        let mut out: Vec<Message> = Self::invoice_removal(order).into_iter().collect();
        let buttons = vec![vec![
            Button::cb(texts::BTN_APPROVE, Callback::ReviewApprove(order.id)),
            Button::cb(texts::BTN_REJECT, Callback::ReviewReject(order.id)),
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
}
