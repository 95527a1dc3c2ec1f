//! KIRIM PESAN (SPEC §2): a customer's message reaches every admin and whitelisted group; an
//! admin who replies to it reaches the customer.

use super::{ports::Out, session::Flow, Actor, Result, Shop};
use crate::{domain::role::Role, store, texts};

/// Longest relayed text.
const MAX_RELAY_CHARS: usize = 3_000;

impl Shop {
    pub(crate) async fn ask_message(&self, actor: &Actor) -> Result<()> {
        self.sessions.set(actor.user.id, Flow::SendMessage);
        self.say(actor, texts::ASK_MESSAGE).await
    }

    /// The customer's message (text, or a photo with `photo_message` set) goes to every admin.
    pub(crate) async fn relay_to_admins(&self, actor: &Actor, text: &str, photo_message: Option<i64>) -> Result<()> {
        let text: String = text.trim().chars().take(MAX_RELAY_CHARS).collect();
        if text.is_empty() && photo_message.is_none() {
            return self.say(actor, texts::MESSAGE_EMPTY).await;
        }
        self.sessions.clear(actor.user.id);
        let body = texts::relay_to_admin(&actor.user.name, actor.user.id, actor.user.username.as_deref(), &text);
        for chat in self.notice_recipients().await? {
            let sent = match photo_message {
                Some(m) => self.tg.copy(chat, actor.chat, m, Some(Out::text(body.clone()))).await,
                None => self.tg.send(chat, Out::text(body.clone())).await,
            };
            match sent {
                Ok(message_id) => {
                    let user = actor.user.id;
                    self.db.write(move |c| store::relay::record(c, chat, message_id, user)).await?;
                }
                Err(e) => tracing::warn!(chat, error = %e, "relay to admin failed"),
            }
        }
        self.say(actor, texts::MESSAGE_SENT).await
    }

    /// An admin's reply to a relayed message. `false` if `reply_to` is not a relayed message.
    pub(crate) async fn admin_reply(
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
