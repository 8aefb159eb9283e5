//! The nodes that call AI models through the registry (docs/API-PROVIDERS.md), and what they cost.
//!
//! Money: every paid call holds its estimate before it is sent (a `node_run` hold whose `meta.item`
//! names the item), settles what the upstream reports with the item's completion, and is voided
//! when the call fails or is cancelled. A cache hit holds nothing. The language-model node is a
//! single call and uses the node's own hold.
use std::time::Duration;

use crate::db::sql::{params, OptionalExtension};
use serde_json::{json, Value};

use super::{
    graph::NodeSpec,
    nodes::{FrameJob, NodeCtx, NodeError, Outcome},
    runs::{sha256_hex, RunRow},
};
use crate::{
    assets::{self, AssetType, NewAsset},
    clock::rfc3339,
    db::DbError,
    ledger::{self, HoldRequest, LedgerError, Purpose},
    providers::{
        self, call_with_retry, CallContext, ChatMessage, ImageRequest, LlmRequest, ProviderError,
        RetryPolicy, TtsRequest,
    },
    registry::{self, ModelKind, Resolved},
    storyboard, AppState,
};

/// Per-attempt limits by kind; polling adapters bound their whole wait by the same figure.
const LLM_TIMEOUT: Duration = Duration::from_secs(120);
const IMAGE_TIMEOUT: Duration = Duration::from_secs(180);
const TTS_TIMEOUT: Duration = Duration::from_secs(60);
/// An LLM node's answer is bounded so the estimate holds.
const DEFAULT_MAX_TOKENS: u32 = 2048;

pub(crate) fn node_provider(node: &NodeSpec) -> Option<&str> {
    node.config
        .get("model")
        .or_else(|| node.config.get("provider"))
        .and_then(Value::as_str)
}

fn provider_error(e: ProviderError) -> NodeError {
    NodeError {
        message: e.to_string(),
        retryable: e.retryable(),
    }
}

fn registry_error(e: registry::RegistryError) -> NodeError {
    NodeError::fatal(match e {
        registry::RegistryError::NotFound(what) => format!("no {what}"),
        other => other.to_string(),
    })
}

/// The model a node of `kind` calls.
pub(crate) async fn resolve(
    state: &AppState,
    kind: ModelKind,
    node: &NodeSpec,
) -> Result<Resolved, NodeError> {
    registry::resolve(state, kind, node_provider(node))
        .await
        .map_err(registry_error)
}

fn ceil_div(n: i64, d: i64) -> i64 {
    (n + d - 1) / d
}

/// An LLM call's price from token counts (credits per 1,000 input / output tokens), rounded up.
pub(crate) fn llm_cost(r: &Resolved, prompt_tokens: u64, completion_tokens: u64) -> i64 {
    let m = &r.model;
    ceil_div(
        prompt_tokens as i64 * m.credits_cost + completion_tokens as i64 * m.output_credits_cost,
        1000,
    )
}

/// Speech: credits per 1,000 characters, rounded up per line.
pub(crate) fn tts_cost(r: &Resolved, text: &str) -> i64 {
    ceil_div(text.chars().count() as i64 * r.model.credits_cost, 1000)
}

/// Tokens a prompt may take: one per character is an upper bound for Chinese and generous for
/// Latin text (about four characters a token), so the hold covers what the upstream reports.
pub(crate) fn prompt_tokens_bound(text: &str) -> u64 {
    text.chars().count() as u64 + 16
}

fn max_tokens(node: &NodeSpec, r: &Resolved) -> u32 {
    node.config
        .get("max_tokens")
        .or_else(|| r.model.config.get("max_tokens"))
        .and_then(Value::as_u64)
        .map(|v| v.clamp(1, 32_768) as u32)
        .unwrap_or(DEFAULT_MAX_TOKENS)
}

/// What a node is expected to cost before it runs, from its model's price and the project's
/// storyboard. Nodes on built-in providers, and nodes whose model cannot be resolved (they fail
/// before calling anything), cost 0.
pub(crate) async fn node_estimate(
    state: &AppState,
    run: Option<(&str, &str, Option<&str>)>,
    node: &NodeSpec,
) -> i64 {
    let kind = match node.kind.as_str() {
        "llm.prompt" => ModelKind::Llm,
        "keyframe.render" | "character.design" => ModelKind::Image,
        "voice.tts" => ModelKind::Tts,
        "clip.animate" => ModelKind::Video,
        _ => return 0,
    };
    let Ok(r) = registry::resolve(state, kind, node_provider(node)).await else {
        return 0;
    };
    if r.is_builtin() {
        return 0;
    }
    let board = match run {
        Some((owner, project, version)) => storyboard::storyboard(state, owner, project, version)
            .await
            .ok(),
        None => None,
    };
    let shots: Vec<&storyboard::Shot> = board
        .as_ref()
        .map(|b| b.scenes.iter().flat_map(|s| &s.shots).collect())
        .unwrap_or_default();
    match node.kind.as_str() {
        "llm.prompt" => {
            let cfg = |k: &str| {
                node.config
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            };
            let input: u64 = if cfg("template") == "breakdown_refine" {
                shots
                    .iter()
                    .map(|s| prompt_tokens_bound(&s.description) + 24)
                    .sum::<u64>()
                    + prompt_tokens_bound(REFINE_SYSTEM)
            } else if !cfg("prompt").is_empty() {
                prompt_tokens_bound(cfg("prompt")) + prompt_tokens_bound(cfg("system"))
            } else {
                // A prompt template: its text is known only once rendered.
                1000
            };
            llm_cost(&r, input, u64::from(max_tokens(node, &r)))
        }
        "keyframe.render" => {
            let candidates = node
                .config
                .get("candidates")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
                .clamp(1.0, 4.0) as i64;
            let pending = shots.iter().filter(|s| !s.status.is_locked()).count() as i64;
            pending * candidates * r.model.credits_cost
        }
        "character.design" => match run {
            // One reference sheet for each character that has no reference image yet.
            Some((_, project, _)) => {
                let pid = project.to_string();
                let todo: i64 = state
                    .db
                    .read(move |c| {
                        c.query_row(
                            "SELECT COUNT(*) FROM characters WHERE project_id = ?1 AND deleted_at IS NULL
                               AND image_asset_id IS NULL",
                            [&pid],
                            |r| r.get(0),
                        )
                        .map_err(DbError::from)
                    })
                    .await
                    .unwrap_or(0);
                todo * r.model.credits_cost
            }
            None => 0,
        },
        "voice.tts" => shots
            .iter()
            .flat_map(|s| &s.dialogue)
            .map(|l| tts_cost(&r, &l.text))
            .sum(),
        "clip.animate" => shots
            .iter()
            .map(|s| s.duration.ceil() as i64 * r.model.credits_cost)
            .sum(),
        _ => 0,
    }
}

