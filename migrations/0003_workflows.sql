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
