//! Sync between desktops and their team server (issue 19; the protocol is docs/SYNC.md).
//!
//! Both sides run the same two operations over the same tables:
//! - [`capture`]: compare a project's rows with `sync_fields` (the last value of every synced
//!   field) and stamp each field that differs. The edits come from whatever code made them, with
//!   no change to any other domain: the desktop queues them in its outbox, the server logs them.
//! - applying a field written elsewhere: per-field last-writer-wins by [`Stamp`] on the server
//!   ([`server`]); the server's answer, as is, on the desktop ([`client`]), under the edits it has
//!   not yet had acknowledged.
//!
//! The server is where concurrent edits meet, so it alone decides them, records what it set aside
//! (`sync_conflicts`) and logs the outcome; every desktop converges on its log.
pub mod client;
pub mod merge;
pub mod schema;
pub mod server;
pub mod store;

use std::{cmp::Ordering, collections::BTreeMap, fmt};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    db::{sql::Connection, DbError},
    error::{CodedError, ErrorCode},
    remote::RemoteError,
};

/// The protocol's version: a request with another one is refused (409, field `protocol`).
pub const PROTOCOL: u32 = 1;

/// How far ahead of the server's clock a desktop's stamp may be; later stamps are pulled back to
/// this bound (docs/SYNC.md, "Stamps").
pub const MAX_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1000;

/// A hybrid logical clock stamp: the edit's wall time in milliseconds, a counter that orders edits
/// of one field within the same millisecond (or after a clock that ran ahead), and the node (a
/// desktop's client id, or `server`). Ordered by all three, so two stamps are never equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub millis: i64,
    pub counter: u32,
    pub node: String,
}

impl Stamp {
    /// The stamp of an edit made at `millis` by `node` to a field last stamped `previous`: later
    /// than `previous` whatever the clocks say, since the edit saw it.
    pub fn after(previous: Option<&Stamp>, millis: i64, node: &str) -> Stamp {
        match previous {
            Some(p) if p.millis >= millis => Stamp {
                millis: p.millis,
                counter: p.counter + 1,
                node: node.to_string(),
            },
            _ => Stamp {
                millis,
                counter: 0,
                node: node.to_string(),
            },
        }
    }

    pub fn parse(text: &str) -> Option<Stamp> {
        let mut parts = text.splitn(3, '-');
        let millis = parts.next()?.parse().ok()?;
        let counter = parts.next()?.parse().ok()?;
        let node = parts.next()?.to_string();
        (!node.is_empty()).then_some(Stamp {
            millis,
            counter,
            node,
        })
    }
}

/// Fixed widths, so the text sorts as the stamp does.
impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:015}-{:05}-{}", self.millis, self.counter, self.node)
    }
}

/// One field as a mutation carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldWrite {
    pub value: Value,
    pub stamp: String,
    /// The stamp the field had where the edit was made (absent: the field was new there). The
    /// server compares it with its own to tell a concurrent edit from a later one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_stamp: Option<String>,
    /// The value the edit started from, for fields merged by line (a version's script).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Value>,
}

/// A named, versioned mutation: `set_fields` v1 writes fields of one row (a tombstone is the
/// field `_deleted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Mutation {
    /// UUIDv7, made by the desktop.
    pub id: String,
    /// The desktop's own sequence: 1, 2, 3… with no gaps.
    pub counter: i64,
    pub name: String,
    pub version: u32,
    pub project_id: String,
    pub entity: String,
    pub row_id: String,
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, FieldWrite>,
    /// The workspace a project is linked to, on the mutation that makes the project there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}

