//! The [`Messenger`] port implemented with teloxide: our plain types in, Bot API calls out.

use async_trait::async_trait;
use teloxide::{
    net::Download,
    payloads::{
        AnswerCallbackQuerySetters, AnswerPreCheckoutQuerySetters, CopyMessageSetters, EditMessageTextSetters,
        SendDocumentSetters, SendMessageSetters, SendPhotoSetters, SetMyCommandsSetters,
    },
    prelude::Requester,
    types::{
        BotCommand, BotCommandScope, ChatId, FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
        KeyboardButton, KeyboardMarkup, KeyboardRemove, MessageId, ParseMode, Recipient, ReplyMarkup,
    },
    ApiError, Bot, RequestError,
};

use crate::shop::ports::{self, Button, CommandScope, Keyboard, Messenger, Out, SendError};

/// The welcome sticker shipped inside the binary (512×512 static WebP, as Telegram requires).
const WELCOME_STICKER: &[u8] = include_bytes!("../../assets/welcome.webp");

/// Most Bot API calls in flight at once (issue 14). Each call in flight holds an HTTP connection
/// of its own, with its buffers, and the connections stay pooled after a burst: 1,000 customers
/// at once (storm bench) opened ~1,150 of them, about 30 MB. The pacer keeps sends near
/// Telegram's 30 a second, a few in flight at a real round trip; this bounds what it lets through
/// unpaced (button answers, deletions) and bursts when Telegram is slow.
const IN_FLIGHT: usize = 32;

pub struct TelegramMessenger {
    bot: Bot,
    slots: tokio::sync::Semaphore,
    /// The bot's @username from `getMe`, asked once.
    username: std::sync::OnceLock<String>,
}

impl TelegramMessenger {
    pub fn new(bot: Bot) -> Self {
        Self { bot, slots: tokio::sync::Semaphore::new(IN_FLIGHT), username: std::sync::OnceLock::new() }
    }

    /// Waits for room for one more call; held until the call has been answered. (The semaphore
    /// is never closed, so `None` does not happen.)
    async fn slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.slots.acquire().await.ok()
    }
}

fn map_err(e: RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(s) => SendError::RetryAfter(s.duration()),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::ChatNotFound,
        ) => SendError::Blocked,
        RequestError::Api(ApiError::MessageNotModified) => SendError::NotModified,
        RequestError::Api(ApiError::Unknown(description)) => classify_unknown(&description),
        RequestError::Api(api) => SendError::Refused(api.to_string()),
        RequestError::MigrateToChatId(_) => SendError::Refused("chat migrated".into()),
        // reqwest's error text holds the URL, and the URL holds the bot token: never keep it.
        RequestError::Network(e) => SendError::Network(e.without_url_text()),
        RequestError::InvalidJson { .. } => SendError::Network("invalid response".into()),
        RequestError::Io(e) => SendError::Network(e.kind().to_string()),
    }
}

/// An error description teloxide has no variant for. Telegram prefixes its definitive refusals
/// ("Bad Request: …", "Forbidden: …"); anything else (500 "Internal Server Error", 502 "Bad
/// Gateway", …) is a hiccup on its side and is retried, never taken as a refusal.
fn classify_unknown(description: &str) -> SendError {
    if description.starts_with("Forbidden") {
        SendError::Blocked
    } else if description.starts_with("Bad Request") {
        SendError::Refused(description.chars().take(200).collect())
    } else {
        SendError::Network(format!("telegram server error: {}", description.chars().take(100).collect::<String>()))
    }
}

trait WithoutUrl {
    fn without_url_text(&self) -> String;
}

impl WithoutUrl for std::sync::Arc<reqwest::Error> {
    fn without_url_text(&self) -> String {
        let kind = if self.is_timeout() {
            "timeout"
        } else if self.is_connect() {
            "connect"
        } else if self.is_request() {
            "request"
        } else {
            "other"
        };
        format!("network error ({kind})")
    }
}

fn inline(rows: &[Vec<Button>]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.iter().map(|row| {
        row.iter()
            .filter_map(|b| match b {
                Button::Callback { text, data } => Some(InlineKeyboardButton::callback(text.clone(), data.clone())),
                Button::Url { text, url } => {
                    reqwest::Url::parse(url).ok().map(|u| InlineKeyboardButton::url(text.clone(), u))
                }
            })
            .collect::<Vec<_>>()
    }))
}

