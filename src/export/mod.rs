//! Video export (docs/API-EXPORT.md): a finished run's timeline → one MP4 or WebM, with voice,
//! subtitles (soft, burned, and an `.srt` beside it) and seeded motion on stills, encoded by ffmpeg.
//!
//! The export row is committed before ffmpeg starts and after each change of state; ffmpeg writes
//! into a work directory that is removed whatever happens, and the finished file enters the blob
//! store by the usual temp-file-and-rename, so a cancel or a crash never leaves a partial file
//! under a real name. One export encodes at a time (ffmpeg uses every core); the rest queue.
pub mod ffmpeg;
pub mod frames;
pub mod plan;
pub mod preset;
pub mod preview;
pub mod sheet;
pub mod status;
pub mod subtitles;

use crate::error::{CodedError, ErrorCode};
pub use status::ExportStatus;
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::db::sql::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use utoipa::ToSchema;

use crate::{
    assets::{self, AssetType, NewAsset},
    blobs::BlobStore,
    clock::{rfc3339, IdSource},
    db::DbError,
    ledger::{self, HoldRequest, HoldStatus, Purpose},
    progress::ProgressHub,
    workflow::status::{NodeRunStatus, RunStatus},
    AppState,
};
use ffmpeg::{KillSwitch, ToolError, Tools};
use plan::{Plan, PlanLine, PlanShot};
pub use preset::{ExportRequest, Settings};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A problem with one shot; `field` is `shots[i].…`.
    #[error("{message}")]
    Shot { field: String, message: String },
    #[error("{what} '{id}' not found")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("not enough credits for this export: {needed} needed, {available} available")]
    CreditsExceeded { needed: i64, available: i64 },
    #[error(transparent)]
    Tools(#[from] ToolError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Io(String),
}

impl CodedError for ExportError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } | Self::Shot { .. } => ErrorCode::ValidationError,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::CreditsExceeded { .. } => ErrorCode::CreditsExceeded,
            // ffmpeg or a font missing on this machine: the operator can fix it, the caller cannot.
            Self::Tools(_) => ErrorCode::ServiceUnavailable,
            Self::Db(_) | Self::Io(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Shot { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<ledger::LedgerError> for ExportError {
    fn from(e: ledger::LedgerError) -> Self {
        match e {
            ledger::LedgerError::InsufficientCredits { needed, available } => {
                Self::CreditsExceeded { needed, available }
            }
            ledger::LedgerError::Db(db) => Self::Db(db),
            other => Self::Io(other.to_string()),
        }
    }
}

impl From<crate::db::sql::Error> for ExportError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(DbError::from(e))
    }
}

fn not_found(what: &'static str, id: &str) -> ExportError {
    ExportError::NotFound {
        what,
        id: id.to_string(),
    }
}

/// Progress of one export, for every subscriber (SSE on the server, Tauri events on desktop).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ExportEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    pub export_id: String,
    pub status: ExportStatus,
    pub progress: f64,
    pub message: String,
    pub timestamp: String,
}

impl crate::progress::ProgressEvent for ExportEvent {
    fn subject(&self) -> &str {
        &self.export_id
    }
}

/// Exports going on in this process.
pub struct ExportHub {
    pub progress: ProgressHub<ExportEvent>,
    running: Mutex<HashMap<String, KillSwitch>>,
    encoder: Semaphore,
}

impl Default for ExportHub {
    fn default() -> Self {
        Self {
            progress: ProgressHub::new(256),
            running: Mutex::new(HashMap::new()),
            encoder: Semaphore::new(1),
        }
    }
}

impl ExportHub {
    fn switch(&self, id: &str) -> KillSwitch {
        let mut map = self.running.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_string()).or_default().clone()
    }

    fn forget(&self, id: &str) {
        let mut map = self.running.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }

    /// True while this process has the export in hand.
    fn is_going(&self, id: &str) -> bool {
        let map = self.running.lock().unwrap_or_else(|p| p.into_inner());
        map.contains_key(id)
    }

    fn kill(&self, id: &str) {
        let map = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = map.get(id) {
            k.kill();
        }
    }
}

/// An export as the API shows it (the fields `/export` clients expect first).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Export {
    pub export_id: String,
    pub id: String,
    pub project_id: String,
    pub project_name: String,
    pub version_id: String,
    pub run_id: String,
    pub status: ExportStatus,
    pub progress: f64,
    pub message: String,
    pub error: Option<String>,
    pub resolution: String,
    pub aspect_ratio: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub format: String,
    /// `soft`, `burn` or `none`.
    pub include_subtitles: String,
    pub transition: String,
    pub motion: bool,
    pub music_asset_id: Option<String>,
    pub video_url: Option<String>,
    pub subtitles_url: Option<String>,
    pub asset_id: Option<String>,
    pub srt_asset_id: Option<String>,
    pub file_size: Option<u64>,
    /// Seconds, as measured by ffprobe.
    pub duration: Option<f64>,
    /// Seconds, as planned from the storyboard.
    pub video_length: f64,
    pub frames: u64,
    pub cost_credits: i64,
    pub estimated_completion: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

/// The export estimate, with the plan's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Estimate {
    pub project_id: String,
    pub version_id: String,
    pub run_id: String,
    pub resolution: String,
    pub aspect_ratio: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub format: String,
    pub shots: usize,
    /// Seconds of video.
    pub video_length: f64,
    pub frames: u64,
    /// Credits (0 on the offline encoder).
    pub estimated_cost: i64,
    /// Seconds the encode should take on this machine.
    pub estimated_duration: u64,
    /// Credits left, or null when no budget applies.
    pub user_quota_remaining: Option<i64>,
    pub sufficient_quota: bool,
}

