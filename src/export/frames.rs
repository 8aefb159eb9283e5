//! Which picture stands for a shot, and the clean frame a finished video shows (issue 14).
//!
//! A shot's picture is its keyframe (approved, chosen, or the latest render), else the newest
//! candidate drawn for it. Frames from the built-in animatic renderer carry the review's overlays
//! (shot number, scene slug, shot size, name labels, corner marks, the caption bar); the renderer
//! records the spec it drew from, so an export redraws the frame without them, at the video's size.
//! Frames from an image model, or uploaded by a reviewer, have no overlays and are used as they are.
use std::path::{Path, PathBuf};

use crate::db::sql::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::ExportError;
use crate::{
    blobs::BlobStore,
    render::{self, Fonts, FrameSpec},
};

/// A shot's picture: its asset, file and provenance.
#[derive(Debug, Clone)]
pub struct ShotFrame {
    pub asset_id: String,
    pub path: PathBuf,
    pub metadata: Value,
}

fn frame_row(
    c: &Connection,
    blobs: &BlobStore,
    sql: &str,
    args: impl crate::db::sql::Params,
) -> Result<Option<ShotFrame>, ExportError> {
    let row: Option<(String, String, String)> = c
        .query_row(sql, args, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((asset_id, sha, meta)) = row else {
        return Ok(None);
    };
    let path = blobs
        .path_of(&sha)
        .map_err(|e| ExportError::Io(e.to_string()))?;
    if !path.is_file() {
        return Ok(None);
    }
    Ok(Some(ShotFrame {
        asset_id,
        path,
        metadata: crate::db::json_column("assets.metadata", &meta, Value::Null),
    }))
}

/// The picture for a shot: its keyframe when that is an active image of this owner, else the newest
/// active keyframe candidate drawn for the shot, else None.
pub fn shot_frame(
    c: &Connection,
    blobs: &BlobStore,
    owner_id: &str,
    shot_id: &str,
    keyframe_asset_id: Option<&str>,
) -> Result<Option<ShotFrame>, ExportError> {
    if let Some(id) = keyframe_asset_id {
        let found = frame_row(
            c,
            blobs,
            "SELECT id, sha256, metadata FROM assets
             WHERE id = ?1 AND owner_id = ?2 AND status = 'active'",
            params![id, owner_id],
        )?;
        if found.is_some() {
            return Ok(found);
        }
    }
    frame_row(
        c,
        blobs,
        "SELECT id, sha256, metadata FROM assets
         WHERE owner_id = ?1 AND type = 'keyframe_image' AND status = 'active'
           AND json_extract(metadata, '$.shot_id') = ?2
         ORDER BY created_at DESC, id DESC LIMIT 1",
        params![owner_id, shot_id],
    )
}

/// A scene's heading as a storyboard shows it: its slug line, else its location.
pub fn scene_heading(scene: &crate::storyboard::SceneWithShots) -> String {
    scene
        .scene
        .heading
        .clone()
        .or(scene.scene.location.clone())
        .unwrap_or_default()
}

/// The file of each shot's picture ([`shot_frame`]), in the storyboard's order: what the
/// storyboard sheet and a share page draw.
pub async fn board_frame_paths(
    state: &crate::AppState,
    owner_id: &str,
    board: &crate::storyboard::StoryboardView,
) -> Result<Vec<Option<PathBuf>>, ExportError> {
    let wanted: Vec<(String, Option<String>)> = board
        .scenes
        .iter()
        .flat_map(|scene| &scene.shots)
        .map(|s| (s.id.clone(), s.keyframe_asset_id.clone()))
        .collect();
    let (owner, blobs) = (owner_id.to_string(), state.blobs.clone());
    state
        .db
        .read(move |c| {
            wanted
                .iter()
                .map(|(shot, key)| {
                    Ok(shot_frame(c, &blobs, &owner, shot, key.as_deref())?.map(|f| f.path))
                })
                .collect::<Result<Vec<_>, ExportError>>()
        })
        .await
}

/// The spec a built-in animatic frame was drawn from, if it recorded one.
pub fn animatic_spec(metadata: &Value) -> Option<FrameSpec> {
    if metadata["provider"] != "builtin.animatic" {
        return None;
    }
    serde_json::from_value(metadata.get("spec")?.clone()).ok()
}

/// How a video frame is drawn from an animatic spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLook {
    /// Keep the review's working marks (an export option, off by default).
    pub overlays: bool,
    /// Keep the caption bar: only when nothing else shows the dialogue (no subtitles).
    pub caption: bool,
}

/// Redraws an animatic frame at `width`×`height` (when the aspect ratios agree; else at its own
/// size, which the encoder crops as it would the stored frame) with the given look.
pub fn redraw(
    spec: &FrameSpec,
    look: FrameLook,
    width: u32,
    height: u32,
    fonts: &Fonts,
) -> Result<image::RgbImage, ExportError> {
    let same_shape = (spec.width as u64 * height as u64)
        .abs_diff(spec.height as u64 * width as u64)
        <= (spec.width.max(spec.height) as u64) * 2;
    let (w, h) = if same_shape {
        (width, height)
    } else {
        (spec.width, spec.height)
    };
    let spec = FrameSpec {
        width: w.clamp(render::MIN_SIDE, render::MAX_SIDE),
        height: h.clamp(render::MIN_SIDE, render::MAX_SIDE),
        overlays: look.overlays,
        caption: if look.caption {
            spec.caption.clone()
        } else {
            None
        },
        ..spec.clone()
    };
    render::render_frame(&spec, fonts).map_err(|e| ExportError::Io(e.to_string()))
}

/// The still a video shows for a shot: a clean redraw written into `dir` for animatic frames that
/// recorded their spec, else the stored file itself.
pub fn video_still(
    frame_path: &Path,
    spec: Option<&FrameSpec>,
    look: FrameLook,
    size: (u32, u32),
    dir: &Path,
    name: &str,
    fonts: &Fonts,
) -> Result<PathBuf, ExportError> {
    let Some(spec) = spec else {
        return Ok(frame_path.to_path_buf());
    };
    let img = redraw(spec, look, size.0, size.1, fonts)?;
    let out = dir.join(name);
    let png = render::try_encode_png(&img).map_err(|e| ExportError::Io(e.to_string()))?;
    std::fs::write(&out, png).map_err(|e| ExportError::Io(e.to_string()))?;
    Ok(out)
}

/// Decodes a stored frame (blob files have no extension: the format is sniffed, with limits).
pub fn decode_frame(path: &Path) -> Option<image::RgbImage> {
    crate::media::decode_limited(path)
        .ok()
        .map(|(img, _)| img.to_rgb8())
}
