//! What each node kind does, on the built-in offline providers (README, "AI providers and models"):
//! the parser, the animatic frame renderer, espeak-ng (or timed silence), subtitles from the
//! storyboard's timing, and a composition timeline. Fan-out nodes commit each item as it finishes,
//! so a crash never redoes one.
use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    pin::Pin,
    sync::Arc,
    time::Duration,
};

use crate::db::sql::{params, OptionalExtension};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::{
    ai::{self, CallHold},
    graph::NodeSpec,
    runs::{emit, sha256_hex, RunRow},
    status::{ItemStatus, NodeRunStatus, RunStatus},
};
use crate::{
    assets::{self, AssetType, NewAsset},
    clock::rfc3339,
    db::DbError,
    providers::{voices, CallContext, EspeakTts, TtsProvider, TtsRequest},
    registry::{ModelKind, Resolved},
    render::{self, Fonts, FrameCharacter, FrameSpec},
    states::Status,
    storyboard::{self, Scene, Shot, ShotStatus},
    versions::{self, ParseRequest},
    AppState,
};

pub(crate) struct NodeCtx {
    pub state: AppState,
    pub run: RunRow,
    pub node: NodeSpec,
    pub node_run_id: String,
    pub inputs: BTreeMap<String, Value>,
    pub cancel: CancellationToken,
    /// What the node itself holds (the single-call LLM node settles its usage against it).
    pub hold_estimate: i64,
}

pub(crate) enum Outcome {
    Done {
        output: Value,
        cost_credits: i64,
        log: String,
    },
    /// A human gate: the run waits.
    Wait { message: String },
    /// Paused or cancelled part-way; the finished items are kept.
    Interrupted,
}

#[derive(Debug, Clone)]
pub struct NodeError {
    pub message: String,
    pub retryable: bool,
}

impl NodeError {
    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
        }
    }
    pub(crate) fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
        }
    }
}

impl From<DbError> for NodeError {
    fn from(e: DbError) -> Self {
        Self::transient(e.to_string())
    }
}

impl From<crate::db::sql::Error> for NodeError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::transient(e.to_string())
    }
}

fn done(output: Value, log: impl Into<String>) -> Outcome {
    Outcome::Done {
        output,
        cost_credits: 0,
        log: log.into(),
    }
}

pub(crate) async fn run_node(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    match ctx.node.kind.as_str() {
        "script.parse" => script_parse(ctx).await,
        "characters.extract" => characters(ctx).await,
        "character.design" => design(ctx).await,
        "storyboard.plan" => storyboard_plan(ctx).await,
        "keyframe.render" => keyframes(ctx).await,
        "review" => review_gate(ctx).await,
        "voice.tts" => voice(ctx).await,
        "clip.animate" => clips(ctx).await,
        "subtitle.build" => subtitles(ctx).await,
        "video.compose" => compose(ctx).await,
        "llm.prompt" => ai::llm_prompt(ctx, ctx.hold_estimate).await,
        other => Err(NodeError::fatal(format!(
            "no runner for node kind '{other}'"
        ))),
    }
}

async fn script_parse(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let r = &ctx.run;
    let result = versions::parse_version(
        &ctx.state,
        &r.owner_id,
        &r.project_id,
        &r.version_id,
        ParseRequest::default(),
    )
    .await
    .map_err(|e| NodeError::fatal(e.to_string()))?;
    if result.shot_count == 0 {
        return Err(NodeError::fatal(
            "the version's script has no shots: write or upload a script first",
        ));
    }
    Ok(done(
        json!({"breakdown": {"scene_count": result.scene_count, "shot_count": result.shot_count,
                             "total_duration": result.total_duration}}),
        format!(
            "parsed {} scenes, {} shots\n",
            result.scene_count, result.shot_count
        ),
    ))
}

async fn characters(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let project_id = ctx.run.project_id.clone();
    let list: Vec<Value> = ctx
        .state
        .db
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, voice, status FROM characters WHERE project_id = ?1 AND deleted_at IS NULL
                 ORDER BY created_at, id",
            )?;
            let rows = stmt.query_map([&project_id], |r| {
                Ok(json!({"id": r.get::<_, String>(0)?, "name": r.get::<_, String>(1)?,
                          "voice": r.get::<_, Option<String>>(2)?, "status": r.get::<_, String>(3)?}))
            })?;
            Ok::<_, DbError>(rows.collect::<crate::db::sql::Result<Vec<_>>>()?)
        })
        .await?;
    let n = list.len();
    Ok(done(
        json!({"characters": list}),
        format!("{n} characters\n"),
    ))
}

/// `character.design`: on an image model, a reference sheet for every character that has no
/// reference image yet (it becomes the character's main image, which keyframes then pass on);
/// on the built-in renderer, each character's figure comes from its id and nothing is drawn here.
async fn design(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let model = ai::resolve(&ctx.state, ModelKind::Image, &ctx.node).await?;
    if model.is_builtin() {
        return characters(ctx).await;
    }
    let project_id = ctx.run.project_id.clone();
    let todo: Vec<(String, Value)> = ctx
        .state
        .db
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, description FROM characters
                 WHERE project_id = ?1 AND deleted_at IS NULL AND image_asset_id IS NULL ORDER BY created_at, id",
            )?;
            let rows = stmt.query_map([&project_id], |r| {
                Ok((r.get::<_, String>(0)?,
                    json!({"name": r.get::<_, String>(1)?, "description": r.get::<_, Option<String>>(2)?})))
            })?;
            Ok::<_, DbError>(rows.collect::<crate::db::sql::Result<Vec<_>>>()?)
        })
        .await?;
    let model = Arc::new(model);
    let limit = model
        .target
        .as_ref()
        .map_or(1, |t| t.max_concurrency.max(1));
    let (state, run, nrid, cancel, m) = (
        ctx.state.clone(),
        ctx.run.clone(),
        ctx.node_run_id.clone(),
        ctx.cancel.clone(),
        model.clone(),
    );
    let work: ItemWork = Arc::new(move |key, data| {
        let (state, run, nrid, cancel, m) = (
            state.clone(),
            run.clone(),
            nrid.clone(),
            cancel.clone(),
            m.clone(),
        );
        Box::pin(async move {
            ai::design_character(&state, (&run).into(), &nrid, &m, &key, &data, cancel).await
        })
    });
    let designed = match fan_out(ctx, todo, limit, work).await? {
        Ok(list) => list.len(),
        Err(outcome) => return Ok(outcome),
    };
    match characters(ctx).await? {
        Outcome::Done { output, .. } => Ok(done(
            output,
            format!(
                "{designed} reference sheets drawn by {}\n",
                model.model.model_name
            ),
        )),
        other => Ok(other),
    }
}

