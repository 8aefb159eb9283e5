//! Model router overhead (issue 17): the same call to a local fake OpenAI upstream, made directly and
//! through the router, side by side in one run.
//!
//! A real `storyloom` API on 127.0.0.1 (accounts mode, SQLite in a temp dir, its own runtime) with
//! one chat model on the fake; a person with credits and an API key. Cases, each a fixed number of
//! requests from 64 concurrent connections:
//! - non-streaming chat, direct vs through the router (every router call holds, calls, settles and
//!   writes its usage row);
//! - streaming chat: time to the first chunk, direct vs through the router;
//! - non-streaming chat to an upstream that takes 50 ms to answer (as every real model does), from
//!   64 connections: the router's added latency when it is not saturated (the zero-latency fake
//!   above makes 64 connections a saturation test: the added latency there is queueing); then to
//!   one that takes 20–80 ms, so that the calls do not arrive in waves of 64.
//!
//! Run: `cargo bench --bench router`. Prints Markdown rows (p50, p99, mean in ms, and the router's
//! added p50 and p99).
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use futures_util::StreamExt;
use reqwest::Client;
use serde_json::{json, Value};
use storyloom::{
    auth::{self, Scope},
    config::{AuthMode, Config, RateConfig},
    ledger::{self, GrantKind},
    registry, AppState,
};

/// Connections at once in the loaded cases (the issue's figure); the unloaded cases use one.
const CONNECTIONS: usize = 64;
const REQUESTS: usize = 4000;
const STREAMS: usize = 1000;
const ALONE: usize = 300;
/// The upstream's answer time in the unsaturated case.
const UPSTREAM_DELAY: Duration = Duration::from_millis(50);
const DELAYED_REQUESTS: usize = 2560;

async fn fake_chat_delayed(body: Json<Value>) -> Response {
    tokio::time::sleep(UPSTREAM_DELAY).await;
    fake_chat(body).await
}

/// Calls the varying fake has answered since the last reset.
static JITTERED_CALLS: AtomicU64 = AtomicU64::new(0);

/// An upstream whose answer takes 20–80 ms, as a real model's varies: the 64 connections' calls
/// arrive spread out instead of in waves. The times cycle through every whole millisecond of that
/// range (n × 23 mod 61), so the direct and the routed runs, each starting from a reset, wait for
/// exactly the same times and their percentiles differ only by what the router adds.
async fn fake_chat_jittered(body: Json<Value>) -> Response {
    let n = JITTERED_CALLS.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(20 + n * 23 % 61)).await;
    fake_chat(body).await
}

async fn fake_chat(Json(body): Json<Value>) -> Response {
    if body["stream"].as_bool().unwrap_or(false) {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = [
            r#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
            r#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            r#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#,
            "data: [DONE]",
        ]
        .iter()
        .map(|l| Ok(bytes::Bytes::from(format!("{l}\n\n"))))
        .collect();
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .unwrap();
    }
    Json(json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}))
    .into_response()
}

/// Serves `app` on a runtime and thread of its own: the server and the fake never share the
/// clients' threads.
fn serve_on_own_runtime(app: Router) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            storyloom::server::serve_connections(
                listener,
                app,
                Duration::from_secs(15),
                std::future::pending(),
            )
            .await;
        });
    });
    rx.recv().unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Latencies of `total` calls of `call` from `connections` concurrent tasks.
async fn measure<F, Fut>(connections: usize, total: usize, call: F) -> Vec<Duration>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Duration> + Send,
{
    let call = Arc::new(call);
    let per = total / connections;
    let tasks = (0..connections).map(|_| {
        let call = call.clone();
        tokio::spawn(async move {
            let mut out = Vec::with_capacity(per);
            for _ in 0..per {
                out.push(call().await);
            }
            out
        })
    });
    let mut all: Vec<Duration> = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();
    all.sort();
    all
}

