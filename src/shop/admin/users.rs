//! User commands (SPEC §5): look a user up, message them, change their balance, ban or unban
//! them, and change their role. The user hears of a change that concerns them.

use serde_json::json;

use super::commands::admin_entry;
use crate::shop::{
    ports::{Out, SendError},
    Actor, Result, Shop,
};
use crate::{
    domain::{
        audit::AuditAction,
        role::{self, Role, RoleCommand},
    },
    security::audit::EntryExt,
    store::{self, audit::Entry},
    texts,
};

impl Shop {
    /// `/info`: read only, so nothing beyond the command itself is audited.
    pub(super) async fn user_info(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        let info = self
            .db
            .call(move |c| {
                let claims = (store::warranty::count_of(c, id)?, store::warranty::latest_of(c, id, 5)?);
                Ok(store::users::info(c, id)?.map(|i| (i, claims)))
            })
            .await?;
        let Some((info, (count, latest))) = info else { return self.missing_user(actor, id).await };
        let mut text = texts::user_info(&info, self.config.is_env_admin(id));
        let latest: Vec<_> =
            latest.into_iter().map(|c| (c.id, c.invoice_id, c.status.as_str().to_string(), c.created_at)).collect();
        text.push_str(&texts::warranty::info_block(count, &latest));
        self.say(actor, &text).await?;
        Ok(None)
    }

    /// `/pm`: only to a known user; the audit keeps who, not what (messages are personal).
    pub(super) async fn pm(&self, actor: &Actor, user_id: i64, text: String) -> Result<Option<Entry>> {
        let known = self.db.lookup(move |c| store::users::get(c, user_id)).await?.is_some();
        if !known {
            return self.missing_user(actor, user_id).await;
        }
        let reply = match self.tg.send(user_id, Out::text(texts::pm_to_user(&text))).await {
            Ok(_) => texts::pm_sent(user_id),
            Err(SendError::Blocked | SendError::Refused(_)) => texts::pm_failed(user_id),
            Err(e) => return Err(e.into()),
        };
        self.say(actor, &reply).await?;
        Ok(Some(admin_entry(actor, AuditAction::UserMessaged).entity("user", user_id)))
    }

    /// `/transfer` adds `amount` (`set` false), `/editbalance` sets it (`set` true); the user
    /// hears of a credit only.
    pub(super) async fn adjust_balance(
        &self,
        actor: &Actor,
        user_id: i64,
        amount: i64,
        set: bool,
    ) -> Result<Option<Entry>> {
        let admin = actor.user.id;
        let r = self.db.write(move |c| store::ledger::admin_adjust(c, user_id, amount, set, admin)).await?;
        let Some((before, after)) = r else { return self.missing_user(actor, user_id).await };
        if before == after {
            self.say(actor, texts::BALANCE_UNCHANGED).await?;
            return Ok(None);
        }
        self.say(actor, &texts::balance_changed(user_id, before, after)).await?;
        if after > before {
            self.notify_user(user_id, &texts::balance_credited_user(after - before, after)).await;
        }
        Ok(Some(
            admin_entry(actor, AuditAction::BalanceChanged)
                .entity("user", user_id)
                .before(json!({"balance": before}))
                .after(json!({"balance": after}))
                .meta(json!({"kind": if set { "admin_edit" } else { "admin_transfer" }})),
        ))
    }

    /// `/ban` (`ban` true) and `/unban`: an admin cannot be banned; an unbanned user (also one
    /// only blocked for a while) hears it.
    pub(super) async fn set_banned(&self, actor: &Actor, id: i64, ban: bool) -> Result<Option<Entry>> {
        if ban {
            let target = self.db.lookup(move |c| store::users::get(c, id)).await?;
            if self.config.is_env_admin(id) || target.as_ref().is_some_and(|u| u.role == Role::Admin) {
                self.say(actor, texts::CANNOT_BAN_ADMIN).await?;
                return Ok(None);
            }
        }
        let was_blocked = self
            .db
            .call(move |c| {
                Ok(store::users::get(c, id)?.and_then(|u| u.blocked_until).is_some_and(|t| t > store::now()))
            })
            .await?;
        let r = self.db.write(move |c| store::users::set_banned(c, id, ban)).await?;
        let Some(before) = r else { return self.missing_user(actor, id).await };
        self.banned_notified.invalidate(&id);
        self.say(actor, &if ban { texts::banned_ok(id) } else { texts::unbanned_ok(id) }).await?;
        if !ban && (before || was_blocked) {
            self.notify_user(id, texts::UNBANNED_USER).await;
        }
        Ok(Some(
            admin_entry(actor, if ban { AuditAction::UserBanned } else { AuditAction::UserUnbanned })
                .entity("user", id)
                .before(json!({"banned": before}))
                .after(json!({"banned": ban})),
        ))
    }

    async fn missing_user(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        self.say(actor, &texts::user_missing(id)).await?;
        Ok(None)
    }

    /// Tells a user something; a user who blocked the bot simply does not hear it.
    async fn notify_user(&self, user: i64, text: &str) {
        if let Err(e) = self.tg.send(user, Out::text(text)).await {
            tracing::info!(user, error = %e, "user notice not delivered");
        }
    }

    /// Role changes follow the one rule table (`domain::role::role_change`) and take effect at
    /// once: prices and permissions are resolved per update.
    pub(super) async fn change_role(&self, actor: &Actor, id: i64, cmd: RoleCommand) -> Result<Option<Entry>> {
        let env_admin = self.config.is_env_admin(id);
        // Decided on the row the writer sees, so two admins' commands cannot interleave.
        let outcome = self
            .db
            .write(move |c| {
                let Some(target) = store::users::get(c, id)? else { return Ok(None) };
                let decided = role::role_change(cmd, target.role, env_admin);
                if let Ok(new) = decided {
                    store::users::change_role(c, id, new)?;
                }
                Ok(Some((target, decided)))
            })
            .await?;
        let Some((target, decided)) = outcome else { return self.missing_user(actor, id).await };
        let role = match decided {
            Ok(role) => role,
            Err(why) => return self.refuse(actor, &texts::role_refused(id, cmd, why, env_admin)).await,
        };
        self.say(actor, &texts::role_set(id, role.as_str())).await?;
        match (target.role, role) {
            (_, Role::Admin) => {
                self.publish_admin_commands(id).await?;
                self.notify_user(id, texts::YOU_ARE_ADMIN).await;
            }
            (Role::Admin, _) => self.publish_public_commands(id).await?,
            (_, Role::Reseller) => self.notify_user(id, texts::YOU_ARE_RESELLER).await,
            (Role::Reseller, _) => self.notify_user(id, texts::YOU_ARE_NOT_RESELLER).await,
            _ => {}
        }
        Ok(Some(
            admin_entry(actor, AuditAction::RoleChanged)
                .entity("user", id)
                .before(json!({"role": target.role.as_str()}))
                .after(json!({"role": role.as_str()})),
        ))
    }
}
