//! `GET /health` (docs/API-CONVENTIONS.md): liveness of the process, the database and the blob store.
use axum::{extract::State, http::StatusCode, Json};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{clock::rfc3339, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database or storage does not answer.
    pub status: String,
    pub version: String,
    /// Seconds since start.
    pub uptime: u64,
    /// `connected` or `error`.
    pub database: String,
    /// `connected` or `error`: the blob store's directory, and its bucket with `--blobs`.
    pub storage: String,
    pub schema_version: u32,
    pub timestamp: String,
}

#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, body = Health), (status = 503, description = "Degraded", body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database_ok = state.db.ping().await;
    let blobs = state.blobs.clone();
    let storage_ok = tokio::task::spawn_blocking(move || blobs.writable())
        .await
        .unwrap_or(false);
    let word = |ok: bool| if ok { "connected" } else { "error" }.to_string();
    let healthy = database_ok && storage_ok;
    let body = Health {
        status: if healthy { "ok" } else { "degraded" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        uptime: state.started_at.elapsed().as_secs(),
        database: word(database_ok),
        storage: word(storage_ok),
        schema_version: crate::db::latest_schema_version(),
        timestamp: rfc3339(state.clock.now()),
    };
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
