//! Who is calling. `x-api-key` wins over `Authorization: Bearer` when both are sent
//! (docs/API-CONVENTIONS.md).
//! 401 = missing or invalid credentials; 403 = valid but not allowed.
use crate::error::{CodedError, ErrorCode};
use std::str::FromStr;

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, Method},
};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    api::error::ApiError,
    clock::rfc3339,
    config::AuthMode,
    db::{Db, DbError},
    workspaces::{self, Permission, Role},
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
    },
}

/// The authenticated caller of a request, and the workspace the request acts in.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The person (or the key's owner) acting.
    pub user_id: String,
    /// Whose data the request reads and writes: the `X-Workspace-Id` header's workspace, or the
    /// person's personal workspace (whose id is their own). Data tables scope by this id.
    pub workspace_id: String,
    /// The person's role in that workspace.
    pub role: Role,
    pub is_admin: bool,
    pub credential: Credential,
}

/// The header that picks the workspace a request acts in (absent: the personal workspace).
pub const WORKSPACE_HEADER: &str = "x-workspace-id";

impl Principal {
    /// 403 unless both the credential's scope (API keys) and the role in the workspace allow it.
    /// `Admin` is the instance admin's scope, whatever the workspace.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        self.require_scope(scope)?;
        match scope {
            Scope::Read => self.require_role(Permission::Read),
            Scope::Write => self.require_role(Permission::Write),
            Scope::Billing => self.require_role(Permission::Billing),
            Scope::Admin => Ok(()),
        }
    }

    /// Review decisions: a reviewer may make them (an API key needs `write`: they change data).
    pub fn require_review(&self) -> Result<(), ApiError> {
        self.require_scope(Scope::Write)?;
        self.require_role(Permission::Review)
    }

    /// The credential's scope alone: API keys carry scopes; other credentials every scope but
    /// `admin`, which is the instance admin's.
    pub fn require_scope(&self, scope: Scope) -> Result<(), ApiError> {
        let allowed = match &self.credential {
            Credential::ApiKey { scopes, .. } => {
                scopes.contains(&scope) && (scope != Scope::Admin || self.is_admin)
            }
            Credential::LocalOwner | Credential::Bearer => scope != Scope::Admin || self.is_admin,
        };
        if allowed {
            Ok(())
        } else if matches!(self.credential, Credential::ApiKey { .. }) {
            Err(ApiError::forbidden(format!(
                "this API key lacks the '{}' scope",
                scope.as_str()
            )))
        } else {
            Err(ApiError::forbidden("only an instance admin can do that"))
        }
    }

    pub fn require_role(&self, p: Permission) -> Result<(), ApiError> {
        if self.role.allows(p) {
            return Ok(());
        }
        let what = match p {
            Permission::Read => "read this workspace",
            Permission::Review => "make review decisions",
            Permission::Write => "edit (reviewers review, viewers read)",
            Permission::Billing => "see or change the workspace's billing (owners and admins do)",
            Permission::Manage => "manage the workspace (owners and admins do)",
        };
        Err(ApiError::forbidden(format!(
            "your role in this workspace ({}) can't {what}",
            self.role.as_str()
        )))
    }

    /// The same caller acting in another workspace, which they must belong to (404 otherwise: a
    /// workspace one isn't in doesn't exist for them).
    async fn enter(mut self, state: &AppState, workspace_id: String) -> Result<Self, ApiError> {
        let user = self.user_id.clone();
        let ws = workspace_id.clone();
        let role = state
            .db
            .read(move |c| workspaces::role_in(c, &ws, &user))
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::not_found(format!("workspace '{workspace_id}' not found"))
                    .with_field("X-Workspace-Id")
            })?;
        self.workspace_id = workspace_id;
        self.role = role;
        Ok(self)
    }
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
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for AuthError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Db(_) => ErrorCode::Internal,
            _ => ErrorCode::AuthInvalid,
        }
    }
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Db(e.into())
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let workspace = match parts.headers.get(WORKSPACE_HEADER) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|s| uuid::Uuid::parse_str(s.trim()).ok())
                    .map(|u| u.to_string())
                    .ok_or_else(|| {
                        ApiError::validation(
                            "X-Workspace-Id",
                            "X-Workspace-Id must be a workspace id (a UUID)",
                        )
                    })?,
            ),
        };
        let person = authenticate(parts, state).await?;
        limit_caller(state, &person, &parts.method, parts.uri.path()).await?;
        let (scope, permission) = match required_access(&parts.method, parts.uri.path()) {
            // One's own account, the workspace endpoints: the header doesn't apply.
            Access::Person => return Ok(person),
            Access::InstanceAdmin => {
                person.require_scope(Scope::Admin)?;
                return Ok(person);
            }
            Access::OwnKeys => {
                // Managing keys with a key takes the `admin` scope.
                if matches!(person.credential, Credential::ApiKey { .. }) {
                    person.require_scope(Scope::Admin)?;
                }
                return Ok(person);
            }
            Access::Workspace(scope, permission) => (scope, permission),
            Access::PathWorkspace(id, scope, permission) => {
                // The workspace endpoints name their workspace in the path; the header doesn't apply.
                let principal = if id == person.workspace_id {
                    person
                } else {
                    person
                        .enter(state, id)
                        .await
                        .map_err(|_| ApiError::not_found("workspace not found"))?
                };
                principal.require_scope(scope)?;
                principal.require_role(permission)?;
                return Ok(principal);
            }
        };
        let principal = match workspace {
            Some(ws) if ws != person.workspace_id => person.enter(state, ws).await?,
            _ => person,
        };
        // Authorise before the handler reads the body: a viewer's write is a 403 whatever it
        // carries. Handlers check again, precisely; this is never stricter than they are.
        principal.require_scope(scope)?;
        principal.require_role(permission)?;
        Ok(principal)
    }
}

