//! Project versions (docs/API-EDITOR.md) and the script each holds: upload, edit in place, parse.
//!
//! A version is a snapshot of script + breakdown (scenes, shots) + chosen assets. One version of a
//! project is current; a new version can branch from any version, copying all of it.
use crate::db::sql::{params, OptionalExtension, Row};
use crate::error::{CodedError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    assets::{self, Asset, AssetType, NewAsset},
    blobs::BlobRef,
    clock::{rfc3339, IdSource},
    db::DbError,
    paging::PageSpec,
    projects::{self, Project, ProjectError},
    script::{self, Breakdown, ScriptError},
    storyboard::{self, ParseResult},
    AppState,
};

pub mod samples;

/// Everything that can go wrong while editing a project's versions, script and storyboard.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{what} '{id}' not found")]
    NotFound { what: &'static str, id: String },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    /// Over a documented size limit (413 naming the field; docs/API-EDITOR.md "Script size").
    #[error("{field}: {message}")]
    TooLarge {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for EditError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } | Self::TooLarge { field, .. } => Some(field),
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

impl From<crate::db::sql::Error> for EditError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

impl From<ProjectError> for EditError {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::NotFound(id) => Self::NotFound {
                what: "project",
                id,
            },
            ProjectError::Invalid { field, message } => Self::Invalid { field, message },
            ProjectError::Db(db) => Self::Db(db),
        }
    }
}

pub fn invalid(field: &'static str, message: impl Into<String>) -> EditError {
    EditError::Invalid {
        field,
        message: message.into(),
    }
}

pub fn not_found(what: &'static str, id: &str) -> EditError {
    EditError::NotFound {
        what,
        id: id.to_string(),
    }
}

