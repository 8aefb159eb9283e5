//! Handlers for reference-video analysis (docs/SUMMARIZE.md): the summary stream (SSE), batches
//! and the history. Thin: parse, check scope, call `crate::summarize`.
//!
//! A problem found before the stream opens (sign-in, a bad field, an unknown model) is an ordinary
//! JSON error with its status; what happens once the work has started arrives as an `error` event.
use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{DefaultBodyLimit, FromRequest, Path, Request, State},
    http::{HeaderMap, StatusCode},
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{generation, with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
    upload::UploadForm,
};
use crate::{
    auth::Scope,
    paging::{Page, PageSpec},
    summarize::{
        self,
        batch::{self, BatchCreated, BatchJob, BatchRequest},
        hub::RunLog,
        HistoryEntry, HistoryItem, ManualSummary, Mode, Options, Requester, ScriptDraft, Source,
        SummarizeError,
    },
    AppState,
};

/// Comment lines sent while nothing else is, so proxies keep the stream open.
const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn routes() -> OpenApiRouter<AppState> {
    // Summaries spend credits and the machine's time whatever the method: editors, write scope,
    // and the generation rate limit.
    let spending = |routes| generation(with_policy(routes, Policy::Audition));
    OpenApiRouter::new()
        // An upload streams into the store under its own limit (api/upload.rs); the body limit is
        // the last layer, so it applies.
        .merge(
            spending(OpenApiRouter::new().routes(routes!(summarize_url, summarize_upload)))
                .layer(DefaultBodyLimit::disable()),
        )
        .merge(spending(OpenApiRouter::new().routes(routes!(create_batch))))
        .routes(routes!(list_batches))
        .routes(routes!(get_batch))
        .routes(routes!(list_history, save_history))
        .routes(routes!(get_history, delete_history))
        .routes(routes!(restore_history))
        .routes(routes!(script_from_history))
}

fn requester(p: &Principal) -> Requester {
    Requester {
        workspace_id: p.workspace_id.clone(),
        user_id: p.user_id.clone(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummarizeQuery {
    /// The video's address: a direct media URL, or a platform page when yt-dlp is installed.
    pub url: Option<String>,
    /// `brief` (default), `detailed`, `beats` or `mindmap`.
    pub mode: Option<String>,
    /// What the summary should pay attention to (up to 500 characters).
    pub focus: Option<String>,
    /// The language model (default: the configured one; none configured: extractive, free).
    pub model_id: Option<String>,
    /// The speech recognizer (default: the configured one).
    pub asr_model_id: Option<String>,
    /// The spoken language (`en`, `zh`), when known.
    pub language: Option<String>,
    /// The project the analysis is for.
    pub project_id: Option<String>,
    /// For clients that cannot send the `Last-Event-ID` header: the id of the last event received.
    pub last_event_id: Option<String>,
}

/// `run:seq` → the stream and the events already seen.
fn resume_point(headers: &HeaderMap, query: Option<&str>) -> Option<(String, usize)> {
    let raw = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query)?;
    let (run, seq) = raw.trim().rsplit_once(':')?;
    Some((run.to_string(), seq.parse().ok()?))
}

/// The stream of a run's events from `seen` on; it ends after `summary_complete` or `error`.
fn stream_of(log: std::sync::Arc<RunLog>, seen: usize) -> Response {
    let run_id = log.id.clone();
    let listener = log.listen(seen);
    let events = stream::unfold(listener, move |mut listener| {
        let run_id = run_id.clone();
        async move {
            let (seq, event) = listener.next().await?;
            let sse = SseEvent::default()
                .id(format!("{run_id}:{seq}"))
                .event(event.name)
                .json_data(&event.data)
                .unwrap_or_default();
            Some((sse, listener))
        }
    });
    let events = events.map(Ok::<_, Infallible>);
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response()
}

/// Picks up a stream after a reconnect: the rest of its events; 204 (stop reconnecting) when
/// nothing is left; 410 when this process no longer has it.
fn resume(state: &AppState, principal: &Principal, run: &str, seen: usize) -> Response {
    match state.summaries.get(&principal.workspace_id, run) {
        Some(log) if log.is_finished() && log.event_count() <= seen => {
            StatusCode::NO_CONTENT.into_response()
        }
        Some(log) => stream_of(log, seen),
        // 410, not 404: the stream existed; EventSource stops reconnecting on it.
        None => (
            StatusCode::GONE,
            Json(
                ApiError::not_found(
                    "this summary's stream is no longer here (the server restarted or it ended \
                     long ago): start it again; a finished summary is in the history",
                )
                .body(),
            ),
        )
            .into_response(),
    }
}

fn options(
    mode: Option<&str>,
    focus: Option<&str>,
    model_id: Option<&str>,
    asr_model_id: Option<&str>,
    language: Option<&str>,
    project_id: Option<&str>,
) -> Result<Options, SummarizeError> {
    Options {
        mode: Mode::parse(mode)?,
        focus: focus.unwrap_or_default().to_string(),
        model_id: model_id.map(str::to_string),
        asr_model_id: asr_model_id.map(str::to_string),
        language: language.map(str::to_string),
        project_id: project_id.map(str::to_string),
        ..Options::default()
    }
    .checked()
}

#[utoipa::path(get, path = "/api/v1/summarize", tag = "summarize", params(SummarizeQuery),
    responses(
        (status = 200, description = "SSE: `status` {stage, message, progress?} events, then `transcript_complete` {transcript, segments, source, videoFile, usage}, then `summary_complete` {summary, mindmap, beats, summary_id, usage, cached}; or `error` {code, message, retryable}. Each event has an id (`run:seq`): reconnect with `Last-Event-ID` to resume. Charged only when `summary_complete` is sent.", content_type = "text/event-stream"),
        (status = 204, description = "Resumed a stream that has nothing left to send"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 410, description = "The stream to resume is gone", body = ErrorBody),
        (status = 422, description = "`url` missing or not http(s), `mode` unknown, `focus` too long, `model_id` unusable", body = ErrorBody)))]
