//! Sign-in with a provider (docs/API-WORKSPACES.md, "Sign-in with a provider"): the
//! authorization-code flow with PKCE (S256) and `state`, for Google and any OpenID Connect issuer
//! the instance admin configures (with a `nonce`; the ID token is verified against the issuer's
//! published keys: signature, issuer, audience, expiry, nonce), and for GitHub (plain OAuth 2: the
//! person is read from its API with the access token, the address from its verified emails).
//!
//! Who the person is: a provider account (`provider`, the issuer's `sub`) belongs to one person.
//! A first sign-in makes a new account, or, started by a signed-in person (`link`), adds the
//! provider to theirs. An email address is never used to find an existing account: the new
//! account gets the provider's address only when the provider says it is verified and no other
//! account has it.
use chrono::Duration;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{
    check_username, insert_user, issue, load_user, session, AccountError, NewUser, Session,
};
use crate::{
    clock::rfc3339,
    db::sql::{params, Connection, OptionalExtension},
    AppState,
};

/// How long a sign-in may take between leaving for the provider and coming back.
const STATE_MINUTES: i64 = 10;

/// An OpenID Connect provider the instance admin configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthProvider {
    /// `google`, `oidc`: the path segment of its routes.
    pub id: String,
    /// What the sign-in button says.
    pub name: String,
    /// The issuer URL (its `/.well-known/openid-configuration` is read); GitHub's web address.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub protocol: Protocol,
}

/// How a provider says who the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// An ID token, verified against the issuer's keys.
    OpenIdConnect,
    /// GitHub's OAuth 2 (no ID token): its REST API at `api_url` (GitHub Enterprise has its own).
    GitHub { api_url: String },
    /// WeChat's website sign-in (QR code): `issuer` is its web address (`open.weixin.qq.com`),
    /// `api_url` its API (`api.weixin.qq.com`). See [`super::oauth_cn`].
    WeChat { api_url: String },
    /// Feishu's (or Lark's) sign-in: `issuer` is its accounts address, `api_url` its open API.
    Feishu { api_url: String },
}

