//! Every statement the sync domain runs: the synced tables read and written generically from
//! their [`schema`] entries, and sync's own tables (migration 0026).
use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{
    schema::{self, Entity, Kind},
    Change, Conflict, Stamp,
};
use crate::db::{
    sql::{params, params_from_iter, Connection, OptionalExtension, Value as SqlValue},
    DbError,
};

/// A synced row as its table holds it.
pub struct Row {
    pub id: String,
    pub updated_at: Option<String>,
    pub values: BTreeMap<&'static str, Value>,
}

fn to_json(v: SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::from(i),
        SqlValue::Real(f) => Value::from(f),
        SqlValue::Text(t) => Value::String(t),
        SqlValue::Blob(b) => Value::String(hex::encode(b)),
    }
}

fn to_sql(kind: Kind, v: &Value) -> SqlValue {
    match (kind, v) {
        (_, Value::Null) => SqlValue::Null,
        (Kind::Int | Kind::OptInt, Value::Number(n)) => SqlValue::Integer(n.as_i64().unwrap_or(0)),
        (_, Value::String(s)) => SqlValue::Text(s.clone()),
        (_, other) => SqlValue::Text(other.to_string()),
    }
}

/// A project's rows of one entity (or the one row `only`), in id order.
pub fn read_rows(
    c: &Connection<'_>,
    entity: &'static Entity,
    project_id: &str,
    only: Option<&str>,
) -> Result<Vec<Row>, DbError> {
    let columns: Vec<String> = entity
        .fields
        .iter()
        .map(|f| format!("t.{}", f.name))
        .collect();
    let sql = format!(
        "SELECT t.id, t.updated_at, {} FROM {} t WHERE {} AND (?2 IS NULL OR t.id = ?2) ORDER BY t.id",
        columns.join(", "),
        entity.table,
        entity.scope
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![project_id, only], |r| {
            let mut values = BTreeMap::new();
            for (i, field) in entity.fields.iter().enumerate() {
                values.insert(field.name, to_json(r.get::<_, SqlValue>(i + 2)?));
            }
            Ok(Row {
                id: r.get(0)?,
                updated_at: r.get(1)?,
                values,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether a row of `entity` with this id exists (in any project).
pub fn row_exists(c: &Connection<'_>, entity: &Entity, row_id: &str) -> Result<bool, DbError> {
    Ok(
        c.prepare_cached(&format!("SELECT 1 FROM {} WHERE id = ?1", entity.table))?
            .exists([row_id])?,
    )
}

/// The row's project, if the row exists and belongs to `project_id`.
pub fn row_in_project(
    c: &Connection<'_>,
    entity: &Entity,
    project_id: &str,
    row_id: &str,
) -> Result<bool, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT 1 FROM {} t WHERE t.id = ?2 AND {}",
        entity.table, entity.scope
    ))?
    .exists(params![project_id, row_id])?)
}

/// Writes fields of one row: an update when it exists, else a new row (fields not given take
/// their defaults) unless the row is a tombstone. `_deleted: true` deletes the row. Answers
/// false when the row could not be written (a constraint refused it); nothing of it is kept then.
#[allow(clippy::too_many_arguments)]
pub fn write_row(
    c: &Connection<'_>,
    entity: &'static Entity,
    row_id: &str,
    project_id: &str,
    owner_id: &str,
    fields: &BTreeMap<String, Value>,
    tombstoned: bool,
    now: &str,
) -> Result<bool, DbError> {
    c.execute_batch("SAVEPOINT sync_row")?;
    let result = write_row_inner(
        c, entity, row_id, project_id, owner_id, fields, tombstoned, now,
    );
    match result {
        Ok(()) => {
            c.execute_batch("RELEASE SAVEPOINT sync_row")?;
            Ok(true)
        }
        Err(DbError::Sql(e)) if e.is_constraint_violation() => {
            tracing::warn!(entity = entity.name, row_id, error = %e, "a synced row was refused");
            c.execute_batch("ROLLBACK TO SAVEPOINT sync_row; RELEASE SAVEPOINT sync_row")?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

#[allow(clippy::too_many_arguments)]
fn write_row_inner(
    c: &Connection<'_>,
    entity: &'static Entity,
    row_id: &str,
    project_id: &str,
    owner_id: &str,
    fields: &BTreeMap<String, Value>,
    tombstoned: bool,
    now: &str,
) -> Result<(), DbError> {
    let exists = row_exists(c, entity, row_id)?;
    match fields.get(schema::DELETED) {
        Some(Value::Bool(true)) => {
            if exists {
                c.execute(
                    &format!("DELETE FROM {} WHERE id = ?1", entity.table),
                    [row_id],
                )?;
            }
            return Ok(());
        }
        _ if tombstoned && !fields.contains_key(schema::DELETED) => return Ok(()),
        _ => {}
    }
    let given: Vec<(&'static schema::Field, &Value)> = entity
        .fields
        .iter()
        .filter_map(|f| fields.get(f.name).map(|v| (f, v)))
        .collect();
    let mut extra: Vec<(&str, SqlValue)> = Vec::new();
    if entity.name == "character" {
        if let Some(Value::String(name)) = fields.get("name") {
            extra.push(("name_key", SqlValue::Text(crate::db::casefold(name))));
        }
    }
    if exists {
        if given.is_empty() && extra.is_empty() {
            return Ok(());
        }
        let mut sets: Vec<String> = Vec::new();
        let mut values: Vec<SqlValue> = Vec::new();
        for (f, v) in &given {
            values.push(to_sql(f.kind, v));
            sets.push(format!("{} = ?{}", f.name, values.len()));
        }
        for (name, v) in extra {
            values.push(v);
            sets.push(format!("{name} = ?{}", values.len()));
        }
        if entity.name == "version" && fields.contains_key("script_text") {
            // An editor open on the old text must not save over the synced one.
            sets.push("script_revision = script_revision + 1".into());
        }
        values.push(SqlValue::Text(now.to_string()));
        sets.push(format!("updated_at = ?{}", values.len()));
        values.push(SqlValue::Text(row_id.to_string()));
        let sql = format!(
            "UPDATE {} SET {} WHERE id = ?{}",
            entity.table,
            sets.join(", "),
            values.len()
        );
        c.execute(&sql, params_from_iter(values))?;
        return Ok(());
    }
    let mut columns: Vec<String> = vec!["id".into(), "created_at".into(), "updated_at".into()];
    let mut values: Vec<SqlValue> = vec![
        SqlValue::Text(row_id.to_string()),
        SqlValue::Text(now.to_string()),
        SqlValue::Text(now.to_string()),
    ];
    for f in entity.fields {
        let default: Value = serde_json::from_str(f.default).unwrap_or(Value::Null);
        let v = fields.get(f.name).unwrap_or(&default);
        columns.push(f.name.to_string());
        values.push(to_sql(f.kind, v));
    }
    if entity.name == "character" && !fields.contains_key("name") {
        extra.push(("name_key", SqlValue::Text(String::new())));
    }
    for (name, v) in extra {
        columns.push(name.to_string());
        values.push(v);
    }
    if let Some(col) = entity.owner_column {
        columns.push(col.to_string());
        values.push(SqlValue::Text(owner_id.to_string()));
    }
    if let Some(col) = entity.project_column {
        columns.push(col.to_string());
        values.push(SqlValue::Text(project_id.to_string()));
    }
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        entity.table,
        columns.join(", "),
        placeholders.join(", ")
    );
    c.execute(&sql, params_from_iter(values))?;
    Ok(())
}

/// What `sync_fields` holds per row: field → (value, stamp).
pub type Stamped = HashMap<String, (Value, Stamp)>;

/// The stamped fields of a project's rows of one entity (or of the row `only`).
pub fn fields_of(
    c: &Connection<'_>,
    entity: &str,
    project_id: &str,
    only: Option<&str>,
) -> Result<HashMap<String, Stamped>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT row_id, field, value, stamp FROM sync_fields
         WHERE entity = ?1 AND project_id = ?2 AND (?3 IS NULL OR row_id = ?3)",
    )?;
    let mut out: HashMap<String, Stamped> = HashMap::new();
    let rows = stmt
        .query_map(params![entity, project_id, only], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (row_id, field, value, stamp) in rows {
        let (Ok(value), Some(stamp)) = (serde_json::from_str(&value), Stamp::parse(&stamp)) else {
            continue;
        };
        out.entry(row_id).or_default().insert(field, (value, stamp));
    }
    Ok(out)
}

/// The project a synced row was recorded under, if any.
pub fn project_of_row(
    c: &Connection<'_>,
    entity: &str,
    row_id: &str,
) -> Result<Option<String>, DbError> {
    Ok(c.prepare_cached(
        "SELECT project_id FROM sync_fields WHERE entity = ?1 AND row_id = ?2 LIMIT 1",
    )?
    .query_row(params![entity, row_id], |r| r.get(0))
    .optional()?)
}

#[allow(clippy::too_many_arguments)]
pub fn put_field(
    c: &Connection<'_>,
    entity: &str,
    row_id: &str,
    field: &str,
    project_id: &str,
    value: &Value,
    stamp: &Stamp,
    author: Option<&str>,
) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO sync_fields (entity, row_id, field, project_id, value, stamp, author)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (entity, row_id, field) DO UPDATE SET
             value = excluded.value, stamp = excluded.stamp, author = excluded.author",
    )?
    .execute(params![
        entity,
        row_id,
        field,
        project_id,
        value.to_string(),
        stamp.to_string(),
        author
    ])?;
    Ok(())
}

/// Every stamped field of a project (a snapshot), parents' rows first.
pub fn snapshot(c: &Connection<'_>, project_id: &str) -> Result<Vec<Change>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT entity, row_id, field, value, stamp, author FROM sync_fields
         WHERE project_id = ?1 ORDER BY entity, row_id, field",
    )?;
    let mut changes = stmt
        .query_map([project_id], change_row(false))?
        .collect::<Result<Vec<_>, _>>()?;
    changes.sort_by(|a, b| super::rank_order((&a.entity, &a.row_id), (&b.entity, &b.row_id)));
    Ok(changes)
}

