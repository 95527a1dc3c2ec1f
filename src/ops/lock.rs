//! `DATA_DIR/quickcart.lock`: an exclusive `flock(2)` held by `serve` for its whole life. Tools
//! that must not run beside it (`backup restore`, `db rekey`) take the same lock and refuse when
//! they cannot get it. The kernel drops the lock when the process ends, even on `kill -9`.

use std::{
    fs::File,
    io::Write,
    path::{Path, PathBuf},
};

pub const LOCK_FILE: &str = "quickcart.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("quickcart serve sedang berjalan ({0} terkunci); hentikan dulu (`systemctl stop quickcart`) lalu ulangi")]
    Busy(PathBuf),
    #[error("tidak dapat membuat {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// Held while alive; dropping it (or the process ending) releases the lock.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    path: PathBuf,
}

impl DataLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the exclusive lock on `data_dir` (creating the directory and the file if needed) without
/// waiting. `purpose` is written into the file for the operator (`serve 1234`, `restore 99`).
pub fn acquire(data_dir: &Path, purpose: &str) -> Result<DataLock, LockError> {
    let path = data_dir.join(LOCK_FILE);
    std::fs::create_dir_all(data_dir).map_err(|e| LockError::Io(data_dir.to_path_buf(), e))?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| LockError::Io(path.clone(), e))?;
    try_lock(&file).map_err(|e| match e.kind() {
        std::io::ErrorKind::WouldBlock => LockError::Busy(path.clone()),
        _ => LockError::Io(path.clone(), e),
    })?;
    // Only the holder writes, so this never races with another writer.
    let _ = file.set_len(0);
    let _ = writeln!(file, "{purpose} {}", std::process::id());
    Ok(DataLock { _file: file, path })
}

#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<()> {
    rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(std::io::Error::from)
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "serve").unwrap();
        assert!(matches!(acquire(dir.path(), "restore"), Err(LockError::Busy(_))));
        drop(first);
        acquire(dir.path(), "restore").unwrap();
    }
}
