//! The `platform_bindings`, `publish_jobs` and `publish_items` tables; every statement publishing
//! runs is here.
use super::{ItemStatus, JobStatus, PublishItem, PublishJob};
use crate::{
    db::{
        sql::{params, Connection, OptionalExtension, Row},
        DbError,
    },
    paging::PageSpec,
};

/// A bound account: the account shown to people, and the sealed credentials (none when they are
/// in the OS keyring).
pub struct Binding {
    pub account: String,
    pub sealed: Option<Vec<u8>>,
}

pub fn binding(
    c: &Connection,
    workspace_id: &str,
    platform: &str,
) -> Result<Option<Binding>, DbError> {
    Ok(c.prepare_cached(
        "SELECT account, credentials_sealed FROM platform_bindings
          WHERE workspace_id = ?1 AND platform = ?2",
    )?
    .query_row(params![workspace_id, platform], |r| {
        Ok(Binding {
            account: r.get(0)?,
            sealed: r.get(1)?,
        })
    })
    .optional()?)
}

/// The platforms the workspace has bound, with their accounts.
pub fn bindings(c: &Connection, workspace_id: &str) -> Result<Vec<(String, String)>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT platform, account FROM platform_bindings WHERE workspace_id = ?1",
    )?;
    let rows = stmt
        .query_map([workspace_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[allow(clippy::too_many_arguments)]
pub fn put_binding(
    c: &Connection,
    workspace_id: &str,
    platform: &str,
    account: &str,
    sealed: Option<&[u8]>,
    created_by: &str,
    now: &str,
) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO platform_bindings
             (workspace_id, platform, account, credentials_sealed, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (workspace_id, platform) DO UPDATE SET
             account = excluded.account, credentials_sealed = excluded.credentials_sealed,
             created_by = excluded.created_by, updated_at = excluded.updated_at",
        params![workspace_id, platform, account, sealed, created_by, now],
    )?;
    Ok(())
}

pub fn delete_binding(c: &Connection, workspace_id: &str, platform: &str) -> Result<bool, DbError> {
    Ok(c.execute(
        "DELETE FROM platform_bindings WHERE workspace_id = ?1 AND platform = ?2",
        params![workspace_id, platform],
    )? == 1)
}

// ------------------------------------------------------------------------------------------ jobs

const JOB_COLUMNS: &str =
    "id, workspace_id, created_by, creation_id, export_id, title, schedule_time, status, created_at, finished_at";

fn job_row(r: &Row<'_>) -> crate::db::sql::Result<PublishJob> {
    let status: String = r.get(7)?;
    Ok(PublishJob {
        publish_id: r.get(0)?,
        workspace_id: r.get(1)?,
        created_by: r.get(2)?,
        creation_id: r.get(3)?,
        export_id: r.get(4)?,
        title: r.get(5)?,
        schedule_time: r.get(6)?,
        status: JobStatus::parse(&status).unwrap_or(JobStatus::Failed),
        created_at: r.get(8)?,
        finished_at: r.get(9)?,
        items: Vec::new(),
    })
}

fn item_row(r: &Row<'_>) -> crate::db::sql::Result<PublishItem> {
    let status: String = r.get(1)?;
    Ok(PublishItem {
        platform: r.get(0)?,
        status: ItemStatus::parse(&status).unwrap_or(ItemStatus::Failed),
        attempts: r.get::<_, i64>(2)?.max(0) as u32,
        next_attempt_at: r.get(3)?,
        remote_id: r.get(4)?,
        remote_url: r.get(5)?,
        error_code: r.get(6)?,
        error: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

pub fn insert_job(c: &Connection, j: &PublishJob) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO publish_jobs (id, workspace_id, created_by, creation_id, export_id, title,
             schedule_time, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            j.publish_id,
            j.workspace_id,
            j.created_by,
            j.creation_id,
            j.export_id,
            j.title,
            j.schedule_time,
            j.status.as_str(),
            j.created_at
        ],
    )?;
    for i in &j.items {
        c.execute(
            "INSERT INTO publish_items (job_id, platform, status, attempts, next_attempt_at, updated_at)
             VALUES (?1, ?2, ?3, 0, ?4, ?5)",
            params![j.publish_id, i.platform, i.status.as_str(), i.next_attempt_at, j.created_at],
        )?;
    }
    Ok(())
}

fn with_items(c: &Connection, mut job: PublishJob) -> Result<PublishJob, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT platform, status, attempts, next_attempt_at, remote_id, remote_url, error_code,
                error, updated_at
           FROM publish_items WHERE job_id = ?1 ORDER BY platform",
    )?;
    job.items = stmt
        .query_map([&job.publish_id], item_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(job)
}

/// A job of the workspace (`Some`), or of any (`None`: its driver), with its items.
pub fn get_job(
    c: &Connection,
    workspace_id: Option<&str>,
    id: &str,
) -> Result<Option<PublishJob>, DbError> {
    let job = c
        .prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM publish_jobs WHERE id = ?1 AND (?2 IS NULL OR workspace_id = ?2)"
        ))?
        .query_row(params![id, workspace_id], job_row)
        .optional()?;
    job.map(|j| with_items(c, j)).transpose()
}

