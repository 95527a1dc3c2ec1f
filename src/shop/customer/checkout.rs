//! Checkout screens: summary, QRIS invoice, SALDO, cancel and status buttons, deposits, history.

use crate::shop::{
    keyboards,
    payment::NoticeOutcome,
    ports::GatewayError,
    ports::{Button, Out},
    session::{AppliedVoucher, Flow},
    Actor, Result, Shop,
};
use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        callback::Callback,
        campaign::{normalize_code, VOUCHER_LINK_SECONDS},
        money::parse_amount,
        order::{Event, Kind, Status, MAX_DEPOSIT, MAX_ORDER_TOTAL, MIN_DEPOSIT},
        paging::Page,
        payment::{Bank, Fees, Instrument, PayMethod},
        pricing::unit_price,
        time::{wib, wib_time},
    },
    security::audit::{entry, EntryExt},
    store::{
        self,
        orders::{CheckoutError, Order, Paid, Purchase},
        vouchers::Check,
    },
    texts,
};

const HISTORY_PER_PAGE: u32 = 5;
/// Wrong voucher codes allowed per window before voucher entry is refused for a while.
const MAX_VOUCHER_GUESSES: i64 = 5;
const VOUCHER_GUESS_WINDOW: i64 = 15 * 60;
/// The security event of a wrong voucher code.
const VOUCHER_GUESS: &str = "voucher_invalid";

/// Under the voucher prompt and a refused code: go on without a voucher (or try again), or cancel.
fn voucher_step_buttons(retry: bool) -> Vec<Vec<Button>> {
    let mut first = Vec::new();
    if retry {
        first.push(Button::cb(texts::BTN_RETRY, Callback::UseVoucher));
    }
    first.push(Button::cb(texts::BTN_NO_VOUCHER, Callback::SkipVoucher));
    vec![first, vec![Button::cb(texts::BTN_CANCEL, Callback::Cancel)]]
}

impl Shop {
    /// `[Lanjut ke pembayaran]` on a card: the card becomes the summary.
    pub(in crate::shop) async fn checkout(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        id: i64,
    ) -> Result<Option<String>> {
        let Some(Flow::Card { product_id, qty, message_id: card }) = self.sessions.get(actor.user.id) else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        if product_id != id || message_id != Some(card) {
            return Ok(Some(texts::STALE_BUTTON.into()));
        }
        self.show_summary(actor, product_id, qty, card).await
    }

    async fn show_summary(&self, actor: &Actor, product_id: i64, qty: i64, message_id: i64) -> Result<Option<String>> {
        // A voucher link's code is applied as if typed at the voucher step. It is forgotten when
        // an order paid with it (`store::vouchers::consume`), not here: a customer who leaves
        // this checkout finds it again on the next one.
        let voucher = self.link_voucher(actor).await?;
        let offer_voucher = voucher.is_none();
        let flow = Flow::Checkout { product_id, qty, message_id, voucher, offer_voucher };
        self.render_summary(actor, flow, true).await
    }

    /// The code from a voucher link waiting for this checkout, checked like a typed one. A code
    /// that can no longer be used is forgotten (and the customer told); one in its cooldown
    /// waits for a later checkout.
    async fn link_voucher(&self, actor: &Actor) -> Result<Option<AppliedVoucher>> {
        let user = actor.user.id;
        let since = store::now() - VOUCHER_LINK_SECONDS;
        let Some(code) = self.db.lookup(move |c| store::users::pending_voucher(c, user, since)).await? else {
            return Ok(None);
        };
        let c2 = code.clone();
        match self.db.call(move |c| store::vouchers::check(c, &c2, user)).await? {
            Check::Usable { id, amount } => Ok(Some(AppliedVoucher { id, code, amount })),
            Check::Cooldown { .. } => Ok(None),
            Check::Invalid | Check::Expired => {
                self.db.write(move |c| store::users::clear_pending_voucher(c, user)).await?;
                self.say(actor, &texts::voucher_link_dropped(&code)).await?;
                Ok(None)
            }
        }
    }

    /// A customer who guessed wrong codes too often in the window may not try another one, typed
    /// or by link: guessing codes is abuse.
    async fn too_many_voucher_guesses(&self, user: i64) -> Result<bool> {
        let since = store::now() - VOUCHER_GUESS_WINDOW;
        let recent = self.db.call(move |c| store::security::count_since(c, user, VOUCHER_GUESS, since)).await?;
        Ok(recent >= MAX_VOUCHER_GUESSES)
    }

    /// Counts a wrong code towards [`Self::too_many_voucher_guesses`].
    async fn wrong_voucher_guess(&self, user: i64, detail: serde_json::Value) -> Result<()> {
        self.db.write(move |c| store::security::record(c, Some(user), VOUCHER_GUESS, &detail)).await?;
        Ok(())
    }

