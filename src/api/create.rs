//! Handlers for the creator tools (docs/CREATE.md): the writing tools and the creations. Thin:
//! parse, check scope, call `crate::create`.
//!
//! The streaming generation checks the request and holds its credits before the stream opens, so a
//! bad field, an unknown model or too few credits is an ordinary JSON error with its status; once
//! the stream is open, a failure arrives as an `error` event.
use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::generation;
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{idempotency_key, ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    create::{
        self,
        deck::{self, DeckMade, DeckRequest},
        image::{self, ImageAsk, ImageMade},
        video::{self, VideoAsk, VideoTaskView},
        writing::{self, Progress, Tool, WritingRequest},
        CreateError, Creation, CreationItem, CreationPatch, Filter, Kind, Requester,
    },
    error::CodedError,
    paging::{Page, PageSpec},
    projects::Project,
    AppState,
};

/// Comment lines sent while nothing else is, so proxies keep the stream open.
const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tools))
        .merge(generation(
            OpenApiRouter::new()
                .routes(routes!(generate))
                .routes(routes!(generate_stream))
                .routes(routes!(generate_deck))
                .routes(routes!(generate_image))
                .routes(routes!(generate_video)),
        ))
        .routes(routes!(list_creations))
        .routes(routes!(get_creation, put_creation, delete_creation))
        .routes(routes!(restore_creation))
        .routes(routes!(open_creation_as_project))
        .routes(routes!(creation_file))
        .routes(routes!(video_status))
}

fn requester(p: &Principal) -> Requester {
    Requester {
        workspace_id: p.workspace_id.clone(),
        user_id: p.user_id.clone(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ToolsQuery {
    /// Price the tools on this model instead of the default one.
    pub model_id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/writing/tools", tag = "create", params(ToolsQuery),
    responses((status = 200, description = "The 14 writing tools, each with the most a generation costs on the model it would use", body = Vec<Tool>),
        (status = 422, description = "`model_id` unknown or not a language model", body = ErrorBody)))]
pub async fn list_tools(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ToolsQuery>,
) -> Result<Json<Vec<Tool>>, ApiError> {
    principal.require(Scope::Read)?;
    let model_id = q
        .model_id
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    Ok(Json(writing::catalog(&state, model_id).await?))
}

/// What a generation made.
#[derive(Debug, Serialize, ToSchema)]
pub struct Generated {
    pub creation_id: String,
    pub content: String,
    pub credits_used: i64,
    pub creation: Creation,
}

impl From<Creation> for Generated {
    fn from(c: Creation) -> Self {
        Self {
            creation_id: c.id.clone(),
            content: c.content.clone(),
            credits_used: c.credits_used,
            creation: c,
        }
    }
}

async fn prepare(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    tool_type: &str,
    req: WritingRequest,
) -> Result<writing::Prepared, ApiError> {
    principal.require(Scope::Write)?;
    let key = idempotency_key(headers)?;
    let tool = writing::spec(tool_type)?;
    let checked = writing::check(tool, &req)?;
    Ok(writing::prepare(state, &requester(principal), tool, checked, key).await?)
}

#[utoipa::path(post, path = "/api/v1/writing/{tool_type}/generate", tag = "create",
    params(("tool_type" = String, Path, description = "`wechat_article`, `xiaohongshu_note`, … (`GET /writing/tools`)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely: the same key returns the first one's creation, charged once")),
    request_body = WritingRequest,
    responses(
        (status = 201, description = "Written and saved as a creation; charged what the model used", body = Generated),
        (status = 402, description = "The credits do not cover the most this generation may cost", body = ErrorBody),
        (status = 404, description = "No such tool, or no such model (`field: model_id`)", body = ErrorBody),
        (status = 422, description = "A bad field (`title`, `keywords`, `requirements`, `content`, `language`, `project_id`, a `model_id` that is not a language model)", body = ErrorBody),
        (status = 502, description = "The model failed; nothing was charged", body = ErrorBody)))]
pub async fn generate(
    State(state): State<AppState>,
    principal: Principal,
    Path(tool_type): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<WritingRequest>,
) -> Result<(StatusCode, Json<Generated>), ApiError> {
    let prepared = prepare(&state, &principal, &headers, &tool_type, req).await?;
    let creation = writing::run(prepared, Arc::new(|_| {})).await?;
    Ok((StatusCode::CREATED, Json(creation.into())))
}

fn event(name: &str, data: serde_json::Value) -> SseEvent {
    SseEvent::default()
        .event(name)
        .json_data(data)
        .unwrap_or_default()
}

fn error_event(e: &CreateError) -> SseEvent {
    event(
        "error",
        json!({"code": e.code().as_str(), "message": e.detail(), "retryable": e.retryable}),
    )
}