async fn load_board(ctx: &NodeCtx) -> Result<storyboard::StoryboardView, NodeError> {
    storyboard::storyboard(
        &ctx.state,
        &ctx.run.owner_id,
        &ctx.run.project_id,
        Some(&ctx.run.version_id),
    )
    .await
    .map_err(|e| NodeError::fatal(e.to_string()))
}

/// A default framing for shots nobody framed: wide to open a scene, then by kind and cast size.
fn default_framing(index_in_scene: usize, shot: &Shot) -> (&'static str, &'static str) {
    match (index_in_scene, shot.kind, shot.characters.len()) {
        (0, _, _) => ("wide", "static"),
        (_, crate::script::ShotKind::Dialogue, 1) => ("close_up", "static"),
        (_, crate::script::ShotKind::Dialogue, _) => ("medium", "static"),
        (_, _, 0) => ("full", "pan"),
        _ => ("medium", "dolly_in"),
    }
}

async fn storyboard_plan(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let board = load_board(ctx).await?;
    let mut updates = Vec::new();
    for scene in &board.scenes {
        for (i, shot) in scene.shots.iter().enumerate() {
            let (t, m) = default_framing(i, shot);
            if shot.shot_type.is_none() || shot.camera_move.is_none() {
                updates.push((shot.id.clone(), t, m));
            }
        }
    }
    let planned = updates.len();
    let shots: usize = board.scenes.iter().map(|s| s.shots.len()).sum();
    ctx.state
        .db
        .write(move |tx| {
            for (id, t, m) in updates {
                tx.execute(
                    "UPDATE shots SET shot_type = COALESCE(shot_type, ?1), camera_move = COALESCE(camera_move, ?2)
                     WHERE id = ?3",
                    params![t, m, id],
                )?;
            }
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(done(
        // Only the state goes in the output (it feeds cache keys); what this run changed goes in the log.
        json!({"storyboard": {"shots": shots, "duration": board.total_duration}}),
        format!("{shots} shots, {planned} framed by default\n"),
    ))
}

/// One item's result: its output, whether it came from the cache, and the paid calls it made
/// (settled in the transaction that records the item as done).
pub(crate) struct ItemDone {
    pub output: Value,
    pub cached: bool,
    pub charges: Vec<(CallHold, i64)>,
}

impl ItemDone {
    fn free(output: Value, cached: bool) -> Self {
        Self {
            output,
            cached,
            charges: Vec::new(),
        }
    }
}

type ItemFuture = Pin<Box<dyn Future<Output = Result<ItemDone, NodeError>> + Send>>;
type ItemWork = Arc<dyn Fn(String, Value) -> ItemFuture + Send + Sync>;

async fn still_going(ctx: &NodeCtx) -> bool {
    if ctx.cancel.is_cancelled() {
        return false;
    }
    let id = ctx.run.id.clone();
    ctx.state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT status FROM workflow_runs WHERE id = ?1",
                [&id],
                |r| r.get::<_, RunStatus>(0),
            )
            .map_err(DbError::from)
        })
        .await
        .map(|s| s == RunStatus::Running)
        .unwrap_or(false)
}

