//! `/mydata` and `/hapusdata` (SPEC §7): a person's own data, and its erasure.

use crate::shop::{
    ports::{Button, Out},
    Actor, Result, Shop,
};
use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        callback::Callback,
    },
    security::audit::{entry, EntryExt},
    store, texts,
};

impl Shop {
    /// Sends everything stored about the user as a JSON document.
    pub(in crate::shop) async fn my_data(&self, actor: &Actor) -> Result<()> {
        let id = actor.user.id;
        let doc = self.db.call(move |c| store::privacy::export(c, id)).await?;
        let Some(doc) = doc else { return self.say(actor, texts::ERROR).await };
        let json = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        self.audit(entry(Some(id), ActorType::User, AuditAction::UserDataExported).entity("user", id)).await?;
        self.tg
            .send_document(actor.chat, &format!("data-saya-{id}.json"), json, Out::text(texts::MY_DATA_CAPTION))
            .await?;
        Ok(())
    }

    pub(in crate::shop) async fn ask_erase(&self, actor: &Actor) -> Result<()> {
        let rows = vec![vec![
            Button::cb(texts::BTN_ERASE_CONFIRM, Callback::EraseConfirm),
            Button::cb(texts::BTN_CANCEL, Callback::Cancel),
        ]];
        self.tg.send(actor.chat, Out::inline(texts::ERASE_CONFIRM, rows)).await?;
        Ok(())
    }

    /// Anonymises the user: personal fields go, sessions are dropped, financial records stay.
    pub(in crate::shop) async fn erase_me(&self, actor: &Actor, message_id: Option<i64>) -> Result<Option<String>> {
        let id = actor.user.id;
        // Audited first (ids only): the erasure never happens unrecorded.
        self.audit(entry(Some(id), ActorType::User, AuditAction::UserErased).entity("user", id)).await?;
        self.db.write(move |c| store::privacy::erase(c, id)).await?;
        self.sessions.clear(id);
        self.edit_or_send(actor, message_id, Out::text(texts::ERASED)).await?;
        Ok(None)
    }
}
