//! A fake OpenAI-compatible chat server on 127.0.0.1 for tests that need a paid node: the user's
//! message is a directive, `tokens=7 sleep_ms=0 fail=0`, saying how many completion tokens to
//! report, how long to think, and whether to refuse (HTTP 400, as a content filter would).
use std::{net::SocketAddr, time::Duration};

use axum::{http::StatusCode, response::IntoResponse, routing::post, Json, Router};
use serde_json::{json, Value};

fn directive(body: &Value, key: &str) -> u64 {
    let text = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    text.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

async fn chat(Json(body): Json<Value>) -> axum::response::Response {
    tokio::time::sleep(Duration::from_millis(directive(&body, "sleep_ms"))).await;
    if directive(&body, "fail") == 1 {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": "the fake refuses this prompt", "type": "invalid_request_error"}})),
        )
            .into_response();
    }
    let tokens = directive(&body, "tokens");
    Json(json!({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_733_450_000, "model": "fake-llm",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "done"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": tokens, "total_tokens": tokens + 5}
    }))
    .into_response()
}

/// Starts the fake; answers its base URL (`http://127.0.0.1:PORT/v1`).
pub async fn start() -> String {
    let app = Router::new().route("/v1/chat/completions", post(chat));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

/// The body that registers the fake as a model priced 1 credit per completion token (input free):
/// a node with `max_tokens: N` holds N and is charged what the directive's `tokens` says.
pub fn model_body(base: &str) -> Value {
    json!({"name": "Fake paid chat", "provider": "Fake", "api_base": base, "model_name": "fake-llm",
           "kind": "llm", "credits_cost": 0, "output_credits_cost": 1000})
}

/// A one-node graph calling the model: holds `estimate`, charged `cost`.
pub fn paid_graph(model_id: &str, estimate: u64, cost: u64, sleep_ms: u64, fail: bool) -> Value {
    json!({"nodes": [{"id": "paid", "kind": "llm.prompt", "config": {
        "provider": model_id, "max_tokens": estimate,
        "prompt": format!("tokens={cost} sleep_ms={sleep_ms} fail={}", u8::from(fail))}}], "edges": []})
}