/// Per-caller limits by route class (src/api/limits.rs): a person, or each API key on its own.
/// The desktop's local owner is never limited; generation is unlimited with a membership.
async fn limit_caller(
    state: &AppState,
    p: &Principal,
    method: &Method,
    path: &str,
) -> Result<(), ApiError> {
    use crate::api::limits::RouteClass;
    let caller = match &p.credential {
        Credential::LocalOwner => return Ok(()),
        Credential::Bearer => format!("user:{}", p.user_id),
        Credential::ApiKey { key_id, .. } => format!("key:{key_id}"),
    };
    let class = RouteClass::of(method, path);
    if class == RouteClass::Generation {
        let (owner, now) = (p.user_id.clone(), state.clock.now());
        let member = state
            .db
            .read(move |c| {
                crate::ledger::plans::active_membership(c, &owner, now).map(|m| m.is_some())
            })
            .await
            .unwrap_or(false);
        if member {
            return Ok(());
        }
    }
    state.limits.check_caller(class, &caller)
}

/// What a route needs, from its method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Sign-in, one's own account, the workspace endpoints (which name their workspace in the
    /// path and check the role there): any signed-in person; handlers check key scopes.
    Person,
    /// The instance's administration.
    InstanceAdmin,
    /// One's own API keys.
    OwnKeys,
    /// Workspace data: this scope (API keys) and this role in the request's workspace.
    Workspace(Scope, Permission),
    /// A workspace endpoint: this scope and this role in the workspace the path names.
    PathWorkspace(String, Scope, Permission),
}

