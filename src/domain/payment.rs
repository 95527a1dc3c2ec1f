//! What a payment gateway says about a payment, in the shop's words, and the one rule that
//! decides whether such a report is about an order's payment (SPEC §4).

/// Where a payment stands at the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentState {
    /// Not paid yet, still payable.
    Pending,
    Completed,
    /// Cancelled or expired at the gateway: it can no longer be paid.
    Closed,
}

/// A gateway's word on one payment: a status answer, or what a payment notice claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentReport {
    pub txn_id: String,
    pub invoice_id: String,
    pub amount: i64,
    /// A test payment: no money moved.
    pub sandbox: bool,
    pub state: PaymentState,
}

/// An invoice the gateway opened for an order: how the customer pays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub txn_id: String,
    pub fee: i64,
    /// What the customer pays: the order's total and the fee.
    pub total_payment: i64,
    pub qr_string: String,
}

/// Why a payment report was not acted on (the `webhook_rejected` reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    UnknownOrder,
    NoTransaction,
    TxnMismatch,
    AmountMismatch,
    Sandbox,
    NotCompleted,
}

impl Rejection {
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::UnknownOrder => "unknown_order",
            Rejection::NoTransaction => "no_transaction",
            Rejection::TxnMismatch => "txn_id_mismatch",
            Rejection::AmountMismatch => "amount_mismatch",
            Rejection::Sandbox => "sandbox_not_allowed",
            Rejection::NotCompleted => "not_completed",
        }
    }
}

/// The order a report must match: its invoice, its gateway transaction and what it costs.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    pub invoice_id: &'a str,
    pub txn_id: Option<&'a str>,
    pub total: i64,
}

/// Whether `report` is about the expected order's payment: the same transaction and invoice,
/// the same amount, and real money unless sandbox payments are allowed. Says nothing about
/// whether it is completed (see [`PaymentState`]).
pub fn check(expected: Expected<'_>, report: &PaymentReport, sandbox_allowed: bool) -> Result<(), Rejection> {
    let Some(txn) = expected.txn_id else { return Err(Rejection::NoTransaction) };
    if report.txn_id != txn || report.invoice_id != expected.invoice_id {
        Err(Rejection::TxnMismatch)
    } else if report.amount != expected.total {
        Err(Rejection::AmountMismatch)
    } else if report.sandbox && !sandbox_allowed {
        Err(Rejection::Sandbox)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report(txn: &str, invoice: &str, amount: i64, sandbox: bool) -> PaymentReport {
        PaymentReport {
            txn_id: txn.into(),
            invoice_id: invoice.into(),
            amount,
            sandbox,
            state: PaymentState::Completed,
        }
    }

    const ORDER: Expected<'static> = Expected { invoice_id: "INV1", txn_id: Some("T1"), total: 30_000 };

    #[test]
    fn a_report_matches_only_its_own_order() {
        assert_eq!(check(ORDER, &report("T1", "INV1", 30_000, false), false), Ok(()));
        assert_eq!(check(ORDER, &report("T2", "INV1", 30_000, false), false), Err(Rejection::TxnMismatch));
        assert_eq!(check(ORDER, &report("T1", "INV2", 30_000, false), false), Err(Rejection::TxnMismatch));
        assert_eq!(check(ORDER, &report("T1", "INV1", 29_999, false), false), Err(Rejection::AmountMismatch));
        assert_eq!(check(ORDER, &report("T1", "INV1", 30_000, true), false), Err(Rejection::Sandbox));
        assert_eq!(check(ORDER, &report("T1", "INV1", 30_000, true), true), Ok(()));
        let no_txn = Expected { txn_id: None, ..ORDER };
        assert_eq!(check(no_txn, &report("T1", "INV1", 30_000, false), false), Err(Rejection::NoTransaction));
    }

    proptest! {
        /// Any other amount is refused, whatever the gateway claims.
        #[test]
        fn only_the_exact_amount_matches(amount in any::<i64>()) {
            let verdict = check(ORDER, &report("T1", "INV1", amount, false), false);
            prop_assert_eq!(verdict.is_ok(), amount == ORDER.total);
        }
    }
}
