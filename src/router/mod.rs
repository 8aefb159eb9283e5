//! The model router (docs/API-ROUTER.md): OpenAI-compatible calls on the team's models, metered
//! exactly once through the ledger.
//!
//! Every request gets an id and one row in `router_requests`. Before any upstream call the row is
//! opened together with a hold of the most the call can cost (the prompt's byte count as a bound
//! on its tokens, plus `max_tokens`, at the dearest channel's price): a caller who cannot cover it
//! gets 402 and no upstream is called. The row is finished together with the settlement (the
//! usage the upstream reported, at the serving channel's price as it was when the request started)
//! or the void (nothing produced). Retries and fallback to the next channel happen only before
//! anything reached the client; once a stream has started, it runs to its end, and what the client
//! was sent is what is billed if the upstream never says its usage. A process that dies mid-request
//! leaves open rows; a live process voids their holds and closes them as `interrupted`.
pub mod channels;
pub mod events;
pub mod stats;
pub mod store;
mod tokens;

use std::time::{Duration, Instant};

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::{
    clock::rfc3339,
    db::DbError,
    error::ErrorCode,
    ledger::{self, HoldRequest, LedgerError, Purpose},
    providers::ModelKind,
    registry::{self, Channel, RegistryError},
    AppState,
};
pub use store::UsageRow;

/// `max_tokens` when neither the request nor the model's config names one.
const DEFAULT_MAX_TOKENS: i64 = 4096;
/// At most this many channels are tried for one request.
const MAX_CHANNELS: usize = 3;
/// A non-streaming answer larger than this is refused (an upstream gone wrong).
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// How long the router waits on upstreams (`Config::router`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterTimeouts {
    /// From sending the request to the upstream's first answer (headers and, streaming, its
    /// first event); past it the next channel is tried.
    pub first_byte: Duration,
    /// The longest silence in a stream once it started; past it the stream ends as `stalled`.
    pub stall: Duration,
    /// After the client went away, how long the upstream is still read to learn the usage.
    pub drain: Duration,
    /// A comment line sent to the client after this much silence, so proxies keep the stream.
    pub keepalive: Duration,
}

impl Default for RouterTimeouts {
    fn default() -> Self {
        Self {
            first_byte: Duration::from_secs(60),
            stall: Duration::from_secs(60),
            drain: Duration::from_secs(10),
            keepalive: Duration::from_secs(15),
        }
    }
}

/// The router's per-process state: channel health and the upstream HTTP client.
pub struct Router {
    pub breakers: channels::Breakers,
    /// Each public model's channels, as last read.
    channels: channels::ChannelCache,
    /// The live topics (`/ws`), relayed between replicas.
    pub events: crate::progress::ProgressHub<events::RouterEvent>,
    http: reqwest::Client,
}

impl Default for Router {
    fn default() -> Self {
        Self {
            breakers: channels::Breakers::default(),
            channels: channels::ChannelCache::default(),
            events: crate::progress::ProgressHub::new(256),
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .pool_max_idle_per_host(64)
                .build()
                .unwrap_or_default(),
        }
    }
}

/// Who pays: a person, through one of their API keys or a session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub api_key_id: Option<String>,
    /// The key's limits (none for a session).
    pub limits: crate::auth::KeyLimits,
}

impl Caller {
    /// 403 unless the key may call the public model `name`.
    fn may_call(&self, name: &str) -> Result<(), RouterError> {
        if self.limits.allows(name) {
            return Ok(());
        }
        Err(RouterError {
            param: Some("model"),
            ..RouterError::new(
                ErrorCode::Forbidden,
                "permission_error",
                format!("this API key may not call `{name}` (its models are set when it is made)"),
            )
            .with_code("model_not_allowed")
        })
    }
}

/// The router's answer to the client.
pub enum Reply {
    /// A whole JSON answer.
    Json { request_id: String, body: Bytes },
    /// Bytes of another type (speech audio), as the upstream sent them.
    Binary {
        request_id: String,
        content_type: String,
        body: Bytes,
    },
    /// Server-Sent Events, already framed (`data: …\n\n`), as they come.
    Stream {
        request_id: String,
        events: mpsc::Receiver<Bytes>,
    },
}

/// A refusal in OpenAI's terms (`type`, `code`, `param`), with its status from the one error table.
#[derive(Debug, Clone)]
pub struct RouterError {
    pub code: ErrorCode,
    pub message: String,
    /// OpenAI's error `type`: `invalid_request_error`, `insufficient_quota`, `api_error`, …
    pub kind: &'static str,
    /// OpenAI's error `code`: `model_not_found`, `insufficient_quota`, …
    pub openai_code: Option<&'static str>,
    pub param: Option<&'static str>,
    pub retry_after: Option<u64>,
    pub request_id: Option<String>,
}

impl RouterError {
    fn new(code: ErrorCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            kind,
            openai_code: None,
            param: None,
            retry_after: None,
            request_id: None,
        }
    }

    fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        Self {
            param: Some(param),
            ..Self::new(ErrorCode::ValidationError, "invalid_request_error", message)
        }
    }

    fn with_code(mut self, code: &'static str) -> Self {
        self.openai_code = Some(code);
        self
    }

    fn for_request(mut self, id: &str) -> Self {
        self.request_id = Some(id.to_string());
        self
    }
}

impl From<DbError> for RouterError {
    fn from(e: DbError) -> Self {
        tracing::error!(error = %e, "router: database error");
        Self::new(ErrorCode::Internal, "api_error", "internal error")
    }
}

impl From<LedgerError> for RouterError {
    fn from(e: LedgerError) -> Self {
        tracing::error!(error = %e, "router: ledger error");
        Self::new(ErrorCode::Internal, "api_error", "internal error")
    }
}

impl From<RegistryError> for RouterError {
    fn from(e: RegistryError) -> Self {
        tracing::error!(error = %e, "router: registry error");
        Self::new(
            ErrorCode::ServiceUnavailable,
            "api_error",
            format!("the model cannot be called: {e}"),
        )
    }
}

// ------------------------------------------------------------------------------------------ models

/// `GET /v1/models`: every public model name the router serves to `caller`, once each.
pub async fn models(state: &AppState, caller: &Caller) -> Result<Value, RouterError> {
    let mut seen = std::collections::BTreeMap::new();
    for m in registry::router_catalog(state).await? {
        if !caller.limits.allows(&m.public_name) {
            continue;
        }
        seen.entry(m.public_name.clone()).or_insert(m);
    }
    let data: Vec<Value> = seen
        .into_values()
        .map(|m| {
            let created = chrono::DateTime::parse_from_rfc3339(&m.created_at)
                .map(|t| t.timestamp())
                .unwrap_or(0);
            json!({"id": m.public_name, "object": "model", "created": created,
                   "owned_by": m.provider, "kind": m.kind.as_str(),
                   "pricing": {"credits_in": m.credits_cost, "credits_out": m.output_credits_cost,
                               "unit": m.unit}})
        })
        .collect();
    Ok(json!({"object": "list", "data": data}))
}

// ------------------------------------------------------------------------------------------ chat