/// Runs `work` for every item not yet done, at most `limit` at a time, committing each result.
/// Returns every item's output in item order.
async fn fan_out(
    ctx: &NodeCtx,
    items: Vec<(String, Value)>,
    limit: usize,
    work: ItemWork,
) -> Result<Result<Vec<Value>, Outcome>, NodeError> {
    let now = rfc3339(ctx.state.clock.now());
    let keys: Vec<String> = items.iter().map(|(k, _)| k.clone()).collect();
    let nrid = ctx.node_run_id.clone();
    let done_keys: BTreeMap<String, Value> = ctx
        .state
        .db
        .write(move |tx| {
            for k in &keys {
                tx.execute(
                    "INSERT INTO node_items (node_run_id, item_key, status, updated_at)
                     VALUES (?1, ?2, ?4, ?3) ON CONFLICT DO NOTHING",
                    params![nrid, k, now, ItemStatus::Pending],
                )?;
            }
            tx.execute(
                "UPDATE node_runs SET items_total = ?1,
                        items_done = (SELECT COUNT(*) FROM node_items WHERE node_run_id = ?2 AND status = ?3)
                 WHERE id = ?2",
                params![keys.len() as i64, nrid, ItemStatus::Completed],
            )?;
            let mut stmt = tx.prepare(
                "SELECT item_key, output FROM node_items WHERE node_run_id = ?1 AND status = ?2",
            )?;
            let rows = stmt.query_map(params![nrid, ItemStatus::Completed], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
            let mut out = BTreeMap::new();
            for row in rows {
                let (k, v) = row?;
                out.insert(k, crate::db::json_column_opt("node_items.output", v.as_deref()).unwrap_or(Value::Null));
            }
            Ok::<_, DbError>(out)
        })
        .await?;
    let total = items.len() as u32;
    let semaphore = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut interrupted = false;
    for (key, data) in items
        .iter()
        .filter(|(k, _)| !done_keys.contains_key(k))
        .cloned()
    {
        let permit = semaphore
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore open");
        if !still_going(ctx).await {
            interrupted = true;
            break;
        }
        let (state, nrid, work, node_id, run_id) = (
            ctx.state.clone(),
            ctx.node_run_id.clone(),
            work.clone(),
            ctx.node.id.clone(),
            ctx.run.id.clone(),
        );
        set.spawn(async move {
            let _permit = permit;
            let now = rfc3339(state.clock.now());
            let (n2, k2) = (nrid.clone(), key.clone());
            // Committed before the work starts: a crash shows it as interrupted, not lost.
            state
                .db
                .write(move |tx| {
                    let (set, guard) = ItemStatus::transition_sql(ItemStatus::Running);
                    tx.execute(
                        &format!(
                            "UPDATE node_items SET {set}, attempts = attempts + 1, updated_at = ?1
                             WHERE node_run_id = ?2 AND item_key = ?3 AND {guard}"
                        ),
                        params![now, n2, k2],
                    )
                    .map_err(DbError::from)
                })
                .await?;
            let result = work(key.clone(), data).await;
            let now = rfc3339(state.clock.now());
            let (n2, k2) = (nrid.clone(), key.clone());
            let (status, output, cached, error) = match &result {
                Ok(d) => (ItemStatus::Completed, Some(d.output.to_string()), d.cached, None),
                Err(e) => (ItemStatus::Failed, None, false, Some(e.message.clone())),
            };
            let charges = result.as_ref().map(|d| d.charges.clone()).unwrap_or_default();
            let state2 = state.clone();
            let done: u32 = state
                .db
                .write(move |tx| {
                    // Each paid call is charged with the item that used it: no crash separates them.
                    let mut charged = 0;
                    for (hold, actual) in &charges {
                        charged += ai::settle_call_in_tx(tx, &state2, &hold.hold_id, *actual, hold.estimate)?;
                    }
                    if charged > 0 {
                        tx.execute(
                            "UPDATE node_runs SET cost_credits = cost_credits + ?1 WHERE id = ?2",
                            params![charged, n2],
                        )?;
                    }
                    let (set, guard) = ItemStatus::transition_sql(status);
                    tx.execute(
                        &format!(
                            "UPDATE node_items SET {set}, output = ?1, cached = ?2, error = ?3, updated_at = ?4
                             WHERE node_run_id = ?5 AND item_key = ?6 AND {guard}"
                        ),
                        params![output, cached, error, now, n2, k2],
                    )?;
                    tx.execute(
                        "UPDATE node_runs SET items_done =
                           (SELECT COUNT(*) FROM node_items WHERE node_run_id = ?1 AND status = ?3),
                           updated_at = ?2
                         WHERE id = ?1",
                        params![n2, now, ItemStatus::Completed],
                    )?;
                    tx.query_row("SELECT items_done FROM node_runs WHERE id = ?1", [&n2], |r| r.get(0))
                        .map_err(DbError::from)
                })
                .await?;
            emit(
                &state,
                &run_id,
                Some(&node_id),
                NodeRunStatus::Running,
                format!("{node_id}: {done}/{total}"),
                Some((done, total)),
            );
            result.map(|d| (key, d.output))
        });
    }
    let mut outputs = done_keys;
    let mut first_error: Option<NodeError> = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok((k, v))) => {
                outputs.insert(k, v);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(NodeError::transient(format!("a task failed: {e}")));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if interrupted || !still_going(ctx).await {
        return Ok(Err(Outcome::Interrupted));
    }
    Ok(Ok(items
        .iter()
        .map(|(k, _)| outputs.get(k).cloned().unwrap_or(Value::Null))
        .collect()))
}

fn cpu_limit() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// Everything needed to render one shot's keyframe.
#[derive(Clone)]
pub(crate) struct FrameJob {
    pub owner_id: String,
    pub project_id: String,
    pub version_id: String,
    pub run_id: String,
    pub node_id: String,
    pub aspect_ratio: String,
    pub shot: Shot,
    pub scene: Scene,
    pub feedback: Option<String>,
    /// Draft quality: frames at this fraction of 1080p (the node's `scale`, 0.1–1).
    pub scale: f64,
    /// Frames to draw per shot for a reviewer to choose from (the node's `candidates`, 1–4).
    pub candidates: u32,
    /// The keyframe node's run (paid calls are charged to it).
    pub node_run_id: String,
    /// The image model, when it is not the built-in animatic renderer.
    pub image_model: Option<Arc<Resolved>>,
    pub style: Option<String>,
    /// Each character's look slot in the project (`characters::look_slots`): no two share a look.
    pub look_slots: Arc<HashMap<String, u32>>,
}

impl FrameJob {
    fn spec(&self) -> FrameSpec {
        let (width, height) = render::frame_size(&self.aspect_ratio);
        let scaled = |v: u32| ((v as f64 * self.scale).round() as u32).max(render::MIN_SIDE);
        let (width, height) = (scaled(width), scaled(height));
        let caption = self.shot.dialogue.first().map(|l| {
            let more = if self.shot.dialogue.len() > 1 {
                " …"
            } else {
                ""
            };
            format!("{}：{}{more}", l.character, l.text)
        });
        FrameSpec {
            width,
            height,
            shot_number: self.shot.number,
            scene_number: self.scene.number,
            location: self.scene.location.clone().or(self.scene.heading.clone()),
            time_of_day: self.scene.time_of_day.clone(),
            int_ext: self.scene.int_ext.clone(),
            shot_type: self.shot.shot_type.clone(),
            characters: self
                .shot
                .character_ids
                .iter()
                .zip(&self.shot.characters)
                .map(|(id, name)| {
                    FrameCharacter::new(id.clone(), name.clone(), self.look_slots.get(id).copied())
                })
                .collect(),
            caption,
            description: self.shot.description.clone(),
            seed: 0,
            feedback: self.feedback.clone(),
            overlays: true,
        }
    }
}

/// The renderer version is part of every keyframe's cache key and provenance.
pub(crate) const ANIMATIC_MODEL: &str = render::RENDERER_VERSION;

/// Renders (or takes from the cache) one shot's keyframe, stores it as a `keyframe_image` asset with
/// its provenance, and points the shot at it. An approved shot is locked and never re-rendered.
pub(crate) async fn render_keyframe(
    state: &AppState,
    job: FrameJob,
    cancel: &CancellationToken,
) -> Result<ItemDone, NodeError> {
    if job.shot.status.is_locked() {
        return Ok(ItemDone::free(
            json!({"shot_id": job.shot.id, "asset_id": job.shot.keyframe_asset_id, "locked": true}),
            true,
        ));
    }
    // Each candidate is its own cached frame (seed 0, 1, …); the first is the shot's keyframe until a
    // reviewer selects another.
    let mut candidates = Vec::new();
    let mut all_cached = true;
    let mut charges = Vec::new();
    let (prompt, references) = match &job.image_model {
        Some(_) => (
            ai::shot_prompt(&job, job.style.as_deref()),
            ai::character_references(state, &job.shot.character_ids).await,
        ),
        None => (String::new(), Vec::new()),
    };
    for seed in 0..job.candidates.max(1) {
        let (id, cached) = match &job.image_model {
            None => render_candidate(state, &job, seed as u64).await?,
            Some(model) => {
                let result = ai::remote_candidate(
                    state,
                    &job,
                    model,
                    seed as u64,
                    &prompt,
                    &references,
                    cancel,
                )
                .await;
                match result {
                    Ok((id, cached, charge)) => {
                        charges.extend(charge);
                        (id, cached)
                    }
                    Err(e) => {
                        // A shot that failed costs nothing: its finished candidates stay cached and
                        // come free when the shot is redone.
                        for (hold, _) in &charges {
                            ai::void_call(state, hold, &format!("the shot failed: {}", e.message))
                                .await;
                        }
                        return Err(e);
                    }
                }
            }
        };
        all_cached &= cached;
        candidates.push(id);
    }
    let asset_id = candidates[0].clone();
    let now = rfc3339(state.clock.now());
    let (aid, shot_id) = (asset_id.clone(), job.shot.id.clone());
    state
        .db
        .write(move |tx| {
            // A keyframe drawn meanwhile never replaces an approved (locked) one.
            let (set, guard) =
                ShotStatus::transition_sql_from(ShotStatus::Completed, |s| !s.is_locked());
            tx.execute(
                &format!(
                    "UPDATE shots SET keyframe_asset_id = ?1, {set}, updated_at = ?2
                     WHERE id = ?3 AND {guard}"
                ),
                params![aid, now, shot_id],
            )
            .map_err(DbError::from)
        })
        .await?;
    let model = job.image_model.as_ref().map(|m| m.model.model_name.clone());
    Ok(ItemDone {
        output: json!({"shot_id": job.shot.id, "asset_id": asset_id, "candidates": candidates,
                       "cached": all_cached, "model": model}),
        cached: all_cached,
        charges,
    })
}

/// Settles paid calls outside an item's transaction (a redraw from the review, or the candidates
/// made before a later one failed).
pub(crate) async fn settle_now(state: &AppState, charges: &[(CallHold, i64)]) {
    if charges.is_empty() {
        return;
    }
    let (state2, charges) = (state.clone(), charges.to_vec());
    if let Err(e) = state
        .db
        .write(move |tx| {
            for (hold, actual) in &charges {
                ai::settle_call_in_tx(tx, &state2, &hold.hold_id, *actual, hold.estimate)?;
            }
            Ok::<_, DbError>(())
        })
        .await
    {
        tracing::warn!(error = %e, "could not settle paid calls; reconciliation will report them");
    }
}

/// One frame of a shot (from the cache when the same spec was drawn before): its asset id.
async fn render_candidate(
    state: &AppState,
    job: &FrameJob,
    seed: u64,
) -> Result<(String, bool), NodeError> {
    let spec = FrameSpec { seed, ..job.spec() };
    let cache_key = sha256_hex(
        json!({"kind": "keyframe.render", "version": 1, "provider": "builtin.animatic",
               "model": ANIMATIC_MODEL, "spec": spec})
        .to_string()
        .as_bytes(),
    );
    let cached = ai::cached_asset(state, &cache_key).await?;
    let now = rfc3339(state.clock.now());
    let (asset_id, was_cached) = match cached {
        Some(id) => (id, true),
        None => {
            let blobs = state.blobs.clone();
            let spec2 = spec.clone();
            let font = state.config.font_path.clone();
            let blob = tokio::task::spawn_blocking(move || {
                let fonts =
                    Fonts::shared(font.as_deref()).map_err(|e| NodeError::fatal(e.to_string()))?;
                let png = render::render_png(&spec2, &fonts)
                    .map_err(|e| NodeError::fatal(e.to_string()))?;
                blobs
                    .put_bytes(&png)
                    .map_err(|e| NodeError::transient(e.to_string()))
            })
            .await
            .map_err(|e| NodeError::transient(e.to_string()))??;
            let asset_id = state.ids.new_id().to_string();
            let new = NewAsset {
                owner_id: job.owner_id.clone(),
                project_id: Some(job.project_id.clone()),
                version_id: Some(job.version_id.clone()),
                kind: AssetType::KeyframeImage,
                filename: match seed {
                    0 => format!("shot_{:03}.png", job.shot.number),
                    n => format!("shot_{:03}_{}.png", job.shot.number, n + 1),
                },
                mime_type: "image/png".into(),
                blob,
                width: Some(spec.width),
                height: Some(spec.height),
                thumbnail_sha256: None,
                metadata: json!({
                    "provider": "builtin.animatic", "model": ANIMATIC_MODEL, "seed": spec.seed,
                    "prompt": job.shot.description, "feedback": job.feedback, "cost_credits": 0,
                    "shot_id": job.shot.id, "run_id": job.run_id, "node_id": job.node_id,
                    "cache_key": cache_key,
                    // What the frame was drawn from: the export redraws it without the review's
                    // overlays (issue 14).
                    "spec": spec,
                }),
            };
            let (aid, key, now2) = (asset_id.clone(), cache_key.clone(), now.clone());
            state
                .db
                .write(move |tx| {
                    assets::insert_in_tx(tx, &aid, &now2, &new)?;
                    tx.execute(
                        "INSERT INTO node_cache (cache_key, output, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cache_key) DO UPDATE SET output = excluded.output, created_at = excluded.created_at",
                        params![key, json!({"asset_id": aid}).to_string(), now2],
                    )
                    .map_err(DbError::from)
                })
                .await?;
            (asset_id, false)
        }
    };
    Ok((asset_id, was_cached))
}

pub(crate) async fn frame_jobs(
    state: &AppState,
    run: &RunRow,
    node_id: &str,
) -> Result<Vec<FrameJob>, NodeError> {
    let board =
        storyboard::storyboard(state, &run.owner_id, &run.project_id, Some(&run.version_id))
            .await
            .map_err(|e| NodeError::fatal(e.to_string()))?;
    let project = crate::projects::get(state, &run.owner_id, &run.project_id)
        .await
        .map_err(|e| NodeError::fatal(e.to_string()))?;
    // The keyframe node's settings apply to redraws from the review too.
    let setting = |name: &str| {
        run.graph
            .nodes
            .iter()
            .find(|n| n.kind == "keyframe.render")
            .and_then(|n| n.config.get(name))
            .and_then(Value::as_f64)
    };
    let scale = setting("scale").unwrap_or(1.0).clamp(0.1, 1.0);
    let candidates = setting("candidates").unwrap_or(1.0).clamp(1.0, 4.0) as u32;
    let keyframe_node = run.graph.nodes.iter().find(|n| n.kind == "keyframe.render");
    let image_model = match keyframe_node {
        Some(node) => {
            let r = ai::resolve(state, ModelKind::Image, node).await?;
            (!r.is_builtin()).then(|| Arc::new(r))
        }
        None => None,
    };
    let node_run_id: String = match keyframe_node {
        Some(node) => {
            let (rid, nid) = (run.id.clone(), node.id.clone());
            state
                .db
                .read(move |c| {
                    c.query_row(
                        "SELECT id FROM node_runs WHERE run_id = ?1 AND node_id = ?2",
                        [&rid, &nid],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(DbError::from)
                })
                .await?
                .unwrap_or_default()
        }
        None => String::new(),
    };
    let look_slots = Arc::new(
        crate::characters::look_slots(state, &run.project_id)
            .await
            .map_err(|e| NodeError::transient(e.to_string()))?,
    );
    let mut jobs = Vec::new();
    for s in board.scenes {
        for shot in s.shots {
            jobs.push(FrameJob {
                owner_id: run.owner_id.clone(),
                project_id: run.project_id.clone(),
                version_id: run.version_id.clone(),
                run_id: run.id.clone(),
                node_id: node_id.to_string(),
                aspect_ratio: project.aspect_ratio.as_str().to_string(),
                shot,
                scene: s.scene.clone(),
                feedback: None,
                scale,
                candidates,
                node_run_id: node_run_id.clone(),
                image_model: image_model.clone(),
                style: project.style.clone(),
                look_slots: look_slots.clone(),
            });
        }
    }
    Ok(jobs)
}

async fn keyframes(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let jobs = frame_jobs(&ctx.state, &ctx.run, &ctx.node.id).await?;
    let by_key: BTreeMap<String, FrameJob> = jobs
        .iter()
        .map(|j| (j.shot.id.clone(), j.clone()))
        .collect();
    let items = jobs
        .iter()
        .map(|j| (j.shot.id.clone(), Value::Null))
        .collect();
    // Local rendering uses the cores; a remote model as many calls as its provider allows.
    let limit = jobs
        .first()
        .and_then(|j| j.image_model.as_ref())
        .and_then(|m| m.target.as_ref())
        .map_or_else(cpu_limit, |t| t.max_concurrency.max(1));
    let state = ctx.state.clone();
    let cancel = ctx.cancel.clone();
    let by_key = Arc::new(by_key);
    let work: ItemWork = Arc::new(move |key, _| {
        let (state, job, cancel) = (state.clone(), by_key.get(&key).cloned(), cancel.clone());
        Box::pin(async move {
            let job = job.ok_or_else(|| NodeError::fatal(format!("shot {key} vanished")))?;
            render_keyframe(&state, job, &cancel).await
        })
    });
    match fan_out(ctx, items, limit, work).await? {
        Ok(images) => {
            let cached = images.iter().filter(|v| v["cached"] == true).count();
            Ok(done(
                json!({"images": images}),
                format!("{} keyframes ({cached} from the cache)\n", images.len()),
            ))
        }
        Err(outcome) => Ok(outcome),
    }
}

/// The review gate: record what is to be reviewed and wait for a person.
async fn review_gate(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let images = ctx.inputs.get("images").cloned().unwrap_or(Value::Null);
    let list = images.as_array().cloned().unwrap_or_default();
    let now = rfc3339(ctx.state.clock.now());
    let nrid = ctx.node_run_id.clone();
    let n = list.len();
    ctx.state
        .db
        .write(move |tx| {
            for img in &list {
                let key = img["shot_id"].as_str().unwrap_or_default();
                tx.execute(
                    "INSERT INTO node_items (node_run_id, item_key, status, output, updated_at)
                     VALUES (?1, ?2, ?5, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![nrid, key, img.to_string(), now, ItemStatus::Pending],
                )?;
            }
            tx.execute(
                "UPDATE node_runs SET items_total = ?1 WHERE id = ?2",
                params![list.len() as i64, nrid],
            )
            .map_err(DbError::from)
        })
        .await?;
    Ok(Outcome::Wait {
        message: format!("waiting for review of {n} keyframes"),
    })
}

/// Each character's voice as the project has it *now*, by name. Read when the node runs rather than
/// taken from the `characters` node's output, which a retry reuses from the first attempt: a voice
/// fixed after a failed run is the one the retry speaks in.
async fn current_voices(ctx: &NodeCtx) -> Result<BTreeMap<String, String>, NodeError> {
    let project_id = ctx.run.project_id.clone();
    let voices = ctx
        .state
        .db
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT name, voice FROM characters
                 WHERE project_id = ?1 AND deleted_at IS NULL AND voice IS NOT NULL AND voice != ''",
            )?;
            let rows = stmt.query_map([&project_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            Ok::<_, DbError>(rows.collect::<crate::db::sql::Result<BTreeMap<_, _>>>()?)
        })
        .await?;
    Ok(voices)
}

async fn voice(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let model = ai::resolve(&ctx.state, ModelKind::Tts, &ctx.node).await?;
    let remote = (!model.is_builtin()).then(|| Arc::new(model));
    let board = load_board(ctx).await?;
    let voices = current_voices(ctx).await?;
    let mut items = Vec::new();
    for shot in board.scenes.iter().flat_map(|s| &s.shots) {
        for (i, line) in shot.dialogue.iter().enumerate() {
            items.push((
                format!("{}#{i}", shot.id),
                json!({"shot_id": shot.id, "line": i, "text": line.text, "character": line.character,
                       "voice": voices.get(&line.character)}),
            ));
        }
    }
    if let Some(model) = remote {
        return remote_voice(ctx, items, model).await;
    }
    let state = ctx.state.clone();
    let run = ctx.run.clone();
    let cancel = ctx.cancel.clone();
    let tts = Arc::new(EspeakTts::new(&ctx.state.config.espeak_path));
    // The installed espeak-ng version is part of the cache key: an upgrade redoes the audio.
    let engine = Arc::new(tts.version().await.unwrap_or_else(|| "none".into()));
    let work: ItemWork = Arc::new(move |key, data| {
        let (state, run, cancel, tts, engine) = (
            state.clone(),
            run.clone(),
            cancel.clone(),
            tts.clone(),
            engine.clone(),
        );
        Box::pin(async move {
            speak_line(&state, &run, &tts, &engine, cancel, key, data)
                .await
                .map(|(output, cached)| ItemDone::free(output, cached))
        })
    });
    match fan_out(ctx, items, cpu_limit(), work).await? {
        Ok(audio) => {
            let notes: Vec<&str> = audio.iter().filter_map(|a| a["note"].as_str()).collect();
            let mut log = match notes.first() {
                Some(note) => format!("{} lines; {note}\n", audio.len()),
                None => format!("{} lines spoken by espeak-ng\n", audio.len()),
            };
            // How each described voice was read, once.
            let mut mapped: Vec<&str> = audio
                .iter()
                .filter_map(|a| a["voice_note"].as_str())
                .collect();
            mapped.sort_unstable();
            mapped.dedup();
            for note in mapped {
                log.push_str(note);
                log.push('\n');
            }
            Ok(done(json!({"audio": audio}), log))
        }
        Err(outcome) => Ok(outcome),
    }
}

/// Dialogue through a remote speech model: one paid call per line, as many at once as the
/// provider allows.
async fn remote_voice(
    ctx: &NodeCtx,
    items: Vec<(String, Value)>,
    model: Arc<Resolved>,
) -> Result<Outcome, NodeError> {
    let limit = model
        .target
        .as_ref()
        .map_or(1, |t| t.max_concurrency.max(1));
    let (state, run, cancel, nrid) = (
        ctx.state.clone(),
        ctx.run.clone(),
        ctx.cancel.clone(),
        ctx.node_run_id.clone(),
    );
    let m = model.clone();
    let work: ItemWork = Arc::new(move |key, data| {
        let (state, run, cancel, nrid, m) = (
            state.clone(),
            run.clone(),
            cancel.clone(),
            nrid.clone(),
            m.clone(),
        );
        Box::pin(async move {
            let text = data["text"].as_str().unwrap_or_default().to_string();
            let voice = data["voice"].as_str().map(str::to_string);
            let line = ai::Line {
                key: &key,
                text: &text,
                voice,
                language: voices::language_of(&text),
            };
            let (mut out, charge) =
                ai::remote_speech(&state, &run, &nrid, &m, line, cancel).await?;
            out["shot_id"] = data["shot_id"].clone();
            out["line"] = data["line"].clone();
            let cached = charge.is_none();
            Ok(ItemDone {
                output: out,
                cached,
                charges: charge.into_iter().collect(),
            })
        })
    });
    match fan_out(ctx, items, limit, work).await? {
        Ok(audio) => Ok(done(
            json!({"audio": audio}),
            format!(
                "{} lines spoken by {}\n",
                audio.len(),
                model.model.model_name
            ),
        )),
        Err(outcome) => Ok(outcome),
    }
}

async fn speak_line(
    state: &AppState,
    run: &RunRow,
    tts: &EspeakTts,
    engine: &str,
    cancel: CancellationToken,
    key: String,
    data: Value,
) -> Result<(Value, bool), NodeError> {
    let text = data["text"].as_str().unwrap_or_default().to_string();
    let voice = data["voice"].as_str().map(str::to_string);
    let language = voices::language_of(&text).to_string();
    let req = TtsRequest {
        text: text.clone(),
        voice: voice.clone(),
        language: language.clone(),
        speed: 1.0,
    };
    // What espeak-ng is asked for: the voice name, or the one a description maps to.
    let choice = EspeakTts::choose(&req);
    let cache_key = sha256_hex(
        json!({"kind": "voice.tts", "version": 2, "provider": "builtin.espeak", "engine": engine,
               "text": text, "voice": choice.voice, "pitch": choice.pitch, "language": language})
        .to_string()
        .as_bytes(),
    );
    let ck = cache_key.clone();
    let cached: Option<String> = state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT n.output FROM node_cache n
                 JOIN assets a ON a.id = json_extract(n.output, '$.asset_id') AND a.status = 'active'
                 WHERE n.cache_key = ?1",
                [&ck],
                |r| r.get(0),
            )
            .optional()
            .map_err(DbError::from)
        })
        .await?;
    if let Some(out) = crate::db::json_column_opt::<Value>("node_cache.output", cached.as_deref()) {
        let mut out = out;
        out["shot_id"] = data["shot_id"].clone();
        out["line"] = data["line"].clone();
        out["cached"] = json!(true);
        out["voice_note"] = json!(choice.note);
        return Ok((out, true));
    }
    let call = CallContext::new(key.clone(), Duration::from_secs(60)).with_cancel(cancel);
    let audio = tts.speak(req, &call).await.map_err(|e| NodeError {
        message: e.to_string(),
        retryable: e.retryable(),
    })?;
    let blob = state
        .blobs
        .put_bytes(&audio.wav)
        .map_err(|e| NodeError::transient(e.to_string()))?;
    let asset_id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let out = json!({"asset_id": asset_id, "duration_ms": audio.duration_ms, "note": audio.note});
    let new = NewAsset {
        owner_id: run.owner_id.clone(),
        project_id: Some(run.project_id.clone()),
        version_id: Some(run.version_id.clone()),
        kind: AssetType::Audio,
        filename: format!("line_{}.wav", key.replace('#', "_")),
        mime_type: "audio/wav".into(),
        blob,
        width: None,
        height: None,
        thumbnail_sha256: None,
        metadata: json!({"provider": "builtin.espeak", "voice": choice.voice, "pitch": choice.pitch,
                         "requested_voice": voice, "language": language,
                         "text": text, "duration_ms": audio.duration_ms, "note": audio.note,
                         "cost_credits": 0, "run_id": run.id, "cache_key": cache_key}),
    };
    let (aid, o2) = (asset_id.clone(), out.to_string());
    // A fallback (silence) is not what the cache key promises: never cache it.
    let cacheable = audio.note.is_none();
    state
        .db
        .write(move |tx| {
            assets::insert_in_tx(tx, &aid, &now, &new)?;
            if cacheable {
                tx.execute(
                    "INSERT INTO node_cache (cache_key, output, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cache_key) DO UPDATE SET output = excluded.output, created_at = excluded.created_at",
                    params![cache_key, o2, now],
                )?;
            }
            Ok::<_, DbError>(())
        })
        .await?;
    let mut out = out;
    out["shot_id"] = data["shot_id"].clone();
    out["line"] = data["line"].clone();
    out["cached"] = json!(false);
    out["voice_note"] = json!(choice.note);
    Ok((out, false))
}