impl OAuthProvider {
    /// The providers configured in the environment: GitHub (`STORYLOOM_OAUTH_GITHUB_CLIENT_ID`,
    /// `_SECRET`, and `_URL`, `_API_URL` for GitHub Enterprise), WeChat
    /// (`STORYLOOM_OAUTH_WECHAT_CLIENT_ID`, `_SECRET`: the website application's AppID and
    /// AppSecret; `_URL`, `_API_URL`), Feishu (`STORYLOOM_OAUTH_FEISHU_CLIENT_ID`, `_SECRET`: the
    /// app's App ID and App Secret; `_URL`, `_API_URL` for Lark; `_NAME`), Google
    /// (`STORYLOOM_OAUTH_GOOGLE_CLIENT_ID`, `_SECRET`) and any OpenID Connect issuer
    /// (`STORYLOOM_OAUTH_OIDC_ISSUER`, `_CLIENT_ID`, `_SECRET`, and `_NAME` for its button). A
    /// provider without its id and secret is not offered.
    pub fn from_env() -> Vec<OAuthProvider> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mut out = Vec::new();
        if let (Some(id), Some(secret)) = (
            var("STORYLOOM_OAUTH_GITHUB_CLIENT_ID"),
            var("STORYLOOM_OAUTH_GITHUB_CLIENT_SECRET"),
        ) {
            out.push(OAuthProvider {
                id: "github".into(),
                name: "GitHub".into(),
                issuer: var("STORYLOOM_OAUTH_GITHUB_URL")
                    .unwrap_or_else(|| "https://github.com".into()),
                client_id: id,
                client_secret: secret,
                protocol: Protocol::GitHub {
                    api_url: var("STORYLOOM_OAUTH_GITHUB_API_URL")
                        .unwrap_or_else(|| "https://api.github.com".into()),
                },
            });
        }
        if let (Some(id), Some(secret)) = (
            var("STORYLOOM_OAUTH_WECHAT_CLIENT_ID"),
            var("STORYLOOM_OAUTH_WECHAT_CLIENT_SECRET"),
        ) {
            out.push(OAuthProvider {
                id: "wechat".into(),
                name: "微信 WeChat".into(),
                issuer: var("STORYLOOM_OAUTH_WECHAT_URL")
                    .unwrap_or_else(|| "https://open.weixin.qq.com".into()),
                client_id: id,
                client_secret: secret,
                protocol: Protocol::WeChat {
                    api_url: var("STORYLOOM_OAUTH_WECHAT_API_URL")
                        .unwrap_or_else(|| "https://api.weixin.qq.com".into()),
                },
            });
        }
        if let (Some(id), Some(secret)) = (
            var("STORYLOOM_OAUTH_FEISHU_CLIENT_ID"),
            var("STORYLOOM_OAUTH_FEISHU_CLIENT_SECRET"),
        ) {
            out.push(OAuthProvider {
                id: "feishu".into(),
                name: var("STORYLOOM_OAUTH_FEISHU_NAME").unwrap_or_else(|| "飞书 Feishu".into()),
                issuer: var("STORYLOOM_OAUTH_FEISHU_URL")
                    .unwrap_or_else(|| "https://accounts.feishu.cn".into()),
                client_id: id,
                client_secret: secret,
                protocol: Protocol::Feishu {
                    api_url: var("STORYLOOM_OAUTH_FEISHU_API_URL")
                        .unwrap_or_else(|| "https://open.feishu.cn".into()),
                },
            });
        }
        if let (Some(id), Some(secret)) = (
            var("STORYLOOM_OAUTH_GOOGLE_CLIENT_ID"),
            var("STORYLOOM_OAUTH_GOOGLE_CLIENT_SECRET"),
        ) {
            out.push(OAuthProvider {
                id: "google".into(),
                name: "Google".into(),
                issuer: "https://accounts.google.com".into(),
                client_id: id,
                client_secret: secret,
                protocol: Protocol::OpenIdConnect,
            });
        }
        if let (Some(issuer), Some(id), Some(secret)) = (
            var("STORYLOOM_OAUTH_OIDC_ISSUER"),
            var("STORYLOOM_OAUTH_OIDC_CLIENT_ID"),
            var("STORYLOOM_OAUTH_OIDC_CLIENT_SECRET"),
        ) {
            out.push(OAuthProvider {
                id: "oidc".into(),
                name: var("STORYLOOM_OAUTH_OIDC_NAME").unwrap_or_else(|| "Single sign-on".into()),
                issuer,
                client_id: id,
                client_secret: secret,
                protocol: Protocol::OpenIdConnect,
            });
        }
        out
    }
}

/// `GET /auth/oauth/providers`: what the sign-in page offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderInfo {
    pub id: String,
    pub name: String,
}

/// A provider account linked to a person (`GET /auth/oauth/identities`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Identity {
    pub provider: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub created_at: String,
}

/// Why a provider sign-in did not end signed in; `code()` is what the UI's error says.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("no sign-in provider '{0}' is configured here")]
    UnknownProvider(String),
    #[error("this sign-in expired or was not started here: start again")]
    State,
    #[error("the sign-in was cancelled at the provider ({0})")]
    Denied(String),
    #[error("the provider refused the sign-in code: {0}")]
    Exchange(String),
    #[error("the provider's answer could not be verified: {0}")]
    Token(String),
    #[error("the provider cannot be reached: {0}")]
    Unreachable(String),
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl OAuthError {
    /// The short code the UI's sign-in page is sent back with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownProvider(_) => "unknown_provider",
            Self::State => "state",
            Self::Denied(_) => "denied",
            Self::Exchange(_) => "exchange",
            Self::Token(_) => "token",
            Self::Unreachable(_) => "unreachable",
            Self::Account(AccountError::NotActive(_)) => "suspended",
            Self::Account(AccountError::Conflict(_)) => "conflict",
            Self::Account(_) => "account",
        }
    }
}

