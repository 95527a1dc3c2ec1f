//! Leaving a text-entry step: `/batal` anywhere, `/skip` where a prompt offers it. No step traps
//! anyone: a menu button or any other command also leaves it (see the router).

use crate::shop::{keyboards, ports::Out, session::Flow, Actor, Result, Shop};
use crate::texts;

impl Shop {
    /// A text-entry prompt (or its "ketik lagi" answer) with the next steps as buttons.
    pub(in crate::shop) async fn prompt(&self, actor: &Actor, text: &str, skippable: bool) -> Result<()> {
        self.tg.send(actor.chat, Out::inline(text, keyboards::step(skippable))).await?;
        Ok(())
    }

    /// `/batal`: the step on screen ends; a short confirmation and the menu.
    pub(in crate::shop) async fn leave_flow(&self, actor: &Actor) -> Result<()> {
        let was = self.sessions.get(actor.user.id);
        self.sessions.clear(actor.user.id);
        self.main_menu_after(actor, if was.is_some() { texts::FLOW_LEFT } else { texts::NOTHING_TO_CANCEL }).await
    }

    /// `/skip`: the onboarding step keeps its default; an account edit keeps the old value; the
    /// voucher step goes on without a voucher; any other step is left as with `/batal`.
    pub(in crate::shop) async fn skip(&self, actor: &Actor) -> Result<()> {
        match self.sessions.get(actor.user.id) {
            Some(Flow::Onboarding(step)) => self.next_step(actor, step).await,
            Some(Flow::EditName | Flow::EditEmail | Flow::EditWhatsapp) => {
                self.sessions.clear(actor.user.id);
                self.say(actor, texts::NOT_CHANGED).await?;
                self.account(actor, None).await
            }
            Some(Flow::VoucherCode { product_id, qty, message_id }) => {
                self.without_voucher(actor, product_id, qty, message_id).await
            }
            Some(_) => self.leave_flow(actor).await,
            None => self.main_menu_after(actor, texts::NOTHING_TO_SKIP).await,
        }
    }
}
