//! Reference-video analysis (docs/SUMMARIZE.md): a video becomes a timed transcript, then a
//! summary, a mind map and a beat sheet, streamed as events. The transcript comes from the video's
//! own subtitles, else from the configured speech recognizer; without either the answer is
//! `NO_TRANSCRIPT`, never a summary made up from a title. The summary uses the whole transcript
//! (map-reduce over its chunks); without a language model it is extractive and free.
//!
//! Money follows the product's rule: holds are taken before paid calls and settled in the same
//! transaction that stores the summary, just before `summary_complete` is sent; any failure or
//! interruption voids them. A cache hit (same video bytes, mode, focus and model) costs nothing.
pub mod batch;
mod digest;
pub mod hub;
mod source;
mod store;
mod transcript;

use std::{path::PathBuf, sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::{
    clock::rfc3339,
    db::DbError,
    error::{CodedError, ErrorCode},
    ledger::{self, HoldRequest, LedgerError, Purpose},
    providers::TimedText,
    registry::{self, ModelKind, RegistryError, Resolved},
    AppState,
};

pub use digest::{beats_to_script, Beat, BeatKind};
pub use source::SourceLimits;
pub use store::{HistoryEntry, HistoryItem};

/// The longest `focus` accepted, in characters.
pub const MAX_FOCUS_CHARS: usize = 500;
/// How long holds of one summary last before the sweeper voids them (a summary never takes this long).
const HOLD_TTL_SECS: i64 = 3600;
/// Every summary hold's key starts so (`summarize:{run}:{part}`).
const HOLD_KEY_PREFIX: &str = "summarize:";

/// What kind of summary is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
#[schema(as = SummaryMode)]
pub enum Mode {
    /// A few sentences.
    #[default]
    Brief,
    /// Sections with timestamps.
    Detailed,
    /// A timed beat sheet: hook, setup, reversals, cliffhanger.
    Beats,
    /// A Markdown outline drawn as a tree.
    Mindmap,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Brief, Mode::Detailed, Mode::Beats, Mode::Mindmap];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Brief => "brief",
            Mode::Detailed => "detailed",
            Mode::Beats => "beats",
            Mode::Mindmap => "mindmap",
        }
    }

    /// `None` (or blank) is `brief`.
    pub fn parse(raw: Option<&str>) -> Result<Mode, SummarizeError> {
        let raw = raw.map(str::trim).filter(|s| !s.is_empty());
        match raw {
            None => Ok(Mode::Brief),
            Some(r) => Mode::ALL
                .into_iter()
                .find(|m| m.as_str() == r)
                .ok_or_else(|| {
                    SummarizeError::invalid(
                        "mode",
                        format!("mode is one of brief, detailed, beats, mindmap (got {r:?})"),
                    )
                }),
        }
    }
}

/// What a summary is asked with (besides its video).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub mode: Mode,
    /// What the summary should pay attention to (may be empty).
    pub focus: String,
    /// The language model (default: the configured default; none configured: extractive).
    pub model_id: Option<String>,
    /// The speech recognizer (default: the configured default).
    pub asr_model_id: Option<String>,
    /// The spoken language (ISO-639-1), when known.
    pub language: Option<String>,
    /// The project the analysis is for (its beat sheet shows beside the script).
    pub project_id: Option<String>,
    /// The batch item this summary is (batch id, position): marked done in the transaction that
    /// stores the summary, so a crash between the two cannot summarise it twice.
    pub(crate) batch_item: Option<(String, u32)>,
}

impl Options {
    /// Checks what a client sent: the mode, the focus's length, the ids' shape.
    pub fn checked(mut self) -> Result<Self, SummarizeError> {
        self.focus = self.focus.trim().to_string();
        if self.focus.chars().count() > MAX_FOCUS_CHARS {
            return Err(SummarizeError::invalid(
                "focus",
                format!("focus is at most {MAX_FOCUS_CHARS} characters"),
            ));
        }
        let blank = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.model_id = blank(self.model_id);
        self.asr_model_id = blank(self.asr_model_id);
        self.project_id = blank(self.project_id);
        self.language = blank(self.language);
        if let Some(l) = &self.language {
            if l.len() > 8 || !l.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
                return Err(SummarizeError::invalid(
                    "language",
                    "language is a language code such as en or zh",
                ));
            }
        }
        Ok(self)
    }
}

