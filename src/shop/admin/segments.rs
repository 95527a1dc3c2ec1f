//! Targeted campaigns (issue 18 point 3): a `/broadcast` or `/giveaway` aimed at a segment is
//! first shown with its audience size; only `[Kirim]` by the same admin creates anything.

use serde_json::json;

use crate::shop::{ports::Out, session::Flow, Actor, Result, Shop};
use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        callback::{Button, Callback},
        role::Role,
        segment::Segment,
    },
    security::audit::{entry, EntryExt},
    store::{self, audit::Entry, broadcasts::Content},
    texts::{self, segments as words},
};

/// What waits for `[Kirim]`: the campaign, its segment and the audience the admin was shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub segment: Segment,
    pub audience: i64,
    pub what: Campaign,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Campaign {
    Broadcast(Content),
    /// The vouchers are made only on `[Kirim]`.
    Giveaway {
        amount: i64,
        count: i64,
    },
}

/// The segment and audience of a created broadcast, for its audit entry.
pub(super) fn audited(e: Entry, segment: Segment, audience: i64) -> Entry {
    let name = segment.token().unwrap_or_else(|| "semua".into());
    e.meta(json!({ "segment": name, "audience": audience }))
}

impl Shop {
    /// Counts the segment's audience and asks the admin; an empty segment ends here.
    pub(super) async fn ask_segment(&self, actor: &Actor, segment: Segment, what: Campaign) -> Result<Option<Entry>> {
        let audience = self.db.call(move |c| store::broadcasts::audience(c, segment)).await?;
        if audience == 0 {
            self.say(actor, &words::empty(segment)).await?;
            return Ok(None);
        }
        let nonce = rand::random::<u32>();
        let pending = Pending { segment, audience, what };
        let out = Out::inline(
            format!("{}\n{}", question(&pending), words::ASK),
            vec![vec![
                Button::cb(words::BTN_SEND, Callback::SegmentSend(nonce)),
                Button::cb(words::BTN_CANCEL, Callback::SegmentCancel(nonce)),
            ]],
        );
        self.sessions.set(actor.user.id, Flow::SegmentConfirm { nonce, pending: Box::new(pending) });
        self.tg.send(actor.chat, out).await?;
        Ok(None)
    }

    /// `[Kirim]` (`send`) or `[Batal]`: only the admin's own waiting request with this number;
    /// it is taken out first, so a second press finds nothing.
    pub(in crate::shop) async fn segment_confirmed(
        &self,
        actor: &Actor,
        m: Option<i64>,
        nonce: u32,
        send: bool,
    ) -> Result<Option<String>> {
        if actor.role != Role::Admin {
            return Ok(Some(texts::STALE_BUTTON.into()));
        }
        let pending = match self.sessions.take(actor.user.id) {
            Some(Flow::SegmentConfirm { nonce: n, pending }) if n == nonce => *pending,
            other => {
                // Not this request: whatever the admin was doing stays as it was.
                if let Some(flow) = other {
                    self.sessions.set(actor.user.id, flow);
                }
                return Ok(Some(words::EXPIRED.into()));
            }
        };
        if let Some(m) = m {
            // The question stays readable without its buttons; a failed edit changes nothing.
            let _ = self.tg.edit(actor.chat, m, Out::text(words::answered(&question(&pending), send))).await;
        }
        if !send {
            self.say(actor, words::CANCELLED).await?;
            return Ok(None);
        }
        let effect = match pending.what {
            Campaign::Broadcast(content) => {
                let (id, total) = self.start_broadcast(actor, "broadcast", content, pending.segment).await?;
                audited(
                    entry(Some(actor.user.id), ActorType::Admin, AuditAction::BroadcastCreated).entity("broadcast", id),
                    pending.segment,
                    total,
                )
            }
            Campaign::Giveaway { amount, count } => {
                match self.run_giveaway(actor, amount, count, pending.segment).await? {
                    Some(e) => e,
                    None => return Ok(None),
                }
            }
        };
        self.audit(effect).await?;
        Ok(None)
    }
}

fn question(p: &Pending) -> String {
    match p.what {
        Campaign::Broadcast(_) => words::confirm_broadcast(p.segment, p.audience),
        Campaign::Giveaway { amount, count } => words::confirm_giveaway(p.segment, p.audience, amount, count),
    }
}
