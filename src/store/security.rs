//! Security events the shop queries later (rbac denials, throttle escalations, anomalies).

use rusqlite::{params, Connection};

use super::{audit, now, Db, StoreError};

/// Where [`Db::security_event`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum SecurityEventError {
    /// The `security_events` row (shop.db) is not written, so the audit entry was not tried.
    #[error(transparent)]
    Event(StoreError),
    /// The row is written; its audit entry (audit.db) is not.
    #[error(transparent)]
    Audit(StoreError),
}

impl SecurityEventError {
    pub fn into_store(self) -> StoreError {
        match self {
            SecurityEventError::Event(e) | SecurityEventError::Audit(e) => e,
        }
    }
}

impl Db {
    /// Records an audited security event (an rbac denial, a rejected webhook, a payment anomaly;
    /// SPEC §7, §8): a `security_events` row (counted by the shop, shown by `db stats`) and the
    /// audit entry `entry`. The row is the entry's action, actor and metadata, so the two always
    /// agree. The row goes first; the entry is not written without it.
    pub async fn security_event(&self, entry: audit::Entry) -> Result<(), SecurityEventError> {
        let (user, kind, detail) = (entry.actor_id, entry.action, entry.metadata.clone());
        self.write(move |c| record(c, user, kind.as_str(), &detail)).await.map_err(SecurityEventError::Event)?;
        self.append_audit(entry).await.map_err(SecurityEventError::Audit)?;
        Ok(())
    }
}

pub fn record(
    conn: &Connection,
    user_id: Option<i64>,
    kind: &str,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO security_events (user_id, kind, detail, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![user_id, kind, detail.to_string(), now()])?;
    Ok(())
}

pub fn count_since(conn: &Connection, user_id: i64, kind: &str, since: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM security_events WHERE user_id = ?1 AND kind = ?2 AND created_at >= ?3")?
        .query_row(params![user_id, kind, since], |r| r.get(0))?)
}
