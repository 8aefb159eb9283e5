-- Issue 15 item 9: a ledger entry's id no longer comes from AUTOINCREMENT, whose counter row in
-- `sqlite_sequence` was one more b-tree page written by every transfer. Entries are never deleted
-- (trigger `ledger_entries_no_delete`), so a plain rowid takes the same values: the largest id
-- plus one, in the order of insertion, never reused. Same columns, indexes and triggers.
CREATE TABLE ledger_entries_new (
    id            INTEGER PRIMARY KEY,
    transfer_id   TEXT NOT NULL REFERENCES ledger_transfers (id),
    account_id    TEXT NOT NULL REFERENCES ledger_accounts (id),
    -- Signed: + credits the account, − debits it.
    amount        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
INSERT INTO ledger_entries_new (id, transfer_id, account_id, amount, balance_after, created_at)
SELECT id, transfer_id, account_id, amount, balance_after, created_at FROM ledger_entries ORDER BY id;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;
DELETE FROM sqlite_sequence WHERE name = 'ledger_entries';
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_transfer ON ledger_entries (transfer_id);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
