//! The one error type of the HTTP API. Its status comes from the code, through the one table in
//! [`crate::error`]; any domain error ([`CodedError`]) converts into it.
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::error::{CodedError, ErrorCode, FieldError};

/// The error body of every 4xx/5xx response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A human-readable message.
    pub detail: String,
    pub error_code: ErrorCode,
    pub retryable: bool,
    /// The request field (JSON path, query or path parameter) the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before retrying (429).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Every problem when there are several (e.g. each bad variable of a prompt render).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
    /// On a 429: the limit that was met (sent as `X-RateLimit-Limit`).
    pub rate_limit: Option<u32>,
    pub errors: Option<Vec<FieldError>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            field: None,
            retry_after: None,
            rate_limit: None,
            errors: None,
        }
    }

    /// 422 listing every bad field; `field` names the first.
    pub fn validation_many(errors: Vec<FieldError>) -> Self {
        let first = errors.first().cloned().unwrap_or(FieldError {
            field: String::new(),
            detail: "invalid request".into(),
        });
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.detail))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = Self::validation(first.field, detail);
        e.errors = Some(errors);
        e
    }

    /// 413 with a message saying what was too large.
    pub fn too_large(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::PayloadTooLarge, detail)
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 422: the request was well-formed but a field's value is not acceptable.
    pub fn validation(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, detail).with_field(field)
    }

    /// 400: the request itself could not be read (malformed JSON, bad query string).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, detail)
    }

    pub fn auth_required() -> Self {
        Self::new(
            ErrorCode::AuthRequired,
            "authentication required: send an x-api-key header or Authorization: Bearer <token>",
        )
    }

    pub fn auth_invalid(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::AuthInvalid, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, detail)
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            format!("request body is larger than the limit of {limit_bytes} bytes"),
        )
    }

    /// 429 with `retry_after` seconds (also sent as the `Retry-After` header).
    pub fn rate_limited(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited, detail);
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    pub fn service_unavailable(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, detail)
    }

    /// 500: logs the real cause and answers with a generic message (internals never leak).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error; see the server log")
    }

    /// The HTTP status, from the table.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            detail: self.detail.clone(),
            error_code: self.code,
            retryable: self.code.retryable(),
            field: self.field.clone(),
            retry_after: self.retry_after,
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?}: {}",
            self.status().as_u16(),
            self.code,
            self.detail
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status(), Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            if let Some(limit) = self.rate_limit {
                let h = res.headers_mut();
                h.insert("x-ratelimit-limit", HeaderValue::from(limit));
                h.insert("x-ratelimit-remaining", HeaderValue::from(0u32));
                h.insert("x-ratelimit-reset", HeaderValue::from(secs));
            }
        }
        res
    }
}

/// Any domain error: its code picks the status; an internal one is logged and answered generically.
impl<E: CodedError> From<E> for ApiError {
    fn from(e: E) -> Self {
        let code = e.code();
        if code == ErrorCode::Internal {
            return Self::internal(e);
        }
        let mut err = match e.field_errors() {
            // Several problems: the first names `field`, the detail lists them all.
            Some(errors) => Self {
                code,
                ..Self::validation_many(errors)
            },
            None => Self::new(code, e.detail()),
        };
        if let Some(field) = e.field() {
            err.field = Some(field.to_owned());
        }
        err.retry_after = e.retry_after().map(|s| s.max(1));
        err
    }
}
