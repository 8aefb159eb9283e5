//! The one error type every provider returns, so the runner can decide "retry or fail the node"
//! without knowing which provider it called.

use std::{fmt, time::Duration};

/// What went wrong, in the terms the retry loop and the run's node status care about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// The attempt took longer than the call's per-attempt timeout.
    Timeout,
    /// HTTP 429 (or a provider's equivalent); `retry_after` is the server's hint, when it gave one.
    RateLimited { retry_after: Option<Duration> },
    /// The upstream answered with an error status (or an answer we could not read).
    Upstream { status: u16 },
    /// The request itself is wrong (4xx other than 429, text too long, unknown voice…).
    Invalid,
    /// The call's cancellation token fired.
    Cancelled,
    /// The provider cannot be reached or is not installed.
    Unavailable,
}

/// A provider failure: its kind, a message for people, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub kind: ProviderErrorKind,
    pub message: String,
    pub retryable: bool,
}

impl ProviderError {
    /// Timeouts are retryable: the next attempt may be luckier.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self {
            kind: ProviderErrorKind::Timeout,
            message: message.into(),
            retryable: true,
        }
    }

    /// 429: always retryable, after at least `retry_after` when the server said so.
    pub fn rate_limited(retry_after: Option<Duration>, message: impl Into<String>) -> Self {
        Self {
            kind: ProviderErrorKind::RateLimited { retry_after },
            message: message.into(),
            retryable: true,
        }
    }

    /// An upstream error status: 5xx and 408 are retryable, anything else is not.
    pub fn upstream(status: u16, message: impl Into<String>) -> Self {
        Self {
            kind: ProviderErrorKind::Upstream { status },
            message: message.into(),
            retryable: status >= 500 || status == 408,
        }
    }

    /// The request is wrong; repeating it cannot help.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: ProviderErrorKind::Invalid,
            message: message.into(),
            retryable: false,
        }
    }

    /// Someone cancelled the call; never retried.
    pub fn cancelled() -> Self {
        Self {
            kind: ProviderErrorKind::Cancelled,
            message: "the call was cancelled".into(),
            retryable: false,
        }
    }

    /// A connection failure (retryable) or a provider that is not there at all (not retryable).
    pub fn unavailable(message: impl Into<String>, retryable: bool) -> Self {
        Self {
            kind: ProviderErrorKind::Unavailable,
            message: message.into(),
            retryable,
        }
    }

    /// Whether the retry loop may try again.
    pub fn retryable(&self) -> bool {
        self.retryable
    }

    /// The server's wait hint for a 429, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.kind {
            ProviderErrorKind::RateLimited { retry_after } => retry_after,
            _ => None,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind == ProviderErrorKind::Cancelled
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ProviderErrorKind::Timeout => write!(f, "provider timed out: {}", self.message)?,
            ProviderErrorKind::RateLimited {
                retry_after: Some(d),
            } => write!(
                f,
                "provider rate limited (retry after {:.1}s): {}",
                d.as_secs_f64(),
                self.message
            )?,
            ProviderErrorKind::RateLimited { retry_after: None } => {
                write!(f, "provider rate limited: {}", self.message)?
            }
            ProviderErrorKind::Upstream { status } => {
                write!(f, "provider error (HTTP {status}): {}", self.message)?
            }
            ProviderErrorKind::Invalid => write!(f, "invalid provider request: {}", self.message)?,
            ProviderErrorKind::Cancelled => write!(f, "provider call cancelled")?,
            ProviderErrorKind::Unavailable => write!(f, "provider unavailable: {}", self.message)?,
        }
        if self.retryable {
            write!(f, " (retryable)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_classification() {
        assert!(ProviderError::timeout("t").retryable());
        assert!(ProviderError::rate_limited(None, "r").retryable());
        assert!(ProviderError::upstream(500, "x").retryable());
        assert!(ProviderError::upstream(503, "x").retryable());
        assert!(!ProviderError::upstream(404, "x").retryable());
        assert!(ProviderError::unavailable("conn refused", true).retryable());
        assert!(!ProviderError::unavailable("not installed", false).retryable());
        assert!(!ProviderError::invalid("bad").retryable());
        assert!(!ProviderError::cancelled().retryable());
    }

    #[test]
    fn display_is_clear() {
        let e = ProviderError::rate_limited(Some(Duration::from_secs(3)), "slow down");
        assert_eq!(
            e.to_string(),
            "provider rate limited (retry after 3.0s): slow down (retryable)"
        );
        assert_eq!(
            ProviderError::upstream(400, "model not found").to_string(),
            "provider error (HTTP 400): model not found"
        );
        assert_eq!(
            ProviderError::cancelled().to_string(),
            "provider call cancelled"
        );
    }
}