/// What an export is made from, resolved and checked.
struct Source {
    project_id: String,
    version_id: String,
    run_id: String,
    plan: Plan,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ExportError {
    ExportError::Invalid {
        field,
        message: message.into(),
    }
}

/// What an export costs in credits: encoding runs on this machine with ffmpeg, so nothing. It still
/// holds and settles through the ledger, which leaves a zero-cost usage record (docs/API-LEDGER.md).
pub const EXPORT_COST_CREDITS: i64 = 0;

/// The export's pending hold, if any.
fn pending_hold(c: &Connection, export_id: &str) -> Result<Option<String>, ExportError> {
    Ok(c.query_row(
        "SELECT id FROM ledger_holds WHERE purpose = 'export' AND work_id = ?1 AND status = ?2
             ORDER BY created_at DESC LIMIT 1",
        params![export_id, HoldStatus::Pending],
        |r| r.get(0),
    )
    .optional()?)
}

fn hold_for(
    c: &Connection,
    ids: &dyn IdSource,
    now: chrono::DateTime<chrono::Utc>,
    owner_id: &str,
    export_id: &str,
    key: String,
    settings: &Settings,
) -> Result<(), ExportError> {
    ledger::hold_in_tx(
        c,
        ids,
        now,
        &HoldRequest {
            owner_id: owner_id.to_string(),
            amount: EXPORT_COST_CREDITS,
            purpose: Purpose::Export,
            work_id: export_id.to_string(),
            key,
            description: format!(
                "{} {} export",
                settings.resolution.as_str(),
                settings.container.as_str()
            ),
            meta: json!({"export_id": export_id}),
            ttl_secs: None,
        },
    )?;
    Ok(())
}

/// Encoding throughput on a 2-core machine at 1080×1920, frames per second (docs/BENCHMARKS.md).
const FRAMES_PER_SEC_1080P: f64 = 40.0;

fn estimated_encode_secs(plan: &Plan) -> u64 {
    let (w, h) = plan.settings.size();
    let pixels = (w as f64 * h as f64) / (1080.0 * 1920.0);
    let codec = match plan.settings.container {
        preset::Container::Mp4 => 1.0,
        preset::Container::Webm => 1.6,
    };
    (plan.total_frames as f64 * pixels * codec / FRAMES_PER_SEC_1080P).ceil() as u64 + 1
}

/// Path of an active asset's file, or None when it is missing, trashed or another user's.
fn active_asset_file(
    c: &Connection,
    blobs: &BlobStore,
    owner_id: &str,
    id: &str,
) -> Result<Option<(PathBuf, String, Option<String>)>, ExportError> {
    let row: Option<(String, String, String, Option<String>)> = c
        .query_row(
            "SELECT sha256, status, type, project_id FROM assets WHERE id = ?1 AND owner_id = ?2",
            params![id, owner_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((sha, status, kind, project)) = row else {
        return Ok(None);
    };
    if status != "active" {
        return Ok(None);
    }
    let path = blobs
        .path_of(&sha)
        .map_err(|e| ExportError::Io(e.to_string()))?;
    Ok(path.is_file().then_some((path, kind, project)))
}

/// An asset's provenance (its metadata), or null.
fn asset_metadata(c: &Connection, id: &str) -> Result<Value, ExportError> {
    let text: Option<String> = c
        .query_row("SELECT metadata FROM assets WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(crate::db::json_column_opt("assets.metadata", text.as_deref()).unwrap_or(Value::Null))
}

/// The completed run to export and its timeline (the `video.compose` node's output).
fn find_timeline(
    c: &Connection,
    blobs: &BlobStore,
    owner_id: &str,
    version_id: &str,
    run_id: Option<&str>,
) -> Result<(String, Value), ExportError> {
    let run_id = match run_id {
        Some(id) => {
            let status: RunStatus = c
                .query_row(
                    "SELECT status FROM workflow_runs WHERE id = ?1 AND owner_id = ?2 AND version_id = ?3",
                    params![id, owner_id, version_id],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| not_found("workflow run", id))?;
            if status != RunStatus::Completed {
                return Err(ExportError::Conflict(format!(
                    "run {id} is {status}: only a completed run can be exported"
                )));
            }
            id.to_string()
        }
        None => c
            .query_row(
                "SELECT id FROM workflow_runs WHERE version_id = ?1 AND owner_id = ?2 AND status = ?3
                 ORDER BY finished_at DESC, id DESC LIMIT 1",
                params![version_id, owner_id, RunStatus::Completed],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| {
                ExportError::Conflict(
                    "this version has no completed workflow run: run the animatic workflow (and finish its review) first"
                        .into(),
                )
            })?,
    };
    let output: Option<String> = c
        .query_row(
            "SELECT output FROM node_runs WHERE run_id = ?1 AND kind = 'video.compose' AND status = ?2
             ORDER BY finished_at DESC LIMIT 1",
            params![run_id, NodeRunStatus::Completed],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let timeline_id = output
        .and_then(|o| crate::db::json_column_opt::<Value>("node_runs.output", Some(&o)))
        .and_then(|o| o["video"]["timeline_asset_id"].as_str().map(str::to_string))
        .ok_or_else(|| {
            ExportError::Conflict(format!(
                "run {run_id} has no video.compose step to export: use a template that composes the video"
            ))
        })?;
    let (path, _, _) = active_asset_file(c, blobs, owner_id, &timeline_id)?
        .ok_or_else(|| not_found("timeline asset", &timeline_id))?;
    let text = std::fs::read(&path).map_err(|e| ExportError::Io(e.to_string()))?;
    let timeline: Value =
        serde_json::from_slice(&text).map_err(|e| ExportError::Io(format!("timeline: {e}")))?;
    Ok((run_id, timeline))
}

/// Turns the timeline's shots into plan shots, naming the first shot whose frame is missing.
fn plan_shots(
    c: &Connection,
    blobs: &BlobStore,
    owner_id: &str,
    timeline: &Value,
) -> Result<Vec<PlanShot>, ExportError> {
    let entries = timeline["shots"].as_array().cloned().unwrap_or_default();
    let mut shots = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let number = e["number"].as_u64().unwrap_or(i as u64 + 1) as u32;
        let image = match e["image_asset_id"].as_str() {
            Some(id) => active_asset_file(c, blobs, owner_id, id)?.map(|f| (f.0, id)),
            None => None,
        };
        let (image, spec) = match image {
            Some((path, id)) => (Some(path), frames::animatic_spec(&asset_metadata(c, id)?)),
            None => (None, None),
        };
        let image = image.ok_or_else(|| ExportError::Shot {
            field: format!("shots[{i}].image"),
            message: format!(
                "shot {number} has no frame (it was never rendered, or its image was trashed or deleted): \
                 restore it or regenerate the shot, then run the workflow again"
            ),
        })?;
        let clip = match e["clip_asset_id"].as_str() {
            Some(id) => active_asset_file(c, blobs, owner_id, id)?.map(|f| f.0),
            None => None,
        };
        let duration_ms = e["duration_ms"].as_i64().unwrap_or(0);
        let audio_file = |id: &Value| -> Result<Option<PathBuf>, ExportError> {
            Ok(match id.as_str() {
                Some(id) => active_asset_file(c, blobs, owner_id, id)?.map(|f| f.0),
                None => None,
            })
        };
        let mut lines = Vec::new();
        if let Some(ls) = e["lines"].as_array() {
            for l in ls {
                lines.push(PlanLine {
                    character: l["character"].as_str().unwrap_or_default().to_string(),
                    text: l["text"].as_str().unwrap_or_default().to_string(),
                    start_ms: l["start_ms"].as_i64().unwrap_or(0),
                    end_ms: l["end_ms"].as_i64().unwrap_or(0),
                    audio: audio_file(&l["audio_asset_id"])?,
                    audio_ms: l["audio_duration_ms"].as_i64(),
                });
            }
        } else if let Some(audio) = e["audio"].as_array() {
            // Timelines written before lines were recorded: voices one after another, no cues.
            let mut t = e["start_ms"].as_i64().unwrap_or(0);
            for a in audio {
                let d = a["duration_ms"].as_i64().unwrap_or(0);
                lines.push(PlanLine {
                    character: String::new(),
                    text: String::new(),
                    start_ms: t,
                    end_ms: t + d,
                    audio: audio_file(&a["asset_id"])?,
                    audio_ms: Some(d),
                });
                t += d;
            }
        }
        lines.retain(|l| l.audio.is_some() || !l.text.is_empty());
        shots.push(PlanShot {
            shot_id: e["shot_id"].as_str().unwrap_or_default().to_string(),
            number,
            image,
            spec,
            clip,
            duration_ms,
            camera_move: e["camera_move"].as_str().map(str::to_string),
            lines,
        });
    }
    Ok(shots)
}

/// Resolves and checks everything an export needs, without writing anything.
fn resolve(
    c: &Connection,
    blobs: &BlobStore,
    owner_id: &str,
    req: &ExportRequest,
) -> Result<Source, ExportError> {
    let project_id = req
        .project_id
        .clone()
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| invalid("project_id", "project_id is required"))?;
    let (aspect, current): (String, Option<String>) = c
        .query_row(
            "SELECT aspect_ratio, current_version_id FROM projects
             WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
            params![project_id, owner_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| not_found("project", &project_id))?;
    let settings = req.settings(Some(&aspect))?;
    let version_id = match req.version_id.clone().filter(|v| !v.is_empty()) {
        Some(v) => {
            let ok: Option<i64> = c
                .query_row(
                    "SELECT 1 FROM project_versions WHERE id = ?1 AND project_id = ?2",
                    params![v, project_id],
                    |r| r.get(0),
                )
                .optional()?;
            ok.ok_or_else(|| not_found("version", &v))?;
            v
        }
        None => current.ok_or_else(|| {
            ExportError::Conflict("the project has no version yet: add a script first".into())
        })?,
    };
    let (run_id, timeline) = find_timeline(c, blobs, owner_id, &version_id, req.run_id.as_deref())?;
    let music = match &settings.music_asset_id {
        None => None,
        Some(id) => match active_asset_file(c, blobs, owner_id, id)? {
            Some((path, kind, project))
                if kind == "audio" && project.as_deref() == Some(&project_id) =>
            {
                Some(path)
            }
            _ => {
                return Err(invalid(
                    "music_asset_id",
                    format!("{id} is not an active audio asset of this project"),
                ))
            }
        },
    };
    let shots = plan_shots(c, blobs, owner_id, &timeline)?;
    let plan = Plan::new(settings, shots, music)?;
    Ok(Source {
        project_id,
        version_id,
        run_id,
        plan,
    })
}

/// [`resolve`] on a reader connection (a blocking thread).
async fn resolve_on_reader(
    state: &AppState,
    owner_id: &str,
    req: ExportRequest,
) -> Result<Source, ExportError> {
    let (owner, blobs) = (owner_id.to_string(), state.blobs.clone());
    state
        .db
        .read(move |c| resolve(c, &blobs, &owner, &req))
        .await
}

/// The checked plan an export request would encode (what `estimate` measures; benchmarks use it).
pub async fn plan_of(
    state: &AppState,
    owner_id: &str,
    req: ExportRequest,
) -> Result<Plan, ExportError> {
    Ok(resolve_on_reader(state, owner_id, req).await?.plan)
}

/// `POST /export/estimate`.
#[tracing::instrument(skip(state, req))]
pub async fn estimate(
    state: &AppState,
    owner_id: &str,
    req: ExportRequest,
) -> Result<Estimate, ExportError> {
    let src = resolve_on_reader(state, owner_id, req).await?;
    let balance = ledger::balance(state, owner_id).await?;
    let s = &src.plan.settings;
    let (width, height) = s.size();
    Ok(Estimate {
        project_id: src.project_id.clone(),
        version_id: src.version_id.clone(),
        run_id: src.run_id.clone(),
        resolution: s.resolution.as_str().into(),
        aspect_ratio: s.aspect.as_str().into(),
        width,
        height,
        fps: s.fps,
        format: s.container.as_str().into(),
        shots: src.plan.shots.len(),
        video_length: src.plan.total_secs(),
        frames: src.plan.total_frames,
        estimated_cost: EXPORT_COST_CREDITS,
        estimated_duration: estimated_encode_secs(&src.plan),
        user_quota_remaining: Some(balance.available),
        sufficient_quota: ledger::can_cover(&balance, EXPORT_COST_CREDITS),
    })
}

const SELECT: &str =
    "SELECT e.id, e.project_id, p.name, e.version_id, e.run_id, e.settings, e.status,
    e.progress, e.message, e.error, e.video_asset_id, e.srt_asset_id, e.file_size, e.duration_ms,
    e.video_length_ms, e.frames, e.cost_credits, e.created_at, e.started_at, e.completed_at
    FROM exports e JOIN projects p ON p.id = e.project_id";

fn from_row(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Export> {
    let id: String = r.get(0)?;
    let settings: String = r.get(5)?;
    let settings: Option<Settings> =
        crate::db::json_column_opt("exports.settings", Some(&settings));
    let video: Option<String> = r.get(10)?;
    let srt: Option<String> = r.get(11)?;
    let status: ExportStatus = r.get(6)?;
    let created_at: String = r.get(17)?;
    let frames: i64 = r.get(15)?;
    let (width, height) = settings.as_ref().map(Settings::size).unwrap_or((0, 0));
    let estimated_completion = match (&settings, status.is_active()) {
        (Some(s), true) => {
            let started: Option<String> = r.get(18)?;
            let base = started.unwrap_or_else(|| created_at.clone());
            chrono::DateTime::parse_from_rfc3339(&base).ok().map(|t| {
                let pixels = width as f64 * height as f64 / (1080.0 * 1920.0);
                let secs = (frames as f64 * pixels / FRAMES_PER_SEC_1080P).ceil() as i64 + 1;
                let _ = s;
                rfc3339((t + chrono::Duration::seconds(secs)).with_timezone(&chrono::Utc))
            })
        }
        _ => None,
    };
    Ok(Export {
        export_id: id.clone(),
        id,
        project_id: r.get(1)?,
        project_name: r.get(2)?,
        version_id: r.get(3)?,
        run_id: r.get(4)?,
        status,
        progress: r.get(7)?,
        message: r.get(8)?,
        error: r.get(9)?,
        resolution: settings
            .as_ref()
            .map(|s| s.resolution.as_str().to_string())
            .unwrap_or_default(),
        aspect_ratio: settings
            .as_ref()
            .map(|s| s.aspect.as_str().to_string())
            .unwrap_or_default(),
        width,
        height,
        fps: settings.as_ref().map(|s| s.fps).unwrap_or(0),
        format: settings
            .as_ref()
            .map(|s| s.container.as_str().to_string())
            .unwrap_or_default(),
        include_subtitles: settings
            .as_ref()
            .map(|s| s.subtitles.as_str().to_string())
            .unwrap_or_default(),
        transition: settings
            .as_ref()
            .map(|s| s.transition.as_str().to_string())
            .unwrap_or_default(),
        motion: settings.as_ref().map(|s| s.motion).unwrap_or(true),
        music_asset_id: settings.as_ref().and_then(|s| s.music_asset_id.clone()),
        video_url: video
            .as_ref()
            .map(|a| format!("/api/v1/assets/{a}/download")),
        subtitles_url: srt.as_ref().map(|a| format!("/api/v1/assets/{a}/download")),
        asset_id: video,
        srt_asset_id: srt,
        file_size: r.get::<_, Option<i64>>(12)?.map(|n| n as u64),
        duration: r.get::<_, Option<i64>>(13)?.map(|ms| ms as f64 / 1000.0),
        video_length: r.get::<_, i64>(14)? as f64 / 1000.0,
        frames: frames as u64,
        cost_credits: r.get(16)?,
        estimated_completion,
        created_at,
        started_at: r.get(18)?,
        completed_at: r.get(19)?,
    })
}

fn load(c: &Connection, owner_id: Option<&str>, id: &str) -> Result<Export, ExportError> {
    let row = match owner_id {
        Some(owner) => c
            .query_row(
                &format!("{SELECT} WHERE e.id = ?1 AND e.owner_id = ?2"),
                params![id, owner],
                from_row,
            )
            .optional()?,
        None => c
            .query_row(&format!("{SELECT} WHERE e.id = ?1"), [id], from_row)
            .optional()?,
    };
    row.ok_or_else(|| not_found("export", id))
}

/// `POST /export`: checks everything, records the export and starts it (or queues it).
#[tracing::instrument(skip(state, req))]
pub async fn start(
    state: &AppState,
    owner_id: &str,
    req: ExportRequest,
) -> Result<Export, ExportError> {
    let src = resolve_on_reader(state, owner_id, req).await?;
    // A missing ffmpeg is said now, not after the export was accepted.
    let configured = state.config.ffmpeg_path.clone();
    tokio::task::spawn_blocking(move || Tools::locate(configured.as_deref()))
        .await
        .map_err(|e| ExportError::Io(e.to_string()))??;
    let id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let settings = serde_json::to_string(&src.plan.settings).unwrap_or_default();
    let (owner, eid) = (owner_id.to_string(), id.clone());
    let (ids, at) = (state.ids.clone(), state.clock.now());
    let export = state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO exports (id, owner_id, project_id, version_id, run_id, settings, status, message,
                                      video_length_ms, frames, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?10, 'waiting for the encoder', ?7, ?8, ?9, ?9)",
                params![
                    eid,
                    owner,
                    src.project_id,
                    src.version_id,
                    src.run_id,
                    settings,
                    src.plan.total_ms,
                    src.plan.total_frames as i64,
                    now,
                    ExportStatus::Queued
                ],
            )?;
            // The 402 check and the hold, in the transaction that records the export.
            hold_for(tx, ids.as_ref(), at, &owner, &eid, format!("export:{eid}"), &src.plan.settings)?;
            load(tx, None, &eid)
        })
        .await?;
    spawn(state, &id);
    Ok(export)
}

#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, owner_id: &str, id: &str) -> Result<Export, ExportError> {
    let (owner, id) = (owner_id.to_string(), id.to_string());
    state.db.read(move |c| load(c, Some(&owner), &id)).await
}

/// `GET /export/history`, newest first.
#[tracing::instrument(skip(state))]
pub async fn history(
    state: &AppState,
    owner_id: &str,
    project_id: Option<String>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Export>, u64), ExportError> {
    let owner = owner_id.to_string();
    state
        .db
        .read(move |c| {
            let filter = "WHERE e.owner_id = ?1 AND (?2 IS NULL OR e.project_id = ?2)";
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM exports e {filter}"),
                params![owner, project_id],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "{SELECT} {filter} ORDER BY e.created_at DESC, e.id DESC LIMIT ?3 OFFSET ?4"
            ))?;
            let items = stmt
                .query_map(
                    params![owner, project_id, limit as i64, offset as i64],
                    from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, ExportError>((items, total as u64))
        })
        .await
}

