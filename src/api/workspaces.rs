//! HTTP handlers for workspaces, members and invitations (thin: check the credential's scope, call
//! the service, which checks the caller's role in the workspace named by the path).
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::ApiJson,
};
use crate::{
    auth::Scope,
    workspaces::{self, Invitation, InvitationPreview, Member, NewInvitation, Role, Workspace},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    let person = OpenApiRouter::new()
        .routes(routes!(list_workspaces, create_workspace))
        .routes(routes!(preview_invitation))
        .routes(routes!(accept_invitation));
    let named = OpenApiRouter::new()
        .routes(routes!(get_workspace, patch_workspace, delete_workspace))
        .routes(routes!(list_members));
    let member = OpenApiRouter::new().routes(routes!(patch_member, remove_member));
    let invitations = OpenApiRouter::new()
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation));
    with_policy(person, Policy::Person)
        .merge(with_policy(named, Policy::NamedWorkspace))
        .merge(with_policy(member, Policy::NamedWorkspaceMember))
        .merge(with_policy(invitations, Policy::NamedWorkspaceManage))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct WorkspaceInput {
    /// 1–80 characters.
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberPatch {
    /// admin, editor, reviewer or viewer.
    pub role: Role,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InvitationInput {
    /// When given, only the account with this email can accept.
    #[serde(default)]
    pub email: Option<String>,
    /// admin, editor, reviewer or viewer.
    pub role: Role,
}

#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces",
    responses((status = 200, description = "The caller's workspaces, the personal one first", body = Vec<Workspace>)))]
pub async fn list_workspaces(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Workspace>>, ApiError> {
    principal.require_scope(Scope::Read)?;
    Ok(Json(workspaces::list(&state, &principal.user_id).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces", request_body = WorkspaceInput,
    responses((status = 201, description = "Created; the caller is its owner", body = Workspace)))]
pub async fn create_workspace(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<WorkspaceInput>,
) -> Result<(StatusCode, Json<Workspace>), ApiError> {
    principal.require_scope(Scope::Write)?;
    let ws = workspaces::create(&state, &principal.user_id, &input.name).await?;
    Ok((StatusCode::CREATED, Json(ws)))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{id}", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id")),
    responses((status = 200, body = Workspace), (status = 404, description = "No such workspace, or the caller isn't a member", body = ErrorBody)))]
pub async fn get_workspace(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Workspace>, ApiError> {
    principal.require_scope(Scope::Read)?;
    Ok(Json(
        workspaces::get(&state, &principal.user_id, &id).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{id}", tag = "workspaces", request_body = WorkspaceInput,
    params(("id" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "Renamed (owner or admin)", body = Workspace)))]
pub async fn patch_workspace(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WorkspaceInput>,
) -> Result<Json<Workspace>, ApiError> {
    principal.require_scope(Scope::Write)?;
    Ok(Json(
        workspaces::rename(&state, &principal.user_id, &id, &input.name).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{id}", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id")),
    responses((status = 204, description = "Deleted (owner; only when it holds no projects)"),
        (status = 409, description = "A personal workspace, or one that still has projects", body = ErrorBody)))]
pub async fn delete_workspace(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require_scope(Scope::Write)?;
    workspaces::delete(&state, &principal.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/workspaces/{id}/members", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "Members, owner first", body = Vec<Member>)))]
pub async fn list_members(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<Member>>, ApiError> {
    principal.require_scope(Scope::Read)?;
    Ok(Json(
        workspaces::members(&state, &principal.user_id, &id).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{id}/members/{user_id}", tag = "workspaces", request_body = MemberPatch,
    params(("id" = String, Path, description = "Workspace id"), ("user_id" = String, Path, description = "Member's user id")),
    responses((status = 200, description = "The member with the new role", body = Member)))]
pub async fn patch_member(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, user_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<MemberPatch>,
) -> Result<Json<Member>, ApiError> {
    principal.require_scope(Scope::Write)?;
    Ok(Json(
        workspaces::set_member_role(&state, &principal.user_id, &id, &user_id, input.role).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{id}/members/{user_id}", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id"), ("user_id" = String, Path, description = "Member's user id (one's own: leave)")),
    responses((status = 204, description = "Removed, or left")))]
pub async fn remove_member(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_scope(Scope::Write)?;
    workspaces::remove_member(&state, &principal.user_id, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/workspaces/{id}/invitations", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "Invitations, newest first (owner or admin)", body = Vec<Invitation>)))]
pub async fn list_invitations(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<Invitation>>, ApiError> {
    principal.require_scope(Scope::Read)?;
    Ok(Json(
        workspaces::invitations(&state, &principal.user_id, &id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{id}/invitations", tag = "workspaces", request_body = InvitationInput,
    params(("id" = String, Path, description = "Workspace id")),
    responses((status = 201, description = "Created; `token` is shown this once", body = NewInvitation),
        (status = 409, description = "A personal workspace can't be shared", body = ErrorBody)))]
pub async fn create_invitation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<InvitationInput>,
) -> Result<(StatusCode, Json<NewInvitation>), ApiError> {
    principal.require_scope(Scope::Write)?;
    let inv = workspaces::invite(&state, &principal.user_id, &id, input.email, input.role).await?;
    Ok((StatusCode::CREATED, Json(inv)))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{id}/invitations/{invitation_id}", tag = "workspaces",
    params(("id" = String, Path, description = "Workspace id"), ("invitation_id" = String, Path, description = "Invitation id")),
    responses((status = 204, description = "Revoked; the link stops working")))]
pub async fn revoke_invitation(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, invitation_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_scope(Scope::Write)?;
    workspaces::revoke_invitation(&state, &principal.user_id, &id, &invitation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Public: the token is the secret, and its holder may not have an account yet.
#[utoipa::path(get, path = "/api/v1/invitations/{token}", tag = "workspaces", security(),
    params(("token" = String, Path, description = "The invitation link's token")),
    responses((status = 200, description = "What the link offers", body = InvitationPreview),
        (status = 404, description = "Not a valid link", body = ErrorBody)))]
pub async fn preview_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<InvitationPreview>, ApiError> {
    Ok(Json(workspaces::preview_invitation(&state, &token).await?))
}

#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", tag = "workspaces",
    params(("token" = String, Path, description = "The invitation link's token")),
    responses((status = 200, description = "Joined; the workspace with the caller's role", body = Workspace),
        (status = 409, description = "Already accepted, revoked or expired", body = ErrorBody)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    principal: Principal,
    Path(token): Path<String>,
) -> Result<Json<Workspace>, ApiError> {
    principal.require_scope(Scope::Write)?;
    Ok(Json(
        workspaces::accept_invitation(&state, &principal.user_id, &token).await?,
    ))
}