impl From<crate::db::DbError> for OAuthError {
    fn from(e: crate::db::DbError) -> Self {
        Self::Account(AccountError::from(e))
    }
}

impl From<crate::db::sql::Error> for OAuthError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Account(AccountError::from(crate::db::DbError::from(e)))
    }
}

pub fn providers(state: &AppState) -> Vec<ProviderInfo> {
    state
        .config
        .oauth_providers
        .iter()
        .map(|p| ProviderInfo {
            id: p.id.clone(),
            name: p.name.clone(),
        })
        .collect()
}

fn provider<'a>(state: &'a AppState, id: &str) -> Result<&'a OAuthProvider, OAuthError> {
    state
        .config
        .oauth_providers
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| OAuthError::UnknownProvider(id.to_string()))
}

/// The issuer's endpoints (OpenID Connect discovery).
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

pub(super) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .unwrap_or_default()
}

async fn discover(p: &OAuthProvider) -> Result<Discovery, OAuthError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        p.issuer.trim_end_matches('/')
    );
    let d: Discovery = http()
        .get(&url)
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?
        .error_for_status()
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?
        .json()
        .await
        .map_err(|e| OAuthError::Unreachable(format!("its discovery document: {e}")))?;
    if d.issuer.trim_end_matches('/') != p.issuer.trim_end_matches('/') {
        return Err(OAuthError::Token(format!(
            "the discovery document names issuer '{}', not '{}'",
            d.issuer, p.issuer
        )));
    }
    Ok(d)
}

/// 256 random bits, URL-safe base64 (a PKCE verifier, a `state`, a one-time code).
pub(crate) fn random_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// RFC 7636's S256 challenge of a verifier.
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Where the provider sends the browser back (registered with the provider as the redirect URI).
pub fn callback_url(base_url: &str, provider_id: &str) -> String {
    format!(
        "{}/api/v1/auth/oauth/{provider_id}/callback",
        base_url.trim_end_matches('/')
    )
}

/// Only a path of this app (a hash route) may be returned to, never another site.
pub fn safe_return_to(return_to: Option<&str>) -> String {
    match return_to {
        Some(r) if r.starts_with("/#/") && !r.starts_with("/#//") => r.to_string(),
        _ => "/#/projects".to_string(),
    }
}

/// A desktop signing in through the system browser (RFC 8252): where the browser ends (the
/// desktop's loopback listener) and the challenge of the verifier the desktop keeps.
#[derive(Debug, Clone)]
pub struct DesktopReturn {
    pub redirect: String,
    pub challenge: String,
}

/// Starts a sign-in (or, with `link_user`, adding the provider to that person; with `desktop`,
/// a desktop's): the provider's authorization URL to send the browser to.
#[tracing::instrument(skip(state))]
pub async fn start(
    state: &AppState,
    provider_id: &str,
    base_url: &str,
    return_to: Option<&str>,
    link_user: Option<&str>,
    desktop: Option<DesktopReturn>,
) -> Result<String, OAuthError> {
    let p = provider(state, provider_id)?;
    let (st, verifier, nonce) = (random_token(), random_token(), random_token());
    let redirect_uri = callback_url(base_url, &p.id);
    let url = match &p.protocol {
        Protocol::OpenIdConnect | Protocol::GitHub { .. } => {
            let (authorization_endpoint, scope) = match &p.protocol {
                Protocol::OpenIdConnect => (
                    discover(p).await?.authorization_endpoint,
                    "openid email profile",
                ),
                _ => (
                    format!("{}/login/oauth/authorize", p.issuer.trim_end_matches('/')),
                    "read:user user:email",
                ),
            };
            let mut url = reqwest::Url::parse(&authorization_endpoint)
                .map_err(|e| OAuthError::Unreachable(format!("its authorization endpoint: {e}")))?;
            url.query_pairs_mut()
                .append_pair("response_type", "code")
                .append_pair("client_id", &p.client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("scope", scope)
                .append_pair("state", &st)
                .append_pair("code_challenge", &pkce_challenge(&verifier))
                .append_pair("code_challenge_method", "S256");
            if p.protocol == Protocol::OpenIdConnect {
                url.query_pairs_mut().append_pair("nonce", &nonce);
            }
            url.to_string()
        }
        Protocol::WeChat { .. } => super::oauth_cn::wechat_authorize_url(p, &redirect_uri, &st)?,
        Protocol::Feishu { .. } => super::oauth_cn::feishu_authorize_url(
            p,
            &redirect_uri,
            &st,
            &pkce_challenge(&verifier),
        )?,
    };
    let now = state.clock.now();
    let row = (
        st.clone(),
        p.id.clone(),
        verifier.clone(),
        nonce.clone(),
        safe_return_to(return_to),
        link_user.map(str::to_string),
        rfc3339(now),
        rfc3339(now + Duration::minutes(STATE_MINUTES)),
        desktop,
    );
    state
        .db
        .write(move |c| {
            let (redirect, challenge) = row
                .8
                .map(|d| (Some(d.redirect), Some(d.challenge)))
                .unwrap_or_default();
            c.execute(
                "INSERT INTO oauth_states (state, provider, code_verifier, nonce, return_to,
                     link_user_id, created_at, expires_at, desktop_redirect, desktop_challenge)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, redirect, challenge
                ],
            )?;
            // Abandoned sign-ins go when any new one starts.
            c.execute(
                "DELETE FROM oauth_states WHERE expires_at < ?1",
                params![row.6],
            )?;
            Ok::<_, OAuthError>(())
        })
        .await?;
    Ok(url)
}