fn row(case: &str, d: &[Duration]) -> (f64, f64) {
    let mean = d.iter().sum::<Duration>() / d.len() as u32;
    let (p50, p99) = (percentile(d, 0.50), percentile(d, 0.99));
    println!(
        "| {case} | {} | {:.2} | {:.2} | {:.2} |",
        d.len(),
        ms(p50),
        ms(p99),
        ms(mean)
    );
    (ms(p50), ms(p99))
}

fn main() {
    let upstream = serve_on_own_runtime(
        Router::new()
            .route("/v1/chat/completions", post(fake_chat))
            .route("/delayed/v1/chat/completions", post(fake_chat_delayed))
            .route("/jittered/v1/chat/completions", post(fake_chat_jittered)),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::server(dir.path().join("data"), AuthMode::Accounts);
    config.rates = RateConfig {
        queries_per_minute: 1_000_000,
        other_per_minute: 1_000_000,
        generation_per_hour: 1_000_000,
        router_per_hour: 1_000_000,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = AppState::open(config).unwrap();
    let key = rt.block_on(async {
        let user = storyloom::accounts::create_user(&state, "bench", false)
            .await
            .unwrap();
        // One channel per fake: immediate, 50 ms, 20–80 ms.
        for (name, path, public) in [
            ("Fake", "", "bench-chat"),
            ("Fake, 50 ms", "/delayed", "bench-chat-delayed"),
            ("Fake, 20-80 ms", "/jittered", "bench-chat-jittered"),
        ] {
            let model: registry::NewModel = serde_json::from_value(json!({
                "name": name, "model_name": "fake", "provider": name,
                "api_base": format!("http://{upstream}{path}/v1"), "api_key": "sk-fake", "kind": "llm",
                "credits_cost": 1, "output_credits_cost": 1, "public_name": public
            }))
            .unwrap();
            registry::create_model(&state, model).await.unwrap();
        }
        ledger::grant(
            &state,
            &user,
            1_000_000_000,
            GrantKind::Grant,
            None,
            "bench",
        )
        .await
        .unwrap();
        auth::create_api_key(&state, &user, "bench", &[Scope::Write], None)
            .await
            .unwrap()
            .secret
    });
    let server = serve_on_own_runtime(storyloom::api::router(state.clone()));
    rt.block_on(async move {
        let client = Client::builder()
            .pool_max_idle_per_host(CONNECTIONS)
            .build()
            .unwrap();
        let body = json!({"model": "bench-chat", "max_tokens": 16,
                          "messages": [{"role": "user", "content": "Say hi"}]});
        let direct_body = json!({"model": "fake", "max_tokens": 16,
                                 "messages": [{"role": "user", "content": "Say hi"}]});
        let direct_url = format!("http://{upstream}/v1/chat/completions");
        let router_url = format!("http://{server}/v1/chat/completions");
        let call = move |url: String, body: Value, key: Option<String>| {
            let client = client.clone();
            move || {
                let (client, url, body, key) =
                    (client.clone(), url.clone(), body.clone(), key.clone());
                async move {
                    let started = Instant::now();
                    let mut req = client.post(&url).json(&body);
                    if let Some(k) = &key {
                        req = req.bearer_auth(k);
                    }
                    let res = req.send().await.unwrap();
                    assert!(res.status().is_success(), "{}", res.status());
                    let _ = res.bytes().await.unwrap();
                    started.elapsed()
                }
            }
        };

        // Warm both paths (connections, caches, prepared statements).
        let direct_call = || call(direct_url.clone(), direct_body.clone(), None);
        let router_call = || call(router_url.clone(), body.clone(), Some(key.clone()));
        measure(CONNECTIONS, CONNECTIONS * 4, direct_call()).await;
        measure(CONNECTIONS, CONNECTIONS * 4, router_call()).await;

        println!("| case | requests | p50 ms | p99 ms | mean ms |");
        println!("|---|---|---|---|---|");
        for (connections, total) in [(1, ALONE), (CONNECTIONS, REQUESTS)] {
            let direct = measure(connections, total, direct_call()).await;
            let routed = measure(connections, total, router_call()).await;
            let (d50, d99) = row(&format!("chat, direct ({connections} conn.)"), &direct);
            let (r50, r99) = row(&format!("chat, through the router ({connections} conn.)"), &routed);
            println!(
                "| router adds (p50 / p99), {connections} conn. | | {:.2} | {:.2} | |",
                r50 - d50,
                r99 - d99
            );
        }

        // Upstreams that take 50 ms, then 20–80 ms: the router is not saturated at 64 connections.
        // With a fixed 50 ms the calls arrive in waves of 64 (they start together and all take
        // the same time); with a varying one they arrive spread out, as a real load's do.
        for (public, path, what) in [
            ("bench-chat-delayed", "delayed", "50 ms upstream"),
            ("bench-chat-jittered", "jittered", "20–80 ms upstream"),
        ] {
            let routed_body = json!({"model": public, "max_tokens": 16,
                                     "messages": [{"role": "user", "content": "Say hi"}]});
            JITTERED_CALLS.store(0, Ordering::Relaxed);
            let direct = measure(
                CONNECTIONS,
                DELAYED_REQUESTS,
                call(format!("http://{upstream}/{path}/v1/chat/completions"), direct_body.clone(), None),
            )
            .await;
            JITTERED_CALLS.store(0, Ordering::Relaxed);
            let routed = measure(
                CONNECTIONS,
                DELAYED_REQUESTS,
                call(router_url.clone(), routed_body, Some(key.clone())),
            )
            .await;
            let (d50, d99) = row(&format!("chat, {what}, direct ({CONNECTIONS} conn.)"), &direct);
            let (r50, r99) =
                row(&format!("chat, {what}, through the router ({CONNECTIONS} conn.)"), &routed);
            println!(
                "| router adds (p50 / p99), {what}, {CONNECTIONS} conn. | | {:.2} | {:.2} | |",
                r50 - d50,
                r99 - d99
            );
        }

        // Streaming: time to the first chunk.
        let stream_client = Client::builder()
            .pool_max_idle_per_host(CONNECTIONS)
            .build()
            .unwrap();
        let ttfb = move |url: String, mut body: Value, key: Option<String>| {
            body["stream"] = json!(true);
            let client = stream_client.clone();
            move || {
                let (client, url, body, key) =
                    (client.clone(), url.clone(), body.clone(), key.clone());
                async move {
                    let started = Instant::now();
                    let mut req = client.post(&url).json(&body);
                    if let Some(k) = &key {
                        req = req.bearer_auth(k);
                    }
                    let res = req.send().await.unwrap();
                    let mut s = res.bytes_stream();
                    s.next().await.unwrap().unwrap();
                    let first = started.elapsed();
                    while s.next().await.is_some() {}
                    first
                }
            }
        };
        for (connections, total) in [(1, ALONE), (CONNECTIONS, STREAMS)] {
            let direct = measure(connections, total, ttfb(direct_url.clone(), direct_body.clone(), None)).await;
            let routed =
                measure(connections, total, ttfb(router_url.clone(), body.clone(), Some(key.clone()))).await;
            let (d50, d99) = row(&format!("stream, first chunk direct ({connections} conn.)"), &direct);
            let (r50, r99) =
                row(&format!("stream, first chunk through the router ({connections} conn.)"), &routed);
            println!(
                "| router adds to the first chunk (p50 / p99), {connections} conn. | | {:.2} | {:.2} | |",
                r50 - d50,
                r99 - d99
            );
        }
    });
    // Thousands of metered calls later, the ledger still balances.
    let report = rt
        .block_on(ledger::reconcile::reconcile(&state, false))
        .unwrap();
    assert!(report.success, "{:?}", report.issues);
}
