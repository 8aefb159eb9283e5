//! The desktop's link to a team server (issue 7): sign in with a server URL, a username and a
//! password; keep the refresh token (with the server URL and username) in the OS keyring or the
//! encrypted file ([`secrets`]); keep the access token in memory only; check the connection on
//! request; sign out.
//!
//! Nothing here stands in the way of local work: no server call happens at start-up or on any
//! request but the four `/api/v1/remote/...` ones, status reads are local, and the connection's
//! own lock is never held by anything else.
pub mod browser;
pub mod payments;
pub mod secrets;
pub mod team_models;

use crate::error::{CodedError, ErrorCode};
use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use secrets::{SecretError, SecretStorageKind, SecretStore, SecretStoreChoice};

use crate::clock::{rfc3339, Clock};

/// The secret (a JSON [`StoredSession`]) the session is kept under.
pub const SESSION_SECRET: &str = "team-session";

/// The team-server link settings of [`crate::config::Config`].
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// Where the session's secrets go (`STORYLOOM_SECRET_STORE`).
    pub secret_store: SecretStoreChoice,
    /// The whole time one request to the server may take.
    pub timeout: Duration,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        Self {
            secret_store: SecretStoreChoice::Auto,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The body of a call to the team server.
#[derive(Debug, Clone)]
pub enum RequestBody {
    None,
    Json(serde_json::Value),
    Bytes(bytes::Bytes),
}

/// What the desktop keeps about its sign-in (in the secret store, never in the database).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredSession {
    pub server_url: String,
    pub username: String,
    #[serde(default)]
    pub user_id: Option<String>,
    /// None once the server refused it (the session expired): the URL and name stay, to sign in again.
    #[serde(default)]
    pub refresh_token: Option<String>,
    pub signed_in_at: String,
}

/// The connection's state, as the UI's badge shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// No team server: the app works locally (the normal, offline case).
    SignedOut,
    /// Signed in; the last check (or the sign-in) reached the server and it took the session.
    Connected,
    /// Signed in, but the last check could not reach the server. Local work goes on.
    Unreachable,
    /// The server no longer takes the session (revoked, expired, password changed): sign in again.
    SessionExpired,
}

/// `GET /api/v1/remote/connection`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionStatus {
    pub state: ConnectionState,
    /// The team server's base URL, e.g. `https://team.example.com`.
    pub server_url: Option<String>,
    /// The username on that server.
    pub username: Option<String>,
    /// The person's id on that server (also their personal workspace's id: what a project links
    /// to by default).
    pub user_id: Option<String>,
    /// When the server was last reached or tried (RFC 3339); null when not since the app started.
    pub checked_at: Option<String>,
    /// Where the refresh token is kept.
    pub secret_storage: SecretStorageKind,
    /// The keyring service or the encrypted file's path.
    pub secret_storage_location: String,
    /// Why the encrypted file is used instead of the OS keyring, when it is.
    pub secret_storage_notice: Option<String>,
    /// What the state means, for people.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("cannot reach the team server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// `reason`: the server's own words when they say more than "wrong password" (a suspended account).
    #[error("the server rejected the username or password{}", reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Rejected { reason: Option<String> },
    #[error("the team server at {url} is rate limiting sign-ins; try again in {retry_after} s")]
    RateLimited { url: String, retry_after: u64 },
    #[error("the team server at {url} answered unexpectedly: {message}")]
    Upstream { url: String, message: String },
    #[error("{0}")]
    Storage(#[from] SecretError),
    #[error("{0}")]
    Internal(String),
}

impl CodedError for RemoteError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::Rejected { .. } => ErrorCode::AuthInvalid,
            Self::Unreachable { .. } | Self::Upstream { .. } => ErrorCode::UpstreamFailed,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Storage(_) => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Storage(_) => format!("the sign-in could not be kept: {self}"),
            _ => self.to_string(),
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

struct Store {
    store: Arc<dyn SecretStore>,
    notice: Option<String>,
}

#[derive(Default)]
struct Snapshot {
    loaded: bool,
    session: Option<StoredSession>,
    /// In memory only: a restart signs in again with the refresh token.
    access_token: Option<String>,
    /// The outcome of the last sign-in or check since start (None: not checked yet).
    last: Option<ConnectionState>,
    checked_at: Option<String>,
    message: Option<String>,
    load_error: Option<String>,
}

