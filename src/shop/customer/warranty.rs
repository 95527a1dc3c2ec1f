//! Warranty claims, the buyer's side (issue 18): the items of an order still under warranty
//! (shown with the goods sent again from history), `[Klaim Garansi]`, and what is wrong (text,
//! or a photo with a caption) going to the admins with `[Ganti] [Refund] [Tolak]`.

use serde_json::json;

use crate::shop::{
    ports::{Button, Out},
    session::Flow,
    Actor, Result, Shop,
};
use crate::{
    domain::{
        audit::{ActorType, AuditAction},
        callback::Callback,
    },
    security::audit::{entry, EntryExt},
    store::{self, warranty::Opened},
    texts::{self, warranty as t},
};

/// At most this many items get a `[Klaim Garansi]` button under one order.
const MAX_CLAIM_BUTTONS: usize = 20;

impl Shop {
    /// Under the goods of `order_id` sent again from history: the items the buyer may still
    /// claim, one `[Klaim Garansi]` each. Nothing when none is under warranty.
    pub(in crate::shop) async fn warranty_offer(&self, actor: &Actor, order_id: i64) -> Result<()> {
        let user = actor.user.id;
        let items = self.db.lookup(move |c| store::warranty::claimable(c, order_id, user, store::now())).await?;
        let Some(first) = items.first() else { return Ok(()) };
        let items: Vec<_> = items.iter().take(MAX_CLAIM_BUTTONS).collect();
        let listed: Vec<(String, i64)> = items.iter().map(|i| (i.content.clone(), i.until)).collect();
        let rows = items
            .iter()
            .enumerate()
            .map(|(n, i)| vec![Button::cb(t::btn_claim(n + 1, items.len()), Callback::WarrantyClaim(i.item_id))])
            .collect();
        self.tg.send(actor.chat, Out::inline(t::claimable_list(&first.invoice_id, &listed), rows)).await?;
        Ok(())
    }

    /// `[Klaim Garansi]`: asks what is wrong. A forged or stale button (not the buyer's item,
    /// outside the warranty, not delivered, a claim already open) gets a short notice only.
    pub(in crate::shop) async fn claim_warranty(&self, actor: &Actor, item_id: i64) -> Result<Option<String>> {
        let user = actor.user.id;
        let found = self
            .db
            .lookup(move |c| {
                let item = store::warranty::claimable_item(c, item_id, user, store::now())?;
                let open = item.is_none() && store::warranty::has_open_claim(c, item_id, user)?;
                Ok((item, open))
            })
            .await?;
        let item = match found {
            (Some(item), _) => item,
            (None, true) => return Ok(Some(t::ALREADY_OPEN.into())),
            (None, false) => return Ok(Some(t::NOT_CLAIMABLE.into())),
        };
        self.sessions.set(user, Flow::WarrantyProblem { item_id });
        self.prompt(actor, &t::ask_problem(&item.content, &item.product_name), false).await?;
        Ok(None)
    }

    /// What is wrong, typed (or a photo's caption, `photo` = (message id, file id)): the claim
    /// is opened (checked again in the store) and goes to the admins.
    pub(in crate::shop) async fn warranty_problem(
        &self,
        actor: &Actor,
        item_id: i64,
        text: &str,
        photo: Option<(i64, String)>,
    ) -> Result<()> {
        let problem = text.trim().to_string();
        if problem.is_empty() && photo.is_none() {
            return self.say(actor, t::PROBLEM_EMPTY).await;
        }
        if problem.chars().count() > t::MAX_PROBLEM_CHARS {
            return self.say(actor, t::PROBLEM_TOO_LONG).await;
        }
        self.sessions.clear(actor.user.id);
        let user = actor.user.id;
        let file = photo.as_ref().map(|(_, f)| f.clone());
        // Opening a claim is a write: through the one writer, never a reader connection.
        let (opened, earlier, buyer) = self
            .db
            .write(move |c| {
                let opened = store::warranty::open(c, item_id, user, &problem, file.as_deref())?;
                let count = store::warranty::count_of(c, user)?;
                Ok((opened, count, store::users::get(c, user)?))
            })
            .await?;
        let claim = match opened {
            Opened::Created(claim) => claim,
            Opened::AlreadyOpen => return self.main_menu_after(actor, t::ALREADY_OPEN).await,
            Opened::NotClaimable => return self.main_menu_after(actor, t::NOT_CLAIMABLE).await,
        };
        if let Err(e) = self
            .audit(
                entry(Some(user), ActorType::User, AuditAction::WarrantyClaimOpened)
                    .entity("warranty_claim", claim.id)
                    .meta(json!({"order": claim.order_id, "item": claim.item_id, "product": claim.product_id})),
            )
            .await
        {
            tracing::error!(error = %e, claim = claim.id, "audit: warranty claim opened not recorded");
        }
        let earlier = (earlier - 1).max(0);
        let notice = t::admin_notice(
            claim.id,
            &claim.invoice_id,
            &claim.product_name,
            &claim.item,
            &texts::buyer(user, buyer.as_ref()),
            earlier,
            &claim.problem,
            photo.is_some(),
        );
        let rows = vec![vec![
            Button::cb(t::BTN_REPLACE, Callback::WarrantyReplace(claim.id)),
            Button::cb(t::BTN_REFUND, Callback::WarrantyRefund(claim.id)),
            Button::cb(t::BTN_REJECT, Callback::WarrantyReject(claim.id)),
        ]];
        for chat in self.notice_recipients().await? {
            if let Err(e) = self.tg.send(chat, Out::inline(notice.clone(), rows.clone())).await {
                tracing::info!(chat, error = %e, "warranty claim notice not delivered");
                continue;
            }
            if let Some((message, _)) = &photo {
                let caption = Out::text(t::photo_caption(claim.id));
                if let Err(e) = self.tg.copy(chat, actor.chat, *message, Some(caption)).await {
                    tracing::info!(chat, error = %e, "warranty claim photo not delivered");
                }
            }
        }
        self.main_menu_after(actor, t::OPENED).await
    }
}
