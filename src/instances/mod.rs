//! The server processes on one database (docs/STORAGE.md, "Writes, transactions and replicas"):
//! each registers at start and beats every third of its lease; a process whose beat is older than
//! the lease is gone, and a live one takes over its work (the workflow runs it drove, the holds it
//! took). On SQLite one process serves a file, so the one starting takes over everything at once.
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{
    clock::rfc3339,
    db::{sql::Connection, DbError},
    AppState,
};

/// This process's id (the ledger's hold holder).
pub fn me() -> &'static str {
    crate::ledger::instance_id()
}

fn cutoff(now: DateTime<Utc>, lease: Duration) -> String {
    rfc3339(now - chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30)))
}

/// Records this process; `sole` (SQLite) forgets every other, whose work is then this one's.
pub fn register_in_tx(c: &Connection, id: &str, now: &str, sole: bool) -> Result<(), DbError> {
    if sole {
        c.execute("DELETE FROM instances WHERE id <> ?1", [id])?;
    }
    c.execute(
        "INSERT INTO instances (id, started_at, heartbeat_at) VALUES (?1, ?2, ?2)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        [id, now],
    )?;
    Ok(())
}

/// The processes alive at `now` (their beat is within the lease), this one included.
pub fn alive_in_tx(
    c: &Connection,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<String>, DbError> {
    let rows = c
        .prepare("SELECT id FROM instances WHERE heartbeat_at >= ?1 ORDER BY id")?
        .query_map([cutoff(now, lease)], |r| r.get(0))?
        .collect::<crate::db::sql::Result<Vec<String>>>()?;
    Ok(rows)
}

pub fn lease(state: &AppState) -> Duration {
    Duration::from_secs(state.config.instance_lease_secs.max(1))
}

/// Registers this process and keeps beating for as long as it runs.
#[tracing::instrument(skip(state))]
pub async fn start(state: &AppState) -> Result<(), DbError> {
    let sole = state.db.dialect() == crate::db::sql::Dialect::Sqlite;
    let now = rfc3339(state.clock.now());
    state
        .db
        .write(move |tx| register_in_tx(tx, me(), &now, sole))
        .await?;
    let every = lease(state) / 3;
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let now = rfc3339(state.clock.now());
            let beat = state
                .db
                .write(move |tx| register_in_tx(tx, me(), &now, false))
                .await;
            if let Err(error) = beat {
                tracing::warn!(%error, "instance heartbeat failed");
            }
        }
    });
    Ok(())
}
