-- Issue 21: creator tools (docs/CREATE.md). Every generation (writing, image, video, deck) is a
-- creation; deleting one moves it to the trash (deleted_at), from which it can be restored.
CREATE TABLE creations (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    -- writing | image | video | ppt
    kind            TEXT NOT NULL,
    -- The writing tool (wechat_article, …); '' for other kinds.
    tool_type       TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL,
    content         TEXT NOT NULL,
    -- JSON: what was asked for (keywords, requirements, …)
    input           TEXT NOT NULL,
    -- The model's id, or 'builtin' (offline, free).
    model           TEXT NOT NULL,
    -- Which template wrote it: 'builtin:<type>@<version>' or a prompt template version's id.
    prompt_version  TEXT NOT NULL DEFAULT '',
    credits_used    INTEGER NOT NULL DEFAULT 0 CHECK (credits_used >= 0),
    -- A file made with it (a deck, an image, a video): its blob and name.
    file_sha256     TEXT,
    file_name       TEXT,
    project_id      TEXT,
    -- The client's Idempotency-Key: a repeated request returns this creation instead of paying again.
    idempotency_key TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX creations_workspace ON creations (workspace_id, created_at);
CREATE UNIQUE INDEX creations_idempotency ON creations (workspace_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Videos made from a script in the background (POST /video/generate): a project, its workflow run
-- and its export, each durable on its own; the task ties them together and is taken up again by
-- another process (or after a restart) when the one driving it stops (worker_id).
CREATE TABLE video_tasks (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    title        TEXT NOT NULL,
    script       TEXT NOT NULL,
    duration     INTEGER NOT NULL,
    -- animatic | full_production
    workflow     TEXT NOT NULL,
    -- pending | processing | completed | failed
    status       TEXT NOT NULL,
    stage        TEXT NOT NULL DEFAULT '',
    progress     REAL NOT NULL DEFAULT 0,
    project_id   TEXT,
    run_id       TEXT,
    export_id    TEXT,
    creation_id  TEXT,
    credits_used INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    worker_id    TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX video_tasks_status ON video_tasks (status);

-- Publishing (docs/PUBLISH.md). A workspace's platform accounts: credentials sealed under the
-- instance's key (or in the OS keyring on the desktop), never returned.
CREATE TABLE platform_bindings (
    workspace_id      TEXT NOT NULL,
    platform          TEXT NOT NULL,
    -- What identifies the account to a person (an app id, an open id), never a secret.
    account           TEXT NOT NULL DEFAULT '',
    credentials_sealed BLOB,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (workspace_id, platform)
);

-- A request to publish one creation or export on some platforms, now or at schedule_time; done by
-- one process at a time (worker_id), each platform's result on its own row.
CREATE TABLE publish_jobs (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    creation_id   TEXT,
    export_id     TEXT,
    title         TEXT NOT NULL,
    schedule_time TEXT NOT NULL,
    -- pending | running | completed | partial | failed
    status        TEXT NOT NULL,
    worker_id     TEXT,
    created_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX publish_jobs_due ON publish_jobs (status, schedule_time);
CREATE INDEX publish_jobs_workspace ON publish_jobs (workspace_id, created_at);

CREATE TABLE publish_items (
    job_id          TEXT NOT NULL REFERENCES publish_jobs (id),
    platform        TEXT NOT NULL,
    -- pending | sending | published | failed
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    remote_id       TEXT,
    remote_url      TEXT,
    error_code      TEXT,
    error           TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (job_id, platform)
);
