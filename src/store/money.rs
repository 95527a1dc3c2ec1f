//! Money conservation (issue 12): every rupiah in a balance traces to its source, every completed
//! payment is delivered, parked or credited exactly once, and no goods are given up. Read by
//! `quickcart db check` and counted in `db stats`; the fault and kill tests end with it.

use rusqlite::Connection;

use super::StoreError;

/// One check: a query returning the offending ids, and what it means for people.
struct Rule {
    what: &'static str,
    sql: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        what: "kredit deposit tanpa deposit lunas yang cocok",
        sql: "SELECT l.id FROM ledger l LEFT JOIN orders o ON o.id = l.order_id
              WHERE l.kind = 'deposit' AND NOT (o.id IS NOT NULL AND o.kind = 'deposit' AND o.status = 'paid'
                    AND o.held = 0 AND o.user_id = l.user_id AND l.amount = o.total)",
    },
    Rule {
        what: "kredit pembayaran terlambat tanpa pesanan tertutup yang cocok",
        sql: "SELECT l.id FROM ledger l LEFT JOIN orders o ON o.id = l.order_id
              WHERE l.kind = 'late_payment' AND NOT (o.id IS NOT NULL AND o.status IN ('expired', 'cancelled')
                    AND o.txn_id IS NOT NULL AND o.user_id = l.user_id AND l.amount = o.total)",
    },
    Rule {
        what: "refund tanpa pesanan produk yang direfund",
        sql: "SELECT l.id FROM ledger l LEFT JOIN orders o ON o.id = l.order_id
              WHERE l.kind = 'refund' AND NOT (o.id IS NOT NULL AND o.kind = 'order' AND o.status = 'refunded'
                    AND o.user_id = l.user_id AND l.amount > 0 AND l.amount <= o.total)
                AND l.id NOT IN (SELECT ledger_id FROM warranty_claims WHERE ledger_id IS NOT NULL)",
    },
    Rule {
        what: "refund garansi tanpa klaim yang cocok (pemilik, jumlah, pesanan)",
        sql: "SELECT l.id FROM ledger l JOIN warranty_claims w ON w.ledger_id = l.id LEFT JOIN orders o ON o.id = w.order_id
              WHERE NOT (l.kind = 'refund' AND w.status = 'refunded' AND l.user_id = w.user_id AND l.amount = w.amount
                    AND l.order_id IS NULL AND o.id IS NOT NULL AND o.user_id = w.user_id AND l.amount <= o.total)",
    },
    Rule {
        what: "klaim garansi direfund tanpa tepat satu entri ledger",
        sql: "SELECT w.id FROM warranty_claims w WHERE w.status = 'refunded'
              AND (w.amount IS NULL OR (w.amount > 0) <> (w.ledger_id IS NOT NULL))",
    },
    Rule {
        what: "item pengganti garansi yang tidak terjual tepat sekali di pesanan klaimnya",
        sql: "SELECT w.id FROM warranty_claims w LEFT JOIN stock_items s ON s.id = w.replacement_id
              WHERE w.replacement_id IS NOT NULL AND NOT (s.id IS NOT NULL AND s.status = 'sold'
                    AND s.order_id = w.order_id AND s.product_id = w.product_id AND w.status = 'replaced'
                    AND s.id <> w.item_id)",
    },
    Rule {
        what: "potongan saldo tanpa pembelian SALDO yang cocok",
        sql: "SELECT l.id FROM ledger l LEFT JOIN orders o ON o.id = l.order_id
              WHERE l.kind = 'purchase' AND NOT (o.id IS NOT NULL AND o.kind = 'order' AND o.method = 'saldo'
                    AND o.status IN ('paid', 'refunded') AND o.user_id = l.user_id AND l.amount = -o.total)",
    },
    Rule {
        what: "perubahan saldo oleh admin tanpa admin",
        sql: "SELECT id FROM ledger WHERE kind IN ('admin_transfer', 'admin_edit') AND actor_id IS NULL",
    },
    Rule {
        what: "entri ledger tanpa sumber yang dikenal",
        sql: "SELECT id FROM ledger
              WHERE kind NOT IN ('deposit', 'late_payment', 'refund', 'purchase', 'admin_transfer', 'admin_edit')",
    },
    Rule {
        what: "pesanan dengan lebih dari satu potongan saldo",
        sql: "SELECT order_id FROM ledger WHERE kind = 'purchase' GROUP BY order_id HAVING count(*) > 1",
    },
    Rule {
        what: "pembelian SALDO lunas tanpa potongan saldo",
        sql: "SELECT o.id FROM orders o WHERE o.method = 'saldo' AND o.status IN ('paid', 'refunded') AND o.total > 0
              AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.order_id = o.id AND l.kind = 'purchase')",
    },
    Rule {
        what: "deposit lunas yang tidak dikreditkan",
        sql: "SELECT o.id FROM orders o WHERE o.kind = 'deposit' AND o.status = 'paid' AND o.held = 0
              AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.order_id = o.id AND l.kind = 'deposit')",
    },
    Rule {
        what: "pesanan QRIS lunas tanpa transaksi Pakasir",
        // Stars orders (issue 18) are paid through Telegram: their own rules are in store::stars.
        sql: "SELECT id FROM orders WHERE method = 'qris' AND status IN ('paid', 'refunded') AND txn_id IS NULL
              AND id NOT IN (SELECT order_id FROM stars_payments)",
    },
    Rule {
        what: "pesanan lunas yang jumlah item terjualnya tidak sama dengan jumlah yang dibeli",
        sql: "SELECT o.id FROM orders o WHERE o.kind = 'order' AND o.status = 'paid'
              AND (SELECT count(*) FROM stock_items s WHERE s.order_id = o.id AND s.status = 'sold'
                   AND s.id NOT IN (SELECT replacement_id FROM warranty_claims WHERE replacement_id IS NOT NULL))
                  <> (SELECT coalesce(sum(quantity), 0) FROM order_items i WHERE i.order_id = o.id)",
    },
    Rule {
        what: "pesanan lunas tanpa pengiriman (terkirim, menunggu, atau diparkir)",
        sql: "SELECT o.id FROM orders o WHERE o.kind = 'order' AND o.status = 'paid' AND o.held = 0
              AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.order_id = o.id AND b.delivery = 1 AND b.failed = 0)",
    },
    Rule {
        what: "pengiriman produk yang ditinggalkan",
        sql: "SELECT id FROM outbox WHERE delivery = 1 AND failed = 1",
    },
];

