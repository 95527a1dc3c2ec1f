//! The balance ledger: every balance change is a row, and `users.balance` moves with it in the
//! same transaction, so the balance always equals the ledger sum.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Deposit,
    Purchase,
    Refund,
    Voucher,
    AdminTransfer,
    AdminEdit,
    LatePayment,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Deposit => "deposit",
            EntryKind::Purchase => "purchase",
            EntryKind::Refund => "refund",
            EntryKind::Voucher => "voucher",
            EntryKind::AdminTransfer => "admin_transfer",
            EntryKind::AdminEdit => "admin_edit",
            EntryKind::LatePayment => "late_payment",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("saldo tidak cukup")]
    Insufficient { balance: i64 },
    #[error("pengguna tidak ada")]
    NoUser,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Store(e.into())
    }
}

/// Adds `amount` (negative to debit) to a user's balance and records it. Call inside the
/// caller's transaction. Returns the balance after.
pub fn post(
    tx: &Connection,
    user_id: i64,
    kind: EntryKind,
    amount: i64,
    order_id: Option<i64>,
    note: Option<&str>,
    actor_id: Option<i64>,
) -> Result<i64, LedgerError> {
    let balance: i64 = tx
        .prepare_cached("SELECT balance FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?
        .ok_or(LedgerError::NoUser)?;
    let after = balance.checked_add(amount).ok_or(LedgerError::Insufficient { balance })?;
    if after < 0 {
        return Err(LedgerError::Insufficient { balance });
    }
    if amount == 0 {
        return Ok(balance);
    }
    let t = now();
    tx.prepare_cached("UPDATE users SET balance = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![user_id, after, t])?;
    tx.prepare_cached(
        "INSERT INTO ledger (user_id, kind, amount, balance_after, order_id, note, actor_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![user_id, kind.as_str(), amount, after, order_id, note, actor_id, t])?;
    Ok(after)
}

/// [`post`] for credits inside a larger transaction, where a ledger refusal is a store error
/// (a credit cannot overdraw; an unknown user is a broken invariant).
pub fn credit(
    tx: &Connection,
    user_id: i64,
    kind: EntryKind,
    amount: i64,
    order_id: Option<i64>,
    note: Option<&str>,
    actor_id: Option<i64>,
) -> Result<i64, StoreError> {
    post(tx, user_id, kind, amount, order_id, note, actor_id).map_err(|e| match e {
        LedgerError::Store(s) => s,
        other => StoreError::Migration(other.to_string()),
    })
}

/// (balance, ledger sum) of a user: equal unless something bypassed [`post`].
pub fn reconcile(conn: &Connection, user_id: i64) -> Result<(i64, i64), StoreError> {
    Ok(conn.query_row(
        "SELECT (SELECT balance FROM users WHERE id = ?1), (SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ?1)",
        [user_id],
        |r| Ok((r.get::<_, Option<i64>>(0)?.unwrap_or(0), r.get(1)?)),
    )?)
}

/// Users whose balance differs from their ledger sum (should always be empty).
pub fn mismatches(conn: &Connection) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT u.id, u.balance, coalesce((SELECT sum(amount) FROM ledger l WHERE l.user_id = u.id), 0) AS s
         FROM users u WHERE u.balance <> coalesce((SELECT sum(amount) FROM ledger l WHERE l.user_id = u.id), 0)",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// `/transfer` (+amount, `admin_transfer`) or `/editbalance` (set, `admin_edit` with the
/// difference), in one transaction. Returns (before, after); `None` if the user is unknown.
pub fn admin_adjust(
    conn: &mut Connection,
    user_id: i64,
    amount: i64,
    set: bool,
    admin_id: i64,
) -> Result<Option<(i64, i64)>, StoreError> {
    let tx = super::writer::begin(conn)?;
    let before: Option<i64> =
        tx.prepare_cached("SELECT balance FROM users WHERE id = ?1")?.query_row([user_id], |r| r.get(0)).optional()?;
    let Some(before) = before else { return Ok(None) };
    let (kind, delta) = if set { (EntryKind::AdminEdit, amount - before) } else { (EntryKind::AdminTransfer, amount) };
    let after = credit(&tx, user_id, kind, delta, None, None, Some(admin_id))?;
    tx.commit()?;
    Ok(Some((before, after)))
}
