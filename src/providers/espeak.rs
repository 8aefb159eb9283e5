//! The built-in offline TTS: `espeak-ng` when it is installed, timed silence otherwise.
//!
//! The text goes in on stdin (`--stdin`), never on the command line or through a shell, so a line of
//! dialogue starting with `-` or holding quotes is just text. espeak-ng's output for the same text,
//! voice and rate is byte-for-byte the same, so the node cache stays valid.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    process::Command,
};

use super::{
    voices::{self, VoiceChoice},
    wav, AudioOutput, CallContext, ProviderError, ProviderFuture, ProviderInfo, TtsProvider,
    TtsRequest,
};

/// Longer text is rejected as `Invalid`: one dialogue line, not a chapter.
pub const ESPEAK_MAX_CHARS: usize = 2000;
/// The note an [`AudioOutput`] carries when espeak-ng is not installed.
pub const ESPEAK_NOT_FOUND_NOTE: &str = "espeak-ng not found: timed silence";
/// Silence is written at espeak-ng's own rate so both paths mix the same way.
const SILENCE_RATE: u32 = 22050;
/// espeak-ng's default rate, i.e. `speed` 1.0.
const NORMAL_WPM: f32 = 175.0;
/// The shortest line we time, so a lone "嗯" still gets a beat.
const MIN_SPEECH_MS: u64 = 600;

/// espeak-ng TTS. The binary is a constructor parameter so tests can point it anywhere without
/// touching process-wide environment.
#[derive(Debug, Clone)]
pub struct EspeakTts {
    binary: PathBuf,
    max_concurrency: usize,
}

impl EspeakTts {
    /// Uses `binary` (a path, or a bare name looked up on `PATH`).
    pub fn new(binary: impl Into<PathBuf>) -> Self {
        Self {
            binary: binary.into(),
            // Synthesis is CPU-bound: at most one process per core.
            max_concurrency: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }

    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// espeak-ng's version line, or `None` when it cannot be run.
    #[tracing::instrument(level = "debug", skip(self), fields(binary = %self.binary.display()))]
    pub async fn version(&self) -> Option<String> {
        let out = Command::new(&self.binary)
            .arg("--version")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The installed voices (`--voices`, or `--voices=<language>`; `variant` lists the variants),
    /// or `None` when espeak-ng cannot be run. `language` must be shaped like a voice name.
    #[tracing::instrument(level = "debug", skip(self), fields(binary = %self.binary.display()))]
    pub async fn list_voices(&self, language: Option<&str>) -> Option<Vec<voices::VoiceInfo>> {
        let arg = match language {
            Some(l) if voices::is_voice_name(l) => format!("--voices={l}"),
            Some(_) => return Some(Vec::new()),
            None => "--voices".to_owned(),
        };
        let run = Command::new(&self.binary)
            .arg(arg)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(std::time::Duration::from_secs(10), run)
            .await
            .ok()?
            .ok()?;
        out.status
            .success()
            .then(|| voices::parse_espeak_voices(&String::from_utf8_lossy(&out.stdout)))
    }

    /// The espeak-ng voice *name* for a request: its own `voice` if given, else one for its
    /// language. A `voice` that is not shaped like a name is refused here; [`EspeakTts::choose`]
    /// is what synthesis uses, and it reads such a voice as a description instead.
    pub fn voice_for(req: &TtsRequest) -> Result<String, ProviderError> {
        if let Some(voice) = req.voice.as_deref().filter(|v| !v.is_empty()) {
            return safe_voice(voice);
        }
        voices::language_voice(&req.language).ok_or_else(|| {
            ProviderError::invalid(format!(
                "{:?} is not a valid espeak-ng voice name",
                req.language
            ))
        })
    }

    /// The voice a request is spoken in: a voice name as is, a description mapped to the nearest
    /// voice of the request's language (see [`voices::from_description`]), nothing: the language's
    /// voice. Never fails, and only ever yields a name.
    pub fn choose(req: &TtsRequest) -> VoiceChoice {
        voices::choose(req.voice.as_deref(), &req.language)
    }

    /// espeak-ng's `-s`: words per minute for a speed factor (1.0 = 175 wpm).
    pub fn words_per_minute(speed: f32) -> u32 {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        (NORMAL_WPM * speed).round().clamp(80.0, 450.0) as u32
    }

    #[tracing::instrument(
        name = "espeak.speak",
        skip_all,
        fields(chars = req.text.chars().count(), language = %req.language, key = %ctx.idempotency_key)
    )]
    async fn speak_inner(
        &self,
        req: TtsRequest,
        ctx: &CallContext,
    ) -> Result<AudioOutput, ProviderError> {
        let chars = req.text.chars().count();
        if req.text.trim().is_empty() {
            return Err(ProviderError::invalid("the text to speak is empty"));
        }
        if chars > ESPEAK_MAX_CHARS {
            return Err(ProviderError::invalid(format!(
                "the text to speak has {chars} characters; the limit is {ESPEAK_MAX_CHARS}"
            )));
        }
        let wpm = Self::words_per_minute(req.speed);
        let choice = Self::choose(&req);
        let mut attempt = self.run(&choice, wpm, &req.text, ctx).await?;
        let mut note = None;
        // A name espeak-ng does not know: the language's voice (with what the name says about
        // gender and pitch), and a note for the node log, rather than a failed line.
        let unknown = matches!(&attempt, Attempt::Exited { status: Ok(status), stderr, .. }
            if !status.success() && String::from_utf8_lossy(stderr).contains("voice does not exist"));
        if unknown {
            let fallback = voices::fallback_for_unknown(&choice.voice, &req.language);
            tracing::warn!(voice = %choice.voice, fallback = %fallback.voice, "unknown espeak-ng voice");
            note = fallback.note.clone();
            attempt = self.run(&fallback, wpm, &req.text, ctx).await?;
        }
        let (status, out, err) = match attempt {
            Attempt::NotFound => return Ok(silence(&req, ESPEAK_NOT_FOUND_NOTE.to_owned())),
            Attempt::CannotStart(e) => {
                return Ok(silence(
                    &req,
                    format!("espeak-ng could not start ({e}): timed silence"),
                ))
            }
            Attempt::Exited {
                status,
                stdout,
                stderr,
            } => (status, stdout, stderr),
        };

        let failure = match (status, out) {
            (Ok(status), Ok(out)) if status.success() => match wav::normalize_wav(&out) {
                Ok((bytes, info)) if info.frames() > 0 => {
                    return Ok(AudioOutput {
                        wav: bytes,
                        duration_ms: info.duration_ms(),
                        note,
                        request_id: None,
                    });
                }
                Ok(_) => "espeak-ng produced no audio".to_owned(),
                Err(e) => format!("espeak-ng wrote an unreadable WAV ({e})"),
            },
            (Err(e), _) | (_, Err(e)) => format!("espeak-ng failed ({e})"),
            (Ok(status), Ok(_)) => {
                let stderr = String::from_utf8_lossy(&err);
                let first = stderr.lines().next().unwrap_or("").trim();
                format!("espeak-ng failed ({status}: {first})")
            }
        };
        Ok(silence(&req, format!("{failure}: timed silence")))
    }

