//! Publishing (docs/PUBLISH.md): a workspace binds its platform accounts (credentials sealed,
//! never returned), then publishes a creation or an export to some of them, now or at a time.
//!
//! A job is durable: a scheduler in every process looks for jobs with a platform due, one process
//! drives each (`instances`), and each platform's result is its own row. A transient failure is
//! retried with backoff; a platform saying no, or the attempts running out, is that platform's
//! named failure. A platform's post is sent at most once: an item a killed process left half-sent
//! is reported as interrupted (check the platform) rather than sent again.
pub mod adapters;
pub mod store;

use std::{collections::BTreeSet, time::Duration};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::{
    clock::rfc3339,
    create::{self, Kind},
    db::DbError,
    error::{CodedError, ErrorCode},
    instances::{self, Work},
    paging::PageSpec,
    AppState,
};
use adapters::{AdapterError, Content, Posted};

crate::states! {
    pub enum JobStatus ("publish job") {
        /// Waiting for its time.
        Pending = "pending",
        Running = "running",
        /// Every platform published.
        Completed = "completed",
        /// Some platforms published, others failed (each named).
        Partial = "partial",
        /// No platform published.
        Failed = "failed",
    }
    transitions {
        // `Running → Running` is a takeover after the process driving it stopped.
        Pending | Running => Running,
        Running => Completed | Partial | Failed,
    }
}

crate::states! {
    pub enum ItemStatus ("publish item") {
        Pending = "pending",
        /// Being sent: a process that stops here leaves it for the next one to report interrupted.
        Sending = "sending",
        Published = "published",
        Failed = "failed",
    }
    transitions {
        Pending => Sending,
        // A transient failure waits for its retry.
        Sending => Pending | Published | Failed,
        Pending => Failed,
    }
}

/// A platform and what its open API can publish.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Platform {
    pub platform: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    /// The creation types it publishes (`writing`, `video`); empty: none through an open API.
    pub accepts: Vec<&'static str>,
    /// The fields `POST /publish/platforms/bind` takes in `credentials`.
    pub credentials: Vec<&'static str>,
    pub can_publish: bool,
    pub note: &'static str,
    /// Whether this workspace has bound an account.
    pub bound: bool,
    /// The bound account (an app id, an open id), never a secret.
    pub account: Option<String>,
}

struct Spec {
    id: &'static str,
    name: &'static str,
    name_en: &'static str,
    accepts: &'static [&'static str],
    credentials: &'static [&'static str],
    /// The credential shown as the account.
    account: &'static str,
    note: &'static str,
}

const PLATFORMS: &[Spec] = &[
    Spec {
        id: "wechat",
        name: "微信公众号",
        name_en: "WeChat Official Account",
        accepts: &["writing"],
        credentials: &["app_id", "app_secret"],
        account: "app_id",
        note: "Articles: a draft with a cover, then submitted for publishing (the account's IP allow-list must include this server).",
    },
    Spec {
        id: "douyin",
        name: "抖音",
        name_en: "Douyin",
        accepts: &["video"],
        credentials: &["access_token", "open_id"],
        account: "open_id",
        note: "Videos: uploaded, then posted with the title as the caption (a user's access token with video.create).",
    },
    Spec {
        id: "kuaishou",
        name: "快手",
        name_en: "Kuaishou",
        accepts: &["video"],
        credentials: &["app_id", "access_token"],
        account: "app_id",
        note: "Videos: uploaded to the endpoint Kuaishou names, then published with a cover.",
    },
    Spec {
        id: "xiaohongshu",
        name: "小红书",
        name_en: "Xiaohongshu",
        accepts: &[],
        credentials: &[],
        account: "",
        note: "Xiaohongshu has no open publishing API for third-party apps: copy the note and post it in the app.",
    },
    Spec {
        id: "toutiao",
        name: "今日头条",
        name_en: "Toutiao",
        accepts: &[],
        credentials: &[],
        account: "",
        note: "Toutiao offers no open publishing API to apps like this one: post from its creator back office.",
    },
];

/// An error of publishing, with the request field it is about.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct PublishError {
    pub code: ErrorCode,
    pub field: Option<&'static str>,
    pub message: String,
}

