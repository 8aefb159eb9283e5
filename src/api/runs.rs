//! Handlers for workflow runs, in both shapes clients use (docs/API-CONVENTIONS.md): `/workflows`,
//! `/workflows/{id}`, pause/resume/cancel; and `/workflow-runs`, `/workflow/runs/{id}/…`, review
//! endpoints, `…/workflow/run` per project version; plus progress events over SSE.
use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{DefaultBodyLimit, Path, State},
    http::StatusCode,
    response::sse::{Event, KeepAlive, Sse},
    Json,
};
use futures_util::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{generation, with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiJsonOrEmpty},
    upload::UploadForm,
};
use crate::{
    auth::Scope,
    workflow::{
        review::{self, ContinueInput, DecisionInput, HumanSelect, ReviewQueue},
        runs::{self, EstimateRun, Run, RunEstimate, StartRun, Step},
        status::RunStatus,
    },
    workspaces::Permission,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(review_upload))
        .layer(DefaultBodyLimit::disable());
    // Routes that start paid provider work (limited per hour without a membership).
    let paid = OpenApiRouter::new()
        .routes(routes!(start_run))
        .routes(routes!(start_workflow))
        .routes(routes!(version_run_start, version_run_latest))
        .routes(routes!(regenerate_shot))
        .routes(routes!(node_test));
    let review = OpenApiRouter::new()
        .routes(routes!(review_decision))
        .routes(routes!(review_continue))
        .routes(routes!(human_select));
    OpenApiRouter::new()
        .merge(generation(paid))
        .merge(with_policy(
            OpenApiRouter::new().routes(routes!(estimate_run)),
            Policy::Estimate,
        ))
        .merge(with_policy(review, Policy::Review))
        .routes(routes!(get_run))
        .routes(routes!(get_workflow))
        .routes(routes!(pause_run))
        .routes(routes!(resume_run))
        .routes(routes!(cancel_run))
        .routes(routes!(pause_workflow))
        .routes(routes!(resume_workflow))
        .routes(routes!(cancel_workflow))
        .routes(routes!(cancel_run_v4))
        .routes(routes!(retry_run))
        .routes(routes!(run_nodes))
        .routes(routes!(run_events))
        .routes(routes!(review_assets))
        .merge(uploads)
}

