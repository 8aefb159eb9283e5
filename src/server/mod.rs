//! The hosted instance (`server` feature): the API on a TCP listener, the built UI at `/`, graceful
//! shutdown on SIGTERM/SIGINT.
use std::{
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};
use axum::Router;
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
    tracing::info!(addr = %local, data_dir = %state.config.data_dir.display(), "storyloom server listening");
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "STORYLOOM_LISTENING http://{local}")?;
        out.flush()?;
    }
    // The peer address reaches handlers (per-address rate limits).
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    tracing::info!("server stopped");
    Ok(())
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
