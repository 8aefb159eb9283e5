//! The `creations` table; every statement the creator tools run is here.
use serde_json::Value;

use super::{
    video::{VideoStatus, VideoTask},
    Creation, CreationItem, Kind,
};
use crate::{
    db::{
        json_column,
        sql::{params, Connection, OptionalExtension, Row},
        DbError,
    },
    paging::PageSpec,
};

const COLUMNS: &str = "id, kind, tool_type, title, content, input, model, prompt_version,
    credits_used, file_sha256, file_name, project_id, created_by, created_at, updated_at, deleted_at";

fn creation_row(r: &Row<'_>) -> crate::db::sql::Result<Creation> {
    let kind: String = r.get(1)?;
    let input: String = r.get(5)?;
    Ok(Creation {
        id: r.get(0)?,
        kind: Kind::parse(&kind).unwrap_or(Kind::Writing),
        tool_type: r.get(2)?,
        title: r.get(3)?,
        content: r.get(4)?,
        input: json_column("creations.input", &input, Value::Null),
        model: r.get(6)?,
        prompt_version: r.get(7)?,
        credits_used: r.get(8)?,
        file_sha256: r.get(9)?,
        file_name: r.get(10)?,
        project_id: r.get(11)?,
        created_by: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        deleted_at: r.get(15)?,
    })
}

/// A creation to store, with the workspace it belongs to and the client's idempotency key.
pub struct NewCreation<'a> {
    pub workspace_id: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub creation: &'a Creation,
}

pub fn insert(c: &Connection, n: &NewCreation<'_>) -> Result<(), DbError> {
    let x = n.creation;
    let input = serde_json::to_string(&x.input)
        .map_err(|e| DbError::Task(format!("cannot encode a creation's input: {e}")))?;
    c.execute(
        "INSERT INTO creations (id, workspace_id, created_by, kind, tool_type, title, content,
             input, model, prompt_version, credits_used, file_sha256, file_name, project_id,
             idempotency_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            x.id,
            n.workspace_id,
            x.created_by,
            x.kind.as_str(),
            x.tool_type,
            x.title,
            x.content,
            input,
            x.model,
            x.prompt_version,
            x.credits_used,
            x.file_sha256,
            x.file_name,
            x.project_id,
            n.idempotency_key,
            x.created_at,
            x.updated_at
        ],
    )?;
    Ok(())
}

/// A live creation (`trashed` false) or one in the trash (`trashed` true).
pub fn get(
    c: &Connection,
    workspace_id: &str,
    id: &str,
    trashed: bool,
) -> Result<Option<Creation>, DbError> {
    let state = if trashed { "IS NOT NULL" } else { "IS NULL" };
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM creations WHERE id = ?1 AND workspace_id = ?2 AND deleted_at {state}"
    ))?
    .query_row(params![id, workspace_id], creation_row)
    .optional()?)
}

/// The creation an earlier request with this idempotency key made, trashed or not.
pub fn by_idempotency_key(
    c: &Connection,
    workspace_id: &str,
    key: &str,
) -> Result<Option<Creation>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM creations WHERE workspace_id = ?1 AND idempotency_key = ?2"
    ))?
    .query_row(params![workspace_id, key], creation_row)
    .optional()?)
}

/// What the list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<Kind>,
    pub tool_type: Option<String>,
    /// The trash instead of the live creations.
    pub trashed: bool,
}

pub fn list(
    c: &Connection,
    workspace_id: &str,
    f: &Filter,
    page: PageSpec,
) -> Result<(Vec<CreationItem>, u64), DbError> {
    let state = if f.trashed { "IS NOT NULL" } else { "IS NULL" };
    let filter = format!(
        "workspace_id = ?1 AND deleted_at {state} AND (?2 IS NULL OR kind = ?2)
         AND (?3 IS NULL OR tool_type = ?3)"
    );
    let kind = f.kind.map(Kind::as_str);
    let total: i64 = c.query_row(
        &format!("SELECT COUNT(*) FROM creations WHERE {filter}"),
        params![workspace_id, kind, f.tool_type],
        |r| r.get(0),
    )?;
    // The trash lists the most recently deleted first: that is the one an undo is after.
    let order = if f.trashed {
        "deleted_at DESC, id DESC"
    } else {
        "created_at DESC, id DESC"
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM creations WHERE {filter} ORDER BY {order} LIMIT ?4 OFFSET ?5"
    ))?;
    let items = stmt
        .query_map(
            params![
                workspace_id,
                kind,
                f.tool_type,
                i64::from(page.limit),
                page.offset as i64
            ],
            creation_row,
        )?
        .map(|r| r.map(CreationItem::from))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, total as u64))
}

/// A live creation's new title and content. False when there is no such live creation.
pub fn update(
    c: &Connection,
    workspace_id: &str,
    id: &str,
    title: &str,
    content: &str,
    now: &str,
) -> Result<bool, DbError> {
    Ok(c.execute(
        "UPDATE creations SET title = ?3, content = ?4, updated_at = ?5
          WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NULL",
        params![id, workspace_id, title, content, now],
    )? == 1)
}

