//! Who is calling: access tokens, API keys and their checks. `x-api-key` wins over
//! `Authorization: Bearer` when both are sent (docs/API-CONVENTIONS.md); the API layer
//! (src/api/principal.rs) turns a [`Caller`] into the request's principal in a workspace.
use crate::error::{CodedError, ErrorCode};
use std::str::FromStr;

use crate::db::sql::{params, Connection, OptionalExtension};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    clock::rfc3339,
    db::{Db, DbError},
    AppState,
};

/// What an API key may do. Bearer tokens and the local owner carry every scope their role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
    Billing,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Billing => "billing",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            "billing" => Ok(Self::Billing),
            "admin" => Ok(Self::Admin),
            other => Err(format!(
                "unknown scope '{other}' (expected read, write, billing or admin)"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The desktop webview (or a loopback server in local mode): the owner, no password.
    LocalOwner,
    Bearer,
    ApiKey {
        key_id: String,
        scopes: Vec<Scope>,
        /// What the key may do through the model router.
        limits: KeyLimits,
    },
}

/// A key's limits in the model router (src/router), set when it is made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeyLimits {
    /// The public model names it may call (None: all).
    pub allowed_models: Option<Vec<String>>,
    /// Its router calls an hour (None: the server's limit).
    pub router_per_hour: Option<u32>,
    /// The most credits its router calls may spend in all (None: only the wallet limits it).
    pub credit_budget: Option<i64>,
}

impl KeyLimits {
    /// Whether the key may call the public model `name`.
    pub fn allows(&self, name: &str) -> bool {
        self.allowed_models
            .as_ref()
            .is_none_or(|m| m.iter().any(|a| a == name))
    }
}

/// The person behind a request's credentials (who they are; the API layer decides in which
/// workspace they act and what the route lets them do).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    /// The instance's admin.
    pub is_admin: bool,
    pub credential: Credential,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the API key is not valid")]
    InvalidApiKey,
    #[error("the API key has expired")]
    ExpiredApiKey,
    #[error("the API key has been revoked")]
    RevokedApiKey,
    #[error("the Authorization header must be 'Bearer <token>'")]
    MalformedAuthorization,
    #[error("the access token is not valid")]
    InvalidToken,
    #[error("the access token has expired")]
    ExpiredToken,
    #[error("the account is {0}")]
    AccountNotActive(String),
    #[error("an access token could not be signed: {0}")]
    Signing(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for AuthError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Db(_) | Self::Signing(_) => ErrorCode::Internal,
            _ => ErrorCode::AuthInvalid,
        }
    }
}

impl From<crate::db::sql::Error> for AuthError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    typ: String,
}

/// Issues a short-lived access token for a user.
#[tracing::instrument(skip(state))]
pub fn issue_access_token(state: &AppState, user_id: &str) -> Result<String, AuthError> {
    sign(state, user_id, "access", state.config.access_token_ttl_secs)
}

/// How long a WebSocket ticket may be used to connect.
pub const WS_TICKET_TTL_SECS: i64 = 60;

/// Issues a WebSocket ticket: what a browser, which cannot set headers on a WebSocket, puts in
/// the URL (`?token=`) instead of its long-lived credentials. It opens sockets only, for a minute.
#[tracing::instrument(skip(state))]
pub fn issue_ws_ticket(state: &AppState, user_id: &str) -> Result<String, AuthError> {
    sign(state, user_id, "ws", WS_TICKET_TTL_SECS)
}

fn sign(state: &AppState, user_id: &str, typ: &str, ttl_secs: i64) -> Result<String, AuthError> {
    let now = state.clock.now();
    let claims = Claims {
        sub: user_id.to_string(),
        iat: now.timestamp(),
        exp: (now + Duration::seconds(ttl_secs)).timestamp(),
        typ: typ.into(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&state.token_secret),
    )
    .map_err(|e| AuthError::Signing(e.to_string()))
}

/// The person an access token was issued to, while the token is unexpired and they are active.
#[tracing::instrument(skip_all)]
pub async fn authenticate_bearer(state: &AppState, token: &str) -> Result<Caller, AuthError> {
    authenticate_token(state, token, "access").await
}

