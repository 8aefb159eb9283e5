//! HTTP handlers for sync (thin: parse, call the service). The team server's endpoints
//! (`/api/v1/sync/...`: push, pull, blobs) take any signed-in person, whose role in each
//! project's workspace the service checks; the desktop's (`/api/v1/projects/{id}/sync...`) link,
//! sync and unlink its local projects. docs/SYNC.md is the protocol.
use axum::{
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, Path, Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    access::{with_policy, Policy},
    error::{ApiError, ErrorBody},
    extract::ApiJson,
    principal::Principal,
    remote::DesktopOnly,
};
use crate::{
    auth::Scope,
    sync::{
        client::{self, SyncStatus},
        server, Conflict, Event, PullRequest, PullResponse, PushRequest, PushResponse,
    },
    AppState,
};

/// The largest push accepted: two scripts at the limit, every byte escaped, and room besides.
pub const PUSH_BODY_LIMIT: usize = 2 * super::versions::SCRIPT_BODY_LIMIT + 1024 * 1024;

/// The team server's endpoints.
pub fn server_routes() -> OpenApiRouter<AppState> {
    // Each group's body limit is its last layer, over the access policy's.
    let blobs = with_policy(
        OpenApiRouter::new().routes(routes!(put_blob, get_blob)),
        Policy::Person,
    )
    .layer(DefaultBodyLimit::disable());
    // A push may carry a version whose script and its base are at the script limit, escaped.
    let push = with_policy(OpenApiRouter::new().routes(routes!(push)), Policy::Person)
        .layer(DefaultBodyLimit::max(PUSH_BODY_LIMIT));
    with_policy(
        OpenApiRouter::new()
            .routes(routes!(pull))
            .routes(routes!(missing_blobs)),
        Policy::Person,
    )
    .merge(push)
    .merge(blobs)
}

/// The desktop's endpoints (its own projects).
pub fn desktop_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_links))
        .routes(routes!(pull_project))
        .routes(routes!(sync_status, link_project, unlink_project))
        .routes(routes!(sync_project_now))
        .routes(routes!(list_conflicts))
        .routes(routes!(list_events))
}

#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync", request_body = PushRequest,
    responses(
        (status = 200, description = "Each mutation applied, skipped (applied before) or rejected for good; or `reset`", body = PushResponse),
        (status = 409, description = "Another protocol version, a newer schema, or a gap in the counters", body = ErrorBody),
        (status = 422, description = "`client_id` or `mutations` not acceptable", body = ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    principal.require_scope(Scope::Write)?;
    Ok(Json(
        server::push(&state, &principal.user_id, request).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/sync/pull", tag = "sync", request_body = PullRequest,
    responses(
        (status = 200, description = "The project's changes after the cursor, or a snapshot", body = PullResponse),
        (status = 404, description = "No such project in a workspace of the caller's", body = ErrorBody),
        (status = 409, description = "Another protocol version or a newer schema", body = ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<PullRequest>,
) -> Result<Json<PullResponse>, ApiError> {
    principal.require_scope(Scope::Read)?;
    Ok(Json(
        server::pull(&state, &principal.user_id, request).await?,
    ))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Hashes {
    pub hashes: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Missing {
    pub missing: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/sync/blobs/missing", tag = "sync", request_body = Hashes,
    responses(
        (status = 200, description = "The hashes the server has no blob for", body = Missing),
        (status = 422, description = "`hashes`: more than 1000, or not SHA-256s", body = ErrorBody)))]
pub async fn missing_blobs(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<Hashes>,
) -> Result<Json<Missing>, ApiError> {
    principal.require_scope(Scope::Write)?;
    Ok(Json(Missing {
        missing: server::missing_blobs(&state, &body.hashes)?,
    }))
}

#[utoipa::path(put, path = "/api/v1/sync/blobs/{sha256}", tag = "sync",
    params(("sha256" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored"),
        (status = 200, description = "The server had it already"),
        (status = 413, description = "Larger than the upload limit", body = ErrorBody),
        (status = 422, description = "`sha256`: not a SHA-256, or not the body's", body = ErrorBody)))]
pub async fn put_blob(
    State(state): State<AppState>,
    principal: Principal,
    Path(sha256): Path<String>,
    request: Request,
) -> Result<StatusCode, ApiError> {
    principal.require_scope(Scope::Write)?;
    let limit = usize::try_from(state.config.max_upload_bytes).unwrap_or(usize::MAX);
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::from(crate::error::InvalidField::new(
                "body",
                "the blob is larger than the upload limit or did not arrive whole",
            ))
        })?;
    Ok(if server::put_blob(&state, &sha256, bytes).await? {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}

#[utoipa::path(get, path = "/api/v1/sync/blobs/{sha256}", tag = "sync",
    params(("sha256" = String, Path)),
    responses(
        (status = 200, description = "The blob", content_type = "application/octet-stream"),
        (status = 404, description = "No such blob in a project of the caller's workspaces", body = ErrorBody)))]
pub async fn get_blob(
    State(state): State<AppState>,
    principal: Principal,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_scope(Scope::Read)?;
    let bytes = server::get_blob(&state, &principal.user_id, &sha256).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        Body::from(bytes),
    )
        .into_response())
}

// --- The desktop's ---

#[utoipa::path(get, path = "/api/v1/sync/links", tag = "sync",
    responses((status = 200, description = "Every linked project's sync state", body = Vec<SyncStatus>)))]