    /// One espeak-ng process for `text` in `choice`'s voice and pitch.
    async fn run(
        &self,
        choice: &VoiceChoice,
        wpm: u32,
        text: &str,
        ctx: &CallContext,
    ) -> Result<Attempt, ProviderError> {
        // `choose` only yields names; checked again because this is what reaches the program.
        let voice = safe_voice(&choice.voice)?;
        let mut command = Command::new(&self.binary);
        command.args(["-v", &voice, "-s", &wpm.to_string(), "-b", "1"]);
        if let Some(pitch) = choice.pitch {
            command.args(["-p", &pitch.min(99).to_string()]);
        }
        let mut child = match command
            .args(["--stdin", "--stdout"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Whatever happens to this future, the process does not outlive it.
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Attempt::NotFound),
            Err(e) => return Ok(Attempt::CannotStart(e)),
        };

        let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ProviderError::unavailable("espeak-ng pipes missing", false));
        };
        let text = text.to_owned();
        let io = async move {
            let write = async move {
                // A broken pipe means espeak-ng exited early; its exit status says why.
                let _ = stdin.write_all(text.as_bytes()).await;
                let _ = stdin.shutdown().await;
            };
            let mut out = Vec::new();
            let mut err = Vec::new();
            let (_, o, e) = tokio::join!(
                write,
                stdout.read_to_end(&mut out),
                stderr.read_to_end(&mut err)
            );
            (o.map(|_| out), e.map(|_| err).unwrap_or_default())
        };

        enum Outcome {
            Cancelled,
            TimedOut,
            Done(
                std::io::Result<Vec<u8>>,
                Vec<u8>,
                std::io::Result<std::process::ExitStatus>,
            ),
        }
        let outcome = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => Outcome::Cancelled,
            _ = tokio::time::sleep(ctx.timeout) => Outcome::TimedOut,
            (out, err, status) = async {
                let (out, err) = io.await;
                (out, err, child.wait().await)
            } => Outcome::Done(out, err, status),
        };
        match outcome {
            Outcome::Cancelled => {
                let _ = child.kill().await;
                Err(ProviderError::cancelled())
            }
            Outcome::TimedOut => {
                let _ = child.kill().await;
                Err(ProviderError::timeout(format!(
                    "espeak-ng took longer than {:.1}s",
                    ctx.timeout.as_secs_f64()
                )))
            }
            Outcome::Done(stdout, stderr, status) => Ok(Attempt::Exited {
                status,
                stdout,
                stderr,
            }),
        }
    }
}