fn markup(k: &Keyboard) -> Option<ReplyMarkup> {
    match k {
        Keyboard::None => None,
        Keyboard::Inline(rows) => Some(ReplyMarkup::InlineKeyboard(inline(rows))),
        Keyboard::Reply(rows) => Some(ReplyMarkup::Keyboard(
            KeyboardMarkup::new(rows.iter().map(|r| r.iter().map(KeyboardButton::new).collect::<Vec<_>>()))
                .resize_keyboard(),
        )),
        Keyboard::RemoveReply => Some(ReplyMarkup::KeyboardRemove(KeyboardRemove::new())),
    }
}

fn msg_id(id: i64) -> MessageId {
    MessageId(i32::try_from(id).unwrap_or(i32::MAX))
}

#[async_trait]
impl Messenger for TelegramMessenger {
    async fn send(&self, chat: i64, out: Out) -> Result<ports::MessageId, SendError> {
        let _slot = self.slot().await;
        let mut req = self.bot.send_message(ChatId(chat), out.text).parse_mode(ParseMode::Html);
        if let Some(m) = markup(&out.keyboard) {
            req = req.reply_markup(m);
        }
        Ok(i64::from(req.await.map_err(map_err)?.id.0))
    }

    async fn send_plain(&self, chat: i64, text: String) -> Result<ports::MessageId, SendError> {
        let _slot = self.slot().await;
        Ok(i64::from(self.bot.send_message(ChatId(chat), text).await.map_err(map_err)?.id.0))
    }

    async fn edit(&self, chat: i64, message: ports::MessageId, out: Out) -> Result<(), SendError> {
        let _slot = self.slot().await;
        let mut req = self.bot.edit_message_text(ChatId(chat), msg_id(message), out.text).parse_mode(ParseMode::Html);
        if let Keyboard::Inline(rows) = &out.keyboard {
            req = req.reply_markup(inline(rows));
        }
        req.await.map_err(map_err)?;
        Ok(())
    }

    async fn delete(&self, chat: i64, message: ports::MessageId) -> Result<(), SendError> {
        let _slot = self.slot().await;
        self.bot.delete_message(ChatId(chat), msg_id(message)).await.map_err(map_err)?;
        Ok(())
    }

    async fn answer_callback(&self, callback_id: &str, notice: Option<&str>) -> Result<(), SendError> {
        let _slot = self.slot().await;
        let mut req = self.bot.answer_callback_query(teloxide::types::CallbackQueryId(callback_id.to_string()));
        if let Some(n) = notice {
            req = req.text(n);
        }
        req.await.map_err(map_err)?;
        Ok(())
    }

    async fn send_sticker(&self, chat: i64, file_id: Option<&str>) -> Result<Option<String>, SendError> {
        let _slot = self.slot().await;
        let file = match file_id {
            Some(id) => InputFile::file_id(FileId(id.to_string())),
            None => InputFile::memory(WELCOME_STICKER).file_name("welcome.webp"),
        };
        let msg = self.bot.send_sticker(ChatId(chat), file).await.map_err(map_err)?;
        Ok(msg.sticker().map(|s| s.file.id.0.clone()))
    }

    async fn send_photo(&self, chat: i64, png: Vec<u8>, caption: Out) -> Result<ports::MessageId, SendError> {
        let _slot = self.slot().await;
        let mut req = self
            .bot
            .send_photo(ChatId(chat), InputFile::memory(png).file_name("qris.png"))
            .caption(caption.text)
            .parse_mode(ParseMode::Html);
        if let Some(m) = markup(&caption.keyboard) {
            req = req.reply_markup(m);
        }
        Ok(i64::from(req.await.map_err(map_err)?.id.0))
    }

    async fn send_document(
        &self,
        chat: i64,
        file_name: &str,
        bytes: Vec<u8>,
        caption: Out,
    ) -> Result<ports::MessageId, SendError> {
        let _slot = self.slot().await;
        let mut req = self
            .bot
            .send_document(ChatId(chat), InputFile::memory(bytes).file_name(file_name.to_string()))
            .caption(caption.text)
            .parse_mode(ParseMode::Html);
        if let Some(m) = markup(&caption.keyboard) {
            req = req.reply_markup(m);
        }
        Ok(i64::from(req.await.map_err(map_err)?.id.0))
    }

