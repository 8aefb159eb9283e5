//! What syncs: each entity's table, how its rows belong to a project, and its editable fields
//! with the value a new row gets for a field not (yet) received. The list is the protocol's
//! (docs/SYNC.md, "Entities"); a field not listed here stays on its machine.
use serde_json::Value;

/// The field a tombstone is written to (`true`: the row is gone; `false`: it came back).
pub const DELETED: &str = "_deleted";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    OptText,
    Int,
    OptInt,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// The value (JSON) a new row takes when this field has not arrived.
    pub default: &'static str,
}

#[derive(Debug)]
pub struct Entity {
    pub name: &'static str,
    pub table: &'static str,
    /// Selects the project's rows of `table` (aliased `t`); `?1` is the project id.
    pub scope: &'static str,
    pub fields: &'static [Field],
    /// Set to the owning workspace (server) or the local owner (desktop) when a row is made.
    pub owner_column: Option<&'static str>,
    /// Set to the project id when a row is made.
    pub project_column: Option<&'static str>,
    /// Fields holding a blob's SHA-256: the blob travels before the row.
    pub blob_fields: &'static [&'static str],
}

const fn f(name: &'static str, kind: Kind, default: &'static str) -> Field {
    Field {
        name,
        kind,
        default,
    }
}

use Kind::*;

const IN_PROJECT: &str = "t.project_id = ?1";
const IN_VERSIONS: &str =
    "t.version_id IN (SELECT v.id FROM project_versions v WHERE v.project_id = ?1)";

/// In the order rows are written (parents first).
pub static ENTITIES: [Entity; 6] = [
    Entity {
        name: "project",
        table: "projects",
        scope: "t.id = ?1",
        fields: &[
            f("name", Text, "\"\""),
            f("description", Text, "\"\""),
            f("aspect_ratio", Text, "\"9:16\""),
            f("style", OptText, "null"),
            f("status", Text, "\"draft\""),
            f("current_version_id", OptText, "null"),
            f("deleted_at", OptText, "null"),
        ],
        owner_column: Some("owner_id"),
        project_column: None,
        blob_fields: &[],
    },
    Entity {
        name: "version",
        table: "project_versions",
        scope: IN_PROJECT,
        fields: &[
            f("number", Int, "1"),
            f("parent_version_id", OptText, "null"),
            f("note", Text, "\"\""),
            f("metadata", Text, "\"{}\""),
            f("stage", Text, "\"DRAFT\""),
            f("script_text", Text, "\"\""),
            f("breakdown", OptText, "null"),
            f("parsed_at", OptText, "null"),
        ],
        owner_column: None,
        project_column: Some("project_id"),
        blob_fields: &[],
    },
    Entity {
        name: "asset",
        table: "assets",
        scope: IN_PROJECT,
        fields: &[
            f("version_id", OptText, "null"),
            f("type", Text, "\"other\""),
            f("filename", Text, "\"\""),
            f("mime_type", Text, "\"application/octet-stream\""),
            f("size_bytes", Int, "0"),
            f("sha256", Text, "\"\""),
            f("width", OptInt, "null"),
            f("height", OptInt, "null"),
            f("thumbnail_sha256", OptText, "null"),
            f("metadata", Text, "\"{}\""),
            f("status", Text, "\"active\""),
            f("trashed_at", OptText, "null"),
        ],
        owner_column: Some("owner_id"),
        project_column: Some("project_id"),
        blob_fields: &["sha256", "thumbnail_sha256"],
    },
    Entity {
        name: "character",
        table: "characters",
        scope: IN_PROJECT,
        fields: &[
            f("name", Text, "\"\""),
            f("description", Text, "\"\""),
            f("voice", OptText, "null"),
            f("status", Text, "\"confirmed\""),
            f("image_asset_id", OptText, "null"),
            f("consistency_profile", Text, "\"{}\""),
            f("consistency_model_id", OptText, "null"),
            f("look_slot", Int, "0"),
            f("deleted_at", OptText, "null"),
        ],
        owner_column: None,
        project_column: Some("project_id"),
        blob_fields: &[],
    },
    Entity {
        name: "scene",
        table: "scenes",
        scope: IN_VERSIONS,
        fields: &[
            f("version_id", Text, "\"\""),
            f("number", Int, "0"),
            f("episode", OptInt, "null"),
            f("heading", OptText, "null"),
            f("source_number", OptText, "null"),
            f("location", OptText, "null"),
            f("time_of_day", OptText, "null"),
            f("int_ext", OptText, "null"),
        ],
        owner_column: None,
        project_column: None,
        blob_fields: &[],
    },
    Entity {
        name: "shot",
        table: "shots",
        scope: IN_VERSIONS,
        fields: &[
            f("version_id", Text, "\"\""),
            f("scene_id", Text, "\"\""),
            f("order_key", Text, "\"a0\""),
            f("kind", Text, "\"action\""),
            f("description", Text, "\"\""),
            f("dialogue", Text, "\"[]\""),
            f("character_ids", Text, "\"[]\""),
            f("shot_type", OptText, "null"),
            f("camera_move", OptText, "null"),
            f("duration_ms", Int, "3000"),
            f("status", Text, "\"pending\""),
            f("keyframe_asset_id", OptText, "null"),
            f("clip_asset_id", OptText, "null"),
            f("source", Text, "\"parser\""),
            f("fingerprint", OptText, "null"),
            f("edited", Int, "0"),
            f("moved", Int, "0"),
            f("deleted_at", OptText, "null"),
        ],
        owner_column: None,
        project_column: None,
        blob_fields: &[],
    },
];

/// The entity of conflict records in the change log (not a table row anyone edits).
pub const CONFLICT: &str = "conflict";
/// The entity of append-only events (review decisions): recorded once by id, never overwritten.
pub const EVENT: &str = "event";

pub fn entity(name: &str) -> Option<&'static Entity> {
    ENTITIES.iter().find(|e| e.name == name)
}

/// Where an entity's rows are written among others (unknown entities last).
pub fn rank(name: &str) -> usize {
    ENTITIES
        .iter()
        .position(|e| e.name == name)
        .unwrap_or(ENTITIES.len())
}

impl Entity {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A version's script merges line by line when two sides edited it at once (docs/SYNC.md).
pub fn merges_by_line(entity: &str, field: &str) -> bool {
    entity == "version" && field == "script_text"
}

/// Whether `value` fits the field (a mutation carrying one that does not is rejected).
pub fn fits(kind: Kind, value: &Value) -> bool {
    match kind {
        Text => value.is_string(),
        OptText => value.is_string() || value.is_null(),
        Int => value.is_i64(),
        OptInt => value.is_i64() || value.is_null(),
    }
}

/// The fields a reviewer may push: review decisions on shots, nothing else.
pub fn reviewer_may_write(entity: &str, field: &str) -> bool {
    entity == "shot" && matches!(field, "status" | "keyframe_asset_id")
}
