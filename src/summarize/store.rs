//! The `summaries`, `summary_batches` and `summary_batch_items` tables; every statement the
//! summarizer runs is here.
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    batch::{BatchStatus, ItemStatus},
    Digest, Mode, TranscriptSource, Usage,
};
use crate::{
    db::{
        json_column,
        sql::{params, Connection, OptionalExtension, Row},
        DbError,
    },
    paging::PageSpec,
    providers::TimedText,
};

/// A summary in the history, whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: String,
    pub title: String,
    pub project_id: Option<String>,
    pub source_url: Option<String>,
    /// The video's file name.
    pub source_name: String,
    /// SHA-256 of the video's bytes (with the subtitles sent beside it, when any): the cache's key.
    pub source_sha256: Option<String>,
    pub mode: Mode,
    pub focus: String,
    /// The language model's id, `extractive` (offline) or `manual`.
    pub model: String,
    pub transcript_source: TranscriptSource,
    pub duration_ms: Option<u64>,
    /// The timed transcript.
    pub transcript: Vec<TimedText>,
    #[serde(flatten)]
    pub digest: Digest,
    pub usage: Usage,
    pub credits_charged: i64,
    /// The summary this one was copied from (a cache hit).
    pub cached_from: Option<String>,
    pub created_by: String,
    pub created_at: String,
    /// Set while it is in the trash.
    pub deleted_at: Option<String>,
}

/// A summary as the history's list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryItem {
    pub id: String,
    pub title: String,
    pub project_id: Option<String>,
    pub source_url: Option<String>,
    pub source_name: String,
    pub mode: Mode,
    pub focus: String,
    pub model: String,
    pub transcript_source: TranscriptSource,
    pub duration_ms: Option<u64>,
    /// The summary's first 280 characters, as plain text (Markdown marks left out).
    pub excerpt: String,
    pub beat_count: usize,
    pub credits_charged: i64,
    pub cached: bool,
    pub created_at: String,
}

/// A summary to store.
#[derive(Debug, Clone)]
pub struct NewSummary {
    pub id: String,
    pub workspace_id: String,
    pub created_by: String,
    pub project_id: Option<String>,
    pub title: String,
    pub source_url: Option<String>,
    pub source_name: String,
    pub source_sha256: Option<String>,
    pub mode: Mode,
    pub focus: String,
    pub model: String,
    pub transcript_source: TranscriptSource,
    pub duration_ms: Option<u64>,
    pub segments: Vec<TimedText>,
    pub digest: Digest,
    pub usage: Usage,
    pub cached_from: Option<String>,
    pub created_at: String,
}

const COLUMNS: &str =
    "id, title, project_id, source_url, source_name, source_sha256, mode, focus, \
     model, transcript_source, duration_ms, transcript, summary, mindmap, beats, usage, \
     credits_charged, cached_from, created_by, created_at, deleted_at";

fn mode_of(raw: &str) -> Mode {
    Mode::parse(Some(raw)).unwrap_or_default()
}

fn source_of(raw: &str) -> TranscriptSource {
    serde_json::from_value(serde_json::Value::String(raw.to_string()))
        .unwrap_or(TranscriptSource::Manual)
}

fn entry_row(r: &Row<'_>) -> crate::db::sql::Result<HistoryEntry> {
    let transcript: String = r.get(11)?;
    let beats: String = r.get(14)?;
    let usage: String = r.get(15)?;
    Ok(HistoryEntry {
        id: r.get(0)?,
        title: r.get(1)?,
        project_id: r.get(2)?,
        source_url: r.get(3)?,
        source_name: r.get(4)?,
        source_sha256: r.get(5)?,
        mode: mode_of(&r.get::<_, String>(6)?),
        focus: r.get(7)?,
        model: r.get(8)?,
        transcript_source: source_of(&r.get::<_, String>(9)?),
        duration_ms: r.get::<_, Option<i64>>(10)?.map(|v| v.max(0) as u64),
        transcript: json_column("summaries.transcript", &transcript, Vec::new()),
        digest: Digest {
            summary: r.get(12)?,
            mindmap: r.get(13)?,
            beats: json_column("summaries.beats", &beats, Vec::new()),
        },
        usage: json_column("summaries.usage", &usage, Usage::default()),
        credits_charged: r.get(16)?,
        cached_from: r.get(17)?,
        created_by: r.get(18)?,
        created_at: r.get(19)?,
        deleted_at: r.get(20)?,
    })
}

fn to_json<T: Serialize>(v: &T) -> Result<String, DbError> {
    serde_json::to_string(v)
        .map_err(|e| DbError::Task(format!("cannot encode a summary column: {e}")))
}

