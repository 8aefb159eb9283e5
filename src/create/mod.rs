//! Creator tools (docs/CREATE.md): writing tools, decks, and the creations every generation
//! becomes. A creation belongs to a workspace; deleting one moves it to a trash it can be
//! restored from.
pub mod deck;
pub mod image;
pub mod pptx;
pub mod store;
pub mod video;
pub mod writing;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    clock::rfc3339,
    db::DbError,
    error::{CodedError, ErrorCode},
    ledger::{self, HoldRequest, LedgerError, Purpose},
    paging::PageSpec,
    registry::RegistryError,
    AppState,
};

pub use store::Filter;

/// Who asks: the workspace that pays and owns the creation, and the person.
#[derive(Debug, Clone)]
pub struct Requester {
    pub workspace_id: String,
    pub user_id: String,
}

/// What a creation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Writing,
    Image,
    Video,
    Ppt,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Writing, Kind::Image, Kind::Video, Kind::Ppt];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Writing => "writing",
            Self::Image => "image",
            Self::Video => "video",
            Self::Ppt => "ppt",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An error of the creator tools, with the request field it is about and whether a retry may work.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct CreateError {
    pub code: ErrorCode,
    pub field: Option<&'static str>,
    pub message: String,
    pub retryable: bool,
}

impl CreateError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
            retryable: code.retryable(),
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            ..Self::new(ErrorCode::ValidationError, message)
        }
    }

    fn not_found(id: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("creation '{id}' not found"))
    }

    fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "a creator tool failed inside the server");
        Self::new(
            ErrorCode::Internal,
            "the server failed while creating; it is logged",
        )
    }
}

impl CodedError for CreateError {
    fn code(&self) -> ErrorCode {
        self.code
    }
    fn field(&self) -> Option<&str> {
        self.field
    }
}

impl From<DbError> for CreateError {
    fn from(e: DbError) -> Self {
        Self::internal(e)
    }
}

impl From<LedgerError> for CreateError {
    fn from(e: LedgerError) -> Self {
        match e.code() {
            ErrorCode::Internal => Self::internal(e),
            code => Self::new(code, e.detail()),
        }
    }
}

impl From<RegistryError> for CreateError {
    fn from(e: RegistryError) -> Self {
        let code = e.code();
        // The only registry lookups here are of the model a request names (or the default).
        Self {
            code,
            field: Some("model_id"),
            message: e.detail(),
            retryable: code.retryable(),
        }
    }
}

impl From<crate::providers::ProviderError> for CreateError {
    fn from(e: crate::providers::ProviderError) -> Self {
        use crate::providers::ProviderErrorKind as K;
        if e.is_cancelled() {
            return Self {
                retryable: true,
                ..Self::new(
                    ErrorCode::ServiceUnavailable,
                    "the generation was interrupted before it finished; nothing was charged",
                )
            };
        }
        let code = match e.kind {
            K::RateLimited { .. } => ErrorCode::RateLimited,
            _ => ErrorCode::UpstreamFailed,
        };
        Self {
            retryable: e.retryable() || code == ErrorCode::RateLimited,
            ..Self::new(code, format!("{e}; nothing was charged"))
        }
    }
}

/// A creation, whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Creation {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// The writing tool (`wechat_article`, …); empty for other types.
    pub tool_type: String,
    pub title: String,
    /// The text (Markdown; Fountain for `video_script`; a deck's outline).
    pub content: String,
    /// What was asked for.
    #[schema(value_type = Object)]
    pub input: Value,
    /// The model's id, or `builtin` (offline, free).
    pub model: String,
    /// The template that wrote it: `builtin:<tool>@<version>` or a prompt template version's id.
    pub prompt_version: String,
    pub credits_used: i64,
    /// A file made with it (a deck): download with `GET /creations/{id}/file`.
    pub file_sha256: Option<String>,
    pub file_name: Option<String>,
    /// The project it was opened as, or made for.
    pub project_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// Set while it is in the trash.
    pub deleted_at: Option<String>,
}

/// A creation as lists show it: the content cut to an excerpt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreationItem {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub tool_type: String,
    pub title: String,
    /// The first 280 characters of the content.
    pub content: String,
    pub model: String,
    pub credits_used: i64,
    pub file_name: Option<String>,
    pub project_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

const EXCERPT_CHARS: usize = 280;