/// The person a WebSocket ticket was issued to (see [`issue_ws_ticket`]).
#[tracing::instrument(skip_all)]
pub async fn authenticate_ws_ticket(state: &AppState, ticket: &str) -> Result<Caller, AuthError> {
    authenticate_token(state, ticket, "ws").await
}

async fn authenticate_token(state: &AppState, token: &str, typ: &str) -> Result<Caller, AuthError> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked against the injected clock below, so tests are deterministic.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(&state.token_secret),
        &validation,
    )
    .map_err(|_| AuthError::InvalidToken)?;
    if data.claims.typ != typ {
        return Err(AuthError::InvalidToken);
    }
    if data.claims.exp <= state.clock.now().timestamp() {
        return Err(AuthError::ExpiredToken);
    }
    let user_id = data.claims.sub;
    // Only a person signs in: a team's own row (kind 'workspace') is never a token's subject.
    let (status, role) = state
        .db
        .read({
            let user_id = user_id.clone();
            move |c| {
                c.prepare_cached(
                    "SELECT status, role FROM users WHERE id = ?1 AND kind = 'person'",
                )?
                .query_row([&user_id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()
                .map_err(AuthError::from)
            }
        })
        .await?
        .ok_or(AuthError::InvalidToken)?;
    if status != "active" {
        return Err(AuthError::AccountNotActive(status));
    }
    Ok(Caller {
        user_id,
        is_admin: role == "admin",
        credential: Credential::Bearer,
    })
}

/// How every Storyloom API key begins (a bearer token with it is a key, not a session token).
pub const API_KEY_PREFIX: &str = "sl_";

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Key checks this process made, by key hash, so a request with a known key skips the database
/// (and the hop to a blocking thread). An entry holds only while [`Db::credentials_generation`]
/// has not moved since it was read: any committed change to `api_keys` or `users` in this
/// process (a revocation, a suspension, a role change, a new last-used time) makes every entry
/// stale before the write returns, so revoking stays immediate. Expiry, status and revocation are
/// still judged on every request from the cached row. On PostgreSQL a change committed by another
/// replica moves the generation on too, as soon as its NOTIFY arrives (src/db/postgres.rs);
/// [`KEY_CACHE_MAX_AGE`] bounds what is missed if that listener's connection is lost.
#[derive(Default)]
pub struct KeyCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, CachedKey>>,
}

/// How long a cached key check may be used at most (changes by another process).
pub const KEY_CACHE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(5);

/// Entries kept at most; the cache starts over when full.
const KEY_CACHE_CAPACITY: usize = 4096;

struct CachedKey {
    generation: u64,
    read_at: std::time::Instant,
    row: KeyRow,
}

impl KeyCache {
    fn get(&self, hash: &str, generation: u64) -> Option<KeyRow> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(hash)
            .filter(|e| e.generation == generation && e.read_at.elapsed() < KEY_CACHE_MAX_AGE)
            .map(|e| e.row.clone())
    }

    fn put(&self, hash: String, generation: u64, read_at: std::time::Instant, row: KeyRow) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= KEY_CACHE_CAPACITY {
            entries.clear();
        }
        entries.insert(
            hash,
            CachedKey {
                generation,
                read_at,
                row,
            },
        );
    }
}

const KEY_LOOKUP: &str =
    "SELECT k.id, k.user_id, k.scopes, k.expires_at, k.revoked_at, k.last_used_at,
        u.status, u.role, k.allowed_models, k.router_per_hour, k.credit_budget
 FROM api_keys k JOIN users u ON u.id = k.user_id
 WHERE k.key_hash = ?1";

