//! Pakasir API v2 (SPEC §4): the client, and Pakasir's JSON mapped to the shop's payment
//! words ([`crate::domain::payment`]). Nothing outside this module sees Pakasir's own types.

pub mod client;

use serde::Deserialize;

use crate::domain::payment::{Invoice, PaymentReport, PaymentState};

/// The flat JSON of `create-transaction`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
struct Created {
    txn_id: String,
    order_id: String,
    amount: i64,
    fee: i64,
    total_payment: i64,
    qr_string: String,
}

impl From<Created> for Invoice {
    fn from(c: Created) -> Self {
        Invoice { txn_id: c.txn_id, fee: c.fee, total_payment: c.total_payment, qr_string: c.qr_string }
    }
}

/// A transaction as Pakasir describes it: the answer of `transaction-status` and the body it
/// posts to `/webhook/pakasir` (there a claim only: the status is asked again).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
struct Transaction {
    txn_id: String,
    order_id: String,
    amount: i64,
    #[serde(default)]
    is_sandbox: bool,
    status: String,
}

impl From<Transaction> for PaymentReport {
    fn from(t: Transaction) -> Self {
        let state = match t.status.as_str() {
            "completed" => PaymentState::Completed,
            // An expired transaction shows as `canceled`; some clients see `cancelled` or `expired`.
            "canceled" | "cancelled" | "expired" => PaymentState::Closed,
            _ => PaymentState::Pending,
        };
        PaymentReport { txn_id: t.txn_id, invoice_id: t.order_id, amount: t.amount, sandbox: t.is_sandbox, state }
    }
}

/// Reads the body of a Pakasir webhook; `None` when it is not one.
pub fn parse_notice(body: &[u8]) -> Option<PaymentReport> {
    serde_json::from_slice::<Transaction>(body).ok().map(PaymentReport::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_shops_states() {
        let body = |status: &str| {
            format!(r#"{{"txn_id":"T","order_id":"INV","amount":5,"status":"{status}","completed_at":null}}"#)
        };
        let state = |status: &str| parse_notice(body(status).as_bytes()).map(|r| r.state);
        assert_eq!(state("completed"), Some(PaymentState::Completed));
        for closed in ["canceled", "cancelled", "expired"] {
            assert_eq!(state(closed), Some(PaymentState::Closed));
        }
        assert_eq!(state("pending"), Some(PaymentState::Pending));
        assert_eq!(parse_notice(b"{\"txn_id\":1}"), None);
        let sandbox = br#"{"txn_id":"T","order_id":"INV","amount":5,"status":"completed","is_sandbox":true}"#;
        assert_eq!(parse_notice(sandbox).map(|r| r.sandbox), Some(true));
    }
}
