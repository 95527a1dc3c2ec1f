//! Local maintenance for the operator on the VM.

pub mod backup;
pub mod doctor;
pub mod keys;
pub mod lock;
pub mod logs;
pub mod maintenance;
pub mod malloc;
pub mod offsite;
pub mod rclone;
pub mod report;
pub mod setup;
