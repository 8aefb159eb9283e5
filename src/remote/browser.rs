//! The desktop signs in to its team server through the system browser (docs/API-WORKSPACES.md,
//! "The desktop signs in through the browser"; RFC 8252): with a provider the server offers
//! (GitHub, WeChat, Feishu, …), so the desktop never sees the person's password for it.
//!
//! 1. The desktop listens on `127.0.0.1:<a free port>` and makes a PKCE verifier.
//! 2. The person's browser opens the server's `/auth/oauth/{provider}` with that loopback address
//!    and the verifier's S256 challenge, and signs in at the provider.
//! 3. The server sends the browser on to the loopback address with a one-time code.
//! 4. The desktop exchanges the code with its verifier (`/auth/oauth/desktop/token`): a code
//!    seen by anyone else is useless without the verifier, which never left this process.
use std::{sync::Arc, time::Duration};

use axum::{extract::RawQuery, response::Html, routing::get, Router};
use serde::Serialize;
use tracing::Instrument;
use utoipa::ToSchema;

use super::{invalid, normalize_server_url, read_session, unreachable, Remote, RemoteError};
use crate::{
    accounts::oauth::{pkce_challenge, random_token},
    clock::Clock,
};

/// How long the desktop waits for the browser to come back.
pub const WAIT: Duration = Duration::from_secs(600);

/// Where a browser sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BrowserSignInStatus {
    /// Waiting for the person to finish in the browser.
    Waiting,
    SignedIn,
    Failed,
    Cancelled,
}

/// `POST /api/v1/remote/sign-in/browser`'s answer, and `GET`'s.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BrowserSignIn {
    pub attempt_id: String,
    /// The page to open in the system browser.
    pub authorize_url: String,
    pub server_url: String,
    pub provider: String,
    pub status: BrowserSignInStatus,
    /// Why it failed, in the server's or the provider's words.
    pub message: Option<String>,
}

/// The attempt under way (one at a time: a new one ends the last).
pub(super) struct Attempt {
    view: BrowserSignIn,
    listener: tokio::task::AbortHandle,
}

const DONE_PAGE: &str = "<!doctype html><meta charset=\"utf-8\"><title>Storyloom</title>\
    <body style=\"font-family:system-ui;margin:3rem\"><h1>{title}</h1><p>{text}</p></body>";

fn page(title: &str, text: &str) -> Html<String> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    Html(
        DONE_PAGE
            .replace("{title}", &escape(title))
            .replace("{text}", &escape(text)),
    )
}

