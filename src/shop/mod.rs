//! Use cases: what happens when a customer or admin does something. Depends on the store and on
//! the small [`ports::Messenger`] trait, never on teloxide.

pub mod abuse;
pub mod admin;
pub mod anomaly;
pub mod browse;
pub mod campaign;
pub mod checkout;
pub mod incoming;
pub mod keyboards;
pub mod onboarding;
pub mod payment;
pub mod ports;
pub mod privacy;
pub mod qr;
pub mod refund;
pub mod relay;
pub mod session;

use std::{sync::Arc, time::Duration};

use incoming::{Incoming, Payload};
use ports::{Messenger, Out, PaymentGateway, SendError};
use session::{Flow, Sessions};

use crate::{
    config::Config,
    domain::{
        audit::{ActorType, AuditAction},
        callback::Callback,
        commands::{self, Public, Run},
        role::Role,
    },
    security::{
        audit::{entry, EntryExt},
        rbac::{self, Decision},
    },
    store::{self, security::SecurityEventError, users::User, Db, StoreError},
    texts,
};

#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl From<SecurityEventError> for ShopError {
    fn from(e: SecurityEventError) -> Self {
        ShopError::Store(e.into_store())
    }
}

pub type Result<T, E = ShopError> = std::result::Result<T, E>;

/// The shop: configuration, storage, sessions and the way out to Telegram. Cheap to clone.
#[derive(Clone)]
pub struct Shop {
    pub(crate) db: Db,
    pub(crate) config: Arc<Config>,
    pub(crate) tg: Arc<dyn Messenger>,
    pub(crate) sessions: Sessions,
    /// `None` when Pakasir is not configured (QRIS and deposits are off).
    pub(crate) pay: Option<Arc<dyn PaymentGateway>>,
    /// Orders asked about at Pakasir in the last 4 s (its per-transaction limit), with the
    /// answer once it came: within the window that answer stands in for asking again.
    pub(crate) status_guard: moka::sync::Cache<i64, Option<crate::pakasir::TxStatus>>,
    /// Wakes the outbox worker after a transaction queued messages.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// Wakes the broadcast engine when a broadcast was created.
    pub broadcast_wake: Arc<tokio::sync::Notify>,
    /// Banned users already told once (they get one notice, then silence).
    pub(crate) banned_notified: moka::sync::Cache<i64, ()>,
    pub(crate) started: std::time::Instant,
    sticker: Arc<std::sync::Mutex<Option<String>>>,
}

/// Who is acting, with the role the one permission check resolved.
pub(crate) struct Actor {
    pub user: User,
    pub role: Role,
    pub chat: i64,
    pub is_new: bool,
}

