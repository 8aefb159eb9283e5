//! The desktop's side of sync: link a project to a workspace on the signed-in team server (or
//! pull one down), queue local edits in the outbox, push them, pull the server's log, and keep
//! doing so in the background with backoff. docs/SYNC.md is the protocol.
use std::{
    collections::{BTreeMap, HashMap},
    time::Duration,
};

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    capture, invalid, rank_order, schema, store, Change, Conflict, Event, FieldWrite, Mutation,
    PullRequest, PullResponse, PushRequest, PushResponse, SyncError, PROTOCOL, SET_FIELDS,
};
use crate::{
    clock::{rfc3339, IdSource},
    db::sql::Connection,
    remote::{RemoteError, RequestBody},
    AppState,
};

const CLIENT_ID: &str = "sync.client_id";
const COUNTER: &str = "sync.counter";
/// Mutations per push request.
const PUSH_BATCH: u32 = 200;
/// About how many bytes of fields one push request carries (a version with a script at the
/// size limit, and its base, is one request of its own).
const PUSH_BYTES: usize = 8 * 1024 * 1024;
/// The longest wait between retries of a link that keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A linked project's sync state, as the studio shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncStatus {
    pub project_id: String,
    pub server_url: String,
    pub workspace_id: String,
    /// `synced`, `pending` (edits not yet on the server), `offline` (the last attempt could not
    /// reach the server) or `conflict` (something was set aside; see the conflict list).
    pub state: String,
    /// Edits waiting in the outbox.
    pub pending: i64,
    /// Conflicts recorded for the project.
    pub conflicts: i64,
    pub last_synced_at: Option<String>,
    pub last_error: Option<String>,
    /// When the background sync tries again after a failure.
    pub next_try_at: Option<String>,
    /// The workspace's available credits on the server as last synced, read-only: paid work on
    /// the team's models is charged there (None: only the workspace's owners and admins see it).
    pub workspace_balance: Option<i64>,
}

/// This desktop's client id (made once) and the last counter it gave a mutation.
fn client_identity(c: &Connection<'_>, ids: &dyn IdSource) -> Result<(String, i64), SyncError> {
    let id = match store::setting(c, CLIENT_ID)? {
        Some(id) => id,
        None => {
            let id = ids.new_id().to_string();
            store::set_setting(c, CLIENT_ID, &id)?;
            id
        }
    };
    let counter = store::setting(c, COUNTER)?
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok((id, counter))
}

/// Stamps the project's local edits and queues them, in the caller's transaction.
fn queue_local_edits(
    c: &Connection<'_>,
    ids: &dyn IdSource,
    project_id: &str,
    now_millis: i64,
    at: &str,
) -> Result<usize, SyncError> {
    let (client_id, mut counter) = client_identity(c, ids)?;
    let edits = capture(c, project_id, None, &client_id, now_millis, None)?;
    for edit in &edits {
        counter += 1;
        store::enqueue(
            c,
            &store::Queued {
                counter,
                mutation_id: ids.new_id().to_string(),
                project_id: project_id.to_string(),
                entity: edit.entity.to_string(),
                row_id: edit.row_id.clone(),
                fields: serde_json::to_string(&edit.fields)
                    .map_err(|e| SyncError::Internal(e.to_string()))?,
            },
            at,
        )?;
    }
    store::set_setting(c, COUNTER, &counter.to_string())?;
    Ok(edits.len())
}

fn local_owner(state: &AppState) -> Result<String, SyncError> {
    state
        .local_owner_id
        .clone()
        .ok_or_else(|| SyncError::Forbidden("sync runs on the desktop (local mode) only".into()))
}

async fn signed_in_server(state: &AppState) -> Result<String, SyncError> {
    state
        .remote
        .server_url()
        .await
        .ok_or_else(|| invalid("server_url", "sign in to a team server first"))
}

