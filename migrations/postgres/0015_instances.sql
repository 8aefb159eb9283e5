-- Server processes on this database (issue 16: several replicas on one PostgreSQL). Each process
-- registers itself at start and beats every few seconds; one whose beat is older than the lease is
-- gone, and its work (workflow runs it drove, holds it took) is taken over by a live one.
CREATE TABLE instances (
    id           TEXT PRIMARY KEY,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);

-- The process driving a run (NULL: none). A live process claims a run whose driver is gone.
ALTER TABLE workflow_runs ADD COLUMN driver_id TEXT;

-- The process encoding an export (NULL: none), claimed the same way.
ALTER TABLE exports ADD COLUMN worker_id TEXT;
