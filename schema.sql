-- QuickCart shop schema (shop.db). Applied by versioned migrations (PRAGMA user_version).
-- Money is INTEGER rupiah. Times are INTEGER unix seconds, UTC.
-- The audit log lives in a separate file (audit.db), see src/store/audit_schema.sql.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,              -- Telegram user id
    name            TEXT    NOT NULL DEFAULT 'Anonymous',
    username        TEXT,
    email           TEXT,
    whatsapp        TEXT,
    role            TEXT    NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'reseller', 'admin')),
    bank_id         TEXT    NOT NULL UNIQUE CHECK (length(bank_id) = 6),
    balance         INTEGER NOT NULL DEFAULT 0 CHECK (typeof(balance) = 'integer' AND balance >= 0),
    banned          INTEGER NOT NULL DEFAULT 0 CHECK (banned IN (0, 1)),
    blocked_until   INTEGER,                          -- abuse escalation
    bot_blocked     INTEGER NOT NULL DEFAULT 0 CHECK (bot_blocked IN (0, 1)), -- user blocked the bot (403)
    erased          INTEGER NOT NULL DEFAULT 0 CHECK (erased IN (0, 1)),
    onboarded       INTEGER NOT NULL DEFAULT 0 CHECK (onboarded IN (0, 1)),
    refund_claims   INTEGER NOT NULL DEFAULT 0 CHECK (refund_claims >= 0),
    last_voucher_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    pending_voucher    TEXT,                          -- code from a voucher link (/start v_CODE) for the next checkout
    pending_voucher_at INTEGER                        -- when it was set (it expires)
);

CREATE TABLE categories (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    discount_kind   TEXT    CHECK (discount_kind IN ('percent', 'nominal')),
    discount_value  INTEGER NOT NULL DEFAULT 0 CHECK (typeof(discount_value) = 'integer' AND discount_value >= 0),
    CHECK (discount_kind IS NOT 'percent' OR discount_value <= 100)
);

CREATE TABLE products (
    id              INTEGER PRIMARY KEY CHECK (id > 0),  -- chosen by the admin
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    category_id     INTEGER REFERENCES categories(id) ON UPDATE CASCADE,  -- NULL = Tanpa Kategori
    price           INTEGER NOT NULL CHECK (typeof(price) = 'integer' AND price > 0),
    reseller_price  INTEGER CHECK (reseller_price IS NULL OR (typeof(reseller_price) = 'integer' AND reseller_price > 0)),
    discount_kind   TEXT    CHECK (discount_kind IN ('percent', 'nominal')),
    discount_value  INTEGER NOT NULL DEFAULT 0 CHECK (typeof(discount_value) = 'integer' AND discount_value >= 0),
    sold_count      INTEGER NOT NULL DEFAULT 0 CHECK (sold_count >= 0),
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    price_tiers     TEXT,  -- bulk prices `5=10,10=15` (from 5 items 10 % off, ...); NULL = none
    -- issue 18: days of warranty from delivery (0 = none)
    warranty_days   INTEGER NOT NULL DEFAULT 0 CHECK (typeof(warranty_days) = 'integer' AND warranty_days >= 0),
    CHECK (discount_kind IS NOT 'percent' OR discount_value <= 100)
);
CREATE INDEX products_active ON products(active, id);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    invoice_id      TEXT    NOT NULL UNIQUE,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    kind            TEXT    NOT NULL CHECK (kind IN ('order', 'deposit')),
    subtotal        INTEGER NOT NULL CHECK (typeof(subtotal) = 'integer' AND subtotal >= 0),
    voucher_id      INTEGER REFERENCES vouchers(id),
    voucher_discount INTEGER NOT NULL DEFAULT 0 CHECK (typeof(voucher_discount) = 'integer' AND voucher_discount >= 0),
    fee             INTEGER NOT NULL DEFAULT 0 CHECK (typeof(fee) = 'integer' AND fee >= 0),
    total           INTEGER NOT NULL CHECK (typeof(total) = 'integer' AND total >= 0),
    method          TEXT    NOT NULL CHECK (method IN ('qris', 'saldo')),
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'paid', 'expired', 'cancelled', 'refunded')),
    txn_id          TEXT    UNIQUE,                   -- Pakasir transaction id
    qr_string       TEXT,
    chat_id         INTEGER,                          -- where the invoice message is
    message_id      INTEGER,
    risk            TEXT    NOT NULL DEFAULT 'none' CHECK (risk IN ('none', 'flag', 'review', 'block')),
    held            INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1)),  -- delivery held for review
    expires_at      INTEGER NOT NULL,
    paid_at         INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    -- what Pakasir last said of a closed order's transaction ('canceled' ends reconciliation)
    gateway_state   TEXT,
    -- when the reconciliation pass last asked Pakasir about this closed order
    checked_at      INTEGER,
    -- a bank transfer (issue 17): Pakasir's method ('bri_va', ...) and the virtual account
    -- number; NULL for QRIS (method 'qris' is every payment through Pakasir) and SALDO
    va_bank         TEXT,
    va_number       TEXT,
    CHECK (total = subtotal - voucher_discount)
);
-- At most one pending order per user.
CREATE UNIQUE INDEX orders_one_pending_per_user ON orders(user_id) WHERE status = 'pending';
CREATE INDEX orders_user ON orders(user_id, created_at);
CREATE INDEX orders_status ON orders(status, expires_at);