/// Links a local project to a workspace on the signed-in server and pushes it there.
#[tracing::instrument(skip(state))]
pub async fn link(
    state: &AppState,
    project_id: &str,
    workspace_id: &str,
) -> Result<SyncStatus, SyncError> {
    let owner = local_owner(state)?;
    let server_url = signed_in_server(state).await?;
    if workspace_id.trim().is_empty() {
        return Err(invalid("workspace_id", "name the workspace to link to"));
    }
    let (pid, ws, ids) = (
        project_id.to_string(),
        workspace_id.to_string(),
        state.ids.clone(),
    );
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            if store::project_owner(c, &pid)?.as_deref() != Some(owner.as_str()) {
                return Err(SyncError::NotFound(format!("no project {pid}")));
            }
            if store::link(c, &pid)?.is_some() {
                return Err(SyncError::Conflict {
                    field: "project_id",
                    message: "the project is already linked".into(),
                });
            }
            store::insert_link(c, &store::Link::new(&pid, server_url, ws, rfc3339(now)))?;
            queue_local_edits(c, ids.as_ref(), &pid, now.timestamp_millis(), &rfc3339(now))?;
            Ok(())
        })
        .await?;
    sync_now(state, project_id).await
}

/// Takes a project of the server's workspace onto this desktop, linked.
#[tracing::instrument(skip(state))]
pub async fn pull_project(
    state: &AppState,
    project_id: &str,
    workspace_id: &str,
) -> Result<SyncStatus, SyncError> {
    local_owner(state)?;
    let server_url = signed_in_server(state).await?;
    let (pid, ws) = (project_id.to_string(), workspace_id.to_string());
    let now = rfc3339(state.clock.now());
    state
        .db
        .write(move |c| {
            if store::project_owner(c, &pid)?.is_some() {
                return Err(SyncError::Conflict {
                    field: "project_id",
                    message: "the project is already on this desktop".into(),
                });
            }
            store::insert_link(c, &store::Link::new(&pid, server_url, ws, now))?;
            Ok(())
        })
        .await?;
    if let Err(e) = cycle(state, project_id).await {
        // Nothing arrived: the link goes, so the person can try again.
        let pid = project_id.to_string();
        state
            .db
            .write(move |c| {
                store::delete_link(c, &pid)?;
                store::forget_project(c, &pid)
            })
            .await?;
        return Err(e);
    }
    let pid = project_id.to_string();
    let at = rfc3339(state.clock.now());
    state
        .db
        .write(move |c| store::record_attempt(c, &pid, None, None, &at))
        .await?;
    status(state, project_id).await
}

/// Unlinks a project: it stays on this desktop and on the server, and stops syncing. Edits not
/// yet pushed stay here only.
#[tracing::instrument(skip(state))]
pub async fn unlink(state: &AppState, project_id: &str) -> Result<(), SyncError> {
    let pid = project_id.to_string();
    let gone = state
        .db
        .write(move |c| {
            let n = store::delete_link(c, &pid)?;
            store::forget_project(c, &pid)?;
            Ok::<_, SyncError>(n)
        })
        .await?;
    if gone == 0 {
        return Err(SyncError::NotFound(format!(
            "project {project_id} is not linked"
        )));
    }
    Ok(())
}

/// One sync of a linked project now; the attempt and its error (if any) are recorded, and the
/// status answered either way.
#[tracing::instrument(skip(state))]
pub async fn sync_now(state: &AppState, project_id: &str) -> Result<SyncStatus, SyncError> {
    let outcome = cycle(state, project_id).await;
    let now = state.clock.now();
    let (pid, at) = (project_id.to_string(), rfc3339(now));
    let error = outcome.as_ref().err().map(|e| e.to_string());
    let failed_before: i64 = {
        let pid = pid.clone();
        state
            .db
            .read(move |c| Ok::<_, SyncError>(store::link(c, &pid)?.map(|l| l.failures)))
            .await?
            .unwrap_or(0)
    };
    let next_try = error.as_ref().map(|_| {
        let wait = backoff(failed_before + 1);
        rfc3339(now + chrono::Duration::from_std(wait).unwrap_or_default())
    });
    state
        .db
        .write(move |c| {
            store::record_attempt(c, &pid, error.as_deref(), next_try.as_deref(), &at)
                .map_err(SyncError::from)
        })
        .await?;
    match outcome {
        Err(SyncError::NotFound(m)) => Err(SyncError::NotFound(m)),
        _ => status(state, project_id).await,
    }
}

