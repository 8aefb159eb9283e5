-- Issue 20: sharing from the desktop, and the desktop's sign-in through the system browser.

-- Server: a link may show a video of the project directly (the exported video a desktop synced,
-- docs/API-SHARES.md, "From the desktop") instead of one of the server's own exports.
ALTER TABLE shares ADD COLUMN video_asset_id TEXT;
-- The client's Idempotency-Key: a repeated request returns the first link instead of a second.
ALTER TABLE shares ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX shares_request_key ON shares (workspace_id, request_key) WHERE request_key IS NOT NULL;

-- Desktop: shares asked for on this computer, sent to the team server when it can be reached.
CREATE TABLE share_queue (
    id                 TEXT PRIMARY KEY,
    owner_id           TEXT NOT NULL,
    project_id         TEXT NOT NULL,
    export_id          TEXT NOT NULL,
    include_storyboard INTEGER NOT NULL DEFAULT 0 CHECK (include_storyboard IN (0, 1)),
    expires_at         TEXT,
    -- The password itself waits in the secret store (never in the database).
    has_password       INTEGER NOT NULL DEFAULT 0 CHECK (has_password IN (0, 1)),
    -- queued | sending | shared | failed | cancelled (src/shares/queue.rs, QueuedShareState)
    status             TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    next_try_at        TEXT,
    -- The server's link, once made.
    share_id           TEXT,
    url                TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX share_queue_status ON share_queue (status, next_try_at);

-- Server: a desktop's sign-in through the system browser (RFC 8252). The sign-in remembers the
-- desktop's loopback address and its challenge; the callback hands the desktop a one-time code,
-- which only the holder of the challenge's verifier can exchange for a session.
ALTER TABLE oauth_states ADD COLUMN desktop_redirect TEXT;
ALTER TABLE oauth_states ADD COLUMN desktop_challenge TEXT;
CREATE TABLE oauth_handoffs (
    -- SHA-256 (hex) of the one-time code: the code itself is never stored.
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    challenge  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
