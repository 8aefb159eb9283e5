-- Issue 3: versions, script, breakdown (scenes, shots), characters, assets, prompt templates.

-- A version is a snapshot of script + breakdown + chosen assets. One is current.
CREATE TABLE project_versions (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number            INTEGER NOT NULL CHECK (number >= 1),
    parent_version_id TEXT REFERENCES project_versions (id),
    note              TEXT NOT NULL DEFAULT '',
    metadata          TEXT NOT NULL DEFAULT '{}',
    stage             TEXT NOT NULL DEFAULT 'DRAFT',
    script_text       TEXT NOT NULL DEFAULT '',
    -- Bumped by every script save: a save based on an older revision is refused (two windows).
    script_revision   INTEGER NOT NULL DEFAULT 0,
    script_asset_id   TEXT,
    -- The parser's output (title, episodes, notes, warnings...) as JSON; scenes and shots live in tables.
    breakdown         TEXT,
    parsed_at         TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (project_id, number)
);

ALTER TABLE projects ADD COLUMN current_version_id TEXT;

CREATE TABLE characters (
    id                   TEXT PRIMARY KEY,
    project_id           TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    voice                TEXT,
    -- proposed: found by the parser, not yet accepted; confirmed: accepted or created by hand.
    status               TEXT NOT NULL DEFAULT 'confirmed' CHECK (status IN ('proposed', 'confirmed')),
    image_asset_id       TEXT,
    -- {seed, palette, reference_asset_ids, provider, model_id}
    consistency_profile  TEXT NOT NULL DEFAULT '{}',
    consistency_model_id TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    deleted_at           TEXT
);
-- Names are unique per project among live characters (case-insensitive), so the parser never duplicates.
CREATE UNIQUE INDEX characters_project_name ON characters (project_id, lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE scenes (
    id            TEXT PRIMARY KEY,
    version_id    TEXT NOT NULL REFERENCES project_versions (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    episode       INTEGER,
    heading       TEXT,
    source_number TEXT,
    location      TEXT,
    time_of_day   TEXT,
    int_ext       TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX scenes_version ON scenes (version_id, number);

-- A shot is an item of `/storyboards` in the API. order_key is a fractional index: moving a shot
-- rewrites one row.
CREATE TABLE shots (
    id                TEXT PRIMARY KEY,
    version_id        TEXT NOT NULL REFERENCES project_versions (id) ON DELETE CASCADE,
    scene_id          TEXT NOT NULL REFERENCES scenes (id),
    order_key         TEXT NOT NULL,
    kind              TEXT NOT NULL DEFAULT 'action' CHECK (kind IN ('action', 'dialogue')),
    description       TEXT NOT NULL DEFAULT '',
    dialogue          TEXT NOT NULL DEFAULT '[]',
    character_ids     TEXT NOT NULL DEFAULT '[]',
    shot_type         TEXT,
    camera_move       TEXT,
    duration_ms       INTEGER NOT NULL DEFAULT 3000 CHECK (duration_ms > 0),
    status            TEXT NOT NULL DEFAULT 'pending',
    keyframe_asset_id TEXT,
    clip_asset_id     TEXT,
    -- 'parser' shots carry the parser's fingerprint; 'manual' shots were made or changed by hand.
    source            TEXT NOT NULL DEFAULT 'parser' CHECK (source IN ('parser', 'manual')),
    fingerprint       TEXT,
    edited            INTEGER NOT NULL DEFAULT 0,
    -- Placed by hand (dragged): keeps its place when the script is re-parsed.
    moved             INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    deleted_at        TEXT
);
CREATE INDEX shots_version_order ON shots (version_id, deleted_at, order_key);

CREATE TABLE assets (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users (id),
    project_id  TEXT REFERENCES projects (id) ON DELETE CASCADE,
    version_id  TEXT REFERENCES project_versions (id) ON DELETE SET NULL,
    type        TEXT NOT NULL,
    filename    TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    width       INTEGER,
    height      INTEGER,
    thumbnail_sha256 TEXT,
    -- Provenance: prompt, model, seed, cost, approved_by, source...
    metadata    TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'trashed')),
    trashed_at  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX assets_listing ON assets (owner_id, project_id, status, created_at DESC);
CREATE INDEX assets_sha ON assets (sha256);

-- One-time tokens for permanent deletes: the first DELETE returns one, the second presents it.
CREATE TABLE asset_delete_tokens (
    token_hash TEXT PRIMARY KEY,
    asset_id   TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE prompt_templates (
    id                 TEXT PRIMARY KEY,
    owner_id           TEXT NOT NULL REFERENCES users (id),
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    current_version_id TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    deleted_at         TEXT
);
CREATE UNIQUE INDEX prompt_templates_owner_name ON prompt_templates (owner_id, name) WHERE deleted_at IS NULL;

CREATE TABLE prompt_template_versions (
    id          TEXT PRIMARY KEY,
    template_id TEXT NOT NULL REFERENCES prompt_templates (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number >= 1),
    body        TEXT NOT NULL,
    -- [{name, type, required, default, description}]
    variables   TEXT NOT NULL DEFAULT '[]',
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (template_id, number)
);