/// The sign-in a callback's `state` names, used up (a state works once).
pub(super) struct Pending {
    pub(super) code_verifier: String,
    nonce: String,
    return_to: String,
    link_user_id: Option<String>,
    desktop: Option<DesktopReturn>,
}

fn take_state(
    c: &Connection,
    provider_id: &str,
    st: &str,
    now: &str,
) -> Result<Option<Pending>, crate::db::DbError> {
    let found = c
        .query_row(
            "SELECT code_verifier, nonce, return_to, link_user_id, expires_at, provider,
                 desktop_redirect, desktop_challenge
             FROM oauth_states WHERE state = ?1",
            [st],
            |r| {
                let desktop = match (
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ) {
                    (Some(redirect), Some(challenge)) => Some(DesktopReturn {
                        redirect,
                        challenge,
                    }),
                    _ => None,
                };
                Ok((
                    Pending {
                        code_verifier: r.get(0)?,
                        nonce: r.get(1)?,
                        return_to: r.get(2)?,
                        link_user_id: r.get(3)?,
                        desktop,
                    },
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            },
        )
        .optional()?;
    c.execute("DELETE FROM oauth_states WHERE state = ?1", [st])?;
    Ok(found.and_then(|(p, expires, provider)| {
        (provider == provider_id && expires.as_str() > now).then_some(p)
    }))
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

/// What the ID token (or a platform's user info) says of the person.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Claims {
    pub(super) sub: String,
    pub(super) nonce: Option<String>,
    pub(super) email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_string")]
    pub(super) email_verified: bool,
    pub(super) name: Option<String>,
    pub(super) preferred_username: Option<String>,
}

/// Some issuers send `email_verified` as the string `"true"`.
fn bool_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::String(s) => s == "true",
        _ => false,
    })
}