pub fn list_jobs(
    c: &Connection,
    workspace_id: &str,
    page: PageSpec,
) -> Result<(Vec<PublishJob>, u64), DbError> {
    let total: i64 = c.query_row(
        "SELECT COUNT(*) FROM publish_jobs WHERE workspace_id = ?1",
        [workspace_id],
        |r| r.get(0),
    )?;
    let jobs = c
        .prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM publish_jobs WHERE workspace_id = ?1
              ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
        ))?
        .query_map(
            params![workspace_id, i64::from(page.limit), page.offset as i64],
            job_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let jobs = jobs
        .into_iter()
        .map(|j| with_items(c, j))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((jobs, total as u64))
}

/// Jobs with an item due by `now` that no live process drives.
pub fn due_jobs(
    c: &Connection,
    orphaned: &str,
    cutoff: &str,
    now: &str,
) -> Result<Vec<String>, DbError> {
    let mut stmt = c.prepare(&format!(
        "SELECT id FROM publish_jobs j
          WHERE status IN ('pending', 'running') AND {orphaned}
            AND EXISTS (SELECT 1 FROM publish_items i
                         WHERE i.job_id = j.id AND i.status IN ('pending', 'sending')
                           AND i.next_attempt_at <= ?2)
          ORDER BY schedule_time"
    ))?;
    let ids = stmt
        .query_map(params![cutoff, now], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// Moves a job along its table; a move the table does not list changes nothing.
pub fn set_job_status(
    c: &Connection,
    id: &str,
    next: JobStatus,
    finished_at: Option<&str>,
) -> Result<bool, DbError> {
    let (set, guard) = JobStatus::transition_sql(next);
    Ok(c.execute(
        &format!(
            "UPDATE publish_jobs SET {set}, finished_at = COALESCE(?2, finished_at)
              WHERE id = ?1 AND {guard}"
        ),
        params![id, finished_at],
    )? == 1)
}

/// What happened to one platform's item.
pub struct ItemUpdate<'a> {
    pub status: ItemStatus,
    pub attempts: u32,
    pub next_attempt_at: &'a str,
    pub remote_id: Option<&'a str>,
    pub remote_url: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub fn set_item(
    c: &Connection,
    job_id: &str,
    platform: &str,
    u: &ItemUpdate<'_>,
    now: &str,
) -> Result<bool, DbError> {
    let (set, guard) = ItemStatus::transition_sql(u.status);
    Ok(c.execute(
        &format!(
            "UPDATE publish_items SET {set}, attempts = ?3, next_attempt_at = ?4, remote_id = ?5,
                    remote_url = ?6, error_code = ?7, error = ?8, updated_at = ?9
              WHERE job_id = ?1 AND platform = ?2 AND {guard}"
        ),
        params![
            job_id,
            platform,
            i64::from(u.attempts),
            u.next_attempt_at,
            u.remote_id,
            u.remote_url,
            u.error_code,
            u.error,
            now
        ],
    )? == 1)
}
