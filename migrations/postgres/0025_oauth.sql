-- OAuth2 / OpenID Connect sign-in: SQLite's 0025 (INTEGER as BIGINT, as in the baseline).
-- A provider account (its issuer's `sub`) belongs to one person, once; a person may have several.
CREATE TABLE oauth_identities (
    provider       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id),
    email          TEXT,
    email_verified BIGINT NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    created_at     TEXT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX oauth_identities_user ON oauth_identities (user_id);

-- A sign-in under way: made when the browser leaves for the provider, used up (deleted) by the
-- callback, so a state works once; stale ones are refused by their expiry.
CREATE TABLE oauth_states (
    state         TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    -- Linking a provider to this signed-in person instead of signing in.
    link_user_id  TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
