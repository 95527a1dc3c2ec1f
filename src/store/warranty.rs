//! Warranty claims (issue 18): a product's warranty length, the claims buyers open on delivered
//! items, and the admins' decisions. One open claim per item is the unique partial index
//! `warranty_claims_open`; every transition is one guarded UPDATE (`... WHERE status IN (...)`),
//! so a double press or two admins at once act once.
//!
//! A replacement item is taken from the product's available stock (oldest first, as a sale),
//! marked sold in the claimed order and linked to the claim (`replacement_id`, unique). A refund
//! credits the balance with one ledger row (kind `refund`, no order: the order stays paid),
//! linked to the claim (`ledger_id`, unique).

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    ledger::{self, EntryKind},
    now, StoreError,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Open,
    Waiting,
    Replaced,
    Refunded,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Waiting => "waiting",
            Status::Replaced => "replaced",
            Status::Refunded => "refunded",
            Status::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "waiting" => Status::Waiting,
            "replaced" => Status::Replaced,
            "refunded" => Status::Refunded,
            "rejected" => Status::Rejected,
            _ => Status::Open,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub id: i64,
    pub order_id: i64,
    pub invoice_id: String,
    pub item_id: i64,
    pub item: String,
    pub product_id: i64,
    pub product_name: String,
    pub user_id: i64,
    pub problem: String,
    pub photo: Option<String>,
    pub status: Status,
    pub amount: Option<i64>,
    pub reason: Option<String>,
    pub created_at: i64,
}

