//! The one budget for everything the bot sends (issue 14). Telegram allows a bot about 30
//! messages a second in all, about one a second per private chat and 20 a minute per group, and
//! answers 429 beyond. Every send of the shop passes through one [`Pacer`] so that together the
//! interactive replies, the outbox and the broadcast engine stay under those limits instead of
//! learning them from 429s.
//!
//! Three lanes share the global budget, in this order of priority:
//! - interactive replies (answers to what a person just did) only wait for the global budget,
//!   and a person's quick burst of replies is not spread out; a 429 is waited out and the reply
//!   sent again instead of failing the update;
//! - background sends (the outbox: deliveries, then notices) are also paced per chat, held to
//!   a slightly smaller share of the budget and, beyond a third of the budget, take a slot only
//!   while no reply waits for one: a reply finds room at once even while the outbox drains a
//!   flash sale, and a crowd chatting with the bot cannot starve paid deliveries;
//! - bulk sends (broadcasts) go like background sends, but only while no background send is
//!   waiting for the budget: a broadcast fills what a sale leaves over and never delays it.
//!
//! Telegram's 429s are fed back: when several chats meet one within a second, the bot as a
//! whole is too fast and every lane waits out the `retry_after`; one chat's 429 is that chat's
//! business (the outbox retries that row later).

use std::{
    future::Future,
    num::NonZeroU32,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::shop::ports::{CommandScope, MessageId, Messenger, Out, SendError};

/// Which sends wait for what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Replies to an update: the global budget only.
    Interactive,
    /// The outbox: the global budget, the background share and per-chat pacing.
    Background,
    /// Broadcasts: as [`Lane::Background`], after every waiting background send.
    Bulk,
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
    /// Replies waiting for the budget (the outbox and broadcasts wait while there are any).
    replies: Queue,
    /// The outbox's share that replies cannot take (a third of the budget), and the outbox sends
    /// within it waiting for the budget (replies wait while there are any).
    outbox_floor: DefaultDirectRateLimiter,
    owed: Queue,
    /// Outbox sends past their chat's pacing, waiting for the budget (broadcasts wait while
    /// there are any).
    outbox: Queue,
    /// `None`: no per-chat pacing; else the least time between two background messages to a
    /// private chat (a group: three times as long).
    chat_pacing: Option<Duration>,
    /// When each chat last had a message let through, and the one before.
    last_sent: std::sync::Mutex<std::collections::HashMap<i64, Sent>>,
    /// Recent 429s (when, which chat), and until when the whole bot holds back.
    limited: std::sync::Mutex<Limited>,
}

/// The last two sends let through to one chat.
#[derive(Clone, Copy)]
struct Sent {
    last: std::time::Instant,
    before: Option<std::time::Instant>,
}

impl Sent {
    fn record(entry: Option<&mut Sent>, now: std::time::Instant) -> Sent {
        Sent { last: now, before: entry.map(|s| s.last) }
    }

    /// Two sends closer together than `pace`: the chat's own limit explains a 429.
    fn crowded(&self, pace: Duration) -> bool {
        self.before.is_some_and(|b| self.last.duration_since(b) < pace)
    }
}

#[derive(Default)]
struct Limited {
    recent: std::collections::VecDeque<(std::time::Instant, i64)>,
    hold_until: Option<std::time::Instant>,
}

/// 429s for this many different chats within a second mean the bot as a whole is too fast.
const GLOBAL_429_CHATS: usize = 3;

/// Longest 429 wait an interactive reply sits out before it is sent again (a longer one fails
/// the reply: the person has moved on).
const REPLY_RETRY_LIMIT: Duration = Duration::from_secs(5);

/// How often an outbox send that gives way to replies looks whether its floor has room again.
const FLOOR_LOOK: Duration = Duration::from_millis(100);

/// Messages per second the background lane leaves to interactive replies.
const INTERACTIVE_RESERVE: u32 = 2;

/// A second with a margin: Telegram counts messages as they arrive, and the way there jitters,
/// so two sends a full second apart can arrive less than a second apart.
const SECOND: Duration = Duration::from_millis(1_100);

/// A group takes a message every three private-chat paces (Telegram: 20 a minute).
const GROUP_PACE: u32 = 3;

