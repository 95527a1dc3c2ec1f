//! What admins do: commands (one handler per row of the command table), decisions on held
//! payments and refund claims, campaigns, and replies to customers' messages.

/// `/broadcast`, `/giveaway`, `/setformula`.
pub mod campaign;
/// Products, categories, discounts and reseller prices.
pub mod catalog;
/// Parsing, audit and the one-line-per-command dispatch to the handlers.
pub mod commands;
/// The daily expiring-stock note.
pub mod expiry;
/// Groups whitelisted for admin notices.
pub mod groups;
/// Decisions on refund claims.
pub mod refunds;
/// Admins' replies to customers' messages.
pub mod replies;
/// `/laporan`: the sales report as a chart.
pub mod report;
/// Decisions on held payments.
pub mod review;
/// Targeted campaigns: the audience shown, then [Kirim] or [Batal].
pub mod segments;
/// Telegram Stars: the setting, products' Stars prices, refunds of Stars orders.
pub mod stars;
/// Import, deletion and export of stock items.
pub mod stock;
/// `/tier`: bulk prices (quantity tiers).
pub mod tiers;
/// Look-up, messages, balance, bans and roles of users.
pub mod users;
/// `/garansi` and the decisions on warranty claims.
pub mod warranty;
