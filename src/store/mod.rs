//! Encrypted SQLite storage: two SQLCipher files, pooled connections, one repository module per
//! aggregate. Every multi-row change happens inside one transaction in here.

/// The one sell-by condition of a `stock_items` row (issue 18, expiring stock): an available item
/// is counted, listed and reserved only while its sell-by (valid-until − invoice lifetime) lies
/// ahead; undated items always. A macro so that constant SQL can embed it with `concat!`.
macro_rules! sellable {
    () => {
        "(sell_until IS NULL OR sell_until > CAST(strftime('%s', 'now') AS INTEGER))"
    };
}

pub mod audit;
pub mod broadcasts;
pub mod check;
pub mod expiry;
pub mod groups;
pub mod jobs;
pub mod ledger;
pub mod migrate;
pub mod money;
pub mod orders;
pub mod outbox;
pub mod pool;
pub mod privacy;
pub mod products;
pub mod refunds;
pub mod relay;
pub mod report;
pub mod restock;
pub mod security;
pub mod settings;
pub mod stars;
pub mod stats;
pub mod stock;
pub mod users;
pub mod vouchers;
pub mod warranty;
pub mod writer;

use std::{path::Path, sync::Arc, time::Duration};

use rusqlite::Connection;

use crate::config::DbKey;
use pool::CipherManager;

pub type Pool = r2d2::Pool<CipherManager>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_KEY salah: berkas database tidak dapat dibuka dengan kunci ini")]
    WrongKey,
    #[error("database versi {found} lebih baru dari yang didukung program ini ({supported})")]
    TooNew { found: i64, supported: i64 },
    #[error("migrasi gagal: {0}")]
    Migration(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("background task failed")]
    Join,
    #[error("commit failed: {0}")]
    Commit(String),
    /// A status change the order state machine does not allow (a bug, never a user error).
    #[error(transparent)]
    Transition(#[from] crate::domain::order::InvalidTransition),
}

/// Both databases. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    shop: Pool,
    audit: Pool,
    /// The audit log's one writer connection (same group commit as the shop's): entries are
    /// chained in the order they are queued.
    audit_writer: Arc<writer::WriterSlot>,
    /// The shop's one writer connection, started on the first [`Db::write`] (CLI tools that only
    /// read never open it).
    writer: Arc<writer::WriterSlot>,
    /// Room for [`Db::call`]s: one per pooled shop connection. A call waits for its turn here,
    /// as a task, instead of on a blocking thread of its own: under a burst (1,000 customers at
    /// once) calls beyond the pool used to start a hundred threads that only waited for a
    /// connection, each with a stack and a malloc arena of its own (issue 14).
    calls: Arc<tokio::sync::Semaphore>,
    data_dir: Arc<std::path::PathBuf>,
}

pub const SHOP_FILE: &str = "shop.db";
/// Pooled connections to shop.db (reads; writes have their own connection).
const SHOP_CONNECTIONS: u32 = 8;
pub const AUDIT_FILE: &str = "audit.db";

