//! Where an update goes. Each kind of input has one table: slash commands the command table
//! (`domain::commands`), reply-keyboard labels [`MENU`], text typed into a flow
//! [`Shop::flow_input`], inline buttons [`Shop::customer_button`] and [`Shop::admin_button`]
//! (one line per button). Permission is asked once, here, before any handler runs.

use super::{
    incoming::{Incoming, Input},
    session::Flow,
    Actor, Result, Shop,
};
use crate::{
    domain::{
        callback::Callback,
        commands::{self, Public, Run},
        ids::{ClaimId, OrderId, Ruling},
        role::Role,
    },
    security::rbac::{self, Decision},
    store, texts,
};

/// What a reply-keyboard label opens.
#[derive(Clone, Copy)]
enum Menu {
    Products,
    Stock,
    Account,
    Message,
}

/// The reply keyboard under the text field: typing a label is pressing it.
const MENU: [(&str, Menu); 4] = [
    (texts::BTN_LIST, Menu::Products),
    (texts::BTN_STOCK, Menu::Stock),
    (texts::BTN_ACCOUNT, Menu::Account),
    (texts::BTN_MESSAGE, Menu::Message),
];

/// A handler that only shows something answers the button press with no pop-up.
fn shown(done: Result<()>) -> Result<Option<String>> {
    done.map(|()| None)
}

impl Shop {
    pub(super) async fn dispatch(&self, inc: &Incoming) -> Result<()> {
        if !inc.private {
            return self.group_update(inc).await;
        }
        let actor = self.actor(inc).await?;
        // Telegram Stars (issue 18): answered and applied whoever pays (a ban refuses the
        // pre-checkout; a payment that went through is applied or refunded, never dropped).
        match &inc.input {
            Input::PreCheckout { query_id, currency, total, payload } => {
                return self.pre_checkout(&actor, query_id, currency, *total, payload).await;
            }
            Input::StarsPaid { currency, total, payload, charge_id, .. } => {
                return self.stars_paid(&actor, currency, *total, payload, charge_id).await;
            }
            _ => {}
        }
        let blocked = actor.user.blocked_until.is_some_and(|t| t > store::now());
        if (actor.user.banned || blocked) && actor.role != Role::Admin {
            return self.banned(&actor, inc, if actor.user.banned { texts::BANNED } else { texts::TEMP_BLOCKED }).await;
        }
        // An admin replying to a relayed KIRIM PESAN message answers that customer.
        let reply = match &inc.input {
            Input::Text { text, reply_to: Some(r), .. } if commands::split(text).is_none() => {
                Some((*r, text.as_str(), None))
            }
            Input::Photo { message_id, caption, reply_to: Some(r), .. } => {
                Some((*r, caption.as_deref().unwrap_or(""), Some(*message_id)))
            }
            _ => None,
        };
        if let Some((reply_to, text, photo)) = reply {
            if self.admin_reply(actor.role, actor.chat, reply_to, text, photo).await? {
                return Ok(());
            }
        }
        match &inc.input {
            Input::Text { text, reply_to, .. } => match commands::split(text) {
                Some(cmd) => self.command(&actor, &cmd.name, cmd.args, None, *reply_to).await,
                None => self.text(&actor, text).await,
            },
            Input::Callback { callback_id, message_id, data } => {
                self.callback(&actor, callback_id, *message_id, data).await
            }
            Input::Document { file_id, size, caption, .. } => match caption.as_deref().and_then(commands::split) {
                Some(cmd) => self.command(&actor, &cmd.name, cmd.args, Some((file_id.as_str(), *size)), None).await,
                None => self.say(&actor, texts::UNSUPPORTED_MESSAGE).await,
            },
            Input::Photo { message_id, caption, .. } if self.sessions.get(actor.user.id) == Some(Flow::SendMessage) => {
                self.relay_to_admins(&actor, caption.as_deref().unwrap_or(""), Some(*message_id)).await
            }
            Input::Photo { message_id, file_id, caption, .. } => match self.sessions.get(actor.user.id) {
                Some(Flow::WarrantyProblem { item_id }) => {
                    let photo = Some((*message_id, file_id.clone()));
                    self.warranty_problem(&actor, item_id, caption.as_deref().unwrap_or(""), photo).await
                }
                _ => self.say(&actor, texts::UNSUPPORTED_MESSAGE).await,
            },
            Input::Other { .. } => self.say(&actor, texts::UNSUPPORTED_MESSAGE).await,
            Input::PreCheckout { .. } | Input::StarsPaid { .. } => Ok(()),
        }
    }

