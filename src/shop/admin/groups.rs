//! Group commands (SPEC §5): the groups whitelisted for admin notices.

use super::commands::admin_entry;
use crate::shop::{Actor, Result, Shop};
use crate::{
    domain::audit::AuditAction,
    security::audit::EntryExt,
    store::{self, audit::Entry},
    texts,
};

impl Shop {
    /// `/whitelist` (`add` true) and `/rmgroup`: only a real change is audited.
    pub(super) async fn set_group(&self, actor: &Actor, chat: i64, add: bool) -> Result<Option<Entry>> {
        let admin = actor.user.id;
        let changed = self
            .db
            .write(move |c| if add { store::groups::add(c, chat, admin) } else { store::groups::remove(c, chat) })
            .await?;
        let text = match (add, changed) {
            (true, true) => texts::group_added(chat),
            (true, false) => texts::group_exists(chat),
            (false, true) => texts::group_removed(chat),
            (false, false) => texts::group_missing(chat),
        };
        self.say(actor, &text).await?;
        Ok(changed.then(|| {
            admin_entry(actor, if add { AuditAction::GroupWhitelisted } else { AuditAction::GroupRemoved })
                .entity("group", chat)
        }))
    }
}
