//! Confirming payments (webhook, poller, on-demand), expiring and cancelling orders, and the
//! messages each of those queues. The rules of SPEC §4 live here; the store applies them in one
//! transaction each.

use std::time::Duration;

use super::{Result, Shop};
use crate::domain::audit::{ActorType, AuditAction};
use crate::security::audit::{entry, EntryExt};
use crate::{
    domain::{
        callback::Callback,
        order::{Event, Kind},
    },
    pakasir::{PakasirError, TxStatus, WebhookBody},
    store::{
        self,
        orders::{Order, Paid},
        outbox::{Message, Payload, StoredButton},
    },
    texts,
};

/// A delivery longer than this goes out as a `.txt` document (Telegram allows 4096 characters).
const MAX_INLINE_DELIVERY: usize = 3500;

/// Why a payment notice was not acted on (the `webhook_rejected` reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    UnknownOrder,
    NoTransaction,
    TxnMismatch,
    AmountMismatch,
    Sandbox,
    NotCompleted,
    StatusMismatch,
}

impl Rejection {
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::UnknownOrder => "unknown_order",
            Rejection::NoTransaction => "no_transaction",
            Rejection::TxnMismatch => "txn_id_mismatch",
            Rejection::AmountMismatch => "amount_mismatch",
            Rejection::Sandbox => "sandbox_not_allowed",
            Rejection::NotCompleted => "not_completed",
            Rejection::StatusMismatch => "status_mismatch",
        }
    }
}

/// What came of a payment notice.
#[derive(Debug)]
pub enum Verdict {
    Applied(Box<Paid>),
    Rejected(Rejection),
    /// Pakasir could not be asked: the notice must come again (503).
    Unavailable,
}

/// What Pakasir says of an order's payment, after acting on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// Completed: applied now (delivered, or credited when the order was closed) or before.
    Applied,
    /// Not paid, and still payable at Pakasir.
    Open,
    /// Canceled or expired at Pakasir: it can no longer be paid.
    Closed,
    /// Pakasir could not be asked (down, rate-guarded): nothing may be concluded.
    Unknown,
}

fn button(text: &str, cb: Callback) -> StoredButton {
    StoredButton { text: text.to_string(), data: Some(cb.encode()), url: None }
}

