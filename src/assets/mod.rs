//! Assets (docs/API-EDITOR.md): every file a project holds (scripts, character images, keyframes,
//! clips, audio, subtitles, exports), each a row pointing at a blob, with provenance metadata and a
//! trash.
use crate::error::{CodedError, ErrorCode};
use std::path::PathBuf;

use crate::db::sql::{params, OptionalExtension, Row};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{
    blobs::{BlobError, BlobRef},
    clock::rfc3339,
    db::DbError,
    media::{self, MediaError},
    paging::PageSpec,
    AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetType {
    OriginalScript,
    StoryboardScript,
    CharacterImage,
    KeyframeImage,
    VideoClip,
    Audio,
    Subtitle,
    ExportVideo,
    Other,
}

impl AssetType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OriginalScript => "original_script",
            Self::StoryboardScript => "storyboard_script",
            Self::CharacterImage => "character_image",
            Self::KeyframeImage => "keyframe_image",
            Self::VideoClip => "video_clip",
            Self::Audio => "audio",
            Self::Subtitle => "subtitle",
            Self::ExportVideo => "export_video",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "original_script" => Self::OriginalScript,
            "storyboard_script" => Self::StoryboardScript,
            "character_image" => Self::CharacterImage,
            "keyframe_image" => Self::KeyframeImage,
            "video_clip" => Self::VideoClip,
            "audio" => Self::Audio,
            "subtitle" => Self::Subtitle,
            "export_video" => Self::ExportVideo,
            "other" => Self::Other,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    Active,
    Trashed,
}

/// An asset as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Asset {
    pub id: String,
    pub project_id: Option<String>,
    pub version_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: AssetType,
    /// Where to download the file (relative to the API origin).
    pub url: String,
    /// A small preview for images, when there is one.
    pub thumbnail_url: Option<String>,
    pub filename: String,
    /// Bytes.
    pub filesize: u64,
    pub mime_type: String,
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Provenance: prompt, model, seed, cost, approved_by, source…
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub status: AssetStatus,
    pub trashed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a service needs to record a new asset (the blob is already stored).
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub owner_id: String,
    pub project_id: Option<String>,
    pub version_id: Option<String>,
    pub kind: AssetType,
    pub filename: String,
    pub mime_type: String,
    pub blob: BlobRef,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumbnail_sha256: Option<String>,
    pub metadata: serde_json::Value,
}

pub const COLUMNS: &str =
    "id, project_id, version_id, type, filename, mime_type, size_bytes, sha256, \
     width, height, thumbnail_sha256, metadata, status, trashed_at, created_at, updated_at";

pub fn from_row(r: &Row<'_>) -> crate::db::sql::Result<Asset> {
    let id: String = r.get(0)?;
    let kind: String = r.get(3)?;
    let thumb: Option<String> = r.get(10)?;
    let metadata: String = r.get(11)?;
    let status: String = r.get(12)?;
    Ok(Asset {
        url: format!("/api/v1/assets/{id}/download"),
        // Images without a stored thumbnail (e.g. rendered keyframes) get one on first request.
        thumbnail_url: (thumb.is_some()
            || r.get_ref(5)?
                .as_str()
                .is_ok_and(|m| m.starts_with("image/")))
        .then(|| format!("/api/v1/assets/{id}/thumbnail")),
        id,
        project_id: r.get(1)?,
        version_id: r.get(2)?,
        kind: AssetType::parse(&kind).unwrap_or(AssetType::Other),
        filename: r.get(4)?,
        mime_type: r.get(5)?,
        filesize: r.get::<_, i64>(6)? as u64,
        sha256: r.get(7)?,
        width: r.get(8)?,
        height: r.get(9)?,
        metadata: crate::db::json_column("assets.metadata", &metadata, serde_json::Value::Null),
        status: if status == "trashed" {
            AssetStatus::Trashed
        } else {
            AssetStatus::Active
        },
        trashed_at: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

/// Records an asset inside the caller's transaction and returns it as the API shows it.
pub fn insert_in_tx(
    tx: &crate::db::sql::Connection,
    id: &str,
    now: &str,
    a: &NewAsset,
) -> crate::db::sql::Result<Asset> {
    tx.execute(
        "INSERT INTO assets (id, owner_id, project_id, version_id, type, filename, mime_type, size_bytes,
                             sha256, width, height, thumbnail_sha256, metadata, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'active', ?14, ?14)",
        params![
            id,
            a.owner_id,
            a.project_id,
            a.version_id,
            a.kind.as_str(),
            a.filename,
            a.mime_type,
            a.blob.size as i64,
            a.blob.sha256,
            a.width,
            a.height,
            a.thumbnail_sha256,
            a.metadata.to_string(),
            now
        ],
    )?;
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM assets WHERE id = ?1"),
        [id],
        from_row,
    )
}

// ---------------------------------------------------------------------------------------------
// The assets service: upload, list, detail, download, trash/restore, permanent delete.

/// How long a permanent-delete confirmation token stays valid.
pub const DELETE_TOKEN_TTL_SECS: i64 = 5 * 60;
/// Largest `metadata` form field accepted on upload, as JSON text.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("{message}")]
    NotFound {
        field: Option<&'static str>,
        message: String,
    },
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("media I/O failed: {0}")]
    MediaIo(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for AssetError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::Blob(_) | Self::MediaIo(_) | Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::NotFound { field, .. } | Self::Conflict { field, .. } => *field,
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            _ => self.to_string(),
        }
    }
}

