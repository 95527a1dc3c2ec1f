//! `/broadcast`, `/giveaway`, `/setformula` (SPEC §5, §6).

use serde_json::json;

use super::segments::{audited, Campaign};
use crate::shop::{ports::Out, Actor, Result, Shop};
use crate::{
    domain::{
        admin::{CampaignKind, Usage},
        audit::{ActorType, AuditAction},
        campaign::{parse_giveaway, voucher_code, Formula, VOUCHER_DAYS},
        segment::{split_broadcast, split_giveaway, Segment},
        time::wib,
    },
    security::audit::{entry, EntryExt},
    store::{self, audit::Entry, broadcasts::Content},
    texts,
};

impl Shop {
    pub(super) async fn campaign(
        &self,
        actor: &Actor,
        kind: CampaignKind,
        args: &str,
        reply_to: Option<i64>,
    ) -> Result<Option<Entry>> {
        match kind {
            CampaignKind::Broadcast => self.broadcast_command(actor, args, reply_to).await,
            CampaignKind::Giveaway => self.giveaway(actor, args).await,
            CampaignKind::SetFormula => self.set_formula(actor, args).await,
        }
    }

    async fn usage(&self, actor: &Actor, usage: Usage) -> Result<Option<Entry>> {
        self.say(actor, &texts::usage(usage)).await?;
        Ok(None)
    }

    /// `/broadcast text`, or `/broadcast` as a reply to any message (copied as is); with a
    /// leading segment token (`/broadcast @produk:12 text`) it is first confirmed.
    async fn broadcast_command(&self, actor: &Actor, args: &str, reply_to: Option<i64>) -> Result<Option<Entry>> {
        let (segment, args) = split_broadcast(args);
        let content = match (args.trim(), reply_to) {
            ("", Some(m)) => Content::Copy { from_chat: actor.chat, message_id: m },
            (text, _) if !text.is_empty() && text.chars().count() <= 3_500 => {
                Content::Text { text: texts::broadcast_text(text) }
            }
            _ => return self.usage(actor, crate::domain::commands::BROADCAST_USAGE).await,
        };
        if segment != Segment::Everyone {
            return self.ask_segment(actor, segment, Campaign::Broadcast(content)).await;
        }
        let (id, total) = self.start_broadcast(actor, "broadcast", content, segment).await?;
        let e = entry(Some(actor.user.id), ActorType::Admin, AuditAction::BroadcastCreated).entity("broadcast", id);
        Ok(Some(audited(e, segment, total)))
    }

    /// Creates the broadcast job (its recipients: the segment's reachable users now) and its
    /// progress message; the engine does the rest. Returns (id, recipients).
    pub(super) async fn start_broadcast(
        &self,
        actor: &Actor,
        kind: &'static str,
        content: Content,
        segment: Segment,
    ) -> Result<(i64, i64)> {
        let admin = actor.user.id;
        let (id, total) = self.db.write(move |c| store::broadcasts::create(c, admin, kind, &content, segment)).await?;
        if total == 0 {
            self.db.write(move |c| store::broadcasts::finish(c, id)).await?;
            self.say(actor, texts::BROADCAST_EMPTY).await?;
            return Ok((id, 0));
        }
        let message = self.tg.send(actor.chat, Out::text(texts::broadcast_started(total))).await?;
        let chat = actor.chat;
        self.db.write(move |c| store::broadcasts::set_progress_message(c, id, chat, message)).await?;
        self.broadcast_wake.notify_one();
        Ok((id, total))
    }

    /// `/giveaway nominal|jumlah`: vouchers from a CSPRNG, then announced to everyone;
    /// `/giveaway nominal|jumlah|@segmen`: the same after the admin confirmed the audience.
    async fn giveaway(&self, actor: &Actor, args: &str) -> Result<Option<Entry>> {
        let (segment, args) = split_giveaway(args);
        let (amount, count) = match parse_giveaway(args) {
            Ok(v) => v,
            Err(u) => {
                if let Some(bad) = crate::domain::campaign::explain_giveaway(args) {
                    self.say(actor, &texts::bad_field(&bad, u)).await?;
                    return Ok(None);
                }
                return self.usage(actor, u).await;
            }
        };
        if segment != Segment::Everyone {
            return self.ask_segment(actor, segment, Campaign::Giveaway { amount, count }).await;
        }
        self.run_giveaway(actor, amount, count, segment).await
    }

    /// Makes the vouchers and announces them to the segment; the audit entry of it all.
    pub(super) async fn run_giveaway(
        &self,
        actor: &Actor,
        amount: i64,
        count: i64,
        segment: Segment,
    ) -> Result<Option<Entry>> {
        let admin = actor.user.id;
        let expires_at = store::now() + VOUCHER_DAYS * 86_400;
        let created = self
            .db
            .write(move |c| {
                // OsRng: codes must not be predictable.
                let mut rng = rand::rngs::OsRng;
                Ok(store::vouchers::create_batch(c, amount, count, admin, expires_at, || {
                    voucher_code(|| rand::Rng::gen::<u8>(&mut rng))
                }))
            })
            .await?;
        let codes = match created {
            Ok(codes) => codes,
            Err(e) => {
                tracing::error!(error = %e, "giveaway vouchers not created");
                self.say(actor, texts::GIVEAWAY_FAILED).await?;
                return Ok(None);
            }
        };
        self.say(actor, &texts::giveaway_created(amount, &codes)).await?;
        // The bot's @username makes each code a voucher link; without it the codes go alone.
        let bot = self.tg.username().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "bot username unknown: giveaway without voucher links");
            None
        });
        let text =
            texts::giveaway_announcement(&self.config.store_name, amount, &codes, &wib(expires_at), bot.as_deref());
        let (id, total) = self.start_broadcast(actor, "giveaway", Content::Text { text }, segment).await?;
        let name = segment.token().unwrap_or_else(|| "semua".into());
        Ok(Some(
            entry(Some(admin), ActorType::Admin, AuditAction::GiveawayCreated)
                .entity("broadcast", id)
                .meta(json!({"amount": amount, "vouchers": codes.len(), "segment": name, "audience": total})),
        ))
    }

    /// `/setformula` shows the refund formula; with arguments it sets it.
    async fn set_formula(&self, actor: &Actor, args: &str) -> Result<Option<Entry>> {
        let before = self.db.call(|c| store::settings::refund_formula(c)).await?;
        if args.trim().is_empty() {
            self.say(actor, &texts::formula_current(&before.display())).await?;
            return Ok(None);
        }
        let formula = match Formula::parse(args) {
            Ok(f) => f,
            Err(u) => return self.usage(actor, u).await,
        };
        self.db.write(move |c| store::settings::set_refund_formula(c, &formula)).await?;
        self.say(actor, &texts::formula_set(&formula.display())).await?;
        Ok(Some(
            entry(Some(actor.user.id), ActorType::Admin, AuditAction::RefundFormulaChanged)
                .entity("settings", "refund_formula")
                .before(json!(before.display()))
                .after(json!(formula.display())),
        ))
    }
}