/// What one request needs to finish its row.
struct Metering {
    request_id: String,
    user_id: String,
    endpoint: &'static str,
    hold_id: String,
    estimate: i64,
    started: Instant,
    attempts: i64,
}

/// A `/v1` JSON body: an object, and its `model` (a public model name).
fn object_with_model(body: Value) -> Result<(serde_json::Map<String, Value>, String), RouterError> {
    let Value::Object(body) = body else {
        return Err(RouterError::invalid("body", "the body is a JSON object"));
    };
    let public = required_model(&body)?;
    Ok((body, public))
}

/// The `model` field: a public model name.
fn required_model(body: &serde_json::Map<String, Value>) -> Result<String, RouterError> {
    body.get("model")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .ok_or_else(|| RouterError::invalid("model", "model is required (a model's name)"))
}

/// The channels of `public` for `kind` that `caller` may call (403 for a key made for other
/// models, 404 when none serves it).
async fn channels_for(
    state: &AppState,
    caller: &Caller,
    kind: ModelKind,
    public: &str,
) -> Result<Vec<Channel>, RouterError> {
    caller.may_call(public)?;
    let cache = &state.router.channels;
    let (generation, now) = (state.db.registry_generation(), Instant::now());
    let channels = match cache.get(kind, public, generation, now) {
        Some(channels) => channels,
        None => {
            let channels = registry::router_channels(state, kind, public).await?;
            cache.put(kind, public, generation, now, &channels);
            channels
        }
    };
    if channels.is_empty() {
        return Err(RouterError::new(
            ErrorCode::NotFound,
            "invalid_request_error",
            format!("The model `{public}` does not exist or you do not have access to it."),
        )
        .with_code("model_not_found"));
    }
    Ok(channels)
}

fn new_request(
    state: &AppState,
    caller: &Caller,
    endpoint: &'static str,
    public: &str,
    stream: bool,
) -> store::NewRequest {
    store::NewRequest {
        id: state.ids.new_id().to_string(),
        user_id: caller.user_id.clone(),
        api_key_id: caller.api_key_id.clone(),
        endpoint,
        public_model: public.to_string(),
        stream,
        instance_id: crate::instances::me().to_string(),
        created_at: rfc3339(state.clock.now()),
    }
}

/// `POST /v1/chat/completions`.
#[tracing::instrument(skip(state, body), fields(user = %caller.user_id))]
pub async fn chat_completions(
    state: &AppState,
    caller: Caller,
    body: Value,
) -> Result<Reply, RouterError> {
    let started = Instant::now();
    let (mut body, public) = object_with_model(body)?;
    let messages = match body.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m.clone(),
        _ => {
            return Err(RouterError::invalid(
                "messages",
                "messages is a non-empty array of {role, content}",
            ))
        }
    };
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(RouterError::invalid("stream", "stream is true or false")),
    };
    let max_tokens = match body
        .get("max_completion_tokens")
        .or_else(|| body.get("max_tokens"))
    {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) if n > 0 => Some(n),
            _ => {
                return Err(RouterError::invalid(
                    "max_tokens",
                    "max_tokens is a positive integer",
                ))
            }
        },
    };
    let wants_usage = stream
        && body
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(false);

    let channels = channels_for(state, &caller, ModelKind::Llm, &public).await?;
    let cap = max_tokens.unwrap_or_else(|| {
        channels[0]
            .model
            .config
            .get("max_tokens")
            .and_then(Value::as_i64)
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_MAX_TOKENS)
    });
    let prompt_json = Value::Array(messages.clone()).to_string();
    let bound = tokens::upper_bound(prompt_json.len(), messages.len());
    let estimate = dearest(&channels, |c| {
        tokens::credits(
            bound,
            cap,
            c.model.credits_cost,
            c.model.output_credits_cost,
        )
    });
    let new = new_request(state, &caller, "chat.completions", &public, stream);
    if stream {
        // Ask for the usage chunk, keeping whatever other stream options the client sent.
        let options = body.entry("stream_options").or_insert_with(|| json!({}));
        match options {
            Value::Object(o) => {
                o.insert("include_usage".into(), Value::Bool(true));
            }
            other => *other = json!({"include_usage": true}),
        }
    }
    let prompt_text = message_text(&messages);
    let (metering, channel, answered) = hold_and_call(
        state,
        &caller,
        new,
        estimate,
        channels,
        Payload::Json(&mut body),
        "chat/completions",
        if stream { Expect::Stream } else { Expect::Json },
        started,
    )
    .await?;
    match answered {
        Answered::Whole(answer) => {
            let usage = answer_usage(&answer, &prompt_text);
            let cost = token_cost(&channel, usage);
            settle_completed(state, &metering, &channel, usage, cost).await?;
            Ok(Reply::Json {
                request_id: metering.request_id,
                body: answer,
            })
        }
        Answered::Binary(..) => Err(RouterError::new(
            ErrorCode::UpstreamFailed,
            "api_error",
            "the upstream answered a chat completion with bytes that are not JSON",
        )),
        Answered::Stream(events, first) => {
            let (tx, rx) = mpsc::channel(64);
            let request_id = metering.request_id.clone();
            let relay = Relay {
                state: state.clone(),
                metering,
                channel,
                prompt_text,
                wants_usage,
                first_token_ms: started.elapsed().as_millis() as i64,
            };
            tokio::spawn(relay.run(events, first, tx));
            Ok(Reply::Stream {
                request_id,
                events: rx,
            })
        }
    }
}

/// Most images one request may ask for.
const MAX_IMAGES: i64 = 10;

/// `POST /v1/images/generations`: `n` images at the channel's price per image (`credits_cost`).
/// The row counts the images returned as its output (`completion_tokens`), and only those are
/// charged.
#[tracing::instrument(skip(state, body), fields(user = %caller.user_id))]
pub async fn images_generations(
    state: &AppState,
    caller: Caller,
    body: Value,
) -> Result<Reply, RouterError> {
    let started = Instant::now();
    let (mut body, public) = object_with_model(body)?;
    if body
        .get("prompt")
        .and_then(Value::as_str)
        .is_none_or(|p| p.trim().is_empty())
    {
        return Err(RouterError::invalid(
            "prompt",
            "prompt is a non-empty string",
        ));
    }
    let n = match body.get("n") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_i64() {
            Some(n) if (1..=MAX_IMAGES).contains(&n) => n,
            _ => {
                return Err(RouterError::invalid(
                    "n",
                    format!("n is an integer from 1 to {MAX_IMAGES}"),
                ))
            }
        },
    };
    let channels = channels_for(state, &caller, ModelKind::Image, &public).await?;
    let estimate = dearest(&channels, |c| c.model.credits_cost.saturating_mul(n));
    let new = new_request(state, &caller, "images.generations", &public, false);
    let (metering, channel, answered) = hold_and_call(
        state,
        &caller,
        new,
        estimate,
        channels,
        Payload::Json(&mut body),
        "images/generations",
        Expect::Json,
        started,
    )
    .await?;
    let answer = answered.whole("an image answer")?;
    let images = serde_json::from_slice::<Value>(&answer)
        .ok()
        .and_then(|v| v["data"].as_array().map(|d| d.len() as i64))
        .unwrap_or(0)
        .min(n);
    let usage = Usage {
        prompt: 0,
        completion: images,
        estimated: false,
    };
    let cost = images.saturating_mul(channel.model.credits_cost);
    settle_completed(state, &metering, &channel, usage, cost).await?;
    Ok(Reply::Json {
        request_id: metering.request_id,
        body: answer,
    })
}