/// Cancels a queued or running export: ffmpeg is killed and its partial file removed.
#[tracing::instrument(skip(state))]
pub async fn cancel(state: &AppState, owner_id: &str, id: &str) -> Result<Export, ExportError> {
    let (owner, eid) = (owner_id.to_string(), id.to_string());
    let now = rfc3339(state.clock.now());
    let (ids, at) = (state.ids.clone(), state.clock.now());
    let export = state
        .db
        .write(move |tx| {
            let e = load(tx, Some(&owner), &eid)?;
            if !e.status.is_active() {
                return Err(ExportError::Conflict(format!(
                    "the export is {}: only a queued or running export can be cancelled",
                    e.status
                )));
            }
            let (set, from) = ExportStatus::transition_sql(ExportStatus::Cancelled);
            tx.execute(
                &format!(
                    "UPDATE exports SET {set}, message = 'cancelled', updated_at = ?1,
                            completed_at = ?1 WHERE id = ?2 AND {from}"
                ),
                params![now, eid],
            )?;
            if let Some(h) = pending_hold(tx, &eid)? {
                ledger::void_in_tx(tx, ids.as_ref(), at, &h, "export cancelled")?;
            }
            load(tx, None, &eid)
        })
        .await?;
    state.exports.kill(id);
    emit(
        state,
        &export.id,
        ExportStatus::Cancelled,
        export.progress,
        "cancelled",
    );
    Ok(export)
}

