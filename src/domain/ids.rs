//! Typed ids and an admin's ruling, where a mix-up would decide the wrong thing: a function
//! that takes an order, a claim and an admin cannot be called with them in the wrong order.

use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// An order or deposit (`orders.id`).
    OrderId
);
id!(
    /// A Telegram user, customer or admin (`users.id`).
    UserId
);
id!(
    /// A refund claim (`refund_claims.id`).
    ClaimId
);

/// An admin's decision on something that waits for one: a held payment, a refund claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ruling {
    Approve,
    Reject,
}