/// Where the video comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A direct media URL, or a platform page (through yt-dlp when installed).
    Url(String),
    /// A file the client uploaded (already in a temporary file), with optional sidecar subtitles.
    Upload {
        path: PathBuf,
        name: String,
        subtitles: Option<String>,
    },
}

impl Source {
    fn url(&self) -> Option<&str> {
        match self {
            Source::Url(u) => Some(u),
            Source::Upload { .. } => None,
        }
    }
}

/// Who asks, and whose credits pay.
#[derive(Debug, Clone)]
pub struct Requester {
    pub workspace_id: String,
    pub user_id: String,
}

/// Where the transcript came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptSource {
    EmbeddedSubtitles,
    SidecarSubtitles,
    Asr,
    /// Typed or pasted by a person (`POST /history`).
    Manual,
}

impl TranscriptSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmbeddedSubtitles => "embedded_subtitles",
            Self::SidecarSubtitles => "sidecar_subtitles",
            Self::Asr => "asr",
            Self::Manual => "manual",
        }
    }
}

/// The video as `transcript_complete` describes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VideoFile {
    pub name: String,
    pub size_bytes: u64,
    pub duration_ms: u64,
    pub sha256: String,
    pub has_audio: bool,
}

/// The stages `status` events name, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Fetching,
    Probing,
    Cached,
    Subtitles,
    ExtractingAudio,
    Transcribing,
    Summarizing,
    Saving,
}

/// One event of a summary's stream (docs/SUMMARIZE.md): its SSE name and its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: &'static str,
    pub data: Value,
}

impl Event {
    fn status(stage: Stage, message: impl Into<String>, progress: Option<f64>) -> Event {
        let mut data = json!({"stage": stage, "message": message.into()});
        if let Some(p) = progress {
            data["progress"] = json!((p.clamp(0.0, 1.0) * 1000.0).round() / 1000.0);
        }
        Event {
            name: "status",
            data,
        }
    }

    pub fn error(e: &SummarizeError) -> Event {
        Event {
            name: "error",
            data: json!({"code": e.code.as_str(), "message": e.message, "retryable": e.retryable}),
        }
    }

    /// Whether the stream ends with this event.
    pub fn is_last(&self) -> bool {
        matches!(self.name, "summary_complete" | "error")
    }
}

/// Why a summary failed: one of the product's error codes, what to show, and whether the same
/// request may succeed later.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SummarizeError {
    pub code: ErrorCode,
    pub field: Option<&'static str>,
    pub message: String,
    pub retryable: bool,
}

impl SummarizeError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
            retryable: code.retryable(),
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            ..Self::new(ErrorCode::ValidationError, message)
        }
    }

    fn no_transcript(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NoTranscript, message)
    }

    fn upstream(message: impl Into<String>, retryable: bool) -> Self {
        Self {
            retryable,
            ..Self::new(ErrorCode::UpstreamFailed, message)
        }
    }

    fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "summary failed inside the server");
        Self::new(
            ErrorCode::Internal,
            "the server failed while summarizing; it is logged",
        )
    }

    fn cancelled() -> Self {
        Self {
            retryable: true,
            ..Self::new(
                ErrorCode::ServiceUnavailable,
                "the summary was interrupted before it finished; nothing was charged",
            )
        }
    }
}

impl CodedError for SummarizeError {
    fn code(&self) -> ErrorCode {
        self.code
    }
    fn field(&self) -> Option<&str> {
        self.field
    }
}

impl From<DbError> for SummarizeError {
    fn from(e: DbError) -> Self {
        Self::internal(e)
    }
}

