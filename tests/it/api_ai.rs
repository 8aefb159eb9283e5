//! Issue 13 end to end: `full_production` on the Chinese sample with its language and image models
//! registered against a local fake server that speaks OpenAI's wire format (chat completions with
//! `usage`, image generations with `b64_json`), through the review, to an MP4 checked with ffprobe.
//! The ledger shows one settled charge per paid call, images charged exactly as estimated, and
//! reconciliation finds nothing; a failing image upstream charges nothing for the failed shots.
use crate::common;

use std::{
    io::Cursor,
    net::SocketAddr,
    process::Command,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::State, http::StatusCode as AxStatus, response::IntoResponse, routing::post, Json,
    Router,
};
use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

const CN: &str = include_str!("../../assets/samples/rebirth_ep1.txt");
const IMAGE_PRICE: i64 = 3;

#[derive(Default)]
struct Upstream {
    chats: Vec<Value>,
    images: Vec<Value>,
    /// Keyframe prompts naming this refuse with a content-policy 400.
    refuse: Option<String>,
}

type Shared = Arc<Mutex<Upstream>>;

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 3) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn chat(State(up): State<Shared>, Json(body): Json<Value>) -> impl IntoResponse {
    up.lock().unwrap().chats.push(body);
    let content =
        json!({"shots": [{"number": 1, "description": "雨夜的街道，女主角撑伞回头"}]}).to_string();
    Json(json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_733_450_000, "model": "fake-llm",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
    }))
}

async fn images(State(up): State<Shared>, Json(body): Json<Value>) -> axum::response::Response {
    let prompt = body["prompt"].as_str().unwrap_or_default().to_string();
    let refuse = {
        let mut u = up.lock().unwrap();
        u.images.push(body.clone());
        u.refuse.clone()
    };
    if let Some(name) =
        refuse.filter(|n| prompt.contains("Vertical frame") && prompt.contains(n.as_str()))
    {
        return (
            AxStatus::BAD_REQUEST,
            Json(json!({"error": {"message": format!("Your request was rejected by the safety system ({name})"),
                                  "type": "invalid_request_error", "code": "content_policy_violation"}})),
        )
            .into_response();
    }
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(png(72, 128));
    Json(json!({"created": 1_733_450_000, "data": [{"b64_json": b64}]})).into_response()
}

async fn fake_upstream(refuse: Option<&str>) -> (String, Shared) {
    let up: Shared = Arc::new(Mutex::new(Upstream {
        refuse: refuse.map(str::to_string),
        ..Default::default()
    }));
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/images/generations", post(images))
        .with_state(up.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), up)
}