pub async fn summarize_url(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SummarizeQuery>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    if let Some((run, seen)) = resume_point(&headers, q.last_event_id.as_deref()) {
        return Ok(resume(&state, &principal, &run, seen));
    }
    let url = q
        .url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::validation("url", "url is required: the video's address"))?;
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if parsed.is_none() || url.len() > 2048 {
        return Err(ApiError::validation(
            "url",
            "url is an http(s) address of a video or a platform page",
        ));
    }
    let opts = options(
        q.mode.as_deref(),
        q.focus.as_deref(),
        q.model_id.as_deref(),
        q.asr_model_id.as_deref(),
        q.language.as_deref(),
        q.project_id.as_deref(),
    )?;
    summarize::check_request(&state, &requester(&principal), &opts).await?;
    summarize::check_url(&state, url).await?;
    let log = summarize::hub::start(
        &state,
        requester(&principal),
        Source::Url(url.to_string()),
        opts,
    );
    Ok(stream_of(log, 0))
}

/// The multipart form of `POST /summarize`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct SummarizeUploadForm {
    /// The video (or audio) file.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    /// Subtitles for it (SRT or WebVTT), used as the transcript.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    subtitles: Option<Vec<u8>>,
    mode: Option<String>,
    focus: Option<String>,
    model_id: Option<String>,
    asr_model_id: Option<String>,
    language: Option<String>,
    project_id: Option<String>,
}

/// Largest sidecar subtitle file read.
const MAX_SUBTITLE_BYTES: u64 = 10 * 1024 * 1024;

#[utoipa::path(post, path = "/api/v1/summarize", tag = "summarize",
    request_body(content = inline(SummarizeUploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The same SSE stream as `GET /summarize`", content_type = "text/event-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "The file is over the upload limit", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "No `file`, a bad field", body = ErrorBody)))]
pub async fn summarize_upload(
    State(state): State<AppState>,
    principal: Principal,
    req: Request,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let form = UploadForm::from_request(req, &state).await?;
    let file = form.require_file(&["file", "video"])?;
    let subtitles = match form.files.iter().find(|f| f.field == "subtitles") {
        Some(s) if s.blob.size > MAX_SUBTITLE_BYTES => {
            return Err(ApiError::validation(
                "subtitles",
                "the subtitle file is over 10 MB",
            ))
        }
        Some(s) => {
            let bytes = read_blob(&state, &s.blob.sha256).await?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        None => None,
    };
    let opts = options(
        form.text("mode"),
        form.text("focus"),
        form.text("model_id"),
        form.text("asr_model_id"),
        form.text("language"),
        form.text("project_id"),
    )?;
    summarize::check_request(&state, &requester(&principal), &opts).await?;
    let blobs = state.blobs.clone();
    let sha = file.blob.sha256.clone();
    let path = tokio::task::spawn_blocking(move || blobs.path_of(&sha))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let log = summarize::hub::start(
        &state,
        requester(&principal),
        Source::Upload {
            path,
            name: file.filename.clone(),
            subtitles,
        },
        opts,
    );
    Ok(stream_of(log, 0))
}

async fn read_blob(state: &AppState, sha256: &str) -> Result<Vec<u8>, ApiError> {
    let (blobs, sha) = (state.blobs.clone(), sha256.to_string());
    tokio::task::spawn_blocking(move || blobs.read(&sha))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))
}

