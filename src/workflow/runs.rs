//! Workflow runs (docs/API-WORKFLOWS.md): start, inspect, pause, resume, cancel, retry; and the driver
//! that executes a run's nodes in dependency order.
//!
//! Durability: every transition (node started, item done, node done, run state) is committed to SQLite
//! before anything acts on it. A driver holds no state that is not in the database, so after a crash
//! [`resume_interrupted`] restarts drivers that pick up exactly where the database says: completed
//! nodes and items are never redone, interrupted ones run again.
use crate::error::{CodedError, ErrorCode, FieldError};
use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
    time::Duration,
};

use crate::db::sql::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use super::{
    graph::{self, Graph},
    kinds, nodes,
    status::{edge_sql, NodeRunStatus, RunEventStatus, RunStatus},
    templates::{self, TemplateError},
};
use crate::{
    clock::rfc3339,
    db::DbError,
    ledger::{self, HoldRequest, LedgerError, Purpose},
    progress::ProgressHub,
    states::Status,
    versions, AppState,
};

/// Attempts per node before a retryable error fails it.
pub const MAX_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunEvent {
    /// The progress WebSocket's message type.
    #[serde(rename = "type")]
    pub event_type: String,
    pub run_id: String,
    /// The same as `run_id` (clients of `/workflows/{id}` call it the workflow id).
    pub workflow_id: String,
    pub node_id: Option<String>,
    pub status: RunEventStatus,
    /// 0–1 for the whole run.
    pub progress: f64,
    pub current_step: Option<String>,
    pub message: String,
    pub item: Option<u32>,
    pub items: Option<u32>,
    pub timestamp: String,
}

impl crate::progress::ProgressEvent for RunEvent {
    fn subject(&self) -> &str {
        &self.run_id
    }
}

/// Live run state shared by every request: the progress events and the drivers running now.
pub struct RunHub {
    pub progress: ProgressHub<RunEvent>,
    active: Mutex<HashMap<String, CancellationToken>>,
    /// Rejected shots being redrawn now, or whose last redraw failed: (review node run, shot) →
    /// the error, `None` while it runs. Only this process's attempts: after a restart a rejected
    /// shot simply shows no redraw and can be redrawn again.
    redraws: Mutex<HashMap<(String, String), Option<String>>>,
}

impl Default for RunHub {
    fn default() -> Self {
        Self {
            progress: ProgressHub::new(1024),
            active: Mutex::new(HashMap::new()),
            redraws: Mutex::new(HashMap::new()),
        }
    }
}

impl RunHub {
    fn cancel(&self, run_id: &str) {
        if let Some(t) = self.active.lock().expect("run hub lock").get(run_id) {
            t.cancel();
        }
    }

    /// Marks a redraw as started; false when one is already running for this shot.
    pub(crate) fn begin_redraw(&self, node_run_id: &str, shot_id: &str) -> bool {
        let mut redraws = self.redraws.lock().expect("run hub lock");
        let key = (node_run_id.to_string(), shot_id.to_string());
        if matches!(redraws.get(&key), Some(None)) {
            return false;
        }
        redraws.insert(key, None);
        true
    }

    /// Ends a redraw: forgotten when it succeeded, its error kept when it failed.
    pub(crate) fn end_redraw(&self, node_run_id: &str, shot_id: &str, error: Option<String>) {
        let mut redraws = self.redraws.lock().expect("run hub lock");
        let key = (node_run_id.to_string(), shot_id.to_string());
        match error {
            Some(e) => redraws.insert(key, Some(e)),
            None => redraws.remove(&key),
        };
    }

    /// `Some(None)` while the shot is being redrawn, `Some(Some(error))` after a failed redraw.
    pub(crate) fn redraw_of(&self, node_run_id: &str, shot_id: &str) -> Option<Option<String>> {
        self.redraws
            .lock()
            .expect("run hub lock")
            .get(&(node_run_id.to_string(), shot_id.to_string()))
            .cloned()
    }