fn change_row(
    with_cursor: bool,
) -> impl FnMut(&crate::db::sql::Row<'_>) -> crate::db::sql::Result<Change> {
    move |r| {
        let offset = usize::from(with_cursor);
        let value: String = r.get(offset + 3)?;
        Ok(Change {
            cursor: if with_cursor { r.get(0)? } else { 0 },
            entity: r.get(offset)?,
            row_id: r.get(offset + 1)?,
            field: r.get(offset + 2)?,
            value: serde_json::from_str(&value).unwrap_or(Value::Null),
            stamp: r.get(offset + 4)?,
            author: r.get(offset + 5)?,
        })
    }
}

// --- The server's tables ---

/// The workspace a project syncs in, if it has synced before.
pub fn synced_project_workspace(
    c: &Connection<'_>,
    project_id: &str,
) -> Result<Option<String>, DbError> {
    Ok(
        c.prepare_cached("SELECT workspace_id FROM sync_projects WHERE project_id = ?1")?
            .query_row([project_id], |r| r.get(0))
            .optional()?,
    )
}

/// Takes the project's turn to write its log (creating its row the first time).
pub fn touch_project(
    c: &Connection<'_>,
    project_id: &str,
    workspace_id: &str,
    now: &str,
) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO sync_projects (project_id, workspace_id, touched_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (project_id) DO UPDATE SET touched_at = excluded.touched_at",
    )?
    .execute(params![project_id, workspace_id, now])?;
    Ok(())
}

