//! Handlers for video export (`/export/...`, docs/API-EXPORT.md) and the storyboard sheet. Thin:
//! parse, call one service function in `crate::export`, map the result.
use crate::paging::{Page, PageSpec};
use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{generation, with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    export::{
        self,
        preview::{Preview, PreviewRequest},
        sheet, Estimate, Export, ExportRequest,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(with_policy(
            OpenApiRouter::new().routes(routes!(estimate_export)),
            Policy::Compute,
        ))
        .merge(generation(
            OpenApiRouter::new().routes(routes!(start_export)),
        ))
        .routes(routes!(export_history))
        .routes(routes!(get_export))
        .routes(routes!(cancel_export))
        .routes(routes!(export_events))
        .routes(routes!(storyboard_sheet))
        .routes(routes!(storyboard_deck))
        .routes(routes!(make_preview))
        .routes(routes!(preview_video))
}

#[utoipa::path(post, path = "/api/v1/export/estimate", tag = "export", request_body = ExportRequest,
    responses((status = 200, body = Estimate), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn estimate_export(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<ExportRequest>,
) -> Result<Json<Estimate>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        export::estimate(&state, &principal.workspace_id, req).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/export", tag = "export", request_body = ExportRequest,
    responses((status = 202, description = "Accepted: queued or encoding", body = Export), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, description = "ffmpeg is missing or broken", body = ErrorBody)))]
pub async fn start_export(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<ExportRequest>,
) -> Result<(StatusCode, Json<Export>), ApiError> {
    principal.require(Scope::Write)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(export::start(&state, &principal.workspace_id, req).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub project_id: Option<String>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
    /// Records to skip, for clients that page by offset; wins over `page`.
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/export/history", tag = "export", params(HistoryQuery),
    responses((status = 200, body = Page<Export>), (status = 400, body = ErrorBody)))]
pub async fn export_history(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<Export>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let (items, total) = export::history(
        &state,
        &principal.workspace_id,
        q.project_id.filter(|p| !p.is_empty()),
        spec.offset,
        u64::from(spec.limit),
    )
    .await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(get, path = "/api/v1/export/{id}", tag = "export", params(("id" = String, Path)),
    responses((status = 200, body = Export), (status = 404, body = ErrorBody)))]
pub async fn get_export(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Export>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        export::get(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/export/{id}/cancel", tag = "export", params(("id" = String, Path)),
    responses((status = 200, body = Export), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_export(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Export>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        export::cancel(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/export/{id}/events", tag = "export", params(("id" = String, Path)),
    responses((status = 200, description = "SSE: `state` (the Export), then `progress` (ExportEvent) events", content_type = "text/event-stream"),
        (status = 404, body = ErrorBody)))]
pub async fn export_events(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    principal.require(Scope::Read)?;
    // Subscribe before reading the state, so nothing between the two is missed.
    let events = state.exports.progress.events_of(&id);
    let current = export::get(&state, &principal.workspace_id, &id).await?;
    let first = Event::default()
        .event("state")
        .json_data(&current)
        .unwrap_or_default();
    let done = current.status.is_final();
    // Ends after the event that finishes the export (at once when it already had).
    let updates = stream::unfold((Box::pin(events), done), |(mut events, done)| async move {
        if done {
            return None;
        }
        let e = events.next().await?;
        let finished = e.status.is_final();
        let ev = Event::default()
            .event("progress")
            .json_data(&e)
            .unwrap_or_default();
        Some((Ok(ev), (events, finished)))
    });
    let stream = stream::once(async { Ok(first) }).chain(updates);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/versions/{vid}/storyboard.pdf", tag = "export",
    params(("id" = String, Path), ("vid" = String, Path)),
    responses((status = 200, description = "The storyboard sheet", content_type = "application/pdf"),
        (status = 404, body = ErrorBody)))]
pub async fn storyboard_sheet(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, vid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let pdf = sheet::storyboard_pdf(&state, &principal.workspace_id, &id, Some(&vid)).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"storyboard.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/export/preview", tag = "export", request_body = PreviewRequest,
    responses((status = 200, description = "The storyboard as it stands, one encoded frame per shot", body = Preview),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, description = "ffmpeg is missing or broken", body = ErrorBody)))]
pub async fn make_preview(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> Result<Json<Preview>, ApiError> {
    // It runs the encoder (briefly), like an export: a write, as tests/it/authz_matrix.rs expects.
    principal.require(Scope::Write)?;
    Ok(Json(
        export::preview::preview(&state, &principal.workspace_id, req).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/export/previews/{id}", tag = "export", params(("id" = String, Path)),
    responses((status = 200, description = "The preview video", content_type = "video/mp4"),
        (status = 404, body = ErrorBody)))]
pub async fn preview_video(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let path =
        export::preview::preview_file(&state, &principal.workspace_id, &id).ok_or_else(|| {
            ApiError::not_found(format!(
                "preview '{id}' not found (previews are kept for a short while: make a new one)"
            ))
        })?;
    let response = super::files::serve(&headers, &path, "video/mp4").await?;
    Ok(super::files::with_header(
        response,
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    ))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/versions/{vid}/storyboard.pptx", tag = "export",
    params(("id" = String, Path), ("vid" = String, Path)),
    responses((status = 200, description = "The storyboard as slides: one shot a slide with its keyframe, scene, timing and dialogue (also the speaker notes)", content_type = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (status = 404, body = ErrorBody)))]
pub async fn storyboard_deck(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, vid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let now = crate::clock::rfc3339(state.clock.now());
    let pptx =
        sheet::storyboard_pptx(&state, &principal.workspace_id, &id, Some(&vid), &now).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(super::create::PPTX_TYPE),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"storyboard.pptx\""),
            ),
        ],
        pptx,
    )
        .into_response())
}