/// The connection service; one per process, in [`crate::AppState::remote`].
pub struct Remote {
    config: RemoteConfig,
    data_dir: PathBuf,
    store: tokio::sync::OnceCell<Store>,
    http: tokio::sync::OnceCell<reqwest::Client>,
    /// Serialises sign-in, check and sign-out (a refresh token may be used once only).
    op: tokio::sync::Mutex<()>,
    snap: Mutex<Snapshot>,
    /// A sign-in through the system browser, under way or last made ([`browser`]).
    browser: Mutex<Option<browser::Attempt>>,
}

impl Remote {
    /// Cheap: no I/O until the first `/remote` request (the keyring is probed then, once).
    pub fn new(config: RemoteConfig, data_dir: PathBuf) -> Self {
        Self {
            config,
            data_dir,
            store: tokio::sync::OnceCell::new(),
            http: tokio::sync::OnceCell::new(),
            op: tokio::sync::Mutex::new(()),
            snap: Mutex::new(Snapshot::default()),
            browser: Mutex::new(None),
        }
    }

    fn snap(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.snap.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn store(&self) -> &Store {
        self.store
            .get_or_init(|| async {
                let chosen = secrets::choose(self.config.secret_store, &self.data_dir).await;
                Store {
                    store: Arc::from(chosen.store),
                    notice: chosen.notice,
                }
            })
            .await
    }

    /// The secret store in use (tests read the stored session through it).
    pub async fn secret_store(&self) -> Arc<dyn SecretStore> {
        self.store().await.store.clone()
    }

    async fn http(&self) -> Result<&reqwest::Client, RemoteError> {
        let timeout = self.config.timeout;
        self.http
            .get_or_try_init(|| async move {
                reqwest::Client::builder()
                    .timeout(timeout)
                    .connect_timeout(timeout.min(Duration::from_secs(5)))
                    // Credentials are never sent on to wherever a redirect points.
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("storyloom-desktop/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| {
                        RemoteError::Internal(format!("cannot build the HTTP client: {e}"))
                    })
            })
            .await
    }

    /// Reads the stored session once (later reads come from memory).
    async fn ensure_loaded(&self) {
        let store = self.store().await.store.clone();
        if self.snap().loaded {
            return;
        }
        let loaded = run_blocking(move || store.get(SESSION_SECRET)).await;
        let mut s = self.snap();
        if s.loaded {
            return;
        }
        s.loaded = true;
        match loaded {
            Ok(Some(json)) => match serde_json::from_str::<StoredSession>(&json) {
                Ok(session) => s.session = Some(session),
                Err(e) => s.load_error = Some(format!("the stored session is unreadable ({e})")),
            },
            Ok(None) => {}
            Err(e) => s.load_error = Some(e.to_string()),
        }
    }

    async fn save_session(&self, session: &StoredSession) -> Result<(), RemoteError> {
        let store = self.store().await.store.clone();
        let json =
            serde_json::to_string(session).map_err(|e| RemoteError::Internal(e.to_string()))?;
        run_blocking(move || store.set(SESSION_SECRET, &json)).await?;
        Ok(())
    }

    /// The connection as last known. Local only: never calls the server.
    #[tracing::instrument(skip_all)]
    pub async fn status(&self) -> ConnectionStatus {
        self.ensure_loaded().await;
        let store = self.store().await;
        let s = self.snap();
        let (state, message) = match &s.session {
            None => (
                ConnectionState::SignedOut,
                match &s.load_error {
                    Some(e) => {
                        format!("Not signed in to a team server ({e}). Everything works offline.")
                    }
                    None => s.message.clone().unwrap_or_else(|| {
                        "Not signed in to a team server. Everything works offline.".into()
                    }),
                },
            ),
            Some(sess) if sess.refresh_token.is_none() => (
                ConnectionState::SessionExpired,
                s.message.clone().unwrap_or_else(|| {
                    format!(
                        "The session on {} has ended; sign in again. Local work goes on.",
                        host_of(&sess.server_url)
                    )
                }),
            ),
            Some(sess) => {
                let state = s.last.unwrap_or(ConnectionState::Connected);
                let message = match (s.last, &s.message) {
                    (Some(_), Some(m)) => m.clone(),
                    _ => format!(
                        "Signed in to {} as {}; not checked since the app started.",
                        host_of(&sess.server_url),
                        sess.username
                    ),
                };
                (state, message)
            }
        };
        ConnectionStatus {
            state,
            server_url: s.session.as_ref().map(|x| x.server_url.clone()),
            username: s.session.as_ref().map(|x| x.username.clone()),
            user_id: s.session.as_ref().and_then(|x| x.user_id.clone()),
            checked_at: s.checked_at.clone(),
            secret_storage: store.store.kind(),
            secret_storage_location: store.store.location(),
            secret_storage_notice: store.notice.clone(),
            message,
        }
    }