    /// In groups (whitelisted for admin notices) only admins act: their replies to relayed
    /// messages, and the decision buttons of the notices (review, refund). Everything else is
    /// ignored.
    async fn group_update(&self, inc: &Incoming) -> Result<()> {
        let reply = match &inc.input {
            Input::Callback { callback_id, message_id, data } => {
                return self.group_button(inc, callback_id, *message_id, data).await;
            }
            Input::Text { text, reply_to: Some(r), .. } => Some((*r, text.as_str(), None)),
            Input::Photo { message_id, caption, reply_to: Some(r), .. } => {
                Some((*r, caption.as_deref().unwrap_or(""), Some(*message_id)))
            }
            _ => None,
        };
        let Some((reply_to, text, photo)) = reply else { return Ok(()) };
        let id = inc.sender.id;
        let stored = self.db.lookup(move |c| store::users::get(c, id)).await?.map(|u| u.role);
        let role = rbac::resolve_role(stored, id, &self.config.admin_ids);
        self.admin_reply(role, inc.chat_id, reply_to, text, photo).await?;
        Ok(())
    }

    /// An admin decision button pressed in a group: the same permission check and use case as
    /// in a private chat; the answer goes to the group message. Other buttons do nothing there.
    async fn group_button(&self, inc: &Incoming, callback_id: &str, message_id: Option<i64>, data: &str) -> Result<()> {
        let Some(cb) = Callback::parse(data).filter(Callback::is_admin_decision) else {
            self.tg.answer_callback(callback_id, None).await?;
            return Ok(());
        };
        let actor = Actor { chat: inc.chat_id, ..self.actor(inc).await? };
        self.press(&actor, callback_id, message_id, data, cb).await
    }

    /// Routes a command by its row in the one command table.
    async fn command(
        &self,
        actor: &Actor,
        name: &str,
        args: &str,
        document: Option<(&str, u64)>,
        reply_to: Option<i64>,
    ) -> Result<()> {
        if let Decision::Deny(reason) = rbac::authorize(actor.role, name) {
            // Silence: to a non-admin an admin command does not exist.
            return self.deny(actor, name, reason).await;
        }
        let row = commands::find(name);
        // /skip and /batal answer the step on screen, so they read the flow before it is dropped.
        match row.map(|r| r.run) {
            Some(Run::Public(Public::Skip)) => return self.skip(actor).await,
            Some(Run::Public(Public::Cancel)) => return self.leave_flow(actor).await,
            _ => {}
        }
        // Any other command starts afresh: the old flow's state is dropped (flexible navigation).
        self.sessions.clear(actor.user.id);
        let Some(row) = row else { return self.say(actor, texts::UNKNOWN_INPUT).await };
        match row.run {
            Run::Public(public) => self.public_command(actor, public, args).await,
            Run::Admin(grammar) => self.admin_command(actor, row.name, grammar, args, document, reply_to).await,
        }
    }

    /// The one dispatch from a public command to its handler.
    async fn public_command(&self, actor: &Actor, command: Public, args: &str) -> Result<()> {
        match command {
            Public::Start => self.start(actor, args).await,
            Public::Stock => self.stock_list(actor, 1, None).await,
            Public::Order => self.say(actor, texts::ORDER_GUIDE).await,
            Public::Refund => self.refund_calculator(actor, args).await,
            Public::MyData => self.my_data(actor).await,
            Public::EraseData => self.ask_erase(actor).await,
            Public::Skip => self.skip(actor).await,
            Public::Help => self.help(actor).await,
            Public::Cancel => self.leave_flow(actor).await,
        }
    }

    /// `/help`: the commands this user may run, from the table, in as many messages as needed.
    async fn help(&self, actor: &Actor) -> Result<()> {
        for part in texts::help(actor.role == Role::Admin) {
            self.say(actor, &part).await?;
        }
        Ok(())
    }

