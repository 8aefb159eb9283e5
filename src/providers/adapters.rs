//! The adapter factory: from a registry row (provider + model, [`ModelTarget`]) to a provider the
//! runner can call. Built-in providers are not made here: the runner wires them itself.

use std::{fmt, sync::Arc};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    comfyui::ComfyUi,
    dashscope::{DashScopeImage, DashScopeVideo},
    images::OpenAiImages,
    speech::{OpenAiSpeech, OpenAiTranscription},
    AsrProvider, ImageProvider, LlmProvider, OpenAiCompatibleConfig, OpenAiCompatibleLlm,
    ProviderError, TtsProvider, VideoProvider,
};

/// Which wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    Builtin,
    OpenaiCompatible,
    Dashscope,
    Comfyui,
}

impl AdapterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::OpenaiCompatible => "openai_compatible",
            Self::Dashscope => "dashscope",
            Self::Comfyui => "comfyui",
        }
    }
}

impl fmt::Display for AdapterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of work a model does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Llm,
    Image,
    Video,
    Tts,
    Asr,
    /// Text to vectors: served through the model router only (`/v1/embeddings`).
    Embedding,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Llm => "llm",
            Self::Image => "image",
            Self::Video => "video",
            Self::Tts => "tts",
            Self::Asr => "asr",
            Self::Embedding => "embedding",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything needed to call one model. Debug redacts the key.
#[derive(Clone)]
pub struct ModelTarget {
    /// Keys the limiter and the cache.
    pub provider_id: String,
    pub adapter: AdapterKind,
    /// Up to and including the API version, e.g. `https://api.openai.com/v1`,
    /// `https://dashscope.aliyuncs.com/api/v1`, `http://127.0.0.1:8188`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model_name: String,
    /// The model's default config merged with the node's.
    pub config: Value,
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
            .field("config", &self.config)
            .field("max_concurrency", &self.max_concurrency)
            .finish()
    }
}

impl ModelTarget {
    /// `base_url` and `path` joined by exactly one slash.
    pub(super) fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    /// Adds `Authorization: Bearer …` when the provider has a key.
    pub(super) fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(key) if !key.is_empty() => request.bearer_auth(key),
            _ => request,
        }
    }

    pub(super) fn config_str(&self, key: &str) -> Option<&str> {
        self.config.get(key)?.as_str().filter(|s| !s.is_empty())
    }

    pub(super) fn config_u64(&self, key: &str) -> Option<u64> {
        let v = self.config.get(key)?;
        v.as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .or_else(|| v.as_str()?.trim().parse().ok())
    }

    pub(super) fn config_f64(&self, key: &str) -> Option<f64> {
        let v = self.config.get(key)?;
        v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())
    }

    /// The checks every adapter makes before it is built.
    pub(super) fn validate(&self) -> Result<(), ProviderError> {
        let url = self.base_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ProviderError::invalid(format!(
                "provider {}: base_url must be an http(s) URL, got {:?}",
                self.provider_id, self.base_url
            )));
        }
        if !(self.config.is_null() || self.config.is_object()) {
            return Err(ProviderError::invalid(format!(
                "provider {}: a model's config must be a JSON object",
                self.provider_id
            )));
        }
        Ok(())
    }

    pub(super) fn max_concurrency(&self) -> usize {
        self.max_concurrency.max(1)
    }
}

fn unsupported(t: &ModelTarget, kind: ModelKind) -> ProviderError {
    let why = if t.adapter == AdapterKind::Builtin {
        " (built-in providers are wired by the runner, not by the adapter factory)"
    } else {
        ""
    };
    ProviderError::invalid(format!(
        "the {} adapter has no {} models{why}",
        t.adapter, kind
    ))
}

