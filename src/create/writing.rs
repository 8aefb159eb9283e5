//! The writing tools (docs/CREATE.md, "Writing tools"): fourteen kinds of document, each a
//! versioned prompt template shipped in `assets/writing/` that an instance admin may replace with a
//! prompt template named `writing.<type>`.
//!
//! A generation holds the model's worst case (the prompt plus the tool's `max_tokens`) before the
//! call, and settles what the model reports in the transaction that stores the creation: charged
//! once, on success only; a failure voids the hold. Without a language model the built-in writer
//! lays out the tool's structure around the user's fields, free: a draft to fill, never prose
//! passed off as written.
use std::{
    collections::BTreeMap,
    sync::{Arc, LazyLock},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{CreateError, Creation, Kind, Requester, MAX_TITLE_CHARS};
use crate::{
    clock::rfc3339,
    error::ErrorCode,
    prompts::{self, engine},
    providers::{self, call_with_retry, CallContext, ChatMessage, LlmRequest, RetryPolicy},
    registry::{self, ModelKind, Resolved},
    workflow::ai::{llm_cost, prompt_tokens_bound},
    AppState,
};

/// A writing tool as `assets/writing/tools.json` describes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ToolSpec {
    #[serde(rename = "type")]
    pub tool_type: String,
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub description_en: String,
    /// Bumped whenever the template changes; recorded on every creation.
    pub version: u32,
    /// The longest answer asked of the model, in tokens.
    pub max_tokens: u32,
    /// Whether the tool transforms a text the user gives (`content`): rewriting, translation.
    pub needs_content: bool,
    /// The document's parts, in order.
    pub sections: Vec<String>,
}

/// A tool in the catalog, with what a generation costs at most with the model it would use.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tool {
    #[serde(flatten)]
    pub spec: ToolSpec,
    /// The most a generation is charged, in credits, with the default (or asked-for) model: the
    /// prompt and the tool's `max_tokens` at the model's price. What is charged is what the model
    /// used, often less; 0 with the built-in writer.
    pub credits_cost: i64,
    /// The model a generation would use: its id, or `builtin`.
    pub model: String,
}

macro_rules! templates {
    ($($name:literal),+ $(,)?) => {
        /// The shipped template of each tool.
        fn builtin_template(tool_type: &str) -> Option<&'static str> {
            match tool_type {
                $($name => Some(include_str!(concat!("../../assets/writing/", $name, ".md"))),)+
                _ => None,
            }
        }
    };
}

templates!(
    "wechat_article",
    "xiaohongshu_note",
    "official_document",
    "academic_paper",
    "marketing_copy",
    "news_article",
    "video_script",
    "story_novel",
    "business_plan",
    "work_report",
    "resume",
    "lesson_plan",
    "content_rewrite",
    "translation",
);

static TOOLS: LazyLock<Vec<ToolSpec>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../assets/writing/tools.json"))
        .expect("assets/writing/tools.json is checked by the tests")
});

/// Every tool, in the catalog's order.
pub fn specs() -> &'static [ToolSpec] {
    &TOOLS
}

