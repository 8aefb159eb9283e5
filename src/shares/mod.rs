//! Share links (docs/API-SHARES.md): a public, read-only page for one finished export of a project,
//! and its storyboard when the owner includes it, reachable by an unguessable id until it expires or
//! is revoked. Optionally behind a password. The page itself is drawn by the API layer
//! (`api::watch`); this module decides who may see what.
//!
//! A share pins what it shows when it is made (the export, the version whose storyboard it shows):
//! later edits to the project do not change a link already sent.
pub mod queue;
mod store;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::{
    clock::rfc3339,
    db::DbError,
    error::{CodedError, ErrorCode},
    export::{self, ExportStatus},
    paging::PageSpec,
    projects, storyboard, AppState,
};

/// Shortest and longest share password accepted (a share password guards one video, not an
/// account: short is allowed, and wrong guesses are rate limited per link and address).
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 4..=128;
/// A link lives at most this long.
pub const MAX_LIFETIME_DAYS: i64 = 366;
/// How long the page's password unlock lasts: the access token in the page's media URLs.
pub const UNLOCK_HOURS: i64 = 12;
/// Longest side of the storyboard pictures and the poster on the public page.
pub const FRAME_MAX_SIDE: u32 = 720;

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    /// What a link showed is gone (its project, version or export deleted since): the public
    /// page answers 410, like a revoked link.
    #[error("this link is no longer available")]
    Gone,
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for ShareError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::NotFound(_) | Self::Gone => ErrorCode::NotFound,
            Self::Internal(_) | Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ShareError {
    ShareError::Invalid {
        field,
        message: message.into(),
    }
}

/// Where a link stands, computed from its row and the clock (never stored: expiry needs no job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareStatus {
    Active,
    Expired,
    Revoked,
}

/// A share link as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Share {
    /// The link's id: 22 random URL-safe characters (128 bits), the only secret of a link
    /// without a password.
    pub id: String,
    /// The public page: `{public URL}/share/{id}` (relative when the instance has no public URL).
    pub url: String,
    pub project_id: String,
    pub project_name: String,
    pub export_id: Option<String>,
    pub version_id: Option<String>,
    pub include_storyboard: bool,
    pub has_password: bool,
    pub status: ShareStatus,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Page views (the page itself, not the video's range requests); counted without cookies.
    pub view_count: i64,
    pub last_viewed_at: Option<String>,
    /// The summary the link shows (`POST /history/{id}/share`); its `project_name` is then the
    /// summary's title.
    pub summary_id: Option<String>,
    /// The video shown when it is not one of the server's exports: an exported video a desktop
    /// synced (`asset_id` when the link was made).
    pub video_asset_id: Option<String>,
}

/// `POST /api/v1/history/{id}/share`: a link to a summary.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSummaryShare {
    /// RFC 3339, in the future, at most 366 days away; absent or null: the link does not expire.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// 4–128 characters; absent: anyone with the link can read it.
    #[serde(default)]
    pub password: Option<String>,
}

/// `POST /api/v1/share`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    pub project_id: String,
    /// A completed export of the project; absent: its newest completed export.
    #[serde(default)]
    pub export_id: Option<String>,
    /// RFC 3339, in the future, at most 366 days away; absent or null: the link does not expire.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// 4–128 characters; absent: anyone with the link can watch.
    #[serde(default)]
    pub password: Option<String>,
    /// Show the storyboard (keyframes, scene headings, dialogue) under the video.
    #[serde(default)]
    pub include_storyboard: bool,
    /// Instead of `export_id`: an exported video of the project that a desktop synced (its
    /// asset's id; type `export_video`). This is how the desktop shares its own exports.
    #[serde(default)]
    pub asset_id: Option<String>,
}

/// A share's stored row.
#[derive(Debug, Clone)]
pub(crate) struct ShareRow {
    pub id: String,
    pub workspace_id: String,
    pub project_id: String,
    pub version_id: Option<String>,
    pub export_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub password_hash: Option<String>,
    pub include_storyboard: bool,
    pub revoked_at: Option<String>,
    pub view_count: i64,
    pub last_viewed_at: Option<String>,
    pub summary_id: Option<String>,
    /// A video of the project shown instead of an export (a desktop's synced export).
    pub video_asset_id: Option<String>,
    pub request_key: Option<String>,
}