/// What the node itself holds when it starts: the single-call LLM node its estimate; fan-out
/// nodes hold per call instead.
pub(crate) fn node_hold_amount(node: &NodeSpec, estimate: i64) -> i64 {
    if node.kind == "llm.prompt" {
        estimate
    } else {
        0
    }
}

// ------------------------------------------------------------------------------------------ money per call

/// A pending per-call hold; settled with the item's completion (`fan_out`), voided on failure.
#[derive(Debug, Clone)]
pub(crate) struct CallHold {
    pub hold_id: String,
    pub estimate: i64,
}

/// Who pays and for what: the run's owner, the run and its project.
#[derive(Clone, Copy)]
pub(crate) struct Payer<'a> {
    pub owner_id: &'a str,
    /// Empty for work asked for outside a run (a shot generated from the storyboard).
    pub run_id: &'a str,
    pub project_id: &'a str,
    pub version_id: Option<&'a str>,
}

impl<'a> From<&'a RunRow> for Payer<'a> {
    fn from(r: &'a RunRow) -> Self {
        Self {
            owner_id: &r.owner_id,
            run_id: &r.id,
            project_id: &r.project_id,
            version_id: Some(&r.version_id),
        }
    }
}

pub(crate) async fn hold_call(
    state: &AppState,
    run: Payer<'_>,
    node_run_id: &str,
    item: &str,
    estimate: i64,
    model: &registry::Model,
) -> Result<CallHold, NodeError> {
    // Work in a run is charged to its node run; work asked for on its own is a job.
    let (purpose, work_id) = match node_run_id {
        "" => (Purpose::Job, format!("standalone:{item}")),
        id => (Purpose::NodeRun, id.to_string()),
    };
    let req = HoldRequest {
        owner_id: run.owner_id.to_string(),
        amount: estimate.max(0),
        purpose,
        work_id,
        key: format!("node_item:{node_run_id}:{item}:{}", state.ids.new_id()),
        description: format!("{} on {} in run {}", model.model_name, item, run.run_id),
        meta: json!({"item": item, "model_id": model.id, "model": model.model_name,
                     "run_id": run.run_id, "project_id": run.project_id}),
        ttl_secs: None,
    };
    match ledger::hold(state, req).await {
        Ok(h) => Ok(CallHold {
            hold_id: h.id,
            estimate: h.estimate,
        }),
        Err(LedgerError::InsufficientCredits { needed, available }) => Err(NodeError::fatal(
            format!("insufficient credits: this call needs {needed}, {available} available"),
        )),
        Err(e) => Err(NodeError::fatal(e.to_string())),
    }
}

pub(crate) async fn void_call(state: &AppState, hold: &CallHold, why: &str) {
    if let Err(e) = ledger::void(state, &hold.hold_id, why).await {
        tracing::warn!(hold = %hold.hold_id, error = %e, "could not void a call's hold");
    }
}

/// Settles a call's hold for `actual` inside the caller's transaction (never above the hold).
pub(crate) fn settle_call_in_tx(
    tx: &crate::db::sql::Connection,
    state: &AppState,
    hold_id: &str,
    actual: i64,
    estimate: i64,
) -> Result<i64, DbError> {
    if actual > estimate {
        tracing::warn!(hold = %hold_id, actual, estimate, "a call cost more than its hold; charging the hold");
    }
    let charge = actual.clamp(0, estimate);
    match ledger::settle_in_tx(tx, state.ids.as_ref(), state.clock.now(), hold_id, charge) {
        Ok(_) => Ok(charge),
        Err(LedgerError::Db(e)) => Err(e),
        Err(e) => {
            tracing::warn!(hold = %hold_id, error = %e, "could not settle a call's hold; reconciliation will report it");
            Ok(0)
        }
    }
}

async fn with_retry<T, F, Fut>(
    state: &AppState,
    r: &Resolved,
    ctx: &CallContext,
    op: F,
) -> Result<T, ProviderError>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let target = r.target.as_ref().expect("remote model");
    let slots = state
        .ai_limiter
        .slots(&target.provider_id, target.max_concurrency.max(1));
    call_with_retry(&RetryPolicy::default(), ctx, &slots, op)
        .await
        .map(|(v, _)| v)
}

// ------------------------------------------------------------------------------------------ llm.prompt

