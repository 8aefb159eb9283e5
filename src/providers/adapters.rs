//! Which adapter serves a model: the factory from a registry row to a provider (placeholder until
//! the adapters land on this branch).
use std::{fmt, sync::Arc};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ImageProvider, LlmProvider, OpenAiCompatibleConfig, OpenAiCompatibleLlm, ProviderError,
    TtsProvider, VideoProvider,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    Builtin,
    OpenaiCompatible,
    Dashscope,
    Comfyui,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Llm,
    Image,
    Video,
    Tts,
    Asr,
}

/// Everything needed to call one model. Debug redacts the key.
#[derive(Clone)]
pub struct ModelTarget {
    pub provider_id: String,
    pub adapter: AdapterKind,
    pub base_url: String,
    pub api_key: Option<String>,
    pub model_name: String,
    pub config: serde_json::Value,
    pub max_concurrency: usize,
}

impl fmt::Debug for ModelTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelTarget")
            .field("provider_id", &self.provider_id)
            .field("adapter", &self.adapter)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model_name", &self.model_name)
            .finish_non_exhaustive()
    }
}

fn unsupported(t: &ModelTarget, kind: &str) -> ProviderError {
    ProviderError::invalid(format!(
        "the {:?} adapter does not serve {kind} models",
        t.adapter
    ))
}

pub fn llm(t: &ModelTarget) -> Result<Arc<dyn LlmProvider>, ProviderError> {
    match t.adapter {
        AdapterKind::OpenaiCompatible => {
            let mut c = OpenAiCompatibleConfig::new(&t.provider_id, &t.base_url, &t.model_name);
            c.api_key = t.api_key.clone();
            c.max_concurrency = t.max_concurrency;
            Ok(Arc::new(OpenAiCompatibleLlm::new(c)?))
        }
        _ => Err(unsupported(t, "llm")),
    }
}

pub fn image(t: &ModelTarget) -> Result<Arc<dyn ImageProvider>, ProviderError> {
    Err(unsupported(t, "image"))
}

pub fn video(t: &ModelTarget) -> Result<Arc<dyn VideoProvider>, ProviderError> {
    Err(unsupported(t, "video"))
}

pub fn tts(t: &ModelTarget) -> Result<Arc<dyn TtsProvider>, ProviderError> {
    Err(unsupported(t, "tts"))
}
