//! `quickcart demo`: placeholder until the stand-ins land.

use std::{path::Path, process::ExitCode};

pub async fn run(_script: Option<&Path>) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
