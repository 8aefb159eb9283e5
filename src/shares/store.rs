//! The `shares` table; every statement the shares domain runs is here.
use super::ShareRow;
use crate::db::{
    sql::{params, Connection, OptionalExtension, Row},
    DbError,
};

const COLUMNS: &str = "s.id, s.workspace_id, s.project_id, s.version_id, s.export_id, s.created_by, \
     s.created_at, s.expires_at, s.password_hash, s.include_storyboard, s.revoked_at, s.view_count, \
     s.last_viewed_at, s.summary_id";

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
    })
}

/// A row with its project's name (kept when the project is in the trash; empty once it is gone),
/// or its summary's title for a summary's link.
fn share_with_name(r: &Row<'_>) -> crate::db::sql::Result<(ShareRow, String)> {
    Ok((
        share_row(r)?,
        r.get::<_, Option<String>>(14)?.unwrap_or_default(),
    ))
}

pub fn insert(c: &Connection, s: &ShareRow) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO shares (id, workspace_id, project_id, version_id, export_id, created_by,
             created_at, expires_at, password_hash, include_storyboard, summary_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
            s.summary_id
        ],
    )?;
    Ok(())
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
