-- Rate limits shared by every replica on this database (issue 16, src/limits/): one cell per
-- limiter and caller, holding GCRA's theoretical arrival time in milliseconds of the database's
-- clock. UNLOGGED: a cell is worth no WAL write per request, and a crash merely refills them.
CREATE UNLOGGED TABLE rate_limit_cells (
    key    TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);
