//! The team server's side of sync: push (apply each mutation once, in its own transaction, with
//! per-field last-writer-wins), pull (the change log after a cursor, or a snapshot), and blobs by
//! hash. docs/SYNC.md is the protocol.
use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    capture, invalid, merge, schema, store, Change, Conflict, Event, FieldWrite, Mutation,
    MutationResult, PullRequest, PullResponse, PushRequest, PushResponse, RowEdit, Stamp,
    SyncError, MAX_CLOCK_AHEAD_MS, PROTOCOL, REVIEW_DECISION, SET_FIELDS,
};
use crate::{
    clock::{rfc3339, Clock, IdSource},
    db::sql::Connection,
    workspaces::{self, Permission, Role},
    AppState,
};

/// The server's node name in stamps.
pub const SERVER_NODE: &str = "server";
/// Mutations per push.
pub const MAX_MUTATIONS: usize = 500;

fn check_versions(protocol: u32, schema: u32) -> Result<(), SyncError> {
    if protocol != PROTOCOL {
        return Err(SyncError::Conflict {
            field: "protocol",
            message: format!("this server speaks sync protocol {PROTOCOL}, not {protocol}"),
        });
    }
    let ours = crate::db::latest_schema_version();
    if schema > ours {
        return Err(SyncError::Conflict {
            field: "schema",
            message: format!(
                "the desktop's data (schema {schema}) is newer than this server's ({ours}): update the server"
            ),
        });
    }
    Ok(())
}

fn check_client_id(client_id: &str) -> Result<(), SyncError> {
    if client_id.is_empty() || client_id.len() > 64 {
        return Err(invalid("client_id", "client_id is 1–64 characters"));
    }
    Ok(())
}

/// The person's role in the workspace owning `project_id` (None: no such project, or not theirs).
fn role_for_project(
    c: &Connection<'_>,
    user_id: &str,
    project_id: &str,
) -> Result<Option<(String, Role)>, SyncError> {
    let Some(workspace) = store::project_owner(c, project_id)? else {
        return Ok(None);
    };
    Ok(workspaces::role_in(c, &workspace, user_id)?.map(|r| (workspace, r)))
}

/// Logs edits found on the server itself (the web UI's), as changes nobody pushed.
fn log_edits(c: &Connection<'_>, project_id: &str, edits: &[RowEdit]) -> Result<(), SyncError> {
    for edit in edits {
        for (field, w) in &edit.fields {
            store::log_change(
                c,
                project_id,
                edit.entity,
                &edit.row_id,
                field,
                &w.value,
                &w.stamp,
                None,
            )?;
        }
    }
    Ok(())
}

#[tracing::instrument(skip(state, request), fields(client = %request.client_id, n = request.mutations.len()))]
pub async fn push(
    state: &AppState,
    user_id: &str,
    request: PushRequest,
) -> Result<PushResponse, SyncError> {
    check_versions(request.protocol, request.schema)?;
    check_client_id(&request.client_id)?;
    if request.mutations.len() > MAX_MUTATIONS {
        return Err(invalid(
            "mutations",
            format!("at most {MAX_MUTATIONS} mutations per push"),
        ));
    }
    let client_id = request.client_id.clone();
    let uid = user_id.to_string();
    let known = state.db.read(move |c| store::client(c, &client_id)).await?;
    let first = request.mutations.first().map(|m| m.counter);
    match &known {
        // The server lost this client (restored from a backup) or another person uses its id.
        None if first.is_some_and(|n| n > 1) => return Ok(reset()),
        Some((owner, _)) if owner != &uid => return Ok(reset()),
        _ => {}
    }
    let mut last_applied = known.map(|(_, n)| n).unwrap_or(0);
    let mut results = Vec::with_capacity(request.mutations.len());
    for m in request.mutations {
        let counter = m.counter;
        if counter <= last_applied {
            results.push(result(counter, "skipped", None));
            continue;
        }
        if counter != last_applied + 1 {
            return Err(SyncError::Conflict {
                field: "counter",
                message: format!(
                    "mutation {counter} follows {last_applied}: the ones between are missing"
                ),
            });
        }
        let (clock, ids) = (state.clock.clone(), state.ids.clone());
        let (uid, client_id) = (uid.clone(), request.client_id.clone());
        let outcome = state
            .db
            .write(move |c| apply_once(c, clock.as_ref(), ids.as_ref(), &uid, &client_id, &m))
            .await?;
        last_applied = counter;
        results.push(outcome);
    }
    Ok(PushResponse {
        protocol: PROTOCOL,
        last_applied,
        results,
        reset: false,
    })
}

