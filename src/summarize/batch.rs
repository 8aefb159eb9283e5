//! Batches of summaries (docs/SUMMARIZE.md, "Batches"): up to 20 URLs summarised in the
//! background, a few at a time, each item charged like a single summary (on success only). A
//! batch is rows, not memory: a restart, or another replica once this one's lease runs out, takes
//! it up where it stopped (an item that was running starts again; its holds were voided with its
//! process).
use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use super::{store, Mode, Options, Requester, Source, SummarizeError};
use crate::{
    clock::rfc3339,
    db::DbError,
    error::ErrorCode,
    instances::{self, Work},
    AppState,
};

/// The most URLs one batch takes.
pub const MAX_URLS: usize = 20;
const MAX_URL_CHARS: usize = 2048;

crate::states! {
    pub enum BatchStatus ("summary batch") {
        /// Waiting for a worker.
        Pending = "pending",
        Running = "running",
        /// Every item has its summary.
        Completed = "completed",
        /// Some items failed; their errors are named.
        Partial = "partial",
        /// Every item failed.
        Failed = "failed",
    }
    transitions {
        // `Running → Running` is a restart after the process died.
        Pending | Running => Running,
        Running => Completed | Partial | Failed,
    }
}

crate::states! {
    pub enum ItemStatus ("summary batch item") {
        Pending = "pending",
        Running = "running",
        Completed = "completed",
        Failed = "failed",
    }
    transitions {
        Pending | Running => Running,
        Running => Completed | Failed,
    }
}