/// The owner of an API key, while the key is unrevoked and unexpired and its owner active.
#[tracing::instrument(skip_all)]
pub async fn authenticate_api_key(state: &AppState, key: &str) -> Result<Caller, AuthError> {
    let hash = hash_key(key);
    let now = state.clock.now();
    // Read the generation before the row: a write that lands in between leaves the entry stale.
    let generation = state.db.credentials_generation();
    let row = match state.key_cache.get(&hash, generation) {
        Some(row) => row,
        None => {
            let read_at = std::time::Instant::now();
            let lookup = hash.clone();
            let row = state
                .db
                .read(move |c| {
                    c.prepare_cached(KEY_LOOKUP)?
                        .query_row([&lookup], |r| {
                            Ok(KeyRow {
                                id: r.get(0)?,
                                user_id: r.get(1)?,
                                scopes: r.get(2)?,
                                expires_at: r.get(3)?,
                                revoked_at: r.get(4)?,
                                last_used_at: r.get(5)?,
                                user_status: r.get(6)?,
                                role: r.get(7)?,
                                limits: key_limits(r.get(8)?, r.get(9)?, r.get(10)?),
                            })
                        })
                        .optional()
                        .map_err(AuthError::from)
                })
                .await?
                .ok_or(AuthError::InvalidApiKey)?;
            state.key_cache.put(hash, generation, read_at, row.clone());
            row
        }
    };
    if row.revoked_at.is_some() {
        return Err(AuthError::RevokedApiKey);
    }
    if let Some(exp) = row.expires_at.as_deref().and_then(parse_time) {
        if exp <= now {
            return Err(AuthError::ExpiredApiKey);
        }
    }
    if row.user_status != "active" {
        return Err(AuthError::AccountNotActive(row.user_status));
    }
    // Record use at most once a minute, so reads don't each become a write.
    let stale = row
        .last_used_at
        .as_deref()
        .and_then(parse_time)
        .is_none_or(|t| now - t > Duration::seconds(60));
    if stale {
        let id = row.id.clone();
        let at = rfc3339(now);
        state
            .db
            .write(move |tx| {
                tx.prepare_cached("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2")?
                    .execute(params![at, id])
                    .map_err(AuthError::from)
            })
            .await?;
    }
    let scopes = row
        .scopes
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    Ok(Caller {
        user_id: row.user_id,
        is_admin: row.role == "admin",
        credential: Credential::ApiKey {
            key_id: row.id,
            scopes,
            limits: row.limits,
        },
    })
}

#[derive(Clone)]
struct KeyRow {
    id: String,
    user_id: String,
    scopes: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
    user_status: String,
    role: String,
    limits: KeyLimits,
}

fn key_limits(
    allowed_models: Option<String>,
    router_per_hour: Option<i64>,
    credit_budget: Option<i64>,
) -> KeyLimits {
    KeyLimits {
        allowed_models: allowed_models.and_then(|m| serde_json::from_str(&m).ok()),
        router_per_hour: router_per_hour.and_then(|n| u32::try_from(n).ok()),
        credit_budget,
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A newly created API key; `secret` is shown this once and never stored.
#[derive(Debug, Clone, Serialize)]
pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<String>,
    pub secret: String,
    pub limits: KeyLimits,
}

/// Creates an API key for a user. The plain secret is returned once; only its hash is stored.
#[tracing::instrument(skip(state))]
pub async fn create_api_key(
    state: &AppState,
    user_id: &str,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<DateTime<Utc>>,
) -> Result<NewApiKey, DbError> {
    create_api_key_with(
        state,
        user_id,
        name,
        scopes,
        expires_at,
        KeyLimits::default(),
    )
    .await
}

/// [`create_api_key`] with limits in the model router.
#[tracing::instrument(skip(state))]
pub async fn create_api_key_with(
    state: &AppState,
    user_id: &str,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<DateTime<Utc>>,
    limits: KeyLimits,
) -> Result<NewApiKey, DbError> {
    let secret = format!(
        "{API_KEY_PREFIX}{}",
        hex::encode(rand::random::<[u8; 24]>())
    );
    let key = NewApiKey {
        id: state.ids.new_id().to_string(),
        name: name.to_string(),
        prefix: secret[..10].to_string(),
        scopes: scopes.to_vec(),
        expires_at: expires_at.map(rfc3339),
        secret,
        limits,
    };
    let scopes_csv = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let (row, user_id, now) = (key.clone(), user_id.to_string(), rfc3339(state.clock.now()));
    state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, expires_at, created_at,
                                       allowed_models, router_per_hour, credit_budget)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![row.id, user_id, row.name, row.prefix, hash_key(&row.secret), scopes_csv, row.expires_at, now,
                        row.limits.allowed_models.as_ref().map(|m| serde_json::json!(m).to_string()),
                        row.limits.router_per_hour, row.limits.credit_budget],
            )?;
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(key)
}

