-- Coupons (issue 18, seed 003 §9; docs/API-PAYMENTS.md, "Coupons"). A coupon is applied to an
-- order when the order is made, in the order's transaction: its use is counted against
-- `max_usage` by one conditional update, and given back if the order expires or fails.
CREATE TABLE coupons (
    id              TEXT PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    -- discount: `value` percent off; deduction: `value` cents off; credit_bonus: `value` credits more.
    kind            TEXT NOT NULL CHECK (kind IN ('discount', 'deduction', 'credit_bonus')),
    value           INTEGER NOT NULL CHECK (value > 0),
    min_amount_cents INTEGER NOT NULL DEFAULT 0 CHECK (min_amount_cents >= 0),
    max_usage       INTEGER NOT NULL CHECK (max_usage > 0),
    used_count      INTEGER NOT NULL DEFAULT 0 CHECK (used_count >= 0 AND used_count <= max_usage),
    valid_from      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at      TEXT NOT NULL
);

-- A person's coupons: claimed (unused), held by an open order (reserved), used, or given back.
CREATE TABLE coupon_claims (
    coupon_id  TEXT NOT NULL REFERENCES coupons (id),
    owner_id   TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('unused', 'reserved', 'used')),
    order_id   TEXT,
    claimed_at TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (coupon_id, owner_id)
);
CREATE INDEX coupon_claims_owner ON coupon_claims (owner_id, status);

ALTER TABLE payment_orders ADD COLUMN coupon_id TEXT;
-- The price before the coupon, and what the coupon took off or added.
ALTER TABLE payment_orders ADD COLUMN list_amount_cents INTEGER;
ALTER TABLE payment_orders ADD COLUMN discount_cents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payment_orders ADD COLUMN bonus_credits INTEGER NOT NULL DEFAULT 0;