fn reset() -> PushResponse {
    PushResponse {
        protocol: PROTOCOL,
        last_applied: 0,
        results: Vec::new(),
        reset: true,
    }
}

fn result(counter: i64, status: &str, reason: Option<String>) -> MutationResult {
    MutationResult {
        counter,
        status: status.to_string(),
        reason,
    }
}

/// Applies one mutation and advances the client's counter past it, in one transaction; a
/// mutation that cannot apply is recorded as rejected and the counter still advances.
fn apply_once(
    c: &Connection<'_>,
    clock: &dyn Clock,
    ids: &dyn IdSource,
    user_id: &str,
    client_id: &str,
    m: &Mutation,
) -> Result<MutationResult, SyncError> {
    let now = clock.now();
    let at = rfc3339(now);
    // Re-read inside the transaction: another request of the same client may have got here first.
    let last = store::client(c, client_id)?.map(|(_, n)| n).unwrap_or(0);
    if m.counter <= last {
        return Ok(result(m.counter, "skipped", None));
    }
    if m.counter != last + 1 {
        return Err(SyncError::Conflict {
            field: "counter",
            message: format!("mutation {} follows {last}", m.counter),
        });
    }
    c.execute_batch("SAVEPOINT sync_mutation")?;
    let applied = apply(c, ids, user_id, m, now.timestamp_millis(), &at);
    let outcome = match applied {
        Ok(()) => {
            c.execute_batch("RELEASE SAVEPOINT sync_mutation")?;
            result(m.counter, "applied", None)
        }
        Err(Refusal::Rejected(reason)) => {
            c.execute_batch(
                "ROLLBACK TO SAVEPOINT sync_mutation; RELEASE SAVEPOINT sync_mutation",
            )?;
            tracing::info!(client_id, counter = m.counter, %reason, "sync mutation rejected");
            store::reject(c, client_id, m.counter, &m.id, &m.project_id, &reason, &at)?;
            result(m.counter, "rejected", Some(reason))
        }
        Err(Refusal::Failed(e)) => return Err(e),
    };
    store::save_client(c, client_id, user_id, m.counter, &at)?;
    Ok(outcome)
}

enum Refusal {
    /// For good: the mutation is recorded as rejected.
    Rejected(String),
    /// The server's own failure: nothing is recorded and the client retries.
    Failed(SyncError),
}

impl<E: Into<SyncError>> From<E> for Refusal {
    fn from(e: E) -> Self {
        Refusal::Failed(e.into())
    }
}

fn rejected<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::Rejected(reason.into()))
}