/// The longest text one speech request may read (OpenAI's limit).
const MAX_SPEECH_CHARS: usize = 4096;

/// `POST /v1/audio/speech`: the audio of `input`, priced per 1,000 characters (`credits_cost`
/// of a `tts` model), so the hold is the exact cost, settled once the audio arrived. The row
/// counts the characters as its input (`prompt_tokens`).
#[tracing::instrument(skip(state, body), fields(user = %caller.user_id))]
pub async fn audio_speech(
    state: &AppState,
    caller: Caller,
    body: Value,
) -> Result<Reply, RouterError> {
    let started = Instant::now();
    let (mut body, public) = object_with_model(body)?;
    let chars = match body.get("input").and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() && t.chars().count() <= MAX_SPEECH_CHARS => {
            t.chars().count() as i64
        }
        _ => {
            return Err(RouterError::invalid(
                "input",
                format!("input is the text to read, 1 to {MAX_SPEECH_CHARS} characters"),
            ))
        }
    };
    if body
        .get("voice")
        .and_then(Value::as_str)
        .is_none_or(|v| v.trim().is_empty())
    {
        return Err(RouterError::invalid(
            "voice",
            "voice is required (e.g. alloy)",
        ));
    }
    let channels = channels_for(state, &caller, ModelKind::Tts, &public).await?;
    let cost_at = |price: i64| tokens::credits(chars, 0, price, 0);
    let estimate = dearest(&channels, |c| cost_at(c.model.credits_cost));
    let new = new_request(state, &caller, "audio.speech", &public, false);
    let (metering, channel, answered) = hold_and_call(
        state,
        &caller,
        new,
        estimate,
        channels,
        Payload::Json(&mut body),
        "audio/speech",
        Expect::Audio,
        started,
    )
    .await?;
    let (content_type, audio) = answered.binary("a speech answer")?;
    let usage = Usage {
        prompt: chars,
        completion: 0,
        estimated: false,
    };
    let cost = cost_at(channel.model.credits_cost);
    settle_completed(state, &metering, &channel, usage, cost).await?;
    Ok(Reply::Binary {
        request_id: metering.request_id,
        content_type,
        body: audio,
    })
}

/// The most inputs one embeddings request may carry (OpenAI's limit).
const MAX_EMBEDDING_INPUTS: usize = 2048;

/// The texts of an embeddings `input` and how many token ids it gives directly: a string, an array
/// of strings, an array of token ids, or an array of arrays of token ids.
fn embedding_input(input: Option<&Value>) -> Result<(Vec<String>, usize), RouterError> {
    let bad = || {
        RouterError::invalid(
            "input",
            format!(
                "input is a non-empty string, or an array of 1 to {MAX_EMBEDDING_INPUTS} \
                 non-empty strings or token arrays"
            ),
        )
    };
    let tokens_of = |v: &Value| -> Option<usize> {
        let ids = v.as_array()?;
        (!ids.is_empty() && ids.iter().all(|t| t.as_u64().is_some())).then_some(ids.len())
    };
    match input {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok((vec![s.clone()], 0)),
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_EMBEDDING_INPUTS => {
            if items.iter().all(Value::is_u64) {
                return Ok((Vec::new(), items.len()));
            }
            let (mut texts, mut ids) = (Vec::new(), 0);
            for item in items {
                match item {
                    Value::String(s) if !s.trim().is_empty() => texts.push(s.clone()),
                    Value::Array(_) => ids += tokens_of(item).ok_or_else(bad)?,
                    _ => return Err(bad()),
                }
            }
            Ok((texts, ids))
        }
        _ => Err(bad()),
    }
}

/// `POST /v1/embeddings`: vectors for the input, priced per 1,000 input tokens (`credits_cost` of
/// an `embedding` model). The hold is the input's byte count (a bound on its tokens) at the
/// dearest channel's price; the settlement is the tokens the upstream reported.
#[tracing::instrument(skip(state, body), fields(user = %caller.user_id))]
pub async fn embeddings(
    state: &AppState,
    caller: Caller,
    body: Value,
) -> Result<Reply, RouterError> {
    let started = Instant::now();
    let (mut body, public) = object_with_model(body)?;
    let (texts, token_ids) = embedding_input(body.get("input"))?;
    let bytes: usize = texts.iter().map(String::len).sum();
    let bound = tokens::upper_bound(bytes, texts.len()).saturating_add(token_ids as i64);
    let channels = channels_for(state, &caller, ModelKind::Embedding, &public).await?;
    let estimate = dearest(&channels, |c| {
        tokens::credits(bound, 0, c.model.credits_cost, 0)
    });
    let new = new_request(state, &caller, "embeddings", &public, false);
    let (metering, channel, answered) = hold_and_call(
        state,
        &caller,
        new,
        estimate,
        channels,
        Payload::Json(&mut body),
        "embeddings",
        Expect::Json,
        started,
    )
    .await?;
    let answer = answered.whole("an embeddings answer")?;
    let reported = serde_json::from_slice::<Value>(&answer)
        .ok()
        .and_then(|v| v["usage"]["prompt_tokens"].as_i64());
    let usage = match reported {
        Some(prompt) => Usage {
            prompt,
            completion: 0,
            estimated: false,
        },
        None => Usage {
            prompt: texts
                .iter()
                .map(|t| tokens::estimate(t))
                .sum::<i64>()
                .saturating_add(token_ids as i64),
            completion: 0,
            estimated: true,
        },
    };
    let cost = tokens::credits(usage.prompt, 0, channel.model.credits_cost, 0);
    settle_completed(state, &metering, &channel, usage, cost).await?;
    Ok(Reply::Json {
        request_id: metering.request_id,
        body: answer,
    })
}

/// The largest audio file one transcription may send (OpenAI's limit).
pub const MAX_TRANSCRIPTION_BYTES: usize = 25 * 1024 * 1024;

/// An uploaded audio file and the form's other fields, as `POST /v1/audio/transcriptions` sends
/// them (multipart).
#[derive(Debug, Clone, Default)]
pub struct AudioUpload {
    /// The form's text fields, `model` included, in the order sent.
    pub fields: Vec<(String, String)>,
    pub file_name: String,
    pub content_type: String,
    pub audio: Bytes,
}

