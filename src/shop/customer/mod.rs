//! What customers do: browse, buy (QRIS or balance), deposit, their account and history,
//! refund requests, privacy requests and messages to the admins.

pub mod browse;
pub mod checkout;
pub mod leave;
pub mod onboarding;
pub mod privacy;
pub mod refund;
pub mod relay;
pub mod restock;
pub mod stars;
pub mod warranty;