const REFINE_SYSTEM: &str = "You are a storyboard artist for vertical short dramas. You receive a \
shot list as JSON. For each shot, write one concise visual description (setting, framing, action, \
expressions) for an image model. Answer with JSON only: {\"shots\": [{\"number\": <shot number>, \
\"description\": \"...\"}]}. Keep every shot number; never merge, drop or invent shots.";

/// The built-in breakdown refine's answer must have this shape.
fn refine_schema() -> Value {
    json!({"type": "object", "required": ["shots"], "properties": {"shots": {"type": "array",
           "items": {"type": "object", "required": ["number", "description"],
                     "properties": {"number": {"type": "integer"}, "description": {"type": "string"}}}}}})
}

/// A small JSON Schema subset (`type`, `required`, `properties`, `items`, `enum`): enough to hold
/// a model's answer to its declared shape and to say precisely where it is wrong.
pub(crate) fn check_schema(value: &Value, schema: &Value, at: &str) -> Result<(), String> {
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        };
        if !ok {
            return Err(format!("{at} should be {t}"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            return Err(format!(
                "{at} is not one of {}",
                Value::Array(options.clone())
            ));
        }
    }
    if let (Some(obj), Some(required)) = (
        value.as_object(),
        schema.get("required").and_then(Value::as_array),
    ) {
        for key in required.iter().filter_map(Value::as_str) {
            if !obj.contains_key(key) {
                return Err(format!("{at}.{key} is missing"));
            }
        }
    }
    if let (Some(obj), Some(props)) = (
        value.as_object(),
        schema.get("properties").and_then(Value::as_object),
    ) {
        for (key, sub) in props {
            if let Some(v) = obj.get(key) {
                check_schema(v, sub, &format!("{at}.{key}"))?;
            }
        }
    }
    if let (Some(items), Some(sub)) = (value.as_array(), schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            check_schema(v, sub, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// The JSON inside a model's answer: the whole text, or a fenced block, or the outermost braces.
fn extract_json(text: &str) -> Result<Value, String> {
    let t = text.trim();
    let candidates = [
        t.to_string(),
        t.trim_start_matches("```json")
            .trim_start_matches("```")
            .trim_end_matches("```")
            .trim()
            .to_string(),
        match (t.find('{'), t.rfind('}')) {
            (Some(a), Some(b)) if b > a => t[a..=b].to_string(),
            _ => String::new(),
        },
    ];
    let mut last = String::from("empty answer");
    for c in candidates.iter().filter(|c| !c.is_empty()) {
        match serde_json::from_str::<Value>(c) {
            Ok(v) => return Ok(v),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// `llm.prompt`: a prompt (the built-in `breakdown_refine`, one of the workspace's prompt
/// templates by `template_id`, or `prompt` text) sent to the node's model; with a schema (`schema`,
/// or the refine's), the answer must be JSON of that shape: one repair attempt, then a clear failure.
pub(crate) async fn llm_prompt(ctx: &NodeCtx, hold_estimate: i64) -> Result<Outcome, NodeError> {
    let r = resolve(&ctx.state, ModelKind::Llm, &ctx.node).await?;
    if r.is_builtin() {
        return Err(NodeError::fatal(format!(
            "{} is not a language model",
            r.model.name
        )));
    }
    let config = &ctx.node.config;
    let refine = config.get("template").and_then(Value::as_str) == Some("breakdown_refine");
    let board = if refine {
        Some(
            storyboard::storyboard(
                &ctx.state,
                &ctx.run.owner_id,
                &ctx.run.project_id,
                Some(&ctx.run.version_id),
            )
            .await
            .map_err(|e| NodeError::fatal(e.to_string()))?,
        )
    } else {
        None
    };
    let (system, user, schema) = if let Some(board) = &board {
        let shots: Vec<Value> = board
            .scenes
            .iter()
            .flat_map(|s| s.shots.iter().map(move |shot| (s, shot)))
            .map(|(s, shot)| {
                json!({"number": shot.number, "scene": s.scene.heading.clone().or(s.scene.location.clone()),
                       "characters": shot.characters, "description": shot.description,
                       "dialogue": shot.dialogue.iter().map(|l| format!("{}: {}", l.character, l.text)).collect::<Vec<_>>()})
            })
            .collect();
        (
            Some(REFINE_SYSTEM.to_string()),
            json!({"shots": shots}).to_string(),
            Some(refine_schema()),
        )
    } else if let Some(template_id) = config.get("template_id").and_then(Value::as_str) {
        let variables = config
            .get("variables")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let rendered = crate::prompts::render(
            &ctx.state,
            &ctx.run.owner_id,
            crate::prompts::RenderRequest {
                template_id: template_id.to_string(),
                version_id: None,
                variables,
            },
        )
        .await
        .map_err(|e| NodeError::fatal(format!("the prompt template: {e}")))?;
        (None, rendered.text, config.get("schema").cloned())
    } else if let Some(prompt) = config.get("prompt").and_then(Value::as_str) {
        (
            config
                .get("system")
                .and_then(Value::as_str)
                .map(str::to_string),
            prompt.to_string(),
            config.get("schema").cloned(),
        )
    } else {
        return Err(NodeError::fatal(
            "llm.prompt needs `template` (breakdown_refine), `template_id` or `prompt` in its config",
        ));
    };
    let mut messages = Vec::new();
    if let Some(s) = system {
        messages.push(ChatMessage::system(s));
    }
    messages.push(ChatMessage::user(user));
    let max = max_tokens(&ctx.node, &r);
    let llm =
        providers::adapters::llm(r.target.as_ref().expect("remote")).map_err(provider_error)?;
    let call = CallContext::new(format!("{}:llm", ctx.node_run_id), LLM_TIMEOUT)
        .with_cancel(ctx.cancel.clone());
    let temperature = config
        .get("temperature")
        .or_else(|| r.model.config.get("temperature"))
        .and_then(Value::as_f64);
    let ask = |messages: Vec<ChatMessage>| LlmRequest {
        messages,
        temperature: temperature.map(|t| t as f32),
        max_tokens: Some(max),
        json_mode: schema.is_some(),
        ..Default::default()
    };
    // The same model, settings and messages give the same answer from the cache, free.
    let cache_key = sha256_hex(
        json!({"kind": "llm.prompt", "version": 1, "provider": r.model.provider_id,
               "model": r.model.model_name, "model_config": r.model.config, "messages": messages,
               "max_tokens": max, "temperature": temperature, "schema": schema})
        .to_string()
        .as_bytes(),
    );
    if let Some(mut output) = cached_output(&ctx.state, &cache_key).await? {
        let mut log = String::from("the same prompt was answered before: taken from the cache\n");
        if let (Some(board), Some(v)) = (&board, output.get("json").cloned()) {
            let (added, kept) = apply_refine(ctx, board, &v).await?;
            log.push_str(&format!(
                "{added} shot descriptions added; all {kept} shots kept\n"
            ));
        }
        output["cached"] = json!(true);
        return Ok(Outcome::Done {
            output,
            cost_credits: 0,
            log,
        });
    }
    // Streamed, so a long answer shows progress on the run page as it arrives.
    let received = std::sync::atomic::AtomicUsize::new(0);
    let (state, run_id, node_id) = (&ctx.state, ctx.run.id.clone(), ctx.node.id.clone());
    let on_delta = |delta: &str| {
        use std::sync::atomic::Ordering;
        let before = received.fetch_add(delta.chars().count(), Ordering::Relaxed);
        let after = before + delta.chars().count();
        if after / 400 > before / 400 {
            super::runs::emit(
                state,
                &run_id,
                Some(&node_id),
                super::status::NodeRunStatus::Running,
                format!("{node_id}: {after} characters received"),
                None,
            );
        }
    };
    let first = match with_retry(&ctx.state, &r, &call, |_| {
        llm.complete_stream(ask(messages.clone()), &call, &on_delta)
    })
    .await
    {
        Ok(answer) => answer,
        // Paused or cancelled while the model was thinking: nothing is charged.
        Err(e) if e.is_cancelled() => return Ok(Outcome::Interrupted),
        Err(e) => return Err(provider_error(e)),
    };
    let mut cost = usage_cost(&r, &first, hold_estimate);
    let mut answer = first.content.clone();
    let mut log = format!(
        "{} answered ({} characters)\n",
        first.model,
        answer.chars().count()
    );
    let mut parsed: Option<Value> = None;
    if let Some(schema) = &schema {
        let check =
            |text: &str| extract_json(text).and_then(|v| check_schema(&v, schema, "$").map(|_| v));
        match check(&answer) {
            Ok(v) => parsed = Some(v),
            Err(why) => {
                // One repair: show the model its answer and what is wrong with it.
                log.push_str(&format!(
                    "the answer was not the declared JSON ({why}); asking once to repair it\n"
                ));
                let mut repair = messages.clone();
                repair.push(ChatMessage {
                    role: "assistant".into(),
                    content: answer.clone(),
                });
                repair.push(ChatMessage::user(format!(
                    "That answer is not valid JSON of the required shape ({why}). Reply with the corrected JSON only."
                )));
                let second = with_retry(&ctx.state, &r, &call, |_| {
                    llm.complete(ask(repair.clone()), &call)
                })
                .await
                .map_err(provider_error)?;
                cost += usage_cost(&r, &second, hold_estimate);
                answer = second.content.clone();
                parsed = Some(check(&answer).map_err(|why| {
                    NodeError::fatal(format!(
                        "the model's answer is not the declared JSON after one repair: {why}"
                    ))
                })?);
            }
        }
    }
    let mut output = json!({"text": answer, "model": r.model.model_name, "model_id": r.model.id,
                            "request_id": first.request_id});
    if let Some(v) = &parsed {
        output["json"] = v.clone();
    }
    if let (Some(board), Some(v)) = (&board, &parsed) {
        let (added, kept) = apply_refine(ctx, board, v).await?;
        output["breakdown"] = json!({"descriptions_added": added, "shots_kept": kept});
        log.push_str(&format!(
            "{added} shot descriptions added; all {kept} shots kept\n"
        ));
    }
    let (key, stored, now) = (
        cache_key,
        output.to_string(),
        rfc3339(ctx.state.clock.now()),
    );
    let model_id = r.model.id.clone();
    ctx.state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO node_cache (cache_key, output, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cache_key) DO UPDATE SET output = excluded.output, created_at = excluded.created_at",
                params![key, stored, now],
            )?;
            registry::count_use(tx, &model_id)
        })
        .await?;
    Ok(Outcome::Done {
        output,
        cost_credits: cost,
        log,
    })
}

async fn cached_output(state: &AppState, cache_key: &str) -> Result<Option<Value>, NodeError> {
    let key = cache_key.to_string();
    let text: Option<String> = state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT output FROM node_cache WHERE cache_key = ?1",
                [&key],
                |r| r.get(0),
            )
            .optional()
            .map_err(DbError::from)
        })
        .await?;
    Ok(crate::db::json_column_opt(
        "node_cache.output",
        text.as_deref(),
    ))
}