impl From<LedgerError> for SummarizeError {
    fn from(e: LedgerError) -> Self {
        match e.code() {
            ErrorCode::Internal => Self::internal(e),
            code => Self::new(code, e.detail()),
        }
    }
}

impl From<RegistryError> for SummarizeError {
    fn from(e: RegistryError) -> Self {
        let code = e.code();
        // The only registry lookups here are of the models a request names (or their defaults).
        Self {
            code,
            field: Some("model_id"),
            message: e.detail(),
            retryable: code.retryable(),
        }
    }
}

impl From<crate::providers::ProviderError> for SummarizeError {
    fn from(e: crate::providers::ProviderError) -> Self {
        use crate::providers::ProviderErrorKind as K;
        if e.is_cancelled() {
            return Self::cancelled();
        }
        match e.kind {
            K::RateLimited { .. } => Self {
                retryable: true,
                ..Self::new(ErrorCode::RateLimited, e.to_string())
            },
            _ => Self::upstream(e.to_string(), e.retryable()),
        }
    }
}

/// A summary as stored and as `summary_complete` carries it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Digest {
    /// Markdown.
    pub summary: String,
    /// A Markdown outline (`- ` items, two spaces a level), timestamps as `[mm:ss]`.
    pub mindmap: String,
    pub beats: Vec<Beat>,
}

/// What the calls of one summary used and cost.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = SummaryUsage)]
pub struct Usage {
    /// Seconds of audio sent to the speech recognizer.
    pub audio_seconds: f64,
    pub asr_calls: u32,
    pub llm_calls: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Credits charged for this summary (0 for a cache hit, extractive summaries and members).
    pub credits_charged: i64,
    pub cached: bool,
}

/// The holds one summary took, settled or voided together.
#[derive(Debug, Default)]
struct Bill {
    /// (hold id, estimate, what the work actually cost at list price)
    holds: Vec<(String, i64, i64)>,
}

impl Bill {
    async fn hold(
        &mut self,
        job: &Job<'_>,
        part: &str,
        estimate: i64,
        description: String,
    ) -> Result<usize, SummarizeError> {
        let run_id = job.run_id;
        let hold = ledger::hold(
            job.state,
            HoldRequest {
                owner_id: job.who.workspace_id.clone(),
                amount: estimate.max(0),
                purpose: Purpose::Job,
                work_id: run_id.to_string(),
                key: format!("{HOLD_KEY_PREFIX}{run_id}:{part}"),
                description,
                meta: json!({"summary_run": run_id, "part": part}),
                ttl_secs: Some(HOLD_TTL_SECS),
            },
        )
        .await?;
        self.holds.push((hold.id, estimate.max(0), 0));
        Ok(self.holds.len() - 1)
    }

    fn cost(&mut self, index: usize, actual: i64) {
        if let Some(h) = self.holds.get_mut(index) {
            h.2 = actual.max(0);
        }
    }

    /// Settles every hold inside the transaction that stores the summary: the charge is each
    /// hold's actual cost, never more than it held. Returns the credits charged.
    fn settle_in_tx(
        &self,
        tx: &crate::db::sql::Connection,
        state: &AppState,
    ) -> Result<i64, LedgerError> {
        let mut charged = 0;
        for (hold_id, estimate, actual) in &self.holds {
            let hold = ledger::settle_in_tx(
                tx,
                state.ids.as_ref(),
                state.clock.now(),
                hold_id,
                (*actual).clamp(0, *estimate),
            )?;
            charged += hold.charged.unwrap_or(0);
        }
        Ok(charged)
    }

    async fn void(&self, state: &AppState, reason: &str) {
        for (hold_id, _, _) in &self.holds {
            if let Err(e) = ledger::void(state, hold_id, reason).await {
                tracing::warn!(hold = %hold_id, error = %e, "could not void a summary's hold; the sweeper will");
            }
        }
    }
}

