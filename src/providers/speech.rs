//! OpenAI's audio API: `POST /audio/speech` (text to a WAV) and `POST /audio/transcriptions`
//! (multipart audio to text), and the servers that copy it.

use serde::Deserialize;
use serde_json::json;

use super::{
    adapters::ModelTarget,
    download::{read_body, MAX_AUDIO_BYTES},
    remote::{self, reqwest_error},
    wav, AsrProvider, AsrRequest, AudioOutput, CallContext, ProviderError, ProviderFuture,
    ProviderInfo, TimedText, Transcript, TtsProvider, TtsRequest,
};

/// Text to speech. Config: `voice` (used when the request names none; default `alloy`),
/// `instructions` (sent as is, for models that take them).
#[derive(Debug, Clone)]
pub struct OpenAiSpeech {
    target: ModelTarget,
    client: reqwest::Client,
}

impl OpenAiSpeech {
    pub fn new(target: ModelTarget) -> Result<Self, ProviderError> {
        target.validate()?;
        Ok(Self {
            target,
            client: remote::client()?,
        })
    }

    #[tracing::instrument(
        name = "openai.speech",
        skip_all,
        fields(provider = %self.target.provider_id, model = %self.target.model_name, key = %ctx.idempotency_key)
    )]
    async fn speak_inner(
        &self,
        req: TtsRequest,
        ctx: &CallContext,
    ) -> Result<AudioOutput, ProviderError> {
        if req.text.trim().is_empty() {
            return Err(ProviderError::invalid("a speech request needs text"));
        }
        let voice = req
            .voice
            .clone()
            .filter(|v| !v.is_empty())
            .or_else(|| self.target.config_str("voice").map(str::to_owned))
            .unwrap_or_else(|| "alloy".into());
        let speed = if req.speed.is_finite() && req.speed > 0.0 {
            req.speed.clamp(0.25, 4.0)
        } else {
            1.0
        };
        let mut body = json!({
            "model": self.target.model_name,
            "input": req.text,
            "voice": voice,
            "response_format": "wav",
            "speed": speed,
        });
        if let Some(instructions) = self.target.config_str("instructions") {
            body["instructions"] = json!(instructions);
        }
        let request = self
            .target
            .authorize(self.client.post(self.target.url("audio/speech")))
            .timeout(ctx.timeout)
            .header("Idempotency-Key", &ctx.idempotency_key)
            .json(&body);
        remote::bounded(ctx, "the speech synthesis", async {
            let response = request.send().await.map_err(reqwest_error)?;
            let status = response.status();
            let request_id = remote::header_request_id(response.headers());
            let (bytes, _) = read_body(
                response,
                MAX_AUDIO_BYTES,
                &["audio/", "application/octet-stream", "binary/"],
                "the speech answer",
            )
            .await?;
            // OpenAI streams its WAV, so the header's sizes are placeholders: trust the bytes.
            let (wav, info) = wav::normalize_wav(&bytes).map_err(|e| {
                remote::malformed(
                    status,
                    "the speech answer",
                    &format!("is not a PCM WAV ({e})"),
                    &String::from_utf8_lossy(&bytes[..bytes.len().min(200)]),
                )
            })?;
            Ok(AudioOutput {
                wav,
                duration_ms: info.duration_ms(),
                note: None,
                request_id,
            })
        })
        .await
    }
}

impl ProviderInfo for OpenAiSpeech {
    fn id(&self) -> &str {
        &self.target.provider_id
    }
    fn model(&self) -> &str {
        &self.target.model_name
    }
    fn max_concurrency(&self) -> usize {
        self.target.max_concurrency()
    }
}

impl TtsProvider for OpenAiSpeech {
    fn speak<'a>(
        &'a self,
        req: TtsRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, AudioOutput> {
        Box::pin(self.speak_inner(req, ctx))
    }
}

