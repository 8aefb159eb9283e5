//! Scenes and shots (a shot is a `/storyboards` item): the stored breakdown of a version, ordered
//! by stable keys, edited by hand (split, merge, move, fields), and merged with each re-parse so
//! that shots whose text did not change keep their ids and edits.
pub mod order;
#[cfg(test)]
mod plan_tests;
pub mod status;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::db::sql::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use status::ShotStatus;

use crate::{
    characters,
    clock::{rfc3339, IdSource},
    paging::PageSpec,
    script::{self, Breakdown, DialogueLine, ShotKind},
    versions::{self, invalid, not_found, EditError},
    AppState,
};

// The shot vocabulary a storyboard accepts is the one the offline renderer draws (each shot type
// has its own framing there), so it is declared beside the renderer, the lower layer.
pub use crate::render::{CAMERA_MOVES, SHOT_TYPES};
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

// The OpenAPI schemas of the fields checked against the lists above (`clean_optional`), made
// from those lists; `""` clears the value.
fn shot_type_schema() -> utoipa::openapi::schema::Object {
    crate::paging::one_of_schema(&[SHOT_TYPES, &[""]].concat(), true)
}
fn camera_move_schema() -> utoipa::openapi::schema::Object {
    crate::paging::one_of_schema(&[CAMERA_MOVES, &[""]].concat(), true)
}
pub const MAX_DURATION_SECS: f64 = 600.0;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scene {
    pub id: String,
    pub version_id: String,
    pub number: u32,
    pub episode: Option<u32>,
    pub heading: Option<String>,
    pub location: Option<String>,
    pub time_of_day: Option<String>,
    pub int_ext: Option<String>,
    pub shot_count: u32,
    /// Seconds: the sum of its live shots.
    pub duration: f64,
}

/// A shot: an item of `/storyboards`, with the field names clients expect (`scene_number`,
/// `description`, `image_url`, `status`, `duration`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shot {
    pub id: String,
    pub project_id: String,
    pub version_id: String,
    pub scene_id: String,
    pub scene_number: u32,
    /// 1-based position in the version.
    pub number: u32,
    pub order_key: String,
    #[schema(value_type = String)]
    pub kind: ShotKind,
    pub description: String,
    pub dialogue: Vec<DialogueLine>,
    pub character_ids: Vec<String>,
    /// Names of `character_ids`, in the same order.
    pub characters: Vec<String>,
    pub shot_type: Option<String>,
    pub camera_move: Option<String>,
    /// Seconds.
    pub duration: f64,
    pub status: ShotStatus,
    /// The keyframe image, once there is one.
    pub image_url: Option<String>,
    pub keyframe_asset_id: Option<String>,
    pub clip_asset_id: Option<String>,
    /// `parser` (from the script) or `manual` (made by hand).
    pub source: String,
    /// Changed by hand since the parser made it.
    pub edited: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SceneWithShots {
    #[serde(flatten)]
    pub scene: Scene,
    pub shots: Vec<Shot>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoryboardView {
    pub project_id: String,
    pub version_id: String,
    /// Seconds.
    pub total_duration: f64,
    pub scenes: Vec<SceneWithShots>,
}

/// What a (re-)parse did to the storyboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParseResult {
    pub version_id: String,
    /// `completed`, or `saved` when parsing was not asked for.
    pub status: String,
    pub scene_count: u32,
    pub shot_count: u32,
    /// Shots whose text did not change: same id, manual edits kept.
    pub kept_shots: u32,
    pub new_shots: u32,
    pub removed_shots: u32,
    /// Characters the parser found that are not yet confirmed.
    pub proposed_characters: Vec<String>,
    pub warnings: Vec<String>,
    /// Seconds.
    pub total_duration: f64,
    /// The script's revision after this save; send it back as `base_revision` with the next save.
    pub revision: i64,
}