/// The owner (workspace) of a project, if it exists.
pub fn project_owner(c: &Connection<'_>, project_id: &str) -> Result<Option<String>, DbError> {
    Ok(
        c.prepare_cached("SELECT owner_id FROM projects WHERE id = ?1")?
            .query_row([project_id], |r| r.get(0))
            .optional()?,
    )
}

#[allow(clippy::too_many_arguments)]
pub fn log_change(
    c: &Connection<'_>,
    project_id: &str,
    entity: &str,
    row_id: &str,
    field: &str,
    value: &Value,
    stamp: &str,
    author: Option<&str>,
) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO sync_changes (project_id, entity, row_id, field, value, stamp, author)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        project_id,
        entity,
        row_id,
        field,
        value.to_string(),
        stamp,
        author
    ])?;
    Ok(())
}

pub fn changes_after(
    c: &Connection<'_>,
    project_id: &str,
    cursor: i64,
    limit: u32,
) -> Result<Vec<Change>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT cursor, entity, row_id, field, value, stamp, author FROM sync_changes
         WHERE project_id = ?1 AND cursor > ?2 ORDER BY cursor LIMIT ?3",
    )?;
    let changes = stmt
        .query_map(
            params![project_id, cursor, i64::from(limit)],
            change_row(true),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(changes)
}

