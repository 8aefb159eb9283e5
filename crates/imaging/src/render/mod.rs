//! The offline animatic frame renderer (issue 4; README, "AI providers and models"): the default,
//! free keyframe provider.
//!
//! [`render_frame`] draws a storyboard frame from a [`FrameSpec`]: a background from the location and
//! time of day, each character as a simple figure whose colours and proportions come from a hash of
//! its id (the same in every shot), framing by shot type, the dialogue in a caption bar in a CJK font,
//! and the shot and scene numbers. It is a pure function: the same spec and font give the same
//! pixels, and [`encode_png`] turns them into the same bytes. All variation comes from SHA-256 of the
//! spec's fields and its `seed`, through a splitmix64 stream.
mod canvas;
mod fonts;
mod rng;
mod scene;
pub mod sheet;
#[cfg(test)]
mod tests;
mod text;
mod vocabulary;

pub use vocabulary::{CAMERA_MOVES, SHOT_TYPES};

use std::path::PathBuf;

use image::{
    codecs::png::{CompressionType, FilterType, PngEncoder},
    ImageEncoder, RgbImage,
};
use serde::{Deserialize, Serialize};

pub use fonts::{Fonts, FONT_ENV, INSTALL_HINT};

/// Names the look: part of a keyframe's provenance and of the workflow's cache key, so changing the
/// drawing code (and bumping this) invalidates cached frames.
pub const RENDERER_VERSION: &str = "animatic-2";
/// Accepted frame sides, in pixels.
pub const MIN_SIDE: u32 = 64;
pub const MAX_SIDE: u32 = 4096;

/// A character in the shot: `slot` (else `id`) decides the figure's look, `name` is its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameCharacter {
    pub id: String,
    pub name: String,
    /// The character's place in its project's cast (`Character::look_slot`): characters with
    /// different slots never share a clothes colour (up to [`DISTINCT_LOOKS`] of them). Absent: the
    /// look comes from a hash of `id` alone, and two characters may look alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u32>,
}

impl FrameCharacter {
    pub fn new(id: impl Into<String>, name: impl Into<String>, slot: Option<u32>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            slot,
        }
    }
}

/// How many characters of one project are guaranteed distinct looks (see [`FrameCharacter::slot`]).
pub const DISTINCT_LOOKS: u32 = scene::DISTINCT_LOOKS;

/// Where a drawn character is in a frame, from the renderer's own layout (for tools and tests that
/// check frames).
#[derive(Debug, Clone, PartialEq)]
pub struct FigureInfo {
    /// Index into `FrameSpec::characters`.
    pub index: usize,
    /// The middle of the torso, in pixels: always clothes-coloured when in view.
    pub torso_center: (f32, f32),
    /// The middle of the face, in pixels (skin).
    pub face_center: (f32, f32),
    /// The middle of the right-hand sleeve, in pixels.
    pub sleeve_center: (f32, f32),
    /// The clothes colour (RGB).
    pub clothes: [u8; 3],
    pub sleeves: [u8; 3],
    pub skin: [u8; 3],
    pub hair: [u8; 3],
}

/// The figures [`render_frame`] draws for `spec`, left to right.
pub fn figures(spec: &FrameSpec) -> Vec<FigureInfo> {
    scene::layout(spec)
        .figures
        .iter()
        .map(|f| FigureInfo {
            index: f.index,
            torso_center: f.torso_center(),
            face_center: f.face_center(),
            sleeve_center: f.sleeve_center(),
            clothes: [f.look.clothes.0, f.look.clothes.1, f.look.clothes.2],
            sleeves: [f.look.sleeves.0, f.look.sleeves.1, f.look.sleeves.2],
            skin: [f.look.skin.0, f.look.skin.1, f.look.skin.2],
            hair: [f.look.hair.0, f.look.hair.1, f.look.hair.2],
        })
        .collect()
}

