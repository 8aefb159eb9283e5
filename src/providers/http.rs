//! The HTTP foundation the remote adapters share: status → [`ProviderError`] mapping and the
//! OpenAI-compatible chat adapter (OpenAI, DashScope compatible mode, DeepSeek, Ollama, vLLM), as
//! one JSON answer or streamed as server-sent events.

use std::{fmt, time::Duration};

use chrono::{DateTime, Utc};
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::StreamExt;
use http::{header::RETRY_AFTER, HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::{
    remote::{self, malformed, reqwest_error},
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
    /// Used when a request sets no temperature (the model's configured default).
    pub default_temperature: Option<f32>,
    /// Used when a request sets no `max_tokens`.
    pub default_max_tokens: Option<u32>,
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
            default_temperature: None,
            default_max_tokens: None,
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
            .field("default_temperature", &self.default_temperature)
            .field("default_max_tokens", &self.default_max_tokens)
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
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ChatAnswer {
    #[serde(default)]
    id: Option<String>,
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

/// One `data:` chunk of a streamed completion (`object: chat.completion.chunk`).
#[derive(Deserialize)]
struct ChatChunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<TokenUsage>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<ChunkDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChunkDelta {
    #[serde(default)]
    content: Option<String>,
}

/// A stream that stops before `data: [DONE]` or breaks: the next attempt may get it whole.
fn broken_stream(detail: impl fmt::Display) -> ProviderError {
    ProviderError::upstream(
        502,
        format!("the chat stream broke before data: [DONE]: {detail}"),
    )
}

/// An `{"error": …}` sent as a `data:` chunk after the stream began (the status was already 200).
fn stream_error(error: &serde_json::Value) -> ProviderError {
    let message = error
        .get("message")
        .and_then(|m| m.as_str())
        .or_else(|| error.as_str())
        .unwrap_or("an error chunk without a message");
    let kind = error.get("type").and_then(|t| t.as_str()).unwrap_or("");
    let code = error.get("code").and_then(|t| t.as_str()).unwrap_or("");
    if kind.contains("invalid_request") {
        ProviderError::invalid(format!("mid-stream: {message}"))
    } else if code.contains("rate_limit") || kind.contains("rate_limit") {
        ProviderError::rate_limited(None, format!("mid-stream: {message}"))
    } else {
        ProviderError::upstream(500, format!("mid-stream: {message}"))
    }
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
        let request = self.request(&req, ctx, false)?;
        let answer = remote::bounded(ctx, "the chat completion", remote::send(request)).await?;
        answer.error_for_status()?;
        self.parse_answer(&answer)
    }

    fn request(
        &self,
        req: &LlmRequest,
        ctx: &CallContext,
        stream: bool,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        if req.messages.is_empty() {
            return Err(ProviderError::invalid("a chat request needs a message"));
        }
        let body = ChatBody {
            model: &self.config.model,
            messages: &req.messages,
            temperature: req.temperature.or(self.config.default_temperature),
            seed: req.seed,
            max_tokens: req.max_tokens.or(self.config.default_max_tokens),
            response_format: req
                .json_mode
                .then(|| serde_json::json!({"type": "json_object"})),
            stream,
            stream_options: stream.then(|| serde_json::json!({"include_usage": true})),
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
        Ok(request)
    }

    fn parse_answer(&self, answer: &remote::Answer) -> Result<LlmResponse, ProviderError> {
        let status = answer.status;
        let parsed: ChatAnswer = answer.json("the chat answer")?;
        let choice =
            parsed.choices.into_iter().next().ok_or_else(|| {
                malformed(status, "the chat answer", "has no choices", &answer.text)
            })?;
        let content = choice
            .message
            .content
            .ok_or_else(|| malformed(status, "the chat answer", "has no content", &answer.text))?;
        Ok(LlmResponse {
            content,
            model: parsed.model.unwrap_or_else(|| self.config.model.clone()),
            usage: parsed.usage,
            finish_reason: choice.finish_reason,
            request_id: answer.request_id().or(parsed.id),
        })
    }

    #[tracing::instrument(
        name = "openai.complete_stream",
        skip_all,
        fields(provider = %self.config.id, model = %self.config.model, key = %ctx.idempotency_key)
    )]
    async fn stream_inner(
        &self,
        req: LlmRequest,
        ctx: &CallContext,
        on_delta: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<LlmResponse, ProviderError> {
        let request = self.request(&req, ctx, true)?;
        remote::bounded(ctx, "the chat stream", async {
            let response = request.send().await.map_err(reqwest_error)?;
            let status = response.status();
            let headers = response.headers().clone();
            if !status.is_success() {
                let text = response.text().await.map_err(reqwest_error)?;
                return Err(http_error_to_provider_error(status, &headers, &text));
            }
            let content_type = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            if !content_type.starts_with("text/event-stream") {
                // A server that ignores `stream: true` answers with one JSON completion.
                let text = response.text().await.map_err(reqwest_error)?;
                let answer = remote::Answer {
                    status,
                    headers,
                    text,
                };
                let response = self.parse_answer(&answer)?;
                if !response.content.is_empty() {
                    on_delta(&response.content);
                }
                return Ok(response);
            }
            let mut events = response.bytes_stream().eventsource();
            let mut content = String::new();
            let mut model = None;
            let mut id = None;
            let mut usage = None;
            let mut finish_reason = None;
            loop {
                let event = match events.next().await {
                    None => return Err(broken_stream("the stream ended")),
                    Some(Err(EventStreamError::Transport(e))) => {
                        let e = reqwest_error(e);
                        return Err(if e.kind == super::ProviderErrorKind::Timeout {
                            e
                        } else {
                            broken_stream(e.message)
                        });
                    }
                    Some(Err(e)) => return Err(broken_stream(e)),
                    Some(Ok(event)) => event,
                };
                let data = event.data.trim();
                if data == "[DONE]" {
                    break;
                }
                if data.is_empty() {
                    continue;
                }
                let value: serde_json::Value = serde_json::from_str(data).map_err(|e| {
                    malformed(
                        status,
                        "a chat stream chunk",
                        &format!("is not JSON ({e})"),
                        data,
                    )
                })?;
                if let Some(error) = value.get("error") {
                    return Err(stream_error(error));
                }
                let chunk: ChatChunk = serde_json::from_value(value).map_err(|e| {
                    malformed(
                        status,
                        "a chat stream chunk",
                        &format!("does not have the expected shape ({e})"),
                        data,
                    )
                })?;
                id = id.or(chunk.id);
                model = model.or(chunk.model);
                usage = chunk.usage.or(usage);
                for choice in chunk.choices {
                    if let Some(text) = choice.delta.and_then(|d| d.content) {
                        if !text.is_empty() {
                            on_delta(&text);
                            content.push_str(&text);
                        }
                    }
                    finish_reason = choice.finish_reason.or(finish_reason);
                }
            }
            Ok(LlmResponse {
                content,
                model: model.unwrap_or_else(|| self.config.model.clone()),
                usage,
                finish_reason,
                request_id: remote::header_request_id(&headers).or(id),
            })
        })
        .await
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

    fn complete_stream<'a>(
        &'a self,
        req: LlmRequest,
        ctx: &'a CallContext,
        on_delta: &'a (dyn Fn(&str) + Send + Sync),
    ) -> ProviderFuture<'a, LlmResponse> {
        Box::pin(self.stream_inner(req, ctx, on_delta))
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
