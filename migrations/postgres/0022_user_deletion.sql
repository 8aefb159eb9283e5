-- Deleting an account (docs/API-CONVENTIONS.md, the `/users/{id}` row): the row stays, so the ledger's
-- history, the projects and the audit trail keep their owner; it is marked deleted, its sign-in
-- names are freed and every credential stops. A deleted person is not found by id, by name or in
-- the admin's list.
ALTER TABLE users ADD COLUMN deleted_at TEXT;
