//! Versioned schema migrations through `PRAGMA user_version`.
//!
//! `schema.sql` always holds the current whole schema: a fresh file gets it in one go; an older
//! file is brought up step by step with [`UPGRADES`]. A test checks both paths agree.

use rusqlite::Connection;

use super::StoreError;

const SCHEMA: &str = include_str!("../../schema.sql");
const AUDIT_MARKER: &str = "-- @audit";

/// `UPGRADES[n]` turns version `n + 1` into version `n + 2`.
const UPGRADES: &[&str] = &[
    // 1 → 2 (issue 12): deliveries are never given up (parked instead), closed orders are
    // reconciled with Pakasir. Deliveries given up by older versions are parked, so they go out
    // when their buyer next talks to the bot.
    "ALTER TABLE outbox ADD COLUMN delivery INTEGER NOT NULL DEFAULT 0 CHECK (delivery IN (0, 1));
     ALTER TABLE outbox ADD COLUMN parked INTEGER NOT NULL DEFAULT 0 CHECK (parked IN (0, 1));
     ALTER TABLE outbox ADD COLUMN stuck_noticed INTEGER NOT NULL DEFAULT 0 CHECK (stuck_noticed IN (0, 1));
     ALTER TABLE outbox ADD COLUMN last_error TEXT;
     DROP INDEX outbox_pending;
     CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE sent_at IS NULL AND failed = 0 AND parked = 0;
     CREATE INDEX outbox_parked ON outbox(chat_id) WHERE parked = 1;
     ALTER TABLE orders ADD COLUMN gateway_state TEXT;
     ALTER TABLE orders ADD COLUMN checked_at INTEGER;
     UPDATE outbox SET delivery = 1
      WHERE kind IN ('text', 'document')
        AND EXISTS (SELECT 1 FROM orders o WHERE o.id = outbox.order_id AND o.kind = 'order'
                    AND o.status IN ('paid', 'refunded') AND o.user_id = outbox.chat_id);
     UPDATE outbox SET failed = 0, parked = 1 WHERE delivery = 1 AND failed = 1 AND sent_at IS NULL;",
    // 2 → 3 (issue 17): bank transfers (virtual accounts) are paid through Pakasir like QRIS
    // (method 'qris'); their bank and account number. Older rows are QRIS or SALDO: NULL.
    "ALTER TABLE orders ADD COLUMN va_bank TEXT;
     ALTER TABLE orders ADD COLUMN va_number TEXT;",
    // 3 → 4 (issue 18, voucher links): the code a customer opened with `/start v_CODE`, kept
    // for their next checkout, and when it was set (it expires).
    "ALTER TABLE users ADD COLUMN pending_voucher TEXT;
     ALTER TABLE users ADD COLUMN pending_voucher_at INTEGER;",
    // 4 → 5 (issue 18): restock alerts, who waits for which sold-out product.
    "CREATE TABLE restock_subscriptions (
         product_id      INTEGER NOT NULL,
         user_id         INTEGER NOT NULL,
         created_at      INTEGER NOT NULL,
         PRIMARY KEY (product_id, user_id)
     ) WITHOUT ROWID;
     CREATE INDEX restock_subscriptions_user ON restock_subscriptions(user_id);",
    // 5 → 6 (issue 18, bulk prices): a product's quantity tiers, `5=10,10=15` (from 5 items
    // 10 % off, from 10 items 15 %); NULL = none.
    "ALTER TABLE products ADD COLUMN price_tiers TEXT;",
    // 6 → 7 (issue 18, Telegram Stars): a product's own Stars price; the Stars side of an order
    // (asked amount, Telegram's charge id once paid, refund time).
    "CREATE TABLE product_stars (
         product_id      INTEGER PRIMARY KEY REFERENCES products(id) ON UPDATE CASCADE,
         stars           INTEGER NOT NULL CHECK (typeof(stars) = 'integer' AND stars > 0),
         updated_at      INTEGER NOT NULL
     );
     CREATE TABLE stars_payments (
         order_id        INTEGER PRIMARY KEY REFERENCES orders(id),
         stars           INTEGER NOT NULL CHECK (typeof(stars) = 'integer' AND stars > 0),
         charge_id       TEXT    UNIQUE,
         paid_stars      INTEGER,
         paid_at         INTEGER,
         refunded_at     INTEGER,
         created_at      INTEGER NOT NULL,
         CHECK (refunded_at IS NULL OR charge_id IS NOT NULL)
     );",
    // 7 → 8 (issue 18, warranty claims): a warranty length per product, and the claims on
    // delivered items (one open claim per item; a replacement item is linked to one claim, a
    // refund to one ledger row).
    "ALTER TABLE products ADD COLUMN warranty_days INTEGER NOT NULL DEFAULT 0
         CHECK (typeof(warranty_days) = 'integer' AND warranty_days >= 0);
     CREATE TABLE warranty_claims (
         id              INTEGER PRIMARY KEY,
         order_id        INTEGER NOT NULL REFERENCES orders(id),
         item_id         INTEGER NOT NULL REFERENCES stock_items(id),
         product_id      INTEGER NOT NULL,
         user_id         INTEGER NOT NULL REFERENCES users(id),
         problem         TEXT    NOT NULL DEFAULT '',
         photo           TEXT,
         status          TEXT    NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'waiting', 'replaced', 'refunded', 'rejected')),
         replacement_id  INTEGER UNIQUE REFERENCES stock_items(id),
         ledger_id       INTEGER UNIQUE REFERENCES ledger(id),
         amount          INTEGER CHECK (amount IS NULL OR (typeof(amount) = 'integer' AND amount >= 0)),
         reason          TEXT,
         decided_by      INTEGER,
         decided_at      INTEGER,
         created_at      INTEGER NOT NULL,
         CHECK ((status = 'replaced') = (replacement_id IS NOT NULL)),
         CHECK (status = 'refunded' OR ledger_id IS NULL)
     );
     CREATE UNIQUE INDEX warranty_claims_open ON warranty_claims(item_id) WHERE status IN ('open', 'waiting');
     CREATE INDEX warranty_claims_user ON warranty_claims(user_id, id);
     CREATE INDEX warranty_claims_waiting ON warranty_claims(product_id, id) WHERE status = 'waiting';",
    // 8 → 9 (issue 18, expiring stock), an item's valid-until, its sell-by and its buyer's one
    // reminder. Older items have no limit (NULL).
    "ALTER TABLE stock_items ADD COLUMN valid_until INTEGER;
     ALTER TABLE stock_items ADD COLUMN sell_until INTEGER;
     ALTER TABLE stock_items ADD COLUMN reminded_at INTEGER;
     CREATE INDEX stock_expiring ON stock_items(sell_until) WHERE valid_until IS NOT NULL AND status = 'available';",
];

