//! Restock alerts on the card (issue 18 point 2): a sold-out card offers `[Kabari saya]`, or
//! `[Batal kabari]` to a customer already waiting; each press flips the card in place.

use crate::{
    domain::{callback::Button, catalog::Product},
    shop::{keyboards, session::Flow, Actor, Out, Result, Shop},
    store, texts,
};

impl Shop {
    /// The buttons of `product`'s card for `actor`: the quantity and checkout when in stock;
    /// when sold out `[Kabari saya]`, or `[Batal kabari]` if they already wait for it.
    pub(in crate::shop) async fn card_buttons(&self, actor: &Actor, product: &Product) -> Result<Vec<Vec<Button>>> {
        if product.stock > 0 {
            return Ok(keyboards::card(product.id, true));
        }
        let (id, user) = (product.id, actor.user.id);
        let waiting = self.db.lookup(move |c| store::restock::is_waiting(c, id, user)).await?;
        Ok(if waiting { keyboards::card_waiting(id) } else { keyboards::card(id, false) })
    }

    /// Re-renders the card of product `id` when `message_id` is the card on screen (after a
    /// restock button changed which button it shows). Older cards stay as they are.
    pub(in crate::shop) async fn refresh_card(&self, actor: &Actor, message_id: Option<i64>, id: i64) -> Result<()> {
        let Some(Flow::Card { product_id, qty, message_id: m }) = self.sessions.get(actor.user.id) else {
            return Ok(());
        };
        if product_id != id || message_id != Some(m) {
            return Ok(());
        }
        let Some(product) = self.db.lookup(move |c| store::products::get_active(c, id)).await? else {
            return Ok(());
        };
        let rows = self.card_buttons(actor, &product).await?;
        self.edit_or_send(actor, Some(m), Out::inline(texts::product_card(&product, actor.role, qty), rows)).await?;
        Ok(())
    }

    /// `[Kabari saya]` on a sold-out card: subscribes to the product's restock alert (once).
    /// Returns the notice for the button press.
    /// The card on screen flips to `[Batal kabari]`.
    pub(in crate::shop) async fn notify_restock(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        id: i64,
    ) -> Result<Option<String>> {
        let user = actor.user.id;
        let outcome = self
            .db
            .write(move |c| match store::products::get_active(c, id)? {
                None => Ok(None),
                Some(p) if p.stock > 0 => Ok(Some(None)),
                Some(_) => Ok(Some(Some(store::restock::subscribe(c, id, user)?))),
            })
            .await?;
        if matches!(outcome, Some(Some(_))) {
            self.refresh_card(actor, message_id, id).await?;
        }
        Ok(Some(
            match outcome {
                None => texts::PRODUCT_NOT_FOUND,
                Some(None) => texts::RESTOCK_IN_STOCK,
                Some(Some(true)) => texts::RESTOCK_SUBSCRIBED,
                Some(Some(false)) => texts::RESTOCK_ALREADY,
            }
            .into(),
        ))
    }

    /// `[Batal kabari]`: ends the customer's wait for product `id` (idempotent: a second or
    /// forged press only hears that there is nothing to cancel) and flips the card back.
    pub(in crate::shop) async fn cancel_restock(
        &self,
        actor: &Actor,
        message_id: Option<i64>,
        id: i64,
    ) -> Result<Option<String>> {
        let user = actor.user.id;
        let removed = self.db.write(move |c| store::restock::unsubscribe(c, id, user)).await?;
        self.refresh_card(actor, message_id, id).await?;
        Ok(Some(if removed { texts::RESTOCK_CANCELLED } else { texts::RESTOCK_NOT_WAITING }.into()))
    }
}
