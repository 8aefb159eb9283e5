//! The desktop's shares (docs/API-SHARES.md, "From the desktop"): "Share" on an export makes a
//! link on the team server the desktop is signed in to. The project is linked (to the person's
//! own workspace when it is not yet) and synced, which uploads the exported video once, by hash,
//! with sync's blob upload; then the server makes a link to that video.
//!
//! A share is queued first, so it survives being offline and restarts: it is sent at once when
//! the server can be reached, else retried (with a growing wait) by the background loop until it
//! is made, refused or cancelled. The request carries the queue entry's id as its
//! `Idempotency-Key`, so a request whose answer was lost is answered with the same link.
use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_expiry, check_password_length, invalid, store, ShareError};
use tracing::Instrument;

use crate::{clock::rfc3339, AppState};

/// After this many failed tries a share stops and says why (the person may retry it).
pub const MAX_ATTEMPTS: i64 = 20;

crate::states! {
    pub enum QueuedShareStatus ("queued share") {
        /// Waiting for the team server (offline, or its next try).
        Queued = "queued",
        /// Being synced and sent now.
        Sending = "sending",
        /// The link is made: `url`.
        Shared = "shared",
        /// The server refused it, or it failed too often: `last_error` says why.
        Failed = "failed",
        Cancelled = "cancelled",
    }
    transitions {
        Queued => Sending,
        // `Sending → Queued` also when a process stopped while sending (the key makes the
        // second request safe).
        Sending => Shared | Queued | Failed,
        Queued | Failed => Cancelled,
        Failed => Queued,
    }
}

/// `POST /api/v1/remote/shares`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueShare {
    /// A completed export of one of this desktop's projects.
    pub export_id: String,
    /// RFC 3339, in the future, at most 366 days away; absent: the link does not expire.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// 4–128 characters; kept in the OS keyring (or the encrypted file) until it is sent.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub include_storyboard: bool,
}

/// A share asked for on this desktop, and where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuedShare {
    pub id: String,
    pub project_id: String,
    pub export_id: String,
    pub include_storyboard: bool,
    pub expires_at: Option<String>,
    pub has_password: bool,
    pub status: QueuedShareStatus,
    pub attempts: i64,
    /// Why the last try did not make the link (offline, or the server's words).
    pub last_error: Option<String>,
    /// When it is tried again (queued after a failed try).
    pub next_try_at: Option<String>,
    /// The link on the team server, once made.
    pub share_id: Option<String>,
    pub url: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn password_secret(id: &str) -> String {
    format!("share-queue:{id}")
}

/// Queues a share of one of this desktop's exports and tries to send it at once.
#[tracing::instrument(skip(state, input), fields(export_id = %input.export_id))]
pub async fn enqueue(state: &AppState, input: QueueShare) -> Result<QueuedShare, ShareError> {
    let owner = state
        .local_owner_id
        .clone()
        .ok_or_else(|| ShareError::NotFound("shares are queued on the desktop only".into()))?;
    if state.remote.server_url().await.is_none() {
        return Err(invalid(
            "server_url",
            "sign in to a team server first: links are made there",
        ));
    }
    let now = state.clock.now();
    let expires_at = check_expiry(input.expires_at.as_deref(), now)?;
    // Checked here as the server will (it is hashed there, not here).
    if let Some(pw) = &input.password {
        check_password_length(pw)?;
    }
    let export = crate::export::get(state, &owner, &input.export_id)
        .await
        .map_err(|_| ShareError::NotFound(format!("export '{}' not found", input.export_id)))?;
    if export.status != crate::export::ExportStatus::Completed || export.asset_id.is_none() {
        return Err(invalid(
            "export_id",
            format!(
                "export '{}' is {}: only a completed export can be shared",
                export.id,
                export.status.as_str()
            ),
        ));
    }
    let id = state.ids.new_id().to_string();
    if let Some(pw) = &input.password {
        let secrets = state.remote.secret_store().await;
        let (name, pw) = (password_secret(&id), pw.clone());
        tokio::task::spawn_blocking(move || secrets.set(&name, &pw))
            .await
            .map_err(|e| ShareError::Internal(e.to_string()))?
            .map_err(|e| ShareError::Internal(format!("the password cannot be kept: {e}")))?;
    }
    let at = rfc3339(now);
    let queued = QueuedShare {
        id: id.clone(),
        project_id: export.project_id,
        export_id: export.id,
        include_storyboard: input.include_storyboard,
        expires_at,
        has_password: input.password.is_some(),
        status: QueuedShareStatus::Queued,
        attempts: 0,
        last_error: None,
        next_try_at: None,
        share_id: None,
        url: None,
        created_at: at.clone(),
        updated_at: at,
    };
    let row = queued.clone();
    state
        .db
        .write(move |c| store::queue_insert(c, &owner, &row))
        .await?;
    tracing::info!(queued = %id, "share queued");
    let st = state.clone();
    tokio::spawn(async move {
        send(&st, &id).await;
    });
    Ok(queued)
}

