//! Accounts over real TCP in accounts mode: register (first user is the admin), login (JSON and
//! a form), rotating refresh tokens with reuse detection, logout, profile and password,
//! API keys (shown once, scopes, revoke), the admin's user list and suspension, and the sign-in
//! rate limit with its 429 and headers.
use crate::common;

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

async fn server() -> TestServer {
    // A generous sign-in limit, so only the rate-limit test meets it.
    TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 1000).await
}

async fn register(s: &TestServer, name: &str) -> Value {
    let (status, body) = s
        .post(
            "/api/v1/auth/register",
            json!({"username": name, "email": format!("{name}@example.com"),
                   "password": "correct horse battery", "confirm_password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn bearer(token: &Value) -> String {
    format!("Bearer {}", token.as_str().unwrap())
}

async fn as_user(
    s: &TestServer,
    method: Method,
    path: &str,
    token: &Value,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let auth = bearer(token);
    s.call(method, path, body, &[("authorization", auth.as_str())])
        .await
}

/// Every credential of `session`'s person is refused at once: its access token, `key`, and its
/// refresh token (suspension and deletion both promise this).
async fn assert_credentials_stopped(s: &TestServer, session: &Value, key: &str) {
    let (status, _) = as_user(
        s,
        Method::GET,
        "/api/v1/projects",
        &session["access_token"],
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the access token stops at once"
    );
    let (status, _) = s
        .call(Method::GET, "/api/v1/projects", None, &[("x-api-key", key)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "and so does the key");
    let (status, _) = s
        .post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "and the session");
}

#[tokio::test]
async fn register_login_me_and_the_first_user_is_admin() {
    let s = server().await;
    let alice = register(&s, "alice").await;
    assert_eq!(alice["user"]["username"], "alice");
    assert_eq!(
        alice["user"]["is_admin"], true,
        "the first account administers the instance"
    );
    assert_eq!(alice["token_type"], "bearer");
    assert_eq!(alice["tokens"]["access_token"], alice["access_token"]);
    assert!(alice["refresh_token"].as_str().unwrap().starts_with("slr_"));
    let bob = register(&s, "bob").await;
    assert_eq!(bob["user"]["is_admin"], false);

    // Duplicates are 409s; bad fields are 422s that name the field.
    let (status, body) = s
        .post(
            "/api/v1/auth/register",
            json!({"username": "ALICE", "password": "another password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = s
        .post("/api/v1/auth/register", json!({"username": "carol", "email": "alice@example.com", "password": "another password"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    for (body, field) in [
        (
            json!({"username": "x", "password": "long enough pw"}),
            "username",
        ),
        (
            json!({"username": "carol", "email": "nope", "password": "long enough pw"}),
            "email",
        ),
        (
            json!({"username": "carol", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "carol", "password": "long enough pw", "confirm_password": "other"}),
            "confirm_password",
        ),
        (json!({"password": "long enough pw"}), "username"),
    ] {
        let (status, err) = s.post("/api/v1/auth/register", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }

    // Login by username or email, JSON or form; a wrong password and an unknown user read the same.
    let (status, l) = s
        .post(
            "/api/v1/auth/login",
            json!({"email": "ALICE@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{l}");
    let form = s
        .client
        .post(s.url("/api/v1/auth/login"))
        .form(&[("username", "bob"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let (s1, e1) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "alice", "password": "wrong password!"}),
        )
        .await;
    let (s2, e2) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "nobody", "password": "wrong password!"}),
        )
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(e1["detail"], e2["detail"]);
    assert_error(&e1, "AUTH_INVALID", None);

    for path in [
        "/api/v1/auth/me",
        "/api/v1/auth/profile",
        "/api/v1/users/me",
    ] {
        let (status, me) = as_user(&s, Method::GET, path, &l["access_token"], None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {me}");
        assert_eq!(me["username"], "alice");
        assert_eq!(me["email"], "alice@example.com");
    }
    let (status, _) = s.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Profile: rename, and a taken name is a 409.
    let (status, me) = as_user(
        &s,
        Method::PATCH,
        "/api/v1/auth/me",
        &l["access_token"],
        Some(json!({"display_name": "Alice L."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["display_name"], "Alice L.");
    let (status, _) = as_user(
        &s,
        Method::PUT,
        "/api/v1/users/me",
        &l["access_token"],
        Some(json!({"username": "bob"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let s = server().await;
    let first = register(&s, "alice").await;
    let r1 = first["refresh_token"].clone();
    let (status, second) = s
        .post("/api/v1/auth/refresh", json!({"refresh_token": r1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let r2 = second["refresh_token"].clone();
    assert_ne!(r1, r2, "a refresh rotates the token");
    // Some clients send the refresh token as a bearer header.
    let (status, third) = as_user(&s, Method::POST, "/api/v1/auth/refresh", &r2, None).await;
    assert_eq!(status, StatusCode::OK, "{third}");
    let r3 = third["refresh_token"].clone();

    // r1 again: it was copied. Its whole family dies, including the newest token.
    let (status, err) = s
        .post("/api/v1/auth/refresh", json!({"refresh_token": r1}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{err}");
    assert!(
        err["detail"].as_str().unwrap().contains("already used"),
        "{err}"
    );
    let (status, _) = s
        .post("/api/v1/auth/refresh", json!({"refresh_token": r3}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the newest token of the family is revoked too"
    );

    // Another sign-in is another family, untouched; logout revokes it.
    let (_, l) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "alice", "password": "correct horse battery"}),
        )
        .await;
    let (status, _) = as_user(
        &s,
        Method::POST,
        "/api/v1/auth/logout",
        &l["access_token"],
        Some(json!({"refresh_token": l["refresh_token"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": l["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, err) = s.post("/api/v1/auth/refresh", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&err, "VALIDATION_ERROR", Some("refresh_token"));

    // Access tokens expire (the clock is injected): 15 minutes later the token is refused.
    let (_, l) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "alice", "password": "correct horse battery"}),
        )
        .await;
    s.clock.advance(chrono::Duration::minutes(16));
    let (status, err) = as_user(&s, Method::GET, "/api/v1/auth/me", &l["access_token"], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(err["detail"].as_str().unwrap().contains("expired"));
    // …and the refresh token still gets a new one.
    let (status, fresh) = s
        .post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": l["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = as_user(
        &s,
        Method::GET,
        "/api/v1/auth/me",
        &fresh["access_token"],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // After 30 days the refresh token is gone too.
    s.clock.advance(chrono::Duration::days(31));
    let (status, _) = s
        .post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": fresh["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_change_signs_out_other_sessions() {
    let s = server().await;
    let a = register(&s, "alice").await;
    let (status, err) = as_user(
        &s,
        Method::POST,
        "/api/v1/auth/password",
        &a["access_token"],
        Some(json!({"current_password": "not it at all", "new_password": "a brand new secret"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&err, "VALIDATION_ERROR", Some("current_password"));
    let (status, _) = as_user(&s, Method::POST, "/api/v1/auth/password", &a["access_token"],
        Some(json!({"current_password": "correct horse battery", "new_password": "a brand new secret"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": a["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "alice", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "alice", "password": "a brand new secret"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn api_keys_are_shown_once_scoped_and_revocable() {
    let s = server().await;
    let admin = register(&s, "alice").await;
    let bob = register(&s, "bob").await;
    let tok = &bob["access_token"];
    let (status, created) = as_user(
        &s,
        Method::POST,
        "/api/v1/users/me/api-keys",
        tok,
        Some(json!({"name": "CI", "permissions": ["read"], "expires_at": "2027-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["key"].as_str().unwrap().to_string();
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    let (_, list) = as_user(&s, Method::GET, "/api/v1/users/me/api-keys", tok, None).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["scopes"], json!(["read"]));
    assert_eq!(list["items"][0]["status"], "active");
    assert!(
        !list.to_string().contains(&secret),
        "the secret is never shown again"
    );

    // The key reads but cannot write, cannot manage keys, and wins over a bearer token.
    let key = [("x-api-key", secret.as_str())];
    let (status, _) = s.call(Method::GET, "/api/v1/projects", None, &key).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "x"})),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s
        .call(Method::GET, "/api/v1/users/me/api-keys", None, &key)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let both = [
        ("x-api-key", secret.as_str()),
        ("authorization", "Bearer garbage"),
    ];
    let (status, me) = s.call(Method::GET, "/api/v1/auth/me", None, &both).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "x-api-key wins over a bad bearer: {me}"
    );
    assert_eq!(me["username"], "bob");

    // Bad requests name the field; a non-admin cannot mint an admin key.
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "k", "scopes": ["root"]}), "scopes"),
        (
            json!({"name": "k", "expires_at": "yesterday"}),
            "expires_at",
        ),
        (
            json!({"name": "k", "expires_at": "2020-01-01T00:00:00Z"}),
            "expires_at",
        ),
    ] {
        let (status, err) = as_user(
            &s,
            Method::POST,
            "/api/v1/users/me/api-keys",
            tok,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }
    let (status, _) = as_user(
        &s,
        Method::POST,
        "/api/v1/users/me/api-keys",
        tok,
        Some(json!({"name": "k", "scopes": ["admin"]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another user cannot revoke Bob's key; Bob can, and it stops at once.
    let id = created["id"].as_str().unwrap();
    let (status, _) = as_user(
        &s,
        Method::DELETE,
        &format!("/api/v1/users/me/api-keys/{id}"),
        &admin["access_token"],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = as_user(
        &s,
        Method::DELETE,
        &format!("/api/v1/users/me/api-keys/{id}"),
        tok,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, err) = s.call(Method::GET, "/api/v1/projects", None, &key).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(err["detail"].as_str().unwrap().contains("revoked"));
    let (_, list) = as_user(&s, Method::GET, "/api/v1/users/me/api-keys", tok, None).await;
    assert_eq!(list["items"][0]["status"], "revoked");
}

#[tokio::test]
async fn the_admin_lists_users_and_a_suspension_stops_tokens_and_keys_at_once() {
    let s = server().await;
    let admin = register(&s, "alice").await;
    let bob = register(&s, "bob").await;
    let (_, key) = as_user(
        &s,
        Method::POST,
        "/api/v1/users/me/api-keys",
        &bob["access_token"],
        Some(json!({"name": "k"})),
    )
    .await;
    let secret = key["key"].as_str().unwrap().to_string();

    let (status, _) = as_user(
        &s,
        Method::GET,
        "/api/v1/admin/users",
        &bob["access_token"],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a user is not an admin");
    let (status, users) = as_user(
        &s,
        Method::GET,
        "/api/v1/admin/users?limit=10",
        &admin["access_token"],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{users}");
    assert_eq!(users["total"], 2);
    let bob_id = bob["user"]["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/users/{bob_id}/status");
    let (status, err) = as_user(
        &s,
        Method::PUT,
        &path,
        &admin["access_token"],
        Some(json!({"status": "banned"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&err, "VALIDATION_ERROR", Some("status"));
    let (status, u) = as_user(
        &s,
        Method::PUT,
        &path,
        &admin["access_token"],
        Some(json!({"status": "suspended"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["status"], "suspended");

    assert_credentials_stopped(&s, &bob, &secret).await;
    let (status, err) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "bob", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(err["detail"].as_str().unwrap().contains("suspended"));
    let (_, suspended) = as_user(
        &s,
        Method::GET,
        "/api/v1/admin/users?status=suspended",
        &admin["access_token"],
        None,
    )
    .await;
    assert_eq!(suspended["total"], 1);
    // An admin cannot lock themselves out.
    let me = admin["user"]["id"].as_str().unwrap();
    let (status, _) = as_user(
        &s,
        Method::PUT,
        &format!("/api/v1/admin/users/{me}/status"),
        &admin["access_token"],
        Some(json!({"status": "inactive"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Reinstated, Bob signs in again.
    as_user(
        &s,
        Method::PUT,
        &path,
        &admin["access_token"],
        Some(json!({"status": "active"})),
    )
    .await;
    let (status, _) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "bob", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_address_with_retry_after() {
    let s = TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 10).await;
    register(&s, "alice").await;
    let mut statuses = Vec::new();
    let mut last = None;
    // Bounded: 12 requests on 127.0.0.1, the 1 above and 9 here fit the minute's 10.
    for _ in 0..12 {
        let res = s
            .client
            .post(s.url("/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status());
        last = Some(res);
    }
    assert!(
        statuses[..9].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[9..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let res = last.unwrap();
    let h = res.headers().clone();
    assert_eq!(h["x-ratelimit-limit"], "10");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = res.json().await.unwrap();
    assert_error(&body, "RATE_LIMITED", None);
    assert_eq!(body["retryable"], true);
    assert_eq!(body["retry_after"], retry);
    // Other routes are not limited by the sign-in bucket.
    let (status, _) = s.get("/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
}

/// Behind a trusted proxy each client has its own sign-in allowance (the address the proxy puts
/// in `X-Forwarded-For`); from anyone else the header is ignored, so it buys no fresh bucket.
#[tokio::test]
async fn sign_in_limits_count_the_client_behind_a_trusted_proxy() {
    let login = |s: &TestServer, forwarded: &'static str| {
        s.client
            .post(s.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"username": "nobody", "password": "wrong password!"}))
            .send()
    };
    let behind = TestServer::start_with(AuthMode::Accounts, |c| {
        c.auth_rate_per_minute = 2;
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let mut statuses = Vec::new();
    for forwarded in [
        "1.1.1.1",
        "1.1.1.1",
        "1.1.1.1",
        "2.2.2.2",
        "6.6.6.6, 2.2.2.2",
    ] {
        statuses.push(login(&behind, forwarded).await.unwrap().status().as_u16());
    }
    // 1.1.1.1 spends its two; 2.2.2.2 has its own, and a forged hop in front does not hide it.
    assert_eq!(statuses, [401, 401, 429, 401, 401]);

    let direct = TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 2).await;
    let mut statuses = Vec::new();
    for forwarded in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        statuses.push(login(&direct, forwarded).await.unwrap().status().as_u16());
    }
    assert_eq!(
        statuses,
        [401, 401, 429],
        "untrusted: every request is 127.0.0.1's"
    );
}

/// The CLI's `create-user` and sign-up insert users through one function: the same username
/// rules and the same case-insensitive uniqueness (the CLI used to skip both).
#[tokio::test]
async fn the_cli_and_sign_up_share_the_username_rules() {
    use storyloom::accounts::{self, AccountError};
    let s = server().await;
    register(&s, "Alice").await;
    let taken = accounts::create_user(&s.state, "ALICE", false).await;
    assert!(
        matches!(&taken, Err(AccountError::Conflict(m)) if m.contains("username")),
        "{taken:?}"
    );
    for bad in ["a b", "x"] {
        let refused = accounts::create_user(&s.state, bad, false).await;
        assert!(
            matches!(
                &refused,
                Err(AccountError::Invalid {
                    field: "username",
                    ..
                })
            ),
            "{bad}: {refused:?}"
        );
    }
    let carol = accounts::create_user(&s.state, "carol", true)
        .await
        .unwrap();
    // And sign-up refuses what the CLI created, whatever the case.
    let (status, body) = s
        .post(
            "/api/v1/auth/register",
            json!({"username": "Carol", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", None);
    // One status change for the admin's endpoint and the CLI: suspending revokes refresh tokens.
    let alice = as_user_login(&s, "Alice").await;
    let alice_id = alice["user"]["id"].as_str().unwrap().to_string();
    let suspended = accounts::change_status(&s.state, &alice_id, "suspended")
        .await
        .unwrap();
    assert_eq!(suspended.status, "suspended");
    let (status, _) = s
        .post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": alice["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(matches!(
        accounts::change_status(&s.state, &carol, "frozen").await,
        Err(AccountError::Invalid {
            field: "status",
            ..
        })
    ));
}

async fn as_user_login(s: &TestServer, name: &str) -> Value {
    let (status, body) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": name, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// `/users/{id}` (docs/API-CONVENTIONS.md, the `/users/{id}` row): the instance admin or the person
/// themself reads and changes an account; anyone else gets 403 whether or not it exists; roles
/// are the admin's, and never their own; one's own password needs the current one.
#[tokio::test]
async fn users_by_id_are_the_admins_or_their_own() {
    let s = server().await;
    let alice = register(&s, "alice").await; // the instance admin
    let bob = register(&s, "bob").await;
    let carol = register(&s, "carol").await;
    let (a, b, c) = (
        &alice["access_token"],
        &bob["access_token"],
        &carol["access_token"],
    );
    let bob_id = bob["user"]["id"].as_str().unwrap().to_string();
    let carol_id = carol["user"]["id"].as_str().unwrap().to_string();
    let bob_url = format!("/api/v1/users/{bob_id}");

    // Reads: self and the admin; another person is refused, and so is an id nobody has.
    let (st, me) = as_user(&s, Method::GET, &bob_url, b, None).await;
    assert_eq!(st, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "bob");
    assert_eq!(me["credit_balance"], bob["user"]["credit_balance"]);
    let (st, seen) = as_user(&s, Method::GET, &bob_url, a, None).await;
    assert_eq!((st, &seen["id"]), (StatusCode::OK, &json!(bob_id)));
    let (st, body) = as_user(&s, Method::GET, &bob_url, c, None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "FORBIDDEN", None);
    let nobody = "/api/v1/users/0190a3f0-0000-7000-8000-000000000000";
    let (st, _) = as_user(&s, Method::GET, nobody, c, None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a non-admin learns nothing");
    let (st, _) = as_user(&s, Method::GET, nobody, a, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.call(Method::GET, &bob_url, None, &[]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // Changes: one's own profile; not someone else's; roles only by the admin.
    let (st, me) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        b,
        Some(json!({"email": "robert@example.com", "display_name": "Robert"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{me}");
    assert_eq!(
        (&me["email"], &me["display_name"]),
        (&json!("robert@example.com"), &json!("Robert"))
    );
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        c,
        Some(json!({"display_name": "Not Bob"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        b,
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        b,
        Some(json!({"email": "nope"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("email"));
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        b,
        Some(json!({"email": "carol@example.com"})),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "another's email: {body}");
    let (_, me) = as_user(&s, Method::GET, &bob_url, b, None).await;
    assert_eq!(
        me["email"], "robert@example.com",
        "a refused change changes nothing"
    );

    let carol_url = format!("/api/v1/users/{carol_id}");
    let (st, made) = as_user(
        &s,
        Method::PATCH,
        &carol_url,
        a,
        Some(json!({"role": "ADMIN"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{made}");
    assert_eq!(
        (&made["role"], &made["is_admin"]),
        (&json!("admin"), &json!(true))
    );
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &carol_url,
        a,
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("role"));
    let alice_url = format!("/api/v1/users/{}", alice["user"]["id"].as_str().unwrap());
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &alice_url,
        a,
        Some(json!({"role": "user"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("role"));

    // One's own password needs the current one; every session then ends.
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        b,
        Some(json!({"password": "a new long password"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("current_password"));
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        b,
        Some(json!({"password": "a new long password", "current_password": "wrong one"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("current_password"));
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        b,
        Some(
            json!({"password": "a new long password", "current_password": "correct horse battery"}),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, _) = s
        .post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": bob["refresh_token"]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "the old session ended");
    let login = |password: &'static str| {
        s.post(
            "/api/v1/auth/login",
            json!({"username": "bob", "password": password}),
        )
    };
    assert_eq!(
        login("correct horse battery").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login("a new long password").await.0, StatusCode::OK);
    // The admin resets someone else's without knowing it.
    let (st, body) = as_user(
        &s,
        Method::PATCH,
        &bob_url,
        a,
        Some(json!({"password": "reset by the admin"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(login("reset by the admin").await.0, StatusCode::OK);
}

/// Deleting an account stops its sessions and keys at once, frees its name and email, takes it
/// out of its team workspaces and the admin's list, and leaves the ledger's history whole. The
/// last admin, and the owner of a team with members, are refused.
#[tokio::test]
async fn deleting_an_account_stops_it_and_keeps_its_history() {
    let s = server().await;
    let alice = register(&s, "alice").await; // the instance admin
    let bob = register(&s, "bob").await;
    let dave = register(&s, "dave").await;
    let (a, b, d) = (
        &alice["access_token"],
        &bob["access_token"],
        &dave["access_token"],
    );
    let alice_id = alice["user"]["id"].as_str().unwrap().to_string();
    let bob_id = bob["user"]["id"].as_str().unwrap().to_string();
    let dave_id = dave["user"]["id"].as_str().unwrap().to_string();

    // Bob has credits, an API key, and a seat in Dave's team.
    let (st, body) = as_user(
        &s,
        Method::POST,
        "/api/v1/admin/credits/grant",
        a,
        Some(json!({"user_id": bob_id, "credits": 40})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let (st, key) = as_user(
        &s,
        Method::POST,
        "/api/v1/users/me/api-keys",
        b,
        Some(json!({"name": "cli", "scopes": ["read"]})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{key}");
    let secret = key["secret"]
        .as_str()
        .or(key["key"].as_str())
        .unwrap()
        .to_string();
    let (st, ws) = as_user(
        &s,
        Method::POST,
        "/api/v1/workspaces",
        d,
        Some(json!({"name": "Dave's team"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{ws}");
    let ws = ws["id"].as_str().unwrap().to_string();
    let (st, inv) = as_user(
        &s,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/invitations"),
        d,
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{inv}");
    let accept = format!(
        "/api/v1/invitations/{}/accept",
        inv["token"].as_str().unwrap()
    );
    let (st, body) = as_user(&s, Method::POST, &accept, b, None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (_, before) = as_user(&s, Method::POST, "/api/v1/admin/reconciliation", a, None).await;
    assert_eq!(before["issues"], json!([]), "{before}");

    // Refusals: another person; an API key; the last admin; the owner of a team with members.
    let bob_url = format!("/api/v1/users/{bob_id}");
    let (st, _) = as_user(&s, Method::DELETE, &bob_url, d, None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .call(
            Method::DELETE,
            &bob_url,
            None,
            &[("x-api-key", secret.as_str())],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a read key deletes nothing");
    let (st, body) = as_user(
        &s,
        Method::DELETE,
        &format!("/api/v1/users/{alice_id}"),
        a,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    let (st, body) = as_user(
        &s,
        Method::DELETE,
        &format!("/api/v1/users/{dave_id}"),
        d,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("Dave's team"),
        "{body}"
    );

    // Bob deletes his own account.
    let (st, body) = as_user(&s, Method::DELETE, &bob_url, b, None).await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    assert_credentials_stopped(&s, &bob, &secret).await;
    let (st, _) = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "bob", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = as_user(&s, Method::GET, &bob_url, a, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "gone for the admin too");
    let (st, _) = as_user(&s, Method::DELETE, &bob_url, a, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "deleted once");
    let (_, list) = as_user(&s, Method::GET, "/api/v1/admin/users?limit=100", a, None).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.iter().any(|n| n.contains("bob")), "{names:?}");
    let (_, members) = as_user(
        &s,
        Method::GET,
        &format!("/api/v1/workspaces/{ws}/members"),
        d,
        None,
    )
    .await;
    assert_eq!(
        members.as_array().unwrap().len(),
        1,
        "only Dave is left: {members}"
    );

    // His history stays: the ledger reconciles over the same accounts, and his name is free.
    let (_, after) = as_user(&s, Method::POST, "/api/v1/admin/reconciliation", a, None).await;
    assert_eq!(after["issues"], json!([]), "{after}");
    assert_eq!(after["checked_count"], before["checked_count"], "{after}");
    let again = register(&s, "bob").await;
    assert_ne!(again["user"]["id"], json!(bob_id));
    assert_eq!(again["user"]["email"], "bob@example.com");
}
