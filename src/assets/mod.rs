//! Assets (seed 004): every file a project holds (scripts, character images, keyframes, clips, audio,
//! subtitles, exports), each a row pointing at a blob, with provenance metadata and a trash.
use rusqlite::{params, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::blobs::BlobRef;

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

pub const COLUMNS: &str = "id, project_id, version_id, type, filename, mime_type, size_bytes, sha256, \
     width, height, thumbnail_sha256, metadata, status, trashed_at, created_at, updated_at";

pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Asset> {
    let id: String = r.get(0)?;
    let kind: String = r.get(3)?;
    let thumb: Option<String> = r.get(10)?;
    let metadata: String = r.get(11)?;
    let status: String = r.get(12)?;
    Ok(Asset {
        url: format!("/api/v1/assets/{id}/download"),
        thumbnail_url: thumb.map(|_| format!("/api/v1/assets/{id}/thumbnail")),
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
        metadata: serde_json::from_str(&metadata).unwrap_or(serde_json::Value::Null),
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
    tx: &rusqlite::Connection,
    id: &str,
    now: &str,
    a: &NewAsset,
) -> rusqlite::Result<Asset> {
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
