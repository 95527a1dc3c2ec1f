//! An admin's reply to a relayed KIRIM PESAN message reaches the customer who sent it.

use crate::{
    domain::role::Role,
    shop::{customer::relay::MAX_RELAY_CHARS, ports::Out, Result, Shop},
    store, texts,
};

impl Shop {
    /// An admin's reply to a relayed message. `false` if `reply_to` is not a relayed message.
    pub(in crate::shop) async fn admin_reply(
        &self,
        role: Role,
        chat: i64,
        reply_to: i64,
        text: &str,
        photo_message: Option<i64>,
    ) -> Result<bool> {
        if role != Role::Admin {
            return Ok(false);
        }
        let Some(user) = self.db.call(move |c| store::relay::user_for(c, chat, reply_to)).await? else {
            return Ok(false);
        };
        let body = texts::admin_reply(&text.chars().take(MAX_RELAY_CHARS).collect::<String>());
        let sent = match photo_message {
            Some(m) => self.tg.copy(user, chat, m, Some(Out::text(body))).await,
            None => self.tg.send(user, Out::text(body)).await,
        };
        let ack = if sent.is_ok() { texts::REPLY_DELIVERED } else { texts::REPLY_FAILED };
        self.tg.send(chat, Out::text(ack)).await?;
        Ok(true)
    }
}
