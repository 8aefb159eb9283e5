-- Issue 13: the AI registry. A provider is a connection (adapter, base URL, secret, enabled,
-- concurrency); a model is one model on a provider (kind, price, default config, active). The
-- built-in offline providers are rows of the same registry at price 0 and the defaults.
CREATE TABLE ai_providers (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    adapter         TEXT NOT NULL CHECK (adapter IN ('builtin', 'openai_compatible', 'dashscope', 'comfyui')),
    base_url        TEXT NOT NULL DEFAULT '',
    -- The secret itself: sealed (XChaCha20-Poly1305, nonce || ciphertext) on a server; NULL on the
    -- desktop, where it lives in the OS keyring under `ai-provider:<id>`.
    secret_sealed   BLOB,
    -- What people may see of it: `sk-…abcd`. NULL: no secret.
    secret_masked   TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    max_concurrency INTEGER NOT NULL DEFAULT 4 CHECK (max_concurrency BETWEEN 1 AND 64),
    builtin         INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX ai_providers_name ON ai_providers (name COLLATE NOCASE, base_url);

CREATE TABLE ai_models (
    id                  TEXT PRIMARY KEY,
    provider_id         TEXT NOT NULL REFERENCES ai_providers (id),
    kind                TEXT NOT NULL CHECK (kind IN ('llm', 'image', 'video', 'tts', 'asr')),
    name                TEXT NOT NULL,
    model_name          TEXT NOT NULL,
    category            TEXT NOT NULL DEFAULT '',
    -- Integer credits per unit (the unit follows the kind; for llm: per 1,000 input tokens).
    credits_cost        INTEGER NOT NULL DEFAULT 0 CHECK (credits_cost >= 0),
    -- llm only: per 1,000 output tokens.
    output_credits_cost INTEGER NOT NULL DEFAULT 0 CHECK (output_credits_cost >= 0),
    config              TEXT NOT NULL DEFAULT '{}',
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    builtin             INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    popularity          INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    deleted_at          TEXT
);
CREATE INDEX ai_models_provider ON ai_models (provider_id, deleted_at);
CREATE INDEX ai_models_kind ON ai_models (kind, deleted_at, is_active);

INSERT INTO ai_providers (id, name, adapter, base_url, enabled, max_concurrency, builtin, created_at, updated_at)
VALUES ('builtin', 'Built-in (offline)', 'builtin', '', 1, 64, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');

INSERT INTO ai_models (id, provider_id, kind, name, model_name, category, config, builtin, created_at, updated_at)
VALUES
  ('builtin.animatic', 'builtin', 'image', 'Animatic frames (offline)', 'builtin.animatic', 'animatic', '{}', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
  ('builtin.still',    'builtin', 'video', 'Still frames with pan/zoom (offline)', 'builtin.still', 'still', '{}', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
  ('builtin.espeak',   'builtin', 'tts',   'espeak-ng voices (offline)', 'builtin.espeak', 'espeak', '{}', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');

-- The global configuration: the default model per kind, the concurrency across providers, and the
-- default per-project cost cap (credits; absent: none).
INSERT INTO settings (key, value) VALUES
  ('ai.default.image', 'builtin.animatic'),
  ('ai.default.video', 'builtin.still'),
  ('ai.default.tts', 'builtin.espeak'),
  ('ai.max_concurrency', '4');

-- A project's own cost cap in credits (NULL: the global default).
ALTER TABLE projects ADD COLUMN cost_cap INTEGER CHECK (cost_cap IS NULL OR cost_cap >= 0);

-- What each node was expected to cost (shown on the run page before and while it runs).
ALTER TABLE node_runs ADD COLUMN estimate_credits INTEGER NOT NULL DEFAULT 0;