fn usage_cost(r: &Resolved, resp: &providers::LlmResponse, fallback: i64) -> i64 {
    match resp.usage {
        Some(u) => llm_cost(r, u.prompt_tokens, u.completion_tokens),
        // No usage reported: the hold is what the call was allowed to cost.
        None => fallback,
    }
}

/// The refine only adds: a shot without a description gets the model's; nothing is removed or
/// rewritten, and shots the model left out stay as they are.
async fn apply_refine(
    ctx: &NodeCtx,
    board: &storyboard::StoryboardView,
    answer: &Value,
) -> Result<(usize, usize), NodeError> {
    let by_number: std::collections::BTreeMap<u64, String> = answer["shots"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    Some((
                        s["number"].as_u64()?,
                        s["description"].as_str()?.trim().to_string(),
                    ))
                })
                .filter(|(_, d)| !d.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let updates: Vec<(String, String)> = board
        .scenes
        .iter()
        .flat_map(|s| &s.shots)
        .filter(|s| s.description.trim().is_empty())
        .filter_map(|s| Some((s.id.clone(), by_number.get(&u64::from(s.number))?.clone())))
        .collect();
    let kept = board.scenes.iter().map(|s| s.shots.len()).sum();
    let added = updates.len();
    let now = rfc3339(ctx.state.clock.now());
    ctx.state
        .db
        .write(move |tx| {
            for (id, d) in &updates {
                tx.execute(
                    "UPDATE shots SET description = ?1, updated_at = ?2 WHERE id = ?3 AND TRIM(description) = ''",
                    params![d, now, id],
                )?;
            }
            Ok::<_, DbError>(())
        })
        .await?;
    Ok((added, kept))
}

