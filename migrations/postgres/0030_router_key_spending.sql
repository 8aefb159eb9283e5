-- SQLite's 0030 (INTEGER as BIGINT).

-- A key's router spending, kept up to date as its calls open and finish (src/router/store.rs):
-- what its finished calls cost plus what its open ones hold. A key with a credit budget is
-- checked against it before each call, in the transaction that holds; summing every call the key
-- ever made there grew with the key's age, on the one writer every metered call waits for.
-- A table of the router's own: a write to `api_keys` would make every cached key check stale
-- (src/auth, KeyCache) and, on PostgreSQL, notify every replica, on every call.
CREATE TABLE router_key_spending (
    api_key_id TEXT PRIMARY KEY,
    committed  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO router_key_spending (api_key_id, committed)
SELECT api_key_id, SUM(CASE WHEN status = 'open' THEN held ELSE credits END)
FROM router_requests WHERE api_key_id IS NOT NULL GROUP BY api_key_id;