pub fn insert(c: &Connection, s: &NewSummary) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO summaries (id, workspace_id, created_by, project_id, title, source_url,
             source_name, source_sha256, mode, focus, model, transcript_source, duration_ms,
             transcript, summary, mindmap, beats, usage, credits_charged, cached_from, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20, ?21)",
        params![
            s.id,
            s.workspace_id,
            s.created_by,
            s.project_id,
            s.title,
            s.source_url,
            s.source_name,
            s.source_sha256,
            s.mode.as_str(),
            s.focus,
            s.model,
            s.transcript_source.as_str(),
            s.duration_ms.map(|d| d as i64),
            to_json(&s.segments)?,
            s.digest.summary,
            s.digest.mindmap,
            to_json(&s.digest.beats)?,
            to_json(&s.usage)?,
            s.usage.credits_charged,
            s.cached_from,
            s.created_at
        ],
    )?;
    Ok(())
}

/// The first summary made (not copied) of these bytes, asked this way of this model.
pub fn cached(
    c: &Connection,
    sha256: &str,
    mode: &str,
    focus: &str,
    model: &str,
) -> Result<Option<HistoryEntry>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM summaries
              WHERE source_sha256 = ?1 AND mode = ?2 AND focus = ?3 AND model = ?4
                AND cached_from IS NULL AND deleted_at IS NULL
              ORDER BY created_at, id LIMIT 1"
    ))?
    .query_row(params![sha256, mode, focus, model], entry_row)
    .optional()?)
}

pub fn get(c: &Connection, workspace_id: &str, id: &str) -> Result<Option<HistoryEntry>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM summaries
              WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NULL"
    ))?
    .query_row(params![id, workspace_id], entry_row)
    .optional()?)
}

pub fn get_including_trash(
    c: &Connection,
    workspace_id: &str,
    id: &str,
) -> Result<Option<HistoryEntry>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM summaries WHERE id = ?1 AND workspace_id = ?2"
    ))?
    .query_row(params![id, workspace_id], entry_row)
    .optional()?)
}

pub fn list(
    c: &Connection,
    workspace_id: &str,
    project_id: Option<&str>,
    page: PageSpec,
) -> Result<(Vec<HistoryItem>, u64), DbError> {
    let total: i64 = c.query_row(
        "SELECT COUNT(*) FROM summaries
          WHERE workspace_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR project_id = ?2)",
        params![workspace_id, project_id],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM summaries
          WHERE workspace_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR project_id = ?2)
          ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"
    ))?;
    let items = stmt
        .query_map(
            params![
                workspace_id,
                project_id,
                i64::from(page.limit),
                page.offset as i64
            ],
            entry_row,
        )?
        .map(|r| {
            r.map(|e| HistoryItem {
                excerpt: super::excerpt(&e.digest.summary),
                beat_count: e.digest.beats.len(),
                cached: e.cached_from.is_some(),
                id: e.id,
                title: e.title,
                project_id: e.project_id,
                source_url: e.source_url,
                source_name: e.source_name,
                mode: e.mode,
                focus: e.focus,
                model: e.model,
                transcript_source: e.transcript_source,
                duration_ms: e.duration_ms,
                credits_charged: e.credits_charged,
                created_at: e.created_at,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, total as u64))
}

/// Moves a summary to the trash (`Some(now)`) or back (`None`). False when there is no such
/// summary in that state.
pub fn set_deleted(
    c: &Connection,
    workspace_id: &str,
    id: &str,
    at: Option<&str>,
) -> Result<bool, DbError> {
    let n = if at.is_some() {
        c.execute(
            "UPDATE summaries SET deleted_at = ?3
              WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NULL",
            params![id, workspace_id, at],
        )?
    } else {
        c.execute(
            "UPDATE summaries SET deleted_at = NULL
              WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NOT NULL",
            params![id, workspace_id],
        )?
    };
    Ok(n == 1)
}

// ------------------------------------------------------------------------------------------ batches

/// A batch's row.
#[derive(Debug, Clone)]
pub struct BatchRow {
    pub id: String,
    pub workspace_id: String,
    pub created_by: String,
    pub mode: Mode,
    pub focus: String,
    pub model_id: Option<String>,
    pub status: String,
    pub created_at: String,
    pub completed_at: Option<String>,
}

/// One URL of a batch.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub position: u32,
    pub url: String,
    pub status: String,
    pub summary_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub credits_charged: i64,
}

const BATCH_COLUMNS: &str =
    "id, workspace_id, created_by, mode, focus, model_id, status, created_at, completed_at";

fn batch_row(r: &Row<'_>) -> crate::db::sql::Result<BatchRow> {
    Ok(BatchRow {
        id: r.get(0)?,
        workspace_id: r.get(1)?,
        created_by: r.get(2)?,
        mode: mode_of(&r.get::<_, String>(3)?),
        focus: r.get(4)?,
        model_id: r.get(5)?,
        status: r.get(6)?,
        created_at: r.get(7)?,
        completed_at: r.get(8)?,
    })
}

