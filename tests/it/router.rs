//! The model router (issue 17, docs/API-ROUTER.md) over real TCP on 127.0.0.1: an OpenAI client's
//! requests through a Storyloom API key, to fake upstreams that speak OpenAI's wire format and
//! misbehave on purpose (tests/it/common/fake_openai.rs). Each case checks what the client saw,
//! the one usage row, what the ledger charged, and that the ledger reconciles.
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use storyloom::{
    auth::{self, Scope},
    config::AuthMode,
    ledger::{self, GrantKind},
    registry,
    router::RouterTimeouts,
};

use crate::common::{fake_openai, TestServer};

struct Setup {
    s: TestServer,
    seen: fake_openai::Seen,
    key: String,
    user: String,
    /// The person's `Authorization` value (a session: they are the instance's admin).
    session: String,
}

/// A server whose public model `team-chat` is served by `channels` (fake model, priority), at 1
/// credit per input token and 2 per output token; a person with `credits` and an API key.
async fn setup(channels: &[(&str, i64)], credits: i64) -> Setup {
    let (base, seen) = fake_openai::start().await;
    let s = TestServer::start_with(AuthMode::Accounts, |c| {
        c.router = RouterTimeouts {
            first_byte: Duration::from_secs(5),
            stall: Duration::from_millis(500),
            drain: Duration::from_secs(10),
            keepalive: Duration::from_secs(15),
        };
    })
    .await;
    let (user, session) = s.register("ann").await;
    for (model, priority) in channels {
        add_model(&s.state, json!({
            "name": format!("Fake {model}"), "model_name": model, "provider": format!("Fake {model}"),
            "api_base": base, "api_key": "sk-fake-upstream", "kind": "llm",
            "credits_cost": 1000, "output_credits_cost": 2000,
            "public_name": "team-chat", "route_priority": priority
        })).await;
    }
    if credits > 0 {
        ledger::grant(
            &s.state,
            &user,
            credits,
            GrantKind::Grant,
            None,
            "test credits",
        )
        .await
        .unwrap();
    }
    let key = auth::create_api_key(
        &s.state,
        &user,
        "router",
        &[Scope::Read, Scope::Write],
        None,
    )
    .await
    .unwrap()
    .secret;
    Setup {
        s,
        seen,
        key,
        user,
        session,
    }
}

/// Registers a model from its `POST /api/v1/models` body.
async fn add_model(state: &storyloom::AppState, body: Value) -> registry::Model {
    let input: registry::NewModel = serde_json::from_value(body).unwrap();
    registry::create_model(state, input).await.unwrap()
}

fn chat_body(stream: bool, include_usage: bool) -> Value {
    let mut body = json!({"model": "team-chat", "max_tokens": 50,
                          "messages": [{"role": "user", "content": "Say hello"}]});
    if stream {
        body["stream"] = json!(true);
        if include_usage {
            body["stream_options"] = json!({"include_usage": true});
        }
    }
    body
}

