//! Reference-video analysis (docs/SUMMARIZE.md) through the real HTTP API: videos made in the test
//! with ffmpeg and espeak-ng speech (with and without a subtitle track), served from 127.0.0.1,
//! summarised against a fake OpenAI-compatible speech and language server that misbehaves on
//! purpose, and once against a real speech recognizer (faster-whisper, tiny.en, from PyPI).
use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{Multipart, Path as AxumPath, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use reqwest::Method;
use serde_json::{json, Value};
use storyloom::config::AuthMode;

use crate::common::{
    sse::{EventReader, Sse},
    TestServer,
};

// ------------------------------------------------------------------------------------------ media

fn espeak_available() -> bool {
    let present = Command::new("espeak-ng").arg("--version").output().is_ok();
    if !present && std::env::var_os("STORYLOOM_REQUIRE_ESPEAK").is_some() {
        panic!("espeak-ng is required (STORYLOOM_REQUIRE_ESPEAK) but missing");
    }
    present
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A small video of `speech` spoken by espeak-ng over a black picture, as long as the speech; with
/// `subtitles` (SRT), a mov_text track and 24 seconds (the speech padded with silence).
fn speech_video(dir: &Path, name: &str, speech: &str, subtitles: Option<&str>) -> PathBuf {
    let wav = dir.join(format!("{name}.wav"));
    run(Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "130", "-w"])
        .arg(&wav)
        .arg(speech));
    let out = dir.join(name);
    let mut cmd = Command::new("ffmpeg");
    let picture = if subtitles.is_some() {
        "color=c=black:s=160x120:r=5:d=24"
    } else {
        "color=c=black:s=160x120:r=5"
    };
    cmd.args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", picture])
        .arg("-i")
        .arg(&wav);
    if let Some(srt) = subtitles {
        let path = dir.join(format!("{name}.srt"));
        std::fs::write(&path, srt).unwrap();
        cmd.arg("-i").arg(&path);
        cmd.args([
            "-map", "0:v", "-map", "1:a", "-map", "2:s", "-c:s", "mov_text", "-af", "apad",
        ]);
    }
    cmd.args([
        "-shortest",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ])
    .arg(&out);
    run(&mut cmd);
    out
}

/// A video with no audio and no subtitles.
fn silent_video(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    run(Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "color=c=black:s=160x120:r=5:d=2"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&out));
    out
}

/// Six cues over 24 seconds: a hook in the first three, a setup, a turn ("But…") and an ending.
const SUBTITLES: &str = "1\n00:00:00,000 --> 00:00:02,500\nShe wakes up in the hospital.\n\n\
2\n00:00:03,000 --> 00:00:06,000\nHer sister signs the contract for the family company.\n\n\
3\n00:00:08,000 --> 00:00:11,000\nThe lawyer reads the contract to the family.\n\n\
4\n00:00:12,000 --> 00:00:15,000\nBut the contract in her hand is a fake contract.\n\n\
5\n00:00:17,000 --> 00:00:20,000\nShe tears the contract and walks out.\n\n\
6\n00:00:21,000 --> 00:00:24,000\nThe door opens and her husband is alive.\n";

/// Serves `dir`'s files at `/media/{name}` (as video/mp4), a web page at `/page`, and 404 for
/// anything else.
async fn media_server(dir: PathBuf) -> String {
    async fn file(State(dir): State<PathBuf>, AxumPath(name): AxumPath<String>) -> Response {
        match std::fs::read(dir.join(&name)) {
            Ok(bytes) => ([(header::CONTENT_TYPE, "video/mp4")], bytes).into_response(),
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        }
    }
    // Says 100 kB, sends 1 kB, then breaks the connection.
    async fn truncated() -> Response {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
            Ok(bytes::Bytes::from(vec![0u8; 1000])),
            Err(std::io::Error::other("cut off")),
        ];
        Response::builder()
            .header(header::CONTENT_TYPE, "video/mp4")
            .header(header::CONTENT_LENGTH, "100000")
            .body(axum::body::Body::from_stream(futures_util::stream::iter(
                chunks,
            )))
            .unwrap()
    }
    let app = Router::new()
        .route("/truncated.mp4", get(truncated))
        .route("/media/{name}", get(file))
        .route(
            "/page",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    "<html><title>An episode</title></html>",
                )
            }),
        )
        .with_state(dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

// ------------------------------------------------------------------------------------------ fake models

/// What the fake saw.
#[derive(Clone, Default)]
struct Seen {
    /// Calls per model name.
    calls: Arc<Mutex<HashMap<String, u32>>>,
    /// Every chat request's user message, in order.
    prompts: Arc<Mutex<Vec<String>>>,
    /// Each transcription's form fields (the file as its first 44 bytes, hex).
    transcriptions: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl Seen {
    fn calls(&self, model: &str) -> u32 {
        self.calls.lock().unwrap().get(model).copied().unwrap_or(0)
    }
}

const SUMMARY_ANSWER: &str = r#"{"summary": "A woman wakes up and finds the weather changed.", "mindmap": "- Episode\n  - Hook [00:00]", "beats": [{"kind": "hook", "start": "00:00", "end": "00:01", "text": "Hello world"}, {"kind": "cliffhanger", "start": "00:01", "end": "00:03", "text": "The weather is good"}]}"#;

/// An OpenAI-compatible server: `/v1/audio/transcriptions` answers `verbose_json` with two timed
/// segments; `/v1/chat/completions` answers by model: `ok` (after 400 ms, usage 100 + 50
/// tokens), `slow` (after 2.5 s), `boom` (500 every time), `limited` (429 every time).
async fn fake_models() -> (String, Seen) {
    async fn chat(State(seen): State<Seen>, Json(body): Json<Value>) -> Response {
        let model = body["model"].as_str().unwrap_or_default().to_string();
        *seen.calls.lock().unwrap().entry(model.clone()).or_default() += 1;
        let user = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_string();
        seen.prompts.lock().unwrap().push(user);
        match model.as_str() {
            "boom" => return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": {"message": "the model fell over", "type": "server_error"}})),
            )
                .into_response(),
            "limited" => {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "0")],
                    Json(json!({"error": {"message": "slow down", "type": "rate_limit_exceeded"}})),
                )
                    .into_response()
            }
            "slow" => tokio::time::sleep(Duration::from_millis(2500)).await,
            _ => tokio::time::sleep(Duration::from_millis(400)).await,
        }
        Json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": SUMMARY_ANSWER}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}
        }))
        .into_response()
    }
    async fn transcribe(State(seen): State<Seen>, mut form: Multipart) -> Response {
        let mut fields = HashMap::new();
        while let Some(field) = form.next_field().await.unwrap() {
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                let bytes = field.bytes().await.unwrap();
                fields.insert(name, hex::encode(&bytes[..44.min(bytes.len())]));
            } else {
                fields.insert(name, field.text().await.unwrap());
            }
        }
        let model = fields.get("model").cloned().unwrap_or_default();
        *seen.calls.lock().unwrap().entry(model).or_default() += 1;
        seen.transcriptions.lock().unwrap().push(fields);
        Json(json!({
            "task": "transcribe", "language": "en", "duration": 3.0,
            "text": "Hello world. The weather is good today.",
            "segments": [
                {"id": 0, "start": 0.0, "end": 1.2, "text": " Hello world."},
                {"id": 1, "start": 1.2, "end": 3.0, "text": " The weather is good today."}
            ]
        }))
        .into_response()
    }
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/audio/transcriptions", post(transcribe))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), seen)
}

