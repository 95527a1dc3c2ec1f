//! `/start` onboarding (name, WhatsApp, email; each skippable) and the account screen.

use crate::shop::{
    keyboards,
    ports::Out,
    session::{Flow, OnboardStep},
    Actor, Result, Shop,
};
use crate::{
    domain::{callback::Callback, campaign::voucher_link_code, role::Role, validate},
    store::{self, users::Field},
    texts,
};

impl Shop {
    /// `/start`, with the deep-link payload Telegram adds when the bot is opened through a link
    /// (`?start=…`). A voucher link's code is kept for the next checkout, also through
    /// onboarding; any other payload is ignored.
    pub(in crate::shop) async fn start(&self, actor: &Actor, payload: &str) -> Result<()> {
        if actor.role == Role::Admin {
            // Admins granted while the bot ran get their `/` menu at their next /start.
            self.publish_admin_commands(actor.chat).await?;
        }
        if let Some(code) = voucher_link_code(payload.trim()) {
            self.voucher_link(actor, code).await?;
        }
        if actor.user.onboarded {
            return self.main_menu(actor).await;
        }
        self.sticker(actor.chat).await?;
        self.sessions.set(actor.user.id, Flow::Onboarding(OnboardStep::Name));
        self.prompt(actor, texts::ASK_NAME, true).await
    }

    /// The step after `done` (its value typed or `/skip`ped).
    pub(super) async fn next_step(&self, actor: &Actor, done: OnboardStep) -> Result<()> {
        let (next, prompt) = match done {
            OnboardStep::Name => (OnboardStep::Whatsapp, texts::ASK_WHATSAPP),
            OnboardStep::Whatsapp => (OnboardStep::Email, texts::ASK_EMAIL),
            OnboardStep::Email => {
                self.sessions.clear(actor.user.id);
                let id = actor.user.id;
                self.db.write(move |c| store::users::set_onboarded(c, id)).await?;
                self.say(actor, texts::ONBOARDED).await?;
                // Reload: the name may have changed during onboarding.
                let user =
                    self.db.lookup(move |c| store::users::get(c, id)).await?.unwrap_or_else(|| actor.user.clone());
                let refreshed = Actor { user, role: actor.role, chat: actor.chat, is_new: actor.is_new };
                return self.main_menu(&refreshed).await;
            }
        };
        self.sessions.set(actor.user.id, Flow::Onboarding(next));
        self.prompt(actor, prompt, true).await
    }

    /// A name, WhatsApp number or e-mail typed during onboarding or an account edit.
    pub(in crate::shop) async fn profile_field(&self, actor: &Actor, flow: Flow, text: &str) -> Result<()> {
        let (field, value, bad) = match &flow {
            Flow::Onboarding(OnboardStep::Name) | Flow::EditName => (
                Field::Name,
                validate::name(text),
                if flow == Flow::EditName { texts::BAD_NAME_EDIT } else { texts::BAD_NAME },
            ),
            Flow::Onboarding(OnboardStep::Whatsapp) | Flow::EditWhatsapp => (
                Field::Whatsapp,
                validate::whatsapp(text),
                if flow == Flow::EditWhatsapp { texts::BAD_WA_EDIT } else { texts::BAD_WHATSAPP },
            ),
            Flow::Onboarding(OnboardStep::Email) | Flow::EditEmail => (
                Field::Email,
                validate::email(text),
                if flow == Flow::EditEmail { texts::BAD_EMAIL_EDIT } else { texts::BAD_EMAIL },
            ),
            _ => return self.say(actor, texts::UNKNOWN_INPUT).await,
        };
        // Invalid input: say what is wrong and ask again (the flow stays).
        let Some(value) = value else { return self.prompt(actor, bad, true).await };
        let id = actor.user.id;
        self.db.write(move |c| store::users::set_field(c, id, field, Some(&value))).await?;
        match flow {
            Flow::Onboarding(step) => self.next_step(actor, step).await,
            _ => {
                self.sessions.clear(actor.user.id);
                self.say(actor, texts::SAVED).await?;
                self.account(actor, None).await
            }
        }
    }

    pub(in crate::shop) async fn account(&self, actor: &Actor, message_id: Option<i64>) -> Result<()> {
        let id = actor.user.id;
        let user = self.db.lookup(move |c| store::users::get(c, id)).await?.unwrap_or_else(|| actor.user.clone());
        let user = store::users::User { role: actor.role, ..user };
        self.edit_or_send(actor, message_id, Out::inline(texts::account(&user), keyboards::account())).await?;
        Ok(())
    }

    pub(in crate::shop) async fn ask_edit(&self, actor: &Actor, cb: Callback) -> Result<()> {
        let (flow, prompt) = match cb {
            Callback::EditEmail => (Flow::EditEmail, texts::ASK_NEW_EMAIL),
            Callback::EditWhatsapp => (Flow::EditWhatsapp, texts::ASK_NEW_WA),
            _ => (Flow::EditName, texts::ASK_NEW_NAME),
        };
        self.sessions.set(actor.user.id, flow);
        self.prompt(actor, prompt, true).await
    }
}