/// The decision for one row: per-field last-writer-wins, the approved-keyframe lock, line merges
/// of scripts, and a conflict record wherever two sides edited a field at once.
fn apply(
    c: &Connection<'_>,
    ids: &dyn IdSource,
    user_id: &str,
    m: &Mutation,
    now_millis: i64,
    at: &str,
) -> Result<(), Refusal> {
    if m.name != SET_FIELDS || m.version != 1 {
        return rejected(format!("unknown mutation {} v{}", m.name, m.version));
    }
    if m.entity == schema::EVENT {
        return apply_event(c, user_id, m, now_millis);
    }
    let Some(entity) = schema::entity(&m.entity) else {
        return rejected(format!("unknown entity {}", m.entity));
    };
    if m.fields.is_empty() {
        return rejected("no fields");
    }
    let mut incoming: BTreeMap<&str, (&FieldWrite, Stamp)> = BTreeMap::new();
    for (name, w) in &m.fields {
        let fits = match entity.field(name) {
            Some(f) => schema::fits(f.kind, &w.value),
            None => name == schema::DELETED && w.value.is_boolean(),
        };
        if !fits {
            return rejected(format!(
                "{}.{name} is not a synced field of that type",
                m.entity
            ));
        }
        let Some(mut stamp) = Stamp::parse(&w.stamp) else {
            return rejected(format!("{}.{name}: unreadable stamp", m.entity));
        };
        // A clock far ahead is pulled back to the bound (docs/SYNC.md, "Stamps").
        stamp.millis = stamp.millis.min(now_millis + MAX_CLOCK_AHEAD_MS);
        incoming.insert(name.as_str(), (w, stamp));
    }

    // Who may write here: the project's workspace and the person's role in it.
    let (workspace, role) = match role_for_project(c, user_id, &m.project_id)? {
        Some(found) => found,
        None if store::project_owner(c, &m.project_id)?.is_some() => {
            return rejected("the project is not in a workspace you belong to")
        }
        None => {
            // A new project: its first mutation makes it, in the workspace the desktop linked.
            if m.entity != "project" || m.row_id != m.project_id {
                return rejected("unknown project");
            }
            if store::synced_project_workspace(c, &m.project_id)?.is_some() {
                return rejected("the project was deleted on the server");
            }
            let Some(ws) = &m.workspace_id else {
                return rejected("a new project names its workspace (workspace_id)");
            };
            match workspaces::role_in(c, ws, user_id)? {
                Some(role) => (ws.clone(), role),
                None => return rejected("not a member of that workspace"),
            }
        }
    };
    if !role.allows(Permission::Review) {
        return rejected("a viewer cannot push");
    }
    if !role.allows(Permission::Write)
        && !incoming
            .keys()
            .all(|f| schema::reviewer_may_write(entity.name, f))
    {
        return rejected("a reviewer pushes review decisions only");
    }
    // The row must be this project's (or new).
    if store::row_exists(c, entity, &m.row_id)?
        && !store::row_in_project(c, entity, &m.project_id, &m.row_id)?
    {
        return rejected("the row belongs to another project");
    }
    if let Some(other) = store::project_of_row(c, entity.name, &m.row_id)? {
        if other != m.project_id {
            return rejected("the row belongs to another project");
        }
    }
    if let Some((w, _)) = incoming.get("version_id") {
        if let Value::String(v) = &w.value {
            if !store::row_in_project(c, &schema::ENTITIES[1], &m.project_id, v)? {
                return rejected("version_id is not a version of the project");
            }
        }
    }

    store::touch_project(c, &m.project_id, &workspace, at)?;
    // Edits made here since the row was last stamped are logged before they are compared.
    let found = capture(
        c,
        &m.project_id,
        Some((entity, &m.row_id)),
        SERVER_NODE,
        now_millis,
        None,
    )?;
    log_edits(c, &m.project_id, &found)?;
    let current = store::fields_of(c, entity.name, &m.project_id, Some(&m.row_id))?
        .remove(&m.row_id)
        .unwrap_or_default();

    let wins = |field: &str, stamp: &Stamp| {
        current
            .get(field)
            .is_none_or(|(_, cur_stamp)| stamp > cur_stamp)
    };
    // An approved keyframe is locked: only a mutation that also decides the shot's status (an
    // unlock, or another frame approved) and wins on it may change it.
    let locked = entity.name == "shot"
        && current.get("status").is_some_and(|(v, _)| v == "approved")
        && !incoming
            .get("status")
            .is_some_and(|(_, s)| wins("status", s));

    let mut winners: BTreeMap<String, (Value, Stamp)> = BTreeMap::new();
    let mut echoes: Vec<(&str, Value, Stamp)> = Vec::new();
    let mut conflicts: Vec<Conflict> = Vec::new();
    for (field, (w, stamp)) in &incoming {
        let field = *field;
        let Some((cur_value, cur_stamp)) = current.get(field) else {
            winners.insert(field.to_string(), (w.value.clone(), stamp.clone()));
            continue;
        };
        let concurrent = w.base_stamp.as_deref() != Some(cur_stamp.to_string().as_str());
        let differs = cur_value != &w.value;
        let mut conflict = |kept: (&Value, &Stamp, Option<String>),
                            aside: (&Value, &Stamp, Option<String>),
                            reason: &str| {
            conflicts.push(Conflict {
                id: ids.new_id().to_string(),
                project_id: m.project_id.clone(),
                entity: entity.name.to_string(),
                row_id: m.row_id.clone(),
                field: field.to_string(),
                kept_value: kept.0.clone(),
                kept_stamp: kept.1.to_string(),
                kept_by: kept.2,
                set_aside_value: aside.0.clone(),
                set_aside_stamp: aside.1.to_string(),
                set_aside_by: aside.2,
                reason: reason.to_string(),
                created_at: at.to_string(),
            });
        };
        let cur_author = || author_of(c, entity.name, &m.row_id, field).map(|id| name_of(c, &id));
        let me = || Some(name_of(c, user_id));

        if locked && matches!(field, "keyframe_asset_id" | "clip_asset_id") {
            if differs {
                conflict(
                    (cur_value, cur_stamp, cur_author()),
                    (&w.value, stamp, me()),
                    "approved keyframe is locked",
                );
            }
            echoes.push((field, cur_value.clone(), cur_stamp.clone()));
            continue;
        }
        if concurrent && differs && schema::merges_by_line(entity.name, field) {
            if let (Some(Value::String(base)), Value::String(ours), Value::String(theirs)) =
                (&w.base, cur_value, &w.value)
            {
                if let Some(merged) = merge::merge_lines(base, ours, theirs) {
                    let after = Stamp::after(Some(stamp.max(cur_stamp)), now_millis, SERVER_NODE);
                    winners.insert(field.to_string(), (Value::String(merged), after));
                    continue;
                }
            }
        }
        let reason = if schema::merges_by_line(entity.name, field) {
            "script lines"
        } else {
            "concurrent edit"
        };
        if stamp > cur_stamp {
            if concurrent && differs {
                conflict(
                    (&w.value, stamp, me()),
                    (cur_value, cur_stamp, cur_author()),
                    reason,
                );
            }
            winners.insert(field.to_string(), (w.value.clone(), stamp.clone()));
        } else {
            if concurrent && differs {
                conflict(
                    (cur_value, cur_stamp, cur_author()),
                    (&w.value, stamp, me()),
                    reason,
                );
            }
            // The pusher learns what stands through the log.
            echoes.push((field, cur_value.clone(), cur_stamp.clone()));
        }
    }

    let tombstoned = match winners.get(schema::DELETED) {
        Some((v, _)) => v == &Value::Bool(true),
        None => current
            .get(schema::DELETED)
            .is_some_and(|(v, _)| v == &Value::Bool(true)),
    };
    let values: BTreeMap<String, Value> = winners
        .iter()
        .map(|(f, (v, _))| (f.clone(), v.clone()))
        .collect();
    if !values.is_empty()
        && !store::write_row(
            c,
            entity,
            &m.row_id,
            &m.project_id,
            &workspace,
            &values,
            tombstoned,
            at,
        )?
    {
        return rejected(format!(
            "the {} could not be saved (it breaks a rule of the project, such as a duplicate name)",
            entity.name
        ));
    }
    for (field, (value, stamp)) in &winners {
        store::put_field(
            c,
            entity.name,
            &m.row_id,
            field,
            &m.project_id,
            value,
            stamp,
            Some(user_id),
        )?;
        store::log_change(
            c,
            &m.project_id,
            entity.name,
            &m.row_id,
            field,
            value,
            &stamp.to_string(),
            Some(user_id),
        )?;
    }
    for (field, value, stamp) in echoes {
        store::log_change(
            c,
            &m.project_id,
            entity.name,
            &m.row_id,
            field,
            &value,
            &stamp.to_string(),
            None,
        )?;
    }
    for k in conflicts {
        store::insert_conflict(c, &k)?;
        let stamp = Stamp::after(None, now_millis, SERVER_NODE).to_string();
        let record = serde_json::to_value(&k).unwrap_or(Value::Null);
        store::log_change(
            c,
            &m.project_id,
            schema::CONFLICT,
            &k.id,
            "record",
            &record,
            &stamp,
            None,
        )?;
    }
    Ok(())
}