fn script_error(field: &'static str, e: ScriptError) -> EditError {
    match e {
        ScriptError::TooLarge { .. } => EditError::TooLarge {
            field,
            message: e.to_string(),
        },
        other => invalid(field, other.to_string()),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Version {
    pub id: String,
    pub project_id: String,
    /// 1, 2, 3… in order of creation.
    pub number: u32,
    /// The version this one was branched from.
    pub parent_version_id: Option<String>,
    pub note: String,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// `DRAFT`, `SCRIPT_UPLOADED`, `PARSED`, …
    pub stage: String,
    pub is_current: bool,
    pub script_asset_id: Option<String>,
    pub parsed_at: Option<String>,
    pub scene_count: u32,
    pub shot_count: u32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// The version to copy (default: the current one).
    pub from_version_id: Option<String>,
    pub note: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Option<serde_json::Value>,
    /// Make the new version current (default true).
    pub make_current: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScriptView {
    pub version_id: String,
    pub text: String,
    pub script_asset_id: Option<String>,
    pub parsed_at: Option<String>,
    /// Bumped by every save; pass it as `base_revision` when saving.
    pub revision: i64,
    /// The parser's output at the last parse (shots are in the storyboard), or null.
    pub breakdown: Option<Breakdown>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptEdit {
    pub text: String,
    /// Parse after saving (default true).
    pub parse: Option<bool>,
    /// The revision this text was based on. When the script has been saved since (another window),
    /// the save is refused with 409 instead of silently overwriting it.
    pub base_revision: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParseRequest {
    /// Parse this uploaded script asset instead of the version's current text.
    pub script_asset_id: Option<String>,
    /// Parse options other clients send (`maxDuration`, `style`); accepted and recorded, the built-in
    /// parser needs none.
    #[schema(value_type = Object)]
    pub config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScriptUpload {
    pub asset_id: String,
    pub filename: String,
    pub url: String,
    /// `utf-8`, `utf-16le`, `utf-16be` or `gb18030`.
    pub encoding: String,
    pub chars: u64,
    pub parse: ParseResult,
}

pub const MAX_NOTE_CHARS: usize = 2_000;

const VERSION_COLUMNS: &str =
    "v.id, v.project_id, v.number, v.parent_version_id, v.note, v.metadata, v.stage, \
     (p.current_version_id = v.id), v.script_asset_id, v.parsed_at, \
     (SELECT COUNT(*) FROM scenes s WHERE s.version_id = v.id), \
     (SELECT COUNT(*) FROM shots h WHERE h.version_id = v.id AND h.deleted_at IS NULL), \
     v.created_at, v.updated_at";

fn version_from_row(r: &Row<'_>) -> crate::db::sql::Result<Version> {
    let metadata: String = r.get(5)?;
    Ok(Version {
        id: r.get(0)?,
        project_id: r.get(1)?,
        number: r.get(2)?,
        parent_version_id: r.get(3)?,
        note: r.get(4)?,
        metadata: crate::db::json_column(
            "project_versions.metadata",
            &metadata,
            serde_json::Value::Null,
        ),
        stage: r.get(6)?,
        is_current: r.get::<_, Option<bool>>(7)?.unwrap_or(false),
        script_asset_id: r.get(8)?,
        parsed_at: r.get(9)?,
        scene_count: r.get(10)?,
        shot_count: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

/// The project's current version, creating version 1 for a project that has none (projects made
/// before versions existed). Runs in the caller's transaction.
pub(crate) fn ensure_current_in_tx(
    tx: &crate::db::sql::Connection,
    ids: &dyn IdSource,
    project_id: &str,
    now: &str,
) -> crate::db::sql::Result<String> {
    let current: Option<String> = tx
        .query_row(
            "SELECT current_version_id FROM projects WHERE id = ?1",
            [project_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if let Some(id) = current {
        return Ok(id);
    }
    let id = ids.new_id().to_string();
    let number: u32 = tx.query_row(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM project_versions WHERE project_id = ?1",
        [project_id],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO project_versions (id, project_id, number, script_text, created_at, updated_at)
         VALUES (?1, ?2, ?3, COALESCE((SELECT script FROM projects WHERE id = ?2), ''), ?4, ?4)",
        params![id, project_id, number, now],
    )?;
    tx.execute(
        "UPDATE projects SET current_version_id = ?1 WHERE id = ?2",
        params![id, project_id],
    )?;
    Ok(id)
}

/// Checks the project is the owner's and live, and the version belongs to it.
pub(crate) fn load_version(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
) -> Result<Version, EditError> {
    projects::load(c, owner_id, project_id)?;
    c.query_row(
        &format!(
            "SELECT {VERSION_COLUMNS} FROM project_versions v JOIN projects p ON p.id = v.project_id
             WHERE v.id = ?1 AND v.project_id = ?2"
        ),
        params![version_id, project_id],
        version_from_row,
    )
    .optional()?
    .ok_or_else(|| not_found("version", version_id))
}

/// The current version of an owned project (created if missing).
pub(crate) fn current_version_in_tx(
    tx: &crate::db::sql::Connection,
    ids: &dyn IdSource,
    owner_id: &str,
    project_id: &str,
    now: &str,
) -> Result<Version, EditError> {
    projects::load(tx, owner_id, project_id)?;
    let id = ensure_current_in_tx(tx, ids, project_id, now)?;
    load_version(tx, owner_id, project_id, &id)
}

/// The current version of an owned project, or `None` when it has none yet (a project from before
/// versions): for reads, which never create it.
pub(crate) fn current_version(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    project_id: &str,
) -> Result<Option<Version>, EditError> {
    match projects::load(c, owner_id, project_id)?.current_version_id {
        Some(id) => load_version(c, owner_id, project_id, &id).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn list_page(
    c: &crate::db::sql::Connection,
    project_id: &str,
    page: PageSpec,
) -> Result<(Vec<Version>, u64), EditError> {
    let total: i64 = c.query_row(
        "SELECT COUNT(*) FROM project_versions WHERE project_id = ?1",
        [project_id],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare(&format!(
        "SELECT {VERSION_COLUMNS} FROM project_versions v JOIN projects p ON p.id = v.project_id
         WHERE v.project_id = ?1 ORDER BY v.number DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let items = stmt
        .query_map(
            params![project_id, page.limit, page.offset as i64],
            version_from_row,
        )?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok((items, total as u64))
}

/// A page of the project's versions, newest first. A read; only a project from before versions
/// takes the writer, once, to get its version 1.
#[tracing::instrument(skip(state))]
pub async fn list(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    page: PageSpec,
) -> Result<(Vec<Version>, u64), EditError> {
    let (o, p) = (owner_id.to_string(), project_id.to_string());
    let read = state
        .db
        .read_snapshot(move |c| match current_version(c, &o, &p)? {
            Some(_) => list_page(c, &p, page).map(Some),
            None => Ok(None),
        })
        .await?;
    if let Some(found) = read {
        return Ok(found);
    }
    let (owner_id, project_id, ids) = (
        owner_id.to_string(),
        project_id.to_string(),
        state.ids.clone(),
    );
    let now = rfc3339(state.clock.now());
    state
        .db
        .write(move |tx| {
            current_version_in_tx(tx, ids.as_ref(), &owner_id, &project_id, &now)?;
            list_page(tx, &project_id, page)
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn get(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
) -> Result<Version, EditError> {
    let (o, p, v) = (
        owner_id.to_string(),
        project_id.to_string(),
        version_id.to_string(),
    );
    state.db.read(move |c| load_version(c, &o, &p, &v)).await
}

/// Branches a new version from `from_version_id` (default: current), copying script, breakdown,
/// scenes and shots (new ids, same order keys and edits).
#[tracing::instrument(skip(state, input))]
pub async fn create(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    input: NewVersion,
) -> Result<Version, EditError> {
    let note = input.note.unwrap_or_default();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid(
            "note",
            format!("note must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let metadata = input.metadata.unwrap_or_else(|| serde_json::json!({}));
    if !metadata.is_object() {
        return Err(invalid("metadata", "metadata must be a JSON object"));
    }
    let make_current = input.make_current.unwrap_or(true);
    let now = rfc3339(state.clock.now());
    let (owner_id, project_id, ids) = (
        owner_id.to_string(),
        project_id.to_string(),
        state.ids.clone(),
    );
    state
        .db
        .write(move |tx| {
            let current = current_version_in_tx(tx, ids.as_ref(), &owner_id, &project_id, &now)?;
            let source = match input.from_version_id.as_deref() {
                None => current,
                Some(id) => load_version(tx, &owner_id, &project_id, id).map_err(|e| match e {
                    EditError::NotFound { .. } => invalid(
                        "from_version_id",
                        format!("version '{id}' is not a version of this project"),
                    ),
                    other => other,
                })?,
            };
            let id = ids.new_id().to_string();
            let number: u32 = tx.query_row(
                "SELECT MAX(number) + 1 FROM project_versions WHERE project_id = ?1",
                [&project_id],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO project_versions
                   (id, project_id, number, parent_version_id, note, metadata, stage, script_text,
                    script_asset_id, breakdown, parsed_at, created_at, updated_at)
                 SELECT ?1, project_id, ?2, id, ?3, ?4, stage, script_text, script_asset_id, breakdown,
                        parsed_at, ?5, ?5
                 FROM project_versions WHERE id = ?6",
                params![id, number, note, metadata.to_string(), now, source.id],
            )?;
            storyboard::copy_version_in_tx(tx, ids.as_ref(), &source.id, &id, &now)?;
            if make_current {
                tx.execute(
                    "UPDATE projects SET current_version_id = ?1, updated_at = ?2 WHERE id = ?3",
                    params![id, now, project_id],
                )?;
                sync_project_script(tx, &project_id)?;
            }
            load_version(tx, &owner_id, &project_id, &id)
        })
        .await
}

/// Keeps `projects.script` (the project's own `script` field) equal to the current version's script.
fn sync_project_script(
    tx: &crate::db::sql::Connection,
    project_id: &str,
) -> crate::db::sql::Result<()> {
    tx.execute(
        "UPDATE projects SET script = (SELECT script_text FROM project_versions
                                       WHERE id = projects.current_version_id)
         WHERE id = ?1",
        [project_id],
    )?;
    Ok(())
}

#[tracing::instrument(skip(state))]
pub async fn set_current(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
) -> Result<Project, EditError> {
    let now = rfc3339(state.clock.now());
    let (o, p, v) = (
        owner_id.to_string(),
        project_id.to_string(),
        version_id.to_string(),
    );
    state
        .db
        .write(move |tx| {
            load_version(tx, &o, &p, &v)?;
            tx.execute(
                "UPDATE projects SET current_version_id = ?1, updated_at = ?2 WHERE id = ?3",
                params![v, now, p],
            )?;
            sync_project_script(tx, &p)?;
            Ok(projects::load(tx, &o, &p)?)
        })
        .await
}

fn load_breakdown(raw: Option<String>) -> Option<Breakdown> {
    crate::db::json_column_opt("project_versions.breakdown", raw.as_deref())
}

#[tracing::instrument(skip(state))]
pub async fn script(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
) -> Result<ScriptView, EditError> {
    let (o, p, v) = (
        owner_id.to_string(),
        project_id.to_string(),
        version_id.to_string(),
    );
    state
        .db
        .read(move |c| {
            load_version(c, &o, &p, &v)?;
            let (text, asset, parsed_at, breakdown, revision) = c.query_row(
                "SELECT script_text, script_asset_id, parsed_at, breakdown, script_revision
                 FROM project_versions WHERE id = ?1",
                [&v],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )?;
            Ok(ScriptView {
                version_id: v,
                text,
                script_asset_id: asset,
                parsed_at,
                revision,
                breakdown: load_breakdown(breakdown),
            })
        })
        .await
}

fn check_script_text(text: &str) -> Result<(), EditError> {
    if text.len() > script::MAX_SCRIPT_BYTES {
        return Err(script_error(
            "text",
            ScriptError::TooLarge {
                size: text.len(),
                limit: script::MAX_SCRIPT_BYTES,
            },
        ));
    }
    if text.contains('\0') {
        return Err(invalid(
            "text",
            "the script must not contain NUL characters",
        ));
    }
    Ok(())
}

/// Parses `text` off the async threads (a large script takes milliseconds, not microseconds).
async fn parse_text(text: String) -> Result<Option<Breakdown>, EditError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    tokio::task::spawn_blocking(move || script::parse(&text))
        .await
        .map_err(|e| EditError::Db(DbError::Task(e.to_string())))?
        .map(Some)
        .map_err(|e| script_error("text", e))
}

/// Saves the version's script and, unless `parse` is false, re-parses it into the storyboard.
#[tracing::instrument(skip(state, edit), fields(chars = edit.text.len()))]
pub async fn save_script(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
    edit: ScriptEdit,
) -> Result<ParseResult, EditError> {
    check_script_text(&edit.text)?;
    let breakdown = if edit.parse.unwrap_or(true) {
        parse_text(edit.text.clone()).await?
    } else {
        None
    };
    let parse = edit.parse.unwrap_or(true);
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
            let version = load_version(tx, &o, &p, &v)?;
            let revision: i64 = tx.query_row(
                "SELECT script_revision FROM project_versions WHERE id = ?1",
                [&v],
                |r| r.get(0),
            )?;
            if let Some(base) = edit.base_revision.filter(|b| *b != revision) {
                return Err(EditError::Conflict(format!(
                    "the script was saved elsewhere (revision {revision}; this edit is based on \
                     revision {base}): reload it before saving, so neither change is lost"
                )));
            }
            // Saving the same text (a re-parse, a workflow's parse step) is not a new revision, so an
            // editor open elsewhere is not told its text is stale.
            tx.execute(
                "UPDATE project_versions SET
                        script_revision = script_revision + CASE WHEN script_text != ?1 THEN 1 ELSE 0 END,
                        script_text = ?1, updated_at = ?2
                 WHERE id = ?3",
                params![edit.text, now, v],
            )?;
            if version.is_current {
                sync_project_script(tx, &p)?;
            }
            if !parse {
                let mut result = ParseResult::unparsed(&v);
                result.revision = tx.query_row(
                    "SELECT script_revision FROM project_versions WHERE id = ?1",
                    [&v],
                    |r| r.get(0),
                )?;
                return Ok(result);
            }
            storyboard::apply_breakdown_in_tx(tx, ids.as_ref(), &p, &v, breakdown.as_ref(), &now)
        })
        .await
}

/// Stores an uploaded script file as an `original_script` asset, makes it the version's script and
/// parses it. The blob is already in the store (streamed by the upload extractor).
#[tracing::instrument(skip(state, blob))]
pub async fn upload_script(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
    filename: &str,
    blob: BlobRef,
) -> Result<(ScriptUpload, Asset), EditError> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(
        ext.as_str(),
        "txt" | "fountain" | "md" | "markdown" | "spmd" | "docx"
    ) {
        return Err(invalid(
            "file",
            format!("'{filename}' is not a script file: expected .txt, .fountain, .md or .docx"),
        ));
    }
    let docx = ext == "docx";
    let limit = if docx {
        script::MAX_DOCX_BYTES
    } else {
        script::MAX_SCRIPT_BYTES
    };
    if blob.size as usize > limit {
        return Err(script_error(
            "file",
            ScriptError::TooLarge {
                size: blob.size as usize,
                limit,
            },
        ));
    }
    // Check the project before decoding anything.
    get(state, owner_id, project_id, version_id).await?;
    let bytes = {
        let blobs = state.blobs.clone();
        let sha = blob.sha256.clone();
        tokio::task::spawn_blocking(move || blobs.read(&sha))
            .await
            .map_err(|e| EditError::Db(DbError::Task(e.to_string())))?
            .map_err(|e| EditError::Db(DbError::Task(e.to_string())))?
    };
    let (text, encoding) = if docx {
        // A Word document's XML is UTF-8.
        script::decode_docx(&bytes).map(|t| (t, "utf-8"))
    } else {
        script::decode_script_detected(&bytes)
    }
    .map_err(|e| script_error("file", e))?;
    let chars = text.chars().count() as u64;
    let breakdown = parse_text(text.clone()).await?;
    let mime = match ext.as_str() {
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "md" | "markdown" => "text/markdown; charset=utf-8",
        "fountain" | "spmd" => "text/x-fountain",
        _ => "text/plain",
    };
    let now = rfc3339(state.clock.now());
    let asset_id = state.ids.new_id().to_string();
    let new_asset = NewAsset {
        owner_id: owner_id.to_string(),
        project_id: Some(project_id.to_string()),
        version_id: Some(version_id.to_string()),
        kind: AssetType::OriginalScript,
        filename: filename.to_string(),
        mime_type: mime.to_string(),
        blob,
        width: None,
        height: None,
        thumbnail_sha256: None,
        metadata: serde_json::json!({ "source": "upload", "encoding": encoding, "chars": chars }),
    };
    let (o, p, v, ids) = (
        owner_id.to_string(),
        project_id.to_string(),
        version_id.to_string(),
        state.ids.clone(),
    );
    let filename = filename.to_string();
    state
        .db
        .write(move |tx| {
            let version = load_version(tx, &o, &p, &v)?;
            let asset = assets::insert_in_tx(tx, &asset_id, &now, &new_asset)?;
            tx.execute(
                "UPDATE project_versions SET script_text = ?1, script_asset_id = ?2,
                        stage = 'SCRIPT_UPLOADED', updated_at = ?3,
                        script_revision = script_revision + 1
                 WHERE id = ?4",
                params![text, asset_id, now, v],
            )?;
            if version.is_current {
                sync_project_script(tx, &p)?;
            }
            let parse = storyboard::apply_breakdown_in_tx(
                tx,
                ids.as_ref(),
                &p,
                &v,
                breakdown.as_ref(),
                &now,
            )?;
            Ok((
                ScriptUpload {
                    asset_id: asset_id.clone(),
                    filename,
                    url: asset.url.clone(),
                    encoding: encoding.to_string(),
                    chars,
                    parse,
                },
                asset,
            ))
        })
        .await
}

/// Re-parses the version's script, or an uploaded script asset of the project (`…/script/parse`).
#[tracing::instrument(skip(state, req))]
pub async fn parse_version(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
    req: ParseRequest,
) -> Result<ParseResult, EditError> {
    let view = script(state, owner_id, project_id, version_id).await?;
    let text = match req.script_asset_id.as_deref() {
        None => view.text,
        Some(asset_id) => {
            let (o, p, a) = (
                owner_id.to_string(),
                project_id.to_string(),
                asset_id.to_string(),
            );
            let sha: Option<String> = state
                .db
                .read(move |c| {
                    c.query_row(
                        "SELECT sha256 FROM assets WHERE id = ?1 AND owner_id = ?2 AND project_id = ?3
                           AND status = 'active' AND type IN ('original_script', 'storyboard_script')",
                        params![a, o, p],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(EditError::from)
                })
                .await?;
            let sha = sha.ok_or_else(|| {
                invalid(
                    "script_asset_id",
                    format!("'{asset_id}' is not a script asset of this project"),
                )
            })?;
            let blobs = state.blobs.clone();
            let bytes = tokio::task::spawn_blocking(move || blobs.read(&sha))
                .await
                .map_err(|e| EditError::Db(DbError::Task(e.to_string())))?
                .map_err(|e| EditError::Db(DbError::Task(e.to_string())))?;
            // An uploaded .docx is kept as the document itself.
            if script::is_zip(&bytes) {
                script::decode_docx(&bytes)
            } else {
                script::decode_script(&bytes)
            }
            .map_err(|e| script_error("script_asset_id", e))?
        }
    };
    save_script(
        state,
        owner_id,
        project_id,
        version_id,
        ScriptEdit {
            text,
            parse: Some(true),
            base_revision: None,
        },
    )
    .await
}

/// Parses text without storing anything (the editor's live breakdown).
#[tracing::instrument(skip(text), fields(chars = text.len()))]
pub async fn preview(text: String) -> Result<Breakdown, EditError> {
    check_script_text(&text)?;
    if text.trim().is_empty() {
        return Err(invalid("text", "the script is empty"));
    }
    Ok(parse_text(text).await?.expect("non-empty text parses"))
}

/// Creates a project whose version 1 holds `text` as an uploaded `original_script` asset named
/// `filename`, parsed (samples, imports).
#[tracing::instrument(skip(state, text))]
pub async fn create_project_with_script(
    state: &AppState,
    owner_id: &str,
    name: &str,
    description: &str,
    filename: &str,
    text: &str,
) -> Result<Project, EditError> {
    let project = projects::create(
        state,
        owner_id,
        projects::NewProject {
            name: name.to_string(),
            description: Some(description.to_string()),
            aspect_ratio: None,
            style: None,
        },
    )
    .await?;
    let version_id = project
        .current_version_id
        .clone()
        .expect("new projects have a current version");
    let blob = {
        let (blobs, bytes) = (state.blobs.clone(), text.as_bytes().to_vec());
        tokio::task::spawn_blocking(move || blobs.put_bytes(&bytes))
            .await
            .map_err(|e| EditError::Db(DbError::Task(e.to_string())))?
            .map_err(|e| EditError::Db(DbError::Task(e.to_string())))?
    };
    upload_script(state, owner_id, &project.id, &version_id, filename, blob).await?;
    Ok(projects::get(state, owner_id, &project.id).await?)
}
