//! The router's usage rows (`router_requests`): one per request, opened with its hold and finished
//! with its settlement or void, in the same transactions.
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{
    sql::{params, Connection, OptionalExtension, Row},
    DbError,
};

/// What is known when a request starts.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub id: String,
    pub user_id: String,
    pub api_key_id: Option<String>,
    pub endpoint: &'static str,
    pub public_model: String,
    pub stream: bool,
    pub instance_id: String,
    pub created_at: String,
}

/// How a request ended.
#[derive(Debug, Clone, Default)]
pub struct Finish {
    pub end_reason: &'static str,
    pub model_id: Option<String>,
    pub provider_id: Option<String>,
    pub price_in: i64,
    pub price_out: i64,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub usage_estimated: bool,
    pub credits: i64,
    pub attempts: i64,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub first_token_ms: Option<i64>,
    pub latency_ms: i64,
    pub finished_at: String,
}

/// One usage row as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageRow {
    pub id: String,
    pub user_id: String,
    pub api_key_id: Option<String>,
    pub endpoint: String,
    pub public_model: String,
    pub model_id: Option<String>,
    pub provider_id: Option<String>,
    pub stream: bool,
    /// `open` while it runs, then `done`.
    pub status: String,
    /// `completed`, `client_disconnected`, `upstream_error`, `upstream_rejected`, `stalled`,
    /// `insufficient_credits`, `interrupted` (the process stopped).
    pub end_reason: Option<String>,
    pub hold_id: Option<String>,
    /// Credits per 1,000 input tokens (per image for images) when the request started.
    pub price_in: i64,
    /// Credits per 1,000 output tokens when the request started.
    pub price_out: i64,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// True when the upstream reported no usage and the tokens were counted from the text.
    pub usage_estimated: bool,
    pub credits: i64,
    pub attempts: i64,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub first_token_ms: Option<i64>,
    pub latency_ms: Option<i64>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

const COLUMNS: &str = "id, user_id, api_key_id, endpoint, public_model, model_id, provider_id, \
     stream, status, end_reason, hold_id, price_in, price_out, prompt_tokens, completion_tokens, \
     usage_estimated, credits, attempts, http_status, error, first_token_ms, latency_ms, \
     created_at, finished_at";

fn usage_row(r: &Row<'_>) -> crate::db::sql::Result<UsageRow> {
    Ok(UsageRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        api_key_id: r.get(2)?,
        endpoint: r.get(3)?,
        public_model: r.get(4)?,
        model_id: r.get(5)?,
        provider_id: r.get(6)?,
        stream: r.get(7)?,
        status: r.get(8)?,
        end_reason: r.get(9)?,
        hold_id: r.get(10)?,
        price_in: r.get(11)?,
        price_out: r.get(12)?,
        prompt_tokens: r.get(13)?,
        completion_tokens: r.get(14)?,
        usage_estimated: r.get(15)?,
        credits: r.get(16)?,
        attempts: r.get(17)?,
        http_status: r.get(18)?,
        error: r.get(19)?,
        first_token_ms: r.get(20)?,
        latency_ms: r.get(21)?,
        created_at: r.get(22)?,
        finished_at: r.get(23)?,
    })
}

/// Opens the row of a request whose hold was placed in the same transaction.
pub(super) fn insert_open(
    c: &Connection,
    r: &NewRequest,
    hold_id: &str,
    held: i64,
    price_in: i64,
    price_out: i64,
) -> Result<(), DbError> {
    // Cached, as the other statements of a metered call are (a call runs each of them once).
    c.prepare_cached(
        "INSERT INTO router_requests (id, user_id, api_key_id, endpoint, public_model, stream,
                                      status, hold_id, instance_id, price_in, price_out, created_at,
                                      held)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        r.id,
        r.user_id,
        r.api_key_id,
        r.endpoint,
        r.public_model,
        r.stream,
        hold_id,
        r.instance_id,
        price_in,
        price_out,
        r.created_at,
        held
    ])?;
    if let Some(key_id) = &r.api_key_id {
        c.prepare_cached(
            "INSERT INTO router_key_spending (api_key_id, committed) VALUES (?1, ?2)
             ON CONFLICT (api_key_id)
             DO UPDATE SET committed = router_key_spending.committed + excluded.committed",
        )?
        .execute(params![key_id, held])?;
    }
    Ok(())
}

