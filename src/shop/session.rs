//! Per-user conversation state in an in-process cache (moka) with a TTL. Nothing here is the only
//! copy of anything that matters: losing it only means a person starts a flow again.

use std::time::Duration;

use moka::sync::Cache;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnboardStep {
    Name,
    Whatsapp,
    Email,
}

/// A voucher the customer typed, checked but not yet held (it is held when the order is made).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedVoucher {
    pub id: i64,
    pub code: String,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    Onboarding(OnboardStep),
    EditName,
    EditEmail,
    EditWhatsapp,
    /// A product card on screen: its message and the chosen quantity.
    Card {
        product_id: i64,
        qty: i64,
        message_id: i64,
    },
    /// The checkout summary of a card. `offer_voucher`: the `[Gunakan Voucher] [Skip]` step is
    /// still open.
    Checkout {
        product_id: i64,
        qty: i64,
        message_id: i64,
        voucher: Option<AppliedVoucher>,
        offer_voucher: bool,
    },
    /// Waiting for a voucher code for this checkout.
    VoucherCode {
        product_id: i64,
        qty: i64,
        message_id: i64,
    },
    /// Waiting for a deposit amount.
    DepositAmount,
    /// The deposit summary of `amount` (or its bank choice) on screen: waiting for a way to pay.
    DepositPay {
        amount: i64,
        message_id: i64,
    },
    /// KIRIM PESAN: waiting for the message to the admins.
    SendMessage,
    /// An admin's segmented campaign shown with its audience, waiting for `[Kirim]` `[Batal]`
    /// (request number `nonce`). Nothing is created before `[Kirim]`; losing this only means
    /// the admin sends the command again.
    SegmentConfirm {
        nonce: u32,
        pending: Box<crate::shop::admin::segments::Pending>,
    },
    /// `[Klaim Garansi]`: waiting for what is wrong with the item (text, or a photo with a caption).
    WarrantyProblem {
        item_id: i64,
    },
    /// An admin's `[Tolak]` on a warranty claim: waiting for the reason; `message_id` in `chat`
    /// is the claim notice to edit.
    WarrantyReason {
        claim_id: i64,
        chat: i64,
        message_id: Option<i64>,
    },
}

impl Flow {
    /// Flows that take the next plain text message as their input.
    pub fn wants_text(&self) -> bool {
        !matches!(
            self,
            Flow::Card { .. } | Flow::Checkout { .. } | Flow::DepositPay { .. } | Flow::SegmentConfirm { .. }
        )
    }

    /// Steps whose input can never be a product number (up to 6 digits): a WhatsApp number has at
    /// least 8 digits, an e-mail an `@`, a voucher code 8 characters. The number of a product on
    /// sale typed (or pressed on the reply keyboard) there leaves the step. Names, deposit
    /// amounts and messages to the admins may be bare numbers, so they keep them.
    pub fn refuses_product_numbers(&self) -> bool {
        matches!(
            self,
            Flow::Onboarding(OnboardStep::Whatsapp | OnboardStep::Email)
                | Flow::EditWhatsapp
                | Flow::EditEmail
                | Flow::VoucherCode { .. }
        )
    }
}

#[derive(Clone)]
pub struct Sessions {
    flows: Cache<i64, Flow>,
}

impl Sessions {
    pub fn new(ttl: Duration) -> Self {
        Self { flows: Cache::builder().max_capacity(1_000_000).time_to_live(ttl).build() }
    }

    pub fn get(&self, user: i64) -> Option<Flow> {
        self.flows.get(&user)
    }

    /// Starting a flow replaces whatever flow the user was in.
    pub fn set(&self, user: i64, flow: Flow) {
        self.flows.insert(user, flow);
    }

    /// Takes the user's flow out (a second press finds nothing).
    pub fn take(&self, user: i64) -> Option<Flow> {
        self.flows.remove(&user)
    }

    pub fn clear(&self, user: i64) {
        self.flows.invalidate(&user);
    }
}
