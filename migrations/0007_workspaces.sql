-- Issue 7: workspaces. Every project (and every other owned row) belongs to a workspace.
--
-- The data tables' `owner_id` columns reference `users (id)`, and migrations are additive (SQLite
-- cannot change a foreign key without rebuilding the table), so a workspace owns data through a row in
-- `users` of kind 'workspace' with the same id: it can't sign in (no password, refused by login) and
-- isn't listed as a person. A person's personal workspace has the person's own id, so every row
-- written before workspaces existed already belongs to its owner's personal workspace.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'workspace'));

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY REFERENCES users (id),
    name        TEXT NOT NULL,
    personal    INTEGER NOT NULL DEFAULT 0 CHECK (personal IN (0, 1)),
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);

CREATE TABLE workspace_members (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'reviewer', 'viewer')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

-- An invitation is a link with a secret token (stored hashed, shown once), optionally bound to an email.
CREATE TABLE workspace_invitations (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'reviewer', 'viewer')),
    token_hash   TEXT NOT NULL UNIQUE,
    invited_by   TEXT NOT NULL REFERENCES users (id),
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    accepted_by  TEXT REFERENCES users (id),
    revoked_at   TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX workspace_invitations_workspace ON workspace_invitations (workspace_id, created_at DESC);

-- Everyone who already exists gets a personal workspace, which owns what they already have.
INSERT INTO workspaces (id, name, personal, created_by, created_at, updated_at)
    SELECT id, 'Personal', 1, id, created_at, created_at FROM users;
INSERT INTO workspace_members (workspace_id, user_id, role, created_at, updated_at)
    SELECT id, id, 'owner', created_at, created_at FROM users;