/// The first and last cursors a project's log still holds.
pub fn log_bounds(c: &Connection<'_>, project_id: &str) -> Result<(i64, i64), DbError> {
    Ok(c.query_row(
        "SELECT COALESCE(MIN(cursor), 0), COALESCE(MAX(cursor), 0) FROM sync_changes WHERE project_id = ?1",
        [project_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// A client's person and its last applied counter.
pub fn client(c: &Connection<'_>, client_id: &str) -> Result<Option<(String, i64)>, DbError> {
    Ok(
        c.prepare_cached("SELECT user_id, last_counter FROM sync_clients WHERE client_id = ?1")?
            .query_row([client_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
    )
}

pub fn save_client(
    c: &Connection<'_>,
    client_id: &str,
    user_id: &str,
    last_counter: i64,
    now: &str,
) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO sync_clients (client_id, user_id, last_counter, created_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (client_id) DO UPDATE SET
             last_counter = excluded.last_counter, last_seen_at = excluded.last_seen_at",
    )?
    .execute(params![client_id, user_id, last_counter, now])?;
    Ok(())
}

pub fn reject(
    c: &Connection<'_>,
    client_id: &str,
    counter: i64,
    mutation_id: &str,
    project_id: &str,
    reason: &str,
    now: &str,
) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO sync_rejections (client_id, counter, mutation_id, project_id, reason, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (client_id, counter) DO NOTHING",
    )?
    .execute(params![client_id, counter, mutation_id, project_id, reason, now])?;
    Ok(())
}

pub fn save_cursor(
    c: &Connection<'_>,
    client_id: &str,
    project_id: &str,
    cursor: i64,
    now: &str,
) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO sync_client_cursors (client_id, project_id, cursor, seen_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (client_id, project_id) DO UPDATE SET cursor = excluded.cursor, seen_at = excluded.seen_at",
    )?
    .execute(params![client_id, project_id, cursor, now])?;
    Ok(())
}

/// Drops log entries every client seen since `active_since` has pulled (a client away longer
/// takes a snapshot when it returns). Answers how many went.
pub fn prune_log(c: &Connection<'_>, active_since: &str) -> Result<usize, DbError> {
    Ok(c.execute(
        "DELETE FROM sync_changes WHERE cursor <= COALESCE(
             (SELECT MIN(k.cursor) FROM sync_client_cursors k
               WHERE k.project_id = sync_changes.project_id AND k.seen_at >= ?1), 0)",
        [active_since],
    )?)
}

pub fn insert_conflict(c: &Connection<'_>, k: &Conflict) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO sync_conflicts (id, project_id, entity, row_id, field, kept_value, kept_stamp,
             kept_by, set_aside_value, set_aside_stamp, set_aside_by, reason, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        k.id,
        k.project_id,
        k.entity,
        k.row_id,
        k.field,
        k.kept_value.to_string(),
        k.kept_stamp,
        k.kept_by,
        k.set_aside_value.to_string(),
        k.set_aside_stamp,
        k.set_aside_by,
        k.reason,
        k.created_at
    ])?;
    Ok(())
}

