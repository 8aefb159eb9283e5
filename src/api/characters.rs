//! HTTP handlers for characters (thin: parse, check scope, call the service, map errors).
use crate::paging::{Page, PageSpec};
use axum::{
    extract::{DefaultBodyLimit, FromRequest, Path, Request, State},
    http::{header, StatusCode},
    Json,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::generation;
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody, ErrorCode},
    extract::{parse_json, ApiJson, ApiQuery},
    upload::{UploadForm, UploadedFile},
};
use crate::{
    auth::Scope,
    characters::{
        self, Character, CharacterPatch, CharacterStatus, ConsistencyModel, DeletedCharacter,
        ImageUpload, NewCharacter,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    // Routes that may take a multipart image enforce their own limits (see `UploadForm`); the
    // layer is applied before the merge, so it only affects these two.
    let uploads = OpenApiRouter::new()
        .routes(routes!(create_character))
        .routes(routes!(add_character_image))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(list_characters))
        .routes(routes!(
            get_character,
            put_character,
            patch_character,
            delete_character
        ))
        .routes(routes!(restore_character))
        .routes(routes!(confirm_character))
        .merge(generation(
            OpenApiRouter::new().routes(routes!(consistency_model)),
        ))
        .routes(routes!(remove_character_image))
        .merge(uploads)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCharactersQuery {
    /// Only this project's characters.
    pub project_id: Option<String>,
    /// `proposed` (found by the parser) or `confirmed`.
    pub status: Option<CharacterStatus>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip; wins over `page`.
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/characters", tag = "characters",
    params(ListCharactersQuery),
    responses(
        (status = 200, description = "A page of characters, by name", body = Page<Character>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_characters(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListCharactersQuery>,
) -> Result<Json<Page<Character>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let filter = characters::ListFilter {
        project_id: q.project_id,
        status: q.status,
    };
    let (items, total) = characters::list(&state, &principal.workspace_id, filter, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

/// The multipart form of `POST /characters`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CharacterForm {
    project_id: String,
    name: String,
    description: Option<String>,
    voice: Option<String>,
    /// The first reference image (PNG, JPEG, WebP or GIF).
    #[schema(value_type = Option<String>, format = Binary)]
    image: Option<Vec<u8>>,
}

/// The multipart form of `POST /characters/{id}/images`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CharacterImageForm {
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

fn image_upload(file: &UploadedFile) -> ImageUpload {
    ImageUpload {
        field: file.field.clone(),
        filename: file.filename.clone(),
        blob: file.blob.clone(),
    }
}

/// Reads a JSON body with the usual JSON limit (this route's default limit is lifted for
/// multipart, so the limit is applied here).
async fn json_body<T: serde::de::DeserializeOwned>(
    state: &AppState,
    req: Request,
) -> Result<T, ApiError> {
    let limit = state.config.max_json_bytes;
    if !is_json(&req) {
        // Let the JSON extractor give its usual 415.
        let ApiJson(v) = ApiJson::<T>::from_request(req, state).await?;
        return Ok(v);
    }
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("request body is larger than the limit of {limit} bytes"),
            )
        })?;
    parse_json(&bytes)
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

#[utoipa::path(post, path = "/api/v1/characters", tag = "characters",
    request_body(content(
        (NewCharacter = "application/json"),
        (inline(CharacterForm) = "multipart/form-data"))),
    responses(
        (status = 201, description = "Created (confirmed)", body = Character),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such project of the caller (field `project_id`)", body = ErrorBody),
        (status = 409, description = "The project already has a character of that name (field `name`)", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_character(
    State(state): State<AppState>,
    principal: Principal,
    req: Request,
) -> Result<(StatusCode, Json<Character>), ApiError> {
    principal.require(Scope::Write)?;
    let character = if is_multipart(&req) {
        let form = UploadForm::from_request(req, &state).await?;
        let result = create_from_form(&state, &principal, &form).await;
        if result.is_err() {
            // Files of a refused form were already streamed into the store.
            let shas = form.files.iter().map(|f| f.blob.sha256.clone()).collect();
            crate::assets::discard_unreferenced(&state, shas).await;
        }
        result?
    } else {
        let input: NewCharacter = json_body(&state, req).await?;
        characters::create(&state, &principal.workspace_id, input, None).await?
    };
    Ok((StatusCode::CREATED, Json(character)))
}

async fn create_from_form(
    state: &AppState,
    principal: &Principal,
    form: &UploadForm,
) -> Result<Character, ApiError> {
    let input = NewCharacter {
        project_id: form.require_text("project_id")?.to_string(),
        name: form.require_text("name")?.to_string(),
        description: form.text("description").map(str::to_string),
        voice: form.text("voice").map(str::to_string),
    };
    let image = form
        .files
        .iter()
        .find(|f| f.field == "image" || f.field == "file")
        .map(image_upload);
    Ok(characters::create(state, &principal.workspace_id, input, image).await?)
}

#[utoipa::path(get, path = "/api/v1/characters/{id}", tag = "characters",
    params(("id" = String, Path, description = "Character id")),
    responses((status = 200, body = Character), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_character(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Character>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        characters::get(&state, &principal.workspace_id, &id).await?,
    ))
}

async fn update(
    state: AppState,
    principal: Principal,
    id: String,
    patch: CharacterPatch,
) -> Result<Json<Character>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        characters::update(&state, &principal.workspace_id, &id, patch).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/characters/{id}", tag = "characters",
    params(("id" = String, Path, description = "Character id")), request_body = CharacterPatch,
    responses((status = 200, body = Character), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_character(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CharacterPatch>,
) -> Result<Json<Character>, ApiError> {
    update(state, principal, id, patch).await
}

#[utoipa::path(patch, path = "/api/v1/characters/{id}", tag = "characters",
    params(("id" = String, Path, description = "Character id")), request_body = CharacterPatch,
    responses((status = 200, body = Character), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn patch_character(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CharacterPatch>,
) -> Result<Json<Character>, ApiError> {
    update(state, principal, id, patch).await
}

#[utoipa::path(delete, path = "/api/v1/characters/{id}", tag = "characters",
    params(("id" = String, Path, description = "Character id")),
    responses((status = 200, description = "Moved out of every list; restorable", body = DeletedCharacter),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_character(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DeletedCharacter>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        characters::delete(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/characters/{id}/restore", tag = "characters",
    params(("id" = String, Path, description = "Character id")),
    responses((status = 200, description = "The restored character", body = Character),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "A live character took the name meanwhile", body = ErrorBody)))]
pub async fn restore_character(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Character>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        characters::restore(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/characters/{id}/confirm", tag = "characters",
    params(("id" = String, Path, description = "Character id")),
    responses((status = 200, description = "The character, now confirmed", body = Character),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn confirm_character(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Character>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        characters::confirm(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/characters/{id}/images", tag = "characters",
    params(("id" = String, Path, description = "Character id")),
    request_body(content = inline(CharacterImageForm), content_type = "multipart/form-data"),
    responses((status = 200, description = "The character with the new reference image", body = Character),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "Not an image, or over the decoding limits", body = ErrorBody)))]
pub async fn add_character_image(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    req: Request,
) -> Result<Json<Character>, ApiError> {
    // Refuse before streaming up to 100 MB into the store.
    principal.require(Scope::Write)?;
    let form = UploadForm::from_request(req, &state).await?;
    let result = add_image(&state, &principal, &id, &form).await;
    if result.is_err() {
        let shas = form.files.iter().map(|f| f.blob.sha256.clone()).collect();
        crate::assets::discard_unreferenced(&state, shas).await;
    }
    Ok(Json(result?))
}

async fn add_image(
    state: &AppState,
    principal: &Principal,
    id: &str,
    form: &UploadForm,
) -> Result<Character, ApiError> {
    let file = form.require_file(&["image", "file"])?;
    Ok(characters::add_image(state, &principal.workspace_id, id, image_upload(file)).await?)
}

#[utoipa::path(delete, path = "/api/v1/characters/{id}/images/{asset_id}", tag = "characters",
    params(("id" = String, Path, description = "Character id"),
        ("asset_id" = String, Path, description = "One of the character's `reference_asset_ids`")),
    responses((status = 200, description = "The character without that reference image (the asset is in the trash; the next image becomes the main one)", body = Character),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such character, or the asset is not one of its reference images (field `asset_id`)", body = ErrorBody)))]
pub async fn remove_character_image(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, asset_id)): Path<(String, String)>,
) -> Result<Json<Character>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        characters::remove_image(&state, &principal.workspace_id, &id, &asset_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/characters/{id}/consistency-model", tag = "characters",
    params(("id" = String, Path, description = "Character id")),
    responses((status = 200, description = "The consistency model: seed and palette from the reference images (a reference sheet is drawn first by the default image model when the character has none)", body = ConsistencyModel),
        (status = 402, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The character has no reference image yet", body = ErrorBody)))]
pub async fn consistency_model(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ConsistencyModel>, ApiError> {
    principal.require(Scope::Write)?;
    // With an image model configured, a character without a reference image gets one drawn first.
    crate::workflow::generate::ensure_reference(&state, &principal.workspace_id, &id).await?;
    Ok(Json(
        characters::build_consistency_model(&state, &principal.workspace_id, &id).await?,
    ))
}
