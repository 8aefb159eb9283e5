-- SQLite's 0030 (INTEGER as BIGINT).

-- A key's router spending, kept up to date as its calls open and finish (src/router/store.rs):
-- what its finished calls cost plus what its open ones hold. A key with a credit budget is
-- checked against it before each call, in the transaction that holds; summing every call the key
-- ever made there grew with the key's age, on the one writer every metered call waits for.
ALTER TABLE api_keys ADD COLUMN router_committed BIGINT NOT NULL DEFAULT 0;
UPDATE api_keys SET router_committed = (
    SELECT COALESCE(SUM(CASE WHEN status = 'open' THEN held ELSE credits END), 0)
    FROM router_requests WHERE api_key_id = api_keys.id
);
