//! HTTP handlers for assets (thin: parse, check scope, call the service, map errors).
use crate::paging::{Page, PageSpec};
use axum::{
    extract::{DefaultBodyLimit, FromRequest, Path, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::ApiQuery,
    files,
    upload::UploadForm,
};
use crate::{
    assets::{self, Asset, AssetStatus, AssetType, DeleteAssetResponse, UploadInput},
    auth::{Credential, Scope},
    workspaces::Permission,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    // Uploads enforce their own limit (100 MB per file → 413) while streaming to the blob store;
    // the layer is applied before the merge, so it only lifts the JSON limit for this route.
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_asset))
        .layer(DefaultBodyLimit::disable());
    // DELETE /assets/{id} removes an asset for good (trashing it is a POST).
    let purge = OpenApiRouter::new().routes(routes!(get_asset, delete_asset));
    OpenApiRouter::new()
        .routes(routes!(list_assets))
        .merge(with_policy(purge, Policy::Purge))
        .routes(routes!(download_asset))
        .routes(routes!(asset_thumbnail))
        .routes(routes!(trash_asset))
        .routes(routes!(restore_asset))
        .merge(uploads)
}

/// `status` filter of the asset list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatusFilter {
    Active,
    Trashed,
    All,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAssetsQuery {
    /// Only this project's assets (`taskId` is accepted too).
    #[serde(alias = "taskId")]
    pub project_id: Option<String>,
    /// Only assets of this version (`versionId` is accepted too).
    #[serde(alias = "versionId")]
    pub version_id: Option<String>,
    /// Only assets of this type.
    #[serde(rename = "type")]
    pub kind: Option<AssetType>,
    /// `active` (default), `trashed` or `all`.
    pub status: Option<AssetStatusFilter>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip; wins over `page`.
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/assets", tag = "assets",
    params(ListAssetsQuery),
    responses(
        (status = 200, description = "A page of the caller's assets, newest first", body = Page<Asset>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_assets(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListAssetsQuery>,
) -> Result<Json<Page<Asset>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let status = match q.status.unwrap_or(AssetStatusFilter::Active) {
        AssetStatusFilter::Active => Some(AssetStatus::Active),
        AssetStatusFilter::Trashed => Some(AssetStatus::Trashed),
        AssetStatusFilter::All => None,
    };
    let filter = assets::ListFilter {
        project_id: q.project_id,
        version_id: q.version_id,
        kind: q.kind,
        status,
    };
    let (items, total) = assets::list(&state, &principal.workspace_id, filter, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

/// The multipart form of `POST /assets` (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AssetUploadForm {
    /// The project the file belongs to (`taskId` is accepted too).
    project_id: String,
    version_id: Option<String>,
    r#type: AssetType,
    /// A JSON object of provenance (prompt, model, seed…).
    metadata: Option<String>,
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(post, path = "/api/v1/assets", tag = "assets",
    request_body(content = inline(AssetUploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = Asset),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such project (or version) of the caller", body = ErrorBody),
        (status = 413, description = "The file is over the upload limit (100 MB)", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "Bad type, not an image, or an image over the decoding limits", body = ErrorBody)))]
pub async fn upload_asset(
    State(state): State<AppState>,
    principal: Principal,
    req: Request,
) -> Result<(StatusCode, Json<Asset>), ApiError> {
    // Refuse before streaming up to 100 MB into the store.
    principal.require(Scope::Write)?;
    let form = UploadForm::from_request(req, &state).await?;
    let result = upload(&state, &principal, &form).await;
    if result.is_err() {
        // Every file of a refused form was already streamed into the store.
        let shas = form.files.iter().map(|f| f.blob.sha256.clone()).collect();
        assets::discard_unreferenced(&state, shas).await;
    }
    Ok((StatusCode::CREATED, Json(result?)))
}

async fn upload(
    state: &AppState,
    principal: &Principal,
    form: &UploadForm,
) -> Result<Asset, ApiError> {
    let project_id = form
        .text("project_id")
        .or_else(|| form.text("taskId"))
        .or_else(|| form.text("task_id"))
        .ok_or_else(|| ApiError::validation("project_id", "form field 'project_id' is required"))?;
    let kind_text = form.require_text("type")?;
    let kind = AssetType::parse(kind_text).ok_or_else(|| {
        let allowed: Vec<&str> = AssetType::ALL.iter().map(|t| t.as_str()).collect();
        ApiError::validation(
            "type",
            format!(
                "unknown asset type '{kind_text}'; expected one of: {}",
                allowed.join(", ")
            ),
        )
    })?;
    let version_id = form
        .text("version_id")
        .or_else(|| form.text("versionId"))
        .map(str::to_string);
    let metadata = assets::parse_metadata(form.text("metadata"))?;
    let file = form.require_file(&["file"])?;
    let input = UploadInput {
        project_id: project_id.to_string(),
        version_id,
        kind,
        field: file.field.clone(),
        filename: file.filename.clone(),
        blob: file.blob.clone(),
        metadata,
    };
    Ok(assets::upload(state, &principal.workspace_id, input).await?)
}

#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = Asset), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_asset(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Asset>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        assets::get(&state, &principal.workspace_id, &id).await?,
    ))
}