impl From<crate::db::sql::Error> for AssetError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

fn not_found(id: &str) -> AssetError {
    AssetError::NotFound {
        field: None,
        message: format!("asset '{id}' not found"),
    }
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> AssetError {
    AssetError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

impl AssetType {
    /// Types whose file must be an image (decoded, measured, thumbnailed).
    pub fn is_image(self) -> bool {
        matches!(self, Self::CharacterImage | Self::KeyframeImage)
    }

    pub const ALL: [AssetType; 9] = [
        Self::OriginalScript,
        Self::StoryboardScript,
        Self::CharacterImage,
        Self::KeyframeImage,
        Self::VideoClip,
        Self::Audio,
        Self::Subtitle,
        Self::ExportVideo,
        Self::Other,
    ];
}

/// What sniffing an uploaded blob found: the real type and, for images, size and thumbnail.
#[derive(Debug, Clone)]
pub struct Probed {
    pub mime_type: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumbnail_sha256: Option<String>,
}

/// Sniffs a stored blob. Images (always for image types, and for any file whose bytes are an
/// image) are decoded with limits and get a thumbnail blob; a bomb or a non-image sent as an
/// image is a 422 naming `field`. Runs the decode on a blocking thread.
#[tracing::instrument(skip(state, blob), fields(sha256 = %blob.sha256, size = blob.size))]
pub async fn probe_blob(
    state: &AppState,
    blob: &BlobRef,
    filename: &str,
    require_image: bool,
    field: &str,
) -> Result<Probed, AssetError> {
    let path = state.blobs.path_of(&blob.sha256)?;
    let (blobs, filename, field) = (state.blobs.clone(), filename.to_string(), field.to_string());
    tokio::task::spawn_blocking(move || {
        let media_err = |e: MediaError| {
            if e.is_client_error() {
                invalid(field.clone(), e.to_string())
            } else {
                AssetError::MediaIo(e.to_string())
            }
        };
        let head = media::read_head(&path).map_err(media_err)?;
        if media::sniff_image(&head).is_none() {
            if require_image {
                return Err(media_err(MediaError::NotAnImage));
            }
            return Ok(Probed {
                mime_type: media::sniff_mime(&head, &filename).to_string(),
                width: None,
                height: None,
                thumbnail_sha256: None,
            });
        }
        let info = media::probe_and_thumbnail(&path).map_err(media_err)?;
        let thumb = blobs.put_bytes(&info.thumbnail_png)?;
        Ok(Probed {
            mime_type: info.mime.to_string(),
            width: Some(info.width),
            height: Some(info.height),
            thumbnail_sha256: Some(thumb.sha256),
        })
    })
    .await
    .map_err(|e| AssetError::Db(DbError::Task(e.to_string())))?
}

/// Removes blob files no asset row (as file or thumbnail) points at any more. Used after a failed
/// upload and after a permanent delete; a failure only leaves an orphan file, so it is logged.
pub async fn discard_unreferenced(state: &AppState, shas: Vec<String>) {
    let shas: Vec<String> = shas.into_iter().filter(|s| !s.is_empty()).collect();
    if shas.is_empty() {
        return;
    }
    let blobs = state.blobs.clone();
    let result = state
        .db
        .write(move |tx| {
            for sha in &shas {
                if !blob_referenced(tx, sha)? {
                    blobs.remove(sha)?;
                }
            }
            Ok::<_, AssetError>(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not remove unreferenced blobs");
    }
}

fn blob_referenced(c: &crate::db::sql::Connection, sha: &str) -> crate::db::sql::Result<bool> {
    let by_asset: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM assets WHERE sha256 = ?1 OR thumbnail_sha256 = ?1)",
        [sha],
        |r| r.get(0),
    )?;
    // The same bytes may also be a desktop build the server hosts.
    Ok(by_asset || crate::updates::references_blob(c, sha)?)
}

/// 404 naming `project_id` unless the project is the owner's and live.
pub fn check_project(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    project_id: &str,
) -> Result<(), AssetError> {
    let found: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL)",
        params![project_id, owner_id],
        |r| r.get(0),
    )?;
    if found {
        Ok(())
    } else {
        Err(AssetError::NotFound {
            field: Some("project_id"),
            message: format!("project '{project_id}' not found"),
        })
    }
}

