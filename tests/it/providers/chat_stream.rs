//! The OpenAI-compatible chat adapter: SSE streaming (as OpenAI sends it, `data: {…}\n\n` chunks
//! ending with `data: [DONE]`), a stream that breaks or ends early being retried, JSON mode, the
//! request id, malformed answers and the timeout.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    http::StatusCode,
    response::Response,
};
use serde_json::json;
use storyloom::providers::{
    self, call_with_retry, AdapterKind, CallContext, ChatMessage, LlmProvider, LlmRequest,
    LlmResponse, ProviderError, ProviderErrorKind, ProviderFuture, ProviderInfo, ProviderLimiter,
};

use super::support::{self, serve, typed, FakeServer};

const CREATED: u64 = 1_726_000_000;

/// One `chat.completion.chunk` line, byte for byte as OpenAI streams it.
fn chunk(content: Option<&str>, finish: Option<&str>, first: bool) -> String {
    let delta = match (first, content) {
        (true, _) => json!({"role": "assistant", "content": "", "refusal": null}),
        (false, Some(c)) => json!({"content": c}),
        (false, None) => json!({}),
    };
    let v = json!({
        "id": "chatcmpl-A1b2C3", "object": "chat.completion.chunk", "created": CREATED,
        "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_1bb46167f9",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        "usage": null
    });
    format!("data: {}\n\n", serde_json::to_string(&v).unwrap())
}

fn usage_chunk() -> String {
    let v = json!({
        "id": "chatcmpl-A1b2C3", "object": "chat.completion.chunk", "created": CREATED,
        "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_1bb46167f9",
        "choices": [],
        "usage": {"prompt_tokens": 21, "completion_tokens": 3, "total_tokens": 24,
                  "prompt_tokens_details": {"cached_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0}}
    });
    format!("data: {}\n\n", serde_json::to_string(&v).unwrap())
}

fn whole_stream() -> Vec<String> {
    vec![
        chunk(None, None, true),
        chunk(Some("雨"), None, false),
        chunk(Some("夜。"), None, false),
        chunk(Some(" Rain"), None, false),
        chunk(None, Some("stop"), false),
        usage_chunk(),
        "data: [DONE]\n\n".into(),
    ]
}

/// An SSE answer as OpenAI sends it; `then_fail` aborts the connection after the chunks (a moment
/// later, so they reach the client first).
fn sse(chunks: Vec<String>, then_fail: bool) -> Response {
    use futures_util::StreamExt;
    let items: Vec<Result<Bytes, std::io::Error>> =
        chunks.into_iter().map(|c| Ok(Bytes::from(c))).collect();
    let failure = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Err(std::io::Error::other("upstream reset"))
    });
    let body = if then_fail {
        Body::from_stream(futures_util::stream::iter(items).chain(failure))
    } else {
        Body::from_stream(futures_util::stream::iter(items))
    };
    let mut r = typed(StatusCode::OK, "text/event-stream; charset=utf-8", body);
    r.headers_mut()
        .insert("x-request-id", "req_7f3a9c".parse().unwrap());
    r
}

fn llm(base: &str, config: serde_json::Value) -> Arc<dyn LlmProvider> {
    providers::adapters::llm(&support::target(
        AdapterKind::OpenaiCompatible,
        &format!("{base}/v1"),
        "gpt-4o-mini",
        config,
    ))
    .unwrap()
}

fn request() -> LlmRequest {
    LlmRequest {
        messages: vec![
            ChatMessage::system("You write short dramas."),
            ChatMessage::user("下雨了"),
        ],
        ..LlmRequest::default()
    }
}

async fn stream_with_retry(
    llm: &Arc<dyn LlmProvider>,
    deltas: &Arc<Mutex<Vec<String>>>,
) -> Result<(LlmResponse, u32), ProviderError> {
    let ctx = support::ctx_ms(5_000);
    let slots = ProviderLimiter::new(None).for_provider(llm.as_ref());
    let sink = deltas.clone();
    let on_delta = move |d: &str| sink.lock().unwrap().push(d.to_owned());
    call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        llm.complete_stream(request(), &ctx, &on_delta)
    })
    .await
}