/// A person as the conflict list names them: their username (their id if they are gone).
fn name_of(c: &Connection<'_>, user_id: &str) -> String {
    crate::accounts::username_of(c, user_id)
        .ok()
        .flatten()
        .unwrap_or_else(|| user_id.to_string())
}

/// An append-only event from a desktop: recorded once, by id, named after the person who pushed
/// it; one already recorded is never replaced.
fn apply_event(
    c: &Connection<'_>,
    user_id: &str,
    m: &Mutation,
    now_millis: i64,
) -> Result<(), Refusal> {
    let Some((workspace, role)) = role_for_project(c, user_id, &m.project_id)? else {
        return rejected("unknown project");
    };
    if !role.allows(Permission::Review) {
        return rejected("a viewer cannot push");
    }
    let record = m.fields.get("record").map(|w| w.value.clone());
    let Some(Ok(mut event)) = record.map(serde_json::from_value::<Event>) else {
        return rejected("an event is one field, record");
    };
    if m.fields.len() != 1
        || event.id != m.row_id
        || event.project_id != m.project_id
        || event.kind != REVIEW_DECISION
        || !event.payload.is_object()
    {
        return rejected("an event names its own id and project, and is a review decision");
    }
    event.by = Some(name_of(c, user_id));
    store::touch_project(c, &m.project_id, &workspace, &event.created_at)?;
    if store::insert_event(
        c,
        &event.id,
        &event.project_id,
        &event.kind,
        &event.payload,
        event.by.as_deref(),
        &event.created_at,
    )? {
        store::log_change(
            c,
            &m.project_id,
            schema::EVENT,
            &event.id,
            "record",
            &serde_json::to_value(&event).unwrap_or(Value::Null),
            &Stamp::after(None, now_millis, SERVER_NODE).to_string(),
            Some(user_id),
        )?;
    }
    Ok(())
}