impl PublishError {
    fn new(code: ErrorCode, field: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            code,
            field,
            message: message.into(),
        }
    }
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, Some(field), message)
    }
    fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "publishing failed inside the server");
        Self::new(
            ErrorCode::Internal,
            None,
            "the server failed while publishing; it is logged",
        )
    }
}

impl CodedError for PublishError {
    fn code(&self) -> ErrorCode {
        self.code
    }
    fn field(&self) -> Option<&str> {
        self.field
    }
}

impl From<DbError> for PublishError {
    fn from(e: DbError) -> Self {
        Self::internal(e)
    }
}

fn spec(platform: &str) -> Result<&'static Spec, PublishError> {
    PLATFORMS.iter().find(|p| p.id == platform).ok_or_else(|| {
        PublishError::invalid(
            "platform",
            format!(
                "no platform '{platform}'; the platforms are: {}",
                PLATFORMS
                    .iter()
                    .map(|p| p.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

/// The platforms, with this workspace's bindings.
pub async fn platforms(
    state: &AppState,
    workspace_id: &str,
) -> Result<Vec<Platform>, PublishError> {
    let ws = workspace_id.to_string();
    let bound = state.db.read(move |c| store::bindings(c, &ws)).await?;
    Ok(PLATFORMS
        .iter()
        .map(|p| {
            let account = bound
                .iter()
                .find(|(id, _)| id == p.id)
                .map(|(_, a)| a.clone());
            Platform {
                platform: p.id,
                name: p.name,
                name_en: p.name_en,
                accepts: p.accepts.to_vec(),
                credentials: p.credentials.to_vec(),
                can_publish: !p.accepts.is_empty(),
                note: p.note,
                bound: account.is_some(),
                account,
            }
        })
        .collect())
}

fn vault_id(workspace_id: &str, platform: &str) -> String {
    format!("publish:{workspace_id}:{platform}")
}

/// What `POST /publish/platforms/bind` takes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindRequest {
    pub platform: String,
    /// The platform's fields (`GET /publish/platforms` names them), each a string.
    #[schema(value_type = Object)]
    pub credentials: Map<String, Value>,
}

/// Binds (or re-binds) a platform account; the credentials are sealed and never returned.
#[tracing::instrument(skip(state, req), fields(platform = %req.platform))]
pub async fn bind(
    state: &AppState,
    workspace_id: &str,
    user_id: &str,
    req: BindRequest,
) -> Result<Platform, PublishError> {
    let p = spec(req.platform.trim())?;
    if p.accepts.is_empty() {
        return Err(PublishError::new(
            ErrorCode::PublishUnsupported,
            Some("platform"),
            p.note,
        ));
    }
    let mut creds = Map::new();
    for field in p.credentials {
        let value = req
            .credentials
            .get(*field)
            .and_then(Value::as_str)
            .map(str::trim);
        match value {
            Some(v) if !v.is_empty() && v.len() <= 1024 => {
                creds.insert(field.to_string(), Value::String(v.to_string()));
            }
            _ => {
                return Err(PublishError::invalid(
                    "credentials",
                    format!(
                    "{} needs credentials.{field} (a string of up to 1024 characters); it takes {}",
                    p.name_en,
                    p.credentials.join(", ")
                ),
                ))
            }
        }
    }
    let account = creds[p.account].as_str().unwrap_or_default().to_string();
    let sealed = state
        .provider_secrets
        .put(
            &vault_id(workspace_id, p.id),
            &Value::Object(creds).to_string(),
        )
        .await
        .map_err(PublishError::internal)?;
    let (ws, platform, user, now) = (
        workspace_id.to_string(),
        p.id,
        user_id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            store::put_binding(tx, &ws, platform, &account, sealed.as_deref(), &user, &now)
        })
        .await?;
    platforms(state, workspace_id)
        .await?
        .into_iter()
        .find(|x| x.platform == p.id)
        .ok_or_else(|| PublishError::internal("the bound platform is missing"))
}

#[tracing::instrument(skip(state))]
pub async fn unbind(
    state: &AppState,
    workspace_id: &str,
    platform: &str,
) -> Result<(), PublishError> {
    let p = spec(platform)?;
    let ws = workspace_id.to_string();
    let gone = state
        .db
        .write(move |tx| store::delete_binding(tx, &ws, p.id))
        .await?;
    if !gone {
        return Err(PublishError::new(
            ErrorCode::NotFound,
            None,
            format!("no {} account is bound", p.name_en),
        ));
    }
    Ok(())
}

/// One platform's part of a job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishItem {
    pub platform: String,
    pub status: ItemStatus,
    pub attempts: u32,
    /// When it is (next) tried.
    pub next_attempt_at: String,
    /// The platform's id for the post.
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    /// `PUBLISH_FAILED` (the platform said no, or the attempts ran out) or `INTERRUPTED`.
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishJob {
    pub publish_id: String,
    #[serde(skip)]
    pub workspace_id: String,
    pub created_by: String,
    pub creation_id: Option<String>,
    pub export_id: Option<String>,
    pub title: String,
    pub schedule_time: String,
    pub status: JobStatus,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub items: Vec<PublishItem>,
}

/// What `POST /publish` takes: one of `creation_id` and `export_id`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    #[serde(default)]
    pub creation_id: Option<String>,
    /// A finished export (a video).
    #[serde(default)]
    pub export_id: Option<String>,
    pub platforms: Vec<String>,
    /// When to publish: RFC 3339, or `YYYY-MM-DDTHH:MM:SS` read as UTC. Absent or past: now.
    #[serde(default)]
    pub schedule_time: Option<String>,
}

fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// What is published, read when the job is made (its kind and title) and when it is sent.
struct Source {
    kind: &'static str,
    title: String,
}

async fn source_of(
    state: &AppState,
    workspace_id: &str,
    creation_id: Option<&str>,
    export_id: Option<&str>,
) -> Result<Source, PublishError> {
    match (creation_id, export_id) {
        (Some(id), None) => {
            let c = create::get(state, workspace_id, id)
                .await
                .map_err(|_| PublishError::invalid("creation_id", format!("no creation '{id}'")))?;
            let kind = match c.kind {
                Kind::Writing => "writing",
                Kind::Video => "video",
                Kind::Image => "image",
                Kind::Ppt => "ppt",
            };
            Ok(Source {
                kind,
                title: c.title,
            })
        }
        (None, Some(id)) => {
            let e = crate::export::get(state, workspace_id, id)
                .await
                .map_err(|_| PublishError::invalid("export_id", format!("no export '{id}'")))?;
            if e.status != crate::export::ExportStatus::Completed {
                return Err(PublishError::invalid(
                    "export_id",
                    format!(
                        "export '{id}' is {}: only a finished video can be published",
                        e.status
                    ),
                ));
            }
            let title = crate::projects::get(state, workspace_id, &e.project_id)
                .await
                .map(|p| p.name)
                .unwrap_or_else(|_| "Video".into());
            Ok(Source {
                kind: "video",
                title,
            })
        }
        _ => Err(PublishError::invalid(
            "creation_id",
            "give one of creation_id and export_id",
        )),
    }
}

/// Checks the request, stores the job and its items; the scheduler sends them when due.
#[tracing::instrument(skip(state, req))]
pub async fn publish(
    state: &AppState,
    workspace_id: &str,
    user_id: &str,
    req: PublishRequest,
) -> Result<PublishJob, PublishError> {
    let source = source_of(
        state,
        workspace_id,
        req.creation_id.as_deref(),
        req.export_id.as_deref(),
    )
    .await?;
    let mut chosen = BTreeSet::new();
    for p in &req.platforms {
        chosen.insert(
            spec(p.trim())
                .map_err(|e| PublishError {
                    field: Some("platforms"),
                    ..e
                })?
                .id,
        );
    }
    if chosen.is_empty() {
        return Err(PublishError::invalid(
            "platforms",
            "name at least one platform",
        ));
    }
    let ws = workspace_id.to_string();
    let bound = state.db.read(move |c| store::bindings(c, &ws)).await?;
    for id in &chosen {
        let p = spec(id)?;
        if !p.accepts.contains(&source.kind) {
            let what = if p.accepts.is_empty() {
                p.note.to_string()
            } else {
                format!(
                    "{} publishes {} only, not {}",
                    p.name_en,
                    p.accepts.join(" and "),
                    source.kind
                )
            };
            return Err(PublishError::new(
                ErrorCode::PublishUnsupported,
                Some("platforms"),
                what,
            ));
        }
        if !bound.iter().any(|(b, _)| b == id) {
            return Err(PublishError::new(
                ErrorCode::PlatformNotBound,
                Some("platforms"),
                format!(
                    "no {} account is bound: bind one first (POST /publish/platforms/bind)",
                    p.name_en
                ),
            ));
        }
    }
    let now = state.clock.now();
    let at = match req
        .schedule_time
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        None => now,
        Some(raw) => {
            let t = parse_time(raw).ok_or_else(|| {
                PublishError::invalid(
                    "schedule_time",
                    "schedule_time is RFC 3339 (2026-01-23T10:00:00+08:00) or YYYY-MM-DDTHH:MM:SS (UTC)",
                )
            })?;
            if t > now + chrono::Duration::days(366) {
                return Err(PublishError::invalid(
                    "schedule_time",
                    "schedule_time is at most a year ahead",
                ));
            }
            t.max(now)
        }
    };
    let (created, at) = (rfc3339(now), rfc3339(at));
    let job = PublishJob {
        publish_id: state.ids.new_id().to_string(),
        workspace_id: workspace_id.to_string(),
        created_by: user_id.to_string(),
        creation_id: req.creation_id.clone(),
        export_id: req.export_id.clone(),
        title: source.title,
        schedule_time: at.clone(),
        status: JobStatus::Pending,
        created_at: created.clone(),
        finished_at: None,
        items: chosen
            .iter()
            .map(|p| PublishItem {
                platform: p.to_string(),
                status: ItemStatus::Pending,
                attempts: 0,
                next_attempt_at: at.clone(),
                remote_id: None,
                remote_url: None,
                error_code: None,
                error: None,
                updated_at: created.clone(),
            })
            .collect(),
    };
    let row = job.clone();
    state
        .db
        .write(move |tx| store::insert_job(tx, &row))
        .await?;
    // Due now: no need to wait for the scheduler's next look.
    if job.schedule_time == created {
        spawn(state, &job.publish_id);
    }
    Ok(job)
}

pub async fn get(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<PublishJob, PublishError> {
    let (ws, jid) = (workspace_id.to_string(), id.to_string());
    state
        .db
        .read(move |c| store::get_job(c, Some(&ws), &jid))
        .await?
        .ok_or_else(|| {
            PublishError::new(
                ErrorCode::NotFound,
                None,
                format!("publish job '{id}' not found"),
            )
        })
}

pub async fn history(
    state: &AppState,
    workspace_id: &str,
    page: PageSpec,
) -> Result<(Vec<PublishJob>, u64), PublishError> {
    let ws = workspace_id.to_string();
    Ok(state
        .db
        .read(move |c| store::list_jobs(c, &ws, page))
        .await?)
}

// ------------------------------------------------------------------------------------------ sending

/// Sends the job in a task of its own, when no live process does.
fn spawn(state: &AppState, id: &str) {
    let span = tracing::info_span!("publish_job", job = %id);
    instances::spawn_driver(state, Work::Publish, id, span, |state, id| async move {
        if let Err(e) = drive(&state, &id).await {
            tracing::warn!(error = %e, "a publish job stopped; it is taken up again later");
        }
    });
}

/// Looks for due jobs now and every `poll_ms` (call once at start-up).
pub fn spawn_scheduler(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(state.config.publish.poll_ms));
        loop {
            tick.tick().await;
            match due(&state).await {
                Ok(ids) => ids.iter().for_each(|id| spawn(&state, id)),
                Err(error) => tracing::warn!(%error, "looking for due publish jobs failed"),
            }
        }
    });
}