/// Registers the fake as a provider with an LLM and an image model and makes both the defaults.
async fn register(s: &TestServer, base: &str) -> (String, String) {
    let (status, p) = s
        .post(
            "/api/v1/admin/providers",
            json!({"name": "Local fake", "adapter": "openai_compatible", "base_url": base,
                   "api_key": "sk-test-0123456789abcd", "max_concurrency": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["api_key_masked"], "sk-…abcd");
    assert!(!p.to_string().contains("0123456789"), "the key leaked: {p}");
    let pid = p["id"].as_str().unwrap();
    let (status, llm) = s
        .post(
            "/api/v1/models",
            json!({"name": "Fake chat", "provider_id": pid, "model_name": "fake-llm", "kind": "llm",
                   "credits_cost": 2, "output_credits_cost": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{llm}");
    let (status, img) = s
        .post(
            "/api/v1/models",
            json!({"name": "Fake images", "provider_id": pid, "model_name": "fake-image", "kind": "image",
                   "credits_cost": IMAGE_PRICE}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{img}");
    assert_eq!(img["unit"], "image");
    let (llm, img) = (
        llm["id"].as_str().unwrap().to_string(),
        img["id"].as_str().unwrap().to_string(),
    );
    let (status, cfg) = s
        .call(
            Method::PATCH,
            "/api/v1/admin/config",
            Some(json!({"default_models": {"llm": llm, "image": img}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cfg}");
    (llm, img)
}

async fn project(s: &TestServer) -> (String, String) {
    let (pid, vid) = s.project_with_script("AI run", "9:16", CN).await;
    let (status, body) = s
        .post(
            &format!("/api/v1/projects/{pid}/versions/{vid}/script/parse"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (pid, vid)
}

/// The storyboard's shots, and the first character who appears in one.
async fn shots_and_a_character(s: &TestServer, pid: &str, vid: &str) -> (Vec<Value>, String) {
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let shots: Vec<Value> = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|sc| sc["shots"].as_array().unwrap().clone())
        .collect();
    let name = shots
        .iter()
        .find_map(|sh| {
            sh["characters"]
                .as_array()?
                .first()?
                .as_str()
                .map(str::to_string)
        })
        .expect("a character appears in the sample");
    (shots, name)
}

async fn wait_run(s: &TestServer, id: &str, until: &[&str]) -> Value {
    for _ in 0..1800 {
        let (status, run) = s.get(&format!("/api/v1/workflow-runs/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{run}");
        if until.contains(&run["status"].as_str().unwrap_or("")) {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {id} never reached {until:?}");
}

fn step<'a>(run: &'a Value, node: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["node_id"] == node)
        .unwrap()
}

/// (settled holds that charged something, credits charged) for this owner.
async fn charges(s: &TestServer) -> (i64, i64) {
    s.state
        .db
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(charged), 0) FROM ledger_holds WHERE status = 'settled' AND charged > 0",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap()
}

async fn reconciliation_is_clean(s: &TestServer) {
    let (status, rec) = s.post("/api/v1/admin/reconciliation", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    assert_eq!(rec["issues"].as_array().map(Vec::len), Some(0), "{rec}");
}

async fn grant(s: &TestServer, credits: i64) {
    let owner = s.state.local_owner_id.clone().unwrap();
    let (status, body) = s
        .post(
            "/api/v1/admin/credits/grant",
            json!({"user_id": owner, "credits": credits}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Exports the project's last run to a 480p MP4 and downloads it: (its folder, the file).
async fn export_mp4(s: &TestServer, pid: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let body = json!({"project_id": pid, "resolution": "480p", "format": "mp4", "fps": 24});
    let (status, e) = s.post("/api/v1/export", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{e}");
    let eid = e["export_id"].as_str().unwrap().to_string();
    let mut done = Value::Null;
    for _ in 0..3000 {
        let (_, e) = s.get(&format!("/api/v1/export/{eid}")).await;
        assert_ne!(e["status"], "failed", "{e}");
        if e["status"] == "completed" {
            done = e;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = s.url(done["video_url"].as_str().expect("exported in time"));
    let bytes = s
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.mp4");
    std::fs::write(&file, &bytes).unwrap();
    (dir, file)
}

use crate::common::ffprobe;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_production_on_registered_models_is_charged_as_estimated_and_exports() {
    let s = TestServer::start(AuthMode::Local).await;
    let (base, up) = fake_upstream(None).await;
    register(&s, &base).await;
    grant(&s, 5_000).await;
    let (pid, _) = project(&s).await;

    // The estimate before the run prices the sample's shots and characters.
    let (status, est) = s
        .post(
            "/api/v1/workflow-runs/estimate",
            json!({"project_id": pid, "template_id": "full_production"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{est}");
    let node_est = |id: &str| {
        est["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node_id"] == id)
            .unwrap()["estimate"]
            .as_i64()
            .unwrap()
    };
    let (keyframes_est, design_est, llm_est) = (
        node_est("keyframes"),
        node_est("design"),
        node_est("refine"),
    );
    assert!(
        keyframes_est > 0 && keyframes_est % (2 * IMAGE_PRICE) == 0,
        "{est}"
    );
    assert!(design_est > 0 && llm_est > 0, "{est}");
    assert_eq!(node_est("voice"), 0, "espeak-ng is free: {est}");

    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": "full_production"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let id = run["id"].as_str().unwrap().to_string();
    assert_eq!(step(&run, "keyframes")["estimate_credits"], keyframes_est);
    let run = wait_run(&s, &id, &["waiting_review", "failed"]).await;
    assert_eq!(run["status"], "waiting_review", "{run}");

    // Every keyframe came from the image model, with its provenance.
    let review = step(&run, "review")["node_run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, q) = s
        .get(&format!(
            "/api/v1/workflow/node-runs/{review}/review/assets"
        ))
        .await;
    let items = q["items"].as_array().unwrap().clone();
    assert!(items.len() > 3, "{q}");
    let (_, asset) = s
        .get(&format!(
            "/api/v1/assets/{}",
            items[0]["asset_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(asset["metadata"]["model"], "fake-image", "{asset}");
    assert_eq!(asset["metadata"]["cost_credits"], IMAGE_PRICE);
    {
        let u = up.lock().unwrap();
        assert_eq!(u.chats.len(), 1, "one refine call");
        assert_eq!(u.chats[0]["model"], "fake-llm");
        assert_eq!(u.chats[0]["response_format"]["type"], "json_object");
        assert!(u.images.iter().any(|b| b["prompt"]
            .as_str()
            .unwrap()
            .contains("Character reference sheet")));
        let keyframe_calls = u
            .images
            .iter()
            .filter(|b| b["prompt"].as_str().unwrap().contains("Vertical frame"))
            .count() as i64;
        assert_eq!(
            keyframe_calls * IMAGE_PRICE,
            keyframes_est,
            "the keyframe estimate is what was called"
        );
    }
    for item in &items {
        let (status, body) = s
            .post(
                &format!("/api/v1/workflow/node-runs/{review}/review/decision"),
                json!({"item_key": item["item_key"], "decision": "approve"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review}/review/continue"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let run = wait_run(&s, &id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "completed", "{run}");

    // One settled charge per paid call: the refine, each reference sheet, each keyframe candidate.
    let image_calls = up.lock().unwrap().images.len() as i64;
    let (settled, charged) = charges(&s).await;
    assert_eq!(settled, 1 + image_calls, "holds settled vs calls made");
    let llm_charge = 1200 * 2 / 1000 + 300 * 4 / 1000 + 1; // ceil((1200×2 + 300×4) / 1000)
    assert_eq!(charged, image_calls * IMAGE_PRICE + llm_charge);
    assert!(llm_charge <= llm_est, "the LLM hold covered its usage");
    assert_eq!(
        step(&run, "keyframes")["cost_credits"],
        keyframes_est,
        "keyframes charged exactly as estimated"
    );
    assert_eq!(step(&run, "design")["cost_credits"], design_est);
    assert_eq!(run["cost_credits"], charged);
    let (_, b) = s.get("/api/v1/billing/balance").await;
    assert_eq!(b["available"], 5_000 - charged, "{b}");
    assert_eq!(b["held"], 0, "{b}");
    reconciliation_is_clean(&s).await;

    // The reviewed frames export to a vertical MP4.
    let (_dir, file) = export_mp4(&s, &pid).await;
    let probe = ffprobe(&file);
    let video = probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == "video")
        .unwrap()
        .clone();
    assert_eq!(
        (video["width"].as_u64(), video["height"].as_u64()),
        (Some(480), Some(854)),
        "{probe}"
    );
    assert_eq!(video["codec_name"], "h264");
    assert!(
        probe["format"]["duration"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 10.0,
        "{probe}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_image_upstream_charges_nothing_for_the_failed_shots() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s).await;
    // Refuse every keyframe that shows the first character of the sample.
    let (shots, name) = shots_and_a_character(&s, &pid, &vid).await;
    let failing = shots
        .iter()
        .filter(|sh| {
            sh["characters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == name.as_str())
        })
        .count() as i64;
    assert!(failing > 0 && (failing as usize) < shots.len());
    let (base, up) = fake_upstream(Some(&name)).await;
    register(&s, &base).await;
    grant(&s, 5_000).await;

    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": "full_production"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let id = run["id"].as_str().unwrap().to_string();
    let run = wait_run(&s, &id, &["failed", "waiting_review"]).await;
    assert_eq!(run["status"], "failed", "{run}");
    let keyframes = step(&run, "keyframes");
    assert_eq!(keyframes["status"], "failed");
    assert!(
        keyframes["error"]
            .as_str()
            .unwrap()
            .contains("safety system"),
        "the upstream's message: {keyframes}"
    );
    assert_eq!(keyframes["retryable"], false, "a 4xx is not retried");

    // Charged: the refine, the reference sheets, and the keyframe calls that were not refused.
    let (sheets, ok_calls, refused) = {
        let u = up.lock().unwrap();
        let prompts: Vec<&str> = u
            .images
            .iter()
            .map(|b| b["prompt"].as_str().unwrap())
            .collect();
        let sheets = prompts
            .iter()
            .filter(|p| p.contains("Character reference sheet"))
            .count() as i64;
        let frames: Vec<&&str> = prompts
            .iter()
            .filter(|p| p.contains("Vertical frame"))
            .collect();
        let refused = frames.iter().filter(|p| p.contains(name.as_str())).count() as i64;
        (sheets, frames.len() as i64 - refused, refused)
    };
    assert!(
        refused > 0 && ok_calls > 0,
        "{refused} refused, {ok_calls} drawn"
    );
    let (settled, charged) = charges(&s).await;
    assert_eq!(
        settled,
        1 + sheets + ok_calls,
        "no charge for a refused shot"
    );
    assert_eq!(charged, 4 + (sheets + ok_calls) * IMAGE_PRICE);
    assert_eq!(keyframes["cost_credits"], ok_calls * IMAGE_PRICE);
    let (_, b) = s.get("/api/v1/billing/balance").await;
    assert_eq!(b["held"], 0, "every hold resolved: {b}");
    assert_eq!(b["available"], 5_000 - charged);
    reconciliation_is_clean(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_keeps_keys_secret_and_refuses_bad_input_by_field() {
    let s = TestServer::start(AuthMode::Local).await;
    let (base, _) = fake_upstream(None).await;
    let (llm, _) = register(&s, &base).await;
    // The key is sealed in the database, never stored in the clear.
    let raw: Vec<u8> = s
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT secret_sealed FROM ai_providers WHERE builtin = 0",
                [],
                |r| r.get(0),
            )
            .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap();
    assert!(!raw.windows(10).any(|w| w == b"0123456789"));
    let (_, list) = s.get("/api/v1/admin/providers").await;
    assert!(!list.to_string().contains("0123456789"), "{list}");
    assert_eq!(
        list["items"][0]["builtin"], true,
        "the built-in offline provider is a row: {list}"
    );

    // The test makes a real call to the fake.
    let pid = list["items"][1]["id"].as_str().unwrap().to_string();
    let (status, t) = s
        .post(
            &format!("/api/v1/admin/providers/{pid}/test"),
            json!({"model_id": llm}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["ok"], true, "{t}");

    for (body, field) in [
        (
            json!({"name": "x", "adapter": "openai_compatible", "base_url": "not a url"}),
            "base_url",
        ),
        (
            json!({"name": "", "adapter": "openai_compatible", "base_url": "http://127.0.0.1:1"}),
            "name",
        ),
        (
            json!({"name": "x", "adapter": "builtin", "base_url": "http://127.0.0.1:1"}),
            "adapter",
        ),
        (
            json!({"name": "x", "adapter": "openai_compatible", "base_url": "http://127.0.0.1:1", "max_concurrency": 0}),
            "max_concurrency",
        ),
    ] {
        let (status, e) = s.post("/api/v1/admin/providers", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["field"], field, "{e}");
    }
    let (status, e) = s
        .call(
            Method::PATCH,
            "/api/v1/admin/config",
            Some(json!({"default_models": {"video": llm}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "default_models.video");
    // A default model cannot be deleted; the catalog filters by kind and searches.
    let (status, e) = s
        .call(Method::DELETE, &format!("/api/v1/models/{llm}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    let (_, page) = s
        .get("/api/v1/models?kind=image&sort_by=price&order=desc")
        .await;
    assert_eq!(page["items"][0]["model_name"], "fake-image", "{page}");
    let (_, found) = s.get("/api/v1/models/search?q=chat").await;
    assert_eq!(found["total"], 1, "{found}");

    // A cost cap below the run's estimate refuses it before any provider is called.
    let (pid, _) = project(&s).await;
    let (status, body) = s
        .call(
            Method::PATCH,
            "/api/v1/admin/config",
            Some(json!({"cost_cap": 5})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    grant(&s, 1_000).await;
    let (status, e) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": "full_production"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "cost_cap", "{e}");
    // The offline animatic still runs at cost 0 under the same cap.
    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": "animatic"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shot_and_a_reference_sheet_are_generated_on_request_and_paid_once() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, vid) = project(&s).await;
    let (shots, name) = shots_and_a_character(&s, &pid, &vid).await;
    let plain = shots
        .iter()
        .find(|sh| {
            !sh["description"]
                .as_str()
                .unwrap_or("")
                .contains(name.as_str())
                && !sh["characters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == name.as_str())
        })
        .unwrap();
    let refused = shots
        .iter()
        .find(|sh| {
            sh["characters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == name.as_str())
        })
        .unwrap();
    let (base, up) = fake_upstream(Some(&name)).await;
    register(&s, &base).await;

    // Without credits: 402 before any call.
    let (status, e) = s
        .post(
            &format!(
                "/api/v1/storyboards/{}/generate",
                plain["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert!(up.lock().unwrap().images.is_empty(), "nothing was called");

    grant(&s, 100).await;
    let (status, g) = s
        .post(
            &format!(
                "/api/v1/storyboards/{}/generate",
                plain["id"].as_str().unwrap()
            ),
            json!({"style": "水墨"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(
        (
            g["model"].as_str(),
            g["cost_credits"].as_i64(),
            g["status"].as_str()
        ),
        (Some("fake-image"), Some(IMAGE_PRICE), Some("completed"))
    );
    assert!(up.lock().unwrap().images[0]["prompt"]
        .as_str()
        .unwrap()
        .contains("Style: 水墨"));
    let (_, shot) = s
        .get(&format!(
            "/api/v1/storyboards/{}",
            plain["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        shot["keyframe_asset_id"], g["asset_id"],
        "the shot shows its new frame"
    );

    // The upstream refuses: its message, a 502, and the hold voided.
    let (status, e) = s
        .post(
            &format!(
                "/api/v1/storyboards/{}/generate",
                refused["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{e}");
    assert_eq!(e["error_code"], "UPSTREAM_FAILED");
    assert!(
        e["detail"].as_str().unwrap().contains("safety system"),
        "{e}"
    );

    // A character without a reference image gets a sheet drawn before its consistency model.
    let (_, chars) = s.get(&format!("/api/v1/characters?project_id={pid}")).await;
    let cid = chars["items"][0]["id"].as_str().unwrap().to_string();
    let (status, m) = s
        .post(
            &format!("/api/v1/characters/{cid}/consistency-model"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    let (_, ch) = s.get(&format!("/api/v1/characters/{cid}")).await;
    assert_eq!(
        ch["reference_asset_ids"].as_array().map(Vec::len),
        Some(1),
        "{ch}"
    );

    let (settled, charged) = charges(&s).await;
    assert_eq!(
        (settled, charged),
        (2, 2 * IMAGE_PRICE),
        "the frame and the sheet; not the refused call"
    );
    let (_, b) = s.get("/api/v1/billing/balance").await;
    assert_eq!(
        (b["available"].as_i64(), b["held"].as_i64()),
        (Some(100 - 2 * IMAGE_PRICE), Some(0)),
        "{b}"
    );
    reconciliation_is_clean(&s).await;
}

/// A fake DashScope: image-to-video tasks (`X-DashScope-Async: enable`), polled at `/tasks/{id}`,
/// whose result is a real two-second MP4 made with ffmpeg and served from `/files/`.
async fn fake_dashscope() -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::{extract::Path as AxPath, http::HeaderMap, routing::get};
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    let ok = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=144x256:rate=24",
            "-t",
            "2",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&clip)
        .status()
        .expect("ffmpeg runs");
    assert!(ok.success());
    let mp4 = Arc::new(std::fs::read(&clip).unwrap());
    let tasks: Arc<Mutex<Vec<Value>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let (t1, t2, b2) = (tasks.clone(), tasks.clone(), base.clone());
    let app = Router::new()
        .route(
            "/api/v1/services/aigc/video-generation/video-synthesis",
            post(move |headers: HeaderMap, Json(body): Json<Value>| async move {
                assert_eq!(headers.get("x-dashscope-async").and_then(|v| v.to_str().ok()), Some("enable"));
                let mut t = t1.lock().unwrap();
                t.push(body);
                let id = format!("task-{}", t.len());
                Json(json!({"output": {"task_id": id, "task_status": "PENDING"}, "request_id": format!("req-{id}")}))
            }),
        )
        .route(
            "/api/v1/tasks/{id}",
            get(move |AxPath(id): AxPath<String>| async move {
                let _ = &t2;
                Json(json!({"output": {"task_id": id, "task_status": "SUCCEEDED",
                                       "video_url": format!("{b2}/files/{id}.mp4")},
                            "usage": {"video_duration": 2}, "request_id": "req-poll"}))
            }),
        )
        .route(
            "/files/{name}",
            get(move || {
                let mp4 = mp4.clone();
                async move { ([("content-type", "video/mp4")], mp4.as_ref().clone()) }
            }),
        );
    tokio::spawn(async move {
        let _dir = dir;
        axum::serve(listener, app).await.unwrap()
    });
    (format!("{base}/api/v1"), tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clips_from_a_video_model_are_paid_by_their_seconds_and_exported_in_place_of_stills() {
    let s = TestServer::start(AuthMode::Local).await;
    let (base, _) = fake_upstream(None).await;
    register(&s, &base).await;
    let (ds, tasks) = fake_dashscope().await;
    let (status, p) = s
        .post("/api/v1/admin/providers", json!({"name": "DashScope", "adapter": "dashscope", "base_url": ds, "api_key": "sk-dashscope-test-key"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, video) = s
        .post("/api/v1/models", json!({"name": "Wan i2v", "provider_id": p["id"], "model_name": "wanx2.1-i2v-turbo",
                                       "kind": "video", "credits_cost": 2, "config": {"poll_ms": 20}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{video}");
    assert_eq!(video["unit"], "second");
    let (status, cfg) = s
        .call(
            Method::PATCH,
            "/api/v1/admin/config",
            Some(json!({"default_models": {"video": video["id"]}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cfg}");
    grant(&s, 5_000).await;
    let (pid, vid) = project(&s).await;
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    let durations: Vec<f64> = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|sc| {
            sc["shots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|sh| sh["duration"].as_f64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let estimate: i64 = durations.iter().map(|d| (d.ceil() as i64).max(1) * 2).sum();
    // Each clip is two seconds long: that is what is charged, never more than the shot's hold.
    let charged: i64 = durations
        .iter()
        .map(|d| 2.min((d.ceil() as i64).max(1)) * 2)
        .sum();

    let (_, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": "full_production"}),
        )
        .await;
    let id = run["id"].as_str().unwrap().to_string();
    assert_eq!(step(&run, "animate")["estimate_credits"], estimate, "{run}");
    let run = wait_run(&s, &id, &["waiting_review", "failed"]).await;
    assert_eq!(run["status"], "waiting_review", "{run}");
    let review = step(&run, "review")["node_run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = s
        .post(
            &format!("/api/v1/workflow/node-runs/{review}/review/continue"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let run = wait_run(&s, &id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "completed", "{run}");
    let animate = step(&run, "animate");
    assert_eq!(animate["cost_credits"], charged, "{animate}");
    assert_eq!(
        tasks.lock().unwrap().len(),
        durations.len(),
        "one task per shot"
    );
    let first = tasks.lock().unwrap()[0].clone();
    assert!(
        first["input"]["img_url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"),
        "the keyframe was sent"
    );
    let clips = animate["output"]["clips"].as_array().unwrap();
    assert!(
        clips.iter().all(|c| c["clip_asset_id"].is_string()),
        "{animate}"
    );
    let (_, clip) = s
        .get(&format!(
            "/api/v1/assets/{}",
            clips[0]["clip_asset_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (clip["type"].as_str(), clip["metadata"]["model"].as_str()),
        (Some("video_clip"), Some("wanx2.1-i2v-turbo")),
        "{clip}"
    );
    reconciliation_is_clean(&s).await;

    let (_dir, file) = export_mp4(&s, &pid).await;
    let probe = ffprobe(&file);
    let total: f64 = durations.iter().sum();
    let got = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse::<f64>()
        .unwrap();
    // Each shot's clip fills at least the shot's time; a shot is held longer while its voice line
    // finishes (a voice never runs past its cue, docs/API-EXPORT.md), so the video may be a little
    // longer than the storyboard's sum.
    assert!(
        got > total - 0.5 && got < total + 5.0,
        "the clips fill each shot's time: {got} vs {total}"
    );
    // The first shot plays the clip (ffmpeg's colour test pattern), not the still (blue 90 everywhere).
    let frame = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", "0.5", "-i"])
        .arg(&file)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap()
        .stdout;
    let blue: Vec<f64> = frame
        .iter()
        .skip(2)
        .step_by(3)
        .map(|b| f64::from(*b))
        .collect();
    let mean = blue.iter().sum::<f64>() / blue.len() as f64;
    let spread = (blue.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / blue.len() as f64).sqrt();
    assert!(
        spread > 40.0,
        "the exported frame is the clip's pattern, not the still (blue spread {spread:.1})"
    );
}