impl AudioUpload {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The form as the upstream gets it: the same fields, the channel's model name, the file.
    fn form(&self, model_name: &str) -> Result<reqwest::multipart::Form, Failure> {
        let file = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::from(self.audio.clone()),
            self.audio.len() as u64,
        )
        .file_name(self.file_name.clone())
        .mime_str(&self.content_type)
        .or_else(|_| {
            reqwest::multipart::Part::bytes(self.audio.to_vec())
                .file_name(self.file_name.clone())
                .mime_str("application/octet-stream")
        })
        .map_err(|e| Failure::retryable(format!("cannot build the upload: {e}")))?;
        let mut form = reqwest::multipart::Form::new().text("model", model_name.to_string());
        for (name, value) in self.fields.iter().filter(|(n, _)| n != "model") {
            form = form.text(name.clone(), value.clone());
        }
        Ok(form.part("file", file))
    }
}

/// How long the uploaded audio plays, in milliseconds: from a WAV's header, else from ffprobe. A
/// transcription is priced per minute of audio, so audio whose length cannot be read is refused
/// rather than guessed.
async fn audio_duration_ms(state: &AppState, upload: &AudioUpload) -> Result<u64, RouterError> {
    if let Ok(wav) = crate::providers::wav::parse_wav(&upload.audio) {
        return Ok(wav.duration_ms());
    }
    let (configured, audio) = (state.config.ffmpeg_path.clone(), upload.audio.clone());
    let probed = tokio::task::spawn_blocking(move || -> Result<f64, String> {
        let tools = crate::export::ffmpeg::Tools::locate(configured.as_deref())
            .map_err(|e| e.to_string())?;
        let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        std::io::Write::write_all(&mut file, &audio).map_err(|e| e.to_string())?;
        crate::export::ffmpeg::media_duration(&tools, file.path()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| RouterError::new(ErrorCode::Internal, "api_error", e.to_string()))?;
    match probed {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Ok((secs * 1000.0).ceil() as u64),
        Ok(_) => Err(RouterError::invalid("file", "the audio file has no length")),
        Err(e) => Err(RouterError::invalid(
            "file",
            format!(
                "the audio's length cannot be read (send WAV, MP3, M4A, OGG, FLAC or WebM): {e}"
            ),
        )),
    }
}

/// Credits for `ms` of audio at `per_minute`, rounded up.
fn audio_cost(ms: u64, per_minute: i64) -> i64 {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    ms.saturating_mul(per_minute).saturating_add(59_999) / 60_000
}

/// `POST /v1/audio/transcriptions`: the text of an uploaded audio file, priced per minute of
/// audio (`credits_cost` of an `asr` model). The router reads the audio's length before any
/// upstream call, so the hold is the exact cost. The row counts the audio's seconds as its input
/// (`prompt_tokens`) and the text's estimated tokens as its output.
#[tracing::instrument(skip(state, upload), fields(user = %caller.user_id))]
pub async fn audio_transcriptions(
    state: &AppState,
    caller: Caller,
    upload: AudioUpload,
) -> Result<Reply, RouterError> {
    let started = Instant::now();
    let public = upload
        .field("model")
        .map(str::to_string)
        .ok_or_else(|| RouterError::invalid("model", "model is required (a model's name)"))?;
    if upload.audio.is_empty() {
        return Err(RouterError::invalid(
            "file",
            "file is required: the audio to transcribe",
        ));
    }
    if upload.audio.len() > MAX_TRANSCRIPTION_BYTES {
        return Err(RouterError::invalid(
            "file",
            format!(
                "the audio file is larger than {} MB",
                MAX_TRANSCRIPTION_BYTES / (1024 * 1024)
            ),
        ));
    }
    if upload
        .field("stream")
        .is_some_and(|s| s.eq_ignore_ascii_case("true"))
    {
        return Err(RouterError::invalid(
            "stream",
            "streamed transcriptions are not routed; leave stream unset",
        ));
    }
    let channels = channels_for(state, &caller, ModelKind::Asr, &public).await?;
    let ms = audio_duration_ms(state, &upload).await?;
    let estimate = dearest(&channels, |c| audio_cost(ms, c.model.credits_cost));
    let new = new_request(state, &caller, "audio.transcriptions", &public, false);
    let (metering, channel, answered) = hold_and_call(
        state,
        &caller,
        new,
        estimate,
        channels,
        Payload::Upload(&upload),
        "audio/transcriptions",
        Expect::Transcript,
        started,
    )
    .await?;
    let (content_type, text) = answered.binary("a transcription answer")?;
    let transcript = serde_json::from_slice::<Value>(&text)
        .ok()
        .and_then(|v| v["text"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&text).into_owned());
    let usage = Usage {
        prompt: i64::try_from(ms.div_ceil(1000)).unwrap_or(i64::MAX),
        completion: tokens::estimate(&transcript),
        estimated: false,
    };
    let cost = audio_cost(ms, channel.model.credits_cost);
    settle_completed(state, &metering, &channel, usage, cost).await?;
    Ok(Reply::Binary {
        request_id: metering.request_id,
        content_type,
        body: text,
    })
}

/// A transcription answer: JSON with a `text` string, or plain text (`text`, `srt`, `vtt`).
fn transcript_answer(content_type: String, body: Vec<u8>) -> Result<Answered, Failure> {
    if content_type.contains("json") {
        return match serde_json::from_slice::<Value>(&body) {
            Ok(v) if v["text"].is_string() => Ok(Answered::Binary(content_type, Bytes::from(body))),
            Ok(v) if v.get("error").is_some() => Err(Failure::retryable(format!(
                "upstream error: {}",
                v["error"]["message"].as_str().unwrap_or("unknown")
            ))),
            _ => Err(Failure::retryable(
                "the answer is not a transcription (truncated, or JSON without text)",
            )),
        };
    }
    if content_type.starts_with("text/") && std::str::from_utf8(&body).is_ok() {
        return Ok(Answered::Binary(content_type, Bytes::from(body)));
    }
    Err(Failure::retryable(format!(
        "the answer is not a transcription ({content_type}, {} bytes)",
        body.len()
    )))
}

/// The most a call can cost on any of `channels` (what is held before the call).
fn dearest(channels: &[Channel], cost: impl Fn(&Channel) -> i64) -> i64 {
    channels.iter().map(cost).max().unwrap_or(0)
}

/// Opens the request's row with its hold, then tries the channels in the breaker's order: the
/// metering, the channel that answered, and its answer.
#[allow(clippy::too_many_arguments)]
async fn hold_and_call(
    state: &AppState,
    caller: &Caller,
    new: store::NewRequest,
    estimate: i64,
    channels: Vec<Channel>,
    mut payload: Payload<'_>,
    path: &str,
    expect: Expect,
    started: Instant,
) -> Result<(Metering, Channel, Answered), RouterError> {
    let mut metering = open(
        state,
        &new,
        estimate,
        &channels[0],
        caller.limits.credit_budget,
    )
    .await?;
    metering.started = started;
    let order = state
        .router
        .breakers
        .order(channels, &mut rand::rng(), Instant::now());
    let (channel, answered) = call_channels(
        state,
        &mut metering,
        &new.public_model,
        &order,
        &mut payload,
        path,
        expect,
    )
    .await?;
    Ok((metering, channel, answered))
}

/// Credits for a call's tokens at the channel's prices (per 1,000 tokens).
fn token_cost(channel: &Channel, u: Usage) -> i64 {
    tokens::credits(
        u.prompt,
        u.completion,
        channel.model.credits_cost,
        channel.model.output_credits_cost,
    )
}

/// Tries the channels in `order` (at most [`MAX_CHANNELS`]; a lone channel twice) until one
/// answers: the channel and its answer. Every failure happens before anything reached the client.
/// A refusal of the request itself, or every channel failing, finishes the row (the hold voided)
/// and is the error to answer.
async fn call_channels(
    state: &AppState,
    metering: &mut Metering,
    public: &str,
    order: &[Channel],
    payload: &mut Payload<'_>,
    path: &str,
    expect: Expect,
) -> Result<(Channel, Answered), RouterError> {
    let lone = order.len() == 1;
    let mut last_failure: Option<Failure> = None;
    for channel in order.iter().take(MAX_CHANNELS) {
        for try_number in 0..(if lone { 2 } else { 1 }) {
            if try_number > 0 {
                let pause = last_failure
                    .as_ref()
                    .and_then(|f| f.retry_after)
                    .unwrap_or(Duration::from_millis(250))
                    .min(Duration::from_secs(2));
                tokio::time::sleep(pause).await;
            }
            metering.attempts += 1;
            if let Payload::Json(body) = payload {
                body.insert(
                    "model".into(),
                    Value::String(channel.model.model_name.clone()),
                );
            }
            match send(state, channel, path, payload, expect).await {
                Ok(answered) => {
                    state.router.breakers.succeeded(&channel.model.id);
                    return Ok((channel.clone(), answered));
                }
                Err(Failure {
                    rejected: Some((status, message)),
                    ..
                }) => {
                    // The upstream refused the request itself (a bad parameter, a content
                    // policy): no other channel would do better, and it cost nothing.
                    finish(
                        state,
                        metering,
                        channel,
                        "upstream_rejected",
                        None,
                        None,
                        i64::from(status),
                        Some(message.clone()),
                        None,
                    )
                    .await?;
                    return Err(RouterError::new(
                        ErrorCode::BadRequest,
                        "invalid_request_error",
                        message,
                    )
                    .for_request(&metering.request_id));
                }
                Err(failure) => {
                    tracing::info!(model_id = %channel.model.id, message = %failure.message, "router attempt failed");
                    if let Some(alert) =
                        state
                            .router
                            .breakers
                            .failed(channel, &failure.message, Instant::now())
                    {
                        state.router.events.send(events::RouterEvent::Alert {
                            model_id: alert.model_id,
                            model: alert.public_name,
                            message: alert.message,
                            at: rfc3339(state.clock.now()),
                        });
                    }
                    last_failure = Some(failure);
                }
            }
        }
    }
    let failure = last_failure.unwrap_or_else(|| Failure::retryable("no channel answered"));
    let last = &order[order.len().min(MAX_CHANNELS) - 1];
    finish(
        state,
        metering,
        last,
        "upstream_error",
        None,
        None,
        502,
        Some(failure.message.clone()),
        None,
    )
    .await?;
    let mut e = RouterError::new(
        if failure.rate_limited {
            ErrorCode::RateLimited
        } else {
            ErrorCode::UpstreamFailed
        },
        "api_error",
        format!(
            "every channel of `{public}` failed ({} attempts); the last: {}",
            metering.attempts, failure.message
        ),
    )
    .for_request(&metering.request_id);
    if failure.rate_limited {
        e.kind = "rate_limit_error";
        e.retry_after = Some(failure.retry_after.map_or(1, |d| d.as_secs().max(1)));
    }
    Err(e)
}

/// The text of the messages (string contents and text parts), for estimates.
fn message_text(messages: &[Value]) -> String {
    let mut text = String::new();
    for m in messages {
        match &m["content"] {
            Value::String(s) => text.push_str(s),
            Value::Array(parts) => {
                for p in parts {
                    if let Some(s) = p["text"].as_str() {
                        text.push_str(s);
                    }
                }
            }
            _ => {}
        }
        text.push('\n');
    }
    text
}

/// Opens the request's row with its hold, or records the refusal and answers 402.
async fn open(
    state: &AppState,
    new: &store::NewRequest,
    estimate: i64,
    first: &Channel,
    key_budget: Option<i64>,
) -> Result<Metering, RouterError> {
    let (ids, now) = (state.ids.clone(), state.clock.now());
    let (row, price_in, price_out) = (
        new.clone(),
        first.model.credits_cost,
        first.model.output_credits_cost,
    );
    // A short write (a hold and one row): run on this thread when the writer is idle, which
    // saves a lone call two thread hand-offs (docs/BENCHMARKS.md, "Model router overhead").
    let placed = state
        .db
        .write_short(move |tx| {
            // A key's budget counts what its finished calls cost and what its open ones hold;
            // checked in the transaction that holds, so concurrent calls cannot overspend it.
            if let (Some(budget), Some(key_id)) = (key_budget, row.api_key_id.as_deref()) {
                let spent = store::spent_by_key(tx, key_id)?;
                if spent.saturating_add(estimate) > budget {
                    let message = format!(
                        "this API key's budget is {budget} credits: {spent} are spent or held, \
                         and this request may cost up to {estimate} (lower max_tokens, or make \
                         a key with a larger budget)"
                    );
                    store::insert_refused(tx, &row, "key_budget_exceeded", 402, &message)?;
                    return Ok(Err(message));
                }
            }
            let req = HoldRequest {
                owner_id: row.user_id.clone(),
                amount: estimate,
                purpose: Purpose::Job,
                work_id: row.id.clone(),
                key: format!("router:{}", row.id),
                description: format!("{} through the model router", row.public_model),
                meta: json!({"router": row.endpoint}),
                ttl_secs: Some(3600),
            };
            match ledger::hold_in_tx(tx, ids.as_ref(), now, &req) {
                Ok(hold) => {
                    store::insert_open(tx, &row, &hold.id, estimate, price_in, price_out)?;
                    Ok::<_, RouterError>(Ok(hold.id))
                }
                Err(LedgerError::InsufficientCredits { needed, available }) => {
                    let message = format!(
                        "insufficient credits: this request may cost up to {needed} credits and \
                         {available} are available (lower max_tokens, or add credits)"
                    );
                    store::insert_refused(tx, &row, "insufficient_credits", 402, &message)?;
                    Ok(Err(message))
                }
                Err(other) => Err(other.into()),
            }
        })
        .await?;
    match placed {
        Ok(hold_id) => Ok(Metering {
            request_id: new.id.clone(),
            user_id: new.user_id.clone(),
            endpoint: new.endpoint,
            hold_id,
            estimate,
            started: Instant::now(),
            attempts: 0,
        }),
        Err(message) => {
            Err(
                RouterError::new(ErrorCode::CreditsExceeded, "insufficient_quota", message)
                    .with_code("insufficient_quota")
                    .for_request(&new.id),
            )
        }
    }
}

/// Tokens a call used, and whether they were counted by the router rather than reported.
#[derive(Debug, Clone, Copy)]
struct Usage {
    prompt: i64,
    completion: i64,
    estimated: bool,
}

fn reported_usage(v: &Value) -> Option<(i64, i64)> {
    let u = v.get("usage")?;
    Some((
        u.get("prompt_tokens")?.as_i64()?,
        u.get("completion_tokens")
            .and_then(Value::as_i64)
            .unwrap_or(0),
    ))
}

fn answer_usage(answer: &[u8], prompt_text: &str) -> Usage {
    let v: Value = serde_json::from_slice(answer).unwrap_or(Value::Null);
    match reported_usage(&v) {
        Some((prompt, completion)) => Usage {
            prompt,
            completion,
            estimated: false,
        },
        None => {
            let content: String = v["choices"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["message"]["content"].as_str())
                .collect();
            Usage {
                prompt: tokens::estimate(prompt_text),
                completion: tokens::estimate(&content),
                estimated: true,
            }
        }
    }
}

/// A whole answer arrived: settles `cost` and finishes the row as `completed`.
async fn settle_completed(
    state: &AppState,
    m: &Metering,
    channel: &Channel,
    usage: Usage,
    cost: i64,
) -> Result<i64, RouterError> {
    finish(
        state,
        m,
        channel,
        "completed",
        Some(usage),
        Some(cost),
        200,
        None,
        None,
    )
    .await
}

/// Settles the hold for `cost` (None: voids it) and finishes the row, in one transaction.
/// Answers the credits charged (0 for members, whose holds are waived).
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    m: &Metering,
    channel: &Channel,
    end_reason: &'static str,
    usage: Option<Usage>,
    cost: Option<i64>,
    http_status: i64,
    error: Option<String>,
    first_token_ms: Option<i64>,
) -> Result<i64, RouterError> {
    let (price_in, price_out) = (
        channel.model.credits_cost,
        channel.model.output_credits_cost,
    );
    let mut row = store::Finish {
        end_reason,
        model_id: Some(channel.model.id.clone()),
        provider_id: Some(channel.model.provider_id.clone()),
        price_in,
        price_out,
        prompt_tokens: usage.map(|u| u.prompt),
        completion_tokens: usage.map(|u| u.completion),
        usage_estimated: usage.is_some_and(|u| u.estimated),
        credits: 0,
        attempts: m.attempts,
        http_status: Some(http_status),
        error,
        first_token_ms,
        latency_ms: m.started.elapsed().as_millis() as i64,
        finished_at: rfc3339(state.clock.now()),
    };
    let (ids, now, id, hold_id, estimate, user_id) = (
        state.ids.clone(),
        state.clock.now(),
        m.request_id.clone(),
        m.hold_id.clone(),
        m.estimate,
        m.user_id.clone(),
    );
    let (prompt_tokens, completion_tokens, at) = (
        row.prompt_tokens,
        row.completion_tokens,
        row.finished_at.clone(),
    );
    // Short, like the hold in `open`.
    let (charged, (available, held)) = state
        .db
        .write_short(move |tx| {
            let charged = match cost {
                Some(cost) => {
                    let hold =
                        ledger::settle_in_tx(tx, ids.as_ref(), now, &hold_id, cost.min(estimate))?;
                    hold.charged.unwrap_or(0)
                }
                None => {
                    ledger::void_in_tx(tx, ids.as_ref(), now, &hold_id, row.end_reason)?;
                    0
                }
            };
            row.credits = charged;
            if !store::finish(tx, &id, &row)? {
                tracing::warn!(request_id = %id, "router row was already finished");
            }
            let balance = ledger::available_and_held(tx, &user_id)?;
            Ok::<_, RouterError>((charged, balance))
        })
        .await?;
    // After the commit: what subscribers see has happened.
    state.router.events.send(events::RouterEvent::Usage {
        model: channel.model.public_name.clone(),
        endpoint: m.endpoint.to_string(),
        end_reason: end_reason.to_string(),
        prompt_tokens,
        completion_tokens,
        credits: charged,
        at: at.clone(),
    });
    state.router.events.send(events::RouterEvent::Billing {
        user_id: m.user_id.clone(),
        request_id: m.request_id.clone(),
        charged,
        available,
        held,
        at,
    });
    Ok(charged)
}

// ------------------------------------------------------------------------------------------ upstream

/// Why an attempt failed: retryable (429, 5xx, timeouts, broken answers) unless `rejected`.
#[derive(Debug)]
struct Failure {
    message: String,
    rate_limited: bool,
    retry_after: Option<Duration>,
    /// The upstream refused the request itself (4xx other than 429): its status and message.
    rejected: Option<(u16, String)>,
}

impl Failure {
    fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            rate_limited: false,
            retry_after: None,
            rejected: None,
        }
    }
}