impl Setup {
    async fn post(&self, body: &Value) -> reqwest::Response {
        self.s
            .client
            .post(self.s.url("/v1/chat/completions"))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn row(&self, usage_id: &str) -> Value {
        let (status, row) = self
            .s
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/router/requests/{usage_id}"),
                None,
                &[("x-api-key", &self.key)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{row}");
        row
    }

    /// The row once it is finished (a stream's row is finished by its relay task).
    async fn finished_row(&self, usage_id: &str) -> Value {
        for _ in 0..200 {
            let row = self.row(usage_id).await;
            if row["status"] == "done" {
                return row;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the router request {usage_id} never finished");
    }

    async fn balance(&self) -> (i64, i64) {
        let b = ledger::balance(&self.s.state, &self.user).await.unwrap();
        (b.available, b.held)
    }

    async fn assert_reconciles(&self) {
        let report = ledger::reconcile::reconcile(&self.s.state, false)
            .await
            .unwrap();
        assert!(report.success, "{:?}", report.issues);
    }
}

fn usage_id(res: &reqwest::Response) -> String {
    res.headers()["x-usage-id"].to_str().unwrap().to_string()
}

/// The `data:` payloads of an SSE body.
fn events(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(str::to_string)
        .collect()
}

fn content_of(events: &[String]) -> String {
    events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

#[tokio::test]
async fn a_chat_completion_is_charged_its_reported_tokens_at_the_channel_price() {
    let t = setup(&[("ok", 0)], 1000).await;
    let res = t.post(&chat_body(false, false)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = usage_id(&res);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "Hello there");
    // The upstream was asked for its own model name, with the caller's parameters.
    let sent = t.seen.last();
    assert_eq!(sent["model"], "ok");
    assert_eq!(sent["max_tokens"], 50);
    let row = t.row(&id).await;
    assert_eq!(row["status"], "done");
    assert_eq!(row["end_reason"], "completed");
    assert_eq!(row["prompt_tokens"], fake_openai::PROMPT_TOKENS);
    assert_eq!(row["completion_tokens"], 3);
    assert_eq!(row["usage_estimated"], false);
    assert_eq!(
        (row["price_in"].clone(), row["price_out"].clone()),
        (json!(1000), json!(2000))
    );
    // 11 input tokens at 1 credit, 3 output tokens at 2.
    assert_eq!(row["credits"], 17);
    assert_eq!(row["attempts"], 1);
    assert_eq!(t.balance().await, (1000 - 17, 0));

    // A price change alters no past row.
    let model_id = row["model_id"].as_str().unwrap().to_string();
    registry::set_pricing(
        &t.s.state,
        &model_id,
        serde_json::from_value(json!({"credits_cost": 5000, "output_credits_cost": 9000})).unwrap(),
    )
    .await
    .unwrap();
    let again = t.row(&id).await;
    assert_eq!(
        (again["price_in"].clone(), again["credits"].clone()),
        (json!(1000), json!(17))
    );

    // Metering a call writes no credential table (`api_keys`, `users`): a write there would make
    // every cached key check stale, so each call would read its key again. (SQLite only: on
    // PostgreSQL the count also moves when a notification of an earlier write arrives, later.)
    let generation = t.s.state.db.credentials_generation();
    let res = t.post(&chat_body(false, false)).await;
    assert_eq!(res.status(), StatusCode::OK);
    if t.s.state.db.dialect() == storyloom::db::sql::Dialect::Sqlite {
        assert_eq!(t.s.state.db.credentials_generation(), generation);
    }
    // The router keeps each model's channels between calls; the new price still applies to the
    // very next call: 11 input tokens at 5 credits, 3 output tokens at 9.
    let row = t.row(&usage_id(&res)).await;
    assert_eq!(
        (row["price_in"].clone(), row["credits"].clone()),
        (json!(5000), json!(82))
    );
    assert_eq!(t.balance().await, (1000 - 17 - 82, 0));
    // So does a provider switched off: the model is gone for the next call.
    let provider_id = row["provider_id"].as_str().unwrap().to_string();
    registry::set_provider_enabled(&t.s.state, &provider_id, false)
        .await
        .unwrap();
    let res = t.post(&chat_body(false, false)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    t.assert_reconciles().await;
}

#[tokio::test]
async fn a_stream_passes_through_and_bills_the_usage_it_asked_for_upstream() {
    let t = setup(&[("ok", 0)], 1000).await;
    // Without include_usage: the client gets no usage chunk, the router still learns the usage.
    let res = t.post(&chat_body(true, false)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let id = usage_id(&res);
    let text = res.text().await.unwrap();
    let evs = events(&text);
    assert_eq!(content_of(&evs), "Hello there");
    assert_eq!(evs.last().unwrap(), "[DONE]");
    assert!(!text.contains("\"usage\""), "{text}");
    assert_eq!(t.seen.last()["stream_options"]["include_usage"], true);
    let row = t.finished_row(&id).await;
    assert_eq!(row["end_reason"], "completed");
    assert_eq!(row["credits"], 17);
    assert_eq!(row["usage_estimated"], false);
    assert!(row["first_token_ms"].as_i64().is_some());

    // With include_usage the client gets the usage chunk, as OpenAI sends it.
    let res = t.post(&chat_body(true, true)).await;
    let id2 = usage_id(&res);
    let evs = events(&res.text().await.unwrap());
    let usage: Vec<Value> = evs
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter(|v| v.get("usage").is_some())
        .collect();
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0]["usage"]["completion_tokens"], 3);
    assert_eq!(t.finished_row(&id2).await["credits"], 17);
    assert_eq!(t.balance().await, (1000 - 34, 0));
    t.assert_reconciles().await;
}

#[tokio::test]
async fn a_rate_limited_channel_falls_back_to_the_next_before_the_first_byte() {
    let t = setup(&[("rate-limited", 10), ("ok", 0)], 1000).await;
    let res = t.post(&chat_body(true, false)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = usage_id(&res);
    assert_eq!(
        content_of(&events(&res.text().await.unwrap())),
        "Hello there"
    );
    assert_eq!(
        t.seen.calls("rate-limited"),
        1,
        "the higher priority was tried first"
    );
    assert_eq!(t.seen.calls("ok"), 1);
    let row = t.finished_row(&id).await;
    assert_eq!(row["attempts"], 2);
    assert_eq!(row["credits"], 17, "one charge, for the call that answered");
    assert_eq!(t.balance().await, (1000 - 17, 0));
    t.assert_reconciles().await;
}

#[tokio::test]
async fn when_every_channel_fails_nothing_is_charged_and_the_error_is_openais() {
    let t = setup(&[("error500", 5), ("truncated", 0)], 1000).await;
    let res = t.post(&chat_body(false, false)).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let id = usage_id(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("every channel"),
        "{body}"
    );
    assert_eq!(
        (t.seen.calls("error500"), t.seen.calls("truncated")),
        (1, 1)
    );
    let row = t.row(&id).await;
    assert_eq!(row["end_reason"], "upstream_error");
    assert_eq!(row["credits"], 0);
    assert_eq!(t.balance().await, (1000, 0), "the hold was voided");

    // An upstream that refuses the request itself is not retried elsewhere, and is free.
    let t = setup(&[("reject", 5), ("ok", 0)], 1000).await;
    let res = t.post(&chat_body(false, false)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("content filter"),
        "{body}"
    );
    assert_eq!(t.seen.calls("ok"), 0);
    assert_eq!(t.balance().await, (1000, 0));
    t.assert_reconciles().await;
}

#[tokio::test]
async fn a_stream_that_breaks_mid_way_bills_what_the_client_was_sent() {
    let t = setup(&[("mid-stream-500", 0), ("ok", -1)], 1000).await;
    let res = t.post(&chat_body(true, true)).await;
    assert_eq!(res.status(), StatusCode::OK, "the stream had started");
    let id = usage_id(&res);
    let evs = events(&res.text().await.unwrap());
    assert_eq!(content_of(&evs), "Hello");
    let last: Value = serde_json::from_str(evs.last().unwrap()).unwrap();
    assert_eq!(
        last["error"]["type"], "api_error",
        "the client is told: {evs:?}"
    );
    assert_eq!(
        t.seen.calls("ok"),
        0,
        "no retry once bytes reached the client"
    );
    let row = t.finished_row(&id).await;
    assert_eq!(row["end_reason"], "upstream_error");
    assert_eq!(row["usage_estimated"], true);
    // The prompt ("Say hello": 3 tokens by the estimate) and "Hello" (2) relayed.
    assert_eq!(row["prompt_tokens"], 3);
    assert_eq!(row["completion_tokens"], 2);
    assert_eq!(row["credits"], 3 + 2 * 2);
    assert_eq!(t.balance().await, (1000 - 7, 0));
    t.assert_reconciles().await;
}

#[tokio::test]
async fn a_stream_that_never_reports_usage_is_billed_by_its_text() {
    let t = setup(&[("no-usage", 0)], 1000).await;
    let res = t.post(&chat_body(true, true)).await;
    let id = usage_id(&res);
    let evs = events(&res.text().await.unwrap());
    assert_eq!(content_of(&evs), "Hello there");
    let row = t.finished_row(&id).await;
    assert_eq!(row["end_reason"], "completed");
    assert_eq!(row["usage_estimated"], true);
    // "Hello there": 11 ASCII characters, 3 tokens by the estimate.
    assert_eq!(
        (
            row["prompt_tokens"].clone(),
            row["completion_tokens"].clone()
        ),
        (json!(3), json!(3))
    );
    assert_eq!(row["credits"], 3 + 3 * 2);
    t.assert_reconciles().await;
}

#[tokio::test]
async fn a_stalled_stream_ends_with_an_error_event_and_bills_what_was_relayed() {
    let t = setup(&[("stall", 0)], 1000).await;
    let res = t.post(&chat_body(true, false)).await;
    let id = usage_id(&res);
    let evs = events(&res.text().await.unwrap());
    assert_eq!(content_of(&evs), "Hel");
    let last: Value = serde_json::from_str(evs.last().unwrap()).unwrap();
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sent nothing"),
        "{last}"
    );
    let row = t.finished_row(&id).await;
    assert_eq!(row["end_reason"], "stalled");
    assert_eq!(row["completion_tokens"], 1);
    assert_eq!(row["credits"], 3 + 2);
    t.assert_reconciles().await;
}

#[tokio::test]
async fn a_client_that_leaves_after_three_chunks_is_billed_the_usage_read_after_it_left() {
    let t = setup(&[("slow", 0)], 1000).await;
    let res = t.post(&chat_body(true, false)).await;
    let id = usage_id(&res);
    let mut body = res.bytes_stream();
    let mut got = String::new();
    while events(&got).len() < 3 {
        got.push_str(std::str::from_utf8(&body.next().await.unwrap().unwrap()).unwrap());
    }
    drop(body);
    let row = t.finished_row(&id).await;
    assert_eq!(row["end_reason"], "client_disconnected");
    // The router kept reading after the client left and learned the whole call's usage.
    assert_eq!(row["usage_estimated"], false);
    assert_eq!(row["completion_tokens"], 20);
    assert_eq!(row["credits"], fake_openai::PROMPT_TOKENS + 20 * 2);
    assert_eq!(t.balance().await, (1000 - 51, 0));
    t.assert_reconciles().await;
}

#[tokio::test]
async fn without_credits_for_the_worst_case_the_answer_is_402_before_any_upstream_call() {
    // The hold is the prompt's byte bound plus max_tokens: about 150 credits here.
    let t = setup(&[("ok", 0)], 100).await;
    let res = t.post(&chat_body(false, false)).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let id = usage_id(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_quota");
    assert_eq!(t.seen.total(), 0);
    let row = t.row(&id).await;
    assert_eq!(row["end_reason"], "insufficient_credits");
    assert_eq!(t.balance().await, (100, 0));
    // A smaller max_tokens fits.
    let mut small = chat_body(false, false);
    small["max_tokens"] = json!(5);
    assert_eq!(t.post(&small).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn fifty_concurrent_streams_on_a_balance_for_n_of_them_let_exactly_n_through() {
    // Each stream holds its worst case; find it from one refused request's numbers.
    // Slow streams (3 s each), so all fifty are in flight at once.
    let probe = setup(&[("slow", 0)], 0).await;
    let res = probe.post(&chat_body(true, false)).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let message: Value = res.json().await.unwrap();
    let hold: i64 = message["error"]["message"]
        .as_str()
        .unwrap()
        .split("up to ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let n = 7;
    let t = setup(&[("slow", 0)], hold * n).await;
    let t = std::sync::Arc::new(t);
    let calls = (0..50).map(|_| {
        let t = t.clone();
        tokio::spawn(async move {
            let res = t.post(&chat_body(true, false)).await;
            let status = res.status();
            let text = res.text().await.unwrap();
            (status, text)
        })
    });
    let results: Vec<(StatusCode, String)> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::PAYMENT_REQUIRED)
        .count();
    assert_eq!((ok as i64, refused), (n, 50 - n as usize));
    assert_eq!(
        t.seen.total() as i64,
        n,
        "refused requests never reached the upstream"
    );
    for (status, text) in &results {
        if *status == StatusCode::OK {
            assert_eq!(content_of(&events(text)), "x".repeat(20));
        }
    }
    // Every stream settled for its usage (11 + 20 × 2 = 51 credits); the rest of each hold came
    // back.
    for _ in 0..200 {
        if t.balance().await.1 == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(t.balance().await, (hold * n - 51 * n, 0));
    t.assert_reconciles().await;
}

#[tokio::test]
async fn models_lists_public_names_and_errors_are_in_openais_shape() {
    let t = setup(&[("ok", 0), ("no-usage", 1)], 0).await;
    let res =
        t.s.client
            .get(t.s.url("/v1/models"))
            .bearer_auth(&t.key)
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["team-chat"], "two channels, one public name");
    assert_eq!(list["data"][0]["object"], "model");

    // No key, a wrong key, an unknown model, a missing field: OpenAI's error shape.
    let res = t.s.client.get(t.s.url("/v1/models")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key", "{body}");
    let res =
        t.s.client
            .get(t.s.url("/v1/models"))
            .bearer_auth("sl_not_a_key")
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let mut unknown = chat_body(false, false);
    unknown["model"] = json!("gpt-nothing");
    let res = t.post(&unknown).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    let res =
        t.s.client
            .post(t.s.url("/v1/moderations"))
            .bearer_auth(&t.key)
            .json(&json!({"model": "team-chat", "input": "x"}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_url");
    let res = t.post(&json!({"model": "team-chat"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["param"], "messages");
    assert_eq!(t.seen.total(), 0);
}

#[tokio::test]
async fn images_are_charged_per_image_returned_after_a_fallback() {
    let t = setup(&[], 100).await;
    let (base, _) = fake_openai::start().await;
    for (model, priority) in [("img-500", 5), ("img-ok", 0)] {
        add_model(&t.s.state, json!({
            "name": format!("Fake {model}"), "model_name": model, "provider": format!("Images {model}"),
            "api_base": base, "kind": "image", "credits_cost": 4,
            "public_name": "team-image", "route_priority": priority
        })).await;
    }
    let res =
        t.s.client
            .post(t.s.url("/v1/images/generations"))
            .bearer_auth(&t.key)
            .json(
                &json!({"model": "team-image", "prompt": "a lighthouse at dusk", "n": 2,
                      "response_format": "b64_json"}),
            )
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id = usage_id(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][0]["b64_json"], fake_openai::PNG_B64);
    let row = t.row(&id).await;
    assert_eq!(row["endpoint"], "images.generations");
    assert_eq!(
        row["attempts"], 2,
        "the failing channel first, then the next"
    );
    assert_eq!(row["completion_tokens"], 2);
    assert_eq!(row["credits"], 8);
    assert_eq!(t.balance().await, (92, 0));
    // Too many at once is the caller's mistake, named.
    let res =
        t.s.client
            .post(t.s.url("/v1/images/generations"))
            .bearer_auth(&t.key)
            .json(&json!({"model": "team-image", "prompt": "x", "n": 11}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["param"], "n");
    t.assert_reconciles().await;
}

/// The official `openai` Python client (pinned, scripts/openai-client-venv.sh) and `curl` against
/// the router: chat, streamed chat, models, an image, and two errors, parsed by the client itself;
/// then the usage rows and the ledger for what it did. Runs when STORYLOOM_TEST_OPENAI_PYTHON
/// names the client's python (the test command sets it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_client_and_curl_work_against_the_router() {
    let Ok(python) = std::env::var("STORYLOOM_TEST_OPENAI_PYTHON") else {
        eprintln!(
            "skipped: STORYLOOM_TEST_OPENAI_PYTHON is not set (scripts/openai-client-venv.sh)"
        );
        return;
    };
    let t = setup(&[("ok", 0)], 1000).await;
    let (base, _) = fake_openai::start().await;
    add_model(&t.s.state, json!({
        "name": "Fake images", "model_name": "img-ok", "provider": "Fake images", "api_base": base,
        "kind": "image", "credits_cost": 4, "public_name": "team-image"
    })).await;
    add_model(
        &t.s.state,
        json!({
            "name": "Fake ASR", "model_name": "asr-ok", "provider": "Fake images", "api_base": base,
            "kind": "asr", "credits_cost": 60, "public_name": "team-asr"
        }),
    )
    .await;
    add_model(
        &t.s.state,
        json!({
            "name": "Fake embeddings", "model_name": "emb-ok", "provider": "Fake images",
            "api_base": base, "kind": "embedding", "credits_cost": 1000, "public_name": "team-embed"
        }),
    )
    .await;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/router/openai_client.py");
    let run = tokio::process::Command::new(&python)
        .args([script, "team-chat", "team-image", "team-asr", "team-embed"])
        .env("OPENAI_BASE_URL", t.s.url("/v1"))
        .env("OPENAI_API_KEY", &t.key)
        .output()
        .await
        .unwrap();
    assert!(
        run.status.success(),
        "the openai client failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(out["client_version"], "3.51.0");
    assert_eq!(
        out["models"],
        json!(["team-asr", "team-chat", "team-embed", "team-image"])
    );
    assert_eq!(out["chat"]["content"], "Hello there");
    assert_eq!(out["chat"]["finish_reason"], "stop");
    assert_eq!(out["chat"]["prompt_tokens"], fake_openai::PROMPT_TOKENS);
    assert_eq!(out["stream"]["content"], "Hello there");
    assert_eq!(out["stream"]["completion_tokens"], 3);
    assert_eq!(out["image"]["b64_json"], fake_openai::PNG_B64);
    assert_eq!(out["transcription"]["text"], fake_openai::TRANSCRIPT);
    // The client asked for base64 and decoded the fake's f32 bytes itself.
    assert_eq!(out["embeddings"]["count"], 2);
    assert_eq!(out["embeddings"]["first"], json!([0.25, -0.5, 0.125]));
    assert_eq!(out["embeddings"]["prompt_tokens"], 10);
    assert_eq!(
        out["not_found"],
        json!({"status": 404, "code": "model_not_found"})
    );
    assert_eq!(out["too_expensive"]["status"], 402);
    assert_eq!(out["too_expensive"]["code"], "insufficient_quota");
    // Each metered call has its row, charged its tokens (or images) at the snapshotted price.
    // One second of audio at 60 credits a minute is 1; ten tokens at 1,000 per 1,000 are 10.
    let calls = [
        ("chat", 17),
        ("stream", 17),
        ("image", 4),
        ("transcription", 1),
        ("embeddings", 10),
    ];
    for (call, credits) in calls {
        let row = t
            .finished_row(out[call]["usage_id"].as_str().unwrap())
            .await;
        assert_eq!(row["end_reason"], "completed", "{call}: {row}");
        assert_eq!(row["credits"], credits, "{call}: {row}");
        assert!(row["api_key_id"].is_string(), "{row}");
    }
    assert_eq!(t.balance().await, (1000 - 49, 0));

    // curl, streaming and not.
    let body = json!({"model": "team-chat", "max_tokens": 20, "stream": true,
                      "messages": [{"role": "user", "content": "Say hello"}]})
    .to_string();
    let auth = format!("Authorization: Bearer {}", t.key);
    let url = t.s.url("/v1/chat/completions");
    let curl = |body: String| {
        let (auth, url) = (auth.clone(), url.clone());
        async move {
            tokio::process::Command::new("curl")
                .args(["-sS", "-N", "--fail-with-body", "-H", &auth])
                .args(["-H", "Content-Type: application/json", "-d", &body, &url])
                .output()
                .await
                .unwrap()
        }
    };
    let streamed = curl(body).await;
    assert!(streamed.status.success(), "{streamed:?}");
    let text = String::from_utf8(streamed.stdout).unwrap();
    assert_eq!(content_of(&events(&text)), "Hello there");
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    let whole = curl(
        json!({"model": "team-chat", "max_tokens": 20,
               "messages": [{"role": "user", "content": "Say hello"}]})
        .to_string(),
    )
    .await;
    let answer: Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "Hello there");
    t.assert_reconciles().await;
}

/// `kill -9` of the server while streams are in flight: after a restart every request has exactly
/// one usage row, closed as `interrupted`, and every hold is resolved (voided: the server's fault
/// is not the caller's bill). On PostgreSQL the restarted process waits out the dead one's lease.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_streams_leaves_one_closed_row_per_request_and_no_pending_hold() {
    use storyloom::{clock::SystemClock, clock::UuidV7Ids, config::Config, AppState};
    let (base, seen) = fake_openai::start().await;
    let data = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_postgres_database().await;
    let config = Config {
        database_url: url.clone(),
        ..Config::server(data.path().to_path_buf(), AuthMode::Accounts)
    };
    let (user, key) = {
        let state = AppState::open_with(
            config,
            std::sync::Arc::new(SystemClock),
            std::sync::Arc::new(UuidV7Ids),
        )
        .unwrap();
        let user = storyloom::accounts::create_user(&state, "kim", false)
            .await
            .unwrap();
        add_model(
            &state,
            json!({
                "name": "Fake slow", "model_name": "slow", "provider": "Fake", "api_base": base,
                "api_key": "sk-fake-upstream", "kind": "llm", "credits_cost": 1000,
                "output_credits_cost": 2000, "public_name": "team-chat"
            }),
        )
        .await;
        ledger::grant(&state, &user, 10_000, GrantKind::Grant, None, "test")
            .await
            .unwrap();
        let key = auth::create_api_key(&state, &user, "k", &[Scope::Write], None)
            .await
            .unwrap()
            .secret;
        (user, key)
    };
    let start = || {
        crate::common::spawn_serve(|c| {
            c.args(["--data-dir"])
                .arg(data.path())
                .env("STORYLOOM_INSTANCE_LEASE_SECS", "2");
            if let Some(url) = &url {
                c.args(["--database", url]);
            }
        })
    };
    let (mut server, server_base) = start();
    let client = reqwest::Client::new();
    let mut streams = Vec::new();
    for _ in 0..5 {
        let res = client
            .post(format!("{server_base}/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&chat_body(true, false))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let id = usage_id(&res);
        let mut body = res.bytes_stream();
        body.next().await.unwrap().unwrap();
        streams.push((id, body));
    }
    assert_eq!(seen.calls("slow"), 5);
    server.kill().unwrap();
    server.wait().unwrap();
    for (_, body) in &mut streams {
        // Each client sees its stream cut.
        while let Some(Ok(_)) = body.next().await {}
    }

    let (mut server, server_base) = start();
    let rows = loop {
        let res = client
            .get(format!("{server_base}/api/v1/router/requests?limit=50"))
            .header("x-api-key", &key)
            .send()
            .await
            .unwrap();
        let rows: Value = res.json().await.unwrap();
        let rows = rows["items"].as_array().unwrap().clone();
        if rows.iter().all(|r| r["status"] == "done") {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected: Vec<&str> = streams.iter().map(|(id, _)| id.as_str()).collect();
    expected.sort();
    assert_eq!(ids, expected, "exactly one row per request");
    for row in &rows {
        assert_eq!(row["end_reason"], "interrupted", "{row}");
        assert_eq!(row["credits"], 0);
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let state = AppState::open_with(
        Config {
            database_url: url.clone(),
            ..Config::server(data.path().to_path_buf(), AuthMode::Accounts)
        },
        std::sync::Arc::new(SystemClock),
        std::sync::Arc::new(UuidV7Ids),
    )
    .unwrap();
    let balance = ledger::balance(&state, &user).await.unwrap();
    assert_eq!(
        (balance.available, balance.held),
        (10_000, 0),
        "every hold is resolved, nothing charged"
    );
    let report = ledger::reconcile::reconcile(&state, false).await.unwrap();
    assert!(report.success, "{:?}", report.issues);
}

/// A key made with router limits: only its models (listed and callable), its own calls an hour,
/// and a credit budget checked with the hold, so it cannot be overspent.
#[tokio::test]
async fn a_key_made_with_models_a_rate_and_a_budget_keeps_to_them() {
    let t = setup(&[("ok", 0)], 10_000).await;
    let (base, _) = fake_openai::start().await;
    add_model(&t.s.state, json!({
        "name": "Other", "model_name": "ok", "provider": "Other", "api_base": base,
        "kind": "llm", "credits_cost": 1000, "output_credits_cost": 2000, "public_name": "other-chat"
    })).await;
    let (_, session) = t.s.register("bob").await;
    // Bo's own key, made over HTTP. A model the router does not serve is refused, named.
    let make = |body: Value| {
        let s = &t.s;
        let session = session.clone();
        async move {
            s.call(
                reqwest::Method::POST,
                "/api/v1/users/me/api-keys",
                Some(body),
                &[("authorization", &session)],
            )
            .await
        }
    };
    let (status, body) = make(json!({"name": "ci", "allowed_models": ["gpt-nothing"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "allowed_models");
    // Worst case of one chat_body call: 39 prompt bytes + 24 → 63 tokens at 1, 50 at 2 = 163.
    let (status, body) = make(json!({"name": "ci", "allowed_models": ["team-chat"],
                                     "rate_limit_per_hour": 3, "credit_budget": 163 + 10}))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["limits"]["allowed_models"], json!(["team-chat"]));
    let key = body["key"].as_str().unwrap().to_string();
    let body_of_key = body;
    let bo_id = {
        let (_, me) =
            t.s.call(
                reqwest::Method::GET,
                "/api/v1/users/me",
                None,
                &[("authorization", &session)],
            )
            .await;
        me["id"].as_str().unwrap().to_string()
    };
    ledger::grant(&t.s.state, &bo_id, 10_000, GrantKind::Grant, None, "t")
        .await
        .unwrap();
    let post = |body: Value| {
        let (s, key) = (&t.s, key.clone());
        async move {
            s.client
                .post(s.url("/v1/chat/completions"))
                .bearer_auth(&key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res =
        t.s.client
            .get(t.s.url("/v1/models"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], "team-chat");
    let mut elsewhere = chat_body(false, false);
    elsewhere["model"] = json!("other-chat");
    let res = post(elsewhere).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_allowed");

    // The budget: the first call fits (and costs 17); the second would pass it in the worst case.
    assert_eq!(post(chat_body(false, false)).await.status(), StatusCode::OK);
    let res = post(chat_body(false, false)).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("budget"),
        "{body}"
    );
    let b = ledger::balance(&t.s.state, &bo_id).await.unwrap();
    assert_eq!((b.available, b.held), (10_000 - 17, 0));
    // What the budget is checked against is the key's running total, which is what its rows add
    // up to: the first call's cost (its hold traded for it), nothing for the refused one.
    let key_id = body_of_key["id"].as_str().unwrap().to_string();
    let (kept, summed) =
        t.s.state
            .db
            .read(move |c| {
                let kept: i64 = c.query_row(
                    "SELECT committed FROM router_key_spending WHERE api_key_id = ?1",
                    [&key_id],
                    |r| r.get(0),
                )?;
                let summed: i64 = c.query_row(
                    "SELECT COALESCE(SUM(CASE WHEN status = 'open' THEN held ELSE credits END), 0)
                 FROM router_requests WHERE api_key_id = ?1",
                    [&key_id],
                    |r| r.get(0),
                )?;
                Ok::<_, storyloom::db::DbError>((kept, summed))
            })
            .await
            .unwrap();
    assert_eq!((kept, summed), (17, 17));

    // Three calls so far (the refused ones count): the key's fourth in the hour is 429.
    let res = post(chat_body(false, false)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["x-ratelimit-limit"], "3");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error");
}

/// The statistics routes (seed 001) count the durable usage rows by hour: the leaderboard, one
/// model's usage, one's own, and the admin's dashboard.
#[tokio::test]
async fn statistics_count_the_usage_rows_by_model_person_and_hour() {
    let t = setup(&[("ok", 0)], 1000).await;
    let (base, _) = fake_openai::start().await;
    add_model(&t.s.state, json!({
        "name": "Fake images", "model_name": "img-ok", "provider": "Fake images", "api_base": base,
        "kind": "image", "credits_cost": 4, "public_name": "team-image", "category": "image"
    })).await;
    for _ in 0..2 {
        assert_eq!(
            t.post(&chat_body(false, false)).await.status(),
            StatusCode::OK
        );
    }
    let res =
        t.s.client
            .post(t.s.url("/v1/images/generations"))
            .bearer_auth(&t.key)
            .json(&json!({"model": "team-image", "prompt": "a lighthouse"}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A refused request is not usage.
    let mut huge = chat_body(false, false);
    huge["max_tokens"] = json!(10_000_000);
    assert_eq!(t.post(&huge).await.status(), StatusCode::PAYMENT_REQUIRED);

    let get = |path: &str| {
        let (s, session) = (&t.s, t.session.clone());
        let path = path.to_string();
        async move {
            s.call(
                reqwest::Method::GET,
                &path,
                None,
                &[("authorization", &session)],
            )
            .await
        }
    };
    let (status, board) = get("/api/v1/statistics/leaderboard?period=day").await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let items = board["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (
            items[0]["rank"].clone(),
            items[0]["model"].clone(),
            items[0]["requests"].clone()
        ),
        (json!(1), json!("team-chat"), json!(2))
    );
    assert_eq!(items[0]["credits"], 34);
    assert_eq!(items[0]["users"], 1);
    assert_eq!(
        (items[1]["model"].clone(), items[1]["credits"].clone()),
        (json!("team-image"), json!(4))
    );
    let (_, images_only) = get("/api/v1/statistics/leaderboard?period=week&category=image").await;
    assert_eq!(images_only["items"].as_array().unwrap().len(), 1);

    let (_, mine) = get("/api/v1/statistics/users/me/usage?period=month").await;
    assert_eq!(mine["totals"]["requests"], 3);
    assert_eq!(mine["totals"]["credits"], 38);
    let buckets = mine["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 1, "one hour: {mine}");
    assert_eq!(buckets[0]["hour"], "2026-02-08T10:00:00Z");
    assert_eq!(mine["by_model"][0]["model"], "team-chat");

    let (_, chat) = get("/api/v1/statistics/models/team-chat/usage").await;
    assert_eq!(chat["totals"]["requests"], 2);
    assert_eq!(chat["totals"]["completion_tokens"], 6);

    let (status, dash) = get("/api/v1/admin/statistics/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{dash}");
    assert_eq!(dash["totals"]["requests"], 3);
    assert_eq!(dash["active_users"], 1);
    assert_eq!(dash["open_requests"], 0);
    assert_eq!(dash["top_models"][0]["model"], "team-chat");
    // The dashboard is the admin's; an API key without the admin scope is refused.
    let (status, _) =
        t.s.call(
            reqwest::Method::GET,
            "/api/v1/admin/statistics/dashboard",
            None,
            &[("x-api-key", &t.key)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = get("/api/v1/statistics/leaderboard?period=decade").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "period");
}

/// The live topics at `/ws`: a browser connects with a one-minute ticket in the URL, subscribes,
/// and sees its balance after each call, every call's usage, and (the admin) a channel the
/// circuit breaker took out.
#[tokio::test]
async fn live_topics_over_a_websocket_opened_with_a_ticket() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let t = setup(&[("ok", 0)], 1000).await;
    let (base, _) = fake_openai::start().await;
    add_model(
        &t.s.state,
        json!({
            "name": "Broken", "model_name": "error500", "provider": "Broken", "api_base": base,
            "kind": "llm", "credits_cost": 1, "output_credits_cost": 1, "public_name": "broken"
        }),
    )
    .await;
    let ticket = || async {
        let (status, body) =
            t.s.call(
                reqwest::Method::POST,
                "/api/v1/ws/tickets",
                None,
                &[("authorization", &t.session)],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["ticket"].as_str().unwrap().to_string()
    };
    let ws_url =
        |ticket: &str| format!("{}/ws?token={ticket}", t.s.base.replace("http://", "ws://"));

    // No ticket, or a ticket past its minute: refused before the upgrade.
    let refused = tokio_tungstenite::connect_async(ws_url("nonsense")).await;
    assert!(refused.is_err());
    let old = ticket().await;
    t.s.clock.advance(chrono::Duration::seconds(61));
    assert!(tokio_tungstenite::connect_async(ws_url(&old))
        .await
        .is_err());
    // A ticket opens sockets only: it is not a bearer token for the API.
    let fresh = ticket().await;
    let (status, _) =
        t.s.call(
            reqwest::Method::GET,
            "/api/v1/users/me",
            None,
            &[("authorization", &format!("Bearer {fresh}"))],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(&fresh))
        .await
        .unwrap();
    for topic in ["billing.updates", "model.usage", "system.alerts", "weather"] {
        ws.send(Message::Text(
            json!({"action": "subscribe", "topic": topic})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    }
    let mut replies = Vec::new();
    for _ in 0..4 {
        replies.push(read_json(&mut ws).await);
    }
    assert_eq!(
        replies[0],
        json!({"type": "subscribed", "topic": "billing.updates"})
    );
    assert_eq!(
        replies[2],
        json!({"type": "subscribed", "topic": "system.alerts"}),
        "ann is the admin"
    );
    assert_eq!(replies[3]["type"], "error");

    assert_eq!(
        t.post(&chat_body(false, false)).await.status(),
        StatusCode::OK
    );
    let usage = read_json(&mut ws).await;
    assert_eq!(usage["topic"], "model.usage");
    assert_eq!(usage["data"]["model"], "team-chat");
    assert_eq!(usage["data"]["credits"], 17);
    assert!(
        usage["data"].get("user_id").is_none(),
        "usage does not say who"
    );
    let billing = read_json(&mut ws).await;
    assert_eq!(billing["topic"], "billing.updates");
    assert_eq!(billing["data"]["charged"], 17);
    assert_eq!(billing["data"]["available"], 1000 - 17);

    // A channel failing three times in a row is taken out, and the admin hears of it.
    let mut broken_call = chat_body(false, false);
    broken_call["model"] = json!("broken");
    for _ in 0..2 {
        assert_eq!(t.post(&broken_call).await.status(), StatusCode::BAD_GATEWAY);
    }
    let mut alert = Value::Null;
    for _ in 0..6 {
        let m = read_json(&mut ws).await;
        if m["topic"] == "system.alerts" {
            alert = m;
            break;
        }
    }
    assert!(
        alert["data"]["message"]
            .as_str()
            .unwrap()
            .contains("skipped"),
        "{alert}"
    );
    assert_eq!(alert["data"]["model"], "broken");
}

async fn read_json(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), futures_util::StreamExt::next(ws))
            .await
            .expect("a message within 5 s")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = msg {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// A desktop signed in to the team server gets the router's models as its "Team server"
/// provider, priced 0 here: a call through that provider is charged to the person's credits on
/// the server. Signing out revokes the desktop's key there and disables the provider.
#[tokio::test]
async fn a_linked_desktop_calls_the_teams_models_on_the_teams_credits() {
    let t = setup(&[("ok", 0)], 1000).await;
    let desktop = TestServer::start_with(AuthMode::Local, |c| {
        c.remote.secret_store = storyloom::remote::SecretStoreChoice::File;
    })
    .await;
    let (status, connected) = desktop
        .post(
            "/api/v1/remote/sign-in",
            json!({"server_url": t.s.base, "username": "ann", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{connected}");
    assert_eq!(connected["state"], "connected", "{connected}");
    let (_, providers) = desktop.get("/api/v1/admin/providers").await;
    let team = providers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Team server")
        .cloned()
        .expect("a Team server provider");
    assert_eq!(team["base_url"], format!("{}/v1", t.s.base));
    assert_eq!(team["enabled"], true);
    assert_eq!(team["has_api_key"], true);
    let (_, models) = desktop
        .get(&format!(
            "/api/v1/models?provider={}",
            team["id"].as_str().unwrap()
        ))
        .await;
    let model = models["items"][0].clone();
    assert_eq!(model["model_name"], "team-chat");
    assert_eq!(
        (
            model["credits_cost"].clone(),
            model["output_credits_cost"].clone()
        ),
        (json!(0), json!(0))
    );

    // A real call through the desktop's provider: the team server meters and charges it.
    let (status, tested) = desktop
        .post(
            &format!(
                "/api/v1/admin/providers/{}/test",
                team["id"].as_str().unwrap()
            ),
            json!({"model_id": model["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert_eq!(tested["ok"], true, "{tested}");
    let (_, rows) =
        t.s.call(
            reqwest::Method::GET,
            "/api/v1/router/requests",
            None,
            &[("authorization", &t.session)],
        )
        .await;
    let rows = rows["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["end_reason"], "completed");
    assert!(rows[0]["api_key_id"].is_string(), "the desktop's own key");
    let charged = rows[0]["credits"].as_i64().unwrap();
    assert!(charged > 0);
    assert_eq!(t.balance().await, (1000 - charged, 0));

    // Linking again (models added on the server since appear) adds no duplicate, and the
    // desktop's previous key is replaced.
    let (status, relinked) = desktop.post("/api/v1/remote/team-models", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{relinked}");
    assert_eq!(relinked["models"], json!(["team-chat"]));
    let (_, models) = desktop
        .get(&format!(
            "/api/v1/models?provider={}",
            team["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(models["total"], 1, "{models}");

    // Signing out: the key is revoked on the server, the provider disabled here.
    let (_, keys) =
        t.s.call(
            reqwest::Method::GET,
            "/api/v1/users/me/api-keys",
            None,
            &[("authorization", &t.session)],
        )
        .await;
    let desktop_keys: Vec<Value> = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"].as_str().unwrap().starts_with("Storyloom desktop"))
        .cloned()
        .collect();
    let statuses: Vec<&str> = desktop_keys
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["active", "revoked"],
        "newest first: the relink's key, the first one"
    );
    let desktop_key = desktop_keys[0].clone();
    let (status, _) = desktop.post("/api/v1/remote/sign-out", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, keys) =
        t.s.call(
            reqwest::Method::GET,
            "/api/v1/users/me/api-keys",
            None,
            &[("authorization", &t.session)],
        )
        .await;
    let after = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == desktop_key["id"])
        .cloned()
        .unwrap();
    assert_eq!(after["status"], "revoked");
    let (_, providers) = desktop.get("/api/v1/admin/providers").await;
    let provider = providers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == team["id"])
        .cloned()
        .unwrap();
    assert_eq!(provider["enabled"], false, "{provider}");
}

/// Speech through the router: the audio passes through with its type, charged per character
/// exactly (the hold is the cost); an upstream that answers JSON instead of audio is a failure
/// that falls back, and is free.
#[tokio::test]
async fn speech_is_charged_per_character_and_passes_the_audio_through() {
    let t = setup(&[], 100).await;
    let (base, seen) = fake_openai::start().await;
    for (model, priority) in [("tts-json", 5), ("tts-ok", 0)] {
        add_model(&t.s.state, json!({
            "name": format!("Fake {model}"), "model_name": model, "provider": format!("Voices {model}"),
            "api_base": base, "kind": "tts", "credits_cost": 1000,
            "public_name": "team-voice", "route_priority": priority
        })).await;
    }
    let res =
        t.s.client
            .post(t.s.url("/v1/audio/speech"))
            .bearer_auth(&t.key)
            .json(&json!({"model": "team-voice", "input": "Hello there", "voice": "alloy"}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "audio/mpeg");
    let id = usage_id(&res);
    let audio = res.bytes().await.unwrap();
    assert!(audio.starts_with(b"ID3"), "{audio:?}");
    assert_eq!((seen.calls("tts-json"), seen.calls("tts-ok")), (1, 1));
    let row = t.row(&id).await;
    assert_eq!(row["endpoint"], "audio.speech");
    assert_eq!(row["prompt_tokens"], 11, "11 characters");
    assert_eq!(row["credits"], 11, "1,000 credits per 1,000 characters");
    assert_eq!(t.balance().await, (89, 0));
    let res =
        t.s.client
            .post(t.s.url("/v1/audio/speech"))
            .bearer_auth(&t.key)
            .json(&json!({"model": "team-voice", "input": "Hi"}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["param"], "voice");
    t.assert_reconciles().await;
}

/// The form of one transcription request: `model`, the audio as `file`, and `extra` fields.
fn transcription_form(
    model: &str,
    file_name: &str,
    audio: Vec<u8>,
    extra: &[(&str, &str)],
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().text("model", model.to_string());
    for (name, value) in extra {
        form = form.text(name.to_string(), value.to_string());
    }
    form.part(
        "file",
        reqwest::multipart::Part::bytes(audio).file_name(file_name.to_string()),
    )
}

/// Transcriptions through the router: the audio's length is read before any upstream call (a
/// WAV's header, ffprobe for other formats), so the hold is the exact per-minute cost; the form
/// reaches the upstream with the channel's model name and the client's other fields; a failing
/// channel falls back for free; audio whose length cannot be read is refused without a call.
#[tokio::test]
async fn transcriptions_are_charged_per_minute_of_audio_read_before_the_call() {
    let t = setup(&[], 100).await;
    let (base, seen) = fake_openai::start().await;
    for (model, priority) in [("asr-500", 5), ("asr-ok", 0)] {
        add_model(&t.s.state, json!({
            "name": format!("Fake {model}"), "model_name": model, "provider": format!("Ears {model}"),
            "api_base": base, "kind": "asr", "credits_cost": 60,
            "public_name": "team-asr", "route_priority": priority
        })).await;
    }
    let post = |form: reqwest::multipart::Form| {
        t.s.client
            .post(t.s.url("/v1/audio/transcriptions"))
            .bearer_auth(&t.key)
            .multipart(form)
            .send()
    };
    // 3.5 s of WAV at 60 credits a minute: 3.5, rounded up to 4.
    let wav = storyloom::providers::wav::silent_wav(3500, 16000);
    let res = post(transcription_form(
        "team-asr",
        "hello.wav",
        wav.clone(),
        &[("language", "en")],
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id = usage_id(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["text"], fake_openai::TRANSCRIPT);
    assert_eq!((seen.calls("asr-500"), seen.calls("asr-ok")), (1, 1));
    let sent = seen.last();
    assert_eq!(sent["model"], "asr-ok");
    assert_eq!(sent["language"], "en");
    assert_eq!(sent["file_name"], "hello.wav");
    assert_eq!(sent["file_bytes"], wav.len());
    let row = t.row(&id).await;
    assert_eq!(row["endpoint"], "audio.transcriptions");
    assert_eq!(row["end_reason"], "completed");
    assert_eq!(row["prompt_tokens"], 4, "seconds of audio, rounded up");
    assert_eq!(row["credits"], 4);
    assert_eq!(t.balance().await, (96, 0));

    // Plain text passes through as text; 2 s of FLAC (ffprobe reads its length) costs 2.
    let flac = tempfile::tempdir().unwrap();
    let flac_path = flac.path().join("tone.flac");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
        ])
        .args(["-c:a", "flac"])
        .arg(&flac_path)
        .status()
        .unwrap();
    assert!(made.success());
    let res = post(transcription_form(
        "team-asr",
        "tone.flac",
        std::fs::read(&flac_path).unwrap(),
        &[("response_format", "text")],
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let id = usage_id(&res);
    assert_eq!(res.text().await.unwrap(), fake_openai::TRANSCRIPT);
    assert_eq!(t.row(&id).await["credits"], 2);
    assert_eq!(t.balance().await, (94, 0));

    // Refused before any upstream call, each naming its field.
    let calls = seen.total();
    for (form, param) in [
        (
            transcription_form("team-asr", "notes.txt", b"not audio at all".to_vec(), &[]),
            "file",
        ),
        (
            reqwest::multipart::Form::new().text("model", "team-asr"),
            "file",
        ),
        (transcription_form("", "a.wav", wav.clone(), &[]), "model"),
        (
            transcription_form("team-asr", "a.wav", wav.clone(), &[("stream", "true")]),
            "stream",
        ),
    ] {
        let res = post(form).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["param"], param, "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    let res =
        t.s.client
            .post(t.s.url("/v1/audio/transcriptions"))
            .bearer_auth(&t.key)
            .json(&json!({"model": "team-asr"}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("multipart"));
    assert_eq!(
        seen.total(),
        calls,
        "no refused request reached the upstream"
    );
    assert_eq!(t.balance().await, (94, 0));
    t.assert_reconciles().await;
}

/// Embeddings through the router: charged the input tokens the upstream reported (estimated from
/// the text when it reports none) after a free fallback; inputs are checked; a chat model is not
/// an embedding model.
#[tokio::test]
async fn embeddings_are_charged_the_tokens_reported() {
    let t = setup(&[("ok", 0)], 100).await;
    let (base, seen) = fake_openai::start().await;
    for (model, public, priority) in [
        ("emb-500", "team-embed", 5),
        ("emb-ok", "team-embed", 0),
        ("emb-no-usage", "team-embed-quiet", 0),
    ] {
        add_model(&t.s.state, json!({
            "name": format!("Fake {model}"), "model_name": model, "provider": format!("Vectors {model}"),
            "api_base": base, "kind": "embedding", "credits_cost": 1000,
            "public_name": public, "route_priority": priority
        })).await;
    }
    let post = |body: Value| {
        t.s.client
            .post(t.s.url("/v1/embeddings"))
            .bearer_auth(&t.key)
            .json(&body)
            .send()
    };
    let res = post(json!({"model": "team-embed", "input": ["hello", "world"]}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id = usage_id(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][1]["embedding"], json!([0.25, -0.5, 0.125]));
    assert_eq!((seen.calls("emb-500"), seen.calls("emb-ok")), (1, 1));
    let row = t.row(&id).await;
    assert_eq!(row["endpoint"], "embeddings");
    assert_eq!(row["prompt_tokens"], 10);
    assert_eq!(row["credits"], 10, "1,000 credits per 1,000 tokens");
    assert_eq!(row["usage_estimated"], false);

    let res = post(json!({"model": "team-embed-quiet", "input": "abcdefgh"}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let row = t.row(&usage_id(&res)).await;
    assert_eq!(row["prompt_tokens"], 2, "8 ASCII characters, estimated");
    assert_eq!(row["usage_estimated"], true);
    assert_eq!(row["credits"], 2);
    assert_eq!(t.balance().await, (88, 0));

    let models: Value =
        t.s.client
            .get(t.s.url("/v1/models"))
            .bearer_auth(&t.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let kind_of = |name: &str| {
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == name)
            .map(|m| m["kind"].clone())
    };
    assert_eq!(kind_of("team-embed"), Some(json!("embedding")));

    let calls = seen.total();
    for bad in [
        json!([]),
        json!(""),
        json!([""]),
        json!([[1, "x"]]),
        json!(7),
    ] {
        let res = post(json!({"model": "team-embed", "input": bad}))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["param"], "input", "{bad}");
    }
    assert_eq!(seen.total(), calls);
    let res = post(json!({"model": "team-chat", "input": "hello"}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    t.assert_reconciles().await;
}