/// This desktop's shares, newest first.
pub async fn list(state: &AppState) -> Result<Vec<QueuedShare>, ShareError> {
    Ok(state.db.read(store::queue_list).await?)
}

async fn get(state: &AppState, id: &str) -> Result<QueuedShare, ShareError> {
    let qid = id.to_string();
    state
        .db
        .read(move |c| store::queue_get(c, &qid))
        .await?
        .ok_or_else(|| ShareError::NotFound(format!("queued share '{id}' not found")))
}

/// Moves a share along its table's edge, or says why it cannot.
async fn move_to(
    state: &AppState,
    id: &str,
    next: QueuedShareStatus,
) -> Result<QueuedShare, ShareError> {
    let (qid, at) = (id.to_string(), rfc3339(state.clock.now()));
    let moved = state
        .db
        .write(move |c| store::queue_transition(c, &qid, next, &at))
        .await?;
    let share = get(state, id).await?;
    if !moved {
        return Err(invalid(
            "status",
            format!(
                "a {} share cannot become {}",
                share.status.as_str(),
                next.as_str()
            ),
        ));
    }
    Ok(share)
}

/// Cancels a share not made yet (queued, or failed).
#[tracing::instrument(skip(state))]
pub async fn cancel(state: &AppState, id: &str) -> Result<QueuedShare, ShareError> {
    let share = move_to(state, id, QueuedShareStatus::Cancelled).await?;
    forget_password(state, id).await;
    Ok(share)
}

/// Sends a share now: a failed one goes back to the queue first; a queued one does not wait for
/// its next try. Answers where it stands after this try.
#[tracing::instrument(skip(state))]
pub async fn send_now(state: &AppState, id: &str) -> Result<QueuedShare, ShareError> {
    let share = get(state, id).await?;
    match share.status {
        QueuedShareStatus::Failed => {
            move_to(state, id, QueuedShareStatus::Queued).await?;
        }
        QueuedShareStatus::Queued => {}
        other => {
            return Err(invalid(
                "status",
                format!("a {} share is not waiting to be sent", other.as_str()),
            ))
        }
    }
    send(state, id).await;
    get(state, id).await
}

async fn forget_password(state: &AppState, id: &str) {
    let secrets = state.remote.secret_store().await;
    let name = password_secret(id);
    let _ = tokio::task::spawn_blocking(move || secrets.delete(&name)).await;
}

/// How one try ended.
enum Outcome {
    Shared {
        share_id: String,
        url: String,
    },
    /// Offline, or the server failed: try again later.
    Later(String),
    /// The server refused it: trying again would not help.
    Refused(String),
}

/// One try of a queued share: claimed (a share is sent by one task at a time), the project
/// linked or synced, the link asked for; the outcome recorded.
#[tracing::instrument(skip(state))]
pub async fn send(state: &AppState, id: &str) {
    let (qid, at) = (id.to_string(), rfc3339(state.clock.now()));
    let claimed = state
        .db
        .write(move |c| store::queue_claim(c, &qid, &at))
        .await;
    let share = match claimed {
        Ok(Some(share)) => share,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "a queued share cannot be claimed");
            return;
        }
    };
    let outcome = attempt(state, &share).await;
    let now = state.clock.now();
    let attempts = share.attempts + 1;
    let (next, error, next_try, made) = match outcome {
        Outcome::Shared { share_id, url } => {
            (QueuedShareStatus::Shared, None, None, Some((share_id, url)))
        }
        Outcome::Later(e) if attempts < MAX_ATTEMPTS => {
            let wait = crate::sync::client::backoff(attempts);
            let at = now + Duration::from_std(wait).unwrap_or_default();
            (QueuedShareStatus::Queued, Some(e), Some(rfc3339(at)), None)
        }
        Outcome::Later(e) | Outcome::Refused(e) => (QueuedShareStatus::Failed, Some(e), None, None),
    };
    let done = next != QueuedShareStatus::Queued;
    let (qid, at) = (id.to_string(), rfc3339(now));
    let recorded = state
        .db
        .write(move |c| {
            store::queue_record(
                c,
                &qid,
                next,
                error.as_deref(),
                next_try.as_deref(),
                made.as_ref().map(|(s, u)| (s.as_str(), u.as_str())),
                &at,
            )
        })
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "a share's outcome cannot be recorded");
        return;
    }
    tracing::info!(queued = %id, status = next.as_str(), "share tried");
    if done {
        forget_password(state, id).await;
    }
}

