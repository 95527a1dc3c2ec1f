//! Orders and deposits: creation with stock reservation, and every status change, each in one
//! write transaction together with its stock, ledger, job and outbox rows.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{
    jobs,
    ledger::{self, EntryKind, LedgerError},
    now, StoreError,
};
use crate::domain::{
    anomaly::Level,
    ids::{OrderId, Ruling, UserId},
    order::{self, transition, Event, Kind, Method, Status},
    payment::{Bank, Instrument},
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: i64,
    pub invoice_id: String,
    pub user_id: i64,
    pub kind: Kind,
    pub subtotal: i64,
    pub voucher_discount: i64,
    pub fee: i64,
    /// What the customer owes before Pakasir's fee (the amount sent to Pakasir).
    pub total: i64,
    pub method: Method,
    pub status: Status,
    pub txn_id: Option<String>,
    pub qr_string: Option<String>,
    /// A bank transfer's bank and virtual account number (`None`: QRIS or SALDO).
    pub va: Option<(Bank, String)>,
    pub chat_id: Option<i64>,
    pub message_id: Option<i64>,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    pub created_at: i64,
    /// Anomaly level at creation.
    pub risk: Level,
    /// Paid but delivery waits for an admin's review.
    pub held: bool,
    pub items: Vec<Line>,
}

/// One product line of an order (name kept as it was when bought).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub product_id: i64,
    pub product_name: String,
    pub quantity: i64,
    pub unit_price: i64,
}

const COLUMNS: &str = "id, invoice_id, user_id, kind, subtotal, voucher_discount, fee, total, method, status, txn_id,
                       qr_string, chat_id, message_id, expires_at, paid_at, created_at, risk, held, va_bank, va_number";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    let kind: String = r.get(3)?;
    let method: String = r.get(8)?;
    let status: String = r.get(9)?;
    Ok(Order {
        id: r.get(0)?,
        invoice_id: r.get(1)?,
        user_id: r.get(2)?,
        kind: if kind == "deposit" { Kind::Deposit } else { Kind::Order },
        subtotal: r.get(4)?,
        voucher_discount: r.get(5)?,
        fee: r.get(6)?,
        total: r.get(7)?,
        method: if method == "saldo" { Method::Saldo } else { Method::Qris },
        status: Status::parse(&status).ok_or_else(|| unknown_value(9, "status", &status))?,
        txn_id: r.get(10)?,
        qr_string: r.get(11)?,
        va: {
            let bank: Option<String> = r.get(19)?;
            let number: Option<String> = r.get(20)?;
            bank.as_deref().and_then(Bank::from_code).zip(number)
        },
        chat_id: r.get(12)?,
        message_id: r.get(13)?,
        expires_at: r.get(14)?,
        paid_at: r.get(15)?,
        created_at: r.get(16)?,
        risk: {
            let risk: String = r.get(17)?;
            Level::parse(&risk).ok_or_else(|| unknown_value(17, "risk", &risk))?
        },
        held: r.get(18)?,
        items: Vec::new(),
    })
}

/// A value the schema's CHECKs should have kept out: an error, never a guess.
fn unknown_value(column: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown order {what} {value:?}").into(),
    )
}

fn with_lines(conn: &Connection, mut o: Order) -> Result<Order, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, product_name, quantity, unit_price FROM order_items WHERE order_id = ?1 ORDER BY product_id",
    )?;
    o.items = stmt
        .query_map([o.id], |r| {
            Ok(Line { product_id: r.get(0)?, product_name: r.get(1)?, quantity: r.get(2)?, unit_price: r.get(3)? })
        })?
        .collect::<Result<_, _>>()?;
    Ok(o)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Order>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE id = ?1");
    match conn.prepare_cached(&sql)?.query_row([id], from_row).optional()? {
        Some(o) => Ok(Some(with_lines(conn, o)?)),
        None => Ok(None),
    }
}