impl Remote {
    /// Starts a sign-in through the browser: the page to open, and a listener waiting for the
    /// browser to come back (for [`WAIT`]).
    #[tracing::instrument(skip(self, clock))]
    pub async fn start_browser_sign_in(
        self: &Arc<Self>,
        server_url: Option<String>,
        provider: Option<String>,
        attempt_id: String,
        clock: Arc<dyn Clock>,
    ) -> Result<BrowserSignIn, RemoteError> {
        let base = normalize_server_url(server_url.as_deref().unwrap_or(""))?;
        let provider = provider.unwrap_or_default().trim().to_string();
        if provider.is_empty()
            || provider.len() > 40
            || !provider
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "provider",
                "provider is one of the server's sign-in providers (e.g. github, wechat)",
            ));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| RemoteError::Internal(format!("cannot listen on 127.0.0.1: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| RemoteError::Internal(e.to_string()))?
            .port();
        let verifier = random_token();
        let mut url = reqwest::Url::parse(&format!("{base}/api/v1/auth/oauth/{provider}"))
            .map_err(|e| invalid("server_url", e.to_string()))?;
        url.query_pairs_mut()
            .append_pair(
                "desktop_redirect",
                &format!("http://127.0.0.1:{port}/oauth/callback"),
            )
            .append_pair("desktop_challenge", &pkce_challenge(&verifier));
        let view = BrowserSignIn {
            attempt_id: attempt_id.clone(),
            authorize_url: url.to_string(),
            server_url: base.clone(),
            provider,
            status: BrowserSignInStatus::Waiting,
            message: None,
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<Option<String>>();
        let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
        let app = Router::new().route(
            "/oauth/callback",
            get(move |RawQuery(query): RawQuery| {
                let tx = tx.clone();
                async move {
                    let sent = tx.lock().ok().and_then(|mut t| t.take());
                    let Some(sent) = sent else {
                        return page("Storyloom", "This sign-in is already finished.");
                    };
                    let _ = sent.send(query.clone());
                    let failed = query.as_deref().is_some_and(|q| {
                        form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "error")
                    });
                    if failed {
                        page(
                            "Sign-in did not finish",
                            "Go back to Storyloom to see why and try again.",
                        )
                    } else {
                        page(
                            "Signed in to Storyloom",
                            "You can close this tab and go back to the app.",
                        )
                    }
                }
            }),
        );
        let remote = self.clone();
        let id = attempt_id.clone();
        // The listener lives inside this one task: when the task ends (signed in, failed, timed
        // out) or is aborted (cancelled, replaced), the port is closed with it.
        let task = tokio::spawn(
            async move {
                let flow = async {
                    let outcome = match tokio::time::timeout(WAIT, rx).await {
                        Ok(Ok(query)) => remote.finish_browser(&base, query, verifier, clock).await,
                        _ => Err("the browser did not come back in time: start again".to_string()),
                    };
                    // Time for the browser to be answered before the listener closes.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    outcome
                };
                let outcome = tokio::select! {
                    outcome = flow => outcome,
                    _ = std::future::IntoFuture::into_future(axum::serve(listener, app)) => {
                        Err("the desktop's sign-in listener stopped".to_string())
                    }
                };
                remote.settle(&id, outcome);
            }
            .instrument(tracing::info_span!("browser_sign_in")),
        );
        let previous = self.browser().replace(Attempt {
            view: view.clone(),
            listener: task.abort_handle(),
        });
        if let Some(old) = previous {
            old.listener.abort();
        }
        Ok(view)
    }

    /// The sign-in providers the server at `server_url` offers (its public list).
    pub async fn sign_in_providers(
        &self,
        server_url: &str,
    ) -> Result<serde_json::Value, RemoteError> {
        let base = normalize_server_url(server_url)?;
        let http = self.http().await?;
        let res = http
            .get(format!("{base}/api/v1/auth/oauth/providers"))
            .send()
            .await
            .map_err(|e| unreachable(&base, &e, self.config.timeout))?;
        if !res.status().is_success() {
            return Err(RemoteError::Upstream {
                url: base,
                message: format!("its provider list answered HTTP {}", res.status().as_u16()),
            });
        }
        res.json().await.map_err(|e| RemoteError::Upstream {
            url: base,
            message: format!("its provider list: {e}"),
        })
    }

    fn browser(&self) -> std::sync::MutexGuard<'_, Option<Attempt>> {
        self.browser.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The attempt under way or last made.
    pub fn browser_sign_in(&self) -> Option<BrowserSignIn> {
        self.browser().as_ref().map(|a| a.view.clone())
    }

    /// Stops waiting for the browser.
    pub fn cancel_browser_sign_in(&self) -> Option<BrowserSignIn> {
        let mut current = self.browser();
        let attempt = current.as_mut()?;
        if attempt.view.status == BrowserSignInStatus::Waiting {
            attempt.listener.abort();
            attempt.view.status = BrowserSignInStatus::Cancelled;
        }
        Some(attempt.view.clone())
    }

    fn settle(&self, id: &str, outcome: Result<(), String>) {
        let mut current = self.browser();
        if let Some(a) = current.as_mut().filter(|a| a.view.attempt_id == id) {
            match outcome {
                Ok(()) => a.view.status = BrowserSignInStatus::SignedIn,
                Err(message) => {
                    tracing::warn!(%message, "a browser sign-in failed");
                    a.view.status = BrowserSignInStatus::Failed;
                    a.view.message = Some(message);
                }
            }
        }
    }

    /// The browser came back: the code exchanged with the verifier, the session kept.
    async fn finish_browser(
        &self,
        base: &str,
        query: Option<String>,
        verifier: String,
        clock: Arc<dyn Clock>,
    ) -> Result<(), String> {
        let params: std::collections::HashMap<String, String> =
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        if let Some(error) = params.get("error") {
            return Err(params
                .get("message")
                .cloned()
                .unwrap_or_else(|| format!("the server said: {error}")));
        }
        let code = params
            .get("code")
            .ok_or("the browser came back without a code")?;
        self.ensure_loaded().await;
        let http = self.http().await.map_err(|e| e.to_string())?;
        let _op = self.op.lock().await;
        let res = http
            .post(format!("{base}/api/v1/auth/oauth/desktop/token"))
            .json(&serde_json::json!({ "code": code, "code_verifier": verifier }))
            .send()
            .await
            .map_err(|e| unreachable(base, &e, self.config.timeout).to_string())?;
        if !res.status().is_success() {
            let status = res.status();
            let detail = super::server_error(res).await.detail;
            return Err(format!(
                "the team server refused the sign-in (HTTP {}){}",
                status.as_u16(),
                detail.map(|d| format!(": {d}")).unwrap_or_default()
            ));
        }
        let session = read_session(base, res).await.map_err(|e| e.to_string())?;
        self.adopt(base, session, clock.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(server = %base, "signed in through the browser");
        Ok(())
    }
}
