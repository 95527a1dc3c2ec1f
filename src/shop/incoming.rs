//! An update from Telegram, reduced to what the shop acts on.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Text {
        message_id: i64,
        text: String,
        reply_to: Option<i64>,
    },
    Callback {
        callback_id: String,
        message_id: Option<i64>,
        data: String,
    },
    Document {
        message_id: i64,
        file_id: String,
        file_name: Option<String>,
        size: u64,
        caption: Option<String>,
    },
    Photo {
        message_id: i64,
        file_id: String,
        caption: Option<String>,
        reply_to: Option<i64>,
    },
    /// A Telegram Stars `pre_checkout_query` (issue 18): must be answered within 10 s.
    PreCheckout {
        query_id: String,
        currency: String,
        total: i64,
        payload: String,
    },
    /// A message carrying `successful_payment` (Stars): applied once per `charge_id`.
    StarsPaid {
        message_id: i64,
        currency: String,
        total: i64,
        payload: String,
        charge_id: String,
    },
    /// Stickers, voice notes, locations, …: answered with a short notice.
    Other {
        message_id: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incoming {
    pub sender: Sender,
    pub chat_id: i64,
    /// Private chats only are customer conversations; groups are for admin notices.
    pub private: bool,
    pub input: Input,
}
