//! Workspaces (docs/API-WORKSPACES.md, issue 7): every project belongs to one; people take part
//! with a role.
//!
//! A workspace owns data through a `users` row of kind 'workspace' with the same id (see
//! migrations/0007_workspaces.sql): every data table scopes by `owner_id`, and the request's
//! workspace (`Principal::workspace_id`, src/api/principal.rs) is that owner. A person's personal
//! workspace has the person's own id. Invitations are links with a secret token, stored hashed and shown once.
use crate::error::{CodedError, ErrorCode};
use std::str::FromStr;

use crate::db::sql::{params, Connection, OptionalExtension, Transaction};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{clock::rfc3339, db::DbError, AppState};

/// How long an invitation link works.
pub const INVITATION_TTL_DAYS: i64 = 7;
/// The longest workspace name.
pub const MAX_NAME_CHARS: usize = 80;

/// A person's role in a workspace, from most to least trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Reviewer,
    Viewer,
}

/// What a request wants to do inside a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See projects, storyboards, runs, assets.
    Read,
    /// Approve, reject or pick review candidates; a reviewer can't edit scripts.
    Review,
    /// Create and change projects, scripts, storyboards; start runs and exports.
    Write,
    /// The workspace's credits, plans and invoices.
    Billing,
    /// Members, roles, invitations, the workspace's name.
    Manage,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Editor => "editor",
            Self::Reviewer => "reviewer",
            Self::Viewer => "viewer",
        }
    }

    /// The least trusted role that may do `p`; roles are ordered, so a role allows what any role
    /// below it allows.
    pub fn allows(self, p: Permission) -> bool {
        let needed = match p {
            Permission::Read => Self::Viewer,
            Permission::Review => Self::Reviewer,
            Permission::Write => Self::Editor,
            Permission::Billing | Permission::Manage => Self::Admin,
        };
        self <= needed
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "editor" => Ok(Self::Editor),
            "reviewer" => Ok(Self::Reviewer),
            "viewer" => Ok(Self::Viewer),
            other => Err(format!(
                "unknown role '{other}' (expected owner, admin, editor, reviewer or viewer)"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for WorkspaceError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<crate::db::sql::Error> for WorkspaceError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Invalid {
        field,
        message: message.into(),
    }
}

fn not_found() -> WorkspaceError {
    WorkspaceError::NotFound("workspace not found".into())
}

/// A workspace as one of its members sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    /// The personal workspace every account has; it can't be deleted or shared away.
    pub personal: bool,
    /// The caller's role in it.
    pub role: Role,
    pub member_count: u64,
    pub project_count: u64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub joined_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invitation {
    pub id: String,
    pub workspace_id: String,
    pub email: Option<String>,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: String,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub status: String,
    pub created_at: String,
}

/// A new invitation: `token` is shown this once (the link is `#/invite/{token}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewInvitation {
    #[serde(flatten)]
    pub invitation: Invitation,
    pub token: String,
}

/// What the holder of an invitation link sees before accepting it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationPreview {
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: Role,
    pub email: Option<String>,
    pub invited_by: String,
    pub expires_at: String,
    pub status: String,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn check_name(name: &str) -> Result<String, WorkspaceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "name must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("name must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("name", "name must not contain control characters"));
    }
    Ok(name.to_string())
}

/// Creates the personal workspace of a new person, in the transaction that creates them.
pub fn create_personal_in_tx(
    tx: &Transaction<'_>,
    user_id: &str,
    now: &str,
) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO workspaces (id, name, personal, created_by, created_at, updated_at)
         VALUES (?1, 'Personal', 1, ?1, ?2, ?2) ON CONFLICT DO NOTHING",
        params![user_id, now],
    )?;
    tx.execute(
        "INSERT INTO workspace_members (workspace_id, user_id, role, created_at, updated_at)
         VALUES (?1, ?1, 'owner', ?2, ?2) ON CONFLICT DO NOTHING",
        params![user_id, now],
    )?;
    Ok(())
}

