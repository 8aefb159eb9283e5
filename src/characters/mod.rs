//! Characters (docs/API-EDITOR.md): name, description, voice, reference images and a consistency
//! profile.
//! Characters the parser finds are *proposed* (status `proposed`) and never duplicated.
use crate::error::{CodedError, ErrorCode};
use std::collections::BTreeMap;

use crate::db::sql::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{
    assets::{self, AssetError, AssetType, NewAsset},
    blobs::BlobRef,
    clock::{rfc3339, IdSource},
    db::{casefold, DbError},
    media,
    paging::PageSpec,
    AppState,
};

/// Makes sure every name has a live character in the project: existing ones (matched
/// case-insensitively, proposed or confirmed) are reused, missing ones are added as `proposed`.
/// Returns name → character id. Runs inside the caller's transaction.
pub fn propose_in_tx(
    tx: &crate::db::sql::Connection,
    ids: &dyn IdSource,
    project_id: &str,
    names: &[String],
    now: &str,
) -> crate::db::sql::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for name in names {
        let name = name.trim();
        if name.is_empty() || out.contains_key(name) {
            continue;
        }
        let existing: Option<String> = tx
            .query_row(
                "SELECT id FROM characters
                 WHERE project_id = ?1 AND name_key = ?2 AND deleted_at IS NULL",
                params![project_id, casefold(name)],
                |r| r.get(0),
            )
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id = ids.new_id().to_string();
                tx.execute(
                    &format!(
                        "INSERT INTO characters (id, project_id, name, name_key, status, look_slot,
                                                 created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?5, 'proposed', {NEXT_SLOT}, ?4, ?4)"
                    ),
                    params![id, project_id, name, now, casefold(name)],
                )?;
                id
            }
        };
        out.insert(name.to_string(), id);
    }
    Ok(out)
}

/// The look slot of a new character of project `?2`: one past the highest ever given in the
/// project (deleted characters keep theirs, so a slot is never reused and no look ever changes).
const NEXT_SLOT: &str =
    "(SELECT COALESCE(MAX(look_slot) + 1, 0) FROM characters WHERE project_id = ?2)";

// ---------------------------------------------------------------------------------------------
// The characters service: CRUD, reference images, confirmation, the built-in consistency model.

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_VOICE_CHARS: usize = 200;
pub const MAX_PROFILE_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CharacterStatus {
    /// Found by the script parser, not yet accepted.
    Proposed,
    /// Accepted, or created by hand.
    Confirmed,
}

impl CharacterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Confirmed => "confirmed",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Character {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub voice: Option<String>,
    pub status: CharacterStatus,
    /// The character's place in its project's cast, given at creation and never reused: the
    /// offline animatic gives every slot its own figure colours, so no two characters of a
    /// project are drawn alike (docs/API-EDITOR.md).
    pub look_slot: u32,
    /// The main reference image: the one chosen (`image_asset_id` in a PATCH), else the first
    /// active one. `None` when the character has no active reference image.
    pub image_asset_id: Option<String>,
    /// The main reference image (the first one added, unless chosen otherwise).
    pub image_url: Option<String>,
    pub thumbnail_url: Option<String>,
    /// Active `character_image` assets of this character, oldest first.
    pub reference_asset_ids: Vec<String>,
    /// `{seed, palette, reference_asset_ids, provider, model_id}` once a model was made; `{}` before.
    #[schema(value_type = Object)]
    pub consistency_profile: serde_json::Value,
    pub consistency_model_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewCharacter {
    pub project_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub voice: Option<String>,
}

/// Fields to change; absent fields stay. An empty `voice` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CharacterPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub voice: Option<String>,
    pub status: Option<CharacterStatus>,
    /// Replaces the whole profile; must be a JSON object.
    #[schema(value_type = Option<Object>)]
    pub consistency_profile: Option<serde_json::Value>,
    /// Makes another of `reference_asset_ids` the main image.
    pub image_asset_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedCharacter {
    pub message: String,
    pub id: String,
    pub deleted_at: String,
}

/// The answer of `POST /characters/{id}/consistency-model`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsistencyModel {
    pub character_id: String,
    pub model_id: String,
    /// `ready`: the built-in model is made at once.
    pub status: String,
    /// Seconds spent.
    pub processing_time: f64,
    pub created_at: String,
    #[schema(value_type = Object)]
    pub profile: serde_json::Value,
}

