//! Security controls: who may do what, and what may never be printed.

pub mod audit;
pub mod rbac;
pub mod redact;
pub mod throttle;