impl From<Creation> for CreationItem {
    fn from(c: Creation) -> Self {
        let content = match c.content.char_indices().nth(EXCERPT_CHARS) {
            Some((cut, _)) => format!("{}…", &c.content[..cut]),
            None => c.content,
        };
        Self {
            id: c.id,
            kind: c.kind,
            tool_type: c.tool_type,
            title: c.title,
            content,
            model: c.model,
            credits_used: c.credits_used,
            file_name: c.file_name,
            project_id: c.project_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
        }
    }
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_CONTENT_CHARS: usize = 200_000;

/// A page of the workspace's creations, newest first (or the trash, most recently deleted first).
#[tracing::instrument(skip(state))]
pub async fn list(
    state: &AppState,
    workspace_id: &str,
    filter: Filter,
    page: PageSpec,
) -> Result<(Vec<CreationItem>, u64), CreateError> {
    let ws = workspace_id.to_string();
    Ok(state
        .db
        .read(move |c| store::list(c, &ws, &filter, page))
        .await?)
}

async fn load(
    state: &AppState,
    workspace_id: &str,
    id: &str,
    trashed: bool,
) -> Result<Creation, CreateError> {
    let (ws, cid) = (workspace_id.to_string(), id.to_string());
    state
        .db
        .read(move |c| store::get(c, &ws, &cid, trashed))
        .await?
        .ok_or_else(|| CreateError::not_found(id))
}

pub async fn get(state: &AppState, workspace_id: &str, id: &str) -> Result<Creation, CreateError> {
    load(state, workspace_id, id, false).await
}

/// New title and content; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreationPatch {
    pub title: Option<String>,
    pub content: Option<String>,
}