/// Speech to text. Config: `response_format` (default `json`; `verbose_json` also reports the
/// duration), `language` (used when the request names none), `prompt`.
#[derive(Debug, Clone)]
pub struct OpenAiTranscription {
    target: ModelTarget,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct TranscriptionAnswer {
    text: String,
    /// Seconds (`verbose_json` only).
    #[serde(default)]
    duration: Option<f64>,
    /// `verbose_json` only.
    #[serde(default)]
    segments: Vec<AnswerSegment>,
}

#[derive(Deserialize)]
struct AnswerSegment {
    start: f64,
    end: f64,
    text: String,
}

fn seconds_to_ms(s: f64) -> u64 {
    if s.is_finite() && s > 0.0 {
        (s * 1000.0).round() as u64
    } else {
        0
    }
}

impl OpenAiTranscription {
    pub fn new(target: ModelTarget) -> Result<Self, ProviderError> {
        target.validate()?;
        Ok(Self {
            target,
            client: remote::client()?,
        })
    }

    #[tracing::instrument(
        name = "openai.transcribe",
        skip_all,
        fields(provider = %self.target.provider_id, model = %self.target.model_name, key = %ctx.idempotency_key)
    )]
    async fn transcribe_inner(
        &self,
        req: AsrRequest,
        ctx: &CallContext,
    ) -> Result<Transcript, ProviderError> {
        if req.audio.is_empty() {
            return Err(ProviderError::invalid("a transcription needs audio"));
        }
        let filename = if req.filename.is_empty() {
            "audio.wav".to_owned()
        } else {
            req.filename.clone()
        };
        let mime = if req.mime.is_empty() {
            "application/octet-stream"
        } else {
            &req.mime
        };
        let file = reqwest::multipart::Part::bytes(req.audio)
            .file_name(filename)
            .mime_str(mime)
            .map_err(|e| ProviderError::invalid(format!("bad audio MIME type {mime:?}: {e}")))?;
        let response_format = if req.timestamps {
            "verbose_json"
        } else {
            self.target.config_str("response_format").unwrap_or("json")
        };
        let mut form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.target.model_name.clone())
            .text("response_format", response_format.to_owned());
        let language = req
            .language
            .clone()
            .filter(|l| !l.is_empty())
            .or_else(|| self.target.config_str("language").map(str::to_owned));
        if let Some(language) = language {
            form = form.text("language", language);
        }
        if let Some(prompt) = self.target.config_str("prompt") {
            form = form.text("prompt", prompt.to_owned());
        }
        let request = self
            .target
            .authorize(self.client.post(self.target.url("audio/transcriptions")))
            .timeout(ctx.timeout)
            .header("Idempotency-Key", &ctx.idempotency_key)
            .multipart(form);
        remote::bounded(ctx, "the transcription", async {
            let answer = remote::send(request).await?;
            answer.error_for_status()?;
            let parsed: TranscriptionAnswer = answer.json("the transcription answer")?;
            Ok(Transcript {
                text: parsed.text,
                duration_ms: parsed
                    .duration
                    .filter(|d| d.is_finite() && *d >= 0.0)
                    .map(|d| (d * 1000.0).round() as u64),
                segments: parsed
                    .segments
                    .into_iter()
                    .map(|s| TimedText {
                        start_ms: seconds_to_ms(s.start),
                        end_ms: seconds_to_ms(s.end).max(seconds_to_ms(s.start)),
                        text: s.text.trim().to_string(),
                    })
                    .filter(|s| !s.text.is_empty())
                    .collect(),
                request_id: answer.request_id(),
            })
        })
        .await
    }
}

impl ProviderInfo for OpenAiTranscription {
    fn id(&self) -> &str {
        &self.target.provider_id
    }
    fn model(&self) -> &str {
        &self.target.model_name
    }
    fn max_concurrency(&self) -> usize {
        self.target.max_concurrency()
    }
}

impl AsrProvider for OpenAiTranscription {
    fn transcribe<'a>(
        &'a self,
        req: AsrRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, Transcript> {
        Box::pin(self.transcribe_inner(req, ctx))
    }
}
