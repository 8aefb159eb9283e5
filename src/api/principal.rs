//! The principal of a request: who is calling (src/auth checks the credentials) and the workspace
//! they act in, with the access the route's [`Policy`](super::access::Policy) asks for checked
//! before the handler reads the body, and the caller's rate limit.
use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::request::Parts,
};

use super::{
    access::{self, Access, Policy},
    error::ApiError,
    limits::RouteClass,
};
use crate::{
    auth::{self, AuthError, Caller, Credential, Scope},
    config::AuthMode,
    workspaces::{self, Permission, Role},
    AppState,
};

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
        let class = access::route_class(&parts.method, parts.extensions.get::<RouteClass>());
        limit_caller(state, &person, class).await?;
        let access = match parts.extensions.get::<Policy>() {
            Some(policy) => policy.access(&parts.method),
            None => Policy::default_access(&parts.method),
        };
        let (scope, permission) = match access {
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
            Access::NamedWorkspace(scope, permission) => {
                // The workspace endpoints name their workspace in the path; the header doesn't apply.
                let id = named_workspace(parts, state).await?;
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

/// The workspace id in the path (`{id}`): a route of a named-workspace policy names one; one that
/// is not a UUID names no workspace anyone is in.
async fn named_workspace(parts: &mut Parts, state: &AppState) -> Result<String, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::not_found("workspace not found"))?;
    params
        .iter()
        .find(|(name, _)| *name == "id")
        .and_then(|(_, value)| uuid::Uuid::parse_str(value).ok())
        .map(|id| id.to_string())
        .ok_or_else(|| ApiError::not_found("workspace not found"))
}

/// Per-caller limits by route class (src/api/limits.rs): a person, or each API key on its own.
/// The desktop's local owner is never limited; generation is unlimited with a membership.
async fn limit_caller(state: &AppState, p: &Principal, class: RouteClass) -> Result<(), ApiError> {
    let caller = match &p.credential {
        Credential::LocalOwner => return Ok(()),
        Credential::Bearer => format!("user:{}", p.user_id),
        Credential::ApiKey { key_id, limits, .. } => {
            if let (RouteClass::Router, Some(per_hour)) = (class, limits.router_per_hour) {
                return state
                    .limits
                    .check_key_router(&format!("key:{key_id}"), per_hour)
                    .await;
            }
            format!("key:{key_id}")
        }
    };
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
    state.limits.check_caller(class, &caller).await
}

/// The person behind the request's credentials, in their personal workspace.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(key) = parts.headers.get("x-api-key") {
        let key = key.to_str().map_err(|_| AuthError::InvalidApiKey)?;
        return Ok(personal(auth::authenticate_api_key(state, key).await?));
    }
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| AuthError::MalformedAuthorization)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthError::MalformedAuthorization)?;
        let token = token.trim();
        // OpenAI's clients send the key as a bearer token (the model router, seed 001).
        if token.starts_with(auth::API_KEY_PREFIX) {
            return Ok(personal(auth::authenticate_api_key(state, token).await?));
        }
        return Ok(personal(auth::authenticate_bearer(state, token).await?));
    }
    // A browser opening a WebSocket cannot send headers: it sends a short-lived ticket in the URL
    // (`POST /api/v1/ws/tickets`), which opens sockets and nothing else.
    if let Some(ticket) = ws_ticket(parts) {
        return Ok(personal(
            auth::authenticate_ws_ticket(state, &ticket).await?,
        ));
    }
    match (state.config.auth_mode, &state.local_owner_id) {
        (AuthMode::Local, Some(owner)) => Ok(personal(Caller {
            user_id: owner.clone(),
            is_admin: true,
            credential: Credential::LocalOwner,
        })),
        _ => Err(ApiError::auth_required()),
    }
}

/// The `token` query parameter of a WebSocket upgrade (any other request ignores it).
fn ws_ticket(parts: &Parts) -> Option<String> {
    let upgrade = parts
        .headers
        .get(axum::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return None;
    }
    let axum::extract::Query(mut query) =
        axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(&parts.uri)
            .ok()?;
    query.remove("token")
}

/// A caller in their personal workspace (whose id is their own), which they own.
fn personal(caller: Caller) -> Principal {
    Principal {
        workspace_id: caller.user_id.clone(),
        user_id: caller.user_id,
        role: Role::Owner,
        is_admin: caller.is_admin,
        credential: caller.credential,
    }
}