type EventStream = std::pin::Pin<
    Box<
        dyn futures_util::Stream<
                Item = Result<
                    eventsource_stream::Event,
                    eventsource_stream::EventStreamError<reqwest::Error>,
                >,
            > + Send,
    >,
>;

/// What an attempt reads from the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A whole JSON answer.
    Json,
    /// Server-Sent Events.
    Stream,
    /// Audio bytes (speech).
    Audio,
    /// A transcription: JSON with its `text`, or plain text (`text`, `srt`, `vtt`).
    Transcript,
}

/// What is sent upstream: a JSON body (its `model` set per channel), or an uploaded audio file
/// with the form's other fields.
enum Payload<'a> {
    Json(&'a mut serde_json::Map<String, Value>),
    Upload(&'a AudioUpload),
}

enum Answered {
    Whole(Bytes),
    /// Bytes that are not JSON, with their content type.
    Binary(String, Bytes),
    /// The stream, and its first event (already read: the stream has started).
    Stream(EventStream, eventsource_stream::Event),
}

impl Answered {
    /// The whole JSON answer (`what` names it when [`send`] read something else).
    fn whole(self, what: &str) -> Result<Bytes, RouterError> {
        match self {
            Self::Whole(answer) => Ok(answer),
            _ => Err(Self::unexpected(what)),
        }
    }

    /// The answer's content type and bytes.
    fn binary(self, what: &str) -> Result<(String, Bytes), RouterError> {
        match self {
            Self::Binary(content_type, body) => Ok((content_type, body)),
            _ => Err(Self::unexpected(what)),
        }
    }

    fn unexpected(what: &str) -> RouterError {
        RouterError::new(
            ErrorCode::Internal,
            "api_error",
            format!("{what} was not of the kind the endpoint expects"),
        )
    }
}

/// One attempt on one channel, up to the first event of a stream or the whole answer.
async fn send(
    state: &AppState,
    channel: &Channel,
    path: &str,
    payload: &Payload<'_>,
    expect: Expect,
) -> Result<Answered, Failure> {
    let stream = expect == Expect::Stream;
    let timeouts = state.config.router;
    let url = format!("{}/{path}", channel.target.base_url.trim_end_matches('/'));
    let request = state.router.http.post(&url);
    let mut request = match payload {
        Payload::Json(body) => request.json(&**body),
        Payload::Upload(upload) => request.multipart(upload.form(&channel.model.model_name)?),
    };
    if let Some(key) = &channel.target.api_key {
        request = request.bearer_auth(key);
    }
    if stream {
        request = request.header(reqwest::header::ACCEPT, "text/event-stream");
    }
    let deadline = tokio::time::Instant::now() + timeouts.first_byte;
    let response = tokio::time::timeout_at(deadline, request.send())
        .await
        .map_err(|_| Failure::retryable("no answer before the first-byte timeout"))?
        .map_err(|e| Failure::retryable(format!("cannot reach the upstream: {e}")))?;
    let status = response.status();
    if !status.is_success() {
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = tokio::time::timeout_at(deadline, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| text.chars().take(300).collect());
        let message = format!("upstream answered {}: {message}", status.as_u16());
        if status.as_u16() == 429 {
            return Err(Failure {
                rate_limited: true,
                retry_after,
                ..Failure::retryable(message)
            });
        }
        if status.is_server_error() || matches!(status.as_u16(), 401 | 403 | 404 | 408) {
            // 401/403/404: this channel's key or model is wrong; another channel may serve.
            return Err(Failure::retryable(message));
        }
        return Err(Failure {
            rejected: Some((status.as_u16(), message.clone())),
            ..Failure::retryable(message)
        });
    }
    if !stream {
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        loop {
            match tokio::time::timeout_at(deadline, chunks.next()).await {
                Err(_) => return Err(Failure::retryable("the answer did not arrive in time")),
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    return Err(Failure::retryable(format!("the answer broke off: {e}")))
                }
                Ok(Some(Ok(chunk))) => {
                    body.extend_from_slice(&chunk);
                    if body.len() > MAX_ANSWER_BYTES {
                        return Err(Failure::retryable("the answer is too large"));
                    }
                }
            }
        }
        if expect == Expect::Transcript {
            return transcript_answer(content_type, body);
        }
        if expect == Expect::Audio {
            return if !body.is_empty() && !content_type.contains("json") {
                Ok(Answered::Binary(content_type, Bytes::from(body)))
            } else {
                Err(Failure::retryable(format!(
                    "the answer is not audio ({content_type}, {} bytes)",
                    body.len()
                )))
            };
        }
        return match serde_json::from_slice::<Value>(&body) {
            // A chat completion has choices, an image generation data.
            Ok(v) if v.get("choices").is_some() || v["data"].is_array() => {
                Ok(Answered::Whole(Bytes::from(body)))
            }
            Ok(v) if v.get("error").is_some() => Err(Failure::retryable(format!(
                "upstream error: {}",
                v["error"]["message"].as_str().unwrap_or("unknown")
            ))),
            _ => Err(Failure::retryable(
                "the answer is not what the endpoint returns (truncated or not JSON)",
            )),
        };
    }
    let mut events: EventStream = Box::pin(response.bytes_stream().eventsource());
    match tokio::time::timeout_at(deadline, events.next()).await {
        Err(_) => Err(Failure::retryable("no event before the first-byte timeout")),
        Ok(None) => Err(Failure::retryable(
            "the stream ended before its first event",
        )),
        Ok(Some(Err(e))) => Err(Failure::retryable(format!("the stream broke: {e}"))),
        Ok(Some(Ok(first))) => {
            if let Ok(v) = serde_json::from_str::<Value>(&first.data) {
                if v.get("error").is_some() {
                    return Err(Failure::retryable(format!(
                        "upstream error: {}",
                        v["error"]["message"].as_str().unwrap_or("unknown")
                    )));
                }
            }
            Ok(Answered::Stream(events, first))
        }
    }
}