CREATE TABLE order_items (
    order_id        INTEGER NOT NULL REFERENCES orders(id),
    product_id      INTEGER NOT NULL REFERENCES products(id) ON UPDATE CASCADE,
    product_name    TEXT    NOT NULL,                 -- kept readable after /del or /editid
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_price      INTEGER NOT NULL CHECK (typeof(unit_price) = 'integer' AND unit_price >= 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE stock_items (
    id              INTEGER PRIMARY KEY,
    product_id      INTEGER NOT NULL REFERENCES products(id) ON UPDATE CASCADE,
    content         TEXT    NOT NULL CHECK (length(content) > 0),
    status          TEXT    NOT NULL DEFAULT 'available'
                    CHECK (status IN ('available', 'reserved', 'sold', 'deleted')),
    order_id        INTEGER REFERENCES orders(id),    -- one column: an item belongs to at most one order
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    -- issue 18: an item dated with [s/d YYYY-MM-DD] is valid until valid_until (end of that WIB
    -- day, UTC) and offered only while sell_until (valid_until − invoice lifetime) lies ahead
    valid_until     INTEGER,
    sell_until      INTEGER,
    -- the one reminder its buyer gets before it expires (NULL = not sent yet)
    reminded_at     INTEGER,
    -- reserved and sold items have an order, available and deleted ones have none
    CHECK ((status IN ('reserved', 'sold')) = (order_id IS NOT NULL))
);
CREATE INDEX stock_available ON stock_items(product_id, status, id);
CREATE INDEX stock_order ON stock_items(order_id) WHERE order_id IS NOT NULL;
-- The daily expiring-stock note (issue 18) reads the dated items on sale by sell-by.
CREATE INDEX stock_expiring ON stock_items(sell_until) WHERE valid_until IS NOT NULL AND status = 'available';
-- No duplicate live content per product (duplicates are skipped on /addstock).
CREATE UNIQUE INDEX stock_unique_live ON stock_items(product_id, content) WHERE status IN ('available', 'reserved');

CREATE TABLE ledger (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    kind            TEXT    NOT NULL CHECK (kind IN ('deposit', 'purchase', 'refund', 'voucher',
                                                     'admin_transfer', 'admin_edit', 'late_payment')),
    amount          INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount <> 0),
    balance_after   INTEGER NOT NULL CHECK (balance_after >= 0),
    order_id        INTEGER REFERENCES orders(id),
    note            TEXT,
    actor_id        INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX ledger_user ON ledger(user_id, id);
-- A late payment is credited once per order.
CREATE UNIQUE INDEX ledger_once_per_order ON ledger(order_id, kind) WHERE kind IN ('late_payment', 'deposit', 'refund');

CREATE TABLE vouchers (
    id              INTEGER PRIMARY KEY,
    code            TEXT    NOT NULL UNIQUE CHECK (length(code) = 8),
    amount          INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount BETWEEN 1000 AND 1000000),
    created_by      INTEGER,
    expires_at      INTEGER NOT NULL,
    reserved_order  INTEGER REFERENCES orders(id),    -- held by a pending order
    used_by         INTEGER REFERENCES users(id),
    used_order      INTEGER UNIQUE REFERENCES orders(id),
    used_at         INTEGER,
    created_at      INTEGER NOT NULL
);

CREATE TABLE refund_claims (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders(id),
    user_id         INTEGER NOT NULL REFERENCES users(id),
    days_used       INTEGER NOT NULL CHECK (days_used >= 0),
    amount          INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount >= 0),
    status          TEXT    NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'rejected')),
    decided_by      INTEGER,
    decided_at      INTEGER,
    created_at      INTEGER NOT NULL
);
-- One open or approved claim per order.
CREATE UNIQUE INDEX refund_claims_open ON refund_claims(order_id) WHERE status IN ('requested', 'approved');

