//! Usage statistics of the model router (seed 001's statistics routes), computed from the durable
//! usage rows, bucketed by hour in SQL (`substr(created_at, 1, 13)` of the RFC 3339 time: the
//! same on SQLite and PostgreSQL). Rows still open are counted once they finish.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{
    sql::{params, Connection},
    DbError,
};

/// How far back a statistic looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Week,
    Month,
    Year,
}

impl Period {
    pub fn days(self) -> i64 {
        match self {
            Period::Day => 1,
            Period::Week => 7,
            Period::Month => 30,
            Period::Year => 365,
        }
    }
}

/// One model on the leaderboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranked {
    pub rank: u32,
    /// The public model name clients call.
    pub model: String,
    pub category: String,
    pub requests: i64,
    pub users: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub credits: i64,
}

/// One hour of usage.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Bucket {
    /// The hour, `YYYY-MM-DDTHH:00:00Z`.
    pub hour: String,
    pub requests: i64,
    /// Requests that ended without an answer (upstream errors, stalls, interruptions).
    pub errors: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub credits: i64,
}

/// Totals of a set of buckets.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Totals {
    pub requests: i64,
    pub errors: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub credits: i64,
}

impl Totals {
    pub fn of(buckets: &[Bucket]) -> Self {
        buckets.iter().fold(Self::default(), |t, b| Self {
            requests: t.requests + b.requests,
            errors: t.errors + b.errors,
            prompt_tokens: t.prompt_tokens + b.prompt_tokens,
            completion_tokens: t.completion_tokens + b.completion_tokens,
            credits: t.credits + b.credits,
        })
    }
}

const FINISHED: &str =
    "status = 'done' AND end_reason NOT IN ('insufficient_credits', 'key_budget_exceeded')";
const ERRORS: &str = "SUM(CASE WHEN end_reason IN ('upstream_error', 'upstream_rejected', 'stalled', 'interrupted') THEN 1 ELSE 0 END)";

/// The most used public models since `since` (of `category` when given), by requests.
pub(super) fn leaderboard(
    c: &Connection,
    since: &str,
    category: Option<&str>,
    limit: u32,
) -> Result<Vec<Ranked>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT r.public_model, COALESCE(MAX(m.category), ''), COUNT(*), COUNT(DISTINCT r.user_id),
                COALESCE(SUM(r.prompt_tokens), 0), COALESCE(SUM(r.completion_tokens), 0),
                COALESCE(SUM(r.credits), 0)
         FROM router_requests r LEFT JOIN ai_models m ON m.id = r.model_id
         WHERE r.{FINISHED} AND r.created_at >= ?1 AND (?2 IS NULL OR m.category = ?2)
         GROUP BY r.public_model
         ORDER BY COUNT(*) DESC, r.public_model
         LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(params![since, category, limit], |r| {
            Ok(Ranked {
                rank: 0,
                model: r.get(0)?,
                category: r.get(1)?,
                requests: r.get(2)?,
                users: r.get(3)?,
                prompt_tokens: r.get(4)?,
                completion_tokens: r.get(5)?,
                credits: r.get(6)?,
            })
        })?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| Ranked {
            rank: i as u32 + 1,
            ..r
        })
        .collect())
}

/// Hourly buckets since `since` of the rows that match: one person's, one model's (its id, or
/// the public name it serves), or everyone's.
pub(super) fn hourly(
    c: &Connection,
    since: &str,
    user_id: Option<&str>,
    model: Option<&str>,
) -> Result<Vec<Bucket>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT substr(created_at, 1, 13), COUNT(*), {ERRORS},
                COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
                COALESCE(SUM(credits), 0)
         FROM router_requests
         WHERE {FINISHED} AND created_at >= ?1
           AND (?2 IS NULL OR user_id = ?2)
           AND (?3 IS NULL OR model_id = ?3 OR public_model = ?3)
         GROUP BY substr(created_at, 1, 13)
         ORDER BY substr(created_at, 1, 13)"
    ))?;
    let rows = stmt
        .query_map(params![since, user_id, model], |r| {
            Ok(Bucket {
                hour: format!("{}:00:00Z", r.get::<_, String>(0)?),
                requests: r.get(1)?,
                errors: r.get(2)?,
                prompt_tokens: r.get(3)?,
                completion_tokens: r.get(4)?,
                credits: r.get(5)?,
            })
        })?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One person's usage since `since`, per public model.
pub(super) fn per_model_of_user(
    c: &Connection,
    since: &str,
    user_id: &str,
) -> Result<Vec<(String, Totals)>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT public_model, COUNT(*), {ERRORS},
                COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
                COALESCE(SUM(credits), 0)
         FROM router_requests
         WHERE {FINISHED} AND created_at >= ?1 AND user_id = ?2
         GROUP BY public_model ORDER BY COUNT(*) DESC, public_model"
    ))?;
    let rows = stmt
        .query_map(params![since, user_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Totals {
                    requests: r.get(1)?,
                    errors: r.get(2)?,
                    prompt_tokens: r.get(3)?,
                    completion_tokens: r.get(4)?,
                    credits: r.get(5)?,
                },
            ))
        })?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok(rows)
}

/// How many different people called the router since `since`, and how many requests are open.
pub(super) fn activity(c: &Connection, since: &str) -> Result<(i64, i64), DbError> {
    let users = c.query_row(
        "SELECT COUNT(DISTINCT user_id) FROM router_requests WHERE created_at >= ?1",
        [since],
        |r| r.get(0),
    )?;
    let open = c.query_row(
        "SELECT COUNT(*) FROM router_requests WHERE status = 'open'",
        [],
        |r| r.get(0),
    )?;
    Ok((users, open))
}
