-- Issue 4: workflow templates (versioned DAGs). Built-in templates ship in assets/workflows/ and are
-- not stored here.
CREATE TABLE workflow_templates (
    id                 TEXT PRIMARY KEY,
    owner_id           TEXT NOT NULL REFERENCES users (id),
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    current_version_id TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    deleted_at         TEXT
);
CREATE UNIQUE INDEX workflow_templates_owner_name ON workflow_templates (owner_id, name) WHERE deleted_at IS NULL;

CREATE TABLE workflow_template_versions (
    id          TEXT PRIMARY KEY,
    template_id TEXT NOT NULL REFERENCES workflow_templates (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number >= 1),
    graph       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (template_id, number)
);

-- A run of a template version against a project version. Every transition is committed before its
-- effect is acknowledged, so a restarted process picks up where the last one stopped.
CREATE TABLE workflow_runs (
    id                  TEXT PRIMARY KEY,
    owner_id            TEXT NOT NULL REFERENCES users (id),
    project_id          TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version_id          TEXT NOT NULL REFERENCES project_versions (id) ON DELETE CASCADE,
    template_id         TEXT NOT NULL,
    template_version_id TEXT NOT NULL,
    -- The graph as it was when the run started (templates may change later).
    graph               TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN
                          ('queued', 'running', 'paused', 'waiting_review', 'completed', 'failed', 'cancelled')),
    error               TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    finished_at         TEXT
);
CREATE INDEX workflow_runs_project ON workflow_runs (project_id, created_at DESC);
CREATE INDEX workflow_runs_status ON workflow_runs (status);

CREATE TABLE node_runs (
    id           TEXT PRIMARY KEY,
    run_id       TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    node_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN
                   ('pending', 'running', 'waiting', 'completed', 'failed', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    inputs_hash  TEXT,
    cache_key    TEXT,
    cached       INTEGER NOT NULL DEFAULT 0,
    output       TEXT,
    error        TEXT,
    retryable    INTEGER NOT NULL DEFAULT 0,
    cost_credits INTEGER NOT NULL DEFAULT 0,
    items_total  INTEGER NOT NULL DEFAULT 0,
    items_done   INTEGER NOT NULL DEFAULT 0,
    log          TEXT NOT NULL DEFAULT '',
    started_at   TEXT,
    finished_at  TEXT,
    updated_at   TEXT NOT NULL,
    UNIQUE (run_id, node_id)
);

-- One unit of a fanned-out node (a shot, a dialogue line): done items are never redone after a crash.
CREATE TABLE node_items (
    node_run_id TEXT NOT NULL REFERENCES node_runs (id) ON DELETE CASCADE,
    item_key    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    cache_key   TEXT,
    cached      INTEGER NOT NULL DEFAULT 0,
    output      TEXT,
    error       TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (node_run_id, item_key)
);

-- Outputs by cache key: (kind and version, config, input hashes, provider, model, seed).
CREATE TABLE node_cache (
    cache_key  TEXT PRIMARY KEY,
    output     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Review decisions are append-only: who decided what, when.
CREATE TABLE review_decisions (
    id          TEXT PRIMARY KEY,
    node_run_id TEXT NOT NULL REFERENCES node_runs (id) ON DELETE CASCADE,
    item_key    TEXT NOT NULL,
    asset_id    TEXT,
    decision    TEXT NOT NULL CHECK (decision IN ('approve', 'reject', 'replace', 'select', 'unlock')),
    comment     TEXT NOT NULL DEFAULT '',
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX review_decisions_node ON review_decisions (node_run_id, item_key, created_at);
