//! Export settings: resolution × aspect ratio × frame rate × container, subtitles, transitions.
//! Parsing is strict: an unknown value is an error naming the field, never a silent default.
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ExportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Resolution {
    #[serde(rename = "480p")]
    P480,
    #[serde(rename = "720p")]
    P720,
    #[serde(rename = "1080p")]
    P1080,
    #[serde(rename = "2160p")]
    P2160,
}

impl Resolution {
    pub const ALL: [&'static str; 4] = ["480p", "720p", "1080p", "2160p"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "480p" | "480" => Self::P480,
            "720p" | "720" => Self::P720,
            "1080p" | "1080" => Self::P1080,
            "2160p" | "2160" | "4k" => Self::P2160,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::P480 => "480p",
            Self::P720 => "720p",
            Self::P1080 => "1080p",
            Self::P2160 => "2160p",
        }
    }

    /// The short side in pixels.
    pub fn short_side(self) -> u32 {
        match self {
            Self::P480 => 480,
            Self::P720 => 720,
            Self::P1080 => 1080,
            Self::P2160 => 2160,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Aspect {
    #[serde(rename = "9:16")]
    Portrait,
    #[serde(rename = "16:9")]
    Landscape,
    #[serde(rename = "1:1")]
    Square,
}

impl Aspect {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "9:16" => Self::Portrait,
            "16:9" => Self::Landscape,
            "1:1" => Self::Square,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portrait => "9:16",
            Self::Landscape => "16:9",
            Self::Square => "1:1",
        }
    }
}

/// Width and height in pixels: the short side is the resolution's number, the long side follows the
/// aspect ratio rounded to an even number (H.264 and VP9 in 4:2:0 need even sizes).
pub fn dimensions(resolution: Resolution, aspect: Aspect) -> (u32, u32) {
    let short = resolution.short_side();
    let long = ((short as f64 * 16.0 / 9.0 / 2.0).round() as u32) * 2;
    match aspect {
        Aspect::Portrait => (short, long),
        Aspect::Landscape => (long, short),
        Aspect::Square => (short, short),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// H.264 + AAC, `faststart`.
    Mp4,
    /// VP9 + Opus.
    Webm,
}

impl Container {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "mp4" => Self::Mp4,
            "webm" => Self::Webm,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::Webm => "webm",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::Webm => "video/webm",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubtitleMode {
    /// A subtitle stream the player can switch (mov_text in MP4, WebVTT in WebM).
    Soft,
    /// Drawn into the picture (ASS through libass, with a CJK font).
    Burn,
    None,
}

impl SubtitleMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Soft => "soft",
            Self::Burn => "burn",
            Self::None => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    Cut,
    Crossfade,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cut => "cut",
            Self::Crossfade => "crossfade",
        }
    }
}

/// The frame rates offered (docs/API-EXPORT.md).
pub const FRAME_RATES: [u32; 3] = [24, 25, 30];

/// The OpenAPI schema of `fps`: one of [`FRAME_RATES`], or null for the default.
fn fps_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .enum_values(Some(
            FRAME_RATES
                .iter()
                .map(|f| Value::from(*f))
                .chain([Value::Null]),
        ))
        .build()
}

/// What the client asked for, before defaults (docs/API-EXPORT.md field names). Values are taken
/// loosely as JSON so a wrong type is reported against its field by [`ExportRequest::settings`].
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ExportRequest {
    pub project_id: Option<String>,
    pub version_id: Option<String>,
    pub run_id: Option<String>,
    /// `480p`, `720p`, `1080p` (default), `2160p`.
    #[schema(value_type = Option<Resolution>)]
    pub resolution: Option<Value>,
    /// `9:16`, `16:9`, `1:1`; default the project's.
    #[schema(value_type = Option<Aspect>)]
    pub aspect_ratio: Option<Value>,
    /// 24, 25 or 30 (default).
    #[schema(schema_with = fps_schema)]
    pub fps: Option<Value>,
    /// `mp4` (default) or `webm`.
    #[schema(value_type = Option<Container>)]
    pub format: Option<Value>,
    /// `true`/`"soft"` (default), `"burn"`, `false`/`"none"`.
    #[schema(value_type = Option<String>)]
    pub include_subtitles: Option<Value>,
    /// `cut` (default) or `crossfade`.
    #[schema(value_type = Option<Transition>)]
    pub transition: Option<Value>,
    /// Seeded pan/zoom on stills (default true).
    #[schema(value_type = Option<bool>)]
    pub motion: Option<Value>,
    /// An `audio` asset of the project, looped and ducked under speech.
    pub music_asset_id: Option<String>,
    /// Keep the review's working marks on the frames (shot number, slug, shot size, corner marks).
    /// Default false: a finished video's frames are clean (issue 14).
    #[schema(value_type = Option<bool>)]
    pub overlays: Option<Value>,
    /// Put the speaker's name before each subtitle ("林晓：…"). Default false.
    #[schema(value_type = Option<bool>)]
    pub speaker_names: Option<Value>,
}