fn check_version(
    c: &crate::db::sql::Connection,
    project_id: &str,
    version_id: &str,
) -> Result<(), AssetError> {
    let found: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM project_versions WHERE id = ?1 AND project_id = ?2)",
        params![version_id, project_id],
        |r| r.get(0),
    )?;
    if found {
        Ok(())
    } else {
        Err(AssetError::NotFound {
            field: Some("version_id"),
            message: format!("version '{version_id}' not found in project '{project_id}'"),
        })
    }
}

/// An upload whose file is already in the blob store.
#[derive(Debug, Clone)]
pub struct UploadInput {
    pub project_id: String,
    pub version_id: Option<String>,
    pub kind: AssetType,
    /// The form field the file came in, named by errors about it.
    pub field: String,
    pub filename: String,
    pub blob: BlobRef,
    /// Extra provenance from the client (an object); `source: "upload"` is always set.
    pub metadata: Option<serde_json::Value>,
}

/// Parses the optional `metadata` form field: a JSON object of bounded size.
pub fn parse_metadata(text: Option<&str>) -> Result<Option<serde_json::Value>, AssetError> {
    let Some(text) = text else { return Ok(None) };
    if text.len() > MAX_METADATA_BYTES {
        return Err(invalid(
            "metadata",
            format!("metadata must be at most {MAX_METADATA_BYTES} bytes"),
        ));
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(Some(v)),
        _ => Err(invalid("metadata", "metadata must be a JSON object")),
    }
}

/// Records an uploaded file as an asset of one of the owner's projects.
#[tracing::instrument(skip(state, input), fields(kind = input.kind.as_str(), size = input.blob.size))]
pub async fn upload(
    state: &AppState,
    owner_id: &str,
    input: UploadInput,
) -> Result<Asset, AssetError> {
    let uploaded = input.blob.sha256.clone();
    let result = upload_inner(state, owner_id, input).await;
    if result.is_err() {
        // The file was stored while the form streamed in; don't keep it for a refused upload.
        discard_unreferenced(state, vec![uploaded]).await;
    }
    result
}

