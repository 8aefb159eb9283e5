//! Workflow runs over real TCP on the offline providers: the animatic template to its review gate,
//! review decisions (approve, reject with a comment, replace), continue to the end, the output cache,
//! pause/resume/cancel, retry after a failure, and the `/workflows` shapes.
use crate::common;

use std::time::Duration;

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

const CN: &str = include_str!("../../assets/samples/rebirth_ep1.txt");

async fn project_with_script(s: &TestServer, text: &str) -> (String, String) {
    s.project_with_script("Run me", "1:1", text).await
}

/// Polls the run until `done(run)` (bounded: the offline run takes seconds, never minutes).
async fn wait_for(
    s: &TestServer,
    run_id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..1200 {
        let (status, run) = s.get(&format!("/api/v1/workflow-runs/{run_id}")).await;
        assert_eq!(status, StatusCode::OK, "{run}");
        if done(&run) {
            return run;
        }
        assert!(
            !matches!(run["status"].as_str(), Some("failed")) || what == "failed",
            "run failed while waiting for {what}: {run}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {run_id} never reached {what}");
}

/// The waiting review of a run: its node run id and its queue as the API returns it.
async fn review_of(s: &TestServer, run: &Value) -> (String, Value) {
    let review_id = step(run, "review")["node_run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, q) = s
        .get(&format!(
            "/api/v1/workflow/node-runs/{review_id}/review/assets"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    (review_id, q)
}

/// Polls the review queue until `ready` holds (a background redraw finished), for at most 60 s.
async fn wait_for_queue(s: &TestServer, review_id: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, q) = s
            .get(&format!(
                "/api/v1/workflow/node-runs/{review_id}/review/assets"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        if ready(&q) {
            return q;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the review queue never got there: {q}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn step<'a>(run: &'a Value, node: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["node_id"] == node)
        .unwrap_or_else(|| panic!("no step {node} in {run}"))
}

async fn start(s: &TestServer, pid: &str) -> Value {
    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": "animatic"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animatic_run_waits_for_review_then_finishes() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(&s, CN).await;
    let run = start(&s, &pid).await;
    let id = run["id"].as_str().unwrap().to_string();
    assert_eq!(run["workflow_type"], "animatic");
    assert_eq!(run["steps"].as_array().unwrap().len(), 8);

    let run = wait_for(&s, &id, "review", |r| r["status"] == "waiting_review").await;
    assert_eq!(run["current_step"], "review");
    let keyframes = step(&run, "keyframes");
    assert_eq!(keyframes["status"], "completed");
    let shots = keyframes["items_total"].as_u64().unwrap();
    assert!(shots > 5);
    assert_eq!(keyframes["items_done"], shots);
    assert_eq!(keyframes["cost_credits"], 0);
    assert!(keyframes["inputs_hash"].as_str().unwrap().len() == 64);

    // The review queue: one keyframe per shot, each a real PNG.
    let (review_id, q) = review_of(&s, &run).await;
    let items = q["items"].as_array().unwrap().clone();
    assert_eq!(items.len() as u64, shots);
    assert_eq!(q["undecided"], shots);
    let png = s
        .client
        .get(s.url(items[0]["image_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (_, asset) = s
        .get(&format!(
            "/api/v1/assets/{}",
            items[0]["asset_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(asset["type"], "keyframe_image");
    assert_eq!(asset["metadata"]["provider"], "builtin.animatic");
    assert_eq!(asset["width"], 1080);
    assert_eq!(asset["height"], 1080);

    // Approve all but one; reject that one with a comment.
    let rejected = items[1]["item_key"].as_str().unwrap().to_string();
    let rejected_asset = items[1]["asset_id"].as_str().unwrap().to_string();
    for item in &items {
        let key = item["item_key"].as_str().unwrap();
        let body = if key == rejected {
            json!({"item_key": key, "decision": "reject", "comment": "make it night"})
        } else {
            json!({"item_key": key, "decision": "approve"})
        };
        let (status, q) = s
            .post(
                &format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{q}");
    }
    // The rejection redraws the shot at once; its new frame, drawn with the comment, comes back
    // to the queue undecided (the rejection stays as its history).
    let q =
        wait_for_queue(&s, &review_id, |q| {
            q["items"].as_array().unwrap().iter().any(|i| {
                i["item_key"] == rejected.as_str() && i["asset_id"] != rejected_asset.as_str()
            })
        })
        .await;
    let redrawn = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item_key"] == rejected.as_str())
        .unwrap()
        .clone();
    assert_eq!(redrawn["decision"], Value::Null, "{redrawn}");
    assert_eq!(
        redrawn["redrawn_after"]["asset_id"],
        rejected_asset.as_str()
    );
    assert_eq!(redrawn["redrawn_after"]["comment"], "make it night");
    assert_eq!(q["rejected"], 0);
    assert_eq!(q["undecided"], 1);
    assert_eq!(q["unresolved"], 1);
    assert_eq!(q["approved"].as_u64().unwrap(), shots - 1);
    let (_, a) = s
        .get(&format!(
            "/api/v1/assets/{}",
            redrawn["asset_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(a["metadata"]["feedback"], "make it night");
    // The run graph's review node follows the decisions.
    let (_, run) = s.get(&format!("/api/v1/workflow-runs/{id}")).await;
    assert_eq!(
        step(&run, "review")["items_done"].as_u64().unwrap(),
        shots - 1
    );
    assert_eq!(step(&run, "review")["items_total"].as_u64().unwrap(), shots);

    // The gate stays shut while the rejection has no approved replacement.
    let (status, body) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/continue"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("keep_unresolved"),
        "{body}"
    );
    let (status, body) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/continue"),
            json!({"keep_unresolved": "yes"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "keep_unresolved", "{body}");

    // Rejecting the redraw again loops: every comment of this review is the feedback.
    let (status, _) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
            json!({"item_key": rejected, "decision": "reject", "comment": "closer"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let second = redrawn["asset_id"].as_str().unwrap().to_string();
    let q = wait_for_queue(&s, &review_id, |q| {
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["item_key"] == rejected.as_str() && i["asset_id"] != second.as_str())
    })
    .await;
    let third = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item_key"] == rejected.as_str())
        .unwrap()["asset_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, a) = s.get(&format!("/api/v1/assets/{third}")).await;
    assert_eq!(a["metadata"]["feedback"], "make it night; closer");
    let (status, q) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
            json!({"item_key": rejected, "decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    assert_eq!(q["unresolved"], 0);
    assert_eq!(q["approved"].as_u64().unwrap(), shots);
    let locked = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["locked"] == true)
        .count();
    assert_eq!(locked as u64, shots, "every frame approved is locked");

    // An approved shot is locked: it cannot be rejected or regenerated until unlocked.
    let (status, body) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
            json!({"item_key": items[0]["item_key"], "decision": "reject", "comment": "no"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let approved = items[0]["item_key"].as_str().unwrap();
    let (status, body) = s
        .post(
            &format!("/api/v1/workflow-runs/{id}/shots/{approved}/regenerate"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let (status, cont) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/continue"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cont}");
    let run = wait_for(&s, &id, "completion", |r| r["status"] == "completed").await;
    assert!(
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "completed"),
        "{run}"
    );
    assert_eq!(run["progress"], 1.0);
    assert!(run["finished_at"].is_string());

    // The finished review shows every frame in the video as approved, none as rejected.
    let (_, q) = s
        .get(&format!(
            "/api/v1/workflow/node-runs/{review_id}/review/assets"
        ))
        .await;
    assert_eq!(q["status"], "completed");
    assert_eq!(q["rejected"], 0);
    assert_eq!(q["approved"].as_u64().unwrap(), shots);
    // Only the rejected shot got a new keyframe: the approved redraw.
    let (_, board) = s.get(&format!("/api/v1/projects/{pid}/storyboard")).await;
    let all: Vec<Value> = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|sc| sc["shots"].as_array().unwrap().clone())
        .collect();
    for (shot, item) in all.iter().zip(&items) {
        if shot["id"] == rejected.as_str() {
            assert_eq!(shot["keyframe_asset_id"], third.as_str());
            assert_eq!(shot["status"], "approved");
        } else {
            assert_eq!(
                shot["keyframe_asset_id"], item["asset_id"],
                "approved keyframes are untouched"
            );
            assert_eq!(shot["status"], "approved");
        }
    }
    // Voice, subtitles and the composition timeline exist.
    let voice = step(&run, "voice");
    assert!(voice["items_total"].as_u64().unwrap() > 0);
    let (_, audio) = s
        .get(&format!(
            "/api/v1/assets?project_id={pid}&type=audio&limit=100"
        ))
        .await;
    assert_eq!(audio["total"], voice["items_total"]);
    let (_, subs) = s
        .get(&format!("/api/v1/assets?project_id={pid}&type=subtitle"))
        .await;
    assert_eq!(subs["total"], 1);
    let srt = s
        .client
        .get(s.url(subs["items"][0]["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(srt.starts_with("1\n00:00:"), "{srt}");
    // The lines, without their speakers' names (as a final export's subtitles).
    assert!(srt.contains("顾辰？你怎么会在这里？"), "{srt}");
    assert!(!srt.contains("林雪："), "{srt}");
    assert!(
        step(&run, "compose")["output"]["video"]["duration_ms"]
            .as_u64()
            .unwrap()
            > 0
    );

    // Decisions are append-only and the review is closed now.
    let (status, _) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
            json!({"item_key": rejected, "decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuing_with_keep_unresolved_keeps_the_redrawn_frame() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(&s, CN).await;
    let run = start(&s, &pid).await;
    let id = run["id"].as_str().unwrap().to_string();
    let run = wait_for(&s, &id, "review", |r| r["status"] == "waiting_review").await;
    let (review_id, q) = review_of(&s, &run).await;
    let item = q["items"][0].clone();
    let key = item["item_key"].as_str().unwrap().to_string();
    let (status, q) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
            json!({"item_key": key, "decision": "reject", "comment": "too dark"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let q = wait_for_queue(&s, &review_id, |q| {
        q["items"][0]["asset_id"] != item["asset_id"] && q["items"][0]["redraw"].is_null()
    })
    .await;
    let redrawn = q["items"][0]["asset_id"].as_str().unwrap().to_string();
    assert_eq!(q["unresolved"], 1);

    // The reviewer explicitly goes on without deciding on the redraw: it stays in, as approved.
    let (status, body) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/continue"),
            json!({"keep_unresolved": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for(&s, &id, "completion", |r| r["status"] == "completed").await;
    let (_, q) = s
        .get(&format!(
            "/api/v1/workflow/node-runs/{review_id}/review/assets"
        ))
        .await;
    let kept = &q["items"][0];
    assert_eq!(kept["decision"], "approve", "{kept}");
    assert_eq!(kept["asset_id"], redrawn.as_str());
    assert!(kept["comment"].as_str().unwrap().contains("kept"), "{kept}");
    assert_eq!(q["rejected"], 0);
    let (_, shot) = s.get(&format!("/api/v1/storyboards/{key}")).await;
    assert_eq!(shot["keyframe_asset_id"], redrawn.as_str(), "{shot}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_identical_run_takes_keyframes_from_the_cache() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(&s, CN).await;
    let first = start(&s, &pid).await;
    let id1 = first["id"].as_str().unwrap().to_string();
    let run1 = wait_for(&s, &id1, "review", |r| r["status"] == "waiting_review").await;
    assert_eq!(step(&run1, "keyframes")["items_cached"], 0);
    // Another run on the same version while one is going is refused.
    let (status, body) = s
        .post("/api/v1/workflow-runs", json!({"project_id": pid}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, cancelled) = s
        .post(&format!("/api/v1/workflow-runs/{id1}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");

    let second = start(&s, &pid).await;
    let id2 = second["id"].as_str().unwrap().to_string();
    let run2 = wait_for(&s, &id2, "review", |r| r["status"] == "waiting_review").await;
    let k1 = step(&run1, "keyframes");
    let k2 = step(&run2, "keyframes");
    assert_eq!(k2["items_cached"], k2["items_total"], "{k2}");
    assert_eq!(k2["inputs_hash"], k1["inputs_hash"]);
    let ids = |o: &Value| -> Vec<String> {
        o["output"]["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["asset_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(k1),
        ids(k2),
        "cache hits reuse the same keyframe assets"
    );
    let (_, frames) = s
        .get(&format!(
            "/api/v1/assets?project_id={pid}&type=keyframe_image&limit=100"
        ))
        .await;
    assert_eq!(
        frames["total"], k1["items_total"],
        "nothing was rendered twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_workflows_shapes() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(&s, CN).await;
    let (status, run) = s
        .post(
            "/api/v1/workflows",
            json!({"project_id": pid, "workflow_type": "animatic"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let id = run["id"].as_str().unwrap().to_string();
    let (status, paused) = s
        .post(&format!("/api/v1/workflows/{id}/pause"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["message"], "Workflow paused successfully");
    // Paused: nothing new starts. Wait for the driver to stop, then check it stays put.
    for _ in 0..100 {
        if !s.state.runs.is_active(&id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!s.state.runs.is_active(&id), "the driver stops when paused");
    let (_, before) = s.get(&format!("/api/v1/workflows/{id}")).await;
    assert_eq!(before["status"], "paused");
    assert_ne!(step(&before, "review")["status"], "waiting");

    let (status, resumed) = s
        .post(&format!("/api/v1/workflows/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resumed["status"], "running");
    let run = wait_for(&s, &id, "review", |r| r["status"] == "waiting_review").await;
    assert_eq!(run["current_step"], "review");
    // Resuming a run that is not paused is a conflict; cancelling works from review.
    let (status, body) = s
        .post(&format!("/api/v1/workflows/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "CONFLICT", None);
    let (status, c) = s
        .post(&format!("/api/v1/workflow/runs/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["status"], "cancelled");
    let (_, nodes) = s.get(&format!("/api/v1/workflow/runs/{id}/nodes")).await;
    assert_eq!(nodes["items"].as_array().unwrap().len(), 8);
    assert!(nodes["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["status"] == "cancelled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_node_names_itself_and_retry_resumes_from_it() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, p) = s.post("/api/v1/projects", json!({"name": "Empty"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (pid, vid) = (
        p["id"].as_str().unwrap().to_string(),
        p["current_version_id"].as_str().unwrap().to_string(),
    );
    // No script: the parse node fails, without retrying (not a transient error).
    let run = start(&s, &pid).await;
    let id = run["id"].as_str().unwrap().to_string();
    let run = wait_for(&s, &id, "failed", |r| r["status"] == "failed").await;
    let parse = step(&run, "parse");
    assert_eq!(parse["status"], "failed");
    assert_eq!(parse["attempts"], 1);
    assert_eq!(parse["retryable"], false);
    assert!(run["error"].as_str().unwrap().contains("parse"), "{run}");
    assert_eq!(step(&run, "keyframes")["status"], "pending");

    // Fix the cause, retry: the run continues to its review.
    s.call(
        Method::PUT,
        &format!("/api/v1/projects/{pid}/versions/{vid}/script"),
        Some(json!({"text": "INT. ROOM - DAY\n\nAnna waits.\n\nANNA\nHello?\n"})),
        &[],
    )
    .await;
    let (status, retried) = s
        .post(&format!("/api/v1/workflow/runs/{id}/retry"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    let run = wait_for(&s, &id, "review", |r| r["status"] == "waiting_review").await;
    assert_eq!(step(&run, "parse")["status"], "completed");
    let (status, _) = s
        .post(&format!("/api/v1/workflow/runs/{id}/retry"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only failed or cancelled runs retry"
    );
}

#[tokio::test]
async fn bad_starts_name_the_field() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(&s, CN).await;
    for (body, field) in [
        (json!({}), "project_id"),
        (json!({"project_id": "nope"}), "project_id"),
        (
            json!({"project_id": pid, "template_id": "nope"}),
            "template_id",
        ),
        (
            json!({"project_id": pid, "version_id": "nope"}),
            "version_id",
        ),
        (
            json!({"project_id": pid, "template_id": "animatic", "template_version_id": "x@9"}),
            "template_version_id",
        ),
    ] {
        let (status, err) = s.post("/api/v1/workflow-runs", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }
    let (status, err) = s.get("/api/v1/workflow-runs/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&err, "NOT_FOUND", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_shot_run_completes() {
    let s = TestServer::start(AuthMode::Local).await;
    let mut text = String::from("EXT. HARBOUR - DAWN\n\n");
    for i in 0..200 {
        text.push_str(&format!("Gulls wheel over boat number {i}.\n\n"));
    }
    let (pid, _) = project_with_script(&s, &text).await;
    // A draft-quality template: frames at a quarter of 1080p, no review gate.
    let (status, t) = s
        .post(
            "/api/v1/workflows/templates",
            json!({"name": "Draft frames", "graph": {
                "nodes": [
                    {"id": "parse", "kind": "script.parse"},
                    {"id": "plan", "kind": "storyboard.plan"},
                    {"id": "keyframes", "kind": "keyframe.render", "config": {"scale": 0.25}}
                ],
                "edges": [
                    {"from": "parse.breakdown", "to": "plan.breakdown"},
                    {"from": "plan.storyboard", "to": "keyframes.storyboard"}
                ]
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": t["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let id = run["id"].as_str().unwrap().to_string();
    let run = wait_for(&s, &id, "completion", |r| r["status"] == "completed").await;
    let k = step(&run, "keyframes");
    assert_eq!(k["items_total"], 200);
    assert_eq!(k["items_done"], 200);
    let (_, frames) = s
        .get(&format!(
            "/api/v1/assets?project_id={pid}&type=keyframe_image&limit=1"
        ))
        .await;
    assert_eq!(frames["total"], 200);
    assert_eq!(frames["items"][0]["width"], 270);
    assert_eq!(frames["items"][0]["height"], 270, "square project");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_arrives_over_sse_and_the_websocket() {
    use futures_util::StreamExt;
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(&s, CN).await;
    let run = start(&s, &pid).await;
    let id = run["id"].as_str().unwrap().to_string();
    // Hold the run while both subscribers connect, so they see it move.
    let (status, paused) = s
        .post(&format!("/api/v1/workflow-runs/{id}/pause"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");

    // The progress WebSocket: the first message is the state, then progress_update messages.
    let ws_url = format!("{}/ws/progress/{id}", s.base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    let first: Value = match ws.next().await.unwrap().unwrap() {
        tokio_tungstenite::tungstenite::Message::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(first["type"], "state");
    assert_eq!(first["run"]["id"], id.as_str());

    // SSE: the same, as events.
    let mut res = s
        .client
        .get(s.url(&format!("/api/v1/workflow-runs/{id}/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut text = String::new();
    while !text.contains("event: state") {
        text.push_str(&String::from_utf8_lossy(
            &res.chunk().await.unwrap().unwrap(),
        ));
    }

    assert_eq!(first["run"]["status"], "paused");
    let (status, _) = s
        .post(&format!("/api/v1/workflow-runs/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Both carry the run to its review gate.
    let mut saw_ws = false;
    while !saw_ws {
        let msg = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("a progress message within a minute")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            let e: Value = serde_json::from_str(&t).unwrap();
            assert_eq!(e["type"], "progress_update");
            assert_eq!(e["workflow_id"], id.as_str());
            saw_ws = e["status"] == "waiting";
        }
    }
    let mut saw_sse = false;
    while !saw_sse {
        let chunk = tokio::time::timeout(Duration::from_secs(60), res.chunk())
            .await
            .expect("an event within a minute")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        saw_sse = text.contains("\"status\":\"waiting\"");
    }
    assert!(text.contains("event: progress"), "{text}");
    assert!(
        text.contains("\"node_id\":\"keyframes\""),
        "keyframe progress was reported"
    );
    ws.close(None).await.ok();
}

#[tokio::test]
async fn a_single_node_can_be_test_run() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(&s, CN).await;
    let (status, step) = s
        .post(
            "/api/v1/workflows/node-test",
            json!({"project_id": pid, "kind": "script.parse"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{step}");
    assert_eq!(step["status"], "completed");
    assert!(step["output"]["breakdown"]["shot_count"].as_u64().unwrap() > 5);
    let (status, step) = s
        .post(
            "/api/v1/workflows/node-test",
            json!({"project_id": pid, "kind": "llm.prompt", "config": {"provider": "llm.default"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(step["status"], "failed");
    assert!(
        step["error"].as_str().unwrap().contains("llm.default"),
        "{step}"
    );
    for (body, field) in [
        (json!({"project_id": pid, "kind": "teleport"}), "kind"),
        (json!({"project_id": pid, "kind": "review"}), "kind"),
        (
            json!({"project_id": pid, "kind": "storyboard.plan"}),
            "inputs",
        ),
        (
            json!({"project_id": pid, "kind": "script.parse", "config": 3}),
            "config",
        ),
        (
            json!({"project_id": "nope", "kind": "script.parse"}),
            "project_id",
        ),
    ] {
        let (status, err) = s.post("/api/v1/workflows/node-test", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_selects_among_candidates() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(
        &s,
        "INT. ROOM - DAY\n\nAnna waits by the door.\n\nBen reads a letter.\n",
    )
    .await;
    let (status, t) = s
        .post(
            "/api/v1/workflows/templates",
            json!({"name": "Two candidates", "graph": {
                "nodes": [
                    {"id": "parse", "kind": "script.parse"},
                    {"id": "plan", "kind": "storyboard.plan"},
                    {"id": "keyframes", "kind": "keyframe.render", "config": {"scale": 0.25, "candidates": 2}},
                    {"id": "review", "kind": "review"}
                ],
                "edges": [
                    {"from": "parse.breakdown", "to": "plan.breakdown"},
                    {"from": "plan.storyboard", "to": "keyframes.storyboard"},
                    {"from": "keyframes.images", "to": "review.images"}
                ]
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let (_, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": t["id"]}),
        )
        .await;
    let id = run["id"].as_str().unwrap().to_string();
    let run = wait_for(&s, &id, "review", |r| r["status"] == "waiting_review").await;
    let (review_id, q) = review_of(&s, &run).await;
    let items = q["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    for item in &items {
        let c = item["candidates"].as_array().unwrap();
        assert_eq!(c.len(), 2, "{item}");
        assert_ne!(
            c[0]["asset_id"], c[1]["asset_id"],
            "candidates are different frames"
        );
        assert_eq!(
            item["asset_id"], c[0]["asset_id"],
            "the first candidate is the keyframe"
        );
    }
    let (first, second) = (&items[0], &items[1]);
    let pick = first["candidates"][1]["asset_id"].as_str().unwrap();
    let other = second["candidates"][0]["asset_id"].as_str().unwrap();

    // A frame drawn for another shot is not a candidate here.
    let (status, err) = s
        .post(
            &format!("/api/v1/workflow-runs/{id}/actions/human-select"),
            json!({"node_run_id": review_id, "selections": {first["item_key"].as_str().unwrap(): [other]}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_error(&err, "VALIDATION_ERROR", Some("selections"));

    let (status, q) = s
        .post(
            &format!("/api/v1/workflow-runs/{id}/actions/human-select"),
            json!({"node_run_id": review_id, "selections": {first["item_key"].as_str().unwrap(): [pick]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let chosen = &q["items"][0];
    assert_eq!(chosen["decision"], "select");
    assert_eq!(chosen["asset_id"], pick);
    assert_eq!(chosen["locked"], true);
    let (status, _) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
            json!({"item_key": second["item_key"], "decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/continue"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    wait_for(&s, &id, "completion", |r| r["status"] == "completed").await;
    let (_, shot) = s
        .get(&format!(
            "/api/v1/storyboards/{}",
            first["item_key"].as_str().unwrap()
        ))
        .await;
    assert_eq!(shot["keyframe_asset_id"], pick);
}

/// Approves every keyframe of the run's review and continues.
async fn approve_all(s: &TestServer, run: &Value) {
    let review_id = step(run, "review")["node_run_id"].as_str().unwrap();
    let (status, q) = s
        .get(&format!(
            "/api/v1/workflow/node-runs/{review_id}/review/assets"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{q}");
    for item in q["items"].as_array().unwrap() {
        let (status, body) = s
            .post(
                &format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
                json!({"item_key": item["item_key"], "decision": "approve"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review_id}/review/continue"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Sets the voice of the project's character `name` (the script proposed it); its id.
async fn set_voice(s: &TestServer, pid: &str, name: &str, voice: &str) -> String {
    let (status, list) = s
        .get(&format!("/api/v1/characters?project_id={pid}&limit=100"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no character {name} in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, c) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/characters/{id}"),
            Some(json!({"voice": voice})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["voice"], voice);
    id
}

/// The project's audio assets' metadata.
async fn audio_metadata(s: &TestServer, pid: &str) -> Vec<Value> {
    let (status, audio) = s
        .get(&format!(
            "/api/v1/assets?project_id={pid}&type=audio&limit=100"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{audio}");
    audio["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["metadata"].clone())
        .collect()
}

/// A voice written as a description (what the character form's placeholder invites) is spoken in
/// the nearest espeak-ng voice: the run completes, with real speech, not a failed voice node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_described_voice_is_spoken_in_the_nearest_voice() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = project_with_script(&s, CN).await;
    for (name, voice) in [("林雪", "温柔女声，略带沙哑"), ("顾辰", "低沉的男声")]
    {
        set_voice(&s, &pid, name, voice).await;
    }
    let run = start(&s, &pid).await;
    let id = run["id"].as_str().unwrap().to_string();
    let run = wait_for(&s, &id, "review", |r| r["status"] == "waiting_review").await;
    approve_all(&s, &run).await;
    let run = wait_for(&s, &id, "completion", |r| r["status"] == "completed").await;
    let voice = step(&run, "voice");
    assert_eq!(voice["status"], "completed", "{voice}");

    let audio = audio_metadata(&s, &pid).await;
    assert_eq!(audio.len() as u64, voice["items_total"].as_u64().unwrap());
    let hers: Vec<&Value> = audio
        .iter()
        .filter(|m| m["requested_voice"] == "温柔女声，略带沙哑")
        .collect();
    assert!(!hers.is_empty(), "{audio:?}");
    for m in &hers {
        assert_eq!(m["voice"], "cmn+f3", "{m}");
        assert_eq!(m["pitch"], 42, "{m}");
    }
    let his = audio
        .iter()
        .find(|m| m["requested_voice"] == "低沉的男声")
        .expect("顾辰 speaks");
    assert_eq!(
        (&his["voice"], &his["pitch"]),
        (&json!("cmn+m3"), &json!(30))
    );
    if audio.iter().all(|m| m["note"].is_null()) {
        // espeak-ng is installed: real speech, which takes time.
        assert!(hers.iter().all(|m| m["duration_ms"].as_u64().unwrap() > 0));
    }
}

/// A local stand-in for OpenAI's `/audio/speech`: it knows OpenAI's six voices and refuses any
/// other with a 400, as OpenAI does. Records the voice of every request.
async fn fake_speech() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::{extract::State, response::IntoResponse, routing::post, Json, Router};
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<String>>>;
    async fn speech(State(seen): State<Seen>, Json(body): Json<Value>) -> axum::response::Response {
        let voice = body["voice"].as_str().unwrap_or_default().to_string();
        seen.lock().unwrap().push(voice.clone());
        let known = ["alloy", "echo", "fable", "onyx", "nova", "shimmer"];
        if !known.contains(&voice.as_str()) {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                Json(
                    json!({"error": {"message": format!("Invalid voice: {voice}"),
                                      "type": "invalid_request_error", "param": "voice"}}),
                ),
            )
                .into_response();
        }
        (
            [(axum::http::header::CONTENT_TYPE, "audio/wav")],
            storyloom::providers::wav::silent_wav(700, 24000),
        )
            .into_response()
    }
    let seen: Seen = Default::default();
    let app = Router::new()
        .route("/v1/audio/speech", post(speech))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), seen)
}

/// Retrying a failed run uses the project as it is now: the voice node fails on a voice the
/// speech model refuses; the character's voice is fixed; the retry speaks in the new voice
/// (before, the `characters` node's output from the first attempt was reused, old voice and all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_speaks_in_the_characters_current_voice() {
    let s = TestServer::start(AuthMode::Local).await;
    let (base, seen) = fake_speech().await;
    let (status, p) = s
        .post(
            "/api/v1/admin/providers",
            json!({"name": "Speech", "adapter": "openai_compatible", "base_url": base,
                   "api_key": "sk-test-0123456789abcd", "max_concurrency": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, m) = s
        .post(
            "/api/v1/models",
            json!({"name": "Fake speech", "provider_id": p["id"], "model_name": "tts-1",
                   "kind": "tts", "credits_cost": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let (status, t) = s
        .post(
            "/api/v1/workflows/templates",
            json!({"name": "Voices", "graph": {
                "nodes": [
                    {"id": "parse", "kind": "script.parse"},
                    {"id": "characters", "kind": "characters.extract"},
                    {"id": "plan", "kind": "storyboard.plan"},
                    {"id": "voice", "kind": "voice.tts", "config": {"provider": m["id"]}}
                ],
                "edges": [
                    {"from": "parse.breakdown", "to": "characters.breakdown"},
                    {"from": "parse.breakdown", "to": "plan.breakdown"},
                    {"from": "characters.characters", "to": "plan.characters"},
                    {"from": "plan.storyboard", "to": "voice.storyboard"},
                    {"from": "characters.characters", "to": "voice.characters"}
                ]
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let script = "INT. ROOM - DAY\n\nAnna waits.\n\nANNA\nHello?\n\nANNA\nIs anyone there?\n";
    let (pid, _) = project_with_script(&s, script).await;
    let cid = set_voice(&s, &pid, "ANNA", "warm-husky").await;

    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": t["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let id = run["id"].as_str().unwrap().to_string();
    let run = wait_for(&s, &id, "failed", |r| r["status"] == "failed").await;
    assert_eq!(step(&run, "voice")["status"], "failed", "{run}");
    assert_eq!(step(&run, "characters")["status"], "completed");
    assert!(seen.lock().unwrap().iter().all(|v| v == "warm-husky"));
    assert!(!seen.lock().unwrap().is_empty());

    // Fix the voice, retry: the characters step is not re-run, yet the new voice is used.
    assert_eq!(set_voice(&s, &pid, "ANNA", "nova").await, cid);
    seen.lock().unwrap().clear();
    let (status, retried) = s
        .post(&format!("/api/v1/workflow/runs/{id}/retry"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    let run = wait_for(&s, &id, "completion", |r| r["status"] == "completed").await;
    let voice = step(&run, "voice");
    assert_eq!(voice["items_total"], 2, "{voice}");
    assert_eq!(*seen.lock().unwrap(), ["nova", "nova"]);
    let audio = audio_metadata(&s, &pid).await;
    assert_eq!(audio.len(), 2, "{audio:?}");
    assert!(audio.iter().all(|m| m["voice"] == "nova"), "{audio:?}");
}
