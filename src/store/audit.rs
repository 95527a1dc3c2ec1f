//! The append-only audit log in `audit.db` (SPEC §8): every row is chained to the previous one by
//! `hash = SHA-256(previous hash ‖ canonical row)`, and triggers refuse UPDATE and DELETE.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::{now, StoreError};
use crate::domain::audit::{ActorType, AuditAction};

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub actor_id: Option<i64>,
    pub actor_type: ActorType,
    pub action: AuditAction,
    pub entity_type: String,
    pub entity_id: String,
    /// JSON; ids, never personal data.
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub metadata: serde_json::Value,
    pub correlation_id: String,
}

impl Entry {
    /// An entry with no entity, before/after, metadata (JSON `null`) or correlation id yet.
    pub fn new(actor_id: Option<i64>, actor_type: ActorType, action: AuditAction) -> Self {
        Self {
            actor_id,
            actor_type,
            action,
            entity_type: String::new(),
            entity_id: String::new(),
            before: None,
            after: None,
            metadata: serde_json::Value::Null,
            correlation_id: String::new(),
        }
    }
}

/// A stored row as it is: names stay text, since the hash covers them as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_type: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub metadata: String,
    pub correlation_id: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Row {
    /// The canonical serialisation the hash covers: a JSON array in column order.
    fn canonical(&self) -> String {
        serde_json::json!([
            self.id,
            self.at,
            self.actor_id,
            self.actor_type,
            self.action,
            self.entity_type,
            self.entity_id,
            self.before,
            self.after,
            self.metadata,
            self.correlation_id
        ])
        .to_string()
    }

    fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(self.canonical().as_bytes());
        hex::encode(h.finalize())
    }
}

/// Appends one entry, chained to the last one; returns its id.
pub fn append(conn: &mut Connection, e: &Entry) -> Result<i64, StoreError> {
    let tx = super::writer::begin(conn)?;
    let id = append_in(&tx, e)?;
    tx.commit()?;
    Ok(id)
}

fn append_in(tx: &Connection, e: &Entry) -> Result<i64, StoreError> {
    let last: Option<(i64, String)> = tx
        .prepare_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (prev_id, prev_hash) = last.unwrap_or((0, GENESIS.to_string()));
    let mut row = Row {
        id: prev_id + 1,
        at: now(),
        actor_id: e.actor_id,
        actor_type: e.actor_type.as_str().to_string(),
        action: e.action.as_str().to_string(),
        entity_type: e.entity_type.clone(),
        entity_id: e.entity_id.clone(),
        before: e.before.as_ref().map(ToString::to_string),
        after: e.after.as_ref().map(ToString::to_string),
        metadata: e.metadata.to_string(),
        correlation_id: e.correlation_id.clone(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.compute_hash();
    tx.prepare_cached(
        "INSERT INTO audit_log (id, at, actor_id, actor_type, action, entity_type, entity_id, before, after, metadata,
                                correlation_id, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        row.id,
        row.at,
        row.actor_id,
        row.actor_type,
        row.action,
        row.entity_type,
        row.entity_id,
        row.before,
        row.after,
        row.metadata,
        row.correlation_id,
        row.prev_hash,
        row.hash
    ])?;
    Ok(row.id)
}

const SELECT: &str = "SELECT id, at, actor_id, actor_type, action, entity_type, entity_id, before, after, metadata,
                             correlation_id, prev_hash, hash FROM audit_log";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        at: r.get(1)?,
        actor_id: r.get(2)?,
        actor_type: r.get(3)?,
        action: r.get(4)?,
        entity_type: r.get(5)?,
        entity_id: r.get(6)?,
        before: r.get(7)?,
        after: r.get(8)?,
        metadata: r.get(9)?,
        correlation_id: r.get(10)?,
        prev_hash: r.get(11)?,
        hash: r.get(12)?,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every row chains; (rows, head hash).
    Intact { rows: i64, head: String },
    /// The first row whose hash or link does not hold.
    Broken { id: i64, reason: &'static str },
}

/// Walks the whole chain in id order.
pub fn verify(conn: &Connection) -> Result<Verification, StoreError> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut expected_id = 1;
    let mut count = 0;
    while let Some(r) = rows.next()? {
        let row = from_row(r)?;
        if row.id != expected_id {
            return Ok(Verification::Broken { id: row.id, reason: "a row is missing before this one" });
        }
        if row.prev_hash != prev {
            return Ok(Verification::Broken { id: row.id, reason: "prev_hash does not match the previous row" });
        }
        if row.compute_hash() != row.hash {
            return Ok(Verification::Broken { id: row.id, reason: "hash does not match the row's content" });
        }
        prev = row.hash;
        expected_id += 1;
        count += 1;
    }
    Ok(Verification::Intact { rows: count, head: prev })
}

/// The newest `n` rows (optionally of one actor and/or action), oldest first.
pub fn tail(
    conn: &Connection,
    actor: Option<i64>,
    action: Option<AuditAction>,
    n: i64,
) -> Result<Vec<Row>, StoreError> {
    let sql = format!(
        "SELECT * FROM ({SELECT} WHERE (?1 IS NULL OR actor_id = ?1) AND (?2 IS NULL OR action = ?2)
         ORDER BY id DESC LIMIT ?3) ORDER BY id"
    );
    let action = action.map(AuditAction::as_str);
    let rows = conn.prepare(&sql)?.query_map(params![actor, action, n], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate_audit(&mut c).unwrap();
        c
    }

    fn entry(action: AuditAction) -> Entry {
        Entry { metadata: serde_json::json!({}), ..Entry::new(Some(7), ActorType::Admin, action) }
    }

    #[test]
    fn chain_verifies_and_detects_tampering() {
        let mut c = db();
        for a in [AuditAction::UserCreated, AuditAction::RoleChanged, AuditAction::UserBanned] {
            append(&mut c, &entry(a)).unwrap();
        }
        assert!(matches!(verify(&c).unwrap(), Verification::Intact { rows: 3, .. }));
        let roles = tail(&c, None, Some(AuditAction::RoleChanged), 10).unwrap();
        assert_eq!(roles.iter().map(|r| (r.id, r.action.as_str())).collect::<Vec<_>>(), vec![(2, "role_changed")]);
        assert!(c.execute("UPDATE audit_log SET action = 'x' WHERE id = 2", []).is_err(), "trigger refuses updates");
        assert!(c.execute("DELETE FROM audit_log WHERE id = 2", []).is_err(), "trigger refuses deletes");
        c.execute_batch("DROP TRIGGER audit_no_update; UPDATE audit_log SET action = 'forged' WHERE id = 2;").unwrap();
        assert_eq!(
            verify(&c).unwrap(),
            Verification::Broken { id: 2, reason: "hash does not match the row's content" }
        );
        let tail = tail(&c, Some(7), None, 2).unwrap();
        assert_eq!(tail.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2, 3]);
    }
}
