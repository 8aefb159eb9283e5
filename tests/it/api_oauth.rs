//! Sign-in with an OpenID Connect provider, against a local fake authorization server that speaks
//! the real protocol (discovery, an authorization code bound to its PKCE challenge and redirect
//! URI, a token endpoint that takes each code once, ID tokens signed RS256 with a key the test
//! made, published as a JWKS): success, a wrong or replayed `state`, a replayed code, a forged ID
//! token, an unverified (or another person's) email, and linking a provider to a signed-in person.
use crate::common;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Form, State},
    routing::{get, post},
    Json, Router,
};
use base64::Engine;
use common::TestServer;
use reqwest::{Method, StatusCode};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use storyloom::{
    accounts::oauth::{OAuthProvider, Protocol},
    config::AuthMode,
};

const CLIENT_ID: &str = "storyloom-team";
const CLIENT_SECRET: &str = "s3cret-of-the-client";

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A code the fake provider issued: for whom, and what it is bound to.
#[derive(Clone)]
struct Grant {
    person: Value,
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

#[derive(Clone)]
struct Fake {
    issuer: String,
    grants: Arc<Mutex<HashMap<String, Grant>>>,
    used: Arc<Mutex<Vec<String>>>,
    /// Signs with this key (index into the test keys); the JWKS always publishes key 2.
    signing_key: Arc<Mutex<usize>>,
}

fn jwt(fake: &Fake, claims: &Value) -> String {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let key = crate::payments_gateways::key(*fake.signing_key.lock().unwrap());
    let der = key.to_pkcs1_der().unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("k2".into());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes()),
    )
    .unwrap()
}

async fn discovery(State(f): State<Fake>) -> Json<Value> {
    Json(json!({
        "issuer": f.issuer,
        "authorization_endpoint": format!("{}/authorize", f.issuer),
        "token_endpoint": format!("{}/token", f.issuer),
        "jwks_uri": format!("{}/jwks", f.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks() -> Json<Value> {
    let key = crate::payments_gateways::key(2).to_public_key();
    Json(json!({"keys": [{
        "kty": "RSA", "kid": "k2", "alg": "RS256", "use": "sig",
        "n": b64url(&key.n().to_bytes_be()), "e": b64url(&key.e().to_bytes_be()),
    }]}))
}

async fn token(
    State(f): State<Fake>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let refuse = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": why})),
        )
    };
    if form.get("grant_type").map(String::as_str) != Some("authorization_code")
        || form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return refuse("bad client");
    }
    let code = form.get("code").cloned().unwrap_or_default();
    if f.used.lock().unwrap().contains(&code) {
        return refuse("code already used");
    }
    let Some(grant) = f.grants.lock().unwrap().get(&code).cloned() else {
        return refuse("unknown code");
    };
    f.used.lock().unwrap().push(code);
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse("redirect_uri differs");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if b64url(&Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return refuse("PKCE verifier does not match");
    }
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": f.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant.nonce,
    });
    for (k, v) in grant.person.as_object().unwrap() {
        claims[k] = v.clone();
    }
    (
        StatusCode::OK,
        Json(
            json!({"access_token": "provider-at", "token_type": "Bearer", "expires_in": 300,
                    "id_token": jwt(&f, &claims)}),
        ),
    )
}

async fn start_fake() -> Fake {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let fake = Fake {
        issuer: format!("http://{addr}"),
        grants: Arc::default(),
        used: Arc::default(),
        signing_key: Arc::new(Mutex::new(2)),
    };
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    fake
}

