//! From a timed transcript to a summary, a mind map and a beat sheet (docs/SUMMARIZE.md,
//! "Summaries"). With a language model: map-reduce over the whole transcript, cut into chunks
//! deterministically at line boundaries; nothing is dropped to fit a context. Without one: an
//! extractive summary (sentences ranked by the words they share with the whole) and a beat sheet
//! from the transcript's timing, at no cost.
use std::{collections::HashMap, time::Duration};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{timestamp, Bill, Digest, Event, Job, Mode, Stage, SummarizeError};
use crate::{
    providers::{
        self, call_with_retry, CallContext, ChatMessage, LlmRequest, RetryPolicy, TimedText,
    },
    registry::Resolved,
    workflow::ai::{llm_cost, prompt_tokens_bound},
};

/// A chunk of transcript sent in one call, in characters (a model's config `summary_chunk_chars`
/// overrides it).
const DEFAULT_CHUNK_CHARS: usize = 12_000;
const MAP_MAX_TOKENS: u32 = 1024;
const FINAL_MAX_TOKENS: u32 = 2048;
/// Notes of notes: at most this many rounds before the final call takes what there is, whole.
const MAX_REDUCE_ROUNDS: usize = 4;
const LLM_TIMEOUT: Duration = Duration::from_secs(180);
/// The hook is what happens in the first three seconds.
const HOOK_MS: u64 = 3_000;

/// A beat of a short drama's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BeatKind {
    Hook,
    Setup,
    Reversal,
    Cliffhanger,
}

impl BeatKind {
    fn label(self) -> &'static str {
        match self {
            Self::Hook => "Hook",
            Self::Setup => "Setup",
            Self::Reversal => "Reversal",
            Self::Cliffhanger => "Cliffhanger",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "hook" => Some(Self::Hook),
            "setup" | "set-up" | "set up" => Some(Self::Setup),
            "reversal" | "twist" | "turn" | "turning_point" => Some(Self::Reversal),
            "cliffhanger" | "cliff-hanger" | "ending" => Some(Self::Cliffhanger),
            _ => None,
        }
    }
}

/// One beat: what happens, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Beat {
    pub kind: BeatKind,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

fn line_of(s: &TimedText) -> String {
    format!("[{}] {}", timestamp(s.start_ms), s.text)
}