pub fn by_invoice(conn: &Connection, invoice_id: &str) -> Result<Option<Order>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE invoice_id = ?1");
    match conn.prepare_cached(&sql)?.query_row([invoice_id], from_row).optional()? {
        Some(o) => Ok(Some(with_lines(conn, o)?)),
        None => Ok(None),
    }
}

/// The newest order of the shop, pending ones only if `pending` (the demo's `$INVOICE` and
/// `:expire`).
pub fn newest(conn: &Connection, pending: bool) -> Result<Option<Order>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE ?1 = 0 OR status = 'pending' ORDER BY id DESC LIMIT 1");
    match conn.prepare_cached(&sql)?.query_row([pending], from_row).optional()? {
        Some(o) => Ok(Some(with_lines(conn, o)?)),
        None => Ok(None),
    }
}

pub fn pending_of(conn: &Connection, user_id: i64) -> Result<Option<Order>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE user_id = ?1 AND status = 'pending'");
    match conn.prepare_cached(&sql)?.query_row([user_id], from_row).optional()? {
        Some(o) => Ok(Some(with_lines(conn, o)?)),
        None => Ok(None),
    }
}

/// Pending QRIS orders with a Pakasir transaction, for the poller: up to `limit` with an id
/// above `after`, in id order (the poller pages through all of them, issue 17).
pub fn pending_qris(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Order>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM orders WHERE status = 'pending' AND method = 'qris' AND txn_id IS NOT NULL
           AND id > ?1
         ORDER BY id LIMIT ?2"
    );
    let rows = conn.prepare_cached(&sql)?.query_map(params![after, limit], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Closed (expired or cancelled) QRIS orders of the last `window` seconds whose Pakasir
/// transaction may still be paid: not known to be canceled there, no late payment credited yet,
/// and not asked about for `min_gap(age)` seconds. Oldest check first.
pub fn to_reconcile(conn: &Connection, window: i64, limit: i64) -> Result<Vec<Order>, StoreError> {
    let t = now();
    let sql = format!(
        "SELECT {COLUMNS} FROM orders o
         WHERE status IN ('expired', 'cancelled') AND txn_id IS NOT NULL AND gateway_state IS NULL
           AND updated_at >= ?1
           AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.order_id = o.id AND l.kind = 'late_payment')
           AND coalesce(checked_at, 0) <= ?2 - max(?3, min(3600, (?2 - updated_at) / 10))
         ORDER BY coalesce(checked_at, 0), id LIMIT ?4"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![t - window, t, RECONCILE_MIN_GAP, limit], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The shortest pause between two reconciliation checks of one closed order (seconds); older
/// orders are asked less often (a tenth of their age, at most hourly).
pub const RECONCILE_MIN_GAP: i64 = 12;

/// Records a reconciliation check, and what Pakasir said when it is final (`canceled`).
pub fn mark_checked(conn: &Connection, order_id: i64, final_state: Option<&str>) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE orders SET checked_at = ?2, gateway_state = coalesce(?3, gateway_state) WHERE id = ?1",
    )?
    .execute(params![order_id, now(), final_state])?;
    Ok(())
}

/// A user's orders, newest first (history screen).
pub fn history(conn: &Connection, user_id: i64, offset: i64, limit: i64) -> Result<(i64, Vec<Order>), StoreError> {
    let total: i64 =
        conn.prepare_cached("SELECT count(*) FROM orders WHERE user_id = ?1")?.query_row([user_id], |r| r.get(0))?;
    let sql =
        format!("SELECT {COLUMNS} FROM orders WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3");
    let rows: Vec<Order> =
        conn.prepare_cached(&sql)?.query_map(params![user_id, limit, offset], from_row)?.collect::<Result<_, _>>()?;
    let rows = rows.into_iter().map(|o| with_lines(conn, o)).collect::<Result<_, _>>()?;
    Ok((total, rows))
}

pub use crate::domain::purchase::Purchase;

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("masih ada pesanan yang belum dibayar")]
    PendingExists(Box<Order>),
    #[error("stok tidak cukup")]
    OutOfStock { available: i64 },
    #[error("produk tidak tersedia")]
    ProductGone,
    #[error("saldo tidak cukup")]
    InsufficientBalance { balance: i64, total: i64 },
    #[error("voucher sudah dipakai")]
    VoucherTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CheckoutError {
    fn from(e: rusqlite::Error) -> Self {
        CheckoutError::Store(e.into())
    }
}