/// Drives a started stream to its end: passes every event to the client as it comes, learns the
/// usage, keeps reading a while after the client left, then settles and finishes the row.
struct Relay {
    state: AppState,
    metering: Metering,
    channel: Channel,
    prompt_text: String,
    wants_usage: bool,
    first_token_ms: i64,
}

fn frame(data: &str) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

fn error_frame(message: &str, kind: &str) -> Bytes {
    frame(
        &json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
            .to_string(),
    )
}

impl Relay {
    #[tracing::instrument(skip_all, fields(request_id = %self.metering.request_id))]
    async fn run(
        self,
        mut events: EventStream,
        first: eventsource_stream::Event,
        tx: mpsc::Sender<Bytes>,
    ) {
        let timeouts = self.state.config.router;
        let mut usage: Option<(i64, i64)> = None;
        let mut relayed = String::new();
        let mut client = Some(tx);
        let mut drain_until: Option<tokio::time::Instant> = None;
        let mut last_event = tokio::time::Instant::now();
        let mut pending = Some(Ok(first));
        let mut end: (&'static str, Option<String>) = loop {
            let next = match pending.take() {
                Some(e) => Some(e),
                None => {
                    let wait_until = match drain_until {
                        Some(d) => d,
                        None => (last_event + timeouts.stall)
                            .min(tokio::time::Instant::now() + timeouts.keepalive),
                    };
                    match tokio::time::timeout_at(wait_until, events.next()).await {
                        Ok(next) => next,
                        Err(_) if drain_until.is_some() => {
                            break ("client_disconnected", None);
                        }
                        Err(_) if tokio::time::Instant::now() >= last_event + timeouts.stall => {
                            let message = format!(
                                "the upstream sent nothing for {} s",
                                timeouts.stall.as_secs_f32()
                            );
                            Self::send(
                                &mut client,
                                &mut drain_until,
                                timeouts,
                                error_frame(&message, "api_error"),
                            )
                            .await;
                            break ("stalled", Some(message));
                        }
                        Err(_) => {
                            Self::send(
                                &mut client,
                                &mut drain_until,
                                timeouts,
                                Bytes::from_static(b": keep-alive\n\n"),
                            )
                            .await;
                            continue;
                        }
                    }
                }
            };
            last_event = tokio::time::Instant::now();
            let event = match next {
                None => {
                    let message = "the upstream stream ended before data: [DONE]".to_string();
                    Self::send(
                        &mut client,
                        &mut drain_until,
                        timeouts,
                        error_frame(&message, "api_error"),
                    )
                    .await;
                    break ("upstream_error", Some(message));
                }
                Some(Err(e)) => {
                    let message = format!("the upstream stream broke: {e}");
                    Self::send(
                        &mut client,
                        &mut drain_until,
                        timeouts,
                        error_frame(&message, "api_error"),
                    )
                    .await;
                    break ("upstream_error", Some(message));
                }
                Some(Ok(event)) => event,
            };
            if event.data.trim() == "[DONE]" {
                Self::send(&mut client, &mut drain_until, timeouts, frame("[DONE]")).await;
                break ("completed", None);
            }
            let parsed: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
            if parsed.get("error").is_some() {
                let message = format!(
                    "upstream error mid-stream: {}",
                    parsed["error"]["message"].as_str().unwrap_or("unknown")
                );
                Self::send(&mut client, &mut drain_until, timeouts, frame(&event.data)).await;
                break ("upstream_error", Some(message));
            }
            if let Some(u) = reported_usage(&parsed) {
                usage = Some(u);
            }
            let choices = parsed["choices"].as_array();
            for c in choices.into_iter().flatten() {
                if let Some(s) = c["delta"]["content"].as_str() {
                    relayed.push_str(s);
                }
            }
            let usage_only = choices.is_none_or(|c| c.is_empty()) && parsed.get("usage").is_some();
            if !usage_only || self.wants_usage {
                Self::send(&mut client, &mut drain_until, timeouts, frame(&event.data)).await;
            }
        };
        if drain_until.is_some() && end.0 == "completed" {
            end.0 = "client_disconnected";
        }
        // Usage reported: bill it. Otherwise bill what was relayed (the prompt and the text the
        // client was sent), or nothing when nothing was.
        let billed = match usage {
            Some((prompt, completion)) => Some(Usage {
                prompt,
                completion,
                estimated: false,
            }),
            None if relayed.is_empty() => None,
            None => Some(Usage {
                prompt: tokens::estimate(&self.prompt_text),
                completion: tokens::estimate(&relayed),
                estimated: true,
            }),
        };
        let status = if end.0 == "completed" || end.0 == "client_disconnected" {
            200
        } else {
            502
        };
        let cost = billed.map(|u| token_cost(&self.channel, u));
        let finished = finish(
            &self.state,
            &self.metering,
            &self.channel,
            end.0,
            billed,
            cost,
            status,
            end.1,
            Some(self.first_token_ms),
        )
        .await;
        if let Err(e) = finished {
            tracing::error!(message = %e.message, "a streamed router request could not be settled");
        }
    }