async fn server(fake: &Fake) -> TestServer {
    let issuer = fake.issuer.clone();
    TestServer::start_with(AuthMode::Accounts, move |c| {
        c.oauth_providers = vec![OAuthProvider {
            id: "oidc".into(),
            name: "Company SSO".into(),
            issuer,
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            protocol: Protocol::OpenIdConnect,
        }];
    })
    .await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A URL's query as a map.
fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Where a redirect goes.
async fn location(res: reqwest::Response) -> String {
    assert!(res.status().is_redirection(), "{}", res.status());
    res.headers()["location"].to_str().unwrap().to_string()
}

/// The person signs in at the provider: the authorize URL is read the way a provider reads it,
/// and a code for `person` is issued; returns the callback's query (code, state).
fn authorize(fake: &Fake, authorize_url: &str, person: Value) -> (String, String) {
    let q = query_of(authorize_url);
    assert!(authorize_url.starts_with(&format!("{}/authorize?", fake.issuer)));
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    let code = format!("code-{}", fake.grants.lock().unwrap().len());
    fake.grants.lock().unwrap().insert(
        code.clone(),
        Grant {
            person,
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: q["redirect_uri"].clone(),
        },
    );
    (code, q["state"].clone())
}

async fn begin(s: &TestServer) -> String {
    let res = no_redirects()
        .get(s.url("/api/v1/auth/oauth/oidc?return_to=/%23/projects/p1"))
        .send()
        .await
        .unwrap();
    location(res).await
}

/// Sends the browser back to our callback; returns the fragment's parameters and where it went.
async fn come_back(s: &TestServer, code: &str, state: &str) -> (String, HashMap<String, String>) {
    let res = no_redirects()
        .get(s.url(&format!(
            "/api/v1/auth/oauth/oidc/callback?code={code}&state={state}"
        )))
        .send()
        .await
        .unwrap();
    let to = location(res).await;
    let params = query_of(to.split_once('#').map(|(_, f)| f).unwrap_or_default());
    (to, params)
}

async fn me(s: &TestServer, access_token: &str) -> Value {
    let auth = format!("Bearer {access_token}");
    let (status, me) = s
        .call(
            Method::GET,
            "/api/v1/auth/me",
            None,
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me
}

fn person(sub: &str, email: &str, verified: bool) -> Value {
    json!({"sub": sub, "email": email, "email_verified": verified, "name": "Mei Lin",
           "preferred_username": "meilin"})
}

#[tokio::test]
async fn a_first_sign_in_makes_an_account_and_the_next_one_finds_it() {
    let fake = start_fake().await;
    let s = server(&fake).await;
    let (status, providers) = s.get("/api/v1/auth/oauth/providers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(providers, json!([{"id": "oidc", "name": "Company SSO"}]));

    let url = begin(&s).await;
    let q = query_of(&url);
    assert_eq!(q["redirect_uri"], s.url("/api/v1/auth/oauth/oidc/callback"));
    let (code, state) = authorize(&fake, &url, person("sub-1", "Mei@Example.com", true));
    let (to, done) = come_back(&s, &code, &state).await;
    assert!(to.starts_with("/#/oauth/done?"), "{to}");
    assert_eq!(done["return_to"], "/#/projects/p1");
    let user = me(&s, &done["access_token"]).await;
    assert_eq!(user["username"], "meilin");
    assert_eq!(
        user["email"], "mei@example.com",
        "a verified address is kept"
    );
    assert_eq!(
        user["role"], "user",
        "a provider never makes the instance admin"
    );
    // The refresh token works like a password sign-in's.
    let (status, refreshed) = s
        .post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": done["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");

    // Again: the same person, not a new account; a replayed callback is refused.
    let url = begin(&s).await;
    let (code2, state2) = authorize(&fake, &url, person("sub-1", "mei@example.com", true));
    let (_, again) = come_back(&s, &code2, &state2).await;
    assert_eq!(me(&s, &again["access_token"]).await["id"], user["id"]);
    let (to, _) = come_back(&s, &code2, &state2).await;
    assert!(to.contains("oauth_error=state"), "a state works once: {to}");
    let auth = format!("Bearer {}", again["access_token"]);
    let (_, ids) = s
        .call(
            Method::GET,
            "/api/v1/auth/oauth/identities",
            None,
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(ids.as_array().unwrap().len(), 1, "{ids}");
    assert_eq!(ids[0]["provider"], "oidc");
    assert_eq!(ids[0]["email_verified"], true);
}

#[tokio::test]
async fn a_wrong_state_a_replayed_code_and_a_forged_token_sign_no_one_in() {
    let fake = start_fake().await;
    let s = server(&fake).await;
    let people_before = s.state.db.read(|c| {
        c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
            .map_err(storyloom::db::DbError::from)
    });
    let people_before = people_before.await.unwrap();

    // A state this server never made (a forged callback, or another browser's).
    let url = begin(&s).await;
    let (code, _) = authorize(&fake, &url, person("sub-9", "x@example.com", true));
    let (to, params) = come_back(&s, &code, "made-up-state").await;
    assert!(to.starts_with("/#/sign-in?"), "{to}");
    assert_eq!(params["oauth_error"], "state");
    assert!(!params.contains_key("access_token"));

    // A code used once already (by a first, successful sign-in) brought back with a new state.
    let url = begin(&s).await;
    let (code, state) = authorize(&fake, &url, person("sub-10", "y@example.com", true));
    let (_, ok) = come_back(&s, &code, &state).await;
    assert!(ok.contains_key("access_token"));
    let url = begin(&s).await;
    let state2 = query_of(&url)["state"].clone();
    let (_, params) = come_back(&s, &code, &state2).await;
    assert_eq!(params["oauth_error"], "exchange", "{params:?}");

    // An ID token signed with a key the issuer does not publish.
    *fake.signing_key.lock().unwrap() = 1;
    let url = begin(&s).await;
    let (code, state) = authorize(&fake, &url, person("sub-11", "z@example.com", true));
    let (_, params) = come_back(&s, &code, &state).await;
    assert_eq!(params["oauth_error"], "token", "{params:?}");
    assert!(params["oauth_message"].contains("ID token"), "{params:?}");

    let people_after = s
        .state
        .db
        .read(|c| {
            c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
                .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(
        people_after,
        people_before + 1,
        "only the one good sign-in made an account"
    );
}

#[tokio::test]
async fn an_email_never_opens_someone_elses_account() {
    let fake = start_fake().await;
    let s = server(&fake).await;
    let (alice_id, _) = s.register("alice").await; // alice@example.com, with a password

    // The provider says the address is alice's but has not verified it: a new account, no email.
    let url = begin(&s).await;
    let (code, state) = authorize(&fake, &url, person("sub-a", "alice@example.com", false));
    let (_, done) = come_back(&s, &code, &state).await;
    let stranger = me(&s, &done["access_token"]).await;
    assert_ne!(stranger["id"], alice_id.as_str());
    assert!(stranger["email"].is_null(), "{stranger}");

    // Even verified, an address someone has is not a way into their account.
    let url = begin(&s).await;
    let (code, state) = authorize(&fake, &url, person("sub-b", "alice@example.com", true));
    let (_, done) = come_back(&s, &code, &state).await;
    let other = me(&s, &done["access_token"]).await;
    assert_ne!(other["id"], alice_id.as_str());
    assert_ne!(other["id"], stranger["id"]);
    assert!(other["email"].is_null(), "{other}");
    assert_ne!(
        other["username"], stranger["username"],
        "usernames stay unique"
    );
}

#[tokio::test]
async fn a_signed_in_person_links_a_provider_to_their_account() {
    let fake = start_fake().await;
    let s = server(&fake).await;
    let (bob_id, bob) = s.register("bob").await;
    let (status, link) = s
        .call(
            Method::POST,
            "/api/v1/auth/oauth/oidc/link",
            None,
            &[("authorization", &bob)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let url = link["authorize_url"].as_str().unwrap();
    let (code, state) = authorize(&fake, url, person("sub-bob", "bob.work@example.com", true));
    let (_, done) = come_back(&s, &code, &state).await;
    assert_eq!(done["return_to"], "/#/account");
    assert_eq!(me(&s, &done["access_token"]).await["id"], bob_id.as_str());

    // From now on the provider signs bob in.
    let url = begin(&s).await;
    let (code, state) = authorize(&fake, &url, person("sub-bob", "bob.work@example.com", true));
    let (_, done) = come_back(&s, &code, &state).await;
    assert_eq!(me(&s, &done["access_token"]).await["id"], bob_id.as_str());

    // Unknown providers are a 404 to link and a clear error to start.
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/oauth/github/link",
            None,
            &[("authorization", &bob)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = no_redirects()
        .get(s.url("/api/v1/auth/oauth/github"))
        .send()
        .await
        .unwrap();
    assert!(location(res).await.contains("oauth_error=unknown_provider"));
}

/// A fake GitHub (web and API on one server): codes issued by the test, each exchanged once, the
/// person and their addresses behind the access token it gives.
#[derive(Clone, Default)]
struct FakeGitHub {
    /// code → (user, emails)
    people: Arc<Mutex<HashMap<String, (Value, Value)>>>,
    used: Arc<Mutex<Vec<String>>>,
}

async fn github_token(
    State(f): State<FakeGitHub>,
    headers: axum::http::HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    assert_eq!(
        headers["accept"], "application/json",
        "GitHub answers JSON only when asked"
    );
    let code = form.get("code").cloned().unwrap_or_default();
    // GitHub says no with a 200 and an `error` field.
    if f.used.lock().unwrap().contains(&code)
        || !f.people.lock().unwrap().contains_key(&code)
        || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return Json(json!({"error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired."}));
    }
    f.used.lock().unwrap().push(code.clone());
    Json(
        json!({"access_token": format!("gho_{code}"), "token_type": "bearer", "scope": "read:user,user:email"}),
    )
}

fn github_person(f: &FakeGitHub, headers: &axum::http::HeaderMap) -> (Value, Value) {
    let token = headers["authorization"]
        .to_str()
        .unwrap()
        .trim_start_matches("Bearer gho_");
    assert!(
        headers.contains_key("user-agent"),
        "GitHub's API refuses requests without one"
    );
    f.people.lock().unwrap()[token].clone()
}

async fn start_fake_github() -> (String, FakeGitHub) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let fake = FakeGitHub::default();
    let app = Router::new()
        .route("/login/oauth/access_token", post(github_token))
        .route(
            "/user",
            get(
                |State(f): State<FakeGitHub>, h: axum::http::HeaderMap| async move {
                    Json(github_person(&f, &h).0)
                },
            ),
        )
        .route(
            "/user/emails",
            get(
                |State(f): State<FakeGitHub>, h: axum::http::HeaderMap| async move {
                    Json(github_person(&f, &h).1)
                },
            ),
        )
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

#[tokio::test]
async fn github_signs_in_with_its_primary_verified_address_and_takes_each_code_once() {
    let (base, fake) = start_fake_github().await;
    let github = base.clone();
    let s = TestServer::start_with(AuthMode::Accounts, move |c| {
        c.oauth_providers = vec![OAuthProvider {
            id: "github".into(),
            name: "GitHub".into(),
            issuer: github.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            protocol: Protocol::GitHub { api_url: github },
        }];
    })
    .await;
    let sign_in = |code: &str, user: Value, emails: Value| {
        fake.people
            .lock()
            .unwrap()
            .insert(code.to_string(), (user, emails));
    };
    let begin = || async {
        let res = no_redirects()
            .get(s.url("/api/v1/auth/oauth/github"))
            .send()
            .await
            .unwrap();
        let url = location(res).await;
        assert!(
            url.starts_with(&format!("{base}/login/oauth/authorize?")),
            "{url}"
        );
        let q = query_of(&url);
        assert_eq!(q["scope"], "read:user user:email");
        assert_eq!(q["code_challenge_method"], "S256");
        q["state"].clone()
    };
    let back = |code: String, state: String| {
        let s = &s;
        async move {
            let res = no_redirects()
                .get(s.url(&format!(
                    "/api/v1/auth/oauth/github/callback?code={code}&state={state}"
                )))
                .send()
                .await
                .unwrap();
            let to = location(res).await;
            query_of(to.split_once('#').map(|(_, f)| f).unwrap_or_default())
        }
    };

    sign_in(
        "c1",
        json!({"id": 583231, "login": "octocat", "name": "The Octocat"}),
        json!([{"email": "old@example.com", "primary": false, "verified": true},
               {"email": "octo@example.com", "primary": true, "verified": true}]),
    );
    let done = back("c1".into(), begin().await).await;
    let user = me(&s, &done["access_token"]).await;
    assert_eq!(user["username"], "octocat");
    assert_eq!(
        user["email"], "octo@example.com",
        "the primary, verified address"
    );

    // The same code again, with a fresh sign-in: GitHub's 200-with-an-error is a refusal.
    let refused = back("c1".into(), begin().await).await;
    assert_eq!(refused["oauth_error"], "exchange", "{refused:?}");

    // A primary address GitHub has not verified is not kept.
    sign_in(
        "c2",
        json!({"id": 99, "login": "newcomer", "name": null}),
        json!([{"email": "new@example.com", "primary": true, "verified": false}]),
    );
    let done = back("c2".into(), begin().await).await;
    let user = me(&s, &done["access_token"]).await;
    assert_eq!(user["username"], "newcomer");
    assert!(user["email"].is_null(), "{user}");
}

/// A fake WeChat (open platform web and API on one server), speaking its wire format: the token
/// exchange is a GET with the secret in the query, refusals are 200s with `errcode`, answers are
/// `text/plain`.
#[derive(Clone, Default)]
struct FakeWeChat {
    /// code → the person's user info
    people: Arc<Mutex<HashMap<String, Value>>>,
    used: Arc<Mutex<Vec<String>>>,
}

fn wechat_text(v: Value) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain")],
        v.to_string(),
    )
}

async fn start_fake_wechat() -> (String, FakeWeChat) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let fake = FakeWeChat::default();
    let app = Router::new()
        .route(
            "/sns/oauth2/access_token",
            get(
                |State(f): State<FakeWeChat>,
                 axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>| async move {
                    if q.get("appid").map(String::as_str) != Some(CLIENT_ID)
                        || q.get("secret").map(String::as_str) != Some(CLIENT_SECRET)
                        || q.get("grant_type").map(String::as_str) != Some("authorization_code")
                    {
                        return wechat_text(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
                    }
                    let code = q.get("code").cloned().unwrap_or_default();
                    let person = f.people.lock().unwrap().get(&code).cloned();
                    match person {
                        Some(p) if !f.used.lock().unwrap().contains(&code) => {
                            f.used.lock().unwrap().push(code.clone());
                            wechat_text(json!({"access_token": format!("ACCESS_{code}"), "expires_in": 7200,
                                "refresh_token": "REFRESH", "openid": p["openid"], "scope": "snsapi_login",
                                "unionid": p["unionid"]}))
                        }
                        _ => wechat_text(json!({"errcode": 40029, "errmsg": "invalid code"})),
                    }
                },
            ),
        )
        .route(
            "/sns/userinfo",
            get(
                |State(f): State<FakeWeChat>,
                 axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>| async move {
                    let code = q["access_token"].trim_start_matches("ACCESS_").to_string();
                    let person = f.people.lock().unwrap()[&code].clone();
                    assert_eq!(q["openid"], person["openid"]);
                    wechat_text(person)
                },
            ),
        )
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

/// A fake Feishu: the v2 token endpoint (JSON, PKCE checked, refusals as HTTP 400 with a
/// numeric `code`), and the user info behind the access token (`{code: 0, data: {...}}`).
#[derive(Clone, Default)]
struct FakeFeishu {
    /// code → (the challenge it was issued for, the person)
    grants: Arc<Mutex<HashMap<String, (String, Value)>>>,
    used: Arc<Mutex<Vec<String>>>,
}

async fn start_fake_feishu() -> (String, FakeFeishu) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let fake = FakeFeishu::default();
    let app = Router::new()
        .route(
            "/open-apis/authen/v2/oauth/token",
            post(|State(f): State<FakeFeishu>, Json(body): Json<Value>| async move {
                let refuse = |code: i64, why: &str| {
                    (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"code": code, "error": "invalid_grant", "error_description": why})),
                    )
                };
                if body["client_id"] != CLIENT_ID || body["client_secret"] != CLIENT_SECRET {
                    return refuse(20002, "The client secret is invalid.");
                }
                let code = body["code"].as_str().unwrap_or_default().to_string();
                let grant = f.grants.lock().unwrap().get(&code).cloned();
                let Some((challenge, _)) = grant else {
                    return refuse(20003, "The authorization code is not found.");
                };
                if f.used.lock().unwrap().contains(&code) {
                    return refuse(20003, "The authorization code has been used.");
                }
                f.used.lock().unwrap().push(code.clone());
                let verifier = body["code_verifier"].as_str().unwrap_or_default();
                if b64url(&Sha256::digest(verifier.as_bytes())) != challenge {
                    return refuse(20063, "The code_verifier is invalid.");
                }
                (
                    StatusCode::OK,
                    Json(json!({"code": 0, "access_token": format!("u-{code}"), "expires_in": 7200,
                        "refresh_token": "ur-x", "refresh_token_expires_in": 604800,
                        "token_type": "Bearer", "scope": ""})),
                )
            }),
        )
        .route(
            "/open-apis/authen/v1/user_info",
            get(
                |State(f): State<FakeFeishu>, h: axum::http::HeaderMap| async move {
                    let code = h["authorization"]
                        .to_str()
                        .unwrap()
                        .trim_start_matches("Bearer u-")
                        .to_string();
                    let person = f.grants.lock().unwrap()[&code].1.clone();
                    Json(json!({"code": 0, "msg": "success", "data": person}))
                },
            ),
        )
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

/// Issue 20, item 5: WeChat and Feishu, each with its own OAuth, against fakes speaking their
/// wire formats: a first sign-in makes the account, the next finds it, a code works once, and
/// only Feishu's enterprise mailbox counts as a verified address.
#[tokio::test]
async fn wechat_and_feishu_sign_in_with_their_own_oauth() {
    let (wechat, wx) = start_fake_wechat().await;
    let (feishu, fs) = start_fake_feishu().await;
    let (w, f) = (wechat.clone(), feishu.clone());
    let s = TestServer::start_with(AuthMode::Accounts, move |c| {
        c.oauth_providers = vec![
            OAuthProvider {
                id: "wechat".into(),
                name: "微信 WeChat".into(),
                issuer: w.clone(),
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                protocol: Protocol::WeChat { api_url: w },
            },
            OAuthProvider {
                id: "feishu".into(),
                name: "飞书 Feishu".into(),
                issuer: f.clone(),
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                protocol: Protocol::Feishu { api_url: f },
            },
        ];
    })
    .await;
    let begin = |provider: &'static str| {
        let s = &s;
        async move {
            let res = no_redirects()
                .get(s.url(&format!("/api/v1/auth/oauth/{provider}")))
                .send()
                .await
                .unwrap();
            location(res).await
        }
    };
    let back = |provider: &'static str, code: String, state: String| {
        let s = &s;
        async move {
            let res = no_redirects()
                .get(s.url(&format!(
                    "/api/v1/auth/oauth/{provider}/callback?code={code}&state={state}"
                )))
                .send()
                .await
                .unwrap();
            let to = location(res).await;
            query_of(to.split_once('#').map(|(_, f)| f).unwrap_or_default())
        }
    };

    // WeChat: the QR-code page, its parameters in WeChat's order, the fragment it needs.
    let url = begin("wechat").await;
    assert!(
        url.starts_with(&format!(
            "{wechat}/connect/qrconnect?appid={CLIENT_ID}&redirect_uri="
        )),
        "{url}"
    );
    assert!(url.ends_with("#wechat_redirect"), "{url}");
    let q = query_of(url.trim_end_matches("#wechat_redirect"));
    assert_eq!(q["scope"], "snsapi_login");
    assert_eq!(q["response_type"], "code");
    let xiaoming = json!({"openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "nickname": "小明", "sex": 1,
        "province": "广东", "city": "广州", "country": "CN", "headimgurl": "", "privilege": [],
        "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL"});
    wx.people
        .lock()
        .unwrap()
        .insert("w1".into(), xiaoming.clone());
    let done = back("wechat", "w1".into(), q["state"].clone()).await;
    let user = me(&s, &done["access_token"]).await;
    assert_eq!(user["display_name"], "小明", "{user}");
    assert!(user["email"].is_null(), "WeChat gives no address: {user}");
    // The same WeChat account again finds the same person; a used code is refused.
    wx.people.lock().unwrap().insert("w2".into(), xiaoming);
    let url = begin("wechat").await;
    let again = back(
        "wechat",
        "w2".into(),
        query_of(url.trim_end_matches("#wechat_redirect"))["state"].clone(),
    )
    .await;
    assert_eq!(me(&s, &again["access_token"]).await["id"], user["id"]);
    let url = begin("wechat").await;
    let refused = back(
        "wechat",
        "w2".into(),
        query_of(url.trim_end_matches("#wechat_redirect"))["state"].clone(),
    )
    .await;
    assert_eq!(refused["oauth_error"], "exchange", "{refused:?}");
    assert!(refused["oauth_message"].contains("40029"), "{refused:?}");

    // Feishu: PKCE; the enterprise mailbox is kept as verified.
    let authorize_feishu = |url: &str, code: &str, person: Value| {
        assert!(
            url.starts_with(&format!(
                "{feishu}/open-apis/authen/v1/authorize?client_id={CLIENT_ID}"
            )),
            "{url}"
        );
        let q = query_of(url);
        assert_eq!(q["code_challenge_method"], "S256");
        fs.grants
            .lock()
            .unwrap()
            .insert(code.to_string(), (q["code_challenge"].clone(), person));
        q["state"].clone()
    };
    let lilei = json!({"name": "李雷", "en_name": "Lei Li", "avatar_url": "", "open_id": "ou_3b2c",
        "union_id": "on_9a8b", "email": "lei@gmail.com", "enterprise_email": "lei@corp.example",
        "user_id": "5d9bdxxx", "mobile": "+8613000000000", "tenant_key": "736588c9"});
    let url = begin("feishu").await;
    let state = authorize_feishu(&url, "f1", lilei);
    let done = back("feishu", "f1".into(), state).await;
    let user = me(&s, &done["access_token"]).await;
    assert_eq!(user["display_name"], "李雷");
    assert_eq!(
        user["email"], "lei@corp.example",
        "the tenant's mailbox: {user}"
    );
    // Only a contact address: not vouched for, so not kept.
    let hanmeimei = json!({"name": "韩梅梅", "open_id": "ou_77aa", "union_id": "on_77aa",
        "email": "mei@gmail.com", "enterprise_email": "", "tenant_key": "736588c9"});
    let url = begin("feishu").await;
    let state = authorize_feishu(&url, "f2", hanmeimei);
    let done = back("feishu", "f2".into(), state).await;
    let user2 = me(&s, &done["access_token"]).await;
    assert_ne!(user2["id"], user["id"]);
    assert!(user2["email"].is_null(), "{user2}");
    // A used code: Feishu's 400 with its own code is a refusal.
    let url = begin("feishu").await;
    let state = query_of(&url)["state"].clone();
    let refused = back("feishu", "f2".into(), state).await;
    assert_eq!(refused["oauth_error"], "exchange", "{refused:?}");
    assert!(refused["oauth_message"].contains("20003"), "{refused:?}");

    let (_, providers) = s.get("/api/v1/auth/oauth/providers").await;
    assert_eq!(
        providers,
        json!([{"id": "wechat", "name": "微信 WeChat"}, {"id": "feishu", "name": "飞书 Feishu"}])
    );
}

/// The desktop's browser sign-in once it is no longer waiting (or as it stands after 5 s).
async fn settled_attempt(desk: &TestServer) -> Value {
    let mut attempt = Value::Null;
    for _ in 0..100 {
        attempt = desk.get("/api/v1/remote/sign-in/browser").await.1;
        if attempt["status"] != "waiting" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    attempt
}

/// Issue 20, item 5: the desktop signs in to its server through the system browser (RFC 8252).
/// The test is the browser: server, provider, server's callback, the desktop's loopback address.
/// The one-time code is useless without the desktop's verifier and works once; a sign-in
/// cancelled at the provider ends at the desktop saying so.
#[tokio::test]
async fn a_desktop_signs_in_through_the_system_browser() {
    let fake = start_fake().await;
    let s = server(&fake).await;
    let desk = TestServer::start_desktop().await;
    let (status, providers) = desk
        .get(&format!(
            "/api/v1/remote/sign-in/providers?server_url={}",
            s.base
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{providers}");
    assert_eq!(providers, json!([{"id": "oidc", "name": "Company SSO"}]));

    let (status, started) = desk
        .post(
            "/api/v1/remote/sign-in/browser",
            json!({"server_url": s.base, "provider": "oidc"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["status"], "waiting");
    let authorize_url = started["authorize_url"].as_str().unwrap();
    assert!(authorize_url.starts_with(&s.url("/api/v1/auth/oauth/oidc?desktop_redirect=http")));
    // The browser: to the provider, back to the server, on to the desktop.
    let res = no_redirects().get(authorize_url).send().await.unwrap();
    let at_provider = location(res).await;
    let (code, state) = authorize(&fake, &at_provider, person("sub-d", "d@example.com", true));
    let res = no_redirects()
        .get(s.url(&format!(
            "/api/v1/auth/oauth/oidc/callback?code={code}&state={state}"
        )))
        .send()
        .await
        .unwrap();
    let to_desktop = location(res).await;
    assert!(to_desktop.starts_with("http://127.0.0.1:"), "{to_desktop}");
    let handoff = query_of(&to_desktop)["code"].clone();
    assert!(
        !to_desktop.contains("access_token"),
        "no token in a URL: {to_desktop}"
    );
    let page = no_redirects().get(&to_desktop).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Signed in to Storyloom"));
    let attempt = settled_attempt(&desk).await;
    assert_eq!(attempt["status"], "signed_in", "{attempt}");
    let (_, connection) = desk.post("/api/v1/remote/check", json!({})).await;
    assert_eq!(connection["state"], "connected", "{connection}");
    assert_eq!(connection["username"], "meilin");

    // The code again (someone who saw the URL), with a verifier of their own: refused.
    let (status, refused) = s
        .post(
            "/api/v1/auth/oauth/desktop/token",
            json!({"code": handoff, "code_verifier": "x".repeat(43)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");

    // Only a loopback address receives a desktop's code.
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for (redirect, field) in [
        ("http://evil.example:8080/cb", "desktop_redirect"),
        ("https://127.0.0.1:8080/cb", "desktop_redirect"),
        ("http://127.0.0.1/cb", "desktop_redirect"),
    ] {
        let (status, body) = s
            .get(&format!(
                "/api/v1/auth/oauth/oidc?desktop_redirect={}&desktop_challenge={challenge}",
                form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
            ))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{redirect}: {body}"
        );
        common::assert_error(&body, "VALIDATION_ERROR", Some(field));
    }

    // Cancelled at the provider: the desktop hears why.
    let (_, started) = desk
        .post(
            "/api/v1/remote/sign-in/browser",
            json!({"server_url": s.base, "provider": "oidc"}),
        )
        .await;
    let res = no_redirects()
        .get(started["authorize_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let state = query_of(&location(res).await)["state"].clone();
    let res = no_redirects()
        .get(s.url(&format!(
            "/api/v1/auth/oauth/oidc/callback?error=access_denied&state={state}"
        )))
        .send()
        .await
        .unwrap();
    let to_desktop = location(res).await;
    assert!(to_desktop.contains("error=denied"), "{to_desktop}");
    no_redirects().get(&to_desktop).send().await.unwrap();
    let attempt = settled_attempt(&desk).await;
    assert_eq!(attempt["status"], "failed", "{attempt}");
    assert!(
        attempt["message"].as_str().unwrap().contains("cancelled"),
        "{attempt}"
    );

    // Cancelled on the desktop: it stops listening at once (no port left open).
    let (_, started) = desk
        .post(
            "/api/v1/remote/sign-in/browser",
            json!({"server_url": s.base, "provider": "oidc"}),
        )
        .await;
    let redirect = query_of(started["authorize_url"].as_str().unwrap())["desktop_redirect"].clone();
    let port: u16 = redirect
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok());
    let (status, cancelled) = desk
        .call(Method::DELETE, "/api/v1/remote/sign-in/browser", None, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let mut closed = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(closed, "the loopback listener outlived its sign-in");
}
