//! Use cases: what happens when a customer or admin does something. Depends on the store and on
//! the small [`ports::Messenger`] trait, never on teloxide.

pub mod abuse;
pub mod admin;
pub mod anomaly;
pub mod chart;
pub mod customer;
pub mod incoming;
pub mod keyboards;
mod notify;
pub mod payment;
pub mod ports;
pub mod qr;
mod router;
pub mod session;

use std::{sync::Arc, time::Duration};

use incoming::{Incoming, Input};
use ports::{Messenger, Out, PaymentGateway, SendError};
use session::Sessions;

use crate::{
    config::Config,
    domain::{
        audit::{ActorType, AuditAction},
        commands,
        role::Role,
    },
    security::{
        audit::{entry, EntryExt},
        rbac,
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
    /// The same Telegram for the outbox (paced per chat, leaving room in the budget for
    /// replies) and for broadcasts (after the outbox).
    pub(crate) tg_background: Arc<dyn Messenger>,
    pub(crate) tg_bulk: Arc<dyn Messenger>,
    pub(crate) sessions: Sessions,
    /// `None` when Pakasir is not configured (QRIS and deposits are off).
    pub(crate) pay: Option<Arc<dyn PaymentGateway>>,
    /// Orders asked about at Pakasir in the last 4 s (its per-transaction limit), with the
    /// answer once it came: within the window that answer stands in for asking again.
    pub(crate) status_guard: moka::sync::Cache<i64, Option<crate::domain::payment::PaymentReport>>,
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
    pub fn new(db: Db, config: Arc<Config>, senders: ports::Senders, pay: Option<Arc<dyn PaymentGateway>>) -> Self {
        let sessions = Sessions::new(Duration::from_secs(config.session_ttl_seconds));
        let status_guard = moka::sync::Cache::builder().time_to_live(Duration::from_secs(4)).build();
        let banned_notified = moka::sync::Cache::builder().time_to_live(Duration::from_secs(86_400)).build();
        Self {
            db,
            config,
            tg: senders.replies,
            tg_background: senders.background,
            tg_bulk: senders.bulk,
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

    /// Telegram for the outbox.
    pub fn background_messenger(&self) -> &Arc<dyn Messenger> {
        &self.tg_background
    }

    /// Telegram for the broadcast engine.
    pub fn bulk_messenger(&self) -> &Arc<dyn Messenger> {
        &self.tg_bulk
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
            if let Input::Callback { callback_id, .. } = &inc.input {
                let _ = self.tg.answer_callback(callback_id, None).await;
            }
        }
    }

    pub(super) async fn actor(&self, inc: &Incoming) -> Result<Actor> {
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
    pub(super) async fn banned(&self, actor: &Actor, inc: &Incoming, notice: &str) -> Result<()> {
        let first = !self.banned_notified.contains_key(&actor.user.id);
        self.banned_notified.insert(actor.user.id, ());
        match &inc.input {
            Input::Callback { callback_id, .. } => {
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
