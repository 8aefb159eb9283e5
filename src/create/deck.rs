//! Decks (docs/CREATE.md, "Decks"): a topic and an outline become a `.pptx` with a title slide and
//! one slide per outline point, each with speaker notes. With a language model the model writes the
//! points and the notes (held before the call, settled with the creation); without one the outline
//! itself is the deck, free.
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{
    pptx::{self, Deck, Slide},
    CreateError, Creation, Kind, Requester, MAX_TITLE_CHARS,
};
use crate::{
    clock::rfc3339,
    error::ErrorCode,
    providers::{self, call_with_retry, CallContext, ChatMessage, LlmRequest, RetryPolicy},
    registry::{self, ModelKind, Resolved},
    workflow::ai::{llm_cost, prompt_tokens_bound},
    AppState,
};

/// What a person asks the deck tool for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeckRequest {
    /// The deck's title (1–200 characters).
    pub topic: String,
    /// One slide per point, in order (1–30 points of up to 500 characters). A point may carry its
    /// own bullets after a colon, separated by semicolons: `核心功能：离线；多端同步`.
    pub outline: Vec<String>,
    /// The language model; default: the configured one, else the outline itself is the deck.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub model_id: Option<Value>,
    /// Extra guidance for the model (audience, tone; up to 2,000 characters).
    #[serde(default)]
    pub requirements: Option<String>,
    #[serde(default)]
    pub project_id: Option<String>,
}

/// What the deck tool made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeckMade {
    /// The creation's id (the seed API's name for it).
    pub ppt_id: String,
    pub creation_id: String,
    /// Where the `.pptx` is downloaded from.
    pub download_url: String,
    pub slide_count: usize,
    pub credits_used: i64,
    pub creation: Creation,
}

impl From<Creation> for DeckMade {
    fn from(c: Creation) -> Self {
        let slide_count = c.input["slide_count"].as_u64().unwrap_or(0) as usize;
        Self {
            ppt_id: c.id.clone(),
            creation_id: c.id.clone(),
            download_url: format!("/api/v1/creations/{}/file", c.id),
            slide_count,
            credits_used: c.credits_used,
            creation: c,
        }
    }
}

const MAX_POINTS: usize = 30;
const MAX_POINT_CHARS: usize = 500;
const MAX_TOKENS: u32 = 4_000;
const LLM_TIMEOUT: Duration = Duration::from_secs(300);

struct Checked {
    topic: String,
    outline: Vec<String>,
    requirements: String,
    model_id: Option<String>,
    project_id: Option<String>,
}

fn check(req: DeckRequest) -> Result<Checked, CreateError> {
    let topic = req.topic.trim().to_string();
    if topic.is_empty() || topic.chars().count() > MAX_TITLE_CHARS {
        return Err(CreateError::invalid(
            "topic",
            format!("topic is 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    let outline: Vec<String> = req
        .outline
        .iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if outline.is_empty()
        || outline.len() > MAX_POINTS
        || outline.iter().any(|p| p.chars().count() > MAX_POINT_CHARS)
    {
        return Err(CreateError::invalid(
            "outline",
            format!("outline is 1 to {MAX_POINTS} points of up to {MAX_POINT_CHARS} characters"),
        ));
    }
    let requirements = req.requirements.unwrap_or_default().trim().to_string();
    if requirements.chars().count() > 2_000 {
        return Err(CreateError::invalid(
            "requirements",
            "requirements is at most 2000 characters",
        ));
    }
    let model_id = super::model_id_of(req.model_id.as_ref())?;
    Ok(Checked {
        topic,
        outline,
        requirements,
        model_id,
        project_id: req.project_id,
    })
}

/// An outline point as a slide: `title：a；b` → title with bullets a and b.
pub fn slide_of_point(point: &str) -> Slide {
    let (title, rest) = match point.split_once(['：', ':']) {
        Some((t, r)) if !t.trim().is_empty() => (t.trim(), r),
        _ => (point.trim(), ""),
    };
    Slide {
        title: title.to_string(),
        bullets: rest
            .split(['；', ';'])
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_string)
            .collect(),
        notes: String::new(),
        picture: None,
    }
}

/// The model's answer, as asked for.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    subtitle: String,
    #[serde(default)]
    notes: String,
    slides: Vec<AnswerSlide>,
}

#[derive(Debug, Deserialize)]
struct AnswerSlide {
    #[serde(default)]
    title: String,
    #[serde(default)]
    bullets: Vec<String>,
    #[serde(default)]
    notes: String,
}

const SYSTEM: &str = "You write presentation decks. Answer with one JSON object only.";

fn prompt(c: &Checked) -> String {
    let points: String = c
        .outline
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}. {p}\n", i + 1))
        .collect();
    format!(
        "为主题《{}》写一份演示文稿，大纲共 {} 点，每点一页，顺序不变：\n{points}\n要求：{}\n\n\
         只输出一个 JSON 对象：{{\"subtitle\": \"副标题\", \"notes\": \"封面页的演讲备注\", \
         \"slides\": [{{\"title\": \"该页标题\", \"bullets\": [\"3–5 条要点，每条不超过 30 字\"], \
         \"notes\": \"该页的演讲备注，2–4 句\"}}]}}。slides 的数量必须等于大纲的点数。不得编造具体数据，\
         需要数据处写【数据待补充】。",
        c.topic,
        c.outline.len(),
        if c.requirements.is_empty() { "无" } else { &c.requirements }
    )
}

/// Reads the model's JSON (inside a code fence or not) into the deck; an outline point the model
/// left out keeps its own slide.
fn deck_from_answer(c: &Checked, text: &str) -> Option<Deck> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    let answer: Answer = serde_json::from_str(text.get(start..=end)?).ok()?;
    if answer.slides.is_empty() {
        return None;
    }
    let slides = c
        .outline
        .iter()
        .enumerate()
        .map(|(i, point)| match answer.slides.get(i) {
            Some(s) if !s.title.trim().is_empty() => Slide {
                title: s.title.trim().to_string(),
                bullets: s.bullets.iter().map(|b| b.trim().to_string()).collect(),
                notes: s.notes.trim().to_string(),
                picture: None,
            },
            _ => slide_of_point(point),
        })
        .collect();
    Some(Deck {
        title: c.topic.clone(),
        subtitle: answer.subtitle.trim().to_string(),
        notes: answer.notes.trim().to_string(),
        slides,
    })
}