impl BatchStatus {
    /// What the items' ends make of the batch.
    fn of(completed: usize, failed: usize) -> Self {
        match (completed, failed) {
            (_, 0) => Self::Completed,
            (0, _) => Self::Failed,
            _ => Self::Partial,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1 to 20 http(s) addresses of videos (or platform pages, with yt-dlp).
    pub urls: Vec<String>,
    /// `brief` (default), `detailed`, `beats` or `mindmap`.
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub focus: Option<String>,
    /// The language model (default: the configured one; none: extractive).
    #[serde(default)]
    pub model_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchCreated {
    pub job_id: String,
    pub count: usize,
    /// Nothing is charged up front: each item is charged when its summary is done.
    pub credits_charged: i64,
    #[schema(schema_with = crate::states::schema::<BatchStatus>)]
    pub status: BatchStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchResult {
    pub index: u32,
    pub url: String,
    pub summary_id: String,
    pub credits_charged: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchItemError {
    pub index: u32,
    pub url: String,
    /// One of the error codes (docs/API-ERRORS.md), e.g. `UPSTREAM_FAILED`, `NO_TRANSCRIPT`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchJob {
    pub job_id: String,
    #[schema(schema_with = crate::states::schema::<BatchStatus>)]
    pub status: BatchStatus,
    /// Finished items over all items, 0 to 1.
    pub progress: f64,
    pub total: usize,
    pub completed_count: usize,
    pub failed_count: usize,
    pub results: Vec<BatchResult>,
    pub errors: Vec<BatchItemError>,
    pub mode: Mode,
    pub focus: String,
    /// What the finished items were charged, together.
    pub credits_charged: i64,
    pub created_at: String,
    pub completed_at: Option<String>,
}

fn view(batch: store::BatchRow, items: Vec<store::ItemRow>) -> BatchJob {
    let status = BatchStatus::parse(&batch.status).unwrap_or(BatchStatus::Pending);
    let results: Vec<BatchResult> = items
        .iter()
        .filter(|i| i.status == ItemStatus::Completed.as_str())
        .map(|i| BatchResult {
            index: i.position,
            url: i.url.clone(),
            summary_id: i.summary_id.clone().unwrap_or_default(),
            credits_charged: i.credits_charged,
        })
        .collect();
    let errors: Vec<BatchItemError> = items
        .iter()
        .filter(|i| i.status == ItemStatus::Failed.as_str())
        .map(|i| BatchItemError {
            index: i.position,
            url: i.url.clone(),
            code: i.error_code.clone().unwrap_or_default(),
            message: i.error_message.clone().unwrap_or_default(),
        })
        .collect();
    let total = items.len();
    let done = results.len() + errors.len();
    BatchJob {
        job_id: batch.id,
        status,
        progress: if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        },
        total,
        completed_count: results.len(),
        failed_count: errors.len(),
        credits_charged: results.iter().map(|r| r.credits_charged).sum(),
        results,
        errors,
        mode: batch.mode,
        focus: batch.focus,
        created_at: batch.created_at,
        completed_at: batch.completed_at,
    }
}

/// Checks and stores a batch, then starts it. Every URL is checked first: a bad one is a 4xx
/// naming it (`urls[2]`); what fails only when fetched fails that item alone.
#[tracing::instrument(skip(state, req), fields(urls = req.urls.len()))]
pub async fn create(
    state: &AppState,
    who: &Requester,
    req: BatchRequest,
) -> Result<BatchCreated, SummarizeError> {
    if req.urls.is_empty() || req.urls.len() > MAX_URLS {
        return Err(SummarizeError::invalid(
            "urls",
            format!(
                "a batch holds 1 to {MAX_URLS} URLs (got {})",
                req.urls.len()
            ),
        ));
    }
    let mut urls = Vec::with_capacity(req.urls.len());
    for (i, raw) in req.urls.iter().enumerate() {
        let url = raw.trim();
        let ok = url.chars().count() <= MAX_URL_CHARS
            && reqwest::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !ok {
            return Err(SummarizeError {
                field: Some("urls"),
                ..SummarizeError::invalid(
                    "urls",
                    format!("urls[{i}] is not an http(s) address: {url:?}"),
                )
            });
        }
        urls.push(url.to_string());
    }
    let opts = Options {
        mode: Mode::parse(req.mode.as_deref())?,
        focus: req.focus.unwrap_or_default(),
        model_id: req.model_id,
        ..Options::default()
    }
    .checked()?;
    // A model that cannot be used is refused now, not once per item.
    super::models(state, &opts).await?;
    let row = store::BatchRow {
        id: state.ids.new_id().to_string(),
        workspace_id: who.workspace_id.clone(),
        created_by: who.user_id.clone(),
        mode: opts.mode,
        focus: opts.focus,
        model_id: opts.model_id,
        status: BatchStatus::Pending.as_str().into(),
        created_at: rfc3339(state.clock.now()),
        completed_at: None,
    };
    let (id, count) = (row.id.clone(), urls.len());
    state
        .db
        .write(move |tx| store::insert_batch(tx, &row, &urls))
        .await?;
    spawn(state, &id);
    Ok(BatchCreated {
        job_id: id,
        count,
        credits_charged: 0,
        status: BatchStatus::Pending,
    })
}

pub async fn get(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<BatchJob, SummarizeError> {
    let (ws, bid) = (workspace_id.to_string(), id.to_string());
    let found = state
        .db
        .read(move |c| store::get_batch(c, &ws, &bid))
        .await?;
    found
        .map(|(b, items)| view(b, items))
        .ok_or_else(|| SummarizeError::new(ErrorCode::NotFound, format!("batch '{id}' not found")))
}

/// The workspace's latest batches.
pub async fn list(state: &AppState, workspace_id: &str) -> Result<Vec<BatchJob>, SummarizeError> {
    let ws = workspace_id.to_string();
    Ok(state
        .db
        .read(move |c| {
            let mut jobs = Vec::new();
            for b in store::list_batches(c, &ws, 50)? {
                let items = store::items_of(c, &b.id)?;
                jobs.push(view(b, items));
            }
            Ok::<_, DbError>(jobs)
        })
        .await?)
}

/// Drives the batch in a task of its own, when no live process does.
pub fn spawn(state: &AppState, id: &str) {
    let span = tracing::info_span!("summary_batch", batch = %id);
    instances::spawn_driver(
        state,
        Work::SummaryBatch,
        id,
        span,
        |state, id| async move {
            if let Err(e) = drive(&state, &id).await {
                tracing::warn!(error = %e, "a summary batch stopped; it is taken up again later");
            }
        },
    );
}

async fn set_status(
    state: &AppState,
    id: &str,
    next: BatchStatus,
    completed_at: Option<String>,
) -> Result<(), DbError> {
    let id = id.to_string();
    state
        .db
        .write(move |tx| store::set_batch_status(tx, &id, next, completed_at.as_deref()))
        .await
}

async fn drive(state: &AppState, id: &str) -> Result<(), SummarizeError> {
    let bid = id.to_string();
    let Some(batch) = state.db.read(move |c| store::batch_by_id(c, &bid)).await? else {
        return Ok(());
    };
    set_status(state, id, BatchStatus::Running, None).await?;
    let bid = id.to_string();
    let todo = state.db.read(move |c| store::todo_items(c, &bid)).await?;
    let who = Requester {
        workspace_id: batch.workspace_id.clone(),
        user_id: batch.created_by.clone(),
    };
    let opts = Options {
        mode: batch.mode,
        focus: batch.focus.clone(),
        model_id: batch.model_id.clone(),
        ..Options::default()
    };
    let concurrency = state.config.summarize.batch_concurrency.max(1);
    futures_util::stream::iter(todo)
        .for_each_concurrent(concurrency, |(position, url)| {
            let (who, opts) = (who.clone(), opts.clone());
            async move {
                if let Err(e) = run_item(state, id, position, &url, &who, opts).await {
                    tracing::warn!(position, error = %e, "could not record a batch item");
                }
            }
        })
        .await;
    let bid = id.to_string();
    let items = state.db.read(move |c| store::items_of(c, &bid)).await?;
    let completed = items
        .iter()
        .filter(|i| i.status == ItemStatus::Completed.as_str())
        .count();
    let failed = items
        .iter()
        .filter(|i| i.status == ItemStatus::Failed.as_str())
        .count();
    if completed + failed < items.len() {
        // Something could not be recorded: the next look at orphaned batches tries again.
        return Err(SummarizeError::internal("a batch item was left unfinished"));
    }
    set_status(
        state,
        id,
        BatchStatus::of(completed, failed),
        Some(rfc3339(state.clock.now())),
    )
    .await?;
    Ok(())
}

async fn run_item(
    state: &AppState,
    id: &str,
    position: u32,
    url: &str,
    who: &Requester,
    opts: Options,
) -> Result<(), DbError> {
    let bid = id.to_string();
    state
        .db
        .write(move |tx| store::set_item(tx, &bid, position, ItemStatus::Running, None, None, 0))
        .await?;
    let sink: super::Sink = Arc::new(|_| {});
    let run_id = state.ids.new_id().to_string();
    let opts = Options {
        // Marked completed with the summary, in its transaction.
        batch_item: Some((id.to_string(), position)),
        ..opts
    };
    let result = super::summarize(
        state,
        who,
        Source::Url(url.to_string()),
        opts,
        &run_id,
        sink,
        CancellationToken::new(),
    )
    .await;
    let Err(e) = result else {
        return Ok(());
    };
    let bid = id.to_string();
    state
        .db
        .write(move |tx| {
            store::set_item(
                tx,
                &bid,
                position,
                ItemStatus::Failed,
                None,
                Some((e.code.as_str(), &e.message)),
                0,
            )
        })
        .await
}

/// Starts every batch a previous process left unfinished, then keeps looking for batches whose
/// process stopped (call once at start-up).
pub async fn resume_interrupted(state: &AppState) -> Result<usize, DbError> {
    if let Err(error) = super::void_holds_of_stopped_processes(state).await {
        tracing::warn!(%error, "voiding the holds of stopped summaries failed");
    }
    let found = orphaned(state).await?;
    for id in &found {
        spawn(state, id);
    }
    let watcher = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(instances::lease(&watcher) / 2);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(error) = super::void_holds_of_stopped_processes(&watcher).await {
                tracing::warn!(%error, "voiding the holds of stopped summaries failed");
            }
            match orphaned(&watcher).await {
                Ok(ids) => ids.iter().for_each(|id| spawn(&watcher, id)),
                Err(error) => tracing::warn!(%error, "looking for orphaned summary batches failed"),
            }
        }
    });
    Ok(found.len())
}

async fn orphaned(state: &AppState) -> Result<Vec<String>, DbError> {
    let cutoff = instances::alive_cutoff(state);
    let orphaned = instances::orphaned_sql(Work::SummaryBatch);
    state
        .db
        .read(move |c| store::unfinished_batches(c, &orphaned, &cutoff))
        .await
}