/// Voids the holds of summaries whose process stopped (a crash, a restart, a replica gone): the
/// work they paid for is gone with it, and an interruption is free.
#[tracing::instrument(skip(state))]
pub async fn void_holds_of_stopped_processes(state: &AppState) -> Result<usize, LedgerError> {
    let (ids, now, lease) = (
        state.ids.clone(),
        state.clock.now(),
        crate::instances::lease(state),
    );
    state
        .db
        .write(move |tx| {
            let alive = crate::instances::alive_in_tx(tx, now, lease)?;
            let gone = ledger::pending_of_gone_holders(tx, HOLD_KEY_PREFIX, &alive)?;
            for hold_id in &gone {
                ledger::void_in_tx(
                    tx,
                    ids.as_ref(),
                    now,
                    hold_id,
                    "the summary's process stopped",
                )?;
            }
            Ok::<_, LedgerError>(gone.len())
        })
        .await
}

/// Where events go: the live stream's log, or nowhere (batch items).
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;

/// One summary's work: who asks and how, and where its events, files and holds go.
struct Job<'a> {
    state: &'a AppState,
    who: &'a Requester,
    opts: &'a Options,
    /// Names the holds, the calls' idempotency keys and the event ids.
    run_id: &'a str,
    sink: &'a Sink,
    cancel: &'a CancellationToken,
    /// Temporary files (the fetched video, audio pieces), removed when the work ends.
    work_dir: &'a std::path::Path,
}

/// What a summary ended with, to store.
struct Outcome {
    transcript_source: TranscriptSource,
    segments: Vec<TimedText>,
    digest: Digest,
    usage: Usage,
    /// The summary this one is a copy of (a cache hit).
    cached_from: Option<String>,
}

/// The models a summary uses.
struct Models {
    llm: Option<Resolved>,
    /// The cache's name for the summarizer: the LLM's id, or `extractive`.
    key: String,
}

async fn models(state: &AppState, opts: &Options) -> Result<Models, SummarizeError> {
    // Nothing configured and nothing asked for: the offline, extractive summary.
    let llm = registry::resolve_remote(state, ModelKind::Llm, opts.model_id.as_deref()).await?;
    let key = llm
        .as_ref()
        .map(|r| r.model.id.clone())
        .unwrap_or_else(|| "extractive".into());
    Ok(Models { llm, key })
}

/// Refuses, before any work starts, what would make the summary fail at once: an unknown or
/// unusable model, an unknown project.
pub async fn check_request(
    state: &AppState,
    who: &Requester,
    opts: &Options,
) -> Result<(), SummarizeError> {
    check_project(state, who, opts).await?;
    models(state, opts).await?;
    if let Some(id) = &opts.asr_model_id {
        registry::resolve(state, ModelKind::Asr, Some(id))
            .await
            .map_err(|e| SummarizeError {
                field: Some("asr_model_id"),
                ..e.into()
            })?;
    }
    Ok(())
}

/// Refuses a URL this instance will not fetch before a stream opens (docs/SUMMARIZE.md, "Sources").
pub async fn check_url(state: &AppState, url: &str) -> Result<(), SummarizeError> {
    source::check_url(url, &SourceLimits::for_state(state)).await
}

/// Summarizes one video, sending its events to `sink` as they happen, and returns the history
/// entry it stored. `run_id` names the work (holds, temporary files, event ids).
#[tracing::instrument(skip(state, source, opts, sink, cancel), fields(mode = opts.mode.as_str()))]
pub async fn summarize(
    state: &AppState,
    who: &Requester,
    source: Source,
    opts: Options,
    run_id: &str,
    sink: Sink,
    cancel: CancellationToken,
) -> Result<HistoryEntry, SummarizeError> {
    let work_dir = state
        .config
        .data_dir
        .join("tmp")
        .join(format!("summary-{run_id}"));
    tokio::fs::create_dir_all(&work_dir)
        .await
        .map_err(SummarizeError::internal)?;
    let mut bill = Bill::default();
    let job = Job {
        state,
        who,
        opts: &opts,
        run_id,
        sink: &sink,
        cancel: &cancel,
        work_dir: &work_dir,
    };
    let result = summarize_in(&job, source, &mut bill).await;
    let _ = tokio::fs::remove_dir_all(&work_dir).await;
    if let Err(e) = &result {
        bill.void(state, &format!("summary failed: {}", e.code.as_str()))
            .await;
    }
    result
}

