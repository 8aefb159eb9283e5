//! The AI registry (docs/API-PROVIDERS.md): providers (connections: adapter, base URL, secret,
//! enabled, concurrency), models (one model on a provider: kind, price, default config, active),
//! the global AI configuration (the default model per kind, the default cost cap), and resolving
//! which model a workflow node calls. The built-in offline providers are rows here at price 0.
pub mod secrets;
mod store;
pub mod voices;

use crate::error::{CodedError, ErrorCode};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

pub use crate::providers::{AdapterKind, ModelKind, ModelTarget};
use crate::{
    clock::rfc3339,
    db::DbError,
    providers::{self, CallContext, ChatMessage, LlmRequest},
    validate::{self, Invalid},
    AppState,
};
pub use store::ModelFilter;
pub(crate) use store::{count_use, project_cost_cap};

/// The built-in provider's id; its models are `builtin.animatic`, `builtin.still`, `builtin.espeak`.
pub const BUILTIN_PROVIDER: &str = "builtin";

/// A connection to an AI service. The secret never comes back: only its mask.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub adapter: AdapterKind,
    pub base_url: String,
    /// `sk-…abcd`; null when no key is stored.
    pub api_key_masked: Option<String>,
    pub has_api_key: bool,
    pub enabled: bool,
    pub max_concurrency: u32,
    pub builtin: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// What a price is per, from the model's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum PriceUnit {
    #[serde(rename = "1k_tokens")]
    KiloTokens,
    #[serde(rename = "image")]
    Image,
    #[serde(rename = "second")]
    Second,
    #[serde(rename = "1k_chars")]
    KiloChars,
    #[serde(rename = "minute")]
    Minute,
}

impl PriceUnit {
    pub fn of(kind: ModelKind) -> Self {
        match kind {
            ModelKind::Llm => Self::KiloTokens,
            ModelKind::Image => Self::Image,
            ModelKind::Video => Self::Second,
            ModelKind::Tts => Self::KiloChars,
            ModelKind::Asr => Self::Minute,
            ModelKind::Embedding => Self::KiloTokens,
        }
    }
}

/// One model on a provider, with its price in integer credits per `unit`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Model {
    pub id: String,
    pub provider_id: String,
    /// The provider's name.
    pub provider: String,
    pub kind: ModelKind,
    pub name: String,
    pub model_name: String,
    pub category: String,
    /// Credits per unit (llm: per 1,000 input tokens).
    pub credits_cost: i64,
    /// llm: credits per 1,000 output tokens.
    pub output_credits_cost: i64,
    pub unit: PriceUnit,
    #[schema(value_type = Object)]
    pub config: Value,
    pub is_active: bool,
    pub is_default: bool,
    pub builtin: bool,
    pub popularity: i64,
    /// The name clients of the model router (`/v1`) send as `model`; several models may share one,
    /// each a channel of it (default: `model_name`).
    pub public_name: String,
    /// Router channels of one public name are tried highest priority first ...
    pub route_priority: i64,
    /// ... and, among equal priorities, picked in proportion to their weight.
    pub route_weight: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub(crate) provider_enabled: bool,
}

/// The default model id per kind (null: none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultModels {
    pub llm: Option<String>,
    pub image: Option<String>,
    pub video: Option<String>,
    pub tts: Option<String>,
    pub asr: Option<String>,
}

impl DefaultModels {
    pub fn get(&self, kind: ModelKind) -> Option<&String> {
        match kind {
            ModelKind::Llm => self.llm.as_ref(),
            ModelKind::Image => self.image.as_ref(),
            ModelKind::Video => self.video.as_ref(),
            ModelKind::Tts => self.tts.as_ref(),
            ModelKind::Asr => self.asr.as_ref(),
            // Embeddings serve the model router only; the studio has no default for them.
            ModelKind::Embedding => None,
        }
    }
}

pub const KINDS: [ModelKind; 5] = [
    ModelKind::Llm,
    ModelKind::Image,
    ModelKind::Video,
    ModelKind::Tts,
    ModelKind::Asr,
];

pub fn kind_name(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Llm => "llm",
        ModelKind::Image => "image",
        ModelKind::Video => "video",
        ModelKind::Tts => "tts",
        ModelKind::Asr => "asr",
        ModelKind::Embedding => "embedding",
    }
}