    pub fn is_active(&self, run_id: &str) -> bool {
        self.active
            .lock()
            .expect("run hub lock")
            .contains_key(run_id)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Step {
    pub node_run_id: String,
    pub node_id: String,
    /// The step's name (the node id).
    pub name: String,
    pub kind: String,
    pub label: Option<String>,
    pub status: NodeRunStatus,
    pub attempts: u32,
    pub cached: bool,
    pub progress: f64,
    pub items_total: u32,
    pub items_done: u32,
    /// Items served from the cache (fan-out nodes).
    pub items_cached: u32,
    pub inputs_hash: Option<String>,
    /// What the node is expected to cost, in credits (from its model's price).
    pub estimate_credits: i64,
    /// What it was charged.
    pub cost_credits: i64,
    #[schema(value_type = Option<Object>, nullable = true)]
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub retryable: bool,
    pub log: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Run {
    pub id: String,
    pub project_id: String,
    pub version_id: String,
    pub template_id: String,
    pub template_version_id: String,
    /// The template, under the name `/workflows` clients use.
    pub workflow_type: String,
    pub status: RunStatus,
    /// The node running or waiting now.
    pub current_step: Option<String>,
    pub progress: f64,
    pub steps: Vec<Step>,
    pub error: Option<String>,
    pub cost_credits: i64,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRun {
    pub project_id: Option<String>,
    /// Default: the project's current version.
    pub version_id: Option<String>,
    /// `animatic` (default), `full_production`, or one of your templates.
    pub template_id: Option<String>,
    /// Another name for `template_id` (what `POST /workflows` clients send).
    pub workflow_type: Option<String>,
    /// Default: the template's current version.
    pub template_version_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{what} '{id}' not found")]
    NotFound { what: &'static str, id: String },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Credits: a 402 when the balance cannot cover the run's estimate.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for RunError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Template(e) => e.code(),
            Self::Ledger(e) => e.code(),
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Template(e) => e.field(),
            Self::Ledger(e) => e.field(),
            _ => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            Self::Template(e) => e.detail(),
            Self::Ledger(e) => e.detail(),
            _ => self.to_string(),
        }
    }
    fn field_errors(&self) -> Option<Vec<FieldError>> {
        match self {
            Self::Template(e) => e.field_errors(),
            _ => None,
        }
    }
}

impl From<crate::db::sql::Error> for RunError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

impl From<versions::EditError> for RunError {
    fn from(e: versions::EditError) -> Self {
        match e {
            versions::EditError::NotFound { what, id } => Self::NotFound { what, id },
            versions::EditError::Invalid { field, message } => Self::Invalid { field, message },
            versions::EditError::Conflict(m) | versions::EditError::TooLarge { message: m, .. } => {
                Self::Conflict(m)
            }
            versions::EditError::Db(db) => Self::Db(db),
        }
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The run row plus what the driver needs.
#[derive(Debug, Clone)]
pub(crate) struct RunRow {
    pub id: String,
    pub owner_id: String,
    pub project_id: String,
    pub version_id: String,
    pub template_id: String,
    pub template_version_id: String,
    pub graph: Graph,
    pub status: RunStatus,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

const RUN_COLUMNS: &str =
    "id, owner_id, project_id, version_id, template_id, template_version_id, graph, \
     status, error, created_at, updated_at, finished_at";

fn run_row(r: &Row<'_>) -> crate::db::sql::Result<RunRow> {
    let graph: String = r.get(6)?;
    Ok(RunRow {
        id: r.get(0)?,
        owner_id: r.get(1)?,
        project_id: r.get(2)?,
        version_id: r.get(3)?,
        template_id: r.get(4)?,
        template_version_id: r.get(5)?,
        graph: crate::db::json_column(
            "workflow_runs.graph",
            &graph,
            Graph {
                nodes: Vec::new(),
                edges: Vec::new(),
            },
        ),
        status: r.get(7)?,
        error: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        finished_at: r.get(11)?,
    })
}

pub(crate) fn load_run(
    c: &crate::db::sql::Connection,
    owner_id: Option<&str>,
    run_id: &str,
) -> Result<RunRow, RunError> {
    c.query_row(
        &format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = ?1 AND (?2 IS NULL OR owner_id = ?2)"
        ),
        params![run_id, owner_id],
        run_row,
    )
    .optional()?
    .ok_or_else(|| RunError::NotFound {
        what: "workflow run",
        id: run_id.to_string(),
    })
}

const STEP_COLUMNS: &str =
    "id, node_id, kind, status, attempts, cached, items_total, items_done, inputs_hash, \
     cost_credits, output, error, retryable, log, started_at, finished_at, \
     (SELECT COUNT(*) FROM node_items i WHERE i.node_run_id = node_runs.id AND i.cached = 1), \
     estimate_credits";

fn step_row(r: &Row<'_>) -> crate::db::sql::Result<Step> {
    let node_id: String = r.get(1)?;
    let status: NodeRunStatus = r.get(3)?;
    let total: u32 = r.get(6)?;
    let done: u32 = r.get(7)?;
    let output: Option<String> = r.get(10)?;
    let progress = match status {
        NodeRunStatus::Completed => 1.0,
        _ if total > 0 => done as f64 / total as f64,
        _ => 0.0,
    };
    Ok(Step {
        node_run_id: r.get(0)?,
        name: node_id.clone(),
        node_id,
        kind: r.get(2)?,
        label: None,
        status,
        attempts: r.get(4)?,
        cached: r.get(5)?,
        progress,
        items_total: total,
        items_done: done,
        items_cached: r.get(16)?,
        inputs_hash: r.get(8)?,
        estimate_credits: r.get(17)?,
        cost_credits: r.get(9)?,
        output: crate::db::json_column_opt("node_runs.output", output.as_deref()),
        error: r.get(11)?,
        retryable: r.get(12)?,
        log: r.get(13)?,
        started_at: r.get(14)?,
        completed_at: r.get(15)?,
    })
}

pub(crate) fn load_steps(
    c: &crate::db::sql::Connection,
    run: &RunRow,
) -> crate::db::sql::Result<Vec<Step>> {
    let mut stmt = c.prepare(&format!(
        "SELECT {STEP_COLUMNS} FROM node_runs WHERE run_id = ?1"
    ))?;
    let mut by_node: HashMap<String, Step> = stmt
        .query_map([&run.id], step_row)?
        .collect::<crate::db::sql::Result<Vec<_>>>()?
        .into_iter()
        .map(|s| (s.node_id.clone(), s))
        .collect();
    // In run order.
    let order: Vec<usize> = graph::check(&run.graph)
        .map(|c| c.order)
        .unwrap_or_else(|_| (0..run.graph.nodes.len()).collect());
    Ok(order
        .into_iter()
        .filter_map(|i| {
            let node = &run.graph.nodes[i];
            by_node.remove(&node.id).map(|mut s| {
                s.label = node.label.clone();
                s
            })
        })
        .collect())
}

fn view(c: &crate::db::sql::Connection, run: RunRow) -> Result<Run, RunError> {
    let steps = load_steps(c, &run)?;
    let progress = if steps.is_empty() {
        0.0
    } else {
        steps.iter().map(|s| s.progress).sum::<f64>() / steps.len() as f64
    };
    let current_step = steps
        .iter()
        .find(|s| matches!(s.status, NodeRunStatus::Running | NodeRunStatus::Waiting))
        .or_else(|| steps.iter().find(|s| s.status == NodeRunStatus::Failed))
        .map(|s| s.node_id.clone());
    Ok(Run {
        cost_credits: steps.iter().map(|s| s.cost_credits).sum(),
        id: run.id,
        project_id: run.project_id,
        version_id: run.version_id,
        workflow_type: run.template_id.clone(),
        template_id: run.template_id,
        template_version_id: run.template_version_id,
        status: run.status,
        current_step,
        progress: (progress * 1000.0).round() / 1000.0,
        steps,
        error: run.error,
        created_at: run.created_at,
        updated_at: run.updated_at,
        finished_at: run.finished_at,
    })
}

pub(crate) fn emit(
    state: &AppState,
    run_id: &str,
    node_id: Option<&str>,
    status: impl Into<RunEventStatus>,
    message: String,
    item: Option<(u32, u32)>,
) {
    let progress = state
        .db
        .read_sync(|c| {
            let (total, done): (f64, f64) = c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = ?2 THEN 1.0
                        WHEN items_total > 0 THEN CAST(items_done AS REAL) / items_total ELSE 0 END), 0)
                 FROM node_runs WHERE run_id = ?1",
                params![run_id, NodeRunStatus::Completed],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok::<_, DbError>(if total > 0.0 { done / total } else { 0.0 })
        })
        .unwrap_or(0.0);
    let event = RunEvent {
        event_type: "progress_update".into(),
        run_id: run_id.to_string(),
        workflow_id: run_id.to_string(),
        node_id: node_id.map(str::to_string),
        status: status.into(),
        progress: (progress * 1000.0).round() / 1000.0,
        current_step: node_id.map(str::to_string),
        message,
        item: item.map(|i| i.0),
        items: item.map(|i| i.1),
        timestamp: rfc3339(state.clock.now()),
    };
    state.runs.progress.send(event);
}

/// The template version a run (or an estimate) uses: the given one, or the template's current one.
async fn resolve_template(
    state: &AppState,
    owner_id: &str,
    template_id: Option<String>,
    workflow_type: Option<String>,
    template_version_id: Option<&str>,
) -> Result<(templates::Template, templates::TemplateVersion), RunError> {
    let template_id = template_id
        .or(workflow_type)
        .unwrap_or_else(|| "animatic".into());
    let template = templates::get(state, owner_id, &template_id)
        .await
        .map_err(|e| match e {
            TemplateError::NotFound(id) => RunError::Invalid {
                field: "template_id",
                message: format!("workflow template '{id}' not found"),
            },
            other => other.into(),
        })?;
    let version = match template_version_id {
        None => template.current_version.clone(),
        Some(vid) => {
            let v = templates::get_version(state, owner_id, vid)
                .await
                .map_err(|_| RunError::Invalid {
                    field: "template_version_id",
                    message: format!("'{vid}' is not a version of template '{template_id}'"),
                })?;
            if v.template_id != template.id {
                return Err(RunError::Invalid {
                    field: "template_version_id",
                    message: format!("'{vid}' is not a version of template '{template_id}'"),
                });
            }
            v
        }
    };
    Ok((template, version))
}

/// Starts a run of a template version on a project version and returns it (the driver runs on).
/// A 402 (`CREDITS_EXCEEDED`) before anything starts when the balance cannot cover the estimate;
/// each paid node then holds its own estimate when it starts.
#[tracing::instrument(skip(state, input))]
pub async fn start(state: &AppState, owner_id: &str, input: StartRun) -> Result<Run, RunError> {
    let project_id = input.project_id.clone().ok_or_else(|| RunError::Invalid {
        field: "project_id",
        message: "project_id is required".into(),
    })?;
    let (template, version) = resolve_template(
        state,
        owner_id,
        input.template_id.clone(),
        input.workflow_type.clone(),
        input.template_version_id.as_deref(),
    )
    .await?;
    // Priced against the storyboard the run will use (the current version unless one is named).
    let estimates = node_estimates(
        state,
        owner_id,
        Some((project_id.as_str(), input.version_id.as_deref())),
        &version.graph,
    )
    .await;
    let estimate: i64 = estimates.iter().sum();
    if estimate > 0 {
        check_cost_cap(state, &project_id, 0, estimate).await?;
        // A missing project is a 422 naming it, not a 402.
        crate::projects::get(state, owner_id, &project_id)
            .await
            .map_err(|e| match e {
                crate::projects::ProjectError::Db(db) => RunError::Db(db),
                _ => RunError::Invalid {
                    field: "project_id",
                    message: format!("project '{project_id}' not found"),
                },
            })?;
        ledger::require_cover(state, owner_id, estimate).await?;
    }
    let now = rfc3339(state.clock.now());
    let run_id = state.ids.new_id().to_string();
    let node_ids: Vec<String> = version
        .graph
        .nodes
        .iter()
        .map(|_| state.ids.new_id().to_string())
        .collect();
    let owner = owner_id.to_string();
    let ids = state.ids.clone();
    let run = state
        .db
        .write(move |tx| {
            let project_version = match input.version_id.as_deref() {
                Some(v) => versions::load_version(tx, &owner, &project_id, v).map_err(|e| match e {
                    versions::EditError::NotFound { what: "version", .. } => RunError::Invalid {
                        field: "version_id",
                        message: format!("'{v}' is not a version of this project"),
                    },
                    other => other.into(),
                })?,
                None => versions::current_version_in_tx(tx, ids.as_ref(), &owner, &project_id, &now)
                    .map_err(|e| match e {
                        versions::EditError::NotFound { what: "project", id } => RunError::Invalid {
                            field: "project_id",
                            message: format!("project '{id}' not found"),
                        },
                        other => other.into(),
                    })?,
            };
            let active: Option<String> = tx
                .query_row(
                    &format!(
                        "SELECT id FROM workflow_runs WHERE version_id = ?1 AND status IN ({})",
                        RunStatus::sql_list(RunStatus::is_active)
                    ),
                    [&project_version.id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(active) = active {
                return Err(RunError::Conflict(format!(
                    "run {active} is still going on this version: finish or cancel it first"
                )));
            }
            tx.execute(
                &format!(
                    "INSERT INTO workflow_runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, NULL, ?8, ?8, NULL)"
                ),
                params![
                    run_id,
                    owner,
                    project_id,
                    project_version.id,
                    template.id,
                    version.id,
                    serde_json::to_string(&version.graph).expect("graphs serialise"),
                    now,
                    RunStatus::Running
                ],
            )?;
            for ((node, id), est) in version.graph.nodes.iter().zip(&node_ids).zip(&estimates) {
                tx.execute(
                    "INSERT INTO node_runs (id, run_id, node_id, kind, status, updated_at, estimate_credits)
                     VALUES (?1, ?2, ?3, ?4, ?7, ?5, ?6)",
                    params![id, run_id, node.id, node.kind, now, est, NodeRunStatus::Pending],
                )?;
            }
            view(tx, load_run(tx, None, &run_id)?)
        })
        .await?;
    spawn_driver(state, &run.id);
    Ok(run)
}

/// Each node's estimate against a project version (or none), in graph order.
async fn node_estimates(
    state: &AppState,
    owner_id: &str,
    target: Option<(&str, Option<&str>)>,
    graph: &Graph,
) -> Vec<i64> {
    let mut out = Vec::with_capacity(graph.nodes.len());
    for node in &graph.nodes {
        let run = target.map(|(p, v)| (owner_id, p, v));
        out.push(super::ai::node_estimate(state, run, node).await);
    }
    out
}

/// Refuses work whose estimate would pass the project's cost cap, before any provider is called.
async fn check_cost_cap(
    state: &AppState,
    project_id: &str,
    spent: i64,
    estimate: i64,
) -> Result<(), RunError> {
    let pid = project_id.to_string();
    let cap = state
        .db
        .read(move |c| crate::registry::project_cost_cap(c, &pid))
        .await?;
    match cap {
        Some(cap) if spent.saturating_add(estimate) > cap => Err(RunError::Invalid {
            field: "cost_cap",
            message: format!(
                "this would cost about {estimate} credits ({spent} already spent in this run), over the project's cost cap of {cap}: raise the cap or use cheaper models"
            ),
        }),
        _ => Ok(()),
    }
}

#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, owner_id: &str, run_id: &str) -> Result<Run, RunError> {
    let (owner, id) = (owner_id.to_string(), run_id.to_string());
    state
        .db
        .read(move |c| view(c, load_run(c, Some(&owner), &id)?))
        .await
}

/// The latest run of a project version (`GET …/workflow/run`).
#[tracing::instrument(skip(state))]
pub async fn latest_for_version(
    state: &AppState,
    owner_id: &str,
    project_id: &str,
    version_id: &str,
) -> Result<Run, RunError> {
    let (owner, p, v) = (
        owner_id.to_string(),
        project_id.to_string(),
        version_id.to_string(),
    );
    state
        .db
        .read(move |c| {
            versions::load_version(c, &owner, &p, &v)?;
            let id: String = c
                .query_row(
                    "SELECT id FROM workflow_runs WHERE version_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 1",
                    [&v],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| RunError::NotFound {
                    what: "workflow run for version",
                    id: v.clone(),
                })?;
            view(c, load_run(c, Some(&owner), &id)?)
        })
        .await
}

/// Moves a run to `to` along its table ([`RunStatus::can_become`]), from one of the states `from`
/// takes (an action is one way into a state: a resume starts a paused run, not a failed one). The
/// run already in `to` is answered as it is.
async fn set_status(
    state: &AppState,
    owner_id: &str,
    run_id: &str,
    from: fn(RunStatus) -> bool,
    to: RunStatus,
) -> Result<Run, RunError> {
    let now = rfc3339(state.clock.now());
    let (ids, now_t) = (state.ids.clone(), state.clock.now());
    let (owner, id) = (owner_id.to_string(), run_id.to_string());
    let run = state
        .db
        .write(move |tx| {
            let run = load_run(tx, Some(&owner), &id)?;
            if run.status == to {
                return view(tx, run);
            }
            if !(run.status.can_become(to) && from(run.status)) {
                return Err(RunError::Conflict(format!(
                    "the run is {}; it cannot become {to}",
                    run.status
                )));
            }
            let finished = (to == RunStatus::Cancelled).then(|| now.clone());
            let (set, guard) = RunStatus::transition_sql_from(to, from);
            tx.execute(
                &format!(
                    "UPDATE workflow_runs SET {set}, updated_at = ?1, finished_at = COALESCE(?2, finished_at)
                     WHERE id = ?3 AND {guard}"
                ),
                params![now, finished, id],
            )?;
            if to == RunStatus::Cancelled {
                let (set, guard) = NodeRunStatus::transition_sql(NodeRunStatus::Cancelled);
                tx.execute(
                    &format!(
                        "UPDATE node_runs SET {set}, updated_at = ?1 WHERE run_id = ?2 AND {guard}"
                    ),
                    params![now, id],
                )?;
                // Cancelled work is free: its holds are released in the same transaction.
                let work: Vec<String> = {
                    let mut stmt = tx.prepare("SELECT id FROM node_runs WHERE run_id = ?1")?;
                    let rows = stmt.query_map([&id], |r| r.get(0))?;
                    rows.collect::<crate::db::sql::Result<_>>()?
                };
                ledger::void_work_in_tx(
                    tx,
                    ids.as_ref(),
                    now_t,
                    Purpose::NodeRun,
                    &work,
                    "the run was cancelled",
                )?;
            }
            view(tx, load_run(tx, None, &id)?)
        })
        .await?;
    emit(state, run_id, None, to, format!("run {to}"), None);
    Ok(run)
}

/// No new node or item starts; running items finish. `resume` continues.
#[tracing::instrument(skip(state))]
pub async fn pause(state: &AppState, owner_id: &str, run_id: &str) -> Result<Run, RunError> {
    set_status(state, owner_id, run_id, |_| true, RunStatus::Paused).await
}

#[tracing::instrument(skip(state))]
pub async fn resume(state: &AppState, owner_id: &str, run_id: &str) -> Result<Run, RunError> {
    let run = set_status(
        state,
        owner_id,
        run_id,
        |s| s == RunStatus::Paused,
        RunStatus::Running,
    )
    .await?;
    spawn_driver(state, run_id);
    Ok(run)
}

/// Stops the run: running work is cancelled, pending nodes never start.
#[tracing::instrument(skip(state))]
pub async fn cancel(state: &AppState, owner_id: &str, run_id: &str) -> Result<Run, RunError> {
    let run = set_status(state, owner_id, run_id, |_| true, RunStatus::Cancelled).await?;
    state.runs.cancel(run_id);
    Ok(run)
}

/// Runs a failed (or cancelled) run again from its unfinished nodes: completed work is kept.
#[tracing::instrument(skip(state))]
pub async fn retry(state: &AppState, owner_id: &str, run_id: &str) -> Result<Run, RunError> {
    let (owner, id) = (owner_id.to_string(), run_id.to_string());
    let (run_row, done) = state
        .db
        .read(move |c| {
            let run = load_run(c, Some(&owner), &id)?;
            let done: Vec<String> = load_steps(c, &run)?
                .into_iter()
                .filter(|s| s.status == NodeRunStatus::Completed)
                .map(|s| s.node_id)
                .collect();
            Ok::<_, RunError>((run, done))
        })
        .await?;
    let estimate: i64 = node_estimates(
        state,
        owner_id,
        Some((&run_row.project_id, Some(&run_row.version_id))),
        &run_row.graph,
    )
    .await
    .into_iter()
    .zip(&run_row.graph.nodes)
    .filter(|(_, n)| !done.contains(&n.id))
    .map(|(e, _)| e)
    .sum();
    if estimate > 0 {
        ledger::require_cover(state, owner_id, estimate).await?;
    }
    let now = rfc3339(state.clock.now());
    let (owner, id) = (owner_id.to_string(), run_id.to_string());
    let run = state
        .db
        .write(move |tx| {
            let run = load_run(tx, Some(&owner), &id)?;
            // A retry starts a run that is over (failed or cancelled) again.
            if !(run.status.is_final() && run.status.can_become(RunStatus::Running)) {
                return Err(RunError::Conflict(format!(
                    "only a failed or cancelled run can be retried; this one is {}",
                    run.status
                )));
            }
            // Its unfinished nodes start again from the beginning.
            let (set, guard) = NodeRunStatus::transition_sql(NodeRunStatus::Pending);
            tx.execute(
                &format!(
                    "UPDATE node_runs SET {set}, error = NULL, retryable = 0, attempts = 0, updated_at = ?1
                     WHERE run_id = ?2 AND {guard}"
                ),
                params![now, id],
            )?;
            let (set, guard) = RunStatus::transition_sql_from(RunStatus::Running, RunStatus::is_final);
            tx.execute(
                &format!(
                    "UPDATE workflow_runs SET {set}, error = NULL, finished_at = NULL, updated_at = ?1
                     WHERE id = ?2 AND {guard}"
                ),
                params![now, id],
            )?;
            view(tx, load_run(tx, None, &id)?)
        })
        .await?;
    spawn_driver(state, run_id);
    Ok(run)
}

/// Restarts the drivers of runs that were going when the process stopped (crash or restart).
#[tracing::instrument(skip(state))]
pub async fn resume_interrupted(state: &AppState) -> Result<usize, DbError> {
    // This process joins the ones on the database (on SQLite it is the only one).
    crate::instances::start(state).await?;
    // Holds of processes that stopped pay for work that is gone: release them before anything
    // runs again (a re-run node holds afresh), then keep sweeping expired and orphaned holds.
    match ledger::sweep(state, true).await {
        Ok(r) if r.voided > 0 => {
            tracing::info!(voided = r.voided, "voided holds of a stopped process")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "the start-up hold sweep failed"),
    }
    ledger::spawn_sweeper(state, Duration::from_secs(60));
    let ids = orphaned_runs(state).await?;
    for id in &ids {
        tracing::info!(run_id = %id, "resuming an interrupted workflow run");
        spawn_driver(state, id);
    }
    // Runs whose driver was another process that stopped (a replica killed mid-run) are taken
    // over once its lease runs out.
    let watcher = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(crate::instances::lease(&watcher) / 2);
        tick.tick().await;
        loop {
            tick.tick().await;
            match orphaned_runs(&watcher).await {
                Ok(ids) => {
                    for id in ids {
                        spawn_driver(&watcher, &id);
                    }
                }
                Err(error) => tracing::warn!(%error, "looking for orphaned runs failed"),
            }
        }
    });
    Ok(ids.len())
}

/// Runs that need a driver and have none alive: never claimed, released, or claimed by a
/// process that stopped beating (src/instances).
async fn orphaned_runs(state: &AppState) -> Result<Vec<String>, DbError> {
    let cutoff = crate::instances::alive_cutoff(state);
    let active: Vec<String> = state
        .runs
        .active
        .lock()
        .expect("run hub lock")
        .keys()
        .cloned()
        .collect();
    let ids: Vec<String> = state
        .db
        .read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT id FROM workflow_runs WHERE status IN ({}) AND {}",
                RunStatus::sql_list(RunStatus::needs_driver),
                crate::instances::orphaned_sql(crate::instances::Work::Run)
            ))?;
            let rows = stmt.query_map([cutoff], |r| r.get(0))?;
            Ok::<_, DbError>(rows.collect::<crate::db::sql::Result<Vec<String>>>()?)
        })
        .await?;
    Ok(ids.into_iter().filter(|id| !active.contains(id)).collect())
}