impl Shop {
    /// Admins (role and `ADMIN_IDS`) and whitelisted groups: who gets shop notices.
    pub(crate) async fn notice_recipients(&self) -> Result<Vec<i64>> {
        let mut ids = self
            .db
            .call(|c| {
                let mut ids = store::users::admin_ids(c)?;
                ids.extend(store::groups::all(c)?);
                Ok(ids)
            })
            .await?;
        ids.extend(self.config.admin_ids.iter().copied());
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The messages a paid order or deposit sends: the delivery and the admin notices.
    pub(crate) fn paid_messages(order: &Order, items: &[String], admins: &[i64]) -> Vec<Message> {
        if order.held {
            return Self::held_messages(order, admins);
        }
        let mut out = Vec::new();
        if let (Some(chat), Some(message_id)) = (order.chat_id, order.message_id) {
            out.push(Message::new(chat, Payload::Delete { message_id }));
        }
        match order.kind {
            Kind::Deposit => {
                out.push(Message::text(order.user_id, texts::deposit_done(&order.invoice_id, order.total)));
                out.extend(
                    admins.iter().map(|a| {
                        Message::text(*a, texts::admin_deposit(&order.invoice_id, order.user_id, order.total))
                    }),
                );
            }
            Kind::Order => {
                let (name, qty) = order.items.first().map_or(("-", 0), |l| (l.product_name.as_str(), l.quantity));
                let head = texts::delivery(&order.invoice_id, name, qty, order.total);
                let inline = format!("{head}{}", texts::delivery_items(items));
                if inline.chars().count() <= MAX_INLINE_DELIVERY {
                    out.push(Message::delivery(order.user_id, Payload::Text { text: inline, buttons: Vec::new() }));
                } else {
                    out.push(Message::delivery(
                        order.user_id,
                        Payload::Document {
                            file_name: format!("{}.txt", order.invoice_id),
                            content: texts::delivery_file(&order.invoice_id, name, items),
                            caption: format!("{head}{}", texts::DELIVERY_FILE_NOTE),
                        },
                    ));
                }
                let notice = texts::admin_new_order(
                    &order.invoice_id,
                    order.user_id,
                    name,
                    qty,
                    order.total,
                    order.method.as_str(),
                );
                out.extend(admins.iter().map(|a| Message::text(*a, notice.clone())));
            }
        }
        out
    }

    fn late_messages(order: &Order, admins: &[i64]) -> Vec<Message> {
        let mut out = vec![Message::text(order.user_id, texts::late_payment_user(&order.invoice_id, order.total))];
        out.extend(
            admins
                .iter()
                .map(|a| Message::text(*a, texts::late_payment_admin(&order.invoice_id, order.user_id, order.total))),
        );
        out
    }

    /// The messages an expired or cancelled order sends: the QR goes, a notice comes.
    fn closed_messages(order: &Order, event: Event) -> Vec<Message> {
        let mut out = Vec::new();
        if let (Some(chat), Some(message_id)) = (order.chat_id, order.message_id) {
            out.push(Message::new(chat, Payload::Delete { message_id }));
        }
        let chat = order.chat_id.unwrap_or(order.user_id);
        out.push(match event {
            Event::Timer => Message::new(
                chat,
                Payload::Text {
                    text: texts::expired_notice(&order.invoice_id),
                    buttons: vec![vec![button(texts::BTN_BACK, Callback::Home)]],
                },
            ),
            _ => Message::text(chat, texts::cancelled_notice(&order.invoice_id)),
        });
        out
    }

    /// Applies a confirmed payment to an order. Idempotent. Audited first: no payment is applied
    /// unaudited.
    pub(crate) async fn apply_payment(&self, order_id: i64) -> Result<Option<Paid>> {
        self.audit(entry(None, ActorType::Pakasir, AuditAction::PaymentConfirmed).entity("order", order_id)).await?;
        let admins = self.notice_recipients().await?;
        let paid = self
            .db
            .write(move |c| {
                store::orders::confirm_payment(
                    c,
                    order_id,
                    &|o, items| Self::paid_messages(o, items, &admins),
                    &|o, _| Self::late_messages(o, &admins),
                )
            })
            .await?;
        match &paid {
            Some(Paid::Delivered(o)) => {
                tracing::info!(event = "order_paid", order = o.id, invoice = %o.invoice_id, "payment applied");
                self.audit_order(o, AuditAction::OrderPaid, ActorType::Pakasir).await;
            }
            Some(Paid::LateCredited(o)) => {
                tracing::warn!(event = "late_payment", order = o.id, invoice = %o.invoice_id, "late payment credited");
                self.audit_order(o, AuditAction::BalanceChanged, ActorType::Pakasir).await;
            }
            _ => {}
        }
        self.outbox_wake.notify_one();
        Ok(paid)
    }

    /// Expires (timer) or cancels (user) a pending order. `None` if it was not pending or not
    /// the user's.
    pub(crate) async fn close_order(&self, order_id: i64, event: Event, by_user: Option<i64>) -> Result<Option<Order>> {
        let closed = self
            .db
            .write(move |c| store::orders::close(c, order_id, event, by_user, &|o, _| Self::closed_messages(o, event)))
            .await?;
        if let Some(o) = &closed {
            tracing::info!(event = "order_closed", order = o.id, status = o.status.as_str(), "order closed");
            let (action, actor) = if event == Event::Timer {
                (AuditAction::OrderExpired, ActorType::System)
            } else {
                (AuditAction::OrderCancelled, ActorType::User)
            };
            self.audit_order(o, action, actor).await;
            self.outbox_wake.notify_one();
        }
        Ok(closed)
    }

    /// Checks a Pakasir status answer against the stored order (SPEC §4) and applies it.
    pub(crate) async fn apply_status(&self, order: &Order, status: &TxStatus) -> Result<Verdict> {
        let Some(txn) = order.txn_id.as_deref() else { return Ok(Verdict::Rejected(Rejection::NoTransaction)) };
        let rejection = if status.txn_id != txn || status.order_id != order.invoice_id {
            Some(Rejection::StatusMismatch)
        } else if status.amount != order.total {
            Some(Rejection::AmountMismatch)
        } else if status.is_sandbox && !self.sandbox_allowed() {
            Some(Rejection::Sandbox)
        } else if !status.completed() {
            Some(Rejection::NotCompleted)
        } else {
            None
        };
        if let Some(r) = rejection {
            return Ok(Verdict::Rejected(r));
        }
        Ok(match self.apply_payment(order.id).await? {
            Some(paid) => Verdict::Applied(Box::new(paid)),
            None => Verdict::Rejected(Rejection::UnknownOrder),
        })
    }

    /// Asks Pakasir about an order's transaction (within its 4 s limit) and applies a completed
    /// payment: delivered when the order is pending, credited as a late payment when it closed.
    pub(crate) async fn check_payment(&self, order: &Order) -> Result<Settled> {
        let status = match self.query_status(order).await {
            Ok(Some(status)) => status,
            Ok(None) | Err(_) => return Ok(Settled::Unknown),
        };
        Ok(match self.apply_status(order, &status).await? {
            Verdict::Applied(_) => Settled::Applied,
            Verdict::Unavailable => Settled::Unknown,
            Verdict::Rejected(_) if status.closed() => Settled::Closed,
            Verdict::Rejected(r) => {
                if r != Rejection::NotCompleted {
                    tracing::warn!(order = order.id, reason = r.reason(), "pakasir status does not match the order");
                }
                Settled::Open
            }
        })
    }

    /// Audits a state change that already committed (its absence is logged, not fatal).
    pub(crate) async fn audit_order(&self, o: &Order, action: AuditAction, actor_type: ActorType) {
        let actor = if actor_type == ActorType::User { Some(o.user_id) } else { None };
        let e = entry(actor, actor_type, action)
            .entity("order", o.id)
            .after(serde_json::json!({"status": o.status.as_str(), "kind": o.kind.as_str(), "total": o.total, "user": o.user_id}))
            .meta(serde_json::json!({"invoice": o.invoice_id}));
        if let Err(e) = self.db.append_audit(e).await {
            tracing::error!(error = %e, order = o.id, "audit: order event not recorded");
        }
    }

    fn sandbox_allowed(&self) -> bool {
        self.config.pakasir.as_ref().is_some_and(|p| p.sandbox)
    }

    /// Asks Pakasir about an order, at most once per 4 s per transaction (Pakasir's limit).
    /// Within the window the answer the last ask got stands in (the shop's own checks: expiry,
    /// cancel, reconciliation); `Ok(None)` when that ask has no answer (yet).
    pub(crate) async fn query_status(&self, order: &Order) -> std::result::Result<Option<TxStatus>, PakasirError> {
        self.ask_status(order, true).await
    }

    /// Like [`Shop::query_status`], but `Ok(None)` whenever Pakasir was asked in the last 4 s:
    /// for a customer pressing `[Status Pembayaran]`, who should hear "wait", not a stale "not
    /// paid yet" seconds after paying.
    pub(crate) async fn fresh_status(&self, order: &Order) -> std::result::Result<Option<TxStatus>, PakasirError> {
        self.ask_status(order, false).await
    }

    async fn ask_status(&self, order: &Order, cached: bool) -> std::result::Result<Option<TxStatus>, PakasirError> {
        let (Some(pay), Some(txn)) = (&self.pay, order.txn_id.as_deref()) else {
            return Err(PakasirError::Invalid);
        };
        let mut first = false;
        let known = self.status_guard.get_with(order.id, || {
            first = true;
            None
        });
        if !first {
            return Ok(known.filter(|_| cached));
        }
        let status = pay.status(txn).await?;
        self.status_guard.insert(order.id, Some(status.clone()));
        Ok(Some(status))
    }

    /// The webhook use case: the body is a hint; the status endpoint decides.
    pub async fn pakasir_webhook(&self, body: WebhookBody) -> Result<Verdict> {
        let invoice = body.order_id.clone();
        let verdict = self.webhook_verdict(body).await?;
        match &verdict {
            Verdict::Rejected(r) => {
                let reason = r.reason();
                tracing::warn!(event = "webhook_rejected", reason, invoice = %invoice, "pakasir webhook rejected");
                let detail =
                    serde_json::json!({"reason": reason, "order_id": invoice.chars().take(40).collect::<String>()});
                let rejected =
                    entry(None, ActorType::Pakasir, AuditAction::WebhookRejected).entity("webhook", "pakasir");
                self.db.security_event(rejected.meta(detail)).await?;
            }
            Verdict::Unavailable => {
                tracing::warn!(event = "webhook_deferred", invoice = %invoice, "pakasir status unavailable")
            }
            Verdict::Applied(_) => {
                tracing::info!(event = "webhook_received", invoice = %invoice, "pakasir webhook applied")
            }
        }
        Ok(verdict)
    }

    async fn webhook_verdict(&self, body: WebhookBody) -> Result<Verdict> {
        let invoice = body.order_id.clone();
        let order = if crate::domain::order::is_invoice_id(&invoice) {
            self.db.lookup(move |c| store::orders::by_invoice(c, &invoice)).await?
        } else {
            None
        };
        let Some(order) = order else { return Ok(Verdict::Rejected(Rejection::UnknownOrder)) };
        let Some(txn) = order.txn_id.clone() else { return Ok(Verdict::Rejected(Rejection::NoTransaction)) };
        if body.txn_id != txn {
            return Ok(Verdict::Rejected(Rejection::TxnMismatch));
        }
        if body.amount != order.total {
            return Ok(Verdict::Rejected(Rejection::AmountMismatch));
        }
        if body.is_sandbox && !self.sandbox_allowed() {
            return Ok(Verdict::Rejected(Rejection::Sandbox));
        }
        if matches!(order.status, crate::domain::order::Status::Paid | crate::domain::order::Status::Refunded) {
            // A replay of a payment already applied: nothing to ask Pakasir, nothing changes.
            return Ok(Verdict::Applied(Box::new(Paid::AlreadyPaid(order))));
        }
        let Some(pay) = &self.pay else { return Ok(Verdict::Unavailable) };
        // The webhook must answer now, so it waits out Pakasir's 4 s limit instead of skipping.
        // Whoever used the window (the poller, a status button, a copy of this webhook) applies
        // the payment it saw, so look at the order every 100 ms and stop waiting once it is paid.
        let mut order = order;
        for attempt in 0..3 {
            if attempt > 0 {
                for _ in 0..40 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let id = order.id;
                    match self.db.lookup(move |c| store::orders::get(c, id)).await? {
                        Some(o)
                            if matches!(
                                o.status,
                                crate::domain::order::Status::Paid | crate::domain::order::Status::Refunded
                            ) =>
                        {
                            return Ok(Verdict::Applied(Box::new(Paid::AlreadyPaid(o))));
                        }
                        Some(o) => order = o,
                        None => return Ok(Verdict::Rejected(Rejection::UnknownOrder)),
                    }
                }
            }
            match pay.status(&txn).await {
                Ok(status) => {
                    self.status_guard.insert(order.id, Some(status.clone()));
                    return self.apply_status(&order, &status).await;
                }
                Err(PakasirError::RateLimited) => continue,
                Err(_) => return Ok(Verdict::Unavailable),
            }
        }
        Ok(Verdict::Unavailable)
    }
}