#[tokio::test]
async fn chat_stream_delivers_deltas_usage_and_request_id() {
    let fake = serve(|_, _| async { sse(whole_stream(), false) }).await;
    let llm = llm(&fake.base, json!({"temperature": 0.4, "max_tokens": 300}));
    let deltas = Arc::new(Mutex::new(Vec::new()));
    let (answer, attempts) = stream_with_retry(&llm, &deltas).await.unwrap();
    assert_eq!(attempts, 1);
    assert_eq!(*deltas.lock().unwrap(), ["雨", "夜。", " Rain"]);
    assert_eq!(answer.content, "雨夜。 Rain");
    assert_eq!(answer.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
    assert_eq!(answer.request_id.as_deref(), Some("req_7f3a9c"));
    let usage = answer.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (21, 3, 24)
    );

    let seen = fake.to("/v1/chat/completions");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer sk-test-secret")
    );
    assert_eq!(
        seen[0].header("idempotency-key"),
        Some("run-1/node-2/shot-3")
    );
    let body = seen[0].json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["max_tokens"], 300, "the model's configured default");
    assert!((body["temperature"].as_f64().unwrap() - 0.4).abs() < 1e-6);
    assert!(body.get("response_format").is_none(), "json_mode is off");
}

#[tokio::test]
async fn chat_stream_cut_mid_way_is_retried() {
    let fake = serve(|_, n| async move {
        if n == 0 {
            sse(
                vec![chunk(None, None, true), chunk(Some("雨"), None, false)],
                true,
            )
        } else {
            sse(whole_stream(), false)
        }
    })
    .await;
    let llm = llm(&fake.base, json!({}));
    let deltas = Arc::new(Mutex::new(Vec::new()));
    let (answer, attempts) = stream_with_retry(&llm, &deltas).await.unwrap();
    assert_eq!(attempts, 2);
    assert_eq!(
        answer.content, "雨夜。 Rain",
        "the answer is the second attempt's whole"
    );
    // The first attempt's partial text was streamed, then the retry streamed from the start.
    assert_eq!(*deltas.lock().unwrap(), ["雨", "雨", "夜。", " Rain"]);
    assert_eq!(fake.count("/v1/chat/completions"), 2);
}

#[tokio::test]
async fn chat_stream_error_chunk_mid_stream_is_retried() {
    // OpenAI reports a failure after the 200 as an `error` object in a data line.
    let fake = serve(|_, n| async move {
        if n == 0 {
            let error = json!({"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}});
            sse(
                vec![chunk(None, None, true), chunk(Some("雨"), None, false), format!("data: {error}\n\n")],
                false,
            )
        } else {
            sse(whole_stream(), false)
        }
    })
    .await;
    let llm = llm(&fake.base, json!({}));
    let (answer, attempts) = stream_with_retry(&llm, &Arc::default()).await.unwrap();
    assert_eq!((answer.content.as_str(), attempts), ("雨夜。 Rain", 2));
}

#[tokio::test]
async fn chat_stream_without_done_gives_up_after_max_attempts() {
    let fake = serve(|_, _| async {
        sse(
            vec![chunk(None, None, true), chunk(Some("雨"), None, false)],
            false,
        )
    })
    .await;
    let llm = llm(&fake.base, json!({}));
    let err = stream_with_retry(&llm, &Arc::default()).await.unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Upstream { status: 502 });
    assert!(err.retryable());
    assert!(err.message.contains("[DONE]"), "{}", err.message);
    assert_eq!(fake.count("/v1/chat/completions"), 3);
}

#[tokio::test]
async fn chat_stream_429_then_success_waits_retry_after() {
    let fake = serve(|_, n| async move {
        if n == 0 {
            support::openai_429()
        } else {
            sse(whole_stream(), false)
        }
    })
    .await;
    let llm = llm(&fake.base, json!({}));
    let start = Instant::now();
    let (answer, attempts) = stream_with_retry(&llm, &Arc::default()).await.unwrap();
    assert_eq!((answer.content.as_str(), attempts), ("雨夜。 Rain", 2));
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
}

#[tokio::test]
async fn chat_stream_500_gives_up() {
    let fake = serve(|_, _| async { support::openai_500() }).await;
    let llm = llm(&fake.base, json!({}));
    let err = stream_with_retry(&llm, &Arc::default()).await.unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Upstream { status: 500 });
    assert!(err.message.contains("had an error"), "{}", err.message);
    assert_eq!(fake.count("/v1/chat/completions"), 3);
}

fn completion_json() -> serde_json::Value {
    json!({
        "id": "chatcmpl-abc123", "object": "chat.completion", "created": CREATED,
        "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_44709d6fcb",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"scenes\": 2}", "refusal": null},
                     "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 19, "completion_tokens": 6, "total_tokens": 25}
    })
}