/// Starts the driver of a run unless one is already going.
pub fn spawn_driver(state: &AppState, run_id: &str) {
    let token = {
        let mut active = state.runs.active.lock().expect("run hub lock");
        if active.contains_key(run_id) {
            return;
        }
        let t = CancellationToken::new();
        active.insert(run_id.to_string(), t.clone());
        t
    };
    let (state, run_id) = (state.clone(), run_id.to_string());
    tokio::spawn(async move {
        if !crate::instances::start_on(&state, crate::instances::Work::Run, &run_id).await {
            // A live process drives it.
            state
                .runs
                .active
                .lock()
                .expect("run hub lock")
                .remove(&run_id);
            return;
        }
        let outcome = drive(&state, &run_id, &token).await;
        let stopped_cleanly = outcome.is_ok();
        if let Err(e) = outcome {
            tracing::error!(run_id = %run_id, error = %e, "workflow driver stopped on an error");
            let now = rfc3339(state.clock.now());
            let (msg, rid) = (e.to_string(), run_id.clone());
            let _ = state
                .db
                .write(move |tx| {
                    let (set, guard) = RunStatus::transition_sql(RunStatus::Failed);
                    tx.execute(
                        &format!(
                            "UPDATE workflow_runs SET {set}, error = ?1, updated_at = ?2, finished_at = ?2
                             WHERE id = ?3 AND {guard}"
                        ),
                        params![msg, now, rid],
                    )
                    .map_err(DbError::from)
                })
                .await;
        }
        crate::instances::release(&state, crate::instances::Work::Run, &run_id).await;
        state
            .runs
            .active
            .lock()
            .expect("run hub lock")
            .remove(&run_id);
        emit(
            &state,
            &run_id,
            None,
            RunEventStatus::Stopped,
            "driver stopped".into(),
            None,
        );
        // A resume (or retry) that landed while this driver was stopping found it still registered
        // and started nothing: look once more now that it is gone.
        let id = run_id.clone();
        let running = state
            .db
            .read(move |c| Ok::<_, RunError>(load_run(c, None, &id)?.status == RunStatus::Running))
            .await
            .unwrap_or(false);
        if running && stopped_cleanly && !token.is_cancelled() {
            spawn_driver(&state, &run_id);
        }
    });
}

