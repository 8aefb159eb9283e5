-- Issue 6: the credit ledger (docs/API-LEDGER.md). Double entry: every movement is a transfer
-- between two accounts; each transfer writes exactly two entries (one −amount, one +amount).
-- Entries and transfers are append-only (triggers below); corrections are new transfers. An
-- account's `balance` is a projection of its entries, updated in the same transaction, and can be
-- recomputed at any time.

CREATE TABLE ledger_accounts (
    -- 'wallet:<user>', 'held:<user>', or a system account ('system:issuance', 'system:revenue', ...)
    id               TEXT PRIMARY KEY,
    owner_id         TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('wallet', 'held', 'issuance', 'revenue', 'suspense')),
    -- Only the issuance account (where credit comes from) may be negative.
    may_go_negative  INTEGER NOT NULL DEFAULT 0,
    balance          INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    CHECK (may_go_negative = 1 OR balance >= 0)
);
CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner_id);

INSERT INTO ledger_accounts (id, owner_id, kind, may_go_negative, balance, created_at) VALUES
    ('system:issuance', NULL, 'issuance', 1, 0, '2026-01-01T00:00:00.000Z'),
    ('system:revenue',  NULL, 'revenue',  0, 0, '2026-01-01T00:00:00.000Z'),
    ('system:suspense', NULL, 'suspense', 1, 0, '2026-01-01T00:00:00.000Z');

CREATE TABLE ledger_transfers (
    id             TEXT PRIMARY KEY,
    -- The idempotency key: a retry with the same key and the same fields returns the first result;
    -- with different fields it is rejected.
    key            TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    debit_account  TEXT NOT NULL REFERENCES ledger_accounts (id),
    credit_account TEXT NOT NULL REFERENCES ledger_accounts (id),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    owner_id       TEXT,
    hold_id        TEXT,
    -- A correction names the transfer it compensates (reconciliation auto-fix).
    corrects       TEXT,
    description    TEXT NOT NULL DEFAULT '',
    fingerprint    TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    CHECK (debit_account <> credit_account)
);
CREATE INDEX ledger_transfers_owner ON ledger_transfers (owner_id, created_at);
CREATE INDEX ledger_transfers_hold ON ledger_transfers (hold_id);

CREATE TABLE ledger_entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    transfer_id   TEXT NOT NULL REFERENCES ledger_transfers (id),
    account_id    TEXT NOT NULL REFERENCES ledger_accounts (id),
    -- Signed: + credits the account, − debits it.
    amount        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_transfer ON ledger_entries (transfer_id);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;

-- Two-phase spend: a hold moves the estimate wallet → held; it resolves exactly once, by a settle
-- (charge held → revenue, the rest back to the wallet) or a void (everything back). A hold is also the
-- usage record of the work it pays for (a zero-cost hold moves nothing but is still recorded).
CREATE TABLE ledger_holds (
    id           TEXT PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    owner_id     TEXT NOT NULL,
    -- What was asked for (the estimate) and what was actually moved to held (0 when waived).
    estimate     INTEGER NOT NULL CHECK (estimate >= 0),
    amount       INTEGER NOT NULL CHECK (amount >= 0 AND amount <= estimate),
    purpose      TEXT NOT NULL CHECK (purpose IN ('node_run', 'export', 'job')),
    work_id      TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    meta         TEXT NOT NULL DEFAULT '{}',
    -- Why nothing is charged ('member'), when so.
    waived       TEXT,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'settled', 'voided')),
    -- The work's actual cost (list price) and what was charged for it.
    actual       INTEGER,
    charged      INTEGER,
    reason       TEXT,
    -- The process that holds it: after a restart, holds of a dead process are swept.
    holder       TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    resolved_at  TEXT,
    CHECK (charged IS NULL OR (charged >= 0 AND charged <= amount))
);
CREATE INDEX ledger_holds_owner ON ledger_holds (owner_id, created_at);
CREATE INDEX ledger_holds_pending ON ledger_holds (status, expires_at);
CREATE INDEX ledger_holds_work ON ledger_holds (purpose, work_id);

CREATE TRIGGER ledger_holds_resolve_once BEFORE UPDATE ON ledger_holds
WHEN OLD.status <> 'pending'
BEGIN SELECT RAISE(ABORT, 'a hold resolves exactly once'); END;
CREATE TRIGGER ledger_holds_no_delete BEFORE DELETE ON ledger_holds
BEGIN SELECT RAISE(ABORT, 'holds are never deleted'); END;

-- Memberships (monthly / quarterly / yearly; members are not charged) and subscription tiers (a
-- monthly quota). One active row of each kind per user; a change adds a row.
CREATE TABLE billing_plans (
    id                   TEXT PRIMARY KEY,
    owner_id             TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('membership', 'subscription')),
    tier                 TEXT NOT NULL,
    billing_cycle        TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('active', 'replaced', 'cancelled')),
    quota_total          INTEGER NOT NULL DEFAULT 0,
    price_credits        INTEGER NOT NULL DEFAULT 0,
    purchase_transfer_id TEXT,
    starts_at            TEXT NOT NULL,
    ends_at              TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX billing_plans_owner ON billing_plans (owner_id, kind, status);
