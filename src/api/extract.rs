//! Request extractors that turn every kind of bad input into an [`ApiError`] naming the field.
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, HeaderMap, StatusCode},
};
use serde::de::DeserializeOwned;

use super::error::{ApiError, ErrorCode};

/// A JSON body. Malformed JSON → 400; a field of the wrong type or value → 422 with `field`;
/// too large → 413; not `application/json` → 415.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a JSON body with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
            } else {
                ApiError::bad_request(format!("could not read the request body: {rejection}"))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body that may be left out: an empty body is `T::default()` (for actions whose options are
/// all optional, e.g. continuing a review); anything sent is checked as [`ApiJson`] checks it.
pub struct ApiJsonOrEmpty<T>(pub T);

impl<S, T> FromRequest<S> for ApiJsonOrEmpty<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_json = is_json_content_type(req.headers());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            ApiError::bad_request(format!("could not read the request body: {rejection}"))
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        if !declared_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a JSON body with Content-Type: application/json",
            ));
        }
        parse_json(&bytes).map(ApiJsonOrEmpty)
    }
}

fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/json")
        || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Parses JSON, classifying errors as 400 (syntax) or 422 (data, naming the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "request body is empty; expected a JSON object",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let field = field_name(&path, &message);
                let detail = match &field {
                    Some(f) => format!("{f}: {}", strip_position(&message)),
                    None => strip_position(&message).to_string(),
                };
                let mut e = ApiError::new(ErrorCode::ValidationError, detail);
                e.field = field;
                e
            }
            _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
        }
    })
}

/// The query string, deserialised; a bad value → 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        parse_query(query).map(ApiQuery)
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = field_name(&path, &message);
        let detail = match &field {
            Some(f) => format!("query parameter '{f}': {message}"),
            None => format!("bad query string: {message}"),
        };
        let mut e = ApiError::bad_request(detail);
        e.field = field;
        e
    })
}

/// The field an error is about: serde's path, or for "missing field `x`" the missing one.
fn field_name(path: &str, message: &str) -> Option<String> {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(m)) => Some(m.to_string()),
        (p, Some(m)) => Some(format!("{p}.{m}")),
        (".", None) => None,
        (p, None) => Some(p.to_string()),
    }
}

/// serde_json appends " at line 1 column 12" to data errors; the field name says more.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    }
}

/// Where this instance is reached from outside, for absolute links (link previews, the updater's
/// download, a sign-in provider's redirect): the configured public URL (`STORYLOOM_PUBLIC_URL`),
/// else the request's `Host` when it looks like a host name. Only ever shown back to whoever sent
/// that `Host`, or to the provider the person is sent to.
pub fn public_origin(state: &crate::AppState, headers: &axum::http::HeaderMap) -> Option<String> {
    let configured = state.config.payments.public_url.trim_end_matches('/');
    if !configured.is_empty() {
        return Some(configured.to_string());
    }
    let host = headers.get(axum::http::header::HOST)?.to_str().ok()?;
    host.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        .then(|| format!("http://{host}"))
}

/// The request's `Idempotency-Key` header, checked: a repeated request with the same key is
/// answered with what the first one made.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v.to_str().ok().map(str::trim).filter(|k| {
                !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic())
            });
            key.map(|k| Some(k.to_string())).ok_or_else(|| {
                ApiError::validation(
                    "Idempotency-Key",
                    "Idempotency-Key is 1 to 200 visible ASCII characters",
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        size: Option<u32>,
    }

    #[test]
    fn syntax_errors_are_400_and_data_errors_name_the_field() {
        let e = parse_json::<Body>(b"{\"name\": ").unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.field, None);

        let e = parse_json::<Body>(b"{\"name\": \"a\", \"size\": \"big\"}").unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field.as_deref(), Some("size"));

        let e = parse_json::<Body>(b"{}").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        assert!(e.detail.contains("missing field"), "{}", e.detail);

        let e = parse_json::<Body>(b"   ").unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn query_errors_name_the_parameter() {
        #[derive(serde::Deserialize, Debug)]
        struct Q {
            page: Option<u32>,
        }
        let e = parse_query::<Q>("page=abc").unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.field.as_deref(), Some("page"));
        assert!(parse_query::<Q>("page=2").unwrap().page == Some(2));
    }
}
