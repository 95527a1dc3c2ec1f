//! Pure types and rules: money, prices, roles, audit actions, input validation, command and
//! callback grammars.
//! Nothing in here does I/O.

pub mod admin;
pub mod anomaly;
pub mod audit;
pub mod callback;
pub mod campaign;
pub mod catalog;
pub mod commands;
pub mod digest;
pub mod expiry;
pub mod ids;
pub mod money;
pub mod order;
pub mod paging;
pub mod payment;
pub mod pricing;
pub mod purchase;
pub mod report;
pub mod role;
pub mod segment;
pub mod stars;
pub mod tiers;
pub mod time;
pub mod validate;