enum NextStep {
    Stop,
    Execute {
        node_index: usize,
        node_run_id: String,
    },
}

/// Decides (and commits) what happens next: run a node, wait for review, or finish.
fn next_step(
    tx: &crate::db::sql::Connection,
    run_id: &str,
    now: &str,
) -> Result<NextStep, RunError> {
    let run = load_run(tx, None, run_id)?;
    if run.status != RunStatus::Running {
        return Ok(NextStep::Stop);
    }
    let checked = graph::check(&run.graph).map_err(|p| RunError::Invalid {
        field: "graph",
        message: format!("the run's graph is invalid: {}", p[0].message),
    })?;
    let statuses: HashMap<String, (NodeRunStatus, String, Option<String>)> = {
        let mut stmt =
            tx.prepare("SELECT node_id, status, id, error FROM node_runs WHERE run_id = ?1")?;
        let rows = stmt.query_map([run_id], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
        })?;
        rows.collect::<crate::db::sql::Result<_>>()?
    };
    // The run is running (above, in this transaction): each update below takes one edge from it.
    let finish = |to: RunStatus| edge_sql(RunStatus::Running, to);
    if let Some((node, (_, _, error))) = statuses.iter().find(|(_, s)| s.0 == NodeRunStatus::Failed)
    {
        let (set, guard) = finish(RunStatus::Failed);
        tx.execute(
            &format!("UPDATE workflow_runs SET {set}, error = ?1, updated_at = ?2, finished_at = ?2 WHERE id = ?3 AND {guard}"),
            params![format!("node '{node}' failed: {}", error.clone().unwrap_or_default()), now, run_id],
        )?;
        return Ok(NextStep::Stop);
    }
    for &i in &checked.order {
        let node = &run.graph.nodes[i];
        let Some((status, node_run_id, _)) = statuses.get(&node.id) else {
            continue;
        };
        match status {
            NodeRunStatus::Completed => continue,
            NodeRunStatus::Waiting => {
                let (set, guard) = finish(RunStatus::WaitingReview);
                tx.execute(
                    &format!(
                        "UPDATE workflow_runs SET {set}, updated_at = ?1 WHERE id = ?2 AND {guard}"
                    ),
                    params![now, run_id],
                )?;
                return Ok(NextStep::Stop);
            }
            _ => {
                let ready = checked.edges.iter().filter(|e| e.2 == i).all(|e| {
                    statuses
                        .get(&run.graph.nodes[e.0].id)
                        .is_some_and(|s| s.0 == NodeRunStatus::Completed)
                });
                if ready {
                    return Ok(NextStep::Execute {
                        node_index: i,
                        node_run_id: node_run_id.clone(),
                    });
                }
            }
        }
    }
    let (set, guard) = finish(RunStatus::Completed);
    tx.execute(
        &format!("UPDATE workflow_runs SET {set}, updated_at = ?1, finished_at = ?1 WHERE id = ?2 AND {guard}"),
        params![now, run_id],
    )?;
    Ok(NextStep::Stop)
}

