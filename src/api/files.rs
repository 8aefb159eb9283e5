//! Files answered with HTTP range support (`Accept-Ranges: bytes`, `206 Partial Content`, `416`),
//! so a `<video>` element reads a large export a piece at a time instead of whole: in the browser,
//! and through the desktop's `app://` bridge, which buffers each answer.
use std::path::Path;

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::error::ApiError;

/// The request headers that decide which part of a file to answer with.
const RANGE_HEADERS: [header::HeaderName; 3] =
    [header::RANGE, header::IF_RANGE, header::IF_MODIFIED_SINCE];

/// `path` as the answer to a GET with `request_headers`, streamed, as `mime`: the whole file
/// (200), the asked range (206) or `416` for a range past its end.
pub async fn serve(
    request_headers: &HeaderMap,
    path: &Path,
    mime: &str,
) -> Result<Response, ApiError> {
    let mime = mime
        .parse::<mime::Mime>()
        .unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let mut request = Request::builder().method(Method::GET).uri("/");
    for name in RANGE_HEADERS {
        if let Some(value) = request_headers.get(&name) {
            request = request.header(name, value);
        }
    }
    let request = request
        .body(Body::empty())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let response = ServeFile::new_with_mime(path, &mime)
        .oneshot(request)
        .await
        .map_err(|e| {
            ApiError::internal(format!("the file {} cannot be read: {e}", path.display()))
        })?;
    Ok(response.map(Body::new).into_response())
}

/// Sets `name` on `response` (replacing what the file service set).
pub fn with_header(
    mut response: Response,
    name: header::HeaderName,
    value: HeaderValue,
) -> Response {
    response.headers_mut().insert(name, value);
    response
}
