//! Authentication over real TCP: `x-api-key` wins over Bearer, 401 vs 403, expiry, revocation,
//! suspension, and one user never sees another's projects.
use crate::common;

use chrono::Duration;
use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use storyloom::{
    auth::{self, Scope},
    config::AuthMode,
};

async fn user_with_token(s: &TestServer, name: &str) -> (String, String) {
    let id = storyloom::accounts::create_user(&s.state, name, false)
        .await
        .unwrap();
    let token = auth::issue_access_token(&s.state, &id).unwrap();
    (id, token)
}

#[tokio::test]
async fn accounts_mode_requires_credentials() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let (status, body) = s.get("/api/v1/projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "AUTH_REQUIRED", None);
    let (status, body) = s.post("/api/v1/projects", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "AUTH_REQUIRED", None);
}

#[tokio::test]
async fn bearer_tokens_work_and_expire() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let (_, token) = user_with_token(&s, "alice").await;
    let bearer = format!("Bearer {token}");
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "Mine"})),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    for bad in ["Bearer nonsense", "Basic YWxpY2U6cHc=", "Bearer"] {
        let (status, body) = s
            .call(
                Method::GET,
                "/api/v1/projects",
                None,
                &[("authorization", bad)],
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_error(&body, "AUTH_INVALID", None);
    }

    s.clock
        .advance(Duration::seconds(s.state.config.access_token_ttl_secs + 1));
    let (status, body) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "AUTH_INVALID", None);
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn api_key_wins_over_bearer_and_scopes_give_403() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let (alice, token) = user_with_token(&s, "alice").await;
    let bearer = format!("Bearer {token}");

    // A bad key next to a valid bearer token is still a 401: the key is what counts.
    let (status, body) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[
                ("x-api-key", "sl_not_a_real_key"),
                ("authorization", &bearer),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "AUTH_INVALID", None);

    let read_only = auth::create_api_key(&s.state, &alice, "ro", &[Scope::Read], None)
        .await
        .unwrap();
    assert!(read_only.secret.starts_with(&read_only.prefix));
    let (status, list) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("x-api-key", &read_only.secret)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");

    // Valid but not allowed → 403, even with a bearer token that could write.
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "nope"})),
            &[("x-api-key", &read_only.secret), ("authorization", &bearer)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "FORBIDDEN", None);
    assert!(body["detail"].as_str().unwrap().contains("write"));

    let writer = auth::create_api_key(&s.state, &alice, "rw", &[Scope::Read, Scope::Write], None)
        .await
        .unwrap();
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "ok"})),
            &[("x-api-key", &writer.secret)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    assert!(auth::revoke_api_key(&s.state, &writer.id).await.unwrap());
    let (status, body) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("x-api-key", &writer.secret)],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["detail"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
}

#[tokio::test]
async fn expired_keys_and_suspended_users_are_refused_at_once() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let (bob, _) = user_with_token(&s, "bob").await;
    let expires = s.clock_now() + Duration::hours(1);
    let key = auth::create_api_key(&s.state, &bob, "short", &[Scope::Read], Some(expires))
        .await
        .unwrap();
    let (status, _) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("x-api-key", &key.secret)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    s.clock.advance(Duration::hours(2));
    let (status, body) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("x-api-key", &key.secret)],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    let fresh_token = auth::issue_access_token(&s.state, &bob).unwrap();
    let key2 = auth::create_api_key(&s.state, &bob, "k2", &[Scope::Read], None)
        .await
        .unwrap();
    storyloom::accounts::change_status(&s.state, &bob, "suspended")
        .await
        .unwrap();
    for headers in [
        vec![("authorization".to_string(), format!("Bearer {fresh_token}"))],
        vec![("x-api-key".to_string(), key2.secret.clone())],
    ] {
        let h: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, body) = s.call(Method::GET, "/api/v1/projects", None, &h).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("suspended"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn users_never_see_each_others_projects() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let (_, alice) = user_with_token(&s, "alice").await;
    let (_, mallory) = user_with_token(&s, "mallory").await;
    let a = format!("Bearer {alice}");
    let m = format!("Bearer {mallory}");
    let (_, p) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "Secret"})),
            &[("authorization", &a)],
        )
        .await;
    let path = format!("/api/v1/projects/{}", p["id"].as_str().unwrap());

    let (_, list) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("authorization", &m)],
        )
        .await;
    assert_eq!(list["total"], 0);
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"name": "pwned"}))),
        (Method::DELETE, None),
    ] {
        let (status, err) = s
            .call(method.clone(), &path, body, &[("authorization", &m)])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {err}");
    }
    let (status, _) = s
        .call(
            Method::POST,
            &format!("{path}/restore"),
            Some(json!({})),
            &[("authorization", &m)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, mine) = s
        .call(Method::GET, &path, None, &[("authorization", &a)])
        .await;
    assert_eq!(mine["name"], "Secret", "untouched by the other user");
}

