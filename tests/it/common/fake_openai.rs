//! A fake OpenAI upstream on 127.0.0.1 for the model router's tests. It speaks the wire format
//! (`/v1/chat/completions` as JSON and as Server-Sent Events, `usage` in a last chunk when asked
//! with `stream_options.include_usage`) and misbehaves on purpose, chosen by the `model` it is
//! asked for, so each router channel can be a different upstream:
//!
//! | model | does |
//! |---|---|
//! | `ok` | answers "Hello there" in 3 chunks; usage 11 prompt + 3 completion tokens |
//! | `slow` | the same with 150 ms between chunks (and 20 chunks): for client disconnects |
//! | `rate-limited` | 429 with `Retry-After: 1` |
//! | `error500` | 500 |
//! | `mid-stream-500` | 2 chunks, then the connection breaks |
//! | `no-usage` | never reports usage, streamed or not |
//! | `stall` | 1 chunk, then silence |
//! | `truncated` | 200 with half a JSON body |
//! | `reject` | 400 as a content filter would |
//! | `deck` | answers a deck's JSON (two slides with notes), not streamed |
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use bytes::Bytes;
use serde_json::{json, Value};

pub const PROMPT_TOKENS: i64 = 11;

#[derive(Clone, Default)]
pub struct Seen {
    /// Requests per model name.
    pub calls: Arc<Mutex<HashMap<String, u32>>>,
    /// The last body received.
    pub last: Arc<Mutex<Value>>,
    /// Chunks a `slow` stream got out before its reader went away.
    pub slow_sent: Arc<Mutex<u32>>,
}

impl Seen {
    pub fn calls(&self, model: &str) -> u32 {
        self.calls.lock().unwrap().get(model).copied().unwrap_or(0)
    }
    pub fn total(&self) -> u32 {
        self.calls.lock().unwrap().values().sum()
    }
    pub fn last(&self) -> Value {
        self.last.lock().unwrap().clone()
    }
}

fn chunk(model: &str, content: Option<&str>, finish: Option<&str>) -> String {
    let delta = match content {
        Some(c) => json!({"content": c}),
        None => json!({}),
    };
    format!(
        "data: {}\n\n",
        json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_765_000_000,
               "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    )
}

fn usage_chunk(model: &str, completion: i64) -> String {
    format!(
        "data: {}\n\n",
        json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_765_000_000,
               "model": model, "choices": [],
               "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": completion,
                         "total_tokens": PROMPT_TOKENS + completion}})
    )
}

type Item = Result<Bytes, std::io::Error>;

fn sse(stream: impl futures_util::Stream<Item = Item> + Send + 'static) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn chat(State(seen): State<Seen>, Json(body): Json<Value>) -> Response {
    let model = body["model"].as_str().unwrap_or_default().to_string();
    *seen.calls.lock().unwrap().entry(model.clone()).or_default() += 1;
    *seen.last.lock().unwrap() = body.clone();
    let stream = body["stream"].as_bool().unwrap_or(false);
    let include_usage = body["stream_options"]["include_usage"]
        .as_bool()
        .unwrap_or(false);
    match model.as_str() {
        "rate-limited" => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                Json(json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})),
            )
                .into_response()
        }
        "error500" => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": {"message": "The server had an error", "type": "server_error"}})),
            )
                .into_response()
        }
        "reject" => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": {"message": "This prompt was flagged by the content filter", "type": "invalid_request_error", "code": "content_filter"}})),
            )
                .into_response()
        }
        "truncated" => {
            return Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"id": "chatcmpl-fake", "object": "chat.comp"#))
                .unwrap()
        }
        _ => {}
    }
    let words = ["Hel", "lo", " there"];
    if model == "deck" && !stream {
        let deck = json!({"subtitle": "Fake subtitle", "notes": "Cover notes",
            "slides": [{"title": "Model slide one", "bullets": ["alpha", "beta"], "notes": "Notes one"},
                       {"title": "Model slide two", "bullets": ["gamma"], "notes": "Notes two"}]});
        return Json(json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_765_000_000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": deck.to_string()},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": 40, "total_tokens": PROMPT_TOKENS + 40}
        }))
        .into_response();
    }
    if !stream {
        let mut answer = json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_765_000_000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": words.concat()},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": 3, "total_tokens": PROMPT_TOKENS + 3}
        });
        if model == "no-usage" {
            answer.as_object_mut().unwrap().remove("usage");
        }
        return Json(answer).into_response();
    }
    match model.as_str() {
        "mid-stream-500" => {
            // The two chunks go out; a moment later the connection breaks.
            let m = model.clone();
            sse(futures_util::stream::unfold(0, move |n| {
                let m = m.clone();
                async move {
                    match n {
                        0 => Some((Ok(Bytes::from(chunk(&m, Some("Hel"), None))), 1)),
                        1 => Some((Ok(Bytes::from(chunk(&m, Some("lo"), None))), 2)),
                        2 => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            Some((Err(std::io::Error::other("upstream crashed")), 3))
                        }
                        _ => None,
                    }
                }
            }))
        }
        "stall" => {
            let m = model.clone();
            sse(futures_util::stream::unfold(0, move |n| {
                let m = m.clone();
                async move {
                    if n == 0 {
                        Some((Ok(Bytes::from(chunk(&m, Some("Hel"), None))), 1))
                    } else {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        None
                    }
                }
            }))
        }
        "slow" => {
            let (m, sent) = (model.clone(), seen.slow_sent.clone());
            sse(futures_util::stream::unfold(0u32, move |n| {
                let (m, sent) = (m.clone(), sent.clone());
                async move {
                    if n > 0 {
                        tokio::time::sleep(Duration::from_millis(150)).await;
                    }
                    *sent.lock().unwrap() = n;
                    let piece = match n {
                        0..20 => chunk(&m, Some("x"), None),
                        20 => chunk(&m, None, Some("stop")),
                        21 if include_usage => usage_chunk(&m, 20),
                        21 | 22 => "data: [DONE]\n\n".to_string(),
                        _ => return None,
                    };
                    let next = if n == 21 && !include_usage { 23 } else { n + 1 };
                    Some((Ok(Bytes::from(piece)), next))
                }
            }))
        }
        _ => {
            let mut pieces: Vec<Item> = words
                .iter()
                .map(|w| Ok(Bytes::from(chunk(&model, Some(w), None))))
                .collect();
            pieces.push(Ok(Bytes::from(chunk(&model, None, Some("stop")))));
            if include_usage && model != "no-usage" {
                pieces.push(Ok(Bytes::from(usage_chunk(&model, 3))));
            }
            pieces.push(Ok(Bytes::from_static(b"data: [DONE]\n\n")));
            sse(futures_util::stream::iter(pieces))
        }
    }
}