/// The instance's AI configuration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AiConfig {
    pub default_models: DefaultModels,
    /// Provider calls at once across the instance.
    pub max_concurrency: u32,
    /// The default per-project cost cap in credits (null: none).
    pub cost_cap: Option<i64>,
    /// Whether the sandbox payment gateway takes orders (docs/API-PAYMENTS.md); off on a server
    /// until an instance admin turns it on.
    pub payment_sandbox: bool,
}

/// `PATCH /admin/config`: any subset. `default_models` merges per kind (a kind set to null clears it).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigPatch {
    #[schema(value_type = Option<Object>)]
    pub default_models: Option<serde_json::Map<String, Value>>,
    #[schema(minimum = 1, maximum = 64)]
    pub max_concurrency: Option<u32>,
    /// Credits; null removes the cap.
    #[serde(default, with = "crate::validate::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub cost_cap: Option<Option<i64>>,
    /// Turns the sandbox payment gateway on or off.
    pub payment_sandbox: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    pub name: String,
    pub adapter: AdapterKind,
    pub base_url: String,
    pub api_key: Option<String>,
    pub enabled: Option<bool>,
    #[schema(minimum = 1, maximum = 64)]
    pub max_concurrency: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderPatch {
    pub name: Option<String>,
    pub adapter: Option<AdapterKind>,
    pub base_url: Option<String>,
    /// A new key; `""` removes the stored one.
    pub api_key: Option<String>,
    pub enabled: Option<bool>,
    #[schema(minimum = 1, maximum = 64)]
    pub max_concurrency: Option<u32>,
}

/// `POST /models` (the model-configuration body other clients send, plus `kind`): `provider_id`
/// names a provider; otherwise `provider` + `api_base` find one with that name and base URL, or
/// create it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    pub name: String,
    pub model_name: String,
    pub provider: Option<String>,
    pub provider_id: Option<String>,
    pub api_key: Option<String>,
    pub api_base: Option<String>,
    pub adapter: Option<AdapterKind>,
    pub kind: Option<ModelKind>,
    pub category: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
    #[schema(minimum = 0)]
    pub credits_cost: Option<i64>,
    #[schema(minimum = 0)]
    pub output_credits_cost: Option<i64>,
    pub is_active: Option<bool>,
    /// The model router's name for it (1–200 characters; `""` goes back to `model_name`).
    pub public_name: Option<String>,
    /// -1000–1000 (default 0).
    pub route_priority: Option<i64>,
    /// 1–1000 (default 1).
    pub route_weight: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelPatch {
    pub name: Option<String>,
    pub model_name: Option<String>,
    pub category: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
    #[schema(minimum = 0)]
    pub credits_cost: Option<i64>,
    #[schema(minimum = 0)]
    pub output_credits_cost: Option<i64>,
    pub is_active: Option<bool>,
    /// The model router's name for it (1–200 characters; `""` goes back to `model_name`).
    pub public_name: Option<String>,
    /// -1000–1000 (default 0).
    pub route_priority: Option<i64>,
    /// 1–1000 (default 1).
    pub route_weight: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    #[schema(minimum = 0)]
    pub credits_cost: i64,
    #[schema(minimum = 0)]
    pub output_credits_cost: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    pub model_id: Option<String>,
}

/// What a connection test found: a real minimal call's latency, or the upstream's error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderTest {
    pub ok: bool,
    pub latency_ms: u64,
    pub model: Option<String>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("the provider's key: {0}")]
    Secret(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for RegistryError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::Conflict(_) => ErrorCode::Conflict,
            // The keyring (or the sealed store) is unavailable: retrying later may work.
            Self::Secret(_) => ErrorCode::ServiceUnavailable,
            Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
    fn detail(&self) -> String {
        match self {
            Self::Secret(m) => format!("the provider's key store: {m}"),
            _ => self.to_string(),
        }
    }
}

