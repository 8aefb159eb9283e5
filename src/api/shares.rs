//! HTTP handlers for share links, as their owners manage them (thin: parse, check scope, call the
//! service). The public page they lead to is `api::watch`.
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{idempotency_key, ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    paging::{Page, PageSpec},
    shares::{self, NewShare, NewSummaryShare, Share},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_shares, create_share))
        .routes(routes!(get_share, revoke_share))
        .routes(routes!(share_summary))
}

#[utoipa::path(post, path = "/api/v1/history/{id}/share", tag = "shares", params(("id" = String, Path)),
    request_body = NewSummaryShare,
    responses(
        (status = 201, description = "A link whose page shows the summary, its beat sheet and its mind map", body = Share),
        (status = 404, description = "No such summary in this workspace", body = ErrorBody),
        (status = 422, description = "`expires_at` not a future time within 366 days, `password` not 4–128 characters", body = ErrorBody)))]
pub async fn share_summary(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewSummaryShare>,
) -> Result<(StatusCode, Json<Share>), ApiError> {
    principal.require(Scope::Write)?;
    let share = shares::create_for_summary(
        &state,
        &principal.workspace_id,
        &principal.user_id,
        &id,
        input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(share)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListSharesQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip; wins over `page`.
    pub skip: Option<u64>,
    /// Only this project's links.
    pub project_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/share", tag = "shares", request_body = NewShare,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely: the same key answers the first request's link")),
    responses(
        (status = 201, description = "The link, active", body = Share),
        (status = 404, description = "No such project, export or asset in this workspace", body = ErrorBody),
        (status = 422, description = "`export_id` not a completed export of the project (or none exists), `asset_id` not an uploaded exported video of the project, `expires_at` not a future time within 366 days, `password` not 4–128 characters", body = ErrorBody)))]
pub async fn create_share(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewShare>,
) -> Result<(StatusCode, Json<Share>), ApiError> {
    principal.require(Scope::Write)?;
    let key = idempotency_key(&headers)?;
    let share = shares::create(
        &state,
        &principal.workspace_id,
        &principal.user_id,
        input,
        key,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(share)))
}

#[utoipa::path(get, path = "/api/v1/share", tag = "shares", params(ListSharesQuery),
    responses((status = 200, description = "The workspace's links, newest first, with their view counts", body = Page<Share>)))]
pub async fn list_shares(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListSharesQuery>,
) -> Result<Json<Page<Share>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let (items, total) = shares::list(&state, &principal.workspace_id, q.project_id, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(get, path = "/api/v1/share/{id}", tag = "shares", params(("id" = String, Path)),
    responses((status = 200, body = Share), (status = 404, body = ErrorBody)))]
pub async fn get_share(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Share>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        shares::get(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/share/{id}", tag = "shares", params(("id" = String, Path)),
    responses(
        (status = 200, description = "Revoked (for good: its page answers 410); revoking again changes nothing", body = Share),
        (status = 404, body = ErrorBody)))]
pub async fn revoke_share(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Share>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        shares::revoke(&state, &principal.workspace_id, &id).await?,
    ))
}