fn invoice() -> String {
    order::invoice_id_at(now(), rand::random())
}

/// Inserts a pending order and reserves its stock; the caller's transaction commits it.
fn insert_pending(
    tx: &Connection,
    user_id: i64,
    purchase: &Purchase,
    method: Method,
    expires_at: i64,
    risk: Level,
) -> Result<i64, CheckoutError> {
    if let Some(existing) = pending_of(tx, user_id)? {
        return Err(CheckoutError::PendingExists(Box::new(existing)));
    }
    let (kind, voucher) = match purchase {
        Purchase::Product { voucher, .. } => (Kind::Order, *voucher),
        Purchase::Deposit { .. } => (Kind::Deposit, None),
    };
    let (subtotal, discount) = purchase.amounts();
    let t = now();
    let order_id: i64 = tx
        .prepare_cached(
            "INSERT INTO orders (invoice_id, user_id, kind, subtotal, voucher_id, voucher_discount, total, method,
                                 expires_at, created_at, updated_at, risk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11) RETURNING id",
        )?
        .query_row(
            params![
                invoice(),
                user_id,
                kind.as_str(),
                subtotal,
                voucher.map(|(id, _)| id),
                discount,
                subtotal - discount,
                method.as_str(),
                expires_at,
                t,
                risk.as_str()
            ],
            |r| r.get(0),
        )?;
    if let Some((voucher_id, _)) = voucher {
        if !super::vouchers::hold(tx, voucher_id, order_id, user_id)? {
            return Err(CheckoutError::VoucherTaken);
        }
    }
    if let Purchase::Product { product_id, quantity, unit_price, .. } = purchase {
        let name: String = tx
            .prepare_cached("SELECT name FROM products WHERE id = ?1 AND active = 1")?
            .query_row([product_id], |r| r.get(0))
            .optional()?
            .ok_or(CheckoutError::ProductGone)?;
        // One statement picks and claims the items: two orders can never hold the same item.
        // Expiring stock: only items whose sell-by lies ahead, so the reservation (the invoice
        // lifetime) ends before the item does, even if the lifetime grew since the import (the
        // second condition); the soonest-expiring first, then undated by id.
        let reserved = tx
            .prepare_cached(concat!(
                "UPDATE stock_items SET status = 'reserved', order_id = ?1, updated_at = ?2
             WHERE id IN (SELECT id FROM stock_items WHERE product_id = ?3 AND status = 'available' AND ",
                sellable!(),
                " AND (valid_until IS NULL OR valid_until > ?5) ORDER BY sell_until IS NULL, sell_until, id LIMIT ?4)"
            ))?
            .execute(params![order_id, t, product_id, quantity, expires_at])?;
        let reserved = i64::try_from(reserved).unwrap_or(0);
        if reserved < *quantity {
            return Err(CheckoutError::OutOfStock { available: reserved });
        }
        tx.prepare_cached(
            "INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![order_id, product_id, name, quantity, unit_price])?;
    }
    Ok(order_id)
}

/// A QRIS order or deposit: pending, stock reserved, expiry job scheduled. Runs in the caller's
/// transaction (see [`super::writer::transaction`]).
pub fn create_pending(
    tx: &Connection,
    user_id: i64,
    purchase: &Purchase,
    expires_at: i64,
    risk: Level,
) -> Result<Order, CheckoutError> {
    let id = insert_pending(tx, user_id, purchase, Method::Qris, expires_at, risk)?;
    jobs::schedule(tx, jobs::EXPIRE_ORDER, id, expires_at)?;
    get(tx, id)?.ok_or(CheckoutError::ProductGone)
}

/// A balance purchase: order, reservation, debit and sale, in the caller's transaction (which
/// also queues the delivery).
pub fn pay_with_balance(
    tx: &Connection,
    user_id: i64,
    purchase: &Purchase,
    risk: Level,
) -> Result<Order, CheckoutError> {
    let id = insert_pending(tx, user_id, purchase, Method::Saldo, now(), risk)?;
    let order = get(tx, id)?.ok_or(CheckoutError::ProductGone)?;
    match ledger::post(tx, user_id, EntryKind::Purchase, -order.total, Some(id), Some(&order.invoice_id), None) {
        Ok(_) => {}
        Err(LedgerError::Insufficient { balance }) => {
            return Err(CheckoutError::InsufficientBalance { balance, total: order.total })
        }
        Err(LedgerError::NoUser) => return Err(CheckoutError::ProductGone),
        Err(LedgerError::Store(e)) => return Err(e.into()),
    }
    Ok(mark_paid(tx, order)?)
}

/// pending → paid: reserved items become sold, sold counts grow, deposits are credited. The
/// caller queues the delivery ([`sold_items`]) in the same transaction.
pub(super) fn mark_paid(tx: &Connection, order: Order) -> Result<Order, StoreError> {
    let to = transition(order.status, Event::PaymentConfirmed)?;
    let t = now();
    // A payment flagged for review is paid, but its goods (or its deposit credit) wait for an
    // admin's decision.
    let held = order.risk.holds();
    tx.prepare_cached(
        "UPDATE orders SET status = ?2, paid_at = ?3, updated_at = ?3, held = ?4 WHERE id = ?1 AND status = 'pending'",
    )?
    .execute(params![order.id, to.as_str(), t, held])?;
    match order.kind {
        Kind::Order => {
            tx.prepare_cached(
                "UPDATE stock_items SET status = 'sold', updated_at = ?2 WHERE order_id = ?1 AND status = 'reserved'",
            )?
            .execute(params![order.id, t])?;
            for line in &order.items {
                tx.prepare_cached("UPDATE products SET sold_count = sold_count + ?2 WHERE id = ?1")?
                    .execute(params![line.product_id, line.quantity])?;
            }
        }
        Kind::Deposit if held => {}
        Kind::Deposit => {
            ledger::credit(
                tx,
                order.user_id,
                EntryKind::Deposit,
                order.total,
                Some(order.id),
                Some(&order.invoice_id),
                None,
            )?;
        }
    }
    super::vouchers::consume(tx, order.id, order.user_id)?;
    jobs::finish(tx, jobs::EXPIRE_ORDER, order.id)?;
    Ok(Order { status: to, paid_at: Some(t), held, ..order })
}

/// What a verified payment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paid {
    /// The order is now paid; its delivery is in the outbox.
    Delivered(Order),
    /// Paid already (a replayed webhook, a poller racing a webhook): nothing changed.
    AlreadyPaid(Order),
    /// The order had expired or was cancelled: the amount went to the balance.
    LateCredited(Order),
    /// That late payment was credited before: nothing changed.
    AlreadyCredited(Order),
}