/// Starts again every export a previous process left queued or running (call once at start-up).
pub async fn resume_interrupted(state: &AppState) -> Result<usize, DbError> {
    let active = |orphaned_only: bool| {
        let cutoff = crate::instances::alive_cutoff(state);
        let orphaned = crate::instances::orphaned_sql(crate::instances::Work::Export);
        state.db.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT id FROM exports WHERE status IN ({}) AND (?2 = 0 OR {orphaned})
                 ORDER BY created_at",
                ExportStatus::active_sql()
            ))?;
            let ids = stmt
                .query_map(params![cutoff, orphaned_only], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok::<_, DbError>(ids)
        })
    };
    // Work directories of exports no process encodes any more (another replica's stay).
    remove_stale_work_dirs(&state.config.data_dir.join("tmp"), &active(false).await?);
    let ids = active(true).await?;
    for id in &ids {
        spawn(state, id);
    }
    // Exports whose encoder was another process that stopped start again here once its lease
    // runs out (src/instances).
    let watcher = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(crate::instances::lease(&watcher) / 2);
        tick.tick().await;
        loop {
            tick.tick().await;
            let cutoff = crate::instances::alive_cutoff(&watcher);
            let orphaned = crate::instances::orphaned_sql(crate::instances::Work::Export);
            let found = watcher
                .db
                .read(move |c| {
                    let mut stmt = c.prepare(&format!(
                        "SELECT id FROM exports WHERE status IN ({}) AND {orphaned}",
                        ExportStatus::active_sql()
                    ))?;
                    let ids = stmt
                        .query_map([cutoff], |r| r.get(0))?
                        .collect::<Result<Vec<String>, _>>()?;
                    Ok::<_, DbError>(ids)
                })
                .await;
            match found {
                Ok(ids) => {
                    for id in ids.iter().filter(|id| !watcher.exports.is_going(id)) {
                        spawn(&watcher, id);
                    }
                }
                Err(error) => tracing::warn!(%error, "looking for orphaned exports failed"),
            }
        }
    });
    Ok(ids.len())
}