/// Group and channel ids are negative in the Bot API.
fn is_group(chat: i64) -> bool {
    chat < 0
}

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
        let groups = paced.then(|| RateLimiter::keyed(spaced(chat_pacing * GROUP_PACE)));
        Arc::new(Self {
            global,
            background,
            private_chats,
            groups,
            admitted: Default::default(),
            replies: Queue::default(),
            owed: Queue::default(),
            outbox_floor: RateLimiter::direct(spaced(SECOND / total.div_ceil(3))),
            outbox: Queue::default(),
            chat_pacing: paced.then_some(chat_pacing),
            last_sent: Default::default(),
            limited: Default::default(),
        })
    }

    /// Waits until a message to `chat` may go out on `lane`.
    pub async fn admit(&self, lane: Lane, chat: i64) {
        self.wait_out_hold().await;
        if lane == Lane::Interactive {
            let _waiting = self.replies.enter();
            take_after(&self.global, &self.owed).await;
            // Replies do not wait for their chat, but the chat's next background message does.
            if self.chat_pacing.is_some() {
                let mut last = self.last_sent.lock().unwrap_or_else(|e| e.into_inner());
                let sent = Sent::record(last.get_mut(&chat), std::time::Instant::now());
                last.insert(chat, sent);
            }
            return;
        }
        if self.admitted.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.forget_quiet_chats();
        }
        let per_chat = if is_group(chat) { &self.groups } else { &self.private_chats };
        if let Some(limiter) = per_chat {
            limiter.until_key_ready(&chat).await;
        }
        if lane == Lane::Bulk {
            take_after(&self.background, &self.outbox).await;
            take_after(&self.global, &self.replies).await;
        } else {
            let _waiting = self.outbox.enter();
            self.background.until_ready().await;
            // Within its floor the outbox goes first: a crowd of people chatting with the bot
            // cannot hold paid deliveries back. Beyond it, a send gives way to replies and looks
            // at the floor again now and then (else the sends that gave way would fill the
            // outbox's lanes until the crowd is gone).
            loop {
                if self.outbox_floor.check().is_ok() {
                    let _owed = self.owed.enter();
                    self.global.until_ready().await;
                    break;
                }
                let gave_way = take_after(&self.global, &self.replies);
                if tokio::time::timeout(FLOOR_LOOK, gave_way).await.is_ok() {
                    break;
                }
            }
        }
        self.last_look(chat).await;
    }

    /// The chat's pace is taken when a send is let in, and the send may then wait for the
    /// budget; a later send to the same chat (a delivery after a broadcast message) may wait
    /// less. Before it goes, a send looks once more when its chat last had one.
    async fn last_look(&self, chat: i64) {
        let Some(pace) = self.pace(chat) else { return };
        loop {
            let wait = {
                let mut last = self.last_sent.lock().unwrap_or_else(|e| e.into_inner());
                let now = std::time::Instant::now();
                match last.get(&chat).map(|t| (t.last + pace).saturating_duration_since(now)) {
                    Some(wait) if !wait.is_zero() => wait,
                    _ => {
                        let sent = Sent::record(last.get_mut(&chat), now);
                        last.insert(chat, sent);
                        return;
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// The least time between two messages to `chat` (`None`: no per-chat pacing).
    fn pace(&self, chat: i64) -> Option<Duration> {
        self.chat_pacing.map(|p| if is_group(chat) { p * GROUP_PACE } else { p })
    }

    /// Telegram answered 429 for `chat` with `retry_after`. Several chats within a second whose
    /// own pace does not explain it (a reply of two messages does): the whole bot waits it out.
    pub fn rate_limited(&self, chat: i64, retry_after: Duration) {
        let now = std::time::Instant::now();
        let crowded = self.pace(chat).is_some_and(|pace| {
            let last = self.last_sent.lock().unwrap_or_else(|e| e.into_inner());
            last.get(&chat).is_some_and(|sent| sent.crowded(pace))
        });
        if crowded {
            return;
        }
        let mut limited = self.limited.lock().unwrap_or_else(|e| e.into_inner());
        limited.recent.retain(|(t, _)| now.duration_since(*t) < Duration::from_secs(1));
        limited.recent.push_back((now, chat));
        let chats: std::collections::HashSet<i64> = limited.recent.iter().map(|(_, c)| *c).collect();
        if chats.len() >= GLOBAL_429_CHATS {
            let until = now + retry_after.max(Duration::from_millis(200));
            limited.hold_until = Some(limited.hold_until.map_or(until, |t| t.max(until)));
            tracing::warn!(
                chats = chats.len(),
                retry_after_s = retry_after.as_secs(),
                "telegram rate limit for the whole bot, holding every send"
            );
        }
    }

    async fn wait_out_hold(&self) {
        let until = self.limited.lock().unwrap_or_else(|e| e.into_inner()).hold_until;
        if let Some(until) = until.filter(|t| *t > std::time::Instant::now()) {
            tokio::time::sleep_until(until.into()).await;
        }
    }

    /// Forgets chats that have been quiet (the per-chat state is only needed while a chat is
    /// being paced).
    fn forget_quiet_chats(&self) {
        for limiter in [&self.private_chats, &self.groups].into_iter().flatten() {
            limiter.retain_recent();
        }
        if let Some(pace) = self.chat_pacing {
            let now = std::time::Instant::now();
            let mut last = self.last_sent.lock().unwrap_or_else(|e| e.into_inner());
            last.retain(|_, t| now.duration_since(t.last) < pace * GROUP_PACE);
        }
    }
}

/// Sends of one lane waiting for the budget: lanes below wait while there are any.
#[derive(Default)]
struct Queue {
    waiting: std::sync::atomic::AtomicUsize,
    empty: tokio::sync::Notify,
}

impl Queue {
    /// Counts a send as waiting until the returned guard is dropped (admitted, or given up).
    fn enter(&self) -> InQueue<'_> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        InQueue(self)
    }

    async fn until_empty(&self) {
        while self.waiting.load(Ordering::Acquire) > 0 {
            let empty = self.empty.notified();
            if self.waiting.load(Ordering::Acquire) == 0 {
                break;
            }
            // The notice can race a new waiter: look again now and then regardless.
            let _ = tokio::time::timeout(Duration::from_millis(50), empty).await;
        }
    }
}

struct InQueue<'a>(&'a Queue);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        if self.0.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.empty.notify_waiters();
        }
    }
}

