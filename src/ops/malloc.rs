//! glibc's malloc arenas for `serve` (issue 14).
//!
//! glibc gives each thread that allocates an arena of its own, up to eight per core, and an arena
//! keeps what it once held. In a flash sale (1,000 customers at once) the async workers and the
//! blocking threads of the database calls held about 12 MB more than the heap in use, a quarter
//! of the process. Two arenas serve two async workers and the blocking work as fast (same
//! updates/s in the storm bench). The count can only be set before the process starts
//! (`MALLOC_ARENA_MAX`; `mallopt` would need `unsafe`), so `serve` runs itself again, once, with
//! it set: same process id, arguments and environment otherwise.

/// The environment variable glibc reads at start.
pub const ARENA_VAR: &str = "MALLOC_ARENA_MAX";

/// Re-executes this program with [`ARENA_VAR`] set to 2, unless it is set already (an operator's
/// own value is kept, and the second run stops here). Returns only when that did not happen: the
/// process then goes on with glibc's default, slower to give memory back but otherwise the same.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_arenas() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(ARENA_VAR).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut cmd = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        cmd.arg0(arg0);
    }
    // `exec` replaces this process and does not return when it works.
    let _failed = cmd.args(args).env(ARENA_VAR, "2").exec();
}

/// Other platforms' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() {}