/// The person's role in a workspace, or None when they aren't a member (or it was deleted).
/// Their personal workspace is theirs even if its rows predate this table.
pub fn role_in(c: &Connection, workspace_id: &str, user_id: &str) -> Result<Option<Role>, DbError> {
    let role: Option<String> = c
        .query_row(
            "SELECT m.role FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.workspace_id = ?1 AND m.user_id = ?2 AND w.deleted_at IS NULL",
            params![workspace_id, user_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match role {
        Some(r) => r.parse().ok(),
        None if workspace_id == user_id => Some(Role::Owner),
        None => None,
    })
}

fn require_role(
    c: &Connection,
    workspace_id: &str,
    user_id: &str,
    p: Permission,
) -> Result<Role, WorkspaceError> {
    let role = role_in(c, workspace_id, user_id)?.ok_or_else(not_found)?;
    if !role.allows(p) {
        return Err(WorkspaceError::Forbidden(format!(
            "your role in this workspace ({}) can't do that; an owner or admin can change it",
            role.as_str()
        )));
    }
    Ok(role)
}

fn load_workspace(c: &Connection, id: &str, user_id: &str) -> Result<Workspace, WorkspaceError> {
    let role = role_in(c, id, user_id)?.ok_or_else(not_found)?;
    c.query_row(
        "SELECT w.id, w.name, w.personal, w.created_at, w.updated_at,
                (SELECT COUNT(*) FROM workspace_members m WHERE m.workspace_id = w.id),
                (SELECT COUNT(*) FROM projects p WHERE p.owner_id = w.id AND p.deleted_at IS NULL)
         FROM workspaces w WHERE w.id = ?1 AND w.deleted_at IS NULL",
        [id],
        |r| {
            Ok(Workspace {
                id: r.get(0)?,
                name: r.get(1)?,
                personal: r.get::<_, i64>(2)? == 1,
                created_at: r.get(3)?,
                updated_at: r.get(4)?,
                // The personal workspace's member row may predate the table: count its owner.
                member_count: (r.get::<_, i64>(5)?).max(1) as u64,
                project_count: r.get::<_, i64>(6)? as u64,
                role,
            })
        },
    )
    .optional()?
    .ok_or_else(not_found)
}

/// The workspaces a person belongs to: their personal one first, then by name.
#[tracing::instrument(skip(state))]
pub async fn list(state: &AppState, user_id: &str) -> Result<Vec<Workspace>, WorkspaceError> {
    let user = user_id.to_string();
    state
        .db
        .read(move |c| {
            let mut ids: Vec<String> = c
                .prepare(
                    "SELECT w.id FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id
                     WHERE m.user_id = ?1 AND w.deleted_at IS NULL
                     ORDER BY (w.id = ?1) DESC, lower(w.name), w.id",
                )?
                .query_map([&user], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if !ids.contains(&user) {
                ids.insert(0, user.clone());
            }
            ids.iter()
                .filter_map(|id| match load_workspace(c, id, &user) {
                    Err(WorkspaceError::NotFound(_)) => None,
                    other => Some(other),
                })
                .collect()
        })
        .await
}

#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, user_id: &str, id: &str) -> Result<Workspace, WorkspaceError> {
    let (user, id) = (user_id.to_string(), id.to_string());
    state.db.read(move |c| load_workspace(c, &id, &user)).await
}

/// Creates a shared workspace; its creator is the owner.
#[tracing::instrument(skip(state))]
pub async fn create(
    state: &AppState,
    user_id: &str,
    name: &str,
) -> Result<Workspace, WorkspaceError> {
    let name = check_name(name)?;
    let id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let user = user_id.to_string();
    state
        .db
        .write(move |tx| {
            // The owner row: data tables reference users (id), see the migration.
            tx.execute(
                "INSERT INTO users (id, username, role, status, kind, created_at, updated_at)
                 VALUES (?1, 'workspace:' || ?1, 'user', 'active', 'workspace', ?2, ?2)",
                params![id, now],
            )?;
            tx.execute(
                "INSERT INTO workspaces (id, name, personal, created_by, created_at, updated_at)
                 VALUES (?1, ?2, 0, ?3, ?4, ?4)",
                params![id, name, user, now],
            )?;
            tx.execute(
                "INSERT INTO workspace_members (workspace_id, user_id, role, created_at, updated_at)
                 VALUES (?1, ?2, 'owner', ?3, ?3)",
                params![id, user, now],
            )?;
            load_workspace(tx, &id, &user)
        })
        .await
}

/// Renames a workspace (owner or admin).
#[tracing::instrument(skip(state))]
pub async fn rename(
    state: &AppState,
    user_id: &str,
    id: &str,
    name: &str,
) -> Result<Workspace, WorkspaceError> {
    let name = check_name(name)?;
    let (user, id, now) = (
        user_id.to_string(),
        id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            require_role(tx, &id, &user, Permission::Manage)?;
            tx.execute(
                "UPDATE workspaces SET name = ?1, updated_at = ?2 WHERE id = ?3",
                params![name, now, id],
            )?;
            load_workspace(tx, &id, &user)
        })
        .await
}

