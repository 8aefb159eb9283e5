//! Handlers for the storyboard: scenes and shots (`/storyboards`; docs/API-EDITOR.md).
use crate::paging::{Page, PageSpec};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::generation;
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    storyboard::{
        self, DeletedShot, MergeShots, MoveShot, NewShot, RevertShot, Scene, SceneInput, Shot,
        ShotFilter, ShotPatch, SplitShot, StoryboardView,
    },
    workflow::generate::{self, GenerateShot, GeneratedShot},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_storyboard))
        .routes(routes!(list_scenes, create_scene))
        .routes(routes!(update_scene, delete_scene))
        .routes(routes!(list_shots, create_shot))
        .routes(routes!(get_shot, put_shot, patch_shot, delete_shot))
        .routes(routes!(restore_shot))
        .routes(routes!(move_shot))
        .routes(routes!(split_shot))
        .routes(routes!(merge_shot))
        .routes(routes!(revert_shot))
        .merge(generation(
            OpenApiRouter::new().routes(routes!(generate_shot)),
        ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StoryboardQuery {
    /// Default: the current version.
    pub version_id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/storyboard", tag = "storyboards",
    params(("id" = String, Path, description = "Project id"), StoryboardQuery),
    responses((status = 200, description = "Scenes with their shots, in order", body = StoryboardView),
        (status = 404, body = ErrorBody)))]
pub async fn get_storyboard(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<StoryboardQuery>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let view = storyboard::storyboard(
        &state,
        &principal.workspace_id,
        &id,
        q.version_id.as_deref(),
    )
    .await?;
    // A 30,000-shot storyboard is ~25 MB of JSON: encode it (and free the view) on a blocking
    // thread, not on the async workers every other request needs (docs/BENCHMARKS.md).
    let body = tokio::task::spawn_blocking(move || serde_json::to_vec(&view))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SceneList {
    pub items: Vec<Scene>,
    pub total: u64,
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/versions/{version_id}/scenes", tag = "storyboards",
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, body = SceneList), (status = 404, body = ErrorBody)))]
pub async fn list_scenes(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
) -> Result<Json<SceneList>, ApiError> {
    principal.require(Scope::Read)?;
    let items = storyboard::list_scenes(&state, &principal.workspace_id, &id, &version_id).await?;
    Ok(Json(SceneList {
        total: items.len() as u64,
        items,
    }))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/versions/{version_id}/scenes", tag = "storyboards",
    params(("id" = String, Path), ("version_id" = String, Path)), request_body = SceneInput,
    responses((status = 201, body = Scene), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_scene(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, version_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<SceneInput>,
) -> Result<(StatusCode, Json<Scene>), ApiError> {
    principal.require(Scope::Write)?;
    let scene =
        storyboard::create_scene(&state, &principal.workspace_id, &id, &version_id, input).await?;
    Ok((StatusCode::CREATED, Json(scene)))
}

#[utoipa::path(patch, path = "/api/v1/scenes/{id}", tag = "storyboards",
    params(("id" = String, Path)), request_body = SceneInput,
    responses((status = 200, body = Scene), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_scene(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SceneInput>,
) -> Result<Json<Scene>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::update_scene(&state, &principal.workspace_id, &id, input).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/scenes/{id}", tag = "storyboards",
    params(("id" = String, Path)),
    responses((status = 200, description = "The deleted scene", body = Scene), (status = 404, body = ErrorBody),
        (status = 409, description = "The scene still has shots", body = ErrorBody)))]
pub async fn delete_scene(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Scene>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::delete_scene(&state, &principal.workspace_id, &id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShotQuery {
    /// The project whose shots to list.
    pub project_id: String,
    /// Default: the current version.
    pub version_id: Option<String>,
    pub scene_number: Option<u32>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/storyboards", tag = "storyboards",
    params(ShotQuery),
    responses((status = 200, body = Page<Shot>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_shots(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ShotQuery>,
) -> Result<Json<Page<Shot>>, ApiError> {
    principal.require(Scope::Read)?;
    let project_id = q.project_id;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let filter = ShotFilter {
        version_id: q.version_id,
        scene_number: q.scene_number,
    };
    let (items, total) =
        storyboard::list_shots(&state, &principal.workspace_id, &project_id, filter, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/storyboards", tag = "storyboards",
    request_body = NewShot,
    responses((status = 201, body = Shot), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_shot(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewShot>,
) -> Result<(StatusCode, Json<Shot>), ApiError> {
    principal.require(Scope::Write)?;
    let shot = storyboard::create_shot(&state, &principal.workspace_id, input).await?;
    Ok((StatusCode::CREATED, Json(shot)))
}

#[utoipa::path(get, path = "/api/v1/storyboards/{id}", tag = "storyboards",
    params(("id" = String, Path)),
    responses((status = 200, body = Shot), (status = 404, body = ErrorBody)))]
pub async fn get_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Shot>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(
        storyboard::get_shot(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/storyboards/{id}", tag = "storyboards",
    params(("id" = String, Path)), request_body = ShotPatch,
    responses((status = 200, body = Shot), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ShotPatch>,
) -> Result<Json<Shot>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::update_shot(&state, &principal.workspace_id, &id, patch).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/storyboards/{id}", tag = "storyboards",
    params(("id" = String, Path)), request_body = ShotPatch,
    responses((status = 200, body = Shot), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ShotPatch>,
) -> Result<Json<Shot>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::update_shot(&state, &principal.workspace_id, &id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/storyboards/{id}", tag = "storyboards",
    params(("id" = String, Path)),
    responses((status = 200, description = "Trashed; restorable", body = DeletedShot), (status = 404, body = ErrorBody)))]
pub async fn delete_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<DeletedShot>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::delete_shot(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/storyboards/{id}/restore", tag = "storyboards",
    params(("id" = String, Path)),
    responses((status = 200, body = Shot), (status = 404, body = ErrorBody)))]
pub async fn restore_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Shot>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::restore_shot(&state, &principal.workspace_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/storyboards/{id}/move", tag = "storyboards",
    params(("id" = String, Path)), request_body = MoveShot,
    responses((status = 200, description = "The moved shot (only its order key changed)", body = Shot),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn move_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(to): ApiJson<MoveShot>,
) -> Result<Json<Shot>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::move_shot(&state, &principal.workspace_id, &id, to).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/storyboards/{id}/split", tag = "storyboards",
    params(("id" = String, Path)), request_body = SplitShot,
    responses((status = 200, description = "The two shots", body = [Shot]), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn split_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(at): ApiJson<SplitShot>,
) -> Result<Json<Vec<Shot>>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::split_shot(&state, &principal.workspace_id, &id, at).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/storyboards/{id}/merge", tag = "storyboards",
    params(("id" = String, Path)), request_body = MergeShots,
    responses((status = 200, description = "The merged shot; the other is trashed", body = Shot),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(with): ApiJson<MergeShots>,
) -> Result<Json<Shot>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::merge_shots(&state, &principal.workspace_id, &id, with).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/storyboards/{id}/revert", tag = "storyboards",
    params(("id" = String, Path)), request_body = RevertShot,
    responses((status = 200, description = "The shot as it was; `restore_ids` are back, `trash_ids` in the trash", body = Shot),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The shot changed since `expected_updated_at`; nothing was written", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn revert_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RevertShot>,
) -> Result<Json<Shot>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        storyboard::revert_shot(&state, &principal.workspace_id, &id, input).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/storyboards/{id}/generate", tag = "storyboards",
    params(("id" = String, Path, description = "Shot id")), request_body = GenerateShot,
    responses((status = 200, description = "The shot's new keyframe, from the image model (paid) or the built-in renderer", body = GeneratedShot),
        (status = 402, description = "The balance cannot cover the image model's price", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "The shot is approved and locked", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 502, description = "The image provider failed; `detail` is its message", body = ErrorBody)))]
pub async fn generate_shot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<GenerateShot>,
) -> Result<Json<GeneratedShot>, ApiError> {
    principal.require(Scope::Write)?;
    Ok(Json(
        generate::generate_shot(&state, &principal.workspace_id, &id, input).await?,
    ))
}
