-- Rate limits shared by every replica on this database (issue 16, src/limits/): one cell per
-- limiter and caller, holding GCRA's theoretical arrival time in milliseconds of the database's
-- clock. UNLOGGED: a cell is worth no WAL write per request, and a crash merely refills them.
CREATE UNLOGGED TABLE rate_limit_cells (
    key    TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);

-- A committed change to an API key or a user tells every replica at once (LISTEN on
-- storyloom_credentials, src/db/postgres.rs), so each drops the key checks it cached: a key revoked
-- or a user suspended on one replica stops working on all of them, not after the cache's maximum
-- age. NOTIFY is delivered at commit, and not at all on rollback.
CREATE FUNCTION storyloom_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('storyloom_credentials', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify_replicas AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION storyloom_credentials_changed();
CREATE TRIGGER users_notify_replicas AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION storyloom_credentials_changed();
