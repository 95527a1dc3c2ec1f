//! Privacy requests (SPEC §7): export everything stored about a user; erase the personal fields
//! while keeping the financial records (kept 7 years) and the ids the audit log refers to.

use rusqlite::{params, Connection};
use serde_json::{json, Value};

use super::{now, StoreError};

fn rows(conn: &Connection, sql: &str, id: i64) -> Result<Vec<Value>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let out = stmt
        .query_map([id], |r| {
            let mut obj = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(n) => json!(n),
                    rusqlite::types::ValueRef::Real(f) => json!(f),
                    rusqlite::types::ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                    rusqlite::types::ValueRef::Blob(b) => json!(hex::encode(b)),
                };
                obj.insert(name.clone(), v);
            }
            Ok(Value::Object(obj))
        })?
        .collect::<Result<_, _>>()?;
    Ok(out)
}

/// Everything stored about a user, as one JSON document. `None` if unknown.
pub fn export(conn: &Connection, id: i64) -> Result<Option<Value>, StoreError> {
    let user = rows(
        conn,
        "SELECT id, name, username, email, whatsapp, role, bank_id, balance, banned, blocked_until, erased,
                refund_claims, created_at, updated_at FROM users WHERE id = ?1",
        id,
    )?;
    let Some(user) = user.into_iter().next() else { return Ok(None) };
    Ok(Some(json!({
        "user": user,
        "orders": rows(conn, "SELECT invoice_id, kind, subtotal, voucher_discount, fee, total, method, status, created_at, paid_at
                              FROM orders WHERE user_id = ?1 ORDER BY id", id)?,
        "order_items": rows(conn, "SELECT o.invoice_id, i.product_id, i.product_name, i.quantity, i.unit_price
                                   FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id = ?1 ORDER BY o.id", id)?,
        "delivered_items": rows(conn, "SELECT o.invoice_id, s.content FROM stock_items s JOIN orders o ON o.id = s.order_id
                                       WHERE o.user_id = ?1 AND s.status = 'sold' ORDER BY s.id", id)?,
        "ledger": rows(conn, "SELECT kind, amount, balance_after, note, created_at FROM ledger WHERE user_id = ?1 ORDER BY id", id)?,
        "refund_claims": rows(conn, "SELECT order_id, days_used, amount, status, created_at FROM refund_claims WHERE user_id = ?1", id)?,
        "warranty_claims": rows(conn, "SELECT w.id, o.invoice_id, w.product_id, w.problem, w.photo, w.status, w.amount, w.reason, w.created_at
                                       FROM warranty_claims w JOIN orders o ON o.id = w.order_id WHERE w.user_id = ?1 ORDER BY w.id", id)?,
        "restock_alerts": rows(conn, "SELECT product_id, created_at FROM restock_subscriptions WHERE user_id = ?1", id)?,
        "vouchers_used": rows(conn, "SELECT code, amount, used_at FROM vouchers WHERE used_by = ?1", id)?,
        "exported_at": now(),
    })))
}

/// A notice's buyer line (`digest::BUYER_LABEL`, `digest::DEPOSITOR_LABEL`) reduced to the id.
fn anonymous_buyer(text: &str, id: i64) -> String {
    use crate::domain::digest::{BUYER_LABEL, DEPOSITOR_LABEL};
    text.lines()
        .map(|l| match [BUYER_LABEL, DEPOSITOR_LABEL].iter().find(|p| l.starts_with(*p)) {
            Some(prefix) => format!("{prefix}<code>{id}</code>"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Anonymises a user: name, username, email and WhatsApp go; orders, ledger and ids stay.
/// Returns false if the user is unknown.
pub fn erase(conn: &mut Connection, id: i64) -> Result<bool, StoreError> {
    let tx = super::writer::begin(conn)?;
    let n = tx.execute(
        "UPDATE users SET name = 'Anonymous', username = NULL, email = NULL, whatsapp = NULL, erased = 1,
                          pending_voucher = NULL, pending_voucher_at = NULL, updated_at = ?2 WHERE id = ?1",
        params![id, now()],
    )?;
    // Relayed messages and pending notices may carry what the person wrote.
    tx.execute("DELETE FROM relay WHERE user_id = ?1", [id])?;
    // Restock subscriptions say what the person wanted to buy.
    super::restock::forget(&tx, id)?;
    // Warranty claims keep their money facts; what the person wrote and the photo go.
    super::warranty::forget(&tx, id)?;
    tx.execute("DELETE FROM outbox WHERE chat_id = ?1 AND sent_at IS NULL AND order_id IS NULL", [id])?;
    // Admin notices of the person's orders and deposits name the buyer: keep only the id.
    let notices: Vec<(i64, String)> = tx
        .prepare(
            "SELECT id, payload FROM outbox WHERE chat_id != ?1
             AND order_id IN (SELECT id FROM orders WHERE user_id = ?1)",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (row, payload) in notices {
        let Ok(mut value) = serde_json::from_str::<Value>(&payload) else { continue };
        let Some(text) = value.get("text").and_then(Value::as_str).map(|t| anonymous_buyer(t, id)) else {
            continue;
        };
        if let Some(slot) = value.get_mut("text") {
            *slot = Value::String(text);
        }
        tx.execute("UPDATE outbox SET payload = ?2 WHERE id = ?1", params![row, value.to_string()])?;
    }
    tx.commit()?;
    Ok(n == 1)
}
