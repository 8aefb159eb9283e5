-- Payments (issue 18, docs/API-PAYMENTS.md): orders paid at a gateway, and every gateway event
-- applied to them. An order's credit, its state and its event row commit in one transaction.

-- `out_trade_no` is what the gateway knows the order by (32 characters: within Alipay's 64 and
-- WeChat Pay's 32). States and their transitions: src/payments/status.rs.
CREATE TABLE payment_orders (
    id               TEXT PRIMARY KEY,
    out_trade_no     TEXT NOT NULL UNIQUE,
    owner_id         TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('recharge', 'membership')),
    -- recharge: 'credits'; membership: its type (monthly, quarterly, yearly).
    product          TEXT NOT NULL,
    gateway          TEXT NOT NULL CHECK (gateway IN ('alipay', 'wechat', 'stripe', 'sandbox')),
    amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
    currency         TEXT NOT NULL,
    credits          INTEGER NOT NULL CHECK (credits >= 0),
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'paid', 'expired', 'failed', 'refunded')),
    payment_url      TEXT,
    -- Stripe's Checkout Session id (its queries are by session, not by our number).
    gateway_ref      TEXT,
    -- The gateway's own number for the payment, once paid.
    gateway_trade_no TEXT,
    transfer_id      TEXT,
    plan_id          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    paid_at          TEXT
);
CREATE INDEX payment_orders_owner ON payment_orders (owner_id, created_at);
CREATE INDEX payment_orders_open ON payment_orders (status, created_at);

-- One row per gateway event applied (or refused after verification): a repeated notification
-- finds its row and is answered the same way without crediting again.
CREATE TABLE payment_events (
    gateway     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    -- What the event did: credited, already_paid, failed, ignored.
    outcome     TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('callback', 'query', 'sandbox')),
    received_at TEXT NOT NULL,
    PRIMARY KEY (gateway, event_id)
);
CREATE INDEX payment_events_order ON payment_events (order_id);