impl Db {
    /// Opens (creating if needed) both files, checks the key and migrates them.
    pub fn open(data_dir: &Path, key: &DbKey) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)?;
        restrict_dir(data_dir);
        let shop = open_pool(&data_dir.join(SHOP_FILE), key, SHOP_CONNECTIONS, migrate::migrate_shop)?;
        let audit = open_pool(&data_dir.join(AUDIT_FILE), key, 2, migrate::migrate_audit)?;
        Ok(Self {
            shop,
            audit,
            audit_writer: {
                let manager = CipherManager::new(data_dir.join(AUDIT_FILE), key.clone());
                Arc::new(writer::WriterSlot::new(move || manager.open()))
            },
            writer: {
                let manager = CipherManager::new(data_dir.join(SHOP_FILE), key.clone());
                Arc::new(writer::WriterSlot::new(move || manager.open()))
            },
            calls: Arc::new(tokio::sync::Semaphore::new(SHOP_CONNECTIONS as usize)),
            data_dir: Arc::new(data_dir.to_path_buf()),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn shop(&self) -> Result<r2d2::PooledConnection<CipherManager>, StoreError> {
        Ok(self.shop.get()?)
    }

    pub fn audit(&self) -> Result<r2d2::PooledConnection<CipherManager>, StoreError> {
        Ok(self.audit.get()?)
    }

    /// Runs blocking database work off the async runtime.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.shop.clone();
        // Never closed, so `None` does not happen.
        let turn = Arc::clone(&self.calls).acquire_owned().await.ok();
        tokio::task::spawn_blocking(move || {
            // Declared before `conn`, so dropped after it: the turn ends once the connection is back.
            let _turn = turn;
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|_| StoreError::Join)?
    }

    /// A short read (a lookup by key) run on the calling thread when a pooled connection is idle:
    /// microseconds of SQLite cost less than two thread hand-offs, which dominated the CPU per
    /// update (issue 8). When no connection is idle it goes through [`Db::call`] instead, so an
    /// async worker never waits for the pool. Only for point lookups, never for scans.
    pub async fn lookup<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        match self.shop.try_get() {
            Some(mut conn) => f(&mut conn),
            None => self.call(f).await,
        }
    }

    /// Runs a write on the shop's one writer connection (group commit, see [`writer`]). Returns
    /// once the write is committed. Reads go through [`Db::call`] instead, in parallel.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.write(f).await
    }

    /// Runs `work` as one transaction on the writer connection (see [`writer::transaction`]).
    pub async fn transact<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.write(move |c| writer::transaction(c, work)).await
    }

    /// Appends to the audit log (audit.db) through its writer; returns once the entry is
    /// committed. A burst of audited actions shares one transaction and one fsync (issue 8).
    pub async fn append_audit(&self, entry: audit::Entry) -> Result<i64, StoreError> {
        self.audit_writer.write(move |c| audit::append(c, &entry)).await
    }

    /// True when the shop database answers and its schema is current (for `/healthz`).
    pub async fn healthy(&self) -> bool {
        self.call(|c| migrate::version(c)).await.is_ok_and(|v| v == migrate::LATEST)
    }
}

fn open_pool(
    path: &Path,
    key: &DbKey,
    size: u32,
    migrate: fn(&mut Connection) -> Result<(i64, i64), StoreError>,
) -> Result<Pool, StoreError> {
    let manager = CipherManager::new(path.to_path_buf(), key.clone());
    // Open once outside the pool: a wrong key fails at once instead of after r2d2's retries.
    let mut first = manager.open()?;
    migrate(&mut first)?;
    drop(first);
    restrict_file(path);
    // Connections are opened only on demand, by a caller that waits for them, and never closed
    // by r2d2's background reaper: a SQLCipher connection opened or closed by a background thread
    // while the process runs its exit handlers can crash it (seen as SIGSEGV at the end of CLI
    // commands). With `min_idle(1)` every checkout that emptied the pool started such an open.
    // The opens run on the one thread [`settle`] can wait for.
    Ok(r2d2::Pool::builder()
        .thread_pool(Arc::clone(&OPENER))
        .max_size(size)
        .min_idle(Some(0))
        .idle_timeout(None)
        .max_lifetime(None)
        .connection_timeout(Duration::from_secs(15))
        .build_unchecked(manager))
}

/// The one thread that opens pooled connections for every pool of this process. r2d2 opens them
/// off the caller's thread, and the job that opened one can hold the pool's last reference for a
/// moment after the caller is done with it: that thread then closes every connection of the pool
/// while `main` may already be running SQLCipher's exit handlers, which crashed the process at
/// exit (SIGSEGV in about 1 of 100 CLI runs). One thread lets [`settle`] wait for all of it.
static OPENER: std::sync::LazyLock<Arc<scheduled_thread_pool::ScheduledThreadPool>> = std::sync::LazyLock::new(|| {
    Arc::new(
        scheduled_thread_pool::ScheduledThreadPool::builder().num_threads(1).thread_name_pattern("db-opener").build(),
    )
});

/// Waits until no connection open (and no pool drop it may cause) is still running on the opener
/// thread. `main` calls it after the last `Db` is gone, before the process exits.
pub fn settle() {
    let (done, finished) = std::sync::mpsc::channel();
    OPENER.execute(move || {
        let _ = done.send(());
    });
    // Jobs run in order on the one thread: when this one has run, every earlier one has ended.
    let _ = finished.recv_timeout(Duration::from_secs(10));
}

/// Opens one keyed connection to a database file without migrating it (for checks and tools).
pub fn open_one(path: &Path, key: &DbKey) -> Result<Connection, StoreError> {
    CipherManager::new(path.to_path_buf(), key.clone()).open()
}

/// Unix seconds now. Time is UTC inside.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(unix)]
fn restrict_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    // Best effort: a shared directory the operator chose may not be ours to change.
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(unix)]
fn restrict_file(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict_dir(_: &Path) {}
#[cfg(not(unix))]
fn restrict_file(_: &Path) {}