/// A 1×1 PNG.
pub const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/// `/v1/images/generations`: `img-ok` answers `n` images as `b64_json`; `img-500` fails.
async fn images(State(seen): State<Seen>, Json(body): Json<Value>) -> Response {
    let model = body["model"].as_str().unwrap_or_default().to_string();
    *seen.calls.lock().unwrap().entry(model.clone()).or_default() += 1;
    *seen.last.lock().unwrap() = body.clone();
    if model == "img-500" {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"message": "The image server had an error", "type": "server_error"}})),
        )
            .into_response();
    }
    let n = body["n"].as_u64().unwrap_or(1);
    let data: Vec<Value> = (0..n)
        .map(|_| json!({"b64_json": PNG_B64, "revised_prompt": body["prompt"]}))
        .collect();
    Json(json!({"created": 1_765_000_000, "data": data})).into_response()
}

/// `/v1/audio/speech`: `tts-ok` answers MP3-looking bytes; `tts-json` answers JSON (not audio).
async fn speech(State(seen): State<Seen>, Json(body): Json<Value>) -> Response {
    let model = body["model"].as_str().unwrap_or_default().to_string();
    *seen.calls.lock().unwrap().entry(model.clone()).or_default() += 1;
    *seen.last.lock().unwrap() = body.clone();
    if model == "tts-json" {
        return Json(json!({"oops": true})).into_response();
    }
    Response::builder()
        .header(header::CONTENT_TYPE, "audio/mpeg")
        .body(Body::from(format!("ID3 fake mp3 of {}", body["input"])))
        .unwrap()
}

/// `/v1/embeddings`: `emb-ok` answers a 3-dimension vector per input and 5 prompt tokens per
/// input; `emb-no-usage` the same without usage; `emb-500` fails.
async fn embeddings(State(seen): State<Seen>, Json(body): Json<Value>) -> Response {
    let model = body["model"].as_str().unwrap_or_default().to_string();
    *seen.calls.lock().unwrap().entry(model.clone()).or_default() += 1;
    *seen.last.lock().unwrap() = body.clone();
    if model == "emb-500" {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"message": "overloaded", "type": "server_error"}})),
        )
            .into_response();
    }
    let inputs = match &body["input"] {
        Value::Array(items) if !items.iter().all(Value::is_u64) => items.len(),
        _ => 1,
    };
    // As OpenAI does: floats, or their little-endian f32 bytes in base64 when asked (the official
    // Python client asks for base64 and decodes it).
    let vector = [0.25f32, -0.5, 0.125];
    let embedding = if body["encoding_format"] == "base64" {
        use base64::Engine;
        let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
        json!(base64::engine::general_purpose::STANDARD.encode(bytes))
    } else {
        json!(vector)
    };
    let data: Vec<Value> = (0..inputs)
        .map(|i| json!({"object": "embedding", "index": i, "embedding": embedding}))
        .collect();
    let mut answer = json!({"object": "list", "data": data, "model": model});
    if model != "emb-no-usage" {
        let tokens = 5 * inputs;
        answer["usage"] = json!({"prompt_tokens": tokens, "total_tokens": tokens});
    }
    Json(answer).into_response()
}

/// The text every `asr-ok` transcription answers.
pub const TRANSCRIPT: &str = "The weather is good today.";

/// `/v1/audio/transcriptions` (multipart): `asr-ok` answers [`TRANSCRIPT`] as JSON, or as plain
/// text with `response_format=text`; `asr-500` fails. `last` records the form it got.
async fn transcriptions(State(seen): State<Seen>, mut form: axum::extract::Multipart) -> Response {
    let mut got = serde_json::Map::new();
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            got.insert("file_name".into(), json!(field.file_name()));
            got.insert("file_type".into(), json!(field.content_type()));
            got.insert(
                "file_bytes".into(),
                json!(field.bytes().await.unwrap().len()),
            );
        } else {
            got.insert(name, json!(field.text().await.unwrap()));
        }
    }
    let model = got["model"].as_str().unwrap_or_default().to_string();
    *seen.calls.lock().unwrap().entry(model.clone()).or_default() += 1;
    let format = got.get("response_format").cloned();
    *seen.last.lock().unwrap() = Value::Object(got);
    if model == "asr-500" {
        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream broke").into_response();
    }
    if format == Some(json!("text")) {
        return (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            TRANSCRIPT,
        )
            .into_response();
    }
    Json(json!({"text": TRANSCRIPT})).into_response()
}

/// Starts the fake: its base URL (`http://127.0.0.1:PORT/v1`) and what it saw.
pub async fn start() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/images/generations", post(images))
        .route("/v1/audio/speech", post(speech))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/audio/transcriptions", post(transcriptions))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), seen)
}