/// Applies a payment that Pakasir confirmed, in the caller's transaction. Idempotent on the
/// order.
pub fn confirm_payment(tx: &Connection, order_id: i64) -> Result<Option<Paid>, StoreError> {
    let Some(order) = get(tx, order_id)? else { return Ok(None) };
    Ok(Some(match order.status {
        Status::Pending => Paid::Delivered(mark_paid(tx, order)?),
        Status::Paid | Status::Refunded => Paid::AlreadyPaid(order),
        Status::Expired | Status::Cancelled => {
            let credited: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM ledger WHERE order_id = ?1 AND kind = 'late_payment')")?
                .query_row([order.id], |r| r.get(0))?;
            if credited {
                Paid::AlreadyCredited(order)
            } else {
                ledger::credit(
                    tx,
                    order.user_id,
                    EntryKind::LatePayment,
                    order.total,
                    Some(order.id),
                    Some(&order.invoice_id),
                    None,
                )?;
                Paid::LateCredited(order)
            }
        }
    }))
}

/// pending → expired (timer) or cancelled (user): stock goes back and Pakasir is told (as a
/// job), in the caller's transaction (which queues the notices). `None` if the order was not
/// pending (or, for a cancel, not the user's).
pub fn close(tx: &Connection, order_id: i64, event: Event, by_user: Option<i64>) -> Result<Option<Order>, StoreError> {
    let Some(order) = get(tx, order_id)? else { return Ok(None) };
    if by_user.is_some_and(|u| u != order.user_id) {
        return Ok(None);
    }
    let Ok(to) = transition(order.status, event) else {
        jobs::finish(tx, jobs::EXPIRE_ORDER, order.id)?;
        return Ok(None);
    };
    let t = now();
    tx.prepare_cached("UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'pending'")?
        .execute(params![order.id, to.as_str(), t])?;
    tx.prepare_cached(
        "UPDATE stock_items SET status = 'available', order_id = NULL, updated_at = ?2 WHERE order_id = ?1 AND status = 'reserved'",
    )?
    .execute(params![order.id, t])?;
    super::vouchers::release(tx, order.id)?;
    jobs::finish(tx, jobs::EXPIRE_ORDER, order.id)?;
    if order.txn_id.is_some() {
        jobs::schedule(tx, jobs::CANCEL_AT_PAKASIR, order.id, t)?;
    }
    Ok(Some(Order { status: to, ..order }))
}

