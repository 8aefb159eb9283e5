//! The desktop signs in to a team server (issue 7), end to end over real TCP: a server-mode
//! instance with accounts, and a local-mode instance (the desktop core) whose `/api/v1/remote`
//! endpoints sign in to it, keep the refresh token in the encrypted file (forced through the
//! config, so no keyring daemon is needed and parallel tests don't race on an env var), check the
//! connection, rotate the token, notice a stopped server and a revoked session, and sign out.
use crate::common;

use std::time::{Duration, Instant};

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::{
    config::{AuthMode, Config},
    remote::{secrets::SECRETS_FILE, SecretStoreChoice, StoredSession, SESSION_SECRET},
};

const PASSWORD: &str = "correct horse battery";

async fn team_server() -> TestServer {
    let s = TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 1000).await;
    let (status, body) = s
        .post(
            "/api/v1/auth/register",
            json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    s
}

fn desktop_config(c: &mut Config) {
    c.remote.secret_store = SecretStoreChoice::File;
}

async fn desktop() -> TestServer {
    TestServer::start_with(AuthMode::Local, desktop_config).await
}

async fn sign_in(desktop: &TestServer, server: &str, password: &str) -> (StatusCode, Value) {
    desktop
        .post(
            "/api/v1/remote/sign-in",
            json!({"server_url": server, "username": "alice", "password": password}),
        )
        .await
}

async fn stored(desktop: &TestServer) -> Option<StoredSession> {
    let store = desktop.state.remote.secret_store().await;
    store
        .get(SESSION_SECRET)
        .unwrap()
        .map(|j| serde_json::from_str(&j).unwrap())
}

async fn stored_refresh_token(desktop: &TestServer) -> String {
    stored(desktop)
        .await
        .expect("a stored session")
        .refresh_token
        .expect("a stored refresh token")
}