    async fn set_commands(&self, scope: CommandScope, commands: &[(&str, &str)]) -> Result<(), SendError> {
        let _slot = self.slot().await;
        let cmds: Vec<BotCommand> = commands.iter().map(|(c, d)| BotCommand::new(*c, *d)).collect();
        let scope = match scope {
            CommandScope::Default => BotCommandScope::Default,
            CommandScope::Chat(id) => BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(id)) },
        };
        self.bot.set_my_commands(cmds).scope(scope).await.map_err(map_err)?;
        Ok(())
    }

    async fn copy(
        &self,
        chat: i64,
        from_chat: i64,
        message: ports::MessageId,
        caption: Option<Out>,
    ) -> Result<ports::MessageId, SendError> {
        let _slot = self.slot().await;
        let mut req = self.bot.copy_message(ChatId(chat), ChatId(from_chat), msg_id(message));
        if let Some(c) = caption {
            req = req.caption(c.text).parse_mode(ParseMode::Html);
        }
        Ok(i64::from(req.await.map_err(map_err)?.0))
    }

    async fn download(&self, file_id: &str, max_bytes: u64) -> Result<Vec<u8>, SendError> {
        let _slot = self.slot().await;
        let file = self.bot.get_file(FileId(file_id.to_string())).await.map_err(map_err)?;
        if u64::from(file.meta.size) > max_bytes {
            return Err(SendError::Refused("file too large".into()));
        }
        let mut buf: Vec<u8> = Vec::new();
        self.bot.download_file(&file.path, &mut buf).await.map_err(|_| SendError::Network("download failed".into()))?;
        if buf.len() as u64 > max_bytes {
            return Err(SendError::Refused("file too large".into()));
        }
        Ok(buf)
    }

    async fn username(&self) -> Result<Option<String>, SendError> {
        if let Some(name) = self.username.get() {
            return Ok(Some(name.clone()));
        }
        let me = {
            let _slot = self.slot().await;
            self.bot.get_me().await.map_err(map_err)?
        };
        Ok(me.user.username.map(|name| self.username.get_or_init(|| name).clone()))
    }

    async fn send_invoice(&self, chat: i64, invoice: ports::StarsInvoice) -> Result<ports::MessageId, SendError> {
        let _slot = self.slot().await;
        let amount = u32::try_from(invoice.stars).map_err(|_| SendError::Refused("stars amount too large".into()))?;
        let price = teloxide::types::LabeledPrice { label: invoice.label, amount };
        // Stars (XTR): no provider token.
        let msg = self
            .bot
            .send_invoice(ChatId(chat), invoice.title, invoice.description, invoice.payload, "XTR", vec![price])
            .await
            .map_err(map_err)?;
        Ok(i64::from(msg.id.0))
    }

    async fn answer_pre_checkout(&self, query_id: &str, error: Option<&str>) -> Result<(), SendError> {
        let _slot = self.slot().await;
        let id = teloxide::types::PreCheckoutQueryId(query_id.to_string());
        let mut req = self.bot.answer_pre_checkout_query(id, error.is_none());
        if let Some(e) = error {
            req = req.error_message(e);
        }
        req.await.map_err(map_err)?;
        Ok(())
    }

    async fn refund_stars(&self, user_id: i64, charge_id: &str) -> Result<(), SendError> {
        let _slot = self.slot().await;
        let user = teloxide::types::UserId(u64::try_from(user_id).map_err(|_| SendError::Refused("bad user".into()))?);
        let charge = teloxide::types::TelegramTransactionId(charge_id.to_string());
        self.bot.refund_star_payment(user, charge).await.map_err(map_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_definitive_refusals_are_refusals() {
        assert!(matches!(classify_unknown("Internal Server Error"), SendError::Network(_)));
        assert!(matches!(classify_unknown("Bad Gateway"), SendError::Network(_)));
        assert!(matches!(classify_unknown("Bad Request: message is too long"), SendError::Refused(_)));
        assert_eq!(classify_unknown("Forbidden: user is deactivated"), SendError::Blocked);
    }
}
