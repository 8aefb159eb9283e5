//! Thin handlers for projects: parse, check scope, call one service function, map the result.
use crate::paging::{Page, PageSpec};
use axum::{extract::Path, http::StatusCode, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    projects::{self, DeletedProject, NewProject, Project, ProjectPatch, ProjectStatus},
    AppState,
};
use axum::extract::State;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProjectsQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip, for clients that page by offset; wins over `page`.
    pub skip: Option<u64>,
    /// Only projects with this status.
    pub status: Option<ProjectStatus>,
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    params(ListProjectsQuery),
    responses(
        (status = 200, description = "A page of projects", body = Page<Project>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_projects(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListProjectsQuery>,
) -> Result<Json<Page<Project>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let filter = projects::ListFilter { status: q.status };
    let (items, total) = projects::list(&state, &principal.workspace_id, filter, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "projects",
    request_body = NewProject,
    responses(
        (status = 201, description = "Created", body = Project),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_project(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    principal.require(Scope::Write)?;
    let project = projects::create(&state, &principal.workspace_id, input).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = Project), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_project(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Project>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        projects::get(&state, &principal.workspace_id, &id).await?,
    ))
}

async fn update(
    state: AppState,
    principal: Principal,
    id: String,
    patch: ProjectPatch,
) -> Result<Json<Project>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        projects::update(&state, &principal.workspace_id, &id, patch).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "Project id")), request_body = ProjectPatch,
    responses((status = 200, body = Project), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_project(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ProjectPatch>,
) -> Result<Json<Project>, ApiError> {
    update(state, principal, id, patch).await
}

#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "Project id")), request_body = ProjectPatch,
    responses((status = 200, body = Project), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_project(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ProjectPatch>,
) -> Result<Json<Project>, ApiError> {
    update(state, principal, id, patch).await
}

#[utoipa::path(delete, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Moved out of every list; restorable", body = DeletedProject),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_project(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DeletedProject>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        projects::delete(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/restore", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, description = "The restored project", body = Project),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn restore_project(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Project>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        projects::restore(&state, &principal.workspace_id, &id).await?,
    ))
}