    /// Signs in to the server at `server_url`; on success the refresh token is stored and the
    /// access token kept in memory. Fails without changing the current session.
    #[tracing::instrument(skip(self, password, clock))]
    pub async fn sign_in(
        &self,
        server_url: Option<String>,
        username: Option<String>,
        password: Option<String>,
        clock: &dyn Clock,
    ) -> Result<ConnectionStatus, RemoteError> {
        let base = normalize_server_url(server_url.as_deref().unwrap_or(""))?;
        let username = username.unwrap_or_default().trim().to_string();
        if username.is_empty() {
            return Err(invalid("username", "username is required"));
        }
        if username.chars().count() > 254 {
            return Err(invalid(
                "username",
                "username must be at most 254 characters",
            ));
        }
        let password = password.unwrap_or_default();
        if password.is_empty() {
            return Err(invalid("password", "password is required"));
        }
        if password.len() > 1024 {
            return Err(invalid("password", "password must be at most 1024 bytes"));
        }
        self.ensure_loaded().await;
        let http = self.http().await?;
        let _op = self.op.lock().await;

        let url = format!("{base}/api/v1/auth/login");
        let res = http
            .post(&url)
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .map_err(|e| unreachable(&base, &e, self.config.timeout))?;
        let status = res.status();
        let session = match status {
            s if s.is_success() => read_session(&base, res).await?,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                let reason = server_error(res)
                    .await
                    .detail
                    .filter(|d| !d.contains("wrong username or password"));
                return Err(RemoteError::Rejected { reason });
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = server_error(res).await.retry_after.unwrap_or(60);
                return Err(RemoteError::RateLimited {
                    url: base,
                    retry_after,
                });
            }
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
                return Err(RemoteError::Upstream {
                    url: base,
                    message: "it has no /api/v1/auth/login: is this a Storyloom team server?"
                        .into(),
                })
            }
            s if s.is_redirection() => {
                let to = res
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("elsewhere")
                    .to_string();
                return Err(RemoteError::Upstream {
                    url: base,
                    message: format!("it redirects to {to}; use the server's real address"),
                });
            }
            s => {
                let detail = server_error(res).await.detail;
                return Err(RemoteError::Upstream {
                    url: base,
                    message: format!(
                        "HTTP {}{}",
                        s.as_u16(),
                        detail.map(|d| format!(": {d}")).unwrap_or_default()
                    ),
                });
            }
        };
        self.adopt(&base, session, clock).await
    }

    /// Keeps a session the server gave (the refresh token stored, the access token in memory).
    async fn adopt(
        &self,
        base: &str,
        session: Fresh,
        clock: &dyn Clock,
    ) -> Result<ConnectionStatus, RemoteError> {
        let base = base.to_string();
        let stored = StoredSession {
            server_url: base.clone(),
            username: session.username.clone(),
            user_id: session.user_id.clone(),
            refresh_token: Some(session.refresh_token.clone()),
            signed_in_at: rfc3339(clock.now()),
        };
        self.save_session(&stored).await?;
        {
            let mut s = self.snap();
            s.message = Some(format!(
                "Connected to {} as {}.",
                host_of(&base),
                stored.username
            ));
            s.session = Some(stored);
            s.access_token = Some(session.access_token);
            s.last = Some(ConnectionState::Connected);
            s.checked_at = Some(rfc3339(clock.now()));
            s.load_error = None;
        }
        Ok(self.status().await)
    }

    /// Asks the server whether it is there and still takes the session: `GET /health`, then
    /// `GET /api/v1/auth/me`; on a 401 (or with no access token since start) the stored refresh
    /// token is exchanged once, and the rotated one stored. A refused refresh ends the session
    /// (`session_expired`); a server that cannot be reached is `unreachable`, never an error.
    #[tracing::instrument(skip_all)]
    pub async fn check(&self, clock: &dyn Clock) -> Result<ConnectionStatus, RemoteError> {
        self.ensure_loaded().await;
        let http = self.http().await?;
        let _op = self.op.lock().await;
        let (session, access) = {
            let s = self.snap();
            (s.session.clone(), s.access_token.clone())
        };
        let Some(mut session) = session else {
            return Ok(self.status().await);
        };
        let Some(refresh_token) = session.refresh_token.clone() else {
            return Ok(self.status().await);
        };
        let base = session.server_url.clone();
        let timeout = self.config.timeout;
        let mark = |state: ConnectionState, message: String| {
            let mut s = self.snap();
            s.last = Some(state);
            s.message = Some(message);
            s.checked_at = Some(rfc3339(clock.now()));
        };
        let unreachable_msg = |reason: &str| {
            format!(
                "Cannot reach {base}: {reason}. Local work goes on; check again when the server is back."
            )
        };

        match http.get(format!("{base}/health")).send().await {
            Ok(r) if r.status().is_server_error() => {
                mark(
                    ConnectionState::Unreachable,
                    unreachable_msg(&format!(
                        "its health check answered HTTP {}",
                        r.status().as_u16()
                    )),
                );
                return Ok(self.status().await);
            }
            Ok(_) => {}
            Err(e) => {
                mark(
                    ConnectionState::Unreachable,
                    unreachable_msg(&reason(&e, timeout)),
                );
                return Ok(self.status().await);
            }
        }

        if let Some(token) = access {
            match http
                .get(format!("{base}/api/v1/auth/me"))
                .bearer_auth(&token)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    if let Ok(me) = r.json::<UserAnswer>().await {
                        if me.username != session.username {
                            session.username = me.username;
                            self.save_session(&session).await?;
                            self.snap().session = Some(session.clone());
                        }
                    }
                    mark(
                        ConnectionState::Connected,
                        format!("Connected to {} as {}.", host_of(&base), session.username),
                    );
                    return Ok(self.status().await);
                }
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED => {}
                Ok(r) => {
                    mark(
                        ConnectionState::Unreachable,
                        unreachable_msg(&format!(
                            "it answered HTTP {} to /api/v1/auth/me",
                            r.status().as_u16()
                        )),
                    );
                    return Ok(self.status().await);
                }
                Err(e) => {
                    mark(
                        ConnectionState::Unreachable,
                        unreachable_msg(&reason(&e, timeout)),
                    );
                    return Ok(self.status().await);
                }
            }
        }

        // The access token expired (or none since start): exchange the refresh token, once.
        let res = match http
            .post(format!("{base}/api/v1/auth/refresh"))
            .json(&serde_json::json!({ "refresh_token": refresh_token }))
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                mark(
                    ConnectionState::Unreachable,
                    unreachable_msg(&reason(&e, timeout)),
                );
                return Ok(self.status().await);
            }
        };
        match res.status() {
            s if s.is_success() => {
                let fresh = read_session(&base, res).await?;
                session.refresh_token = Some(fresh.refresh_token);
                session.username = fresh.username;
                // Stored before anything else: the old token is used up on the server now.
                self.save_session(&session).await?;
                {
                    let mut s = self.snap();
                    s.session = Some(session.clone());
                    s.access_token = Some(fresh.access_token);
                }
                mark(
                    ConnectionState::Connected,
                    format!("Connected to {} as {}.", host_of(&base), session.username),
                );
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                let detail = server_error(res)
                    .await
                    .detail
                    .unwrap_or_else(|| "the refresh token was refused".into());
                session.refresh_token = None;
                self.save_session(&session).await?;
                {
                    let mut s = self.snap();
                    s.session = Some(session.clone());
                    s.access_token = None;
                }
                mark(
                    ConnectionState::SessionExpired,
                    format!(
                        "{} ended this session ({detail}). Sign in again; local work goes on.",
                        host_of(&base)
                    ),
                );
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = server_error(res).await.retry_after.unwrap_or(60);
                mark(
                    ConnectionState::Unreachable,
                    unreachable_msg(&format!("it is rate limiting; try again in {wait} s")),
                );
            }
            s => {
                mark(
                    ConnectionState::Unreachable,
                    unreachable_msg(&format!(
                        "it answered HTTP {} to /api/v1/auth/refresh",
                        s.as_u16()
                    )),
                );
            }
        }
        Ok(self.status().await)
    }

    /// Calls the team server as the signed-in person: `method path` (with a JSON body), with the
    /// access token in memory, or a fresh one from [`Remote::check`] when there is none or it has
    /// expired. Answers the status and the JSON body.
    #[tracing::instrument(skip(self, clock, body))]
    pub async fn call_as_person(
        &self,
        clock: &dyn Clock,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(StatusCode, serde_json::Value), RemoteError> {
        let body = match body {
            Some(b) => RequestBody::Json(b),
            None => RequestBody::None,
        };
        let (status, bytes) = self.send_as_person(clock, method, path, body).await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }

    /// [`Remote::call_as_person`] with any body, answering the body's bytes (sync's blobs).
    pub async fn send_as_person(
        &self,
        clock: &dyn Clock,
        method: reqwest::Method,
        path: &str,
        body: RequestBody,
    ) -> Result<(StatusCode, bytes::Bytes), RemoteError> {
        self.send_keyed(clock, method, path, body, None).await
    }

    /// A JSON POST that may be sent again safely: the server answers a repeat with the same
    /// `Idempotency-Key` with what the first one made (the desktop's queued shares).
    pub async fn post_idempotent(
        &self,
        clock: &dyn Clock,
        path: &str,
        body: serde_json::Value,
        key: &str,
    ) -> Result<(StatusCode, serde_json::Value), RemoteError> {
        let (status, bytes) = self
            .send_keyed(
                clock,
                reqwest::Method::POST,
                path,
                RequestBody::Json(body),
                Some(key),
            )
            .await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }

    #[tracing::instrument(skip(self, clock, body))]
    async fn send_keyed(
        &self,
        clock: &dyn Clock,
        method: reqwest::Method,
        path: &str,
        body: RequestBody,
        idempotency_key: Option<&str>,
    ) -> Result<(StatusCode, bytes::Bytes), RemoteError> {
        self.ensure_loaded().await;
        let http = self.http().await?.clone();
        let mut refreshed = false;
        loop {
            let (base, access) = {
                let s = self.snap();
                (
                    s.session.as_ref().map(|x| x.server_url.clone()),
                    s.access_token.clone(),
                )
            };
            let Some(base) = base else {
                return Err(invalid("server_url", "not signed in to a team server"));
            };
            let access = match access {
                Some(a) => a,
                None if !refreshed => {
                    refreshed = true;
                    self.check(clock).await?;
                    continue;
                }
                None => return Err(RemoteError::Rejected { reason: None }),
            };
            let mut request = http.request(method.clone(), format!("{base}{path}"));
            if let Some(key) = idempotency_key {
                request = request.header("idempotency-key", key);
            }
            match &body {
                RequestBody::None => {}
                RequestBody::Json(b) => request = request.json(b),
                RequestBody::Bytes(b) => {
                    request = request
                        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                        .timeout(upload_timeout(self.config.timeout, b.len()))
                        .body(b.clone())
                }
            }
            let res = request
                .bearer_auth(&access)
                .send()
                .await
                .map_err(|e| unreachable(&base, &e, self.config.timeout))?;
            if res.status() == StatusCode::UNAUTHORIZED && !refreshed {
                // Expired: the next turn exchanges the refresh token once.
                self.snap().access_token = None;
                continue;
            }
            let status = res.status();
            let bytes = res
                .bytes()
                .await
                .map_err(|e| unreachable(&base, &e, self.config.timeout))?;
            return Ok((status, bytes));
        }
    }

    /// The signed-in server's address, if any.
    pub async fn server_url(&self) -> Option<String> {
        self.ensure_loaded().await;
        self.snap().session.as_ref().map(|s| s.server_url.clone())
    }

    /// Signs out: tells the server (best effort, briefly) to revoke the session, then deletes the
    /// stored secrets whether or not the server could be reached.
    #[tracing::instrument(skip_all)]
    pub async fn sign_out(&self) -> Result<ConnectionStatus, RemoteError> {
        self.ensure_loaded().await;
        let _op = self.op.lock().await;
        let (session, access) = {
            let s = self.snap();
            (s.session.clone(), s.access_token.clone())
        };
        let Some(session) = session else {
            let store = self.store().await.store.clone();
            // A session file that could not be read is removed too.
            run_blocking(move || store.delete(SESSION_SECRET)).await?;
            {
                let mut s = self.snap();
                s.load_error = None;
                s.message = None;
            }
            return Ok(self.status().await);
        };
        let host = host_of(&session.server_url);
        let told = match session.refresh_token.as_deref() {
            None => Ok(()),
            Some(rt) => match self.http().await {
                Ok(http) => revoke_on_server(http, &session.server_url, access, rt).await,
                Err(e) => Err(e.to_string()),
            },
        };
        let store = self.store().await.store.clone();
        run_blocking(move || store.delete(SESSION_SECRET)).await?;
        {
            let mut s = self.snap();
            *s = Snapshot {
                loaded: true,
                message: Some(match told {
                    Ok(()) => format!("Signed out of {host}. Everything works offline."),
                    Err(why) => format!(
                        "Signed out of {host} on this computer; the server could not be told ({why}), so that session stays valid there until it expires. Everything works offline."
                    ),
                }),
                ..Snapshot::default()
            };
        }
        Ok(self.status().await)
    }
}

