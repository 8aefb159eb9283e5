-- Issue 19: sync between desktops and their team server (docs/SYNC.md). Both sides keep
-- `sync_fields`; the server keeps the change log, its clients and what it set aside; the desktop
-- keeps its links and its outbox.

-- The merge state: every synced field's last value (JSON) and its stamp (docs/SYNC.md, "Stamps").
-- A row's edits are found by comparing it with these values; a tombstone is the field `_deleted`.
CREATE TABLE sync_fields (
    entity     TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    field      TEXT NOT NULL,
    project_id TEXT NOT NULL,
    value      TEXT NOT NULL,
    stamp      TEXT NOT NULL,
    -- Who wrote it (a person's id), when known.
    author     TEXT,
    PRIMARY KEY (entity, row_id, field)
);
CREATE INDEX sync_fields_project ON sync_fields (project_id, entity, row_id);

-- Server: a project's sync state. Every write to a project's change log first updates this row, so
-- writers of one project take turns and its cursors are in commit order.
CREATE TABLE sync_projects (
    project_id   TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    touched_at   TEXT NOT NULL
);

-- Server: the change log; `cursor` is what clients pull after.
CREATE TABLE sync_changes (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL,
    entity     TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT NOT NULL,
    stamp      TEXT NOT NULL,
    author     TEXT
);
CREATE INDEX sync_changes_project ON sync_changes (project_id, cursor);

-- Server: each desktop that pushes, and the last of its mutations applied (or rejected).
CREATE TABLE sync_clients (
    client_id    TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    last_counter INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);

-- Server: how far each client has pulled each project (the log is pruned only behind all of them).
CREATE TABLE sync_client_cursors (
    client_id  TEXT NOT NULL,
    project_id TEXT NOT NULL,
    cursor     INTEGER NOT NULL,
    seen_at    TEXT NOT NULL,
    PRIMARY KEY (client_id, project_id)
);

-- Server: mutations refused for good (the client's counter still advanced past them).
CREATE TABLE sync_rejections (
    client_id   TEXT NOT NULL,
    counter     INTEGER NOT NULL,
    mutation_id TEXT NOT NULL,
    project_id  TEXT,
    reason      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (client_id, counter)
);

-- Both: concurrent edits of one field with different values: what was kept and what was set aside.
CREATE TABLE sync_conflicts (
    id               TEXT PRIMARY KEY,
    project_id       TEXT NOT NULL,
    entity           TEXT NOT NULL,
    row_id           TEXT NOT NULL,
    field            TEXT NOT NULL,
    kept_value       TEXT NOT NULL,
    kept_stamp       TEXT NOT NULL,
    kept_by          TEXT,
    set_aside_value  TEXT NOT NULL,
    set_aside_stamp  TEXT NOT NULL,
    set_aside_by     TEXT,
    reason           TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX sync_conflicts_project ON sync_conflicts (project_id, created_at);

-- Both: a project's append-only events (review decisions, from whichever side made them), by
-- id; never updated or overwritten by sync.
CREATE TABLE sync_events (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    author     TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX sync_events_project ON sync_events (project_id, created_at);

-- Desktop: a local project linked to a workspace on the signed-in team server.
CREATE TABLE sync_links (
    project_id     TEXT PRIMARY KEY,
    server_url     TEXT NOT NULL,
    workspace_id   TEXT NOT NULL,
    -- The last change pulled; NULL: take a snapshot next.
    cursor         INTEGER,
    last_error     TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    next_try_at    TEXT,
    last_synced_at TEXT,
    -- The workspace's available credits on the server, as last pulled (read-only here; NULL when
    -- this person may not see the workspace's billing).
    balance        INTEGER,
    linked_at      TEXT NOT NULL
);

-- Desktop: edits not yet acknowledged by the server, in the order they go.
CREATE TABLE sync_outbox (
    counter     INTEGER PRIMARY KEY,
    mutation_id TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL,
    entity      TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    -- {field: {value, stamp, base_stamp, base?}}
    fields      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX sync_outbox_row ON sync_outbox (project_id, entity, row_id);