pub fn insert_batch(c: &Connection, b: &BatchRow, urls: &[String]) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO summary_batches (id, workspace_id, created_by, mode, focus, model_id, status,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            b.id,
            b.workspace_id,
            b.created_by,
            b.mode.as_str(),
            b.focus,
            b.model_id,
            b.status,
            b.created_at
        ],
    )?;
    for (i, url) in urls.iter().enumerate() {
        c.execute(
            "INSERT INTO summary_batch_items (batch_id, position, url, status)
             VALUES (?1, ?2, ?3, 'pending')",
            params![b.id, i as i64, url],
        )?;
    }
    Ok(())
}

pub fn get_batch(
    c: &Connection,
    workspace_id: &str,
    id: &str,
) -> Result<Option<(BatchRow, Vec<ItemRow>)>, DbError> {
    let batch = c
        .prepare_cached(&format!(
            "SELECT {BATCH_COLUMNS} FROM summary_batches WHERE id = ?1 AND workspace_id = ?2"
        ))?
        .query_row(params![id, workspace_id], batch_row)
        .optional()?;
    let Some(batch) = batch else {
        return Ok(None);
    };
    let items = items_of(c, id)?;
    Ok(Some((batch, items)))
}

pub fn batch_by_id(c: &Connection, id: &str) -> Result<Option<BatchRow>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {BATCH_COLUMNS} FROM summary_batches WHERE id = ?1"
    ))?
    .query_row([id], batch_row)
    .optional()?)
}

pub fn items_of(c: &Connection, batch_id: &str) -> Result<Vec<ItemRow>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT position, url, status, summary_id, error_code, error_message, credits_charged
           FROM summary_batch_items WHERE batch_id = ?1 ORDER BY position",
    )?;
    let rows = stmt
        .query_map([batch_id], |r| {
            Ok(ItemRow {
                position: r.get::<_, i64>(0)? as u32,
                url: r.get(1)?,
                status: r.get(2)?,
                summary_id: r.get(3)?,
                error_code: r.get(4)?,
                error_message: r.get(5)?,
                credits_charged: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The workspace's batches, newest first.
pub fn list_batches(
    c: &Connection,
    workspace_id: &str,
    limit: u32,
) -> Result<Vec<BatchRow>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {BATCH_COLUMNS} FROM summary_batches WHERE workspace_id = ?1
          ORDER BY created_at DESC, id DESC LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![workspace_id, i64::from(limit)], batch_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Batches not finished whose worker is no live process (`orphaned` is
/// `instances::orphaned_sql`, with `?1` the oldest live beat).
pub fn unfinished_batches(
    c: &Connection,
    orphaned: &str,
    cutoff: &str,
) -> Result<Vec<String>, DbError> {
    let mut stmt = c.prepare(&format!(
        "SELECT id FROM summary_batches WHERE status IN ('pending', 'running') AND {orphaned}
          ORDER BY created_at"
    ))?;
    let ids = stmt
        .query_map([cutoff], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// Moves a batch along its table (src/summarize/batch.rs); a move the table does not list
/// changes nothing.
pub fn set_batch_status(
    c: &Connection,
    id: &str,
    next: BatchStatus,
    completed_at: Option<&str>,
) -> Result<(), DbError> {
    let (set, guard) = BatchStatus::transition_sql(next);
    c.execute(
        &format!("UPDATE summary_batches SET {set}, completed_at = ?2 WHERE id = ?1 AND {guard}"),
        params![id, completed_at],
    )?;
    Ok(())
}

/// Items still to do (a `running` one was interrupted with its process: it starts again).
pub fn todo_items(c: &Connection, batch_id: &str) -> Result<Vec<(u32, String)>, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT position, url FROM summary_batch_items
          WHERE batch_id = ?1 AND status IN ('pending', 'running') ORDER BY position",
    )?;
    let rows = stmt
        .query_map([batch_id], |r| Ok((r.get::<_, i64>(0)? as u32, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Moves an item along its table, with what it ended with.
pub fn set_item(
    c: &Connection,
    batch_id: &str,
    position: u32,
    next: ItemStatus,
    summary_id: Option<&str>,
    error: Option<(&str, &str)>,
    credits_charged: i64,
) -> Result<(), DbError> {
    let (set, guard) = ItemStatus::transition_sql(next);
    c.execute(
        &format!(
            "UPDATE summary_batch_items
                SET {set}, summary_id = ?3, error_code = ?4, error_message = ?5,
                    credits_charged = ?6
              WHERE batch_id = ?1 AND position = ?2 AND {guard}"
        ),
        params![
            batch_id,
            i64::from(position),
            summary_id,
            error.map(|e| e.0),
            error.map(|e| e.1),
            credits_charged
        ],
    )?;
    Ok(())
}