pub const SET_FIELDS: &str = "set_fields";

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushRequest {
    pub protocol: u32,
    /// The desktop's database schema version.
    pub schema: u32,
    pub client_id: String,
    pub mutations: Vec<Mutation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MutationResult {
    pub counter: i64,
    /// `applied`, `skipped` (applied before) or `rejected` (for good; see `reason`).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushResponse {
    pub protocol: u32,
    /// The last of this client's mutations the server has applied or rejected.
    pub last_applied: i64,
    pub results: Vec<MutationResult>,
    /// The server has no record of this client (it lost its state): start over (docs/SYNC.md).
    pub reset: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PullRequest {
    pub protocol: u32,
    pub schema: u32,
    pub client_id: String,
    pub project_id: String,
    /// The last change pulled; absent: a snapshot of the whole project.
    #[serde(default)]
    pub cursor: Option<i64>,
    /// Changes per answer, 1–5000 (default 2000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A field's value as the server holds it, or (entity `conflict`) a conflict record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    pub cursor: i64,
    pub entity: String,
    pub row_id: String,
    pub field: String,
    pub value: Value,
    pub stamp: String,
    #[serde(default)]
    pub author: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PullResponse {
    pub protocol: u32,
    pub project_id: String,
    /// Pull after this next time.
    pub cursor: i64,
    pub changes: Vec<Change>,
    /// More changes wait after `cursor`.
    pub more: bool,
    /// The answer is the whole project (asked for, or the log behind the cursor is gone).
    pub snapshot: bool,
    /// The server's clock: a desktop whose own is behind stamps its edits after it.
    pub server_millis: i64,
    /// The workspace's available credits, for people who may see its billing (owners and
    /// admins): the desktop shows it, read-only.
    #[serde(default)]
    pub balance: Option<i64>,
}

/// What a conflict record says (the value of a `conflict` change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Conflict {
    pub id: String,
    pub project_id: String,
    pub entity: String,
    pub row_id: String,
    pub field: String,
    pub kept_value: Value,
    pub kept_stamp: String,
    pub kept_by: Option<String>,
    pub set_aside_value: Value,
    pub set_aside_stamp: String,
    pub set_aside_by: Option<String>,
    /// `concurrent edit`, `script lines` or `approved keyframe is locked`.
    pub reason: String,
    pub created_at: String,
}

/// An append-only event of a project, as it travels (the field `record` of an `event` mutation or
/// change). Review decisions are the one kind: whoever made them, on whichever side, every side
/// keeps them, once, by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub project_id: String,
    /// `review_decision`.
    pub kind: String,
    /// A review decision: `{shot_id, asset_id, decision, comment, at}`.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Who made it (a username), when known.
    pub by: Option<String>,
    pub created_at: String,
}

pub const REVIEW_DECISION: &str = "review_decision";

/// Edits found by [`capture`]: one row's changed fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RowEdit {
    pub entity: &'static str,
    pub row_id: String,
    pub fields: BTreeMap<String, FieldWrite>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// A version mismatch or a gap in a client's counters.
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<crate::db::sql::Error> for SyncError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

impl CodedError for SyncError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::Remote(e) => e.code(),
            Self::Internal(_) | Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } | Self::Conflict { field, .. } => Some(field),
            Self::Remote(e) => e.field(),
            _ => None,
        }
    }
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> SyncError {
    SyncError::Invalid {
        field,
        message: message.into(),
    }
}

