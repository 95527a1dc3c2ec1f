//! Confirming payments (webhook, poller, on-demand), expiring and cancelling orders, and the
//! messages each of those queues. The rules of SPEC §4 live here; the store applies them in one
//! transaction each.

use std::time::Duration;

use super::{
    ports::{Button, GatewayError},
    Result, Shop,
};
use crate::domain::audit::{ActorType, AuditAction};
use crate::security::audit::{entry, EntryExt};
use crate::{
    domain::{
        callback::Callback,
        digest::{Tally, TallyKind},
        order::{Event, Kind},
        payment::{self, PaymentReport, PaymentState, Rejection},
    },
    store::{
        self,
        orders::{Order, Paid},
        outbox::{Message, Payload},
        users::User,
    },
    texts,
};

/// A delivery longer than this goes out as a `.txt` document (Telegram allows 4096 characters).
const MAX_INLINE_DELIVERY: usize = 3500;

/// What came of a payment notice.
#[derive(Debug)]
pub enum NoticeOutcome {
    Applied(Box<Paid>),
    Rejected(Rejection),
    /// The gateway could not be asked: the notice must come again (503).
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

impl Shop {
    /// The QR invoice message goes once the order is paid, expired or cancelled.
    pub(crate) fn invoice_removal(order: &Order) -> Option<Message> {
        Some(Message::delete(order.chat_id?, order.message_id?))
    }

    /// The messages a paid order or deposit sends: the delivery and the admin notices.
    /// `buyer` is read in the same transaction (the balance a deposit left).
    /// `stars`: the Stars a Telegram Stars order was paid with (its method in the notice).
    fn paid_messages(
        order: &Order,
        items: &[String],
        buyer: Option<&User>,
        admins: &[i64],
        stars: Option<i64>,
    ) -> Vec<Message> {
        if order.held {
            return Self::held_messages(order, admins);
        }
        let mut out: Vec<Message> = Self::invoice_removal(order).into_iter().collect();
        let who = texts::buyer(order.user_id, buyer);
        match order.kind {
            Kind::Deposit => {
                out.push(Message::text(
                    order.user_id,
                    texts::deposit_done(&order.invoice_id, order.total, buyer.map(|u| u.balance)),
                ));
                let notice = texts::admin_deposit(&order.invoice_id, &who, order.total);
                let tally = Tally {
                    kind: TallyKind::Deposit,
                    amount: order.total,
                    line: texts::admin_deposit_line(&order.invoice_id, order.user_id, order.total),
                };
                out.extend(admins.iter().map(|a| Message::notice(*a, notice.clone(), tally.clone())));
            }
            Kind::Order => {
                let (name, qty) = order.items.first().map_or(("-", 0), |l| (l.product_name.as_str(), l.quantity));
                let paid = texts::Paid {
                    subtotal: order.subtotal,
                    voucher_discount: order.voucher_discount,
                    fee: order.fee,
                    total: order.total,
                };
                let head = texts::delivery(&order.invoice_id, name, qty, paid);
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
                // A bank transfer names its Pakasir method (`bri_va`, …).
                let method = match stars {
                    Some(n) => texts::stars::method(n),
                    None => order.va.as_ref().map_or(order.method.as_str(), |(bank, _)| bank.code()).to_string(),
                };
                let notice = texts::admin_new_order(&order.invoice_id, &who, name, qty, order.total, &method);
                let tally = Tally {
                    kind: TallyKind::Order,
                    amount: order.total,
                    line: texts::admin_order_line(&order.invoice_id, order.user_id, name, qty, order.total),
                };
                out.extend(admins.iter().map(|a| Message::notice(*a, notice.clone(), tally.clone())));
            }
        }
        out
    }