/// The access a request needs, from its method and path.
pub fn required_access(method: &Method, path: &str) -> Access {
    const PERSON: [&str; 6] = [
        "/api/v1/auth/",
        "/api/v1/users/me",
        "/api/v1/workspaces",
        "/api/v1/invitations/",
        "/api/v1/remote/",
        "/api/v1/health",
    ];
    const BILLING: [&str; 4] = [
        "/api/v1/billing/",
        "/api/v1/credit/",
        "/api/v1/subscriptions/",
        "/api/v1/dashboard",
    ];
    // POSTs that compute without changing anything.
    const READ_POSTS: [&str; 4] = [
        "/api/v1/export/estimate",
        "/api/v1/prompts/render",
        "/api/v1/script/preview",
        "/api/v1/workflows/validate",
    ];
    use Access::Workspace;
    if path.starts_with("/api/v1/users/me/api-keys") {
        return Access::OwnKeys;
    }
    if let Some(rest) = path.strip_prefix("/api/v1/workspaces/") {
        let parts: Vec<&str> = rest.split('/').collect();
        let get = matches!(*method, Method::GET | Method::HEAD);
        let scope = if get { Scope::Read } else { Scope::Write };
        let permission = match parts.as_slice() {
            [_] | [_, "members"] if get => Permission::Read,
            // Leaving is one's own business; the service checks whom else one may remove.
            [_, "members", _] if *method == Method::DELETE => Permission::Read,
            [_, ..] => Permission::Manage,
            [] => Permission::Read,
        };
        if uuid::Uuid::parse_str(parts[0]).is_ok() {
            return Access::PathWorkspace(parts[0].to_string(), scope, permission);
        }
        return Access::Person;
    }
    if PERSON.iter().any(|p| path.starts_with(p)) || !path.starts_with("/api/") {
        return Access::Person;
    }
    if path.starts_with("/api/v1/admin/") {
        return Access::InstanceAdmin;
    }
    // The model catalog is read by everyone; the registry is changed by the instance's admin.
    if path == "/api/v1/models" || path.starts_with("/api/v1/models/") {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Access::Person;
        }
        return Access::InstanceAdmin;
    }
    if BILLING.iter().any(|p| path.starts_with(p)) {
        return Workspace(Scope::Billing, Permission::Billing);
    }
    if path == "/api/v1/workflow-runs/estimate" {
        return Workspace(Scope::Billing, Permission::Write);
    }
    // An audition changes nothing but spends the machine's time, GET or POST: for those who edit.
    if path == "/api/v1/voices/preview" {
        return Workspace(Scope::Write, Permission::Write);
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || READ_POSTS.contains(&path)
        || (path.starts_with("/api/v1/workflows/versions/") && path.ends_with("/validate"))
    {
        return Workspace(Scope::Read, Permission::Read);
    }
    if path.ends_with("/review/decision")
        || path.ends_with("/review/continue")
        || path.ends_with("/actions/human-select")
    {
        return Workspace(Scope::Write, Permission::Review);
    }
    // Deleting an asset for good (not moving it to the trash).
    if *method == Method::DELETE
        && path
            .strip_prefix("/api/v1/assets/")
            .is_some_and(|rest| !rest.contains('/'))
    {
        return Workspace(Scope::Write, Permission::Manage);
    }
    Workspace(Scope::Write, Permission::Write)
}

/// The person behind the request's credentials, in their personal workspace.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(key) = parts.headers.get("x-api-key") {
        let key = key.to_str().map_err(|_| AuthError::InvalidApiKey)?;
        return Ok(authenticate_api_key(state, key).await?);
    }
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| AuthError::MalformedAuthorization)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthError::MalformedAuthorization)?;
        return Ok(authenticate_bearer(state, token.trim()).await?);
    }
    match (state.config.auth_mode, &state.local_owner_id) {
        (AuthMode::Local, Some(owner)) => Ok(personal(owner.clone(), true, Credential::LocalOwner)),
        _ => Err(ApiError::auth_required()),
    }
}