/// Takes a slot of `limiter` only while nobody waits in `before`, looking again each time a
/// slot comes free (so a send of a higher lane that arrives meanwhile goes first).
async fn take_after(limiter: &DefaultDirectRateLimiter, before: &Queue) {
    use governor::clock::Clock;
    loop {
        before.until_empty().await;
        match limiter.check() {
            Ok(()) => return,
            Err(later) => tokio::time::sleep(later.wait_time_from(limiter.clock().now())).await,
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

    /// Admits, sends, and tells the pacer of a 429. A reply that meets a short 429 waits it out
    /// and goes once more; other lanes hand the 429 to their caller (the outbox retries the row
    /// later, the broadcast engine puts the recipient back).
    async fn paced<T, F, Fut>(&self, chat: i64, call: F) -> Result<T, SendError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SendError>>,
    {
        let mut retried = false;
        loop {
            self.pacer.admit(self.lane, chat).await;
            match call().await {
                Err(SendError::RetryAfter(d)) => {
                    self.pacer.rate_limited(chat, d);
                    if self.lane == Lane::Interactive && !retried && d <= REPLY_RETRY_LIMIT {
                        retried = true;
                        tokio::time::sleep(d).await;
                        continue;
                    }
                    return Err(SendError::RetryAfter(d));
                }
                other => return other,
            }
        }
    }
}

#[async_trait]
impl Messenger for PacedMessenger {
    async fn send(&self, chat: i64, out: Out) -> Result<MessageId, SendError> {
        self.paced(chat, || self.inner.send(chat, out.clone())).await
    }

    async fn send_plain(&self, chat: i64, text: String) -> Result<MessageId, SendError> {
        self.paced(chat, || self.inner.send_plain(chat, text.clone())).await
    }

    async fn edit(&self, chat: i64, message: MessageId, out: Out) -> Result<(), SendError> {
        self.paced(chat, || self.inner.edit(chat, message, out.clone())).await
    }

    async fn delete(&self, chat: i64, message: MessageId) -> Result<(), SendError> {
        self.inner.delete(chat, message).await
    }

    async fn answer_callback(&self, callback_id: &str, notice: Option<&str>) -> Result<(), SendError> {
        self.inner.answer_callback(callback_id, notice).await
    }

    async fn send_sticker(&self, chat: i64, file_id: Option<&str>) -> Result<Option<String>, SendError> {
        self.paced(chat, || self.inner.send_sticker(chat, file_id)).await
    }

    async fn send_photo(&self, chat: i64, png: Vec<u8>, caption: Out) -> Result<MessageId, SendError> {
        self.paced(chat, || self.inner.send_photo(chat, png.clone(), caption.clone())).await
    }

    async fn send_document(
        &self,
        chat: i64,
        file_name: &str,
        bytes: Vec<u8>,
        caption: Out,
    ) -> Result<MessageId, SendError> {
        self.paced(chat, || self.inner.send_document(chat, file_name, bytes.clone(), caption.clone())).await
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
        self.paced(chat, || self.inner.copy(chat, from_chat, message, caption.clone())).await
    }

    async fn download(&self, file_id: &str, max_bytes: u64) -> Result<Vec<u8>, SendError> {
        self.inner.download(file_id, max_bytes).await
    }

    async fn username(&self) -> Result<Option<String>, SendError> {
        self.inner.username().await
    }

    async fn send_invoice(&self, chat: i64, invoice: crate::shop::ports::StarsInvoice) -> Result<MessageId, SendError> {
        self.paced(chat, || self.inner.send_invoice(chat, invoice.clone())).await
    }

    async fn answer_pre_checkout(&self, query_id: &str, error: Option<&str>) -> Result<(), SendError> {
        // Unpaced: Telegram waits at most 10 s for it.
        self.inner.answer_pre_checkout(query_id, error).await
    }

    async fn refund_stars(&self, user_id: i64, charge_id: &str) -> Result<(), SendError> {
        self.inner.refund_stars(user_id, charge_id).await
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

    /// Sends `first` asks for, then (20 ms later) `then`: the lanes in the order they were let
    /// through.
    async fn let_through(pacer: &Arc<Pacer>, first: &[(Lane, i64)], then: &[(Lane, i64)]) -> Vec<Lane> {
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (i, batch) in [first, then].into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            for &(lane, chat) in batch {
                let (p, o) = (pacer.clone(), order.clone());
                tasks.push(tokio::spawn(async move {
                    p.admit(lane, chat).await;
                    o.lock().unwrap().push(lane);
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        order
    }

    fn replies(n: i64) -> Vec<(Lane, i64)> {
        (10..10 + n).map(|chat| (Lane::Interactive, chat)).collect()
    }

    #[tokio::test]
    async fn a_broadcast_send_waits_while_an_outbox_send_waits_for_the_budget() {
        // 2 messages a second in all, 1 for the background and bulk lanes; no per-chat pacing.
        let pacer = Pacer::new(2, Duration::ZERO);
        pacer.admit(Lane::Background, 1).await; // the background budget is spent for a second
                                                // The broadcast asked first, the delivery still went first.
        let order = let_through(&pacer, &[(Lane::Bulk, 2)], &[(Lane::Background, 3)]).await;
        assert_eq!(order, vec![Lane::Background, Lane::Bulk]);
    }

    #[tokio::test]
    async fn a_reply_goes_before_an_outbox_send_that_waited_longer() {
        let pacer = Pacer::new(2, Duration::ZERO);
        assert!(pacer.outbox_floor.check().is_ok()); // the outbox had its floor this second
        pacer.admit(Lane::Interactive, 1).await; // the budget is spent for half a second
        let order = let_through(&pacer, &[(Lane::Background, 2)], &[(Lane::Interactive, 3)]).await;
        assert_eq!(order, vec![Lane::Interactive, Lane::Background]);
    }

    #[tokio::test]
    async fn within_its_floor_the_outbox_does_not_give_way_to_replies() {
        // Four replies keep waiting for a budget of 2 a second; a delivery asks meanwhile. Giving
        // way to every reply it would go last; within its floor it takes a turn among them.
        let pacer = Pacer::new(2, Duration::ZERO);
        pacer.admit(Lane::Interactive, 1).await;
        let order = let_through(&pacer, &replies(4), &[(Lane::Background, 2)]).await;
        assert_ne!(order.last(), Some(&Lane::Background), "{order:?}");
    }

    #[tokio::test]
    async fn an_outbox_send_that_gave_way_takes_its_floor_when_it_has_room_again() {
        // The outbox had its floor this second, so the delivery first gives way to six replies
        // (3 s at 2 a second); a second later its floor has room again and it goes.
        let pacer = Pacer::new(2, Duration::ZERO);
        assert!(pacer.outbox_floor.check().is_ok());
        pacer.admit(Lane::Interactive, 1).await;
        let order = let_through(&pacer, &replies(6), &[(Lane::Background, 2)]).await;
        assert_eq!(order.first(), Some(&Lane::Interactive), "{order:?}");
        assert_ne!(order.last(), Some(&Lane::Background), "{order:?}");
    }

    #[tokio::test]
    async fn a_broadcast_message_and_a_delivery_to_one_chat_stay_a_second_apart_whatever_waited_longer() {
        let pacer = Pacer::new(1_000, SECOND);
        // A broadcast message to chat 7 was let in by the chat's limiter long ago and only now
        // got its slot of the budget; a delivery let in by the limiter just now must still wait.
        pacer.last_look(7).await;
        let t0 = Instant::now();
        pacer.last_look(7).await;
        assert!(t0.elapsed() >= Duration::from_millis(900), "{:?}", t0.elapsed());
        let t0 = Instant::now();
        pacer.last_look(8).await;
        assert!(t0.elapsed() < Duration::from_millis(100), "another chat does not wait");
    }

    #[tokio::test]
    async fn a_background_message_keeps_a_second_after_a_reply_to_the_same_chat() {
        let pacer = Pacer::new(1_000, SECOND);
        pacer.admit(Lane::Interactive, 7).await;
        let t0 = Instant::now();
        pacer.admit(Lane::Background, 7).await;
        assert!(t0.elapsed() >= Duration::from_millis(900), "{:?}", t0.elapsed());
    }

    #[tokio::test]
    async fn one_chats_429_holds_nobody_but_several_chats_429s_hold_everyone() {
        let pacer = Pacer::new(1_000, Duration::ZERO);
        pacer.rate_limited(5, Duration::from_secs(2));
        let t0 = Instant::now();
        pacer.admit(Lane::Interactive, 9).await;
        assert!(t0.elapsed() < Duration::from_millis(500), "one chat's 429 is that chat's business");
        pacer.rate_limited(6, Duration::from_secs(1));
        pacer.rate_limited(7, Duration::from_secs(1));
        let t0 = Instant::now();
        pacer.admit(Lane::Background, 9).await;
        assert!(t0.elapsed() >= Duration::from_millis(900), "{:?}", t0.elapsed());
    }

    #[tokio::test]
    async fn rate_limits_after_two_quick_replies_to_each_chat_hold_nobody_else() {
        // A reply of two messages (an edit, then a photo) meets the chat's own limit: that is no
        // sign that the bot as a whole is too fast, however many chats it happens in at once.
        let pacer = Pacer::new(1_000, SECOND);
        for chat in [5, 6, 7] {
            pacer.admit(Lane::Interactive, chat).await;
            pacer.admit(Lane::Interactive, chat).await;
            pacer.rate_limited(chat, Duration::from_secs(1));
        }
        let t0 = Instant::now();
        pacer.admit(Lane::Interactive, 9).await;
        assert!(t0.elapsed() < Duration::from_millis(500), "held for {:?}", t0.elapsed());
        // The same 429s in chats that had one message each: the bot is too fast.
        for chat in [15, 16, 17] {
            pacer.admit(Lane::Interactive, chat).await;
            pacer.rate_limited(chat, Duration::from_secs(1));
        }
        let t0 = Instant::now();
        pacer.admit(Lane::Interactive, 9).await;
        assert!(t0.elapsed() >= Duration::from_millis(900), "{:?}", t0.elapsed());
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