const LLM_INPUT_PRICE: i64 = 10;
const LLM_OUTPUT_PRICE: i64 = 20;
const ASR_PRICE: i64 = 3;

/// Registers the fake (chat model `llm_model`, speech model `whisper-1`) and makes both the
/// defaults: (llm id, asr id).
async fn register_models(s: &TestServer, base: &str, llm_model: &str) -> (String, String) {
    let (status, p) = s
        .post(
            "/api/v1/admin/providers",
            json!({"name": format!("Fake {llm_model}"), "adapter": "openai_compatible", "base_url": base,
                   "api_key": "sk-test-0123456789abcd", "max_concurrency": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_str().unwrap();
    let (status, llm) = s
        .post(
            "/api/v1/models",
            json!({"name": format!("Chat {llm_model}"), "provider_id": pid, "model_name": llm_model, "kind": "llm",
                   "credits_cost": LLM_INPUT_PRICE, "output_credits_cost": LLM_OUTPUT_PRICE}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{llm}");
    let (status, asr) = s
        .post(
            "/api/v1/models",
            json!({"name": format!("Whisper {llm_model}"), "provider_id": pid, "model_name": "whisper-1",
                   "kind": "asr", "credits_cost": ASR_PRICE}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asr}");
    let (llm, asr) = (
        llm["id"].as_str().unwrap().to_string(),
        asr["id"].as_str().unwrap().to_string(),
    );
    let (status, cfg) = s
        .call(
            Method::PATCH,
            "/api/v1/admin/config",
            Some(json!({"default_models": {"llm": llm, "asr": asr}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cfg}");
    (llm, asr)
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

async fn balance(s: &TestServer) -> i64 {
    balances(s).await.0
}

/// (spendable, held by pending holds)
async fn balances(s: &TestServer) -> (i64, i64) {
    let (status, b) = s.get("/api/v1/billing/balance").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let field = |k: &str| b[k].as_i64().unwrap_or_else(|| panic!("{k}: {b}"));
    (field("credit_balance"), field("held"))
}

/// (pending, settled, voided) holds of summaries.
async fn holds(s: &TestServer) -> (i64, i64, i64) {
    s.state
        .db
        .read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN status = 'settled' THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN status = 'voided' THEN 1 ELSE 0 END), 0)
                   FROM ledger_holds WHERE key LIKE 'summarize:%'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap()
}

// ------------------------------------------------------------------------------------------ SSE

/// Every event of a stream opened at `path`, to its end.
async fn events_of(s: &TestServer, path: &str) -> Vec<Sse> {
    EventReader::open(s, path, None).await.1.all().await
}

fn names(events: &[Sse]) -> Vec<&str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

fn event<'a>(events: &'a [Sse], name: &str) -> &'a Value {
    &events
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", names(events)))
        .data
}

fn summarize_path(url: &str, extra: &str) -> String {
    format!(
        "/api/v1/summarize?url={}{extra}",
        form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
    )
}

// ------------------------------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_video_streams_its_transcript_then_its_summary_charged_once_at_the_end_and_free_from_the_cache(
) {
    if !espeak_available() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    speech_video(
        dir.path(),
        "spoken.mp4",
        "Hello world. The weather is good today.",
        None,
    );
    let media = media_server(dir.path().to_path_buf()).await;
    let (base, seen) = fake_models().await;
    let s = TestServer::start(AuthMode::Local).await;
    register_models(&s, &base, "ok").await;
    grant(&s, 1_000).await;
    let before = balance(&s).await;

    let url = format!("{media}/media/spoken.mp4");
    let (status, mut reader) =
        EventReader::open(&s, &summarize_path(&url, "&mode=beats&focus=weather"), None).await;
    assert_eq!(status, StatusCode::OK);
    let mut events = Vec::new();
    while let Some(e) = reader.next().await {
        let done = e.name == "transcript_complete";
        events.push(e);
        if done {
            break;
        }
    }
    // The transcript is out and the language model is still thinking: nothing is charged yet.
    assert_eq!(holds(&s).await.1, 0, "settled before summary_complete");
    let (spendable, held) = balances(&s).await;
    assert!(
        held >= ASR_PRICE,
        "the speech and model calls are held: {held}"
    );
    assert_eq!(spendable + held, before, "held, not charged");
    events.extend(reader.all().await);

    let order = names(&events);
    assert_eq!(order.first(), Some(&"status"), "{order:?}");
    let t = order
        .iter()
        .position(|n| *n == "transcript_complete")
        .unwrap();
    assert_eq!(order.last(), Some(&"summary_complete"), "{order:?}");
    assert!(order[..t].iter().all(|n| *n == "status"), "{order:?}");
    let stages: Vec<&str> = events
        .iter()
        .filter(|e| e.name == "status")
        .map(|e| e.data["stage"].as_str().unwrap())
        .collect();
    for stage in [
        "fetching",
        "probing",
        "extracting_audio",
        "transcribing",
        "summarizing",
        "saving",
    ] {
        assert!(stages.contains(&stage), "{stage} missing from {stages:?}");
    }
    // Ids are run:seq, in order, so a client can resume.
    let run = events[0].id.split(':').next().unwrap().to_string();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id, format!("{run}:{}", i + 1));
    }

    let transcript = event(&events, "transcript_complete");
    assert_eq!(transcript["source"], "asr");
    assert!(
        transcript["transcript"]
            .as_str()
            .unwrap()
            .contains("weather is good today"),
        "{transcript}"
    );
    assert_eq!(transcript["segments"][1]["start_ms"], 1200);
    assert_eq!(transcript["videoFile"]["name"], "spoken.mp4");
    assert!(transcript["videoFile"]["duration_ms"].as_u64().unwrap() > 1500);
    assert_eq!(transcript["usage"]["asr_calls"], 1);
    // The recognizer got 16 kHz mono 16-bit WAV, asked for timed segments.
    let asked = seen.transcriptions.lock().unwrap()[0].clone();
    assert_eq!(asked["response_format"], "verbose_json");
    let header = hex::decode(&asked["file"]).unwrap();
    assert_eq!(&header[..4], b"RIFF");
    assert_eq!(u16::from_le_bytes([header[22], header[23]]), 1, "channels");
    assert_eq!(
        u32::from_le_bytes([header[24], header[25], header[26], header[27]]),
        16_000
    );

    // The prompt carries the timed transcript, the mode's instructions and the focus.
    let prompt = seen.prompts.lock().unwrap().last().unwrap().clone();
    assert!(
        prompt.contains("[00:01] The weather is good today."),
        "{prompt}"
    );
    assert!(prompt.contains("Focus on: weather"), "{prompt}");
    assert!(prompt.contains("cliffhanger"), "{prompt}");

    let done = event(&events, "summary_complete");
    assert_eq!(
        done["summary"],
        "A woman wakes up and finds the weather changed."
    );
    assert_eq!(done["beats"][1]["kind"], "cliffhanger");
    assert_eq!(done["beats"][1]["end_ms"], 3000);
    assert_eq!(done["cached"], false);
    let llm_cost = (100 * LLM_INPUT_PRICE + 50 * LLM_OUTPUT_PRICE + 999) / 1000;
    assert_eq!(done["usage"]["credits_charged"], ASR_PRICE + llm_cost);
    assert_eq!(done["usage"]["prompt_tokens"], 100);
    assert_eq!(balance(&s).await, before - ASR_PRICE - llm_cost);
    assert_eq!(holds(&s).await, (0, 2, 0));

    // The same video asked the same way: from the cache, free, no model called.
    let calls = (seen.calls("ok"), seen.calls("whisper-1"));
    let again = events_of(&s, &summarize_path(&url, "&mode=beats&focus=weather")).await;
    assert!(
        again
            .iter()
            .any(|e| e.name == "status" && e.data["stage"] == "cached"),
        "{:?}",
        names(&again)
    );
    let hit = event(&again, "summary_complete");
    assert_eq!(hit["cached"], true);
    assert_eq!(hit["usage"]["credits_charged"], 0);
    assert_eq!(hit["summary"], done["summary"]);
    assert_eq!(
        event(&again, "transcript_complete")["transcript"],
        transcript["transcript"]
    );
    assert_eq!((seen.calls("ok"), seen.calls("whisper-1")), calls);
    assert_eq!(balance(&s).await, before - ASR_PRICE - llm_cost);

    // Both are in the history; the copy names its original.
    let (status, history) = s.get("/api/v1/history").await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["total"], 2, "{history}");
    let newest = &history["items"][0];
    assert_eq!(newest["cached"], true);
    let (_, entry) = s
        .get(&format!(
            "/api/v1/history/{}",
            newest["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(entry["cached_from"], done["summary_id"]);
    assert_eq!(entry["transcript"][0]["text"], "Hello world.");

    // Another mode is another summary (and another charge for the model, not the cache).
    let brief = events_of(&s, &summarize_path(&url, "&mode=brief")).await;
    assert_eq!(event(&brief, "summary_complete")["cached"], false);
    assert_eq!(seen.calls("ok"), calls.0 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtitles_are_the_transcript_offline_and_without_any_a_summary_is_never_invented() {
    if !espeak_available() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    speech_video(dir.path(), "subbed.mp4", "Hello there.", Some(SUBTITLES));
    speech_video(dir.path(), "bare.mp4", "Hello there.", None);
    silent_video(dir.path(), "silent.mp4");
    let media = media_server(dir.path().to_path_buf()).await;
    // No model at all: subtitles and an extractive summary, free.
    let s = TestServer::start(AuthMode::Local).await;
    let before = balance(&s).await;
    let events = events_of(
        &s,
        &summarize_path(&format!("{media}/media/subbed.mp4"), "&mode=detailed"),
    )
    .await;
    let transcript = event(&events, "transcript_complete");
    assert_eq!(transcript["source"], "embedded_subtitles", "{transcript}");
    assert_eq!(transcript["segments"].as_array().unwrap().len(), 6);
    assert_eq!(transcript["segments"][1]["start_ms"], 3000);
    assert_eq!(
        transcript["segments"][5]["text"],
        "The door opens and her husband is alive."
    );
    let done = event(&events, "summary_complete");
    assert_eq!(done["model"], "extractive");
    assert_eq!(done["usage"]["credits_charged"], 0);
    let summary = done["summary"].as_str().unwrap();
    assert!(summary.contains("[00:12] But the contract"), "{summary}");
    let kinds: Vec<&str> = done["beats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["hook", "setup", "reversal", "cliffhanger"],
        "{done}"
    );
    assert!(
        done["mindmap"].as_str().unwrap().starts_with("- subbed\n"),
        "{done}"
    );
    assert_eq!(balance(&s).await, before);

    // The same subtitles sent beside an upload.
    let bare = std::fs::read(dir.path().join("bare.mp4")).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("mode", "brief")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bare.clone()).file_name("bare.mp4"),
        )
        .part(
            "subtitles",
            reqwest::multipart::Part::bytes(SUBTITLES.as_bytes().to_vec()).file_name("bare.srt"),
        );
    let response = reqwest::Client::new()
        .post(s.url("/api/v1/summarize"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let events = EventReader::from(response).all().await;
    assert_eq!(
        event(&events, "transcript_complete")["source"],
        "sidecar_subtitles"
    );
    assert_eq!(event(&events, "summary_complete")["mode"], "brief");

    // Speech without subtitles and no recognizer configured: NO_TRANSCRIPT, nothing saved.
    let events = events_of(&s, &summarize_path(&format!("{media}/media/bare.mp4"), "")).await;
    assert_eq!(
        names(&events).last(),
        Some(&"error"),
        "{:?}",
        names(&events)
    );
    let error = event(&events, "error");
    assert_eq!(error["code"], "NO_TRANSCRIPT");
    assert_eq!(error["retryable"], false);
    assert!(!events.iter().any(|e| e.name == "transcript_complete"));
    // No audio and no subtitles: the same, with a recognizer configured.
    let (base, seen) = fake_models().await;
    register_models(&s, &base, "ok").await;
    let events = events_of(
        &s,
        &summarize_path(&format!("{media}/media/silent.mp4"), ""),
    )
    .await;
    assert_eq!(event(&events, "error")["code"], "NO_TRANSCRIPT");
    assert_eq!(seen.calls("ok") + seen.calls("whisper-1"), 0);
    let (_, history) = s.get("/api/v1/history").await;
    assert_eq!(
        history["total"], 2,
        "only the two that had subtitles: {history}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_failing_after_the_transcript_is_reported_retryable_and_charges_nothing() {
    if !espeak_available() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    speech_video(dir.path(), "spoken.mp4", "Hello world.", None);
    let media = media_server(dir.path().to_path_buf()).await;
    let (base, seen) = fake_models().await;
    let s = TestServer::start(AuthMode::Local).await;
    register_models(&s, &base, "boom").await;
    grant(&s, 1_000).await;
    let before = balance(&s).await;
    let events = events_of(
        &s,
        &summarize_path(&format!("{media}/media/spoken.mp4"), ""),
    )
    .await;
    let order = names(&events);
    let t = order.iter().position(|n| *n == "transcript_complete");
    assert!(t.is_some(), "{order:?}");
    assert_eq!(order.last(), Some(&"error"), "{order:?}");
    let error = event(&events, "error");
    assert_eq!(error["code"], "UPSTREAM_FAILED", "{error}");
    assert_eq!(error["retryable"], true, "{error}");
    assert!(seen.calls("boom") >= 2, "retried before giving up");
    assert_eq!(balance(&s).await, before);
    let (pending, settled, voided) = holds(&s).await;
    assert_eq!((pending, settled), (0, 0));
    assert!(voided >= 2, "the speech hold and the model's: {voided}");
    let (_, history) = s.get("/api/v1/history").await;
    assert_eq!(history["total"], 0);

    // A model that keeps answering 429: RATE_LIMITED, retryable, free.
    let (limited, _) = register_models(&s, &base, "limited").await;
    let events = events_of(
        &s,
        &summarize_path(
            &format!("{media}/media/spoken.mp4"),
            &format!("&model_id={limited}"),
        ),
    )
    .await;
    let error = event(&events, "error");
    assert_eq!(error["code"], "RATE_LIMITED", "{error}");
    assert_eq!(error["retryable"], true);
    assert!(seen.calls("limited") >= 2);
    assert_eq!(balance(&s).await, before);

    // A download that breaks off: UPSTREAM_FAILED, retryable, nothing held.
    let events = events_of(&s, &summarize_path(&format!("{media}/truncated.mp4"), "")).await;
    let error = event(&events, "error");
    assert_eq!(error["code"], "UPSTREAM_FAILED", "{error}");
    assert_eq!(error["retryable"], true, "{error}");
    assert!(!events.iter().any(|e| e.name == "transcript_complete"));
    assert_eq!(holds(&s).await.0, 0);
    assert_eq!(balance(&s).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_resumes_from_last_event_id_and_an_abandoned_one_is_free() {
    if !espeak_available() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    speech_video(dir.path(), "spoken.mp4", "Hello world.", None);
    speech_video(dir.path(), "other.mp4", "Good morning.", None);
    let media = media_server(dir.path().to_path_buf()).await;
    let (base, _seen) = fake_models().await;
    let s = TestServer::start_with(AuthMode::Local, |c| c.summarize.abandon_secs = 1).await;
    register_models(&s, &base, "slow").await;
    grant(&s, 1_000).await;
    let before = balance(&s).await;

    // Read up to the transcript, drop the connection, come back with the last id.
    let path = summarize_path(&format!("{media}/media/spoken.mp4"), "");
    let (_, mut reader) = EventReader::open(&s, &path, None).await;
    let mut last = String::new();
    while let Some(e) = reader.next().await {
        last = e.id.clone();
        if e.name == "transcript_complete" {
            break;
        }
    }
    drop(reader);
    let (status, reader) = EventReader::open(&s, &path, Some(&last)).await;
    assert_eq!(status, StatusCode::OK);
    let rest = reader.all().await;
    assert!(
        !rest.iter().any(|e| e.name == "transcript_complete"),
        "{:?}",
        names(&rest)
    );
    assert_eq!(names(&rest).last(), Some(&"summary_complete"));
    let (run, seq) = last.split_once(':').unwrap();
    assert_eq!(
        rest[0].id,
        format!("{run}:{}", seq.parse::<usize>().unwrap() + 1)
    );
    let charged = event(&rest, "summary_complete")["usage"]["credits_charged"]
        .as_i64()
        .unwrap();
    assert!(charged > 0);
    // Nothing is left to resume: 204 tells EventSource to stop.
    let final_id = rest.last().unwrap().id.clone();
    let (status, _) = EventReader::open(&s, &path, Some(&final_id)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // A stream this process never had: 410.
    let (status, _) = EventReader::open(&s, &path, Some("nope:3")).await;
    assert_eq!(status, StatusCode::GONE);

    // Nobody comes back: the work is interrupted and nothing is charged for it.
    let other = summarize_path(&format!("{media}/media/other.mp4"), "");
    let (_, mut reader) = EventReader::open(&s, &other, None).await;
    let first = reader.next().await.unwrap();
    drop(reader);
    let mut waited = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        waited += 1;
        let (pending, _, _) = holds(&s).await;
        if pending == 0 && waited > 4 {
            break;
        }
        assert!(waited < 60, "the abandoned summary still holds credits");
    }
    assert_eq!(balance(&s).await, before - charged);
    let (status, reader) = EventReader::open(&s, &other, Some(&first.id)).await;
    assert_eq!(status, StatusCode::OK);
    let rest = reader.all().await;
    let error = event(&rest, "error");
    assert_eq!(error["code"], "SERVICE_UNAVAILABLE", "{error}");
    assert_eq!(error["retryable"], true);
    let (_, history) = s.get("/api/v1/history").await;
    assert_eq!(history["total"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_take_at_most_20_urls_and_a_bad_one_makes_the_batch_partial_with_its_error_named() {
    if !espeak_available() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    speech_video(dir.path(), "a.mp4", "One.", Some(SUBTITLES));
    speech_video(
        dir.path(),
        "b.mp4",
        "Two.",
        Some(SUBTITLES.replace("fake", "real").as_str()),
    );
    let media = media_server(dir.path().to_path_buf()).await;
    let s = TestServer::start(AuthMode::Local).await;

    let many: Vec<String> = (0..21).map(|i| format!("{media}/media/{i}.mp4")).collect();
    let (status, body) = s
        .post("/api/v1/batch/summarize", json!({"urls": many}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    crate::common::assert_error(&body, "VALIDATION_ERROR", Some("urls"));
    let (status, body) = s
        .post(
            "/api/v1/batch/summarize",
            json!({"urls": ["ftp://x/y.mp4"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("urls[0]"),
        "{body}"
    );
    let (status, body) = s
        .post(
            "/api/v1/batch/summarize",
            json!({"urls": [format!("{media}/media/a.mp4")], "mode": "epic"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    crate::common::assert_error(&body, "VALIDATION_ERROR", Some("mode"));

    let urls = [
        format!("{media}/media/a.mp4"),
        format!("{media}/media/missing.mp4"),
        format!("{media}/media/b.mp4"),
    ];
    let (status, created) = s
        .post(
            "/api/v1/batch/summarize",
            json!({"urls": urls, "mode": "beats"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    assert_eq!(created["count"], 3);
    assert_eq!(created["credits_charged"], 0);
    let id = created["job_id"].as_str().unwrap();
    let mut job = Value::Null;
    for _ in 0..240 {
        let (status, body) = s.get(&format!("/api/v1/batch/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        job = body;
        if job["completed_at"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(job["status"], "partial", "{job}");
    assert_eq!(
        (
            job["total"].as_u64(),
            job["completed_count"].as_u64(),
            job["failed_count"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(job["progress"], 1.0);
    let error = &job["errors"][0];
    assert_eq!(error["index"], 1);
    assert_eq!(error["code"], "UPSTREAM_FAILED");
    assert!(
        error["message"].as_str().unwrap().contains("404"),
        "{error}"
    );
    let results = job["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let (status, entry) = s
            .get(&format!(
                "/api/v1/history/{}",
                r["summary_id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{entry}");
        assert_eq!(entry["mode"], "beats");
        assert_eq!(entry["transcript_source"], "embedded_subtitles");
    }
    let (_, list) = s.get("/api/v1/batch").await;
    assert_eq!(list[0]["job_id"], id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_keeps_written_summaries_deletes_to_a_trash_and_drafts_a_script_from_beats() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, body) = s
        .post("/api/v1/history", json!({"title": "", "summary": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    crate::common::assert_error(&body, "VALIDATION_ERROR", Some("title"));
    let (status, body) = s
        .post(
            "/api/v1/history",
            json!({"title": "Ref", "summary": "s", "beats": [{"kind": "hook", "start_ms": 5, "end_ms": 1, "text": "x"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    crate::common::assert_error(&body, "VALIDATION_ERROR", Some("beats"));

    let beats = json!([
        {"kind": "hook", "start_ms": 0, "end_ms": 3000, "text": "A slap in the first second."},
        {"kind": "reversal", "start_ms": 20000, "end_ms": 25000, "text": "The maid is the heiress."},
        {"kind": "cliffhanger", "start_ms": 55000, "end_ms": 60000, "text": "The groom never arrives."}
    ]);
    let (status, entry) = s
        .post(
            "/api/v1/history",
            json!({"title": "Hit episode", "summary": "A maid turns out to be the heiress.", "beats": beats}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["model"], "manual");
    assert!(
        entry["mindmap"]
            .as_str()
            .unwrap()
            .contains("Reversal [00:20–00:25]"),
        "{entry}"
    );
    let id = entry["id"].as_str().unwrap();

    let (status, draft) = s
        .post(&format!("/api/v1/history/{id}/script"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let script = draft["script"].as_str().unwrap();
    assert!(script.contains("INT. REVERSAL - DAY #2#"), "{script}");
    // The draft is a script the project's parser reads: three scenes.
    let (pid, vid) = s.project_with_script("From beats", "9:16", script).await;
    let (status, parsed) = s
        .post(
            &format!("/api/v1/projects/{pid}/versions/{vid}/script/parse"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{parsed}");
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    assert_eq!(board["scenes"].as_array().map(Vec::len), Some(3), "{board}");

    // Delete goes to the trash; restore undoes it.
    let (status, gone) = s
        .call(Method::DELETE, &format!("/api/v1/history/{id}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert!(gone["deleted_at"].is_string());
    assert_eq!(
        s.get(&format!("/api/v1/history/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.get("/api/v1/history").await.1["total"], 0);
    let (status, back) = s
        .post(&format!("/api/v1/history/{id}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert!(back["deleted_at"].is_null());
    assert_eq!(s.get("/api/v1/history").await.1["total"], 1);
    let (status, _) = s
        .post(&format!("/api/v1/history/{id}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_before_a_stream_opens_and_a_team_server_refuses_its_own_network()
{
    let s = TestServer::start(AuthMode::Local).await;
    for (path, field) in [
        ("/api/v1/summarize", "url"),
        ("/api/v1/summarize?url=file:///etc/passwd", "url"),
        (
            "/api/v1/summarize?url=http://127.0.0.1:9/v.mp4&mode=epic",
            "mode",
        ),
        (
            "/api/v1/summarize?url=http://127.0.0.1:9/v.mp4&model_id=nope",
            "model_id",
        ),
        (
            "/api/v1/summarize?url=http://127.0.0.1:9/v.mp4&project_id=nope",
            "project_id",
        ),
    ] {
        let (status, body) = s.get(path).await;
        assert!(status.is_client_error(), "{path}: {status} {body}");
        assert_eq!(body["field"], field, "{path}: {body}");
    }
    let long_focus = "f".repeat(501);
    let (status, body) = s
        .get(&format!(
            "/api/v1/summarize?url=http://127.0.0.1:9/v.mp4&focus={long_focus}"
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "focus");

    // A web page without yt-dlp: a clear error naming it.
    let dir = tempfile::tempdir().unwrap();
    let media = media_server(dir.path().to_path_buf()).await;
    let s = TestServer::start_with(AuthMode::Local, |c| {
        c.summarize.ytdlp_path = "/nonexistent/yt-dlp".into()
    })
    .await;
    let events = events_of(&s, &summarize_path(&format!("{media}/page"), "")).await;
    let error = event(&events, "error");
    assert_eq!(error["code"], "VALIDATION_ERROR");
    assert!(
        error["message"].as_str().unwrap().contains("yt-dlp"),
        "{error}"
    );

    // A multi-user server does not fetch its own network.
    let team = TestServer::start(AuthMode::Accounts).await;
    let (_, bearer) = team.register("ana").await;
    let (status, body) = team
        .call(
            Method::GET,
            &summarize_path(&format!("{media}/media/x.mp4"), ""),
            None,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["field"], "url");
    // Without credentials: 401.
    let (status, body) = team
        .get(&summarize_path(&format!("{media}/media/x.mp4"), ""))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    crate::common::assert_error(&body, "AUTH_REQUIRED", None);
}

/// yt-dlp gets a platform page's video: a stand-in script that behaves like it (prints the title
/// and the file it wrote) proves the call and the reading of its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_page_goes_through_ytdlp() {
    if !espeak_available() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let video = speech_video(dir.path(), "page.mp4", "Hi.", Some(SUBTITLES));
    let media = media_server(dir.path().to_path_buf()).await;
    let script = dir.path().join("yt-dlp");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 2025.01.01; exit 0; fi\n\
             for a; do [ \"$prev\" = -o ] && tpl=\"$a\"; prev=\"$a\"; done\n\
             file=$(echo \"$tpl\" | sed 's/%(ext)s/mp4/')\ncp {} \"$file\"\n\
             printf 'WEBVTT\\n\\n00:00.000 --> 00:02.000\\nA line from the platform.\\n' > \"${{file%.mp4}}.en.vtt\"\necho 'The Page Episode'\necho \"$file\"\n",
            video.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let s =
        TestServer::start_with(AuthMode::Local, |c| c.summarize.ytdlp_path = script.clone()).await;
    let events = events_of(&s, &summarize_path(&format!("{media}/page"), "")).await;
    assert_eq!(
        names(&events).last(),
        Some(&"summary_complete"),
        "{events:?}"
    );
    let transcript = event(&events, "transcript_complete");
    assert_eq!(transcript["videoFile"]["name"], "The Page Episode.mp4");
    // The platform's subtitles, written beside the video, are the transcript.
    assert_eq!(transcript["source"], "sidecar_subtitles", "{transcript}");
    assert_eq!(
        transcript["segments"][0]["text"],
        "A line from the platform."
    );
    let (_, history) = s.get("/api/v1/history").await;
    assert_eq!(history["items"][0]["title"], "The Page Episode");
}

/// The real thing: faster-whisper (tiny.en, from PyPI) behind an OpenAI-compatible endpoint
/// (scripts/whisper-server.py) hears espeak-ng's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_speech_recognizer_hears_the_spoken_words() {
    let Some(python) = std::env::var_os("STORYLOOM_TEST_WHISPER_PYTHON") else {
        eprintln!("skipped: STORYLOOM_TEST_WHISPER_PYTHON is not set (scripts/whisper-venv.sh)");
        return;
    };
    assert!(
        espeak_available(),
        "espeak-ng is needed with the recognizer"
    );
    let server = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/whisper-server.py");
    let mut child = tokio::process::Command::new(python)
        .arg(server)
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
        .await
        .expect("the whisper server did not start in 2 minutes")
        .unwrap()
        .unwrap();
    let base = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();

    let dir = tempfile::tempdir().unwrap();
    speech_video(
        dir.path(),
        "weather.mp4",
        "Hello world. The weather is good today.",
        None,
    );
    let media = media_server(dir.path().to_path_buf()).await;
    let s = TestServer::start(AuthMode::Local).await;
    let (status, p) = s
        .post(
            "/api/v1/admin/providers",
            json!({"name": "Local whisper", "adapter": "openai_compatible",
                   "base_url": format!("{base}/v1"), "api_key": "sk-local-whisper-0000"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, asr) = s
        .post(
            "/api/v1/models",
            json!({"name": "tiny.en", "provider_id": p["id"], "model_name": "tiny.en", "kind": "asr",
                   "credits_cost": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asr}");
    let events = events_of(
        &s,
        &summarize_path(
            &format!("{media}/media/weather.mp4"),
            &format!("&asr_model_id={}", asr["id"].as_str().unwrap()),
        ),
    )
    .await;
    let transcript = event(&events, "transcript_complete");
    let text = transcript["transcript"].as_str().unwrap().to_lowercase();
    assert!(
        text.contains("weather") && text.contains("today"),
        "{transcript}"
    );
    assert_eq!(transcript["source"], "asr");
    assert!(
        transcript["segments"][0]["end_ms"].as_u64().unwrap() > 0,
        "{transcript}"
    );
    assert_eq!(names(&events).last(), Some(&"summary_complete"));
}

/// A batch is rows, not memory: a real `storyloom serve` killed with SIGKILL in the middle of a
/// batch, started again on the same data, finishes it; the interrupted item's hold is voided, and
/// every item is charged exactly once.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_goes_on_after_its_server_is_killed_and_charges_each_item_once() {
    if !espeak_available() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for i in 0..4 {
        let subs = SUBTITLES.replace("hospital", &format!("hospital, room {i}"));
        speech_video(dir.path(), &format!("v{i}.mp4"), "Hi.", Some(&subs));
    }
    let media = media_server(dir.path().to_path_buf()).await;
    let (base, seen) = fake_models().await;
    let data = tempfile::tempdir().unwrap();
    let start = || {
        crate::common::spawn_serve(|c| {
            c.args(["--auth", "local", "--data-dir"]).arg(data.path());
        })
    };
    let client = reqwest::Client::new();
    let (mut server, url) = start();
    let post = |url: String, body: Value| {
        let client = client.clone();
        async move {
            let r = client.post(url).json(&body).send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (_, p) = post(
        format!("{url}/api/v1/admin/providers"),
        json!({"name": "Fake", "adapter": "openai_compatible", "base_url": base, "api_key": "sk-test-0123456789abcd"}),
    )
    .await;
    let (status, llm) = post(
        format!("{url}/api/v1/models"),
        json!({"name": "Slow", "provider_id": p["id"], "model_name": "slow", "kind": "llm",
               "credits_cost": LLM_INPUT_PRICE, "output_credits_cost": LLM_OUTPUT_PRICE}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{llm}");
    let (_, me) = client
        .get(format!("{url}/api/v1/billing/balance"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .map(|b| (StatusCode::OK, b))
        .unwrap();
    let (status, granted) = post(
        format!("{url}/api/v1/admin/credits/grant"),
        json!({"user_id": me["owner_id"], "credits": 1000}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{granted}");
    let urls: Vec<String> = (0..4).map(|i| format!("{media}/media/v{i}.mp4")).collect();
    let (status, created) = post(
        format!("{url}/api/v1/batch/summarize"),
        json!({"urls": urls, "model_id": llm["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let id = created["job_id"].as_str().unwrap().to_string();
    let job = |url: String| {
        let (client, id) = (client.clone(), id.clone());
        async move {
            client
                .get(format!("{url}/api/v1/batch/{id}"))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    // Kill it once some items are done and others are not.
    for _ in 0..200 {
        let j = job(url.clone()).await;
        if j["completed_count"].as_u64().unwrap_or(0) >= 1 {
            assert!(j["completed_count"].as_u64().unwrap() < 4, "{j}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let calls_before_restart = seen.calls("slow");

    let (mut server, url) = start();
    let mut finished = Value::Null;
    for _ in 0..300 {
        let j = job(url.clone()).await;
        if j["completed_at"].is_string() {
            finished = j;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    let _ = server.wait();
    assert_eq!(finished["status"], "completed", "{finished}");
    assert_eq!(finished["completed_count"], 4);
    assert!(
        seen.calls("slow") > calls_before_restart,
        "the second process did the rest"
    );

    let c = rusqlite::Connection::open(data.path().join("storyloom.db")).unwrap();
    let (pending, settled, charged): (i64, i64, i64) = c
        .query_row(
            "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'settled'), 0),
                    COALESCE(SUM(charged), 0)
               FROM ledger_holds WHERE key LIKE 'summarize:%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(pending, 0, "the killed item's hold was voided");
    assert_eq!(settled, 4, "one settled call per item");
    let summaries: i64 = c
        .query_row("SELECT COUNT(*) FROM summaries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(summaries, 4, "no item was summarised twice");
    let per_item: i64 = finished["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["credits_charged"].as_i64().unwrap())
        .sum();
    assert_eq!(per_item, charged);
    assert!(charged > 0);
}

/// A summary's share link: a public page with the summary, the beat sheet and the mind map,
/// escaped; gone while the summary is in the trash, and when revoked.
#[cfg(feature = "server")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_has_a_share_link_whose_page_shows_its_beats() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, entry) = s
        .post(
            "/api/v1/history",
            json!({"title": "Hit <episode>", "summary": "<b>Bold</b> plan: the maid is the heiress.",
                   "beats": [{"kind": "reversal", "start_ms": 20000, "end_ms": 25000, "text": "The maid is the heiress."}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    let id = entry["id"].as_str().unwrap();
    let (status, body) = s
        .post(
            &format!("/api/v1/history/{id}/share"),
            json!({"password": "abc"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    crate::common::assert_error(&body, "VALIDATION_ERROR", Some("password"));
    let (status, _) = s
        .post(
            "/api/v1/history/0190a3f0-0000-7000-8000-000000000000/share",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, share) = s
        .post(&format!("/api/v1/history/{id}/share"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    assert_eq!(share["summary_id"], id);
    assert_eq!(share["project_name"], "Hit <episode>");
    let link = share["id"].as_str().unwrap().to_string();
    let page = |s: &TestServer| {
        let url = s.url(&format!("/share/{link}"));
        async move {
            let r = reqwest::get(url).await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (status, html) = page(&s).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<h1>Hit &lt;episode&gt;</h1>"), "{html}");
    assert!(html.contains("&lt;b&gt;Bold&lt;/b&gt; plan"), "{html}");
    assert!(!html.contains("<b>Bold</b>"));
    assert!(
        html.contains(
            "<b>reversal</b> <span class=\"meta\">00:20–00:25</span>: The maid is the heiress."
        ),
        "{html}"
    );
    assert!(html.contains("Mind map"), "{html}");
    let (_, listed) = s.get("/api/v1/share").await;
    assert_eq!(listed["items"][0]["summary_id"], id, "{listed}");

    // In the trash, the page is gone; restored, it is back; revoked, gone for good.
    s.call(Method::DELETE, &format!("/api/v1/history/{id}"), None, &[])
        .await;
    assert_eq!(page(&s).await.0, StatusCode::GONE);
    s.post(&format!("/api/v1/history/{id}/restore"), json!({}))
        .await;
    assert_eq!(page(&s).await.0, StatusCode::OK);
    let (status, _) = s
        .call(Method::DELETE, &format!("/api/v1/share/{link}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page(&s).await.0, StatusCode::GONE);
}
