//! Videos from a script (docs/CREATE.md, "Videos"): `POST /video/generate` stores a task and
//! answers at once; the task makes a project of the script, runs the studio's workflow on it
//! (`animatic` offline, `full_production` on the workspace's models), approves its review gate
//! (nobody was asked to review), exports the video and saves it as a `video` creation.
//!
//! The project, the run and the export are each durable on their own; the task records their ids
//! as it goes, so a process that takes over after a restart picks up where the last one stopped
//! instead of starting again, and the creation is saved once (its idempotency key is the task's).
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{store, CreateError, Creation, Kind, Requester};
use crate::{
    clock::rfc3339,
    db::DbError,
    error::ErrorCode,
    export::{self, ExportRequest, ExportStatus},
    instances::{self, Work},
    workflow::{
        runs::{self, StartRun},
        status::RunStatus,
    },
    AppState,
};

crate::states! {
    pub enum VideoStatus ("video task") {
        /// Stored, not yet taken up.
        Pending = "pending",
        Processing = "processing",
        /// The video is a creation.
        Completed = "completed",
        /// Stopped with its error named.
        Failed = "failed",
    }
    transitions {
        // `Processing → Processing` is a takeover after the process driving it stopped.
        Pending | Processing => Processing,
        Processing => Completed,
        Pending | Processing => Failed,
    }
}

