//! r2d2 connection manager for SQLCipher files. Every pooled connection gets the same PRAGMAs.

use std::{path::PathBuf, time::Duration};

use rusqlite::{Connection, OpenFlags};

use super::StoreError;
use crate::config::DbKey;

pub struct CipherManager {
    path: PathBuf,
    key: DbKey,
}

impl CipherManager {
    pub fn new(path: PathBuf, key: DbKey) -> Self {
        Self { path, key }
    }

    /// Opens one keyed connection. Order matters: silence SQLCipher's own logging, key before
    /// anything else touches the file, then read once so a wrong key fails here and not later.
    pub fn open(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = Connection::open_with_flags(&self.path, flags)?;
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        // Writers wait for each other up to 10 s. Not `busy_timeout`: SQLite's own handler sleeps
        // 1, 2, 5, 10, 15… ms between tries, so under a burst of short (≈1 ms) write transactions
        // a waiter oversleeps by several ms each time (issue 8). Retry every ≤ 1 ms instead.
        // Set before the first read: opening while another process checkpoints or writes must
        // wait too, not fail with "database is locked".
        conn.busy_handler(Some(busy_wait))?;
        apply_key(&conn, &self.key)?;
        check_key(&conn)?;
        // temp_store=MEMORY keeps sort/temp data off the disk, where it would not be encrypted;
        // secure_delete overwrites erased personal data instead of leaving it in free pages.
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA temp_store = MEMORY;
             PRAGMA secure_delete = ON;",
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}

/// Busy handler: 250 µs, 500 µs, 750 µs, then every 1 ms; gives up after about 10 s.
fn busy_wait(tries: i32) -> bool {
    const GIVE_UP_AFTER: i32 = 10_000;
    if tries >= GIVE_UP_AFTER {
        return false;
    }
    let micros = (250 * (u64::try_from(tries).unwrap_or(0) + 1)).min(1000);
    std::thread::sleep(Duration::from_micros(micros));
    true
}

/// The raw 32-byte key as a blob literal: no PBKDF2 on every connection.
pub fn apply_key(conn: &Connection, key: &DbKey) -> Result<(), StoreError> {
    // The hex is validated to be [0-9a-f]{64}, so formatting it into the PRAGMA cannot inject.
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.hex()))?;
    Ok(())
}

fn check_key(conn: &Connection) -> Result<(), StoreError> {
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
            Err(StoreError::WrongKey)
        }
        Err(e) => Err(e.into()),
    }
}

impl r2d2::ManageConnection for CipherManager {
    type Connection = Connection;
    type Error = StoreError;

    fn connect(&self) -> Result<Connection, StoreError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), StoreError> {
        conn.execute_batch("SELECT 1")?;
        Ok(())
    }

    fn has_broken(&self, _conn: &mut Connection) -> bool {
        false
    }
}

/// A keyed connection to a copy (backup side): never creates the file, rollback journal so the
/// copy stays one self-contained file.
pub fn open_copy(path: &std::path::Path, key: &DbKey) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    apply_key(&conn, key)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
            return Err(StoreError::WrongKey)
        }
        Err(e) => return Err(e.into()),
    }
    conn.execute_batch("PRAGMA temp_store = MEMORY; PRAGMA journal_mode = DELETE;")?;
    Ok(conn)
}
