//! The end-to-end tests: one binary (one build and link instead of one per file), a module per
//! area. They start the real `quickcart` binary against the fake Telegram and Pakasir servers of
//! `quickcart::testkit` and assert on what people see and on the data through the binary's own
//! subcommands. `cargo test --test e2e money_review::` runs one area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
mod pay_support;

mod admin_catalog;
mod admin_suite;
mod audit_log;
mod bank_transfer;
mod browsing;
mod campaigns;
mod demo;
mod expiring_stock;
mod fault_matrix;
mod flows;
mod help;
mod hostile_input;
mod http_hardening;
mod money_faults;
mod money_review;
mod ops_backup;
mod ops_deploy;
mod ops_doctor;
mod ops_offsite;
mod ops_package;
mod ops_setup;
mod pakasir_outage;
mod pakasir_variants;
mod payments;
mod report;
mod restock;
mod review_admin;
mod security;
mod segments;
mod sending;
mod soak;
mod stars;
mod storage;
mod tiers;
mod voucher_links;
mod warranty;
