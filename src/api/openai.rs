//! The model router's OpenAI-compatible routes at `/v1` (docs/API-ROUTER.md). Thin: the router
//! domain (src/router) meters and calls; this turns its answers into HTTP, and every error on
//! these routes, the extractors' included, into OpenAI's error shape (one layer, [`openai_errors`]).
use axum::{
    body::Body,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Extension, Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{access::Policy, error::ApiError, limits::RouteClass, principal::Principal};
use crate::{
    auth::Credential,
    router::{self, stats::Period, AudioUpload, Caller, Reply, RouterError, UsageRow},
    AppState,
};

/// The header carrying the router's id for the request (its usage row).
const USAGE_ID: &str = "x-usage-id";
/// Room for a transcription form's text fields beside its file.
const UPLOAD_FIELDS_BYTES: usize = 256 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/images/generations", post(images_generations))
        .route("/v1/audio/speech", post(audio_speech))
        .route(
            "/v1/audio/transcriptions",
            post(audio_transcriptions).layer(DefaultBodyLimit::max(
                router::MAX_TRANSCRIPTION_BYTES + UPLOAD_FIELDS_BYTES,
            )),
        )
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/models", get(models))
        .route_layer(Extension(RouteClass::Router))
        // Anything else under /v1 is OpenAI's 404, not the web UI's page.
        .route("/v1/{*rest}", axum::routing::any(unknown_endpoint))
        .route_layer(Extension(Policy::Person))
        .layer(axum::middleware::from_fn(openai_errors))
}

/// The usage routes (Storyloom's shape): one's own router requests, and the statistics.
pub fn usage_routes() -> Router<AppState> {
    let admin = Router::new()
        .route("/api/v1/admin/statistics/dashboard", get(dashboard))
        .route_layer(Extension(Policy::InstanceAdmin));
    Router::new()
        .route("/api/v1/router/requests", get(my_requests))
        .route("/api/v1/router/requests/{id}", get(one_request))
        .route("/api/v1/statistics/leaderboard", get(leaderboard))
        .route("/api/v1/statistics/models/{id}/usage", get(model_usage))
        .route("/api/v1/statistics/users/me/usage", get(my_usage))
        .route_layer(Extension(Policy::Person))
        .merge(admin)
}

#[derive(Debug, Deserialize)]
struct StatsQuery {
    period: Option<String>,
    category: Option<String>,
    limit: Option<u32>,
}

impl StatsQuery {
    fn period(&self) -> Result<Period, ApiError> {
        match self.period.as_deref().unwrap_or("week") {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            "year" => Ok(Period::Year),
            other => Err(ApiError::validation(
                "period",
                format!("period is day, week, month or year (got {other:?})"),
            )),
        }
    }
}

async fn leaderboard(
    State(state): State<AppState>,
    _principal: Principal,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, ApiError> {
    let period = q.period()?;
    let limit = q.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation("limit", "limit is between 1 and 100"));
    }
    let category = q.category.clone().filter(|c| !c.trim().is_empty());
    Ok(Json(
        router::leaderboard(&state, period, category, limit)
            .await
            .map_err(internal)?,
    ))
}

async fn model_usage(
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, ApiError> {
    let period = q.period()?;
    Ok(Json(
        router::model_usage(&state, &id, period)
            .await
            .map_err(internal)?,
    ))
}

async fn my_usage(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, ApiError> {
    let period = q.period()?;
    Ok(Json(
        router::user_usage(&state, &principal.user_id, period)
            .await
            .map_err(internal)?,
    ))
}

async fn dashboard(
    State(state): State<AppState>,
    _principal: Principal,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(router::dashboard(&state).await.map_err(internal)?))
}

fn caller(p: &Principal) -> Caller {
    match &p.credential {
        Credential::ApiKey { key_id, limits, .. } => Caller {
            user_id: p.user_id.clone(),
            api_key_id: Some(key_id.clone()),
            limits: limits.clone(),
        },
        _ => Caller {
            user_id: p.user_id.clone(),
            api_key_id: None,
            limits: Default::default(),
        },
    }
}

/// Reads a `/v1` body as JSON (OpenAI's 400 otherwise), hands it to the router and answers its
/// reply or error.
async fn answer<F, Fut>(body: &[u8], call: F) -> Response
where
    F: FnOnce(Value) -> Fut,
    Fut: std::future::Future<Output = Result<Reply, RouterError>>,
{
    let body: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return openai_error(
                StatusCode::BAD_REQUEST,
                &format!("the body is not valid JSON: {e}"),
                "invalid_request_error",
                None,
                None,
            )
        }
    };
    match call(body).await {
        Ok(reply) => reply_response(reply),
        Err(e) => router_error(e),
    }
}

async fn chat_completions(
    State(state): State<AppState>,
    principal: Principal,
    body: axum::body::Bytes,
) -> Response {
    answer(&body, |b| {
        router::chat_completions(&state, caller(&principal), b)
    })
    .await
}

async fn images_generations(
    State(state): State<AppState>,
    principal: Principal,
    body: axum::body::Bytes,
) -> Response {
    answer(&body, |b| {
        router::images_generations(&state, caller(&principal), b)
    })
    .await
}

async fn embeddings(
    State(state): State<AppState>,
    principal: Principal,
    body: axum::body::Bytes,
) -> Response {
    answer(&body, |b| router::embeddings(&state, caller(&principal), b)).await
}

async fn audio_speech(
    State(state): State<AppState>,
    principal: Principal,
    body: axum::body::Bytes,
) -> Response {
    answer(&body, |b| {
        router::audio_speech(&state, caller(&principal), b)
    })
    .await
}