    /// Sends to the client while it listens; when it has gone, starts the drain clock.
    async fn send(
        client: &mut Option<mpsc::Sender<Bytes>>,
        drain_until: &mut Option<tokio::time::Instant>,
        timeouts: RouterTimeouts,
        bytes: Bytes,
    ) {
        if let Some(tx) = client {
            if tx.send(bytes).await.is_err() {
                *client = None;
                *drain_until = Some(tokio::time::Instant::now() + timeouts.drain);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------ sweeping

/// Closes the rows of requests whose process stopped (crash, kill): their holds are voided and
/// the rows finished as `interrupted`, together. Answers how many.
#[tracing::instrument(skip(state))]
pub async fn sweep_gone(state: &AppState) -> Result<usize, RouterError> {
    let (ids, now, lease) = (
        state.ids.clone(),
        state.clock.now(),
        crate::instances::lease(state),
    );
    state
        .db
        .write(move |tx| {
            let alive = crate::instances::alive_in_tx(tx, now, lease)?;
            let gone = store::open_of_gone_processes(tx, &alive)?;
            for (id, hold_id) in &gone {
                if let Some(hold_id) = hold_id {
                    ledger::void_in_tx(
                        tx,
                        ids.as_ref(),
                        now,
                        hold_id,
                        "the router's process stopped",
                    )?;
                }
                store::finish(
                    tx,
                    id,
                    &store::Finish {
                        end_reason: "interrupted",
                        error: Some("the server stopped during the request".into()),
                        finished_at: rfc3339(now),
                        ..Default::default()
                    },
                )?;
            }
            Ok::<_, RouterError>(gone.len())
        })
        .await
}

/// The sweep now and then every `every`.
pub fn spawn_sweeper(state: &AppState, every: Duration) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match sweep_gone(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(closed = n, "closed router requests of stopped processes"),
                Err(e) => tracing::warn!(message = %e.message, "router sweep failed"),
            }
        }
    });
}