async fn clips(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let model = ai::resolve(&ctx.state, ModelKind::Video, &ctx.node).await?;
    let images = ctx.inputs.get("images").cloned().unwrap_or(json!([]));
    if model.is_builtin() {
        return Ok(done(
            json!({"clips": images}),
            "no video provider: each shot is its still keyframe (the export pans and zooms it)\n",
        ));
    }
    // One image-to-video call per shot, from its reviewed keyframe, as many at once as the
    // provider allows; the still stays in the output so the export can fall back to it.
    let board = load_board(ctx).await?;
    let shots: BTreeMap<String, Shot> = board
        .scenes
        .into_iter()
        .flat_map(|s| s.shots)
        .map(|s| (s.id.clone(), s))
        .collect();
    let items: Vec<(String, Value)> = images
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|img| Some((img["shot_id"].as_str()?.to_string(), img)))
        .filter(|(id, _)| shots.contains_key(id))
        .collect();
    let model = Arc::new(model);
    let limit = model
        .target
        .as_ref()
        .map_or(1, |t| t.max_concurrency.max(1));
    let (state, run, nrid, cancel, m, shots) = (
        ctx.state.clone(),
        ctx.run.clone(),
        ctx.node_run_id.clone(),
        ctx.cancel.clone(),
        model.clone(),
        Arc::new(shots),
    );
    let work: ItemWork = Arc::new(move |key, image| {
        let (state, run, nrid, cancel, m, shot) = (
            state.clone(),
            run.clone(),
            nrid.clone(),
            cancel.clone(),
            m.clone(),
            shots.get(&key).cloned(),
        );
        Box::pin(async move {
            let shot = shot.ok_or_else(|| NodeError::fatal(format!("shot {key} vanished")))?;
            ai::animate_shot(&state, &run, &nrid, &m, &shot, &image, cancel).await
        })
    });
    match fan_out(ctx, items, limit, work).await? {
        Ok(clips) => Ok(done(
            json!({"clips": clips}),
            format!("{} clips from {}\n", clips.len(), model.model.model_name),
        )),
        Err(outcome) => Ok(outcome),
    }
}