/// A video task as stored.
#[derive(Debug, Clone)]
pub struct VideoTask {
    pub id: String,
    pub workspace_id: String,
    pub created_by: String,
    /// The project's and the creation's title.
    pub title: String,
    pub script: String,
    pub duration: u32,
    pub workflow: String,
    pub status: VideoStatus,
    pub stage: String,
    pub progress: f64,
    pub project_id: Option<String>,
    pub run_id: Option<String>,
    pub export_id: Option<String>,
    pub creation_id: Option<String>,
    pub credits_used: i64,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a person asks the video tool for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VideoAsk {
    /// The script, in Storyloom's script format (Fountain, or plain scenes; up to 200,000
    /// characters).
    pub script: String,
    /// The length aimed at, in seconds (5–600, default 30). The script's scenes decide the cut;
    /// a video much longer than this is refused before any work is done.
    #[serde(default)]
    pub duration: Option<u32>,
    /// `animatic` (default: offline, free) or `full_production` (the workspace's models; the run
    /// holds and charges each paid step).
    #[serde(default)]
    pub workflow: Option<String>,
    /// A video model's id: runs `full_production`, and must be the configured video model (a
    /// per-task choice of model is not supported yet).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub model_id: Option<Value>,
    /// The title of the project and the creation (default: the script's first line).
    #[serde(default)]
    pub title: Option<String>,
}

/// A task as `GET /video/{task_id}/status` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VideoTaskView {
    pub task_id: String,
    pub status: VideoStatus,
    /// What it is doing (`parsing`, `running the workflow (3/8)`, `exporting`…).
    pub stage: String,
    /// 0–1.
    pub progress: f64,
    /// Where the finished video is fetched from.
    pub video_url: Option<String>,
    pub creation_id: Option<String>,
    pub project_id: Option<String>,
    /// What the run's paid steps were charged (0 offline).
    pub credits_used: i64,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<VideoTask> for VideoTaskView {
    fn from(t: VideoTask) -> Self {
        Self {
            video_url: t
                .creation_id
                .as_ref()
                .map(|c| format!("/api/v1/creations/{c}/file")),
            task_id: t.id,
            status: t.status,
            stage: t.stage,
            progress: t.progress,
            creation_id: t.creation_id,
            project_id: t.project_id,
            credits_used: t.credits_used,
            error: t.error,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

const MAX_SCRIPT_CHARS: usize = 200_000;
/// How often the driver looks at the run and the export it waits for.
const POLL: Duration = Duration::from_millis(300);

fn title_of(ask: &VideoAsk) -> String {
    let from_script = || {
        ask.script
            .lines()
            .map(|l| l.trim().trim_start_matches("Title:").trim())
            .find(|l| !l.is_empty())
            .unwrap_or("Video")
            .chars()
            .take(100)
            .collect::<String>()
    };
    ask.title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(100).collect())
        .unwrap_or_else(from_script)
}

/// Checks the request, stores the task and starts it.
#[tracing::instrument(skip(state, ask))]
pub async fn start(
    state: &AppState,
    who: &Requester,
    ask: VideoAsk,
) -> Result<VideoTaskView, CreateError> {
    if ask.script.trim().is_empty() || ask.script.chars().count() > MAX_SCRIPT_CHARS {
        return Err(CreateError::invalid(
            "script",
            format!("script is 1 to {MAX_SCRIPT_CHARS} characters"),
        ));
    }
    let duration = ask.duration.unwrap_or(30);
    if !(5..=600).contains(&duration) {
        return Err(CreateError::invalid(
            "duration",
            "duration is 5 to 600 seconds",
        ));
    }
    let model_id = super::model_id_of(ask.model_id.as_ref())?;
    let mut workflow = match ask.workflow.as_deref().map(str::trim) {
        None | Some("") => "animatic",
        Some("animatic") => "animatic",
        Some("full_production") => "full_production",
        Some(_) => {
            return Err(CreateError::invalid(
                "workflow",
                "workflow is animatic or full_production",
            ))
        }
    };
    if let Some(id) = &model_id {
        let asked =
            crate::registry::resolve(state, crate::registry::ModelKind::Video, Some(id)).await?;
        let default = crate::registry::resolve(state, crate::registry::ModelKind::Video, None)
            .await
            .ok();
        if default.map(|d| d.model.id) != Some(asked.model.id) {
            return Err(CreateError::invalid(
                "model_id",
                "a video task uses the configured video model; make this one the default first",
            ));
        }
        if ask.workflow.as_deref().map(str::trim) == Some("animatic") {
            return Err(CreateError::invalid(
                "workflow",
                "a video model runs in full_production; the animatic workflow uses none",
            ));
        }
        workflow = "full_production";
    }
    // The script's own length, read now, so a script far longer than asked is refused up front.
    let breakdown = crate::versions::preview(ask.script.clone())
        .await
        .map_err(|e| CreateError::invalid("script", e.to_string()))?;
    let length = f64::from(breakdown.total_duration_secs);
    if length > f64::from(duration) * 2.0 + 10.0 {
        return Err(CreateError::invalid(
            "duration",
            format!(
                "the script runs about {length:.0} s, far past the {duration} s asked for: shorten it or ask for more"
            ),
        ));
    }
    let now = rfc3339(state.clock.now());
    let task = VideoTask {
        id: state.ids.new_id().to_string(),
        workspace_id: who.workspace_id.clone(),
        created_by: who.user_id.clone(),
        title: title_of(&ask),
        script: ask.script.clone(),
        duration,
        workflow: workflow.to_string(),
        status: VideoStatus::Pending,
        stage: "waiting to start".into(),
        progress: 0.0,
        project_id: None,
        run_id: None,
        export_id: None,
        creation_id: None,
        credits_used: 0,
        error: None,
        created_at: now.clone(),
        updated_at: now,
    };
    let row = task.clone();
    state
        .db
        .write(move |tx| store::insert_task(tx, &row))
        .await?;
    spawn(state, &task.id);
    get(state, &who.workspace_id, &task.id).await
}

pub async fn get(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<VideoTaskView, CreateError> {
    let (ws, tid) = (workspace_id.to_string(), id.to_string());
    state
        .db
        .read(move |c| store::get_task(c, Some(&ws), &tid))
        .await?
        .map(Into::into)
        .ok_or_else(|| {
            CreateError::new(ErrorCode::NotFound, format!("video task '{id}' not found"))
        })
}

async fn update(state: &AppState, id: &str, u: store::TaskUpdate) -> Result<bool, DbError> {
    let (id, now) = (id.to_string(), rfc3339(state.clock.now()));
    state
        .db
        .write(move |tx| store::update_task(tx, &id, &u, &now))
        .await
}

/// Drives the task in a task of its own, when no live process does.
pub fn spawn(state: &AppState, id: &str) {
    let span = tracing::info_span!("video_task", task = %id);
    instances::spawn_driver(state, Work::VideoTask, id, span, |state, id| async move {
        match drive(&state, &id).await {
            Ok(()) => {}
            Err(Stop::Failed(message)) => {
                tracing::warn!(%message, "a video task failed");
                let _ = update(
                    &state,
                    &id,
                    store::TaskUpdate {
                        status: Some(VideoStatus::Failed),
                        error: Some(message),
                        ..Default::default()
                    },
                )
                .await;
            }
            Err(Stop::Interrupted(e)) => {
                tracing::warn!(error = %e, "a video task stopped; it is taken up again later");
            }
        }
    });
}

/// Why a driver stopped before the task finished.
enum Stop {
    /// The task cannot finish (a bad script, a failed run or export): recorded as its error.
    Failed(String),
    /// This process could not go on (the database, a shutdown); another takes the task up.
    Interrupted(String),
}

impl From<DbError> for Stop {
    fn from(e: DbError) -> Self {
        Stop::Interrupted(e.to_string())
    }
}

impl From<CreateError> for Stop {
    fn from(e: CreateError) -> Self {
        match e.code {
            ErrorCode::Internal | ErrorCode::ServiceUnavailable => Stop::Interrupted(e.message),
            _ => Stop::Failed(e.message),
        }
    }
}

async fn drive(state: &AppState, id: &str) -> Result<(), Stop> {
    let tid = id.to_string();
    let Some(mut task) = state
        .db
        .read(move |c| store::get_task(c, None, &tid))
        .await?
    else {
        return Ok(());
    };
    if matches!(task.status, VideoStatus::Completed | VideoStatus::Failed) {
        return Ok(());
    }
    let title = task.title.clone();
    update(
        state,
        id,
        store::TaskUpdate {
            status: Some(VideoStatus::Processing),
            ..Default::default()
        },
    )
    .await?;
    let (ws, reviewer) = (task.workspace_id.clone(), task.created_by.clone());

    // 1. The project, with the script as its version 1.
    let project_id = match task.project_id.clone() {
        Some(p) => p,
        None => {
            stage(state, id, "parsing the script", 0.02).await?;
            let project = crate::versions::create_project_with_script(
                state,
                &ws,
                &title,
                "Made by the video tool from a script",
                "script.fountain",
                &task.script,
            )
            .await
            .map_err(|e| Stop::Failed(format!("the script could not be made a project: {e}")))?;
            update(
                state,
                id,
                store::TaskUpdate {
                    project_id: Some(project.id.clone()),
                    ..Default::default()
                },
            )
            .await?;
            project.id
        }
    };

    // 2. The workflow run, its review gate approved.
    let run_id = match task.run_id.clone() {
        Some(r) => r,
        None => {
            let run = runs::start(
                state,
                &ws,
                StartRun {
                    project_id: Some(project_id.clone()),
                    version_id: None,
                    template_id: Some(task.workflow.clone()),
                    workflow_type: None,
                    template_version_id: None,
                },
            )
            .await
            .map_err(|e| Stop::Failed(format!("the workflow could not start: {e}")))?;
            update(
                state,
                id,
                store::TaskUpdate {
                    run_id: Some(run.id.clone()),
                    ..Default::default()
                },
            )
            .await?;
            run.id
        }
    };
    let run = loop {
        let run = runs::get(state, &ws, &run_id)
            .await
            .map_err(|e| Stop::Interrupted(e.to_string()))?;
        stage(
            state,
            id,
            &format!("running the {} workflow", task.workflow),
            0.05 + run.progress * 0.75,
        )
        .await?;
        match run.status {
            RunStatus::Completed => break run,
            RunStatus::WaitingReview => {
                crate::job::approve_waiting(
                    state,
                    &ws,
                    &reviewer,
                    &run,
                    "approved by the video tool (a video made from a script asks for no reviewer)",
                )
                .await
                .map_err(|e| Stop::Interrupted(e.to_string()))?;
            }
            RunStatus::Failed | RunStatus::Cancelled => {
                return Err(Stop::Failed(format!(
                    "the workflow run {}: {}",
                    run.status,
                    run.error.unwrap_or_else(|| "no reason recorded".into())
                )))
            }
            _ => tokio::time::sleep(POLL).await,
        }
    };
    task.credits_used = run.cost_credits;

    // 3. The export.
    let export_id = match task.export_id.clone() {
        Some(e) => e,
        None => {
            let started = export::start(
                state,
                &ws,
                ExportRequest {
                    project_id: Some(project_id.clone()),
                    run_id: Some(run_id.clone()),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| Stop::Failed(format!("the export could not start: {e}")))?;
            update(
                state,
                id,
                store::TaskUpdate {
                    export_id: Some(started.id.clone()),
                    ..Default::default()
                },
            )
            .await?;
            started.id
        }
    };
    let done = loop {
        let e = export::get(state, &ws, &export_id)
            .await
            .map_err(|e| Stop::Interrupted(e.to_string()))?;
        stage(state, id, "exporting the video", 0.8 + e.progress * 0.18).await?;
        match e.status {
            ExportStatus::Completed => break e,
            ExportStatus::Failed | ExportStatus::Cancelled => {
                return Err(Stop::Failed(format!(
                    "the export {}: {}",
                    e.status,
                    e.error.unwrap_or_default()
                )))
            }
            _ => tokio::time::sleep(POLL).await,
        }
    };

    // 4. The creation, once: its idempotency key is the task's.
    let file = export::video_file(state, &ws, &done)
        .await
        .map_err(|e| Stop::Interrupted(e.to_string()))?;
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|e| Stop::Interrupted(format!("cannot read the exported video: {e}")))?;
    let sha = super::store_file(state, bytes).await?;
    // Client keys always carry their tool's prefix (writing:, ppt:, image:): no clash.
    let key = format!("video-task:{id}");
    let creation = match super::already_made(state, &ws, Some(&key)).await? {
        Some(c) => c,
        None => {
            let now = rfc3339(state.clock.now());
            let creation = Creation {
                id: state.ids.new_id().to_string(),
                kind: Kind::Video,
                tool_type: String::new(),
                title,
                content: task.script.clone(),
                input: json!({"duration": task.duration, "workflow": task.workflow,
                              "task_id": id, "export_id": export_id}),
                model: if task.workflow == "animatic" {
                    "builtin".into()
                } else {
                    task.workflow.clone()
                },
                prompt_version: String::new(),
                credits_used: task.credits_used,
                file_sha256: Some(sha),
                file_name: Some("video.mp4".into()),
                project_id: Some(project_id.clone()),
                created_by: task.created_by.clone(),
                created_at: now.clone(),
                updated_at: now,
                deleted_at: None,
            };
            super::save(state, &ws, Some(key), creation, None).await?
        }
    };
    update(
        state,
        id,
        store::TaskUpdate {
            status: Some(VideoStatus::Completed),
            stage: Some("done".into()),
            progress: Some(1.0),
            creation_id: Some(creation.id),
            credits_used: Some(task.credits_used),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

async fn stage(state: &AppState, id: &str, what: &str, progress: f64) -> Result<(), DbError> {
    update(
        state,
        id,
        store::TaskUpdate {
            stage: Some(what.to_string()),
            progress: Some(progress.clamp(0.0, 1.0)),
            ..Default::default()
        },
    )
    .await
    .map(|_| ())
}

/// Starts every task a previous process left unfinished, then keeps looking for tasks whose
/// process stopped (call once at start-up).
pub async fn resume_interrupted(state: &AppState) -> Result<usize, DbError> {
    let found = orphaned(state).await?;
    for id in &found {
        spawn(state, id);
    }
    let watcher = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(instances::lease(&watcher) / 2);
        tick.tick().await;
        loop {
            tick.tick().await;
            match orphaned(&watcher).await {
                Ok(ids) => ids.iter().for_each(|id| spawn(&watcher, id)),
                Err(error) => tracing::warn!(%error, "looking for orphaned video tasks failed"),
            }
        }
    });
    Ok(found.len())
}

async fn orphaned(state: &AppState) -> Result<Vec<String>, DbError> {
    let cutoff = instances::alive_cutoff(state);
    let orphaned = instances::orphaned_sql(Work::VideoTask);
    state
        .db
        .read(move |c| store::unfinished_tasks(c, &orphaned, &cutoff))
        .await
}
