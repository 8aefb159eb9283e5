//! The shared rate-limit cells (PostgreSQL only: `migrations/postgres/0016_shared_between_replicas.sql`).
//! A cell holds GCRA's theoretical arrival time in milliseconds of the database's clock, the one
//! clock every replica shares.
use std::time::Duration;

use super::{Admitted, Refused};
use crate::db::{
    sql::{Connection, OptionalExtension},
    DbError,
};

/// The database's clock in milliseconds (`now()`: one value for the whole statement).
const NOW_MS: &str = "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT";

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// Counts one request on `key`: lets it through when the cell's arrival time, moved on by one
/// interval, stays within the burst. One statement: the row lock of the upsert orders concurrent
/// requests on one key, from any replica.
pub(super) fn take(
    c: &Connection<'_>,
    key: &str,
    interval: Duration,
    burst: u32,
) -> Result<Result<Admitted, Refused>, DbError> {
    let t = millis(interval);
    // GCRA: admit iff max(tat, now) - now <= (burst - 1) * T, then tat = max(tat, now) + T.
    // EXCLUDED.tat_ms is now + T, so max(tat, now) + T = GREATEST(tat + T, EXCLUDED.tat_ms).
    let tolerance = t.saturating_mul(i64::from(burst.max(1)) - 1);
    let admitted: Option<(i64, i64)> = c
        .query_row(
            &format!(
                "INSERT INTO rate_limit_cells AS cell (key, tat_ms) VALUES (?1, {NOW_MS} + ?2)
                 ON CONFLICT (key) DO UPDATE SET tat_ms = GREATEST(cell.tat_ms + ?2, EXCLUDED.tat_ms)
                 WHERE GREATEST(cell.tat_ms + ?2, EXCLUDED.tat_ms) - EXCLUDED.tat_ms <= ?3
                 RETURNING tat_ms, {NOW_MS}"
            ),
            crate::db::sql::params![key, t, tolerance],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((tat, now)) = admitted {
        // What is left: how many more intervals fit before the tolerance is reached.
        let used = tat - now;
        let remaining = (t.saturating_mul(i64::from(burst)) - used).max(0) / t;
        return Ok(Ok(Admitted {
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
        }));
    }
    let ahead: Option<i64> = c
        .query_row(
            &format!("SELECT tat_ms - {NOW_MS} FROM rate_limit_cells WHERE key = ?1"),
            [key],
            |r| r.get(0),
        )
        .optional()?;
    let wait_ms = ahead.map_or(t, |ahead| (ahead - tolerance).max(1));
    Ok(Err(Refused {
        wait: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1)),
    }))
}

/// Deletes the cells whose arrival time has passed: their next request has the whole burst.
pub(super) fn delete_full(c: &Connection<'_>) -> Result<usize, DbError> {
    Ok(c.execute(
        &format!("DELETE FROM rate_limit_cells WHERE tat_ms < {NOW_MS}"),
        [],
    )?)
}