/// SRT cues from the storyboard: each shot's dialogue lines share its time, in proportion to length.
/// Like a final export's subtitles, they carry the line only, not the speaker's name (issue 14).
pub(crate) fn build_srt(shots: &[Shot]) -> (String, usize) {
    let mut cues = Vec::new();
    let mut start = 0i64;
    for shot in shots {
        let dur = (shot.duration * 1000.0).round() as i64;
        let texts: Vec<&str> = shot.dialogue.iter().map(|l| l.text.as_str()).collect();
        let times = crate::export::plan::split_shot_time(start, dur, &texts);
        for (line, (from, to)) in shot.dialogue.iter().zip(times) {
            cues.push(crate::export::subtitles::Cue {
                start_ms: from,
                end_ms: to,
                text: line.text.clone(),
            });
        }
        start += dur;
    }
    (crate::export::subtitles::srt(&cues), cues.len())
}

async fn store_text_asset(
    ctx: &NodeCtx,
    kind: AssetType,
    filename: &str,
    mime: &str,
    text: String,
    metadata: Value,
) -> Result<String, NodeError> {
    let blob = ctx
        .state
        .blobs
        .put_bytes(text.as_bytes())
        .map_err(|e| NodeError::transient(e.to_string()))?;
    let asset_id = ctx.state.ids.new_id().to_string();
    let now = rfc3339(ctx.state.clock.now());
    let new = NewAsset {
        owner_id: ctx.run.owner_id.clone(),
        project_id: Some(ctx.run.project_id.clone()),
        version_id: Some(ctx.run.version_id.clone()),
        kind,
        filename: filename.into(),
        mime_type: mime.into(),
        blob,
        width: None,
        height: None,
        thumbnail_sha256: None,
        metadata,
    };
    let aid = asset_id.clone();
    ctx.state
        .db
        .write(move |tx| assets::insert_in_tx(tx, &aid, &now, &new).map_err(DbError::from))
        .await?;
    Ok(asset_id)
}