#[utoipa::path(post, path = "/api/v1/batch/summarize", tag = "summarize", request_body = BatchRequest,
    responses(
        (status = 202, description = "Stored and started; follow it with `GET /batch/{job_id}`", body = BatchCreated),
        (status = 422, description = "No URL or more than 20, `urls[i]` not http(s), a bad `mode`, `focus` or `model_id`", body = ErrorBody)))]
pub async fn create_batch(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Result<(StatusCode, Json<BatchCreated>), ApiError> {
    principal.require(Scope::Write)?;
    let created = batch::create(&state, &requester(&principal), req).await?;
    Ok((StatusCode::ACCEPTED, Json(created)))
}

#[utoipa::path(get, path = "/api/v1/batch/{job_id}", tag = "summarize", params(("job_id" = String, Path)),
    responses((status = 200, body = BatchJob), (status = 404, body = ErrorBody)))]
pub async fn get_batch(
    State(state): State<AppState>,
    principal: Principal,
    Path(job_id): Path<String>,
) -> Result<Json<BatchJob>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        batch::get(&state, &principal.workspace_id, &job_id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/batch", tag = "summarize",
    responses((status = 200, description = "The workspace's latest 50 batches, newest first", body = Vec<BatchJob>)))]
pub async fn list_batches(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<BatchJob>>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(batch::list(&state, &principal.workspace_id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip; wins over `page`.
    pub skip: Option<u64>,
    /// Only the analyses made for this project.
    pub project_id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/history", tag = "summarize", params(HistoryQuery),
    responses((status = 200, description = "The workspace's summaries, newest first", body = Page<HistoryItem>)))]
pub async fn list_history(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<HistoryItem>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let (items, total) = summarize::history(
        &state,
        &principal.workspace_id,
        q.project_id.as_deref(),
        spec,
    )
    .await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/history", tag = "summarize", request_body = ManualSummary,
    responses(
        (status = 201, description = "Saved (free: no model is called)", body = HistoryEntry),
        (status = 422, description = "A missing or too long `title` or `summary`, a bad `beats[i]`, an unknown `project_id`", body = ErrorBody)))]
pub async fn save_history(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<ManualSummary>,
) -> Result<(StatusCode, Json<HistoryEntry>), ApiError> {
    principal.require(Scope::Write)?;
    let entry = summarize::save_manual(&state, &requester(&principal), input).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

#[utoipa::path(get, path = "/api/v1/history/{id}", tag = "summarize", params(("id" = String, Path)),
    responses((status = 200, description = "The summary with its transcript", body = HistoryEntry), (status = 404, body = ErrorBody)))]
pub async fn get_history(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<HistoryEntry>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        summarize::get(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/history/{id}", tag = "summarize", params(("id" = String, Path)),
    responses((status = 200, description = "Moved to the trash (`deleted_at` set); `POST /history/{id}/restore` brings it back", body = HistoryEntry),
        (status = 404, body = ErrorBody)))]
pub async fn delete_history(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<HistoryEntry>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        summarize::trash(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/history/{id}/restore", tag = "summarize", params(("id" = String, Path)),
    responses((status = 200, description = "Back from the trash", body = HistoryEntry), (status = 404, description = "Not in the trash", body = ErrorBody)))]
pub async fn restore_history(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<HistoryEntry>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        summarize::restore(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/history/{id}/script", tag = "summarize", params(("id" = String, Path)),
    responses((status = 200, description = "A script draft (Fountain) with one scene per beat, to start a project's script from", body = ScriptDraft),
        (status = 404, body = ErrorBody), (status = 409, description = "The summary has no beat sheet", body = ErrorBody)))]
pub async fn script_from_history(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ScriptDraft>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        summarize::script_from_beats(&state, &principal.workspace_id, &id).await?,
    ))
}
