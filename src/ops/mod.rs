//! Local maintenance for the operator on the VM.

pub mod doctor;
pub mod logs;
pub mod maintenance;