#[utoipa::path(post, path = "/api/v1/writing/{tool_type}/generate/stream", tag = "create",
    params(("tool_type" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = WritingRequest,
    responses(
        (status = 200, description = "SSE: `start` {creation_id, model, estimate}, `delta` {text} as the model writes, `restart` {attempt} when a failed attempt is retried (discard the text so far), then `done` {creation_id, content, credits_used, creation} or `error` {code, message, retryable}. The generation finishes and is saved even if the client leaves.", content_type = "text/event-stream"),
        (status = 402, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn generate_stream(
    State(state): State<AppState>,
    principal: Principal,
    Path(tool_type): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<WritingRequest>,
) -> Result<Response, ApiError> {
    let prepared = prepare(&state, &principal, &headers, &tool_type, req).await?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<SseEvent>();
    let sink = tx.clone();
    // A client that leaves does not stop the work: what it paid for is saved in the creations.
    let on_progress: Arc<dyn Fn(Progress) + Send + Sync> = Arc::new(move |p| {
        let e = match p {
            Progress::Started {
                creation_id,
                model,
                estimate,
            } => event(
                "start",
                json!({"creation_id": creation_id, "model": model, "estimate": estimate}),
            ),
            Progress::Delta(text) => event("delta", json!({ "text": text })),
            Progress::Restart { attempt } => event("restart", json!({ "attempt": attempt })),
        };
        let _ = sink.send(e);
    });
    let span = tracing::info_span!("writing_stream", creation = %prepared.creation_id());
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            let last = match writing::run(prepared, on_progress).await {
                Ok(c) => event(
                    "done",
                    serde_json::to_value(Generated::from(c)).unwrap_or_default(),
                ),
                Err(e) => error_event(&e),
            };
            let _ = tx.send(last);
        },
        span,
    ));
    let events = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) })
        .map(Ok::<_, Infallible>);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreationsQuery {
    /// `writing`, `image`, `video` or `ppt`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// One writing tool's creations.
    pub tool_type: Option<String>,
    /// `true`: the trash, most recently deleted first.
    pub trashed: Option<bool>,
    pub page: Option<u32>,
    /// 1–100 (default 20).
    pub limit: Option<u32>,
    /// Another name for `limit`.
    pub page_size: Option<u32>,
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/creations", tag = "create", params(CreationsQuery),
    responses((status = 200, description = "The workspace's creations, newest first; content cut to 280 characters", body = Page<CreationItem>),
        (status = 422, description = "`type` unknown, a bad page", body = ErrorBody)))]
pub async fn list_creations(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<CreationsQuery>,
) -> Result<Json<Page<CreationItem>>, ApiError> {
    principal.require(Scope::Read)?;
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            ApiError::validation("type", "type is one of writing, image, video, ppt")
        })?),
    };
    let spec = PageSpec::resolve(q.page, q.limit.or(q.page_size), q.skip)?;
    let filter = Filter {
        kind,
        tool_type: q.tool_type.filter(|t| !t.trim().is_empty()),
        trashed: q.trashed.unwrap_or(false),
    };
    let (items, total) = create::list(&state, &principal.workspace_id, filter, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(get, path = "/api/v1/creations/{id}", tag = "create", params(("id" = String, Path)),
    responses((status = 200, body = Creation), (status = 404, body = ErrorBody)))]
pub async fn get_creation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Creation>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        create::get(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/creations/{id}", tag = "create", params(("id" = String, Path)),
    request_body = CreationPatch,
    responses((status = 200, description = "Saved", body = Creation), (status = 404, body = ErrorBody),
        (status = 422, description = "`title` empty or over 200 characters, `content` over 200,000", body = ErrorBody)))]
pub async fn put_creation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CreationPatch>,
) -> Result<Json<Creation>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        create::update(&state, &principal.workspace_id, &id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/creations/{id}", tag = "create", params(("id" = String, Path)),
    responses((status = 200, description = "Moved to the trash (`deleted_at` set); `POST /creations/{id}/restore` brings it back", body = Creation),
        (status = 404, body = ErrorBody)))]
pub async fn delete_creation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Creation>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        create::trash(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/creations/{id}/restore", tag = "create", params(("id" = String, Path)),
    responses((status = 200, description = "Back from the trash", body = Creation), (status = 404, description = "Not in the trash", body = ErrorBody)))]
pub async fn restore_creation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Creation>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        create::restore(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/creations/{id}/project", tag = "create", params(("id" = String, Path)),
    responses((status = 201, description = "A new project whose script is this video script", body = Project),
        (status = 404, body = ErrorBody), (status = 409, description = "Not a `video_script` creation", body = ErrorBody)))]