pub async fn list_links(
    _: DesktopOnly,
    State(state): State<AppState>,
    _principal: Principal,
) -> Result<Json<Vec<SyncStatus>>, ApiError> {
    Ok(Json(client::statuses(&state).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkInput {
    /// The workspace on the signed-in team server.
    pub workspace_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PullProjectInput {
    pub project_id: String,
    pub workspace_id: String,
}

#[utoipa::path(post, path = "/api/v1/sync/projects", tag = "sync", request_body = PullProjectInput,
    responses(
        (status = 201, description = "The server's project, now on this desktop and linked", body = SyncStatus),
        (status = 404, description = "No such project on the server for this person", body = ErrorBody),
        (status = 409, description = "The project is on this desktop already", body = ErrorBody),
        (status = 422, description = "`server_url`: not signed in to a team server", body = ErrorBody)))]
pub async fn pull_project(
    _: DesktopOnly,
    State(state): State<AppState>,
    _principal: Principal,
    ApiJson(input): ApiJson<PullProjectInput>,
) -> Result<(StatusCode, Json<SyncStatus>), ApiError> {
    let status = client::pull_project(&state, &input.project_id, &input.workspace_id).await?;
    Ok((StatusCode::CREATED, Json(status)))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/sync", tag = "sync", params(("id" = String, Path)),
    responses((status = 200, body = SyncStatus), (status = 404, description = "Not linked", body = ErrorBody)))]
pub async fn sync_status(
    _: DesktopOnly,
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SyncStatus>, ApiError> {
    Ok(Json(client::status(&state, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/sync", tag = "sync", params(("id" = String, Path)),
    request_body = LinkInput,
    responses(
        (status = 201, description = "Linked; the first sync has run (its outcome is in the state)", body = SyncStatus),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Linked already", body = ErrorBody),
        (status = 422, description = "`server_url`: not signed in; `workspace_id` empty", body = ErrorBody)))]
pub async fn link_project(
    _: DesktopOnly,
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LinkInput>,
) -> Result<(StatusCode, Json<SyncStatus>), ApiError> {
    let status = client::link(&state, &id, &input.workspace_id).await?;
    Ok((StatusCode::CREATED, Json(status)))
}

#[utoipa::path(delete, path = "/api/v1/projects/{id}/sync", tag = "sync", params(("id" = String, Path)),
    responses(
        (status = 204, description = "Unlinked: the project stays here and on the server"),
        (status = 404, description = "Not linked", body = ErrorBody)))]
pub async fn unlink_project(
    _: DesktopOnly,
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    client::unlink(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/sync/now", tag = "sync", params(("id" = String, Path)),
    responses(
        (status = 200, description = "Synced now; a failure is the state `offline` with its error", body = SyncStatus),
        (status = 404, description = "Not linked", body = ErrorBody)))]
pub async fn sync_project_now(
    _: DesktopOnly,
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SyncStatus>, ApiError> {
    Ok(Json(client::sync_now(&state, &id).await?))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/sync/conflicts", tag = "sync", params(("id" = String, Path)),
    responses((status = 200, description = "What sync kept and set aside, newest first", body = Vec<Conflict>)))]
pub async fn list_conflicts(
    _: DesktopOnly,
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<Conflict>>, ApiError> {
    Ok(Json(client::conflicts(&state, &id).await?))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/sync/events", tag = "sync", params(("id" = String, Path)),
    responses((status = 200, description = "The project's review decisions from every side, newest first (append-only)", body = Vec<Event>)))]
pub async fn list_events(
    _: DesktopOnly,
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<Event>>, ApiError> {
    Ok(Json(client::events(&state, &id).await?))
}
