//! The desktop's team-server connection (issue 7): status, sign in, check, sign out; the team's
//! models (issue 17); purchases made on the team server (issue 18). Only in local
//! mode (the desktop app); a team server itself answers these paths with 404. Thin: parse, call
//! one function of [`crate::remote`], map the result.
use axum::{
    extract::{FromRequestParts, Path, State},
    http::{request::Parts, StatusCode},
    Json,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::ApiJson,
};
use crate::{
    auth::Scope,
    config::AuthMode,
    remote::{
        browser::BrowserSignIn,
        team_models::{self, Linked},
        ConnectionStatus,
    },
    shares::queue::{self, QueueShare, QueuedShare},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    let link = OpenApiRouter::new()
        .routes(routes!(get_connection))
        .routes(routes!(sign_in))
        .routes(routes!(
            start_browser_sign_in,
            get_browser_sign_in,
            cancel_browser_sign_in
        ))
        .routes(routes!(remote_sign_in_providers))
        .routes(routes!(check))
        .routes(routes!(sign_out))
        .routes(routes!(link_team_models))
        .routes(routes!(remote_buy))
        .routes(routes!(remote_order))
        .routes(routes!(remote_balance))
        .routes(routes!(remote_gateways))
        .routes(routes!(list_queued_shares, queue_share))
        .routes(routes!(cancel_queued_share))
        .routes(routes!(send_queued_share));
    with_policy(link, Policy::Person)
}

/// The desktop (local mode) only: a team server does not sign in to other servers. An extractor
/// placed before [`Principal`], so a server answers 404 before asking for credentials.
pub struct DesktopOnly;

impl FromRequestParts<AppState> for DesktopOnly {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.config.auth_mode {
            AuthMode::Local => Ok(Self),
            AuthMode::Accounts => Err(ApiError::not_found(
                "the desktop's own endpoints (its link to a team server, its projects' sync) exist only in the desktop app (local mode): this is a team server, sign in to it directly",
            )),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/remote/connection", tag = "remote",
    responses(
        (status = 200, description = "The team-server connection as last known (never calls the server)", body = ConnectionStatus),
        (status = 404, description = "Not the desktop app (a server in accounts mode)", body = ErrorBody)))]
pub async fn get_connection(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ConnectionStatus>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(state.remote.status().await))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SignInBody {
    /// The team server's address, `http://` or `https://`, e.g. `https://team.example.com`.
    pub server_url: Option<String>,
    /// A username or email on that server.
    pub username: Option<String>,
    pub password: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/remote/sign-in", tag = "remote", request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in; the refresh token is kept in the OS keyring or the encrypted file", body = ConnectionStatus),
        (status = 401, description = "The server rejected the username or password", body = ErrorBody),
        (status = 404, description = "Not the desktop app", body = ErrorBody),
        (status = 422, description = "`server_url`, `username` or `password` missing or invalid", body = ErrorBody),
        (status = 429, description = "The server is rate limiting sign-ins", body = ErrorBody),
        (status = 502, description = "The server could not be reached, or answered unexpectedly", body = ErrorBody),
        (status = 503, description = "The keyring or the secrets file could not be written", body = ErrorBody)))]
pub async fn sign_in(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(b): ApiJson<SignInBody>,
) -> Result<Json<ConnectionStatus>, ApiError> {
    principal.require(Scope::Write)?;
    let mut status = state
        .remote
        .sign_in(b.server_url, b.username, b.password, state.clock.as_ref())
        .await?;
    // The team's models become a provider here; signing in stands even if that fails (it can
    // be retried with POST /remote/team-models).
    if let Err(e) = team_models::link(&state).await {
        tracing::warn!(error = %e, "the team's models could not be linked");
        status.message = format!(
            "{} The team's models could not be added: {e}.",
            status.message
        );
    }
    Ok(Json(status))
}

