//! The order state machine (SPEC §4) and invoice ids. Every status change in the store goes
//! through [`transition`].

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Pending,
    Paid,
    Expired,
    Cancelled,
    Refunded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Paid => "paid",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
            Status::Refunded => "refunded",
        }
    }

    /// The customer's money arrived for it: paid, or refunded after paying.
    pub fn is_paid(self) -> bool {
        matches!(self, Status::Paid | Status::Refunded)
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Status::Pending,
            "paid" => Status::Paid,
            "expired" => Status::Expired,
            "cancelled" => Status::Cancelled,
            "refunded" => Status::Refunded,
            _ => return None,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The payment was confirmed (Pakasir verified, or balance deducted).
    PaymentConfirmed,
    /// The invoice lifetime ran out.
    Timer,
    /// The customer (or an admin) cancelled.
    Cancel,
    /// An approved refund.
    Refund,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("order cannot go from {from} on {event:?}")]
pub struct InvalidTransition {
    pub from: Status,
    pub event: Event,
}

/// `pending → paid | expired | cancelled`, `paid → refunded`. No other transitions.
pub fn transition(from: Status, event: Event) -> Result<Status, InvalidTransition> {
    match (from, event) {
        (Status::Pending, Event::PaymentConfirmed) => Ok(Status::Paid),
        (Status::Pending, Event::Timer) => Ok(Status::Expired),
        (Status::Pending, Event::Cancel) => Ok(Status::Cancelled),
        (Status::Paid, Event::Refund) => Ok(Status::Refunded),
        _ => Err(InvalidTransition { from, event }),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Order,
    Deposit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Order => "order",
            Kind::Deposit => "deposit",
        }
    }
}

/// How an order is paid. `Qris` is every payment through Pakasir (stored as `qris`): a QRIS
/// scan or a bank transfer to a virtual account (the order's `va` says which).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Qris,
    Saldo,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Qris => "qris",
            Method::Saldo => "saldo",
        }
    }
}

/// Deposit bounds (SPEC §2).
pub const MIN_DEPOSIT: i64 = 10_000;
pub const MAX_DEPOSIT: i64 = 10_000_000;

/// The largest order total accepted (a checkout above it is refused before Pakasir).
pub const MAX_ORDER_TOTAL: i64 = 100_000_000;

const INVOICE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The invoice id of an order created at `unix`: its date is the WIB day the customer sees.
pub fn invoice_id_at(unix: i64, random: [u8; 6]) -> String {
    let date = super::time::wib_date(unix).unwrap_or_default();
    invoice_id(date, random)
}

/// `INV` + date + 6 random characters, e.g. `INV20261123K7Q2XM`: URL-safe for Pakasir's
/// order id path segment, unguessable enough that ids are no handle on other people's orders.
/// (Ids made before issue 16 carry the UTC date; the shape is the same.)
pub fn invoice_id(date: chrono::NaiveDate, random: [u8; 6]) -> String {
    let mut s = format!("INV{}", date.format("%Y%m%d"));
    for b in random {
        let idx = usize::from(b) % INVOICE_ALPHABET.len();
        s.push(char::from(INVOICE_ALPHABET.get(idx).copied().unwrap_or(b'X')));
    }
    s
}

/// Accepts only our own invoice id shape (typed by people in `/refund`, sent back by Pakasir).
pub fn is_invoice_id(s: &str) -> bool {
    s.len() == 17
        && s.starts_with("INV")
        && s.get(3..11).is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
        && s.get(11..).is_some_and(|r| r.bytes().all(|b| INVOICE_ALPHABET.contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL: [Status; 5] = [Status::Pending, Status::Paid, Status::Expired, Status::Cancelled, Status::Refunded];
    const EVENTS: [Event; 4] = [Event::PaymentConfirmed, Event::Timer, Event::Cancel, Event::Refund];

    #[test]
    fn only_the_spec_transitions_exist() {
        let mut allowed = Vec::new();
        for from in ALL {
            for e in EVENTS {
                if let Ok(to) = transition(from, e) {
                    allowed.push((from, to));
                }
            }
        }
        assert_eq!(
            allowed,
            vec![
                (Status::Pending, Status::Paid),
                (Status::Pending, Status::Expired),
                (Status::Pending, Status::Cancelled),
                (Status::Paid, Status::Refunded),
            ]
        );
    }

    proptest! {
        #[test]
        fn terminal_states_stay_terminal(events in proptest::collection::vec(proptest::sample::select(EVENTS.to_vec()), 0..20)) {
            let mut s = Status::Pending;
            let mut paid_seen = false;
            for e in events {
                if let Ok(next) = transition(s, e) {
                    prop_assert!(s == Status::Pending || (s == Status::Paid && next == Status::Refunded));
                    if next == Status::Paid { prop_assert!(!paid_seen); paid_seen = true; }
                    s = next;
                }
            }
        }

        #[test]
        fn invoice_ids_are_well_formed(random in proptest::array::uniform6(any::<u8>())) {
            let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
            let id = invoice_id(date, random);
            prop_assert!(is_invoice_id(&id), "{}", id);
        }

        #[test]
        fn invoice_check_never_panics(s in "\\PC{0,40}") {
            let _ = is_invoice_id(&s);
        }
    }

    #[test]
    fn invoice_ids_carry_the_wib_date() {
        // 2026-11-23 18:30 UTC is 24/11/2026 01:30 WIB.
        let id = invoice_id_at(1_795_458_600, [0; 6]);
        assert!(id.starts_with("INV20261124"), "{id}");
        assert!(is_invoice_id(&id), "{id}");
        // Ids made with the UTC date (before) are still ours.
        assert!(is_invoice_id("INV20261123K7Q2XM"));
    }

    #[test]
    fn status_round_trips() {
        for s in ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert!(!is_invoice_id("INV2026112"));
        assert!(!is_invoice_id("INV20261123k7q2xm"));
    }
}
