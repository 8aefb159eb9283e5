//! Human review (docs/API-WORKFLOWS.md): the run waits at a `review` node; a reviewer approves,
//! rejects with a comment, replaces, or selects; then continues. Decisions are append-only; an
//! approved keyframe is locked until someone unlocks it.
//!
//! The reject loop (docs/API-WORKFLOWS.md, "The reject loop"): a rejection redraws the shot at once, with the reviewer's
//! comments as feedback, and the new frame comes back to the queue undecided. A decision belongs
//! to the frame it was taken on, so a rejection stops counting once its frame is replaced. The run
//! passes the gate only when no rejection is left without an approved replacement, unless the
//! reviewer continues with `keep_unresolved` (those shots keep their current frame, recorded as
//! approved, so a finished review never shows "rejected" for a frame in the video).
use crate::db::sql::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use utoipa::ToSchema;

use super::{
    nodes::{self, FrameJob},
    runs::{self, emit, load_run, Run, RunError},
    status::{edge_sql, NodeRunStatus, RunStatus},
};
use crate::{
    assets::{self, AssetType, NewAsset},
    blobs::BlobRef,
    clock::rfc3339,
    db::DbError,
    storyboard::ShotStatus,
    AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    Replace,
    Select,
    Unlock,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Replace => "replace",
            Self::Select => "select",
            Self::Unlock => "unlock",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewItem {
    /// The shot id.
    pub item_key: String,
    pub shot_id: String,
    pub shot_number: u32,
    pub scene_number: u32,
    pub description: String,
    pub dialogue: Vec<crate::script::DialogueLine>,
    pub asset_id: Option<String>,
    pub image_url: Option<String>,
    /// The latest decision, if any.
    pub decision: Option<Decision>,
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// Approved keyframes are locked against regeneration.
    pub locked: bool,
    /// Every frame drawn for this shot in this run (a node's `candidates` setting draws several);
    /// `human-select` picks among them.
    pub candidates: Vec<Candidate>,
    /// The rejection this frame was redrawn to answer (the rejected frame and its comment).
    pub redrawn_after: Option<Rejection>,
    /// A redraw of this rejected shot running now or failed (this process's attempts only).
    pub redraw: Option<Redraw>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rejection {
    /// The rejected frame.
    pub asset_id: Option<String>,
    pub comment: Option<String>,
    pub decided_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedrawStatus {
    Running,
    Failed,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Redraw {
    pub status: RedrawStatus,
    pub error: Option<String>,
}

impl ReviewItem {
    /// A rejection without an approved replacement: the frame shown is rejected, or it is a redraw
    /// nobody has decided on yet.
    pub fn unresolved(&self) -> bool {
        self.decision == Some(Decision::Reject)
            || (self.decision.is_none() && self.redrawn_after.is_some())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    pub asset_id: String,
    pub image_url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewQueue {
    pub node_run_id: String,
    pub run_id: String,
    /// The review node's state: `waiting` while decisions are open.
    pub status: NodeRunStatus,
    pub items: Vec<ReviewItem>,
    pub approved: u32,
    pub rejected: u32,
    pub undecided: u32,
    /// Rejections without an approved replacement; the gate stays shut while this is not 0.
    pub unresolved: u32,
}

/// Options of `…/review/continue` (the body may be left out).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContinueInput {
    /// Go on although some rejections have no approved replacement: those shots keep the frame
    /// they show now (recorded as approved by this continue).
    #[serde(default)]
    pub keep_unresolved: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// The shot id (or give `asset_id`).
    pub item_key: Option<String>,
    pub asset_id: Option<String>,
    pub decision: Decision,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HumanSelect {
    pub node_run_id: String,
    /// Shot id → the chosen asset ids (k of the n candidates).
    #[schema(value_type = Object)]
    pub selections: std::collections::BTreeMap<String, Vec<String>>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> RunError {
    RunError::Invalid {
        field,
        message: message.into(),
    }
}

/// The review node run and its run, checking the owner.
fn load_node(
    c: &crate::db::sql::Connection,
    owner_id: &str,
    node_run_id: &str,
) -> Result<(runs::RunRow, NodeRunStatus), RunError> {
    let (run_id, kind, status): (String, String, NodeRunStatus) = c
        .query_row(
            "SELECT n.run_id, n.kind, n.status FROM node_runs n JOIN workflow_runs r ON r.id = n.run_id
             WHERE n.id = ?1 AND r.owner_id = ?2",
            params![node_run_id, owner_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| RunError::NotFound {
            what: "node run",
            id: node_run_id.to_string(),
        })?;
    if kind != "review" {
        return Err(RunError::Conflict(format!(
            "node run {node_run_id} is a '{kind}' node, not a review"
        )));
    }
    Ok((load_run(c, None, &run_id)?, status))
}

fn queue(
    c: &crate::db::sql::Connection,
    node_run_id: &str,
    run_id: &str,
    status: NodeRunStatus,
) -> Result<ReviewQueue, RunError> {
    let mut stmt =
        c.prepare("SELECT item_key, output FROM node_items WHERE node_run_id = ?1 ORDER BY rowid")?;
    let keys: Vec<(String, Option<String>)> = stmt
        .query_map([node_run_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<crate::db::sql::Result<_>>()?;
    let mut items = Vec::new();
    for (key, drawn) in keys {
        let drawn: Value = crate::db::json_column_opt("node_items.output", drawn.as_deref())
            .unwrap_or(Value::Null);
        let candidates = drawn["candidates"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(|id| Candidate {
                        asset_id: id.to_string(),
                        image_url: format!("/api/v1/assets/{id}/download"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let shot = c
            .query_row(
                "SELECT h.id, h.description, h.dialogue, h.keyframe_asset_id, h.status, s.number,
                        (SELECT COUNT(*) + 1 FROM shots o WHERE o.version_id = h.version_id
                           AND o.deleted_at IS NULL AND o.order_key < h.order_key)
                 FROM shots h JOIN scenes s ON s.id = h.scene_id WHERE h.id = ?1",
                [&key],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, ShotStatus>(4)?,
                        r.get::<_, u32>(5)?,
                        r.get::<_, u32>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((
            shot_id,
            description,
            dialogue,
            asset_id,
            shot_status,
            scene_number,
            shot_number,
        )) = shot
        else {
            continue;
        };
        let last = c
            .query_row(
                "SELECT decision, comment, user_id, created_at, asset_id FROM review_decisions
                 WHERE node_run_id = ?1 AND item_key = ?2 ORDER BY created_at DESC, rowid DESC LIMIT 1",
                params![node_run_id, key],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?)),
            )
            .optional()?;
        let mut decision = last
            .as_ref()
            .and_then(|l| serde_json::from_value::<Decision>(Value::String(l.0.clone())).ok());
        // A rejection belongs to the frame it was taken on: once the shot shows another frame (the
        // redraw), the rejection is history and the new frame waits for a decision.
        let rejection = c
            .query_row(
                "SELECT asset_id, comment, created_at FROM review_decisions
                 WHERE node_run_id = ?1 AND item_key = ?2 AND decision = 'reject'
                 ORDER BY created_at DESC, rowid DESC LIMIT 1",
                params![node_run_id, key],
                |r| {
                    Ok(Rejection {
                        asset_id: r.get(0)?,
                        comment: r
                            .get::<_, String>(1)
                            .map(|c| (!c.is_empty()).then_some(c))?,
                        decided_at: r.get(2)?,
                    })
                },
            )
            .optional()?
            .filter(|r| r.asset_id != asset_id);
        if decision == Some(Decision::Reject) && rejection.is_some() {
            decision = None;
        }
        let last = last.filter(|_| decision.is_some());
        items.push(ReviewItem {
            item_key: key,
            image_url: asset_id
                .as_ref()
                .map(|a| format!("/api/v1/assets/{a}/download")),
            shot_id,
            shot_number,
            scene_number,
            description,
            dialogue: crate::db::json_column("shots.dialogue", &dialogue, Vec::new()),
            asset_id,
            decision: decision.filter(|d| *d != Decision::Unlock),
            comment: last.as_ref().map(|l| l.1.clone()).filter(|c| !c.is_empty()),
            decided_by: last.as_ref().map(|l| l.2.clone()),
            decided_at: last.as_ref().map(|l| l.3.clone()),
            locked: shot_status.is_locked(),
            candidates,
            redrawn_after: rejection,
            redraw: None,
        });
    }
    let count = |d: Decision| items.iter().filter(|i| i.decision == Some(d)).count() as u32;
    let approved = count(Decision::Approve) + count(Decision::Replace) + count(Decision::Select);
    let rejected = count(Decision::Reject);
    Ok(ReviewQueue {
        node_run_id: node_run_id.to_string(),
        run_id: run_id.to_string(),
        status,
        undecided: items.len() as u32 - approved - rejected,
        unresolved: items.iter().filter(|i| i.unresolved()).count() as u32,
        items,
        approved,
        rejected,
    })
}

/// Adds this process's redraws (running or failed) to a queue read from the database.
fn with_redraws(state: &AppState, mut q: ReviewQueue) -> ReviewQueue {
    for item in &mut q.items {
        item.redraw = state
            .runs
            .redraw_of(&q.node_run_id, &item.item_key)
            .map(|error| Redraw {
                status: if error.is_some() {
                    RedrawStatus::Failed
                } else {
                    RedrawStatus::Running
                },
                error,
            });
    }
    q
}

#[tracing::instrument(skip(state))]
pub async fn review_assets(
    state: &AppState,
    owner_id: &str,
    node_run_id: &str,
) -> Result<ReviewQueue, RunError> {
    let (o, n) = (owner_id.to_string(), node_run_id.to_string());
    let q = state
        .db
        .read(move |c| {
            let (run, status) = load_node(c, &o, &n)?;
            queue(c, &n, &run.id, status)
        })
        .await?;
    Ok(with_redraws(state, q))
}

/// One decision about one item, as it is recorded.
struct Entry<'a> {
    id: &'a str,
    node_run_id: &'a str,
    key: &'a str,
    asset_id: Option<&'a str>,
    decision: Decision,
    comment: &'a str,
    user_id: &'a str,
    now: &'a str,
}

fn record(tx: &crate::db::sql::Connection, e: Entry<'_>) -> Result<(), RunError> {
    let Entry {
        id,
        node_run_id,
        key,
        asset_id,
        decision,
        comment,
        user_id,
        now,
    } = e;
    tx.execute(
        "INSERT INTO review_decisions (id, node_run_id, item_key, asset_id, decision, comment, user_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, node_run_id, key, asset_id, decision.as_str(), comment, user_id, now],
    )?;
    let shot_status = match decision {
        Decision::Approve | Decision::Replace | Decision::Select => ShotStatus::Approved,
        Decision::Reject => ShotStatus::Rejected,
        Decision::Unlock => ShotStatus::Completed,
    };
    let (set, guard) = ShotStatus::transition_sql(shot_status);
    tx.execute(
        &format!("UPDATE shots SET {set}, updated_at = ?1 WHERE id = ?2 AND {guard}"),
        params![now, key],
    )?;
    Ok(())
}

/// Records one decision (append-only) and returns the updated queue.
#[tracing::instrument(skip(state, input))]
pub async fn decide(
    state: &AppState,
    owner_id: &str,
    // The person deciding (recorded as the decision's author; the owner is the workspace).
    decided_by: &str,
    node_run_id: &str,
    input: DecisionInput,
) -> Result<ReviewQueue, RunError> {
    if input.decision == Decision::Replace {
        return Err(invalid(
            "decision",
            "upload the replacement to …/review/upload instead",
        ));
    }
    if input.comment.chars().count() > 2_000 {
        return Err(invalid(
            "comment",
            "comment must be at most 2000 characters",
        ));
    }
    let now = rfc3339(state.clock.now());
    let id = state.ids.new_id().to_string();
    let (o, n) = (owner_id.to_string(), node_run_id.to_string());
    let by = decided_by.to_string();
    let hub = state.runs.clone();
    let redrawing = move |node: &str, shot: &str| hub.redraw_of(node, shot);
    let rejects = input.decision == Decision::Reject;
    let q = state
        .db
        .write(move |tx| {
            let (run, status) = load_node(tx, &o, &n)?;
            if status != NodeRunStatus::Waiting && input.decision != Decision::Unlock {
                return Err(RunError::Conflict(format!(
                    "this review is {status}; decisions are taken while it is waiting"
                )));
            }
            let key = match (&input.item_key, &input.asset_id) {
                (Some(k), _) => k.clone(),
                (None, Some(a)) => tx
                    .query_row(
                        "SELECT i.item_key FROM node_items i JOIN shots h ON h.id = i.item_key
                         WHERE i.node_run_id = ?1 AND h.keyframe_asset_id = ?2",
                        params![n, a],
                        |r| r.get(0),
                    )
                    .optional()?
                    .ok_or_else(|| {
                        invalid("asset_id", format!("asset '{a}' is not under review here"))
                    })?,
                (None, None) => {
                    return Err(invalid(
                        "item_key",
                        "give item_key (the shot id) or asset_id",
                    ))
                }
            };
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM node_items WHERE node_run_id = ?1 AND item_key = ?2)",
                params![n, key],
                |r| r.get(0),
            )?;
            if !known {
                return Err(invalid(
                    "item_key",
                    format!("'{key}' is not under review here"),
                ));
            }
            let (asset, shot_status): (Option<String>, ShotStatus) = tx.query_row(
                "SELECT keyframe_asset_id, status FROM shots WHERE id = ?1",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if !shot_status.can_become(ShotStatus::Rejected) && input.decision == Decision::Reject {
                return Err(RunError::Conflict(
                    "this keyframe is approved and locked: unlock it before rejecting it".into(),
                ));
            }
            if input.decision == Decision::Reject && matches!(redrawing(&n, &key), Some(None)) {
                return Err(RunError::Conflict(
                    "this shot is being redrawn after its rejection: decide on its new frame"
                        .into(),
                ));
            }
            record(
                tx,
                Entry {
                    id: &id,
                    node_run_id: &n,
                    key: &key,
                    asset_id: asset.as_deref(),
                    decision: input.decision,
                    comment: input.comment.trim(),
                    user_id: &by,
                    now: &now,
                },
            )?;
            let q = queue(tx, &n, &run.id, status)?;
            record_progress(tx, &q, &now)?;
            Ok((q, key))
        })
        .await?;
    let (q, key) = q;
    if rejects {
        spawn_redraw(state, &q.run_id, node_run_id, &key);
    }
    emit(
        state,
        &q.run_id,
        Some("review"),
        NodeRunStatus::Waiting,
        format!(
            "{} approved, {} rejected, {} waiting for a decision",
            q.approved, q.rejected, q.undecided
        ),
        Some((q.approved, q.items.len() as u32)),
    );
    Ok(with_redraws(state, q))
}

/// The review node's progress is its approved frames, so the run graph follows the decisions.
fn record_progress(
    tx: &crate::db::sql::Connection,
    q: &ReviewQueue,
    now: &str,
) -> Result<(), RunError> {
    tx.execute(
        "UPDATE node_runs SET items_total = ?1, items_done = ?2, updated_at = ?3 WHERE id = ?4",
        params![q.items.len() as u32, q.approved, now, q.node_run_id],
    )?;
    Ok(())
}

/// Redraws a rejected shot in the background with the reviewer's comments as feedback; its new
/// frame comes back to the queue undecided. Progress and failure arrive as run events.
fn spawn_redraw(state: &AppState, run_id: &str, node_run_id: &str, shot_id: &str) {
    if !state.runs.begin_redraw(node_run_id, shot_id) {
        return;
    }
    let (state, run_id, node_run_id, shot_id) = (
        state.clone(),
        run_id.to_string(),
        node_run_id.to_string(),
        shot_id.to_string(),
    );
    let span = tracing::info_span!("redraw_rejected", %run_id, %node_run_id, %shot_id);
    tokio::spawn(
        async move {
            let outcome = redraw_rejected(&state, &run_id, &node_run_id, &shot_id).await;
            let message = match &outcome {
                Ok(number) => format!("shot {number} redrawn: its new frame waits for a decision"),
                Err(e) => {
                    tracing::warn!(error = %e, "redrawing a rejected shot failed");
                    format!("redrawing a rejected shot failed: {e}")
                }
            };
            state
                .runs
                .end_redraw(&node_run_id, &shot_id, outcome.err().map(|e| e.to_string()));
            emit(
                &state,
                &run_id,
                Some("review"),
                NodeRunStatus::Waiting,
                message,
                None,
            );
        }
        .instrument(span),
    );
}

/// Draws a new frame for a rejected shot; every comment it was rejected with in this review is
/// the feedback (oldest first), so a second rejection refines the first. Returns the shot number.
async fn redraw_rejected(
    state: &AppState,
    run_id: &str,
    node_run_id: &str,
    shot_id: &str,
) -> Result<u32, RunError> {
    let (rid, n, k) = (
        run_id.to_string(),
        node_run_id.to_string(),
        shot_id.to_string(),
    );
    let (run, comments) = state
        .db
        .read(move |c| {
            let run = load_run(c, None, &rid)?;
            let mut stmt = c.prepare(
                "SELECT comment FROM review_decisions
                 WHERE node_run_id = ?1 AND item_key = ?2 AND decision = 'reject' AND comment != ''
                 ORDER BY created_at, rowid",
            )?;
            let comments = stmt
                .query_map(params![n, k], |r| r.get::<_, String>(0))?
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            Ok::<_, RunError>((run, comments))
        })
        .await?;
    let jobs = nodes::frame_jobs(state, &run, "review")
        .await
        .map_err(|e| RunError::Conflict(e.message))?;
    let job = jobs
        .into_iter()
        .find(|j| j.shot.id == shot_id)
        .ok_or_else(|| {
            invalid(
                "item_key",
                format!("shot '{shot_id}' is no longer in the storyboard"),
            )
        })?;
    let number = job.shot.number;
    // "Redraw again" after a failure repeats the last comment: each note counts once.
    let mut seen = std::collections::HashSet::new();
    let comments: Vec<String> = comments
        .into_iter()
        .filter(|c| seen.insert(c.clone()))
        .collect();
    let feedback = if comments.is_empty() {
        "rejected".to_string()
    } else {
        comments.join("; ")
    };
    let done = nodes::render_keyframe(
        state,
        FrameJob {
            feedback: Some(feedback),
            ..job
        },
        &CancellationToken::new(),
    )
    .await
    .map_err(|e| RunError::Conflict(format!("redrawing shot {number}: {}", e.message)))?;
    nodes::settle_now(state, &done.charges).await;
    Ok(number)
}

/// A reviewer's own image replaces the keyframe (and counts as approved).
#[tracing::instrument(skip(state, blob))]
pub async fn upload_replacement(
    state: &AppState,
    owner_id: &str,
    // The person deciding (recorded as the decision's author; the owner is the workspace).
    decided_by: &str,
    node_run_id: &str,
    item_key: &str,
    filename: &str,
    blob: BlobRef,
) -> Result<ReviewQueue, RunError> {
    let path = state
        .blobs
        .path_of(&blob.sha256)
        .map_err(|e| RunError::Db(DbError::Task(e.to_string())))?;
    let info = tokio::task::spawn_blocking(move || crate::media::probe_and_thumbnail(&path))
        .await
        .map_err(|e| RunError::Db(DbError::Task(e.to_string())))?
        .map_err(|e| invalid("file", e.to_string()))?;
    let thumb = state
        .blobs
        .put_bytes(&info.thumbnail_png)
        .map_err(|e| RunError::Db(DbError::Task(e.to_string())))?;
    let now = rfc3339(state.clock.now());
    let (asset_id, decision_id) = (
        state.ids.new_id().to_string(),
        state.ids.new_id().to_string(),
    );
    let by = decided_by.to_string();
    let (o, n, k, f) = (
        owner_id.to_string(),
        node_run_id.to_string(),
        item_key.to_string(),
        filename.to_string(),
    );
    let q = state
        .db
        .write(move |tx| {
            let (run, status) = load_node(tx, &o, &n)?;
            if status != NodeRunStatus::Waiting {
                return Err(RunError::Conflict(format!("this review is {status}")));
            }
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM node_items WHERE node_run_id = ?1 AND item_key = ?2)",
                params![n, k],
                |r| r.get(0),
            )?;
            if !known {
                return Err(invalid("item_key", format!("'{k}' is not under review here")));
            }
            let new = NewAsset {
                owner_id: o.clone(),
                project_id: Some(run.project_id.clone()),
                version_id: Some(run.version_id.clone()),
                kind: AssetType::KeyframeImage,
                filename: f,
                mime_type: info.mime.to_string(),
                blob,
                width: Some(info.width),
                height: Some(info.height),
                thumbnail_sha256: Some(thumb.sha256.clone()),
                metadata: json!({"provider": "upload", "uploaded_by": o, "shot_id": k, "run_id": run.id,
                                 "cost_credits": 0}),
            };
            assets::insert_in_tx(tx, &asset_id, &now, &new)?;
            tx.execute(
                "UPDATE shots SET keyframe_asset_id = ?1 WHERE id = ?2",
                params![asset_id, k],
            )?;
            record(
                tx,
                Entry {
                    id: &decision_id,
                    node_run_id: &n,
                    key: &k,
                    asset_id: Some(&asset_id),
                    decision: Decision::Replace,
                    comment: "",
                    user_id: &by,
                    now: &now,
                },
            )?;
            queue(tx, &n, &run.id, status)
        })
        .await?;
    Ok(with_redraws(state, q))
}

/// Human select (k of n candidates): for each shot, the chosen candidate becomes its keyframe
/// (approved).
#[tracing::instrument(skip(state, input))]
pub async fn human_select(
    state: &AppState,
    owner_id: &str,
    // The person deciding (recorded as the decision's author; the owner is the workspace).
    decided_by: &str,
    run_id: &str,
    input: HumanSelect,
) -> Result<ReviewQueue, RunError> {
    let now = rfc3339(state.clock.now());
    let (o, r, ids) = (owner_id.to_string(), run_id.to_string(), state.ids.clone());
    let by = decided_by.to_string();
    state
        .db
        .write(move |tx| {
            let (run, status) = load_node(tx, &o, &input.node_run_id)?;
            if run.id != r {
                return Err(invalid("node_run_id", "the node run belongs to another run"));
            }
            if status != NodeRunStatus::Waiting {
                return Err(RunError::Conflict(format!("this review is {status}")));
            }
            // k of n: every chosen candidate is recorded; the first becomes the shot's keyframe.
            for (key, chosen) in &input.selections {
                if chosen.is_empty() {
                    return Err(invalid("selections", format!("no asset chosen for '{key}'")));
                }
                for (i, asset) in chosen.iter().enumerate() {
                    // A candidate is a keyframe drawn (or uploaded) for this very shot.
                    let ok: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM assets a
                           JOIN node_items i ON i.item_key = ?2 AND i.node_run_id = ?3
                           WHERE a.id = ?1 AND a.owner_id = ?4 AND a.type = 'keyframe_image'
                             AND a.status = 'active' AND json_extract(a.metadata, '$.shot_id') = ?2)",
                        params![asset, key, input.node_run_id, o],
                        |r| r.get(0),
                    )?;
                    if !ok {
                        return Err(invalid(
                            "selections",
                            format!("'{asset}' is not a candidate for '{key}'"),
                        ));
                    }
                    if i == 0 {
                        tx.execute(
                            "UPDATE shots SET keyframe_asset_id = ?1 WHERE id = ?2",
                            params![asset, key],
                        )?;
                    }
                    record(
                        tx,
                        Entry {
                            id: &ids.new_id().to_string(),
                            node_run_id: &input.node_run_id,
                            key,
                            asset_id: Some(asset),
                            decision: Decision::Select,
                            comment: "",
                            user_id: &by,
                            now: &now,
                        },
                    )?;
                }
            }
            queue(tx, &input.node_run_id, &run.id, status)
        })
        .await
        .map(|q| with_redraws(state, q))
}

/// Ends the review and lets the run go on. Refused while a rejection has no approved replacement
/// (or a redraw is still running), unless `keep_unresolved` says to keep those shots' current frames.
#[tracing::instrument(skip(state))]
pub async fn continue_run(
    state: &AppState,
    owner_id: &str,
    // The person deciding (recorded as the decision's author; the owner is the workspace).
    decided_by: &str,
    node_run_id: &str,
    input: ContinueInput,
) -> Result<Run, RunError> {
    let q = review_assets(state, owner_id, node_run_id).await?;
    if q.status != NodeRunStatus::Waiting {
        return Err(RunError::Conflict(format!("this review is {}", q.status)));
    }
    let shots = |pick: &dyn Fn(&ReviewItem) -> bool| {
        q.items
            .iter()
            .filter(|i| pick(i))
            .map(|i| i.shot_number.to_string())
            .collect::<Vec<_>>()
    };
    let redrawing = shots(&|i| matches!(&i.redraw, Some(r) if r.status == RedrawStatus::Running));
    if !redrawing.is_empty() {
        return Err(RunError::Conflict(format!(
            "shot {} is still being redrawn after its rejection: decide on the new frame first",
            redrawing.join(", ")
        )));
    }
    let unresolved = shots(&|i| i.unresolved());
    if !unresolved.is_empty() && !input.keep_unresolved {
        return Err(RunError::Conflict(format!(
            "shot {} was rejected and has no approved replacement yet: approve or reject the new \
             frame, or continue with keep_unresolved to keep the current frame",
            unresolved.join(", ")
        )));
    }
    let now = rfc3339(state.clock.now());
    let (o, n, ids) = (
        owner_id.to_string(),
        node_run_id.to_string(),
        state.ids.clone(),
    );
    let by = decided_by.to_string();
    let q = state
        .db
        .write(move |tx| {
            let (run, status) = load_node(tx, &o, &n)?;
            if status != NodeRunStatus::Waiting {
                return Err(RunError::Conflict(format!("this review is {status}")));
            }
            // Re-read inside the transaction: a decision may have landed since the check above.
            let q = queue(tx, &n, &run.id, status)?;
            for item in q.items.iter().filter(|i| i.unresolved()) {
                if !input.keep_unresolved {
                    return Err(RunError::Conflict(format!(
                        "shot {} has no approved replacement yet",
                        item.shot_number
                    )));
                }
                record(
                    tx,
                    Entry {
                        id: &ids.new_id().to_string(),
                        node_run_id: &n,
                        key: &item.item_key,
                        asset_id: item.asset_id.as_deref(),
                        decision: Decision::Approve,
                        comment: "kept without an approved replacement when the review continued",
                        user_id: &by,
                        now: &now,
                    },
                )?;
            }
            let q = queue(tx, &n, &run.id, NodeRunStatus::Completed)?;
            let images: Vec<Value> = q
                .items
                .iter()
                .map(|i| {
                    json!({"shot_id": i.shot_id, "asset_id": i.asset_id, "decision": i.decision,
                           "regenerated": i.redrawn_after.is_some()})
                })
                .collect();
            let redrawn = q.items.iter().filter(|i| i.redrawn_after.is_some()).count();
            let summary = format!(
                "{} approved, {redrawn} redrawn after rejection\n",
                q.approved
            );
            let (set, guard) = edge_sql(NodeRunStatus::Waiting, NodeRunStatus::Completed);
            tx.execute(
                &format!(
                    "UPDATE node_runs SET {set}, output = ?1, log = log || ?2, items_total = ?3,
                            items_done = ?3, finished_at = ?4, updated_at = ?4
                     WHERE id = ?5 AND {guard}"
                ),
                params![
                    json!({"images": images}).to_string(),
                    summary,
                    q.items.len() as u32,
                    now,
                    n
                ],
            )?;
            let (set, guard) = edge_sql(RunStatus::WaitingReview, RunStatus::Running);
            tx.execute(
                &format!(
                    "UPDATE workflow_runs SET {set}, updated_at = ?1 WHERE id = ?2 AND {guard}"
                ),
                params![now, run.id],
            )?;
            Ok(q)
        })
        .await?;
    runs::spawn_driver(state, &q.run_id);
    runs::get(state, owner_id, &q.run_id).await
}

/// Redraws one shot's keyframe (with optional feedback), unless it is approved (locked).
#[tracing::instrument(skip(state))]
pub async fn regenerate_shot(
    state: &AppState,
    owner_id: &str,
    run_id: &str,
    shot_id: &str,
    feedback: Option<String>,
) -> Result<Value, RunError> {
    let run = runs::get(state, owner_id, run_id).await?;
    let row = state
        .db
        .read({
            let id = run.id.clone();
            move |c| load_run(c, None, &id)
        })
        .await?;
    let jobs = nodes::frame_jobs(state, &row, "keyframes")
        .await
        .map_err(|e| RunError::Conflict(e.message))?;
    let job = jobs
        .into_iter()
        .find(|j| j.shot.id == shot_id)
        .ok_or_else(|| {
            invalid(
                "shot_id",
                format!("shot '{shot_id}' is not in this run's version"),
            )
        })?;
    if job.shot.status.is_locked() {
        return Err(RunError::Conflict(
            "the shot's keyframe is approved and locked: unlock it in the review first".into(),
        ));
    }
    let done = nodes::render_keyframe(
        state,
        FrameJob { feedback, ..job },
        &CancellationToken::new(),
    )
    .await
    .map_err(|e| RunError::Conflict(e.message))?;
    nodes::settle_now(state, &done.charges).await;
    Ok(done.output)
}