pub fn conflicts(c: &Connection<'_>, project_id: &str) -> Result<Vec<Conflict>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, project_id, entity, row_id, field, kept_value, kept_stamp, kept_by,
                set_aside_value, set_aside_stamp, set_aside_by, reason, created_at
         FROM sync_conflicts WHERE project_id = ?1 ORDER BY created_at DESC, id DESC",
    )?;
    let json = |s: String| serde_json::from_str(&s).unwrap_or(Value::Null);
    let rows = stmt
        .query_map([project_id], |r| {
            Ok(Conflict {
                id: r.get(0)?,
                project_id: r.get(1)?,
                entity: r.get(2)?,
                row_id: r.get(3)?,
                field: r.get(4)?,
                kept_value: json(r.get(5)?),
                kept_stamp: r.get(6)?,
                kept_by: r.get(7)?,
                set_aside_value: json(r.get(8)?),
                set_aside_stamp: r.get(9)?,
                set_aside_by: r.get(10)?,
                reason: r.get(11)?,
                created_at: r.get(12)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether an asset of a project in one of the person's workspaces has this blob (who may
/// download it).
pub fn blob_visible_to(c: &Connection<'_>, user_id: &str, sha256: &str) -> Result<bool, DbError> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM assets a
               JOIN projects p ON p.id = a.project_id
               JOIN workspace_members m ON m.workspace_id = p.owner_id AND m.user_id = ?1
             WHERE a.sha256 = ?2 OR a.thumbnail_sha256 = ?2 LIMIT 1",
    )?
    .exists(params![user_id, sha256])?)
}

/// Who last wrote a field, when known.
pub fn author_of(
    c: &Connection<'_>,
    entity: &str,
    row_id: &str,
    field: &str,
) -> Result<Option<String>, DbError> {
    Ok(c.prepare_cached(
        "SELECT author FROM sync_fields WHERE entity = ?1 AND row_id = ?2 AND field = ?3",
    )?
    .query_row(params![entity, row_id, field], |r| {
        r.get::<_, Option<String>>(0)
    })
    .optional()?
    .flatten())
}

// --- The desktop's tables ---

#[derive(Debug, Clone)]
pub struct Link {
    pub project_id: String,
    pub server_url: String,
    pub workspace_id: String,
    pub cursor: Option<i64>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub next_try_at: Option<String>,
    pub last_synced_at: Option<String>,
    pub balance: Option<i64>,
    pub linked_at: String,
}

impl Link {
    /// A new link, taking a snapshot at its first pull.
    pub fn new(project_id: &str, server_url: String, workspace_id: String, now: String) -> Self {
        Link {
            project_id: project_id.to_string(),
            server_url,
            workspace_id,
            cursor: None,
            last_error: None,
            failures: 0,
            next_try_at: None,
            last_synced_at: None,
            balance: None,
            linked_at: now,
        }
    }
}

const LINK_COLUMNS: &str = "project_id, server_url, workspace_id, cursor, last_error, failures, \
     next_try_at, last_synced_at, balance, linked_at";

fn link_row(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Link> {
    Ok(Link {
        project_id: r.get(0)?,
        server_url: r.get(1)?,
        workspace_id: r.get(2)?,
        cursor: r.get(3)?,
        last_error: r.get(4)?,
        failures: r.get(5)?,
        next_try_at: r.get(6)?,
        last_synced_at: r.get(7)?,
        balance: r.get(8)?,
        linked_at: r.get(9)?,
    })
}

pub fn link(c: &Connection<'_>, project_id: &str) -> Result<Option<Link>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {LINK_COLUMNS} FROM sync_links WHERE project_id = ?1"
    ))?
    .query_row([project_id], link_row)
    .optional()?)
}