pub fn spec(tool_type: &str) -> Result<&'static ToolSpec, CreateError> {
    specs()
        .iter()
        .find(|t| t.tool_type == tool_type)
        .ok_or_else(|| {
            CreateError::new(
                ErrorCode::NotFound,
                format!(
                    "no writing tool '{tool_type}'; the tools are: {}",
                    specs()
                        .iter()
                        .map(|t| t.tool_type.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// What a person asks a writing tool for.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WritingRequest {
    /// The title or topic (1–200 characters).
    pub title: String,
    /// Up to 20 keywords of up to 50 characters: a list, or one string separated by commas.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub keywords: Option<Value>,
    /// Length, tone, audience… (up to 2,000 characters).
    #[serde(default)]
    pub requirements: Option<String>,
    /// The text to rewrite or translate (required by `content_rewrite` and `translation`; up to
    /// 50,000 characters).
    #[serde(default)]
    pub content: Option<String>,
    /// The language to write in (translation: the target language; up to 40 characters). Default:
    /// 中文, or English for a translation.
    #[serde(default)]
    pub language: Option<String>,
    /// The language model; default: the configured one, else the built-in writer (free).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub model_id: Option<Value>,
    /// The project it is written for.
    #[serde(default)]
    pub project_id: Option<String>,
}

const MAX_KEYWORDS: usize = 20;
const MAX_KEYWORD_CHARS: usize = 50;
const MAX_REQUIREMENTS_CHARS: usize = 2_000;
const MAX_SOURCE_CHARS: usize = 50_000;
const MAX_LANGUAGE_CHARS: usize = 40;
/// How long one model call may take before it is given up (and retried).
const LLM_TIMEOUT: Duration = Duration::from_secs(300);

/// A request checked and normalised.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub title: String,
    pub keywords: Vec<String>,
    pub requirements: String,
    pub content: String,
    pub language: String,
    pub model_id: Option<String>,
    pub project_id: Option<String>,
}

fn keywords_of(raw: Option<&Value>) -> Result<Vec<String>, CreateError> {
    let bad = || {
        CreateError::invalid(
            "keywords",
            format!("keywords is a list of up to {MAX_KEYWORDS} words of up to {MAX_KEYWORD_CHARS} characters"),
        )
    };
    let words: Vec<String> = match raw {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s
            .split([',', '，', '、', ';', '；'])
            .map(str::to_string)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad()),
    };
    let words: Vec<String> = words
        .into_iter()
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > MAX_KEYWORDS || words.iter().any(|w| w.chars().count() > MAX_KEYWORD_CHARS) {
        return Err(bad());
    }
    Ok(words)
}

/// Checks every field, naming the first bad one.
pub fn check(tool: &ToolSpec, req: &WritingRequest) -> Result<Checked, CreateError> {
    let title = req.title.trim().to_string();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(CreateError::invalid(
            "title",
            format!("title is 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    let keywords = keywords_of(req.keywords.as_ref())?;
    let requirements = req.requirements.as_deref().unwrap_or("").trim().to_string();
    if requirements.chars().count() > MAX_REQUIREMENTS_CHARS {
        return Err(CreateError::invalid(
            "requirements",
            format!("requirements is at most {MAX_REQUIREMENTS_CHARS} characters"),
        ));
    }
    let content = req.content.as_deref().unwrap_or("").trim().to_string();
    if tool.needs_content && content.is_empty() {
        return Err(CreateError::invalid(
            "content",
            format!("{} needs the text to work on in `content`", tool.tool_type),
        ));
    }
    if content.chars().count() > MAX_SOURCE_CHARS {
        return Err(CreateError::invalid(
            "content",
            format!("content is at most {MAX_SOURCE_CHARS} characters"),
        ));
    }
    let language = match req.language.as_deref().map(str::trim) {
        Some(l) if !l.is_empty() => l.to_string(),
        _ if tool.tool_type == "translation" => "English".to_string(),
        _ => "中文".to_string(),
    };
    if language.chars().count() > MAX_LANGUAGE_CHARS {
        return Err(CreateError::invalid(
            "language",
            format!("language is at most {MAX_LANGUAGE_CHARS} characters"),
        ));
    }
    let model_id = super::model_id_of(req.model_id.as_ref())?;
    let project_id = req
        .project_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    Ok(Checked {
        title,
        keywords,
        requirements,
        content,
        language,
        model_id,
        project_id,
    })
}

fn max_tokens(tool: &ToolSpec, model: &Resolved) -> u32 {
    model
        .model
        .config
        .get("max_tokens")
        .and_then(Value::as_u64)
        .map(|v| (v as u32).clamp(64, 32_768).min(tool.max_tokens.max(64)))
        .unwrap_or(tool.max_tokens)
}

/// The catalog with each tool's most expensive generation on `model_id` (or the default model).
#[tracing::instrument(skip(state))]
pub async fn catalog(state: &AppState, model_id: Option<&str>) -> Result<Vec<Tool>, CreateError> {
    let model = registry::resolve_remote(state, ModelKind::Llm, model_id).await?;
    let (system, model_name) = (SYSTEM, model.as_ref().map(|m| m.model.id.clone()));
    Ok(specs()
        .iter()
        .map(|spec| {
            let template = builtin_template(&spec.tool_type).unwrap_or_default();
            let credits_cost = model.as_ref().map_or(0, |m| {
                // A typical request's fields: the template plus a title and requirements.
                let prompt = prompt_tokens_bound(system) + prompt_tokens_bound(template) + 300;
                llm_cost(m, prompt, u64::from(max_tokens(spec, m)))
            });
            Tool {
                spec: spec.clone(),
                credits_cost,
                model: model_name.clone().unwrap_or_else(|| "builtin".into()),
            }
        })
        .collect())
}

const SYSTEM: &str = "You are a professional writer. Follow the requested structure exactly, \
write in the requested language, and output only the document itself.";

/// The template a tool uses now: an admin's `writing.<type>` prompt template, else the shipped
/// one. Returns (body, what to record as the prompt's version).
async fn template(state: &AppState, tool: &ToolSpec) -> Result<(String, String), CreateError> {
    let name = format!("writing.{}", tool.tool_type);
    if let Some((version_id, body)) = state
        .db
        .read(move |c| prompts::instance_override(c, &name))
        .await?
    {
        return Ok((body, version_id));
    }
    let body = builtin_template(&tool.tool_type)
        .ok_or_else(|| CreateError::internal(format!("no template for {}", tool.tool_type)))?;
    Ok((
        body.to_string(),
        format!("builtin:{}@{}", tool.tool_type, tool.version),
    ))
}

/// The prompt a tool's template makes of a request.
pub fn render(template: &str, req: &Checked) -> String {
    let values: BTreeMap<String, Value> = [
        ("title", json!(req.title)),
        ("keywords", json!(req.keywords.join("、"))),
        ("requirements", json!(req.requirements)),
        ("content", json!(req.content)),
        ("language", json!(req.language)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    engine::render(template, &values)
}

/// The built-in writer: the tool's structure with the user's fields in place, to fill in.
pub fn skeleton(tool: &ToolSpec, req: &Checked) -> String {
    if tool.tool_type == "video_script" {
        return script_skeleton(req);
    }
    let mut out = format!("# {}\n\n", req.title);
    let mut notes = Vec::new();
    if !req.keywords.is_empty() {
        notes.push(format!("关键词：{}", req.keywords.join("、")));
    }
    if !req.requirements.is_empty() {
        notes.push(format!("要求：{}", req.requirements));
    }
    if !notes.is_empty() {
        out.push_str(&format!("> {}\n\n", notes.join("  \n> ")));
    }
    for section in &tool.sections {
        out.push_str(&format!("## {section}\n\n【待补充】\n\n"));
    }
    if !req.content.is_empty() {
        out.push_str(&format!("---\n\n{}\n", req.content));
    }
    out
}

fn script_skeleton(req: &Checked) -> String {
    let mut out = format!(
        "Title: {}\nCredit: Written with Storyloom\n\nFADE IN:\n\n",
        req.title
    );
    let beats = if req.keywords.is_empty() {
        vec!["开场钩子".to_string(), "冲突".into(), "反转".into()]
    } else {
        req.keywords.clone()
    };
    for (i, beat) in beats.iter().enumerate() {
        let time = if i % 2 == 0 { "DAY" } else { "NIGHT" };
        out.push_str(&format!(
            "INT. 场景{} - {time}\n\n（{beat}：在此写下动作。）\n\n主角\n（台词待补充）\n\n",
            i + 1
        ));
    }
    out
}

/// What a generation reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The generation started: its creation id, the model and the most it may charge.
    Started {
        creation_id: String,
        model: String,
        estimate: i64,
    },
    /// More text.
    Delta(String),
    /// A failed attempt is being retried: the text so far is discarded, it starts over.
    Restart { attempt: u32 },
}

/// A generation ready to run: checked, priced and held (or already done).
pub struct Prepared {
    state: AppState,
    workspace_id: String,
    key: Option<String>,
    creation: Creation,
    work: Work,
}

enum Work {
    /// An earlier request with the same idempotency key made this creation.
    Done,
    /// The built-in writer's draft.
    Builtin(String),
    Model {
        model: Box<Resolved>,
        prompt: String,
        max_tokens: u32,
        held: super::Held,
    },
}

impl Prepared {
    pub fn creation_id(&self) -> &str {
        &self.creation.id
    }
}

/// Everything that can fail before the model is called: the project, the model, the template,
/// and the hold of the most the generation may cost (402 when the credits do not cover it). `key`
/// is the client's idempotency key: a request repeating one that already succeeded gets its
/// creation back without calling the model or charging again.
#[tracing::instrument(skip(state, req), fields(tool = %tool.tool_type))]
pub async fn prepare(
    state: &AppState,
    who: &Requester,
    tool: &ToolSpec,
    req: Checked,
    key: Option<String>,
) -> Result<Prepared, CreateError> {
    // A key is the client's within one tool: the same key elsewhere is another request.
    let key = key.map(|k| format!("writing:{}:{k}", tool.tool_type));
    if let Some(done) = super::already_made(state, &who.workspace_id, key.as_deref()).await? {
        return Ok(Prepared {
            state: state.clone(),
            workspace_id: who.workspace_id.clone(),
            key,
            creation: done,
            work: Work::Done,
        });
    }
    let project_id = super::project_of(state, &who.workspace_id, req.project_id.clone()).await?;
    let model = registry::resolve_remote(state, ModelKind::Llm, req.model_id.as_deref()).await?;
    let (template, prompt_version) = template(state, tool).await?;
    let id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let mut creation = Creation {
        id: id.clone(),
        kind: Kind::Writing,
        tool_type: tool.tool_type.clone(),
        title: req.title.clone(),
        content: String::new(),
        input: json!({
            "keywords": req.keywords, "requirements": req.requirements,
            "content": req.content, "language": req.language,
        }),
        model: model
            .as_ref()
            .map_or_else(|| "builtin".to_string(), |m| m.model.id.clone()),
        prompt_version,
        credits_used: 0,
        file_sha256: None,
        file_name: None,
        project_id,
        created_by: who.user_id.clone(),
        created_at: now.clone(),
        updated_at: now,
        deleted_at: None,
    };
    let work = match model {
        None => {
            // The built-in writer uses no template, the shipped one or an admin's.
            creation.prompt_version = format!("offline:{}@{}", tool.tool_type, tool.version);
            Work::Builtin(skeleton(tool, &req))
        }
        Some(model) => {
            let prompt = render(&template, &req);
            let max_tokens = max_tokens(tool, &model);
            let estimate = llm_cost(
                &model,
                prompt_tokens_bound(SYSTEM) + prompt_tokens_bound(&prompt),
                u64::from(max_tokens),
            );
            let held = super::hold(
                state,
                &who.workspace_id,
                &id,
                estimate,
                format!("{} with {}", tool.name_en, model.model.name),
            )
            .await?;
            Work::Model {
                model: Box::new(model),
                prompt,
                max_tokens,
                held,
            }
        }
    };
    Ok(Prepared {
        state: state.clone(),
        workspace_id: who.workspace_id.clone(),
        key,
        creation,
        work,
    })
}

/// Writes the document and stores it as a creation, charging what the model used in the same
/// transaction; on any failure the hold is voided and nothing is stored.
#[tracing::instrument(skip_all, fields(creation = %p.creation.id))]
pub async fn run(
    p: Prepared,
    on_progress: Arc<dyn Fn(Progress) + Send + Sync>,
) -> Result<Creation, CreateError> {
    let Prepared {
        state,
        workspace_id,
        key,
        mut creation,
        work,
    } = p;
    let (model, prompt, max_tokens, held) = match work {
        Work::Done => return Ok(creation),
        Work::Builtin(draft) => {
            on_progress(Progress::Started {
                creation_id: creation.id.clone(),
                model: "builtin".into(),
                estimate: 0,
            });
            on_progress(Progress::Delta(draft.clone()));
            creation.content = draft;
            return super::save(&state, &workspace_id, key, creation, None).await;
        }
        Work::Model {
            model,
            prompt,
            max_tokens,
            held,
        } => (model, prompt, max_tokens, held),
    };
    on_progress(Progress::Started {
        creation_id: creation.id.clone(),
        model: model.model.id.clone(),
        estimate: held.estimate,
    });
    let answer = match call(
        &state,
        &model,
        &creation.id,
        prompt,
        max_tokens,
        on_progress,
    )
    .await
    {
        Ok(a) if !a.content.trim().is_empty() => a,
        Ok(_) => {
            super::void(&state, &held, "the model answered with nothing").await;
            return Err(CreateError {
                retryable: true,
                ..CreateError::new(
                    ErrorCode::UpstreamFailed,
                    "the model answered with nothing; nothing was charged",
                )
            });
        }
        Err(e) => {
            super::void(&state, &held, "the generation failed").await;
            return Err(e);
        }
    };
    // No usage reported: the hold is what the call was allowed to cost.
    let actual = answer.usage.map_or(held.estimate, |u| {
        llm_cost(&model, u.prompt_tokens, u.completion_tokens)
    });
    creation.content = answer.content;
    super::save(&state, &workspace_id, key, creation, Some((&held, actual))).await
}

async fn call(
    state: &AppState,
    model: &Resolved,
    creation_id: &str,
    prompt: String,
    max_tokens: u32,
    on_progress: Arc<dyn Fn(Progress) + Send + Sync>,
) -> Result<providers::LlmResponse, CreateError> {
    let target = model.target.as_ref().expect("a remote model");
    let llm = providers::adapters::llm(target)?;
    let slots = state
        .ai_limiter
        .slots(&target.provider_id, target.max_concurrency.max(1));
    let ctx = CallContext::new(format!("writing:{creation_id}"), LLM_TIMEOUT);
    let request = LlmRequest {
        messages: vec![ChatMessage::system(SYSTEM), ChatMessage::user(prompt)],
        temperature: Some(0.7),
        seed: None,
        max_tokens: Some(max_tokens),
        json_mode: false,
    };
    let sink = on_progress.clone();
    let on_delta = move |text: &str| sink(Progress::Delta(text.to_string()));
    let (answer, _) = call_with_retry(&RetryPolicy::default(), &ctx, &slots, |attempt| {
        // Attempts count from 1; a second one starts the text over.
        if attempt > 1 {
            on_progress(Progress::Restart { attempt });
        }
        llm.complete_stream(request.clone(), &ctx, &on_delta)
    })
    .await?;
    Ok(answer)
}
