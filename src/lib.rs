//! QuickCart: a Telegram shop for digital goods in one binary. See SPEC.md and README.md.
#![forbid(unsafe_code)]

pub mod app;
pub mod bot;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod ops;
pub mod pakasir;
pub mod security;
pub mod shop;
pub mod store;
pub mod testkit;
pub mod texts;
pub mod workers;