#[tokio::test]
async fn local_mode_acts_as_owner_but_still_checks_sent_credentials() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, _) = s.post("/api/v1/projects", json!({"name": "offline"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("x-api-key", "wrong")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "AUTH_INVALID", None);
}

trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}
impl ClockNow for TestServer {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use storyloom::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn local_mode_answers_only_loopback_hosts_and_refuses_cross_site_writes() {
    let s = TestServer::start(AuthMode::Local).await;
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    let (status, body) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("host", "evil.example:8080")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "FORBIDDEN", None);
    // A body-less cross-site POST (a form or fetch from another page) is refused…
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/admin/reconciliation?auto_fix=true",
            None,
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "x"})),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // …while the page's own origin, the desktop's, reads and plain clients work.
    let own = s.base.trim_end_matches('/').to_string();
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "mine"})),
            &[("origin", own.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = s
        .call(
            Method::GET,
            "/api/v1/projects",
            None,
            &[("origin", "http://evil.example"), ("host", "localhost")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a read leaks nothing without CORS");
    let (status, body) = s.post("/api/v1/projects", json!({"name": "plain"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// API key checks are cached per process (issue 15 item 9: the project list's hot path), yet a
/// revocation, a suspension or an admin's demotion answers at once on the next request, whichever
/// service made the change: any committed write to `api_keys` or `users` makes the cache stale.
#[tokio::test]
async fn cached_key_checks_still_see_every_change_at_once() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let admin = storyloom::accounts::create_user(&s.state, "root", true)
        .await
        .unwrap();
    let key = auth::create_api_key(&s.state, &admin, "k", &[Scope::Read, Scope::Admin], None)
        .await
        .unwrap();
    let get = |path: &'static str| {
        let secret = key.secret.clone();
        let s = &s;
        async move {
            s.call(Method::GET, path, None, &[("x-api-key", &secret)])
                .await
        }
    };
    // Warm: the first request reads the key (and records its use), the next ones use the cache.
    for _ in 0..3 {
        assert_eq!(get("/api/v1/projects").await.0, StatusCode::OK);
        assert_eq!(get("/api/v1/admin/users").await.0, StatusCode::OK);
    }

    // A change by any write (here a plain one, as a future service might make): demoted, the
    // key's `admin` scope no longer reaches the admin routes.
    s.state
        .db
        .write(|tx| {
            tx.execute("UPDATE users SET role = 'user' WHERE username = 'root'", [])?;
            Ok::<_, storyloom::db::DbError>(())
        })
        .await
        .unwrap();
    let (status, body) = get("/api/v1/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(get("/api/v1/projects").await.0, StatusCode::OK);

    // Suspended: refused at once; active again: accepted at once.
    storyloom::accounts::change_status(&s.state, &admin, "suspended")
        .await
        .unwrap();
    let (status, body) = get("/api/v1/projects").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["detail"].as_str().unwrap().contains("suspended"),
        "{body}"
    );
    storyloom::accounts::change_status(&s.state, &admin, "active")
        .await
        .unwrap();
    assert_eq!(get("/api/v1/projects").await.0, StatusCode::OK);
    assert_eq!(get("/api/v1/projects").await.0, StatusCode::OK);

    // Revoked: refused at once, every time.
    assert!(auth::revoke_api_key(&s.state, &key.id).await.unwrap());
    for _ in 0..2 {
        let (status, body) = get("/api/v1/projects").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            body["detail"].as_str().unwrap().contains("revoked"),
            "{body}"
        );
    }
}