async fn subtitles(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let board = load_board(ctx).await?;
    let shots: Vec<Shot> = board.scenes.into_iter().flat_map(|s| s.shots).collect();
    let (srt, cues) = build_srt(&shots);
    let asset_id = store_text_asset(
        ctx,
        AssetType::Subtitle,
        "subtitles.srt",
        "application/x-subrip",
        srt,
        json!({"provider": "builtin", "cues": cues, "run_id": ctx.run.id, "cost_credits": 0}),
    )
    .await?;
    Ok(done(
        json!({"subtitles": {"asset_id": asset_id, "cues": cues}}),
        format!("{cues} subtitle cues\n"),
    ))
}

/// The composition timeline (shot stills or clips, dialogue audio, subtitles, timings). The export
/// module encodes it with ffmpeg.
async fn compose(ctx: &NodeCtx) -> Result<Outcome, NodeError> {
    let board = load_board(ctx).await?;
    let visuals = ctx
        .inputs
        .get("clips")
        .or_else(|| ctx.inputs.get("images"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let by_shot: BTreeMap<String, Value> = visuals
        .iter()
        .filter_map(|v| Some((v["shot_id"].as_str()?.to_string(), v["asset_id"].clone())))
        .collect();
    // Generated clips (clip.animate on a video model) play in place of their stills.
    let clip_of: BTreeMap<String, Value> = visuals
        .iter()
        .filter_map(|v| {
            Some((
                v["shot_id"].as_str()?.to_string(),
                v.get("clip_asset_id")?.clone(),
            ))
        })
        .collect();
    let audio = ctx
        .inputs
        .get("audio")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut start = 0i64;
    let mut entries = Vec::new();
    for shot in board.scenes.iter().flat_map(|s| &s.shots) {
        let dur = (shot.duration * 1000.0).round() as i64;
        let lines: Vec<&Value> = audio
            .iter()
            .filter(|a| a["shot_id"] == shot.id.as_str())
            .collect();
        // Each line of dialogue with its cue on the video's clock and its voice: the export places the
        // audio where the subtitle appears.
        let texts: Vec<&str> = shot.dialogue.iter().map(|l| l.text.as_str()).collect();
        let cues = crate::export::plan::split_shot_time(start, dur, &texts);
        let dialogue: Vec<Value> = shot
            .dialogue
            .iter()
            .zip(cues)
            .enumerate()
            .map(|(i, (line, (from, to)))| {
                let voice = lines.iter().find(|a| a["line"].as_u64() == Some(i as u64));
                json!({"character": line.character, "text": line.text, "start_ms": from, "end_ms": to,
                       "audio_asset_id": voice.map(|a| a["asset_id"].clone()),
                       "audio_duration_ms": voice.map(|a| a["duration_ms"].clone())})
            })
            .collect();
        entries.push(json!({
            "shot_id": shot.id, "number": shot.number, "start_ms": start, "duration_ms": dur,
            "image_asset_id": by_shot.get(&shot.id).cloned().or(shot.keyframe_asset_id.clone().map(Value::from)),
            "clip_asset_id": clip_of.get(&shot.id),
            "camera_move": shot.camera_move, "audio": lines, "lines": dialogue,
        }));
        start += dur;
    }
    let timeline = json!({
        "version": 1, "duration_ms": start, "preset": ctx.node.config.get("preset"),
        "subtitles": ctx.inputs.get("subtitles"), "shots": entries,
    });
    let asset_id = store_text_asset(
        ctx,
        AssetType::Other,
        "timeline.json",
        "application/json",
        serde_json::to_string_pretty(&timeline).unwrap_or_default(),
        json!({"provider": "builtin", "run_id": ctx.run.id, "cost_credits": 0}),
    )
    .await?;
    Ok(done(
        json!({"video": {"timeline_asset_id": asset_id, "duration_ms": start, "shots": entries.len()}}),
        format!(
            "timeline of {} shots, {:.1} s (export encodes it to video)\n",
            entries.len(),
            start as f64 / 1000.0
        ),
    ))
}