fn remove_stale_work_dirs(tmp: &std::path::Path, going: &[String]) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = name
            .strip_prefix("export-")
            .is_some_and(|id| !going.iter().any(|g| g == id));
        if stale {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => tracing::info!(dir = %name, "removed stale export work"),
                Err(error) => {
                    tracing::warn!(dir = %name, %error, "cannot remove stale export work")
                }
            }
        }
    }
}

fn emit(state: &AppState, id: &str, status: ExportStatus, progress: f64, message: &str) {
    state.exports.progress.send(ExportEvent {
        event_type: "export_progress".into(),
        export_id: id.to_string(),
        status,
        progress: (progress * 1000.0).round() / 1000.0,
        message: message.to_string(),
        timestamp: rfc3339(state.clock.now()),
    });
}

fn spawn(state: &AppState, id: &str) {
    let (state, id) = (state.clone(), id.to_string());
    // Registered now, so a cancel that arrives before the encoder starts still stops it.
    state.exports.switch(&id);
    tokio::spawn(async move {
        use crate::instances::Work;
        if !crate::instances::start_on(&state, Work::Export, &id).await {
            // A live process encodes it.
            state.exports.forget(&id);
            return;
        }
        let result = drive(&state, &id).await;
        crate::instances::release(&state, Work::Export, &id).await;
        state.exports.forget(&id);
        if let Err(e) = result {
            let message = e.to_string();
            tracing::warn!(export_id = %id, error = %message, "export failed");
            let now = rfc3339(state.clock.now());
            let (eid, msg) = (id.clone(), message.clone());
            let (ids, at) = (state.ids.clone(), state.clock.now());
            let _ = state
                .db
                .write(move |tx| {
                    let (set, from) = ExportStatus::transition_sql(ExportStatus::Failed);
                    tx.execute(
                        &format!(
                            "UPDATE exports SET {set}, error = ?1, message = ?1, updated_at = ?2,
                                    completed_at = ?2 WHERE id = ?3 AND {from}"
                        ),
                        params![msg, now, eid],
                    )?;
                    // A failed export is free (docs/API-LEDGER.md): its hold goes back.
                    if let Some(h) = pending_hold(tx, &eid)? {
                        ledger::void_in_tx(tx, ids.as_ref(), at, &h, "export failed")?;
                    }
                    Ok::<_, ExportError>(())
                })
                .await;
            emit(&state, &id, ExportStatus::Failed, 0.0, &message);
        }
    });
}