pub const LATEST: i64 = 1 + UPGRADES.len() as i64;

pub fn shop_schema() -> &'static str {
    SCHEMA.split_once(AUDIT_MARKER).map_or(SCHEMA, |(shop, _)| shop)
}

pub fn audit_schema() -> &'static str {
    SCHEMA.split_once(AUDIT_MARKER).map_or("", |(_, audit)| audit)
}

pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the shop database to [`LATEST`]; returns (from, to).
pub fn migrate_shop(conn: &mut Connection) -> Result<(i64, i64), StoreError> {
    migrate(conn, shop_schema(), UPGRADES)
}

/// The audit database has its own single-version schema.
pub fn migrate_audit(conn: &mut Connection) -> Result<(i64, i64), StoreError> {
    migrate(conn, audit_schema(), &[])
}

fn migrate(conn: &mut Connection, schema: &str, upgrades: &[&str]) -> Result<(i64, i64), StoreError> {
    let latest = 1 + upgrades.len() as i64;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    let from: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if from > latest {
        return Err(StoreError::TooNew { found: from, supported: latest });
    }
    if from == 0 {
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))?;
        if tables > 0 {
            return Err(StoreError::Migration("database has tables but no schema version".into()));
        }
        tx.execute_batch(schema)?;
    } else {
        for step in upgrades.iter().skip(usize::try_from(from - 1).unwrap_or(0)) {
            tx.execute_batch(step)?;
        }
    }
    // user_version cannot be bound as a parameter; `latest` is our own integer.
    // nosemgrep: ci.sql-built-with-format -- `latest` is our own integer; PRAGMAs take no parameters
    tx.execute_batch(&format!("PRAGMA user_version = {latest};"))?;
    tx.commit()?;
    Ok((from, latest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(conn: &Connection) -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare(
                "SELECT m.name, p.name || ' ' || p.type || ' ' || p.\"notnull\" || ' ' || coalesce(p.dflt_value, '')
                 FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.name",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
    }

    fn indexes(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    /// A version-1 file brought up with UPGRADES has the same tables, columns and indexes as a
    /// fresh file made from schema.sql.
    #[test]
    fn upgrades_reach_the_fresh_schema() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate_shop(&mut fresh).unwrap();

        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(shop_schema()).unwrap();
        // Back to version 1: without what the upgrades add.
        old.execute_batch(
            "DROP INDEX outbox_parked; DROP INDEX outbox_pending;
             CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE sent_at IS NULL AND failed = 0;
             ALTER TABLE outbox DROP COLUMN delivery; ALTER TABLE outbox DROP COLUMN parked;
             ALTER TABLE outbox DROP COLUMN stuck_noticed; ALTER TABLE outbox DROP COLUMN last_error;
             ALTER TABLE orders DROP COLUMN gateway_state; ALTER TABLE orders DROP COLUMN checked_at;
             ALTER TABLE orders DROP COLUMN va_bank; ALTER TABLE orders DROP COLUMN va_number;
             ALTER TABLE users DROP COLUMN pending_voucher; ALTER TABLE users DROP COLUMN pending_voucher_at;
             DROP TABLE restock_subscriptions;
             ALTER TABLE products DROP COLUMN price_tiers;
             DROP TABLE product_stars; DROP TABLE stars_payments;
             DROP TABLE warranty_claims; ALTER TABLE products DROP COLUMN warranty_days;
             DROP INDEX stock_expiring; ALTER TABLE stock_items DROP COLUMN reminded_at;
             ALTER TABLE stock_items DROP COLUMN valid_until; ALTER TABLE stock_items DROP COLUMN sell_until;
             PRAGMA user_version = 1;",
        )
        .unwrap();
        assert_eq!(migrate_shop(&mut old).unwrap(), (1, LATEST));
        assert_eq!(columns(&old), columns(&fresh));
        assert_eq!(indexes(&old), indexes(&fresh));
    }
}