async fn summarize_in(
    job: &Job<'_>,
    source: Source,
    bill: &mut Bill,
) -> Result<HistoryEntry, SummarizeError> {
    let Job {
        state,
        who,
        opts,
        sink,
        cancel,
        work_dir,
        ..
    } = *job;
    check_project(state, who, opts).await?;
    let models = models(state, opts).await?;
    sink(Event::status(
        Stage::Fetching,
        match &source {
            Source::Url(u) => format!("fetching {u}"),
            Source::Upload { name, .. } => format!("reading {name}"),
        },
        None,
    ));
    let limits = SourceLimits::for_state(state);
    let media = source::materialize(state, &source, &limits, work_dir, cancel).await?;
    check_cancel(cancel)?;

    // A cache hit: the same bytes, asked the same way of the same model, were summarised before.
    let (sha, mode, focus, key) = (
        media.cache_identity(),
        opts.mode,
        opts.focus.clone(),
        models.key.clone(),
    );
    let hit = state
        .db
        .read(move |c| store::cached(c, &sha, mode.as_str(), &focus, &key))
        .await?;
    if let Some(hit) = hit {
        sink(Event::status(
            Stage::Cached,
            "summarised before: taken from the cache, free",
            Some(1.0),
        ));
        sink(transcript_event(
            &hit.transcript,
            hit.transcript_source,
            &media,
            &Usage::default(),
        ));
        let outcome = Outcome {
            transcript_source: hit.transcript_source,
            segments: hit.transcript,
            digest: hit.digest,
            usage: Usage {
                cached: true,
                ..Usage::default()
            },
            cached_from: Some(hit.id),
        };
        return save(job, &source, &media, &models.key, outcome, &Bill::default()).await;
    }

    sink(Event::status(
        Stage::Probing,
        "reading the video's streams",
        None,
    ));
    let timed = transcript::transcribe(job, &media, bill).await?;
    check_cancel(cancel)?;
    let mut usage = timed.usage;
    sink(transcript_event(
        &timed.segments,
        timed.source,
        &media,
        &usage,
    ));

    let digest = match &models.llm {
        Some(llm) => {
            let (digest, llm_usage) = digest::with_model(job, llm, &timed.segments, bill).await?;
            usage.llm_calls = llm_usage.0;
            usage.prompt_tokens = llm_usage.1;
            usage.completion_tokens = llm_usage.2;
            digest
        }
        None => {
            sink(Event::status(
                Stage::Summarizing,
                "no language model configured: an extractive summary (free)",
                None,
            ));
            digest::extractive(&timed.segments, opts.mode, &opts.focus, &media.name)
        }
    };
    check_cancel(cancel)?;
    let outcome = Outcome {
        transcript_source: timed.source,
        segments: timed.segments,
        digest,
        usage,
        cached_from: None,
    };
    save(job, &source, &media, &models.key, outcome, bill).await
}

async fn check_project(
    state: &AppState,
    who: &Requester,
    opts: &Options,
) -> Result<(), SummarizeError> {
    if let Some(project_id) = &opts.project_id {
        crate::projects::get(state, &who.workspace_id, project_id)
            .await
            .map_err(|_| {
                SummarizeError::invalid("project_id", format!("no project '{project_id}'"))
            })?;
    }
    Ok(())
}