/// Settings with every default applied and every value checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub resolution: Resolution,
    pub aspect: Aspect,
    pub fps: u32,
    pub container: Container,
    pub subtitles: SubtitleMode,
    pub transition: Transition,
    pub motion: bool,
    pub music_asset_id: Option<String>,
    /// Frames keep the review's overlays (off by default; exports stored before the option have it
    /// off too).
    #[serde(default)]
    pub overlays: bool,
    /// Subtitles carry the speaker's name.
    #[serde(default)]
    pub speaker_names: bool,
}

impl Settings {
    pub fn size(&self) -> (u32, u32) {
        dimensions(self.resolution, self.aspect)
    }
}

fn invalid(field: &'static str, message: String) -> ExportError {
    ExportError::Invalid { field, message }
}

fn text<'a>(field: &'static str, v: &'a Value) -> Result<&'a str, ExportError> {
    v.as_str()
        .ok_or_else(|| invalid(field, format!("{field} must be a string")))
}

impl ExportRequest {
    /// Applies defaults (`project_aspect` is the project's ratio) and validates each field.
    pub fn settings(&self, project_aspect: Option<&str>) -> Result<Settings, ExportError> {
        let resolution = match &self.resolution {
            None | Some(Value::Null) => Resolution::P1080,
            Some(v) => {
                let s = match v {
                    Value::Number(n) => n.to_string(),
                    other => text("resolution", other)?.to_string(),
                };
                Resolution::parse(&s).ok_or_else(|| {
                    invalid(
                        "resolution",
                        format!(
                            "unknown resolution '{s}': use one of {}",
                            Resolution::ALL.join(", ")
                        ),
                    )
                })?
            }
        };
        let aspect = match &self.aspect_ratio {
            None | Some(Value::Null) => project_aspect
                .and_then(Aspect::parse)
                .unwrap_or(Aspect::Portrait),
            Some(v) => {
                let s = text("aspect_ratio", v)?;
                Aspect::parse(s).ok_or_else(|| {
                    invalid(
                        "aspect_ratio",
                        format!("unknown aspect ratio '{s}': use 9:16, 16:9 or 1:1"),
                    )
                })?
            }
        };
        let fps = match &self.fps {
            None | Some(Value::Null) => 30,
            Some(v) => {
                let n = v
                    .as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(|| invalid("fps", "fps must be 24, 25 or 30".into()))?;
                if !FRAME_RATES.contains(&(n as u32)) || n > u32::MAX as u64 {
                    return Err(invalid(
                        "fps",
                        format!("fps {n} is not offered: use 24, 25 or 30"),
                    ));
                }
                n as u32
            }
        };
        let container = match &self.format {
            None | Some(Value::Null) => Container::Mp4,
            Some(v) => {
                let s = text("format", v)?;
                Container::parse(s).ok_or_else(|| {
                    invalid("format", format!("unknown format '{s}': use mp4 or webm"))
                })?
            }
        };
        let subtitles = match &self.include_subtitles {
            None | Some(Value::Null) | Some(Value::Bool(true)) => SubtitleMode::Soft,
            Some(Value::Bool(false)) => SubtitleMode::None,
            Some(v) => match text("include_subtitles", v)? {
                "soft" | "true" => SubtitleMode::Soft,
                "burn" | "burned" | "hard" => SubtitleMode::Burn,
                "none" | "false" => SubtitleMode::None,
                s => {
                    return Err(invalid(
                        "include_subtitles",
                        format!("unknown subtitle mode '{s}': use soft, burn or none"),
                    ))
                }
            },
        };
        let transition = match &self.transition {
            None | Some(Value::Null) => Transition::Cut,
            Some(v) => match text("transition", v)? {
                "cut" | "none" => Transition::Cut,
                "crossfade" | "fade" | "dissolve" => Transition::Crossfade,
                s => {
                    return Err(invalid(
                        "transition",
                        format!("unknown transition '{s}': use cut or crossfade"),
                    ))
                }
            },
        };
        let motion = match &self.motion {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid("motion", "motion must be true or false".into())),
        };
        let flag = |field: &'static str, v: &Option<Value>| match v {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(field, format!("{field} must be true or false"))),
        };
        let overlays = flag("overlays", &self.overlays)?;
        let speaker_names = flag("speaker_names", &self.speaker_names)?;
        Ok(Settings {
            resolution,
            aspect,
            fps,
            container,
            subtitles,
            transition,
            motion,
            music_asset_id: self.music_asset_id.clone().filter(|s| !s.is_empty()),
            overlays,
            speaker_names,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn req(v: Value) -> ExportRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn sizes_follow_resolution_and_aspect() {
        use Aspect::*;
        use Resolution::*;
        assert_eq!(dimensions(P480, Portrait), (480, 854));
        assert_eq!(dimensions(P720, Portrait), (720, 1280));
        assert_eq!(dimensions(P1080, Portrait), (1080, 1920));
        assert_eq!(dimensions(P2160, Portrait), (2160, 3840));
        assert_eq!(dimensions(P1080, Landscape), (1920, 1080));
        assert_eq!(dimensions(P720, Square), (720, 720));
        for r in [P480, P720, P1080, P2160] {
            for a in [Portrait, Landscape, Square] {
                let (w, h) = dimensions(r, a);
                assert!(w % 2 == 0 && h % 2 == 0, "{w}x{h} must be even");
            }
        }
    }

    #[test]
    fn defaults_follow_the_docs_and_the_project() {
        let s = req(json!({})).settings(Some("16:9")).unwrap();
        assert_eq!(s.resolution, Resolution::P1080);
        assert_eq!(s.aspect, Aspect::Landscape);
        assert_eq!(s.fps, 30);
        assert_eq!(s.container, Container::Mp4);
        assert_eq!(s.subtitles, SubtitleMode::Soft);
        assert_eq!(s.transition, Transition::Cut);
        assert!(s.motion);
        assert!(
            !s.overlays,
            "a finished video's frames are clean unless asked"
        );
        assert!(!s.speaker_names, "subtitles carry no names unless asked");
        // Settings stored before the options existed read as clean and nameless.
        let mut stored = serde_json::to_value(&s).unwrap();
        stored.as_object_mut().unwrap().remove("overlays");
        stored.as_object_mut().unwrap().remove("speaker_names");
        let old: Settings = serde_json::from_value(stored).unwrap();
        assert!(!old.overlays && !old.speaker_names);
        let s = req(json!({"include_subtitles": false, "fps": 24, "format": "WEBM"}))
            .settings(None)
            .unwrap();
        assert_eq!(s.subtitles, SubtitleMode::None);
        assert_eq!(s.fps, 24);
        assert_eq!(s.container, Container::Webm);
        assert_eq!(s.aspect, Aspect::Portrait);
    }

    #[test]
    fn every_bad_value_names_its_field() {
        for (body, field) in [
            (json!({"resolution": "4000p"}), "resolution"),
            (json!({"resolution": true}), "resolution"),
            (json!({"aspect_ratio": "4:3"}), "aspect_ratio"),
            (json!({"fps": 60}), "fps"),
            (json!({"fps": "fast"}), "fps"),
            (json!({"format": "avi"}), "format"),
            (json!({"include_subtitles": "loud"}), "include_subtitles"),
            (json!({"transition": "wipe"}), "transition"),
            (json!({"motion": "yes"}), "motion"),
            (json!({"overlays": "on"}), "overlays"),
            (json!({"speaker_names": 1}), "speaker_names"),
        ] {
            match req(body.clone()).settings(None) {
                Err(ExportError::Invalid { field: f, .. }) => assert_eq!(f, field, "{body}"),
                other => panic!("{body}: expected a validation error, got {other:?}"),
            }
        }
    }
}