#[utoipa::path(post, path = "/api/v1/remote/team-models", tag = "remote",
    responses(
        (status = 200, description = "The team server's router models are the \"Team server\" provider's (added or refreshed)", body = Linked),
        (status = 404, description = "Not the desktop app", body = ErrorBody),
        (status = 422, description = "Not signed in to a team server", body = ErrorBody),
        (status = 502, description = "The server could not be reached, or serves no model", body = ErrorBody)))]
pub async fn link_team_models(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Linked>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(team_models::link(&state).await?))
}

#[utoipa::path(post, path = "/api/v1/remote/check", tag = "remote",
    responses(
        (status = 200, description = "Checked now: `connected`, `unreachable` or `session_expired` (or `signed_out`, without a call)", body = ConnectionStatus),
        (status = 404, description = "Not the desktop app", body = ErrorBody),
        (status = 502, description = "The server's answer could not be read", body = ErrorBody),
        (status = 503, description = "The rotated refresh token could not be stored", body = ErrorBody)))]
pub async fn check(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ConnectionStatus>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(state.remote.check(state.clock.as_ref()).await?))
}

#[utoipa::path(post, path = "/api/v1/remote/sign-out", tag = "remote",
    responses(
        (status = 200, description = "Signed out on this computer (the server is told when it can be reached)", body = ConnectionStatus),
        (status = 404, description = "Not the desktop app", body = ErrorBody),
        (status = 503, description = "The stored secrets could not be deleted", body = ErrorBody)))]
pub async fn sign_out(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ConnectionStatus>, ApiError> {
    principal.require(Scope::Write)?;
    team_models::unlink(&state).await;
    Ok(Json(state.remote.sign_out().await?))
}

#[utoipa::path(post, path = "/api/v1/remote/payments", tag = "remote", request_body = Object,
    responses(
        (status = 201, description = "The team server's order (a recharge; `kind: \"membership\"` for a membership, 202): its `payment_url` is absolute, for the system browser", body = Object),
        (status = 404, description = "Not the desktop app", body = ErrorBody),
        (status = 422, description = "Not signed in to a team server, or the server refused the order (its own field)", body = ErrorBody),
        (status = 502, description = "The server could not be reached or failed", body = ErrorBody)))]
pub async fn remote_buy(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    principal.require(Scope::Write)?;
    let (status, answer) = crate::remote::payments::buy(&state, body).await?;
    Ok((status, Json(answer)))
}