/// Exchanges the code (with the PKCE verifier) and verifies the ID token it brings.
async fn identity(
    p: &OAuthProvider,
    d: &Discovery,
    code: &str,
    pending: &Pending,
    redirect_uri: &str,
) -> Result<Claims, OAuthError> {
    let answer = http()
        .post(&d.token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", &p.client_id),
            ("client_secret", &p.client_secret),
            ("code_verifier", &pending.code_verifier),
        ])
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    if !answer.status().is_success() {
        let status = answer.status();
        let body = answer.text().await.unwrap_or_default();
        return Err(OAuthError::Exchange(format!(
            "{status}: {}",
            body.chars().take(200).collect::<String>()
        )));
    }
    let tokens: TokenAnswer = answer
        .json()
        .await
        .map_err(|e| OAuthError::Exchange(format!("an unreadable answer: {e}")))?;
    let id_token = tokens
        .id_token
        .ok_or_else(|| OAuthError::Token("no ID token in the answer".into()))?;
    let header = jsonwebtoken::decode_header(&id_token)
        .map_err(|e| OAuthError::Token(format!("the ID token: {e}")))?;
    let keys: jsonwebtoken::jwk::JwkSet = http()
        .get(&d.jwks_uri)
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?
        .json()
        .await
        .map_err(|e| OAuthError::Token(format!("the issuer's keys: {e}")))?;
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None => keys.keys.first(),
    }
    .ok_or_else(|| OAuthError::Token("the ID token's key is not among the issuer's".into()))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk)
        .map_err(|e| OAuthError::Token(format!("the issuer's key: {e}")))?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[&p.client_id]);
    validation.set_issuer(&[&d.issuer, d.issuer.trim_end_matches('/')]);
    let claims = jsonwebtoken::decode::<Claims>(&id_token, &key, &validation)
        .map_err(|e| OAuthError::Token(format!("the ID token: {e}")))?
        .claims;
    if claims.nonce.as_deref() != Some(pending.nonce.as_str()) {
        return Err(OAuthError::Token(
            "the ID token was not made for this sign-in (nonce)".into(),
        ));
    }
    Ok(claims)
}

/// GitHub's person: the code exchanged (GitHub answers a refused code with 200 and an `error`
/// field), then `/user`, and the primary verified address from `/user/emails`.
async fn github_identity(
    p: &OAuthProvider,
    api_url: &str,
    code: &str,
    pending: &Pending,
    redirect_uri: &str,
) -> Result<Claims, OAuthError> {
    #[derive(Deserialize)]
    struct TokenAnswer {
        access_token: Option<String>,
        error: Option<String>,
        error_description: Option<String>,
    }
    #[derive(Deserialize)]
    struct GitHubUser {
        id: u64,
        login: String,
        name: Option<String>,
    }
    #[derive(Deserialize)]
    struct GitHubEmail {
        email: String,
        primary: bool,
        verified: bool,
    }
    let answer: TokenAnswer = http()
        .post(format!(
            "{}/login/oauth/access_token",
            p.issuer.trim_end_matches('/')
        ))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("client_id", p.client_id.as_str()),
            ("client_secret", p.client_secret.as_str()),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pending.code_verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(e.to_string()))?
        .json()
        .await
        .map_err(|e| OAuthError::Exchange(format!("an unreadable answer: {e}")))?;
    let token = match (answer.access_token, answer.error) {
        (Some(token), None) => token,
        (_, error) => {
            return Err(OAuthError::Exchange(
                answer
                    .error_description
                    .or(error)
                    .unwrap_or_else(|| "no access token".into()),
            ))
        }
    };
    let api = api_url.trim_end_matches('/');
    let get = |path: &str| {
        http()
            .get(format!("{api}{path}"))
            .bearer_auth(&token)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header(reqwest::header::USER_AGENT, "Storyloom")
            .send()
    };
    let read = |e: reqwest::Error| OAuthError::Token(format!("GitHub's answer: {e}"));
    let user: GitHubUser = get("/user")
        .await
        .and_then(|r| r.error_for_status())
        .map_err(read)?
        .json()
        .await
        .map_err(read)?;
    let emails: Vec<GitHubEmail> = get("/user/emails")
        .await
        .and_then(|r| r.error_for_status())
        .map_err(read)?
        .json()
        .await
        .map_err(read)?;
    let email = emails.into_iter().find(|e| e.primary);
    Ok(Claims {
        sub: user.id.to_string(),
        nonce: None,
        email_verified: email.as_ref().is_some_and(|e| e.verified),
        email: email.map(|e| e.email),
        name: user.name,
        preferred_username: Some(user.login),
    })
}

