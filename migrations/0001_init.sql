-- Accounts: on desktop there is one local owner; on a server, registered users (see issue 7).
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    email         TEXT UNIQUE,
    password_hash TEXT,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- API keys are stored as a SHA-256 of the secret (the secret is shown once); the prefix identifies them.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE projects (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    aspect_ratio TEXT NOT NULL DEFAULT '9:16' CHECK (aspect_ratio IN ('9:16', '16:9', '1:1')),
    style        TEXT,
    status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'in_progress', 'completed')),
    script       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    -- Soft delete: a deleted project leaves every list but can be restored (undo).
    deleted_at   TEXT
);
CREATE INDEX projects_owner_listing ON projects (owner_id, deleted_at, updated_at DESC);

-- Instance-wide settings (the token signing secret, the local owner's id, ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
