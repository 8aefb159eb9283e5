//! HTTP handlers for prompts (thin: parse, check scope, call the service, map errors).
use crate::paging::{Page, PageSpec};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    prompts::{
        self, DeletedPromptTemplate, NewPromptTemplate, NewPromptVersion, PromptTemplate,
        PromptTemplatePatch, PromptVersion, RenderRequest, RenderedPrompt,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    // `/prompts/render` is a static segment beside the `{id}` capture; axum 0.8 prefers the static one.
    OpenApiRouter::new()
        .routes(routes!(list_prompts, create_prompt))
        .merge(with_policy(
            OpenApiRouter::new().routes(routes!(render_prompt)),
            Policy::Compute,
        ))
        .routes(routes!(get_prompt, patch_prompt, delete_prompt))
        .routes(routes!(list_versions, create_version))
        .routes(routes!(get_version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPromptsQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip; wins over `page`.
    pub skip: Option<u64>,
    /// Only templates whose name contains this (case-insensitive for ASCII).
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListVersionsQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip; wins over `page`.
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/prompts", tag = "prompts",
    params(ListPromptsQuery),
    responses(
        (status = 200, description = "A page of templates, most recently updated first", body = Page<PromptTemplate>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_prompts(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListPromptsQuery>,
) -> Result<Json<Page<PromptTemplate>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let filter = prompts::ListFilter { q: q.q };
    let (items, total) = prompts::list(&state, &principal.workspace_id, filter, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/prompts", tag = "prompts",
    request_body = NewPromptTemplate,
    responses(
        (status = 201, description = "Created, with version 1 current", body = PromptTemplate),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Name already used by another of your templates", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "Every bad field, in `errors`", body = ErrorBody)))]
pub async fn create_prompt(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewPromptTemplate>,
) -> Result<(StatusCode, Json<PromptTemplate>), ApiError> {
    principal.require(Scope::Write)?;
    let template = prompts::create(&state, &principal.workspace_id, input).await?;
    Ok((StatusCode::CREATED, Json(template)))
}

#[utoipa::path(post, path = "/api/v1/prompts/render", tag = "prompts",
    request_body = RenderRequest,
    responses(
        (status = 200, description = "The filled-in prompt", body = RenderedPrompt),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Every missing, unknown or mistyped variable, each as `variables.<name>` in `errors`", body = ErrorBody)))]
pub async fn render_prompt(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<RenderRequest>,
) -> Result<Json<RenderedPrompt>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        prompts::render(&state, &principal.workspace_id, req).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/prompts/{id}", tag = "prompts",
    params(("id" = String, Path, description = "Template id")),
    responses((status = 200, body = PromptTemplate), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_prompt(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<PromptTemplate>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        prompts::get(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/prompts/{id}", tag = "prompts",
    params(("id" = String, Path, description = "Template id")), request_body = PromptTemplatePatch,
    responses((status = 200, body = PromptTemplate), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn patch_prompt(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<PromptTemplatePatch>,
) -> Result<Json<PromptTemplate>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        prompts::update(&state, &principal.workspace_id, &id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/prompts/{id}", tag = "prompts",
    params(("id" = String, Path, description = "Template id")),
    responses((status = 200, description = "Moved out of every list", body = DeletedPromptTemplate),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_prompt(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DeletedPromptTemplate>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        prompts::delete(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/prompts/{id}/versions", operation_id = "list_prompt_versions", tag = "prompts",
    params(("id" = String, Path, description = "Template id"), ListVersionsQuery),
    responses((status = 200, description = "A page of versions, newest number first", body = Page<PromptVersion>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListVersionsQuery>,
) -> Result<Json<Page<PromptVersion>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let (items, total) = prompts::list_versions(&state, &principal.workspace_id, &id, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/prompts/{id}/versions", operation_id = "create_prompt_version", tag = "prompts",
    params(("id" = String, Path, description = "Template id")), request_body = NewPromptVersion,
    responses((status = 201, description = "Created; it becomes the current version", body = PromptVersion),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "Every bad field, in `errors`", body = ErrorBody)))]
pub async fn create_version(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewPromptVersion>,
) -> Result<(StatusCode, Json<PromptVersion>), ApiError> {
    principal.require(Scope::Write)?;
    let version = prompts::create_version(&state, &principal.workspace_id, &id, input).await?;
    Ok((StatusCode::CREATED, Json(version)))
}

#[utoipa::path(get, path = "/api/v1/prompts/{id}/versions/{version_id}", operation_id = "get_prompt_version", tag = "prompts",
    params(("id" = String, Path, description = "Template id"),
        ("version_id" = String, Path, description = "Version id")),
    responses((status = 200, body = PromptVersion), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_version(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<PromptVersion>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        prompts::get_version(&state, &principal.workspace_id, &id, &version_id).await?,
    ))
}