fn is_cancelled(c: &Connection, id: &str) -> Result<bool, DbError> {
    let status: Option<ExportStatus> = c
        .query_row("SELECT status FROM exports WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(!status.is_some_and(ExportStatus::is_active))
}

/// Removes the work directory however the export ends.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The look of a video's frames: clean unless overlays were asked for; the animatic's caption bar
/// only when no subtitles show the dialogue (never two captions).
pub fn frame_look(settings: &Settings) -> frames::FrameLook {
    frames::FrameLook {
        overlays: settings.overlays,
        caption: settings.subtitles == preset::SubtitleMode::None,
    }
}

/// Redraws each built-in animatic still for the video (see [`frames`]) into `dir`, at the video's
/// size with the configured font. Blocking.
pub fn clean_stills(mut plan: Plan, dir: &Path, font: Option<&Path>) -> Result<Plan, ExportError> {
    if plan
        .shots
        .iter()
        .all(|s| s.spec.is_none() || s.clip.is_some())
    {
        return Ok(plan);
    }
    let fonts = crate::render::Fonts::shared(font).map_err(|e| ExportError::Io(e.to_string()))?;
    let look = frame_look(&plan.settings);
    let size = plan.settings.size();
    for (i, shot) in plan.shots.iter_mut().enumerate() {
        if shot.clip.is_some() {
            continue;
        }
        shot.image = frames::video_still(
            &shot.image,
            shot.spec.as_ref(),
            look,
            size,
            dir,
            &format!("still-{i}.png"),
            &fonts,
        )?;
    }
    Ok(plan)
}

#[tracing::instrument(skip(state))]
async fn drive(state: &AppState, id: &str) -> Result<(), ExportError> {
    let kill = state.exports.switch(id);
    let _permit = state
        .exports
        .encoder
        .acquire()
        .await
        .map_err(|e| ExportError::Io(e.to_string()))?;
    let (eid, blobs) = (id.to_string(), state.blobs.clone());
    let now = rfc3339(state.clock.now());
    let (ids, at) = (state.ids.clone(), state.clock.now());
    // Re-resolve from the stored request: after a restart the plan is rebuilt the same way.
    let prepared = state
        .db
        .write(move |tx| {
            if is_cancelled(tx, &eid)? {
                return Ok(None);
            }
            let (owner, project, version, run, settings): (String, String, String, String, String) =
                tx.query_row(
                    "SELECT owner_id, project_id, version_id, run_id, settings FROM exports WHERE id = ?1",
                    [&eid],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )?;
            let s: Settings = serde_json::from_str(&settings)
                .map_err(|e| ExportError::Io(format!("stored settings: {e}")))?;
            let req = ExportRequest {
                project_id: Some(project),
                version_id: Some(version),
                run_id: Some(run),
                resolution: Some(json!(s.resolution.as_str())),
                aspect_ratio: Some(json!(s.aspect.as_str())),
                fps: Some(json!(s.fps)),
                format: Some(json!(s.container.as_str())),
                include_subtitles: Some(json!(s.subtitles.as_str())),
                transition: Some(json!(s.transition.as_str())),
                motion: Some(json!(s.motion)),
                music_asset_id: s.music_asset_id.clone(),
                overlays: Some(json!(s.overlays)),
                speaker_names: Some(json!(s.speaker_names)),
            };
            let src = resolve(tx, &blobs, &owner, &req)?;
            // After a restart the start-up sweep voided the dead process's hold: hold again.
            if pending_hold(tx, &eid)?.is_none() {
                let key = format!("export:{eid}:restart:{}", ids.new_id());
                hold_for(tx, ids.as_ref(), at, &owner, &eid, key, &s)?;
            }
            let (set, from) = ExportStatus::transition_sql(ExportStatus::Processing);
            tx.execute(
                &format!(
                    "UPDATE exports SET {set}, progress = 0, message = 'starting ffmpeg',
                            started_at = ?1, updated_at = ?1 WHERE id = ?2 AND {from}"
                ),
                params![now, eid],
            )?;
            Ok::<_, ExportError>(Some((owner, src)))
        })
        .await?;
    let Some((owner, src)) = prepared else {
        return Ok(());
    };
    emit(state, id, ExportStatus::Processing, 0.0, "starting ffmpeg");

    let work = WorkDir(
        state
            .config
            .data_dir
            .join("tmp")
            .join(format!("export-{id}")),
    );
    let _ = std::fs::remove_dir_all(&work.0);
    std::fs::create_dir_all(&work.0).map_err(|e| ExportError::Io(e.to_string()))?;
    let mut src = src;
    let dir = work.0.clone();
    let font = state.config.font_path.clone();
    src.plan = tokio::task::spawn_blocking(move || clean_stills(src.plan, &dir, font.as_deref()))
        .await
        .map_err(|e| ExportError::Io(e.to_string()))??;
    let ext = src.plan.settings.container.as_str();
    let output_name = format!("video.{ext}.part");
    let cmd = plan::command(&src.plan, &output_name, &state.config.subtitle_font);
    let write = |name: &str, text: &str| {
        std::fs::write(work.0.join(name), text).map_err(|e| ExportError::Io(e.to_string()))
    };
    write(plan::FILTER_NAME, &cmd.filter)?;
    if let Some(srt) = &cmd.srt {
        write(plan::SRT_NAME, srt)?;
    }
    if let Some(ass) = &cmd.ass {
        write(plan::ASS_NAME, ass)?;
    }

    let total = src.plan.total_frames.max(1);
    let (st, eid, dir, args) = (
        state.clone(),
        id.to_string(),
        work.0.clone(),
        cmd.args.clone(),
    );
    let kill2 = kill.clone();
    let configured = state.config.ffmpeg_path.clone();
    let encoded = tokio::task::spawn_blocking(move || {
        let tools = Tools::locate(configured.as_deref())?;
        let mut last = Instant::now() - Duration::from_secs(1);
        ffmpeg::run(&tools, &dir, &args, &kill2, |p| {
            if last.elapsed() < Duration::from_millis(400) {
                return;
            }
            last = Instant::now();
            // The last few percent are muxing and faststart: never show 100 % before the end.
            let progress = (p.frame as f64 / total as f64).min(0.99);
            let message = format!(
                "encoding frame {} of {total} ({:.1}× real time)",
                p.frame, p.speed
            );
            let now = rfc3339(st.clock.now());
            let (e2, m2) = (eid.clone(), message.clone());
            let _ = st.db.write_sync(move |tx| {
                tx.execute(
                    "UPDATE exports SET progress = ?1, message = ?2, updated_at = ?3
                     WHERE id = ?4 AND status = ?5",
                    params![progress, m2, now, e2, ExportStatus::Processing],
                )
                .map_err(DbError::from)
            });
            emit(&st, &eid, ExportStatus::Processing, progress, &message);
        })?;
        let out = dir.join(format!("video.{}.part", ext));
        let probe = ffmpeg::probe(&tools, &out)?;
        Ok::<_, ToolError>(probe)
    })
    .await
    .map_err(|e| ExportError::Io(e.to_string()))?;
    let probe = match encoded {
        Ok(p) => p,
        // The row already says cancelled; the work directory goes with `work`.
        Err(ToolError::Cancelled) => return Ok(()),
        Err(e) => return Err(e.into()),
    };

    // Into the blob store (temp file + rename), then the assets and the row in one transaction.
    let (blobs, dir) = (state.blobs.clone(), work.0.clone());
    let has_srt = cmd.srt.is_some();
    let stored = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(dir.join(format!("video.{ext}.part")))?;
        let video = blobs.put_reader(std::io::BufReader::new(file))?;
        let srt = if has_srt {
            Some(blobs.put_bytes(&std::fs::read(dir.join(plan::SRT_NAME))?)?)
        } else {
            None
        };
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((video, srt))
    })
    .await
    .map_err(|e| ExportError::Io(e.to_string()))?
    .map_err(|e| ExportError::Io(e.to_string()))?;
    let (video_blob, srt_blob) = stored;
    let s = src.plan.settings.clone();
    let (w, h) = s.size();
    let now = rfc3339(state.clock.now());
    let video_id = state.ids.new_id().to_string();
    let srt_id = srt_blob.as_ref().map(|_| state.ids.new_id().to_string());
    let base = format!(
        "export-{}-{}-{}fps",
        s.resolution.as_str(),
        s.aspect.as_str().replace(':', "x"),
        s.fps
    );
    let meta = json!({"export_id": id, "run_id": src.run_id, "provider": "builtin.ffmpeg",
        "resolution": s.resolution.as_str(), "aspect_ratio": s.aspect.as_str(), "fps": s.fps,
        "format": s.container.as_str(), "subtitles": s.subtitles.as_str(), "transition": s.transition.as_str(),
        "duration_secs": probe.duration_secs, "video_codec": probe.video_codec,
        "audio_codec": probe.audio_codec, "subtitle_codec": probe.subtitle_codec, "cost_credits": 0});
    let video_asset = NewAsset {
        owner_id: owner.clone(),
        project_id: Some(src.project_id.clone()),
        version_id: Some(src.version_id.clone()),
        kind: AssetType::ExportVideo,
        filename: format!("{base}.{ext}"),
        mime_type: s.container.mime().into(),
        blob: video_blob,
        width: Some(w),
        height: Some(h),
        thumbnail_sha256: None,
        metadata: meta,
    };
    let srt_asset = srt_blob.map(|blob| NewAsset {
        owner_id: owner.clone(),
        project_id: Some(src.project_id.clone()),
        version_id: Some(src.version_id.clone()),
        kind: AssetType::Subtitle,
        filename: format!("{base}.srt"),
        mime_type: "application/x-subrip".into(),
        blob,
        width: None,
        height: None,
        thumbnail_sha256: None,
        metadata: json!({"export_id": id, "cues": src.plan.cues().len(), "cost_credits": 0}),
    });
    let (eid, vid, sid) = (id.to_string(), video_id.clone(), srt_id.clone());
    let (ids, at) = (state.ids.clone(), state.clock.now());
    let size = probe.size_bytes as i64;
    let duration_ms = (probe.duration_secs * 1000.0).round() as i64;
    let finished = state
        .db
        .write(move |tx| {
            if is_cancelled(tx, &eid)? {
                return Ok(false);
            }
            assets::insert_in_tx(tx, &vid, &now, &video_asset)?;
            if let (Some(sid), Some(a)) = (&sid, &srt_asset) {
                assets::insert_in_tx(tx, sid, &now, a)?;
            }
            // Charged only on success, in the transaction that records it.
            if let Some(h) = pending_hold(tx, &eid)? {
                ledger::settle_in_tx(tx, ids.as_ref(), at, &h, EXPORT_COST_CREDITS)?;
            }
            let (set, from) = ExportStatus::transition_sql(ExportStatus::Completed);
            tx.execute(
                &format!(
                    "UPDATE exports SET {set}, progress = 1, message = 'done', video_asset_id = ?1,
                            srt_asset_id = ?2, file_size = ?3, duration_ms = ?4, updated_at = ?5,
                            completed_at = ?5
                     WHERE id = ?6 AND {from}"
                ),
                params![vid, sid, size, duration_ms, now, eid],
            )?;
            Ok::<_, ExportError>(true)
        })
        .await?;
    if finished {
        emit(state, id, ExportStatus::Completed, 1.0, "done");
    }
    Ok(())
}

/// Where an encoded export's file is, for the CLI (`storyloom render -o`).
pub async fn video_file(
    state: &AppState,
    owner_id: &str,
    export: &Export,
) -> Result<PathBuf, ExportError> {
    let asset = export.asset_id.clone().ok_or_else(|| {
        ExportError::Conflict(format!("export {} is {}", export.id, export.status))
    })?;
    let (_, path) = assets::file_of(state, owner_id, &asset)
        .await
        .map_err(|e| ExportError::Io(e.to_string()))?;
    Ok(path)
}

/// Copies a blob to `dest` through a temp file and a rename (a reader never sees half a file).
pub fn copy_out(src: &Path, dest: &Path) -> std::io::Result<()> {
    let dir = dest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::copy(src, tmp.path())?;
    // A temp file is private (0600); the video is an ordinary file for the user's other programs.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod stale_work_tests {
    #[test]
    fn only_work_of_exports_no_longer_going_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        for dir in ["export-done", "export-going", "previews", "other"] {
            std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
            std::fs::write(tmp.path().join(dir).join("video.mp4.part"), b"x").unwrap();
        }
        super::remove_stale_work_dirs(tmp.path(), &["going".to_string()]);
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["export-going", "other", "previews"]);
    }
}