fn author_of(c: &Connection<'_>, entity: &str, row_id: &str, field: &str) -> Option<String> {
    store::author_of(c, entity, row_id, field).ok().flatten()
}

#[tracing::instrument(skip(state, request), fields(client = %request.client_id, project = %request.project_id))]
pub async fn pull(
    state: &AppState,
    user_id: &str,
    request: PullRequest,
) -> Result<PullResponse, SyncError> {
    check_versions(request.protocol, request.schema)?;
    check_client_id(&request.client_id)?;
    let limit = request.limit.unwrap_or(2000);
    if !(1..=5000).contains(&limit) {
        return Err(invalid("limit", "limit is 1–5000"));
    }
    let clock = state.clock.clone();
    let uid = user_id.to_string();
    let (mut answer, workspace, role) = state
        .db
        .write(move |c| {
            let now = clock.now();
            let at = rfc3339(now);
            let project_id = request.project_id.as_str();
            let Some((workspace, role)) = role_for_project(c, &uid, project_id)? else {
                return Err(SyncError::NotFound(format!("no project {project_id}")));
            };
            if !role.allows(Permission::Read) {
                return Err(SyncError::Forbidden("no access to this project".into()));
            }
            store::touch_project(c, project_id, &workspace, &at)?;
            let found = capture(
                c,
                project_id,
                None,
                SERVER_NODE,
                now.timestamp_millis(),
                None,
            )?;
            log_edits(c, project_id, &found)?;
            let (first, last) = store::log_bounds(c, project_id)?;
            let behind_the_log = |cursor: i64| cursor > last || (first > 0 && cursor + 1 < first);
            let (changes, cursor, more, snapshot) = match request.cursor {
                Some(cursor) if !behind_the_log(cursor) => {
                    let changes = store::changes_after(c, project_id, cursor, limit)?;
                    let next = changes.last().map(|ch| ch.cursor).unwrap_or(cursor);
                    let more = changes.len() == limit as usize;
                    (changes, next, more, false)
                }
                _ => {
                    let mut changes = store::snapshot(c, project_id)?;
                    for k in store::conflicts(c, project_id)? {
                        changes.push(Change {
                            cursor: 0,
                            entity: schema::CONFLICT.into(),
                            row_id: k.id.clone(),
                            field: "record".into(),
                            stamp: Stamp::after(None, now.timestamp_millis(), SERVER_NODE)
                                .to_string(),
                            value: serde_json::to_value(&k).unwrap_or(Value::Null),
                            author: None,
                        });
                    }
                    for event in store::events(c, project_id)? {
                        changes.push(Change {
                            cursor: 0,
                            entity: schema::EVENT.into(),
                            row_id: event.id.clone(),
                            field: "record".into(),
                            stamp: Stamp::after(None, now.timestamp_millis(), SERVER_NODE)
                                .to_string(),
                            value: serde_json::to_value(&event).unwrap_or(Value::Null),
                            author: None,
                        });
                    }
                    (changes, last, false, true)
                }
            };
            store::save_cursor(c, &request.client_id, project_id, cursor, &at)?;
            let answer = PullResponse {
                protocol: PROTOCOL,
                project_id: project_id.to_string(),
                cursor,
                changes,
                more,
                snapshot,
                server_millis: now.timestamp_millis(),
                balance: None,
            };
            Ok::<_, SyncError>((answer, workspace, role))
        })
        .await?;
    if role.allows(Permission::Billing) {
        let balance = crate::ledger::balance(state, &workspace)
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))?;
        answer.balance = Some(balance.available);
    }
    Ok(answer)
}