#[utoipa::path(get, path = "/api/v1/remote/payments/{order_id}", tag = "remote",
    params(("order_id" = String, Path, description = "The order's id on the team server")),
    responses(
        (status = 200, description = "The order as the team server has it now", body = Object),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn remote_order(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
    Path(order_id): Path<String>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    principal.require(Scope::Read)?;
    let (status, answer) = crate::remote::payments::order(&state, &order_id).await?;
    Ok((status, Json(answer)))
}

#[utoipa::path(get, path = "/api/v1/remote/credits", tag = "remote",
    responses(
        (status = 200, description = "The signed-in person's balance on the team server", body = Object),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn remote_balance(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    principal.require(Scope::Read)?;
    let (status, answer) = crate::remote::payments::get(&state, "/api/v1/credit/balance").await?;
    Ok((status, Json(answer)))
}

#[utoipa::path(get, path = "/api/v1/remote/payments/gateways", tag = "remote",
    responses(
        (status = 200, description = "The ways to pay the team server offers", body = Object),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn remote_gateways(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    principal.require(Scope::Read)?;
    let (status, answer) =
        crate::remote::payments::get(&state, "/api/v1/payments/gateways").await?;
    Ok((status, Json(answer)))
}

#[utoipa::path(post, path = "/api/v1/remote/shares", tag = "remote", request_body = QueueShare,
    responses(
        (status = 202, description = "Queued, and sent at once when the team server can be reached (the project is linked to the person's own workspace if it is not linked yet, and synced, which uploads the video once); `GET /remote/shares` follows it", body = QueuedShare),
        (status = 404, description = "Not the desktop app, or no such export", body = ErrorBody),
        (status = 422, description = "Not signed in to a team server (`server_url`), the export not completed (`export_id`), `expires_at` not a future time within 366 days, `password` not 4–128 characters", body = ErrorBody)))]
pub async fn queue_share(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<QueueShare>,
) -> Result<(StatusCode, Json<QueuedShare>), ApiError> {
    principal.require(Scope::Write)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(queue::enqueue(&state, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/remote/shares", tag = "remote",
    responses(
        (status = 200, description = "This desktop's shares, newest first (at most 200), with where each stands", body = Vec<QueuedShare>),
        (status = 404, description = "Not the desktop app", body = ErrorBody)))]
pub async fn list_queued_shares(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<QueuedShare>>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(queue::list(&state).await?))
}

#[utoipa::path(delete, path = "/api/v1/remote/shares/{id}", tag = "remote",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "Cancelled (its stored password forgotten)", body = QueuedShare),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Already shared or being sent (`status`): revoke a made link on the server", body = ErrorBody)))]
pub async fn cancel_queued_share(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<QueuedShare>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(queue::cancel(&state, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/remote/shares/{id}/send", tag = "remote",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "Tried now (a failed share is queued again first): where it stands after the try", body = QueuedShare),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Shared, cancelled or being sent (`status`)", body = ErrorBody)))]
pub async fn send_queued_share(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<QueuedShare>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(queue::send_now(&state, &id).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct BrowserSignInBody {
    /// The team server's address, `http://` or `https://`.
    pub server_url: Option<String>,
    /// One of the server's sign-in providers (`GET /remote/sign-in/providers`).
    pub provider: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/remote/sign-in/browser", tag = "remote", request_body = BrowserSignInBody,
    responses(
        (status = 200, description = "Open `authorize_url` in the system browser; the desktop waits (10 minutes) for the browser to come back to its loopback address, then `GET` says `signed_in` or why not", body = BrowserSignIn),
        (status = 404, description = "Not the desktop app", body = ErrorBody),
        (status = 422, description = "`server_url` or `provider` not valid", body = ErrorBody)))]
pub async fn start_browser_sign_in(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<BrowserSignInBody>,
) -> Result<Json<BrowserSignIn>, ApiError> {
    principal.require(Scope::Write)?;
    let attempt = state.ids.new_id().to_string();
    Ok(Json(
        state
            .remote
            .start_browser_sign_in(body.server_url, body.provider, attempt, state.clock.clone())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/remote/sign-in/browser", tag = "remote",
    responses(
        (status = 200, description = "The browser sign-in under way or last made", body = BrowserSignIn),
        (status = 404, description = "None since the app started, or not the desktop app", body = ErrorBody)))]
pub async fn get_browser_sign_in(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<BrowserSignIn>, ApiError> {
    principal.require(Scope::Read)?;
    state
        .remote
        .browser_sign_in()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no sign-in through the browser since the app started"))
}

#[utoipa::path(delete, path = "/api/v1/remote/sign-in/browser", tag = "remote",
    responses(
        (status = 200, description = "No longer waiting for the browser", body = BrowserSignIn),
        (status = 404, body = ErrorBody)))]
pub async fn cancel_browser_sign_in(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<BrowserSignIn>, ApiError> {
    principal.require(Scope::Write)?;
    state
        .remote
        .cancel_browser_sign_in()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no sign-in through the browser since the app started"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProvidersQuery {
    pub server_url: String,
}

#[utoipa::path(get, path = "/api/v1/remote/sign-in/providers", tag = "remote", params(ProvidersQuery),
    responses(
        (status = 200, description = "The sign-in providers that team server offers (`[{id, name}]`; empty when none)", body = Object),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn remote_sign_in_providers(
    _: DesktopOnly,
    State(state): State<AppState>,
    principal: Principal,
    super::extract::ApiQuery(q): super::extract::ApiQuery<ProvidersQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(state.remote.sign_in_providers(&q.server_url).await?))
}