fn outline_deck(c: &Checked) -> Deck {
    Deck {
        title: c.topic.clone(),
        subtitle: String::new(),
        notes: String::new(),
        slides: c.outline.iter().map(|p| slide_of_point(p)).collect(),
    }
}

/// The deck as Markdown: the creation's text (what the history shows and search finds).
pub fn outline_text(deck: &Deck) -> String {
    let mut out = format!("# {}\n", deck.title);
    if !deck.subtitle.is_empty() {
        out.push_str(&format!("\n{}\n", deck.subtitle));
    }
    for s in &deck.slides {
        out.push_str(&format!("\n## {}\n", s.title));
        for b in &s.bullets {
            out.push_str(&format!("- {b}\n"));
        }
        if !s.notes.is_empty() {
            out.push_str(&format!("\n> {}\n", s.notes.replace('\n', "\n> ")));
        }
    }
    out
}

fn file_name(topic: &str) -> String {
    let safe: String = topic
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    format!("{}.pptx", safe.trim())
}

/// Writes the deck and stores it as a `ppt` creation with its `.pptx`.
#[tracing::instrument(skip(state, req))]
pub async fn generate(
    state: &AppState,
    who: &Requester,
    req: DeckRequest,
    key: Option<String>,
) -> Result<Creation, CreateError> {
    let c = check(req)?;
    let key = key.map(|k| format!("ppt:{k}"));
    if let Some(done) = super::already_made(state, &who.workspace_id, key.as_deref()).await? {
        return Ok(done);
    }
    let project_id = super::project_of(state, &who.workspace_id, c.project_id.clone()).await?;
    let model = registry::resolve_remote(state, ModelKind::Llm, c.model_id.as_deref()).await?;
    let id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());

    let (deck, paid) = match &model {
        None => (outline_deck(&c), None),
        Some(m) => {
            let prompt = prompt(&c);
            let estimate = llm_cost(
                m,
                prompt_tokens_bound(SYSTEM) + prompt_tokens_bound(&prompt),
                u64::from(MAX_TOKENS),
            );
            let held = super::hold(
                state,
                &who.workspace_id,
                &id,
                estimate,
                format!("a deck with {}", m.model.name),
            )
            .await?;
            match call(state, m, &id, prompt).await {
                Ok(answer) => match deck_from_answer(&c, &answer.content) {
                    Some(deck) => {
                        let actual = answer.usage.map_or(held.estimate, |u| {
                            llm_cost(m, u.prompt_tokens, u.completion_tokens)
                        });
                        (deck, Some((held, actual)))
                    }
                    None => {
                        super::void(state, &held, "the model's answer was not a deck").await;
                        return Err(CreateError {
                            retryable: true,
                            ..CreateError::new(
                                ErrorCode::UpstreamFailed,
                                "the model's answer was not the deck's JSON; nothing was charged",
                            )
                        });
                    }
                },
                Err(e) => {
                    super::void(state, &held, "the deck's model call failed").await;
                    return Err(e);
                }
            }
        }
    };
    let bytes = pptx::write(&deck, &now).map_err(CreateError::internal);
    let sha = match bytes {
        Ok(b) => super::store_file(state, b).await,
        Err(e) => Err(e),
    };
    let sha = match (sha, &paid) {
        (Ok(sha), _) => sha,
        (Err(e), Some((held, _))) => {
            super::void(state, held, "the deck could not be written").await;
            return Err(e);
        }
        (Err(e), None) => return Err(e),
    };
    let creation = Creation {
        id: id.clone(),
        kind: Kind::Ppt,
        tool_type: String::new(),
        title: c.topic.clone(),
        content: outline_text(&deck),
        input: json!({"outline": c.outline, "requirements": c.requirements,
                      "slide_count": deck.slide_count()}),
        model: model
            .as_ref()
            .map_or_else(|| "builtin".to_string(), |m| m.model.id.clone()),
        prompt_version: "builtin:ppt@1".into(),
        credits_used: 0,
        file_sha256: Some(sha),
        file_name: Some(file_name(&c.topic)),
        project_id,
        created_by: who.user_id.clone(),
        created_at: now.clone(),
        updated_at: now,
        deleted_at: None,
    };
    super::save(
        state,
        &who.workspace_id,
        key,
        creation,
        paid.as_ref().map(|(h, a)| (h, *a)),
    )
    .await
}