impl From<Invalid> for RegistryError {
    fn from(e: Invalid) -> Self {
        Self::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

impl From<crate::db::sql::Error> for RegistryError {
    fn from(e: crate::db::sql::Error) -> Self {
        Self::Db(e.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> RegistryError {
    RegistryError::Invalid {
        field,
        message: message.into(),
    }
}

fn check_base_url(
    field: &'static str,
    adapter: AdapterKind,
    url: &str,
) -> Result<String, RegistryError> {
    let url = url.trim().trim_end_matches('/').to_string();
    if adapter == AdapterKind::Builtin {
        return Err(invalid("adapter", "built-in providers come with Storyloom; choose openai_compatible, dashscope or comfyui"));
    }
    match reqwest::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(url),
        _ => Err(invalid(
            field,
            format!(
                "{field} must be an http(s) URL such as https://api.openai.com/v1 (got '{url}')"
            ),
        )),
    }
}

fn check_concurrency(n: Option<u32>) -> Result<Option<u32>, RegistryError> {
    match n {
        Some(v) if !(1..=64).contains(&v) => Err(invalid(
            "max_concurrency",
            format!("max_concurrency is 1–64 (got {v})"),
        )),
        other => Ok(other),
    }
}

fn check_price(field: &'static str, v: Option<i64>) -> Result<Option<i64>, RegistryError> {
    match v {
        Some(p) if !(0..=1_000_000).contains(&p) => Err(invalid(
            field,
            format!("{field} is 0–1000000 credits (got {p})"),
        )),
        other => Ok(other),
    }
}

fn check_key(key: Option<&str>) -> Result<Option<String>, RegistryError> {
    match key.map(str::trim) {
        None | Some("") => Ok(None),
        Some(k) if k.len() > 4096 || k.chars().any(char::is_control) => Err(invalid(
            "api_key",
            "api_key must be at most 4096 characters, without control characters",
        )),
        Some(k) => Ok(Some(k.to_string())),
    }
}

fn check_config(v: Option<Value>) -> Result<Option<Value>, RegistryError> {
    match v {
        Some(Value::Object(m)) => Ok(Some(Value::Object(m))),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(invalid("config", "config must be a JSON object")),
    }
}

// ------------------------------------------------------------------------------------------ providers

#[tracing::instrument(skip(state))]
pub async fn list_providers(
    state: &AppState,
    offset: u64,
    limit: u32,
) -> Result<(Vec<Provider>, u64), RegistryError> {
    Ok(state
        .db
        .read(move |c| store::list_providers(c, offset, limit))
        .await?)
}

pub async fn get_provider(state: &AppState, id: &str) -> Result<Provider, RegistryError> {
    let id = id.to_string();
    state
        .db
        .read(move |c| store::provider(c, &id))
        .await?
        .ok_or_else(|| RegistryError::NotFound("provider".into()))
}

#[tracing::instrument(skip(state, input), fields(name = %input.name))]
pub async fn create_provider(
    state: &AppState,
    input: NewProvider,
) -> Result<Provider, RegistryError> {
    let name = validate::name("name", &input.name, 100)?;
    let base_url = check_base_url("base_url", input.adapter, &input.base_url)?;
    let max = check_concurrency(input.max_concurrency)?.unwrap_or(4);
    let key = check_key(input.api_key.as_deref())?;
    let id = state.ids.new_id().to_string();
    let sealed = match &key {
        Some(k) => state
            .provider_secrets
            .put(&id, k)
            .await
            .map_err(RegistryError::Secret)?,
        None => None,
    };
    let now = rfc3339(state.clock.now());
    let row = store::ProviderRow {
        id: id.clone(),
        name,
        adapter: input.adapter,
        base_url,
        secret_sealed: sealed,
        secret_masked: key.as_deref().map(secrets::mask),
        enabled: input.enabled.unwrap_or(true),
        max_concurrency: max,
    };
    state
        .db
        .write(move |tx| store::insert_provider(tx, &row, &now))
        .await?;
    get_provider(state, &id).await
}

#[tracing::instrument(skip(state, patch))]
pub async fn update_provider(
    state: &AppState,
    id: &str,
    patch: ProviderPatch,
) -> Result<Provider, RegistryError> {
    let current = get_provider(state, id).await?;
    if current.builtin {
        return Err(RegistryError::Conflict(
            "the built-in provider cannot be changed".into(),
        ));
    }
    let name = patch
        .name
        .as_deref()
        .map(|n| validate::name("name", n, 100))
        .transpose()?;
    let adapter = patch.adapter.unwrap_or(current.adapter);
    let base_url = match (&patch.base_url, patch.adapter) {
        (Some(u), _) => Some(check_base_url("base_url", adapter, u)?),
        (None, Some(a)) => Some(check_base_url("adapter", a, &current.base_url)?),
        (None, None) => None,
    };
    let max = check_concurrency(patch.max_concurrency)?;
    // Some(None): remove the key; Some(Some(k)): replace it; None: keep it.
    let secret = match patch.api_key.as_deref() {
        None => None,
        Some(k) if k.trim().is_empty() => {
            state
                .provider_secrets
                .delete(id)
                .await
                .map_err(RegistryError::Secret)?;
            Some((None, None))
        }
        Some(k) => {
            let k = check_key(Some(k))?.unwrap_or_default();
            let sealed = state
                .provider_secrets
                .put(id, &k)
                .await
                .map_err(RegistryError::Secret)?;
            Some((sealed, Some(secrets::mask(&k))))
        }
    };
    let now = rfc3339(state.clock.now());
    let id2 = id.to_string();
    let update = store::ProviderUpdate {
        name,
        adapter: patch.adapter,
        base_url,
        secret,
        enabled: patch.enabled,
        max_concurrency: max,
    };
    state
        .db
        .write(move |tx| store::update_provider(tx, &id2, &update, &now))
        .await?;
    get_provider(state, id).await
}

pub async fn set_provider_enabled(
    state: &AppState,
    id: &str,
    enabled: bool,
) -> Result<Provider, RegistryError> {
    update_provider(
        state,
        id,
        ProviderPatch {
            enabled: Some(enabled),
            ..Default::default()
        },
    )
    .await
}

/// A real minimal call through the provider: a one-token chat for a language model, otherwise a
/// cheap read of the service (`/models`, ComfyUI's `/system_stats`, DashScope's task endpoint).
#[tracing::instrument(skip(state, req))]
pub async fn test_provider(
    state: &AppState,
    id: &str,
    req: TestRequest,
) -> Result<ProviderTest, RegistryError> {
    let provider = get_provider(state, id).await?;
    let model = match req.model_id {
        Some(m) => {
            let m = get_model(state, &m).await?;
            if m.provider_id != provider.id {
                return Err(invalid(
                    "model_id",
                    "model_id is a model of another provider",
                ));
            }
            Some(m)
        }
        None => {
            let pid = provider.id.clone();
            state
                .db
                .read(move |c| store::first_active_model(c, &pid))
                .await?
        }
    };
    if provider.builtin {
        return Ok(ProviderTest {
            ok: true,
            latency_ms: 0,
            model: model.map(|m| m.model_name),
            message: "built-in offline providers need no connection".into(),
        });
    }
    let target = target_for(state, &provider, model.as_ref()).await?;
    let started = Instant::now();
    let ctx = CallContext::new(
        format!("provider-test:{}", state.ids.new_id()),
        Duration::from_secs(20),
    );
    let result: Result<String, String> = match model.as_ref().map(|m| m.kind) {
        Some(ModelKind::Llm) => match providers::adapters::llm(&target) {
            Ok(llm) => llm
                .complete(
                    LlmRequest {
                        messages: vec![ChatMessage::user("Reply with the word: ok")],
                        max_tokens: Some(1),
                        ..Default::default()
                    },
                    &ctx,
                )
                .await
                .map(|r| format!("answered as {}", r.model))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        _ => probe(&target).await,
    };
    let latency_ms = started.elapsed().as_millis() as u64;
    Ok(match result {
        Ok(message) => ProviderTest {
            ok: true,
            latency_ms,
            model: model.map(|m| m.model_name),
            message,
        },
        Err(message) => ProviderTest {
            ok: false,
            latency_ms,
            model: model.map(|m| m.model_name),
            message,
        },
    })
}

/// A GET that proves the service answers and takes the key, without generating anything.
async fn probe(t: &ModelTarget) -> Result<String, String> {
    let base = t.base_url.trim_end_matches('/');
    let url = match t.adapter {
        AdapterKind::Comfyui => format!("{base}/system_stats"),
        AdapterKind::Dashscope => format!("{base}/tasks/storyloom-connection-test"),
        _ => format!("{base}/models"),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| e.to_string())?;
    let mut req = client.get(&url);
    if let Some(k) = &t.api_key {
        req = req.bearer_auth(k);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = resp.status();
    // DashScope answers an unknown task id with 4xx once the key is accepted; 401/403 mean the key.
    let accepted = status.is_success()
        || (t.adapter == AdapterKind::Dashscope
            && status.is_client_error()
            && status != 401
            && status != 403);
    if accepted {
        Ok(format!("{url} answered {status}"))
    } else {
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Err(providers::http_error_to_provider_error(status, &headers, &body).to_string())
    }
}

// ------------------------------------------------------------------------------------------ models

pub async fn list_models(
    state: &AppState,
    filter: ModelFilter,
    offset: u64,
    limit: u32,
) -> Result<(Vec<Model>, u64), RegistryError> {
    Ok(state
        .db
        .read(move |c| store::list_models(c, &filter, offset, limit))
        .await?)
}

pub async fn get_model(state: &AppState, id: &str) -> Result<Model, RegistryError> {
    let id = id.to_string();
    state
        .db
        .read(move |c| store::model(c, &id))
        .await?
        .ok_or_else(|| RegistryError::NotFound("model".into()))
}

#[tracing::instrument(skip(state, input), fields(model = %input.model_name))]
pub async fn create_model(state: &AppState, input: NewModel) -> Result<Model, RegistryError> {
    let name = validate::name("name", &input.name, 100)?;
    let model_name = validate::name("model_name", &input.model_name, 200)?;
    let category =
        validate::optional_text("category", input.category.as_deref(), 50)?.unwrap_or_default();
    let credits = check_price("credits_cost", input.credits_cost)?.unwrap_or(0);
    let output = check_price("output_credits_cost", input.output_credits_cost)?.unwrap_or(credits);
    let config = check_config(input.config)?.unwrap_or_else(|| serde_json::json!({}));
    let kind = input.kind.unwrap_or(ModelKind::Llm);
    let provider_id = match input.provider_id {
        Some(pid) => {
            let p = get_provider(state, &pid)
                .await
                .map_err(|_| invalid("provider_id", "provider_id names no provider"))?;
            if p.builtin {
                return Err(invalid(
                    "provider_id",
                    "models cannot be added to the built-in provider",
                ));
            }
            p.id
        }
        None => {
            let pname = input.provider.as_deref().ok_or_else(|| {
                invalid("provider", "provider (a name) or provider_id is required")
            })?;
            let pname = validate::name("provider", pname, 100)?;
            let base = input
                .api_base
                .as_deref()
                .ok_or_else(|| invalid("api_base", "api_base is required with a provider name"))?;
            let adapter = input.adapter.unwrap_or(AdapterKind::OpenaiCompatible);
            let base = check_base_url("api_base", adapter, base)?;
            let (n2, b2) = (pname.clone(), base.clone());
            let found = state
                .db
                .read(move |c| store::provider_by_name(c, &n2, &b2))
                .await?;
            match found {
                Some(p) => {
                    if input.api_key.is_some() {
                        update_provider(
                            state,
                            &p.id,
                            ProviderPatch {
                                api_key: input.api_key.clone(),
                                ..Default::default()
                            },
                        )
                        .await?;
                    }
                    p.id
                }
                None => {
                    create_provider(
                        state,
                        NewProvider {
                            name: pname,
                            adapter,
                            base_url: base,
                            api_key: input.api_key.clone(),
                            enabled: Some(true),
                            max_concurrency: None,
                        },
                    )
                    .await?
                    .id
                }
            }
        }
    };
    let id = state.ids.new_id().to_string();
    let now = rfc3339(state.clock.now());
    let row = store::ModelRow {
        id: id.clone(),
        provider_id,
        kind,
        name,
        model_name,
        category,
        credits_cost: credits,
        output_credits_cost: output,
        config,
        is_active: input.is_active.unwrap_or(true),
        public_name: check_public_name(input.public_name.as_deref())?.flatten(),
        route_priority: check_route("route_priority", input.route_priority, -1000, 1000)?
            .unwrap_or(0),
        route_weight: check_route("route_weight", input.route_weight, 1, 1000)?.unwrap_or(1),
    };
    state
        .db
        .write(move |tx| store::insert_model(tx, &row, &now))
        .await?;
    get_model(state, &id).await
}

#[tracing::instrument(skip(state, patch))]
pub async fn update_model(
    state: &AppState,
    id: &str,
    patch: ModelPatch,
) -> Result<Model, RegistryError> {
    let current = get_model(state, id).await?;
    if current.builtin {
        return Err(RegistryError::Conflict(
            "built-in models cannot be changed".into(),
        ));
    }
    let update = store::ModelUpdate {
        name: patch
            .name
            .as_deref()
            .map(|n| validate::name("name", n, 100))
            .transpose()?,
        model_name: patch
            .model_name
            .as_deref()
            .map(|n| validate::name("model_name", n, 200))
            .transpose()?,
        category: patch
            .category
            .as_deref()
            .map(|c| {
                validate::optional_text("category", Some(c), 50).map(Option::unwrap_or_default)
            })
            .transpose()?,
        config: check_config(patch.config)?,
        credits_cost: check_price("credits_cost", patch.credits_cost)?,
        output_credits_cost: check_price("output_credits_cost", patch.output_credits_cost)?,
        is_active: patch.is_active,
        public_name: check_public_name(patch.public_name.as_deref())?,
        route_priority: check_route("route_priority", patch.route_priority, -1000, 1000)?,
        route_weight: check_route("route_weight", patch.route_weight, 1, 1000)?,
    };
    if update.is_active == Some(false) && current.is_default {
        return Err(RegistryError::Conflict(format!(
            "{} is the default {} model: choose another default first",
            current.name,
            kind_name(current.kind)
        )));
    }
    let (id2, now) = (id.to_string(), rfc3339(state.clock.now()));
    state
        .db
        .write(move |tx| store::update_model(tx, &id2, &update, &now))
        .await?;
    get_model(state, id).await
}

/// `Some(None)`: back to the model name (`""`); `Some(Some(name))`: a name of its own.
fn check_public_name(name: Option<&str>) -> Result<Option<Option<String>>, RegistryError> {
    match name.map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(n) => Ok(Some(Some(validate::name("public_name", n, 200)?))),
    }
}

fn check_route(
    field: &'static str,
    value: Option<i64>,
    min: i64,
    max: i64,
) -> Result<Option<i64>, RegistryError> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(invalid(
            field,
            format!("{field} is between {min} and {max} (got {v})"),
        )),
        v => Ok(v),
    }
}

pub async fn set_pricing(state: &AppState, id: &str, p: Pricing) -> Result<Model, RegistryError> {
    update_model(
        state,
        id,
        ModelPatch {
            credits_cost: Some(p.credits_cost),
            output_credits_cost: p.output_credits_cost,
            ..Default::default()
        },
    )
    .await
}

#[tracing::instrument(skip(state))]
pub async fn delete_model(state: &AppState, id: &str) -> Result<(), RegistryError> {
    let m = get_model(state, id).await?;
    if m.builtin {
        return Err(RegistryError::Conflict(
            "built-in models cannot be deleted".into(),
        ));
    }
    if m.is_default {
        return Err(RegistryError::Conflict(format!(
            "{} is the default {} model: choose another default first",
            m.name,
            kind_name(m.kind)
        )));
    }
    let (id2, now) = (id.to_string(), rfc3339(state.clock.now()));
    state
        .db
        .write(move |tx| store::delete_model(tx, &id2, &now))
        .await?;
    Ok(())
}

// ------------------------------------------------------------------------------------------ config

/// Provider calls at once across the instance, as configured when the process starts (the limiter
/// is made once; a change takes effect at the next start, as `PATCH /admin/config` says).
pub fn startup_concurrency(db: &crate::db::Db) -> usize {
    db.read_sync(store::config)
        .map(|c| c.max_concurrency.clamp(1, 64) as usize)
        .unwrap_or(4)
}

pub async fn get_config(state: &AppState) -> Result<AiConfig, RegistryError> {
    Ok(state.db.read(store::config).await?)
}

#[tracing::instrument(skip(state, patch))]
pub async fn patch_config(state: &AppState, patch: ConfigPatch) -> Result<AiConfig, RegistryError> {
    check_concurrency(patch.max_concurrency)?;
    if let Some(Some(cap)) = patch.cost_cap {
        check_price("cost_cap", Some(cap)).map_err(|_| {
            invalid(
                "cost_cap",
                "cost_cap is 0–1000000 credits, or null for none",
            )
        })?;
    }
    let mut defaults = Vec::new();
    for (k, v) in patch.default_models.unwrap_or_default() {
        let kind = KINDS
            .into_iter()
            .find(|kind| kind_name(*kind) == k)
            .ok_or_else(|| {
                invalid(
                    "default_models",
                    format!("default_models has no kind '{k}' (llm, image, video, tts, asr)"),
                )
            })?;
        let field: &'static str = match kind {
            ModelKind::Llm => "default_models.llm",
            ModelKind::Image => "default_models.image",
            ModelKind::Video => "default_models.video",
            ModelKind::Tts => "default_models.tts",
            ModelKind::Asr => "default_models.asr",
            ModelKind::Embedding => "default_models.embedding",
        };
        let id = match v {
            Value::Null => None,
            Value::String(s) => {
                let m = get_model(state, &s)
                    .await
                    .map_err(|_| invalid(field, format!("{field}: no model '{s}'")))?;
                if m.kind != kind {
                    return Err(invalid(
                        field,
                        format!("{field}: {} is a {} model", m.name, kind_name(m.kind)),
                    ));
                }
                if !m.is_active || !m.provider_enabled {
                    return Err(invalid(
                        field,
                        format!(
                            "{field}: {} is inactive or its provider is disabled",
                            m.name
                        ),
                    ));
                }
                Some(s)
            }
            _ => return Err(invalid(field, format!("{field} is a model id or null"))),
        };
        defaults.push((kind, id));
    }
    state
        .db
        .write(move |tx| {
            store::write_config(
                tx,
                &defaults,
                patch.max_concurrency,
                patch.cost_cap,
                patch.payment_sandbox,
            )
        })
        .await?;
    get_config(state).await
}

// ------------------------------------------------------------------------------------------ resolving

/// The model a node calls, with what is needed to call it (`target` is None for built-ins).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub model: Model,
    pub target: Option<ModelTarget>,
}

impl Resolved {
    pub fn is_builtin(&self) -> bool {
        self.target.is_none()
    }
}

/// The remote model a request would use, or `None` for the built-in one: the built-in was picked,
/// or nothing is configured and nothing was asked for (the offline path). Asking for a model that
/// does not exist stays an error.
pub async fn resolve_remote(
    state: &AppState,
    kind: ModelKind,
    selector: Option<&str>,
) -> Result<Option<Resolved>, RegistryError> {
    match resolve(state, kind, selector).await {
        Ok(r) if r.is_builtin() => Ok(None),
        Ok(r) => Ok(Some(r)),
        Err(RegistryError::NotFound(_)) if selector.is_none() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Resolves a node's `provider` setting: `<kind>.default` (or nothing) is the configured default of
/// that kind; anything else is a model id (`builtin.animatic`, …).
#[tracing::instrument(skip(state))]
pub async fn resolve(
    state: &AppState,
    kind: ModelKind,
    selector: Option<&str>,
) -> Result<Resolved, RegistryError> {
    let selector = selector.map(str::trim).filter(|s| !s.is_empty());
    let default_name = format!("{}.default", kind_name(kind));
    let id = match selector {
        None => None,
        Some(s) if s == default_name => None,
        Some(s) => Some(s.to_string()),
    };
    let id = match id {
        Some(id) => id,
        None => get_config(state)
            .await?
            .default_models
            .get(kind)
            .cloned()
            .ok_or_else(|| {
                RegistryError::NotFound(format!(
                    "default {0} model is configured for '{0}.default': add a provider and choose \
                     the default in Settings → Providers & Models",
                    kind_name(kind)
                ))
            })?,
    };
    let model = get_model(state, &id)
        .await
        .map_err(|_| RegistryError::NotFound(format!("the model '{id}'")))?;
    if model.kind != kind {
        return Err(invalid(
            "provider",
            format!(
                "{} is a {} model, not {}",
                model.name,
                kind_name(model.kind),
                kind_name(kind)
            ),
        ));
    }
    if !model.is_active || !model.provider_enabled {
        return Err(RegistryError::Conflict(format!(
            "{} is inactive or its provider is disabled",
            model.name
        )));
    }
    if model.builtin {
        return Ok(Resolved {
            model,
            target: None,
        });
    }
    let provider = get_provider(state, &model.provider_id).await?;
    let target = target_for(state, &provider, Some(&model)).await?;
    Ok(Resolved {
        model,
        target: Some(target),
    })
}

/// The provider with this name and base URL, if any.
pub async fn provider_named(
    state: &AppState,
    name: &str,
    base_url: &str,
) -> Result<Option<Provider>, RegistryError> {
    let (n, b) = (name.to_string(), base_url.to_string());
    Ok(state
        .db
        .read(move |c| store::provider_by_name(c, &n, &b))
        .await?)
}

/// One channel of the model router: a model serving a public name, and how to call it.
#[derive(Debug, Clone)]
pub struct Channel {
    pub model: Model,
    pub target: ModelTarget,
}

/// The channels serving `public_name` for `kind`, highest priority first (none: no such model).
#[tracing::instrument(skip(state))]
pub async fn router_channels(
    state: &AppState,
    kind: ModelKind,
    public_name: &str,
) -> Result<Vec<Channel>, RegistryError> {
    let name = public_name.to_string();
    // One read for the models, their providers and the providers' sealed keys: the router asks
    // this on every call, and each separate read is a hop to a blocking thread and back.
    let found = state
        .db
        .read(move |c| {
            let mut found = Vec::new();
            for model in store::router_channels(c, kind, Some(&name))? {
                let provider = store::provider(c, &model.provider_id)?
                    .ok_or_else(|| RegistryError::NotFound("provider".into()))?;
                let sealed = if provider.has_api_key {
                    store::sealed_secret(c, &provider.id)?
                } else {
                    None
                };
                found.push((model, provider, sealed));
            }
            Ok::<_, RegistryError>(found)
        })
        .await?;
    let mut channels = Vec::with_capacity(found.len());
    for (model, provider, sealed) in found {
        let target = target_with_secret(state, &provider, Some(&model), sealed).await?;
        channels.push(Channel { model, target });
    }
    Ok(channels)
}

/// Every model the router serves, of the kinds it speaks (one entry per channel).
pub async fn router_catalog(state: &AppState) -> Result<Vec<Model>, RegistryError> {
    let mut all = Vec::new();
    for kind in [
        ModelKind::Llm,
        ModelKind::Image,
        ModelKind::Tts,
        ModelKind::Asr,
        ModelKind::Embedding,
    ] {
        all.extend(
            state
                .db
                .read(move |c| store::router_channels(c, kind, None))
                .await?,
        );
    }
    Ok(all)
}

async fn target_for(
    state: &AppState,
    p: &Provider,
    model: Option<&Model>,
) -> Result<ModelTarget, RegistryError> {
    let sealed = if p.has_api_key {
        let pid = p.id.clone();
        state
            .db
            .read(move |c| store::sealed_secret(c, &pid))
            .await?
    } else {
        None
    };
    target_with_secret(state, p, model, sealed).await
}

/// [`target_for`] with the provider's sealed key already read.
async fn target_with_secret(
    state: &AppState,
    p: &Provider,
    model: Option<&Model>,
    sealed: Option<Vec<u8>>,
) -> Result<ModelTarget, RegistryError> {
    let api_key = if p.has_api_key {
        Some(
            state
                .provider_secrets
                .get(&p.id, sealed.as_deref())
                .await
                .map_err(RegistryError::Secret)?,
        )
    } else {
        None
    };
    Ok(ModelTarget {
        provider_id: p.id.clone(),
        adapter: p.adapter,
        base_url: p.base_url.clone(),
        api_key,
        model_name: model.map(|m| m.model_name.clone()).unwrap_or_default(),
        config: model
            .map(|m| m.config.clone())
            .unwrap_or_else(|| serde_json::json!({})),
        max_concurrency: p.max_concurrency as usize,
    })
}