/// Records Pakasir's answer to the create call: the transaction, its fee and what it is paid
/// with (a QRIS payload, or a bank's virtual account number).
pub fn set_transaction(
    conn: &Connection,
    order_id: i64,
    txn_id: &str,
    fee: i64,
    instrument: &Instrument,
) -> Result<(), StoreError> {
    let (qr, bank, number) = match instrument {
        Instrument::Qris(qr) => (Some(qr.as_str()), None, None),
        Instrument::VirtualAccount { bank, number } => (None, Some(bank.code()), Some(number.as_str())),
    };
    conn.prepare_cached(
        "UPDATE orders SET txn_id = ?2, fee = ?3, qr_string = ?4, va_bank = ?5, va_number = ?6, updated_at = ?7
          WHERE id = ?1",
    )?
    .execute(params![order_id, txn_id, fee, qr, bank, number, now()])?;
    Ok(())
}

/// Where the invoice message is (to delete it once paid, expired or cancelled). True when the
/// order is no longer pending (a payment faster than this write): then the caller removes the
/// message itself.
pub fn set_message(conn: &Connection, order_id: i64, chat_id: i64, message_id: i64) -> Result<bool, StoreError> {
    let settled: Option<bool> = conn
        .prepare_cached("UPDATE orders SET chat_id = ?2, message_id = ?3 WHERE id = ?1 RETURNING status <> 'pending'")?
        .query_row(params![order_id, chat_id, message_id], |r| r.get(0))
        .optional()?;
    Ok(settled.unwrap_or(false))
}

/// Stock items that belong to more than one order, or sold items without an order: must be none.
pub fn integrity_violations(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM stock_items WHERE status IN ('sold','reserved') AND order_id IS NULL)
              + (SELECT count(*) FROM stock_items s JOIN orders o ON o.id = s.order_id
                 WHERE (s.status = 'sold' AND o.status NOT IN ('paid','refunded'))
                    OR (s.status = 'reserved' AND o.status <> 'pending'))",
        [],
        |r| r.get(0),
    )?)
}

/// The numbers the anomaly rules look at, for one user now.
pub fn payment_history(
    conn: &Connection,
    user_id: i64,
    amount: i64,
    deposit: bool,
) -> Result<crate::domain::anomaly::History, StoreError> {
    let t = now();
    let (paid_last_hour, small_last_hour, paid_last_day, created): (i64, i64, i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM orders WHERE user_id = ?1 AND status IN ('paid','refunded') AND paid_at >= ?2),
                    (SELECT count(*) FROM orders WHERE user_id = ?1 AND status IN ('paid','refunded') AND paid_at >= ?2 AND total < ?4),
                    (SELECT coalesce(sum(total), 0) FROM orders WHERE user_id = ?1 AND status IN ('paid','refunded') AND paid_at >= ?3),
                    (SELECT created_at FROM users WHERE id = ?1)",
        )?
        .query_row(params![user_id, t - 3600, t - 86_400, crate::domain::anomaly::SMALL_AMOUNT], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    Ok(crate::domain::anomaly::History {
        amount,
        paid_last_hour,
        small_last_hour,
        paid_last_day,
        account_age: t - created.unwrap_or(t),
        deposit,
    })
}

