//! Handlers for accounts (README, "The server"): register, login (JSON or a form), refresh,
//! logout, me/profile, password; the user's API keys; the admin's user list and status.
use crate::paging::{Page, PageSpec};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
    limits::{AuthRateLimit, RateHeaders},
};
use crate::{
    accounts::{
        self, Actor, Credentials, PasswordChange, ProfilePatch, Registration, Session, User,
        UserPatch,
    },
    auth::{self, ApiKeyInfo, Credential, Scope},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    let own = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(auth_me, update_auth_me))
        .routes(routes!(auth_profile))
        .routes(routes!(users_me, put_users_me))
        .routes(routes!(get_user, patch_user, delete_user))
        .routes(routes!(change_password));
    let keys = OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key));
    let admin = OpenApiRouter::new()
        .routes(routes!(admin_users))
        .routes(routes!(admin_set_status));
    with_policy(own, Policy::Person)
        .merge(with_policy(keys, Policy::OwnKeys))
        .merge(with_policy(admin, Policy::InstanceAdmin))
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = Registration, security(),
    responses((status = 201, body = Session), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    AuthRateLimit(rate): AuthRateLimit,
    ApiJson(r): ApiJson<Registration>,
) -> Result<(StatusCode, RateHeaders, Json<Session>), ApiError> {
    Ok((
        StatusCode::CREATED,
        rate,
        Json(accounts::register(&state, r).await?),
    ))
}

