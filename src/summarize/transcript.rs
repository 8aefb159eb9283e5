//! The transcript, from the best source there is (docs/SUMMARIZE.md, "Transcripts"): subtitles
//! that came beside the video, else the video's own text subtitle track, else speech recognition
//! of its audio (16 kHz mono, in pieces, each piece's times shifted to where it starts), else
//! `NO_TRANSCRIPT`.
use std::{path::Path, process::Stdio, time::Duration};

use super::{
    source::{self, Media},
    Bill, Event, Job, Stage, SummarizeError, TranscriptSource, Usage,
};
use crate::{
    providers::{self, call_with_retry, AsrRequest, CallContext, RetryPolicy, TimedText},
    registry::{self, ModelKind, RegistryError},
    AppState,
};

/// One piece of audio's recognition may take this long.
const ASR_TIMEOUT: Duration = Duration::from_secs(300);

pub struct Timed {
    pub segments: Vec<TimedText>,
    pub source: TranscriptSource,
    pub usage: Usage,
}

/// Speech recognition's price: credits per started minute of audio.
pub fn asr_cost(price_per_minute: i64, audio_ms: u64) -> i64 {
    let minutes = audio_ms.div_ceil(60_000) as i64;
    minutes.max(1) * price_per_minute.max(0)
}

pub(super) async fn transcribe(
    job: &Job<'_>,
    media: &Media,
    bill: &mut Bill,
) -> Result<Timed, SummarizeError> {
    let Job {
        state,
        opts,
        run_id,
        sink,
        cancel,
        work_dir,
        ..
    } = *job;
    if let Some(text) = &media.sidecar {
        sink(Event::status(
            Stage::Subtitles,
            "reading the subtitles sent with the video",
            None,
        ));
        let segments = parse_subtitles(text);
        if segments.is_empty() {
            return Err(SummarizeError::invalid(
                "subtitles",
                "the subtitle file has no cues (expected SRT or WebVTT)",
            ));
        }
        return Ok(Timed {
            segments,
            source: TranscriptSource::SidecarSubtitles,
            usage: Usage::default(),
        });
    }
    if let Some(index) = media.subtitle_stream {
        sink(Event::status(
            Stage::Subtitles,
            "reading the video's subtitle track",
            None,
        ));
        let text = extract_subtitles(state, &media.path, index, work_dir).await?;
        let segments = parse_subtitles(&text);
        if !segments.is_empty() {
            return Ok(Timed {
                segments,
                source: TranscriptSource::EmbeddedSubtitles,
                usage: Usage::default(),
            });
        }
    }
    if !media.has_audio {
        return Err(SummarizeError::no_transcript(
            "the video has no subtitles and no audio track: there is nothing to transcribe",
        ));
    }
    let model = match registry::resolve(state, ModelKind::Asr, opts.asr_model_id.as_deref()).await
    {
        Ok(m) => m,
        Err(RegistryError::NotFound(_)) if opts.asr_model_id.is_none() => {
            return Err(SummarizeError::no_transcript(
                "the video has no subtitles and no speech recognition model is configured \
                 (Settings → Providers & Models, kind asr): nothing is summarised without a transcript",
            ))
        }
        Err(e) => {
            return Err(SummarizeError {
                field: Some("asr_model_id"),
                ..e.into()
            })
        }
    };
    let Some(target) = model.target.clone() else {
        return Err(SummarizeError::no_transcript(
            "the speech recognition model is not one that can be called",
        ));
    };
    let estimate = asr_cost(model.model.credits_cost, media.duration_ms);
    let hold = bill
        .hold(
            job,
            "asr",
            estimate,
            format!("speech recognition of {}", media.name),
        )
        .await?;
    let asr = providers::adapters::asr(&target)?;
    let slots = state
        .ai_limiter
        .slots(&target.provider_id, target.max_concurrency.max(1));
    let chunk_ms = state.config.summarize.asr_chunk_secs.max(5) * 1000;
    let pieces = media.duration_ms.div_ceil(chunk_ms).max(1);
    let mut segments = Vec::new();
    let mut usage = Usage::default();
    for i in 0..pieces {
        let start = i * chunk_ms;
        let length = chunk_ms.min(media.duration_ms.saturating_sub(start)).max(1);
        sink(Event::status(
            Stage::ExtractingAudio,
            format!("extracting audio {} of {pieces}", i + 1),
            Some(i as f64 / pieces as f64),
        ));
        let wav = extract_audio(state, &media.path, start, length, work_dir).await?;
        sink(Event::status(
            Stage::Transcribing,
            format!(
                "recognising speech {} of {pieces} ({}–{})",
                i + 1,
                super::timestamp(start),
                super::timestamp(start + length)
            ),
            Some(i as f64 / pieces as f64),
        ));
        let ctx = CallContext::new(format!("summarize:{run_id}:asr:{i}"), ASR_TIMEOUT)
            .with_cancel(cancel.clone());
        let request = AsrRequest {
            audio: wav,
            filename: format!("piece-{i}.wav"),
            mime: "audio/wav".into(),
            language: opts.language.clone(),
            timestamps: true,
        };
        let (heard, _) = call_with_retry(&RetryPolicy::default(), &ctx, &slots, |_| {
            asr.transcribe(request.clone(), &ctx)
        })
        .await?;
        usage.asr_calls += 1;
        usage.audio_seconds += length as f64 / 1000.0;
        let piece_end = start + length;
        if heard.segments.is_empty() {
            let text = heard.text.trim();
            if !text.is_empty() {
                segments.push(TimedText {
                    start_ms: start,
                    end_ms: piece_end,
                    text: text.to_string(),
                });
            }
        } else {
            segments.extend(heard.segments.into_iter().map(|s| TimedText {
                start_ms: (start + s.start_ms).min(piece_end),
                end_ms: (start + s.end_ms).min(piece_end),
                text: s.text,
            }));
        }
    }
    bill.cost(hold, asr_cost(model.model.credits_cost, media.duration_ms));
    if segments.is_empty() {
        return Err(SummarizeError::no_transcript(
            "no speech was recognised in the video and it has no subtitles",
        ));
    }
    usage.audio_seconds = (usage.audio_seconds * 1000.0).round() / 1000.0;
    Ok(Timed {
        segments,
        source: TranscriptSource::Asr,
        usage,
    })
}