impl Shop {
    pub fn new(db: Db, config: Arc<Config>, tg: Arc<dyn Messenger>, pay: Option<Arc<dyn PaymentGateway>>) -> Self {
        let sessions = Sessions::new(Duration::from_secs(config.session_ttl_seconds));
        let status_guard = moka::sync::Cache::builder().time_to_live(Duration::from_secs(4)).build();
        let banned_notified = moka::sync::Cache::builder().time_to_live(Duration::from_secs(86_400)).build();
        Self {
            db,
            config,
            tg,
            sessions,
            pay,
            status_guard,
            outbox_wake: Arc::default(),
            broadcast_wake: Arc::default(),
            banned_notified,
            started: std::time::Instant::now(),
            sticker: Arc::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn messenger(&self) -> &Arc<dyn Messenger> {
        &self.tg
    }

    pub fn gateway(&self) -> Option<&Arc<dyn PaymentGateway>> {
        self.pay.as_ref()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Handles one update. Never fails outward: errors are logged with a correlation id and the
    /// person gets a short Indonesian message.
    pub async fn handle(&self, inc: Incoming) {
        if let Err(e) = self.dispatch(&inc).await {
            let correlation = format!("{:016x}", rand::random::<u64>());
            tracing::error!(correlation, user = inc.sender.id, error = %e, "update failed");
            if inc.private && !matches!(e, ShopError::Send(SendError::Blocked)) {
                let _ = self.tg.send(inc.chat_id, Out::text(texts::ERROR)).await;
            }
            if let Payload::Callback { callback_id, .. } = &inc.payload {
                let _ = self.tg.answer_callback(callback_id, None).await;
            }
        }
    }

    async fn dispatch(&self, inc: &Incoming) -> Result<()> {
        if !inc.private {
            return self.group_update(inc).await;
        }
        let actor = self.actor(inc).await?;
        let blocked = actor.user.blocked_until.is_some_and(|t| t > store::now());
        if (actor.user.banned || blocked) && actor.role != Role::Admin {
            return self.banned(&actor, inc, if actor.user.banned { texts::BANNED } else { texts::TEMP_BLOCKED }).await;
        }
        // An admin replying to a relayed KIRIM PESAN message answers that customer.
        let reply = match &inc.payload {
            Payload::Text { text, reply_to: Some(r), .. } if commands::split(text).is_none() => {
                Some((*r, text.as_str(), None))
            }
            Payload::Photo { message_id, caption, reply_to: Some(r), .. } => {
                Some((*r, caption.as_deref().unwrap_or(""), Some(*message_id)))
            }
            _ => None,
        };
        if let Some((reply_to, text, photo)) = reply {
            if self.admin_reply(actor.role, actor.chat, reply_to, text, photo).await? {
                return Ok(());
            }
        }
        match &inc.payload {
            Payload::Text { text, reply_to, .. } => match commands::split(text) {
                Some(cmd) => self.command(&actor, &cmd.name, cmd.args, None, *reply_to).await,
                None => self.text(&actor, text).await,
            },
            Payload::Callback { callback_id, message_id, data } => {
                self.callback(&actor, callback_id, *message_id, data).await
            }
            Payload::Document { file_id, size, caption, .. } => match caption.as_deref().and_then(commands::split) {
                Some(cmd) => self.command(&actor, &cmd.name, cmd.args, Some((file_id.as_str(), *size)), None).await,
                None => self.say(&actor, texts::UNSUPPORTED_MESSAGE).await,
            },
            Payload::Photo { message_id, caption, .. }
                if self.sessions.get(actor.user.id) == Some(Flow::SendMessage) =>
            {
                self.relay_to_admins(&actor, caption.as_deref().unwrap_or(""), Some(*message_id)).await
            }
            Payload::Photo { .. } | Payload::Other { .. } => self.say(&actor, texts::UNSUPPORTED_MESSAGE).await,
        }
    }

    /// In groups (whitelisted for admin notices) only admins act: their replies to relayed
    /// messages, and the decision buttons of the notices (review, refund). Everything else is
    /// ignored.
    async fn group_update(&self, inc: &Incoming) -> Result<()> {
        let reply = match &inc.payload {
            Payload::Callback { callback_id, message_id, data } => {
                return self.group_button(inc, callback_id, *message_id, data).await;
            }
            Payload::Text { text, reply_to: Some(r), .. } => Some((*r, text.as_str(), None)),
            Payload::Photo { message_id, caption, reply_to: Some(r), .. } => {
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
        let decision = Callback::parse(data).filter(|cb| {
            matches!(
                cb,
                Callback::ReviewApprove(_)
                    | Callback::ReviewReject(_)
                    | Callback::RefundApprove(_)
                    | Callback::RefundReject(_)
            )
        });
        let Some(cb) = decision else {
            self.tg.answer_callback(callback_id, None).await?;
            return Ok(());
        };
        let actor = Actor { chat: inc.chat_id, ..self.actor(inc).await? };
        if let Decision::Deny(reason) = rbac::authorize_callback(actor.role, &cb) {
            self.deny(&actor, data, reason).await?;
            self.tg.answer_callback(callback_id, Some(texts::STALE_BUTTON)).await?;
            return Ok(());
        }
        let notice = match cb {
            Callback::ReviewApprove(id) => self.decide_review(&actor, message_id, id, true).await?,
            Callback::ReviewReject(id) => self.decide_review(&actor, message_id, id, false).await?,
            Callback::RefundApprove(id) => self.decide_refund(&actor, message_id, id, true).await?,
            Callback::RefundReject(id) => self.decide_refund(&actor, message_id, id, false).await?,
            _ => None,
        };
        self.tg.answer_callback(callback_id, notice.as_deref()).await?;
        Ok(())
    }

    async fn actor(&self, inc: &Incoming) -> Result<Actor> {
        let s = inc.sender.clone();
        let id = s.id;
        // Almost every update comes from a known user whose row needs no change: a read, in
        // parallel with everything else; only new users and changed usernames queue for the writer.
        let known = self.db.lookup(move |c| store::users::get(c, id)).await?;
        let (user, is_new) = match known {
            Some(u) if !u.bot_blocked && u.username.as_deref() == s.username.as_deref() => (u, false),
            _ => {
                self.db
                    .write(move |c| store::users::get_or_create(c, s.id, &s.first_name, s.username.as_deref()))
                    .await?
            }
        };
        let role = rbac::resolve_role(Some(user.role), user.id, &self.config.admin_ids);
        if is_new {
            tracing::info!(user = user.id, "user created");
            self.audit(entry(Some(user.id), ActorType::User, AuditAction::UserCreated).entity("user", user.id)).await?;
        }
        Ok(Actor { user, role, chat: inc.chat_id, is_new })
    }

    /// A banned user hears once that they are banned, then nothing.
    async fn banned(&self, actor: &Actor, inc: &Incoming, notice: &str) -> Result<()> {
        let first = !self.banned_notified.contains_key(&actor.user.id);
        self.banned_notified.insert(actor.user.id, ());
        match &inc.payload {
            Payload::Callback { callback_id, .. } => {
                self.tg.answer_callback(callback_id, first.then_some(notice)).await?;
            }
            _ if first => self.say(actor, notice).await?,
            _ => {}
        }
        Ok(())
    }

    /// Records an `rbac_deny` (security event, audit entry, log line). The user hears nothing.
    pub(crate) async fn deny(&self, actor: &Actor, what: &str, reason: &'static str) -> Result<()> {
        tracing::warn!(
            event = "rbac_deny",
            user = actor.user.id,
            command = what,
            role = actor.role.as_str(),
            reason,
            "denied"
        );
        let detail = serde_json::json!({"command": what, "role": actor.role.as_str(), "reason": reason});
        let deny = entry(Some(actor.user.id), ActorType::User, AuditAction::RbacDeny).entity("command", what);
        Ok(self.db.security_event(deny.meta(detail)).await?)
    }

    /// Writes an audit entry; the caller's operation fails if it cannot be written.
    pub(crate) async fn audit(&self, entry: store::audit::Entry) -> Result<()> {
        self.db.append_audit(entry).await?;
        Ok(())
    }

    pub(crate) async fn say(&self, actor: &Actor, text: &str) -> Result<()> {
        self.tg.send(actor.chat, Out::text(text)).await?;
        Ok(())
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
        // /skip answers the onboarding step on screen, so it keeps the flow.
        if let Some(Run::Public(Public::Skip)) = row.map(|r| r.run) {
            return self.skip(actor).await;
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
            Public::Start => self.start(actor).await,
            Public::Stock => self.stock_list(actor, 1, None).await,
            Public::Order => self.say(actor, texts::ORDER_GUIDE).await,
            Public::Refund => self.refund_calculator(actor, args).await,
            Public::MyData => self.my_data(actor).await,
            Public::EraseData => self.ask_erase(actor).await,
            Public::Skip => self.skip(actor).await,
            Public::Help => self.help(actor).await,
        }
    }

    /// `/help`: the commands this user may run, from the table, in as many messages as needed.
    async fn help(&self, actor: &Actor) -> Result<()> {
        for part in texts::help(actor.role == Role::Admin) {
            self.say(actor, &part).await?;
        }
        Ok(())
    }

    async fn text(&self, actor: &Actor, text: &str) -> Result<()> {
        let trimmed = text.trim();
        let menu = [texts::BTN_LIST, texts::BTN_STOCK, texts::BTN_ACCOUNT, texts::BTN_MESSAGE]
            .into_iter()
            .find(|label| trimmed.eq_ignore_ascii_case(label));
        if let Some(label) = menu {
            self.sessions.clear(actor.user.id);
            return match label {
                texts::BTN_LIST => self.product_list(actor, Callback::AllProducts(1), None).await,
                texts::BTN_STOCK => self.stock_list(actor, 1, None).await,
                texts::BTN_ACCOUNT => self.account(actor, None).await,
                _ => self.ask_message(actor).await,
            };
        }
        if let Some(flow) = self.sessions.get(actor.user.id).filter(Flow::wants_text) {
            return self.flow_text(actor, flow, trimmed).await;
        }
        if let Some(id) = commands::product_id(trimmed).filter(|_| trimmed.bytes().all(|b| b.is_ascii_digit())) {
            return self.open_card(actor, id).await;
        }
        self.say(actor, texts::UNKNOWN_INPUT).await
    }

    async fn callback(&self, actor: &Actor, callback_id: &str, message_id: Option<i64>, data: &str) -> Result<()> {
        let Some(cb) = Callback::parse(data) else {
            self.tg.answer_callback(callback_id, Some(texts::STALE_BUTTON)).await?;
            return Ok(());
        };
        if let Decision::Deny(reason) = rbac::authorize_callback(actor.role, &cb) {
            self.deny(actor, data, reason).await?;
            self.tg.answer_callback(callback_id, Some(texts::STALE_BUTTON)).await?;
            return Ok(());
        }
        let notice = match cb {
            Callback::Categories(_) | Callback::Category(..) | Callback::BestSellers(_) | Callback::AllProducts(_) => {
                self.product_list(actor, cb, message_id).await?;
                None
            }
            Callback::Stock(page) => {
                self.stock_list(actor, page, message_id).await?;
                None
            }
            Callback::TopBuyers => {
                self.top_buyers(actor, message_id).await?;
                None
            }
            Callback::Home => {
                self.sessions.clear(actor.user.id);
                self.welcome(actor, message_id).await?;
                None
            }
            Callback::Product(id) => {
                self.open_card(actor, id).await?;
                None
            }
            Callback::Qty(id, step) => self.change_qty(actor, message_id, id, step).await?,
            Callback::Cancel => {
                // Only the flow on screen can be cancelled: an older card's button is stale.
                let current = match self.sessions.get(actor.user.id) {
                    Some(
                        Flow::Card { message_id: m, .. }
                        | Flow::Checkout { message_id: m, .. }
                        | Flow::VoucherCode { message_id: m, .. },
                    ) => Some(m),
                    _ => None,
                };
                if current.is_some_and(|m| Some(m) != message_id) {
                    Some(texts::STALE_BUTTON.to_string())
                } else {
                    self.sessions.clear(actor.user.id);
                    if let Some(m) = message_id {
                        self.edit_or_send(actor, Some(m), Out::text(texts::CANCELLED)).await?;
                    }
                    None
                }
            }
            Callback::Checkout(id) => self.checkout(actor, message_id, id).await?,
            Callback::BackToCard => self.back_to_card(actor, message_id).await?,
            Callback::EraseConfirm => self.erase_me(actor, message_id).await?,
            Callback::ReviewApprove(id) => self.decide_review(actor, message_id, id, true).await?,
            Callback::ReviewReject(id) => self.decide_review(actor, message_id, id, false).await?,
            Callback::RefundRequest(id) => self.request_refund(actor, id).await?,
            Callback::RefundApprove(id) => self.decide_refund(actor, message_id, id, true).await?,
            Callback::RefundReject(id) => self.decide_refund(actor, message_id, id, false).await?,
            Callback::UseVoucher => self.use_voucher(actor, message_id).await?,
            Callback::SkipVoucher => self.skip_voucher(actor, message_id).await?,
            Callback::PayQris => self.pay_qris(actor, message_id).await?,
            Callback::PaySaldo => self.pay_saldo(actor, message_id).await?,
            Callback::ConfirmSaldo(total) => self.confirm_saldo(actor, message_id, total).await?,
            Callback::CancelOrder(id) => self.cancel_order(actor, id).await?,
            Callback::OrderStatus(id) => self.order_status(actor, id).await?,
            Callback::Resend(id) => self.resend_goods(actor, id).await?,
            Callback::History(page) => {
                self.history(actor, page, message_id).await?;
                None
            }
            Callback::Deposit => {
                self.sessions.clear(actor.user.id);
                self.ask_deposit(actor).await?;
                None
            }
            Callback::EditName | Callback::EditEmail | Callback::EditWhatsapp => {
                self.ask_edit(actor, cb).await?;
                None
            }
            Callback::Noop => None,
        };
        self.tg.answer_callback(callback_id, notice.as_deref()).await?;
        Ok(())
    }

    /// Edits the message a button was pressed on, or sends a new one when there is none (or
    /// Telegram refuses the edit, e.g. the message is too old).
    pub(crate) async fn edit_or_send(&self, actor: &Actor, message_id: Option<i64>, out: Out) -> Result<i64> {
        if let Some(m) = message_id {
            match self.tg.edit(actor.chat, m, out.clone()).await {
                Ok(()) | Err(SendError::NotModified) => return Ok(m),
                Err(SendError::Refused(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.tg.send(actor.chat, out).await?)
    }

    /// Sends the welcome sticker, uploading the built-in one the first time.
    pub(crate) async fn sticker(&self, chat: i64) -> Result<()> {
        let known = self.sticker.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match self.tg.send_sticker(chat, known.as_deref()).await {
            Ok(Some(id)) => *self.sticker.lock().unwrap_or_else(|e| e.into_inner()) = Some(id),
            Ok(None) => {}
            // A sticker is decoration: a refusal must not stop the welcome.
            Err(SendError::Refused(e)) => tracing::warn!(error = %e, "welcome sticker refused"),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Publishes the `/` menus: public commands for everyone, admin commands per admin chat, and
    /// the public menu again for chats that had the admin menu but are admins no longer (e.g.
    /// revoked with `quickcart admin revoke` while the shop was down).
    pub async fn publish_commands(&self) -> Result<()> {
        self.tg.set_commands(ports::CommandScope::Default, &commands::menu(false)).await?;
        let (mut admins, had_menu) =
            self.db.call(|c| Ok((store::users::admin_ids(c)?, store::settings::admin_menu_chats(c)?))).await?;
        admins.extend(self.config.admin_ids.iter().copied());
        admins.sort_unstable();
        admins.dedup();
        for id in had_menu.iter().filter(|id| !admins.contains(id)) {
            self.publish_public_commands(*id).await?;
        }
        for id in &admins {
            self.publish_admin_commands(*id).await?;
        }
        Ok(())
    }

    /// Gives a chat the public menu only (an admin who was demoted).
    pub(crate) async fn publish_public_commands(&self, chat: i64) -> Result<()> {
        match self.tg.set_commands(ports::CommandScope::Chat(chat), &commands::menu(false)).await {
            Ok(()) | Err(SendError::Refused(_)) | Err(SendError::Blocked) => {}
            Err(e) => return Err(e.into()),
        }
        self.db.write(move |c| store::settings::set_admin_menu(c, chat, false)).await?;
        Ok(())
    }

    pub(crate) async fn publish_admin_commands(&self, chat: i64) -> Result<()> {
        match self.tg.set_commands(ports::CommandScope::Chat(chat), &commands::menu(true)).await {
            // An admin who never opened the bot has no chat yet; the menu is set at their /start.
            Ok(()) | Err(SendError::Refused(_)) | Err(SendError::Blocked) => {}
            Err(e) => return Err(e.into()),
        }
        self.db.write(move |c| store::settings::set_admin_menu(c, chat, true)).await?;
        Ok(())
    }
}
