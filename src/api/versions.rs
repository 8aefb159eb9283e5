//! Handlers for project versions, the script of a version, and the sample scripts.
use crate::paging::{Page, PageSpec};
use axum::{
    extract::{DefaultBodyLimit, Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
    upload::UploadForm,
};
use crate::{
    auth::Scope,
    projects::Project,
    script::{self, Breakdown},
    storyboard::ParseResult,
    versions::{
        self, samples, NewVersion, ParseRequest, ScriptEdit, ScriptUpload, ScriptView, Version,
    },
    AppState,
};

/// The JSON body a script route accepts: room for a script at the limit even with every byte
/// escaped, so an oversized script gets the 413 that names `text` and the limit, not the generic one.
pub const SCRIPT_BODY_LIMIT: usize = 6 * script::MAX_SCRIPT_BYTES + 64 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_script))
        .layer(DefaultBodyLimit::disable());
    let scripts = OpenApiRouter::new()
        .routes(routes!(get_script, put_script))
        .merge(with_policy(
            OpenApiRouter::new().routes(routes!(preview_script)),
            Policy::Compute,
        ))
        .layer(DefaultBodyLimit::max(SCRIPT_BODY_LIMIT));
    OpenApiRouter::new()
        .routes(routes!(list_versions, create_version))
        .routes(routes!(get_version))
        .routes(routes!(set_current_version))
        .routes(routes!(parse_script))
        .routes(routes!(list_samples))
        .routes(routes!(open_sample))
        .merge(scripts)
        .merge(uploads)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/versions", tag = "versions",
    params(("id" = String, Path, description = "Project id"), PageQuery),
    responses((status = 200, body = Page<Version>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<Version>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let (items, total) = versions::list(&state, &principal.workspace_id, &id, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/versions", tag = "versions",
    params(("id" = String, Path, description = "Project id")), request_body = NewVersion,
    responses((status = 201, body = Version), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_version(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewVersion>,
) -> Result<(StatusCode, Json<Version>), ApiError> {
    principal.require(Scope::Write)?;
    let v = versions::create(&state, &principal.workspace_id, &id, input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/versions/{version_id}", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, body = Version), (status = 404, body = ErrorBody)))]
pub async fn get_version(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<Version>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        versions::get(&state, &principal.workspace_id, &id, &version_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/versions/{version_id}/current", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, description = "The project, now on this version", body = Project),
        (status = 404, body = ErrorBody)))]
pub async fn set_current_version(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<Project>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        versions::set_current(&state, &principal.workspace_id, &id, &version_id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/versions/{version_id}/script", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, body = ScriptView), (status = 404, body = ErrorBody)))]
pub async fn get_script(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<ScriptView>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        versions::script(&state, &principal.workspace_id, &id, &version_id).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/projects/{id}/versions/{version_id}/script", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)), request_body = ScriptEdit,
    responses((status = 200, description = "Saved (and parsed)", body = ParseResult),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Based on an older revision: saved elsewhere meanwhile", body = ErrorBody),
        (status = 413, description = "The script is over the 4 MiB limit; `field` is `text`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_script(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
    ApiJson(edit): ApiJson<ScriptEdit>,
) -> Result<Json<ParseResult>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        versions::save_script(&state, &principal.workspace_id, &id, &version_id, edit).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/versions/{version_id}/script/upload", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "`file`: a .txt, .fountain or .md script (UTF-8, UTF-16 with BOM, or GB18030), or a Word .docx"),
    responses((status = 201, body = ScriptUpload), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_script(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
    form: UploadForm,
) -> Result<(StatusCode, Json<ScriptUpload>), ApiError> {
    principal.require(Scope::Write)?;
    let file = form.require_file(&["file", "script"])?;
    let (upload, _) = versions::upload_script(
        &state,
        &principal.workspace_id,
        &id,
        &version_id,
        &file.filename,
        file.blob.clone(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(upload)))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/versions/{version_id}/script/parse", tag = "versions",
    params(("id" = String, Path), ("version_id" = String, Path)), request_body = ParseRequest,
    responses((status = 200, body = ParseResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn parse_script(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<ParseRequest>,
) -> Result<Json<ParseResult>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        versions::parse_version(&state, &principal.workspace_id, &id, &version_id, req).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/script/preview", tag = "versions",
    request_body = PreviewRequest,
    responses((status = 200, description = "The breakdown; nothing is stored", body = Breakdown),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview_script(
    principal: Principal,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> Result<Json<Breakdown>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(versions::preview(req.text).await?))
}

#[utoipa::path(get, path = "/api/v1/samples", tag = "versions",
    responses((status = 200, body = [samples::Sample])))]
pub async fn list_samples(principal: Principal) -> Result<Json<Vec<samples::Sample>>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(samples::SAMPLES.to_vec()))
}

#[utoipa::path(post, path = "/api/v1/samples/{sample_id}/open", tag = "versions",
    params(("sample_id" = String, Path)),
    responses((status = 201, description = "A new project holding the sample, parsed", body = Project),
        (status = 404, body = ErrorBody)))]
pub async fn open_sample(
    State(state): State<AppState>,
    principal: Principal,
    Path(sample_id): Path<String>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    principal.require(Scope::Write)?;
    let sample = samples::find(&sample_id)
        .ok_or_else(|| ApiError::not_found(format!("sample '{sample_id}' not found")))?;
    let project = versions::create_project_with_script(
        &state,
        &principal.workspace_id,
        sample.title,
        sample.description,
        sample.filename,
        sample.text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(project)))
}