/// One usage row (the caller's own, or any for an admin: the API layer checks).
pub async fn usage_row(state: &AppState, id: &str) -> Result<Option<UsageRow>, RouterError> {
    let id = id.to_string();
    Ok(state.db.read(move |c| store::get(c, &id)).await?)
}

/// A person's latest router requests, newest first.
pub async fn usage_of(
    state: &AppState,
    user_id: &str,
    limit: u32,
) -> Result<Vec<UsageRow>, RouterError> {
    let user_id = user_id.to_string();
    Ok(state
        .db
        .read(move |c| store::of_user(c, &user_id, limit))
        .await?)
}

// ------------------------------------------------------------------------------------------ statistics

fn since(state: &AppState, period: stats::Period) -> String {
    rfc3339(state.clock.now() - chrono::Duration::days(period.days()))
}

/// `GET /statistics/leaderboard`: the most called public models of the period.
pub async fn leaderboard(
    state: &AppState,
    period: stats::Period,
    category: Option<String>,
    limit: u32,
) -> Result<Value, RouterError> {
    let from = since(state, period);
    let (f, cat) = (from.clone(), category.clone());
    let items = state
        .db
        .read(move |c| stats::leaderboard(c, &f, cat.as_deref(), limit))
        .await?;
    Ok(json!({"period": period, "since": from, "category": category, "items": items}))
}

/// `GET /statistics/models/{id}/usage`: one model's hours (its id, or the public name).
pub async fn model_usage(
    state: &AppState,
    model: &str,
    period: stats::Period,
) -> Result<Value, RouterError> {
    let from = since(state, period);
    let (f, m) = (from.clone(), model.to_string());
    let buckets = state
        .db
        .read(move |c| stats::hourly(c, &f, None, Some(&m)))
        .await?;
    let totals = stats::Totals::of(&buckets);
    Ok(
        json!({"model": model, "period": period, "since": from, "totals": totals, "buckets": buckets}),
    )
}

/// `GET /statistics/users/me/usage`: one person's hours and models.
pub async fn user_usage(
    state: &AppState,
    user_id: &str,
    period: stats::Period,
) -> Result<Value, RouterError> {
    let from = since(state, period);
    let (f, u) = (from.clone(), user_id.to_string());
    let (buckets, by_model) = state
        .db
        .read_snapshot(move |c| {
            Ok::<_, RouterError>((
                stats::hourly(c, &f, Some(&u), None)?,
                stats::per_model_of_user(c, &f, &u)?,
            ))
        })
        .await?;
    let totals = stats::Totals::of(&buckets);
    let by_model: Vec<Value> = by_model
        .into_iter()
        .map(|(model, t)| json!({"model": model, "totals": t}))
        .collect();
    Ok(
        json!({"period": period, "since": from, "totals": totals, "buckets": buckets,
              "by_model": by_model}),
    )
}

/// `GET /admin/statistics/dashboard`: the last day at a glance, with the router's alerts.
pub async fn dashboard(state: &AppState) -> Result<Value, RouterError> {
    let from = since(state, stats::Period::Day);
    let f = from.clone();
    let (buckets, top, (users, open)) = state
        .db
        .read_snapshot(move |c| {
            Ok::<_, RouterError>((
                stats::hourly(c, &f, None, None)?,
                stats::leaderboard(c, &f, None, 5)?,
                stats::activity(c, &f)?,
            ))
        })
        .await?;
    let alerts: Vec<Value> = state
        .router
        .breakers
        .alerts()
        .into_iter()
        .map(|a| json!({"model_id": a.model_id, "model": a.public_name, "message": a.message}))
        .collect();
    Ok(
        json!({"since": from, "totals": stats::Totals::of(&buckets), "active_users": users,
              "open_requests": open, "top_models": top, "buckets": buckets, "alerts": alerts}),
    )
}
