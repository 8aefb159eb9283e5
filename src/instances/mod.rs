//! The server processes on one database (docs/STORAGE.md, "Writes, transactions and replicas"):
//! each registers at start and beats every third of its lease; a process whose beat is older than
//! the lease is gone, and a live one takes over its work (the workflow runs it drove, the holds it
//! took). On SQLite one process serves a file, so the one starting takes over everything at once.
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{
    clock::rfc3339,
    db::{
        sql::{Connection, OptionalExtension},
        DbError,
    },
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

/// Work that one process does at a time: a workflow run's driver, an export's encoder. The
/// table's `column` names the process doing it (NULL: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Work {
    Run,
    Export,
    /// A batch of summaries (src/summarize/batch.rs).
    SummaryBatch,
    /// A video made from a script (src/create/video.rs).
    VideoTask,
    /// A publishing job (src/publish/mod.rs).
    Publish,
}

impl Work {
    fn table_and_column(self) -> (&'static str, &'static str) {
        match self {
            Work::Run => ("workflow_runs", "driver_id"),
            Work::Export => ("exports", "worker_id"),
            Work::SummaryBatch => ("summary_batches", "worker_id"),
            Work::VideoTask => ("video_tasks", "worker_id"),
            Work::Publish => ("publish_jobs", "worker_id"),
        }
    }
}

/// What claiming a piece of work found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This process does it; `took_over` when a process that stopped did it before.
    Ours { took_over: bool },
    /// A live process does it.
    Elsewhere,
}

/// Makes this process the one doing `id` unless a live process is (one conditional write, so
/// two processes racing for orphaned work get one each way).
pub async fn claim(state: &AppState, work: Work, id: &str) -> Result<Claim, DbError> {
    let (table, column) = work.table_and_column();
    let (id, cutoff) = (id.to_string(), cutoff(state.clock.now(), lease(state)));
    state
        .db
        .write(move |tx| {
            let before: Option<String> = tx
                .query_row(
                    &format!("SELECT {column} FROM {table} WHERE id = ?1"),
                    [&id],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            let claimed = tx.execute(
                &format!(
                    "UPDATE {table} SET {column} = ?2
                      WHERE id = ?1
                        AND ({column} IS NULL OR {column} = ?2
                             OR {column} NOT IN (SELECT id FROM instances WHERE heartbeat_at >= ?3))"
                ),
                [id.as_str(), me(), cutoff.as_str()],
            )?;
            Ok(if claimed == 1 {
                Claim::Ours {
                    took_over: before.is_some_and(|b| b != me()),
                }
            } else {
                Claim::Elsewhere
            })
        })
        .await
}

/// Claims `id` for this process before it starts on it: true when it is ours to do. Taking over
/// from a process that stopped first voids that process's holds (they pay for work that is gone;
/// the work holds afresh). False when a live process does it, or when the claim could not be
/// written (the watchers of runs and exports try again).
pub async fn start_on(state: &AppState, work: Work, id: &str) -> bool {
    match claim(state, work, id).await {
        Ok(Claim::Ours { took_over }) => {
            if took_over {
                tracing::info!(?work, id, "taking over work whose process stopped");
                if let Err(error) = crate::ledger::sweep_gone_processes(state).await {
                    tracing::warn!(%error, "the takeover's hold sweep failed");
                }
            }
            true
        }
        Ok(Claim::Elsewhere) => false,
        Err(error) => {
            tracing::warn!(?work, id, %error, "claiming work failed");
            false
        }
    }
}

/// Work this process is driving now, so a watcher that finds it "orphaned" again (its claim not yet
/// written) does not start a second driver beside the first.
static DRIVING: std::sync::Mutex<std::collections::BTreeSet<(Work, String)>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Drives `id` in a task of its own: once per process at a time, and only when this process can
/// claim it (no live process does it). The claim is released when `drive` ends, however it ends.
pub fn spawn_driver<F, Fut>(state: &AppState, work: Work, id: &str, span: tracing::Span, drive: F)
where
    F: FnOnce(AppState, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let key = (work, id.to_string());
    if !DRIVING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key.clone())
    {
        return;
    }
    let (state, id) = (state.clone(), id.to_string());
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            if start_on(&state, work, &id).await {
                drive(state.clone(), id.clone()).await;
                release(&state, work, &id).await;
            }
            DRIVING
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
        },
        span,
    ));
}

/// Lets go of work this process did (it ended or stopped), so any process may pick it up.
pub async fn release(state: &AppState, work: Work, id: &str) {
    let (table, column) = work.table_and_column();
    let id = id.to_string();
    let released = state
        .db
        .write(move |tx| {
            tx.execute(
                &format!("UPDATE {table} SET {column} = NULL WHERE id = ?1 AND {column} = ?2"),
                [id.as_str(), me()],
            )
            .map_err(DbError::from)
        })
        .await;
    if let Err(error) = released {
        tracing::warn!(?work, %error, "releasing work failed");
    }
}

/// The SQL condition "no live process does this" on `work`'s table (alias-free), with `?1` the
/// oldest beat still alive.
pub fn orphaned_sql(work: Work) -> String {
    let (_, column) = work.table_and_column();
    format!(
        "({column} IS NULL OR {column} NOT IN (SELECT id FROM instances WHERE heartbeat_at >= ?1))"
    )
}

/// The oldest beat of a live process, for [`orphaned_sql`].
pub fn alive_cutoff(state: &AppState) -> String {
    cutoff(state.clock.now(), lease(state))
}