/// Revokes an API key (it answers 401 from then on).
#[tracing::instrument(skip(state))]
pub async fn revoke_api_key(state: &AppState, key_id: &str) -> Result<bool, DbError> {
    let (id, now) = (key_id.to_string(), rfc3339(state.clock.now()));
    state
        .db
        .write(move |tx| {
            let n = tx.execute(
                "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now, id],
            )?;
            Ok::<_, DbError>(n == 1)
        })
        .await
}

/// An API key as its owner sees it afterwards: never the secret, only its prefix.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub created_at: String,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    /// What it may do through the model router.
    pub limits: KeyLimits,
}

/// Revokes every live API key of a person (their account is being deleted), in the caller's
/// transaction. The key-check cache forgets them with any change to the keys table.
pub fn revoke_all_keys_in_tx(tx: &Connection, user_id: &str, now: &str) -> Result<(), DbError> {
    tx.execute(
        "UPDATE api_keys SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
        params![now, user_id],
    )?;
    Ok(())
}

/// A user's API keys, newest first.
#[tracing::instrument(skip(state))]
pub async fn list_api_keys(state: &AppState, user_id: &str) -> Result<Vec<ApiKeyInfo>, DbError> {
    let (user, now) = (user_id.to_string(), state.clock.now());
    state
        .db
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at,
                        allowed_models, router_per_hour, credit_budget
                 FROM api_keys WHERE user_id = ?1 ORDER BY created_at DESC, id DESC",
            )?;
            let rows = stmt
                .query_map([&user], |r| {
                    let scopes: String = r.get(3)?;
                    let expires_at: Option<String> = r.get(4)?;
                    let revoked_at: Option<String> = r.get(6)?;
                    let expired = expires_at
                        .as_deref()
                        .and_then(parse_time)
                        .is_some_and(|t| t <= now);
                    Ok(ApiKeyInfo {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        prefix: r.get(2)?,
                        scopes: scopes
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                        status: if revoked_at.is_some() {
                            "revoked"
                        } else if expired {
                            "expired"
                        } else {
                            "active"
                        }
                        .into(),
                        expires_at,
                        last_used_at: r.get(5)?,
                        revoked_at,
                        created_at: r.get(7)?,
                        limits: key_limits(r.get(8)?, r.get(9)?, r.get(10)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
}

/// Revokes one of the user's own keys; false when the user has no such key (or it was revoked).
#[tracing::instrument(skip(state))]
pub async fn revoke_own_api_key(
    state: &AppState,
    user_id: &str,
    key_id: &str,
) -> Result<bool, DbError> {
    let (user, id, now) = (
        user_id.to_string(),
        key_id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            let n = tx.execute(
                "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND user_id = ?3 AND revoked_at IS NULL",
                params![now, id, user],
            )?;
            Ok::<_, DbError>(n == 1)
        })
        .await
}

/// The secret that signs access tokens: generated once per instance and kept in the database.
pub(crate) fn ensure_token_secret(db: &Db) -> Result<Vec<u8>, DbError> {
    db.write_sync(|tx| {
        let existing: Option<String> = tx
            .query_row(
                "SELECT value FROM settings WHERE key = 'token_secret'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(hex_secret) = existing.and_then(|s| hex::decode(s).ok()) {
            return Ok(hex_secret);
        }
        let secret = rand::random::<[u8; 32]>().to_vec();
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('token_secret', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [hex::encode(&secret)],
        )?;
        Ok(secret)
    })
}
