-- Reference-video analysis (docs/SUMMARIZE.md): SQLite's 0027 (INTEGER as BIGINT).
CREATE TABLE summaries (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    project_id        TEXT,
    title             TEXT NOT NULL,
    source_url        TEXT,
    source_name       TEXT NOT NULL DEFAULT '',
    -- The video's bytes (with the subtitles sent beside it, if any); NULL for a summary a person wrote.
    source_sha256     TEXT,
    mode              TEXT NOT NULL,
    focus             TEXT NOT NULL DEFAULT '',
    -- The language model's id, 'extractive' or 'manual'.
    model             TEXT NOT NULL,
    transcript_source TEXT NOT NULL,
    duration_ms       BIGINT,
    -- JSON: [{start_ms, end_ms, text}]
    transcript        TEXT NOT NULL,
    summary           TEXT NOT NULL,
    mindmap           TEXT NOT NULL,
    -- JSON: [{kind, start_ms, end_ms, text}]
    beats             TEXT NOT NULL,
    -- JSON: what the calls used
    usage             TEXT NOT NULL,
    credits_charged   BIGINT NOT NULL DEFAULT 0 CHECK (credits_charged >= 0),
    cached_from       TEXT,
    created_at        TEXT NOT NULL,
    deleted_at        TEXT
);
CREATE INDEX summaries_workspace ON summaries (workspace_id, created_at);
CREATE INDEX summaries_cache ON summaries (source_sha256, mode, focus, model);

-- Batches of up to 20 URLs, done in the background by one process at a time (worker_id).
CREATE TABLE summary_batches (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    mode         TEXT NOT NULL,
    focus        TEXT NOT NULL DEFAULT '',
    model_id     TEXT,
    -- pending | running | completed | partial | failed
    status       TEXT NOT NULL,
    worker_id    TEXT,
    created_at   TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX summary_batches_workspace ON summary_batches (workspace_id, created_at);
CREATE INDEX summary_batches_status ON summary_batches (status);

CREATE TABLE summary_batch_items (
    batch_id        TEXT NOT NULL,
    position        BIGINT NOT NULL,
    url             TEXT NOT NULL,
    -- pending | running | completed | failed
    status          TEXT NOT NULL,
    summary_id      TEXT,
    error_code      TEXT,
    error_message   TEXT,
    credits_charged BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, position)
);

-- A share link may show a summary (its page: the summary, the beat sheet, the mind map).
ALTER TABLE shares ADD COLUMN summary_id TEXT;