/// The violations found, one line each (empty: the money is conserved).
pub fn violations(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for rule in RULES {
        let mut stmt = conn.prepare(rule.sql)?;
        let ids = stmt.query_map([], |r| r.get::<_, Option<i64>>(0))?.collect::<Result<Vec<_>, _>>()?;
        if !ids.is_empty() {
            let shown: Vec<String> = ids.iter().take(10).map(|id| id.unwrap_or(0).to_string()).collect();
            let more = if ids.len() > 10 { format!(" (+{} lagi)", ids.len() - 10) } else { String::new() };
            out.push(format!("{}: {} [{}{more}]", rule.what, ids.len(), shown.join(", ")));
        }
    }
    for (user, balance, sum) in super::ledger::mismatches(conn)? {
        out.push(format!("saldo pengguna {user} ({balance}) tidak sama dengan jumlah ledger ({sum})"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO users (id, name, bank_id, created_at, updated_at) VALUES (1, 'A', '000001', 0, 0);",
        )
        .unwrap();
        c
    }

    #[test]
    fn a_clean_shop_has_no_violation() {
        assert!(violations(&db()).unwrap().is_empty());
    }

    #[test]
    fn a_credit_without_a_source_is_found() {
        let c = db();
        // A "deposit" credit for an unpaid deposit order, balance moved with it.
        c.execute_batch(
            "INSERT INTO orders (id, invoice_id, user_id, kind, subtotal, total, method, status, expires_at, created_at, updated_at)
                 VALUES (1, 'INV20261125AAAAAA', 1, 'deposit', 100, 100, 'qris', 'pending', 0, 0, 0);
             INSERT INTO ledger (user_id, kind, amount, balance_after, order_id, created_at) VALUES (1, 'deposit', 100, 100, 1, 0);
             UPDATE users SET balance = 100 WHERE id = 1;",
        )
        .unwrap();
        let v = violations(&c).unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].starts_with("kredit deposit"), "{v:?}");
    }

    #[test]
    fn a_refund_of_a_deposit_is_found() {
        let c = db();
        c.execute_batch(
            "INSERT INTO orders (id, invoice_id, user_id, kind, subtotal, total, method, status, txn_id, expires_at, created_at, updated_at)
                 VALUES (1, 'INV20261125AAAAAA', 1, 'deposit', 100, 100, 'qris', 'refunded', 'T1', 0, 0, 0);
             INSERT INTO ledger (user_id, kind, amount, balance_after, order_id, created_at) VALUES (1, 'refund', 80, 80, 1, 0);
             UPDATE users SET balance = 80 WHERE id = 1;",
        )
        .unwrap();
        assert!(violations(&c).unwrap().iter().any(|v| v.starts_with("refund tanpa")));
    }

    #[test]
    fn goods_given_up_are_found() {
        let c = db();
        c.execute_batch(
            "INSERT INTO orders (id, invoice_id, user_id, kind, subtotal, total, method, status, txn_id, expires_at, created_at, updated_at)
                 VALUES (1, 'INV20261125AAAAAA', 1, 'order', 100, 100, 'qris', 'paid', 'T1', 0, 0, 0);
             INSERT INTO outbox (chat_id, kind, payload, order_id, next_attempt_at, created_at, delivery, failed)
                 VALUES (1, 'text', '{}', 1, 0, 0, 1, 1);",
        )
        .unwrap();
        let v = violations(&c).unwrap();
        assert!(v.iter().any(|v| v.starts_with("pengiriman produk yang ditinggalkan")), "{v:?}");
        assert!(v.iter().any(|v| v.starts_with("pesanan lunas tanpa pengiriman")), "{v:?}");
    }
}