/// Deletes a shared workspace (owner only). Refused while it still holds projects, so nothing is
/// lost: move or delete them first. A personal workspace can't be deleted.
#[tracing::instrument(skip(state))]
pub async fn delete(state: &AppState, user_id: &str, id: &str) -> Result<(), WorkspaceError> {
    let (user, id, now) = (
        user_id.to_string(),
        id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            let ws = load_workspace(tx, &id, &user)?;
            if ws.role != Role::Owner {
                return Err(WorkspaceError::Forbidden(
                    "only the workspace's owner can delete it".into(),
                ));
            }
            if ws.personal {
                return Err(WorkspaceError::Conflict(
                    "a personal workspace can't be deleted".into(),
                ));
            }
            let projects: i64 = tx.query_row(
                "SELECT COUNT(*) FROM projects WHERE owner_id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            if projects > 0 {
                return Err(WorkspaceError::Conflict(format!(
                    "the workspace still has {projects} project(s) (counting the trash); delete them first"
                )));
            }
            tx.execute(
                "UPDATE workspaces SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
                params![now, id],
            )?;
            tx.execute(
                "UPDATE workspace_invitations SET revoked_at = ?1
                 WHERE workspace_id = ?2 AND accepted_at IS NULL AND revoked_at IS NULL",
                params![now, id],
            )?;
            Ok(())
        })
        .await
}