pub fn links(c: &Connection<'_>) -> Result<Vec<Link>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {LINK_COLUMNS} FROM sync_links ORDER BY linked_at, project_id"
    ))?;
    let rows = stmt
        .query_map([], link_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn insert_link(c: &Connection<'_>, l: &Link) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO sync_links (project_id, server_url, workspace_id, cursor, linked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            l.project_id,
            l.server_url,
            l.workspace_id,
            l.cursor,
            l.linked_at
        ],
    )?;
    Ok(())
}

pub fn delete_link(c: &Connection<'_>, project_id: &str) -> Result<usize, DbError> {
    c.execute(
        "DELETE FROM sync_outbox WHERE project_id = ?1",
        [project_id],
    )?;
    Ok(c.execute("DELETE FROM sync_links WHERE project_id = ?1", [project_id])?)
}

/// Forgets a project's merge state and conflicts (it is no longer linked).
pub fn forget_project(c: &Connection<'_>, project_id: &str) -> Result<(), DbError> {
    c.execute(
        "DELETE FROM sync_fields WHERE project_id = ?1",
        [project_id],
    )?;
    c.execute(
        "DELETE FROM sync_conflicts WHERE project_id = ?1",
        [project_id],
    )?;
    Ok(())
}

/// A pull's outcome: the cursor reached and the workspace's balance as the server told it (None:
/// not this person's to see).
pub fn save_pull(
    c: &Connection<'_>,
    project_id: &str,
    cursor: i64,
    balance: Option<i64>,
) -> Result<(), DbError> {
    c.execute(
        "UPDATE sync_links SET cursor = ?2, balance = ?3 WHERE project_id = ?1",
        params![project_id, cursor, balance],
    )?;
    Ok(())
}

/// Every link takes a snapshot next (the server lost track of this desktop).
pub fn reset_cursors(c: &Connection<'_>) -> Result<(), DbError> {
    c.execute("UPDATE sync_links SET cursor = NULL", [])?;
    Ok(())
}

pub fn record_attempt(
    c: &Connection<'_>,
    project_id: &str,
    error: Option<&str>,
    next_try_at: Option<&str>,
    now: &str,
) -> Result<(), DbError> {
    match error {
        None => c.execute(
            "UPDATE sync_links SET last_error = NULL, failures = 0, next_try_at = NULL,
                 last_synced_at = ?2 WHERE project_id = ?1",
            params![project_id, now],
        )?,
        Some(e) => c.execute(
            "UPDATE sync_links SET last_error = ?2, failures = failures + 1, next_try_at = ?3
             WHERE project_id = ?1",
            params![project_id, e, next_try_at],
        )?,
    };
    Ok(())
}

pub fn setting(c: &Connection<'_>, key: &str) -> Result<Option<String>, DbError> {
    Ok(
        c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?,
    )
}

pub fn set_setting(c: &Connection<'_>, key: &str, value: &str) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// One queued mutation as the outbox keeps it.
pub struct Queued {
    pub counter: i64,
    pub mutation_id: String,
    pub project_id: String,
    pub entity: String,
    pub row_id: String,
    pub fields: String,
}

pub fn enqueue(c: &Connection<'_>, q: &Queued, now: &str) -> Result<(), DbError> {
    c.prepare_cached(
        "INSERT INTO sync_outbox (counter, mutation_id, project_id, entity, row_id, fields, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        q.counter,
        q.mutation_id,
        q.project_id,
        q.entity,
        q.row_id,
        q.fields,
        now
    ])?;
    Ok(())
}