    /// `/start v_CODE` (a voucher link): the code is kept for the customer's next checkout if it
    /// can be used, or refused with the reason. Unknown codes count as wrong guesses.
    pub(in crate::shop) async fn voucher_link(&self, actor: &Actor, code: String) -> Result<()> {
        let user = actor.user.id;
        if self.too_many_voucher_guesses(user).await? {
            return self.say(actor, texts::VOUCHER_LINK_TOO_MANY).await;
        }
        let c2 = code.clone();
        // The per-user cooldown is checked at the checkout, like a typed code's.
        let text = match self.db.call(move |c| store::vouchers::check_code(c, &c2)).await? {
            Check::Usable { .. } | Check::Cooldown { .. } => {
                let c3 = code.clone();
                self.db.write(move |c| store::users::set_pending_voucher(c, user, &c3)).await?;
                texts::voucher_link_saved(&code)
            }
            Check::Expired => texts::voucher_link_expired(&code),
            Check::Invalid => {
                self.wrong_voucher_guess(user, serde_json::json!({"via": "link"})).await?;
                texts::voucher_link_invalid(&code)
            }
        };
        self.say(actor, &text).await
    }

    /// Shows the summary of a checkout flow (editing `message_id`, or as a new message) and makes
    /// it the current flow.
    async fn render_summary(&self, actor: &Actor, flow: Flow, edit: bool) -> Result<Option<String>> {
        let Flow::Checkout { product_id, qty, message_id, voucher, offer_voucher } = flow else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, product_id)).await? else {
            self.sessions.clear(actor.user.id);
            return Ok(Some(texts::PRODUCT_NOT_FOUND.into()));
        };
        if product.stock < qty {
            return Ok(Some(texts::out_of_stock(product.stock)));
        }
        let unit = unit_price(&product, actor.role, qty);
        let (sub, discount) = self.purchase(&product, actor, qty, &voucher).amounts();
        if sub > MAX_ORDER_TOTAL {
            return Ok(Some(texts::TOTAL_TOO_LARGE.into()));
        }
        let mut rows = Vec::new();
        if offer_voucher && voucher.is_none() {
            rows.push(vec![
                Button::cb(texts::BTN_USE_VOUCHER, Callback::UseVoucher),
                Button::cb(texts::BTN_SKIP, Callback::SkipVoucher),
            ]);
        }
        let mut pay_row = self.gateway_buttons();
        // Telegram Stars (issue 18), when on and the product has a Stars price.
        let stars = self.stars_amount(&product, actor, qty, &voucher).await?;
        if pay_row.len() > 1 {
            // `[QRIS] [Transfer Bank (VA)]`, `[SALDO]` below (three do not fit a phone's row).
            rows.push(pay_row);
            rows.push(vec![Button::cb(texts::BTN_SALDO, Callback::PaySaldo)]);
        } else {
            pay_row.push(Button::cb(texts::BTN_SALDO, Callback::PaySaldo));
            rows.push(pay_row);
        }
        if stars.is_some() {
            rows.push(vec![Button::cb(texts::stars::BTN_PAY_STARS, Callback::PayStars)]);
        }
        rows.push(vec![
            Button::cb(texts::BTN_BACK, Callback::BackToCard),
            Button::cb(texts::BTN_CANCEL, Callback::Cancel),
        ]);
        let mut fees = self.fee_lines(sub - discount).await;
        if let Some(s) = stars {
            fees.push_str(&texts::stars::summary_line(s));
        }
        let tier = crate::domain::pricing::applied_tier(&product, qty).map(texts::tiers::summary_tier);
        let line = texts::SummaryLine { unit, tier: tier.unwrap_or_default(), qty };
        let mut text = texts::summary(&product.name, &line, sub, discount, sub - discount, &fees);
        if let Some(v) = &voucher {
            text.push_str(&texts::voucher_line(&v.code));
        }
        let out = Out::inline(text, rows);
        let message_id = if edit {
            self.edit_or_send(actor, Some(message_id), out).await?
        } else {
            self.tg.send(actor.chat, out).await?
        };
        self.sessions.set(actor.user.id, Flow::Checkout { product_id, qty, message_id, voucher, offer_voucher });
        Ok(None)
    }

    /// The checkout in progress, if the button was pressed on its message.
    pub(super) fn current_checkout(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
    ) -> Option<(i64, i64, i64, Option<AppliedVoucher>)> {
        match self.sessions.get(actor.user.id) {
            Some(Flow::Checkout { product_id, qty, message_id: m, voucher, .. }) if message_id == Some(m) => {
                Some((product_id, qty, m, voucher))
            }
            _ => None,
        }
    }

    /// `[Skip]`: the summary without the voucher step.
    /// `[Batalkan]` on a card, summary or voucher prompt. Only the flow on screen can be
    /// cancelled: an older card's button is stale.
    pub(in crate::shop) async fn cancel_flow(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        let flow = self.sessions.get(actor.user.id);
        let current = match flow {
            Some(
                Flow::Card { message_id: m, .. }
                | Flow::Checkout { message_id: m, .. }
                | Flow::DepositPay { message_id: m, .. },
            ) => Some(m),
            _ => None,
        };
        if current.is_some_and(|m| Some(m) != message_id) {
            return Ok(Some(texts::STALE_BUTTON.to_string()));
        }
        self.sessions.clear(actor.user.id);
        if let Some(m) = message_id {
            self.edit_or_send(actor, Some(m), Out::text(texts::CANCELLED)).await?;
        }
        // A text-entry step (its prompt had the button): the menu, as after /batal.
        if flow.as_ref().is_some_and(Flow::wants_text) {
            self.main_menu_after(actor, texts::MENU_HINT).await?;
        }
        Ok(None)
    }

    /// `[Skip]` on the summary, or `[Lanjut tanpa voucher]` under the voucher prompt or a refused
    /// code (those are new messages below the summary: the summary comes again below them).
    pub(in crate::shop) async fn skip_voucher(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        if let Some(Flow::VoucherCode { product_id, qty, message_id: m }) = self.sessions.get(actor.user.id) {
            self.without_voucher(actor, product_id, qty, m).await?;
            return Ok(None);
        }
        let Some((product_id, qty, m, voucher)) = self.current_checkout(actor, message_id) else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        let flow = Flow::Checkout { product_id, qty, message_id: m, voucher, offer_voucher: false };
        self.render_summary(actor, flow, true).await
    }

    /// Leaves the voucher step of a checkout: its summary again, as a new message (the old one
    /// is above the prompt), without the voucher step.
    pub(super) async fn without_voucher(
        &self,
        actor: &Actor,
        product_id: i64,
        qty: i64,
        message_id: i64,
    ) -> Result<()> {
        let flow = Flow::Checkout { product_id, qty, message_id, voucher: None, offer_voucher: false };
        if let Some(notice) = self.render_summary(actor, flow, false).await? {
            self.say(actor, &notice).await?;
        }
        Ok(())
    }

    /// `[Gunakan Voucher]`: asks for the code.
    /// `[Coba Lagi]` after a refused code asks again.
    pub(in crate::shop) async fn use_voucher(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        let (product_id, qty, m) = match self.sessions.get(actor.user.id) {
            Some(Flow::VoucherCode { product_id, qty, message_id: m }) => (product_id, qty, m),
            _ => match self.current_checkout(actor, message_id) {
                Some((product_id, qty, m, _)) => (product_id, qty, m),
                None => return Ok(Some(texts::STALE_BUTTON.into())),
            },
        };
        self.sessions.set(actor.user.id, Flow::VoucherCode { product_id, qty, message_id: m });
        self.tg.send(actor.chat, Out::inline(texts::ASK_VOUCHER, voucher_step_buttons(false))).await?;
        Ok(None)
    }

    /// A typed voucher code: checked (unknown/used, expired, cooldown), then shown in a new
    /// summary. Wrong codes are counted: guessing codes is abuse.
    pub(in crate::shop) async fn voucher_code(&self, actor: &Actor, flow: Flow, text: &str) -> Result<()> {
        let Flow::VoucherCode { product_id, qty, message_id } = flow else { return Ok(()) };
        let user = actor.user.id;
        if self.too_many_voucher_guesses(user).await? {
            // The checkout goes on without a voucher: its summary again, below the refusal.
            self.say(actor, texts::VOUCHER_TOO_MANY).await?;
            return self.without_voucher(actor, product_id, qty, message_id).await;
        }
        let check = match normalize_code(text) {
            None => Check::Invalid,
            Some(code) => {
                let c2 = code.clone();
                match self.db.call(move |c| store::vouchers::check(c, &c2, user)).await? {
                    Check::Usable { id, amount } => {
                        let voucher = Some(AppliedVoucher { id, code, amount });
                        let flow = Flow::Checkout { product_id, qty, message_id, voucher, offer_voucher: false };
                        if let Some(notice) = self.render_summary(actor, flow, false).await? {
                            self.say(actor, &notice).await?;
                        }
                        return Ok(());
                    }
                    other => other,
                }
            }
        };
        let text = match check {
            Check::Expired => texts::VOUCHER_EXPIRED.to_string(),
            Check::Cooldown { minutes_left } => texts::voucher_cooldown(minutes_left),
            _ => {
                self.wrong_voucher_guess(user, serde_json::json!({})).await?;
                texts::VOUCHER_INVALID.to_string()
            }
        };
        // The step stays open (another code may be typed); the buttons go on without one.
        self.tg.send(actor.chat, Out::inline(text, voucher_step_buttons(true))).await?;
        Ok(())
    }

    pub(in crate::shop) async fn back_to_card(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        let Some((product_id, qty, m, _)) = self.current_checkout(actor, message_id) else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, product_id)).await? else {
            return Ok(Some(texts::PRODUCT_NOT_FOUND.into()));
        };
        let qty = qty.min(product.stock).max(1);
        let out =
            Out::inline(texts::product_card(&product, actor.role, qty), self.card_buttons(actor, &product).await?);
        let m = self.edit_or_send(actor, Some(m), out).await?;
        self.sessions.set(actor.user.id, Flow::Card { product_id, qty, message_id: m });
        Ok(None)
    }

    pub(super) fn purchase(
        &self,
        product: &crate::domain::catalog::Product,
        actor: &Actor,
        qty: i64,
        voucher: &Option<AppliedVoucher>,
    ) -> Purchase {
        Purchase::Product {
            product_id: product.id,
            quantity: qty,
            unit_price: unit_price(product, actor.role, qty),
            voucher: voucher.as_ref().map(|v| (v.id, v.amount)),
        }
    }

    /// `[QRIS]`: reserve, create the Pakasir transaction, send the QR invoice.
    pub(in crate::shop) async fn pay_qris(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        self.pay_gateway(actor, message_id, PayMethod::Qris).await
    }

    /// `[QRIS]` or a bank of the bank choice, on a checkout or deposit summary: reserve, create
    /// the Pakasir transaction, send the invoice.
    pub(in crate::shop) async fn pay_gateway(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        method: PayMethod,
    ) -> Result<Option<String>> {
        if let Some(Flow::DepositPay { amount, message_id: m }) = self.sessions.get(actor.user.id) {
            if message_id != Some(m) {
                return Ok(Some(texts::STALE_BUTTON.into()));
            }
            return self.pay_deposit(actor, amount, m, method).await;
        }
        let Some((product_id, qty, m, voucher)) = self.current_checkout(actor, message_id) else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, product_id)).await? else {
            return Ok(Some(texts::PRODUCT_NOT_FOUND.into()));
        };
        let purchase = self.purchase(&product, actor, qty, &voucher);
        if voucher.is_some() && purchase.total() == 0 {
            // A voucher that covers everything: nothing to pay, no Pakasir.
            return self.confirm_saldo(actor, message_id, 0).await;
        }
        if self.pay.is_none() {
            return Ok(Some(texts::QRIS_UNAVAILABLE.into()));
        }
        if let Some(refusal) = self.method_refusal(method, purchase.total()) {
            self.say(actor, &refusal).await?;
            return Ok(None);
        }
        let what = format!("{} × {qty}", product.name);
        self.sessions.clear(actor.user.id);
        if product.stock < qty {
            // Sold out since the summary: say so without taking the write lock (in a flash sale
            // most late presses end here; the reservation itself still decides the race).
            self.say(actor, &texts::out_of_stock(product.stock)).await?;
            return Ok(None);
        }
        if self.create_invoice(actor, purchase, &what, method).await? {
            // The summary loses its buttons so it cannot be paid twice.
            self.edit_or_send(actor, Some(m), Out::text(invoice_sent(method))).await?;
        }
        Ok(None)
    }

    /// A way to pay chosen on the deposit summary.
    async fn pay_deposit(&self, actor: &Actor, amount: i64, m: i64, method: PayMethod) -> Result<Option<String>> {
        if let Some(refusal) = self.method_refusal(method, amount) {
            self.say(actor, &refusal).await?;
            return Ok(None);
        }
        self.sessions.clear(actor.user.id);
        if self.create_invoice(actor, Purchase::Deposit { amount }, texts::DEPOSIT_WHAT, method).await? {
            self.edit_or_send(actor, Some(m), Out::text(invoice_sent(method))).await?;
        }
        Ok(None)
    }

    /// `[Transfer Bank (VA)]` on a checkout or deposit summary: the summary becomes the bank
    /// choice (an amount outside the bank transfer limits is refused first).
    pub(in crate::shop) async fn pay_va(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        let (amount, m) = match self.sessions.get(actor.user.id) {
            Some(Flow::DepositPay { amount, message_id: m }) if message_id == Some(m) => (amount, m),
            _ => {
                let Some((product_id, qty, m, voucher)) = self.current_checkout(actor, message_id) else {
                    return Ok(Some(texts::STALE_BUTTON.into()));
                };
                let Some(product) = self.db.lookup(move |c| store::products::get_active(c, product_id)).await? else {
                    return Ok(Some(texts::PRODUCT_NOT_FOUND.into()));
                };
                let total = self.purchase(&product, actor, qty, &voucher).total();
                if voucher.is_some() && total == 0 {
                    return self.confirm_saldo(actor, message_id, 0).await;
                }
                (total, m)
            }
        };
        let banks = self.va_banks();
        if banks.is_empty() {
            return Ok(Some(texts::METHOD_UNAVAILABLE.into()));
        }
        if let Err(l) = self.config.va_limits.check(amount) {
            self.say(actor, &texts::method_limit(true, l.min, l.max)).await?;
            return Ok(None);
        }
        let fee = self.gateway_fees(amount).await.and_then(|f| f.va(&self.config.pakasir_methods));
        let mut rows: Vec<Vec<Button>> = banks
            .chunks(2)
            .map(|pair| pair.iter().map(|b| Button::cb(texts::bank_name(*b), Callback::PayBank(b.index()))).collect())
            .collect();
        rows.push(vec![
            Button::cb(texts::BTN_BACK, Callback::BackToSummary),
            Button::cb(texts::BTN_CANCEL, Callback::Cancel),
        ]);
        self.edit_or_send(actor, Some(m), Out::inline(texts::choose_bank(amount, fee), rows)).await?;
        Ok(None)
    }

    /// `[Kembali]` on the bank choice: the summary it came from, to choose another way to pay.
    pub(in crate::shop) async fn back_to_summary(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
    ) -> Result<Option<String>> {
        match self.sessions.get(actor.user.id) {
            Some(flow @ Flow::Checkout { message_id: m, .. }) if message_id == Some(m) => {
                self.render_summary(actor, flow, true).await
            }
            Some(Flow::DepositPay { amount, message_id: m }) if message_id == Some(m) => {
                let out = self.deposit_summary(amount).await;
                self.edit_or_send(actor, Some(m), out).await?;
                Ok(None)
            }
            _ => Ok(Some(texts::STALE_BUTTON.into())),
        }
    }

    /// The banks whose virtual accounts this shop offers (none without Pakasir).
    fn va_banks(&self) -> Vec<Bank> {
        if self.pay.is_none() {
            return Vec::new();
        }
        self.config
            .pakasir_methods
            .iter()
            .filter_map(|m| match m {
                PayMethod::Va(b) => Some(*b),
                PayMethod::Qris => None,
            })
            .collect()
    }

    /// `[QRIS]` (unless Pakasir is set up without it) and `[Transfer Bank (VA)]` (when a bank is
    /// offered).
    fn gateway_buttons(&self) -> Vec<Button> {
        let mut row = Vec::new();
        if self.pay.is_none() || self.config.pakasir_methods.contains(&PayMethod::Qris) {
            row.push(Button::cb(texts::BTN_QRIS, Callback::PayQris));
        }
        if !self.va_banks().is_empty() {
            row.push(Button::cb(texts::BTN_VA, Callback::PayVa));
        }
        row
    }

    /// Why `method` cannot pay `amount` here: not offered, or outside its limits.
    fn method_refusal(&self, method: PayMethod, amount: i64) -> Option<String> {
        if !self.config.pakasir_methods.contains(&method) {
            return Some(texts::METHOD_UNAVAILABLE.into());
        }
        let (limits, va) = match method {
            PayMethod::Qris => (self.config.qris_limits, false),
            PayMethod::Va(_) => (self.config.va_limits, true),
        };
        limits.check(amount).err().map(|l| texts::method_limit(va, l.min, l.max))
    }

    /// Pakasir's fees for `amount`, if it tells them (a failure only leaves the fee lines out).
    async fn gateway_fees(&self, amount: i64) -> Option<Fees> {
        let pay = self.pay.as_ref()?;
        if amount <= 0 {
            return None;
        }
        match pay.fees(amount).await {
            Ok(fees) => Some(fees),
            Err(e) => {
                tracing::info!(error = %e, "pakasir fee unknown: the summary goes without it");
                None
            }
        }
    }

    /// "Biaya QRIS ±Rp…" (and the bank transfer's) for a summary of `amount`.
    async fn fee_lines(&self, amount: i64) -> String {
        let Some(fees) = self.gateway_fees(amount).await else { return String::new() };
        let methods = &self.config.pakasir_methods;
        let qris = if methods.contains(&PayMethod::Qris) { fees.of(PayMethod::Qris) } else { None };
        texts::fee_lines(qris, fees.va(methods))
    }

    /// Creates a pending order (or deposit) and its QRIS invoice message. False when it could
    /// not (the person has been told why).
    async fn create_invoice(&self, actor: &Actor, purchase: Purchase, what: &str, method: PayMethod) -> Result<bool> {
        let Some(pay) = self.pay.clone() else {
            self.say(actor, texts::QRIS_UNAVAILABLE).await?;
            return Ok(false);
        };
        let user = actor.user.id;
        let deposit = matches!(purchase, Purchase::Deposit { .. });
        let Some(level) = self.assess_payment(actor, purchase.total(), deposit).await? else { return Ok(false) };
        let expires_at = store::now() + self.config.invoice_lifetime();
        let risk = level;
        let created = self
            .db
            .write(move |c| {
                Ok(store::writer::transaction(c, |tx| {
                    store::orders::create_pending(tx, user, &purchase, expires_at, risk)
                }))
            })
            .await?;
        let order = match created {
            Ok(o) => o,
            Err(e) => {
                self.checkout_refused(actor, e).await?;
                return Ok(false);
            }
        };
        tracing::info!(event = "order_created", order = order.id, invoice = %order.invoice_id, total = order.total, "order created");
        // The audit entry and the Pakasir call do not depend on each other: wait for both at once.
        let ((), created) = tokio::join!(
            self.audit_order(&order, AuditAction::OrderCreated, ActorType::User),
            pay.create(&order.invoice_id, order.total, method)
        );
        let txn = match created {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(order = order.id, error = %e, "pakasir create failed");
                // Closed quietly: the customer hears "try again" below instead.
                let id = order.id;
                self.db.transact(move |tx| store::orders::close(tx, id, Event::Cancel, None)).await?;
                self.say(actor, texts::PAYMENT_TRY_AGAIN).await?;
                return Ok(false);
            }
        };
        let (id, txn_id, fee, instrument) = (order.id, txn.txn_id.clone(), txn.fee, txn.instrument.clone());
        let stored = self.db.write(move |c| store::orders::set_transaction(c, id, &txn_id, fee, &instrument));
        let rows = vec![
            vec![Button::Url { text: texts::BTN_CHECKOUT_PAGE.into(), url: pay.checkout_url(&txn.txn_id) }],
            vec![
                Button::cb(texts::BTN_PAY_STATUS, Callback::OrderStatus(order.id)),
                Button::cb(texts::BTN_CANCEL, Callback::CancelOrder(order.id)),
            ],
        ];
        let expires = wib_time(order.expires_at);
        let facts = texts::InvoiceFacts {
            invoice: &order.invoice_id,
            total: order.total,
            fee: txn.fee,
            payable: txn.total_payment,
            expires_wib: &expires,
            what,
            deposit,
        };
        let message_id = match &txn.instrument {
            Instrument::Qris(qr) => {
                // Render the QR (CPU work, off the async workers) while the transaction is
                // stored; the invoice goes out only after both, so an invoice never exists
                // without its transaction.
                let (stored, rendered) = tokio::join!(stored, crate::shop::qr::png_off_thread(qr.clone()));
                stored?;
                let png = match rendered {
                    Ok(Ok(p)) => p,
                    Ok(Err(e)) => {
                        tracing::error!(order = order.id, error = %e, "QR rendering failed");
                        Vec::new()
                    }
                    Err(_) => {
                        tracing::error!(order = order.id, "QR rendering panicked");
                        Vec::new()
                    }
                };
                let caption = texts::qris_caption(&facts);
                self.tg.send_photo(actor.chat, png, Out::inline(caption, rows)).await?
            }
            Instrument::VirtualAccount { bank, number } => {
                // No QR: the bank and the account number to transfer to, as text.
                stored.await?;
                let text = texts::va_invoice(&facts, *bank, number);
                self.tg.send(actor.chat, Out::inline(text, rows)).await?
            }
        };
        self.remember_invoice_message(order.id, actor.chat, message_id).await?;
        self.outbox_wake.notify_one();
        Ok(true)
    }

    /// Stores where an order's invoice message is, so a payment or expiry can remove it. A
    /// payment faster than this write found no invoice to remove: it is removed now.
    pub(super) async fn remember_invoice_message(&self, order_id: i64, chat: i64, message_id: i64) -> Result<()> {
        self.db
            .transact(move |tx| {
                if store::orders::set_message(tx, order_id, chat, message_id)? {
                    store::outbox::enqueue(tx, &store::outbox::Message::delete(chat, message_id), Some(order_id))?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    pub(super) async fn checkout_refused(&self, actor: &Actor, e: CheckoutError) -> Result<Option<String>> {
        // Every refusal is told as a message; the button press itself gets no pop-up.
        match e {
            CheckoutError::PendingExists(old) => {
                let rows = vec![
                    vec![Button::cb(texts::BTN_CANCEL_PREVIOUS, Callback::CancelOrder(old.id))],
                    vec![Button::cb(texts::BTN_PAY_STATUS, Callback::OrderStatus(old.id))],
                ];
                self.tg.send(actor.chat, Out::inline(texts::pending_exists(&old.invoice_id, old.total), rows)).await?;
                Ok(None)
            }
            CheckoutError::OutOfStock { available } => {
                self.say(actor, &texts::out_of_stock(available)).await?;
                Ok(None)
            }
            CheckoutError::ProductGone => {
                self.say(actor, texts::PRODUCT_NOT_FOUND).await?;
                Ok(None)
            }
            CheckoutError::InsufficientBalance { balance, total } => {
                let rows = vec![vec![Button::cb(texts::BTN_DEPOSIT, Callback::Deposit)]];
                self.tg.send(actor.chat, Out::inline(texts::saldo_short(total, balance), rows)).await?;
                Ok(None)
            }
            CheckoutError::VoucherTaken => {
                self.say(actor, texts::VOUCHER_INVALID).await?;
                Ok(None)
            }
            CheckoutError::Store(e) => Err(e.into()),
        }
    }

    /// `[SALDO]`: asks for confirmation, or shows the shortfall.
    pub(in crate::shop) async fn pay_saldo(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        let Some((product_id, qty, m, voucher)) = self.current_checkout(actor, message_id) else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, product_id)).await? else {
            return Ok(Some(texts::PRODUCT_NOT_FOUND.into()));
        };
        let total = self.purchase(&product, actor, qty, &voucher).total();
        let id = actor.user.id;
        let balance = self.db.lookup(move |c| store::users::get(c, id)).await?.map_or(0, |u| u.balance);
        if balance < total {
            let rows = vec![vec![Button::cb(texts::BTN_DEPOSIT, Callback::Deposit)]];
            self.tg.send(actor.chat, Out::inline(texts::saldo_short(total, balance), rows)).await?;
            return Ok(None);
        }
        self.edit_or_send(actor, Some(m), Out::inline(texts::saldo_confirm(total, balance), saldo_confirm_rows(total)))
            .await?;
        Ok(None)
    }

    /// `[Konfirmasi]`: deduct and deliver in one transaction, exactly the total the customer
    /// confirmed (`shown`); if the price changed since, the new total is shown and asked again.
    pub(in crate::shop) async fn confirm_saldo(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        shown: i64,
    ) -> Result<Option<String>> {
        let Some((product_id, qty, m, voucher)) = self.current_checkout(actor, message_id) else {
            return Ok(Some(texts::STALE_BUTTON.into()));
        };
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, product_id)).await? else {
            return Ok(Some(texts::PRODUCT_NOT_FOUND.into()));
        };
        let purchase = self.purchase(&product, actor, qty, &voucher);
        let total = purchase.total();
        let user = actor.user.id;
        if total != shown {
            let balance = self.db.lookup(move |c| store::users::get(c, user)).await?.map_or(0, |u| u.balance);
            let text = texts::saldo_total_changed(shown, total, balance);
            let rows = if balance < total {
                vec![vec![
                    Button::cb(texts::BTN_DEPOSIT, Callback::Deposit),
                    Button::cb(texts::BTN_CANCEL, Callback::Cancel),
                ]]
            } else {
                saldo_confirm_rows(total)
            };
            self.edit_or_send(actor, Some(m), Out::inline(text, rows)).await?;
            return Ok(None);
        }
        let Some(level) = self.assess_payment(actor, total, false).await? else {
            self.sessions.clear(actor.user.id);
            return Ok(None);
        };
        let risk = level;
        let admins = self.notice_recipients().await?;
        // SPEC §8: no money moves unaudited. If the entry cannot be written, nothing is debited.
        self.audit(
            entry(Some(user), ActorType::User, AuditAction::SaldoPurchase)
                .entity("product", product_id)
                .meta(serde_json::json!({"quantity": qty, "total": total, "voucher": voucher.as_ref().map(|v| v.id)})),
        )
        .await?;
        let paid = self
            .db
            .write(move |c| {
                Ok(store::writer::transaction(c, |tx| {
                    let order = store::orders::pay_with_balance(tx, user, &purchase, risk)?;
                    store::outbox::enqueue_all(tx, &Self::paid_messages_in(tx, &order, &admins)?, Some(order.id))?;
                    Ok(order)
                }))
            })
            .await?;
        self.sessions.clear(actor.user.id);
        match paid {
            Ok(order) => {
                tracing::info!(event = "order_paid", order = order.id, invoice = %order.invoice_id, method = "saldo", "balance purchase");
                self.audit_order(&order, AuditAction::OrderPaid, ActorType::User).await;
                let done = if total == 0 { texts::SUMMARY_VOUCHER } else { texts::SUMMARY_SALDO };
                self.edit_or_send(actor, Some(m), Out::text(done)).await?;
                self.outbox_wake.notify_one();
                Ok(None)
            }
            Err(e) => self.checkout_refused(actor, e).await,
        }
    }

    /// `[Batalkan]` on an invoice (or on the "pending order" notice). A payment Pakasir already
    /// completed is delivered instead; if Pakasir cannot be asked the order is cancelled anyway
    /// (the customer asked) and reconciliation credits a payment that shows up later.
    pub(in crate::shop) async fn cancel_order(&self, actor: &Actor, order_id: i64) -> Result<Option<String>> {
        let order = self.db.lookup(move |c| store::orders::get(c, order_id)).await?;
        if let Some(o) =
            order.filter(|o| o.user_id == actor.user.id && o.status == Status::Pending && o.txn_id.is_some())
        {
            if self.pay.is_some() && self.check_payment(&o).await? == crate::shop::payment::Settled::Applied {
                return Ok(Some(texts::ALREADY_PAID.into()));
            }
        }
        Ok(match self.close_order(order_id, Event::Cancel, Some(actor.user.id)).await? {
            Some(_) => Some(texts::ORDER_CANCELLED.into()),
            None => Some(self.order_gone_notice(actor, order_id).await?.into()),
        })
    }

    async fn order_gone_notice(&self, actor: &Actor, order_id: i64) -> Result<&'static str> {
        let order = self.db.lookup(move |c| store::orders::get(c, order_id)).await?;
        Ok(match order {
            Some(o) if o.user_id == actor.user.id => match o.status {
                s if s.is_paid() => texts::ALREADY_PAID,
                _ => texts::ORDER_ALREADY_CLOSED,
            },
            // Someone else's order looks exactly like no order.
            _ => texts::ORDER_NOT_FOUND,
        })
    }

    /// `[Status Pembayaran]`: asks Pakasir now (within its rate limit).
    pub(in crate::shop) async fn order_status(&self, actor: &Actor, order_id: i64) -> Result<Option<String>> {
        let order = self.db.lookup(move |c| store::orders::get(c, order_id)).await?;
        let Some(order) = order.filter(|o| o.user_id == actor.user.id) else {
            return Ok(Some(texts::ORDER_NOT_FOUND.into()));
        };
        if order.status != Status::Pending {
            return Ok(Some(self.order_gone_notice(actor, order_id).await?.into()));
        }
        match self.fresh_status(&order).await {
            Ok(None) | Err(GatewayError::RateLimited) => Ok(Some(texts::STATUS_TOO_FAST.into())),
            Err(_) => Ok(Some(texts::PAYMENT_TRY_AGAIN.into())),
            Ok(Some(status)) => match self.apply_status(&order, &status).await? {
                NoticeOutcome::Applied(p) if matches!(*p, Paid::Delivered(_) | Paid::AlreadyPaid(_)) => {
                    Ok(Some(texts::PAYMENT_RECEIVED.into()))
                }
                NoticeOutcome::Applied(_) => Ok(Some(texts::ORDER_ALREADY_CLOSED.into())),
                _ => Ok(Some(texts::NOT_PAID_YET.into())),
            },
        }
    }

    /// `[Deposit]`: asks for the amount.
    pub(in crate::shop) async fn ask_deposit(&self, actor: &Actor) -> Result<()> {
        self.sessions.clear(actor.user.id);
        if self.pay.is_none() {
            return self.say(actor, texts::QRIS_UNAVAILABLE).await;
        }
        self.sessions.set(actor.user.id, Flow::DepositAmount);
        self.prompt(actor, texts::ASK_DEPOSIT, false).await
    }

    pub(in crate::shop) async fn deposit_amount(&self, actor: &Actor, text: &str) -> Result<()> {
        let Some(amount) = parse_amount(text).filter(|a| (MIN_DEPOSIT..=MAX_DEPOSIT).contains(a)) else {
            return self.prompt(actor, texts::BAD_DEPOSIT, false).await;
        };
        self.sessions.clear(actor.user.id);
        let buttons = self.gateway_buttons();
        if buttons.len() <= 1 && self.va_banks().is_empty() {
            // QRIS only: the invoice right away, as before bank transfers.
            if let Some(refusal) = self.method_refusal(PayMethod::Qris, amount) {
                return self.say(actor, &refusal).await;
            }
            self.create_invoice(actor, Purchase::Deposit { amount }, texts::DEPOSIT_WHAT, PayMethod::Qris).await?;
            return Ok(());
        }
        // More than one way to pay: the deposit summary, with Pakasir's fees.
        let message_id = self.tg.send(actor.chat, self.deposit_summary(amount).await).await?;
        self.sessions.set(actor.user.id, Flow::DepositPay { amount, message_id });
        Ok(())
    }

    async fn deposit_summary(&self, amount: i64) -> Out {
        let text = texts::deposit_summary(amount, &self.fee_lines(amount).await);
        Out::inline(text, vec![self.gateway_buttons(), vec![Button::cb(texts::BTN_CANCEL, Callback::Cancel)]])
    }

    pub(in crate::shop) async fn history(&self, actor: &Actor, page: u32, message_id: Option<i64>) -> Result<()> {
        let user = actor.user.id;
        let per = i64::from(HISTORY_PER_PAGE);
        let (total, orders) = self
            .db
            .call(move |c| {
                let (total, _) = store::orders::history(c, user, 0, 0)?;
                let p = Page::new(page, total, HISTORY_PER_PAGE);
                store::orders::history(c, user, p.offset(), per)
            })
            .await?;
        let p = Page::new(page, total, HISTORY_PER_PAGE);
        let mut text = texts::list_title(texts::HISTORY_TITLE, p.page, p.pages);
        if orders.is_empty() {
            text.push_str("\n\n");
            text.push_str(texts::NO_HISTORY);
        }
        for o in &orders {
            text.push_str("\n\n");
            text.push_str(&texts::history_line(
                &o.invoice_id,
                &wib(o.created_at),
                &order_what(o),
                o.total,
                o.status.as_str(),
            ));
        }
        // The goods of paid orders can be fetched again (a lost chat, a parked delivery).
        let mut rows: Vec<Vec<Button>> = orders
            .iter()
            .filter(|o| o.kind == Kind::Order && o.status == Status::Paid && !o.held)
            .map(|o| vec![Button::cb(texts::btn_resend(&o.invoice_id), Callback::Resend(o.id))])
            .collect();
        rows.push(keyboards::nav(p, Callback::History, Callback::Home));
        self.edit_or_send(actor, message_id, Out::inline(text, rows)).await?;
        Ok(())
    }

    /// `[📦 INV…]` in history: the delivery of the customer's own paid order, queued again.
    pub(in crate::shop) async fn resend_goods(&self, actor: &Actor, order_id: i64) -> Result<Option<String>> {
        let order = self.db.lookup(move |c| store::orders::get(c, order_id)).await?;
        let Some(order) = order
            .filter(|o| o.user_id == actor.user.id && o.kind == Kind::Order && o.status == Status::Paid && !o.held)
        else {
            return Ok(Some(texts::ORDER_NOT_FOUND.into()));
        };
        let queued = self
            .db
            .transact(move |tx| {
                let order = Order { chat_id: None, message_id: None, ..order };
                let deliveries: Vec<_> =
                    Self::paid_messages_in(tx, &order, &[])?.into_iter().filter(|m| m.delivery).collect();
                store::outbox::enqueue_all(tx, &deliveries, Some(order.id))?;
                Ok(deliveries.len())
            })
            .await?;
        self.outbox_wake.notify_one();
        // The items still under warranty, each with its [Klaim Garansi].
        self.warranty_offer(actor, order_id).await?;
        Ok((queued > 0).then(|| texts::RESENT.to_string()))
    }
}

/// What a summary becomes once its invoice was sent.
fn invoice_sent(method: PayMethod) -> &'static str {
    match method {
        PayMethod::Qris => texts::SUMMARY_QRIS,
        PayMethod::Va(_) => texts::SUMMARY_VA,
    }
}

/// `[Konfirmasi] [Batalkan]` for a SALDO payment of `total`.
fn saldo_confirm_rows(total: i64) -> Vec<Vec<Button>> {
    vec![vec![
        Button::cb(texts::BTN_CONFIRM, Callback::ConfirmSaldo(total)),
        Button::cb(texts::BTN_CANCEL, Callback::Cancel),
    ]]
}

fn order_what(o: &Order) -> String {
    match o.kind {
        Kind::Deposit => texts::DEPOSIT_WHAT.to_string(),
        Kind::Order => {
            o.items.first().map_or_else(|| "-".to_string(), |l| format!("{} × {}", l.product_name, l.quantity))
        }
    }
}