/// What a finished sign-in gives.
pub enum Finished {
    /// The browser is signed in: its session, and the app's page to end on.
    Browser {
        session: Box<Session>,
        return_to: String,
    },
    /// A desktop's sign-in: the browser goes on to the desktop's loopback address, carrying a
    /// one-time code only the desktop (holding the verifier) can exchange for a session.
    Desktop { redirect: String },
}

/// How long a desktop has to exchange its one-time code.
const HANDOFF_SECONDS: i64 = 120;

/// The provider sent the browser back: the code is exchanged, the ID token verified, and the
/// person signed in (made, or linked, on a first sign-in).
#[tracing::instrument(skip(state, code, st, error))]
pub async fn finish(
    state: &AppState,
    provider_id: &str,
    base_url: &str,
    code: Option<&str>,
    st: Option<&str>,
    error: Option<&str>,
) -> Result<Finished, OAuthError> {
    let p = provider(state, provider_id)?.clone();
    let (pid, st_owned, now) = (
        p.id.clone(),
        st.unwrap_or_default().to_string(),
        rfc3339(state.clock.now()),
    );
    // The state is used up whatever happens next: a replayed callback finds nothing.
    let pending = state
        .db
        .write(move |c| take_state(c, &pid, &st_owned, &now))
        .await?
        .ok_or(OAuthError::State)?;
    let desktop = pending.desktop.clone();
    match complete(state, p, provider_id, base_url, code, error, pending).await {
        // A desktop's sign-in that failed ends at the desktop too, saying why.
        Err(e) => match desktop {
            Some(d) => {
                tracing::warn!(error = %e, "a desktop's provider sign-in failed");
                let glue = if d.redirect.contains('?') { '&' } else { '?' };
                let message: String =
                    form_urlencoded::byte_serialize(e.to_string().as_bytes()).collect();
                Ok(Finished::Desktop {
                    redirect: format!("{}{glue}error={}&message={message}", d.redirect, e.code()),
                })
            }
            None => Err(e),
        },
        done => done,
    }
}

async fn complete(
    state: &AppState,
    p: OAuthProvider,
    provider_id: &str,
    base_url: &str,
    code: Option<&str>,
    error: Option<&str>,
    pending: Pending,
) -> Result<Finished, OAuthError> {
    if let Some(e) = error {
        return Err(OAuthError::Denied(e.chars().take(100).collect()));
    }
    let code = code.ok_or_else(|| OAuthError::Exchange("no code".into()))?;
    let redirect_uri = callback_url(base_url, &p.id);
    let claims = match &p.protocol {
        Protocol::OpenIdConnect => {
            let d = discover(&p).await?;
            identity(&p, &d, code, &pending, &redirect_uri).await?
        }
        Protocol::GitHub { api_url } => {
            github_identity(&p, api_url, code, &pending, &redirect_uri).await?
        }
        Protocol::WeChat { api_url } => super::oauth_cn::wechat_identity(&p, api_url, code).await?,
        Protocol::Feishu { api_url } => {
            super::oauth_cn::feishu_identity(&p, api_url, code, &pending, &redirect_uri).await?
        }
    };
    let (st, at) = (state.clone(), state.clock.now());
    let link = pending.link_user_id.clone();
    if let Some(desktop) = pending.desktop {
        // The person is found (or made) now; the session is made when the desktop comes with
        // its verifier.
        let handoff = random_token();
        let (hash, challenge) = (
            hex::encode(Sha256::digest(handoff.as_bytes())),
            desktop.challenge,
        );
        let user_id = state
            .db
            .write(move |tx| {
                let user_id = person_in_tx(&st, tx, &p.id, &claims, link.as_deref(), at)?;
                tx.execute(
                    "DELETE FROM oauth_handoffs WHERE expires_at < ?1",
                    [rfc3339(at)],
                )?;
                tx.execute(
                    "INSERT INTO oauth_handoffs (code_hash, user_id, challenge, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        hash,
                        user_id,
                        challenge,
                        rfc3339(at),
                        rfc3339(at + Duration::seconds(HANDOFF_SECONDS))
                    ],
                )?;
                Ok::<_, OAuthError>(user_id)
            })
            .await?;
        tracing::info!(provider = %provider_id, user = %user_id, "a desktop's sign-in handed back");
        let glue = if desktop.redirect.contains('?') {
            '&'
        } else {
            '?'
        };
        return Ok(Finished::Desktop {
            redirect: format!("{}{glue}code={handoff}", desktop.redirect),
        });
    }
    let session = state
        .db
        .write(move |tx| {
            let user_id = person_in_tx(&st, tx, &p.id, &claims, link.as_deref(), at)?;
            let tokens = issue(&st, tx, &user_id, None)?;
            Ok::<_, OAuthError>(session(load_user(tx, &user_id, at)?, tokens))
        })
        .await?;
    tracing::info!(provider = %provider_id, user = %session.user.id, "signed in with a provider");
    Ok(Finished::Browser {
        session: Box::new(session),
        return_to: pending.return_to,
    })
}

