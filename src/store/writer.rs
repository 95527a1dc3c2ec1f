//! The one writer connection of the shop database, with group commit.
//!
//! Every write of the running shop goes through one thread that owns one connection. Jobs that
//! arrive while a batch is being committed are run together in the next transaction, each inside
//! its own savepoint (a failing job is rolled back alone), and the batch is committed with one
//! fsync. Callers get their result only after that commit. Why (issue 8): under a flash sale each
//! write used to wait for the SQLite lock in a busy handler and pay its own fsync; one writer
//! turns that into an in-process queue, keeps its page cache warm (nothing else writes, so its
//! decrypted pages stay valid) and shares each fsync among everyone waiting.

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::mpsc,
};

use rusqlite::{Connection, Savepoint, Transaction, TransactionBehavior};

use super::StoreError;

/// Most jobs in one transaction: bounds how long the first of them waits for its commit.
const MAX_BATCH: usize = 128;

/// A queued write: runs inside the batch, then learns whether the batch was committed.
trait Job: Send {
    /// Runs the write; false when it failed (its savepoint is rolled back).
    fn run(&mut self, conn: &mut Connection) -> bool;
    /// Sends the result: the job's own, or the commit's error if the batch was not committed.
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Task<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: tokio::sync::oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Task<T, F>
where
    T: Send,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &mut Connection) -> bool {
        let Some(work) = self.work.take() else { return false };
        let result = catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or(Err(StoreError::Join));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let result = match (self.result, commit) {
            (Some(Ok(_)), Err(why)) => Err(StoreError::Commit(why)),
            (Some(result), _) => result,
            (None, Err(why)) => Err(StoreError::Commit(why)), // the batch failed before this job ran
            (None, Ok(())) => Err(StoreError::Join),
        };
        let _ = self.reply.send(result);
    }
}

type Jobs = mpsc::Sender<Box<dyn Job>>;

/// The writer thread, started on first use and stopped when dropped (with the last `Db` clone):
/// the thread finishes what is queued, closes its connection and is joined before the process
/// exits (a SQLCipher connection closed by a thread while the process runs its exit handlers can
/// crash it). The sender never leaves this struct, so dropping it always ends the thread.
pub struct WriterSlot {
    open: Box<dyn Fn() -> Result<Connection, StoreError> + Send + Sync>,
    state: std::sync::Mutex<Option<(Jobs, std::thread::JoinHandle<()>)>>,
}

impl WriterSlot {
    pub fn new(open: impl Fn() -> Result<Connection, StoreError> + Send + Sync + 'static) -> Self {
        Self { open: Box::new(open), state: std::sync::Mutex::new(None) }
    }

    /// Queues `work` and waits until the batch holding it is committed.
    pub async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(Box::new(Task { work: Some(work), result: None, reply }))?;
        answer.await.map_err(|_| StoreError::Join)?
    }

    fn submit(&self, job: Box<dyn Job>) -> Result<(), StoreError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.is_none() {
            let (jobs, queue) = mpsc::channel();
            let conn = (self.open)()?;
            let thread = std::thread::Builder::new().name("db-writer".into()).spawn(move || run(conn, &queue))?;
            *state = Some((jobs, thread));
        }
        match &*state {
            Some((jobs, _)) => jobs.send(job).map_err(|_| StoreError::Join),
            None => Err(StoreError::Join),
        }
    }
}

impl Drop for WriterSlot {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((jobs, thread)) = state {
            drop(jobs);
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

fn run(mut conn: Connection, queue: &mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = run_batch(&mut conn, &mut batch);
        for job in batch {
            job.finish(commit.clone());
        }
    }
}

/// One transaction for the whole batch, one savepoint per job.
fn run_batch(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| e.to_string())?;
    for job in batch.iter_mut() {
        let step = conn.execute_batch("SAVEPOINT job").and_then(|()| {
            let ok = job.run(conn);
            if conn.is_autocommit() {
                // The job's error ended the whole transaction (e.g. a full disk): nothing of this
                // batch can be committed any more.
                return Err(rusqlite::Error::InvalidQuery);
            }
            conn.execute_batch(if ok { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" })
        });
        if let Err(e) = step {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(format!("batch aborted: {e}"));
        }
    }
    conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    })
}

