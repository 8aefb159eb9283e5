//! Per-caller rate limits by route class and tier (docs/API-WORKSPACES.md) over real TCP on 127.0.0.1, with
//! small limits so each test makes a handful of calls: queries and other requests a minute, each
//! caller (a person, or an API key) in its own bucket; generation an hour for callers without a
//! membership, unlimited with one. The local owner (desktop) is never limited.
use crate::common;

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::{AuthMode, RateConfig};

async fn raw(
    s: &TestServer,
    m: Method,
    path: &str,
    auth: (&str, &str),
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = s.client.request(m, s.url(path)).header(auth.0, auth.1);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn assert_429(res: reqwest::Response, limit: &str) -> Value {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let h = res.headers().clone();
    assert_eq!(h["x-ratelimit-limit"], limit);
    assert_eq!(h["x-ratelimit-remaining"], "0");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    let body: Value = res.json().await.unwrap();
    assert_error(&body, "RATE_LIMITED", None);
    assert_eq!(body["retry_after"], retry);
    body
}

#[tokio::test]
async fn queries_and_other_requests_are_limited_per_caller() {
    let s = TestServer::start_with(AuthMode::Accounts, |c| {
        c.auth_rate_per_minute = 1000;
        c.rates = RateConfig {
            queries_per_minute: 4,
            other_per_minute: 2,
            generation_per_hour: 100,
            router_per_hour: 1000,
        };
    })
    .await;
    let (_, ann) = s.register("ann").await;
    let (_, bob) = s.register("bob").await;
    for _ in 0..4 {
        let res = raw(
            &s,
            Method::GET,
            "/api/v1/projects",
            ("authorization", &ann),
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let body = assert_429(
        raw(
            &s,
            Method::GET,
            "/api/v1/projects",
            ("authorization", &ann),
            None,
        )
        .await,
        "4",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("queries"),
        "{body}"
    );
    // Other requests have their own bucket; so does every other caller.
    let res = raw(
        &s,
        Method::POST,
        "/api/v1/projects",
        ("authorization", &ann),
        Some(json!({"name": "A"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = raw(
        &s,
        Method::GET,
        "/api/v1/projects",
        ("authorization", &bob),
        None,
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "bob is not limited by ann's calls"
    );
    // An API key counts on its own, not on its owner's bucket.
    let res = raw(
        &s,
        Method::POST,
        "/api/v1/users/me/api-keys",
        ("authorization", &bob),
        Some(json!({"name": "ci", "scopes": ["read", "write"]})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let key: Value = res.json().await.unwrap();
    let secret = key["key"].as_str().unwrap().to_string();
    for _ in 0..4 {
        let res = raw(
            &s,
            Method::GET,
            "/api/v1/projects",
            ("x-api-key", &secret),
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_429(
        raw(
            &s,
            Method::GET,
            "/api/v1/projects",
            ("x-api-key", &secret),
            None,
        )
        .await,
        "4",
    )
    .await;
    let res = raw(
        &s,
        Method::GET,
        "/api/v1/projects",
        ("authorization", &bob),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Ann's other bucket: one left, then 429.
    let res = raw(
        &s,
        Method::POST,
        "/api/v1/projects",
        ("authorization", &ann),
        Some(json!({"name": "B"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_429(
        raw(
            &s,
            Method::POST,
            "/api/v1/projects",
            ("authorization", &ann),
            Some(json!({"name": "C"})),
        )
        .await,
        "2",
    )
    .await;
    // Nothing was written by the refused call.
    let res = raw(
        &s,
        Method::GET,
        "/api/v1/projects",
        ("authorization", &bob),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn generation_is_limited_without_a_membership_and_not_with_one() {
    let s = TestServer::start_with(AuthMode::Accounts, |c| {
        c.auth_rate_per_minute = 1000;
        c.rates = RateConfig {
            queries_per_minute: 1000,
            other_per_minute: 1000,
            generation_per_hour: 2,
            router_per_hour: 1000,
        };
    })
    .await;
    let (_, root) = s.register("root").await;
    let (ann_id, ann) = s.register("ann").await;
    let res = raw(
        &s,
        Method::POST,
        "/api/v1/projects",
        ("authorization", &ann),
        Some(json!({"name": "Gen"})),
    )
    .await;
    let p: Value = res.json().await.unwrap();
    let pid = p["id"].as_str().unwrap().to_string();
    // A start that fails validation still counts: the limit protects the providers' queue.
    let start = json!({"project_id": pid, "template_id": "animatic"});
    for _ in 0..2 {
        let res = raw(
            &s,
            Method::POST,
            "/api/v1/workflow-runs",
            ("authorization", &ann),
            Some(start.clone()),
        )
        .await;
        assert_ne!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let body = assert_429(
        raw(
            &s,
            Method::POST,
            "/api/v1/workflow-runs",
            ("authorization", &ann),
            Some(start.clone()),
        )
        .await,
        "2",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("membership"),
        "{body}"
    );
    // Queries are a different class: still answered.
    let res = raw(
        &s,
        Method::GET,
        "/api/v1/projects",
        ("authorization", &ann),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    // With a membership (bought from granted credits), generation isn't limited.
    let res = raw(
        &s,
        Method::POST,
        "/api/v1/admin/credits/grant",
        ("authorization", &root),
        Some(json!({"user_id": ann_id, "credits": 100_000})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let res = raw(
        &s,
        Method::POST,
        "/api/v1/credit/membership",
        ("authorization", &ann),
        Some(json!({"membership_type": "monthly"})),
    )
    .await;
    assert!(res.status().is_success(), "{:?}", res.text().await);
    for _ in 0..3 {
        let res = raw(
            &s,
            Method::POST,
            "/api/v1/workflow-runs",
            ("authorization", &ann),
            Some(start.clone()),
        )
        .await;
        assert_ne!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "a member is not limited"
        );
    }
}

#[tokio::test]
async fn the_local_owner_is_never_limited() {
    let s = TestServer::start_with(AuthMode::Local, |c| {
        c.rates = RateConfig {
            queries_per_minute: 1,
            other_per_minute: 1,
            generation_per_hour: 1,
            router_per_hour: 1000,
        };
    })
    .await;
    for _ in 0..5 {
        let (status, _) = s.get("/api/v1/projects").await;
        assert_eq!(status, StatusCode::OK);
    }
}
