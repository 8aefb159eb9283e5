//! Handlers for publishing (docs/PUBLISH.md). Thin: parse, check scope, call `crate::publish`.
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    paging::{Page, PageSpec},
    publish::{self, BindRequest, Platform, PublishJob, PublishRequest},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_platforms))
        .routes(routes!(bind_platform))
        .routes(routes!(unbind_platform))
        .routes(routes!(create_publish))
        .routes(routes!(publish_history))
        .routes(routes!(get_publish))
}

#[utoipa::path(get, path = "/api/v1/publish/platforms", tag = "publish",
    responses((status = 200, description = "wechat, douyin, kuaishou, xiaohongshu, toutiao: what each publishes, the credentials it takes, and whether this workspace has bound an account", body = Vec<Platform>)))]
pub async fn list_platforms(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Platform>>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        publish::platforms(&state, &principal.workspace_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/publish/platforms/bind", tag = "publish", request_body = BindRequest,
    responses((status = 200, description = "Bound; the credentials are sealed and never returned", body = Platform),
        (status = 422, description = "`platform` unknown or without an open publishing API (`PUBLISH_UNSUPPORTED`), a `credentials` field missing", body = ErrorBody)))]
pub async fn bind_platform(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<BindRequest>,
) -> Result<Json<Platform>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        publish::bind(&state, &principal.workspace_id, &principal.user_id, req).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/publish/platforms/{platform}", tag = "publish", params(("platform" = String, Path)),
    responses((status = 204, description = "Unbound: the credentials are deleted"), (status = 404, body = ErrorBody)))]
pub async fn unbind_platform(
    State(state): State<AppState>,
    principal: Principal,
    Path(platform): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    publish::unbind(&state, &principal.workspace_id, &platform).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/publish", tag = "publish", request_body = PublishRequest,
    responses((status = 202, description = "Stored: sent now, or at `schedule_time` (after a restart too); each platform's result in `items`", body = PublishJob),
        (status = 422, description = "Neither or both of `creation_id` and `export_id`; a platform unknown, not bound (`PLATFORM_NOT_BOUND`) or unable to publish this kind (`PUBLISH_UNSUPPORTED`); a bad `schedule_time`", body = ErrorBody)))]
pub async fn create_publish(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<PublishRequest>,
) -> Result<(StatusCode, Json<PublishJob>), ApiError> {
    principal.require(Scope::Write)?;
    let job = publish::publish(&state, &principal.workspace_id, &principal.user_id, req).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    /// Another name for `limit`.
    pub page_size: Option<u32>,
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/publish/history", tag = "publish", params(HistoryQuery),
    responses((status = 200, description = "The workspace's publish jobs, newest first, each with every platform's result", body = Page<PublishJob>)))]
pub async fn publish_history(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<PublishJob>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit.or(q.page_size), q.skip)?;
    let (items, total) = publish::history(&state, &principal.workspace_id, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(get, path = "/api/v1/publish/{publish_id}", tag = "publish", params(("publish_id" = String, Path)),
    responses((status = 200, body = PublishJob), (status = 404, body = ErrorBody)))]
pub async fn get_publish(
    State(state): State<AppState>,
    principal: Principal,
    Path(publish_id): Path<String>,
) -> Result<Json<PublishJob>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        publish::get(&state, &principal.workspace_id, &publish_id).await?,
    ))
}