/// A write transaction that works both on its own connection and inside the writer's batch:
/// `BEGIN IMMEDIATE` when no transaction is open, a savepoint when one is.
pub enum WriteTx<'c> {
    Top(Transaction<'c>),
    Nested(Savepoint<'c>),
}

impl WriteTx<'_> {
    pub fn commit(self) -> Result<(), rusqlite::Error> {
        match self {
            WriteTx::Top(tx) => tx.commit(),
            WriteTx::Nested(sp) => sp.commit(),
        }
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            WriteTx::Top(tx) => tx,
            WriteTx::Nested(sp) => sp,
        }
    }
}

/// Starts a [`WriteTx`] on `conn`.
pub fn begin(conn: &mut Connection) -> Result<WriteTx<'_>, rusqlite::Error> {
    if conn.is_autocommit() {
        Ok(WriteTx::Top(conn.transaction_with_behavior(TransactionBehavior::Immediate)?))
    } else {
        Ok(WriteTx::Nested(conn.savepoint()?))
    }
}

/// Runs `work` in one [`WriteTx`] on `conn` and commits it when `work` succeeds; an error rolls
/// back everything `work` wrote. Use cases compose a state change and its outbox messages in
/// one such closure, so both commit together or not at all.
pub fn transaction<T, E>(conn: &mut Connection, work: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
where
    E: From<rusqlite::Error>,
{
    let tx = begin(conn)?;
    let out = work(&tx)?;
    tx.commit()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)").unwrap();
        c
    }

    fn count(c: &Connection) -> i64 {
        c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn begin_nests_inside_an_open_transaction() {
        let mut c = conn();
        c.execute_batch("BEGIN").unwrap();
        {
            let tx = begin(&mut c).unwrap();
            tx.execute("INSERT INTO t VALUES (1)", []).unwrap();
            // dropped without commit: only this savepoint is rolled back
        }
        {
            let tx = begin(&mut c).unwrap();
            tx.execute("INSERT INTO t VALUES (2)", []).unwrap();
            tx.commit().unwrap();
        }
        c.execute_batch("COMMIT").unwrap();
        assert_eq!(count(&c), 1);
    }

    #[tokio::test]
    async fn a_failing_job_is_rolled_back_alone_and_panics_are_contained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let setup = Connection::open(&path).unwrap();
        let reopen = path.clone();
        setup.execute_batch("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)").unwrap();
        let w = WriterSlot::new(move || Ok(Connection::open(&path)?));
        let ok = |v: i64| {
            move |c: &mut Connection| -> Result<(), StoreError> {
                c.execute("INSERT INTO t VALUES (?1)", [v])?;
                Ok(())
            }
        };
        let half = |c: &mut Connection| -> Result<(), StoreError> {
            c.execute("INSERT INTO t VALUES (10)", [])?;
            c.execute("INSERT INTO t VALUES (1)", [])?; // duplicate: the job fails
            Ok(())
        };
        #[allow(clippy::panic)]
        let boom = |c: &mut Connection| -> Result<(), StoreError> {
            c.execute("INSERT INTO t VALUES (20)", [])?;
            panic!("job panics");
        };
        let (a, b, p, d) = tokio::join!(w.write(ok(1)), w.write(half), w.write(boom), w.write(ok(2)));
        assert!(a.is_ok() && d.is_ok());
        assert!(b.is_err());
        assert!(matches!(p, Err(StoreError::Join)));
        let values: Vec<i64> = {
            let mut s = setup.prepare("SELECT v FROM t ORDER BY v").unwrap();
            s.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
        };
        assert_eq!(values, vec![1, 2]);
        // Results arrive only after the commit: a fresh connection sees every committed job.
        assert_eq!(count(&Connection::open(&reopen).unwrap()), 2);
        // Dropping the slot ends and joins the thread (this would hang if it did not end).
        drop(w);
    }
}
