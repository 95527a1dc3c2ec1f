//! What the shop needs from the outside world, as small traits with plain types, so the use
//! cases do not depend on teloxide and can be driven by the tests and the demo alike.

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::payment::{Fees, Invoice, PayMethod, PaymentReport};

pub use crate::domain::callback::Button;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Keyboard {
    #[default]
    None,
    Inline(Vec<Vec<Button>>),
    /// The reply keyboard under the text field (main menu).
    Reply(Vec<Vec<String>>),
    RemoveReply,
}

/// A message to show: Telegram HTML text and its keyboard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Out {
    pub text: String,
    pub keyboard: Keyboard,
}

impl Out {
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into(), keyboard: Keyboard::None }
    }
    pub fn inline(text: impl Into<String>, rows: Vec<Vec<Button>>) -> Self {
        Self { text: text.into(), keyboard: Keyboard::Inline(rows) }
    }
    pub fn reply(text: impl Into<String>, rows: Vec<Vec<String>>) -> Self {
        Self { text: text.into(), keyboard: Keyboard::Reply(rows) }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    #[error("rate limited, retry after {0:?}")]
    RetryAfter(Duration),
    #[error("the user blocked the bot or the chat is gone")]
    Blocked,
    #[error("the message was not modified")]
    NotModified,
    /// A definitive refusal of this request (400): sending it again the same way cannot work.
    #[error("telegram refused the request: {0}")]
    Refused(String),
    /// Transient: a timeout, a connection error, a 5xx or an answer that makes no sense.
    #[error("telegram unreachable: {0}")]
    Network(String),
}

/// A Telegram Stars invoice (`sendInvoice` in XTR, no provider token, one price).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarsInvoice {
    /// 1–32 characters.
    pub title: String,
    /// 1–255 characters.
    pub description: String,
    /// Our invoice id (1–128 bytes), given back in the pre-checkout query and the payment.
    pub payload: String,
    pub label: String,
    /// Whole Stars.
    pub stars: i64,
}

/// Who sees a set of `/` commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandScope {
    Default,
    Chat(i64),
}

pub type MessageId = i64;

/// The same bot, once per priority of what is sent (the pacer orders them).
#[derive(Clone)]
pub struct Senders {
    /// Answers to what a person just did.
    pub replies: std::sync::Arc<dyn Messenger>,
    /// The outbox: deliveries and notices.
    pub background: std::sync::Arc<dyn Messenger>,
    /// Broadcasts: whatever the others leave over.
    pub bulk: std::sync::Arc<dyn Messenger>,
}

#[async_trait]
pub trait Messenger: Send + Sync {
    async fn send(&self, chat: i64, out: Out) -> Result<MessageId, SendError>;
    /// Sends text as it is, without markup (a fallback when Telegram refuses the HTML form).
    async fn send_plain(&self, chat: i64, text: String) -> Result<MessageId, SendError>;
    /// Edits text and inline keyboard of a message the bot sent.
    async fn edit(&self, chat: i64, message: MessageId, out: Out) -> Result<(), SendError>;
    async fn delete(&self, chat: i64, message: MessageId) -> Result<(), SendError>;
    async fn answer_callback(&self, callback_id: &str, notice: Option<&str>) -> Result<(), SendError>;
    /// Sends a sticker: a `file_id` known to Telegram, or `None` to upload the built-in one.
    /// Returns the sticker's file id (for reuse).
    async fn send_sticker(&self, chat: i64, file_id: Option<&str>) -> Result<Option<String>, SendError>;
    async fn send_photo(&self, chat: i64, png: Vec<u8>, caption: Out) -> Result<MessageId, SendError>;
    async fn send_document(
        &self,
        chat: i64,
        file_name: &str,
        bytes: Vec<u8>,
        caption: Out,
    ) -> Result<MessageId, SendError>;
    async fn set_commands(&self, scope: CommandScope, commands: &[(&str, &str)]) -> Result<(), SendError>;
    /// Copies a message (any kind, media included) into another chat, optionally replacing its
    /// caption.
    async fn copy(
        &self,
        chat: i64,
        from_chat: i64,
        message: MessageId,
        caption: Option<Out>,
    ) -> Result<MessageId, SendError>;
    /// Downloads a file a user sent, refusing files over `max_bytes`.
    async fn download(&self, file_id: &str, max_bytes: u64) -> Result<Vec<u8>, SendError>;
    /// The bot's @username (`getMe`), for links that open it; `None` when not known.
    async fn username(&self) -> Result<Option<String>, SendError> {
        Ok(None)
    }
    /// Sends a Telegram Stars invoice (issue 18); its message id.
    async fn send_invoice(&self, _chat: i64, _invoice: StarsInvoice) -> Result<MessageId, SendError> {
        Err(SendError::Refused("sendInvoice is not supported here".into()))
    }
    /// Answers a pre-checkout query: `None` accepts, `Some(reason)` refuses with that message.
    async fn answer_pre_checkout(&self, _query_id: &str, _error: Option<&str>) -> Result<(), SendError> {
        Err(SendError::Refused("answerPreCheckoutQuery is not supported here".into()))
    }
    /// Returns a Stars payment to the user (`refundStarPayment`); Ok only when Telegram said true.
    async fn refund_stars(&self, _user_id: i64, _charge_id: &str) -> Result<(), SendError> {
        Err(SendError::Refused("refundStarPayment is not supported here".into()))
    }
}

/// Why the payment gateway could not answer.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GatewayError {
    /// The gateway answered with an error (its message is for the log, never for the customer).
    #[error("payment gateway refused ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Asked too often (Pakasir: one status call per transaction per 4 s).
    #[error("payment gateway rate limit")]
    RateLimited,
    /// Timeouts, connection errors and 5xx after the retries.
    #[error("payment gateway unavailable: {0}")]
    Unavailable(String),
    #[error("payment gateway answered something unexpected")]
    Invalid,
}

/// The payment gateway, as the shop needs it (the Pakasir v2 adapter is `src/pakasir/`).
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Opens an invoice of `amount` for the order `invoice_id`, paid by `method`.
    async fn create(&self, invoice_id: &str, amount: i64, method: PayMethod) -> Result<Invoice, GatewayError>;
    /// The fee per method for paying `amount` (shown before the customer commits; a failure
    /// only leaves the fee line out).
    async fn fees(&self, amount: i64) -> Result<Fees, GatewayError>;
    async fn status(&self, txn_id: &str) -> Result<PaymentReport, GatewayError>;
    async fn cancel(&self, txn_id: &str) -> Result<(), GatewayError>;
    /// The hosted payment page for `[Checkout Page]`.
    fn checkout_url(&self, txn_id: &str) -> String;
}