/// Checks a desktop's loopback address and challenge (RFC 8252, 7.3: `http`, a loopback host,
/// a port; RFC 7636: a 43-character S256 challenge).
pub fn desktop_return(
    redirect: &str,
    challenge: &str,
) -> Result<DesktopReturn, (&'static str, String)> {
    let url = reqwest::Url::parse(redirect).map_err(|_| {
        (
            "desktop_redirect",
            "desktop_redirect is not a URL".to_string(),
        )
    })?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if url.scheme() != "http"
        || !loopback
        || url.port().is_none()
        || !url.username().is_empty()
        || url.fragment().is_some()
    {
        return Err((
            "desktop_redirect",
            "desktop_redirect must be http://127.0.0.1:<port>/… (the desktop's own loopback address)"
                .into(),
        ));
    }
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err((
            "desktop_challenge",
            "desktop_challenge must be an S256 PKCE challenge (43 base64url characters)".into(),
        ));
    }
    Ok(DesktopReturn {
        redirect: redirect.to_string(),
        challenge: challenge.to_string(),
    })
}

/// A desktop exchanges its one-time code and the verifier of its challenge for a session. The
/// code works once, for two minutes, and only with the right verifier.
#[tracing::instrument(skip_all)]
pub async fn desktop_session(
    state: &AppState,
    code: &str,
    verifier: &str,
) -> Result<Session, OAuthError> {
    let hash = hex::encode(Sha256::digest(code.as_bytes()));
    let challenge = pkce_challenge(verifier);
    let (st, at) = (state.clone(), state.clock.now());
    let session = state
        .db
        .write(move |tx| {
            let found: Option<(String, String, String)> = tx
                .query_row(
                    "SELECT user_id, challenge, expires_at FROM oauth_handoffs WHERE code_hash = ?1",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            // Used up whatever happens next: a second try with the same code finds nothing.
            tx.execute("DELETE FROM oauth_handoffs WHERE code_hash = ?1", [&hash])?;
            let Some((user_id, expected, expires_at)) = found else {
                return Err(OAuthError::State);
            };
            if expires_at <= rfc3339(at) || expected != challenge {
                return Err(OAuthError::State);
            }
            let status: String =
                tx.query_row("SELECT status FROM users WHERE id = ?1", [&user_id], |r| {
                    r.get(0)
                })?;
            if status != "active" {
                return Err(AccountError::NotActive(status).into());
            }
            let tokens = issue(&st, tx, &user_id, None)?;
            Ok(session(load_user(tx, &user_id, at)?, tokens))
        })
        .await?;
    tracing::info!(user = %session.user.id, "a desktop signed in through the browser");
    Ok(session)
}

/// The person a provider account signs in: found, linked to `link_user`, or made; refused when
/// the account is not active.
fn person_in_tx(
    state: &AppState,
    tx: &crate::db::sql::Transaction<'_>,
    provider: &str,
    claims: &Claims,
    link_user: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<String, OAuthError> {
    let now = rfc3339(at);
    let known: Option<String> = tx
        .query_row(
            "SELECT user_id FROM oauth_identities WHERE provider = ?1 AND subject = ?2",
            params![provider, claims.sub],
            |r| r.get(0),
        )
        .optional()?;
    let user_id = match (known, link_user) {
        (Some(owner), Some(me)) if owner != me => {
            return Err(AccountError::Conflict(
                "this provider account already signs in another person".into(),
            )
            .into())
        }
        (Some(owner), _) => owner,
        (None, Some(me)) => {
            insert_identity(tx, provider, claims, me, &now)?;
            me.to_string()
        }
        (None, None) => {
            let id = state.ids.new_id().to_string();
            // An address is only kept when the provider vouches for it and nobody has it: it is
            // never a way into an existing account.
            let email = claims
                .email
                .as_deref()
                .filter(|_| claims.email_verified)
                .and_then(|e| super::check_email(e).ok())
                .filter(|e| {
                    !tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)",
                        [e],
                        |r| r.get::<_, bool>(0),
                    )
                    .unwrap_or(true)
                });
            let username = free_username(tx, claims)?;
            insert_user(
                tx,
                &NewUser {
                    id: &id,
                    username: &username,
                    email: email.as_deref(),
                    display_name: claims.name.as_deref(),
                    password_hash: None,
                    // The instance's admin is made with a password (or the CLI), never by a provider.
                    is_admin: false,
                },
                &now,
            )?;
            insert_identity(tx, provider, claims, &id, &now)?;
            id
        }
    };
    let status: String =
        tx.query_row("SELECT status FROM users WHERE id = ?1", [&user_id], |r| {
            r.get(0)
        })?;
    if status != "active" {
        return Err(AccountError::NotActive(status).into());
    }
    Ok(user_id)
}