-- issue 18: warranty claims on delivered items. One open claim per item; a transition is one
-- guarded UPDATE. A replacement item (sold, in the claimed order) is linked to exactly one
-- claim; a refund credits one ledger row.
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
CREATE INDEX warranty_claims_waiting ON warranty_claims(product_id, id) WHERE status = 'waiting';

CREATE TABLE groups (
    chat_id         INTEGER PRIMARY KEY,
    added_by        INTEGER,
    created_at      INTEGER NOT NULL
);

CREATE TABLE settings (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Scheduled work that must survive restarts (payment expiry, retries).
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    ref_id          INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    done            INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    created_at      INTEGER NOT NULL,
    UNIQUE (kind, ref_id)
);
CREATE INDEX jobs_due ON jobs(done, due_at);

-- Messages that must reach Telegram (deliveries, notifications); sent and retried by the outbox worker.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    kind            TEXT    NOT NULL,                  -- text | document | photo | copy
    payload         TEXT    NOT NULL,                  -- JSON
    order_id        INTEGER REFERENCES orders(id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    failed          INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),
    created_at      INTEGER NOT NULL,
    -- the goods of a paid order (never given up: retried, or parked while the buyer blocks us)
    delivery        INTEGER NOT NULL DEFAULT 0 CHECK (delivery IN (0, 1)),
    -- waits for the chat to talk to the bot again (it blocked the bot or is gone)
    parked          INTEGER NOT NULL DEFAULT 0 CHECK (parked IN (0, 1)),
    -- admins were told this row is stuck
    stuck_noticed   INTEGER NOT NULL DEFAULT 0 CHECK (stuck_noticed IN (0, 1)),
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE sent_at IS NULL AND failed = 0 AND parked = 0;
CREATE INDEX outbox_parked ON outbox(chat_id) WHERE parked = 1;

CREATE TABLE broadcasts (
    id              INTEGER PRIMARY KEY,
    admin_id        INTEGER NOT NULL,
    kind            TEXT    NOT NULL,                  -- text | copy | giveaway | restock
    payload         TEXT    NOT NULL,                  -- JSON
    progress_chat   INTEGER,
    progress_message INTEGER,
    status          TEXT    NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done')),
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);

CREATE TABLE broadcast_recipients (
    broadcast_id    INTEGER NOT NULL REFERENCES broadcasts(id),
    user_id         INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (broadcast_id, user_id)
) WITHOUT ROWID;
CREATE INDEX broadcast_pending ON broadcast_recipients(broadcast_id, status);

-- Restock alerts ([Kabari saya] on a sold-out card): who waits for which product. Rows end when
-- stock arrives (in the transaction that queues the alert) or when the user is erased.
CREATE TABLE restock_subscriptions (
    product_id      INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (product_id, user_id)
) WITHOUT ROWID;
CREATE INDEX restock_subscriptions_user ON restock_subscriptions(user_id);

-- Telegram Stars (issue 18 point 7): a product's own price in Stars, and the Stars side of an
-- order paid (or to be paid) in Stars. The order row keeps its rupiah total from the pricing
-- function; `stars` is what the invoice asked; `charge_id` is Telegram's
-- telegram_payment_charge_id, set once when the payment is applied (UNIQUE: a payment is
-- applied once); `refunded_at` when refundStarPayment answered true.
CREATE TABLE product_stars (
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
);

-- Forwarded KIRIM PESAN messages: which admin-side message belongs to which user.
CREATE TABLE relay (
    admin_chat_id   INTEGER NOT NULL,
    admin_message_id INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (admin_chat_id, admin_message_id)
) WITHOUT ROWID;

-- Payment anomaly bookkeeping and other security events that the shop needs to query.
CREATE TABLE security_events (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER,
    kind            TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL
);
CREATE INDEX security_events_user ON security_events(user_id, kind, created_at);

-- @audit ------------------------------------------------------------------------------------------
-- Everything below this marker is the schema of audit.db (a separate encrypted file).
-- Append-only: triggers refuse UPDATE and DELETE. hash = SHA-256(prev_hash || canonical row).

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,                 -- unix seconds, UTC
    actor_id        INTEGER,
    actor_type      TEXT    NOT NULL CHECK (actor_type IN ('user', 'admin', 'system', 'pakasir')),
    action          TEXT    NOT NULL,
    entity_type     TEXT    NOT NULL DEFAULT '',
    entity_id       TEXT    NOT NULL DEFAULT '',
    before          TEXT,                             -- JSON, ids not personal data
    after           TEXT,                             -- JSON
    metadata        TEXT    NOT NULL DEFAULT '{}',
    correlation_id  TEXT    NOT NULL DEFAULT '',
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL UNIQUE
);
CREATE INDEX audit_actor ON audit_log(actor_id, id);
CREATE INDEX audit_action ON audit_log(action, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
