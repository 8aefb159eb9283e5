//! Users by id (docs/API-CONVENTIONS.md, the `/users/{id}` row): one account read, changed or deleted by
//! the instance admin or by the person themself. Role changes are the admin's. Deleting keeps the
//! row, so the ledger's history, the projects and their owner stay intact, and stops every
//! credential at once.
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    check_password, hash_password, invalid, load_user, verify_password, AccountError,
    CheckedProfile, ProfilePatch, User,
};
use crate::{
    auth,
    clock::rfc3339,
    db::sql::{params, OptionalExtension},
    workspaces, AppState,
};

/// Who acts on an account: a person, and whether they act as the instance admin (an admin whose
/// credential carries the `admin` scope).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub as_admin: bool,
}

impl Actor {
    /// 403 for anyone but the admin and the person themself, before the id is looked up: nobody
    /// else learns whether an account exists.
    fn may_manage(&self, id: &str) -> Result<(), AccountError> {
        if self.as_admin || self.user_id == id {
            Ok(())
        } else {
            Err(AccountError::Forbidden(
                "only the instance admin or the person themself may read or change an account"
                    .into(),
            ))
        }
    }
}

/// A change to one account. Every field is optional; an empty email or display name clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UserPatch {
    pub username: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// A new password: every session of that person ends. Changing one's own needs
    /// `current_password`; the instance admin resets someone else's without it.
    pub password: Option<String>,
    pub current_password: Option<String>,
    /// `user` or `admin` (any case). The instance admin's to change, and never their own.
    pub role: Option<String>,
}

#[tracing::instrument(skip(state))]
pub async fn get_user(state: &AppState, actor: &Actor, id: &str) -> Result<User, AccountError> {
    actor.may_manage(id)?;
    let (id, now) = (id.to_string(), state.clock.now());
    state.db.read(move |c| load_user(c, &id, now)).await
}

#[tracing::instrument(skip(state, patch))]
pub async fn update_user(
    state: &AppState,
    actor: &Actor,
    id: &str,
    patch: UserPatch,
) -> Result<User, AccountError> {
    actor.may_manage(id)?;
    let own = actor.user_id == id;
    let role = match patch.role.as_deref() {
        None => None,
        Some(_) if !actor.as_admin => {
            return Err(AccountError::Forbidden(
                "only the instance admin changes roles".into(),
            ))
        }
        Some(r) => {
            let r = r.trim().to_ascii_lowercase();
            if !matches!(r.as_str(), "user" | "admin") {
                return Err(invalid("role", "role must be user or admin"));
            }
            if own && r != "admin" {
                return Err(invalid(
                    "role",
                    "you cannot remove your own admin role: another admin can",
                ));
            }
            Some(r)
        }
    };
    let profile = CheckedProfile::of(&ProfilePatch {
        username: patch.username,
        email: patch.email,
        display_name: patch.display_name,
    })?;
    let new_hash = match patch.password {
        None => None,
        Some(new) => {
            check_password("password", &new)?;
            let current = if own {
                Some(patch.current_password.ok_or_else(|| {
                    invalid(
                        "current_password",
                        "current_password is required to change your own password",
                    )
                })?)
            } else {
                None
            };
            Some(password_hash_after_check(state, id, current, new).await?)
        }
    };
    let at = state.clock.now();
    let (id, now) = (id.to_string(), rfc3339(at));
    state
        .db
        .write(move |tx| {
            load_user(tx, &id, at)?;
            profile.apply_in_tx(tx, &id, &now)?;
            if let Some(role) = &role {
                tx.execute(
                    "UPDATE users SET role = ?1 WHERE id = ?2",
                    params![role, id],
                )?;
            }
            if let Some(hash) = &new_hash {
                tx.execute(
                    "UPDATE users SET password_hash = ?1 WHERE id = ?2",
                    params![hash, id],
                )?;
                tx.execute(
                    "UPDATE refresh_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
                    params![now, id],
                )?;
            }
            load_user(tx, &id, at)
        })
        .await
}

/// The new password's hash, once `current` (when given) matches the stored one.
async fn password_hash_after_check(
    state: &AppState,
    id: &str,
    current: Option<String>,
    new: String,
) -> Result<String, AccountError> {
    let stored: Option<String> = if current.is_some() {
        let id = id.to_string();
        state
            .db
            .read(move |c| {
                c.query_row(
                    "SELECT password_hash FROM users WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()
                .map(Option::flatten)
                .map_err(AccountError::from)
            })
            .await?
    } else {
        None
    };
    if current.is_some() && stored.is_none() {
        return Err(invalid(
            "current_password",
            "this account has no password (the local owner)",
        ));
    }
    tokio::task::spawn_blocking(move || {
        if let (Some(current), Some(stored)) = (&current, &stored) {
            if !verify_password(current, stored) {
                return Err(invalid("current_password", "the current password is wrong"));
            }
        }
        hash_password(&new)
    })
    .await
    .map_err(|e| AccountError::Internal(e.to_string()))?
}

/// Deletes an account: it can no longer sign in (its sessions and API keys stop now), its name and
/// email are free for others, and it leaves its team workspaces. The row stays, marked deleted,
/// so the ledger, the personal workspace's projects and the audit trail keep their owner. The
/// instance's last admin cannot be deleted.
#[tracing::instrument(skip(state))]
pub async fn delete_user(state: &AppState, actor: &Actor, id: &str) -> Result<(), AccountError> {
    actor.may_manage(id)?;
    let at = state.clock.now();
    let (id, now) = (id.to_string(), rfc3339(at));
    state
        .db
        .write(move |tx| {
            let user = load_user(tx, &id, at)?;
            if user.is_admin {
                let other_admins: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM users WHERE role = 'admin' AND kind = 'person'
                        AND status = 'active' AND deleted_at IS NULL AND id <> ?1",
                    [&id],
                    |r| r.get(0),
                )?;
                if other_admins == 0 {
                    return Err(AccountError::Conflict(
                        "the instance's last admin cannot be deleted: make another admin first"
                            .into(),
                    ));
                }
            }
            workspaces::leave_teams_in_tx(tx, &id).map_err(|e| match e {
                workspaces::WorkspaceError::Conflict(m) => AccountError::Conflict(m),
                other => AccountError::Internal(other.to_string()),
            })?;
            // The name a deleted account keeps is one sign-up refuses (it has a `:`), so it never
            // collides with a person's.
            tx.execute(
                "UPDATE users SET status = 'inactive', deleted_at = ?1, updated_at = ?1,
                        username = ?2, email = NULL, display_name = NULL, password_hash = NULL,
                        referral_code = NULL
                  WHERE id = ?3",
                params![now, format!("deleted:{id}"), id],
            )?;
            tx.execute(
                "UPDATE refresh_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
                params![now, id],
            )?;
            auth::revoke_all_keys_in_tx(tx, &id, &now)?;
            Ok(())
        })
        .await
}