/// The delivered items of an order (sold stock), in order.
pub fn sold_items(conn: &Connection, order_id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT content FROM stock_items WHERE order_id = ?1 AND status = 'sold' ORDER BY id")?;
    let rows = stmt.query_map([order_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Review {
    /// Approved: the delivery is queued (a deposit is credited).
    Released(Box<Order>),
    /// Rejected: an order is refunded to the balance and its items go back on sale; a deposit
    /// stays uncredited (the shop returns the money by hand).
    Refunded(Box<Order>),
    /// Not held (decided before, or never held).
    NotHeld,
}

/// An admin's decision on a held order or deposit, in the caller's transaction (which queues
/// its messages).
pub fn decide_review(tx: &Connection, order_id: OrderId, admin: UserId, ruling: Ruling) -> Result<Review, StoreError> {
    let (order_id, admin) = (order_id.0, admin.0);
    let Some(order) = get(tx, order_id)? else { return Ok(Review::NotHeld) };
    if !order.held || order.status != Status::Paid {
        return Ok(Review::NotHeld);
    }
    let t = now();
    let outcome = if ruling == Ruling::Approve {
        tx.execute("UPDATE orders SET held = 0, updated_at = ?2 WHERE id = ?1", params![order.id, t])?;
        if order.kind == Kind::Deposit {
            ledger::credit(
                tx,
                order.user_id,
                EntryKind::Deposit,
                order.total,
                Some(order.id),
                Some(&order.invoice_id),
                Some(admin),
            )?;
        }
        Review::Released(Box::new(Order { held: false, ..order }))
    } else {
        let to = transition(order.status, Event::Refund)?;
        tx.execute(
            "UPDATE orders SET status = ?2, held = 0, updated_at = ?3 WHERE id = ?1",
            params![order.id, to.as_str(), t],
        )?;
        if order.kind == Kind::Order {
            super::stock::return_undelivered(tx, order.id)?;
            if order.total > 0 {
                ledger::credit(
                    tx,
                    order.user_id,
                    EntryKind::Refund,
                    order.total,
                    Some(order.id),
                    Some(&order.invoice_id),
                    Some(admin),
                )?;
            }
        }
        Review::Refunded(Box::new(Order { status: to, held: false, ..order }))
    };
    Ok(outcome)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The poller pages through every pending order (issue 17: no fixed window of 200).
    #[test]
    fn pending_qris_pages_reach_every_pending_order() {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        for id in 1..=450_i64 {
            // One pending order per customer.
            c.execute(
                "INSERT INTO users (id, name, bank_id, created_at, updated_at) VALUES (?1, 'A', ?2, 0, 0)",
                params![id, format!("{id:06}")],
            )
            .unwrap();
            let status = if id % 50 == 0 { "expired" } else { "pending" };
            c.execute(
                "INSERT INTO orders (id, invoice_id, user_id, kind, subtotal, total, method, status, txn_id, expires_at, created_at, updated_at)
                 VALUES (?1, ?2, ?1, 'deposit', 100, 100, 'qris', ?3, ?4, 0, 0, 0)",
                params![id, format!("INV20261125{id:06}"), status, format!("T{id}")],
            )
            .unwrap();
        }
        let (mut after, mut seen) = (0, Vec::new());
        loop {
            let page = pending_qris(&c, after, 200).unwrap();
            seen.extend(page.iter().map(|o| o.id));
            match page.last() {
                Some(last) if page.len() == 200 => after = last.id,
                _ => break,
            }
        }
        assert_eq!(seen.len(), 441);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
    }
}