/// 5 s, doubling with each failure in a row, at most five minutes.
pub fn backoff(failures: i64) -> Duration {
    let exp = failures.clamp(1, 16) as u32 - 1;
    Duration::from_secs(5u64.saturating_mul(1 << exp)).min(MAX_BACKOFF)
}

/// Queue, push every project's outbox, pull this project until nothing is left.
async fn cycle(state: &AppState, project_id: &str) -> Result<(), SyncError> {
    let link = {
        let pid = project_id.to_string();
        state
            .db
            .read(move |c| Ok::<_, SyncError>(store::link(c, &pid)?))
            .await?
            .ok_or_else(|| SyncError::NotFound(format!("project {project_id} is not linked")))?
    };
    if state.remote.server_url().await.as_deref() != Some(link.server_url.as_str()) {
        return Err(invalid(
            "server_url",
            format!("sign in to {} to sync this project", link.server_url),
        ));
    }
    if link.cursor.is_some() || store_has_project(state, project_id).await? {
        let (pid, ids) = (project_id.to_string(), state.ids.clone());
        let now = state.clock.now();
        state
            .db
            .write(move |c| {
                queue_local_edits(c, ids.as_ref(), &pid, now.timestamp_millis(), &rfc3339(now))
            })
            .await?;
    }
    push_all(state).await?;
    pull(state, project_id).await
}

async fn store_has_project(state: &AppState, project_id: &str) -> Result<bool, SyncError> {
    let pid = project_id.to_string();
    state
        .db
        .read(move |c| Ok(store::project_owner(c, &pid)?.is_some()))
        .await
}

/// The server's refusal as an error (its own words and field where it gave them).
fn refused(status: StatusCode, body: &Value) -> SyncError {
    let detail = body["detail"]
        .as_str()
        .or_else(|| body["message"].as_str())
        .unwrap_or("no detail")
        .to_string();
    match status {
        StatusCode::NOT_FOUND => SyncError::NotFound(detail),
        StatusCode::FORBIDDEN => SyncError::Forbidden(detail),
        StatusCode::CONFLICT => SyncError::Conflict {
            field: "protocol",
            message: detail,
        },
        _ => SyncError::Remote(RemoteError::Upstream {
            url: "sync".into(),
            message: format!("HTTP {}: {detail}", status.as_u16()),
        }),
    }
}

/// POSTs `request` to the team server as the signed-in person and reads the answer; anything but
/// a 200 is the server's refusal.
async fn post<Req: Serialize, Res: serde::de::DeserializeOwned>(
    state: &AppState,
    path: &str,
    request: &Req,
) -> Result<Res, SyncError> {
    let body = serde_json::to_value(request).map_err(|e| SyncError::Internal(e.to_string()))?;
    let (status, answer) = state
        .remote
        .call_as_person(state.clock.as_ref(), Method::POST, path, Some(body))
        .await?;
    if status != StatusCode::OK {
        return Err(refused(status, &answer));
    }
    serde_json::from_value(answer)
        .map_err(|e| SyncError::Internal(format!("the server's answer to {path}: {e}")))
}

fn schema_version() -> u32 {
    crate::db::latest_schema_version()
}

