//! Built-in, deterministic script parser: turns a Fountain screenplay, a Chinese short-drama script,
//! or a mix of both into a breakdown of episodes, scenes, characters and shots.
//!
//! Everything here is pure (no I/O, clock or randomness), so the same text always gives the same
//! breakdown, and shot fingerprints can be compared across re-parses ([`diff_shots`]).
//!
//! Entry points: [`decode_script`] (bytes → text), [`parse`] (text → [`Breakdown`]) and
//! [`diff_shots`] (match a re-parse against the previous shots).

mod chinese;
mod decode;
mod diff;
mod estimate;
mod fountain;
mod heading;
mod parser;
mod prepare;
#[cfg(test)]
mod tests;
mod text;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use decode::{decode_docx, decode_script, decode_script_detected, is_zip, MAX_DOCX_BYTES};
pub use diff::{diff_fingerprints, diff_shots, ShotMatch};
pub(crate) use text::join_sentences;

/// Largest script accepted, in bytes of UTF-8 (docs/API-EDITOR.md, "Script size"). A feature film
/// is ~300 KB and a 100-episode short drama ~500 KB; 4 MiB (~60,000 shots) leaves room for a whole
/// season in one file while bounding the parse, the storyboard and the editor.
pub const MAX_SCRIPT_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    #[error("the script is empty")]
    Empty,
    #[error("the file looks binary (NUL bytes or mostly control characters), not a script")]
    Binary,
    #[error("the script is neither UTF-8 nor GB18030 text")]
    Encoding,
    #[error(
        "the script is too large: {size} bytes; the limit is {limit} bytes ({} MiB)",
        limit / (1024 * 1024)
    )]
    TooLarge { size: usize, limit: usize },
    /// A `.docx` that is not a readable Word document (not a zip, no `word/document.xml`, bad XML).
    #[error("the file is not a readable .docx document: {0}")]
    Docx(String),
}

/// Everything [`parse`] found in a script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Breakdown {
    /// From the title page (`Title:`), a `剧名：`/`片名：`/`标题：` line, or a leading `《…》` line.
    pub title: Option<String>,
    /// Title-page and header fields, in the order written.
    pub metadata: Vec<MetadataEntry>,
    pub episodes: Vec<Episode>,
    pub scenes: Vec<Scene>,
    /// Every shot of the script, in order; `Scene::shot_numbers` points into this list.
    pub shots: Vec<Shot>,
    /// In order of first appearance.
    pub characters: Vec<CharacterSummary>,
    /// Sections, synopses and header remarks (not shots).
    pub notes: Vec<Note>,
    /// Things the parser tolerated but the writer may want to fix.
    pub warnings: Vec<String>,
    pub total_duration_secs: f32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MetadataEntry {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Episode {
    pub number: u32,
    pub title: Option<String>,
    /// The heading line as written.
    pub heading: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntExt {
    Interior,
    Exterior,
    InteriorExterior,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
// The storyboard has its own `Scene`; the parser's is a different schema in the OpenAPI document.
#[schema(as = ParsedScene)]
pub struct Scene {
    /// 1-based, in script order (implicit scenes included).
    pub number: u32,
    pub episode: Option<u32>,
    /// The heading as written (forced `.` and `#n#` removed); `None` for an implicit scene.
    pub heading: Option<String>,
    /// The number the writer gave the scene (`#12#`, `场景12`, `1-2`), if any.
    pub source_number: Option<String>,
    pub location: Option<String>,
    pub time_of_day: Option<String>,
    pub int_ext: Option<IntExt>,
    /// Transitions written in (or, before the first scene, leading into) this scene.
    pub transitions: Vec<String>,
    /// Listed (`人物：`), speaking, or named in action; in order of first appearance.
    pub characters: Vec<String>,
    pub shot_numbers: Vec<u32>,
    pub duration_secs: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShotKind {
    Action,
    Dialogue,
}

impl ShotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Dialogue => "dialogue",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = ParsedShot)]
pub struct Shot {
    /// 1-based across the whole script.
    pub number: u32,
    pub scene_number: u32,
    pub kind: ShotKind,
    /// The action text, or `Speaker: first words…` for dialogue.
    pub description: String,
    pub characters: Vec<String>,
    pub dialogue: Vec<DialogueLine>,
    pub duration_secs: f32,
    /// SHA-256 (hex) of the normalised kind, text and speakers; stable across re-parses.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DialogueLine {
    pub character: String,
    /// `V.O.`, `O.S.`, `CONT'D`, `OS`, `画外音`…
    pub extension: Option<String>,
    /// Without the brackets: `beat`, `哭着`.
    pub parenthetical: Option<String>,
    pub text: String,
    /// Part of a dual (simultaneous) dialogue, Fountain `^`.
    pub dual: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CharacterSummary {
    pub name: String,
    pub dialogue_lines: u32,
    pub first_scene: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Fountain `#`.
    Section,
    /// Fountain `=`.
    Synopsis,
    /// A header remark such as `备注：` or a `时间：` line outside a scene.
    Remark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Note {
    pub kind: NoteKind,
    /// Section depth (number of `#`); `None` for other notes.
    pub level: Option<u8>,
    pub text: String,
    /// The scene the note sits in, if any.
    pub scene_number: Option<u32>,
}

/// Parses script text (Fountain, Chinese short-drama conventions, or both) into a [`Breakdown`].
///
/// Never panics; odd lines become action. Only empty or oversized input is an error.
#[tracing::instrument(skip_all, fields(bytes = text.len()))]
pub fn parse(text: &str) -> Result<Breakdown, ScriptError> {
    parser::parse_text(text)
}