// ------------------------------------------------------------------------------------------ keyframes

/// The prompt an image model gets for one shot: style, place, framing, action, who is in it, and
/// the reviewer's comment when the shot is being redone.
pub(crate) fn shot_prompt(job: &FrameJob, style: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(s) = style.filter(|s| !s.trim().is_empty()) {
        parts.push(format!("Style: {s}."));
    }
    let place = job
        .scene
        .location
        .clone()
        .or(job.scene.heading.clone())
        .unwrap_or_default();
    let when = job.scene.time_of_day.clone().unwrap_or_default();
    if !place.is_empty() || !when.is_empty() {
        parts.push(format!("Scene: {place} {when}.").replace("  ", " "));
    }
    if let Some(t) = &job.shot.shot_type {
        parts.push(format!("Shot: {}.", t.replace('_', " ")));
    }
    if !job.shot.characters.is_empty() {
        parts.push(format!("Characters: {}.", job.shot.characters.join(", ")));
    }
    if !job.shot.description.trim().is_empty() {
        parts.push(job.shot.description.trim().to_string());
    }
    parts.push(format!(
        "Vertical frame {}, cinematic still, no text.",
        job.aspect_ratio
    ));
    if let Some(f) = job.feedback.as_deref().filter(|f| !f.trim().is_empty()) {
        parts.push(format!("Reviewer's note to address: {}", f.trim()));
    }
    parts.join(" ")
}

/// One candidate of a shot from a remote image model (or the cache): its asset id, whether it came
/// from the cache, and the hold to settle with the item.
pub(crate) async fn remote_candidate(
    state: &AppState,
    job: &FrameJob,
    r: &Resolved,
    seed: u64,
    prompt: &str,
    references: &[Vec<u8>],
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<(String, bool, Option<(CallHold, i64)>), NodeError> {
    let (width, height) = crate::render::frame_size(&job.aspect_ratio);
    let ref_hash = sha256_hex(&references.concat());
    let cache_key = sha256_hex(
        json!({"kind": "keyframe.render", "version": 1, "provider": r.model.provider_id,
               "model": r.model.model_name, "config": r.model.config, "prompt": prompt, "seed": seed,
               "size": [width, height], "references": ref_hash})
        .to_string()
        .as_bytes(),
    );
    if let Some(id) = cached_asset(state, &cache_key).await? {
        return Ok((id, true, None));
    }
    let payer = Payer {
        owner_id: &job.owner_id,
        run_id: &job.run_id,
        project_id: &job.project_id,
        version_id: Some(&job.version_id),
    };
    let hold = hold_call(
        state,
        payer,
        &job.node_run_id,
        &job.shot.id,
        r.model.credits_cost,
        &r.model,
    )
    .await?;
    let result = async {
        let image = providers::adapters::image(r.target.as_ref().expect("remote")).map_err(provider_error)?;
        let call = CallContext::new(format!("{}:{}:{seed}", job.node_run_id, job.shot.id), IMAGE_TIMEOUT)
            .with_cancel(cancel.clone());
        let req = ImageRequest {
            prompt: prompt.to_string(),
            negative_prompt: r.model.config.get("negative_prompt").and_then(Value::as_str).map(str::to_string),
            width,
            height,
            seed: Some(seed),
            reference_images: references.to_vec(),
        };
        let out = with_retry(state, r, &call, |_| image.generate(req.clone(), &call))
            .await
            .map_err(provider_error)?;
        let (w, h, mime) = providers::download::check_image(&out.bytes).map_err(provider_error)?;
        let blob = state.blobs.put_bytes(&out.bytes).map_err(|e| NodeError::transient(e.to_string()))?;
        let asset_id = state.ids.new_id().to_string();
        let ext = if mime == "image/jpeg" { "jpg" } else if mime == "image/webp" { "webp" } else { "png" };
        let new = NewAsset {
            owner_id: job.owner_id.clone(),
            project_id: Some(job.project_id.clone()),
            version_id: Some(job.version_id.clone()),
            kind: AssetType::KeyframeImage,
            filename: match seed {
                0 => format!("shot_{:03}.{ext}", job.shot.number),
                n => format!("shot_{:03}_{}.{ext}", job.shot.number, n + 1),
            },
            mime_type: mime,
            blob,
            width: Some(w),
            height: Some(h),
            thumbnail_sha256: None,
            metadata: json!({
                "provider": r.model.provider, "provider_id": r.model.provider_id, "model": r.model.model_name,
                "model_id": r.model.id, "seed": out.seed.unwrap_or(seed), "prompt": prompt,
                "feedback": job.feedback, "cost_credits": r.model.credits_cost, "request_id": out.request_id,
                "shot_id": job.shot.id, "run_id": job.run_id, "node_id": job.node_id, "cache_key": cache_key,
            }),
        };
        let cache = (cache_key.clone(), json!({"asset_id": asset_id}));
        record_generated(state, &asset_id, new, &r.model.id, Some(cache), Attach::Nothing).await?;
        Ok::<_, NodeError>(asset_id)
    }
    .await;
    match result {
        Ok(asset_id) => {
            let cost = r.model.credits_cost;
            Ok((asset_id, false, Some((hold, cost))))
        }
        Err(e) => {
            void_call(state, &hold, &format!("failed: {}", e.message)).await;
            Err(e)
        }
    }
}

/// The live asset a cache key points at (a trashed asset is no cache hit).
pub(crate) async fn cached_asset(
    state: &AppState,
    cache_key: &str,
) -> Result<Option<String>, NodeError> {
    let key = cache_key.to_string();
    Ok(state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT json_extract(n.output, '$.asset_id') FROM node_cache n
                 JOIN assets a ON a.id = json_extract(n.output, '$.asset_id') AND a.status = 'active'
                 WHERE n.cache_key = ?1",
                [&key],
                |r| r.get(0),
            )
            .optional()
            .map_err(DbError::from)
        })
        .await?)
}

