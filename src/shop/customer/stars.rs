//! Telegram Stars for customers (issue 18 point 7): the Stars amount of a checkout, the
//! `[⭐ Bayar dengan Stars]` button (a pending order exactly like QRIS's, and a `sendInvoice` in
//! XTR), the pre-checkout re-check (reads only, no gateway: answered well within Telegram's
//! 10 s) and the `successful_payment`, applied once per `telegram_payment_charge_id`.

use crate::shop::{
    ports::{Out, SendError, StarsInvoice},
    session::AppliedVoucher,
    Actor, Result, Shop,
};
use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        catalog::Product,
        order::Event,
        stars,
        time::wib_time,
    },
    security::audit::{entry, EntryExt},
    store::{
        self,
        stars::{Applied, Refusal},
    },
    texts::{self, stars as t},
};

impl Shop {
    /// The Stars amount of `qty` × `product` for this customer, when Stars are on and the
    /// product has a Stars price (its own, or the shop's rate). `None`: no Stars button.
    pub(in crate::shop) async fn stars_amount(
        &self,
        product: &Product,
        actor: &Actor,
        qty: i64,
        voucher: &Option<AppliedVoucher>,
    ) -> Result<Option<i64>> {
        let id = product.id;
        let (setting, own) =
            self.db.lookup(move |c| Ok((store::stars::setting(c)?, store::stars::product_price(c, id)?))).await?;
        if !setting.enabled {
            return Ok(None);
        }
        let total = self.purchase(product, actor, qty, voucher).total();
        Ok(stars::amount(own, qty, total, setting.rate))
    }

