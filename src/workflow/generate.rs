//! Generation asked for outside a run (docs/API-PROVIDERS.md): one shot's keyframe from the
//! storyboard (`POST /storyboards/{id}/generate`), and a character's reference sheet before its
//! consistency model is made (`POST /characters/{id}/consistency-model`). Each paid call holds
//! before it is sent (a `job` hold), settles when its image is stored, and is voided on failure.
use crate::error::{CodedError, ErrorCode};
use std::{sync::Arc, time::Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use super::{
    ai::{self, Payer},
    nodes::{self, FrameJob, NodeError},
};
use crate::{
    characters, ledger,
    ledger::LedgerError,
    registry::{self, ModelKind, RegistryError},
    storyboard, versions, AppState,
};

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateShot {
    /// A style for this image (default: the project's).
    pub style: Option<String>,
    /// The image model (default: the configured default image model).
    pub model_id: Option<String>,
    /// What to change, appended to the prompt.
    pub feedback: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GeneratedShot {
    pub storyboard_id: String,
    pub asset_id: String,
    pub image_url: String,
    /// `completed`.
    pub status: crate::storyboard::ShotStatus,
    /// Seconds spent.
    pub processing_time: f64,
    pub model: String,
    pub cost_credits: i64,
    /// The same image was made before: taken from the cache, free.
    pub cached: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Conflict(String),
    /// The provider failed (after retries for what is retryable).
    #[error("{message}")]
    Upstream { message: String, retryable: bool },
}

impl CodedError for GenerateError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Registry(e) => e.code(),
            Self::Ledger(e) => e.code(),
            Self::Conflict(_) => ErrorCode::Conflict,
            // The provider's own message, after the retries a retryable failure gets.
            Self::Upstream { .. } => ErrorCode::UpstreamFailed,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Registry(e) => e.field(),
            Self::Ledger(e) => e.field(),
            _ => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Registry(e) => e.detail(),
            Self::Ledger(e) => e.detail(),
            _ => self.to_string(),
        }
    }
}

impl From<NodeError> for GenerateError {
    fn from(e: NodeError) -> Self {
        Self::Upstream {
            message: e.message,
            retryable: e.retryable,
        }
    }
}

impl From<versions::EditError> for GenerateError {
    fn from(e: versions::EditError) -> Self {
        Self::NotFound(e.to_string())
    }
}

/// One shot's keyframe from an image model (or the built-in renderer, free), made the shot's
/// keyframe. Refused with 402 before any call when the balance cannot cover the price.
#[tracing::instrument(skip(state, input))]
pub async fn generate_shot(
    state: &AppState,
    owner_id: &str,
    shot_id: &str,
    input: GenerateShot,
) -> Result<GeneratedShot, GenerateError> {
    let started = Instant::now();
    let shot = storyboard::get_shot(state, owner_id, shot_id).await?;
    if shot.status.is_locked() {
        return Err(GenerateError::Conflict(
            "the shot's keyframe is approved and locked: unlock it in the review first".into(),
        ));
    }
    let board =
        storyboard::storyboard(state, owner_id, &shot.project_id, Some(&shot.version_id)).await?;
    let scene = board
        .scenes
        .iter()
        .find(|s| s.shots.iter().any(|sh| sh.id == shot.id))
        .map(|s| s.scene.clone())
        .ok_or_else(|| GenerateError::NotFound(format!("shot '{shot_id}' has no scene")))?;
    let project = crate::projects::get(state, owner_id, &shot.project_id)
        .await
        .map_err(|e| GenerateError::NotFound(e.to_string()))?;
    let model = registry::resolve(state, ModelKind::Image, input.model_id.as_deref()).await?;
    if !model.is_builtin() {
        ledger::require_cover(state, owner_id, model.model.credits_cost).await?;
    }
    let model_name = model.model.model_name.clone();
    let job = FrameJob {
        owner_id: owner_id.to_string(),
        project_id: shot.project_id.clone(),
        version_id: shot.version_id.clone(),
        run_id: String::new(),
        node_id: "generate".into(),
        aspect_ratio: project.aspect_ratio.as_str().to_string(),
        scene,
        feedback: input.feedback.filter(|f| !f.trim().is_empty()),
        scale: 1.0,
        candidates: 1,
        node_run_id: String::new(),
        image_model: (!model.is_builtin()).then(|| Arc::new(model)),
        style: input.style.or(project.style),
        look_slots: std::sync::Arc::new(
            characters::look_slots(state, &shot.project_id)
                .await
                .map_err(|e| NodeError::transient(e.to_string()))?,
        ),
        shot,
    };
    let done = nodes::render_keyframe(state, job, &CancellationToken::new()).await?;
    let cost = done.charges.iter().map(|(_, c)| *c).sum();
    nodes::settle_now(state, &done.charges).await;
    let asset_id = done.output["asset_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok(GeneratedShot {
        storyboard_id: shot_id.to_string(),
        image_url: format!("/api/v1/assets/{asset_id}/download"),
        asset_id,
        status: crate::storyboard::ShotStatus::Completed,
        processing_time: started.elapsed().as_secs_f64(),
        model: model_name,
        cost_credits: if done.cached { 0 } else { cost },
        cached: done.cached,
    })
}

/// Before the consistency model is made: a character without a reference image gets a reference
/// sheet from the default image model, when that model is not the built-in renderer. Returns
/// whether one was drawn.
#[tracing::instrument(skip(state))]
pub async fn ensure_reference(
    state: &AppState,
    owner_id: &str,
    character_id: &str,
) -> Result<bool, GenerateError> {
    let character = characters::get(state, owner_id, character_id)
        .await
        .map_err(|e| GenerateError::NotFound(e.to_string()))?;
    if !character.reference_asset_ids.is_empty() {
        return Ok(false);
    }
    let model = match registry::resolve(state, ModelKind::Image, None).await {
        Ok(m) if !m.is_builtin() => m,
        // No remote image model: the built-in consistency model asks for a reference image.
        _ => return Ok(false),
    };
    ledger::require_cover(state, owner_id, model.model.credits_cost).await?;
    let payer = Payer {
        owner_id,
        run_id: "",
        project_id: &character.project_id,
        version_id: None,
    };
    let data = json!({"name": character.name, "description": character.description});
    let done = ai::design_character(
        state,
        payer,
        "",
        &model,
        character_id,
        &data,
        CancellationToken::new(),
    )
    .await?;
    nodes::settle_now(state, &done.charges).await;
    Ok(true)
}