#[utoipa::path(post, path = "/api/v1/workflow-runs", tag = "workflows", request_body = StartRun,
    responses((status = 201, body = Run), (status = 402, description = "CREDITS_EXCEEDED: the balance cannot cover the run's estimate", body = ErrorBody),
        (status = 409, description = "A run is already going on this version", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn start_run(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<StartRun>,
) -> Result<(StatusCode, Json<Run>), ApiError> {
    principal.require(Scope::Write)?;
    Ok((
        StatusCode::CREATED,
        Json(runs::start(&state, &principal.workspace_id, input).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/workflow-runs/estimate", tag = "workflows", request_body = EstimateRun,
    responses((status = 200, description = "What the run would cost and whether the balance covers it", body = RunEstimate),
        (status = 403, description = "An API key without the billing scope", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn estimate_run(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<EstimateRun>,
) -> Result<Json<RunEstimate>, ApiError> {
    principal.require_scope(Scope::Billing)?;
    principal.require_role(Permission::Write)?;
    Ok(Json(
        runs::estimate(&state, &principal.workspace_id, input).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workflows", tag = "workflows", request_body = StartRun,
    responses((status = 201, description = "Starts a run from `{project_id, workflow_type}`", body = Run),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_workflow(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<StartRun>,
) -> Result<(StatusCode, Json<Run>), ApiError> {
    start_run(State(state), principal, ApiJson(input)).await
}

#[utoipa::path(get, path = "/api/v1/workflow-runs/{id}", tag = "workflows", params(("id" = String, Path)),
    responses((status = 200, body = Run), (status = 404, body = ErrorBody)))]
pub async fn get_run(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Run>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(runs::get(&state, &principal.workspace_id, &id).await?))
}

#[utoipa::path(get, path = "/api/v1/workflows/{id}", tag = "workflows", params(("id" = String, Path)),
    responses((status = 200, description = "The workflow's status (the run)", body = Run), (status = 404, body = ErrorBody)))]
pub async fn get_workflow(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Run>, ApiError> {
    get_run(State(state), principal, Path(id)).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunAction {
    pub id: String,
    pub status: RunStatus,
    pub message: String,
    pub run: Run,
}

fn action(run: Run, message: &str) -> Json<RunAction> {
    Json(RunAction {
        id: run.id.clone(),
        status: run.status,
        message: message.to_string(),
        run,
    })
}

macro_rules! control {
    ($name:ident, $path:literal, $f:path, $msg:literal) => {
        #[utoipa::path(post, path = $path, tag = "workflows", params(("id" = String, Path)),
            responses((status = 200, body = RunAction), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
        pub async fn $name(
            State(state): State<AppState>,
            principal: Principal,
            Path(id): Path<String>,
        ) -> Result<Json<RunAction>, ApiError> {
            principal.require(Scope::Write)?;
            Ok(action($f(&state, &principal.workspace_id, &id).await?, $msg))
        }
    };
}

control!(
    pause_run,
    "/api/v1/workflow-runs/{id}/pause",
    runs::pause,
    "Workflow paused successfully"
);
control!(
    resume_run,
    "/api/v1/workflow-runs/{id}/resume",
    runs::resume,
    "Workflow resumed successfully"
);
control!(
    cancel_run,
    "/api/v1/workflow-runs/{id}/cancel",
    runs::cancel,
    "Workflow cancelled successfully"
);
control!(
    pause_workflow,
    "/api/v1/workflows/{id}/pause",
    runs::pause,
    "Workflow paused successfully"
);
control!(
    resume_workflow,
    "/api/v1/workflows/{id}/resume",
    runs::resume,
    "Workflow resumed successfully"
);
control!(
    cancel_workflow,
    "/api/v1/workflows/{id}/cancel",
    runs::cancel,
    "Workflow cancelled successfully"
);
control!(
    cancel_run_v4,
    "/api/v1/workflow/runs/{id}/cancel",
    runs::cancel,
    "Workflow cancelled successfully"
);
control!(
    retry_run,
    "/api/v1/workflow/runs/{id}/retry",
    runs::retry,
    "Workflow retried from its unfinished nodes"
);

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeList {
    pub items: Vec<Step>,
    pub total: u64,
}

#[utoipa::path(get, path = "/api/v1/workflow/runs/{id}/nodes", tag = "workflows", params(("id" = String, Path)),
    responses((status = 200, body = NodeList), (status = 404, body = ErrorBody)))]
pub async fn run_nodes(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<NodeList>, ApiError> {
    principal.require(Scope::Read)?;
    let run = runs::get(&state, &principal.workspace_id, &id).await?;
    Ok(Json(NodeList {
        total: run.steps.len() as u64,
        items: run.steps,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionRunInput {
    pub template_id: Option<String>,
    pub template_version_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/versions/{version_id}/workflow/run", tag = "workflows",
    params(("id" = String, Path), ("version_id" = String, Path)), request_body = VersionRunInput,
    responses((status = 201, body = Run), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn version_run_start(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<VersionRunInput>,
) -> Result<(StatusCode, Json<Run>), ApiError> {
    principal.require(Scope::Write)?;
    let start = StartRun {
        project_id: Some(id),
        version_id: Some(version_id),
        template_id: input.template_id,
        template_version_id: input.template_version_id,
        workflow_type: None,
    };
    Ok((
        StatusCode::CREATED,
        Json(runs::start(&state, &principal.workspace_id, start).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/versions/{version_id}/workflow/run", tag = "workflows",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, description = "The version's latest run", body = Run), (status = 404, body = ErrorBody)))]
pub async fn version_run_latest(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<Run>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        runs::latest_for_version(&state, &principal.workspace_id, &id, &version_id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/workflow-runs/{id}/events", tag = "workflows", params(("id" = String, Path)),
    responses((status = 200, description = "Server-sent events: `progress_update` payloads of this run; the first is the current state", content_type = "text/event-stream")))]
pub async fn run_events(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    principal.require(Scope::Read)?;
    // Subscribe before reading the state, so nothing between the two is missed.
    let events = state.runs.progress.events_of(&id);
    let run = runs::get(&state, &principal.workspace_id, &id).await?;
    let first = Event::default()
        .event("state")
        .json_data(&run)
        .unwrap_or_else(|_| Event::default());
    let updates = events.map(|e| {
        Ok(Event::default()
            .event("progress")
            .json_data(&e)
            .unwrap_or_default())
    });
    let stream = stream::once(async { Ok(first) }).chain(updates);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[utoipa::path(get, path = "/api/v1/workflow/node-runs/{id}/review/assets", tag = "workflows",
    params(("id" = String, Path, description = "The review node run")),
    responses((status = 200, body = ReviewQueue), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review_assets(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ReviewQueue>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        review::review_assets(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workflow/node-runs/{id}/review/decision", tag = "workflows",
    params(("id" = String, Path)), request_body = DecisionInput,
    responses((status = 200, body = ReviewQueue), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn review_decision(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Result<Json<ReviewQueue>, ApiError> {
    principal.require_review()?;
    Ok(Json(
        review::decide(
            &state,
            &principal.workspace_id,
            &principal.user_id,
            &id,
            input,
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workflow/node-runs/{id}/review/upload", tag = "workflows",
    params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "`item_key` (the shot id) and `file` (an image)"),
    responses((status = 200, body = ReviewQueue), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn review_upload(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    form: UploadForm,
) -> Result<Json<ReviewQueue>, ApiError> {
    principal.require(Scope::Write)?;
    let key = form.require_text("item_key")?.to_string();
    let file = form.require_file(&["file", "image"])?;
    Ok(Json(
        review::upload_replacement(
            &state,
            &principal.workspace_id,
            &principal.user_id,
            &id,
            &key,
            &file.filename,
            file.blob.clone(),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workflow/node-runs/{id}/review/continue", tag = "workflows",
    params(("id" = String, Path)),
    request_body(content = Option<ContinueInput>, description = "May be left out"),
    responses((status = 200, description = "The review is closed; the run goes on", body = Run),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A rejection has no approved replacement, or a redraw is running", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn review_continue(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJsonOrEmpty(input): ApiJsonOrEmpty<ContinueInput>,
) -> Result<Json<Run>, ApiError> {
    principal.require_review()?;
    Ok(Json(
        review::continue_run(
            &state,
            &principal.workspace_id,
            &principal.user_id,
            &id,
            input,
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workflow-runs/{id}/actions/human-select", tag = "workflows",
    params(("id" = String, Path)), request_body = HumanSelect,
    responses((status = 200, body = ReviewQueue), (status = 404, body = ErrorBody),
        (status = 409, description = "The review is not waiting", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn human_select(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<HumanSelect>,
) -> Result<Json<ReviewQueue>, ApiError> {
    principal.require_review()?;
    Ok(Json(
        review::human_select(
            &state,
            &principal.workspace_id,
            &principal.user_id,
            &id,
            input,
        )
        .await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegenerateInput {
    pub feedback: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/workflow-runs/{id}/shots/{shot_id}/regenerate", tag = "workflows",
    params(("id" = String, Path), ("shot_id" = String, Path)), request_body = RegenerateInput,
    responses((status = 200, description = "The shot's new keyframe", body = Object),
        (status = 409, description = "The keyframe is approved (locked)", body = ErrorBody)))]
pub async fn regenerate_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, shot_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<RegenerateInput>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        review::regenerate_shot(
            &state,
            &principal.workspace_id,
            &id,
            &shot_id,
            input.feedback,
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workflows/node-test", tag = "workflows", request_body = runs::NodeTest,
    responses((status = 200, description = "The node's step: status, output or error, log", body = Step),
        (status = 422, body = ErrorBody)))]
pub async fn node_test(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<runs::NodeTest>,
) -> Result<Json<Step>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        runs::node_test(&state, &principal.workspace_id, input).await?,
    ))
}

/// The progress WebSocket: `progress_update` messages of one run; the first message is its state.
pub async fn progress_socket(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ws: axum::extract::WebSocketUpgrade,
) -> Result<axum::response::Response, ApiError> {
    use axum::extract::ws::Message;
    principal.require(Scope::Read)?;
    let events = state.runs.progress.events_of(&id);
    let run = runs::get(&state, &principal.workspace_id, &id).await?;
    Ok(ws.on_upgrade(move |mut socket| async move {
        let mut events = std::pin::pin!(events);
        let first = serde_json::json!({"type": "state", "workflow_id": run.id, "run": run});
        if socket
            .send(Message::Text(first.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
        loop {
            tokio::select! {
                event = events.next() => match event {
                    Some(e) => {
                        let text = serde_json::to_string(&e).unwrap_or_default();
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                    None => return,
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    }))
}
