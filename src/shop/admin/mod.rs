//! What admins do: commands (one handler per row of the command table), decisions on held
//! payments and refund claims, campaigns, and replies to customers' messages.

pub mod campaign;
pub mod commands;
pub mod refunds;
pub mod replies;
pub mod review;
