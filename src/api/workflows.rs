//! Handlers for workflow templates (`/workflows/...`, docs/API-WORKFLOWS.md): node kinds,
//! templates, versions, validation.
use crate::paging::{Page, PageSpec};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    workflow::{
        graph::Graph,
        kinds::{self, NodeKind},
        templates::{
            self, NewTemplate, NewTemplateVersion, Template, TemplateError, TemplateVersion,
            Validation,
        },
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(node_kinds))
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template))
        .routes(routes!(list_versions, create_version))
        .routes(routes!(get_version))
        .routes(routes!(validate_version))
        .merge(with_policy(
            OpenApiRouter::new().routes(routes!(validate_graph)),
            Policy::Compute,
        ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeKinds {
    pub items: Vec<NodeKind>,
}

#[utoipa::path(get, path = "/api/v1/workflows/node-kinds", tag = "workflows",
    responses((status = 200, body = NodeKinds)))]
pub async fn node_kinds(principal: Principal) -> Result<Json<NodeKinds>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(NodeKinds {
        items: kinds::KINDS.to_vec(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/workflows/templates", tag = "workflows", params(PageQuery),
    responses((status = 200, description = "Built-in templates first, then yours", body = Page<Template>)))]
pub async fn list_templates(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<Template>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let (items, total) = templates::list(&state, &principal.workspace_id, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/workflows/templates", tag = "workflows", request_body = NewTemplate,
    responses((status = 201, body = Template), (status = 409, body = ErrorBody),
        (status = 422, description = "Invalid graph: `errors` names each node", body = ErrorBody)))]
pub async fn create_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewTemplate>,
) -> Result<(StatusCode, Json<Template>), ApiError> {
    principal.require(Scope::Write)?;
    let t = templates::create(&state, &principal.workspace_id, input).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[utoipa::path(get, path = "/api/v1/workflows/templates/{id}", tag = "workflows",
    params(("id" = String, Path)),
    responses((status = 200, body = Template), (status = 404, body = ErrorBody)))]
pub async fn get_template(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Template>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        templates::get(&state, &principal.workspace_id, &id).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<TemplateVersion>,
    pub total: u64,
}

#[utoipa::path(get, path = "/api/v1/workflows/templates/{id}/versions", operation_id = "list_template_versions", tag = "workflows",
    params(("id" = String, Path)),
    responses((status = 200, body = VersionList), (status = 404, body = ErrorBody)))]
pub async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<VersionList>, ApiError> {
    principal.require(Scope::Read)?;
    let items = templates::list_versions(&state, &principal.workspace_id, &id).await?;
    Ok(Json(VersionList {
        total: items.len() as u64,
        items,
    }))
}

#[utoipa::path(post, path = "/api/v1/workflows/templates/{id}/versions", operation_id = "create_template_version", tag = "workflows",
    params(("id" = String, Path)), request_body = NewTemplateVersion,
    responses((status = 201, body = TemplateVersion), (status = 403, description = "Built-in templates are read-only", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_version(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewTemplateVersion>,
) -> Result<(StatusCode, Json<TemplateVersion>), ApiError> {
    principal.require(Scope::Write)?;
    let v = templates::add_version(&state, &principal.workspace_id, &id, input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/workflows/templates/{id}/versions/{version_id}", operation_id = "get_template_version", tag = "workflows",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, body = TemplateVersion), (status = 404, body = ErrorBody)))]
pub async fn get_version(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<TemplateVersion>, ApiError> {
    principal.require(Scope::Read)?;
    let v = templates::get_version(&state, &principal.workspace_id, &version_id).await?;
    if v.template_id != id {
        return Err(TemplateError::VersionNotFound(version_id).into());
    }
    Ok(Json(v))
}

#[utoipa::path(get, path = "/api/v1/workflows/versions/{version_id}/validate", tag = "workflows",
    params(("version_id" = String, Path)),
    responses((status = 200, body = Validation), (status = 404, body = ErrorBody)))]
pub async fn validate_version(
    State(state): State<AppState>,
    principal: Principal,
    Path(version_id): Path<String>,
) -> Result<Json<Validation>, ApiError> {
    principal.require(Scope::Read)?;
    let v = templates::get_version(&state, &principal.workspace_id, &version_id).await?;
    Ok(Json(templates::validate_graph(&v.graph)))
}

#[utoipa::path(post, path = "/api/v1/workflows/validate", tag = "workflows", request_body = Graph,
    responses((status = 200, description = "`valid` and every problem, each naming its node", body = Validation),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn validate_graph(
    principal: Principal,
    ApiJson(graph): ApiJson<Graph>,
) -> Result<Json<Validation>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(templates::validate_graph(&graph)))
}
