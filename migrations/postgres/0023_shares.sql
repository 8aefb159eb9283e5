-- Share links (docs/API-SHARES.md): the same table as SQLite's 0023 (INTEGER is BIGINT here, as in
-- the baseline). Rows are never deleted: a revoked or expired link keeps answering 410.
CREATE TABLE shares (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL,
    project_id         TEXT NOT NULL,
    -- The version whose storyboard is shown (the export's, else the project's current one).
    version_id         TEXT,
    export_id          TEXT,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    expires_at         TEXT,
    -- Argon2id, like sign-in passwords; NULL: no password.
    password_hash      TEXT,
    include_storyboard BIGINT NOT NULL DEFAULT 0 CHECK (include_storyboard IN (0, 1)),
    revoked_at         TEXT,
    view_count         BIGINT NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    last_viewed_at     TEXT
);
CREATE INDEX shares_workspace ON shares (workspace_id, created_at);
