//! Pakasir API v2 (SPEC §4): the client, and Pakasir's JSON mapped to the shop's payment
//! words ([`crate::domain::payment`]). Nothing outside this module sees Pakasir's own types.

pub mod client;

use serde::Deserialize;

use crate::domain::payment::{Fees, Instrument, Invoice, PayMethod, PaymentReport, PaymentState};

/// The flat JSON of `create-transaction`: a QRIS answer carries `qr_string`, a virtual account
/// answer `va_number` instead. A missing `status` reads as pending (the create answer is always
/// pending; some integrations see no `status` in it).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
struct Created {
    txn_id: String,
    order_id: String,
    amount: i64,
    fee: i64,
    total_payment: i64,
    #[serde(default)]
    qr_string: Option<String>,
    #[serde(default)]
    va_number: Option<String>,
}

impl Created {
    /// The invoice, if the answer carries what `method` needs (a QR payload or a VA number).
    fn invoice(self, method: PayMethod) -> Option<Invoice> {
        let instrument = match method {
            PayMethod::Qris => Instrument::Qris(self.qr_string.filter(|q| !q.is_empty())?),
            PayMethod::Va(bank) => {
                let number = self.va_number.filter(|n| !n.trim().is_empty())?;
                Instrument::VirtualAccount { bank, number: number.trim().to_string() }
            }
        };
        Some(Invoice { txn_id: self.txn_id, fee: self.fee, total_payment: self.total_payment, instrument })
    }
}

/// The answer of `payment-fee/{amount}`: the fee per method, flat (`{"qris": 394, ...}`) or
/// wrapped (`{"status": ..., "data": {...}}`). Entries that are not whole rupiah are skipped.
fn parse_fees(body: &serde_json::Value) -> Option<Fees> {
    let map = match body.get("data") {
        Some(data) => data.as_object()?,
        None => body.as_object()?,
    };
    let fees: std::collections::BTreeMap<String, i64> = map
        .iter()
        .filter_map(|(k, v)| {
            let fee =
                v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f.ceil() as i64))?;
            (fee >= 0 && PayMethod::from_code(k).is_some()).then(|| (k.clone(), fee))
        })
        .collect();
    (!fees.is_empty()).then_some(Fees(fees))
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
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fees_read_flat_or_wrapped() {
        let flat = serde_json::json!({"qris": 394, "bri_va": 3500, "unknown_thing": 1});
        let wrapped = serde_json::json!({"status": "success", "data": {"qris": 394, "bri_va": 3500}});
        let fees = parse_fees(&flat).unwrap();
        assert_eq!(fees.of(PayMethod::Qris), Some(394));
        assert_eq!(fees.of(PayMethod::Va(crate::domain::payment::Bank::Bri)), Some(3500));
        assert_eq!(fees.0.len(), 2);
        assert_eq!(parse_fees(&wrapped), Some(fees));
        assert_eq!(parse_fees(&serde_json::json!({"message": "x"})), None);
    }

    #[test]
    fn a_create_answer_needs_what_its_method_pays_with() {
        let body =
            |extra: &str| format!(r#"{{"txn_id":"T","order_id":"INV","amount":5,"fee":1,"total_payment":6{extra}}}"#);
        let created = |extra: &str| serde_json::from_str::<Created>(&body(extra)).unwrap();
        let bri = PayMethod::Va(crate::domain::payment::Bank::Bri);
        assert!(created(r#","qr_string":"QR","va_number":null"#).invoice(PayMethod::Qris).is_some());
        assert!(created(r#","qr_string":"QR","va_number":null"#).invoice(bri).is_none());
        let va = created(r#","qr_string":null,"va_number":"8808123""#).invoice(bri).unwrap();
        assert_eq!(
            va.instrument,
            Instrument::VirtualAccount { bank: crate::domain::payment::Bank::Bri, number: "8808123".into() }
        );
        assert!(created("").invoice(PayMethod::Qris).is_none());
    }

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