/// Milliseconds since the epoch of an RFC 3339 time (a row's `updated_at`).
pub(crate) fn millis_of(time: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Finds the edits of a project's rows (or of one row) since they were last stamped, stamps them
/// for `node` (each at its row's `updated_at`, after the field's previous stamp) and records the
/// new values in `sync_fields`. Rows gone from their table get a `_deleted` tombstone.
pub fn capture(
    c: &Connection<'_>,
    project_id: &str,
    only: Option<(&'static schema::Entity, &str)>,
    node: &str,
    now_millis: i64,
    author: Option<&str>,
) -> Result<Vec<RowEdit>, DbError> {
    let mut edits = Vec::new();
    let entities: Vec<&'static schema::Entity> = match only {
        Some((e, _)) => vec![e],
        None => schema::ENTITIES.iter().collect(),
    };
    for entity in entities {
        let row_filter = only.map(|(_, id)| id);
        let rows = store::read_rows(c, entity, project_id, row_filter)?;
        let mut known = store::fields_of(c, entity.name, project_id, row_filter)?;
        for row in &rows {
            let stamped = known.remove(&row.id).unwrap_or_default();
            let millis = row
                .updated_at
                .as_deref()
                .and_then(millis_of)
                .unwrap_or(now_millis);
            let mut fields = BTreeMap::new();
            for (name, value) in &row.values {
                let before = stamped.get(*name);
                if before.is_some_and(|(v, _)| v == value) {
                    continue;
                }
                let base_stamp = before.map(|(_, s)| s.clone());
                let stamp = Stamp::after(base_stamp.as_ref(), millis, node);
                store::put_field(
                    c,
                    entity.name,
                    &row.id,
                    name,
                    project_id,
                    value,
                    &stamp,
                    author,
                )?;
                fields.insert(
                    name.to_string(),
                    FieldWrite {
                        value: value.clone(),
                        stamp: stamp.to_string(),
                        base_stamp: base_stamp.map(|s| s.to_string()),
                        base: schema::merges_by_line(entity.name, name)
                            .then(|| before.map(|(v, _)| v.clone()))
                            .flatten(),
                    },
                );
            }
            // A row that came back (a restore of a hard delete) is live again.
            if let Some((Value::Bool(true), s)) = stamped.get(schema::DELETED) {
                let stamp = Stamp::after(Some(s), millis, node);
                store::put_field(
                    c,
                    entity.name,
                    &row.id,
                    schema::DELETED,
                    project_id,
                    &Value::Bool(false),
                    &stamp,
                    author,
                )?;
                fields.insert(
                    schema::DELETED.to_string(),
                    FieldWrite {
                        value: Value::Bool(false),
                        stamp: stamp.to_string(),
                        base_stamp: Some(s.to_string()),
                        base: None,
                    },
                );
            }
            if !fields.is_empty() {
                edits.push(RowEdit {
                    entity: entity.name,
                    row_id: row.id.clone(),
                    fields,
                });
            }
        }
        // Known rows no longer in the table: deleted here.
        for (row_id, stamped) in known {
            if matches!(stamped.get(schema::DELETED), Some((Value::Bool(true), _))) {
                continue;
            }
            let latest = stamped.values().map(|(_, s)| s).max();
            let stamp = Stamp::after(latest, now_millis, node);
            store::put_field(
                c,
                entity.name,
                &row_id,
                schema::DELETED,
                project_id,
                &Value::Bool(true),
                &stamp,
                author,
            )?;
            let base_stamp = stamped.get(schema::DELETED).map(|(_, s)| s.to_string());
            edits.push(RowEdit {
                entity: entity.name,
                row_id,
                fields: BTreeMap::from([(
                    schema::DELETED.to_string(),
                    FieldWrite {
                        value: Value::Bool(true),
                        stamp: stamp.to_string(),
                        base_stamp,
                        base: None,
                    },
                )]),
            });
        }
    }
    // Review decisions made here since the last look: append-only events.
    if only.is_none() {
        for (id, payload, user, at) in store::unrecorded_review_decisions(c, project_id)? {
            let by = crate::accounts::username_of(c, &user)?;
            store::insert_event(
                c,
                &id,
                project_id,
                REVIEW_DECISION,
                &payload,
                by.as_deref(),
                &at,
            )?;
            let event = Event {
                id: id.clone(),
                project_id: project_id.to_string(),
                kind: REVIEW_DECISION.into(),
                payload,
                by,
                created_at: at,
            };
            edits.push(RowEdit {
                entity: schema::EVENT,
                row_id: id,
                fields: BTreeMap::from([(
                    "record".to_string(),
                    FieldWrite {
                        value: serde_json::to_value(&event).unwrap_or(Value::Null),
                        stamp: Stamp::after(None, now_millis, node).to_string(),
                        base_stamp: None,
                        base: None,
                    },
                )]),
            });
        }
    }
    Ok(edits)
}

/// Orders row groups so parents are written before their children (the entities' rank, then
/// the row id: UUIDv7, so in order of creation).
pub(crate) fn rank_order(a: (&str, &str), b: (&str, &str)) -> Ordering {
    schema::rank(a.0)
        .cmp(&schema::rank(b.0))
        .then_with(|| a.1.cmp(b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_as_their_text_and_an_edit_comes_after_what_it_saw() {
        let a = Stamp::after(None, 1_700_000_000_000, "b-node");
        let ahead = Stamp {
            millis: 1_800_000_000_000,
            counter: 7,
            node: "a".into(),
        };
        // A node whose clock is behind still stamps after the stamp it saw.
        let b = Stamp::after(Some(&ahead), 1_700_000_000_001, "b-node");
        assert!(b > ahead && b.millis == ahead.millis && b.counter == 8);
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
        for s in [&a, &b, &ahead] {
            assert_eq!(Stamp::parse(&s.to_string()).as_ref(), Some(s));
        }
        assert_eq!(Stamp::parse("12-x-n"), None);
        assert_eq!(Stamp::parse("12-1-"), None);
    }
}
