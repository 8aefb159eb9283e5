//! The HTTP foundation the remote adapters share: status → [`ProviderError`] mapping and the
//! OpenAI-compatible chat adapter (OpenAI, DashScope compatible mode, DeepSeek, Ollama, vLLM).

use std::{fmt, time::Duration};

use chrono::{DateTime, Utc};
use http::{header::RETRY_AFTER, HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::{
    CallContext, ChatMessage, LlmProvider, LlmRequest, LlmResponse, ProviderError, ProviderFuture,
    ProviderInfo, TokenUsage,
};

/// Upstream messages are for logs and the node's error line; keep them short.
const MAX_MESSAGE_CHARS: usize = 500;

/// Maps an upstream error answer: 429 → `RateLimited` with its `Retry-After` (seconds or an
/// HTTP-date), 408 and 5xx → retryable `Upstream`, other 4xx → `Invalid` with the upstream's own
/// message (OpenAI's `{"error":{"message":…}}` when present).
pub fn http_error_to_provider_error(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
) -> ProviderError {
    http_error_to_provider_error_at(status, headers, body, Utc::now())
}

/// [`http_error_to_provider_error`] with the clock given, for an HTTP-date `Retry-After`.
#[tracing::instrument(level = "debug", skip(headers, body))]
pub fn http_error_to_provider_error_at(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    now: DateTime<Utc>,
) -> ProviderError {
    let message = upstream_message(status, body);
    let code = status.as_u16();
    match code {
        429 => {
            let retry_after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now));
            ProviderError::rate_limited(retry_after, message)
        }
        408 | 500..=599 => ProviderError::upstream(code, message),
        400..=499 => ProviderError::invalid(format!("HTTP {code}: {message}")),
        _ => ProviderError::upstream(code, message),
    }
}

/// `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // Some servers send fractional seconds; accept them rather than ignore the hint.
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

fn upstream_message(status: StatusCode, body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let m = v
                .pointer("/error/message")
                .or_else(|| v.get("message"))
                .or_else(|| v.get("error"))?;
            m.as_str().map(str::to_owned)
        });
    let text = from_json.unwrap_or_else(|| body.trim().to_owned());
    if text.is_empty() {
        return status.canonical_reason().unwrap_or("no message").to_owned();
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        let cut: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
        return format!("{cut}…");
    }
    text
}

fn reqwest_error(e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::timeout(e.to_string())
    } else if e.is_connect() || e.is_request() {
        // Refused, reset, DNS: the next attempt may find the server back.
        ProviderError::unavailable(e.to_string(), true)
    } else {
        ProviderError::unavailable(e.to_string(), false)
    }
}

/// Where and how to reach an OpenAI-compatible chat endpoint.
#[derive(Clone)]
pub struct OpenAiCompatibleConfig {
    /// The provider id, e.g. `deepseek`; keys the limiter and the cache.
    pub id: String,
    /// Up to and including the version, e.g. `https://api.deepseek.com/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub max_concurrency: usize,
    /// Credits per 1,000 tokens.
    pub price_credits_per_unit: u64,
    pub connect_timeout: Duration,
}

impl OpenAiCompatibleConfig {
    pub fn new(
        id: impl Into<String>,
        base_url: impl Into<String>,
        model: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            max_concurrency: 4,
            price_credits_per_unit: 0,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for OpenAiCompatibleConfig {
    // The API key never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiCompatibleConfig")
            .field("id", &self.id)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("max_concurrency", &self.max_concurrency)
            .field("price_credits_per_unit", &self.price_credits_per_unit)
            .finish()
    }
}

/// Chat completions over the OpenAI wire format. One call is one attempt; wrap it in
/// [`super::call_with_retry`].
#[derive(Debug, Clone)]
pub struct OpenAiCompatibleLlm {
    config: OpenAiCompatibleConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
}

#[derive(Deserialize)]
struct ChatAnswer {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<ChatChoice>,
    #[serde(default)]
    usage: Option<TokenUsage>,
}

#[derive(Deserialize)]
struct ChatChoice {
    message: ChatAnswerMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChatAnswerMessage {
    #[serde(default)]
    content: Option<String>,
}

impl OpenAiCompatibleLlm {
    pub fn new(config: OpenAiCompatibleConfig) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| ProviderError::unavailable(format!("HTTP client: {e}"), false))?;
        Ok(Self { config, client })
    }

    pub fn config(&self) -> &OpenAiCompatibleConfig {
        &self.config
    }