fn check_hash(sha256: &str) -> Result<(), SyncError> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("sha256", "a SHA-256 is 64 hexadecimal digits"));
    }
    Ok(())
}

/// Which of these blobs the server lacks.
pub fn missing_blobs(state: &AppState, hashes: &[String]) -> Result<Vec<String>, SyncError> {
    if hashes.len() > 1000 {
        return Err(invalid("hashes", "at most 1000 hashes per request"));
    }
    for h in hashes {
        check_hash(h).map_err(|_| invalid("hashes", format!("not a SHA-256: {h}")))?;
    }
    Ok(hashes
        .iter()
        .filter(|h| !state.blobs.exists(h))
        .cloned()
        .collect())
}

/// Stores an uploaded blob, only if its content has the hash it was sent under.
#[tracing::instrument(skip(state, bytes), fields(size = bytes.len()))]
pub async fn put_blob(
    state: &AppState,
    sha256: &str,
    bytes: bytes::Bytes,
) -> Result<bool, SyncError> {
    check_hash(sha256)?;
    let sha256 = sha256.to_ascii_lowercase();
    if state.blobs.exists(&sha256) {
        return Ok(false);
    }
    use sha2::Digest;
    let actual = hex::encode(sha2::Sha256::digest(&bytes));
    if actual != sha256 {
        return Err(invalid(
            "sha256",
            format!("the body's SHA-256 is {actual}, not {sha256}"),
        ));
    }
    let blobs = state.blobs.clone();
    tokio::task::spawn_blocking(move || blobs.put_bytes(&bytes))
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?
        .map_err(|e| SyncError::Internal(e.to_string()))?;
    Ok(true)
}

/// A blob for a member of a workspace one of whose projects uses it.
pub async fn get_blob(state: &AppState, user_id: &str, sha256: &str) -> Result<Vec<u8>, SyncError> {
    check_hash(sha256)?;
    let (uid, sha) = (user_id.to_string(), sha256.to_ascii_lowercase());
    let allowed = state
        .db
        .read(move |c| store::blob_visible_to(c, &uid, &sha))
        .await?;
    if !allowed || !state.blobs.exists(&sha256.to_ascii_lowercase()) {
        return Err(SyncError::NotFound(format!("no blob {sha256}")));
    }
    let (blobs, sha) = (state.blobs.clone(), sha256.to_ascii_lowercase());
    tokio::task::spawn_blocking(move || blobs.read(&sha))
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?
        .map_err(|e| SyncError::Internal(e.to_string()))
}

/// Drops the log behind every client seen in the last 30 days (a client away longer takes a
/// snapshot when it returns).
pub async fn prune(state: &AppState) -> Result<usize, SyncError> {
    let since = rfc3339(state.clock.now() - chrono::Duration::days(30));
    Ok(state.db.write(move |c| store::prune_log(c, &since)).await?)
}
