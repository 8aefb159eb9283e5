//! Images from a prompt (docs/CREATE.md, "Images"). With an image model the model draws it, held
//! at the model's price per image before the call and settled with the creation; without one the
//! built-in animatic renderer draws a storyboard frame of the prompt, free.
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{CreateError, Creation, Kind, Requester};
use crate::{
    clock::rfc3339,
    providers::{self, call_with_retry, CallContext, ImageRequest, RetryPolicy},
    registry::{self, ModelKind, Resolved},
    render::{self, Fonts, FrameSpec},
    AppState,
};

/// What a person asks the image tool for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageAsk {
    /// What to draw (1–2,000 characters).
    pub prompt: String,
    /// `WIDTHxHEIGHT`, each side 256–2048 (default `1024x1024`).
    #[serde(default)]
    pub size: Option<String>,
    /// The image model; default: the configured one, else the built-in renderer (free).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub model_id: Option<Value>,
    /// What to keep out (models that take it).
    #[serde(default)]
    pub negative_prompt: Option<String>,
    /// The same seed and prompt give the same picture (where the model honours seeds).
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub project_id: Option<String>,
}

/// What the image tool made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImageMade {
    /// Where the picture is fetched from.
    pub image_url: String,
    pub creation_id: String,
    pub credits_used: i64,
    pub creation: Creation,
}

impl From<Creation> for ImageMade {
    fn from(c: Creation) -> Self {
        Self {
            image_url: format!("/api/v1/creations/{}/file", c.id),
            creation_id: c.id.clone(),
            credits_used: c.credits_used,
            creation: c,
        }
    }
}

const MAX_PROMPT_CHARS: usize = 2_000;
const MIN_SIDE: u32 = 256;
const MAX_SIDE: u32 = 2_048;
const IMAGE_TIMEOUT: Duration = Duration::from_secs(300);

/// `1024x1024` → (1024, 1024), each side within bounds.
pub fn parse_size(size: Option<&str>) -> Result<(u32, u32), CreateError> {
    let Some(size) = size.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok((1024, 1024));
    };
    let bad = || {
        CreateError::invalid(
            "size",
            format!("size is WIDTHxHEIGHT with each side {MIN_SIDE} to {MAX_SIDE}, e.g. 1024x1024"),
        )
    };
    let (w, h) = size.split_once(['x', 'X', '*', '×']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    if !(MIN_SIDE..=MAX_SIDE).contains(&w) || !(MIN_SIDE..=MAX_SIDE).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

/// Draws the picture and stores it as an `image` creation.
#[tracing::instrument(skip(state, ask))]
pub async fn generate(
    state: &AppState,
    who: &Requester,
    ask: ImageAsk,
    key: Option<String>,
) -> Result<Creation, CreateError> {
    let key = key.map(|k| format!("image:{k}"));
    let prompt = ask.prompt.trim().to_string();
    if prompt.is_empty() || prompt.chars().count() > MAX_PROMPT_CHARS {
        return Err(CreateError::invalid(
            "prompt",
            format!("prompt is 1 to {MAX_PROMPT_CHARS} characters"),
        ));
    }
    let (width, height) = parse_size(ask.size.as_deref())?;
    let model_id = super::model_id_of(ask.model_id.as_ref())?;
    let project_id = super::project_of(state, &who.workspace_id, ask.project_id).await?;
    if let Some(done) = super::already_made(state, &who.workspace_id, key.as_deref()).await? {
        return Ok(done);
    }
    let model = registry::resolve_remote(state, ModelKind::Image, model_id.as_deref()).await?;
    let id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());

    let (bytes, paid) = match &model {
        None => (
            draw_offline(state, &prompt, width, height, ask.seed).await?,
            None,
        ),
        Some(m) => {
            let estimate = m.model.credits_cost;
            let held = super::hold(
                state,
                &who.workspace_id,
                &id,
                estimate,
                format!("an image with {}", m.model.name),
            )
            .await?;
            let request = ImageRequest {
                prompt: prompt.clone(),
                negative_prompt: ask.negative_prompt.clone().filter(|n| !n.trim().is_empty()),
                width,
                height,
                seed: ask.seed,
                reference_images: Vec::new(),
            };
            match call(state, m, &id, request).await {
                Ok(out) => (out.bytes, Some((held, estimate))),
                Err(e) => {
                    super::void(state, &held, "the image model call failed").await;
                    return Err(e);
                }
            }
        }
    };
    let extension = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        "png"
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        "jpg"
    } else {
        "webp"
    };
    let sha = match super::store_file(state, bytes).await {
        Ok(sha) => sha,
        Err(e) => {
            if let Some((held, _)) = &paid {
                super::void(state, held, "the image could not be stored").await;
            }
            return Err(e);
        }
    };
    let title: String = prompt.chars().take(60).collect();
    let creation = Creation {
        id: id.clone(),
        kind: Kind::Image,
        tool_type: String::new(),
        title,
        content: prompt.clone(),
        input: json!({"size": format!("{width}x{height}"), "seed": ask.seed,
                      "negative_prompt": ask.negative_prompt}),
        model: model
            .as_ref()
            .map_or_else(|| "builtin".to_string(), |m| m.model.id.clone()),
        prompt_version: String::new(),
        credits_used: 0,
        file_sha256: Some(sha),
        file_name: Some(format!("image.{extension}")),
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

/// The built-in renderer's frame of the prompt.
async fn draw_offline(
    state: &AppState,
    prompt: &str,
    width: u32,
    height: u32,
    seed: Option<u64>,
) -> Result<Vec<u8>, CreateError> {
    let spec = FrameSpec {
        width,
        height,
        description: prompt.to_string(),
        seed: seed.unwrap_or(0),
        overlays: false,
        ..FrameSpec::default()
    };
    let font = state.config.font_path.clone();
    tokio::task::spawn_blocking(move || {
        let fonts = Fonts::shared(font.as_deref()).map_err(super::CreateError::internal)?;
        render::render_png(&spec, &fonts).map_err(super::CreateError::internal)
    })
    .await
    .map_err(super::CreateError::internal)?
}

async fn call(
    state: &AppState,
    model: &Resolved,
    creation_id: &str,
    request: ImageRequest,
) -> Result<providers::ImageOutput, CreateError> {
    let target = model.target.as_ref().expect("a remote model");
    let images = providers::adapters::image(target)?;
    let slots = state
        .ai_limiter
        .slots(&target.provider_id, target.max_concurrency.max(1));
    let ctx = CallContext::new(format!("image:{creation_id}"), IMAGE_TIMEOUT);
    let (out, _) = call_with_retry(&RetryPolicy::default(), &ctx, &slots, |_| {
        images.generate(request.clone(), &ctx)
    })
    .await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size(None).unwrap(), (1024, 1024));
        assert_eq!(parse_size(Some("720x1280")).unwrap(), (720, 1280));
        assert_eq!(parse_size(Some("1024*768")).unwrap(), (1024, 768));
        for bad in ["1024", "0x0", "100x100", "4096x4096", "axb", "1024x"] {
            assert_eq!(
                parse_size(Some(bad)).unwrap_err().field,
                Some("size"),
                "{bad}"
            );
        }
    }
}