/// Pushes the outbox (every project's: the counter is this desktop's), blobs first.
async fn push_all(state: &AppState) -> Result<(), SyncError> {
    loop {
        let ids = state.ids.clone();
        let (client_id, queued, workspaces) = state
            .db
            .write(move |c| {
                let (client_id, _) = client_identity(c, ids.as_ref())?;
                let queued = store::outbox(c, PUSH_BATCH)?;
                let workspaces: HashMap<String, String> = store::links(c)?
                    .into_iter()
                    .map(|l| (l.project_id, l.workspace_id))
                    .collect();
                Ok::<_, SyncError>((client_id, queued, workspaces))
            })
            .await?;
        if queued.is_empty() {
            return Ok(());
        }
        let mut full = queued.len() == PUSH_BATCH as usize;
        let mut mutations = Vec::with_capacity(queued.len());
        let mut hashes = Vec::new();
        let mut bytes = 0;
        for q in queued {
            // Big scripts travel a few at a time: the rest wait for the next request.
            if !mutations.is_empty() && bytes + q.fields.len() > PUSH_BYTES {
                full = true;
                break;
            }
            bytes += q.fields.len();
            let fields: BTreeMap<String, FieldWrite> = serde_json::from_str(&q.fields)
                .map_err(|e| SyncError::Internal(format!("outbox entry {}: {e}", q.counter)))?;
            if let Some(entity) = schema::entity(&q.entity) {
                for f in entity.blob_fields {
                    if let Some(Value::String(h)) = fields.get(*f).map(|w| &w.value) {
                        hashes.push(h.clone());
                    }
                }
            }
            mutations.push(Mutation {
                id: q.mutation_id,
                counter: q.counter,
                name: SET_FIELDS.into(),
                version: 1,
                workspace_id: (q.entity == "project")
                    .then(|| workspaces.get(&q.project_id).cloned())
                    .flatten(),
                project_id: q.project_id,
                entity: q.entity,
                row_id: q.row_id,
                fields,
            });
        }
        upload_blobs(state, hashes).await?;
        let request = PushRequest {
            protocol: PROTOCOL,
            schema: schema_version(),
            client_id,
            mutations,
        };
        let answer: PushResponse = post(state, "/api/v1/sync/push", &request).await?;
        let ids = state.ids.clone();
        let was_reset = answer.reset;
        state
            .db
            .write(move |c| {
                if answer.reset {
                    // The server lost this desktop: a new identity, the unsent edits numbered
                    // again from 1, every link pulling a snapshot next.
                    tracing::warn!("the server asked for a reset");
                    store::set_setting(c, CLIENT_ID, &ids.new_id().to_string())?;
                    let last = store::renumber_outbox(c)?;
                    store::set_setting(c, COUNTER, &last.to_string())?;
                    store::reset_cursors(c)?;
                } else {
                    store::acknowledge(c, answer.last_applied)?;
                }
                Ok::<_, SyncError>(())
            })
            .await?;
        // After a reset the outbox goes again at once; otherwise a short batch was the last.
        if !full && !was_reset {
            return Ok(());
        }
    }
}

/// Uploads the blobs the server lacks (each once, by hash).
async fn upload_blobs(state: &AppState, mut hashes: Vec<String>) -> Result<(), SyncError> {
    hashes.sort();
    hashes.dedup();
    hashes.retain(|h| !h.is_empty());
    if hashes.is_empty() {
        return Ok(());
    }
    let answer: Value = post(
        state,
        "/api/v1/sync/blobs/missing",
        &serde_json::json!({ "hashes": hashes }),
    )
    .await?;
    let missing: Vec<String> =
        serde_json::from_value(answer["missing"].clone()).unwrap_or_default();
    for sha in missing {
        if !state.blobs.exists(&sha) {
            // Not here either (a thumbnail never made): the server refuses nothing for it.
            continue;
        }
        let (blobs, h) = (state.blobs.clone(), sha.clone());
        let bytes = tokio::task::spawn_blocking(move || blobs.read(&h))
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))?
            .map_err(|e| SyncError::Internal(e.to_string()))?;
        let (status, body) = state
            .remote
            .send_as_person(
                state.clock.as_ref(),
                Method::PUT,
                &format!("/api/v1/sync/blobs/{sha}"),
                RequestBody::Bytes(bytes.into()),
            )
            .await?;
        if !status.is_success() {
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            return Err(refused(status, &body));
        }
    }
    Ok(())
}

/// Downloads the blobs pulled assets need and this desktop lacks.
async fn download_blobs(state: &AppState, changes: &[Change]) -> Result<(), SyncError> {
    for ch in changes {
        let Some(entity) = schema::entity(&ch.entity) else {
            continue;
        };
        if !entity.blob_fields.contains(&ch.field.as_str()) {
            continue;
        }
        let Value::String(sha) = &ch.value else {
            continue;
        };
        if sha.is_empty() || state.blobs.exists(sha) {
            continue;
        }
        let (status, bytes) = state
            .remote
            .send_as_person(
                state.clock.as_ref(),
                Method::GET,
                &format!("/api/v1/sync/blobs/{sha}"),
                RequestBody::None,
            )
            .await?;
        if status == StatusCode::NOT_FOUND {
            tracing::warn!(%sha, "a synced asset's blob is not on the server");
            continue;
        }
        if !status.is_success() {
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            return Err(refused(status, &body));
        }
        use sha2::Digest;
        if hex::encode(sha2::Sha256::digest(&bytes)) != *sha {
            return Err(SyncError::Remote(RemoteError::Upstream {
                url: "sync".into(),
                message: format!("blob {sha} arrived with other content"),
            }));
        }
        let blobs = state.blobs.clone();
        tokio::task::spawn_blocking(move || blobs.put_bytes(&bytes))
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))?
            .map_err(|e| SyncError::Internal(e.to_string()))?;
    }
    Ok(())
}