/// Revokes the session on the server: `POST /auth/logout` with the access token (exchanging the
/// refresh token for one first when there is none in memory). Bounded to a few seconds.
async fn revoke_on_server(
    http: &reqwest::Client,
    base: &str,
    access: Option<String>,
    refresh_token: &str,
) -> Result<(), String> {
    let quick = Duration::from_secs(5);
    let (access, refresh_token) = match access {
        Some(a) => (a, refresh_token.to_string()),
        None => {
            let r = http
                .post(format!("{base}/api/v1/auth/refresh"))
                .timeout(quick)
                .json(&serde_json::json!({ "refresh_token": refresh_token }))
                .send()
                .await
                .map_err(|e| reason(&e, quick))?;
            if r.status() == StatusCode::UNAUTHORIZED {
                return Ok(()); // already ended there
            }
            if !r.status().is_success() {
                return Err(format!("HTTP {}", r.status().as_u16()));
            }
            let s = read_session(base, r).await.map_err(|e| e.to_string())?;
            (s.access_token, s.refresh_token)
        }
    };
    let r = http
        .post(format!("{base}/api/v1/auth/logout"))
        .timeout(quick)
        .bearer_auth(access)
        .json(&serde_json::json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .map_err(|e| reason(&e, quick))?;
    if r.status().is_success() || r.status() == StatusCode::UNAUTHORIZED {
        Ok(())
    } else {
        Err(format!("HTTP {}", r.status().as_u16()))
    }
}

/// The slowest upload rate a file's request allows for (256 KiB/s), on top of the usual timeout.
const SLOWEST_UPLOAD_BYTES_PER_SEC: u64 = 256 * 1024;

/// How long one upload of `bytes` may take: the usual request timeout, plus the time the body
/// takes at the slowest rate allowed. A whole exported video travels in one request (sync's blob
/// upload), which the 10 s meant for JSON calls would cut off at a few megabytes.
fn upload_timeout(usual: Duration, bytes: usize) -> Duration {
    usual + Duration::from_secs(bytes as u64 / SLOWEST_UPLOAD_BYTES_PER_SEC)
}

fn invalid(field: &'static str, message: impl Into<String>) -> RemoteError {
    RemoteError::Invalid {
        field,
        message: message.into(),
    }
}

/// Checks and normalises a server URL: http or https, a host, no credentials, query or fragment;
/// a path prefix is kept (a server behind a reverse proxy), without its trailing slash.
pub fn normalize_server_url(raw: &str) -> Result<String, RemoteError> {
    let raw = raw.trim();
    let bad = |m: &str| invalid("server_url", m.to_string());
    if raw.is_empty() {
        return Err(bad("server_url is required, e.g. https://team.example.com"));
    }
    if raw.len() > 2048 {
        return Err(bad("server_url must be at most 2048 characters"));
    }
    let url = Url::parse(raw).map_err(|_| {
        bad("server_url must be a full address starting with http:// or https://, e.g. https://team.example.com")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("server_url must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("server_url must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "server_url must not contain a username or password; give them in their own fields",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "server_url must not have a query (?…) or fragment (#…)",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// `host[:port]` of a normalised server URL, for messages.
pub fn host_of(server_url: &str) -> String {
    Url::parse(server_url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| server_url.to_string())
}

fn reason(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        format!("it did not answer within {} s", timeout.as_secs())
    } else if e.is_connect() {
        "the connection was refused or the host could not be found".into()
    } else {
        // reqwest's top-level message plus its sources.
        // The URL is named by the callers' messages already.
        let mut m = match e.url() {
            Some(u) => e.to_string().replace(&format!(" for url ({u})"), ""),
            None => e.to_string(),
        };
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            m = format!("{m}: {s}");
            src = s.source();
        }
        m
    }
}

fn unreachable(base: &str, e: &reqwest::Error, timeout: Duration) -> RemoteError {
    RemoteError::Unreachable {
        url: base.to_string(),
        reason: reason(e, timeout),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ServerErrorBody {
    detail: Option<String>,
    retry_after: Option<u64>,
}

async fn server_error(res: reqwest::Response) -> ServerErrorBody {
    let header_wait = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let mut body: ServerErrorBody = res.json().await.unwrap_or_default();
    body.retry_after = body.retry_after.or(header_wait);
    body
}

#[derive(Debug, Deserialize)]
struct UserAnswer {
    #[serde(default)]
    id: Option<String>,
    username: String,
}

#[derive(Debug, Deserialize)]
struct TokensAnswer {
    access_token: String,
    refresh_token: String,
}

#[derive(Debug, Deserialize)]
struct SessionAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    tokens: Option<TokensAnswer>,
    user: UserAnswer,
}

struct Fresh {
    access_token: String,
    refresh_token: String,
    username: String,
    user_id: Option<String>,
}

async fn read_session(base: &str, res: reqwest::Response) -> Result<Fresh, RemoteError> {
    let not_ours = |why: String| RemoteError::Upstream {
        url: base.to_string(),
        message: format!("its sign-in answer is not a Storyloom session ({why})"),
    };
    let a: SessionAnswer = res.json().await.map_err(|e| not_ours(e.to_string()))?;
    let (access_token, refresh_token) = match (a.access_token, a.refresh_token, a.tokens) {
        (Some(at), Some(rt), _) => (at, rt),
        (_, _, Some(t)) => (t.access_token, t.refresh_token),
        _ => return Err(not_ours("no access_token and refresh_token".into())),
    };
    Ok(Fresh {
        access_token,
        refresh_token,
        username: a.user.username,
        user_id: a.user.id,
    })
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, RemoteError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RemoteError::Internal(format!("a secret-store task failed: {e}")))?
        .map_err(RemoteError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploads_timeout_grows_with_its_size() {
        let usual = Duration::from_secs(10);
        assert_eq!(upload_timeout(usual, 0), usual);
        assert_eq!(upload_timeout(usual, 100 * 1024), usual);
        // A 300 MB export may take 20 minutes at the slowest rate allowed.
        assert_eq!(
            upload_timeout(usual, 300 * 1024 * 1024),
            usual + Duration::from_secs(1200)
        );
    }

    #[test]
    fn server_urls_are_checked_and_normalised() {
        let ok = |s: &str| normalize_server_url(s).unwrap();
        assert_eq!(ok("https://team.example.com/"), "https://team.example.com");
        assert_eq!(ok("  http://127.0.0.1:8080  "), "http://127.0.0.1:8080");
        assert_eq!(
            ok("https://example.com/storyloom/"),
            "https://example.com/storyloom"
        );
        for bad in [
            "",
            "team.example.com",
            "ftp://team.example.com",
            "https://alice:pw@team.example.com",
            "https://alice@team.example.com",
            "https://team.example.com/?x=1",
            "https://team.example.com/#frag",
            "file:///etc/passwd",
        ] {
            match normalize_server_url(bad) {
                Err(RemoteError::Invalid { field, message }) => {
                    assert_eq!(field, "server_url", "{bad}");
                    assert!(!message.is_empty());
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn hosts_for_messages() {
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(host_of("https://team.example.com/x"), "team.example.com");
    }
}
