//! The whole HTTP API as one axum `Router`: the server binds it to TCP, the desktop shell hands it
//! webview requests without any port. Handlers are thin; services in the domain folders do the work.
pub mod access;
pub mod accounts;
pub mod assets;
pub mod billing;
pub mod characters;
pub mod create;
pub mod error;
pub mod export;
pub mod extract;
pub mod files;
pub mod health;
pub mod limits;
pub mod local_guard;
#[cfg(feature = "server")]
pub mod oauth;
pub mod openai;
pub mod payments;
pub mod principal;
pub mod projects;
pub mod prompts;
pub mod publish;
pub mod registry;
pub mod remote;
pub mod runs;
#[cfg(feature = "server")]
pub mod shares;
pub mod storyboards;
pub mod summarize;
pub mod sync;
pub mod topics;
#[cfg(feature = "server")]
pub mod updates;
pub mod upload;
pub mod versions;
pub mod voices;
#[cfg(feature = "server")]
pub mod watch;
pub mod workflows;
pub mod workspaces;

use std::{sync::Arc, time::Duration};

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method, Request},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use error::{ApiError, ErrorCode};

#[derive(OpenApi)]
#[openapi(
    info(title = "Storyloom API", description = "Storyloom: scripts to short dramas. Errors are `{detail, error_code, retryable}`."),
    // The progress events of the SSE streams, the progress WebSocket and the desktop's Tauri events.
    components(schemas(error::ErrorBody, error::ErrorCode, error::FieldError, assets::AssetStatusFilter,
        crate::workflow::runs::RunEvent, crate::export::ExportEvent)),
    modifiers(&SecuritySchemes),
    security(("api_key" = []), ("bearer" = [])),
    tags((name = "projects"), (name = "versions"), (name = "storyboards"), (name = "characters"), (name = "assets"), (name = "prompts"), (name = "workflows"), (name = "export"), (name = "billing"), (name = "accounts"), (name = "workspaces"), (name = "remote"), (name = "shares"), (name = "updates"), (name = "providers"), (name = "summarize"), (name = "create"), (name = "publish"), (name = "system"))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Errors any operation can answer with (a body or query that cannot be read, credentials, a body
/// too large or of the wrong type, rate limits, the unexpected), added where an operation does not
/// describe them itself, so the document matches what clients really see.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let common = [
            (
                "400",
                "The request could not be read (malformed JSON, a bad query parameter)",
            ),
            ("401", "Missing or invalid credentials"),
            ("403", "Valid credentials without the needed scope or role"),
            ("404", "No such resource (or another user's)"),
            ("413", "The body is too large"),
            ("415", "The body is not of a type this operation takes"),
            ("422", "A field's value is invalid; `field` names it"),
            ("429", "Rate limited; `retry_after` says when to try again"),
            ("500", "An unexpected error (logged with the request id)"),
        ];
        let workspace_header = utoipa::openapi::path::ParameterBuilder::new()
            .name("X-Workspace-Id")
            .parameter_in(utoipa::openapi::path::ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some(
                "The workspace the request acts in (a UUID); absent: the caller's personal workspace",
            ))
            .schema(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    ))),
            ))
            .build();
        for (path, item) in openapi.paths.paths.iter_mut() {
            // Workspace-scoped data: everything but sign-in, the caller's own account, and the
            // workspace endpoints themselves (which name their workspace in the path).
            let scoped = ![
                "/api/v1/auth",
                "/api/v1/users/me",
                "/api/v1/workspaces",
                "/api/v1/invitations",
                "/api/v1/updates",
                "/health",
                "/api/v1/health",
            ]
            .iter()
            .any(|p| path.starts_with(p));
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                // Every list's paging bounds, from the constants the server checks them with.
                for param in op.parameters.iter_mut().flatten() {
                    let utoipa::openapi::RefOr::T(param) = param else {
                        continue;
                    };
                    let schema = match (param.name.as_str(), &param.parameter_in) {
                        ("limit", utoipa::openapi::path::ParameterIn::Query) => {
                            crate::paging::limit_schema()
                        }
                        ("page", utoipa::openapi::path::ParameterIn::Query) => {
                            crate::paging::page_schema()
                        }
                        _ => continue,
                    };
                    param.schema = Some(schema.into());
                }
                if scoped {
                    op.parameters
                        .get_or_insert_with(Vec::new)
                        .push(workspace_header.clone().into());
                }
                for (code, description) in common {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                                        .build(),
                                )
                                .build()
                                .into()
                        });
                }
            }
        }
    }
}

