//! What the HTTP adapters share: the client, transport-error mapping, one attempt bounded by the
//! call's timeout and cancel, reading an answer, and clear errors for answers that are not what the
//! wire format promises (with a short excerpt, never a panic).

use std::{future::Future, time::Duration};

use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::{http_error_to_provider_error, CallContext, ProviderError};

/// How much of an unexpected answer an error message quotes.
const EXCERPT_CHARS: usize = 160;

/// Connecting is bounded separately from the call, so a dead host fails fast.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn client() -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| ProviderError::unavailable(format!("HTTP client: {e}"), false))
}

/// A transport failure: timeouts are `Timeout`; refused/reset connections and bodies cut short are
/// retryable `Unavailable` (the next attempt may find the server back); anything else (a bad URL)
/// is not retryable.
pub(super) fn reqwest_error(e: reqwest::Error) -> ProviderError {
    // The URL may carry a signed query (a download link); keep it out of the message.
    let e = e.without_url();
    if e.is_timeout() {
        ProviderError::timeout(e.to_string())
    } else if e.is_connect() || e.is_request() || e.is_body() || e.is_decode() {
        ProviderError::unavailable(e.to_string(), true)
    } else {
        ProviderError::unavailable(e.to_string(), false)
    }
}

/// The start of `text` on one line, for an error message.
pub(super) fn excerpt(text: &str) -> String {
    let one_line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(EXCERPT_CHARS + 1)
        .collect();
    if one_line.is_empty() {
        return "(an empty body)".into();
    }
    if one_line.chars().count() > EXCERPT_CHARS {
        let cut: String = one_line.chars().take(EXCERPT_CHARS).collect();
        format!("«{cut}…»")
    } else {
        format!("«{one_line}»")
    }
}

/// An answer that is not what the wire format promises: not retryable (the same request would get
/// the same answer), with the upstream's status and a short excerpt.
pub(super) fn malformed(status: StatusCode, what: &str, detail: &str, body: &str) -> ProviderError {
    ProviderError::upstream(
        status.as_u16(),
        format!("{what} {detail}; it begins {}", excerpt(body)),
    )
}

/// Runs one attempt: it ends with `Cancelled` as soon as the token fires and with `Timeout` when
/// `ctx.timeout` has passed (which bounds the whole attempt, polls and downloads included).
pub(super) async fn bounded<T>(
    ctx: &CallContext,
    what: &str,
    attempt: impl Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    tokio::select! {
        biased;
        _ = ctx.cancel.cancelled() => Err(ProviderError::cancelled()),
        r = tokio::time::timeout(ctx.timeout, attempt) => r.unwrap_or_else(|_| {
            Err(ProviderError::timeout(format!(
                "{what} did not finish within {:.1}s",
                ctx.timeout.as_secs_f64()
            )))
        }),
    }
}

/// A whole answer read as text.
pub(super) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

/// Sends the request and reads the answer as text (transport failures mapped).
pub(super) async fn send(request: reqwest::RequestBuilder) -> Result<Answer, ProviderError> {
    let response = request.send().await.map_err(reqwest_error)?;
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.map_err(reqwest_error)?;
    Ok(Answer {
        status,
        headers,
        text,
    })
}

impl Answer {
    /// An error status mapped by [`http_error_to_provider_error`].
    pub fn error_for_status(&self) -> Result<(), ProviderError> {
        if self.status.is_success() {
            Ok(())
        } else {
            Err(http_error_to_provider_error(
                self.status,
                &self.headers,
                &self.text,
            ))
        }
    }

    /// The body as `T`, or a clear error naming `what` and quoting the start of the body.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, ProviderError> {
        serde_json::from_str(&self.text).map_err(|e| {
            let detail = if looks_like_html(&self.headers, &self.text) {
                "is an HTML page, not JSON".to_owned()
            } else if e.is_eof() {
                format!("is truncated JSON ({e})")
            } else if e.is_data() {
                format!("does not have the expected shape ({e})")
            } else {
                format!("is not JSON ({e})")
            };
            malformed(self.status, what, &detail, &self.text)
        })
    }

    pub fn request_id(&self) -> Option<String> {
        header_request_id(&self.headers)
    }
}

fn looks_like_html(headers: &HeaderMap, body: &str) -> bool {
    let ct_html = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("html"));
    let start = body
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    ct_html || start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// The upstream's request id from the usual headers.
pub(super) fn header_request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "x-dashscope-request-id", "request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

/// Sleeps between polls (the caller's [`bounded`] handles cancel and the deadline).
pub(super) async fn poll_pause(interval: Duration) {
    tokio::time::sleep(interval).await;
}

/// A progress fraction for a task whose length we do not know: it grows with the time spent
/// against the attempt's budget and never claims to be done.
pub(super) fn waited_fraction(started: tokio::time::Instant, budget: Duration) -> f32 {
    let waited = started.elapsed().as_secs_f32();
    let budget = budget.as_secs_f32().max(0.001);
    (0.05 + 0.85 * (waited / budget)).min(0.9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(
            excerpt("  <html>\n <body>oops</body></html> "),
            "«<html> <body>oops</body></html>»"
        );
        assert_eq!(excerpt(""), "(an empty body)");
        let long = excerpt(&"x".repeat(1000));
        assert!(long.ends_with("…»"));
        assert_eq!(long.chars().count(), EXCERPT_CHARS + 3);
    }

    #[test]
    fn json_errors_say_what_went_wrong() {
        let answer = |text: &str, ct: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::CONTENT_TYPE, ct.parse().unwrap());
            Answer {
                status: StatusCode::OK,
                headers,
                text: text.into(),
            }
        };
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Shape {
            id: String,
        }
        let e = answer("<!DOCTYPE html><html>login</html>", "text/html")
            .json::<Shape>("the answer")
            .unwrap_err();
        assert!(e.message.contains("HTML page"), "{}", e.message);
        assert!(!e.retryable());
        let e = answer(r#"{"id": "ab"#, "application/json")
            .json::<Shape>("the answer")
            .unwrap_err();
        assert!(e.message.contains("truncated JSON"), "{}", e.message);
        let e = answer(r#"{"id": 3}"#, "application/json")
            .json::<Shape>("the answer")
            .unwrap_err();
        assert!(e.message.contains("expected shape"), "{}", e.message);
    }

    #[test]
    fn waited_fraction_grows_and_stays_below_one() {
        let start = tokio::time::Instant::now();
        let f = waited_fraction(start, Duration::from_secs(3600));
        assert!((0.05..0.1).contains(&f));
        let long_ago = start - Duration::from_secs(10);
        assert_eq!(waited_fraction(long_ago, Duration::from_secs(1)), 0.9);
    }
}