async fn check(desktop: &TestServer) -> Value {
    let (status, body) = desktop.post("/api/v1/remote/check", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Lets the team server's access tokens expire (its clock is a manual one).
fn expire_access_tokens(server: &TestServer) {
    server.clock.advance(chrono::Duration::minutes(16));
}

/// Stops a server and waits until its port refuses connections.
async fn stop_and_wait(server: TestServer) {
    let addr = server.base.trim_start_matches("http://").to_string();
    let _dir = server.stop().await;
    let until = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(&addr).await.is_ok() {
        assert!(Instant::now() < until, "the server did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn sign_in_keeps_the_refresh_token_encrypted_and_survives_a_restart() {
    let server = team_server().await;
    let desk = desktop().await;

    let (status, body) = desk.get("/api/v1/remote/connection").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "signed_out");
    assert_eq!(body["secret_storage"], "encrypted_file");
    assert!(body["server_url"].is_null());
    let notice = body["secret_storage_notice"].as_str().unwrap();
    assert!(notice.contains(SECRETS_FILE), "{notice}");

    // Bad input is a 422 that names the field; nothing is sent anywhere.
    for (payload, field) in [
        (
            json!({"username": "alice", "password": PASSWORD}),
            "server_url",
        ),
        (
            json!({"server_url": "team.example.com", "username": "alice", "password": PASSWORD}),
            "server_url",
        ),
        (
            json!({"server_url": "ftp://team.example.com", "username": "alice", "password": PASSWORD}),
            "server_url",
        ),
        (
            json!({"server_url": "http://alice:pw@127.0.0.1:9", "username": "alice", "password": PASSWORD}),
            "server_url",
        ),
        (
            json!({"server_url": server.base, "password": PASSWORD}),
            "username",
        ),
        (
            json!({"server_url": server.base, "username": "alice"}),
            "password",
        ),
        (
            json!({"server_url": 42, "username": "alice", "password": PASSWORD}),
            "server_url",
        ),
    ] {
        let (status, body) = desk.post("/api/v1/remote/sign-in", payload.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{payload} → {body}"
        );
        assert_error(&body, "VALIDATION_ERROR", Some(field));
    }

    // A wrong password: the server's refusal, said clearly; still signed out.
    let (status, body) = sign_in(&desk, &server.base, "wrong password!").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_error(&body, "AUTH_INVALID", None);
    assert_eq!(
        body["detail"],
        "the server rejected the username or password"
    );
    assert_eq!(body["retryable"], false);
    assert_eq!(
        desk.get("/api/v1/remote/connection").await.1["state"],
        "signed_out"
    );
    assert!(stored(&desk).await.is_none());

    // The right one (with a trailing slash, which is dropped).
    let (status, body) = sign_in(&desk, &format!("{}/", server.base), PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "connected");
    assert_eq!(body["username"], "alice");
    assert_eq!(body["server_url"], server.base);
    assert!(body["checked_at"].is_string());
    assert!(body["message"].as_str().unwrap().contains("alice"));
    let (_, again) = desk.get("/api/v1/remote/connection").await;
    assert_eq!(again["state"], "connected");

    // The refresh token is in the encrypted file, not in plain text there nor in the database.
    let token = stored_refresh_token(&desk).await;
    assert!(token.starts_with("slr_"), "{token}");
    let file = desk.dir.path().join(SECRETS_FILE);
    let bytes = std::fs::read(&file).expect("the encrypted secrets file");
    assert!(!contains(&bytes, token.as_bytes()));
    assert!(!contains(&bytes, b"slr_"));
    assert!(!contains(&bytes, b"alice"));
    if let Some(path) = desk.state.db.path() {
        let db = std::fs::read(path).unwrap();
        assert!(!contains(&db, token.as_bytes()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A restart: the sign-in is still there (not checked yet); the access token was in memory
    // only, so the first check exchanges the refresh token.
    let dir = desk.stop().await;
    let mut config = Config::server(dir.path().to_path_buf(), AuthMode::Local);
    desktop_config(&mut config);
    let desk = TestServer::start_in(dir, config).await;
    let (_, body) = desk.get("/api/v1/remote/connection").await;
    assert_eq!(body["state"], "connected");
    assert_eq!(body["username"], "alice");
    assert!(body["checked_at"].is_null(), "{body}");
    let body = check(&desk).await;
    assert_eq!(body["state"], "connected", "{body}");
    assert!(body["checked_at"].is_string());
    assert_ne!(
        stored_refresh_token(&desk).await,
        token,
        "rotated by the refresh"
    );
}

#[tokio::test]
async fn check_rotates_the_refresh_token_and_the_old_one_is_dead() {
    let server = team_server().await;
    let desk = desktop().await;
    assert_eq!(
        sign_in(&desk, &server.base, PASSWORD).await.0,
        StatusCode::OK
    );
    let first = stored_refresh_token(&desk).await;

    // While the access token is good, a check does not touch the refresh token.
    assert_eq!(check(&desk).await["state"], "connected");
    assert_eq!(stored_refresh_token(&desk).await, first);

    // Once it expired: 401 on /me → one refresh → the rotated token is stored.
    expire_access_tokens(&server);
    let body = check(&desk).await;
    assert_eq!(body["state"], "connected", "{body}");
    let second = stored_refresh_token(&desk).await;
    assert_ne!(second, first);

    // The old token no longer works against the server.
    let (status, body) = server
        .post("/api/v1/auth/refresh", json!({"refresh_token": first}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // That reuse made the server revoke the whole sign-in (its reuse detection): the desktop
    // finds out at its next refresh and says the session expired, keeping who and where.
    expire_access_tokens(&server);
    let body = check(&desk).await;
    assert_eq!(body["state"], "session_expired", "{body}");
    assert_eq!(body["username"], "alice");
    assert_eq!(body["server_url"], server.base);
    let kept = stored(&desk).await.unwrap();
    assert!(kept.refresh_token.is_none());
}

#[tokio::test]
async fn a_stopped_server_is_unreachable_local_work_goes_on_and_sign_out_still_clears() {
    let server = team_server().await;
    let base = server.base.clone();
    let desk = desktop().await;
    assert_eq!(sign_in(&desk, &base, PASSWORD).await.0, StatusCode::OK);
    stop_and_wait(server).await;

    let body = check(&desk).await;
    assert_eq!(body["state"], "unreachable", "{body}");
    assert!(body["message"].as_str().unwrap().contains(&base), "{body}");
    assert!(body["checked_at"].is_string());
    assert_eq!(
        desk.get("/api/v1/remote/connection").await.1["state"],
        "unreachable"
    );

    // Offline work is not blocked by the missing server.
    let started = Instant::now();
    let (status, project) = desk
        .post("/api/v1/projects", json!({"name": "Offline drama"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let (status, list) = desk.get("/api/v1/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "Offline drama");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Signing in to it now: 502, retryable, naming the address.
    let (status, body) = sign_in(&desk, &base, PASSWORD).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_error(&body, "UPSTREAM_FAILED", None);
    assert_eq!(body["retryable"], true);
    assert!(body["detail"].as_str().unwrap().contains(&base), "{body}");

    // Sign out with the server down: the secrets go all the same.
    assert!(stored(&desk).await.is_some());
    let (status, body) = desk.post("/api/v1/remote/sign-out", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "signed_out");
    assert!(body["server_url"].is_null());
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("could not be told"),
        "{body}"
    );
    assert!(stored(&desk).await.is_none());
    assert!(!desk.dir.path().join(SECRETS_FILE).exists());
    assert_eq!(
        desk.get("/api/v1/remote/connection").await.1["state"],
        "signed_out"
    );
    // A check while signed out calls nobody and says so.
    assert_eq!(check(&desk).await["state"], "signed_out");
}

#[tokio::test]
async fn a_session_revoked_on_the_server_is_session_expired() {
    let server = team_server().await;
    let desk = desktop().await;
    assert_eq!(
        sign_in(&desk, &server.base, PASSWORD).await.0,
        StatusCode::OK
    );

    // Elsewhere, alice changes her password: the server revokes every refresh token of hers.
    let (_, other) = server
        .post(
            "/api/v1/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let auth = format!("Bearer {}", other["access_token"].as_str().unwrap());
    let (status, body) = server
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(json!({"current_password": PASSWORD, "new_password": "a brand new secret"})),
            &[("authorization", auth.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    expire_access_tokens(&server);
    let body = check(&desk).await;
    assert_eq!(body["state"], "session_expired", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("Sign in again"),
        "{body}"
    );
    // It stays expired (no more calls with a dead token), also for a later check.
    assert_eq!(check(&desk).await["state"], "session_expired");

    // A suspended account: the server's reason is passed on.
    let (status, body) = server
        .post(
            "/api/v1/auth/register",
            json!({"username": "bob", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let bob = body["user"]["id"].as_str().unwrap().to_string();
    let (_, admin) = server
        .post(
            "/api/v1/auth/login",
            json!({"username": "alice", "password": "a brand new secret"}),
        )
        .await;
    let admin_auth = format!("Bearer {}", admin["access_token"].as_str().unwrap());
    let (status, body) = server
        .call(
            Method::PUT,
            &format!("/api/v1/admin/users/{bob}/status"),
            Some(json!({"status": "suspended"})),
            &[("authorization", admin_auth.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = desk
        .post(
            "/api/v1/remote/sign-in",
            json!({"server_url": server.base, "username": "bob", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_error(&body, "AUTH_INVALID", None);
    assert_eq!(
        body["detail"],
        "the server rejected the username or password (the account is suspended)"
    );

    // Signing in again with the new password connects.
    let (status, body) = sign_in(&desk, &server.base, "a brand new secret").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "connected");
}

#[tokio::test]
async fn sign_out_with_the_server_up_revokes_the_session_there() {
    let server = team_server().await;
    let desk = desktop().await;
    assert_eq!(
        sign_in(&desk, &server.base, PASSWORD).await.0,
        StatusCode::OK
    );
    let token = stored_refresh_token(&desk).await;
    let (status, body) = desk.post("/api/v1/remote/sign-out", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "signed_out");
    assert!(!body["message"]
        .as_str()
        .unwrap()
        .contains("could not be told"));
    assert!(stored(&desk).await.is_none());
    let (status, _) = server
        .post("/api/v1/auth/refresh", json!({"refresh_token": token}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the server revoked it");
}

#[tokio::test]
async fn a_server_that_never_answers_does_not_block_local_work() {
    // A port that takes connections (the kernel's backlog) but never answers them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let desk = TestServer::start_with(AuthMode::Local, |c| {
        desktop_config(c);
        c.remote.timeout = Duration::from_secs(2);
    })
    .await;

    let pending = {
        let client = desk.client.clone();
        let endpoint = desk.url("/api/v1/remote/sign-in");
        let url = url.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let res = client
                .post(endpoint)
                .json(&json!({"server_url": url, "username": "alice", "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            (
                res.status(),
                res.json::<Value>().await.unwrap(),
                started.elapsed(),
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // While the sign-in waits on the silent server, status and local work answer at once.
    let started = Instant::now();
    let (status, body) = desk.get("/api/v1/remote/connection").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["state"], "signed_out");
    let (status, _) = desk
        .post("/api/v1/projects", json!({"name": "Meanwhile"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );

    let (status, body, took) = pending.await.unwrap();
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_error(&body, "UPSTREAM_FAILED", None);
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&url) && detail.contains("within 2 s"),
        "{detail}"
    );
    assert!(
        took < Duration::from_secs(6),
        "bounded by the timeout: {took:?}"
    );
    drop(silent);
}

#[tokio::test]
async fn a_team_server_has_no_remote_endpoints() {
    let server = team_server().await;
    for (method, path) in [
        (Method::GET, "/api/v1/remote/connection"),
        (Method::POST, "/api/v1/remote/sign-in"),
        (Method::POST, "/api/v1/remote/check"),
        (Method::POST, "/api/v1/remote/sign-out"),
    ] {
        let (status, body) = server.call(method, path, Some(json!({})), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_error(&body, "NOT_FOUND", None);
        assert!(
            body["detail"].as_str().unwrap().contains("desktop"),
            "{body}"
        );
    }
    // The OpenAPI document describes them (one document for both builds).
    let (_, doc) = server.get("/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/remote/sign-in"]["post"].is_object());
}

#[tokio::test]
async fn a_damaged_secrets_file_is_reported_and_replaced_by_the_next_sign_in() {
    let server = team_server().await;
    let desk = desktop().await;
    assert_eq!(
        sign_in(&desk, &server.base, PASSWORD).await.0,
        StatusCode::OK
    );
    let dir = desk.stop().await;
    let file = dir.path().join(SECRETS_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&file, &bytes).unwrap();

    let mut config = Config::server(dir.path().to_path_buf(), AuthMode::Local);
    desktop_config(&mut config);
    let desk = TestServer::start_in(dir, config).await;
    let (status, body) = desk.get("/api/v1/remote/connection").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "signed_out");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot be decrypted"),
        "{body}"
    );
    let (status, body) = sign_in(&desk, &server.base, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "connected");
    assert!(stored(&desk).await.is_some(), "the file was replaced");
}