    /// What a paid (or released) order sends, its goods read in the transaction that sold them.
    pub(crate) fn paid_messages_in(
        tx: &rusqlite::Connection,
        order: &Order,
        admins: &[i64],
    ) -> Result<Vec<Message>, store::StoreError> {
        let items = if order.kind == Kind::Order && !order.held {
            store::orders::sold_items(tx, order.id)?
        } else {
            Vec::new()
        };
        let buyer = store::users::get(tx, order.user_id)?;
        let stars = store::stars::payment(tx, order.id)?.map(|p| p.stars);
        Ok(Self::paid_messages(order, &items, buyer.as_ref(), admins, stars))
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
        let mut out: Vec<Message> = Self::invoice_removal(order).into_iter().collect();
        let chat = order.chat_id.unwrap_or(order.user_id);
        out.push(match event {
            Event::Timer => Message::new(
                chat,
                Payload::Text {
                    text: texts::expired_notice(&order.invoice_id),
                    buttons: vec![vec![Button::cb(texts::BTN_BACK, Callback::Home)]],
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
            .transact(move |tx| {
                let paid = store::orders::confirm_payment(tx, order_id)?;
                let messages = match &paid {
                    Some(Paid::Delivered(o)) => Self::paid_messages_in(tx, o, &admins)?,
                    Some(Paid::LateCredited(o)) => Self::late_messages(o, &admins),
                    _ => Vec::new(),
                };
                store::outbox::enqueue_all(tx, &messages, Some(order_id))?;
                Ok(paid)
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
            .transact(move |tx| {
                let closed = store::orders::close(tx, order_id, event, by_user)?;
                if let Some(o) = &closed {
                    store::outbox::enqueue_all(tx, &Self::closed_messages(o, event), Some(o.id))?;
                }
                Ok(closed)
            })
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

    /// Checks the gateway's status answer against the stored order (SPEC §4) and applies a
    /// completed payment.
    pub(crate) async fn apply_status(&self, order: &Order, status: &PaymentReport) -> Result<NoticeOutcome> {
        if let Err(r) = payment::check(Self::expected(order), status, self.sandbox_allowed()) {
            return Ok(NoticeOutcome::Rejected(r));
        }
        if status.state != PaymentState::Completed {
            return Ok(NoticeOutcome::Rejected(Rejection::NotCompleted));
        }
        Ok(match self.apply_payment(order.id).await? {
            Some(paid) => NoticeOutcome::Applied(Box::new(paid)),
            None => NoticeOutcome::Rejected(Rejection::UnknownOrder),
        })
    }

    fn expected(order: &Order) -> payment::Expected<'_> {
        payment::Expected { invoice_id: &order.invoice_id, txn_id: order.txn_id.as_deref(), total: order.total }
    }

    /// Asks Pakasir about an order's transaction (within its 4 s limit) and applies a completed
    /// payment: delivered when the order is pending, credited as a late payment when it closed.
    pub(crate) async fn check_payment(&self, order: &Order) -> Result<Settled> {
        let status = match self.query_status(order).await {
            Ok(Some(status)) => status,
            Ok(None) | Err(_) => return Ok(Settled::Unknown),
        };
        Ok(match self.apply_status(order, &status).await? {
            NoticeOutcome::Applied(_) => Settled::Applied,
            NoticeOutcome::Unavailable => Settled::Unknown,
            NoticeOutcome::Rejected(_) if status.state == PaymentState::Closed => Settled::Closed,
            NoticeOutcome::Rejected(r) => {
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
    pub(crate) async fn query_status(&self, order: &Order) -> std::result::Result<Option<PaymentReport>, GatewayError> {
        self.ask_status(order, true).await
    }

    /// Like [`Shop::query_status`], but `Ok(None)` whenever Pakasir was asked in the last 4 s:
    /// for a customer pressing `[Status Pembayaran]`, who should hear "wait", not a stale "not
    /// paid yet" seconds after paying.
    pub(crate) async fn fresh_status(&self, order: &Order) -> std::result::Result<Option<PaymentReport>, GatewayError> {
        self.ask_status(order, false).await
    }

    async fn ask_status(
        &self,
        order: &Order,
        cached: bool,
    ) -> std::result::Result<Option<PaymentReport>, GatewayError> {
        let (Some(pay), Some(txn)) = (&self.pay, order.txn_id.as_deref()) else {
            return Err(GatewayError::Invalid);
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

    /// A payment notice (the Pakasir webhook): the body is a claim; the status endpoint decides.
    pub async fn payment_notice(&self, notice: PaymentReport) -> Result<NoticeOutcome> {
        let invoice = notice.invoice_id.clone();
        let outcome = self.notice_outcome(notice).await?;
        match &outcome {
            NoticeOutcome::Rejected(r) => {
                let reason = r.reason();
                tracing::warn!(event = "webhook_rejected", reason, invoice = %invoice, "pakasir webhook rejected");
                let detail =
                    serde_json::json!({"reason": reason, "order_id": invoice.chars().take(40).collect::<String>()});
                let rejected =
                    entry(None, ActorType::Pakasir, AuditAction::WebhookRejected).entity("webhook", "pakasir");
                self.db.security_event(rejected.meta(detail)).await?;
            }
            NoticeOutcome::Unavailable => {
                tracing::warn!(event = "webhook_deferred", invoice = %invoice, "pakasir status unavailable")
            }
            NoticeOutcome::Applied(_) => {
                tracing::info!(event = "webhook_received", invoice = %invoice, "pakasir webhook applied")
            }
        }
        Ok(outcome)
    }

    async fn notice_outcome(&self, notice: PaymentReport) -> Result<NoticeOutcome> {
        let invoice = notice.invoice_id.clone();
        let order = if crate::domain::order::is_invoice_id(&invoice) {
            self.db.lookup(move |c| store::orders::by_invoice(c, &invoice)).await?
        } else {
            None
        };
        let Some(order) = order else { return Ok(NoticeOutcome::Rejected(Rejection::UnknownOrder)) };
        // The claim is checked by the same rule as the answer, so a forged notice costs no call.
        if let Err(r) = payment::check(Self::expected(&order), &notice, self.sandbox_allowed()) {
            return Ok(NoticeOutcome::Rejected(r));
        }
        if order.status.is_paid() {
            // A replay of a payment already applied: nothing to ask Pakasir, nothing changes.
            return Ok(NoticeOutcome::Applied(Box::new(Paid::AlreadyPaid(order))));
        }
        let (Some(pay), Some(txn)) = (&self.pay, order.txn_id.clone()) else { return Ok(NoticeOutcome::Unavailable) };
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
                        Some(o) if o.status.is_paid() => {
                            return Ok(NoticeOutcome::Applied(Box::new(Paid::AlreadyPaid(o))));
                        }
                        Some(o) => order = o,
                        None => return Ok(NoticeOutcome::Rejected(Rejection::UnknownOrder)),
                    }
                }
            }
            match pay.status(&txn).await {
                Ok(status) => {
                    self.status_guard.insert(order.id, Some(status.clone()));
                    return self.apply_status(&order, &status).await;
                }
                Err(GatewayError::RateLimited) => continue,
                Err(_) => return Ok(NoticeOutcome::Unavailable),
            }
        }
        Ok(NoticeOutcome::Unavailable)
    }
}