/// The outputs of the nodes feeding `node_index`, by input port.
fn node_inputs(
    tx: &crate::db::sql::Connection,
    run: &RunRow,
    node_index: usize,
) -> Result<BTreeMap<String, serde_json::Value>, RunError> {
    let checked = graph::check(&run.graph).map_err(|_| RunError::Invalid {
        field: "graph",
        message: "the run's graph is invalid".into(),
    })?;
    let mut inputs = BTreeMap::new();
    for &(from, from_port, to, to_port) in &checked.edges {
        if to != node_index {
            continue;
        }
        let output: Option<String> = tx.query_row(
            "SELECT output FROM node_runs WHERE run_id = ?1 AND node_id = ?2",
            params![run.id, run.graph.nodes[from].id],
            |r| r.get(0),
        )?;
        let value: serde_json::Value =
            crate::db::json_column_opt("node_runs.output", output.as_deref())
                .unwrap_or(serde_json::Value::Null);
        inputs.insert(
            to_port.to_string(),
            value.get(from_port).cloned().unwrap_or(value),
        );
    }
    Ok(inputs)
}

async fn drive(state: &AppState, run_id: &str, cancel: &CancellationToken) -> Result<(), RunError> {
    loop {
        if cancel.is_cancelled() {
            return Ok(());
        }
        let now = rfc3339(state.clock.now());
        let id = run_id.to_string();
        let step = state.db.write(move |tx| next_step(tx, &id, &now)).await?;
        let NextStep::Execute {
            node_index,
            node_run_id,
        } = step
        else {
            let status = state
                .db
                .read({
                    let id = run_id.to_string();
                    move |c| Ok::<_, RunError>(load_run(c, None, &id)?.status)
                })
                .await?;
            emit(state, run_id, None, status, format!("run {status}"), None);
            return Ok(());
        };
        execute_node(state, run_id, node_index, &node_run_id, cancel).await?;
    }
}

