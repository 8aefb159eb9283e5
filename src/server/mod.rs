//! The hosted instance (`server` feature): the API on a TCP listener, the built UI at `/`, graceful
//! shutdown on SIGTERM/SIGINT.
use std::{
    future::Future,
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{bail, Context};
use axum::{extract::ConnectInfo, http::Request, Router};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::{api, config::AuthMode, AppState};

pub struct ServeOptions {
    pub addr: SocketAddr,
    /// The built UI (`ui/dist`); without it only the API is served.
    pub ui_dir: Option<PathBuf>,
}

/// The API plus, when given, the UI with an `index.html` fallback for client-side routes.
pub fn app(state: AppState, ui_dir: Option<&Path>) -> Router {
    match ui_dir {
        None => api::router(state),
        Some(dir) => {
            let ui = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
            api::router_with_fallback(state, ui)
        }
    }
}

/// Binds, prints `STORYLOOM_LISTENING http://ADDR` on stdout once ready, and serves until a signal.
pub async fn serve(state: AppState, opts: ServeOptions) -> anyhow::Result<()> {
    if state.config.auth_mode == AuthMode::Local && !opts.addr.ip().is_loopback() {
        bail!(
            "--auth local answers every request as the owner without a password, so it only binds \
             to a loopback address (got {}); use --auth accounts to serve a network",
            opts.addr
        );
    }
    if let Some(dir) = &opts.ui_dir {
        if !dir.join("index.html").exists() {
            bail!(
                "no built UI in {} (index.html missing): run `npm ci && npm run build` in ui/",
                dir.display()
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("cannot listen on {}", opts.addr))?;
    let local = listener.local_addr()?;
    // Build everything before announcing readiness, so the line below is trustworthy.
    let app = app(state.clone(), opts.ui_dir.as_deref());
    // Runs that were going when the last process stopped carry on from their last committed step.
    let resumed = crate::workflow::runs::resume_interrupted(&state).await?;
    if resumed > 0 {
        tracing::info!(resumed, "resumed interrupted workflow runs");
    }
    // Exports that were queued or encoding start again from the beginning (ffmpeg's partial file
    // was never under a real name).
    let restarted = crate::export::resume_interrupted(&state).await?;
    if restarted > 0 {
        tracing::info!(restarted, "restarted interrupted exports");
    }
    // Summary batches go on from their first unfinished item.
    let batches = crate::summarize::batch::resume_interrupted(&state).await?;
    if batches > 0 {
        tracing::info!(batches, "resumed summary batches");
    }
    // Videos made from a script go on from the step they reached (project, run, export).
    let videos = crate::create::video::resume_interrupted(&state).await?;
    if videos > 0 {
        tracing::info!(videos, "resumed video tasks");
    }
    // Publishing jobs are sent when due, scheduled ones after a restart too.
    crate::publish::spawn_scheduler(&state);
    // Model-router requests a stopped process left open: holds voided, rows closed, together;
    // then the same for replicas that stop while this one runs.
    crate::router::spawn_sweeper(&state, crate::instances::lease(&state));
    // Shared rate-limit cells that are full again are dropped (PostgreSQL only).
    crate::limits::spawn_sweeper(state.db.clone(), Duration::from_secs(60));
    // The sync log is pruned behind every active desktop (hourly).
    if state.local_owner_id.is_none() {
        let prune_state = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                if let Err(e) = crate::sync::server::prune(&prune_state).await {
                    tracing::warn!(error = %e, "cannot prune the sync log");
                }
            }
        });
    }
    // The desktop (local mode) keeps its linked projects in sync with its team server.
    if state.local_owner_id.is_some() && state.config.sync_interval_secs > 0 {
        crate::sync::client::spawn(&state, Duration::from_secs(state.config.sync_interval_secs));
        // Shares queued on the desktop go to the team server when it can be reached.
        crate::shares::queue::spawn(&state, Duration::from_secs(state.config.sync_interval_secs));
    }
    // Pending payment orders are asked about at their gateways (at start, then every minute).
    crate::payments::reconcile::spawn(&state, Duration::from_secs(60));
    tracing::info!(addr = %local, data_dir = %state.config.data_dir.display(), "storyloom server listening");
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "STORYLOOM_LISTENING http://{local}")?;
        out.flush()?;
    }
    serve_connections(listener, app, HEADER_READ_TIMEOUT, shutdown_signal()).await;
    tracing::info!("server stopped");
    Ok(())
}

/// How long a client may take to send a request's headers (the first request and each next one on
/// a kept-alive connection); past it the connection is closed, so idle or half-sent requests don't
/// hold sockets forever.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);

/// In-flight requests get this long to finish after a shutdown signal; streams (SSE, WebSocket)
/// that would never end are cut then.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves: HTTP/1.1 with upgrades (WebSocket), the
/// peer address as `ConnectInfo` (per-address rate limits), a timeout on reading request headers,
/// and a graceful stop. (HTTP/1.1 only: an auto-detecting builder reads the first bytes to tell
/// HTTP/2 apart with no timeout, so a silent client would escape it; HTTP/2 comes from the TLS
/// proxy in front, if any.)
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    // Shutdown: every connection is told to finish its request and close (`stop`); the loop then
    // waits until every connection task has dropped its `alive` handle, or the grace period ends.
    let (stop, stopping) = tokio::sync::watch::channel(());
    let (connections, alive) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Small writes (a stream's events after its headers) go out at once, not after the
        // peer's delayed ACK (Nagle's algorithm held the first SSE chunk ~40 ms).
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |req: Request<Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let (mut stopping, alive) = (stopping.clone(), alive.clone());
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = outcome {
                tracing::trace!(%peer, error = %e, "connection ended with an error");
            }
            drop(alive);
        });
    }
    drop(listener);
    drop(alive);
    let _ = stop.send(());
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.closed())
        .await
        .is_err()
    {
        tracing::info!("connections still open after the grace period are closed");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
