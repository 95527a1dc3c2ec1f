//! Refund claims: requested by the customer, approved or rejected by an admin. Approval credits
//! the balance, marks the order refunded and counts a claim, in one transaction.

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    ledger::{self, EntryKind},
    now,
    orders::{self, Order},
    StoreError,
};
use crate::domain::{
    ids::{ClaimId, Ruling, UserId},
    order::{transition, Event, Kind},
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub id: i64,
    pub order_id: i64,
    pub user_id: i64,
    pub days_used: i64,
    pub amount: i64,
    pub status: String,
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Claim>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id, order_id, user_id, days_used, amount, status FROM refund_claims WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(Claim {
                id: r.get(0)?,
                order_id: r.get(1)?,
                user_id: r.get(2)?,
                days_used: r.get(3)?,
                amount: r.get(4)?,
                status: r.get(5)?,
            })
        })
        .optional()?)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requested {
    Created(i64),
    /// A claim for this order is open or was approved.
    AlreadyOpen,
}

pub fn request(
    conn: &Connection,
    order_id: i64,
    user_id: i64,
    days_used: i64,
    amount: i64,
) -> Result<Requested, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO refund_claims (order_id, user_id, days_used, amount, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO NOTHING RETURNING id",
        )?
        .query_row(params![order_id, user_id, days_used, amount, now()], |r| r.get::<_, i64>(0))
        .optional()?;
    Ok(inserted.map_or(Requested::AlreadyOpen, Requested::Created))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    Approved(Claim, Box<Order>),
    Rejected(Claim),
    /// Decided before (double press, two admins): nothing changed.
    AlreadyDecided,
    /// The claim is not for the claimant's own paid product order (a forged request): closed
    /// as rejected, nothing credited.
    NotRefundable(Claim),
    NotFound,
}

/// Approves or rejects a requested claim, in the caller's transaction (which queues the
/// customer's notice). Idempotent.
pub fn decide(tx: &Connection, claim_id: ClaimId, admin: UserId, ruling: Ruling) -> Result<Decided, StoreError> {
    let (claim_id, admin) = (claim_id.0, admin.0);
    let Some(claim) = get(tx, claim_id)? else { return Ok(Decided::NotFound) };
    if claim.status != "requested" {
        return Ok(Decided::AlreadyDecided);
    }
    let t = now();
    let outcome = if ruling == Ruling::Approve {
        let Some(order) = orders::get(tx, claim.order_id)? else { return Ok(Decided::NotFound) };
        let reject = |tx: &Connection| -> Result<(), StoreError> {
            tx.execute(
                "UPDATE refund_claims SET status = 'rejected', decided_by = ?2, decided_at = ?3 WHERE id = ?1",
                params![claim.id, admin, t],
            )?;
            Ok(())
        };
        // Refunds exist only for the claimant's own paid product orders, never for deposits:
        // checked here too, whatever made the claim.
        if order.kind != Kind::Order || order.user_id != claim.user_id {
            reject(tx)?;
            return Ok(Decided::NotRefundable(claim));
        }
        let Ok(to) = transition(order.status, Event::Refund) else {
            reject(tx)?;
            return Ok(Decided::AlreadyDecided);
        };
        tx.execute(
            "UPDATE orders SET status = ?2, held = 0, updated_at = ?3 WHERE id = ?1",
            params![order.id, to.as_str(), t],
        )?;
        if order.held {
            // Never delivered: its items go back on sale.
            super::stock::return_undelivered(tx, order.id)?;
        }
        let claim = Claim { amount: claim.amount.clamp(0, order.total), ..claim };
        if claim.amount > 0 {
            ledger::credit(
                tx,
                claim.user_id,
                EntryKind::Refund,
                claim.amount,
                Some(order.id),
                Some(&order.invoice_id),
                Some(admin),
            )?;
        }
        tx.execute("UPDATE users SET refund_claims = refund_claims + 1 WHERE id = ?1", [claim.user_id])?;
        tx.execute(
            "UPDATE refund_claims SET status = 'approved', decided_by = ?2, decided_at = ?3 WHERE id = ?1",
            params![claim.id, admin, t],
        )?;
        Decided::Approved(Claim { status: "approved".into(), ..claim }, Box::new(Order { status: to, ..order }))
    } else {
        tx.execute(
            "UPDATE refund_claims SET status = 'rejected', decided_by = ?2, decided_at = ?3 WHERE id = ?1",
            params![claim.id, admin, t],
        )?;
        Decided::Rejected(Claim { status: "rejected".into(), ..claim })
    };
    Ok(outcome)
}