/// An image that arrived with a request (already in the blob store).
#[derive(Debug, Clone)]
pub struct ImageUpload {
    /// The form field, named by errors about the file.
    pub field: String,
    pub filename: String,
    pub blob: BlobRef,
}

#[derive(Debug, thiserror::Error)]
pub enum CharacterError {
    #[error("{message}")]
    NotFound {
        field: Option<&'static str>,
        message: String,
    },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for CharacterError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::Asset(e) => e.code(),
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::NotFound { field, .. } | Self::Conflict { field, .. } => *field,
            Self::Invalid { field, .. } => Some(field),
            Self::Asset(e) => e.field(),
            Self::Db(_) => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            Self::Asset(e) => e.detail(),
            _ => self.to_string(),
        }
    }
}

impl From<crate::db::sql::Error> for CharacterError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> CharacterError {
    CharacterError::Invalid {
        field,
        message: message.into(),
    }
}

fn not_found(id: &str) -> CharacterError {
    CharacterError::NotFound {
        field: None,
        message: format!("character '{id}' not found"),
    }
}

impl From<crate::validate::Invalid> for CharacterError {
    fn from(e: crate::validate::Invalid) -> Self {
        invalid(e.field, e.message)
    }
}

fn clean_name(name: &str) -> Result<String, CharacterError> {
    Ok(crate::validate::name("name", name, MAX_NAME_CHARS)?)
}

fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), CharacterError> {
    Ok(crate::validate::max_chars(field, value, max)?)
}

fn clean_voice(voice: Option<&str>) -> Result<Option<String>, CharacterError> {
    Ok(crate::validate::optional_text(
        "voice",
        voice,
        MAX_VOICE_CHARS,
    )?)
}

const COLUMNS: &str =
    "c.id, c.project_id, c.name, c.description, c.voice, c.status, c.image_asset_id, \
     c.consistency_profile, c.consistency_model_id, c.created_at, c.updated_at, c.look_slot";

/// Characters joined to their owner's live project.
const FROM: &str = "characters c JOIN projects p ON p.id = c.project_id AND p.deleted_at IS NULL";