/// Moves a creation to the trash (`Some(now)`) or back (`None`). False when there is no such
/// creation in that state.
pub fn set_deleted(
    c: &Connection,
    workspace_id: &str,
    id: &str,
    at: Option<&str>,
) -> Result<bool, DbError> {
    let n = match at {
        Some(at) => c.execute(
            "UPDATE creations SET deleted_at = ?3
              WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NULL",
            params![id, workspace_id, at],
        )?,
        None => c.execute(
            "UPDATE creations SET deleted_at = NULL
              WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NOT NULL",
            params![id, workspace_id],
        )?,
    };
    Ok(n == 1)
}

/// Records the project a creation was opened as.
pub fn set_project(
    c: &Connection,
    workspace_id: &str,
    id: &str,
    project_id: &str,
) -> Result<(), DbError> {
    c.execute(
        "UPDATE creations SET project_id = ?3 WHERE id = ?1 AND workspace_id = ?2",
        params![id, workspace_id, project_id],
    )?;
    Ok(())
}

// ------------------------------------------------------------------------------------------ videos

const TASK_COLUMNS: &str = "id, workspace_id, created_by, script, duration, workflow, status,
    stage, progress, project_id, run_id, export_id, creation_id, credits_used, error, created_at,
    updated_at, title";

fn task_row(r: &Row<'_>) -> crate::db::sql::Result<VideoTask> {
    let status: String = r.get(6)?;
    Ok(VideoTask {
        id: r.get(0)?,
        workspace_id: r.get(1)?,
        created_by: r.get(2)?,
        script: r.get(3)?,
        duration: r.get::<_, i64>(4)?.max(0) as u32,
        workflow: r.get(5)?,
        status: VideoStatus::parse(&status).unwrap_or(VideoStatus::Failed),
        stage: r.get(7)?,
        progress: r.get(8)?,
        project_id: r.get(9)?,
        run_id: r.get(10)?,
        export_id: r.get(11)?,
        creation_id: r.get(12)?,
        credits_used: r.get(13)?,
        error: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        title: r.get(17)?,
    })
}

pub fn insert_task(c: &Connection, t: &VideoTask) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO video_tasks (id, workspace_id, created_by, script, duration, workflow, status,
             created_at, updated_at, title)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
        params![
            t.id,
            t.workspace_id,
            t.created_by,
            t.script,
            i64::from(t.duration),
            t.workflow,
            t.status.as_str(),
            t.created_at,
            t.title
        ],
    )?;
    Ok(())
}

/// A task of the workspace (`Some`), or of any (`None`: its driver).
pub fn get_task(
    c: &Connection,
    workspace_id: Option<&str>,
    id: &str,
) -> Result<Option<VideoTask>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {TASK_COLUMNS} FROM video_tasks WHERE id = ?1 AND (?2 IS NULL OR workspace_id = ?2)"
    ))?
    .query_row(params![id, workspace_id], task_row)
    .optional()?)
}

/// What a task's driver records as it goes; `None` leaves a column as it is.
#[derive(Debug, Default)]
pub struct TaskUpdate {
    pub status: Option<VideoStatus>,
    pub stage: Option<String>,
    pub progress: Option<f64>,
    pub project_id: Option<String>,
    pub run_id: Option<String>,
    pub export_id: Option<String>,
    pub creation_id: Option<String>,
    pub credits_used: Option<i64>,
    pub error: Option<String>,
}

/// Applies `u` when the status move is one the table allows (a finished task never changes).
pub fn update_task(c: &Connection, id: &str, u: &TaskUpdate, now: &str) -> Result<bool, DbError> {
    // The table's guard: only a legal source state may take the new status.
    let guard = match u.status {
        Some(next) => VideoStatus::transition_sql(next).1,
        None => "1 = 1".to_string(),
    };
    Ok(c.execute(
        &format!(
            "UPDATE video_tasks SET
                status = COALESCE(?2, status), stage = COALESCE(?3, stage),
                progress = COALESCE(?4, progress), project_id = COALESCE(?5, project_id),
                run_id = COALESCE(?6, run_id), export_id = COALESCE(?7, export_id),
                creation_id = COALESCE(?8, creation_id), credits_used = COALESCE(?9, credits_used),
                error = COALESCE(?10, error), updated_at = ?11
              WHERE id = ?1 AND status NOT IN ('completed', 'failed') AND {guard}"
        ),
        params![
            id,
            u.status.map(VideoStatus::as_str),
            u.stage,
            u.progress,
            u.project_id,
            u.run_id,
            u.export_id,
            u.creation_id,
            u.credits_used,
            u.error,
            now
        ],
    )? == 1)
}

/// Unfinished tasks no live process drives.
pub fn unfinished_tasks(
    c: &Connection,
    orphaned: &str,
    cutoff: &str,
) -> Result<Vec<String>, DbError> {
    let mut stmt = c.prepare(&format!(
        "SELECT id FROM video_tasks WHERE status IN ('pending', 'processing') AND {orphaned}
          ORDER BY created_at"
    ))?;
    let ids = stmt
        .query_map([cutoff], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}
