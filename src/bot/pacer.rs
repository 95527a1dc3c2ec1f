//! The one budget for everything the bot sends (issue 14). Telegram allows a bot about 30
//! messages a second in all, about one a second per private chat and 20 a minute per group, and
//! answers 429 beyond. Every send of the shop passes through one [`Pacer`] so that together the
//! interactive replies, the outbox and the broadcast engine stay under those limits instead of
//! learning them from 429s.
//!
//! Two lanes share the global budget. Interactive replies (answers to what a person just did)
//! only wait for the global budget, and a person's quick burst of replies is not spread out.
//! Background sends (deliveries, notices, broadcasts) are also paced per chat and are held to a
//! slightly smaller share of the budget, so a reply always finds room even while the outbox
//! drains a flash sale.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::shop::ports::{CommandScope, MessageId, Messenger, Out, SendError};

/// Which sends wait for what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Replies to an update: the global budget only.
    Interactive,
    /// Outbox and broadcasts: the global budget, the background share and per-chat pacing.
    Background,
}

/// The shared limiters.
pub struct Pacer {
    global: DefaultDirectRateLimiter,
    background: DefaultDirectRateLimiter,
    /// `None`: no per-chat pacing (`TELEGRAM_CHAT_PACING_MS=0`).
    private_chats: Option<DefaultKeyedRateLimiter<i64>>,
    groups: Option<DefaultKeyedRateLimiter<i64>>,
    /// Background admissions so far (every few thousand, quiet chats are forgotten).
    admitted: std::sync::atomic::AtomicU64,
}

/// Messages per second the background lane leaves to interactive replies.
const INTERACTIVE_RESERVE: u32 = 3;

/// A second with a margin: Telegram counts messages as they arrive, and the way there jitters,
/// so two sends a full second apart can arrive less than a second apart.
const SECOND: Duration = Duration::from_millis(1_100);