    /// Text that is not a command: a menu label, the input a flow waits for, or a product id.
    async fn text(&self, actor: &Actor, text: &str) -> Result<()> {
        let trimmed = text.trim();
        if let Some((_, menu)) = MENU.iter().find(|(label, _)| trimmed.eq_ignore_ascii_case(label)) {
            self.sessions.clear(actor.user.id);
            return match menu {
                Menu::Products => self.product_list(actor, Callback::AllProducts(1), None).await,
                Menu::Stock => self.stock_list(actor, 1, None).await,
                Menu::Account => self.account(actor, None).await,
                Menu::Message => self.ask_message(actor).await,
            };
        }
        let product = commands::product_id(trimmed).filter(|_| trimmed.bytes().all(|b| b.is_ascii_digit()));
        if let Some(flow) = self.sessions.get(actor.user.id).filter(Flow::wants_text) {
            // The number of a product on sale (a reply-keyboard button) is never a valid phone
            // number, e-mail or voucher code: there it leaves the step and opens the product.
            // Any other number stays the step's input (and is refused with the formats).
            let on_sale = match product.filter(|_| trimmed.len() <= 6 && flow.refuses_product_numbers()) {
                Some(id) => self.db.lookup(move |c| store::products::get_active(c, id)).await?.is_some(),
                None => false,
            };
            if !on_sale {
                return self.flow_input(actor, flow, trimmed).await;
            }
            self.sessions.clear(actor.user.id);
        }
        if let Some(id) = product {
            return self.open_card(actor, id).await;
        }
        self.say(actor, texts::UNKNOWN_INPUT).await
    }

    /// Plain text typed while a flow waits for it.
    async fn flow_input(&self, actor: &Actor, flow: Flow, text: &str) -> Result<()> {
        match flow {
            Flow::Onboarding(_) | Flow::EditName | Flow::EditEmail | Flow::EditWhatsapp => {
                self.profile_field(actor, flow, text).await
            }
            Flow::DepositAmount => self.deposit_amount(actor, text).await,
            Flow::SendMessage => self.relay_to_admins(actor, text, None).await,
            Flow::WarrantyProblem { item_id } => self.warranty_problem(actor, item_id, text, None).await,
            Flow::WarrantyReason { claim_id, chat, message_id } => {
                self.warranty_reason(actor, claim_id, chat, message_id, text).await
            }
            Flow::VoucherCode { .. } => self.voucher_code(actor, flow, text).await,
            Flow::Card { .. } | Flow::Checkout { .. } | Flow::DepositPay { .. } | Flow::SegmentConfirm { .. } => {
                self.say(actor, texts::UNKNOWN_INPUT).await
            }
        }
    }

    async fn callback(&self, actor: &Actor, callback_id: &str, message_id: Option<i64>, data: &str) -> Result<()> {
        let Some(cb) = Callback::parse(data) else {
            self.tg.answer_callback(callback_id, Some(texts::STALE_BUTTON)).await?;
            return Ok(());
        };
        self.press(actor, callback_id, message_id, data, cb).await
    }

    /// A parsed button: the permission check, its handler, then the answer to the press (a
    /// short pop-up notice or nothing).
    async fn press(
        &self,
        actor: &Actor,
        callback_id: &str,
        message_id: Option<i64>,
        data: &str,
        cb: Callback,
    ) -> Result<()> {
        if let Decision::Deny(reason) = rbac::authorize_callback(actor.role, &cb) {
            self.deny(actor, data, reason).await?;
            self.tg.answer_callback(callback_id, Some(texts::STALE_BUTTON)).await?;
            return Ok(());
        }
        let notice = if cb.is_admin_decision() {
            self.admin_button(actor, message_id, cb).await?
        } else {
            self.customer_button(actor, message_id, cb).await?
        };
        self.tg.answer_callback(callback_id, notice.as_deref()).await?;
        Ok(())
    }