/// A chat model.
pub fn llm(t: &ModelTarget) -> Result<Arc<dyn LlmProvider>, ProviderError> {
    match t.adapter {
        AdapterKind::OpenaiCompatible => {
            t.validate()?;
            let mut config = OpenAiCompatibleConfig::new(
                t.provider_id.clone(),
                t.base_url.clone(),
                t.model_name.clone(),
            );
            config.api_key = t.api_key.clone().filter(|k| !k.is_empty());
            config.max_concurrency = t.max_concurrency();
            config.default_temperature = t.config_f64("temperature").map(|v| v as f32);
            config.default_max_tokens = t
                .config_u64("max_tokens")
                .and_then(|v| u32::try_from(v).ok());
            Ok(Arc::new(OpenAiCompatibleLlm::new(config)?))
        }
        _ => Err(unsupported(t, ModelKind::Llm)),
    }
}

/// A text-to-image model.
pub fn image(t: &ModelTarget) -> Result<Arc<dyn ImageProvider>, ProviderError> {
    match t.adapter {
        AdapterKind::OpenaiCompatible => Ok(Arc::new(OpenAiImages::new(t.clone())?)),
        AdapterKind::Dashscope => Ok(Arc::new(DashScopeImage::new(t.clone())?)),
        AdapterKind::Comfyui => Ok(Arc::new(ComfyUi::new(t.clone())?)),
        AdapterKind::Builtin => Err(unsupported(t, ModelKind::Image)),
    }
}

/// An image-to-video model.
pub fn video(t: &ModelTarget) -> Result<Arc<dyn VideoProvider>, ProviderError> {
    match t.adapter {
        AdapterKind::Dashscope => Ok(Arc::new(DashScopeVideo::new(t.clone())?)),
        AdapterKind::Comfyui => Ok(Arc::new(ComfyUi::new(t.clone())?)),
        _ => Err(unsupported(t, ModelKind::Video)),
    }
}

/// A text-to-speech model.
pub fn tts(t: &ModelTarget) -> Result<Arc<dyn TtsProvider>, ProviderError> {
    match t.adapter {
        AdapterKind::OpenaiCompatible => Ok(Arc::new(OpenAiSpeech::new(t.clone())?)),
        _ => Err(unsupported(t, ModelKind::Tts)),
    }
}

/// A speech-recognition model.
pub fn asr(t: &ModelTarget) -> Result<Arc<dyn AsrProvider>, ProviderError> {
    match t.adapter {
        AdapterKind::OpenaiCompatible => Ok(Arc::new(OpenAiTranscription::new(t.clone())?)),
        _ => Err(unsupported(t, ModelKind::Asr)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(adapter: AdapterKind) -> ModelTarget {
        ModelTarget {
            provider_id: "p1".into(),
            adapter,
            base_url: "http://127.0.0.1:9/v1/".into(),
            api_key: Some("sk-very-secret".into()),
            model_name: "m1".into(),
            config: json!({"temperature": 0.3}),
            max_concurrency: 0,
        }
    }

    #[test]
    fn debug_redacts_the_key_and_urls_join() {
        let t = target(AdapterKind::OpenaiCompatible);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("sk-very-secret"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
        assert_eq!(
            t.url("/images/generations"),
            "http://127.0.0.1:9/v1/images/generations"
        );
        assert_eq!(t.max_concurrency(), 1);
    }

    #[test]
    fn kinds_serialize_in_snake_case() {
        assert_eq!(
            serde_json::to_value(AdapterKind::OpenaiCompatible).unwrap(),
            json!("openai_compatible")
        );
        assert_eq!(serde_json::to_value(ModelKind::Asr).unwrap(), json!("asr"));
        let k: AdapterKind = serde_json::from_value(json!("comfyui")).unwrap();
        assert_eq!(k, AdapterKind::Comfyui);
        assert_eq!(AdapterKind::Dashscope.to_string(), "dashscope");
    }

    #[test]
    fn config_numbers_are_read_leniently() {
        let mut t = target(AdapterKind::OpenaiCompatible);
        t.config = json!({"a": 3, "b": "4", "c": 2.5, "d": "x"});
        assert_eq!(t.config_u64("a"), Some(3));
        assert_eq!(t.config_u64("b"), Some(4));
        assert_eq!(t.config_f64("c"), Some(2.5));
        assert_eq!(t.config_u64("d"), None);
        assert_eq!(t.config_u64("missing"), None);
    }
}