pub async fn open_creation_as_project(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    principal.require(Scope::Write)?;
    let project = create::open_as_project(&state, &principal.workspace_id, &id).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

#[utoipa::path(post, path = "/api/v1/ppt/generate", tag = "create",
    params(("Idempotency-Key" = Option<String>, Header)),
    request_body = DeckRequest,
    responses(
        (status = 201, description = "A `.pptx` (title slide, one slide per outline point, speaker notes) saved as a `ppt` creation; download it from `download_url`", body = DeckMade),
        (status = 402, body = ErrorBody),
        (status = 422, description = "`topic` empty or too long, `outline` empty or over 30 points, a bad `model_id` or `project_id`", body = ErrorBody),
        (status = 502, description = "The model failed or did not answer with the deck; nothing was charged", body = ErrorBody)))]
pub async fn generate_deck(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(req): ApiJson<DeckRequest>,
) -> Result<(StatusCode, Json<DeckMade>), ApiError> {
    principal.require(Scope::Write)?;
    let key = idempotency_key(&headers)?;
    let creation = deck::generate(&state, &requester(&principal), req, key).await?;
    Ok((StatusCode::CREATED, Json(creation.into())))
}

/// `attachment; filename*=` with the name percent-encoded (RFC 6266), so any title is a valid header.
pub fn attachment(name: &str) -> HeaderValue {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    // Clients that do not read `filename*` get the name with anything but ASCII letters replaced.
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[utoipa::path(get, path = "/api/v1/creations/{id}/file", tag = "create", params(("id" = String, Path)),
    responses(
        (status = 200, description = "The creation's file with its Content-Type: a deck's `.pptx` (as an attachment), an image or a video (inline)",
            content_type = "*/*", body = Vec<u8>),
        (status = 206, description = "The part of the file a `Range: bytes=…` header asked for (`Content-Range` says which)",
            content_type = "*/*", body = Vec<u8>),
        (status = 404, description = "No such creation, or it has no file", body = ErrorBody),
        (status = 416, description = "The range starts past the end of the file")))]
pub async fn creation_file(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let (path, name) = create::file_of(&state, &principal.workspace_id, &id).await?;
    let (kind, disposition) = match name.rsplit_once('.').map(|(_, e)| e) {
        Some("pptx") => (PPTX_TYPE, attachment(&name)),
        Some("png") => ("image/png", HeaderValue::from_static("inline")),
        Some("jpg") => ("image/jpeg", HeaderValue::from_static("inline")),
        Some("webp") => ("image/webp", HeaderValue::from_static("inline")),
        Some("mp4") => ("video/mp4", HeaderValue::from_static("inline")),
        _ => ("application/octet-stream", attachment(&name)),
    };
    // Streamed with range support, so a `<video>` seeks without loading the whole file.
    let response = super::files::serve(&headers, &path, kind).await?;
    Ok(super::files::with_header(
        response,
        header::CONTENT_DISPOSITION,
        disposition,
    ))
}

#[utoipa::path(post, path = "/api/v1/image/generate", tag = "create",
    params(("Idempotency-Key" = Option<String>, Header)),
    request_body = ImageAsk,
    responses(
        (status = 201, description = "Drawn and saved as an `image` creation; charged the model's price per image (the built-in renderer is free)", body = ImageMade),
        (status = 402, body = ErrorBody),
        (status = 422, description = "`prompt` empty or too long, `size` not WxH within 256–2048, a bad `model_id` or `project_id`", body = ErrorBody),
        (status = 502, description = "The model failed; nothing was charged", body = ErrorBody)))]
pub async fn generate_image(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(ask): ApiJson<ImageAsk>,
) -> Result<(StatusCode, Json<ImageMade>), ApiError> {
    principal.require(Scope::Write)?;
    let key = idempotency_key(&headers)?;
    let creation = image::generate(&state, &requester(&principal), ask, key).await?;
    Ok((StatusCode::CREATED, Json(creation.into())))
}

pub const PPTX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";

#[utoipa::path(post, path = "/api/v1/video/generate", tag = "create", request_body = VideoAsk,
    responses(
        (status = 202, description = "Stored and started: follow it with `GET /video/{task_id}/status`; it goes on after a restart", body = VideoTaskView),
        (status = 422, description = "`script` empty or too long, `duration` outside 5–600 or far shorter than the script, `workflow` unknown, `model_id` not the configured video model", body = ErrorBody)))]
pub async fn generate_video(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(ask): ApiJson<VideoAsk>,
) -> Result<(StatusCode, Json<VideoTaskView>), ApiError> {
    principal.require(Scope::Write)?;
    let task = video::start(&state, &requester(&principal), ask).await?;
    Ok((StatusCode::ACCEPTED, Json(task)))
}

#[utoipa::path(get, path = "/api/v1/video/{task_id}/status", tag = "create", params(("task_id" = String, Path)),
    responses((status = 200, description = "`pending` → `processing` (stage, progress) → `completed` (video_url) or `failed` (error)", body = VideoTaskView),
        (status = 404, body = ErrorBody)))]
pub async fn video_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(task_id): Path<String>,
) -> Result<Json<VideoTaskView>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        video::get(&state, &principal.workspace_id, &task_id).await?,
    ))
}