impl ParseResult {
    pub fn unparsed(version_id: &str) -> Self {
        Self {
            version_id: version_id.to_string(),
            status: "saved".into(),
            scene_count: 0,
            shot_count: 0,
            kept_shots: 0,
            new_shots: 0,
            removed_shots: 0,
            proposed_characters: Vec::new(),
            warnings: Vec::new(),
            total_duration: 0.0,
            revision: 0,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShot {
    pub project_id: String,
    /// Default: the current version.
    pub version_id: Option<String>,
    /// The scene by number (created when the version has no such scene).
    pub scene_number: Option<u32>,
    pub scene_id: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub character_ids: Vec<String>,
    /// Seconds (default: estimated from the text).
    pub duration: Option<f64>,
    #[schema(schema_with = shot_type_schema)]
    pub shot_type: Option<String>,
    #[schema(schema_with = camera_move_schema)]
    pub camera_move: Option<String>,
    #[serde(default)]
    pub dialogue: Vec<DialogueLine>,
    /// Place after this shot (default: the end of its scene).
    pub after_id: Option<String>,
}

/// Fields to change; absent ones stay. An empty `shot_type`/`camera_move` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShotPatch {
    pub description: Option<String>,
    pub dialogue: Option<Vec<DialogueLine>>,
    pub character_ids: Option<Vec<String>>,
    /// One of the shot sizes; `""` clears it.
    #[schema(schema_with = shot_type_schema)]
    pub shot_type: Option<String>,
    /// One of the camera moves; `""` clears it.
    #[schema(schema_with = camera_move_schema)]
    pub camera_move: Option<String>,
    pub duration: Option<f64>,
    /// Moves along the shot's transitions (`ShotStatus`): an approved shot only to `completed`
    /// (unlocked).
    #[schema(schema_with = crate::states::nullable_schema::<ShotStatus>)]
    pub status: Option<ShotStatus>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveShot {
    /// Place right after this shot; `null`/absent with no `before_id` = first.
    pub after_id: Option<String>,
    /// Place right before this shot.
    pub before_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitShot {
    /// Dialogue lines before this index stay in the first shot (default: half).
    pub at_line: Option<usize>,
    /// For action shots: the description splits at this character offset (default: the sentence
    /// break nearest the middle).
    pub at_char: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeShots {
    /// The shot right after this one.
    pub with_id: String,
}

/// A shot's text and framing as they were before an edit, for undo (`POST .../revert`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShotState {
    /// `action` or `dialogue`.
    pub kind: String,
    pub description: String,
    #[serde(default)]
    pub dialogue: Vec<DialogueLine>,
    #[serde(default)]
    pub character_ids: Vec<String>,
    pub shot_type: Option<String>,
    pub camera_move: Option<String>,
    /// Seconds.
    pub duration: f64,
    pub edited: bool,
}

/// Undo (or redo) of a split, merge or edit: the shot gets `state` back, and the shots the edit
/// trashed or made come back or go to the trash, in one transaction. Nothing is deleted for good.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevertShot {
    /// The shot as the client last saw it: when it differs (a later edit), the revert is a 409, so
    /// an undo never overwrites an edit it does not know about.
    pub expected: ShotState,
    /// What the shot gets back.
    pub state: ShotState,
    /// Trashed shots of the same version to bring back (the one a merge absorbed).
    #[serde(default)]
    pub restore_ids: Vec<String>,
    /// Live shots of the same version to move to the trash (the one a split made).
    #[serde(default)]
    pub trash_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SceneInput {
    pub heading: Option<String>,
    pub location: Option<String>,
    pub time_of_day: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedShot {
    pub id: String,
    pub deleted_at: String,
}

// ---------------------------------------------------------------------------------------------
// Rows

const SHOT_COLUMNS: &str = "h.id, h.version_id, h.scene_id, h.order_key, h.kind, h.description, h.dialogue, \
     h.character_ids, h.shot_type, h.camera_move, h.duration_ms, h.status, h.keyframe_asset_id, \
     h.clip_asset_id, h.source, h.fingerprint, h.edited, h.created_at, h.updated_at, h.deleted_at, h.moved";

#[derive(Debug, Clone)]
struct ShotRow {
    id: String,
    version_id: String,
    scene_id: String,
    order_key: String,
    kind: ShotKind,
    description: String,
    dialogue: Vec<DialogueLine>,
    character_ids: Vec<String>,
    shot_type: Option<String>,
    camera_move: Option<String>,
    duration_ms: i64,
    status: ShotStatus,
    keyframe_asset_id: Option<String>,
    clip_asset_id: Option<String>,
    source: String,
    fingerprint: Option<String>,
    edited: bool,
    created_at: String,
    updated_at: String,
    deleted_at: Option<String>,
    moved: bool,
}

fn shot_row(r: &Row<'_>) -> crate::db::sql::Result<ShotRow> {
    let kind: String = r.get(4)?;
    let dialogue: String = r.get(6)?;
    let character_ids: String = r.get(7)?;
    Ok(ShotRow {
        id: r.get(0)?,
        version_id: r.get(1)?,
        scene_id: r.get(2)?,
        order_key: r.get(3)?,
        kind: if kind == "dialogue" {
            ShotKind::Dialogue
        } else {
            ShotKind::Action
        },
        description: r.get(5)?,
        dialogue: crate::db::json_column("shots.dialogue", &dialogue, Vec::new()),
        character_ids: crate::db::json_column("shots.character_ids", &character_ids, Vec::new()),
        shot_type: r.get(8)?,
        camera_move: r.get(9)?,
        duration_ms: r.get(10)?,
        status: r.get(11)?,
        keyframe_asset_id: r.get(12)?,
        clip_asset_id: r.get(13)?,
        source: r.get(14)?,
        fingerprint: r.get(15)?,
        edited: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
        deleted_at: r.get(19)?,
        moved: r.get(20)?,
    })
}

fn write_shot(tx: &crate::db::sql::Connection, s: &ShotRow) -> crate::db::sql::Result<()> {
    tx.execute(
        "INSERT INTO shots (id, version_id, scene_id, order_key, kind, description, dialogue, character_ids,
                            shot_type, camera_move, duration_ms, status, keyframe_asset_id, clip_asset_id,
                            source, fingerprint, edited, created_at, updated_at, deleted_at, moved)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
         ON CONFLICT (id) DO UPDATE SET
            scene_id = excluded.scene_id, order_key = excluded.order_key, kind = excluded.kind,
            description = excluded.description, dialogue = excluded.dialogue,
            character_ids = excluded.character_ids, shot_type = excluded.shot_type,
            camera_move = excluded.camera_move, duration_ms = excluded.duration_ms, status = excluded.status,
            keyframe_asset_id = excluded.keyframe_asset_id, clip_asset_id = excluded.clip_asset_id,
            source = excluded.source, fingerprint = excluded.fingerprint, edited = excluded.edited,
            updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, moved = excluded.moved",
        params![
            s.id,
            s.version_id,
            s.scene_id,
            s.order_key,
            s.kind.as_str(),
            s.description,
            serde_json::to_string(&s.dialogue).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&s.character_ids).unwrap_or_else(|_| "[]".into()),
            s.shot_type,
            s.camera_move,
            s.duration_ms,
            s.status,
            s.keyframe_asset_id,
            s.clip_asset_id,
            s.source,
            s.fingerprint,
            s.edited,
            s.created_at,
            s.updated_at,
            s.deleted_at,
            s.moved
        ],
    )?;
    Ok(())
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn character_names(
    c: &crate::db::sql::Connection,
    project_id: &str,
) -> crate::db::sql::Result<HashMap<String, String>> {
    let mut stmt = c.prepare("SELECT id, name FROM characters WHERE project_id = ?1")?;
    let rows = stmt.query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn to_view(
    row: ShotRow,
    project_id: &str,
    scene_number: u32,
    number: u32,
    names: &HashMap<String, String>,
) -> Shot {
    Shot {
        characters: row
            .character_ids
            .iter()
            .map(|id| names.get(id).cloned().unwrap_or_default())
            .collect(),
        image_url: row
            .keyframe_asset_id
            .as_ref()
            .map(|id| format!("/api/v1/assets/{id}/download")),
        id: row.id,
        project_id: project_id.to_string(),
        version_id: row.version_id,
        scene_id: row.scene_id,
        scene_number,
        number,
        order_key: row.order_key,
        kind: row.kind,
        description: row.description,
        dialogue: row.dialogue,
        character_ids: row.character_ids,
        shot_type: row.shot_type,
        camera_move: row.camera_move,
        duration: secs(row.duration_ms),
        status: row.status,
        keyframe_asset_id: row.keyframe_asset_id,
        clip_asset_id: row.clip_asset_id,
        source: row.source,
        edited: row.edited,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Live shots of a version in order, each with its scene number and 1-based position.
fn version_shots(
    c: &crate::db::sql::Connection,
    version_id: &str,
) -> crate::db::sql::Result<Vec<(ShotRow, u32, u32)>> {
    let mut stmt = c.prepare(&format!(
        "SELECT {SHOT_COLUMNS}, s.number, ROW_NUMBER() OVER (ORDER BY h.order_key, h.id)
         FROM shots h JOIN scenes s ON s.id = h.scene_id
         WHERE h.version_id = ?1 AND h.deleted_at IS NULL
         ORDER BY h.order_key, h.id"
    ))?;
    let rows = stmt.query_map([version_id], |r| Ok((shot_row(r)?, r.get(21)?, r.get(22)?)))?;
    rows.collect()
}

/// A shot of one of the owner's live projects (trashed shots only when `include_deleted`), with
/// its project id.
fn load_shot(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    shot_id: &str,
    include_deleted: bool,
) -> Result<(ShotRow, String), EditError> {
    let found = c
        .query_row(
            &format!(
                "SELECT {SHOT_COLUMNS}, v.project_id FROM shots h
                 JOIN project_versions v ON v.id = h.version_id
                 JOIN projects p ON p.id = v.project_id
                 WHERE h.id = ?1 AND p.owner_id = ?2 AND p.deleted_at IS NULL"
            ),
            params![shot_id, owner_id],
            |r| Ok((shot_row(r)?, r.get::<_, String>(21)?)),
        )
        .optional()?;
    match found {
        Some((row, _)) if row.deleted_at.is_some() && !include_deleted => {
            Err(not_found("shot", shot_id))
        }
        Some(found) => Ok(found),
        None => Err(not_found("shot", shot_id)),
    }
}

fn shot_view(
    c: &crate::db::sql::Connection,
    row: ShotRow,
    project_id: &str,
) -> Result<Shot, EditError> {
    let scene_number: u32 = c.query_row(
        "SELECT number FROM scenes WHERE id = ?1",
        [&row.scene_id],
        |r| r.get(0),
    )?;
    let number: u32 = c.query_row(
        "SELECT COUNT(*) + 1 FROM shots WHERE version_id = ?1 AND deleted_at IS NULL
           AND (order_key < ?2 OR (order_key = ?2 AND id < ?3))",
        params![row.version_id, row.order_key, row.id],
        |r| r.get(0),
    )?;
    let names = character_names(c, project_id)?;
    Ok(to_view(row, project_id, scene_number, number, &names))
}

fn scene_from_row(r: &Row<'_>) -> crate::db::sql::Result<Scene> {
    Ok(Scene {
        id: r.get(0)?,
        version_id: r.get(1)?,
        number: r.get(2)?,
        episode: r.get(3)?,
        heading: r.get(4)?,
        location: r.get(5)?,
        time_of_day: r.get(6)?,
        int_ext: r.get(7)?,
        shot_count: r.get(8)?,
        duration: secs(r.get(9)?),
    })
}

/// Scenes with their live shots' count and length, in one pass (the join uses `shots_scene`);
/// callers add `WHERE …` and then [`SCENE_GROUP`].
const SCENE_SELECT: &str =
    "SELECT s.id, s.version_id, s.number, s.episode, s.heading, s.location, s.time_of_day, \
        s.int_ext, COUNT(h.id), COALESCE(SUM(h.duration_ms), 0) \
     FROM scenes s LEFT JOIN shots h ON h.scene_id = s.id AND h.deleted_at IS NULL";
const SCENE_GROUP: &str = "GROUP BY s.id";

fn version_scenes(
    c: &crate::db::sql::Connection,
    version_id: &str,
) -> crate::db::sql::Result<Vec<Scene>> {
    let mut stmt = c.prepare(&format!(
        "{SCENE_SELECT} WHERE s.version_id = ?1 {SCENE_GROUP} ORDER BY s.number, s.id"
    ))?;
    let rows = stmt.query_map([version_id], scene_from_row)?;
    rows.collect()
}

/// A version's scenes in order, without their shot figures (the storyboard read adds them up from
/// the shots it reads anyway).
fn version_scene_rows(
    c: &crate::db::sql::Connection,
    version_id: &str,
) -> crate::db::sql::Result<Vec<Scene>> {
    let mut stmt = c.prepare(
        "SELECT s.id, s.version_id, s.number, s.episode, s.heading, s.location, s.time_of_day, \
                s.int_ext, 0, 0 \
         FROM scenes s WHERE s.version_id = ?1 ORDER BY s.number, s.id",
    )?;
    let rows = stmt.query_map([version_id], scene_from_row)?;
    rows.collect()
}

fn load_scene(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    scene_id: &str,
) -> Result<(Scene, String), EditError> {
    let project_id: String = c
        .query_row(
            "SELECT v.project_id FROM scenes s
             JOIN project_versions v ON v.id = s.version_id
             JOIN projects p ON p.id = v.project_id
             WHERE s.id = ?1 AND p.owner_id = ?2 AND p.deleted_at IS NULL",
            params![scene_id, owner_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| not_found("scene", scene_id))?;
    let scene = c.query_row(
        &format!("{SCENE_SELECT} WHERE s.id = ?1 {SCENE_GROUP}"),
        [scene_id],
        scene_from_row,
    )?;
    Ok((scene, project_id))
}

// ---------------------------------------------------------------------------------------------
// Validation

fn clean_optional(
    field: &'static str,
    value: Option<String>,
    allowed: &[&str],
) -> Result<Option<Option<String>>, EditError> {
    match value.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(v) if allowed.contains(&v) => Ok(Some(Some(v.to_string()))),
        Some(v) => Err(invalid(
            field,
            format!("'{v}' is not one of: {}", allowed.join(", ")),
        )),
    }
}

fn duration_ms(field: &'static str, secs: f64) -> Result<i64, EditError> {
    if !secs.is_finite() || secs <= 0.0 || secs > MAX_DURATION_SECS {
        return Err(invalid(
            field,
            format!("duration must be more than 0 and at most {MAX_DURATION_SECS} seconds"),
        ));
    }
    Ok(((secs * 1000.0).round() as i64).max(1))
}

fn check_description(text: &str) -> Result<(), EditError> {
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid(
            "description",
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(())
}

fn check_dialogue(lines: &[DialogueLine]) -> Result<(), EditError> {
    for (i, line) in lines.iter().enumerate() {
        if line.character.trim().is_empty() {
            return Err(EditError::Invalid {
                field: "dialogue",
                message: format!("dialogue[{i}].character must not be empty"),
            });
        }
    }
    Ok(())
}

/// Every id must be a live character of the project.
fn check_characters(
    c: &crate::db::sql::Connection,
    project_id: &str,
    ids: &[String],
) -> Result<Vec<String>, EditError> {
    let mut out = Vec::new();
    for id in ids {
        let ok: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM characters WHERE id = ?1 AND project_id = ?2 AND deleted_at IS NULL)",
            params![id, project_id],
            |r| r.get(0),
        )?;
        if !ok {
            return Err(invalid(
                "character_ids",
                format!("'{id}' is not a character of this project"),
            ));
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// Estimated seconds for text the user typed (same reading speeds as the parser).
fn estimate_ms(description: &str, dialogue: &[DialogueLine]) -> i64 {
    let probe = if dialogue.is_empty() {
        description.to_string()
    } else {
        dialogue
            .iter()
            .map(|l| format!("{}：{}", l.character, l.text))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let secs = script::parse(&probe)
        .map(|b| b.total_duration_secs as f64)
        .unwrap_or(3.0);
    ((secs.max(1.0)) * 1000.0).round() as i64
}

// ---------------------------------------------------------------------------------------------
// Parse merge and version copy

fn scene_key(heading: Option<&str>) -> String {
    heading
        .map(|h| {
            h.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .unwrap_or_default()
}

/// Stores a parse of the version's script, keeping what the user did:
/// - a shot whose fingerprint matches an earlier parser shot keeps that shot's id, order key and
///   every manual edit (a shot the user deleted stays deleted);
/// - changed or removed parser shots are replaced; new ones are placed right after their preceding
///   shot in the current order, so hand-made orderings survive;
/// - shots made by hand are kept.
///
/// `None` (an empty script) removes the parser's shots.
pub(crate) fn apply_breakdown_in_tx(
    tx: &crate::db::sql::Connection,
    ids: &dyn IdSource,
    project_id: &str,
    version_id: &str,
    breakdown: Option<&Breakdown>,
    now: &str,
) -> Result<ParseResult, EditError> {
    let empty = Breakdown {
        title: None,
        metadata: Vec::new(),
        episodes: Vec::new(),
        scenes: Vec::new(),
        shots: Vec::new(),
        characters: Vec::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
        total_duration_secs: 0.0,
    };
    let b = breakdown.unwrap_or(&empty);

    // Characters: proposed, never duplicated.
    let names: Vec<String> = b.characters.iter().map(|c| c.name.clone()).collect();
    let char_ids = characters::propose_in_tx(tx, ids, project_id, &names, now)?;

    // Scenes: reuse ids by heading (and occurrence), so shots of an unchanged scene keep it.
    let old_scenes = version_scenes(tx, version_id)?;
    let mut old_by_key: HashMap<String, Vec<String>> = HashMap::new();
    for s in &old_scenes {
        old_by_key
            .entry(scene_key(s.heading.as_deref()))
            .or_default()
            .push(s.id.clone());
    }
    let mut scene_ids: BTreeMap<u32, String> = BTreeMap::new();
    let mut used_scenes = BTreeSet::new();
    for s in &b.scenes {
        let reuse = old_by_key
            .get_mut(&scene_key(s.heading.as_deref()))
            .and_then(|v| (!v.is_empty()).then(|| v.remove(0)));
        let id = reuse.unwrap_or_else(|| ids.new_id().to_string());
        let int_ext = s
            .int_ext
            .and_then(|ie| serde_json::to_value(ie).ok())
            .and_then(|v| v.as_str().map(str::to_string));
        tx.execute(
            "INSERT INTO scenes (id, version_id, number, episode, heading, source_number, location,
                                 time_of_day, int_ext, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT (id) DO UPDATE SET number = excluded.number, episode = excluded.episode,
                heading = excluded.heading, source_number = excluded.source_number,
                location = excluded.location, time_of_day = excluded.time_of_day,
                int_ext = excluded.int_ext, updated_at = excluded.updated_at",
            params![
                id,
                version_id,
                s.number,
                s.episode,
                s.heading,
                s.source_number,
                s.location,
                s.time_of_day,
                int_ext,
                now
            ],
        )?;
        used_scenes.insert(id.clone());
        scene_ids.insert(s.number, id);
    }

    // Shots: match parser shots by fingerprint (deleted ones too, so a deletion is remembered).
    let old_parser: Vec<ShotRow> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT {SHOT_COLUMNS} FROM shots h
             WHERE h.version_id = ?1 AND h.source = 'parser' AND h.fingerprint IS NOT NULL
             ORDER BY h.order_key, h.id"
        ))?;
        let rows = stmt.query_map([version_id], shot_row)?;
        rows.collect::<crate::db::sql::Result<_>>()?
    };
    let old_fps: Vec<&str> = old_parser
        .iter()
        .map(|s| s.fingerprint.as_deref().unwrap_or(""))
        .collect();
    let new_fps: Vec<&str> = b.shots.iter().map(|s| s.fingerprint.as_str()).collect();
    let matches = script::diff_fingerprints(&old_fps, &new_fps);
    let matched_old: BTreeSet<usize> = matches.iter().filter_map(|m| m.old_index).collect();

    // Replaced parser shots go first, so their keys don't steer placement.
    let mut removed = 0u32;
    for (i, old) in old_parser.iter().enumerate() {
        if !matched_old.contains(&i) {
            tx.execute("DELETE FROM shots WHERE id = ?1", [&old.id])?;
            if old.deleted_at.is_none() {
                removed += 1;
            }
        }
    }

    // Shots the user placed by hand (dragged, or made by hand) keep their keys; every other parser
    // shot follows the script: it keeps its key when that is still in script order, else gets a new
    // one right after the shot before it.
    let pinned: BTreeSet<usize> = old_parser
        .iter()
        .enumerate()
        .filter(|(i, s)| s.moved && matched_old.contains(i))
        .map(|(i, _)| i)
        .collect();
    let mut keys: BTreeSet<String> = {
        let mut stmt =
            tx.prepare("SELECT order_key FROM shots WHERE version_id = ?1 AND deleted_at IS NULL")?;
        let rows = stmt.query_map([version_id], |r| r.get::<_, String>(0))?;
        rows.collect::<crate::db::sql::Result<_>>()?
    };
    let first_parse = keys.is_empty();
    let spread = if first_parse {
        order::spread(b.shots.len())
    } else {
        Vec::new()
    };

    let (mut kept, mut added) = (0u32, 0u32);
    let mut prev_key: Option<String> = None;
    for m in &matches {
        let new = &b.shots[m.new_index];
        let scene_id = scene_ids
            .get(&new.scene_number)
            .cloned()
            .ok_or_else(|| invalid("text", "the parser produced a shot outside any scene"))?;
        if let Some(i) = m.old_index {
            let old = &old_parser[i];
            if old.deleted_at.is_some() {
                tx.execute(
                    "UPDATE shots SET scene_id = ?1 WHERE id = ?2",
                    params![scene_id, old.id],
                )?;
                continue;
            }
            kept += 1;
            if pinned.contains(&i) {
                // Its scene too stays the user's choice while that scene exists.
                if !used_scenes.contains(&old.scene_id) {
                    tx.execute(
                        "UPDATE shots SET scene_id = ?1 WHERE id = ?2",
                        params![scene_id, old.id],
                    )?;
                }
                continue;
            }
            if prev_key
                .as_deref()
                .is_none_or(|p| old.order_key.as_str() > p)
            {
                // Still in script order: the key stays (no rewrite, nothing for sync to merge).
                prev_key = Some(old.order_key.clone());
                tx.execute(
                    "UPDATE shots SET scene_id = ?1 WHERE id = ?2",
                    params![scene_id, old.id],
                )?;
                continue;
            }
            // The script moved it: it gets a key after the shot now before it.
            keys.remove(&old.order_key);
        }
        let next = match &prev_key {
            Some(p) => keys
                .range::<String, _>((
                    std::ops::Bound::Excluded(p.clone()),
                    std::ops::Bound::Unbounded,
                ))
                .next()
                .cloned(),
            None => keys.iter().next().cloned(),
        };
        let key = if first_parse {
            spread[m.new_index].clone()
        } else {
            order::between(prev_key.as_deref(), next.as_deref())
        };
        keys.insert(key.clone());
        prev_key = Some(key.clone());
        if let Some(i) = m.old_index {
            tx.execute(
                "UPDATE shots SET scene_id = ?1, order_key = ?2 WHERE id = ?3",
                params![scene_id, key, old_parser[i].id],
            )?;
            continue;
        }
        let character_ids = new
            .characters
            .iter()
            .filter_map(|n| char_ids.get(n.trim()).cloned())
            .collect();
        write_shot(
            tx,
            &ShotRow {
                id: ids.new_id().to_string(),
                version_id: version_id.to_string(),
                scene_id,
                order_key: key,
                kind: new.kind,
                description: new.description.clone(),
                dialogue: new.dialogue.clone(),
                character_ids,
                shot_type: None,
                camera_move: None,
                duration_ms: ((new.duration_secs as f64) * 1000.0).round().max(1.0) as i64,
                status: ShotStatus::Pending,
                keyframe_asset_id: None,
                clip_asset_id: None,
                source: "parser".into(),
                fingerprint: Some(new.fingerprint.clone()),
                edited: false,
                created_at: now.to_string(),
                updated_at: now.to_string(),
                deleted_at: None,
                moved: false,
            },
        )?;
        added += 1;
    }

    // Hand-made shots in scenes the script no longer has join the scene of the shot before them.
    let orphans: Vec<String> = old_scenes
        .iter()
        .map(|s| s.id.clone())
        .filter(|id| !used_scenes.contains(id))
        .collect();
    if !orphans.is_empty() && !scene_ids.is_empty() {
        let ordered = version_shots_any_scene(tx, version_id)?;
        let mut last_scene = scene_ids.values().next().cloned().unwrap_or_default();
        for (shot_id, scene_id) in ordered {
            if orphans.contains(&scene_id) {
                tx.execute(
                    "UPDATE shots SET scene_id = ?1 WHERE id = ?2",
                    params![last_scene, shot_id],
                )?;
            } else {
                last_scene = scene_id;
            }
        }
    }
    let mut next_number = b.scenes.len() as u32 + 1;
    for id in orphans {
        let in_use: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM shots WHERE scene_id = ?1)",
            [&id],
            |r| r.get(0),
        )?;
        if in_use {
            // Only when the script has no scenes at all: keep the hand-made shots' scene.
            tx.execute(
                "UPDATE scenes SET number = ?1, updated_at = ?2 WHERE id = ?3",
                params![next_number, now, id],
            )?;
            next_number += 1;
        } else {
            tx.execute("DELETE FROM scenes WHERE id = ?1", [&id])?;
        }
    }

    // The breakdown without its shots (they live in the table) is kept for GET …/script.
    let stored = Breakdown {
        shots: Vec::new(),
        ..b.clone()
    };
    let has_text = breakdown.is_some();
    tx.execute(
        "UPDATE project_versions SET breakdown = ?1, parsed_at = ?2, updated_at = ?2,
                stage = CASE WHEN ?3 THEN 'PARSED' ELSE stage END
         WHERE id = ?4",
        params![
            has_text.then(|| serde_json::to_string(&stored).unwrap_or_default()),
            now,
            has_text,
            version_id
        ],
    )?;

    let proposed: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT name FROM characters WHERE project_id = ?1 AND status = 'proposed'
               AND deleted_at IS NULL ORDER BY created_at, name",
        )?;
        let rows = stmt.query_map([project_id], |r| r.get(0))?;
        rows.collect::<crate::db::sql::Result<_>>()?
    };
    let (scene_count, shot_count, total_ms): (u32, u32, i64) = tx.query_row(
        "SELECT (SELECT COUNT(*) FROM scenes WHERE version_id = ?1),
                COUNT(*), COALESCE(SUM(duration_ms), 0)
         FROM shots WHERE version_id = ?1 AND deleted_at IS NULL",
        [version_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    tracing::info!(version_id, kept, added, removed, "parse merged");
    Ok(ParseResult {
        version_id: version_id.to_string(),
        status: "completed".into(),
        scene_count,
        shot_count,
        kept_shots: kept,
        new_shots: added,
        removed_shots: removed,
        proposed_characters: proposed,
        warnings: b.warnings.clone(),
        total_duration: secs(total_ms),
        revision: tx.query_row(
            "SELECT script_revision FROM project_versions WHERE id = ?1",
            [version_id],
            |r| r.get(0),
        )?,
    })
}

/// (shot id, scene id) of every live shot, in order.
fn version_shots_any_scene(
    c: &crate::db::sql::Connection,
    version_id: &str,
) -> crate::db::sql::Result<Vec<(String, String)>> {
    let mut stmt = c.prepare(
        "SELECT id, scene_id FROM shots WHERE version_id = ?1 AND deleted_at IS NULL
         ORDER BY order_key, id",
    )?;
    let rows = stmt.query_map([version_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Copies scenes and shots (live and trashed) of one version into another, with new ids.
pub(crate) fn copy_version_in_tx(
    tx: &crate::db::sql::Connection,
    ids: &dyn IdSource,
    from: &str,
    to: &str,
    now: &str,
) -> Result<(), EditError> {
    let mut scene_map: HashMap<String, String> = HashMap::new();
    let scene_rows: Vec<String> = {
        let mut stmt = tx.prepare("SELECT id FROM scenes WHERE version_id = ?1")?;
        let rows = stmt.query_map([from], |r| r.get(0))?;
        rows.collect::<crate::db::sql::Result<_>>()?
    };
    for old in scene_rows {
        let new = ids.new_id().to_string();
        tx.execute(
            "INSERT INTO scenes (id, version_id, number, episode, heading, source_number, location,
                                 time_of_day, int_ext, created_at, updated_at)
             SELECT ?1, ?2, number, episode, heading, source_number, location, time_of_day, int_ext, ?3, ?3
             FROM scenes WHERE id = ?4",
            params![new, to, now, old],
        )?;
        scene_map.insert(old, new);
    }
    let shots: Vec<ShotRow> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT {SHOT_COLUMNS} FROM shots h WHERE h.version_id = ?1"
        ))?;
        let rows = stmt.query_map([from], shot_row)?;
        rows.collect::<crate::db::sql::Result<_>>()?
    };
    for mut s in shots {
        s.id = ids.new_id().to_string();
        s.version_id = to.to_string();
        s.scene_id = scene_map.get(&s.scene_id).cloned().unwrap_or_default();
        s.created_at = now.to_string();
        s.updated_at = now.to_string();
        write_shot(tx, &s)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reads

/// The whole storyboard of `version` in three queries (characters, scenes, shots), whatever its
/// size: never a query per scene or per shot.
fn storyboard_view(
    c: &crate::db::sql::Connection,
    project_id: &str,
    version_id: &str,
) -> crate::db::sql::Result<StoryboardView> {
    let names = character_names(c, project_id)?;
    let mut scenes: Vec<SceneWithShots> = version_scene_rows(c, version_id)?
        .into_iter()
        .map(|scene| SceneWithShots {
            scene,
            shots: Vec::new(),
        })
        .collect();
    let index: HashMap<String, usize> = scenes
        .iter()
        .enumerate()
        .map(|(i, s)| (s.scene.id.clone(), i))
        .collect();
    let mut scene_ms = vec![0i64; scenes.len()];
    let mut total_ms = 0i64;
    for (row, scene_number, number) in version_shots(c, version_id)? {
        total_ms += row.duration_ms;
        let at = index.get(&row.scene_id).copied();
        let duration_ms = row.duration_ms;
        let shot = to_view(row, project_id, scene_number, number, &names);
        if let Some(i) = at {
            scene_ms[i] += duration_ms;
            scenes[i].scene.shot_count += 1;
            scenes[i].shots.push(shot);
        }
    }
    for (scene, ms) in scenes.iter_mut().zip(scene_ms) {
        scene.scene.duration = secs(ms);
    }
    Ok(StoryboardView {
        project_id: project_id.to_string(),
        version_id: version_id.to_string(),
        total_duration: secs(total_ms),
        scenes,
    })
}

/// The storyboard of a version (default: the current one). A read on a reader connection, in one
/// snapshot: it never holds the writer, so other users' writes go on while a large one is read.
#[tracing::instrument(skip(state))]
pub async fn storyboard(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: Option<&str>,
) -> Result<StoryboardView, EditError> {
    let (o, p, v) = (
        owner_id.to_string(),
        project_id.to_string(),
        version_id.map(str::to_string),
    );
    let read = state
        .db
        .read_snapshot(move |c| {
            let version = match v {
                Some(v) => Some(versions::load_version(c, &o, &p, &v)?),
                None => versions::current_version(c, &o, &p)?,
            };
            match version {
                Some(version) => Ok(Some(storyboard_view(c, &p, &version.id)?)),
                None => Ok::<_, EditError>(None),
            }
        })
        .await?;
    if let Some(view) = read {
        return Ok(view);
    }
    // A project from before versions has no current version: make its version 1 (once, on the
    // writer), then read as above.
    let now = rfc3339(state.clock.now());
    let (o, p, ids) = (
        owner_id.to_string(),
        project_id.to_string(),
        state.ids.clone(),
    );
    state
        .db
        .write(move |tx| {
            let version = versions::current_version_in_tx(tx, ids.as_ref(), &o, &p, &now)?;
            Ok(storyboard_view(tx, &p, &version.id)?)
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn list_scenes(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
) -> Result<Vec<Scene>, EditError> {
    let (o, p, v) = (
        owner_id.to_string(),
        project_id.to_string(),
        version_id.to_string(),
    );
    state
        .db
        .read(move |c| {
            versions::load_version(c, &o, &p, &v)?;
            Ok(version_scenes(c, &v)?)
        })
        .await
}

#[derive(Debug, Clone, Default)]
pub struct ShotFilter {
    pub version_id: Option<String>,
    pub scene_number: Option<u32>,
}

#[tracing::instrument(skip(state))]
pub async fn list_shots(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    filter: ShotFilter,
    page: PageSpec,
) -> Result<(Vec<Shot>, u64), EditError> {
    let view = storyboard(state, owner_id, project_id, filter.version_id.as_deref()).await?;
    let all: Vec<Shot> = view
        .scenes
        .into_iter()
        .flat_map(|s| s.shots)
        .filter(|s| filter.scene_number.is_none_or(|n| s.scene_number == n))
        .collect();
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect();
    Ok((items, total))
}

#[tracing::instrument(skip(state))]
pub async fn get_shot(state: &AppState, owner_id: &str, shot_id: &str) -> Result<Shot, EditError> {
    let (o, id) = (owner_id.to_string(), shot_id.to_string());
    state
        .db
        .read(move |c| {
            let (row, project_id) = load_shot(c, &o, &id, false)?;
            shot_view(c, row, &project_id)
        })
        .await
}

// ---------------------------------------------------------------------------------------------
// Writes

/// The scene a new shot goes in: by id, by number (created if missing), or the last one
/// (created when the version has none).
fn resolve_scene(
    tx: &crate::db::sql::Connection,
    ids: &dyn IdSource,
    version_id: &str,
    scene_id: Option<&str>,
    scene_number: Option<u32>,
    now: &str,
) -> Result<String, EditError> {
    if let Some(id) = scene_id {
        let ok: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM scenes WHERE id = ?1 AND version_id = ?2)",
            params![id, version_id],
            |r| r.get(0),
        )?;
        return if ok {
            Ok(id.to_string())
        } else {
            Err(invalid(
                "scene_id",
                format!("'{id}' is not a scene of this version"),
            ))
        };
    }
    let existing: Option<String> = match scene_number {
        Some(0) => return Err(invalid("scene_number", "scene_number starts at 1")),
        Some(n) => tx
            .query_row(
                "SELECT id FROM scenes WHERE version_id = ?1 AND number = ?2 ORDER BY id LIMIT 1",
                params![version_id, n],
                |r| r.get(0),
            )
            .optional()?,
        None => tx
            .query_row(
                "SELECT id FROM scenes WHERE version_id = ?1 ORDER BY number DESC, id DESC LIMIT 1",
                [version_id],
                |r| r.get(0),
            )
            .optional()?,
    };
    if let Some(id) = existing {
        return Ok(id);
    }
    let number = scene_number.unwrap_or(1);
    let id = ids.new_id().to_string();
    tx.execute(
        "INSERT INTO scenes (id, version_id, number, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![id, version_id, number, now],
    )?;
    Ok(id)
}

/// The live key right after `key` (or the first key), skipping `except`.
fn next_key(
    c: &crate::db::sql::Connection,
    version_id: &str,
    key: Option<&str>,
    except: &str,
) -> crate::db::sql::Result<Option<String>> {
    c.query_row(
        "SELECT order_key FROM shots WHERE version_id = ?1 AND deleted_at IS NULL AND id != ?3
           AND (?2 IS NULL OR order_key > ?2)
         ORDER BY order_key LIMIT 1",
        params![version_id, key, except],
        |r| r.get(0),
    )
    .optional()
}

fn prev_key(
    c: &crate::db::sql::Connection,
    version_id: &str,
    key: &str,
    except: &str,
) -> crate::db::sql::Result<Option<String>> {
    c.query_row(
        "SELECT order_key FROM shots WHERE version_id = ?1 AND deleted_at IS NULL AND id != ?3
           AND order_key < ?2
         ORDER BY order_key DESC LIMIT 1",
        params![version_id, key, except],
        |r| r.get(0),
    )
    .optional()
}

#[tracing::instrument(skip(state, input))]
pub async fn create_shot(
    state: &AppState,
    owner_id: &str,
    input: NewShot,
) -> Result<Shot, EditError> {
    check_description(&input.description)?;
    check_dialogue(&input.dialogue)?;
    let shot_type = clean_optional("shot_type", input.shot_type.clone(), SHOT_TYPES)?.flatten();
    let camera_move =
        clean_optional("camera_move", input.camera_move.clone(), CAMERA_MOVES)?.flatten();
    let duration = input
        .duration
        .map(|d| duration_ms("duration", d))
        .transpose()?;
    if input.description.trim().is_empty() && input.dialogue.is_empty() {
        return Err(invalid(
            "description",
            "a shot needs a description or dialogue",
        ));
    }
    let duration = duration.unwrap_or_else(|| estimate_ms(&input.description, &input.dialogue));
    let now = rfc3339(state.clock.now());
    let (o, ids) = (owner_id.to_string(), state.ids.clone());
    state
        .db
        .write(move |tx| {
            let project_id = input.project_id.clone();
            crate::projects::load(tx, &o, &project_id).map_err(|e| match e {
                crate::projects::ProjectError::NotFound(id) => {
                    invalid("project_id", format!("project '{id}' not found"))
                }
                other => other.into(),
            })?;
            let version = match input.version_id.as_deref() {
                Some(v) => versions::load_version(tx, &o, &project_id, v).map_err(|e| match e {
                    EditError::NotFound { .. } => {
                        invalid("version_id", format!("'{v}' is not a version of this project"))
                    }
                    other => other,
                })?,
                None => versions::current_version_in_tx(tx, ids.as_ref(), &o, &project_id, &now)?,
            };
            let character_ids = check_characters(tx, &project_id, &input.character_ids)?;
            let (scene_id, key) = match input.after_id.as_deref() {
                Some(after) => {
                    let (row, p) = load_shot(tx, &o, after, false)
                        .map_err(|_| invalid("after_id", format!("shot '{after}' not found")))?;
                    if row.version_id != version.id || p != project_id {
                        return Err(invalid("after_id", "after_id is a shot of another version"));
                    }
                    let next = next_key(tx, &version.id, Some(&row.order_key), "")?;
                    (row.scene_id, order::between(Some(&row.order_key), next.as_deref()))
                }
                None => {
                    let scene_id = resolve_scene(
                        tx,
                        ids.as_ref(),
                        &version.id,
                        input.scene_id.as_deref(),
                        input.scene_number,
                        &now,
                    )?;
                    // The end of its scene: after the scene's last shot, before the next scene's first.
                    let last_in_scene: Option<String> = tx
                        .query_row(
                            "SELECT MAX(order_key) FROM shots WHERE scene_id = ?1 AND deleted_at IS NULL",
                            [&scene_id],
                            |r| r.get(0),
                        )?;
                    let after = match last_in_scene {
                        Some(k) => Some(k),
                        None => {
                            // An empty scene: after the last shot of any earlier-numbered scene.
                            tx.query_row(
                                "SELECT MAX(h.order_key) FROM shots h JOIN scenes s ON s.id = h.scene_id
                                 WHERE h.version_id = ?1 AND h.deleted_at IS NULL
                                   AND s.number <= (SELECT number FROM scenes WHERE id = ?2)",
                                params![version.id, scene_id],
                                |r| r.get(0),
                            )?
                        }
                    };
                    let next = next_key(tx, &version.id, after.as_deref(), "")?;
                    (scene_id, order::between(after.as_deref(), next.as_deref()))
                }
            };
            let kind = if input.dialogue.is_empty() {
                ShotKind::Action
            } else {
                ShotKind::Dialogue
            };
            let row = ShotRow {
                id: ids.new_id().to_string(),
                version_id: version.id.clone(),
                scene_id,
                order_key: key,
                kind,
                description: input.description.trim().to_string(),
                dialogue: input.dialogue,
                character_ids,
                shot_type,
                camera_move,
                duration_ms: duration,
                status: ShotStatus::Pending,
                keyframe_asset_id: None,
                clip_asset_id: None,
                source: "manual".into(),
                fingerprint: None,
                edited: false,
                created_at: now.clone(),
                updated_at: now,
                deleted_at: None,
                moved: false,
            };
            write_shot(tx, &row)?;
            shot_view(tx, row, &project_id)
        })
        .await
}

#[tracing::instrument(skip(state, patch))]
pub async fn update_shot(
    state: &AppState,
    owner_id: &str,
    shot_id: &str,
    patch: ShotPatch,
) -> Result<Shot, EditError> {
    if let Some(d) = &patch.description {
        check_description(d)?;
    }
    if let Some(lines) = &patch.dialogue {
        check_dialogue(lines)?;
    }
    let shot_type = clean_optional("shot_type", patch.shot_type.clone(), SHOT_TYPES)?;
    let camera_move = clean_optional("camera_move", patch.camera_move.clone(), CAMERA_MOVES)?;
    let duration = patch
        .duration
        .map(|d| duration_ms("duration", d))
        .transpose()?;
    let now = rfc3339(state.clock.now());
    let (o, id) = (owner_id.to_string(), shot_id.to_string());
    state
        .db
        .write(move |tx| {
            let (mut row, project_id) = load_shot(tx, &o, &id, false)?;
            if let Some(ids) = &patch.character_ids {
                row.character_ids = check_characters(tx, &project_id, ids)?;
            }
            if let Some(d) = patch.description {
                row.description = d;
            }
            if let Some(lines) = patch.dialogue {
                row.dialogue = lines;
            }
            if let Some(v) = shot_type {
                row.shot_type = v;
            }
            if let Some(v) = camera_move {
                row.camera_move = v;
            }
            if let Some(v) = patch.status {
                if !row.status.can_become(v) {
                    return Err(EditError::Conflict(format!(
                        "the shot is {}; it cannot become {v} (unlock it in the review first)",
                        row.status
                    )));
                }
                row.status = v;
            }
            if let Some(v) = duration {
                row.duration_ms = v;
            }
            row.edited = true;
            row.updated_at = now;
            write_shot(tx, &row)?;
            shot_view(tx, row, &project_id)
        })
        .await
}

/// Moves a shot to the trash (restorable).
#[tracing::instrument(skip(state))]
pub async fn delete_shot(
    state: &AppState,
    owner_id: &str,
    shot_id: &str,
) -> Result<DeletedShot, EditError> {
    let now = rfc3339(state.clock.now());
    let (o, id) = (owner_id.to_string(), shot_id.to_string());
    state
        .db
        .write(move |tx| {
            load_shot(tx, &o, &id, false)?;
            tx.execute(
                "UPDATE shots SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            Ok(DeletedShot {
                id,
                deleted_at: now,
            })
        })
        .await
}

/// Brings a trashed shot back where it was (its order key was kept). Restoring a live shot is a no-op.
#[tracing::instrument(skip(state))]
pub async fn restore_shot(
    state: &AppState,
    owner_id: &str,
    shot_id: &str,
) -> Result<Shot, EditError> {
    let now = rfc3339(state.clock.now());
    let (o, id) = (owner_id.to_string(), shot_id.to_string());
    state
        .db
        .write(move |tx| {
            let (mut row, project_id) = load_shot(tx, &o, &id, true)?;
            if row.deleted_at.is_some() {
                row.deleted_at = None;
                row.updated_at = now;
                write_shot(tx, &row)?;
            }
            shot_view(tx, row, &project_id)
        })
        .await
}

/// Moves one shot: only its order key (and scene, to match its new neighbour) change.
#[tracing::instrument(skip(state))]
pub async fn move_shot(
    state: &AppState,
    owner_id: &str,
    shot_id: &str,
    to: MoveShot,
) -> Result<Shot, EditError> {
    if to.after_id.is_some() && to.before_id.is_some() {
        return Err(invalid("before_id", "give after_id or before_id, not both"));
    }
    let now = rfc3339(state.clock.now());
    let (o, id) = (owner_id.to_string(), shot_id.to_string());
    state
        .db
        .write(move |tx| {
            let (mut row, project_id) = load_shot(tx, &o, &id, false)?;
            let neighbour = |field: &'static str, nid: &str| -> Result<ShotRow, EditError> {
                if nid == id {
                    return Err(invalid(field, "a shot cannot move next to itself"));
                }
                let (n, _) = load_shot(tx, &o, nid, false)
                    .map_err(|_| invalid(field, format!("shot '{nid}' not found")))?;
                if n.version_id != row.version_id {
                    return Err(invalid(field, "the shots are in different versions"));
                }
                Ok(n)
            };
            let (key, scene_id) = match (&to.after_id, &to.before_id) {
                (Some(after), _) => {
                    let a = neighbour("after_id", after)?;
                    let next = next_key(tx, &row.version_id, Some(&a.order_key), &id)?;
                    (
                        order::between(Some(&a.order_key), next.as_deref()),
                        a.scene_id,
                    )
                }
                (None, Some(before)) => {
                    let b = neighbour("before_id", before)?;
                    let prev = prev_key(tx, &row.version_id, &b.order_key, &id)?;
                    (
                        order::between(prev.as_deref(), Some(&b.order_key)),
                        b.scene_id,
                    )
                }
                (None, None) => {
                    let first = next_key(tx, &row.version_id, None, &id)?;
                    let scene = match &first {
                        Some(k) => tx.query_row(
                            "SELECT scene_id FROM shots WHERE version_id = ?1 AND order_key = ?2
                               AND deleted_at IS NULL LIMIT 1",
                            params![row.version_id, k],
                            |r| r.get(0),
                        )?,
                        None => row.scene_id.clone(),
                    };
                    (order::between(None, first.as_deref()), scene)
                }
            };
            row.order_key = key;
            row.scene_id = scene_id;
            row.moved = true;
            row.updated_at = now;
            write_shot(tx, &row)?;
            shot_view(tx, row, &project_id)
        })
        .await
}

/// Where to cut an action description: the requested char offset, or the sentence end nearest the
/// middle.
fn split_text(text: &str, at_char: Option<usize>) -> Result<(String, String), EditError> {
    let chars: Vec<char> = text.chars().collect();
    let cut = match at_char {
        Some(n) if n == 0 || n >= chars.len() => {
            return Err(invalid(
                "at_char",
                format!(
                    "at_char must be between 1 and {}",
                    chars.len().saturating_sub(1)
                ),
            ))
        }
        Some(n) => n,
        None => {
            let mid = chars.len() / 2;
            let ends: Vec<usize> = chars
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    *i + 1 < chars.len()
                        && matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '；' | ';')
                })
                .map(|(i, _)| i + 1)
                .collect();
            match ends.iter().min_by_key(|e| e.abs_diff(mid)) {
                Some(e) => *e,
                None if chars.len() >= 2 => mid,
                None => return Err(invalid("at_char", "the description is too short to split")),
            }
        }
    };
    let first: String = chars[..cut].iter().collect();
    let second: String = chars[cut..].iter().collect();
    Ok((first.trim().to_string(), second.trim().to_string()))
}

/// Splits a shot in two. The first part keeps the id (and the parser's fingerprint, so a re-parse
/// keeps it); the second is a new hand-made shot right after it. Durations split by text length.
#[tracing::instrument(skip(state))]
pub async fn split_shot(
    state: &AppState,
    owner_id: &str,
    shot_id: &str,
    at: SplitShot,
) -> Result<Vec<Shot>, EditError> {
    let now = rfc3339(state.clock.now());
    let (o, id, ids) = (owner_id.to_string(), shot_id.to_string(), state.ids.clone());
    state
        .db
        .write(move |tx| {
            let (mut first, project_id) = load_shot(tx, &o, &id, false)?;
            let mut second = first.clone();
            if first.dialogue.len() >= 2 && at.at_char.is_none() {
                let k = at.at_line.unwrap_or(first.dialogue.len() / 2);
                if k == 0 || k >= first.dialogue.len() {
                    return Err(invalid(
                        "at_line",
                        format!("at_line must be between 1 and {}", first.dialogue.len() - 1),
                    ));
                }
                second.dialogue = first.dialogue.split_off(k);
                let speaker = |lines: &[DialogueLine]| {
                    lines
                        .first()
                        .map(|l| {
                            format!(
                                "{}: {}",
                                l.character,
                                l.text.chars().take(40).collect::<String>()
                            )
                        })
                        .unwrap_or_default()
                };
                first.description = speaker(&first.dialogue);
                second.description = speaker(&second.dialogue);
            } else if at.at_line.is_some() {
                return Err(invalid(
                    "at_line",
                    "the shot has fewer than two dialogue lines",
                ));
            } else {
                let (a, b) = split_text(&first.description, at.at_char)?;
                first.description = a;
                second.description = b;
            }
            let weight = |s: &ShotRow| -> usize {
                s.description.chars().count()
                    + s.dialogue
                        .iter()
                        .map(|l| l.text.chars().count())
                        .sum::<usize>()
            };
            let (w1, w2) = (weight(&first).max(1), weight(&second).max(1));
            let total = first.duration_ms;
            first.duration_ms = ((total as f64) * w1 as f64 / (w1 + w2) as f64)
                .round()
                .max(1.0) as i64;
            second.duration_ms = (total - first.duration_ms).max(1);
            let next = next_key(tx, &first.version_id, Some(&first.order_key), &first.id)?;
            second.id = ids.new_id().to_string();
            second.order_key = order::between(Some(&first.order_key), next.as_deref());
            second.source = "manual".into();
            second.fingerprint = None;
            second.keyframe_asset_id = None;
            second.clip_asset_id = None;
            second.status = ShotStatus::Pending;
            second.created_at = now.clone();
            second.updated_at = now.clone();
            second.edited = true;
            first.edited = true;
            first.updated_at = now;
            write_shot(tx, &first)?;
            write_shot(tx, &second)?;
            Ok(vec![
                shot_view(tx, first, &project_id)?,
                shot_view(tx, second, &project_id)?,
            ])
        })
        .await
}

/// Merges the next shot into this one; the absorbed shot goes to the trash (restorable).
#[tracing::instrument(skip(state))]
pub async fn merge_shots(
    state: &AppState,
    owner_id: &str,
    shot_id: &str,
    with: MergeShots,
) -> Result<Shot, EditError> {
    let now = rfc3339(state.clock.now());
    let (o, id) = (owner_id.to_string(), shot_id.to_string());
    state
        .db
        .write(move |tx| {
            let (mut a, project_id) = load_shot(tx, &o, &id, false)?;
            let (mut b, _) = load_shot(tx, &o, &with.with_id, false)
                .map_err(|_| invalid("with_id", format!("shot '{}' not found", with.with_id)))?;
            if b.version_id != a.version_id || b.id == a.id {
                return Err(invalid(
                    "with_id",
                    "with_id must be another shot of the same version",
                ));
            }
            let next = next_key(tx, &a.version_id, Some(&a.order_key), &a.id)?;
            if next.as_deref() != Some(b.order_key.as_str()) {
                return Err(invalid(
                    "with_id",
                    "only the shot right after can be merged",
                ));
            }
            if b.scene_id != a.scene_id {
                return Err(invalid(
                    "with_id",
                    "the next shot opens another scene: shots of two scenes can't be merged",
                ));
            }
            // Chinese sentences join without a space; after a Latin sentence one stays.
            a.description = crate::script::join_sentences(&a.description, &b.description);
            a.dialogue.append(&mut b.dialogue.clone());
            for c in &b.character_ids {
                if !a.character_ids.contains(c) {
                    a.character_ids.push(c.clone());
                }
            }
            if a.kind == ShotKind::Action && !a.dialogue.is_empty() {
                a.kind = ShotKind::Dialogue;
            }
            a.duration_ms += b.duration_ms;
            a.edited = true;
            a.updated_at = now.clone();
            b.deleted_at = Some(now.clone());
            b.updated_at = now;
            write_shot(tx, &a)?;
            write_shot(tx, &b)?;
            shot_view(tx, a, &project_id)
        })
        .await
}

/// Whether the stored shot still is what the client saw (`expected` of a revert).
fn row_matches(row: &ShotRow, seen: &ShotState) -> bool {
    let text = |v: &Option<String>| v.as_deref().filter(|t| !t.is_empty()).map(str::to_string);
    row.kind.as_str() == seen.kind
        && row.description == seen.description
        && row.dialogue == seen.dialogue
        && row.character_ids == seen.character_ids
        && row.shot_type == text(&seen.shot_type)
        && row.camera_move == text(&seen.camera_move)
        && row.duration_ms == (seen.duration * 1000.0).round() as i64
        && row.edited == seen.edited
}

/// Puts a shot back as it was before a split, merge or edit (see [`RevertShot`]).
#[tracing::instrument(skip(state, input))]
pub async fn revert_shot(
    state: &AppState,
    owner_id: &str,
    shot_id: &str,
    input: RevertShot,
) -> Result<Shot, EditError> {
    let kind = match input.state.kind.as_str() {
        "action" => ShotKind::Action,
        "dialogue" => ShotKind::Dialogue,
        other => {
            return Err(invalid(
                "state.kind",
                format!("'{other}' is not one of: action, dialogue"),
            ))
        }
    };
    check_description(&input.state.description)?;
    check_dialogue(&input.state.dialogue)?;
    let shot_type = clean_optional("state.shot_type", input.state.shot_type.clone(), SHOT_TYPES)?;
    let camera_move = clean_optional(
        "state.camera_move",
        input.state.camera_move.clone(),
        CAMERA_MOVES,
    )?;
    let duration = duration_ms("state.duration", input.state.duration)?;
    let now = rfc3339(state.clock.now());
    let (o, id) = (owner_id.to_string(), shot_id.to_string());
    state
        .db
        .write(move |tx| {
            let (mut row, project_id) = load_shot(tx, &o, &id, false)?;
            if !row_matches(&row, &input.expected) {
                return Err(EditError::Conflict(format!(
                    "shot '{id}' changed since (updated {}); reload the storyboard",
                    row.updated_at
                )));
            }
            // Characters the shot has now (a merge added them) need not still be live.
            let ids = &input.state.character_ids;
            row.character_ids = if ids.iter().all(|c| row.character_ids.contains(c)) {
                let mut kept: Vec<String> = Vec::new();
                for c in ids {
                    if !kept.contains(c) {
                        kept.push(c.clone());
                    }
                }
                kept
            } else {
                check_characters(tx, &project_id, ids)?
            };
            let others = |field: &'static str,
                          list: &[String],
                          trashed: bool|
             -> Result<Vec<ShotRow>, EditError> {
                let mut rows = Vec::new();
                for other in list {
                    let (r, _) = load_shot(tx, &o, other, true)
                        .map_err(|_| invalid(field, format!("shot '{other}' not found")))?;
                    if r.version_id != row.version_id || r.id == row.id {
                        return Err(invalid(
                            field,
                            format!("shot '{other}' must be another shot of the same version"),
                        ));
                    }
                    if r.deleted_at.is_some() == trashed {
                        rows.push(r);
                    }
                }
                Ok(rows)
            };
            let restore = others("restore_ids", &input.restore_ids, true)?;
            let trash = others("trash_ids", &input.trash_ids, false)?;
            row.kind = kind;
            row.description = input.state.description;
            row.dialogue = input.state.dialogue;
            row.shot_type = shot_type.flatten();
            row.camera_move = camera_move.flatten();
            row.duration_ms = duration;
            row.edited = input.state.edited;
            row.updated_at = now.clone();
            write_shot(tx, &row)?;
            for mut r in restore {
                r.deleted_at = None;
                r.updated_at = now.clone();
                write_shot(tx, &r)?;
            }
            for mut r in trash {
                r.deleted_at = Some(now.clone());
                r.updated_at = now.clone();
                write_shot(tx, &r)?;
            }
            shot_view(tx, row, &project_id)
        })
        .await
}

fn clean_scene_text(
    field: &'static str,
    v: Option<String>,
) -> Result<Option<Option<String>>, EditError> {
    match v.map(|s| s.trim().to_string()) {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(Some(None)),
        Some(s) if s.chars().count() > 500 => Err(invalid(
            field,
            format!("{field} must be at most 500 characters"),
        )),
        Some(s) => Ok(Some(Some(s))),
    }
}

#[tracing::instrument(skip(state, input))]
pub async fn create_scene(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
    input: SceneInput,
) -> Result<Scene, EditError> {
    let heading = clean_scene_text("heading", input.heading)?.flatten();
    let location = clean_scene_text("location", input.location)?.flatten();
    let time_of_day = clean_scene_text("time_of_day", input.time_of_day)?.flatten();
    let now = rfc3339(state.clock.now());
    let (o, p, v, ids) = (
        owner_id.to_string(),
        project_id.to_string(),
        version_id.to_string(),
        state.ids.clone(),
    );
    state
        .db
        .write(move |tx| {
            versions::load_version(tx, &o, &p, &v)?;
            let id = ids.new_id().to_string();
            tx.execute(
                "INSERT INTO scenes (id, version_id, number, heading, location, time_of_day, created_at, updated_at)
                 VALUES (?1, ?2, (SELECT COALESCE(MAX(number), 0) + 1 FROM scenes WHERE version_id = ?2),
                         ?3, ?4, ?5, ?6, ?6)",
                params![id, v, heading, location, time_of_day, now],
            )?;
            Ok(load_scene(tx, &o, &id)?.0)
        })
        .await
}

#[tracing::instrument(skip(state, input))]
pub async fn update_scene(
    state: &AppState,
    owner_id: &str,
    scene_id: &str,
    input: SceneInput,
) -> Result<Scene, EditError> {
    let heading = clean_scene_text("heading", input.heading)?;
    let location = clean_scene_text("location", input.location)?;
    let time_of_day = clean_scene_text("time_of_day", input.time_of_day)?;
    let now = rfc3339(state.clock.now());
    let (o, id) = (owner_id.to_string(), scene_id.to_string());
    state
        .db
        .write(move |tx| {
            let (mut scene, _) = load_scene(tx, &o, &id)?;
            if let Some(v) = heading {
                scene.heading = v;
            }
            if let Some(v) = location {
                scene.location = v;
            }
            if let Some(v) = time_of_day {
                scene.time_of_day = v;
            }
            tx.execute(
                "UPDATE scenes SET heading = ?1, location = ?2, time_of_day = ?3, updated_at = ?4 WHERE id = ?5",
                params![scene.heading, scene.location, scene.time_of_day, now, id],
            )?;
            Ok(load_scene(tx, &o, &id)?.0)
        })
        .await
}

/// Deletes an empty scene (its trashed shots go with it); a scene with live shots is a 409.
#[tracing::instrument(skip(state))]
pub async fn delete_scene(
    state: &AppState,
    owner_id: &str,
    scene_id: &str,
) -> Result<Scene, EditError> {
    let (o, id) = (owner_id.to_string(), scene_id.to_string());
    state
        .db
        .write(move |tx| {
            let (scene, _) = load_scene(tx, &o, &id)?;
            if scene.shot_count > 0 {
                return Err(EditError::Conflict(format!(
                    "scene {} still has {} shots: move or delete them first",
                    scene.number, scene.shot_count
                )));
            }
            tx.execute("DELETE FROM shots WHERE scene_id = ?1", [&id])?;
            tx.execute("DELETE FROM scenes WHERE id = ?1", [&id])?;
            Ok(scene)
        })
        .await
}