async fn due(state: &AppState) -> Result<Vec<String>, DbError> {
    let cutoff = instances::alive_cutoff(state);
    let orphaned = instances::orphaned_sql(Work::Publish);
    let now = rfc3339(state.clock.now());
    state
        .db
        .read(move |c| store::due_jobs(c, &orphaned, &cutoff, &now))
        .await
}

/// A cover for platforms that need one: the built-in renderer's frame of the title.
async fn cover(state: &AppState, title: &str) -> Result<Vec<u8>, String> {
    let spec = crate::render::FrameSpec {
        width: 900,
        height: 500,
        description: title.to_string(),
        overlays: false,
        ..Default::default()
    };
    let font = state.config.font_path.clone();
    tokio::task::spawn_blocking(move || {
        let fonts = crate::render::Fonts::shared(font.as_deref()).map_err(|e| e.to_string())?;
        let img = crate::render::render_frame(&spec, &fonts).map_err(|e| e.to_string())?;
        crate::media::encode_jpeg(&img, 85).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

async fn content_of(state: &AppState, job: &PublishJob) -> Result<Content, String> {
    let ws = &job.workspace_id;
    let (text, video) = match (&job.creation_id, &job.export_id) {
        (Some(id), _) => {
            let c = create::get(state, ws, id)
                .await
                .map_err(|e| format!("the creation is gone: {e}"))?;
            let video = if c.kind == Kind::Video {
                let (path, _) = create::file_of(state, ws, id)
                    .await
                    .map_err(|e| e.to_string())?;
                Some(tokio::fs::read(&path).await.map_err(|e| e.to_string())?)
            } else {
                None
            };
            let text = if c.kind == Kind::Video {
                String::new()
            } else {
                c.content
            };
            (text, video)
        }
        (None, Some(id)) => {
            let e = crate::export::get(state, ws, id)
                .await
                .map_err(|e| format!("the export is gone: {e}"))?;
            let file = crate::export::video_file(state, ws, &e)
                .await
                .map_err(|e| e.to_string())?;
            let bytes = tokio::fs::read(&file).await.map_err(|e| e.to_string())?;
            (String::new(), Some(bytes))
        }
        (None, None) => return Err("the job names nothing to publish".into()),
    };
    Ok(Content {
        title: job.title.clone(),
        text,
        video,
        cover: cover(state, &job.title).await?,
    })
}

async fn send(
    state: &AppState,
    job: &PublishJob,
    platform: &str,
    content: &Content,
) -> Result<Posted, AdapterError> {
    let (ws, p) = (job.workspace_id.clone(), platform.to_string());
    let binding = state
        .db
        .read(move |c| store::binding(c, &ws, &p))
        .await
        .map_err(|e| AdapterError {
            message: e.to_string(),
            transient: true,
        })?
        .ok_or_else(|| AdapterError {
            message: "the account was unbound before the job ran: bind it and publish again".into(),
            transient: false,
        })?;
    let secret = state
        .provider_secrets
        .get(
            &vault_id(&job.workspace_id, platform),
            binding.sealed.as_deref(),
        )
        .await
        .map_err(|e| AdapterError {
            message: e,
            transient: false,
        })?;
    let creds: Value = serde_json::from_str(&secret).unwrap_or(Value::Null);
    let cfg = &state.config.publish;
    match platform {
        "wechat" => adapters::wechat(&cfg.wechat_base, &creds, content).await,
        "douyin" => adapters::douyin(&cfg.douyin_base, &creds, content).await,
        "kuaishou" => adapters::kuaishou(&cfg.kuaishou_base, &creds, content).await,
        other => Err(AdapterError {
            message: format!("{other} cannot be published to"),
            transient: false,
        }),
    }
}

async fn set_item(
    state: &AppState,
    job_id: &str,
    platform: &str,
    u: store::ItemUpdate<'_>,
) -> Result<bool, DbError> {
    let (job, platform, now) = (
        job_id.to_string(),
        platform.to_string(),
        rfc3339(state.clock.now()),
    );
    let u = (
        u.status,
        u.attempts,
        u.next_attempt_at.to_string(),
        u.remote_id.map(str::to_string),
        u.remote_url.map(str::to_string),
        u.error_code.map(str::to_string),
        u.error.map(str::to_string),
    );
    state
        .db
        .write(move |tx| {
            store::set_item(
                tx,
                &job,
                &platform,
                &store::ItemUpdate {
                    status: u.0,
                    attempts: u.1,
                    next_attempt_at: &u.2,
                    remote_id: u.3.as_deref(),
                    remote_url: u.4.as_deref(),
                    error_code: u.5.as_deref(),
                    error: u.6.as_deref(),
                },
                &now,
            )
        })
        .await
}

/// Sends every due item of the job once, then settles the job when every item is final.
async fn drive(state: &AppState, id: &str) -> Result<(), DbError> {
    let jid = id.to_string();
    let Some(job) = state
        .db
        .read(move |c| store::get_job(c, None, &jid))
        .await?
    else {
        return Ok(());
    };
    let jid = id.to_string();
    state
        .db
        .write(move |tx| store::set_job_status(tx, &jid, JobStatus::Running, None))
        .await?;
    let now = state.clock.now();
    let mut content: Option<Result<Content, String>> = None;
    for item in &job.items {
        match item.status {
            // A process stopped while sending this: it may have reached the platform. Sent at most
            // once: reported, not sent again.
            ItemStatus::Sending => {
                set_item(state, id, &item.platform, store::ItemUpdate {
                    status: ItemStatus::Failed,
                    attempts: item.attempts,
                    next_attempt_at: &item.next_attempt_at,
                    remote_id: None,
                    remote_url: None,
                    error_code: Some("INTERRUPTED"),
                    error: Some("the server stopped while sending this; check the platform before publishing it again"),
                })
                .await?;
                continue;
            }
            ItemStatus::Pending => {}
            _ => continue,
        }
        let due = chrono::DateTime::parse_from_rfc3339(&item.next_attempt_at)
            .map(|t| t.with_timezone(&Utc) <= now)
            .unwrap_or(true);
        if !due {
            continue;
        }
        let attempts = item.attempts + 1;
        if !set_item(
            state,
            id,
            &item.platform,
            store::ItemUpdate {
                status: ItemStatus::Sending,
                attempts,
                next_attempt_at: &item.next_attempt_at,
                remote_id: None,
                remote_url: None,
                error_code: None,
                error: None,
            },
        )
        .await?
        {
            continue;
        }
        // Read (and the cover drawn) once for all the job's platforms.
        if content.is_none() {
            content = Some(content_of(state, &job).await);
        }
        let body = match content.as_ref().expect("just read") {
            Ok(c) => Ok(c),
            Err(e) => Err(AdapterError {
                message: e.clone(),
                transient: false,
            }),
        };
        let result = match body {
            Ok(c) => send(state, &job, &item.platform, c).await,
            Err(e) => Err(e),
        };
        let cfg = &state.config.publish;
        match result {
            Ok(posted) => {
                tracing::info!(platform = %item.platform, remote = %posted.remote_id, "published");
                set_item(
                    state,
                    id,
                    &item.platform,
                    store::ItemUpdate {
                        status: ItemStatus::Published,
                        attempts,
                        next_attempt_at: &item.next_attempt_at,
                        remote_id: Some(&posted.remote_id),
                        remote_url: posted.url.as_deref(),
                        error_code: None,
                        error: None,
                    },
                )
                .await?;
            }
            Err(e) if e.transient && attempts < cfg.max_attempts => {
                let wait = cfg
                    .retry_base_ms
                    .saturating_mul(1 << (attempts - 1).min(10));
                let next = rfc3339(state.clock.now() + chrono::Duration::milliseconds(wait as i64));
                tracing::warn!(platform = %item.platform, error = %e.message, attempts, "publishing failed; retried later");
                set_item(
                    state,
                    id,
                    &item.platform,
                    store::ItemUpdate {
                        status: ItemStatus::Pending,
                        attempts,
                        next_attempt_at: &next,
                        remote_id: None,
                        remote_url: None,
                        error_code: None,
                        error: Some(&e.message),
                    },
                )
                .await?;
            }
            Err(e) => {
                let message = if e.transient {
                    format!("{} (gave up after {attempts} attempts)", e.message)
                } else {
                    e.message
                };
                tracing::warn!(platform = %item.platform, error = %message, "publishing failed");
                set_item(
                    state,
                    id,
                    &item.platform,
                    store::ItemUpdate {
                        status: ItemStatus::Failed,
                        attempts,
                        next_attempt_at: &item.next_attempt_at,
                        remote_id: None,
                        remote_url: None,
                        error_code: Some("PUBLISH_FAILED"),
                        error: Some(&message),
                    },
                )
                .await?;
            }
        }
    }
    // Every platform final: the job is.
    let jid = id.to_string();
    let Some(after) = state
        .db
        .read(move |c| store::get_job(c, None, &jid))
        .await?
    else {
        return Ok(());
    };
    let published = after
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Published)
        .count();
    let failed = after
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Failed)
        .count();
    if published + failed == after.items.len() {
        let next = match (published, failed) {
            (_, 0) => JobStatus::Completed,
            (0, _) => JobStatus::Failed,
            _ => JobStatus::Partial,
        };
        let (jid, at) = (id.to_string(), rfc3339(state.clock.now()));
        state
            .db
            .write(move |tx| store::set_job_status(tx, &jid, next, Some(&at)))
            .await?;
    }
    Ok(())
}