/// Pulls the project's log (or a snapshot) until the server has nothing more.
async fn pull(state: &AppState, project_id: &str) -> Result<(), SyncError> {
    let owner = local_owner(state)?;
    loop {
        let (pid, ids) = (project_id.to_string(), state.ids.clone());
        let (client_id, cursor) = state
            .db
            .write(move |c| {
                let (client_id, _) = client_identity(c, ids.as_ref())?;
                let cursor = store::link(c, &pid)?.and_then(|l| l.cursor);
                Ok::<_, SyncError>((client_id, cursor))
            })
            .await?;
        let request = PullRequest {
            protocol: PROTOCOL,
            schema: schema_version(),
            client_id,
            project_id: project_id.to_string(),
            cursor,
            limit: None,
        };
        let answer: PullResponse = post(state, "/api/v1/sync/pull", &request).await?;
        download_blobs(state, &answer.changes).await?;
        let more = answer.more;
        let (ids, owner) = (state.ids.clone(), owner.clone());
        let now = state.clock.now();
        state
            .db
            .write(move |c| {
                apply_pulled(
                    c,
                    ids.as_ref(),
                    &owner,
                    &answer,
                    now.timestamp_millis(),
                    &rfc3339(now),
                )
            })
            .await?;
        if !more {
            return Ok(());
        }
    }
}

/// Writes what the server holds under the edits this desktop has not yet had acknowledged: local
/// edits are queued first (nothing local is lost), then every pulled field without a queued
/// edit takes the server's value.
fn apply_pulled(
    c: &Connection<'_>,
    ids: &dyn IdSource,
    owner: &str,
    answer: &PullResponse,
    now_millis: i64,
    at: &str,
) -> Result<(), SyncError> {
    let project_id = answer.project_id.as_str();
    if store::project_owner(c, project_id)?.is_some() {
        queue_local_edits(c, ids, project_id, now_millis, at)?;
    }
    let pending = store::pending_fields(c, project_id)?;
    // One group per row, parents' rows first; a later change of a field overrides an earlier one.
    let mut groups: BTreeMap<(usize, String, String), BTreeMap<String, &Change>> = BTreeMap::new();
    for ch in &answer.changes {
        if ch.entity == schema::CONFLICT {
            if let Ok(k) = serde_json::from_value::<Conflict>(ch.value.clone()) {
                store::insert_conflict(c, &k)?;
            }
            continue;
        }
        if ch.entity == schema::EVENT {
            if let Ok(e) = serde_json::from_value::<Event>(ch.value.clone()) {
                store::insert_event(
                    c,
                    &e.id,
                    project_id,
                    &e.kind,
                    &e.payload,
                    e.by.as_deref(),
                    &e.created_at,
                )?;
            }
            continue;
        }
        groups
            .entry((
                schema::rank(&ch.entity),
                ch.row_id.clone(),
                ch.entity.clone(),
            ))
            .or_default()
            .insert(ch.field.clone(), ch);
    }
    let mut ordered: Vec<_> = groups.into_iter().collect();
    ordered.sort_by(|a, b| rank_order((&a.0 .2, &a.0 .1), (&b.0 .2, &b.0 .1)));
    for ((_, row_id, entity_name), fields) in ordered {
        let Some(entity) = schema::entity(&entity_name) else {
            continue;
        };
        let known = store::fields_of(c, entity.name, project_id, Some(&row_id))?
            .remove(&row_id)
            .unwrap_or_default();
        let applicable: BTreeMap<String, &Change> = fields
            .into_iter()
            .filter(|(f, _)| !pending.contains(&(entity_name.clone(), row_id.clone(), f.clone())))
            .collect();
        if applicable.is_empty() {
            continue;
        }
        let tombstoned = match applicable.get(schema::DELETED) {
            Some(ch) => ch.value == Value::Bool(true),
            None => known
                .get(schema::DELETED)
                .is_some_and(|(v, _)| v == &Value::Bool(true)),
        };
        let values: BTreeMap<String, Value> = applicable
            .iter()
            .map(|(f, ch)| (f.clone(), ch.value.clone()))
            .collect();
        if !store::write_row(
            c, entity, &row_id, project_id, owner, &values, tombstoned, at,
        )? {
            // Not written here: left out of the merge state, so it is not taken for a delete.
            continue;
        }
        for (field, ch) in applicable {
            let Some(stamp) = super::Stamp::parse(&ch.stamp) else {
                continue;
            };
            store::put_field(
                c,
                entity.name,
                &row_id,
                &field,
                project_id,
                &ch.value,
                &stamp,
                ch.author.as_deref(),
            )?;
        }
    }
    store::save_pull(c, project_id, answer.cursor, answer.balance)?;
    Ok(())
}

