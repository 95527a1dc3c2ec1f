//! KIRIM PESAN (SPEC §2): a customer's message reaches every admin and whitelisted group; an
//! admin who replies to it reaches the customer.

use crate::shop::{ports::Out, session::Flow, Actor, Result, Shop};
use crate::{store, texts};

/// Longest relayed text.
pub(crate) const MAX_RELAY_CHARS: usize = 3_000;
/// Telegram's limit for a photo caption, in UTF-16 units after entity parsing.
const MAX_CAPTION_UNITS: usize = 1_024;

/// Whether `html` fits a caption. Counted on the HTML itself: tags and entities only shrink when
/// Telegram parses them, so this never says "fits" wrongly.
fn fits_caption(html: &str) -> bool {
    html.encode_utf16().count() <= MAX_CAPTION_UNITS
}

impl Shop {
    pub(in crate::shop) async fn ask_message(&self, actor: &Actor) -> Result<()> {
        self.sessions.set(actor.user.id, Flow::SendMessage);
        self.prompt(actor, texts::ASK_MESSAGE, false).await
    }

    /// The customer's message (text, or a photo with `photo_message` set) goes to every admin.
    /// The customer hears "sent" only once it reached at least one of them in full.
    pub(in crate::shop) async fn relay_to_admins(
        &self,
        actor: &Actor,
        text: &str,
        photo_message: Option<i64>,
    ) -> Result<()> {
        let text: String = text.trim().chars().take(MAX_RELAY_CHARS).collect();
        if text.is_empty() && photo_message.is_none() {
            return self.say(actor, texts::MESSAGE_EMPTY).await;
        }
        let (name, username) = (&actor.user.name, actor.user.username.as_deref());
        let body = texts::relay_to_admin(name, actor.user.id, username, &text);
        let mut delivered = 0;
        for chat in self.notice_recipients().await? {
            let sent = match photo_message {
                Some(m) if fits_caption(&body) => {
                    self.tg.copy(chat, actor.chat, m, Some(Out::text(body.clone()))).await
                }
                // Too long for a caption (1,024): the full text first, then the photo under a
                // short caption; a reply to either reaches the customer.
                Some(m) => match self.tg.send(chat, Out::text(body.clone())).await {
                    Ok(text_id) => {
                        self.record_relay(chat, text_id, actor.user.id).await?;
                        let caption = texts::relay_photo_caption(name, actor.user.id, username);
                        self.tg.copy(chat, actor.chat, m, Some(Out::text(caption))).await
                    }
                    Err(e) => Err(e),
                },
                None => self.tg.send(chat, Out::text(body.clone())).await,
            };
            match sent {
                Ok(message_id) => {
                    self.record_relay(chat, message_id, actor.user.id).await?;
                    delivered += 1;
                }
                Err(e) => tracing::warn!(chat, error = %e, "relay to admin failed"),
            }
        }
        if delivered == 0 {
            // The flow stays: sending again retries.
            return self.say(actor, texts::MESSAGE_NOT_SENT).await;
        }
        self.sessions.clear(actor.user.id);
        self.say(actor, texts::MESSAGE_SENT).await
    }

    async fn record_relay(&self, chat: i64, message_id: i64, user: i64) -> Result<()> {
        self.db.write(move |c| store::relay::record(c, chat, message_id, user)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_captions_do_not_fit() {
        assert!(fits_caption(&"x".repeat(1_024)));
        assert!(!fits_caption(&"x".repeat(1_025)));
        assert!(!fits_caption(&"🎮".repeat(513)), "emoji count twice");
        let body = texts::relay_to_admin("Budi", 7, Some("budi"), &"a".repeat(1_000));
        assert!(!fits_caption(&body));
        assert!(fits_caption(&texts::relay_photo_caption(&"B".repeat(64), 1 << 52, Some(&"u".repeat(32)))));
    }
}