#[tokio::test]
async fn chat_json_mode_and_body_request_id() {
    let fake = serve(|_, _| async { support::json(StatusCode::OK, completion_json()) }).await;
    let llm = llm(&fake.base, json!({}));
    let req = LlmRequest {
        json_mode: true,
        temperature: Some(0.9),
        ..request()
    };
    let answer = llm.complete(req, &support::ctx_ms(5_000)).await.unwrap();
    assert_eq!(answer.content, "{\"scenes\": 2}");
    assert_eq!(
        answer.request_id.as_deref(),
        Some("chatcmpl-abc123"),
        "no header: the body's id"
    );
    let body = fake.requests()[0].json();
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    assert!(
        (body["temperature"].as_f64().unwrap() - 0.9).abs() < 1e-6,
        "the request's value wins"
    );
    assert!(body.get("stream").is_none());
}

#[tokio::test]
async fn chat_stream_against_a_server_that_answers_json() {
    // Some servers ignore `stream: true`; the whole answer comes as one delta.
    let fake = serve(|_, _| async { support::json(StatusCode::OK, completion_json()) }).await;
    let llm = llm(&fake.base, json!({}));
    let deltas = Arc::new(Mutex::new(Vec::new()));
    let (answer, _) = stream_with_retry(&llm, &deltas).await.unwrap();
    assert_eq!(
        *deltas.lock().unwrap(),
        std::slice::from_ref(&answer.content)
    );
}

#[tokio::test]
async fn chat_malformed_answers_fail_clearly_without_retry() {
    let fake = serve(|_, n| async move {
        match n {
            0 => typed(StatusCode::OK, "text/html", support::HTML_PAGE),
            _ => typed(
                StatusCode::OK,
                "application/json",
                r#"{"id":"chatcmpl-1","choices":[{"index":0,"mess"#,
            ),
        }
    })
    .await;
    let llm = llm(&fake.base, json!({}));
    let ctx = support::ctx_ms(5_000);
    let slots = ProviderLimiter::new(None).for_provider(llm.as_ref());
    for expected in ["is an HTML page", "is truncated JSON"] {
        let err = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
            llm.complete(request(), &ctx)
        })
        .await
        .unwrap_err();
        assert!(matches!(
            err.kind,
            ProviderErrorKind::Upstream { status: 200 }
        ));
        assert!(!err.retryable());
        assert!(
            err.message.contains(expected),
            "{expected}: {}",
            err.message
        );
        assert!(err.message.len() < 400, "a short excerpt: {}", err.message);
    }
    assert_eq!(fake.count("/v1/chat/completions"), 2, "one attempt each");
    // A data line that is not JSON in a stream.
    let fake =
        serve(|_, _| async { sse(vec!["data: {\"id\": \"chatcmpl\n\n".into()], false) }).await;
    let llm2 = providers::adapters::llm(&support::target(
        AdapterKind::OpenaiCompatible,
        &format!("{}/v1", fake.base),
        "m",
        json!({}),
    ))
    .unwrap();
    let err = llm2
        .complete_stream(request(), &ctx, &|_: &str| {})
        .await
        .unwrap_err();
    assert!(err.message.contains("chunk is not JSON"), "{}", err.message);
}

#[tokio::test]
async fn chat_timeout_and_cancel_end_the_attempt() {
    let fake: FakeServer = serve(|_, _| support::sleepy()).await;
    let llm = llm(&fake.base, json!({}));
    let start = Instant::now();
    let err = llm
        .complete_stream(request(), &support::ctx_ms(200), &|_: &str| {})
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Timeout);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );

    let ctx = support::ctx_ms(60_000);
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let start = Instant::now();
    let err = llm.complete(request(), &ctx).await.unwrap_err();
    assert!(err.is_cancelled());
    assert!(start.elapsed() < Duration::from_secs(3));
}

/// A provider with only `complete`: the trait's default `complete_stream` sends one delta.
struct Canned;
impl ProviderInfo for Canned {
    fn id(&self) -> &str {
        "canned"
    }
    fn model(&self) -> &str {
        "canned-1"
    }
    fn max_concurrency(&self) -> usize {
        1
    }
}
impl LlmProvider for Canned {
    fn complete<'a>(
        &'a self,
        _: LlmRequest,
        _: &'a CallContext,
    ) -> ProviderFuture<'a, LlmResponse> {
        Box::pin(async {
            Ok(LlmResponse {
                content: "whole".into(),
                model: "canned-1".into(),
                usage: None,
                finish_reason: Some("stop".into()),
                request_id: None,
            })
        })
    }
}

#[tokio::test]
async fn default_complete_stream_sends_the_whole_answer_once() {
    let deltas = Mutex::new(Vec::new());
    let on_delta = |d: &str| deltas.lock().unwrap().push(d.to_owned());
    let answer = Canned
        .complete_stream(request(), &support::ctx_ms(1_000), &on_delta)
        .await
        .unwrap();
    assert_eq!(answer.content, "whole");
    assert_eq!(*deltas.lock().unwrap(), ["whole"]);
}