async fn run_ffmpeg(
    state: &AppState,
    args: Vec<std::ffi::OsString>,
) -> Result<Vec<u8>, SummarizeError> {
    let tools = source::tools(state)?;
    let out = tokio::process::Command::new(&tools.ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(SummarizeError::internal)?;
    if !out.status.success() {
        return Err(SummarizeError::invalid(
            "url",
            format!(
                "ffmpeg could not read the video: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    Ok(out.stdout)
}

/// The `index`-th subtitle track as SRT text.
async fn extract_subtitles(
    state: &AppState,
    file: &Path,
    index: usize,
    work_dir: &Path,
) -> Result<String, SummarizeError> {
    let out = work_dir.join("track.srt");
    run_ffmpeg(
        state,
        vec![
            "-i".into(),
            file.into(),
            "-map".into(),
            format!("0:s:{index}").into(),
            "-f".into(),
            "srt".into(),
            out.clone().into(),
        ],
    )
    .await?;
    let bytes = tokio::fs::read(&out)
        .await
        .map_err(SummarizeError::internal)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `length_ms` of the audio from `start_ms`, as 16 kHz mono 16-bit WAV.
async fn extract_audio(
    state: &AppState,
    file: &Path,
    start_ms: u64,
    length_ms: u64,
    work_dir: &Path,
) -> Result<Vec<u8>, SummarizeError> {
    let out = work_dir.join("piece.wav");
    let secs = |ms: u64| format!("{}.{:03}", ms / 1000, ms % 1000);
    run_ffmpeg(
        state,
        vec![
            "-ss".into(),
            secs(start_ms).into(),
            "-t".into(),
            secs(length_ms).into(),
            "-i".into(),
            file.into(),
            "-vn".into(),
            "-ac".into(),
            "1".into(),
            "-ar".into(),
            "16000".into(),
            "-c:a".into(),
            "pcm_s16le".into(),
            out.clone().into(),
        ],
    )
    .await?;
    tokio::fs::read(&out)
        .await
        .map_err(SummarizeError::internal)
}

/// `HH:MM:SS,mmm`, `MM:SS.mmm` (WebVTT may leave out the hours) → milliseconds.
fn cue_time(raw: &str) -> Option<u64> {
    let raw = raw.trim().replace(',', ".");
    let (clock, frac) = raw.split_once('.').unwrap_or((raw.as_str(), "0"));
    let parts: Vec<u64> = clock
        .split(':')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let secs = match parts.as_slice() {
        [h, m, s] => h * 3600 + m * 60 + s,
        [m, s] => m * 60 + s,
        _ => return None,
    };
    let digits: String = frac
        .chars()
        .take_while(char::is_ascii_digit)
        .take(3)
        .collect();
    let millis = format!("{digits:0<3}").parse::<u64>().ok()?;
    Some(secs * 1000 + millis)
}

/// Removes markup from a cue's text: `<i>`, `<c.x>`, `{\an8}`.
fn strip_markup(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut depth: Option<char> = None;
    for c in line.chars() {
        match (depth, c) {
            (None, '<') => depth = Some('>'),
            (None, '{') => depth = Some('}'),
            (Some(end), c) if c == end => depth = None,
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    out.trim().to_string()
}

/// SRT or WebVTT text → its cues, in time order, blank ones dropped.
pub fn parse_subtitles(text: &str) -> Vec<TimedText> {
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let mut cues = Vec::new();
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().collect();
        let Some(at) = lines.iter().position(|l| l.contains("-->")) else {
            continue;
        };
        let (from, to) = lines[at].split_once("-->").unwrap_or_default();
        // WebVTT cue settings follow the end time.
        let to = to.split_whitespace().next().unwrap_or_default();
        let (Some(start_ms), Some(end_ms)) = (cue_time(from), cue_time(to)) else {
            continue;
        };
        let body = lines[at + 1..]
            .iter()
            .map(|l| strip_markup(l))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !body.is_empty() {
            cues.push(TimedText {
                start_ms,
                end_ms: end_ms.max(start_ms),
                text: body,
            });
        }
    }
    cues.sort_by_key(|c| c.start_ms);
    cues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_and_webvtt_cues_are_read_with_their_times() {
        let srt = "1\r\n00:00:01,000 --> 00:00:03,500\r\n<i>Hello</i> there\r\nfriend\r\n\r\n2\r\n00:01:02,250 --> 00:01:04,000\r\n{\\an8}Bye\r\n";
        let cues = parse_subtitles(srt);
        assert_eq!(
            cues,
            vec![
                TimedText {
                    start_ms: 1000,
                    end_ms: 3500,
                    text: "Hello there friend".into()
                },
                TimedText {
                    start_ms: 62_250,
                    end_ms: 64_000,
                    text: "Bye".into()
                },
            ]
        );
        let vtt = "WEBVTT\n\nNOTE x\n\n00:05.5 --> 00:07.000 align:start\n<c.yellow>Run!</c>\n\n01:00:00.000 --> 01:00:01.000\n\n";
        let cues = parse_subtitles(vtt);
        assert_eq!(cues.len(), 1);
        assert_eq!((cues[0].start_ms, cues[0].end_ms), (5500, 7000));
        assert_eq!(cues[0].text, "Run!");
        assert!(parse_subtitles("no cues here").is_empty());
    }

    #[test]
    fn speech_recognition_is_priced_per_started_minute() {
        assert_eq!(asr_cost(3, 1), 3);
        assert_eq!(asr_cost(3, 60_000), 3);
        assert_eq!(asr_cost(3, 60_001), 6);
        assert_eq!(asr_cost(0, 600_000), 0);
    }
}