async fn call(
    state: &AppState,
    model: &Resolved,
    creation_id: &str,
    prompt: String,
) -> Result<providers::LlmResponse, CreateError> {
    let target = model.target.as_ref().expect("a remote model");
    let llm = providers::adapters::llm(target)?;
    let slots = state
        .ai_limiter
        .slots(&target.provider_id, target.max_concurrency.max(1));
    let ctx = CallContext::new(format!("deck:{creation_id}"), LLM_TIMEOUT);
    let request = LlmRequest {
        messages: vec![ChatMessage::system(SYSTEM), ChatMessage::user(prompt)],
        temperature: Some(0.5),
        seed: None,
        max_tokens: Some(MAX_TOKENS),
        json_mode: true,
    };
    let (answer, _) = call_with_retry(&RetryPolicy::default(), &ctx, &slots, |_| {
        llm.complete(request.clone(), &ctx)
    })
    .await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(outline: &[&str]) -> Checked {
        Checked {
            topic: "发布会".into(),
            outline: outline.iter().map(|s| s.to_string()).collect(),
            requirements: String::new(),
            model_id: None,
            project_id: None,
        }
    }

    #[test]
    fn a_point_with_a_colon_carries_its_bullets() {
        let s = slide_of_point("核心功能：离线；多端同步; 快");
        assert_eq!(s.title, "核心功能");
        assert_eq!(s.bullets, ["离线", "多端同步", "快"]);
        assert_eq!(slide_of_point("市场分析").bullets, Vec::<String>::new());
        assert_eq!(slide_of_point("：x").title, "：x");
    }

    #[test]
    fn the_models_json_fills_the_deck_and_missing_slides_keep_their_point() {
        let c = checked(&["产品介绍", "核心功能：离线", "市场分析"]);
        let text = "```json\n{\"subtitle\": \"2026\", \"slides\": [{\"title\": \"我们的产品\", \
                    \"bullets\": [\"a\"], \"notes\": \"讲这个\"}, {\"title\": \"\"}]}\n```";
        let deck = deck_from_answer(&c, text).unwrap();
        assert_eq!(deck.slides.len(), 3);
        assert_eq!(deck.slides[0].title, "我们的产品");
        assert_eq!(deck.slides[0].notes, "讲这个");
        assert_eq!(deck.slides[1].title, "核心功能");
        assert_eq!(deck.slides[1].bullets, ["离线"]);
        assert_eq!(deck.slides[2].title, "市场分析");
        assert!(deck_from_answer(&c, "no json here").is_none());
        assert!(deck_from_answer(&c, "{\"slides\": []}").is_none());
    }

    #[test]
    fn the_outline_text_lists_each_slide() {
        let deck = outline_deck(&checked(&["一：a；b", "二"]));
        assert_eq!(
            outline_text(&deck),
            "# 发布会\n\n## 一\n- a\n- b\n\n## 二\n"
        );
    }
}
