//! Pakasir API v2 (SPEC §4): the client and the webhook body.

pub mod client;

use serde::{Deserialize, Serialize};

/// The flat JSON of `create-transaction`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Created {
    pub txn_id: String,
    pub order_id: String,
    pub amount: i64,
    pub fee: i64,
    pub total_payment: i64,
    pub qr_string: String,
    #[serde(default)]
    pub expired_at: Option<String>,
    #[serde(default)]
    pub is_sandbox: bool,
    #[serde(default)]
    pub status: String,
}

/// The JSON of `transaction-status`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TxStatus {
    pub txn_id: String,
    pub order_id: String,
    pub amount: i64,
    #[serde(default)]
    pub is_sandbox: bool,
    pub status: String,
    #[serde(default)]
    pub completed_at: Option<String>,
}

impl TxStatus {
    pub fn completed(&self) -> bool {
        self.status == "completed"
    }

    /// Closed at Pakasir for good: it can no longer be paid. (An expired transaction shows as
    /// `canceled`; some clients see `cancelled` or `expired`.)
    pub fn closed(&self) -> bool {
        matches!(self.status.as_str(), "canceled" | "cancelled" | "expired")
    }
}

/// The body Pakasir posts to `/webhook/pakasir` (a hint only: the status is re-queried).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct WebhookBody {
    pub txn_id: String,
    pub order_id: String,
    pub amount: i64,
    #[serde(default)]
    pub is_sandbox: bool,
    pub status: String,
    #[serde(default)]
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PakasirError {
    /// Pakasir answered with an error (its `message` is for the log, never for the customer).
    #[error("pakasir refused ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Too many status calls for this transaction (1 per 4 s).
    #[error("pakasir rate limit")]
    RateLimited,
    /// Timeouts, connection errors and 5xx after the retries.
    #[error("pakasir unavailable: {0}")]
    Unavailable(String),
    #[error("pakasir answered something unexpected")]
    Invalid,
}
