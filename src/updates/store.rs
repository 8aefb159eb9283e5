//! The `desktop_releases` table; every statement the updates domain runs is here.
use super::Release;
use crate::db::{
    sql::{params, Connection, OptionalExtension, Row},
    DbError,
};

const COLUMNS: &str = "id, target, arch, version, notes, signature, sha256, size, filename, \
     uploaded_by, created_at, withdrawn_at";

fn release_row(r: &Row<'_>) -> crate::db::sql::Result<Release> {
    Ok(Release {
        id: r.get(0)?,
        target: r.get(1)?,
        arch: r.get(2)?,
        version: r.get(3)?,
        notes: r.get(4)?,
        signature: r.get(5)?,
        sha256: r.get(6)?,
        size: r.get::<_, i64>(7)?.max(0) as u64,
        filename: r.get(8)?,
        uploaded_by: r.get(9)?,
        created_at: r.get(10)?,
        withdrawn_at: r.get(11)?,
    })
}

pub fn insert(c: &Connection, r: &Release) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO desktop_releases (id, target, arch, version, notes, signature, sha256, size,
             filename, uploaded_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            r.id,
            r.target,
            r.arch,
            r.version,
            r.notes,
            r.signature,
            r.sha256,
            r.size as i64,
            r.filename,
            r.uploaded_by,
            r.created_at
        ],
    )?;
    Ok(())
}

/// Whether this version was uploaded for this platform (withdrawn or not).
pub fn exists(c: &Connection, target: &str, arch: &str, version: &str) -> Result<bool, DbError> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM desktop_releases
                        WHERE target = ?1 AND arch = ?2 AND version = ?3)",
        params![target, arch, version],
        |r| r.get(0),
    )?)
}

pub fn get(c: &Connection, id: &str) -> Result<Option<Release>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM desktop_releases WHERE id = ?1"
    ))?
    .query_row([id], release_row)
    .optional()?)
}

pub fn list(c: &Connection, limit: u32, offset: u64) -> Result<(Vec<Release>, u64), DbError> {
    let total: i64 = c.query_row("SELECT COUNT(*) FROM desktop_releases", [], |r| r.get(0))?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM desktop_releases ORDER BY created_at DESC, id DESC
         LIMIT ?1 OFFSET ?2"
    ))?;
    let rows = stmt
        .query_map(params![i64::from(limit), offset as i64], release_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

/// The builds offered to one platform (not withdrawn), in no particular order: the caller orders
/// them by semantic version.
pub fn offered(c: &Connection, target: &str, arch: &str) -> Result<Vec<Release>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM desktop_releases
         WHERE target = ?1 AND arch = ?2 AND withdrawn_at IS NULL"
    ))?;
    let rows = stmt
        .query_map(params![target, arch], release_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn withdraw(c: &Connection, id: &str, now: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE desktop_releases SET withdrawn_at = ?2 WHERE id = ?1 AND withdrawn_at IS NULL",
        params![id, now],
    )?;
    Ok(())
}

/// Whether a release's file is this blob (the blob store keeps it while one does).
pub fn references_blob(c: &Connection, sha256: &str) -> crate::db::sql::Result<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM desktop_releases WHERE sha256 = ?1)",
        [sha256],
        |r| r.get(0),
    )
}