async fn upload_inner(
    state: &AppState,
    owner_id: &str,
    input: UploadInput,
) -> Result<Asset, AssetError> {
    {
        let (owner, project, version) = (
            owner_id.to_string(),
            input.project_id.clone(),
            input.version_id.clone(),
        );
        state
            .db
            .read(move |c| {
                check_project(c, &owner, &project)?;
                if let Some(v) = &version {
                    check_version(c, &project, v)?;
                }
                Ok::<_, AssetError>(())
            })
            .await?;
    }
    let probed = probe_blob(
        state,
        &input.blob,
        &input.filename,
        input.kind.is_image(),
        &input.field,
    )
    .await?;
    let mut metadata = input
        .metadata
        .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
    metadata["source"] = "upload".into();
    let new = NewAsset {
        owner_id: owner_id.to_string(),
        project_id: Some(input.project_id),
        version_id: input.version_id,
        kind: input.kind,
        filename: input.filename,
        mime_type: probed.mime_type,
        blob: input.blob,
        width: probed.width,
        height: probed.height,
        thumbnail_sha256: probed.thumbnail_sha256.clone(),
        metadata,
    };
    let id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let result = state
        .db
        .write(move |tx| {
            // Checked again inside the write: the project may have been deleted meanwhile.
            check_project(tx, &new.owner_id, new.project_id.as_deref().unwrap_or(""))?;
            Ok::<_, AssetError>(insert_in_tx(tx, &id, &now, &new)?)
        })
        .await;
    if result.is_err() {
        if let Some(thumb) = probed.thumbnail_sha256 {
            discard_unreferenced(state, vec![thumb]).await;
        }
    }
    result
}

/// Which assets to list. `status` `None` means every status.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub project_id: Option<String>,
    pub version_id: Option<String>,
    pub kind: Option<AssetType>,
    pub status: Option<AssetStatus>,
}

impl AssetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Trashed => "trashed",
        }
    }
}

/// The owner's assets, newest first.
#[tracing::instrument(skip(state))]
pub async fn list(
    state: &AppState,
    owner_id: &str,
    filter: ListFilter,
    page: PageSpec,
) -> Result<(Vec<Asset>, u64), AssetError> {
    let owner_id = owner_id.to_string();
    state
        .db
        .read(move |c| {
            let kind = filter.kind.map(AssetType::as_str);
            let status = filter.status.map(AssetStatus::as_str);
            let filters = "owner_id = ?1 AND (?2 IS NULL OR project_id = ?2)
                 AND (?3 IS NULL OR version_id = ?3) AND (?4 IS NULL OR type = ?4)
                 AND (?5 IS NULL OR status = ?5)";
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM assets WHERE {filters}"),
                params![owner_id, filter.project_id, filter.version_id, kind, status],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM assets WHERE {filters}
                 ORDER BY created_at DESC, id DESC LIMIT ?6 OFFSET ?7"
            ))?;
            let items = stmt
                .query_map(
                    params![
                        owner_id,
                        filter.project_id,
                        filter.version_id,
                        kind,
                        status,
                        page.limit,
                        page.offset as i64
                    ],
                    from_row,
                )?
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            Ok((items, total as u64))
        })
        .await
}

fn load(c: &crate::db::sql::Connection, owner_id: &str, id: &str) -> Result<Asset, AssetError> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM assets WHERE id = ?1 AND owner_id = ?2"),
        params![id, owner_id],
        from_row,
    )
    .optional()?
    .ok_or_else(|| not_found(id))
}

/// One of the owner's assets (trashed ones too); another user's is a 404.
#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, owner_id: &str, id: &str) -> Result<Asset, AssetError> {
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state.db.read(move |c| load(c, &owner_id, &id)).await
}