fn insert_identity(
    tx: &Connection,
    provider: &str,
    claims: &Claims,
    user_id: &str,
    now: &str,
) -> Result<(), crate::db::DbError> {
    tx.execute(
        "INSERT INTO oauth_identities (provider, subject, user_id, email, email_verified, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            provider,
            claims.sub,
            user_id,
            claims.email,
            i64::from(claims.email_verified),
            now
        ],
    )?;
    Ok(())
}

/// A username for a new account: the provider's preferred name, else the address's local part,
/// else the display name, made valid and unique with a number when taken.
fn free_username(tx: &Connection, claims: &Claims) -> Result<String, AccountError> {
    let wanted = claims
        .preferred_username
        .clone()
        .or_else(|| {
            claims
                .email
                .as_deref()
                .and_then(|e| e.split('@').next())
                .map(str::to_string)
        })
        .or_else(|| claims.name.clone())
        .unwrap_or_else(|| "member".into());
    let base: String = wanted
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(24)
        .collect();
    let base = if base.chars().count() < 3 {
        format!("member{base}")
    } else {
        base
    };
    for n in 0..1000 {
        let candidate = if n == 0 {
            base.clone()
        } else {
            format!("{base}{n}")
        };
        let Ok(name) = check_username(&candidate) else {
            continue;
        };
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower(?1))",
            [&name],
            |r| r.get(0),
        )?;
        if !taken {
            return Ok(name);
        }
    }
    Err(AccountError::Conflict("no free username".into()))
}

/// The provider accounts linked to a person.
pub async fn identities(state: &AppState, user_id: &str) -> Result<Vec<Identity>, AccountError> {
    let id = user_id.to_string();
    state
        .db
        .read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT provider, email, email_verified, created_at FROM oauth_identities
                 WHERE user_id = ?1 ORDER BY created_at, provider",
            )?;
            let rows = stmt
                .query_map([&id], |r| {
                    Ok(Identity {
                        provider: r.get(0)?,
                        email: r.get(1)?,
                        email_verified: r.get::<_, i64>(2)? != 0,
                        created_at: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_apps_routes_are_returned_to() {
        assert_eq!(safe_return_to(Some("/#/projects/1")), "/#/projects/1");
        for bad in [
            "https://evil.example/#/x",
            "//evil.example/#/x",
            "/#//evil",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/#/projects", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/#/projects");
    }

    #[test]
    fn the_pkce_challenge_is_rfc_7636s_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