async fn attempt(state: &AppState, share: &QueuedShare) -> Outcome {
    use crate::sync::{client, SyncError};
    let person = state.remote.status().await.user_id;
    let Some(person) = person else {
        return Outcome::Later("signed out of the team server: sign in to share".into());
    };
    // The project reaches the server through sync; linking it takes it to the person's own
    // workspace (its id is the person's).
    let synced = match client::status(state, &share.project_id).await {
        Ok(_) => client::sync_now(state, &share.project_id).await,
        Err(SyncError::NotFound(_)) => client::link(state, &share.project_id, &person).await,
        Err(e) => Err(e),
    };
    match synced {
        Ok(status) if status.last_error.is_none() => {}
        Ok(status) => {
            return Outcome::Later(status.last_error.unwrap_or_default());
        }
        Err(e @ (SyncError::Remote(_) | SyncError::Db(_) | SyncError::Internal(_))) => {
            return Outcome::Later(e.to_string())
        }
        Err(e) => return Outcome::Refused(e.to_string()),
    }
    let owner = state.local_owner_id.clone().unwrap_or_default();
    let asset_id = match crate::export::get(state, &owner, &share.export_id).await {
        Ok(e) => e.asset_id,
        Err(_) => None,
    };
    let Some(asset_id) = asset_id else {
        return Outcome::Refused("the export is gone from this computer".into());
    };
    let password = if share.has_password {
        let secrets = state.remote.secret_store().await;
        let name = password_secret(&share.id);
        match tokio::task::spawn_blocking(move || secrets.get(&name)).await {
            Ok(Ok(Some(pw))) => Some(pw),
            _ => return Outcome::Refused("the share's password is no longer stored".into()),
        }
    } else {
        None
    };
    let body = serde_json::json!({
        "project_id": share.project_id,
        "asset_id": asset_id,
        "expires_at": share.expires_at,
        "password": password,
        "include_storyboard": share.include_storyboard,
    });
    let answer = state
        .remote
        .post_idempotent(state.clock.as_ref(), "/api/v1/share", body, &share.id)
        .await;
    match answer {
        Ok((status, made)) if status.is_success() => {
            match (made["id"].as_str(), made["url"].as_str()) {
                (Some(id), Some(url)) => Outcome::Shared {
                    share_id: id.into(),
                    url: absolute(state, url).await,
                },
                _ => Outcome::Later(format!("the server's answer has no link: {made}")),
            }
        }
        Ok((status, body)) => {
            let detail = body["detail"].as_str().unwrap_or("no detail").to_string();
            let said = format!("the team server answered {}: {detail}", status.as_u16());
            if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 401 {
                Outcome::Later(said)
            } else {
                Outcome::Refused(said)
            }
        }
        Err(e) => Outcome::Later(e.to_string()),
    }
}

/// A link the server made relative (no public URL configured) made absolute with its address.
async fn absolute(state: &AppState, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        return url.to_string();
    }
    let base = state.remote.server_url().await.unwrap_or_default();
    format!("{}{url}", base.trim_end_matches('/'))
}

/// Sends every queued share whose time has come.
pub async fn send_due(state: &AppState) {
    let now = rfc3339(state.clock.now());
    let due = match state.db.read(move |c| store::queue_due(c, &now)).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "the share queue cannot be read");
            return;
        }
    };
    for id in due {
        send(state, &id).await;
    }
}

/// The desktop's loop: queued shares are sent at start and every `every` after.
pub fn spawn(state: &AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(
        async move {
            // A share left `sending` by a stopped process goes again from the start.
            let at = rfc3339(state.clock.now());
            if let Err(e) = state.db.write(move |c| store::queue_requeue(c, &at)).await {
                tracing::warn!(error = %e, "interrupted shares cannot be queued again");
            }
            loop {
                send_due(&state).await;
                tokio::time::sleep(every).await;
            }
        }
        .instrument(tracing::info_span!("share_queue")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_moves_only_along_its_table() {
        use QueuedShareStatus::*;
        assert!(Queued.can_become(Sending));
        assert!(!Sending.can_become(Sending));
        assert!(Sending.can_become(Shared));
        assert!(Failed.can_become(Queued));
        assert!(!Shared.can_become(Cancelled));
        assert!(!Shared.can_become(Queued));
        assert!(!Cancelled.can_become(Sending));
        assert!(!Failed.can_become(Sending));
    }
}