/// The routes and the OpenAPI document generated from their annotations.
fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(projects::list_projects, projects::create_project))
        // PUT/PATCH may carry the project's `script`: the script routes' body limit, so an oversized
        // script gets the 422 naming `script` and the limit (docs/API-EDITOR.md, "Script size").
        .merge(
            OpenApiRouter::new()
                .routes(routes!(
                    projects::get_project,
                    projects::put_project,
                    projects::patch_project,
                    projects::delete_project
                ))
                .layer(DefaultBodyLimit::max(versions::SCRIPT_BODY_LIMIT)),
        )
        .routes(routes!(projects::restore_project))
        .merge(versions::routes())
        .merge(storyboards::routes())
        .merge(characters::routes())
        .merge(assets::routes())
        .merge(prompts::routes())
        .merge(workflows::routes())
        .merge(runs::routes())
        .merge(export::routes())
        .merge(billing::routes())
        .merge(payments::routes())
        .merge(payments::callback_routes())
        .merge(payments::operation_routes())
        .merge(accounts::routes())
        .merge(workspaces::routes())
        .merge(remote::routes())
        .merge(registry::routes())
        .merge(voices::routes())
        .merge(summarize::routes())
        .merge(create::routes())
        .merge(publish::routes())
        .merge(sync::desktop_routes());
    // Share links, desktop updates and provider sign-in are the team server's: a desktop has no
    // public address.
    #[cfg(feature = "server")]
    let r = r
        .merge(shares::routes())
        .merge(updates::routes())
        .merge(oauth::routes())
        .merge(sync::server_routes());
    let r = r.split_for_parts();
    let (routes, mut doc) = (r.0, r.1);
    CommonErrors.modify(&mut doc);
    (routes, doc)
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The complete API with its middleware: request ids, request logging, panics → 500 JSON, CORS for
/// the configured origins, the JSON body limit, and JSON 404/405 answers.
pub fn router(state: AppState) -> Router {
    build(state, |r| r.fallback(not_found))
}

/// The API with another fallback for paths it does not know (the server's static UI). Unknown
/// `/api/...` paths still get a JSON 404.
pub fn router_with_fallback<S>(state: AppState, fallback: S) -> Router
where
    S: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    build(state, |r| {
        r.route("/api/{*rest}", axum::routing::any(not_found))
            .fallback_service(fallback)
    })
}

fn build(
    state: AppState,
    with_fallback: impl FnOnce(Router<AppState>) -> Router<AppState>,
) -> Router {
    let (routes, doc) = routes();
    let doc = Arc::new(doc);
    let routes = routes
        .merge(openai::routes())
        .merge(openai::usage_routes())
        .merge(topics::routes())
        .route("/api/v1/health", get(health::health))
        // The progress WebSocket (outside the OpenAPI document, which cannot describe it).
        .route(
            "/ws/progress/{id}",
            get(runs::progress_socket).route_layer(axum::Extension(access::Policy::Person)),
        )
        .route("/api/v1/ws/progress/{id}", get(runs::progress_socket))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        );
    // The public page of share links: HTML, no sign-in (outside the OpenAPI document).
    #[cfg(feature = "server")]
    let routes = routes.merge(watch::routes());
    let mut router = with_fallback(routes)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_json_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            local_guard::guard,
        ));

    if !state.config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = state
            .config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers([
                    header::CONTENT_TYPE,
                    header::AUTHORIZATION,
                    HeaderName::from_static("x-api-key"),
                    HeaderName::from_static(principal::WORKSPACE_HEADER),
                ])
                // The desktop page (another origin) reads which part of a file it got.
                .expose_headers([
                    HeaderName::from_static("x-request-id"),
                    header::CONTENT_RANGE,
                    header::CONTENT_DISPOSITION,
                ])
                .max_age(Duration::from_secs(600)),
        );
    }

    let x_request_id = HeaderName::from_static("x-request-id");
    router
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let request_id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id)
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}