/// How one espeak-ng process went.
enum Attempt {
    NotFound,
    CannotStart(std::io::Error),
    Exited {
        status: std::io::Result<std::process::ExitStatus>,
        stdout: std::io::Result<Vec<u8>>,
        stderr: Vec<u8>,
    },
}

impl Default for EspeakTts {
    /// `espeak-ng` from `PATH` (the service uses `Config::espeak_path`).
    fn default() -> Self {
        Self::new("espeak-ng")
    }
}

impl ProviderInfo for EspeakTts {
    fn id(&self) -> &str {
        "espeak-ng"
    }
    fn model(&self) -> &str {
        "espeak-ng"
    }
    fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }
}

impl TtsProvider for EspeakTts {
    fn speak<'a>(
        &'a self,
        req: TtsRequest,
        ctx: &'a CallContext,
    ) -> ProviderFuture<'a, AudioOutput> {
        Box::pin(self.speak_inner(req, ctx))
    }
}

/// Voice names are plain identifiers like `cmn`, `en-us` or `mb/mb-en1`; anything else is refused
/// rather than handed to a program.
fn safe_voice(voice: &str) -> Result<String, ProviderError> {
    if voices::is_voice_name(voice) {
        Ok(voice.to_owned())
    } else {
        Err(ProviderError::invalid(format!(
            "{voice:?} is not a valid espeak-ng voice name"
        )))
    }
}

fn silence(req: &TtsRequest, note: String) -> AudioOutput {
    let duration_ms = estimate_speech_ms(&req.text, req.speed);
    tracing::warn!(duration_ms, %note, "TTS fell back to silence");
    AudioOutput {
        wav: wav::silent_wav(duration_ms, SILENCE_RATE),
        duration_ms,
        note: Some(note),
        request_id: None,
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // kana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified
        | 0xAC00..=0xD7AF    // Hangul
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0x20000..=0x2FFFF) // extensions B+
}

