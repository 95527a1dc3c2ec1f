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
    pub instrument: Instrument,
}

/// What the customer pays an invoice with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Instrument {
    /// The QRIS payload to render as a QR code.
    Qris(String),
    /// A bank transfer to a virtual account number.
    VirtualAccount { bank: Bank, number: String },
}

/// The banks Pakasir offers virtual accounts at (issue 17), in the order they are offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bank {
    Bri,
    Bni,
    CimbNiaga,
    Permata,
    Maybank,
    Bnc,
    ArthaGraha,
    AtmBersama,
    Sampoerna,
}

impl Bank {
    pub const ALL: [Bank; 9] = [
        Bank::Bri,
        Bank::Bni,
        Bank::CimbNiaga,
        Bank::Permata,
        Bank::Maybank,
        Bank::Bnc,
        Bank::ArthaGraha,
        Bank::AtmBersama,
        Bank::Sampoerna,
    ];

    /// Pakasir's method name (`bri_va`, …).
    pub fn code(self) -> &'static str {
        match self {
            Bank::Bri => "bri_va",
            Bank::Bni => "bni_va",
            Bank::CimbNiaga => "cimb_niaga_va",
            Bank::Permata => "permata_va",
            Bank::Maybank => "maybank_va",
            Bank::Bnc => "bnc_va",
            Bank::ArthaGraha => "artha_graha_va",
            Bank::AtmBersama => "atm_bersama_va",
            Bank::Sampoerna => "sampoerna_va",
        }
    }

    pub fn from_code(code: &str) -> Option<Bank> {
        Bank::ALL.into_iter().find(|b| b.code() == code)
    }

    /// A short stable number for callback data.
    pub fn index(self) -> u8 {
        Bank::ALL.iter().position(|b| *b == self).and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
    }

    pub fn from_index(i: u8) -> Option<Bank> {
        Bank::ALL.get(usize::from(i)).copied()
    }
}

/// A way to pay through the gateway: QRIS, or a virtual account at one bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PayMethod {
    Qris,
    Va(Bank),
}

impl PayMethod {
    /// Pakasir's method name (`qris`, `bri_va`, …).
    pub fn code(self) -> &'static str {
        match self {
            PayMethod::Qris => "qris",
            PayMethod::Va(b) => b.code(),
        }
    }

    pub fn from_code(code: &str) -> Option<PayMethod> {
        if code == "qris" {
            Some(PayMethod::Qris)
        } else {
            Bank::from_code(code).map(PayMethod::Va)
        }
    }

    /// Parses a `PAKASIR_METHODS` list (`qris,bri_va`); `None` names the first unknown or an
    /// empty list. Duplicates are dropped, the order kept.
    pub fn parse_list(list: &str) -> Option<Vec<PayMethod>> {
        let mut out: Vec<PayMethod> = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let m = PayMethod::from_code(&part.to_ascii_lowercase())?;
            if !out.contains(&m) {
                out.push(m);
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

/// The least and most one payment by a method may be (Pakasir's reported limits are settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub min: i64,
    pub max: i64,
}

impl Limits {
    /// `Err(self)` when `amount` is outside: the refusal names the limits.
    pub fn check(self, amount: i64) -> Result<(), Limits> {
        if (self.min..=self.max).contains(&amount) {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// Pakasir's fee per method for one amount (`payment-fee`), as far as it answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fees(pub std::collections::BTreeMap<String, i64>);

impl Fees {
    pub fn of(&self, method: PayMethod) -> Option<i64> {
        self.0.get(method.code()).copied()
    }

    /// The fee of a bank transfer among `methods`: the highest of the banks' fees (they are
    /// shown as "±").
    pub fn va(&self, methods: &[PayMethod]) -> Option<i64> {
        methods.iter().filter(|m| matches!(m, PayMethod::Va(_))).filter_map(|m| self.of(*m)).max()
    }
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

    #[test]
    fn methods_parse_and_name_their_banks() {
        assert_eq!(PayMethod::parse_list("qris"), Some(vec![PayMethod::Qris]));
        assert_eq!(
            PayMethod::parse_list(" QRIS, bri_va ,qris,cimb_niaga_va"),
            Some(vec![PayMethod::Qris, PayMethod::Va(Bank::Bri), PayMethod::Va(Bank::CimbNiaga)])
        );
        assert_eq!(PayMethod::parse_list("qris,paypal"), None);
        assert_eq!(PayMethod::parse_list(" , "), None);
        for b in Bank::ALL {
            assert_eq!(Bank::from_code(b.code()), Some(b));
            assert_eq!(Bank::from_index(b.index()), Some(b));
        }
        assert_eq!(Limits { min: 500, max: 1000 }.check(499), Err(Limits { min: 500, max: 1000 }));
        assert_eq!(Limits { min: 500, max: 1000 }.check(1000), Ok(()));
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