/// The asset and the path of its file, for streaming a download.
#[tracing::instrument(skip(state))]
pub async fn file_of(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<(Asset, PathBuf), AssetError> {
    let asset = get(state, owner_id, id).await?;
    // With a bucket, a blob another replica stored is fetched into the cache here: not on an
    // async worker.
    let (blobs, sha) = (state.blobs.clone(), asset.sha256.clone());
    let path = tokio::task::spawn_blocking(move || blobs.path_of(&sha))
        .await
        .map_err(|e| AssetError::Db(DbError::Task(e.to_string())))??;
    Ok((asset, path))
}

/// The PNG thumbnail of an image asset; 404 for assets that have none.
#[tracing::instrument(skip(state))]
pub async fn thumbnail(state: &AppState, owner_id: &str, id: &str) -> Result<Vec<u8>, AssetError> {
    let (owner_id, row_id) = (owner_id.to_string(), id.to_string());
    let asset = state
        .db
        .read(move |c| {
            let asset = load(c, &owner_id, &row_id)?;
            let thumb: Option<String> = c.query_row(
                "SELECT thumbnail_sha256 FROM assets WHERE id = ?1",
                [&row_id],
                |r| r.get(0),
            )?;
            Ok::<_, AssetError>((asset, thumb))
        })
        .await?;
    let blobs = state.blobs.clone();
    let task = |e: tokio::task::JoinError| AssetError::Db(DbError::Task(e.to_string()));
    match asset {
        (_, Some(sha)) => tokio::task::spawn_blocking(move || blobs.read(&sha))
            .await
            .map_err(task)?
            .map_err(AssetError::from),
        (asset, None) if asset.mime_type.starts_with("image/") => {
            // Made once, on first request, and kept: rendered keyframes are stored without one.
            let sha = asset.sha256.clone();
            let made = tokio::task::spawn_blocking(move || {
                let path = blobs.path_of(&sha).map_err(|e| e.to_string())?;
                let info = media::probe_and_thumbnail(&path).map_err(|e| e.to_string())?;
                let stored = blobs
                    .put_bytes(&info.thumbnail_png)
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((info.thumbnail_png, stored.sha256))
            })
            .await
            .map_err(task)?;
            let (png, thumb_sha) = made.map_err(|e| AssetError::Db(DbError::Task(e)))?;
            let id = asset.id.clone();
            state
                .db
                .write(move |tx| {
                    tx.execute(
                        "UPDATE assets SET thumbnail_sha256 = ?1 WHERE id = ?2 AND thumbnail_sha256 IS NULL",
                        params![thumb_sha, id],
                    )
                    .map_err(DbError::from)
                })
                .await?;
            Ok(png)
        }
        _ => Err(AssetError::NotFound {
            field: None,
            message: format!("asset '{id}' has no thumbnail (only images have one)"),
        }),
    }
}

async fn set_status(
    state: &AppState,
    owner_id: &str,
    id: &str,
    status: AssetStatus,
) -> Result<Asset, AssetError> {
    let now = rfc3339(state.clock.now());
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            let asset = load(tx, &owner_id, &id)?;
            if asset.status == status {
                return Ok(asset); // already there: nothing changes, not even updated_at
            }
            let trashed_at = (status == AssetStatus::Trashed).then_some(now.as_str());
            tx.execute(
                "UPDATE assets SET status = ?1, trashed_at = ?2, updated_at = ?3 WHERE id = ?4",
                params![status.as_str(), trashed_at, now, id],
            )?;
            load(tx, &owner_id, &id)
        })
        .await
}

/// Moves an asset to the trash (restorable; required before a permanent delete).
#[tracing::instrument(skip(state))]
pub async fn trash(state: &AppState, owner_id: &str, id: &str) -> Result<Asset, AssetError> {
    set_status(state, owner_id, id, AssetStatus::Trashed).await
}

/// Takes an asset back out of the trash.
#[tracing::instrument(skip(state))]
pub async fn restore(state: &AppState, owner_id: &str, id: &str) -> Result<Asset, AssetError> {
    set_status(state, owner_id, id, AssetStatus::Active).await
}

/// The answer to `DELETE /assets/{id}`: first a token to confirm with, then the deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeleteAssetResponse {
    /// Send the same request again with `?confirmToken=` before `expires_at`.
    ConfirmationRequired {
        confirm_token: String,
        expires_at: String,
    },
    /// The row and (when nothing else uses it) the file are gone.
    Deleted { id: String },
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn trashed_or_conflict(asset: &Asset) -> Result<(), AssetError> {
    if asset.status == AssetStatus::Trashed {
        Ok(())
    } else {
        Err(AssetError::Conflict {
            field: Some("status"),
            message: format!(
                "asset '{}' must be in the trash before it can be deleted permanently \
                 (POST /api/v1/assets/{}/trash)",
                asset.id, asset.id
            ),
        })
    }
}