    /// The admins' decision buttons (review and refund).
    async fn admin_button(&self, actor: &Actor, m: Option<i64>, cb: Callback) -> Result<Option<String>> {
        match cb {
            Callback::ReviewApprove(id) => self.decide_review(actor, m, OrderId(id), Ruling::Approve).await,
            Callback::ReviewReject(id) => self.decide_review(actor, m, OrderId(id), Ruling::Reject).await,
            Callback::RefundApprove(id) => self.decide_refund(actor, m, ClaimId(id), Ruling::Approve).await,
            Callback::RefundReject(id) => self.decide_refund(actor, m, ClaimId(id), Ruling::Reject).await,
            Callback::WarrantyReplace(id) => self.warranty_replace(actor, m, id).await,
            Callback::WarrantyRefund(id) => self.warranty_refund(actor, m, id).await,
            Callback::WarrantyReject(id) => self.warranty_reject(actor, m, id).await,
            _ => Ok(None),
        }
    }

    /// A customer's buttons: one line each. `m` is the message the button is on.
    async fn customer_button(&self, actor: &Actor, m: Option<i64>, cb: Callback) -> Result<Option<String>> {
        match cb {
            Callback::Categories(_) | Callback::Category(..) | Callback::BestSellers(_) | Callback::AllProducts(_) => {
                shown(self.product_list(actor, cb, m).await)
            }
            Callback::Stock(page) => shown(self.stock_list(actor, page, m).await),
            Callback::TopBuyers => shown(self.top_buyers(actor, m).await),
            Callback::Home => shown(self.home(actor, m).await),
            Callback::Product(id) => shown(self.open_card(actor, id).await),
            Callback::Qty(id, step) => self.change_qty(actor, m, id, step).await,
            Callback::Cancel => self.cancel_flow(actor, m).await,
            Callback::Checkout(id) => self.checkout(actor, m, id).await,
            Callback::NotifyRestock(id) => self.notify_restock(actor, m, id).await,
            Callback::CancelRestock(id) => self.cancel_restock(actor, m, id).await,
            Callback::BackToCard => self.back_to_card(actor, m).await,
            Callback::BackToSummary => self.back_to_summary(actor, m).await,
            Callback::UseVoucher => self.use_voucher(actor, m).await,
            Callback::SkipVoucher => self.skip_voucher(actor, m).await,
            Callback::SkipStep => shown(self.skip(actor).await),
            Callback::PayQris => self.pay_qris(actor, m).await,
            Callback::PaySaldo => self.pay_saldo(actor, m).await,
            Callback::PayVa => self.pay_va(actor, m).await,
            Callback::PayBank(i) => match crate::domain::payment::Bank::from_index(i) {
                Some(bank) => self.pay_gateway(actor, m, crate::domain::payment::PayMethod::Va(bank)).await,
                None => Ok(Some(texts::STALE_BUTTON.into())),
            },
            Callback::PayStars => self.pay_stars(actor, m).await,
            Callback::ConfirmSaldo(total) => self.confirm_saldo(actor, m, total).await,
            Callback::CancelOrder(id) => self.cancel_order(actor, id).await,
            Callback::OrderStatus(id) => self.order_status(actor, id).await,
            Callback::RefundRequest(id) => self.request_refund(actor, id).await,
            Callback::WarrantyClaim(id) => self.claim_warranty(actor, id).await,
            Callback::History(page) => shown(self.history(actor, page, m).await),
            Callback::Resend(id) => self.resend_goods(actor, id).await,
            Callback::Deposit => shown(self.ask_deposit(actor).await),
            Callback::EditName | Callback::EditEmail | Callback::EditWhatsapp => shown(self.ask_edit(actor, cb).await),
            Callback::EraseConfirm => self.erase_me(actor, m).await,
            Callback::Noop => Ok(None),
            Callback::SegmentSend(nonce) => self.segment_confirmed(actor, m, nonce, true).await,
            Callback::SegmentCancel(nonce) => self.segment_confirmed(actor, m, nonce, false).await,
            Callback::ReviewApprove(_)
            | Callback::ReviewReject(_)
            | Callback::RefundApprove(_)
            | Callback::RefundReject(_)
            | Callback::WarrantyReplace(_)
            | Callback::WarrantyRefund(_)
            | Callback::WarrantyReject(_) => self.admin_button(actor, m, cb).await,
        }
    }
}