impl ShareRow {
    fn status(&self, now: DateTime<Utc>) -> ShareStatus {
        if self.revoked_at.is_some() {
            ShareStatus::Revoked
        } else if self
            .expires_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t <= now)
        {
            ShareStatus::Expired
        } else {
            ShareStatus::Active
        }
    }
}

/// The public page's address of link `id`.
pub fn page_url(state: &AppState, id: &str) -> String {
    format!(
        "{}/share/{id}",
        state.config.payments.public_url.trim_end_matches('/')
    )
}

fn view(state: &AppState, row: ShareRow, project_name: String, now: DateTime<Utc>) -> Share {
    Share {
        url: page_url(state, &row.id),
        status: row.status(now),
        has_password: row.password_hash.is_some(),
        id: row.id,
        project_id: row.project_id,
        project_name,
        export_id: row.export_id,
        version_id: row.version_id,
        include_storyboard: row.include_storyboard,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        view_count: row.view_count,
        last_viewed_at: row.last_viewed_at,
        summary_id: row.summary_id,
        video_asset_id: row.video_asset_id,
    }
}

/// 128 random bits, URL-safe base64 without padding (22 characters).
fn new_link_id() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` could be a link id at all (checked before any database read on the public path).
pub fn plausible_link_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_expiry(
    expires_at: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<String>, ShareError> {
    let Some(text) = expires_at else {
        return Ok(None);
    };
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            invalid(
                "expires_at",
                format!("'{text}' is not an RFC 3339 time (e.g. 2026-12-31T23:59:00Z)"),
            )
        })?
        .with_timezone(&Utc);
    if at <= now {
        return Err(invalid("expires_at", "expires_at must be in the future"));
    }
    if at > now + Duration::days(MAX_LIFETIME_DAYS) {
        return Err(invalid(
            "expires_at",
            format!("a link lives at most {MAX_LIFETIME_DAYS} days"),
        ));
    }
    Ok(Some(rfc3339(at)))
}

/// A share password's length: [`PASSWORD_CHARS`], counted in characters.
fn check_password_length(pw: &str) -> Result<(), ShareError> {
    let chars = pw.chars().count();
    if !PASSWORD_CHARS.contains(&chars) {
        return Err(invalid(
            "password",
            format!(
                "a share password has {}–{} characters ({chars} given)",
                PASSWORD_CHARS.start(),
                PASSWORD_CHARS.end()
            ),
        ));
    }
    Ok(())
}

fn check_password(password: Option<&str>) -> Result<Option<String>, ShareError> {
    let Some(pw) = password else {
        return Ok(None);
    };
    check_password_length(pw)?;
    let hash =
        crate::accounts::hash_password(pw).map_err(|e| ShareError::Internal(e.to_string()))?;
    Ok(Some(hash))
}

/// Makes a link to a project's export (and storyboard). The export must be a completed one of the
/// same project; without `export_id`, the project's newest completed export, or none when only
/// the storyboard is shared.
///
/// With `request_key` (the client's Idempotency-Key), a repeated request answers the link the
/// first one made, and makes no second link.
#[tracing::instrument(skip(state, input, request_key), fields(project_id = %input.project_id))]
pub async fn create(
    state: &AppState,
    workspace_id: &str,
    user_id: &str,
    input: NewShare,
    request_key: Option<String>,
) -> Result<Share, ShareError> {
    let now = state.clock.now();
    if let Some(first) = made_with_key(state, workspace_id, request_key.as_deref()).await? {
        return Ok(first);
    }
    let expires_at = check_expiry(input.expires_at.as_deref(), now)?;
    if input.project_id.trim().is_empty() {
        return Err(invalid("project_id", "project_id is required"));
    }
    let project = projects::get(state, workspace_id, &input.project_id)
        .await
        .map_err(|_| ShareError::NotFound(format!("project '{}' not found", input.project_id)))?;
    let video_asset = match &input.asset_id {
        Some(_) if input.export_id.is_some() => {
            return Err(invalid(
                "asset_id",
                "name either export_id or asset_id, not both",
            ))
        }
        Some(id) => Some(exported_video(state, workspace_id, &project.id, id).await?),
        None => None,
    };
    let export = match &input.export_id {
        Some(id) => {
            let e = export::get(state, workspace_id, id)
                .await
                .map_err(|_| ShareError::NotFound(format!("export '{id}' not found")))?;
            if e.project_id != project.id {
                return Err(invalid(
                    "export_id",
                    format!("export '{id}' belongs to another project"),
                ));
            }
            if e.status != ExportStatus::Completed || e.asset_id.is_none() {
                return Err(invalid(
                    "export_id",
                    format!(
                        "export '{id}' is {}: only a completed export can be shared",
                        e.status.as_str()
                    ),
                ));
            }
            Some(e)
        }
        None if video_asset.is_some() => None,
        None => newest_completed_export(state, workspace_id, &project.id).await?,
    };
    if export.is_none() && video_asset.is_none() && !input.include_storyboard {
        return Err(invalid(
            "export_id",
            "the project has no completed export: export it first, or share its storyboard \
             (include_storyboard: true)",
        ));
    }
    // Hashing takes tens of milliseconds on purpose: not on an async worker.
    let password = input.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || check_password(password.as_deref()))
        .await
        .map_err(|e| ShareError::Internal(e.to_string()))??;
    let row = ShareRow {
        id: new_link_id(),
        workspace_id: workspace_id.to_string(),
        project_id: project.id.clone(),
        version_id: export
            .as_ref()
            .map(|e| e.version_id.clone())
            .or(video_asset.as_ref().and_then(|a| a.version_id.clone()))
            .or(project.current_version_id.clone()),
        export_id: export.map(|e| e.id),
        created_by: user_id.to_string(),
        created_at: rfc3339(now),
        expires_at,
        password_hash,
        include_storyboard: input.include_storyboard,
        revoked_at: None,
        view_count: 0,
        last_viewed_at: None,
        summary_id: None,
        video_asset_id: video_asset.map(|a| a.id),
        request_key: request_key.clone(),
    };
    let stored = row.clone();
    let inserted = state.db.write(move |c| store::insert(c, &stored)).await;
    if let Err(e) = inserted {
        // Two requests with one key raced: the other's link is the answer.
        return match made_with_key(state, workspace_id, request_key.as_deref()).await? {
            Some(first) => Ok(first),
            None => Err(e.into()),
        };
    }
    tracing::info!(share = %row.id, project = %row.project_id, "share link made");
    Ok(view(state, row, project.name, now))
}

/// The link a request with this Idempotency-Key already made.
async fn made_with_key(
    state: &AppState,
    workspace_id: &str,
    key: Option<&str>,
) -> Result<Option<Share>, ShareError> {
    let Some(key) = key else { return Ok(None) };
    let (ws, key) = (workspace_id.to_string(), key.to_string());
    let found = state
        .db
        .read(move |c| store::by_request_key(c, &ws, &key))
        .await?;
    Ok(found.map(|(row, name)| view(state, row, name, state.clock.now())))
}

/// An exported video of the project (a desktop's export, synced): the asset a link may show.
async fn exported_video(
    state: &AppState,
    workspace_id: &str,
    project_id: &str,
    asset_id: &str,
) -> Result<crate::assets::Asset, ShareError> {
    let asset = crate::assets::get(state, workspace_id, asset_id)
        .await
        .map_err(|_| ShareError::NotFound(format!("asset '{asset_id}' not found")))?;
    if asset.project_id.as_deref() != Some(project_id) {
        return Err(invalid(
            "asset_id",
            format!("asset '{asset_id}' belongs to another project"),
        ));
    }
    if asset.kind != crate::assets::AssetType::ExportVideo || asset.trashed_at.is_some() {
        return Err(invalid(
            "asset_id",
            format!("asset '{asset_id}' is not an exported video of the project"),
        ));
    }
    if !state.blobs.exists(&asset.sha256) {
        return Err(invalid(
            "asset_id",
            format!("the video of asset '{asset_id}' has not been uploaded yet (sync the project)"),
        ));
    }
    Ok(asset)
}

/// Makes a link to a summary of the history (docs/SUMMARIZE.md, "History"): its page shows the
/// summary, the beat sheet and the mind map, never the video or the transcript.
#[tracing::instrument(skip(state, input))]
pub async fn create_for_summary(
    state: &AppState,
    workspace_id: &str,
    user_id: &str,
    summary_id: &str,
    input: NewSummaryShare,
) -> Result<Share, ShareError> {
    let now = state.clock.now();
    let expires_at = check_expiry(input.expires_at.as_deref(), now)?;
    let summary = crate::summarize::get(state, workspace_id, summary_id)
        .await
        .map_err(|_| ShareError::NotFound(format!("summary '{summary_id}' not found")))?;
    let password = input.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || check_password(password.as_deref()))
        .await
        .map_err(|e| ShareError::Internal(e.to_string()))??;
    let row = ShareRow {
        id: new_link_id(),
        workspace_id: workspace_id.to_string(),
        // The project the analysis was made for, if any (the table needs a value).
        project_id: summary.project_id.clone().unwrap_or_default(),
        version_id: None,
        export_id: None,
        created_by: user_id.to_string(),
        created_at: rfc3339(now),
        expires_at,
        password_hash,
        include_storyboard: false,
        revoked_at: None,
        view_count: 0,
        last_viewed_at: None,
        summary_id: Some(summary.id.clone()),
        video_asset_id: None,
        request_key: None,
    };
    let stored = row.clone();
    state.db.write(move |c| store::insert(c, &stored)).await?;
    tracing::info!(share = %row.id, summary = %summary.id, "summary share link made");
    Ok(view(state, row, summary.title, now))
}

async fn newest_completed_export(
    state: &AppState,
    workspace_id: &str,
    project_id: &str,
) -> Result<Option<export::Export>, ShareError> {
    let (recent, _) = export::history(state, workspace_id, Some(project_id.to_string()), 0, 50)
        .await
        .map_err(|e| ShareError::Internal(e.to_string()))?;
    Ok(recent
        .into_iter()
        .find(|e| e.status == ExportStatus::Completed && e.asset_id.is_some()))
}

/// The workspace's links, newest first, optionally of one project.
#[tracing::instrument(skip(state))]
pub async fn list(
    state: &AppState,
    workspace_id: &str,
    project_id: Option<String>,
    spec: PageSpec,
) -> Result<(Vec<Share>, u64), ShareError> {
    let now = state.clock.now();
    let ws = workspace_id.to_string();
    let (rows, total) = state
        .db
        .read(move |c| store::list(c, &ws, project_id.as_deref(), spec.limit, spec.offset))
        .await?;
    Ok((
        rows.into_iter()
            .map(|(row, name)| view(state, row, name, now))
            .collect(),
        total,
    ))
}

/// One of the workspace's links.
#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, workspace_id: &str, id: &str) -> Result<Share, ShareError> {
    let (ws, sid) = (workspace_id.to_string(), id.to_string());
    let (row, name) = state
        .db
        .read(move |c| store::get_of_workspace(c, &ws, &sid))
        .await?
        .ok_or_else(|| ShareError::NotFound(format!("share '{id}' not found")))?;
    Ok(view(state, row, name, state.clock.now()))
}

/// Revokes a link for good: its page answers 410 from now on. Revoking a revoked link changes
/// nothing (the first revocation's time stays).
#[tracing::instrument(skip(state))]
pub async fn revoke(state: &AppState, workspace_id: &str, id: &str) -> Result<Share, ShareError> {
    let now = state.clock.now();
    let (ws, sid, at) = (workspace_id.to_string(), id.to_string(), rfc3339(now));
    let found = state
        .db
        .write(move |c| {
            store::revoke(c, &ws, &sid, &at)?;
            store::get_of_workspace(c, &ws, &sid)
        })
        .await?;
    let (row, name) =
        found.ok_or_else(|| ShareError::NotFound(format!("share '{id}' not found")))?;
    tracing::info!(share = %id, "share link revoked");
    Ok(view(state, row, name, now))
}

// ---- The public side ----

/// A link that may be shown: active, and unlocked when it has a password.
#[derive(Debug, Clone)]
pub struct OpenShare {
    pub(crate) row: ShareRow,
}

impl OpenShare {
    pub fn id(&self) -> &str {
        &self.row.id
    }
    pub fn has_password(&self) -> bool {
        self.row.password_hash.is_some()
    }
}

/// What the public page learns of a link id before anything is shown.
#[derive(Debug)]
pub enum Lookup {
    /// No such link (404).
    Unknown,
    /// Revoked or expired (410): the page says which, and nothing else about the link.
    Gone(ShareStatus),
    Active(Box<OpenShare>),
}

/// Finds a link for the public page.
#[tracing::instrument(skip(state))]
pub async fn lookup(state: &AppState, id: &str) -> Result<Lookup, ShareError> {
    if !plausible_link_id(id) {
        return Ok(Lookup::Unknown);
    }
    let sid = id.to_string();
    let row = state.db.read(move |c| store::get(c, &sid)).await?;
    let Some(row) = row else {
        return Ok(Lookup::Unknown);
    };
    Ok(match row.status(state.clock.now()) {
        ShareStatus::Active => Lookup::Active(Box::new(OpenShare { row })),
        gone => Lookup::Gone(gone),
    })
}

/// Checks a visitor's password (slow on purpose: Argon2id, off the async workers).
pub async fn password_matches(share: &OpenShare, password: &str) -> bool {
    let Some(hash) = share.row.password_hash.clone() else {
        return true;
    };
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || crate::accounts::verify_password(&pw, &hash))
        .await
        .unwrap_or(false)
}

type HmacSha256 = Hmac<Sha256>;

fn token_mac(secret: &[u8], share: &OpenShare, expires: i64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    // The password's hash is part of what is signed: a link re-made with another password (a
    // new row) never accepts the old unlocks, and a token for one link opens no other.
    mac.update(b"share-unlock\0");
    mac.update(share.row.id.as_bytes());
    mac.update(b"\0");
    mac.update(share.row.password_hash.as_deref().unwrap_or("").as_bytes());
    mac.update(b"\0");
    mac.update(expires.to_string().as_bytes());
    mac
}

/// The access token a right password earns: `{expiry unix seconds}.{hex HMAC}`, carried in the
/// page's media URLs, so the page needs no cookie.
pub fn unlock_token(state: &AppState, share: &OpenShare) -> String {
    let expires = (state.clock.now() + Duration::hours(UNLOCK_HOURS)).timestamp();
    let mac = token_mac(&state.token_secret, share, expires);
    format!("{expires}.{}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether a visitor may see the link's content: always without a password; with one, when
/// `token` is an unexpired unlock of this link.
pub fn unlocked(state: &AppState, share: &OpenShare, token: Option<&str>) -> bool {
    if share.row.password_hash.is_none() {
        return true;
    }
    let Some((expires, sig)) = token.and_then(|t| t.split_once('.')) else {
        return false;
    };
    let (Ok(expires), Ok(sig)) = (expires.parse::<i64>(), hex::decode(sig)) else {
        return false;
    };
    if expires <= state.clock.now().timestamp() {
        return false;
    }
    token_mac(&state.token_secret, share, expires)
        .verify_slice(&sig)
        .is_ok()
}

/// One shot of the storyboard as the public page shows it (no ids).
#[derive(Debug, Clone)]
pub struct WatchShot {
    /// Position in the page's storyboard, from 0 (the picture's address).
    pub index: usize,
    pub number: u32,
    pub scene_number: u32,
    pub heading: String,
    pub description: String,
    pub duration_secs: f64,
    /// (character, line).
    pub dialogue: Vec<(String, String)>,
    pub has_frame: bool,
}

/// The video of a link.
#[derive(Debug, Clone)]
pub struct WatchVideo {
    pub width: u32,
    pub height: u32,
    pub duration_secs: Option<f64>,
    pub format: String,
    pub file_size: Option<u64>,
}

/// Everything the public page shows of an open link.
#[derive(Debug, Clone)]
pub struct WatchPage {
    pub title: String,
    pub description: String,
    pub video: Option<WatchVideo>,
    /// Whether there is a poster picture (the first shot's keyframe).
    pub poster: bool,
    /// Empty unless the storyboard is included.
    pub shots: Vec<WatchShot>,
    pub created_at: String,
    /// A summary's link: what it shows instead of a video.
    pub summary: Option<crate::summarize::HistoryEntry>,
}

/// The storyboard of the version the link pinned.
async fn pinned_board(
    state: &AppState,
    share: &OpenShare,
) -> Result<storyboard::StoryboardView, ShareError> {
    let r = &share.row;
    match storyboard::storyboard(
        state,
        &r.workspace_id,
        &r.project_id,
        r.version_id.as_deref(),
    )
    .await
    {
        Ok(b) => Ok(b),
        // The project or its version was deleted after the link was made.
        Err(crate::versions::EditError::NotFound { .. }) => Err(ShareError::Gone),
        Err(e) => Err(ShareError::Internal(e.to_string())),
    }
}

/// Each shot of the pinned version's storyboard with its frame's file, in order.
async fn board_of(
    state: &AppState,
    share: &OpenShare,
) -> Result<Vec<(WatchShot, Option<std::path::PathBuf>)>, ShareError> {
    let r = &share.row;
    let board = pinned_board(state, share).await?;
    let mut shots = Vec::new();
    for scene in &board.scenes {
        let heading = export::frames::scene_heading(scene);
        for s in &scene.shots {
            shots.push(WatchShot {
                index: shots.len(),
                number: s.number,
                scene_number: s.scene_number,
                heading: heading.clone(),
                description: s.description.clone(),
                duration_secs: s.duration,
                dialogue: s
                    .dialogue
                    .iter()
                    .map(|l| (l.character.clone(), l.text.clone()))
                    .collect(),
                has_frame: false,
            });
        }
    }
    let paths = export::frames::board_frame_paths(state, &r.workspace_id, &board)
        .await
        .map_err(|e| ShareError::Internal(e.to_string()))?;
    Ok(shots
        .into_iter()
        .zip(paths)
        .map(|(mut s, p)| {
            s.has_frame = p.is_some();
            (s, p)
        })
        .collect())
}

/// The page's content, and one more view counted.
#[tracing::instrument(skip(state, share), fields(share = %share.row.id))]
pub async fn watch(state: &AppState, share: &OpenShare) -> Result<WatchPage, ShareError> {
    let r = &share.row;
    let (sid, at) = (r.id.clone(), rfc3339(state.clock.now()));
    if let Some(summary_id) = &r.summary_id {
        // A trashed summary's link shows nothing until it is restored.
        let summary = crate::summarize::get(state, &r.workspace_id, summary_id)
            .await
            .map_err(|_| ShareError::Gone)?;
        state
            .db
            .write_short(move |c| store::count_view(c, &sid, &at))
            .await?;
        return Ok(WatchPage {
            title: summary.title.clone(),
            description: String::new(),
            video: None,
            poster: false,
            shots: Vec::new(),
            created_at: r.created_at.clone(),
            summary: Some(summary),
        });
    }
    let project = projects::get(state, &r.workspace_id, &r.project_id)
        .await
        .map_err(|_| ShareError::Gone)?;
    let video = match (&r.export_id, &r.video_asset_id) {
        (Some(id), _) => {
            let e = export::get(state, &r.workspace_id, id)
                .await
                .map_err(|_| ShareError::Gone)?;
            Some(WatchVideo {
                width: e.width,
                height: e.height,
                duration_secs: e.duration,
                format: e.format,
                file_size: e.file_size,
            })
        }
        (None, Some(id)) => {
            let a = crate::assets::get(state, &r.workspace_id, id)
                .await
                .map_err(|_| ShareError::Gone)?;
            Some(WatchVideo {
                width: a.width.unwrap_or(0),
                height: a.height.unwrap_or(0),
                duration_secs: a.metadata["duration_secs"].as_f64(),
                format: a.metadata["format"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| "mp4".into()),
                file_size: Some(a.filesize),
            })
        }
        (None, None) => None,
    };
    // Every shot's picture is looked up only when the storyboard is shown; else just the poster's.
    let (shots, poster) = if r.include_storyboard {
        let board = board_of(state, share).await?;
        let poster = board.first().is_some_and(|(s, _)| s.has_frame);
        (board.into_iter().map(|(s, _)| s).collect(), poster)
    } else {
        (Vec::new(), frame_path(state, share, 0).await?.is_some())
    };
    state
        .db
        .write_short(move |c| store::count_view(c, &sid, &at))
        .await?;
    Ok(WatchPage {
        title: project.name,
        description: project.description,
        video,
        poster,
        shots,
        created_at: r.created_at.clone(),
        summary: None,
    })
}

/// The shared video's file and its type.
#[tracing::instrument(skip(state, share), fields(share = %share.row.id))]
pub async fn video_file(
    state: &AppState,
    share: &OpenShare,
) -> Result<(std::path::PathBuf, String, String), ShareError> {
    let r = &share.row;
    let asset_id = match (&r.export_id, &r.video_asset_id) {
        (Some(id), _) => export::get(state, &r.workspace_id, id)
            .await
            .map_err(|_| ShareError::Gone)?
            .asset_id
            .ok_or(ShareError::Gone)?,
        (None, Some(id)) => id.clone(),
        (None, None) => return Err(ShareError::Gone),
    };
    let (asset, path) = crate::assets::file_of(state, &r.workspace_id, &asset_id)
        .await
        .map_err(|_| ShareError::Gone)?;
    Ok((path, asset.mime_type, asset.sha256))
}

/// The file of shot `index`'s picture in the pinned storyboard; only that shot's is looked up (a
/// page asks for each of its pictures, and for the poster on every view).
async fn frame_path(
    state: &AppState,
    share: &OpenShare,
    index: usize,
) -> Result<Option<std::path::PathBuf>, ShareError> {
    let board = pinned_board(state, share).await?;
    let Some(shot) = board
        .scenes
        .iter()
        .flat_map(|scene| &scene.shots)
        .nth(index)
    else {
        return Ok(None);
    };
    let (owner, blobs) = (share.row.workspace_id.clone(), state.blobs.clone());
    let (shot_id, key) = (shot.id.clone(), shot.keyframe_asset_id.clone());
    state
        .db
        .read(move |c| {
            export::frames::shot_frame(c, &blobs, &owner, &shot_id, key.as_deref())
                .map(|f| f.map(|f| f.path))
        })
        .await
        .map_err(|e| ShareError::Internal(e.to_string()))
}

/// Picture `index` of the storyboard (the poster is picture 0 whether or not the storyboard is
/// included), as a JPEG at most [`FRAME_MAX_SIDE`] on its longest side.
#[tracing::instrument(skip(state, share), fields(share = %share.row.id))]
pub async fn frame_jpeg(
    state: &AppState,
    share: &OpenShare,
    index: usize,
) -> Result<Vec<u8>, ShareError> {
    if index > 0 && !share.row.include_storyboard {
        return Err(ShareError::NotFound("no such picture".into()));
    }
    let path = frame_path(state, share, index)
        .await?
        .ok_or_else(|| ShareError::NotFound("no such picture".into()))?;
    tokio::task::spawn_blocking(move || crate::media::jpeg_preview(&path, FRAME_MAX_SIDE))
        .await
        .map_err(|e| ShareError::Internal(e.to_string()))?
        .map_err(|e| ShareError::Internal(format!("a keyframe cannot be shown: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_ids_are_22_url_safe_characters_and_differ() {
        let a = new_link_id();
        let b = new_link_id();
        assert!(plausible_link_id(&a), "{a}");
        assert_ne!(a, b);
        assert!(!plausible_link_id("short"));
        assert!(!plausible_link_id("../../../../etc/passwd.."));
        assert!(!plausible_link_id("aaaaaaaaaaaaaaaaaaaaa%"));
    }

    #[test]
    fn expiry_must_be_a_future_rfc3339_time_within_a_year() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(check_expiry(None, now).unwrap(), None);
        assert_eq!(
            check_expiry(Some("2026-12-08T10:00:00+02:00"), now).unwrap(),
            Some("2026-12-08T08:00:00.000Z".into())
        );
        for bad in ["tomorrow", "2026-12-07T09:59:59Z", "2028-01-01T00:00:00Z"] {
            let e = check_expiry(Some(bad), now).unwrap_err();
            assert_eq!(e.field(), Some("expires_at"), "{bad}");
        }
    }

    #[test]
    fn passwords_are_hashed_and_bounded() {
        assert_eq!(check_password(None).unwrap(), None);
        let hash = check_password(Some("opensesame")).unwrap().unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(crate::accounts::verify_password("opensesame", &hash));
        for bad in ["abc", &"x".repeat(129)] {
            assert_eq!(
                check_password(Some(bad)).unwrap_err().field(),
                Some("password")
            );
        }
    }

    #[test]
    fn status_comes_from_revocation_then_expiry() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut row = ShareRow {
            id: new_link_id(),
            workspace_id: "w".into(),
            project_id: "p".into(),
            version_id: None,
            export_id: None,
            created_by: "u".into(),
            created_at: "2026-12-01T00:00:00.000Z".into(),
            expires_at: Some("2026-12-07T10:00:01.000Z".into()),
            password_hash: None,
            include_storyboard: false,
            revoked_at: None,
            view_count: 0,
            last_viewed_at: None,
            summary_id: None,
            video_asset_id: None,
            request_key: None,
        };
        assert_eq!(row.status(now), ShareStatus::Active);
        assert_eq!(row.status(now + Duration::seconds(1)), ShareStatus::Expired);
        row.revoked_at = Some("2026-12-02T00:00:00.000Z".into());
        assert_eq!(row.status(now), ShareStatus::Revoked);
    }
}