/// Everything a frame depends on. Strings are taken as the storyboard has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrameSpec {
    pub width: u32,
    pub height: u32,
    pub shot_number: u32,
    pub scene_number: u32,
    pub location: Option<String>,
    /// 日/夜/晨/黄昏…, DAY/NIGHT/MORNING/EVENING/DUSK/DAWN…; anything else is day.
    pub time_of_day: Option<String>,
    /// `interior`, `exterior` or `interior_exterior`; guessed from the location when absent.
    pub int_ext: Option<String>,
    /// One of the storyboard's shot types (`extreme_wide` … `insert`); absent picks by cast size.
    pub shot_type: Option<String>,
    /// Drawn left to right in this order.
    pub characters: Vec<FrameCharacter>,
    /// The dialogue line shown in the caption bar.
    pub caption: Option<String>,
    pub description: String,
    /// Framing variation: 0 (with no feedback) is the canonical frame.
    pub seed: u64,
    /// A reviewer's comment: a regenerated frame takes a different, deterministic camera.
    pub feedback: Option<String>,
    /// The review's working marks (shot and scene numbers, slug, shot size, name labels, title-safe
    /// corners). A finished video's frames leave them out (issue 14). Not written when on, so the
    /// cache keys of frames drawn before the flag existed stay the same.
    #[serde(skip_serializing_if = "is_true")]
    pub overlays: bool,
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Default for FrameSpec {
    fn default() -> Self {
        let (width, height) = frame_size("9:16");
        Self {
            width,
            height,
            shot_number: 1,
            scene_number: 1,
            location: None,
            time_of_day: None,
            int_ext: None,
            shot_type: None,
            characters: Vec::new(),
            caption: None,
            description: String::new(),
            seed: 0,
            feedback: None,
            overlays: true,
        }
    }
}

/// The 1080p frame size for a project aspect ratio (`9:16`, `16:9`, `1:1`; anything else is 9:16).
pub fn frame_size(aspect_ratio: &str) -> (u32, u32) {
    match aspect_ratio.trim() {
        "16:9" => (1920, 1080),
        "1:1" => (1080, 1080),
        _ => (1080, 1920),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "frame size {width}x{height} is out of range: each side must be {MIN_SIDE} to {MAX_SIDE} pixels"
    )]
    InvalidSize { width: u32, height: u32 },
    #[error("{0}")]
    FontNotFound(String),
    #[error("cannot use the font {}: {reason}", path.display())]
    FontInvalid { path: PathBuf, reason: String },
    #[error("cannot encode the frame as PNG: {0}")]
    Encode(String),
}

/// Draws one animatic frame. Never panics: a bad size is an error, any text is drawn or cut to fit.
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(width = spec.width, height = spec.height, scene = spec.scene_number, shot = spec.shot_number)
)]
pub fn render_frame(spec: &FrameSpec, fonts: &Fonts) -> Result<RgbImage, RenderError> {
    let ok = |v: u32| (MIN_SIDE..=MAX_SIDE).contains(&v);
    if !ok(spec.width) || !ok(spec.height) {
        return Err(RenderError::InvalidSize {
            width: spec.width,
            height: spec.height,
        });
    }
    let canvas = scene::paint(spec, fonts.font());
    canvas
        .into_image()
        .ok_or_else(|| RenderError::Encode("the pixel buffer does not match the frame size".into()))
}

/// PNG bytes with fixed settings and no metadata chunks (no time, no text): same pixels, same bytes.
pub fn try_encode_png(img: &RgbImage) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity((img.width() * img.height()) as usize / 4);
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}

/// [`try_encode_png`] for frames from [`render_frame`], which always encode; an image that cannot
/// (a zero-sized one) gives empty bytes rather than a panic.
pub fn encode_png(img: &RgbImage) -> Vec<u8> {
    try_encode_png(img).unwrap_or_else(|e| {
        tracing::error!(error = %e, "PNG encoding failed");
        Vec::new()
    })
}

/// [`render_frame`] then [`encode_png`].
pub fn render_png(spec: &FrameSpec, fonts: &Fonts) -> Result<Vec<u8>, RenderError> {
    try_encode_png(&render_frame(spec, fonts)?)
}