/// The outbox in order (all projects: the counter is the desktop's, not a project's).
pub fn outbox(c: &Connection<'_>, limit: u32) -> Result<Vec<Queued>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT counter, mutation_id, project_id, entity, row_id, fields FROM sync_outbox
         ORDER BY counter LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([i64::from(limit)], |r| {
            Ok(Queued {
                counter: r.get(0)?,
                mutation_id: r.get(1)?,
                project_id: r.get(2)?,
                entity: r.get(3)?,
                row_id: r.get(4)?,
                fields: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn outbox_count(c: &Connection<'_>, project_id: &str) -> Result<i64, DbError> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM sync_outbox WHERE project_id = ?1",
        [project_id],
        |r| r.get(0),
    )?)
}

/// The (entity, row, field)s a project has queued.
pub fn pending_fields(
    c: &Connection<'_>,
    project_id: &str,
) -> Result<std::collections::HashSet<(String, String, String)>, DbError> {
    let mut stmt =
        c.prepare_cached("SELECT entity, row_id, fields FROM sync_outbox WHERE project_id = ?1")?;
    let rows = stmt
        .query_map([project_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = std::collections::HashSet::new();
    for (entity, row_id, fields) in rows {
        let fields: BTreeMap<String, Value> = serde_json::from_str(&fields).unwrap_or_default();
        for field in fields.into_keys() {
            out.insert((entity.clone(), row_id.clone(), field));
        }
    }
    Ok(out)
}

pub fn acknowledge(c: &Connection<'_>, up_to: i64) -> Result<usize, DbError> {
    Ok(c.execute("DELETE FROM sync_outbox WHERE counter <= ?1", [up_to])?)
}

/// Numbers the outbox again from 1, in its order (after a reset). Answers the last counter.
pub fn renumber_outbox(c: &Connection<'_>) -> Result<i64, DbError> {
    let counters: Vec<i64> = c
        .prepare("SELECT counter FROM sync_outbox ORDER BY counter")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    // Two passes, so no new number meets an old one.
    c.execute("UPDATE sync_outbox SET counter = -counter", [])?;
    for (i, old) in counters.iter().enumerate() {
        c.execute(
            "UPDATE sync_outbox SET counter = ?1 WHERE counter = ?2",
            params![i as i64 + 1, -old],
        )?;
    }
    Ok(counters.len() as i64)
}

// --- Append-only events (both sides) ---

/// A project's review decisions not yet recorded as events: (id, payload, author, created_at).
pub fn unrecorded_review_decisions(
    c: &Connection<'_>,
    project_id: &str,
) -> Result<Vec<(String, Value, String, String)>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT d.id, d.item_key, d.asset_id, d.decision, d.comment, d.user_id, d.created_at
           FROM review_decisions d
           JOIN node_runs n ON n.id = d.node_run_id
           JOIN workflow_runs r ON r.id = n.run_id
          WHERE r.project_id = ?1
            AND NOT EXISTS (SELECT 1 FROM sync_events e WHERE e.id = d.id)
          ORDER BY d.created_at, d.id",
    )?;
    let rows = stmt
        .query_map([project_id], |r| {
            let (id, user, at): (String, String, String) = (r.get(0)?, r.get(5)?, r.get(6)?);
            let payload = serde_json::json!({
                "shot_id": r.get::<_, String>(1)?,
                "asset_id": r.get::<_, Option<String>>(2)?,
                "decision": r.get::<_, String>(3)?,
                "comment": r.get::<_, String>(4)?,
                "at": at,
            });
            Ok((id, payload, user, at))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Records an event once: answers false when one with this id exists (it is never replaced).
pub fn insert_event(
    c: &Connection<'_>,
    id: &str,
    project_id: &str,
    kind: &str,
    payload: &Value,
    author: Option<&str>,
    created_at: &str,
) -> Result<bool, DbError> {
    Ok(c.prepare_cached(
        "INSERT INTO sync_events (id, project_id, kind, payload, author, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        id,
        project_id,
        kind,
        payload.to_string(),
        author,
        created_at
    ])? == 1)
}

/// A project's events, newest first.
pub fn events(c: &Connection<'_>, project_id: &str) -> Result<Vec<super::Event>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, kind, payload, author, created_at FROM sync_events
         WHERE project_id = ?1 ORDER BY created_at DESC, id DESC",
    )?;
    let rows = stmt
        .query_map([project_id], |r| {
            let payload: String = r.get(2)?;
            Ok(super::Event {
                id: r.get(0)?,
                project_id: project_id.to_string(),
                kind: r.get(1)?,
                payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                by: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
