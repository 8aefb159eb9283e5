//! The `shares` table; every statement the shares domain runs is here.
use super::ShareRow;
use crate::db::{
    sql::{params, Connection, OptionalExtension, Row},
    DbError,
};

const COLUMNS: &str = "s.id, s.workspace_id, s.project_id, s.version_id, s.export_id, s.created_by, \
     s.created_at, s.expires_at, s.password_hash, s.include_storyboard, s.revoked_at, s.view_count, \
     s.last_viewed_at, s.summary_id, s.video_asset_id, s.request_key";

fn share_row(r: &Row<'_>) -> crate::db::sql::Result<ShareRow> {
    Ok(ShareRow {
        id: r.get(0)?,
        workspace_id: r.get(1)?,
        project_id: r.get(2)?,
        version_id: r.get(3)?,
        export_id: r.get(4)?,
        created_by: r.get(5)?,
        created_at: r.get(6)?,
        expires_at: r.get(7)?,
        password_hash: r.get(8)?,
        include_storyboard: r.get::<_, i64>(9)? != 0,
        revoked_at: r.get(10)?,
        view_count: r.get(11)?,
        last_viewed_at: r.get(12)?,
        summary_id: r.get(13)?,
        video_asset_id: r.get(14)?,
        request_key: r.get(15)?,
    })
}

/// A row with its project's name (kept when the project is in the trash; empty once it is gone),
/// or its summary's title for a summary's link.
fn share_with_name(r: &Row<'_>) -> crate::db::sql::Result<(ShareRow, String)> {
    Ok((
        share_row(r)?,
        r.get::<_, Option<String>>(16)?.unwrap_or_default(),
    ))
}

pub fn insert(c: &Connection, s: &ShareRow) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO shares (id, workspace_id, project_id, version_id, export_id, created_by,
             created_at, expires_at, password_hash, include_storyboard, summary_id, video_asset_id,
             request_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            s.id,
            s.workspace_id,
            s.project_id,
            s.version_id,
            s.export_id,
            s.created_by,
            s.created_at,
            s.expires_at,
            s.password_hash,
            i64::from(s.include_storyboard),
            s.summary_id,
            s.video_asset_id,
            s.request_key
        ],
    )?;
    Ok(())
}

/// The link a workspace made with this Idempotency-Key, if any.
pub fn by_request_key(
    c: &Connection,
    workspace_id: &str,
    key: &str,
) -> Result<Option<(ShareRow, String)>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS}, COALESCE(sm.title, p.name) FROM shares s
         LEFT JOIN projects p ON p.id = s.project_id LEFT JOIN summaries sm ON sm.id = s.summary_id
         WHERE s.workspace_id = ?1 AND s.request_key = ?2"
    ))?
    .query_row(params![workspace_id, key], share_with_name)
    .optional()?)
}

/// A link by id, whoever owns it (the public page).
pub fn get(c: &Connection, id: &str) -> Result<Option<ShareRow>, DbError> {
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM shares s WHERE s.id = ?1"))?
            .query_row([id], share_row)
            .optional()?,
    )
}

pub fn get_of_workspace(
    c: &Connection,
    workspace_id: &str,
    id: &str,
) -> Result<Option<(ShareRow, String)>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS}, COALESCE(sm.title, p.name) FROM shares s
         LEFT JOIN projects p ON p.id = s.project_id LEFT JOIN summaries sm ON sm.id = s.summary_id
         WHERE s.id = ?1 AND s.workspace_id = ?2"
    ))?
    .query_row(params![id, workspace_id], share_with_name)
    .optional()?)
}

pub fn list(
    c: &Connection,
    workspace_id: &str,
    project_id: Option<&str>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<(ShareRow, String)>, u64), DbError> {
    let total: i64 = c.query_row(
        "SELECT COUNT(*) FROM shares WHERE workspace_id = ?1 AND (?2 IS NULL OR project_id = ?2)",
        params![workspace_id, project_id],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS}, COALESCE(sm.title, p.name) FROM shares s
         LEFT JOIN projects p ON p.id = s.project_id LEFT JOIN summaries sm ON sm.id = s.summary_id
         WHERE s.workspace_id = ?1 AND (?2 IS NULL OR s.project_id = ?2)
         ORDER BY s.created_at DESC, s.id DESC LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![workspace_id, project_id, i64::from(limit), offset as i64],
            share_with_name,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

/// Marks a link revoked, once: a second revocation keeps the first one's time.
pub fn revoke(c: &Connection, workspace_id: &str, id: &str, now: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE shares SET revoked_at = ?3
         WHERE id = ?1 AND workspace_id = ?2 AND revoked_at IS NULL",
        params![id, workspace_id, now],
    )?;
    Ok(())
}