    fn endpoint(&self) -> String {
        format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        )
    }

    #[tracing::instrument(
        name = "openai.complete",
        skip_all,
        fields(provider = %self.config.id, model = %self.config.model, key = %ctx.idempotency_key)
    )]
    async fn complete_inner(
        &self,
        req: LlmRequest,
        ctx: &CallContext,
    ) -> Result<LlmResponse, ProviderError> {
        if req.messages.is_empty() {
            return Err(ProviderError::invalid("a chat request needs a message"));
        }
        let body = ChatBody {
            model: &self.config.model,
            messages: &req.messages,
            temperature: req.temperature,
            seed: req.seed,
            max_tokens: req.max_tokens,
        };
        let mut request = self
            .client
            .post(self.endpoint())
            .timeout(ctx.timeout)
            .header("Idempotency-Key", &ctx.idempotency_key)
            .json(&body);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let send = async {
            let response = request.send().await.map_err(reqwest_error)?;
            let status = response.status();
            let headers = response.headers().clone();
            let text = response.text().await.map_err(reqwest_error)?;
            Ok::<_, ProviderError>((status, headers, text))
        };
        let (status, headers, text) = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => return Err(ProviderError::cancelled()),
            r = send => r?,
        };
        if !status.is_success() {
            return Err(http_error_to_provider_error(status, &headers, &text));
        }
        let answer: ChatAnswer = serde_json::from_str(&text).map_err(|e| {
            ProviderError::upstream(
                status.as_u16(),
                format!("the chat answer is not OpenAI JSON: {e}"),
            )
        })?;
        let choice = answer.choices.into_iter().next().ok_or_else(|| {
            ProviderError::upstream(status.as_u16(), "the chat answer has no choices")
        })?;
        let content = choice.message.content.ok_or_else(|| {
            ProviderError::upstream(status.as_u16(), "the chat answer has no content")
        })?;
        Ok(LlmResponse {
            content,
            model: answer.model.unwrap_or_else(|| self.config.model.clone()),
            usage: answer.usage,
            finish_reason: choice.finish_reason,
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        })
    }
}

impl ProviderInfo for OpenAiCompatibleLlm {
    fn id(&self) -> &str {
        &self.config.id
    }
    fn model(&self) -> &str {
        &self.config.model
    }
    fn price_credits_per_unit(&self) -> u64 {
        self.config.price_credits_per_unit
    }
    fn max_concurrency(&self) -> usize {
        self.config.max_concurrency.max(1)
    }
}

impl LlmProvider for OpenAiCompatibleLlm {
    fn complete<'a>(
        &'a self,
        req: LlmRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, LlmResponse> {
        Box::pin(self.complete_inner(req, ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ProviderErrorKind;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, retry_after.parse().unwrap());
        h
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn maps_429_with_seconds_and_dates() {
        let e = http_error_to_provider_error_at(
            StatusCode::TOO_MANY_REQUESTS,
            &headers("7"),
            "",
            now(),
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(e.retryable());
        let e = http_error_to_provider_error_at(
            StatusCode::TOO_MANY_REQUESTS,
            &headers("Wed, 21 Oct 2015 07:28:30 GMT"),
            "",
            now(),
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        // A date in the past means "now".
        let e = http_error_to_provider_error_at(
            StatusCode::TOO_MANY_REQUESTS,
            &headers("Wed, 21 Oct 2015 07:00:00 GMT"),
            "",
            now(),
        );
        assert_eq!(e.retry_after(), Some(Duration::ZERO));
        let e = http_error_to_provider_error_at(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            "",
            now(),
        );
        assert_eq!(e.kind, ProviderErrorKind::RateLimited { retry_after: None });
        let e = http_error_to_provider_error_at(
            StatusCode::TOO_MANY_REQUESTS,
            &headers("soon"),
            "",
            now(),
        );
        assert_eq!(e.retry_after(), None);
    }

    #[test]
    fn maps_5xx_and_4xx() {
        let h = HeaderMap::new();
        let e =
            http_error_to_provider_error(StatusCode::BAD_GATEWAY, &h, "<html>bad gateway</html>");
        assert_eq!(e.kind, ProviderErrorKind::Upstream { status: 502 });
        assert!(e.retryable());
        assert_eq!(e.message, "<html>bad gateway</html>");
        let e = http_error_to_provider_error(StatusCode::REQUEST_TIMEOUT, &h, "");
        assert!(e.retryable());
        let body = r#"{"error":{"message":"The model `gpt-x` does not exist","type":"invalid_request_error"}}"#;
        let e = http_error_to_provider_error(StatusCode::NOT_FOUND, &h, body);
        assert_eq!(e.kind, ProviderErrorKind::Invalid);
        assert!(!e.retryable());
        assert_eq!(e.message, "HTTP 404: The model `gpt-x` does not exist");
        let e = http_error_to_provider_error(StatusCode::UNAUTHORIZED, &h, "");
        assert_eq!(e.message, "HTTP 401: Unauthorized");
        let long = "x".repeat(2000);
        let e = http_error_to_provider_error(StatusCode::INTERNAL_SERVER_ERROR, &h, &long);
        assert_eq!(e.message.chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn api_key_is_not_in_debug() {
        let mut c = OpenAiCompatibleConfig::new("x", "http://127.0.0.1:1/v1", "m");
        c.api_key = Some("sk-secret".into());
        assert!(!format!("{c:?}").contains("sk-secret"));
    }
}