/// The reference images of the shot's characters (their main image each), for adapters that take them.
pub(crate) async fn character_references(
    state: &AppState,
    character_ids: &[String],
) -> Vec<Vec<u8>> {
    let ids = character_ids.to_vec();
    let shas: Vec<String> = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for id in &ids {
                // The main image, or the next one when the main image was trashed.
                out.extend(crate::characters::main_image_sha_in(c, id)?);
            }
            Ok::<_, DbError>(out)
        })
        .await
        .unwrap_or_default();
    shas.iter()
        .filter_map(|sha| std::fs::read(state.blobs.path_of(sha).ok()?).ok())
        .collect()
}

// ------------------------------------------------------------------------------------------ speech

/// One line of dialogue to speak: its item key, text, the character's voice and the language.
pub(crate) struct Line<'a> {
    pub key: &'a str,
    pub text: &'a str,
    pub voice: Option<String>,
    pub language: &'a str,
}

/// One line of dialogue through a remote speech model: `(asset output, hold and cost)`.
pub(crate) async fn remote_speech(
    state: &AppState,
    run: &RunRow,
    node_run_id: &str,
    r: &Resolved,
    line: Line<'_>,
    cancel: tokio_util::sync::CancellationToken,
) -> Result<(Value, Option<(CallHold, i64)>), NodeError> {
    let Line {
        key,
        text,
        voice,
        language,
    } = line;
    let voice = voice.filter(|v| !v.trim().is_empty()).or_else(|| {
        r.model
            .config
            .get("voice")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let cache_key = sha256_hex(
        json!({"kind": "voice.tts", "version": 1, "provider": r.model.provider_id, "model": r.model.model_name,
               "text": text, "voice": voice, "language": language})
        .to_string()
        .as_bytes(),
    );
    if let Some(id) = cached_asset(state, &cache_key).await? {
        let duration: Option<i64> = {
            let id2 = id.clone();
            state
                .db
                .read(move |c| {
                    c.query_row(
                        "SELECT json_extract(metadata, '$.duration_ms') FROM assets WHERE id = ?1",
                        [&id2],
                        |r| r.get(0),
                    )
                    .map_err(DbError::from)
                })
                .await
                .ok()
                .flatten()
        };
        return Ok((
            json!({"asset_id": id, "duration_ms": duration, "cached": true}),
            None,
        ));
    }
    let estimate = tts_cost(r, text);
    let hold = hold_call(state, run.into(), node_run_id, key, estimate, &r.model).await?;
    let result = async {
        let tts =
            providers::adapters::tts(r.target.as_ref().expect("remote")).map_err(provider_error)?;
        let call =
            CallContext::new(format!("{node_run_id}:{key}"), TTS_TIMEOUT).with_cancel(cancel);
        let req = TtsRequest {
            text: text.to_string(),
            voice: voice.clone(),
            language: language.to_string(),
            speed: 1.0,
        };
        let audio = with_retry(state, r, &call, |_| tts.speak(req.clone(), &call))
            .await
            .map_err(provider_error)?;
        let blob = state
            .blobs
            .put_bytes(&audio.wav)
            .map_err(|e| NodeError::transient(e.to_string()))?;
        let asset_id = state.ids.new_id().to_string();
        let out =
            json!({"asset_id": asset_id, "duration_ms": audio.duration_ms, "note": audio.note});
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
            metadata: json!({"provider": r.model.provider, "provider_id": r.model.provider_id,
                             "model": r.model.model_name, "model_id": r.model.id, "voice": voice,
                             "language": language, "text": text, "duration_ms": audio.duration_ms,
                             "cost_credits": estimate, "request_id": audio.request_id,
                             "run_id": run.id, "cache_key": cache_key}),
        };
        let cache = (cache_key, out.clone());
        record_generated(
            state,
            &asset_id,
            new,
            &r.model.id,
            Some(cache),
            Attach::Nothing,
        )
        .await?;
        Ok::<_, NodeError>(out)
    }
    .await;
    match result {
        Ok(mut out) => {
            out["cached"] = json!(false);
            Ok((out, Some((hold, estimate))))
        }
        Err(e) => {
            void_call(state, &hold, &format!("failed: {}", e.message)).await;
            Err(e)
        }
    }
}

// ------------------------------------------------------------------------------------------ characters

/// One character's reference sheet from an image model, attached as its main reference image.
pub(crate) async fn design_character(
    state: &AppState,
    run: Payer<'_>,
    node_run_id: &str,
    r: &Resolved,
    character_id: &str,
    data: &Value,
    cancel: tokio_util::sync::CancellationToken,
) -> Result<super::nodes::ItemDone, NodeError> {
    let name = data["name"].as_str().unwrap_or_default();
    let description = data["description"].as_str().unwrap_or_default();
    let prompt = format!(
        "Character reference sheet for {name}: {description}. Full body, front and three-quarter \
         views on a plain background, consistent costume and face, no text."
    );
    let seed = u64::from_str_radix(&sha256_hex(character_id.as_bytes())[..8], 16).unwrap_or(0);
    let hold = hold_call(
        state,
        run,
        node_run_id,
        character_id,
        r.model.credits_cost,
        &r.model,
    )
    .await?;
    let result = async {
        let image = providers::adapters::image(r.target.as_ref().expect("remote")).map_err(provider_error)?;
        let call = CallContext::new(format!("{node_run_id}:{character_id}"), IMAGE_TIMEOUT).with_cancel(cancel);
        let req = ImageRequest { prompt: prompt.clone(), width: 1024, height: 1024, seed: Some(seed), ..Default::default() };
        let out = with_retry(state, r, &call, |_| image.generate(req.clone(), &call)).await.map_err(provider_error)?;
        let (w, h, mime) = providers::download::check_image(&out.bytes).map_err(provider_error)?;
        let blob = state.blobs.put_bytes(&out.bytes).map_err(|e| NodeError::transient(e.to_string()))?;
        let asset_id = state.ids.new_id().to_string();
        let new = NewAsset {
            owner_id: run.owner_id.to_string(),
            project_id: Some(run.project_id.to_string()),
            version_id: run.version_id.map(str::to_string),
            kind: AssetType::CharacterImage,
            filename: format!("{}_reference.png", name.replace(['/', '\\'], "_")),
            mime_type: mime,
            blob,
            width: Some(w),
            height: Some(h),
            thumbnail_sha256: None,
            metadata: json!({"provider": r.model.provider, "provider_id": r.model.provider_id,
                             "model": r.model.model_name, "model_id": r.model.id, "prompt": prompt,
                             "seed": seed, "cost_credits": r.model.credits_cost, "request_id": out.request_id,
                             "character_id": character_id, "run_id": run.run_id}),
        };
        let attach = Attach::CharacterImage(character_id.to_string());
        record_generated(state, &asset_id, new, &r.model.id, None, attach).await?;
        Ok::<_, NodeError>(asset_id)
    }
    .await;
    match result {
        Ok(asset_id) => Ok(super::nodes::ItemDone {
            output: json!({"character_id": character_id, "asset_id": asset_id}),
            cached: false,
            charges: vec![(hold, r.model.credits_cost)],
        }),
        Err(e) => {
            void_call(state, &hold, &format!("failed: {}", e.message)).await;
            Err(e)
        }
    }
}

// ------------------------------------------------------------------------------------------ clips

const VIDEO_TIMEOUT: Duration = Duration::from_secs(600);

/// One shot's clip from its reviewed keyframe on an image-to-video model: the clip becomes the
/// shot's `clip_asset_id` and the export plays it in place of the still.
pub(crate) async fn animate_shot(
    state: &AppState,
    run: &RunRow,
    node_run_id: &str,
    r: &Resolved,
    shot: &storyboard::Shot,
    image: &Value,
    cancel: tokio_util::sync::CancellationToken,
) -> Result<super::nodes::ItemDone, NodeError> {
    let image_id = image["asset_id"]
        .as_str()
        .ok_or_else(|| {
            NodeError::fatal(format!("shot {} has no keyframe to animate", shot.number))
        })?
        .to_string();
    let iid = image_id.clone();
    let sha: Option<String> = state
        .db
        .read(move |c| {
            c.query_row(
                "SELECT sha256 FROM assets WHERE id = ?1 AND status = 'active'",
                [&iid],
                |r| r.get(0),
            )
            .optional()
            .map_err(DbError::from)
        })
        .await?;
    let bytes = sha
        .and_then(|sha| std::fs::read(state.blobs.path_of(&sha).ok()?).ok())
        .ok_or_else(|| {
            NodeError::fatal(format!(
                "shot {}'s keyframe is gone: regenerate it",
                shot.number
            ))
        })?;
    let seconds = shot.duration.ceil().max(1.0) as i64;
    let mut prompt = shot.description.trim().to_string();
    if let Some(m) = &shot.camera_move {
        prompt.push_str(&format!(" Camera: {}.", m.replace('_', " ")));
    }
    let seed = u64::from_str_radix(&sha256_hex(shot.id.as_bytes())[..8], 16).unwrap_or(0);
    let cache_key = sha256_hex(
        json!({"kind": "clip.animate", "version": 1, "provider": r.model.provider_id,
               "model": r.model.model_name, "config": r.model.config, "image": sha256_hex(&bytes),
               "prompt": prompt, "seconds": seconds, "seed": seed})
        .to_string()
        .as_bytes(),
    );
    let out_of = |clip_id: &str, cached: bool| {
        json!({"shot_id": shot.id, "asset_id": image_id, "clip_asset_id": clip_id, "cached": cached,
               "model": r.model.model_name})
    };
    if let Some(id) = cached_asset(state, &cache_key).await? {
        set_clip(state, &shot.id, &id).await?;
        return Ok(super::nodes::ItemDone {
            output: out_of(&id, true),
            cached: true,
            charges: Vec::new(),
        });
    }
    let estimate = seconds * r.model.credits_cost;
    let hold = hold_call(state, run.into(), node_run_id, &shot.id, estimate, &r.model).await?;
    let result = async {
        let video = providers::adapters::video(r.target.as_ref().expect("remote")).map_err(provider_error)?;
        let (width, height) = (720, 1280);
        let call = CallContext::new(format!("{node_run_id}:{}", shot.id), VIDEO_TIMEOUT).with_cancel(cancel);
        let req = providers::VideoRequest {
            image: bytes.clone(),
            prompt: prompt.clone(),
            duration_ms: (seconds * 1000) as u64,
            width,
            height,
            seed: Some(seed),
        };
        let out = with_retry(state, r, &call, |_| video.animate(req.clone(), &call)).await.map_err(provider_error)?;
        let blob = state.blobs.put_bytes(&out.bytes).map_err(|e| NodeError::transient(e.to_string()))?;
        let clip_id = state.ids.new_id().to_string();
        let cost = (ceil_div(out.duration_ms as i64, 1000).max(1) * r.model.credits_cost).min(estimate);
        let ext = if out.mime.contains("webm") { "webm" } else { "mp4" };
        let new = NewAsset {
            owner_id: run.owner_id.clone(),
            project_id: Some(run.project_id.clone()),
            version_id: Some(run.version_id.clone()),
            kind: AssetType::VideoClip,
            filename: format!("shot_{:03}.{ext}", shot.number),
            mime_type: out.mime.clone(),
            blob,
            width: None,
            height: None,
            thumbnail_sha256: None,
            metadata: json!({"provider": r.model.provider, "provider_id": r.model.provider_id,
                             "model": r.model.model_name, "model_id": r.model.id, "prompt": prompt,
                             "seed": out.seed.unwrap_or(seed), "duration_ms": out.duration_ms,
                             "cost_credits": cost, "request_id": out.request_id, "shot_id": shot.id,
                             "keyframe_asset_id": image_id, "run_id": run.id, "cache_key": cache_key}),
        };
        let cache = (cache_key.clone(), json!({"asset_id": clip_id}));
        let attach = Attach::ShotClip(shot.id.clone());
        record_generated(state, &clip_id, new, &r.model.id, Some(cache), attach).await?;
        Ok::<_, NodeError>((clip_id, cost))
    }
    .await;
    match result {
        Ok((clip_id, cost)) => Ok(super::nodes::ItemDone {
            output: out_of(&clip_id, false),
            cached: false,
            charges: vec![(hold, cost)],
        }),
        Err(e) => {
            void_call(state, &hold, &format!("failed: {}", e.message)).await;
            Err(e)
        }
    }
}

/// What a generated file also changes in the transaction that records it.
enum Attach {
    Nothing,
    /// The character's main reference image, when it has none.
    CharacterImage(String),
    /// The shot's clip.
    ShotClip(String),
}

/// Records a generated file in one transaction: the asset with its provenance, the cache entry
/// (key and output) when there is one, what it attaches to, and the model's use.
async fn record_generated(
    state: &AppState,
    asset_id: &str,
    new: NewAsset,
    model_id: &str,
    cache: Option<(String, Value)>,
    attach: Attach,
) -> Result<(), NodeError> {
    let (aid, model_id, now) = (
        asset_id.to_string(),
        model_id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            assets::insert_in_tx(tx, &aid, &now, &new)?;
            if let Some((key, output)) = cache {
                tx.execute(
                    "INSERT INTO node_cache (cache_key, output, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cache_key) DO UPDATE SET output = excluded.output, created_at = excluded.created_at",
                    params![key, output.to_string(), now],
                )?;
            }
            match attach {
                Attach::Nothing => 0,
                Attach::CharacterImage(id) => tx.execute(
                    "UPDATE characters SET image_asset_id = COALESCE(image_asset_id, ?1), updated_at = ?2 WHERE id = ?3",
                    params![aid, now, id],
                )?,
                Attach::ShotClip(id) => tx.execute(
                    "UPDATE shots SET clip_asset_id = ?1, updated_at = ?2 WHERE id = ?3",
                    params![aid, now, id],
                )?,
            };
            registry::count_use(tx, &model_id)
        })
        .await?;
    Ok(())
}

async fn set_clip(state: &AppState, shot_id: &str, clip_id: &str) -> Result<(), NodeError> {
    let (sid, cid, now) = (
        shot_id.to_string(),
        clip_id.to_string(),
        rfc3339(state.clock.now()),
    );
    state
        .db
        .write(move |tx| {
            tx.execute(
                "UPDATE shots SET clip_asset_id = ?1, updated_at = ?2 WHERE id = ?3",
                params![cid, now, sid],
            )
            .map_err(DbError::from)
        })
        .await?;
    Ok(())
}