    /// `[⭐ Bayar dengan Stars]`: reserve (a pending order as for QRIS, with its Stars amount)
    /// and send the Stars invoice. A failed `sendInvoice` releases the reservation at once.
    pub(in crate::shop) async fn pay_stars(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        let Some((product_id, qty, m, voucher)) = self.current_checkout(actor, message_id) else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, product_id)).await? else {
            return Ok(Some(texts::PRODUCT_NOT_FOUND.into()));
        };
        let Some(amount) = self.stars_amount(&product, actor, qty, &voucher).await? else {
            return Ok(Some(t::STARS_UNAVAILABLE.into()));
        };
        let purchase = self.purchase(&product, actor, qty, &voucher);
        self.sessions.clear(actor.user.id);
        if product.stock < qty {
            self.say(actor, &texts::out_of_stock(product.stock)).await?;
            return Ok(None);
        }
        let user = actor.user.id;
        let Some(risk) = self.assess_payment(actor, purchase.total(), false).await? else { return Ok(None) };
        let expires_at = store::now() + self.config.invoice_lifetime();
        let created = self
            .db
            .write(move |c| {
                Ok(store::writer::transaction(c, |tx| {
                    store::stars::create_pending(tx, user, &purchase, amount, expires_at, risk)
                }))
            })
            .await?;
        let order = match created {
            Ok(o) => o,
            Err(e) => {
                self.checkout_refused(actor, e).await?;
                return Ok(None);
            }
        };
        tracing::info!(event = "order_created", order = order.id, invoice = %order.invoice_id, stars = amount, "stars order created");
        self.audit(
            entry(Some(user), ActorType::User, AuditAction::OrderCreated)
                .entity("order", order.id)
                .after(serde_json::json!({"status": "pending", "kind": "order", "total": order.total,
                                          "user": user, "method": "stars", "stars": amount}))
                .meta(serde_json::json!({"invoice": order.invoice_id})),
        )
        .await?;
        let what = format!("{} × {qty}", product.name);
        let invoice = StarsInvoice {
            title: t::invoice_title(&order.invoice_id),
            description: t::invoice_description(&what, &wib_time(order.expires_at)),
            payload: order.invoice_id.clone(),
            label: t::invoice_label(&what),
            stars: amount,
        };
        match self.tg.send_invoice(actor.chat, invoice).await {
            Ok(sent) => {
                self.remember_invoice_message(order.id, actor.chat, sent).await?;
                self.edit_or_send(actor, Some(m), Out::text(t::SUMMARY_STARS)).await?;
                self.outbox_wake.notify_one();
            }
            Err(e) => {
                // No invoice, nothing to pay: the stock goes back now, not at expiry.
                tracing::warn!(order = order.id, error = %e, "sendInvoice failed");
                let id = order.id;
                let closed = self.db.transact(move |tx| store::orders::close(tx, id, Event::Cancel, None)).await?;
                if let Some(o) = &closed {
                    self.audit_order(o, AuditAction::OrderCancelled, ActorType::System).await;
                }
                if !matches!(e, SendError::Blocked) {
                    self.say(actor, t::INVOICE_FAILED).await?;
                }
            }
        }
        Ok(None)
    }

    /// A `pre_checkout_query`: the order is re-checked from the database only (no gateway, no
    /// slow path) and Telegram answered at once.
    pub(in crate::shop) async fn pre_checkout(
        &self,
        actor: &Actor,
        query_id: &str,
        currency: &str,
        total: i64,
        payload: &str,
    ) -> Result<()> {
        let refusal = if actor.user.banned {
            Some(t::PRECHECK_BANNED)
        } else {
            let (user, cur, inv) = (actor.user.id, currency.to_string(), payload.to_string());
            let found = self.db.lookup(move |c| store::stars::precheck(c, &inv, user, &cur, total)).await?;
            found.map(|r| match r {
                Refusal::UnknownOrder => t::PRECHECK_UNKNOWN,
                Refusal::NotPending => t::PRECHECK_CLOSED,
                Refusal::Expired => t::PRECHECK_EXPIRED,
                Refusal::StockGone => t::PRECHECK_STOCK,
                Refusal::WrongAmount => t::PRECHECK_AMOUNT,
            })
        };
        tracing::info!(
            event = "stars_pre_checkout",
            user = actor.user.id,
            invoice = payload,
            ok = refusal.is_none(),
            "pre-checkout answered"
        );
        self.tg.answer_pre_checkout(query_id, refusal).await?;
        Ok(())
    }

    /// A `successful_payment` in Stars: audited first, then applied once per charge id (a
    /// replayed update changes nothing). A payment that cannot be delivered is refunded.
    pub(in crate::shop) async fn stars_paid(
        &self,
        actor: &Actor,
        currency: &str,
        total: i64,
        payload: &str,
        charge_id: &str,
    ) -> Result<()> {
        let user = actor.user.id;
        self.audit(
            entry(Some(user), ActorType::User, AuditAction::PaymentConfirmed)
                .entity("invoice", payload)
                .meta(serde_json::json!({"method": "stars", "currency": currency, "stars": total,
                                         "charge_id": charge_id})),
        )
        .await?;
        if currency != stars::CURRENCY {
            tracing::error!(user, invoice = payload, currency, "successful_payment in an unexpected currency");
            return Ok(());
        }
        let admins = self.notice_recipients().await?;
        let (inv, charge) = (payload.to_string(), charge_id.to_string());
        let applied = self
            .db
            .transact(move |tx| {
                let applied = store::stars::apply_payment(tx, &inv, user, &charge, total)?;
                if let Applied::Delivered(o) = &applied {
                    store::outbox::enqueue_all(tx, &Self::paid_messages_in(tx, o, &admins)?, Some(o.id))?;
                }
                Ok(applied)
            })
            .await?;
        match applied {
            Applied::Delivered(o) => {
                tracing::info!(event = "order_paid", order = o.id, invoice = %o.invoice_id, method = "stars", "stars payment applied");
                self.audit_order(&o, AuditAction::OrderPaid, ActorType::User).await;
                self.outbox_wake.notify_one();
            }
            Applied::AlreadyApplied(o) => {
                tracing::info!(order = o.id, "stars payment replayed: already applied");
            }
            Applied::MustRefund(o) => {
                self.refund_stars_payment(user, &o.invoice_id, o.id, charge_id, total, None).await?;
            }
            Applied::SecondCharge(o) => {
                // Order 0: nothing recorded on the order, whose own payment stands.
                tracing::warn!(order = o.id, "a second Stars charge for a paid order: refunding it");
                self.refund_stars_payment(user, &o.invoice_id, 0, charge_id, total, None).await?;
            }
            Applied::Unknown => {
                tracing::error!(user, invoice = payload, "stars payment for no order of this user: refunding");
                self.refund_stars_payment(user, payload, 0, charge_id, total, None).await?;
            }
        }
        Ok(())
    }

    /// Returns a Stars payment (`refundStarPayment`), audited before; the order is marked
    /// refunded only when Telegram answered true. `admin`: who asked (`None`: the shop itself).
    /// True when refunded.
    pub(in crate::shop) async fn refund_stars_payment(
        &self,
        user: i64,
        invoice: &str,
        order_id: i64,
        charge_id: &str,
        stars: i64,
        admin: Option<i64>,
    ) -> Result<bool> {
        let actor_type = if admin.is_some() { ActorType::Admin } else { ActorType::System };
        self.audit(
            entry(admin, actor_type, AuditAction::OrderRefunded)
                .entity("order", order_id)
                .meta(serde_json::json!({"method": "stars", "invoice": invoice, "stars": stars,
                                         "charge_id": charge_id, "user": user, "step": "requested"})),
        )
        .await?;
        match self.tg.refund_stars(user, charge_id).await {
            Ok(()) => {
                let recorded = self.db.transact(move |tx| store::stars::mark_refunded(tx, order_id)).await?;
                let e = entry(admin, actor_type, AuditAction::OrderRefunded)
                    .entity("order", order_id)
                    .after(serde_json::json!({"status": "refunded", "stars": stars}))
                    .meta(serde_json::json!({"method": "stars", "invoice": invoice, "charge_id": charge_id,
                                             "user": user, "step": "done", "recorded": recorded}));
                if let Err(e) = self.db.append_audit(e).await {
                    tracing::error!(error = %e, "audit: stars refund not recorded");
                }
                let text =
                    if admin.is_some() { t::refunded_user(invoice, stars) } else { t::refunded_late(invoice, stars) };
                let _ = self.tg.send(user, Out::text(text)).await;
                Ok(true)
            }
            Err(e) => {
                tracing::error!(order = order_id, invoice, error = %e, "refundStarPayment failed");
                if admin.is_none() {
                    for a in self.notice_recipients().await? {
                        let _ = self.tg.send(a, Out::text(t::refund_pending_admin(invoice, stars))).await;
                    }
                }
                Ok(false)
            }
        }
    }
}