fn check_title(title: &str) -> Result<String, CreateError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(CreateError::invalid(
            "title",
            format!("title is 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    Ok(title.to_string())
}

#[tracing::instrument(skip(state, patch))]
pub async fn update(
    state: &AppState,
    workspace_id: &str,
    id: &str,
    patch: CreationPatch,
) -> Result<Creation, CreateError> {
    let current = get(state, workspace_id, id).await?;
    let title = match patch.title {
        Some(t) => check_title(&t)?,
        None => current.title,
    };
    let content = patch.content.unwrap_or(current.content);
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(CreateError::invalid(
            "content",
            format!("content is at most {MAX_CONTENT_CHARS} characters"),
        ));
    }
    let (ws, cid, now) = (
        workspace_id.to_string(),
        id.to_string(),
        rfc3339(state.clock.now()),
    );
    let changed = state
        .db
        .write(move |tx| store::update(tx, &ws, &cid, &title, &content, &now))
        .await?;
    if !changed {
        return Err(CreateError::not_found(id));
    }
    get(state, workspace_id, id).await
}

/// Moves a creation to the trash (undo with [`restore`]).
#[tracing::instrument(skip(state))]
pub async fn trash(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<Creation, CreateError> {
    let (ws, cid, now) = (
        workspace_id.to_string(),
        id.to_string(),
        rfc3339(state.clock.now()),
    );
    let changed = state
        .db
        .write(move |tx| store::set_deleted(tx, &ws, &cid, Some(&now)))
        .await?;
    if !changed {
        return Err(CreateError::not_found(id));
    }
    load(state, workspace_id, id, true).await
}

#[tracing::instrument(skip(state))]
pub async fn restore(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<Creation, CreateError> {
    let (ws, cid) = (workspace_id.to_string(), id.to_string());
    let changed = state
        .db
        .write(move |tx| store::set_deleted(tx, &ws, &cid, None))
        .await?;
    if !changed {
        return Err(CreateError::new(
            ErrorCode::NotFound,
            format!("creation '{id}' is not in the trash"),
        ));
    }
    get(state, workspace_id, id).await
}

/// A `video_script` creation opened as a new project whose script is the creation's text.
#[tracing::instrument(skip(state))]
pub async fn open_as_project(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<crate::projects::Project, CreateError> {
    let creation = get(state, workspace_id, id).await?;
    // Opened before: that project (opening twice would make two copies of one script).
    if let Some(existing) = &creation.project_id {
        if let Ok(p) = crate::projects::get(state, workspace_id, existing).await {
            return Ok(p);
        }
    }
    if creation.tool_type != "video_script" {
        return Err(CreateError::new(
            ErrorCode::Conflict,
            "only a video_script creation is a script a project can open",
        ));
    }
    let project = crate::versions::create_project_with_script(
        state,
        workspace_id,
        &creation.title,
        "Written with Storyloom's video script tool",
        "script.fountain",
        &creation.content,
    )
    .await
    .map_err(|e| match e.code() {
        ErrorCode::Internal => CreateError::internal(e),
        code => CreateError::new(code, e.detail()),
    })?;
    let (ws, cid, pid) = (workspace_id.to_string(), id.to_string(), project.id.clone());
    state
        .db
        .write(move |tx| store::set_project(tx, &ws, &cid, &pid))
        .await?;
    Ok(project)
}

// ------------------------------------------------------------------------------------------ paying

/// A hold older than this is voided by the ledger's sweeper (the process died mid-call).
const HOLD_TTL_SECS: i64 = 1_800;
pub const HOLD_KEY_PREFIX: &str = "create:";

/// The most a generation may cost, held before its model call.
pub(crate) struct Held {
    pub id: String,
    pub estimate: i64,
}

pub(crate) async fn hold(
    state: &AppState,
    workspace_id: &str,
    creation_id: &str,
    estimate: i64,
    description: String,
) -> Result<Held, CreateError> {
    let hold = ledger::hold(
        state,
        HoldRequest {
            owner_id: workspace_id.to_string(),
            amount: estimate.max(0),
            purpose: Purpose::Job,
            work_id: creation_id.to_string(),
            key: format!("{HOLD_KEY_PREFIX}{creation_id}"),
            description,
            meta: serde_json::json!({ "creation_id": creation_id }),
            ttl_secs: Some(HOLD_TTL_SECS),
        },
    )
    .await?;
    Ok(Held {
        id: hold.id,
        estimate: estimate.max(0),
    })
}

pub(crate) async fn void(state: &AppState, held: &Held, reason: &str) {
    if let Err(e) = ledger::void(state, &held.id, reason).await {
        tracing::warn!(hold = %held.id, error = %e, "could not void a creation's hold; the sweeper will");
    }
}

/// Stores a creation, settling its hold (at `actual`, never above the estimate) in the same
/// transaction: the charge commits with the creation it pays for, or neither does (and the hold
/// is voided).
pub(crate) async fn save(
    state: &AppState,
    workspace_id: &str,
    idempotency_key: Option<String>,
    creation: Creation,
    paid: Option<(&Held, i64)>,
) -> Result<Creation, CreateError> {
    let (ws, ids, clock) = (
        workspace_id.to_string(),
        state.ids.clone(),
        state.clock.clone(),
    );
    let settle = paid.map(|(h, actual)| (h.id.clone(), actual.clamp(0, h.estimate)));
    let key = idempotency_key.clone();
    let stored = state
        .db
        .write(move |tx| {
            let mut row = creation;
            if let Some((hold_id, actual)) = &settle {
                let settled =
                    ledger::settle_in_tx(tx, ids.as_ref(), clock.now(), hold_id, *actual)?;
                row.credits_used = settled.charged.unwrap_or(0);
            }
            store::insert(
                tx,
                &store::NewCreation {
                    workspace_id: &ws,
                    idempotency_key: idempotency_key.as_deref(),
                    creation: &row,
                },
            )?;
            Ok::<_, CreateError>(row)
        })
        .await;
    if stored.is_err() {
        if let Some((held, _)) = paid {
            void(state, held, "the creation could not be stored").await;
        }
        // Two requests with one key at once: the other stored first, and its creation is the answer.
        if let Some(first) = already_made(state, workspace_id, key.as_deref()).await? {
            return Ok(first);
        }
    }
    stored
}

/// The creation an earlier request with this idempotency key made.
pub(crate) async fn already_made(
    state: &AppState,
    workspace_id: &str,
    key: Option<&str>,
) -> Result<Option<Creation>, CreateError> {
    let Some(key) = key.map(str::to_string) else {
        return Ok(None);
    };
    let ws = workspace_id.to_string();
    Ok(state
        .db
        .read(move |c| store::by_idempotency_key(c, &ws, &key))
        .await?)
}

/// A request's `model_id`: seed clients send numbers, ours are strings; empty means the default.
pub(crate) fn model_id_of(raw: Option<&Value>) -> Result<Option<String>, CreateError> {
    match raw {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(CreateError::invalid("model_id", "model_id is a model's id")),
    }
}

/// A request's `project_id`, checked to be one of the workspace's projects.
pub(crate) async fn project_of(
    state: &AppState,
    workspace_id: &str,
    raw: Option<String>,
) -> Result<Option<String>, CreateError> {
    let Some(p) = raw.map(|p| p.trim().to_string()).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    crate::projects::get(state, workspace_id, &p)
        .await
        .map_err(|_| CreateError::invalid("project_id", format!("no project '{p}'")))?;
    Ok(Some(p))
}

/// Stores a generated file; returns its SHA-256.
pub(crate) async fn store_file(state: &AppState, bytes: Vec<u8>) -> Result<String, CreateError> {
    let blobs = state.blobs.clone();
    Ok(tokio::task::spawn_blocking(move || blobs.put_bytes(&bytes))
        .await
        .map_err(CreateError::internal)?
        .map_err(CreateError::internal)?
        .sha256)
}

/// A creation's file: where it is on disk (fetched into the blob cache when the blobs are in a
/// bucket) and its name.
pub async fn file_of(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<(std::path::PathBuf, String), CreateError> {
    let creation = get(state, workspace_id, id).await?;
    let (Some(sha), Some(name)) = (creation.file_sha256, creation.file_name) else {
        return Err(CreateError::new(
            ErrorCode::NotFound,
            format!("creation '{id}' has no file"),
        ));
    };
    let blobs = state.blobs.clone();
    let path = tokio::task::spawn_blocking(move || blobs.path_of(&sha))
        .await
        .map_err(CreateError::internal)?
        .map_err(CreateError::internal)?;
    Ok((path, name))
}