/// Each character's look slot in a project (see [`Character::look_slot`]), deleted ones included.
pub fn look_slots_in(
    c: &crate::db::sql::Connection,
    project_id: &str,
) -> crate::db::sql::Result<std::collections::HashMap<String, u32>> {
    let mut stmt =
        c.prepare_cached("SELECT id, look_slot FROM characters WHERE project_id = ?1")?;
    let rows = stmt.query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// [`look_slots_in`] on a reader.
#[tracing::instrument(skip(state))]
pub async fn look_slots(
    state: &AppState,
    project_id: &str,
) -> Result<std::collections::HashMap<String, u32>, DbError> {
    let project_id = project_id.to_string();
    state
        .db
        .read(move |c| look_slots_in(c, &project_id).map_err(DbError::from))
        .await
}

fn from_row(r: &Row<'_>) -> crate::db::sql::Result<Character> {
    let image: Option<String> = r.get(6)?;
    let profile: String = r.get(7)?;
    Ok(Character {
        id: r.get(0)?,
        project_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        voice: r.get(4)?,
        status: if r.get::<_, String>(5)? == "proposed" {
            CharacterStatus::Proposed
        } else {
            CharacterStatus::Confirmed
        },
        look_slot: r.get(11)?,
        // Checked against the active references by `with_references`.
        image_asset_id: image,
        thumbnail_url: None,
        image_url: None,
        reference_asset_ids: Vec::new(),
        consistency_profile: serde_json::from_str(&profile)
            .unwrap_or_else(|_| serde_json::json!({})),
        consistency_model_id: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

/// Active reference images of a character, oldest first: (asset id, sha256, thumbnail sha256).
fn references(
    c: &crate::db::sql::Connection,
    character_id: &str,
) -> crate::db::sql::Result<Vec<(String, String, Option<String>)>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, sha256, thumbnail_sha256 FROM assets
         WHERE type = 'character_image' AND status = 'active'
           AND json_extract(metadata, '$.character_id') = ?1
         ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([character_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// Fills in the reference images and the main one: the chosen image while it is active, else the
/// first active reference (a trashed main image no longer leaves the character without one).
fn with_references(
    c: &crate::db::sql::Connection,
    mut ch: Character,
) -> crate::db::sql::Result<Character> {
    let refs = references(c, &ch.id)?;
    let main = refs
        .iter()
        .find(|(id, _, _)| ch.image_asset_id.as_deref() == Some(id.as_str()))
        .or(refs.first());
    ch.image_asset_id = main.map(|(id, _, _)| id.clone());
    ch.image_url = main.map(|(id, _, _)| format!("/api/v1/assets/{id}/download"));
    ch.thumbnail_url = main
        .filter(|(_, _, thumb)| thumb.is_some())
        .map(|(id, _, _)| format!("/api/v1/assets/{id}/thumbnail"));
    ch.reference_asset_ids = refs.into_iter().map(|(id, _, _)| id).collect();
    Ok(ch)
}

/// The SHA-256 of a character's main reference image (as [`Character::image_asset_id`] picks it),
/// for image models that take references.
pub fn main_image_sha_in(
    c: &crate::db::sql::Connection,
    character_id: &str,
) -> crate::db::sql::Result<Option<String>> {
    let chosen: Option<String> = c
        .query_row(
            "SELECT image_asset_id FROM characters WHERE id = ?1",
            [character_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let refs = references(c, character_id)?;
    let main = refs
        .iter()
        .find(|(id, _, _)| chosen.as_deref() == Some(id.as_str()))
        .or(refs.first());
    Ok(main.map(|(_, sha, _)| sha.clone()))
}

/// A live character of one of the owner's live projects.
fn load(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    id: &str,
) -> Result<Character, CharacterError> {
    let ch = c
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM {FROM}
                 WHERE c.id = ?1 AND p.owner_id = ?2 AND c.deleted_at IS NULL"
            ),
            params![id, owner_id],
            from_row,
        )
        .optional()?
        .ok_or_else(|| not_found(id))?;
    Ok(with_references(c, ch)?)
}

fn check_project(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    project_id: &str,
) -> Result<(), CharacterError> {
    assets::check_project(c, owner_id, project_id).map_err(|_| CharacterError::NotFound {
        field: Some("project_id"),
        message: format!("project '{project_id}' not found"),
    })
}

/// 409 naming `name` when another live character of the project has it (case-insensitively for
/// every script, with the same key as the unique index).
fn check_unique_name(
    c: &crate::db::sql::Connection,
    project_id: &str,
    name: &str,
    except_id: Option<&str>,
) -> Result<(), CharacterError> {
    let taken: Option<String> = c
        .query_row(
            "SELECT name FROM characters
             WHERE project_id = ?1 AND name_key = ?2 AND deleted_at IS NULL
               AND (?3 IS NULL OR id <> ?3)",
            params![project_id, casefold(name), except_id],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(existing) => Err(CharacterError::Conflict {
            field: Some("name"),
            message: format!("the project already has a character named '{existing}'"),
        }),
        None => Ok(()),
    }
}

/// Probes an image for a character (422 naming its field when it is not a usable image).
async fn probe_image(
    state: &AppState,
    image: &ImageUpload,
) -> Result<assets::Probed, CharacterError> {
    Ok(assets::probe_blob(state, &image.blob, &image.filename, true, &image.field).await?)
}

fn image_asset(
    owner_id: &str,
    project_id: &str,
    character_id: &str,
    image: &ImageUpload,
    probed: &assets::Probed,
) -> NewAsset {
    NewAsset {
        owner_id: owner_id.to_string(),
        project_id: Some(project_id.to_string()),
        version_id: None,
        kind: AssetType::CharacterImage,
        filename: image.filename.clone(),
        mime_type: probed.mime_type.clone(),
        blob: image.blob.clone(),
        width: probed.width,
        height: probed.height,
        thumbnail_sha256: probed.thumbnail_sha256.clone(),
        metadata: serde_json::json!({"source": "upload", "character_id": character_id}),
    }
}

/// Drops the stored files of a refused request when nothing else uses them.
async fn discard(state: &AppState, image: Option<&ImageUpload>, probed: Option<&assets::Probed>) {
    let mut shas: Vec<String> = image.map(|i| i.blob.sha256.clone()).into_iter().collect();
    shas.extend(probed.and_then(|p| p.thumbnail_sha256.clone()));
    assets::discard_unreferenced(state, shas).await;
}

/// Creates a confirmed character, with its first reference image when one is given.
#[tracing::instrument(skip(state, input, image), fields(name = %input.name, with_image = image.is_some()))]
pub async fn create(
    state: &AppState,
    owner_id: &str,
    input: NewCharacter,
    image: Option<ImageUpload>,
) -> Result<Character, CharacterError> {
    let result = create_inner(state, owner_id, input, image.as_ref()).await;
    if let Err((_, probed)) = &result {
        discard(state, image.as_ref(), probed.as_ref()).await;
    }
    result.map_err(|(e, _)| e)
}

type WithProbe<T> = Result<T, (CharacterError, Option<assets::Probed>)>;

async fn create_inner(
    state: &AppState,
    owner_id: &str,
    input: NewCharacter,
    image: Option<&ImageUpload>,
) -> WithProbe<Character> {
    let checked = (|| {
        let name = clean_name(&input.name)?;
        let description = input.description.clone().unwrap_or_default();
        check_len("description", description.trim(), MAX_DESCRIPTION_CHARS)?;
        let voice = clean_voice(input.voice.as_deref())?;
        Ok((name, description.trim().to_string(), voice))
    })();
    let (name, description, voice) = checked.map_err(|e| (e, None))?;
    // Cheap checks before decoding an image.
    {
        let (owner, project, name) = (owner_id.to_string(), input.project_id.clone(), name.clone());
        state
            .db
            .read(move |c| {
                check_project(c, &owner, &project)?;
                check_unique_name(c, &project, &name, None)
            })
            .await
            .map_err(|e| (e, None))?;
    }
    let probed = match image {
        Some(img) => Some(probe_image(state, img).await.map_err(|e| (e, None))?),
        None => None,
    };
    let id = state.ids.new_id().to_string();
    let asset_id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let new_asset = image
        .zip(probed.as_ref())
        .map(|(img, p)| image_asset(owner_id, &input.project_id, &id, img, p));
    let owner = owner_id.to_string();
    let project_id = input.project_id;
    state
        .db
        .write(move |tx| {
            check_project(tx, &owner, &project_id)?;
            check_unique_name(tx, &project_id, &name, None)?;
            tx.execute(
                &format!(
                    "INSERT INTO characters (id, project_id, name, name_key, description, voice,
                                             status, look_slot, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?7, ?4, ?5, 'confirmed', {NEXT_SLOT}, ?6, ?6)"
                ),
                params![
                    id,
                    project_id,
                    name,
                    description,
                    voice,
                    now,
                    casefold(&name)
                ],
            )?;
            if let Some(a) = &new_asset {
                assets::insert_in_tx(tx, &asset_id, &now, a)?;
                tx.execute(
                    "UPDATE characters SET image_asset_id = ?1 WHERE id = ?2",
                    params![asset_id, id],
                )?;
            }
            load(tx, &owner, &id)
        })
        .await
        .map_err(|e| (e, probed))
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub project_id: Option<String>,
    pub status: Option<CharacterStatus>,
}

/// The owner's live characters, by project then name.
#[tracing::instrument(skip(state))]
pub async fn list(
    state: &AppState,
    owner_id: &str,
    filter: ListFilter,
    page: PageSpec,
) -> Result<(Vec<Character>, u64), CharacterError> {
    let owner_id = owner_id.to_string();
    let status = filter.status.map(CharacterStatus::as_str);
    state
        .db
        .read(move |c| {
            let filters = "p.owner_id = ?1 AND c.deleted_at IS NULL
                 AND (?2 IS NULL OR c.project_id = ?2) AND (?3 IS NULL OR c.status = ?3)";
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM {FROM} WHERE {filters}"),
                params![owner_id, filter.project_id, status],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE {filters}
                 ORDER BY c.project_id, c.name_key, c.id LIMIT ?4 OFFSET ?5"
            ))?;
            let rows = stmt
                .query_map(
                    params![
                        owner_id,
                        filter.project_id,
                        status,
                        page.limit,
                        page.offset as i64
                    ],
                    from_row,
                )?
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            let items = rows
                .into_iter()
                .map(|ch| with_references(c, ch))
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            Ok((items, total as u64))
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, owner_id: &str, id: &str) -> Result<Character, CharacterError> {
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state.db.read(move |c| load(c, &owner_id, &id)).await
}

#[tracing::instrument(skip(state, patch))]
pub async fn update(
    state: &AppState,
    owner_id: &str,
    id: &str,
    patch: CharacterPatch,
) -> Result<Character, CharacterError> {
    let name = patch.name.as_deref().map(clean_name).transpose()?;
    let description = patch.description.as_deref().map(str::trim);
    if let Some(d) = description {
        check_len("description", d, MAX_DESCRIPTION_CHARS)?;
    }
    let description = description.map(str::to_string);
    let voice = patch
        .voice
        .as_deref()
        .map(|v| clean_voice(Some(v)))
        .transpose()?;
    let profile = match patch.consistency_profile {
        None => None,
        Some(v @ serde_json::Value::Object(_)) => {
            let text = v.to_string();
            if text.len() > MAX_PROFILE_BYTES {
                return Err(invalid(
                    "consistency_profile",
                    format!("consistency_profile must be at most {MAX_PROFILE_BYTES} bytes"),
                ));
            }
            Some(text)
        }
        Some(_) => {
            return Err(invalid(
                "consistency_profile",
                "consistency_profile must be a JSON object",
            ))
        }
    };
    let now = rfc3339(state.clock.now());
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            let current = load(tx, &owner_id, &id)?;
            if let Some(n) = &name {
                check_unique_name(tx, &current.project_id, n, Some(&id))?;
            }
            if let Some(image) = &patch.image_asset_id {
                if !current.reference_asset_ids.contains(image) {
                    return Err(invalid(
                        "image_asset_id",
                        "image_asset_id must be one of the character's reference_asset_ids",
                    ));
                }
            }
            tx.execute(
                "UPDATE characters SET
                    name = COALESCE(?1, name), name_key = COALESCE(?10, name_key), description = COALESCE(?2, description),
                    voice = CASE WHEN ?3 THEN ?4 ELSE voice END, status = COALESCE(?5, status),
                    consistency_profile = COALESCE(?6, consistency_profile),
                    image_asset_id = COALESCE(?7, image_asset_id), updated_at = ?8
                 WHERE id = ?9",
                params![
                    name,
                    description,
                    voice.is_some(),
                    voice.flatten(),
                    patch.status.map(CharacterStatus::as_str),
                    profile,
                    patch.image_asset_id,
                    now,
                    id,
                    name.as_deref().map(casefold),
                ],
            )?;
            load(tx, &owner_id, &id)
        })
        .await
}

/// Soft delete: the character leaves every list until restored; its name is free meanwhile.
#[tracing::instrument(skip(state))]
pub async fn delete(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<DeletedCharacter, CharacterError> {
    let now = rfc3339(state.clock.now());
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            load(tx, &owner_id, &id)?;
            tx.execute(
                "UPDATE characters SET deleted_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            Ok(DeletedCharacter {
                message: "Character deleted successfully".into(),
                id,
                deleted_at: now,
            })
        })
        .await
}

/// Undoes a delete; 409 naming `name` if a live character took the name meanwhile.
#[tracing::instrument(skip(state))]
pub async fn restore(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<Character, CharacterError> {
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            let row: Option<(String, String, Option<String>)> = tx
                .query_row(
                    "SELECT c.project_id, c.name, c.deleted_at FROM characters c
                     JOIN projects p ON p.id = c.project_id AND p.deleted_at IS NULL
                     WHERE c.id = ?1 AND p.owner_id = ?2",
                    params![id, owner_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let (project_id, name, deleted_at) = row.ok_or_else(|| not_found(&id))?;
            if deleted_at.is_some() {
                check_unique_name(tx, &project_id, &name, Some(&id))?;
                tx.execute(
                    "UPDATE characters SET deleted_at = NULL WHERE id = ?1",
                    [&id],
                )?;
            }
            load(tx, &owner_id, &id)
        })
        .await
}

/// Accepts a parser proposal (confirming a confirmed character changes nothing).
#[tracing::instrument(skip(state))]
pub async fn confirm(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<Character, CharacterError> {
    let now = rfc3339(state.clock.now());
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            let ch = load(tx, &owner_id, &id)?;
            if ch.status == CharacterStatus::Confirmed {
                return Ok(ch);
            }
            tx.execute(
                "UPDATE characters SET status = 'confirmed', updated_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            load(tx, &owner_id, &id)
        })
        .await
}

/// Adds a reference image (a `character_image` asset of the character's project); the first one
/// becomes the main image.
#[tracing::instrument(skip(state, image), fields(size = image.blob.size))]
pub async fn add_image(
    state: &AppState,
    owner_id: &str,
    id: &str,
    image: ImageUpload,
) -> Result<Character, CharacterError> {
    let result = add_image_inner(state, owner_id, id, &image).await;
    if let Err((_, probed)) = &result {
        discard(state, Some(&image), probed.as_ref()).await;
    }
    result.map_err(|(e, _)| e)
}

async fn add_image_inner(
    state: &AppState,
    owner_id: &str,
    id: &str,
    image: &ImageUpload,
) -> WithProbe<Character> {
    let character = get(state, owner_id, id).await.map_err(|e| (e, None))?;
    let probed = probe_image(state, image).await.map_err(|e| (e, None))?;
    let asset = image_asset(owner_id, &character.project_id, id, image, &probed);
    let asset_id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let (owner_id, id) = (owner_id.to_string(), id.to_string());
    state
        .db
        .write(move |tx| {
            load(tx, &owner_id, &id)?;
            assets::insert_in_tx(tx, &asset_id, &now, &asset)?;
            tx.execute(
                "UPDATE characters SET image_asset_id = COALESCE(image_asset_id, ?1), updated_at = ?2
                 WHERE id = ?3",
                params![asset_id, now, id],
            )?;
            load(tx, &owner_id, &id)
        })
        .await
        .map_err(|e| (e, Some(probed)))
}

/// Takes a reference image off a character: the asset goes to the trash (restorable from the asset
/// browser) and, when it was the main image, the next reference becomes the main one.
#[tracing::instrument(skip(state))]
pub async fn remove_image(
    state: &AppState,
    owner_id: &str,
    id: &str,
    asset_id: &str,
) -> Result<Character, CharacterError> {
    let character = get(state, owner_id, id).await?;
    if !character.reference_asset_ids.iter().any(|a| a == asset_id) {
        return Err(CharacterError::NotFound {
            field: Some("asset_id"),
            message: format!("'{asset_id}' is not a reference image of character '{id}'"),
        });
    }
    assets::trash(state, owner_id, asset_id).await?;
    let now = rfc3339(state.clock.now());
    let (owner_id, id, asset_id) = (owner_id.to_string(), id.to_string(), asset_id.to_string());
    state
        .db
        .write(move |tx| {
            let current = load(tx, &owner_id, &id)?;
            // `load` already picked the next active reference when the main one went.
            tx.execute(
                "UPDATE characters SET image_asset_id = ?1, updated_at = ?2
                 WHERE id = ?3 AND image_asset_id IS NOT DISTINCT FROM ?4",
                params![current.image_asset_id, now, id, asset_id],
            )?;
            load(tx, &owner_id, &id)
        })
        .await
}

/// The built-in, offline consistency model: a seed derived from the reference images' digests
/// and a palette from the first reference image. The same references always give the same
/// model; other keys of an existing profile are kept.
#[tracing::instrument(skip(state))]
pub async fn build_consistency_model(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<ConsistencyModel, CharacterError> {
    let started = std::time::Instant::now();
    let (owner, row_id) = (owner_id.to_string(), id.to_string());
    let (character, refs) = state
        .db
        .read(move |c| {
            let ch = load(c, &owner, &row_id)?;
            let refs = references(c, &row_id)?;
            Ok::<_, CharacterError>((ch, refs))
        })
        .await?;
    let Some((_, first_sha, first_thumb)) = refs.first().cloned() else {
        return Err(CharacterError::Conflict {
            field: Some("image"),
            message: format!(
                "character '{id}' has no reference image; add one with POST /api/v1/characters/{id}/images first"
            ),
        });
    };
    let mut hasher = Sha256::new();
    for (_, sha, _) in &refs {
        hasher.update(sha.as_bytes());
        hasher.update(b"\n");
    }
    let digest = hasher.finalize();
    let seed = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    let model_id = format!("local-{}", &hex::encode(digest)[..12]);
    // The thumbnail is small and made the same way every time; the original is the fallback.
    let path = state
        .blobs
        .path_of(first_thumb.as_deref().unwrap_or(&first_sha))
        .map_err(AssetError::from)?;
    let palette = tokio::task::spawn_blocking(move || media::palette(&path))
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
        .map_err(|e| {
            if e.is_client_error() {
                CharacterError::Conflict {
                    field: Some("image"),
                    message: format!("the first reference image cannot be read: {e}"),
                }
            } else {
                CharacterError::Asset(AssetError::MediaIo(e.to_string()))
            }
        })?;
    let reference_asset_ids: Vec<String> = refs.iter().map(|(id, _, _)| id.clone()).collect();
    let mut profile = match character.consistency_profile {
        serde_json::Value::Object(map) => map,
        _ => Default::default(),
    };
    profile.insert("seed".into(), seed.into());
    profile.insert("palette".into(), palette.into());
    profile.insert("reference_asset_ids".into(), reference_asset_ids.into());
    profile.insert("provider".into(), "builtin".into());
    profile.insert("model_id".into(), model_id.clone().into());
    let profile = serde_json::Value::Object(profile);
    let now = rfc3339(state.clock.now());
    {
        let (owner, id, text, model, now) = (
            owner_id.to_string(),
            id.to_string(),
            profile.to_string(),
            model_id.clone(),
            now.clone(),
        );
        state
            .db
            .write(move |tx| {
                load(tx, &owner, &id)?;
                tx.execute(
                    "UPDATE characters SET consistency_profile = ?1, consistency_model_id = ?2,
                            updated_at = ?3 WHERE id = ?4",
                    params![text, model, now, id],
                )?;
                Ok::<_, CharacterError>(())
            })
            .await?;
    }
    Ok(ConsistencyModel {
        character_id: id.to_string(),
        model_id,
        status: "ready".into(),
        processing_time: started.elapsed().as_secs_f64(),
        created_at: now,
        profile,
    })
}