/// JSON `{username|email, password}` or an `application/x-www-form-urlencoded` form.
fn credentials(headers: &HeaderMap, body: &Bytes) -> Result<Credentials, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes(body)
            .map_err(|e| ApiError::bad_request(format!("unreadable form: {e}")))
    } else if ct.starts_with("application/json") || ct.is_empty() {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("unreadable JSON: {e}")))
    } else {
        Err(ApiError::new(
            super::error::ErrorCode::UnsupportedMediaType,
            "send JSON or a form (application/x-www-form-urlencoded)",
        ))
    }
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = Credentials, security(),
    responses((status = 200, body = Session), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    AuthRateLimit(rate): AuthRateLimit,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(RateHeaders, Json<Session>), ApiError> {
    let c = credentials(&headers, &body)?;
    Ok((rate, Json(accounts::login(&state, c).await?)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshBody {
    pub refresh_token: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "accounts", request_body = RefreshBody, security(),
    responses((status = 200, description = "A new pair; the old refresh token is used up", body = Session),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    AuthRateLimit(rate): AuthRateLimit,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(RateHeaders, Json<Session>), ApiError> {
    // Some clients send the refresh token as `Authorization: Bearer`, others in the body.
    let from_body = if body.is_empty() {
        None
    } else {
        serde_json::from_slice::<RefreshBody>(&body)
            .map_err(|e| ApiError::bad_request(format!("unreadable JSON: {e}")))?
            .refresh_token
    };
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let token = from_body
        .or(from_header)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::validation("refresh_token", "refresh_token is required"))?;
    Ok((rate, Json(accounts::refresh(&state, &token).await?)))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", request_body = RefreshBody,
    responses((status = 204, description = "That sign-in's refresh tokens are revoked"), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(b): ApiJson<RefreshBody>,
) -> Result<StatusCode, ApiError> {
    let token = b
        .refresh_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::validation("refresh_token", "refresh_token is required"))?;
    accounts::logout(&state, &principal.user_id, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "accounts",
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn auth_me(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<User>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(accounts::me(&state, &principal.user_id).await?))
}

#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "accounts", request_body = ProfilePatch,
    responses((status = 200, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_auth_me(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(p): ApiJson<ProfilePatch>,
) -> Result<Json<User>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        accounts::update_profile(&state, &principal.user_id, p).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/auth/profile", tag = "accounts",
    responses((status = 200, description = "Another name for /auth/me", body = User), (status = 401, body = ErrorBody)))]
pub async fn auth_profile(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<User>, ApiError> {
    auth_me(State(state), principal).await
}

#[utoipa::path(get, path = "/api/v1/users/me", tag = "accounts",
    responses((status = 200, description = "Another name for /auth/me", body = User), (status = 401, body = ErrorBody)))]
pub async fn users_me(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<User>, ApiError> {
    auth_me(State(state), principal).await
}

#[utoipa::path(put, path = "/api/v1/users/me", tag = "accounts", request_body = ProfilePatch,
    responses((status = 200, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_users_me(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(p): ApiJson<ProfilePatch>,
) -> Result<Json<User>, ApiError> {
    update_auth_me(State(state), principal, ApiJson(p)).await
}

/// Who acts on `/users/{id}`: as the instance admin when their credential carries the `admin`
/// scope (which is enough on its own); otherwise as themself, an API key needing `scope`.
fn actor(principal: &Principal, scope: Scope) -> Result<Actor, ApiError> {
    let as_admin = principal.is_admin && principal.require_scope(Scope::Admin).is_ok();
    if !as_admin {
        principal.require_scope(scope)?;
    }
    Ok(Actor {
        user_id: principal.user_id.clone(),
        as_admin,
    })
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, description = "The account, as /auth/me shows it", body = User),
        (status = 403, description = "Neither the instance admin nor the person", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let actor = actor(&principal, Scope::Read)?;
    Ok(Json(accounts::get_user(&state, &actor, &id).await?))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = String, Path)),
    request_body = UserPatch,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<User>, ApiError> {
    let actor = actor(&principal, Scope::Write)?;
    if patch.password.is_some() && matches!(principal.credential, Credential::ApiKey { .. }) {
        return Err(ApiError::forbidden(
            "sign in with a password to change one; an API key cannot",
        ));
    }
    Ok(Json(
        accounts::update_user(&state, &actor, &id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted: its sessions and API keys stop now; its ledger history stays"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The last admin, or the owner of a team workspace with members", body = ErrorBody)))]
pub async fn delete_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&principal, Scope::Write)?;
    if !actor.as_admin && matches!(principal.credential, Credential::ApiKey { .. }) {
        return Err(ApiError::forbidden(
            "sign in to delete your account; an API key cannot",
        ));
    }
    accounts::delete_user(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/auth/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204, description = "Changed; every refresh token of the account is revoked"),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(p): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    // An API key cannot change its owner's password.
    if matches!(principal.credential, Credential::ApiKey { .. }) {
        return Err(ApiError::forbidden(
            "sign in with your password to change it",
        ));
    }
    accounts::change_password(&state, &principal.user_id, p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Managing keys needs a signed-in person, or a key with the `admin` scope.
fn may_manage_keys(p: &Principal) -> Result<(), ApiError> {
    match &p.credential {
        Credential::ApiKey { scopes, .. } if !scopes.contains(&Scope::Admin) => Err(
            ApiError::forbidden("an API key needs the admin scope to manage API keys"),
        ),
        _ => Ok(()),
    }
}

#[utoipa::path(get, path = "/api/v1/users/me/api-keys", tag = "accounts",
    responses((status = 200, description = "Your keys (prefix, name, scopes, expiry, last used); never the secret",
        body = KeyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_keys(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<KeyList>, ApiError> {
    may_manage_keys(&principal)?;
    let items = auth::list_api_keys(&state, &principal.user_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(KeyList {
        total: items.len() as u64,
        items,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub items: Vec<ApiKeyInfo>,
    pub total: u64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NewKey {
    pub name: Option<String>,
    /// `read`, `write`, `billing`, `admin` (default read + write).
    pub scopes: Option<Vec<String>>,
    /// Another name for `scopes`.
    pub permissions: Option<Vec<String>>,
    /// RFC 3339; must be in the future.
    pub expires_at: Option<String>,
    /// The model router's public model names the key may call (default: all).
    pub allowed_models: Option<Vec<String>>,
    /// The key's model-router calls an hour, 1–1,000,000 (default: the server's limit).
    pub rate_limit_per_hour: Option<u32>,
    /// The most credits the key's model-router calls may spend in all (default: no budget).
    #[schema(minimum = 0)]
    pub credit_budget: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<String>,
    /// The secret, shown this once: it is stored only as a hash.
    pub key: String,
    pub limits: auth::KeyLimits,
}

#[utoipa::path(post, path = "/api/v1/users/me/api-keys", tag = "accounts", request_body = NewKey,
    responses((status = 201, body = CreatedKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(k): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    may_manage_keys(&principal)?;
    let name = k.name.unwrap_or_default().trim().to_string();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::validation(
            "name",
            "name must be 1 to 64 characters",
        ));
    }
    let field = if k.scopes.is_some() {
        "scopes"
    } else {
        "permissions"
    };
    let wanted = k
        .scopes
        .or(k.permissions)
        .unwrap_or_else(|| vec!["read".into(), "write".into()]);
    let mut scopes = Vec::new();
    for s in &wanted {
        let scope: Scope = s
            .parse()
            .map_err(|m: String| ApiError::validation(field, m))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(ApiError::validation(field, "give at least one scope"));
    }
    if scopes.contains(&Scope::Admin) && !principal.is_admin {
        return Err(ApiError::forbidden(
            "only an instance admin can create a key with the admin scope",
        ));
    }
    let expires_at = match k.expires_at.as_deref().filter(|e| !e.is_empty()) {
        Some(e) => {
            let t = chrono::DateTime::parse_from_rfc3339(e)
                .map_err(|_| {
                    ApiError::validation("expires_at", "expires_at must be an RFC 3339 time")
                })?
                .with_timezone(&chrono::Utc);
            if t <= state.clock.now() {
                return Err(ApiError::validation(
                    "expires_at",
                    "expires_at must be in the future",
                ));
            }
            Some(t)
        }
        None => None,
    };
    let limits = key_limits(
        &state,
        k.allowed_models,
        k.rate_limit_per_hour,
        k.credit_budget,
    )
    .await?;
    let key = auth::create_api_key_with(
        &state,
        &principal.user_id,
        &name,
        &scopes,
        expires_at,
        limits,
    )
    .await
    .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            scopes: key.scopes.iter().map(|s| s.as_str().to_string()).collect(),
            expires_at: key.expires_at,
            key: key.secret,
            limits: key.limits,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/me/api-keys/{id}", tag = "accounts", params(("id" = String, Path)),
    responses((status = 204, description = "Revoked: it answers 401 from now on"), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    may_manage_keys(&principal)?;
    let revoked = auth::revoke_own_api_key(&state, &principal.user_id, &id)
        .await
        .map_err(ApiError::internal)?;
    if revoked {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "api key '{id}' not found (or already revoked)"
        )))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// `active`, `inactive` or `suspended`.
    pub status: Option<String>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/admin/users", tag = "accounts", params(UsersQuery),
    responses((status = 200, body = Page<User>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn admin_users(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    principal.require(Scope::Admin)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    if let Some(s) = &q.status {
        if !matches!(s.as_str(), "active" | "inactive" | "suspended") {
            return Err(ApiError::validation(
                "status",
                "status must be active, inactive or suspended",
            ));
        }
    }
    let (items, total) =
        accounts::list_users(&state, q.status, spec.offset, u64::from(spec.limit)).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusBody {
    /// `active`, `inactive` or `suspended`.
    pub status: String,
}

#[utoipa::path(put, path = "/api/v1/admin/users/{id}/status", tag = "accounts", params(("id" = String, Path)),
    request_body = StatusBody,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn admin_set_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusBody>,
) -> Result<Json<User>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(
        accounts::set_status(&state, &principal.user_id, &id, &b.status).await?,
    ))
}

/// A new key's model-router limits, checked: the models must be ones the router serves.
async fn key_limits(
    state: &AppState,
    allowed_models: Option<Vec<String>>,
    rate_limit_per_hour: Option<u32>,
    credit_budget: Option<i64>,
) -> Result<auth::KeyLimits, ApiError> {
    let allowed_models = match allowed_models {
        None => None,
        Some(models) => {
            if models.is_empty() || models.len() > 100 {
                return Err(ApiError::validation(
                    "allowed_models",
                    "allowed_models names 1 to 100 models (leave it out to allow all)",
                ));
            }
            let served: Vec<String> = crate::registry::router_catalog(state)
                .await
                .map_err(ApiError::internal)?
                .into_iter()
                .map(|m| m.public_name)
                .collect();
            let mut names = Vec::new();
            for m in models {
                let m = m.trim().to_string();
                if !served.contains(&m) {
                    return Err(ApiError::validation(
                        "allowed_models",
                        format!("the model router serves no model named {m:?} (GET /v1/models)"),
                    ));
                }
                if !names.contains(&m) {
                    names.push(m);
                }
            }
            Some(names)
        }
    };
    if rate_limit_per_hour.is_some_and(|n| !(1..=1_000_000).contains(&n)) {
        return Err(ApiError::validation(
            "rate_limit_per_hour",
            "rate_limit_per_hour is between 1 and 1,000,000",
        ));
    }
    if credit_budget.is_some_and(|b| !(0..=1_000_000_000_000).contains(&b)) {
        return Err(ApiError::validation(
            "credit_budget",
            "credit_budget is between 0 and 1,000,000,000,000 credits",
        ));
    }
    Ok(auth::KeyLimits {
        allowed_models,
        router_per_hour: rate_limit_per_hour,
        credit_budget,
    })
}