/// One more view of the public page.
pub fn count_view(c: &Connection, id: &str, now: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE shares SET view_count = view_count + 1, last_viewed_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

// ---- The desktop's share queue (`share_queue`) ----

use super::queue::{QueuedShare, QueuedShareStatus};
use crate::states::Status;

const QUEUE_COLUMNS: &str =
    "id, project_id, export_id, include_storyboard, expires_at, has_password, \
     status, attempts, last_error, next_try_at, share_id, url, created_at, updated_at";

fn queued_row(r: &Row<'_>) -> crate::db::sql::Result<QueuedShare> {
    Ok(QueuedShare {
        id: r.get(0)?,
        project_id: r.get(1)?,
        export_id: r.get(2)?,
        include_storyboard: r.get::<_, i64>(3)? != 0,
        expires_at: r.get(4)?,
        has_password: r.get::<_, i64>(5)? != 0,
        status: r.get(6)?,
        attempts: r.get(7)?,
        last_error: r.get(8)?,
        next_try_at: r.get(9)?,
        share_id: r.get(10)?,
        url: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

pub fn queue_insert(c: &Connection, owner_id: &str, q: &QueuedShare) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO share_queue (id, owner_id, project_id, export_id, include_storyboard,
             expires_at, has_password, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            q.id,
            owner_id,
            q.project_id,
            q.export_id,
            i64::from(q.include_storyboard),
            q.expires_at,
            i64::from(q.has_password),
            q.status,
            q.created_at
        ],
    )?;
    Ok(())
}

pub fn queue_list(c: &Connection) -> Result<Vec<QueuedShare>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {QUEUE_COLUMNS} FROM share_queue ORDER BY created_at DESC, id DESC LIMIT 200"
    ))?;
    let rows = stmt
        .query_map([], queued_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn queue_get(c: &Connection, id: &str) -> Result<Option<QueuedShare>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {QUEUE_COLUMNS} FROM share_queue WHERE id = ?1"
    ))?
    .query_row([id], queued_row)
    .optional()?)
}

/// Moves a share to `next` if its table allows it from where it is; whether it moved.
pub fn queue_transition(
    c: &Connection,
    id: &str,
    next: QueuedShareStatus,
    now: &str,
) -> Result<bool, DbError> {
    let (set, guard) = QueuedShareStatus::transition_sql(next);
    let moved = c.execute(
        &format!(
            "UPDATE share_queue SET {set}, next_try_at = NULL, updated_at = ?2
             WHERE id = ?1 AND {guard}"
        ),
        params![id, now],
    )?;
    Ok(moved == 1)
}

/// Takes a queued share for sending; None when another task has it or it is not queued.
pub fn queue_claim(c: &Connection, id: &str, now: &str) -> Result<Option<QueuedShare>, DbError> {
    if !queue_transition(c, id, QueuedShareStatus::Sending, now)? {
        return Ok(None);
    }
    queue_get(c, id)
}

/// Records how a try ended (from `sending`).
pub fn queue_record(
    c: &Connection,
    id: &str,
    next: QueuedShareStatus,
    error: Option<&str>,
    next_try_at: Option<&str>,
    made: Option<(&str, &str)>,
    now: &str,
) -> Result<(), DbError> {
    let (set, guard) = QueuedShareStatus::transition_sql(next);
    c.execute(
        &format!(
            "UPDATE share_queue SET {set}, attempts = attempts + 1, last_error = ?2,
                 next_try_at = ?3, share_id = COALESCE(?4, share_id), url = COALESCE(?5, url),
                 updated_at = ?6
             WHERE id = ?1 AND {guard}"
        ),
        params![
            id,
            error,
            next_try_at,
            made.map(|m| m.0),
            made.map(|m| m.1),
            now
        ],
    )?;
    Ok(())
}

/// The queued shares whose time has come, oldest first.
pub fn queue_due(c: &Connection, now: &str) -> Result<Vec<String>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT id FROM share_queue
         WHERE {} AND (next_try_at IS NULL OR next_try_at <= ?1)
         ORDER BY created_at, id",
        QueuedShareStatus::Queued.eq_sql()
    ))?;
    let ids = stmt
        .query_map([now], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// Shares a stopped process left `sending` go back to the queue, to be sent now.
pub fn queue_requeue(c: &Connection, now: &str) -> Result<usize, DbError> {
    let (set, guard) = QueuedShareStatus::transition_sql(QueuedShareStatus::Queued);
    Ok(c.execute(
        &format!(
            "UPDATE share_queue SET {set}, next_try_at = NULL, updated_at = ?1
             WHERE {} AND {guard}",
            QueuedShareStatus::Sending.eq_sql()
        ),
        params![now],
    )?)
}
