//! HTTP handlers for prompts (thin: parse, check scope, call the service, map errors).
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