async fn audio_transcriptions(
    State(state): State<AppState>,
    principal: Principal,
    request: Request,
) -> Response {
    let upload = match read_upload(request, &state).await {
        Ok(upload) => upload,
        Err(response) => return response,
    };
    match router::audio_transcriptions(&state, caller(&principal), upload).await {
        Ok(reply) => reply_response(reply),
        Err(e) => router_error(e),
    }
}

/// Reads a transcription's multipart form: the `file` and every text field (OpenAI's 400 or 413
/// when the body is not such a form).
async fn read_upload(request: Request, state: &AppState) -> Result<AudioUpload, Response> {
    let bad = |status: StatusCode, message: String, param: Option<&str>| {
        openai_error(status, &message, "invalid_request_error", None, param)
    };
    let mut form = Multipart::from_request(request, state).await.map_err(|e| {
        bad(
            StatusCode::BAD_REQUEST,
            format!("the body is not a multipart form with the audio in `file`: {e}"),
            None,
        )
    })?;
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            bad(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the audio file is larger than {} MB",
                    router::MAX_TRANSCRIPTION_BYTES / (1024 * 1024)
                ),
                Some("file"),
            )
        } else {
            bad(
                StatusCode::BAD_REQUEST,
                format!("malformed multipart body: {}", e.body_text()),
                None,
            )
        }
    };
    let mut upload = AudioUpload::default();
    while let Some(field) = form.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            upload.file_name = field
                .file_name()
                .and_then(|n| n.rsplit(['/', '\\']).next())
                .filter(|n| !n.is_empty())
                .unwrap_or("audio")
                .to_string();
            upload.content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            upload.audio = field.bytes().await.map_err(broken)?;
        } else {
            let value = field.text().await.map_err(broken)?;
            upload.fields.push((name, value));
        }
    }
    Ok(upload)
}

async fn unknown_endpoint(uri: axum::http::Uri) -> Response {
    openai_error(
        StatusCode::NOT_FOUND,
        &format!(
            "the model router does not serve {} (docs/API-ROUTER.md)",
            uri.path()
        ),
        "invalid_request_error",
        Some("unknown_url"),
        None,
    )
}

async fn models(State(state): State<AppState>, principal: Principal) -> Response {
    match router::models(&state, &caller(&principal)).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => router_error(e),
    }
}

fn reply_response(reply: Reply) -> Response {
    match reply {
        Reply::Json { request_id, body } => {
            let mut res = Response::new(Body::from(body));
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                h.insert(USAGE_ID, v);
            }
            res
        }
        Reply::Binary {
            request_id,
            content_type,
            body,
        } => {
            let mut res = Response::new(Body::from(body));
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                h.insert(USAGE_ID, v);
            }
            res
        }
        Reply::Stream { request_id, events } => {
            let stream = futures_util::stream::unfold(events, |mut events| async move {
                let next = events.recv().await?;
                Some((Ok::<_, std::convert::Infallible>(next), events))
            });
            let mut res = Response::new(Body::from_stream(stream));
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            // Proxies (nginx) pass the events on as they come.
            h.insert("x-accel-buffering", HeaderValue::from_static("no"));
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                h.insert(USAGE_ID, v);
            }
            res
        }
    }
}

fn openai_error(
    status: StatusCode,
    message: &str,
    kind: &str,
    code: Option<&str>,
    param: Option<&str>,
) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": kind, "param": param, "code": code}})),
    )
        .into_response()
}

fn router_error(e: RouterError) -> Response {
    let mut res = openai_error(e.code.status(), &e.message, e.kind, e.openai_code, e.param);
    let h = res.headers_mut();
    if let Some(id) = e
        .request_id
        .as_deref()
        .and_then(|i| HeaderValue::from_str(i).ok())
    {
        h.insert(USAGE_ID, id);
    }
    if let Some(secs) = e.retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// Rewrites Storyloom's error bodies (`{detail, error_code, field, …}`, from the extractors:
/// authentication, rate limits, body limits) into OpenAI's (`{error: {message, type, param,
/// code}}`), keeping the status and headers, so OpenAI's clients read every error on `/v1`.
pub async fn openai_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if status.is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if v.get("error").is_some() || v.get("error_code").is_none() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let code = v["error_code"].as_str().unwrap_or("");
    let (kind, openai_code) = match code {
        "AUTH_REQUIRED" | "AUTH_INVALID" => ("invalid_request_error", Some("invalid_api_key")),
        "RATE_LIMITED" => ("rate_limit_error", Some("rate_limit_exceeded")),
        "CREDITS_EXCEEDED" => ("insufficient_quota", Some("insufficient_quota")),
        "FORBIDDEN" => ("permission_error", None),
        "INTERNAL" | "UPSTREAM_FAILED" | "SERVICE_UNAVAILABLE" => ("api_error", None),
        _ => ("invalid_request_error", None),
    };
    let rewritten = json!({"error": {
        "message": v["detail"], "type": kind, "param": v.get("field").cloned().unwrap_or(Value::Null),
        "code": openai_code.map(Value::from).unwrap_or_else(|| Value::from(code.to_ascii_lowercase())),
    }});
    let body = rewritten.to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

async fn my_requests(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let rows = router::usage_of(&state, &principal.user_id, limit)
        .await
        .map_err(internal)?;
    Ok(Json(json!({"items": rows})))
}

async fn one_request(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<UsageRow>, ApiError> {
    let row = router::usage_row(&state, &id).await.map_err(internal)?;
    match row {
        Some(r) if r.user_id == principal.user_id || principal.is_admin => Ok(Json(r)),
        _ => Err(ApiError::not_found("router request not found")),
    }
}

fn internal(e: RouterError) -> ApiError {
    ApiError::new(e.code, e.message)
}