async fn execute_node(
    state: &AppState,
    run_id: &str,
    node_index: usize,
    node_run_id: &str,
    cancel: &CancellationToken,
) -> Result<(), RunError> {
    // The node's estimate from its model's price and the storyboard as it is now; a node whose
    // estimate would pass the project's cost cap fails before any provider is called.
    let (rid, nrid) = (run_id.to_string(), node_run_id.to_string());
    let (run0, spent) = state
        .db
        .read(move |c| {
            let run = load_run(c, None, &rid)?;
            let spent: i64 = c.query_row(
                "SELECT COALESCE(SUM(cost_credits), 0) FROM node_runs WHERE run_id = ?1",
                [&rid],
                |r| r.get(0),
            )?;
            Ok::<_, RunError>((run, spent))
        })
        .await?;
    let node0 = &run0.graph.nodes[node_index];
    let estimate = super::ai::node_estimate(
        state,
        Some((&run0.owner_id, &run0.project_id, Some(&run0.version_id))),
        node0,
    )
    .await;
    let hold_amount = super::ai::node_hold_amount(node0, estimate);
    let over_cap = match check_cost_cap(state, &run0.project_id, spent, estimate).await {
        Err(RunError::Invalid { message, .. }) if estimate > 0 => Some(message),
        Err(e) => return Err(e),
        Ok(()) => None,
    };
    let now = rfc3339(state.clock.now());
    let (ids, now_t) = (state.ids.clone(), state.clock.now());
    let (rid, nrid) = (run_id.to_string(), nrid);
    // Commit "running" (with the inputs and their hash) and the node's hold before doing anything.
    let (run, inputs, attempt, hold) = state
        .db
        .write(move |tx| {
            let run = load_run(tx, None, &rid)?;
            let inputs = node_inputs(tx, &run, node_index)?;
            let node = &run.graph.nodes[node_index];
            let kind = kinds::find(&node.kind).expect("validated graph");
            let inputs_hash = sha256_hex(
                serde_json::json!({
                    "kind": kind.name, "version": kind.version, "config": node.config,
                    "inputs": inputs, "project_version": run.version_id,
                })
                .to_string()
                .as_bytes(),
            );
            let (set, guard) = NodeRunStatus::transition_sql(NodeRunStatus::Running);
            let started = tx.execute(
                &format!(
                    "UPDATE node_runs SET {set}, attempts = attempts + 1, inputs_hash = ?1,
                            cache_key = ?1, started_at = COALESCE(started_at, ?2), updated_at = ?2,
                            estimate_credits = ?4
                     WHERE id = ?3 AND {guard}"
                ),
                params![inputs_hash, now, nrid, estimate],
            )?;
            if started != 1 {
                return Err(RunError::Conflict(format!(
                    "node run {nrid} cannot start: it is no longer pending"
                )));
            }
            let attempt: u32 = tx.query_row(
                "SELECT attempts FROM node_runs WHERE id = ?1",
                [&nrid],
                |r| r.get(0),
            )?;
            let hold = ledger::hold_in_tx(
                tx,
                ids.as_ref(),
                now_t,
                &HoldRequest {
                    owner_id: run.owner_id.clone(),
                    amount: hold_amount,
                    purpose: Purpose::NodeRun,
                    work_id: nrid.clone(),
                    key: format!("node_run:{nrid}:{}", ids.new_id()),
                    description: format!("{} ({}) in run {}", node.id, node.kind, run.id),
                    meta: serde_json::json!({"kind": node.kind, "node_id": node.id,
                                             "run_id": run.id, "project_id": run.project_id}),
                    ttl_secs: None,
                },
            );
            // The node is running (just above): it fails from there.
            let (fail, guard) = edge_sql(NodeRunStatus::Running, NodeRunStatus::Failed);
            let hold = match (over_cap, hold) {
                (Some(msg), Ok(h)) => {
                    ledger::void_in_tx(tx, ids.as_ref(), now_t, &h.id, "over the cost cap")?;
                    tx.execute(
                        &format!(
                            "UPDATE node_runs SET {fail}, error = ?1, retryable = 0, log = log || ?2,
                                    finished_at = ?3, updated_at = ?3 WHERE id = ?4 AND {guard}"
                        ),
                        params![msg, format!("attempt {attempt}: {msg}\n"), now, nrid],
                    )?;
                    Err(msg)
                }
                (None, Ok(h)) => Ok(h),
                (_, Err(LedgerError::InsufficientCredits { needed, available })) => {
                    let msg = format!(
                        "insufficient credits: this step needs {needed}, {available} available"
                    );
                    tx.execute(
                        &format!(
                            "UPDATE node_runs SET {fail}, error = ?1, retryable = 0, log = log || ?2,
                                    finished_at = ?3, updated_at = ?3 WHERE id = ?4 AND {guard}"
                        ),
                        params![msg, format!("attempt {attempt}: {msg}\n"), now, nrid],
                    )?;
                    Err(msg)
                }
                (_, Err(e)) => return Err(e.into()),
            };
            Ok::<_, RunError>((run, inputs, attempt, hold))
        })
        .await?;
    let node = run.graph.nodes[node_index].clone();
    let hold = match hold {
        Ok(h) => h,
        Err(msg) => {
            emit(
                state,
                run_id,
                Some(&node.id),
                NodeRunStatus::Failed,
                msg,
                None,
            );
            return Ok(());
        }
    };
    emit(
        state,
        run_id,
        Some(&node.id),
        NodeRunStatus::Running,
        format!("{} started (attempt {attempt})", node.kind),
        None,
    );
    let ctx = nodes::NodeCtx {
        state: state.clone(),
        run,
        node: node.clone(),
        node_run_id: node_run_id.to_string(),
        inputs,
        cancel: cancel.clone(),
        hold_estimate: hold.estimate,
    };
    let outcome = nodes::run_node(&ctx).await;
    let now = rfc3339(state.clock.now());
    let now_t = state.clock.now();
    let nrid = node_run_id.to_string();
    let hold_id = hold.id.clone();
    match outcome {
        Ok(nodes::Outcome::Done {
            output,
            cost_credits,
            log,
        }) => {
            // Charged only on success; a cache hit is free.
            let cached = output.get("cached") == Some(&serde_json::Value::Bool(true));
            let cost = if cached { 0 } else { cost_credits.max(0) };
            let out = output.to_string();
            let estimate = hold.estimate;
            let ids = state.ids.clone();
            state
                .db
                .write(move |tx| {
                    let (set, guard) = edge_sql(NodeRunStatus::Running, NodeRunStatus::Completed);
                    let n = tx.execute(
                        &format!(
                            "UPDATE node_runs SET {set}, output = ?1, cost_credits = cost_credits + ?2,
                                    log = log || ?3, finished_at = ?4, updated_at = ?4, error = NULL
                             WHERE id = ?5 AND {guard}"
                        ),
                        params![out, cost, log, now, nrid],
                    )?;
                    // The settle commits with the completion, so no crash can separate them.
                    let resolved = if n == 1 {
                        if cost > estimate {
                            tracing::warn!(node_run = %nrid, cost, estimate,
                                "a node cost more than its estimate; charging the estimate");
                        }
                        ledger::settle_in_tx(tx, ids.as_ref(), now_t, &hold_id, cost.min(estimate))
                    } else {
                        ledger::void_in_tx(
                            tx,
                            ids.as_ref(),
                            now_t,
                            &hold_id,
                            "the node was no longer running when it finished",
                        )
                    };
                    match resolved {
                        Ok(_) => Ok(()),
                        Err(LedgerError::AlreadyResolved(m)) => {
                            tracing::warn!(node_run = %nrid, "{m}; reconciliation will report it");
                            Ok(())
                        }
                        Err(e) => Err(RunError::from(e)),
                    }
                })
                .await?;
            emit(
                state,
                run_id,
                Some(&node.id),
                NodeRunStatus::Completed,
                format!("{} completed", node.kind),
                None,
            );
        }
        Ok(nodes::Outcome::Wait { message }) => {
            let rid = run_id.to_string();
            let ids = state.ids.clone();
            state
                .db
                .write(move |tx| {
                    let (set, guard) = edge_sql(NodeRunStatus::Running, NodeRunStatus::Waiting);
                    tx.execute(
                        &format!("UPDATE node_runs SET {set}, updated_at = ?1 WHERE id = ?2 AND {guard}"),
                        params![now, nrid],
                    )?;
                    // Waiting for a person costs nothing.
                    if let Err(e) = ledger::settle_in_tx(tx, ids.as_ref(), now_t, &hold_id, 0) {
                        tracing::warn!(error = %e, "could not settle a review gate's hold");
                    }
                    let (set, guard) = edge_sql(RunStatus::Running, RunStatus::WaitingReview);
                    tx.execute(
                        &format!("UPDATE workflow_runs SET {set}, updated_at = ?1 WHERE id = ?2 AND {guard}"),
                        params![now, rid],
                    )
                    .map_err(DbError::from)
                })
                .await?;
            emit(
                state,
                run_id,
                Some(&node.id),
                NodeRunStatus::Waiting,
                message,
                None,
            );
        }
        Ok(nodes::Outcome::Interrupted) => {
            // Paused or cancelled between items: the node stays as the run's state says. An
            // interruption is free; a resumed node holds again.
            ledger::void(state, &hold_id, "interrupted (paused or cancelled)").await?;
            emit(
                state,
                run_id,
                Some(&node.id),
                RunEventStatus::Interrupted,
                format!("{} interrupted", node.kind),
                None,
            );
        }
        Err(e) => {
            let retry = e.retryable && attempt < MAX_ATTEMPTS && !cancel.is_cancelled();
            let (msg, retryable) = (e.message.clone(), e.retryable);
            let status = if retry {
                NodeRunStatus::Pending
            } else {
                NodeRunStatus::Failed
            };
            let ids = state.ids.clone();
            state
                .db
                .write(move |tx| {
                    let (set, guard) = edge_sql(NodeRunStatus::Running, status);
                    let finished = (status == NodeRunStatus::Failed).then_some(&now);
                    tx.execute(
                        &format!(
                            "UPDATE node_runs SET {set}, error = ?1, retryable = ?2, log = log || ?3,
                                    updated_at = ?4, finished_at = ?5
                             WHERE id = ?6 AND {guard}"
                        ),
                        params![msg, retryable, format!("attempt {attempt}: {msg}\n"), now, finished, nrid],
                    )?;
                    // A failure is free: its hold goes back (docs/API-LEDGER.md).
                    ledger::void_in_tx(tx, ids.as_ref(), now_t, &hold_id, &format!("failed: {msg}"))?;
                    Ok::<_, RunError>(())
                })
                .await?;
            emit(
                state,
                run_id,
                Some(&node.id),
                status,
                e.message.clone(),
                None,
            );
            if retry {
                // Exponential backoff with jitter before the next attempt.
                let base = 200u64 << attempt.min(6);
                let jitter = rand::random::<u64>() % base;
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(base + jitter)) => {}
                    _ = cancel.cancelled() => {}
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateRun {
    /// The project whose storyboard prices the run (shots, dialogue); without it, per-shot work
    /// is estimated at 0.
    pub project_id: Option<String>,
    pub template_id: Option<String>,
    pub workflow_type: Option<String>,
    pub template_version_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeEstimate {
    pub node_id: String,
    pub kind: String,
    pub estimate: i64,
}

/// What a run would cost and whether the balance covers it (shown before a run starts).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunEstimate {
    pub template_id: String,
    pub template_version_id: String,
    /// Credits (integers).
    pub estimated_cost: i64,
    pub nodes: Vec<NodeEstimate>,
    pub available: i64,
    pub held: i64,
    pub is_member: bool,
    pub sufficient: bool,
    /// `available` again, under the name some clients read (`sufficient_quota` is `sufficient`).
    pub user_quota_remaining: i64,
    pub sufficient_quota: bool,
}

#[tracing::instrument(skip(state, input))]
pub async fn estimate(
    state: &AppState,
    owner_id: &str,
    input: EstimateRun,
) -> Result<RunEstimate, RunError> {
    let (template, version) = resolve_template(
        state,
        owner_id,
        input.template_id,
        input.workflow_type,
        input.template_version_id.as_deref(),
    )
    .await?;
    let estimates = node_estimates(
        state,
        owner_id,
        input.project_id.as_deref().map(|p| (p, None)),
        &version.graph,
    )
    .await;
    let nodes: Vec<NodeEstimate> = version
        .graph
        .nodes
        .iter()
        .zip(&estimates)
        .map(|(n, e)| NodeEstimate {
            node_id: n.id.clone(),
            kind: n.kind.clone(),
            estimate: *e,
        })
        .collect();
    let total: i64 = estimates.iter().sum();
    let b = ledger::balance(state, owner_id).await?;
    let sufficient = ledger::can_cover(&b, total);
    Ok(RunEstimate {
        template_id: template.id,
        template_version_id: version.id,
        estimated_cost: total,
        nodes,
        available: b.available,
        held: b.held,
        is_member: b.is_member,
        sufficient,
        user_quota_remaining: b.available,
        sufficient_quota: sufficient,
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeTest {
    pub project_id: String,
    /// Default: the project's current version.
    pub version_id: Option<String>,
    pub kind: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Option<serde_json::Value>,
    /// Values for the node's input ports (what upstream nodes would have given it).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<String, serde_json::Value>,
}

/// Runs one node on its own (`POST /workflows/node-test`), recorded as a one-node run, and returns
/// its step.
#[tracing::instrument(skip(state, input), fields(kind = %input.kind))]
pub async fn node_test(
    state: &AppState,
    owner_id: &str,
    input: NodeTest,
) -> Result<Step, RunError> {
    let kind = kinds::find(&input.kind).ok_or_else(|| RunError::Invalid {
        field: "kind",
        message: format!("unknown node kind '{}'", input.kind),
    })?;
    if kind.human_gate {
        return Err(RunError::Invalid {
            field: "kind",
            message: "a review waits for a person; test it inside a run".into(),
        });
    }
    let config = input
        .config
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    if !config.is_object() {
        return Err(RunError::Invalid {
            field: "config",
            message: "config must be a JSON object".into(),
        });
    }
    for port in kind.inputs.iter().filter(|p| !p.optional) {
        if !input.inputs.contains_key(port.name) {
            return Err(RunError::Invalid {
                field: "inputs",
                message: format!("input '{}' ({:?}) is required", port.name, port.port_type),
            });
        }
    }
    let node = graph::NodeSpec {
        id: "test".into(),
        kind: kind.name.into(),
        label: None,
        config,
    };
    let graph = Graph {
        nodes: vec![node.clone()],
        edges: Vec::new(),
    };
    let now = rfc3339(state.clock.now());
    let (run_id, node_run_id) = (
        state.ids.new_id().to_string(),
        state.ids.new_id().to_string(),
    );
    let estimate = super::ai::node_estimate(
        state,
        Some((owner_id, &input.project_id, input.version_id.as_deref())),
        &node,
    )
    .await;
    let hold_amount = super::ai::node_hold_amount(&node, estimate);
    if estimate > 0 {
        check_cost_cap(state, &input.project_id, 0, estimate).await?;
    }
    let (owner, ids) = (owner_id.to_string(), state.ids.clone());
    let now_t = state.clock.now();
    let (rid, nrid, g) = (run_id.clone(), node_run_id.clone(), graph.clone());
    let (run, hold) = state
        .db
        .write(move |tx| {
            let version = match input.version_id.as_deref() {
                Some(v) => versions::load_version(tx, &owner, &input.project_id, v)?,
                None => versions::current_version_in_tx(tx, ids.as_ref(), &owner, &input.project_id, &now)
                    .map_err(|e| match e {
                        versions::EditError::NotFound { what: "project", id } => RunError::Invalid {
                            field: "project_id",
                            message: format!("project '{id}' not found"),
                        },
                        other => other.into(),
                    })?,
            };
            tx.execute(
                &format!(
                    "INSERT INTO workflow_runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, 'node-test', ?5, ?6, ?8, NULL, ?7, ?7, NULL)"
                ),
                params![rid, owner, input.project_id, version.id, format!("node-test:{}", node.kind),
                        serde_json::to_string(&g).expect("graphs serialise"), now, RunStatus::Running],
            )?;
            tx.execute(
                "INSERT INTO node_runs (id, run_id, node_id, kind, status, attempts, started_at, updated_at,
                                        estimate_credits)
                 VALUES (?1, ?2, 'test', ?3, ?6, 1, ?4, ?4, ?5)",
                params![nrid, rid, node.kind, now, estimate, NodeRunStatus::Running],
            )?;
            // A test run of a paid node pays like any other (the check and the hold are one write).
            let hold = ledger::hold_in_tx(
                tx,
                ids.as_ref(),
                now_t,
                &HoldRequest {
                    owner_id: owner.clone(),
                    amount: hold_amount,
                    purpose: Purpose::NodeRun,
                    work_id: nrid.clone(),
                    key: format!("node_run:{nrid}:test"),
                    description: format!("node test ({})", node.kind),
                    meta: serde_json::json!({"kind": node.kind, "node_id": "test", "run_id": rid,
                                             "project_id": input.project_id}),
                    ttl_secs: None,
                },
            )?;
            Ok::<_, RunError>((load_run(tx, None, &rid)?, hold))
        })
        .await?;
    let ctx = nodes::NodeCtx {
        state: state.clone(),
        run,
        node: graph.nodes[0].clone(),
        node_run_id: node_run_id.clone(),
        inputs: input.inputs,
        cancel: CancellationToken::new(),
        hold_estimate: hold.estimate,
    };
    let outcome = nodes::run_node(&ctx).await;
    let now = rfc3339(state.clock.now());
    let now_t = state.clock.now();
    let mut charge = None;
    let (completed, output, error, retryable, log) = match outcome {
        Ok(nodes::Outcome::Done {
            output,
            log,
            cost_credits,
        }) => {
            let cached = output.get("cached") == Some(&serde_json::Value::Bool(true));
            charge = Some(if cached {
                0
            } else {
                cost_credits.clamp(0, hold.estimate)
            });
            (true, Some(output.to_string()), None, false, log)
        }
        Ok(_) => (
            false,
            None,
            Some("the node did not finish".to_string()),
            false,
            String::new(),
        ),
        Err(e) => (false, None, Some(e.message), e.retryable, String::new()),
    };
    let (rid, nrid) = (run_id.clone(), node_run_id.clone());
    let ids = state.ids.clone();
    state
        .db
        .write(move |tx| {
            // The test's node and run were running since they were made (above).
            let (node_to, run_to) = if completed {
                (NodeRunStatus::Completed, RunStatus::Completed)
            } else {
                (NodeRunStatus::Failed, RunStatus::Failed)
            };
            let (set, guard) = edge_sql(NodeRunStatus::Running, node_to);
            tx.execute(
                &format!(
                    "UPDATE node_runs SET {set}, output = ?1, error = ?2, retryable = ?3, log = ?4,
                            cost_credits = cost_credits + ?7, finished_at = ?5, updated_at = ?5
                     WHERE id = ?6 AND {guard}"
                ),
                params![
                    output,
                    error,
                    retryable,
                    log,
                    now,
                    nrid,
                    charge.unwrap_or(0)
                ],
            )?;
            match charge {
                Some(c) => ledger::settle_in_tx(tx, ids.as_ref(), now_t, &hold.id, c)?,
                None => {
                    ledger::void_in_tx(tx, ids.as_ref(), now_t, &hold.id, "the node test failed")?
                }
            };
            let (set, guard) = edge_sql(RunStatus::Running, run_to);
            tx.execute(
                &format!(
                    "UPDATE workflow_runs SET {set}, error = ?1, updated_at = ?2, finished_at = ?2
                     WHERE id = ?3 AND {guard}"
                ),
                params![error, now, rid],
            )?;
            let run = load_run(tx, None, &rid)?;
            Ok::<_, RunError>(load_steps(tx, &run)?.remove(0))
        })
        .await
}