/// Cuts lines into chunks of at most `max` characters, in order, at line boundaries; a line longer
/// than `max` is a chunk of its own (never cut, never dropped).
pub fn chunk_lines(lines: &[String], max: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    for line in lines {
        let len = line.chars().count();
        if !current.is_empty() && current.chars().count() + 1 + len > max {
            chunks.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

fn mode_instructions(mode: Mode) -> &'static str {
    match mode {
        Mode::Brief => "Write `summary` as 3 to 5 plain sentences.",
        Mode::Detailed => {
            "Write `summary` as Markdown sections (## headings) in the video's order, each naming \
             its [mm:ss] time range, with the key lines and turns of each part."
        }
        Mode::Beats => {
            "Concentrate on `beats`: the hook (what grabs the viewer in the first 3 seconds), the \
             setup, every reversal, and the cliffhanger at the end, each with its start and end \
             time. Keep `summary` to 2 sentences."
        }
        Mode::Mindmap => {
            "Concentrate on `mindmap`: a deep outline of characters, conflicts, turns and \
             outcome, with [mm:ss] times on the items. Keep `summary` to 2 sentences."
        }
    }
}

const FINAL_SYSTEM: &str = "You analyse short-drama reference videos from their transcript. Use \
only what the transcript says; never invent events, names or lines. Answer with one JSON object \
only: {\"summary\": \"<Markdown>\", \"mindmap\": \"<Markdown outline: '- ' items, two spaces per \
level, [mm:ss] times>\", \"beats\": [{\"kind\": \"hook|setup|reversal|cliffhanger\", \"start\": \
\"mm:ss\", \"end\": \"mm:ss\", \"text\": \"...\"}]}.";

const MAP_SYSTEM: &str = "You take notes on one part of a video transcript for a summary written \
later from all parts. Write concise bullet notes of everything that happens, each starting with \
the [mm:ss] time it happens at, in order. Cover the whole part; never invent.";

fn focus_line(focus: &str) -> String {
    if focus.is_empty() {
        String::new()
    } else {
        format!("Focus on: {focus}\n")
    }
}

/// What the calls cost: (calls, prompt tokens, completion tokens).
pub type LlmUsage = (u32, u64, u64);

struct Caller<'a> {
    job: &'a Job<'a>,
    model: &'a Resolved,
    calls: u32,
    usage: LlmUsage,
}

impl Caller<'_> {
    /// One call, held before it is sent and costed by what the upstream reports.
    async fn call(
        &mut self,
        bill: &mut Bill,
        system: &str,
        user: String,
        max_tokens: u32,
        json_mode: bool,
    ) -> Result<String, SummarizeError> {
        let target = self.model.target.as_ref().expect("a remote model");
        let max_tokens = self
            .model
            .model
            .config
            .get("max_tokens")
            .and_then(Value::as_u64)
            .map(|v| v.clamp(64, 32_768) as u32)
            .unwrap_or(max_tokens);
        let n = self.calls;
        self.calls += 1;
        let prompt_bound = prompt_tokens_bound(system) + prompt_tokens_bound(&user);
        let estimate = llm_cost(self.model, prompt_bound, u64::from(max_tokens));
        let hold = bill
            .hold(
                self.job,
                &format!("llm:{n}"),
                estimate,
                format!("summary call {} with {}", n + 1, self.model.model.name),
            )
            .await?;
        let llm = providers::adapters::llm(target)?;
        let slots = self
            .job
            .state
            .ai_limiter
            .slots(&target.provider_id, target.max_concurrency.max(1));
        let ctx = CallContext::new(
            format!("summarize:{}:llm:{n}", self.job.run_id),
            LLM_TIMEOUT,
        )
        .with_cancel(self.job.cancel.clone());
        let request = LlmRequest {
            messages: vec![ChatMessage::system(system), ChatMessage::user(user)],
            temperature: Some(0.0),
            seed: Some(7),
            max_tokens: Some(max_tokens),
            json_mode,
        };
        let (answer, _) = call_with_retry(&RetryPolicy::default(), &ctx, &slots, |_| {
            llm.complete(request.clone(), &ctx)
        })
        .await?;
        let cost = match answer.usage {
            Some(u) => {
                self.usage.1 += u.prompt_tokens;
                self.usage.2 += u.completion_tokens;
                llm_cost(self.model, u.prompt_tokens, u.completion_tokens)
            }
            // No usage reported: the hold is what the call was allowed to cost.
            None => estimate,
        };
        bill.cost(hold, cost);
        self.usage.0 = self.calls;
        Ok(answer.content)
    }
}

/// The summary through a language model: notes on each chunk (map), notes of notes while they do
/// not fit one call (reduce), then the final call on all of it.
pub(super) async fn with_model(
    job: &Job<'_>,
    model: &Resolved,
    segments: &[TimedText],
    bill: &mut Bill,
) -> Result<(Digest, LlmUsage), SummarizeError> {
    let (opts, sink) = (job.opts, job.sink);
    let chunk_chars = model
        .model
        .config
        .get("summary_chunk_chars")
        .and_then(Value::as_u64)
        .map(|v| v.clamp(200, 1_000_000) as usize)
        .unwrap_or(DEFAULT_CHUNK_CHARS);
    let mut caller = Caller {
        job,
        model,
        calls: 0,
        usage: (0, 0, 0),
    };
    let lines: Vec<String> = segments.iter().map(line_of).collect();
    let mut chunks = chunk_lines(&lines, chunk_chars);
    let mut round = 0;
    while chunks.len() > 1 && round < MAX_REDUCE_ROUNDS {
        round += 1;
        let total = chunks.len();
        let mut notes = Vec::with_capacity(total);
        for (i, chunk) in chunks.iter().enumerate() {
            sink(Event::status(
                Stage::Summarizing,
                if round == 1 {
                    format!("summarizing part {} of {total}", i + 1)
                } else {
                    format!("combining notes {} of {total} (round {round})", i + 1)
                },
                Some(i as f64 / (total + 1) as f64),
            ));
            let user = format!(
                "Part {} of {total}.\n{}\n{chunk}",
                i + 1,
                focus_line(&opts.focus)
            );
            notes.push(
                caller
                    .call(bill, MAP_SYSTEM, user, MAP_MAX_TOKENS, false)
                    .await?
                    .trim()
                    .to_string(),
            );
        }
        chunks = chunk_lines(&notes, chunk_chars);
    }
    sink(Event::status(
        Stage::Summarizing,
        "writing the summary",
        Some(0.95),
    ));
    let material = chunks.join("\n");
    let what = if caller.calls == 0 {
        "Transcript"
    } else {
        "Notes on the whole transcript, in order"
    };
    let duration = segments.last().map(|s| s.end_ms).unwrap_or(0);
    let user = format!(
        "{}\n{}Video length: {}\n\n{what}:\n{material}",
        mode_instructions(opts.mode),
        focus_line(&opts.focus),
        timestamp(duration),
    );
    let answer = caller
        .call(bill, FINAL_SYSTEM, user, FINAL_MAX_TOKENS, true)
        .await?;
    let digest = parse_answer(&answer, segments);
    Ok((digest, caller.usage))
}

