//! Vouchers: created by giveaways, held by a pending order, consumed when it is paid, freed
//! when it expires or is cancelled.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, StoreError};
use crate::domain::campaign::VOUCHER_COOLDOWN;

/// Creates `count` vouchers with fresh unique codes from `code()`, in one transaction.
pub fn create_batch(
    conn: &mut Connection,
    amount: i64,
    count: i64,
    created_by: i64,
    expires_at: i64,
    mut code: impl FnMut() -> String,
) -> Result<Vec<String>, StoreError> {
    let tx = super::writer::begin(conn)?;
    let mut codes = Vec::new();
    let t = now();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO vouchers (code, amount, created_by, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (code) DO NOTHING",
        )?;
        let mut attempts = 0;
        while i64::try_from(codes.len()).unwrap_or(i64::MAX) < count {
            attempts += 1;
            if attempts > count * 20 + 100 {
                return Err(StoreError::Migration("voucher codes exhausted".into()));
            }
            let c = code();
            if insert.execute(params![c, amount, created_by, expires_at, t])? == 1 {
                codes.push(c);
            }
        }
    }
    tx.commit()?;
    Ok(codes)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Usable {
        id: i64,
        amount: i64,
    },
    /// Unknown, used, or held by another pending order.
    Invalid,
    Expired,
    Cooldown {
        minutes_left: i64,
    },
}

/// Can `user` apply `code` now?
pub fn check(conn: &Connection, code: &str, user: i64) -> Result<Check, StoreError> {
    let t = now();
    let last: Option<i64> = conn
        .prepare_cached("SELECT last_voucher_at FROM users WHERE id = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()?
        .flatten();
    if let Some(last) = last {
        let left = VOUCHER_COOLDOWN - (t - last);
        if left > 0 {
            return Ok(Check::Cooldown { minutes_left: (left + 59) / 60 });
        }
    }
    check_code(conn, code)
}

/// Can `code` be used at all (whoever asks; the per-user cooldown aside)? Never `Cooldown`.
pub fn check_code(conn: &Connection, code: &str) -> Result<Check, StoreError> {
    let t = now();
    // (id, amount, expires_at, used_order, reserved_order)
    type VoucherRow = (i64, i64, i64, Option<i64>, Option<i64>);
    let row: Option<VoucherRow> = conn
        .prepare_cached("SELECT id, amount, expires_at, used_order, reserved_order FROM vouchers WHERE code = ?1")?
        .query_row([code], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    Ok(match row {
        None | Some((_, _, _, Some(_), _)) | Some((_, _, _, None, Some(_))) => Check::Invalid,
        Some((_, _, exp, None, None)) if exp <= t => Check::Expired,
        Some((id, amount, _, None, None)) => Check::Usable { id, amount },
    })
}

/// Holds a voucher for a pending order (inside the order's transaction). False if another order
/// got it first, it was used, or it expired: exactly one of two racing orders wins.
pub fn hold(tx: &Connection, voucher_id: i64, order_id: i64, user: i64) -> Result<bool, StoreError> {
    let t = now();
    let held = tx
        .prepare_cached(
            "UPDATE vouchers SET reserved_order = ?2
             WHERE id = ?1 AND used_order IS NULL AND reserved_order IS NULL AND expires_at > ?3",
        )?
        .execute(params![voucher_id, order_id, t])?
        == 1;
    if held {
        tx.prepare_cached("UPDATE users SET last_voucher_at = ?2 WHERE id = ?1")?.execute(params![user, t])?;
    }
    Ok(held)
}

/// The order was paid: the voucher is used for good, and a voucher link of the same code that
/// waited for the buyer's checkout has done its work. (Only here: a checkout left or expired
/// keeps the link's code for the next one.)
pub fn consume(tx: &Connection, order_id: i64, user: i64) -> Result<(), StoreError> {
    let used = tx
        .prepare_cached(
            "UPDATE vouchers SET used_by = ?2, used_order = ?1, used_at = ?3, reserved_order = NULL WHERE reserved_order = ?1",
        )?
        .execute(params![order_id, user, now()])?;
    if used > 0 {
        tx.prepare_cached(
            "UPDATE users SET pending_voucher = NULL, pending_voucher_at = NULL
             WHERE id = ?2 AND pending_voucher IN (SELECT code FROM vouchers WHERE used_order = ?1)",
        )?
        .execute(params![order_id, user])?;
    }
    Ok(())
}

/// The order expired or was cancelled: the voucher can be used again.
pub fn release(tx: &Connection, order_id: i64) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE vouchers SET reserved_order = NULL WHERE reserved_order = ?1")?.execute([order_id])?;
    Ok(())
}