/// Permanently deletes a trashed asset in two steps. Without a token: issues a single-use token
/// (only its SHA-256 is stored) valid for five minutes, replacing earlier ones of this user for
/// this asset. With a token: checks it, deletes the row, and removes the file when no other asset
/// uses the same bytes. The caller has checked the user is an admin.
#[tracing::instrument(skip(state, confirm_token), fields(with_token = confirm_token.is_some()))]
pub async fn permanent_delete(
    state: &AppState,
    user_id: &str,
    id: &str,
    confirm_token: Option<String>,
) -> Result<DeleteAssetResponse, AssetError> {
    let now = state.clock.now();
    let (user_id, id) = (user_id.to_string(), id.to_string());
    let Some(token) = confirm_token else {
        let token = hex::encode(rand::random::<[u8; 32]>());
        let expires_at = rfc3339(now + Duration::seconds(DELETE_TOKEN_TTL_SECS));
        let (hash, expires) = (token_hash(&token), expires_at.clone());
        state
            .db
            .write(move |tx| {
                trashed_or_conflict(&load(tx, &user_id, &id)?)?;
                tx.execute(
                    "DELETE FROM asset_delete_tokens
                     WHERE expires_at <= ?1 OR (asset_id = ?2 AND user_id = ?3)",
                    params![rfc3339(now), id, user_id],
                )?;
                tx.execute(
                    "INSERT INTO asset_delete_tokens (token_hash, asset_id, user_id, expires_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![hash, id, user_id, expires],
                )?;
                Ok::<_, AssetError>(())
            })
            .await?;
        return Ok(DeleteAssetResponse::ConfirmationRequired {
            confirm_token: token,
            expires_at,
        });
    };
    let hash = token_hash(token.trim());
    let freed = state
        .db
        .write(move |tx| {
            let asset = load(tx, &user_id, &id)?;
            trashed_or_conflict(&asset)?;
            let expires: Option<String> = tx
                .query_row(
                    "SELECT expires_at FROM asset_delete_tokens
                     WHERE token_hash = ?1 AND asset_id = ?2 AND user_id = ?3",
                    params![hash, id, user_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(expires) = expires else {
                return Err(invalid(
                    "confirmToken",
                    "confirmToken is not valid for this asset (unknown, already used, or replaced \
                     by a newer one); send DELETE without confirmToken for a new one",
                ));
            };
            let expired = DateTime::parse_from_rfc3339(&expires)
                .map(|t| t.with_timezone(&Utc) <= now)
                .unwrap_or(true);
            if expired {
                return Err(invalid(
                    "confirmToken",
                    format!(
                        "confirmToken expired at {expires}; send DELETE without confirmToken for a new one"
                    ),
                ));
            }
            let thumb: Option<String> = tx.query_row(
                "SELECT thumbnail_sha256 FROM assets WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            // Tokens go with the row (ON DELETE CASCADE).
            tx.execute("DELETE FROM assets WHERE id = ?1", [&id])?;
            // A character whose main image this was falls back to its next reference image.
            tx.execute(
                "UPDATE characters SET image_asset_id = (
                     SELECT a.id FROM assets a
                     WHERE a.type = 'character_image' AND a.status = 'active'
                       AND json_extract(a.metadata, '$.character_id') = characters.id
                     ORDER BY a.created_at, a.id LIMIT 1)
                 WHERE image_asset_id = ?1",
                [&id],
            )?;
            let mut freed = Vec::new();
            for sha in std::iter::once(asset.sha256.clone()).chain(thumb) {
                if !blob_referenced(tx, &sha)? && !freed.contains(&sha) {
                    freed.push(sha);
                }
            }
            Ok::<_, AssetError>((id, freed))
        })
        .await;
    let (id, freed) = freed?;
    // Re-checked under the writer lock, so bytes re-uploaded meanwhile are kept.
    discard_unreferenced(state, freed).await;
    Ok(DeleteAssetResponse::Deleted { id })
}
