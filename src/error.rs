//! The one error-code table: every domain error names its [`ErrorCode`], and this file alone maps a
//! code to its HTTP status and whether a retry may help. The HTTP API (`api::error::ApiError`) and the
//! desktop bridge both answer from it. Codes and their meaning: `docs/API-ERRORS.md`.
use http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// Stable, machine-readable error codes. Codes are only ever added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The request could not be read: malformed JSON, an empty body, a query parameter of the
    /// wrong type.
    BadRequest,
    /// The request was read, but a field's value is not acceptable.
    ValidationError,
    AuthRequired,
    AuthInvalid,
    CreditsExceeded,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Internal,
    UpstreamFailed,
    ServiceUnavailable,
    /// A video to summarize has no subtitles and no speech that could be recognised: nothing is
    /// ever summarised from a title or metadata instead.
    NoTranscript,
    /// Publishing to a platform the workspace has not bound an account of (seed code 40008).
    PlatformNotBound,
    /// The platform's open API cannot publish this kind of content (seed code 40009's meaning).
    PublishUnsupported,
}

impl ErrorCode {
    /// Every code, for the table's tests and the docs.
    pub const ALL: [ErrorCode; 18] = [
        Self::BadRequest,
        Self::ValidationError,
        Self::AuthRequired,
        Self::AuthInvalid,
        Self::CreditsExceeded,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::RateLimited,
        Self::Internal,
        Self::UpstreamFailed,
        Self::ServiceUnavailable,
        Self::NoTranscript,
        Self::PlatformNotBound,
        Self::PublishUnsupported,
    ];

    /// The table: one status per code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::ValidationError => StatusCode::UNPROCESSABLE_ENTITY,
            Self::AuthRequired | Self::AuthInvalid => StatusCode::UNAUTHORIZED,
            Self::CreditsExceeded => StatusCode::PAYMENT_REQUIRED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::UpstreamFailed => StatusCode::BAD_GATEWAY,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::NoTranscript => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PlatformNotBound | Self::PublishUnsupported => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// Whether the same request may succeed if simply sent again later.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::UpstreamFailed | Self::ServiceUnavailable
        )
    }

    /// The wire name (`VALIDATION_ERROR`), as the JSON body spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "BAD_REQUEST",
            Self::ValidationError => "VALIDATION_ERROR",
            Self::AuthRequired => "AUTH_REQUIRED",
            Self::AuthInvalid => "AUTH_INVALID",
            Self::CreditsExceeded => "CREDITS_EXCEEDED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Conflict => "CONFLICT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal => "INTERNAL",
            Self::UpstreamFailed => "UPSTREAM_FAILED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::NoTranscript => "NO_TRANSCRIPT",
            Self::PlatformNotBound => "PLATFORM_NOT_BOUND",
            Self::PublishUnsupported => "PUBLISH_UNSUPPORTED",
        }
    }
}

/// One field's problem, when an error lists several (e.g. each bad variable of a prompt render).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub detail: String,
}

/// What every domain error tells its callers: its code, and what to show. The API layer turns any
/// `CodedError` into its response (status from [`ErrorCode::status`]); an `Internal` error's
/// message is logged, never sent.
pub trait CodedError: std::fmt::Display {
    fn code(&self) -> ErrorCode;

    /// The request field (JSON path, query or path parameter) the error is about.
    fn field(&self) -> Option<&str> {
        None
    }

    /// The message for the caller; the error's `Display` unless the domain says otherwise.
    fn detail(&self) -> String {
        self.to_string()
    }

    /// Every problem, when there are several.
    fn field_errors(&self) -> Option<Vec<FieldError>> {
        None
    }

    /// Seconds to wait before retrying, when the error knows.
    fn retry_after(&self) -> Option<u64> {
        None
    }
}

/// A field the caller sent whose value is refused: the error of the core's own small checks
/// (paging, ids) that belong to no domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidField {
    pub field: &'static str,
    pub message: String,
}

impl InvalidField {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl CodedError for InvalidField {
    fn code(&self) -> ErrorCode {
        ErrorCode::ValidationError
    }
    fn field(&self) -> Option<&str> {
        Some(self.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_status_and_its_wire_name() {
        for code in ErrorCode::ALL {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, code.as_str(), "{code:?}");
            let status = code.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code:?}"
            );
            // Only a server-side or upstream condition is worth retrying unchanged.
            if code.retryable() {
                assert!(
                    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
                    "{code:?}"
                );
            }
        }
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