/// A linked project's state. Local edits made since the last sync are queued first, so
/// `pending` counts them too.
pub async fn status(state: &AppState, project_id: &str) -> Result<SyncStatus, SyncError> {
    let (pid, ids) = (project_id.to_string(), state.ids.clone());
    let now = state.clock.now();
    state
        .db
        .write(move |c| {
            let link = store::link(c, &pid)?
                .ok_or_else(|| SyncError::NotFound(format!("project {pid} is not linked")))?;
            if store::project_owner(c, &pid)?.is_some() {
                queue_local_edits(c, ids.as_ref(), &pid, now.timestamp_millis(), &rfc3339(now))?;
            }
            status_of(c, link)
        })
        .await
}

fn status_of(c: &Connection<'_>, link: store::Link) -> Result<SyncStatus, SyncError> {
    let pending = store::outbox_count(c, &link.project_id)?;
    let conflicts = store::conflicts(c, &link.project_id)?.len() as i64;
    let state = if link.last_error.is_some() {
        "offline"
    } else if pending > 0 || link.last_synced_at.is_none() {
        "pending"
    } else if conflicts > 0 {
        "conflict"
    } else {
        "synced"
    };
    Ok(SyncStatus {
        project_id: link.project_id,
        server_url: link.server_url,
        workspace_id: link.workspace_id,
        state: state.into(),
        pending,
        conflicts,
        last_synced_at: link.last_synced_at,
        last_error: link.last_error,
        next_try_at: link.next_try_at,
        workspace_balance: link.balance,
    })
}

/// Every linked project's state.
pub async fn statuses(state: &AppState) -> Result<Vec<SyncStatus>, SyncError> {
    state
        .db
        .read(|c| {
            store::links(c)?
                .into_iter()
                .map(|l| status_of(c, l))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
}

/// A project's append-only events (review decisions made on any side), newest first.
pub async fn events(state: &AppState, project_id: &str) -> Result<Vec<Event>, SyncError> {
    let pid = project_id.to_string();
    Ok(state.db.read(move |c| store::events(c, &pid)).await?)
}

/// What sync kept and set aside in a project, newest first.
pub async fn conflicts(state: &AppState, project_id: &str) -> Result<Vec<Conflict>, SyncError> {
    let pid = project_id.to_string();
    Ok(state.db.read(move |c| store::conflicts(c, &pid)).await?)
}

/// Syncs every linked project whose retry time has come, every `every`, for as long as the
/// process runs. A failed link waits its backoff; no new local edit is needed to retry.
pub fn spawn(state: &AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let links = match state
                .db
                .read(|c| Ok::<_, SyncError>(store::links(c)?))
                .await
            {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "sync: cannot read the links");
                    continue;
                }
            };
            let now = rfc3339(state.clock.now());
            for link in links {
                if link
                    .next_try_at
                    .as_deref()
                    .is_some_and(|t| t > now.as_str())
                {
                    continue;
                }
                if let Err(e) = sync_now(&state, &link.project_id).await {
                    tracing::info!(project = %link.project_id, error = %e, "background sync failed");
                }
            }
        }
    })
}