fn personal(user_id: String, is_admin: bool, credential: Credential) -> Principal {
    Principal {
        workspace_id: user_id.clone(),
        user_id,
        role: Role::Owner,
        is_admin,
        credential,
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
pub fn issue_access_token(state: &AppState, user_id: &str) -> Result<String, ApiError> {
    let now = state.clock.now();
    let claims = Claims {
        sub: user_id.to_string(),
        iat: now.timestamp(),
        exp: (now + Duration::seconds(state.config.access_token_ttl_secs)).timestamp(),
        typ: "access".into(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&state.token_secret),
    )
    .map_err(ApiError::internal)
}

#[tracing::instrument(skip_all)]
async fn authenticate_bearer(state: &AppState, token: &str) -> Result<Principal, AuthError> {
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
    if data.claims.typ != "access" {
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
    Ok(personal(user_id, role == "admin", Credential::Bearer))
}

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Key checks this process made, by key hash, so a request with a known key skips the database
/// (and the hop to a blocking thread). An entry holds only while [`Db::credentials_generation`]
/// has not moved since it was read: any committed change to `api_keys` or `users` in this
/// process (a revocation, a suspension, a role change, a new last-used time) makes every entry
/// stale before the write returns, so revoking stays immediate. Expiry, status and revocation are
/// still judged on every request from the cached row. A change made by another process on the
/// same file is seen within [`KEY_CACHE_MAX_AGE`].
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
        u.status, u.role
 FROM api_keys k JOIN users u ON u.id = k.user_id
 WHERE k.key_hash = ?1";

#[tracing::instrument(skip_all)]
async fn authenticate_api_key(state: &AppState, key: &str) -> Result<Principal, AuthError> {
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
    Ok(personal(
        row.user_id,
        row.role == "admin",
        Credential::ApiKey {
            key_id: row.id,
            scopes,
        },
    ))
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
    let secret = format!("sl_{}", hex::encode(rand::random::<[u8; 24]>()));
    let key = NewApiKey {
        id: state.ids.new_id().to_string(),
        name: name.to_string(),
        prefix: secret[..10].to_string(),
        scopes: scopes.to_vec(),
        expires_at: expires_at.map(rfc3339),
        secret,
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
                "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![row.id, user_id, row.name, row.prefix, hash_key(&row.secret), scopes_csv, row.expires_at, now],
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
}

/// A user's API keys, newest first.
#[tracing::instrument(skip(state))]
pub async fn list_api_keys(state: &AppState, user_id: &str) -> Result<Vec<ApiKeyInfo>, DbError> {
    let (user, now) = (user_id.to_string(), state.clock.now());
    state
        .db
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at
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

/// Creates a user without a password (the CLI's `create-user`; people register through the API).
#[tracing::instrument(skip(state))]
pub async fn create_user(
    state: &AppState,
    username: &str,
    is_admin: bool,
) -> Result<String, DbError> {
    let id = state.ids.new_id().to_string();
    let (row_id, username, now) = (id.clone(), username.to_string(), rfc3339(state.clock.now()));
    let role = if is_admin { "admin" } else { "user" };
    state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO users (id, username, role, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'active', ?4, ?4)",
                params![row_id, username, role, now],
            )?;
            workspaces::create_personal_in_tx(tx, &row_id, &now)?;
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(id)
}

/// Sets a user's status; a user who is not active is refused at once, whatever credential they use.
#[tracing::instrument(skip(state))]
pub async fn set_user_status(
    state: &AppState,
    user_id: &str,
    status: &str,
) -> Result<bool, DbError> {
    let (id, status, now) = (
        user_id.to_string(),
        status.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            let n = tx.execute(
                "UPDATE users SET status = ?1, updated_at = ?2 WHERE id = ?3",
                params![status, now, id],
            )?;
            Ok::<_, DbError>(n == 1)
        })
        .await
}

/// The id of the single local owner, created on first start in local mode.
pub(crate) fn ensure_local_owner(db: &Db, id: String, now: &str) -> Result<String, DbError> {
    db.write_sync(|tx| {
        let existing: Option<String> = tx
            .query_row(
                "SELECT value FROM settings WHERE key = 'local_owner_id'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = existing {
            return Ok(existing);
        }
        tx.execute(
            "INSERT INTO users (id, username, role, status, created_at, updated_at)
             VALUES (?1, 'local', 'admin', 'active', ?2, ?2)",
            params![id, now],
        )?;
        workspaces::create_personal_in_tx(tx, &id, now)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('local_owner_id', ?1)",
            [&id],
        )?;
        Ok(id)
    })
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
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('token_secret', ?1)",
            [hex::encode(&secret)],
        )?;
        Ok(secret)
    })
}
