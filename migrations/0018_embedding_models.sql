-- Embedding models (issue 17): served through the model router's `/v1/embeddings` only.
-- SQLite cannot alter a CHECK constraint, so ai_models is rebuilt with the wider one (no table
-- refers to ai_models, and the copy keeps every row and column as it was).
CREATE TABLE ai_models_new (
    id                  TEXT PRIMARY KEY,
    provider_id         TEXT NOT NULL REFERENCES ai_providers (id),
    kind                TEXT NOT NULL CHECK (kind IN ('llm', 'image', 'video', 'tts', 'asr', 'embedding')),
    name                TEXT NOT NULL,
    model_name          TEXT NOT NULL,
    category            TEXT NOT NULL DEFAULT '',
    credits_cost        INTEGER NOT NULL DEFAULT 0 CHECK (credits_cost >= 0),
    output_credits_cost INTEGER NOT NULL DEFAULT 0 CHECK (output_credits_cost >= 0),
    config              TEXT NOT NULL DEFAULT '{}',
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    builtin             INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    popularity          INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    deleted_at          TEXT,
    public_name         TEXT,
    route_priority      INTEGER NOT NULL DEFAULT 0,
    route_weight        INTEGER NOT NULL DEFAULT 1
);
INSERT INTO ai_models_new (id, provider_id, kind, name, model_name, category, credits_cost,
    output_credits_cost, config, is_active, builtin, popularity, created_at, updated_at, deleted_at,
    public_name, route_priority, route_weight)
SELECT id, provider_id, kind, name, model_name, category, credits_cost, output_credits_cost, config,
    is_active, builtin, popularity, created_at, updated_at, deleted_at, public_name, route_priority,
    route_weight
FROM ai_models;
DROP TABLE ai_models;
ALTER TABLE ai_models_new RENAME TO ai_models;
CREATE INDEX ai_models_provider ON ai_models (provider_id, deleted_at);
CREATE INDEX ai_models_kind ON ai_models (kind, deleted_at, is_active);
