//! Providers (DESIGN §6): one trait per kind of work (LLM, image, video, TTS), the call context every
//! call carries (cancellation, idempotency key, per-attempt timeout), the retry loop with backoff and
//! jitter, per-provider concurrency limits, the offline TTS provider, and the HTTP foundation the
//! remote adapters build on.
//!
//! A trait method is **one attempt**; [`call_with_retry`] wraps it with the timeout, the limiter and
//! the retries, so every provider gets the same policy and none re-implements it.
//!
//! The traits return boxed futures rather than using `async fn` so that they stay object-safe: the
//! runner holds providers as `Arc<dyn TtsProvider>` chosen from configuration at run time.

pub mod adapters;
pub mod download;
mod error;
mod espeak;
mod http;
mod retry;
pub mod wav;

use std::{future::Future, pin::Pin, time::Duration};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

pub use adapters::{AdapterKind, ModelKind, ModelTarget};
pub use error::{ProviderError, ProviderErrorKind};
pub use espeak::{estimate_speech_ms, EspeakTts, ESPEAK_MAX_CHARS, ESPEAK_NOT_FOUND_NOTE};
pub use http::{
    http_error_to_provider_error, http_error_to_provider_error_at, OpenAiCompatibleConfig,
    OpenAiCompatibleLlm,
};
pub use retry::{call_with_retry, ProviderLimiter, ProviderSlots, RetryPolicy, SlotPermit};

/// What a provider call returns: its own future, boxed so the traits work behind `dyn`.
pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// What every call carries. Clone it per node; the token is shared so one cancel reaches every call.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// Fired by run cancel: the call and any backoff sleep stop at once.
    pub cancel: CancellationToken,
    /// Sent upstream (HTTP `Idempotency-Key`) so a re-run after a crash does not pay twice.
    pub idempotency_key: String,
    /// Limit for one attempt (not for the whole retry loop).
    pub timeout: Duration,
}

impl CallContext {
    pub fn new(idempotency_key: impl Into<String>, timeout: Duration) -> Self {
        Self {
            cancel: CancellationToken::new(),
            idempotency_key: idempotency_key.into(),
            timeout,
        }
    }

    /// The same call under another token (e.g. a child token of the run's).
    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }
}

/// What every provider says about itself; the runner uses it for caching keys, billing and limits.
pub trait ProviderInfo: Send + Sync {
    /// Stable id, e.g. `espeak-ng` or `openai-compatible:deepseek`; keys the concurrency limiter.
    fn id(&self) -> &str;
    /// The model (or engine version) that goes into the node's cache key.
    fn model(&self) -> &str;
    /// Credits per unit: LLM per 1,000 tokens, image per image, video per second, TTS per
    /// 1,000 characters. Built-in offline providers cost 0.
    fn price_credits_per_unit(&self) -> u64 {
        0
    }
    /// How many calls to this provider may run at once.
    fn max_concurrency(&self) -> usize;
}

/// One chat message in the OpenAI sense (`system`, `user`, `assistant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: "system".into(),
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: "user".into(),
            content: content.into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmRequest {
    pub messages: Vec<ChatMessage>,
    pub temperature: Option<f32>,
    pub seed: Option<u64>,
    pub max_tokens: Option<u32>,
    /// Ask for a JSON object (`response_format: {"type": "json_object"}`).
    #[serde(default)]
    pub json_mode: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmResponse {
    pub content: String,
    /// The model the upstream says answered (may differ from the one asked for).
    pub model: String,
    pub usage: Option<TokenUsage>,
    pub finish_reason: Option<String>,
    /// The upstream's request id, for provenance.
    #[serde(default)]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageRequest {
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub width: u32,
    pub height: u32,
    pub seed: Option<u64>,
    /// Encoded images (PNG/JPEG) that keep characters consistent across shots.
    pub reference_images: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOutput {
    pub bytes: Vec<u8>,
    pub mime: String,
    /// The seed actually used, so a regenerate can reproduce or vary it.
    pub seed: Option<u64>,
    pub model: String,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VideoRequest {
    /// The keyframe to animate (encoded PNG/JPEG).
    pub image: Vec<u8>,
    pub prompt: String,
    pub duration_ms: u64,
    pub width: u32,
    pub height: u32,
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoOutput {
    pub bytes: Vec<u8>,
    pub mime: String,
    pub duration_ms: u64,
    pub seed: Option<u64>,
    pub model: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TtsRequest {
    pub text: String,
    /// A provider-specific voice name; `None` picks one from `language`.
    pub voice: Option<String>,
    /// BCP-47-ish language, e.g. `zh`, `zh-CN`, `en`.
    pub language: String,
    /// 1.0 is the provider's normal rate.
    pub speed: f32,
}

impl Default for TtsRequest {
    fn default() -> Self {
        Self {
            text: String::new(),
            voice: None,
            language: "zh".into(),
            speed: 1.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioOutput {
    /// A complete WAV file.
    pub wav: Vec<u8>,
    pub duration_ms: u64,
    /// Something the node's log should say, e.g. that a fallback was used.
    pub note: Option<String>,
    pub request_id: Option<String>,
}

/// Chat completion.
pub trait LlmProvider: ProviderInfo {
    fn complete<'a>(
        &'a self,
        req: LlmRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, LlmResponse>;
}

/// Text (plus reference images) to image.
pub trait ImageProvider: ProviderInfo {
    fn generate<'a>(
        &'a self,
        req: ImageRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, ImageOutput>;
}

/// Image to video clip.
pub trait VideoProvider: ProviderInfo {
    fn animate<'a>(
        &'a self,
        req: VideoRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, VideoOutput>;
}

/// Text to speech.
pub trait TtsProvider: ProviderInfo {
    fn speak<'a>(
        &'a self,
        req: TtsRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, AudioOutput>;
}
