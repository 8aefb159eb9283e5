-- Issue 5: video exports (docs/API-EXPORT.md). A row is written before ffmpeg starts and updated as
-- it goes, so a restart finds every export that was queued or running and starts it again.
CREATE TABLE exports (
    id              TEXT PRIMARY KEY,
    owner_id        TEXT NOT NULL REFERENCES users (id),
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version_id      TEXT NOT NULL REFERENCES project_versions (id) ON DELETE CASCADE,
    run_id          TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    -- The checked settings as JSON (resolution, aspect, fps, container, subtitles, transition, …).
    settings        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
    progress        REAL NOT NULL DEFAULT 0,
    message         TEXT NOT NULL DEFAULT '',
    error           TEXT,
    video_asset_id  TEXT REFERENCES assets (id) ON DELETE SET NULL,
    srt_asset_id    TEXT REFERENCES assets (id) ON DELETE SET NULL,
    file_size       INTEGER,
    -- Measured by ffprobe after encoding.
    duration_ms     INTEGER,
    -- Planned from the storyboard.
    video_length_ms INTEGER NOT NULL,
    frames          INTEGER NOT NULL,
    cost_credits    INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    started_at      TEXT,
    completed_at    TEXT
);
CREATE INDEX exports_owner_created ON exports (owner_id, created_at DESC);
CREATE INDEX exports_status ON exports (status);