/// The members of a workspace (any member may see them), owners first.
#[tracing::instrument(skip(state))]
pub async fn members(
    state: &AppState,
    user_id: &str,
    id: &str,
) -> Result<Vec<Member>, WorkspaceError> {
    let (user, id) = (user_id.to_string(), id.to_string());
    state
        .db
        .read(move |c| {
            require_role(c, &id, &user, Permission::Read)?;
            let mut stmt = c.prepare(
                "SELECT m.user_id, u.username, u.display_name, u.email, m.role, m.created_at
                 FROM workspace_members m JOIN users u ON u.id = m.user_id
                 WHERE m.workspace_id = ?1
                 ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'editor' THEN 2
                          WHEN 'reviewer' THEN 3 ELSE 4 END, lower(u.username)",
            )?;
            let rows = stmt
                .query_map([&id], member_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
}

/// Changes a member's role (owner or admin). Only an owner grants or removes `admin`; the owner's
/// own role is not changed here (a workspace always keeps its owner).
#[tracing::instrument(skip(state))]
pub async fn set_member_role(
    state: &AppState,
    user_id: &str,
    id: &str,
    member_id: &str,
    role: Role,
) -> Result<Member, WorkspaceError> {
    if role == Role::Owner {
        return Err(invalid(
            "role",
            "a workspace has one owner; choose admin, editor, reviewer or viewer",
        ));
    }
    let (user, id, member, now) = (
        user_id.to_string(),
        id.to_string(),
        member_id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            let mine = require_role(tx, &id, &user, Permission::Manage)?;
            let theirs = member_role(tx, &id, &member)?;
            if theirs == Role::Owner {
                return Err(WorkspaceError::Forbidden(
                    "the owner's role can't be changed".into(),
                ));
            }
            if mine != Role::Owner && (theirs == Role::Admin || role == Role::Admin) {
                return Err(WorkspaceError::Forbidden(
                    "only the owner grants or removes the admin role".into(),
                ));
            }
            tx.execute(
                "UPDATE workspace_members SET role = ?1, updated_at = ?2
                 WHERE workspace_id = ?3 AND user_id = ?4",
                params![role.as_str(), now, id, member],
            )?;
            load_member(tx, &id, &member)
        })
        .await
}

/// A member's role; 404 for someone who isn't one.
fn member_role(c: &Connection, id: &str, member: &str) -> Result<Role, WorkspaceError> {
    c.query_row(
        "SELECT role FROM workspace_members WHERE workspace_id = ?1 AND user_id = ?2",
        params![id, member],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .and_then(|r| r.parse().ok())
    .ok_or_else(|| WorkspaceError::NotFound("member not found".into()))
}

fn load_member(c: &Connection, id: &str, member: &str) -> Result<Member, WorkspaceError> {
    c.query_row(
        "SELECT m.user_id, u.username, u.display_name, u.email, m.role, m.created_at
         FROM workspace_members m JOIN users u ON u.id = m.user_id
         WHERE m.workspace_id = ?1 AND m.user_id = ?2",
        params![id, member],
        member_from_row,
    )
    .optional()?
    .ok_or_else(|| WorkspaceError::NotFound("member not found".into()))
}

fn member_from_row(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Member> {
    Ok(Member {
        user_id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        email: r.get(3)?,
        role: r.get::<_, String>(4)?.parse().unwrap_or(Role::Viewer),
        joined_at: r.get(5)?,
    })
}

/// Removes a member (owner or admin; an admin can't remove another admin), or lets a member leave.
/// The owner can't leave or be removed.
#[tracing::instrument(skip(state))]
pub async fn remove_member(
    state: &AppState,
    user_id: &str,
    id: &str,
    member_id: &str,
) -> Result<(), WorkspaceError> {
    let (user, id, member) = (user_id.to_string(), id.to_string(), member_id.to_string());
    state
        .db
        .write(move |tx| {
            let mine = if user == member {
                require_role(tx, &id, &user, Permission::Read)?
            } else {
                require_role(tx, &id, &user, Permission::Manage)?
            };
            let theirs = member_role(tx, &id, &member)?;
            if theirs == Role::Owner {
                return Err(WorkspaceError::Forbidden(
                    "the owner can't leave or be removed from the workspace".into(),
                ));
            }
            if user != member && mine != Role::Owner && theirs == Role::Admin {
                return Err(WorkspaceError::Forbidden(
                    "only the owner removes an admin".into(),
                ));
            }
            tx.execute(
                "DELETE FROM workspace_members WHERE workspace_id = ?1 AND user_id = ?2",
                params![id, member],
            )?;
            Ok(())
        })
        .await
}

/// A person leaves every team workspace, as their account is deleted. Refused (409, naming the
/// workspace) while they own one that has other members: its members would lose their owner.
/// Their personal workspace stays, with its data and its ledger history.
pub fn leave_teams_in_tx(tx: &Connection, user_id: &str) -> Result<(), WorkspaceError> {
    let owned_with_others: Option<String> = tx
        .query_row(
            "SELECT w.name FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id
              WHERE m.user_id = ?1 AND m.role = 'owner' AND w.personal = 0
                AND EXISTS (SELECT 1 FROM workspace_members o
                             WHERE o.workspace_id = w.id AND o.user_id <> ?1)
              ORDER BY w.created_at LIMIT 1",
            [user_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(name) = owned_with_others {
        return Err(WorkspaceError::Conflict(format!(
            "this person owns the workspace '{name}', which has other members: remove them or \
             delete the workspace first"
        )));
    }
    tx.execute(
        "DELETE FROM workspace_members WHERE user_id = ?1 AND role <> 'owner'",
        [user_id],
    )?;
    Ok(())
}

fn invitation_status(
    accepted_at: &Option<String>,
    revoked_at: &Option<String>,
    expires_at: &str,
    now: DateTime<Utc>,
) -> &'static str {
    if accepted_at.is_some() {
        "accepted"
    } else if revoked_at.is_some() {
        "revoked"
    } else if DateTime::parse_from_rfc3339(expires_at).is_ok_and(|t| t <= now) {
        "expired"
    } else {
        "pending"
    }
}

const INVITATION_COLUMNS: &str = "i.id, i.workspace_id, i.email, i.role, u.username, i.expires_at,
     i.accepted_at, i.revoked_at, i.created_at";

fn invitation_from_row(
    r: &crate::db::sql::Row<'_>,
    now: DateTime<Utc>,
) -> crate::db::sql::Result<Invitation> {
    let (expires_at, accepted, revoked): (String, Option<String>, Option<String>) =
        (r.get(5)?, r.get(6)?, r.get(7)?);
    Ok(Invitation {
        id: r.get(0)?,
        workspace_id: r.get(1)?,
        email: r.get(2)?,
        role: r.get::<_, String>(3)?.parse().unwrap_or(Role::Viewer),
        invited_by: r.get(4)?,
        status: invitation_status(&accepted, &revoked, &expires_at, now).into(),
        expires_at,
        created_at: r.get(8)?,
    })
}

/// Invites someone (owner or admin) with a role below owner; only the owner invites admins.
/// `email`, when given, binds the link to the account with that email.
#[tracing::instrument(skip(state))]
pub async fn invite(
    state: &AppState,
    user_id: &str,
    id: &str,
    email: Option<String>,
    role: Role,
) -> Result<NewInvitation, WorkspaceError> {
    if role == Role::Owner {
        return Err(invalid(
            "role",
            "invite as admin, editor, reviewer or viewer; a workspace has one owner",
        ));
    }
    let email = match email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => {
            Some(crate::accounts::check_email(e).map_err(|e| invalid("email", e.to_string()))?)
        }
        None => None,
    };
    let token = format!("inv_{}", hex::encode(rand::random::<[u8; 24]>()));
    let now = state.clock.now();
    let (inv_id, user, id, hash) = (
        state.ids.new_id().to_string(),
        user_id.to_string(),
        id.to_string(),
        hash_token(&token),
    );
    let (created, expires) = (
        rfc3339(now),
        rfc3339(now + Duration::days(INVITATION_TTL_DAYS)),
    );
    let invitation = state
        .db
        .write(move |tx| {
            let mine = require_role(tx, &id, &user, Permission::Manage)?;
            let personal: bool = tx.query_row(
                "SELECT personal FROM workspaces WHERE id = ?1",
                [&id],
                |r| r.get::<_, i64>(0).map(|p| p == 1),
            )?;
            if personal {
                return Err(WorkspaceError::Conflict(
                    "a personal workspace can't be shared; create a team workspace and invite people to it".into(),
                ));
            }
            if role == Role::Admin && mine != Role::Owner {
                return Err(WorkspaceError::Forbidden(
                    "only the owner invites admins".into(),
                ));
            }
            tx.execute(
                "INSERT INTO workspace_invitations
                   (id, workspace_id, email, role, token_hash, invited_by, expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![inv_id, id, email, role.as_str(), hash, user, expires, created],
            )?;
            tx.query_row(
                &format!(
                    "SELECT {INVITATION_COLUMNS} FROM workspace_invitations i
                     JOIN users u ON u.id = i.invited_by WHERE i.id = ?1"
                ),
                [&inv_id],
                |r| invitation_from_row(r, now),
            )
            .map_err(WorkspaceError::from)
        })
        .await?;
    Ok(NewInvitation { invitation, token })
}

/// A workspace's invitations, newest first (owner or admin).
#[tracing::instrument(skip(state))]
pub async fn invitations(
    state: &AppState,
    user_id: &str,
    id: &str,
) -> Result<Vec<Invitation>, WorkspaceError> {
    let (user, id, now) = (user_id.to_string(), id.to_string(), state.clock.now());
    state
        .db
        .read(move |c| {
            require_role(c, &id, &user, Permission::Manage)?;
            let mut stmt = c.prepare(&format!(
                "SELECT {INVITATION_COLUMNS} FROM workspace_invitations i
                 JOIN users u ON u.id = i.invited_by
                 WHERE i.workspace_id = ?1 ORDER BY i.created_at DESC, i.id DESC LIMIT 200"
            ))?;
            let rows = stmt
                .query_map([&id], |r| invitation_from_row(r, now))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
}

/// Revokes a pending invitation (owner or admin); its link stops working.
#[tracing::instrument(skip(state))]
pub async fn revoke_invitation(
    state: &AppState,
    user_id: &str,
    id: &str,
    invitation_id: &str,
) -> Result<(), WorkspaceError> {
    let (user, id, inv, now) = (
        user_id.to_string(),
        id.to_string(),
        invitation_id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            require_role(tx, &id, &user, Permission::Manage)?;
            let n = tx.execute(
                "UPDATE workspace_invitations SET revoked_at = ?1
                 WHERE id = ?2 AND workspace_id = ?3 AND accepted_at IS NULL AND revoked_at IS NULL",
                params![now, inv, id],
            )?;
            if n == 0 {
                return Err(WorkspaceError::NotFound(
                    "no pending invitation with that id".into(),
                ));
            }
            Ok(())
        })
        .await
}

struct InvitationRow {
    id: String,
    workspace_id: String,
    workspace_name: String,
    email: Option<String>,
    role: Role,
    invited_by: String,
    expires_at: String,
    status: &'static str,
}

fn find_invitation(
    c: &Connection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<InvitationRow, WorkspaceError> {
    c.query_row(
        "SELECT i.id, i.workspace_id, w.name, i.email, i.role, u.username, i.expires_at,
                i.accepted_at, i.revoked_at
         FROM workspace_invitations i
         JOIN workspaces w ON w.id = i.workspace_id AND w.deleted_at IS NULL
         JOIN users u ON u.id = i.invited_by
         WHERE i.token_hash = ?1",
        [hash_token(token)],
        |r| {
            let (expires_at, accepted, revoked): (String, Option<String>, Option<String>) =
                (r.get(6)?, r.get(7)?, r.get(8)?);
            Ok(InvitationRow {
                id: r.get(0)?,
                workspace_id: r.get(1)?,
                workspace_name: r.get(2)?,
                email: r.get(3)?,
                role: r.get::<_, String>(4)?.parse().unwrap_or(Role::Viewer),
                invited_by: r.get(5)?,
                status: invitation_status(&accepted, &revoked, &expires_at, now),
                expires_at,
            })
        },
    )
    .optional()?
    .ok_or_else(|| WorkspaceError::NotFound("this invitation link is not valid".into()))
}

/// What an invitation link offers, for its holder to decide.
#[tracing::instrument(skip_all)]
pub async fn preview_invitation(
    state: &AppState,
    token: &str,
) -> Result<InvitationPreview, WorkspaceError> {
    let (token, now) = (token.to_string(), state.clock.now());
    let row = state
        .db
        .read(move |c| find_invitation(c, &token, now))
        .await?;
    Ok(InvitationPreview {
        workspace_id: row.workspace_id,
        workspace_name: row.workspace_name,
        role: row.role,
        email: row.email,
        invited_by: row.invited_by,
        expires_at: row.expires_at,
        status: row.status.into(),
    })
}

/// Joins the workspace with the invitation's role. A link bound to an email only works for the
/// account with that email; a link works once. Someone already a member keeps the higher role.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn accept_invitation(
    state: &AppState,
    user_id: &str,
    token: &str,
) -> Result<Workspace, WorkspaceError> {
    let (user, token, now) = (user_id.to_string(), token.to_string(), state.clock.now());
    state
        .db
        .write(move |tx| {
            let inv = find_invitation(tx, &token, now)?;
            if inv.status != "pending" {
                return Err(WorkspaceError::Conflict(format!(
                    "this invitation is {}",
                    inv.status
                )));
            }
            if let Some(email) = &inv.email {
                let mine: Option<String> =
                    tx.query_row("SELECT email FROM users WHERE id = ?1", [&user], |r| {
                        r.get(0)
                    })?;
                if !mine.is_some_and(|m| m.eq_ignore_ascii_case(email)) {
                    return Err(WorkspaceError::Forbidden(format!(
                        "this invitation is for {email}; sign in with that account to accept it"
                    )));
                }
            }
            let at = rfc3339(now);
            let current = role_in(tx, &inv.workspace_id, &user)?;
            match current {
                Some(r) if r <= inv.role => {}
                Some(_) => {
                    tx.execute(
                        "UPDATE workspace_members SET role = ?1, updated_at = ?2
                         WHERE workspace_id = ?3 AND user_id = ?4",
                        params![inv.role.as_str(), at, inv.workspace_id, user],
                    )?;
                }
                None => {
                    tx.execute(
                        "INSERT INTO workspace_members (workspace_id, user_id, role, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![inv.workspace_id, user, inv.role.as_str(), at],
                    )?;
                }
            }
            tx.execute(
                "UPDATE workspace_invitations SET accepted_at = ?1, accepted_by = ?2 WHERE id = ?3",
                params![at, user, inv.id],
            )?;
            load_workspace(tx, &inv.workspace_id, &user)
        })
        .await
}