fn transcript_event(
    segments: &[TimedText],
    source: TranscriptSource,
    media: &source::Media,
    usage: &Usage,
) -> Event {
    Event {
        name: "transcript_complete",
        data: json!({
            "transcript": plain_text(segments),
            "segments": segments,
            "source": source,
            "videoFile": media.video_file(),
            "usage": {
                "audio_seconds": usage.audio_seconds,
                "asr_calls": usage.asr_calls,
            },
        }),
    }
}

fn check_cancel(cancel: &CancellationToken) -> Result<(), SummarizeError> {
    if cancel.is_cancelled() {
        Err(SummarizeError::cancelled())
    } else {
        Ok(())
    }
}

/// The transcript as one text: one segment a line.
pub fn plain_text(segments: &[TimedText]) -> String {
    segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A list's preview of a Markdown summary: its lines' text without the marks that start them
/// (`#`, `-`, `*`, `>`, `1.`), on one line, at most 280 characters.
pub fn excerpt(markdown: &str) -> String {
    markdown
        .lines()
        .map(|l| {
            let l = l.trim_start().trim_start_matches(['#', '-', '*', '>', '+']);
            let digits = l.len() - l.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let l = if digits > 0 && l[digits..].starts_with(['.', ')']) {
                &l[digits + 1..]
            } else {
                l
            };
            l.trim()
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(280)
        .collect()
}

/// `mm:ss` (or `h:mm:ss`).
pub fn timestamp(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// Stores the summary and settles its holds in one transaction, then sends `summary_complete`.
async fn save(
    job: &Job<'_>,
    source: &Source,
    media: &source::Media,
    model_key: &str,
    outcome: Outcome,
    bill: &Bill,
) -> Result<HistoryEntry, SummarizeError> {
    let Job {
        state,
        who,
        opts,
        sink,
        ..
    } = *job;
    let Outcome {
        transcript_source,
        segments,
        digest,
        mut usage,
        cached_from,
    } = outcome;
    sink(Event::status(Stage::Saving, "saving to history", None));
    let title = media.title();
    let row = store::NewSummary {
        id: state.ids.new_id().to_string(),
        workspace_id: who.workspace_id.clone(),
        created_by: who.user_id.clone(),
        project_id: opts.project_id.clone(),
        title,
        source_url: source.url().map(str::to_string),
        source_name: media.name.clone(),
        source_sha256: Some(media.cache_identity()),
        mode: opts.mode,
        focus: opts.focus.clone(),
        model: model_key.to_string(),
        transcript_source,
        duration_ms: Some(media.duration_ms),
        segments,
        digest,
        usage: usage.clone(),
        cached_from,
        created_at: rfc3339(state.clock.now()),
    };
    let id = row.id.clone();
    let st = state.clone();
    let saved_bill = Bill {
        holds: bill.holds.clone(),
    };
    let batch_item = opts.batch_item.clone();
    let charged = state
        .db
        .write(move |tx| {
            let charged = saved_bill
                .settle_in_tx(tx, &st)
                .map_err(SummarizeError::from)?;
            let mut row = row;
            row.usage.credits_charged = charged;
            store::insert(tx, &row)?;
            if let Some((batch_id, position)) = &batch_item {
                store::set_item(
                    tx,
                    batch_id,
                    *position,
                    batch::ItemStatus::Completed,
                    Some(&row.id),
                    None,
                    charged,
                )?;
            }
            Ok::<_, SummarizeError>(charged)
        })
        .await?;
    usage.credits_charged = charged;
    let entry = state
        .db
        .read({
            let (ws, id) = (who.workspace_id.clone(), id.clone());
            move |c| store::get(c, &ws, &id)
        })
        .await?
        .ok_or_else(|| SummarizeError::internal("a saved summary could not be read back"))?;
    sink(Event {
        name: "summary_complete",
        data: json!({
            "summary": entry.digest.summary,
            "mindmap": entry.digest.mindmap,
            "beats": entry.digest.beats,
            "summary_id": entry.id,
            "mode": entry.mode,
            "focus": entry.focus,
            "model": entry.model,
            "cached": usage.cached,
            "usage": usage,
        }),
    });
    Ok(entry)
}

// ------------------------------------------------------------------------------------------ history

/// A page of the workspace's summaries, newest first (trashed ones left out).
#[tracing::instrument(skip(state))]
pub async fn history(
    state: &AppState,
    workspace_id: &str,
    project_id: Option<&str>,
    page: crate::paging::PageSpec,
) -> Result<(Vec<HistoryItem>, u64), SummarizeError> {
    let (ws, project) = (workspace_id.to_string(), project_id.map(str::to_string));
    Ok(state
        .db
        .read(move |c| store::list(c, &ws, project.as_deref(), page))
        .await?)
}

fn not_found(id: &str) -> SummarizeError {
    SummarizeError::new(ErrorCode::NotFound, format!("summary '{id}' not found"))
}

pub async fn get(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<HistoryEntry, SummarizeError> {
    let (ws, sid) = (workspace_id.to_string(), id.to_string());
    state
        .db
        .read(move |c| store::get(c, &ws, &sid))
        .await?
        .ok_or_else(|| not_found(id))
}

/// A summary a person saves themselves (written, pasted or edited): free, no video needed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualSummary {
    pub title: String,
    /// Markdown.
    pub summary: String,
    #[serde(default)]
    pub mindmap: Option<String>,
    #[serde(default)]
    pub beats: Option<Vec<Beat>>,
    #[serde(default)]
    pub transcript: Option<String>,
    #[serde(default)]
    pub source_url: Option<String>,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub project_id: Option<String>,
}

const MAX_TITLE_CHARS: usize = 200;
const MAX_TEXT_CHARS: usize = 200_000;

#[tracing::instrument(skip(state, input))]
pub async fn save_manual(
    state: &AppState,
    who: &Requester,
    input: ManualSummary,
) -> Result<HistoryEntry, SummarizeError> {
    let title = input.title.trim().to_string();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(SummarizeError::invalid(
            "title",
            format!("title is 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    if input.summary.trim().is_empty() || input.summary.chars().count() > MAX_TEXT_CHARS {
        return Err(SummarizeError::invalid(
            "summary",
            format!("summary is 1 to {MAX_TEXT_CHARS} characters"),
        ));
    }
    for (field, text) in [
        ("mindmap", input.mindmap.as_deref()),
        ("transcript", input.transcript.as_deref()),
    ] {
        if text.is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS) {
            return Err(SummarizeError::invalid(
                field,
                format!("{field} is at most {MAX_TEXT_CHARS} characters"),
            ));
        }
    }
    if let Some(url) = &input.source_url {
        if url.len() > 2048 || !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(SummarizeError::invalid(
                "source_url",
                "source_url is an http(s) address",
            ));
        }
    }
    let beats = input.beats.unwrap_or_default();
    for (i, b) in beats.iter().enumerate() {
        if b.end_ms < b.start_ms || b.text.chars().count() > 5_000 {
            return Err(SummarizeError::invalid(
                "beats",
                format!(
                    "beats[{i}]: end_ms is not before start_ms and text is at most 5000 characters"
                ),
            ));
        }
    }
    let project_id = input
        .project_id
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    if let Some(p) = &project_id {
        crate::projects::get(state, &who.workspace_id, p)
            .await
            .map_err(|_| SummarizeError::invalid("project_id", format!("no project '{p}'")))?;
    }
    let segments: Vec<TimedText> = input
        .transcript
        .iter()
        .flat_map(|t| t.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| TimedText {
            start_ms: 0,
            end_ms: 0,
            text: l.to_string(),
        })
        .collect();
    let mindmap = input
        .mindmap
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| digest::outline(&title, &input.summary, &beats));
    let row = store::NewSummary {
        id: state.ids.new_id().to_string(),
        workspace_id: who.workspace_id.clone(),
        created_by: who.user_id.clone(),
        project_id,
        title,
        source_url: input.source_url,
        source_name: String::new(),
        source_sha256: None,
        mode: input.mode.unwrap_or_default(),
        focus: String::new(),
        model: "manual".into(),
        transcript_source: TranscriptSource::Manual,
        duration_ms: None,
        segments,
        digest: Digest {
            summary: input.summary,
            mindmap,
            beats,
        },
        usage: Usage::default(),
        cached_from: None,
        created_at: rfc3339(state.clock.now()),
    };
    let id = row.id.clone();
    state.db.write(move |tx| store::insert(tx, &row)).await?;
    get(state, &who.workspace_id, &id).await
}

/// Moves a summary to the trash (undo with [`restore`]).
#[tracing::instrument(skip(state))]
pub async fn trash(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<HistoryEntry, SummarizeError> {
    let (ws, sid, now) = (
        workspace_id.to_string(),
        id.to_string(),
        rfc3339(state.clock.now()),
    );
    let changed = state
        .db
        .write(move |tx| store::set_deleted(tx, &ws, &sid, Some(&now)))
        .await?;
    if !changed {
        return Err(not_found(id));
    }
    get_any(state, workspace_id, id).await
}

#[tracing::instrument(skip(state))]
pub async fn restore(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<HistoryEntry, SummarizeError> {
    let (ws, sid) = (workspace_id.to_string(), id.to_string());
    let changed = state
        .db
        .write(move |tx| store::set_deleted(tx, &ws, &sid, None))
        .await?;
    if !changed {
        return Err(not_found(id));
    }
    get(state, workspace_id, id).await
}

async fn get_any(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<HistoryEntry, SummarizeError> {
    let (ws, sid) = (workspace_id.to_string(), id.to_string());
    state
        .db
        .read(move |c| store::get_including_trash(c, &ws, &sid))
        .await?
        .ok_or_else(|| not_found(id))
}

/// A script draft in Storyloom's script format from a summary's beat sheet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScriptDraft {
    pub title: String,
    pub script: String,
}

pub async fn script_from_beats(
    state: &AppState,
    workspace_id: &str,
    id: &str,
) -> Result<ScriptDraft, SummarizeError> {
    let entry = get(state, workspace_id, id).await?;
    if entry.digest.beats.is_empty() {
        return Err(SummarizeError::new(
            ErrorCode::Conflict,
            "this summary has no beat sheet: analyse the video in the `beats` mode first",
        ));
    }
    Ok(ScriptDraft {
        script: beats_to_script(&entry.title, &entry.digest.beats),
        title: entry.title,
    })
}

/// How long a disconnected stream's work goes on before it is interrupted (and charged nothing).
pub fn abandon_after(state: &AppState) -> Duration {
    Duration::from_secs(state.config.summarize.abandon_secs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_plain_text_on_one_line() {
        assert_eq!(
            excerpt("## Part 1\n- [00:03] She signs.\n* [00:08] He reads.\n\n1. Then it ends."),
            "Part 1 [00:03] She signs. [00:08] He reads. Then it ends."
        );
        assert_eq!(excerpt(&"x".repeat(500)).len(), 280);
        assert_eq!(timestamp(3_723_000), "1:02:03");
        assert_eq!(timestamp(72_500), "01:12");
    }

    #[test]
    fn modes_and_options_are_checked() {
        assert_eq!(Mode::parse(None).unwrap(), Mode::Brief);
        assert_eq!(Mode::parse(Some(" beats ")).unwrap(), Mode::Beats);
        assert_eq!(Mode::parse(Some("epic")).unwrap_err().field, Some("mode"));
        let long = Options {
            focus: "f".repeat(MAX_FOCUS_CHARS + 1),
            ..Options::default()
        };
        assert_eq!(long.checked().unwrap_err().field, Some("focus"));
        let bad_language = Options {
            language: Some("en; rm".into()),
            ..Options::default()
        };
        assert_eq!(bad_language.checked().unwrap_err().field, Some("language"));
    }
}
