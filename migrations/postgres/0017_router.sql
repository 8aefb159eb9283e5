-- The model router (issue 17, docs/API-ROUTER.md): OpenAI-compatible routes at /v1 that call the
-- registry's models on the caller's credits. (SQLite's INTEGER is BIGINT here, as in the baseline.)

-- A model is a channel of its public name (what clients send as `model`; NULL: its model_name).
-- Several channels may serve one name: the highest priority first, then by weight.
ALTER TABLE ai_models ADD COLUMN public_name TEXT;
ALTER TABLE ai_models ADD COLUMN route_priority BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ai_models ADD COLUMN route_weight BIGINT NOT NULL DEFAULT 1;

-- One row per router request, written with its hold and finished with its settlement or void in
-- the same transactions, so there is exactly one row per request and it agrees with the ledger.
-- Prices are the serving channel's at the request's start: a later price change alters no row.
CREATE TABLE router_requests (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL,
    api_key_id        TEXT,
    endpoint          TEXT NOT NULL,
    public_model      TEXT NOT NULL,
    model_id          TEXT,
    provider_id       TEXT,
    stream            BIGINT NOT NULL DEFAULT 0,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    end_reason        TEXT,
    hold_id           TEXT,
    instance_id       TEXT NOT NULL,
    price_in          BIGINT NOT NULL DEFAULT 0,
    price_out         BIGINT NOT NULL DEFAULT 0,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    usage_estimated   BIGINT NOT NULL DEFAULT 0,
    -- What the hold reserved: while the row is open, what it may still cost (a key's budget
    -- counts it).
    held              BIGINT NOT NULL DEFAULT 0,
    credits           BIGINT NOT NULL DEFAULT 0,
    attempts          BIGINT NOT NULL DEFAULT 0,
    http_status       BIGINT,
    error             TEXT,
    first_token_ms    BIGINT,
    latency_ms        BIGINT,
    created_at        TEXT NOT NULL,
    finished_at       TEXT
);
CREATE INDEX router_requests_key ON router_requests (api_key_id);
CREATE INDEX router_requests_user_time ON router_requests (user_id, created_at);
CREATE INDEX router_requests_open ON router_requests (status) WHERE status = 'open';

-- What a key may do through the router, set when it is made: the public model names it may call
-- (a JSON array; NULL: all), its own calls an hour (NULL: the server's), and the most credits its
-- calls may spend in all (NULL: no budget but the wallet's).
ALTER TABLE api_keys ADD COLUMN allowed_models TEXT;
ALTER TABLE api_keys ADD COLUMN router_per_hour BIGINT;
ALTER TABLE api_keys ADD COLUMN credit_budget BIGINT;