/// How long the text takes to say: ~4.5 CJK characters or ~2.7 words a second at speed 1.0,
/// at least 0.6 s. Used to time silence so the animatic keeps its rhythm without a voice.
pub fn estimate_speech_ms(text: &str, speed: f32) -> u64 {
    let speed = if speed.is_finite() && speed > 0.0 {
        f64::from(speed)
    } else {
        1.0
    };
    let (mut cjk, mut words, mut in_word) = (0u64, 0u64, false);
    for c in text.chars() {
        if is_cjk(c) {
            cjk += 1;
            in_word = false;
        } else if c.is_alphanumeric() || (in_word && c == '\'') {
            if !in_word {
                words += 1;
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    let secs = cjk as f64 / 4.5 + words as f64 / 2.7;
    ((secs * 1000.0 / speed).round() as u64).max(MIN_SPEECH_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str, language: &str) -> TtsRequest {
        TtsRequest {
            text: text.into(),
            language: language.into(),
            ..TtsRequest::default()
        }
    }

    #[test]
    fn estimates() {
        assert_eq!(estimate_speech_ms("你好世界，今天很好", 1.0), 1778); // 8 chars / 4.5
        assert_eq!(estimate_speech_ms("don't stop me now", 1.0), 1481); // 4 words / 2.7
        assert_eq!(estimate_speech_ms("嗯", 1.0), 600);
        assert_eq!(estimate_speech_ms("……", 1.0), 600);
        assert_eq!(estimate_speech_ms("你好世界，今天很好", 2.0), 889);
        assert_eq!(estimate_speech_ms("OK 你好", 1.0), 815); // 1 word + 2 chars
    }

    #[test]
    fn voices() {
        assert_eq!(EspeakTts::voice_for(&req("x", "zh")).unwrap(), "cmn");
        assert_eq!(EspeakTts::voice_for(&req("x", "zh-CN")).unwrap(), "cmn");
        assert_eq!(EspeakTts::voice_for(&req("x", "zh_TW")).unwrap(), "cmn");
        assert_eq!(EspeakTts::voice_for(&req("x", "zh-HK")).unwrap(), "yue");
        assert_eq!(EspeakTts::voice_for(&req("x", "en")).unwrap(), "en");
        assert_eq!(EspeakTts::voice_for(&req("x", "EN-US")).unwrap(), "en-us");
        assert_eq!(EspeakTts::voice_for(&req("x", "en-AU")).unwrap(), "en");
        assert_eq!(EspeakTts::voice_for(&req("x", "fr")).unwrap(), "fr");
        let mut r = req("x", "zh");
        r.voice = Some("en-us+f3".into());
        assert_eq!(EspeakTts::voice_for(&r).unwrap(), "en-us+f3");
        r.voice = Some("--stdout".into());
        assert!(!EspeakTts::voice_for(&r).unwrap_err().retryable());
        r.voice = Some("en; rm -rf /".into());
        assert!(EspeakTts::voice_for(&r).is_err());
    }

    #[test]
    fn speeds() {
        assert_eq!(EspeakTts::words_per_minute(1.0), 175);
        assert_eq!(EspeakTts::words_per_minute(0.5), 88);
        assert_eq!(EspeakTts::words_per_minute(10.0), 450);
        assert_eq!(EspeakTts::words_per_minute(f32::NAN), 175);
    }

    #[tokio::test]
    async fn rejects_empty_and_long_text() {
        let tts = EspeakTts::new("/nonexistent/espeak-ng");
        let ctx = CallContext::new("k", std::time::Duration::from_secs(5));
        let err = tts.speak(req("  ", "zh"), &ctx).await.unwrap_err();
        assert_eq!(err.kind, crate::providers::ProviderErrorKind::Invalid);
        let long = "好".repeat(ESPEAK_MAX_CHARS + 1);
        let err = tts.speak(req(&long, "zh"), &ctx).await.unwrap_err();
        assert_eq!(err.kind, crate::providers::ProviderErrorKind::Invalid);
        assert!(err.message.contains("2001"), "{}", err.message);
        // Exactly at the limit is fine (and times as silence here).
        let ok = "好".repeat(ESPEAK_MAX_CHARS);
        assert!(tts.speak(req(&ok, "zh"), &ctx).await.is_ok());
    }

    #[tokio::test]
    async fn descriptions_and_unknown_names_are_spoken() {
        let tts = EspeakTts::default();
        if tts.version().await.is_none() {
            eprintln!("espeak-ng is not installed: nothing to check");
            return;
        }
        let ctx = CallContext::new("k", std::time::Duration::from_secs(30));
        let mut r = req("你好世界", "zh");
        r.voice = Some("温柔女声，略带沙哑".into());
        assert_eq!(EspeakTts::choose(&r).voice, "cmn+f3");
        let out = tts.speak(r, &ctx).await.unwrap();
        assert_eq!(out.note, None, "spoken, not silence: {:?}", out.note);
        assert!(out.duration_ms > 0);
        // Shaped like a name, unknown to espeak-ng: the language's voice, noted.
        let mut r = req("hello there", "en");
        r.voice = Some("warm-male".into());
        let out = tts.speak(r, &ctx).await.unwrap();
        let note = out.note.unwrap();
        assert!(
            note.contains("no voice \"warm-male\": used en+m3"),
            "{note}"
        );
        assert!(!note.contains("silence"), "{note}");
        assert!(out.duration_ms > 0);
    }

    #[tokio::test]
    async fn missing_binary_gives_timed_silence() {
        let tts = EspeakTts::new("/nonexistent/espeak-ng");
        let ctx = CallContext::new("k", std::time::Duration::from_secs(5));
        let out = tts
            .speak(req("你好世界，今天很好", "zh"), &ctx)
            .await
            .unwrap();
        assert_eq!(out.note.as_deref(), Some(ESPEAK_NOT_FOUND_NOTE));
        assert_eq!(out.duration_ms, 1778);
        let info = wav::parse_wav(&out.wav).unwrap();
        assert_eq!(
            (info.channels, info.sample_rate, info.bits_per_sample),
            (1, 22050, 16)
        );
        assert_eq!(info.duration_ms(), 1778);
    }
}
