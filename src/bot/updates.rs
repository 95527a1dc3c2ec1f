//! Telegram updates → [`Incoming`]. The only place that reads teloxide's update types.

use teloxide::types::{Message, Update, UpdateKind, User};

use crate::shop::incoming::{Incoming, Input, Sender};

fn sender(u: &User) -> Option<Sender> {
    Some(Sender { id: i64::try_from(u.id.0).ok()?, first_name: u.first_name.clone(), username: u.username.clone() })
}

fn reply_to(m: &Message) -> Option<i64> {
    m.reply_to_message().map(|r| i64::from(r.id.0))
}

fn message(m: &Message) -> Option<Incoming> {
    let from = m.from.as_ref().filter(|u| !u.is_bot)?;
    let message_id = i64::from(m.id.0);
    let input = if let Some(p) = m.successful_payment() {
        Input::StarsPaid {
            message_id,
            currency: p.currency.clone(),
            total: i64::from(p.total_amount),
            payload: p.invoice_payload.clone(),
            charge_id: p.telegram_payment_charge_id.0.clone(),
        }
    } else if let Some(text) = m.text() {
        Input::Text { message_id, text: text.to_string(), reply_to: reply_to(m) }
    } else if let Some(doc) = m.document() {
        Input::Document {
            message_id,
            file_id: doc.file.id.0.clone(),
            file_name: doc.file_name.clone(),
            size: u64::from(doc.file.size),
            caption: m.caption().map(str::to_string),
        }
    } else if let Some(photo) = m.photo().and_then(|sizes| sizes.iter().max_by_key(|p| p.width * p.height)) {
        Input::Photo {
            message_id,
            file_id: photo.file.id.0.clone(),
            caption: m.caption().map(str::to_string),
            reply_to: reply_to(m),
        }
    } else {
        Input::Other { message_id }
    };
    Some(Incoming { sender: sender(from)?, chat_id: m.chat.id.0, private: m.chat.is_private(), input })
}

/// `None` for updates the shop ignores (edits, channel posts, bots, inline queries, …).
pub fn convert(update: &Update) -> Option<Incoming> {
    match &update.kind {
        UpdateKind::Message(m) => message(m),
        UpdateKind::CallbackQuery(q) => {
            let from = sender(&q.from)?;
            let (chat_id, private, message_id) = match &q.message {
                Some(m) => (m.chat().id.0, m.chat().is_private(), Some(i64::from(m.id().0))),
                None => (from.id, true, None),
            };
            Some(Incoming {
                sender: from,
                chat_id,
                private,
                input: Input::Callback {
                    callback_id: q.id.0.clone(),
                    message_id,
                    data: q.data.clone().unwrap_or_default(),
                },
            })
        }
        UpdateKind::PreCheckoutQuery(q) => {
            let from = sender(&q.from)?;
            Some(Incoming {
                chat_id: from.id,
                sender: from,
                private: true,
                input: Input::PreCheckout {
                    query_id: q.id.0.clone(),
                    currency: q.currency.clone(),
                    total: i64::from(q.total_amount),
                    payload: q.invoice_payload.clone(),
                },
            })
        }
        _ => None,
    }
}