/// `mm:ss`, `h:mm:ss`, seconds as a number, or milliseconds in `*_ms` fields.
fn time_field(beat: &Value, key: &str) -> Option<u64> {
    if let Some(ms) = beat.get(format!("{key}_ms")).and_then(Value::as_u64) {
        return Some(ms);
    }
    match beat.get(key)? {
        Value::Number(n) => n.as_f64().map(|s| (s.max(0.0) * 1000.0) as u64),
        Value::String(s) => {
            let s = s.trim().trim_start_matches('[').trim_end_matches(']');
            let parts: Vec<u64> = s
                .split(':')
                .map(|p| p.trim().split('.').next().unwrap_or("").parse().ok())
                .collect::<Option<_>>()?;
            let secs = match parts.as_slice() {
                [h, m, s] => h * 3600 + m * 60 + s,
                [m, s] => m * 60 + s,
                [s] => *s,
                _ => return None,
            };
            Some(secs * 1000)
        }
        _ => None,
    }
}

/// The model's JSON answer; what it left out or got wrong is filled from the transcript (the
/// timing's beat sheet, an outline of the summary), so an answer in prose is still used.
fn parse_answer(answer: &str, segments: &[TimedText]) -> Digest {
    let trimmed = answer
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```")
        .trim();
    let parsed: Option<Value> = serde_json::from_str(trimmed).ok().filter(Value::is_object);
    let Some(v) = parsed else {
        let beats = structural_beats(segments);
        return Digest {
            mindmap: outline("Summary", answer.trim(), &beats),
            summary: answer.trim().to_string(),
            beats,
        };
    };
    let summary = v["summary"].as_str().unwrap_or_default().trim().to_string();
    let mut beats: Vec<Beat> = v["beats"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|b| {
                    let kind = BeatKind::parse(b["kind"].as_str()?)?;
                    let start_ms = time_field(b, "start").unwrap_or(0);
                    let end_ms = time_field(b, "end").unwrap_or(start_ms).max(start_ms);
                    let text = b["text"].as_str()?.trim().to_string();
                    (!text.is_empty()).then_some(Beat {
                        kind,
                        start_ms,
                        end_ms,
                        text,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if beats.is_empty() {
        beats = structural_beats(segments);
    }
    beats.sort_by_key(|b| b.start_ms);
    let mindmap = v["mindmap"]
        .as_str()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| outline("Summary", &summary, &beats));
    Digest {
        summary,
        mindmap,
        beats,
    }
}

// ------------------------------------------------------------------------------------------ offline

const STOPWORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "is", "are", "was", "were",
    "be", "it", "this", "that", "i", "you", "he", "she", "we", "they", "me", "my", "your", "his",
    "her", "for", "with", "as", "so", "do", "did", "not", "no", "yes", "have", "has", "had",
    "just", "what", "will", "can", "all", "from", "there", "here", "then", "than", "oh", "its",
    "our",
];

/// Words that often open a reversal.
const TURN_MARKERS: &[&str] = &[
    "but",
    "however",
    "suddenly",
    "actually",
    "turns out",
    "instead",
    "until",
    "unless",
    "wait",
    "但是",
    "可是",
    "没想到",
    "竟然",
    "其实",
    "突然",
    "原来",
    "却",
];

/// A sentence and when it was said.
#[derive(Debug, Clone)]
struct Sentence {
    start_ms: u64,
    text: String,
}

fn sentences(segments: &[TimedText]) -> Vec<Sentence> {
    let mut out = Vec::new();
    for s in segments {
        let mut current = String::new();
        for c in s.text.chars() {
            current.push(c);
            if matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '…') {
                let t = current.trim().to_string();
                if t.chars().any(char::is_alphanumeric) {
                    out.push(Sentence {
                        start_ms: s.start_ms,
                        text: t,
                    });
                }
                current.clear();
            }
        }
        let t = current.trim().to_string();
        if t.chars().any(char::is_alphanumeric) {
            out.push(Sentence {
                start_ms: s.start_ms,
                text: t,
            });
        }
    }
    out
}

/// The words a sentence is scored by: lowercase Latin words (stopwords left out) and, for Chinese
/// and Japanese text, each pair of neighbouring characters.
fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_cjk: Option<char> = None;
    for c in text.chars() {
        let cjk = ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3040}'..='\u{30ff}').contains(&c);
        if cjk {
            if let Some(p) = prev_cjk {
                out.push(format!("{p}{c}"));
            }
            prev_cjk = Some(c);
        } else {
            prev_cjk = None;
        }
        if c.is_alphanumeric() && !cjk {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out.retain(|w| w.chars().count() > 1 && !STOPWORDS.contains(&w.as_str()));
    out
}

/// Each sentence's score: the mean frequency, in the whole transcript, of its terms (terms of the
/// focus count triple), so sentences about what the video keeps returning to rank first.
fn scores(all: &[Sentence], focus: &str) -> Vec<f64> {
    let mut freq: HashMap<String, f64> = HashMap::new();
    for s in all {
        for t in terms(&s.text) {
            *freq.entry(t).or_default() += 1.0;
        }
    }
    let focus_terms = terms(focus);
    all.iter()
        .map(|s| {
            let ts = terms(&s.text);
            if ts.is_empty() {
                return 0.0;
            }
            let sum: f64 = ts
                .iter()
                .map(|t| {
                    let f = freq.get(t).copied().unwrap_or(0.0);
                    if focus_terms.contains(t) {
                        f * 3.0 + 3.0
                    } else {
                        f
                    }
                })
                .sum();
            sum / (ts.len() as f64).sqrt()
        })
        .collect()
}

/// The `k` best sentences, in the order they were said.
fn top_sentences(all: &[Sentence], scores: &[f64], k: usize) -> Vec<Sentence> {
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut picked: Vec<usize> = order.into_iter().take(k).collect();
    picked.sort_unstable();
    picked.into_iter().map(|i| all[i].clone()).collect()
}

fn join_texts<'a>(items: impl Iterator<Item = &'a TimedText>) -> String {
    items.map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// The beat sheet from the transcript's timing: the hook is what is said in the first three
/// seconds, the setup runs to a quarter of the video, reversals are the lines in the middle that
/// turn (marked by "but", "没想到"…; else the strongest line of each middle quarter), and the
/// cliffhanger is the last line.
pub fn structural_beats(segments: &[TimedText]) -> Vec<Beat> {
    let Some(last) = segments.last() else {
        return Vec::new();
    };
    let duration = segments
        .iter()
        .map(|s| s.end_ms)
        .max()
        .unwrap_or(last.end_ms)
        .max(1);
    let mut beats = Vec::new();
    let hook: Vec<&TimedText> = segments.iter().filter(|s| s.start_ms < HOOK_MS).collect();
    let hook = if hook.is_empty() {
        vec![&segments[0]]
    } else {
        hook
    };
    let hook_end = hook.iter().map(|s| s.end_ms).max().unwrap_or(HOOK_MS);
    beats.push(Beat {
        kind: BeatKind::Hook,
        start_ms: hook[0].start_ms,
        end_ms: hook_end,
        text: join_texts(hook.iter().copied()),
    });
    let quarter = duration / 4;
    let used = hook.len();
    let setup: Vec<&TimedText> = segments[used..]
        .iter()
        .filter(|s| s.start_ms < quarter.max(HOOK_MS))
        .collect();
    if let (Some(first), Some(end)) = (setup.first(), setup.last()) {
        beats.push(Beat {
            kind: BeatKind::Setup,
            start_ms: first.start_ms,
            end_ms: end.end_ms,
            text: join_texts(setup.iter().copied()),
        });
    }
    let last_index = segments.len() - 1;
    let middle: Vec<(usize, &TimedText)> = segments
        .iter()
        .enumerate()
        .filter(|(i, s)| *i >= used + setup.len() && *i < last_index && s.start_ms >= quarter)
        .collect();
    let turning: Vec<&(usize, &TimedText)> = middle
        .iter()
        .filter(|(_, s)| {
            let lower = s.text.to_lowercase();
            TURN_MARKERS.iter().any(|m| {
                if m.is_ascii() {
                    terms_contains(&lower, m)
                } else {
                    lower.contains(m)
                }
            })
        })
        .collect();
    let reversals: Vec<&TimedText> = if turning.is_empty() {
        // The longest line of each middle half stands for its turn.
        let mid = duration / 2;
        [
            middle
                .iter()
                .filter(|(_, s)| s.start_ms < mid)
                .max_by_key(|(_, s)| s.text.len()),
            middle
                .iter()
                .filter(|(_, s)| s.start_ms >= mid)
                .max_by_key(|(_, s)| s.text.len()),
        ]
        .into_iter()
        .flatten()
        .map(|(_, s)| *s)
        .collect()
    } else {
        turning.into_iter().map(|(_, s)| *s).collect()
    };
    for s in reversals {
        beats.push(Beat {
            kind: BeatKind::Reversal,
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            text: s.text.clone(),
        });
    }
    if last_index >= used {
        beats.push(Beat {
            kind: BeatKind::Cliffhanger,
            start_ms: last.start_ms,
            end_ms: last.end_ms,
            text: last.text.clone(),
        });
    }
    beats
}

/// Whether a multi-word or single-word marker appears on word boundaries.
fn terms_contains(lower: &str, marker: &str) -> bool {
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let marker: Vec<&str> = marker.split(' ').collect();
    words.windows(marker.len()).any(|w| w == marker.as_slice())
}

/// A Markdown outline: the title, the beats with their times, then the summary's lines.
pub fn outline(title: &str, summary: &str, beats: &[Beat]) -> String {
    let mut out = format!("- {}\n", title.trim());
    if !beats.is_empty() {
        out.push_str("  - Beats\n");
        for b in beats {
            out.push_str(&format!(
                "    - {} [{}–{}]\n      - {}\n",
                b.kind.label(),
                timestamp(b.start_ms),
                timestamp(b.end_ms),
                b.text
            ));
        }
    }
    let points: Vec<&str> = summary
        .lines()
        .map(|l| l.trim().trim_start_matches(['-', '*', '#', ' ']).trim())
        .filter(|l| !l.is_empty())
        .collect();
    if !points.is_empty() {
        out.push_str("  - Key points\n");
        for p in points {
            out.push_str(&format!("    - {p}\n"));
        }
    }
    out.trim_end().to_string()
}

/// The offline summary: ranked sentences, the timing's beat sheet, and an outline of both.
pub fn extractive(segments: &[TimedText], mode: Mode, focus: &str, name: &str) -> Digest {
    let all = sentences(segments);
    let scored = scores(&all, focus);
    let k = match mode {
        Mode::Brief => 3,
        Mode::Detailed => 8,
        Mode::Beats | Mode::Mindmap => 5,
    };
    let best = top_sentences(&all, &scored, k);
    let summary = match mode {
        Mode::Brief => best
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => best
            .iter()
            .map(|s| format!("- [{}] {}", timestamp(s.start_ms), s.text))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let beats = structural_beats(segments);
    let title = std::path::Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Video".into());
    let key_points: String = best
        .iter()
        .map(|s| format!("[{}] {}\n", timestamp(s.start_ms), s.text))
        .collect();
    Digest {
        mindmap: outline(&title, &key_points, &beats),
        summary,
        beats,
    }
}

/// A first draft in Storyloom's script format (Fountain): one scene a beat, its action the beat's
/// text, so a creator starts from the reference's structure and rewrites it as their own story.
pub fn beats_to_script(title: &str, beats: &[Beat]) -> String {
    let mut out = format!(
        "Title: {} (from the beat sheet)\nCredit: Drafted by Storyloom\n\nFADE IN:\n",
        title.trim()
    );
    for (i, b) in beats.iter().enumerate() {
        out.push_str(&format!(
            "\nINT. {} - DAY #{}#\n\n{} ({}–{}): {}\n",
            b.kind.label().to_uppercase(),
            i + 1,
            b.kind.label(),
            timestamp(b.start_ms),
            timestamp(b.end_ms),
            b.text.trim()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: u64, end: u64, text: &str) -> TimedText {
        TimedText {
            start_ms: start,
            end_ms: end,
            text: text.into(),
        }
    }

    fn drama() -> Vec<TimedText> {
        vec![
            seg(0, 2500, "She wakes up in a hospital bed."),
            seg(
                3000,
                6000,
                "The doctor says the contract was signed yesterday.",
            ),
            seg(6000, 12000, "Her sister smiles and takes the contract."),
            seg(
                12000,
                20000,
                "But the contract is a fake, and she knows it.",
            ),
            seg(20000, 28000, "She calls the lawyer about the contract."),
            seg(28000, 32000, "Then the door opens: her husband is alive."),
        ]
    }

    #[test]
    fn chunks_keep_every_line_in_order() {
        let lines: Vec<String> = (0..50)
            .map(|i| format!("line {i:02} {}", "x".repeat(i)))
            .collect();
        let chunks = chunk_lines(&lines, 120);
        assert!(chunks.len() > 5);
        assert_eq!(chunks.join("\n"), lines.join("\n"));
        // A line longer than a chunk is its own chunk, whole.
        let long = vec!["y".repeat(500), "z".into()];
        assert_eq!(chunk_lines(&long, 100), vec!["y".repeat(500), "z".into()]);
    }

    #[test]
    fn the_timing_gives_hook_setup_reversal_and_cliffhanger() {
        let beats = structural_beats(&drama());
        let kinds: Vec<BeatKind> = beats.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            vec![
                BeatKind::Hook,
                BeatKind::Setup,
                BeatKind::Reversal,
                BeatKind::Cliffhanger
            ]
        );
        assert_eq!((beats[0].start_ms, beats[0].end_ms), (0, 2500));
        assert!(beats[2].text.starts_with("But the contract"));
        assert_eq!(beats[3].start_ms, 28000);
    }

    #[test]
    fn the_extractive_summary_ranks_what_the_video_returns_to() {
        let d = extractive(&drama(), Mode::Brief, "", "ep1.mp4");
        assert!(d.summary.contains("contract"), "{}", d.summary);
        let with_focus = extractive(&drama(), Mode::Detailed, "husband", "ep1.mp4");
        assert!(
            with_focus.summary.contains("husband"),
            "{}",
            with_focus.summary
        );
        assert!(d.mindmap.starts_with("- ep1\n"), "{}", d.mindmap);
        assert!(d.mindmap.contains("Hook [00:00–00:02]"), "{}", d.mindmap);
    }

    #[test]
    fn a_model_answer_in_json_or_prose_is_used() {
        let json = r#"{"summary": "S", "mindmap": "- M", "beats": [{"kind": "Hook", "start": "00:00", "end": "0:03", "text": "wake"}, {"kind": "twist", "start": 12, "end": "00:20", "text": "fake"}]}"#;
        let d = parse_answer(json, &drama());
        assert_eq!((d.summary.as_str(), d.mindmap.as_str()), ("S", "- M"));
        assert_eq!(d.beats.len(), 2);
        assert_eq!(
            (d.beats[1].kind, d.beats[1].start_ms, d.beats[1].end_ms),
            (BeatKind::Reversal, 12000, 20000)
        );
        let prose = parse_answer("It is about a contract.", &drama());
        assert_eq!(prose.summary, "It is about a contract.");
        assert_eq!(prose.beats.len(), 4);
    }

    #[test]
    fn beats_become_a_fountain_draft() {
        let script = beats_to_script("Ref", &structural_beats(&drama()));
        assert!(script.contains("INT. HOOK - DAY #1#"), "{script}");
        assert!(
            script.contains("Cliffhanger (00:28–00:32): Then the door opens"),
            "{script}"
        );
    }
}
