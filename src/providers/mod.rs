//! Providers (docs/API-PROVIDERS.md): one trait per kind of work (LLM, image, video, TTS), the call
//! context every call carries (cancellation, idempotency key, per-attempt timeout), the retry loop
//! with backoff and jitter, per-provider concurrency limits, the offline TTS provider, and the HTTP
//! foundation the remote adapters (OpenAI-compatible chat, images and speech, DashScope tasks,
//! ComfyUI) and the factory that builds them from a registry row ([`adapters`]).
//!
//! A trait method is **one attempt**; [`call_with_retry`] wraps it with the timeout, the limiter and
//! the retries, so every provider gets the same policy and none re-implements it.
//!
//! The traits return boxed futures rather than using `async fn` so that they stay object-safe: the
//! runner holds providers as `Arc<dyn TtsProvider>` chosen from configuration at run time.

pub mod adapters;
mod comfyui;
mod dashscope;
pub mod download;
mod error;
mod espeak;
mod http;
mod images;
mod remote;
mod retry;
mod speech;
pub mod voices;
pub mod wav;

use std::{fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

pub use adapters::{AdapterKind, ModelKind, ModelTarget};
pub use comfyui::ComfyUi;
pub use dashscope::{DashScopeImage, DashScopeVideo};
pub use download::{check_image, download, MAX_AUDIO_BYTES, MAX_IMAGE_BYTES, MAX_VIDEO_BYTES};
pub use error::{ProviderError, ProviderErrorKind};
pub use espeak::{estimate_speech_ms, EspeakTts, ESPEAK_MAX_CHARS, ESPEAK_NOT_FOUND_NOTE};
pub use http::{
    http_error_to_provider_error, http_error_to_provider_error_at, OpenAiCompatibleConfig,
    OpenAiCompatibleLlm,
};
pub use images::OpenAiImages;
pub use retry::{call_with_retry, ProviderLimiter, ProviderSlots, RetryPolicy, SlotPermit};
pub use speech::{OpenAiSpeech, OpenAiTranscription};
pub use voices::{VoiceChoice, VoiceInfo};

/// What a provider call returns: its own future, boxed so the traits work behind `dyn`.
pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// Progress of a long call (a polled task): a fraction in `0.0..=1.0` and a short status line.
pub type ProgressFn = Arc<dyn Fn(f32, &str) + Send + Sync>;

/// What every call carries. Clone it per node; the token is shared so one cancel reaches every call.
#[derive(Clone)]
pub struct CallContext {
    /// Fired by run cancel: the call and any backoff sleep stop at once.
    pub cancel: CancellationToken,
    /// Sent upstream (HTTP `Idempotency-Key`) so a re-run after a crash does not pay twice.
    pub idempotency_key: String,
    /// Limit for one attempt (not for the whole retry loop). Polling adapters bound their whole
    /// wait (submit, polls, download) by it.
    pub timeout: Duration,
    /// Told how a long call is going (ComfyUI and DashScope report while they poll).
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("cancel", &self.cancel)
            .field("idempotency_key", &self.idempotency_key)
            .field("timeout", &self.timeout)
            .field("progress", &self.progress.as_ref().map(|_| "Fn"))
            .finish()
    }
}

impl CallContext {
    pub fn new(idempotency_key: impl Into<String>, timeout: Duration) -> Self {
        Self {
            cancel: CancellationToken::new(),
            idempotency_key: idempotency_key.into(),
            timeout,
            progress: None,
        }
    }

    /// The same call, reporting progress to `f`.
    pub fn with_progress(mut self, f: impl Fn(f32, &str) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Tells the progress callback, if any (the fraction is clamped to `0.0..=1.0`).
    pub fn report_progress(&self, fraction: f32, message: &str) {
        if let Some(f) = &self.progress {
            let fraction = if fraction.is_nan() {
                0.0
            } else {
                fraction.clamp(0.0, 1.0)
            };
            f(fraction, message);
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
    /// The upstream's id for the call (`x-request-id`, or the answer's `id`), for support tickets.
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
    /// The upstream's id for the call (request id, task id or prompt id).
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
    /// The upstream's id for the call (request id, task id or prompt id).
    pub request_id: Option<String>,
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
    /// The upstream's id for the call; `None` for offline providers.
    pub request_id: Option<String>,
}

/// Chat completion.
pub trait LlmProvider: ProviderInfo {
    fn complete<'a>(
        &'a self,
        req: LlmRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, LlmResponse>;

    /// The same completion, with the text handed to `on_delta` as it arrives. One attempt, like
    /// [`LlmProvider::complete`]: when [`call_with_retry`] retries, the next attempt streams from the
    /// start again, so a caller showing the text should start over when a new attempt begins. The
    /// returned response is the whole answer either way. The default calls `complete` and sends
    /// the whole content as one delta.
    fn complete_stream<'a>(
        &'a self,
        req: LlmRequest,
        ctx: &'a CallContext,
        on_delta: &'a (dyn Fn(&str) + Send + Sync),
    ) -> ProviderFuture<'a, LlmResponse> {
        Box::pin(async move {
            let response = self.complete(req, ctx).await?;
            if !response.content.is_empty() {
                on_delta(&response.content);
            }
            Ok(response)
        })
    }
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

/// Audio for speech recognition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsrRequest {
    /// The encoded audio file (WAV, MP3…).
    pub audio: Vec<u8>,
    /// A file name with the right extension; some servers pick the decoder from it.
    pub filename: String,
    pub mime: String,
    /// ISO-639-1, e.g. `zh`; `None` lets the model detect it.
    pub language: Option<String>,
    /// Ask for timed segments (`response_format: verbose_json`), whatever the model's config says.
    pub timestamps: bool,
}

/// A stretch of speech and when it was said, in milliseconds from the audio's start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimedText {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// What was said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    pub text: String,
    /// The audio's length, when the upstream reports it (`verbose_json`).
    pub duration_ms: Option<u64>,
    /// Timed segments, when the upstream reports them (`verbose_json`).
    pub segments: Vec<TimedText>,
    pub request_id: Option<String>,
}

/// Speech to text.
pub trait AsrProvider: ProviderInfo {
    fn transcribe<'a>(
        &'a self,
        req: AsrRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, Transcript>;
}