/// What a key's router calls have cost (finished) or may still cost (open: their holds): the
/// running total [`insert_open`] and [`finish`] keep (migration 0030).
pub(super) fn spent_by_key(c: &Connection, key_id: &str) -> Result<i64, DbError> {
    Ok(
        c.prepare_cached("SELECT committed FROM router_key_spending WHERE api_key_id = ?1")?
            .query_row([key_id], |r| r.get(0))
            .optional()?
            .unwrap_or(0),
    )
}

/// Records a request refused before any upstream call (no hold: nothing was spent).
pub(super) fn insert_refused(
    c: &Connection,
    r: &NewRequest,
    end_reason: &str,
    http_status: i64,
    error: &str,
) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO router_requests (id, user_id, api_key_id, endpoint, public_model, stream,
                                      status, end_reason, instance_id, http_status, error,
                                      latency_ms, created_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'done', ?7, ?8, ?9, ?10, 0, ?11, ?11)",
        params![
            r.id,
            r.user_id,
            r.api_key_id,
            r.endpoint,
            r.public_model,
            r.stream,
            end_reason,
            r.instance_id,
            http_status,
            error,
            r.created_at
        ],
    )?;
    Ok(())
}

/// Finishes an open row; false when it was already finished (by the sweep, say).
pub(super) fn finish(c: &Connection, id: &str, f: &Finish) -> Result<bool, DbError> {
    // The key's running total trades the row's hold for what it cost; first, while the row is
    // still open (a row finished already changes nothing).
    c.prepare_cached(
        "UPDATE router_key_spending
         SET committed = committed + ?2 - (SELECT held FROM router_requests WHERE id = ?1)
         WHERE api_key_id = (SELECT api_key_id FROM router_requests
                             WHERE id = ?1 AND status = 'open')",
    )?
    .execute(params![id, f.credits])?;
    let n = c
        .prepare_cached(
            "UPDATE router_requests SET status = 'done', end_reason = ?2, model_id = ?3,
                provider_id = ?4, price_in = ?5, price_out = ?6, prompt_tokens = ?7,
                completion_tokens = ?8, usage_estimated = ?9, credits = ?10, attempts = ?11,
                http_status = ?12, error = ?13, first_token_ms = ?14, latency_ms = ?15,
                finished_at = ?16
         WHERE id = ?1 AND status = 'open'",
        )?
        .execute(params![
            id,
            f.end_reason,
            f.model_id,
            f.provider_id,
            f.price_in,
            f.price_out,
            f.prompt_tokens,
            f.completion_tokens,
            f.usage_estimated,
            f.credits,
            f.attempts,
            f.http_status,
            f.error,
            f.first_token_ms,
            f.latency_ms,
            f.finished_at
        ])?;
    Ok(n == 1)
}

/// Open rows whose process is no longer alive, with their holds.
pub(super) fn open_of_gone_processes(
    c: &Connection,
    alive: &[String],
) -> Result<Vec<(String, Option<String>)>, DbError> {
    let mut stmt =
        c.prepare("SELECT id, hold_id, instance_id FROM router_requests WHERE status = 'open'")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, instance)| !alive.contains(instance))
        .map(|(id, hold, _)| (id, hold))
        .collect())
}

pub fn get(c: &Connection, id: &str) -> Result<Option<UsageRow>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {COLUMNS} FROM router_requests WHERE id = ?1"),
        [id],
        usage_row,
    )
    .optional()?)
}

/// A person's latest requests, newest first.
pub fn of_user(c: &Connection, user_id: &str, limit: u32) -> Result<Vec<UsageRow>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM router_requests WHERE user_id = ?1
         ORDER BY created_at DESC, id DESC LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![user_id, limit], usage_row)?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok(rows)
}
