//! What happens to a throttled user: one "terlalu cepat" per window, security events, and after
//! repeated flooding a temporary block with the admins told.

use serde_json::json;

use super::{incoming::Incoming, incoming::Input, ports::Out, Result, Shop};
use crate::{
    domain::audit::{ActorType, AuditAction},
    security::audit::{entry, EntryExt},
    store, texts,
};

impl Shop {
    /// Called for an update the throttle dropped. Never fails outward.
    pub async fn throttled(&self, inc: Incoming, path: &'static str, notify: bool, escalate: bool) {
        if let Err(e) = self.throttled_inner(&inc, path, notify, escalate).await {
            tracing::error!(user = inc.sender.id, error = %e, "throttle handling failed");
        }
    }

    async fn throttled_inner(&self, inc: &Incoming, path: &'static str, notify: bool, escalate: bool) -> Result<()> {
        let user = inc.sender.id;
        if let Input::Callback { callback_id, .. } = &inc.input {
            // Answer the press so the client stops spinning; the notice rides along once.
            self.tg.answer_callback(callback_id, notify.then_some(texts::TOO_FAST)).await?;
        } else if notify && inc.private {
            self.tg.send(inc.chat_id, Out::text(texts::TOO_FAST)).await?;
        }
        if notify || escalate {
            let detail = json!({ "path": path, "escalate": escalate });
            // Only users we know have a row; a stranger's first flood is logged, not stored.
            let known = self.db.lookup(move |c| Ok(store::users::get(c, user)?.is_some())).await?;
            if known {
                self.db.write(move |c| store::security::record(c, Some(user), "abuse_throttle_deny", &detail)).await?;
            }
        }
        if escalate {
            self.escalate_block(user).await?;
        }
        Ok(())
    }

    /// ≥ 20 denials in 15 minutes: block for `ABUSE_BLOCK_HOURS`, audit, tell the admins.
    async fn escalate_block(&self, user: i64) -> Result<()> {
        if self.config.is_env_admin(user) {
            return Ok(());
        }
        let until = store::now() + i64::from(self.config.abuse_block_hours) * 3600;
        self.audit(
            entry(None, ActorType::System, AuditAction::BlockApplied)
                .entity("user", user)
                .after(json!({"blocked_until": until})),
        )
        .await?;
        let blocked = self.db.write(move |c| store::users::block_until(c, user, until)).await?;
        if !blocked {
            return Ok(());
        }
        tracing::warn!(event = "block_applied", user, until, "user blocked for flooding");
        let notice = texts::admin_user_blocked(user, self.config.abuse_block_hours);
        self.notify_admins(Out::text(notice), "block").await?;
        Ok(())
    }
}
