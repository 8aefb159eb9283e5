//! The `app://` scheme: every webview request to it goes to the core's axum router, in process.
//!
//! Request method, URI, headers and body are passed through unchanged; the router's status,
//! headers and body come back unchanged. Nothing here knows any route: the core owns the API,
//! including CORS for the webview's `tauri://localhost` origin.
use axum::body::Body;
use http::{header, HeaderValue, Request, Response, StatusCode};
use storyloom::error::ErrorCode;
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};
use tower::ServiceExt;

/// The scheme name. The webview reaches it as `app://localhost/...` (Linux, macOS) or
/// `http://app.localhost/...` (Windows, Android).
pub const SCHEME: &str = "app";

/// The core's API, managed as Tauri state once the data directory is open.
pub struct Api {
    router: axum::Router,
}

impl Api {
    pub fn new(router: axum::Router) -> Self {
        Self { router }
    }
}

/// The asynchronous scheme handler: called on the webview's thread, answers from a runtime task.
pub fn serve<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let router = ctx
        .app_handle()
        .try_state::<Api>()
        .map(|api| api.router.clone());
    let origin = request.headers().get(header::ORIGIN).cloned();

    tauri::async_runtime::spawn(async move {
        let response = match router {
            None => error_response(
                ErrorCode::ServiceUnavailable,
                "Storyloom is still starting; try again in a moment.",
                origin.as_ref(),
            ),
            // Run the request in its own task so that a panic in it becomes a 500 here instead of
            // a request the webview waits on forever.
            Some(router) => match tauri::async_runtime::spawn(dispatch(router, request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(detail)) => error_response(ErrorCode::Internal, &detail, origin.as_ref()),
                Err(error) => {
                    tracing::error!("desktop bridge: request task failed: {error}");
                    error_response(ErrorCode::Internal, "internal error", origin.as_ref())
                }
            },
        };
        responder.respond(response);
    });
}

/// The most of a file one answer carries when the webview asks for an open-ended range.
pub const RANGE_CHUNK: u64 = 4 * 1024 * 1024;

/// `Range: bytes=N-` (what a `<video>` asks for) becomes `bytes=N-(N + RANGE_CHUNK - 1)`: the
/// webview takes each answer whole, so an open-ended range of a 2160p export would be read into
/// memory at once. HTTP lets a server answer part of an open-ended range; the media element asks
/// for the rest as it plays. Other ranges pass unchanged.
pub fn cap_open_range(headers: &mut http::HeaderMap) {
    let Some(start) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return;
    };
    let end = start.saturating_add(RANGE_CHUNK - 1);
    if let Ok(value) = HeaderValue::from_str(&format!("bytes={start}-{end}")) {
        headers.insert(header::RANGE, value);
    }
}

/// Runs one request through the router and collects the response body.
async fn dispatch(
    router: axum::Router,
    request: Request<Vec<u8>>,
) -> Result<Response<Vec<u8>>, String> {
    let (mut parts, body) = request.into_parts();
    cap_open_range(&mut parts.headers);
    let request = Request::from_parts(parts, Body::from(body));

    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };

    let (parts, body) = response.into_parts();
    // The webview wants the whole body at once: JSON, single blobs, or one range of a file.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|error| {
            tracing::error!("desktop bridge: cannot read the response body: {error}");
            "cannot read the response body".to_string()
        })?;
    Ok(Response::from_parts(parts, bytes.to_vec()))
}

/// A JSON error in the API's shape (`{detail, error_code, retryable}`), for the rare answers the
/// shell gives itself: status and `retryable` from the core's one error table. It carries CORS
/// headers so the page can read it.
fn error_response(
    code: ErrorCode,
    detail: &str,
    origin: Option<&HeaderValue>,
) -> Response<Vec<u8>> {
    let status = code.status();
    let body = serde_json::json!({
        "detail": detail,
        "error_code": code,
        "retryable": code.retryable(),
    });
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(origin) = origin.filter(|o| is_webview_origin(o)) {
        response = response
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone())
            .header(header::VARY, "origin");
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response = response.header(header::RETRY_AFTER, "1");
    }
    response
        .body(body.to_string().into_bytes())
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

/// The origins the core itself allows for the desktop (no I/O: `Config::desktop` only fills fields).
fn is_webview_origin(origin: &HeaderValue) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    storyloom::config::Config::desktop(Default::default())
        .cors_origins
        .iter()
        .any(|allowed| allowed == origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped(range: &str) -> String {
        let mut headers = http::HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        cap_open_range(&mut headers);
        headers[header::RANGE].to_str().unwrap().to_string()
    }

    #[test]
    fn open_ended_ranges_are_capped_and_others_pass() {
        assert_eq!(capped("bytes=0-"), format!("bytes=0-{}", RANGE_CHUNK - 1));
        assert_eq!(
            capped("bytes=1000-"),
            format!("bytes=1000-{}", 1000 + RANGE_CHUNK - 1)
        );
        for unchanged in ["bytes=0-99", "bytes=-500", "bytes=0-1,5-9", "items=0-"] {
            assert_eq!(capped(unchanged), unchanged);
        }
        let mut none = http::HeaderMap::new();
        cap_open_range(&mut none);
        assert!(none.get(header::RANGE).is_none());
    }
}