const SELECT: &str = "
    SELECT w.id, w.order_id, o.invoice_id, w.item_id, s.content, w.product_id,
           coalesce((SELECT i.product_name FROM order_items i WHERE i.order_id = w.order_id AND i.product_id = s.product_id), '-'),
           w.user_id, w.problem, w.photo, w.status, w.amount, w.reason, w.created_at
    FROM warranty_claims w JOIN orders o ON o.id = w.order_id JOIN stock_items s ON s.id = w.item_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Claim> {
    Ok(Claim {
        id: r.get(0)?,
        order_id: r.get(1)?,
        invoice_id: r.get(2)?,
        item_id: r.get(3)?,
        item: r.get(4)?,
        product_id: r.get(5)?,
        product_name: r.get(6)?,
        user_id: r.get(7)?,
        problem: r.get(8)?,
        photo: r.get(9)?,
        status: Status::parse(&r.get::<_, String>(10)?),
        amount: r.get(11)?,
        reason: r.get(12)?,
        created_at: r.get(13)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Claim>, StoreError> {
    let sql = format!("{SELECT} WHERE w.id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id], from_row).optional()?)
}

/// `/garansi`: sets a product's warranty days; the days before, `None` if the product is unknown.
pub fn set_days(conn: &Connection, product: i64, days: i64) -> Result<Option<i64>, StoreError> {
    let before: Option<i64> = conn
        .prepare_cached("SELECT warranty_days FROM products WHERE id = ?1")?
        .query_row([product], |r| r.get(0))
        .optional()?;
    if before.is_some() {
        conn.prepare_cached("UPDATE products SET warranty_days = ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![product, days, now()])?;
    }
    Ok(before)
}

pub fn days_of(conn: &Connection, product: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT warranty_days FROM products WHERE id = ?1")?
        .query_row([product], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// A delivered item its buyer may claim now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimable {
    pub item_id: i64,
    pub content: String,
    pub order_id: i64,
    pub invoice_id: String,
    pub product_id: i64,
    pub product_name: String,
    /// Unix time the warranty ends.
    pub until: i64,
}

/// The items of a paid, delivered product order under warranty at `at`, with no open claim
/// and not replaced or refunded already. The warranty counts from the payment (= delivery) and
/// ends no later than the item's own valid-until (expiring stock).
const CLAIMABLE: &str = "
    SELECT s.id, s.content, o.id, o.invoice_id, s.product_id, coalesce(i.product_name, '-'),
           min(coalesce(o.paid_at, o.created_at) + p.warranty_days * 86400, coalesce(s.valid_until, 9223372036854775807))
    FROM stock_items s
    JOIN orders o ON o.id = s.order_id
    JOIN products p ON p.id = s.product_id
    LEFT JOIN order_items i ON i.order_id = o.id AND i.product_id = s.product_id
    WHERE s.status = 'sold' AND o.kind = 'order' AND o.status = 'paid' AND o.held = 0
      AND p.warranty_days > 0 AND coalesce(o.paid_at, o.created_at) + p.warranty_days * 86400 > ?2
      -- An item sold with a valid-until is not under warranty past it (it ended as sold).
      AND coalesce(s.valid_until, ?2 + 1) > ?2
      AND NOT EXISTS (SELECT 1 FROM warranty_claims w WHERE w.item_id = s.id
                      AND w.status IN ('open', 'waiting', 'replaced', 'refunded'))";

fn claimable_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Claimable> {
    Ok(Claimable {
        item_id: r.get(0)?,
        content: r.get(1)?,
        order_id: r.get(2)?,
        invoice_id: r.get(3)?,
        product_id: r.get(4)?,
        product_name: r.get(5)?,
        until: r.get(6)?,
    })
}

/// The claimable items of one order of `user`.
pub fn claimable(conn: &Connection, order_id: i64, user: i64, at: i64) -> Result<Vec<Claimable>, StoreError> {
    let sql = format!("{CLAIMABLE} AND o.id = ?1 AND o.user_id = ?3 ORDER BY s.id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![order_id, at, user], claimable_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// One item of `user`, if claimable at `at`.
pub fn claimable_item(conn: &Connection, item_id: i64, user: i64, at: i64) -> Result<Option<Claimable>, StoreError> {
    let sql = format!("{CLAIMABLE} AND s.id = ?1 AND o.user_id = ?3");
    Ok(conn.prepare_cached(&sql)?.query_row(params![item_id, at, user], claimable_row).optional()?)
}

/// Whether `item_id` has an open (or waiting) claim of `user`.
pub fn has_open_claim(conn: &Connection, item_id: i64, user: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM warranty_claims WHERE item_id = ?1 AND user_id = ?2 AND status IN ('open', 'waiting')",
        )?
        .query_row(params![item_id, user], |_| Ok(()))
        .optional()?
        .is_some())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    Created(Box<Claim>),
    /// The item has an open claim already (the unique index said so).
    AlreadyOpen,
    /// Not the user's, not delivered, outside its warranty, or replaced/refunded before.
    NotClaimable,
}

/// Opens a claim on `item_id` for `user`, checking it is claimable in the same statement's
/// transaction. One open claim per item: a second insert does nothing.
pub fn open(
    conn: &Connection,
    item_id: i64,
    user: i64,
    problem: &str,
    photo: Option<&str>,
) -> Result<Opened, StoreError> {
    let t = now();
    let Some(item) = claimable_item(conn, item_id, user, t)? else {
        return Ok(if has_open_claim(conn, item_id, user)? { Opened::AlreadyOpen } else { Opened::NotClaimable });
    };
    let id = conn
        .prepare_cached(
            "INSERT INTO warranty_claims (order_id, item_id, product_id, user_id, problem, photo, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING RETURNING id",
        )?
        .query_row(params![item.order_id, item.item_id, item.product_id, user, problem, photo, t], |r| {
            r.get::<_, i64>(0)
        })
        .optional()?;
    let Some(id) = id else { return Ok(Opened::AlreadyOpen) };
    Ok(get(conn, id)?.map_or(Opened::AlreadyOpen, |c| Opened::Created(Box::new(c))))
}

/// The buyer's claims so far (all statuses) and the ones counted as refunds (`users.refund_claims`).
pub fn count_of(conn: &Connection, user: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM warranty_claims WHERE user_id = ?1")?
        .query_row([user], |r| r.get(0))?)
}

/// The user's latest `n` claims, newest first.
pub fn latest_of(conn: &Connection, user: i64, n: i64) -> Result<Vec<Claim>, StoreError> {
    let sql = format!("{SELECT} WHERE w.user_id = ?1 ORDER BY w.id DESC LIMIT ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![user, n], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replaced {
    /// The replacement item (its content) is sold in the claimed order and linked.
    Done(Box<Claim>, String),
    /// No stock: the claim waits (served first when stock arrives).
    Waiting(Box<Claim>),
    /// Decided before (double press, two admins): nothing changed.
    AlreadyDecided,
}

/// The item a replacement takes: one a sale could take now (sellable, so never expired or
/// about to), the soonest-expiring first as for a reservation, then the oldest undated.
const REPLACEMENT_ITEM: &str = concat!(
    "SELECT id, content FROM stock_items WHERE product_id = ?1 AND status = 'available' AND ",
    sellable!(),
    " ORDER BY sell_until IS NULL, sell_until, id LIMIT 1"
);

/// `[Ganti]`, in the caller's transaction (which queues the delivery).
pub fn replace(tx: &Connection, claim_id: i64, admin: i64) -> Result<Replaced, StoreError> {
    let Some(claim) = get(tx, claim_id)? else { return Ok(Replaced::AlreadyDecided) };
    let item: Option<(i64, String)> = tx
        .prepare_cached(REPLACEMENT_ITEM)?
        .query_row([claim.product_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let t = now();
    let Some((item, content)) = item else {
        let n = tx
            .prepare_cached(
                "UPDATE warranty_claims SET status = 'waiting', decided_by = ?2, decided_at = ?3
                 WHERE id = ?1 AND status = 'open'",
            )?
            .execute(params![claim_id, admin, t])?;
        return Ok(if n == 1 {
            Replaced::Waiting(Box::new(Claim { status: Status::Waiting, ..claim }))
        } else {
            Replaced::AlreadyDecided
        });
    };
    if !link_replacement(tx, &claim, item, admin, t)? {
        return Ok(Replaced::AlreadyDecided);
    }
    Ok(Replaced::Done(Box::new(Claim { status: Status::Replaced, ..claim }), content))
}

/// The one guarded transition to `replaced`, then the item sold in the claimed order.
fn link_replacement(tx: &Connection, claim: &Claim, item: i64, admin: i64, t: i64) -> Result<bool, StoreError> {
    let n = tx
        .prepare_cached(
            "UPDATE warranty_claims SET status = 'replaced', replacement_id = ?2,
                    decided_by = coalesce(?3, decided_by), decided_at = ?4
             WHERE id = ?1 AND status IN ('open', 'waiting')",
        )?
        .execute(params![claim.id, item, (admin != 0).then_some(admin), t])?;
    if n != 1 {
        return Ok(false);
    }
    let sold = tx
        .prepare_cached(
            "UPDATE stock_items SET status = 'sold', order_id = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'available'",
        )?
        .execute(params![item, claim.order_id, t])?;
    if sold != 1 {
        return Err(StoreError::Migration(format!("replacement item {item} was not available")));
    }
    Ok(true)
}

/// Stock arrived for `product`: its waiting claims are served first, oldest first, each with
/// the oldest available item, in the caller's transaction (the one that added the stock).
pub fn serve_waiting(tx: &Connection, product: i64) -> Result<Vec<(Claim, String)>, StoreError> {
    let waiting: Vec<i64> = tx
        .prepare_cached("SELECT id FROM warranty_claims WHERE product_id = ?1 AND status = 'waiting' ORDER BY id")?
        .query_map([product], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut served = Vec::new();
    let t = now();
    for id in waiting {
        let item: Option<(i64, String)> =
            tx.prepare_cached(REPLACEMENT_ITEM)?.query_row([product], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let Some((item, content)) = item else { break };
        let Some(claim) = get(tx, id)? else { continue };
        if link_replacement(tx, &claim, item, 0, t)? {
            served.push((Claim { status: Status::Replaced, ..claim }, content));
        }
    }
    Ok(served)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    Done(Box<Claim>),
    AlreadyDecided,
}

/// `[Refund]`: credits `amount` to the buyer with one ledger row linked to the claim and
/// counts a claim (`users.refund_claims`, as an approved `/refund`), in the caller's transaction.
pub fn refund(tx: &Connection, claim_id: i64, admin: i64, amount: i64) -> Result<Decided, StoreError> {
    let Some(claim) = get(tx, claim_id)? else { return Ok(Decided::AlreadyDecided) };
    let amount = amount.max(0);
    let t = now();
    let n = tx
        .prepare_cached(
            "UPDATE warranty_claims SET status = 'refunded', amount = ?2, decided_by = ?3, decided_at = ?4
             WHERE id = ?1 AND status IN ('open', 'waiting')",
        )?
        .execute(params![claim_id, amount, admin, t])?;
    if n != 1 {
        return Ok(Decided::AlreadyDecided);
    }
    if amount > 0 {
        let note = format!("garansi {}", claim.invoice_id);
        ledger::credit(tx, claim.user_id, EntryKind::Refund, amount, None, Some(&note), Some(admin))?;
        tx.prepare_cached("UPDATE warranty_claims SET ledger_id = last_insert_rowid() WHERE id = ?1")?
            .execute([claim_id])?;
    }
    tx.prepare_cached("UPDATE users SET refund_claims = refund_claims + 1 WHERE id = ?1")?.execute([claim.user_id])?;
    Ok(Decided::Done(Box::new(Claim { status: Status::Refunded, amount: Some(amount), ..claim })))
}

/// `[Tolak]` with a reason.
pub fn reject(conn: &Connection, claim_id: i64, admin: i64, reason: &str) -> Result<Decided, StoreError> {
    let Some(claim) = get(conn, claim_id)? else { return Ok(Decided::AlreadyDecided) };
    let n = conn
        .prepare_cached(
            "UPDATE warranty_claims SET status = 'rejected', reason = ?2, decided_by = ?3, decided_at = ?4
             WHERE id = ?1 AND status IN ('open', 'waiting')",
        )?
        .execute(params![claim_id, reason, admin, now()])?;
    Ok(if n == 1 {
        Decided::Done(Box::new(Claim { status: Status::Rejected, reason: Some(reason.to_string()), ..claim }))
    } else {
        Decided::AlreadyDecided
    })
}

/// Erasure: what the person wrote and the photo go; the claim rows (money records) stay.
pub(super) fn forget(conn: &Connection, user: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE warranty_claims SET problem = '', photo = NULL, reason = NULL WHERE user_id = ?1")?
        .execute([user])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO users (id, name, bank_id, created_at, updated_at) VALUES (1, 'A', '000001', 0, 0);
             INSERT INTO users (id, name, bank_id, created_at, updated_at) VALUES (2, 'B', '000002', 0, 0);
             INSERT INTO products (id, name, price, warranty_days, created_at, updated_at) VALUES (1, 'P', 1000, 30, 0, 0);
             INSERT INTO orders (id, invoice_id, user_id, kind, subtotal, total, method, status, txn_id, expires_at, paid_at, created_at, updated_at)
                 VALUES (1, 'INV20261125AAAAAA', 1, 'order', 1000, 1000, 'qris', 'paid', 'T1', 0, 0, 0, 0);
             INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price) VALUES (1, 1, 'P', 1, 1000);
             INSERT INTO stock_items (id, product_id, content, status, order_id, created_at, updated_at) VALUES (1, 1, 'x', 'sold', 1, 0, 0);
             INSERT INTO outbox (chat_id, kind, payload, order_id, next_attempt_at, created_at, delivery)
                 VALUES (1, 'text', '{}', 1, 0, 0, 1);",
        )
        .unwrap();
        // Paid just now: inside its 30 days of warranty.
        c.execute("UPDATE orders SET paid_at = ?1, created_at = ?1, updated_at = ?1 WHERE id = 1", [now()]).unwrap();
        c
    }

    #[test]
    fn one_open_claim_per_item_even_without_the_code_check() {
        let c = db();
        assert!(matches!(open(&c, 1, 1, "rusak", None).unwrap(), Opened::Created(_)));
        assert_eq!(open(&c, 1, 1, "lagi", None).unwrap(), Opened::AlreadyOpen);
        // The index itself refuses a second open row.
        let raw = c.execute(
            "INSERT INTO warranty_claims (order_id, item_id, product_id, user_id, created_at) VALUES (1, 1, 1, 1, 0)",
            [],
        );
        assert!(raw.is_err());
        // Someone else's item is not claimable (and its claim is not mentioned).
        assert_eq!(open(&c, 1, 2, "x", None).unwrap(), Opened::NotClaimable);
    }

    #[test]
    fn replace_acts_once_and_waits_without_stock() {
        let c = db();
        let Opened::Created(claim) = open(&c, 1, 1, "rusak", None).unwrap() else { panic!() };
        assert!(matches!(replace(&c, claim.id, 9).unwrap(), Replaced::Waiting(_)));
        assert_eq!(replace(&c, claim.id, 9).unwrap(), Replaced::AlreadyDecided);
        c.execute_batch(
            "INSERT INTO stock_items (id, product_id, content, created_at, updated_at) VALUES (2, 1, 'y', 0, 0)",
        )
        .unwrap();
        let served = serve_waiting(&c, 1).unwrap();
        assert_eq!(served.len(), 1);
        assert_eq!(served[0].1, "y");
        assert_eq!(replace(&c, claim.id, 9).unwrap(), Replaced::AlreadyDecided);
        assert!(serve_waiting(&c, 1).unwrap().is_empty());
        assert!(super::super::money::violations(&c).unwrap().is_empty(), "{:?}", super::super::money::violations(&c));
    }

    #[test]
    fn refund_credits_once_with_a_ledger_row() {
        let c = db();
        let Opened::Created(claim) = open(&c, 1, 1, "rusak", None).unwrap() else { panic!() };
        assert!(matches!(refund(&c, claim.id, 9, 600).unwrap(), Decided::Done(_)));
        assert_eq!(refund(&c, claim.id, 9, 600).unwrap(), Decided::AlreadyDecided);
        assert_eq!(reject(&c, claim.id, 9, "x").unwrap(), Decided::AlreadyDecided);
        let balance: i64 = c.query_row("SELECT balance FROM users WHERE id = 1", [], |r| r.get(0)).unwrap();
        assert_eq!(balance, 600);
        assert!(super::super::money::violations(&c).unwrap().is_empty(), "{:?}", super::super::money::violations(&c));
    }

    #[test]
    fn db_check_finds_a_refund_without_its_ledger_row_and_a_replacement_not_sold() {
        let c = db();
        let Opened::Created(claim) = open(&c, 1, 1, "rusak", None).unwrap() else { panic!() };
        refund(&c, claim.id, 9, 600).unwrap();
        c.execute("UPDATE warranty_claims SET ledger_id = NULL WHERE id = ?1", [claim.id]).unwrap();
        let v = super::super::money::violations(&c).unwrap();
        assert!(v.iter().any(|v| v.starts_with("klaim garansi direfund tanpa")), "{v:?}");
        assert!(v.iter().any(|v| v.starts_with("refund tanpa pesanan")), "{v:?}");

        let c = db();
        c.execute_batch(
            "INSERT INTO stock_items (id, product_id, content, created_at, updated_at) VALUES (2, 1, 'y', 0, 0)",
        )
        .unwrap();
        let Opened::Created(claim) = open(&c, 1, 1, "rusak", None).unwrap() else { panic!() };
        assert!(matches!(replace(&c, claim.id, 9).unwrap(), Replaced::Done(..)));
        assert!(super::super::money::violations(&c).unwrap().is_empty());
        c.execute("UPDATE stock_items SET status = 'available', order_id = NULL WHERE id = 2", []).unwrap();
        let v = super::super::money::violations(&c).unwrap();
        assert!(v.iter().any(|v| v.starts_with("item pengganti garansi")), "{v:?}");
    }

    /// Expiring stock: a replacement is never an item past its sell-by, and an item sold with a
    /// valid-until is not claimable after it, whatever the product's warranty says.
    #[test]
    fn replacements_skip_expired_items_and_claims_end_with_the_item() {
        let c = db();
        let t = now();
        c.execute(
            "INSERT INTO stock_items (id, product_id, content, valid_until, sell_until, created_at, updated_at)
             VALUES (2, 1, 'stale', ?1, ?2, 0, 0), (3, 1, 'fresh', ?3, ?4, 0, 0)",
            params![t + 60, t - 60, t + 10 * 86_400, t + 9 * 86_400],
        )
        .unwrap();
        let Opened::Created(claim) = open(&c, 1, 1, "rusak", None).unwrap() else { panic!() };
        let Replaced::Done(_, content) = replace(&c, claim.id, 9).unwrap() else { panic!("replaced") };
        assert_eq!(content, "fresh");

        let c = db();
        c.execute("UPDATE stock_items SET valid_until = ?1 WHERE id = 1", [t + 86_400]).unwrap();
        let until = claimable(&c, 1, 1, t).unwrap()[0].until;
        assert_eq!(until, t + 86_400, "the warranty ends with the item");
        assert!(claimable(&c, 1, 1, t + 2 * 86_400).unwrap().is_empty());
    }
}