/// One message per `period`, no burst.
fn spaced(period: Duration) -> Quota {
    Quota::with_period(period.max(Duration::from_millis(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN)
}

impl Pacer {
    /// `per_second_total`: the bot's total (Telegram: 30); `chat_pacing`: the least time between
    /// two background messages to one private chat (groups get three times as long; zero: off).
    pub fn new(per_second_total: u32, chat_pacing: Duration) -> Arc<Self> {
        let total = per_second_total.max(1);
        let background = total.saturating_sub(INTERACTIVE_RESERVE).max(total.div_ceil(2));
        // No bursts: Telegram counts in one-second windows, and a burst on top of a full second
        // is a 429.
        let global = RateLimiter::direct(spaced(SECOND / total));
        let background = RateLimiter::direct(spaced(SECOND / background));
        // A private chat takes one message a second; a group 20 a minute (one per 3 s).
        let paced = !chat_pacing.is_zero();
        let private_chats = paced.then(|| RateLimiter::keyed(spaced(chat_pacing)));
        let groups = paced.then(|| RateLimiter::keyed(spaced(chat_pacing * 3)));
        Arc::new(Self { global, background, private_chats, groups, admitted: Default::default() })
    }

    /// Waits until a message to `chat` may go out on `lane`.
    pub async fn admit(&self, lane: Lane, chat: i64) {
        if lane == Lane::Background {
            if self.admitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 4096 == 4095 {
                self.forget_quiet_chats();
            }
            // Group and channel ids are negative in the Bot API.
            let per_chat = if chat < 0 { &self.groups } else { &self.private_chats };
            if let Some(limiter) = per_chat {
                limiter.until_key_ready(&chat).await;
            }
            self.background.until_ready().await;
        }
        self.global.until_ready().await;
    }

    /// Forgets chats that have been quiet (the per-chat state is only needed while a chat is
    /// being paced).
    fn forget_quiet_chats(&self) {
        for limiter in [&self.private_chats, &self.groups].into_iter().flatten() {
            limiter.retain_recent();
        }
    }
}

/// A [`Messenger`] whose sends wait for the pacer first. Calls that are not messages to a chat
/// (answering a button, menus, downloads) pass straight through.
pub struct PacedMessenger {
    inner: Arc<dyn Messenger>,
    pacer: Arc<Pacer>,
    lane: Lane,
}

impl PacedMessenger {
    pub fn new(inner: Arc<dyn Messenger>, pacer: Arc<Pacer>, lane: Lane) -> Self {
        Self { inner, pacer, lane }
    }
}

#[async_trait]
impl Messenger for PacedMessenger {
    async fn send(&self, chat: i64, out: Out) -> Result<MessageId, SendError> {
        self.pacer.admit(self.lane, chat).await;
        self.inner.send(chat, out).await
    }

    async fn send_plain(&self, chat: i64, text: String) -> Result<MessageId, SendError> {
        self.pacer.admit(self.lane, chat).await;
        self.inner.send_plain(chat, text).await
    }

    async fn edit(&self, chat: i64, message: MessageId, out: Out) -> Result<(), SendError> {
        self.pacer.admit(self.lane, chat).await;
        self.inner.edit(chat, message, out).await
    }

    async fn delete(&self, chat: i64, message: MessageId) -> Result<(), SendError> {
        self.inner.delete(chat, message).await
    }

    async fn answer_callback(&self, callback_id: &str, notice: Option<&str>) -> Result<(), SendError> {
        self.inner.answer_callback(callback_id, notice).await
    }

    async fn send_sticker(&self, chat: i64, file_id: Option<&str>) -> Result<Option<String>, SendError> {
        self.pacer.admit(self.lane, chat).await;
        self.inner.send_sticker(chat, file_id).await
    }

    async fn send_photo(&self, chat: i64, png: Vec<u8>, caption: Out) -> Result<MessageId, SendError> {
        self.pacer.admit(self.lane, chat).await;
        self.inner.send_photo(chat, png, caption).await
    }

    async fn send_document(
        &self,
        chat: i64,
        file_name: &str,
        bytes: Vec<u8>,
        caption: Out,
    ) -> Result<MessageId, SendError> {
        self.pacer.admit(self.lane, chat).await;
        self.inner.send_document(chat, file_name, bytes, caption).await
    }

    async fn set_commands(&self, scope: CommandScope, commands: &[(&str, &str)]) -> Result<(), SendError> {
        self.inner.set_commands(scope, commands).await
    }

    async fn copy(
        &self,
        chat: i64,
        from_chat: i64,
        message: MessageId,
        caption: Option<Out>,
    ) -> Result<MessageId, SendError> {
        self.pacer.admit(self.lane, chat).await;
        self.inner.copy(chat, from_chat, message, caption).await
    }

    async fn download(&self, file_id: &str, max_bytes: u64) -> Result<Vec<u8>, SendError> {
        self.inner.download(file_id, max_bytes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn the_global_budget_spaces_every_send() {
        let pacer = Pacer::new(20, SECOND);
        let t0 = Instant::now();
        for chat in 0..21 {
            pacer.admit(Lane::Interactive, chat).await;
        }
        // 21 admissions at 20/s without a burst: the last one waits about a second.
        assert!(t0.elapsed() >= Duration::from_millis(900), "{:?}", t0.elapsed());
    }

    #[tokio::test]
    async fn background_sends_to_one_chat_wait_a_second_each_but_other_chats_do_not() {
        let pacer = Pacer::new(30, SECOND);
        let private = pacer.private_chats.as_ref().unwrap();
        pacer.admit(Lane::Background, 7).await;
        // Chat 7 is paced now; chat 8 and group -5 are not.
        assert!(private.check_key(&7).is_err());
        assert!(private.check_key(&8).is_ok());
        let t0 = Instant::now();
        pacer.admit(Lane::Background, 7).await;
        assert!(t0.elapsed() >= Duration::from_millis(800), "{:?}", t0.elapsed());
        pacer.admit(Lane::Background, -5).await;
        assert!(pacer.groups.as_ref().unwrap().check_key(&-5).is_err(), "a group waits 3 s between messages");
    }

    #[tokio::test]
    async fn replies_are_not_paced_per_chat() {
        let pacer = Pacer::new(30, SECOND);
        pacer.admit(Lane::Interactive, 7).await;
        pacer.admit(Lane::Interactive, 7).await;
        let private = pacer.private_chats.as_ref().unwrap();
        assert!(private.check_key(&7).is_ok(), "interactive sends leave the chat's pace alone");
    }
}
