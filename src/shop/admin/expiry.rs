//! The daily expiring-stock note to admins (issue 18 point 6). Once per WIB day, when there is
//! something to say: the items whose sell-by passed since the last note (no longer offered, still
//! in stock for `/liststock` and `/delstock`) and those that expire within
//! [`SOON_DAYS`] days, per product. Nothing expiring: no note, so a shop without dated stock never
//! hears of it. A separate note rather than a line elsewhere: the shop has no daily digest (the
//! notice digest only batches notices due together), and this note asks the owner to act.

use crate::{
    domain::{
        callback::{Button, Callback},
        time::wib_day,
    },
    shop::{Result, Shop},
    store::{self, outbox::Message},
    texts,
};

/// "What expires soon" reaches this many days ahead.
pub const SOON_DAYS: i64 = 3;
/// A buyer is reminded this long before the item expires; if bought later than that, a day
/// before; if bought with less than a day left, not at all.
pub const REMIND_EARLY: i64 = 3 * 86_400;
pub const REMIND_LATE: i64 = 86_400;

impl Shop {
    /// Sends today's note through the outbox if it is due and has content; true when it did.
    /// The claim (a done `jobs` row keyed by the WIB day) and the messages are one transaction:
    /// a restart neither loses nor repeats it.
    pub(crate) async fn expiry_note(&self) -> Result<bool> {
        let t = store::now();
        let day = wib_day(t);
        if self.db.call(move |c| store::expiry::noted(c, day)).await? {
            return Ok(false);
        }
        let recipients = self.notice_recipients().await?;
        let sent = self
            .db
            .write(move |c| {
                store::writer::transaction(c, |tx| {
                    if store::expiry::noted(tx, day)? {
                        return Ok(false);
                    }
                    let since = store::expiry::last_note_at(tx)?;
                    let lines = store::expiry::summary(tx, since, t, t + SOON_DAYS * 86_400)?;
                    if lines.is_empty() || !store::expiry::claim(tx, day, t)? {
                        return Ok(false);
                    }
                    let text = texts::expiry::daily_note(day, &lines);
                    for chat in &recipients {
                        store::outbox::enqueue(tx, &Message::text(*chat, text.clone()), None)?;
                    }
                    Ok(true)
                })
            })
            .await?;
        if sent {
            self.outbox_wake.notify_one();
        }
        Ok(sent)
    }
}

impl Shop {
    /// Queues the due buyer reminders (one per order and product, ever: `reminded_at` is set in
    /// the transaction that queues it) with a `[Beli lagi]` button that opens the product card.
    /// Returns how many were queued.
    pub(crate) async fn expiry_reminders(&self) -> Result<usize> {
        let t = store::now();
        let queued = self
            .db
            .write(move |c| {
                store::writer::transaction(c, |tx| {
                    let mut n = 0;
                    for r in store::expiry::due_reminders(tx, t, REMIND_EARLY, REMIND_LATE)? {
                        if !store::expiry::mark_reminded(tx, &r, t)? {
                            continue;
                        }
                        let payload = store::outbox::Payload::Text {
                            text: texts::expiry::reminder(&r.product_name, r.items, r.valid_until),
                            buttons: vec![vec![Button::cb(
                                texts::expiry::BTN_BUY_AGAIN,
                                Callback::Product(r.product_id),
                            )]],
                        };
                        store::outbox::enqueue(tx, &Message::new(r.user_id, payload), Some(r.order_id))?;
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .await?;
        if queued > 0 {
            self.outbox_wake.notify_one();
        }
        Ok(queued)
    }
}