/// `Content-Disposition: attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266).
fn content_disposition(filename: &str) -> HeaderValue {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}/download", tag = "assets",
    params(("id" = String, Path, description = "Asset id")),
    responses(
        (status = 200, description = "The file's bytes, with its sniffed Content-Type and Content-Disposition",
            content_type = "*/*", body = Vec<u8>),
        (status = 206, description = "The part of the file a `Range: bytes=…` header asked for (`Content-Range` says which)",
            content_type = "*/*", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 416, description = "The range starts past the end of the file")))]
pub async fn download_asset(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let (asset, path) = assets::file_of(&state, &principal.workspace_id, &id).await?;
    // Streamed, and in ranges when asked: a 2160p export never sits in memory whole.
    let response = files::serve(&headers, &path, &asset.mime_type).await?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", asset.sha256))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let response = files::with_header(
        response,
        header::CONTENT_DISPOSITION,
        content_disposition(&asset.filename),
    );
    let response = files::with_header(
        response,
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(files::with_header(response, header::ETAG, etag))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}/thumbnail", tag = "assets",
    params(("id" = String, Path, description = "Asset id")),
    responses(
        (status = 200, description = "A PNG, at most 256 px on its longest side", content_type = "image/png", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 404, description = "No such asset, or not an image", body = ErrorBody)))]
pub async fn asset_thumbnail(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let png = assets::thumbnail(&state, &principal.workspace_id, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        png,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/assets/{id}/trash", tag = "assets",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, description = "The asset, now in the trash", body = Asset),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn trash_asset(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Asset>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        assets::trash(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/assets/{id}/restore", tag = "assets",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, description = "The asset, active again", body = Asset),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn restore_asset(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Asset>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        assets::restore(&state, &principal.workspace_id, &id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteAssetQuery {
    /// The token from the first DELETE (also `confirm_token`).
    #[serde(rename = "confirmToken", alias = "confirm_token")]
    pub confirm_token: Option<String>,
}

#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "assets",
    params(("id" = String, Path, description = "Asset id"), DeleteAssetQuery),
    responses(
        (status = 200, description = "`confirmation_required` with a token (first call) or `deleted`", body = DeleteAssetResponse),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The asset is not in the trash", body = ErrorBody),
        (status = 422, description = "confirmToken unknown, used or expired", body = ErrorBody)))]
pub async fn delete_asset(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteAssetQuery>,
) -> Result<Json<DeleteAssetResponse>, ApiError> {
    // The workspace's owner or admin (the local owner on the desktop); others use the trash. An
    // API key needs the `admin` scope: a leaked automation key can't destroy files for good.
    principal.require_scope(Scope::Write)?;
    if matches!(principal.credential, Credential::ApiKey { .. }) {
        principal.require_scope(Scope::Admin)?;
    }
    if !principal.role.allows(Permission::Manage) {
        return Err(ApiError::forbidden(
            "only the workspace's owner or an admin can delete an asset permanently; move it to the trash instead",
        ));
    }
    let token = q.confirm_token.filter(|t| !t.trim().is_empty());
    Ok(Json(
        assets::permanent_delete(&state, &principal.workspace_id, &id, token).await?,
    ))
}
