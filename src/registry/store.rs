//! The registry's SQL: every query on `ai_providers`, `ai_models` and the `ai.*` settings.
use crate::db::sql::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use super::{
    kind_name, AdapterKind, AiConfig, DefaultModels, Model, ModelKind, PriceUnit, Provider,
    RegistryError, KINDS,
};
use crate::db::DbError;

fn adapter_of(s: &str) -> AdapterKind {
    match s {
        "openai_compatible" => AdapterKind::OpenaiCompatible,
        "dashscope" => AdapterKind::Dashscope,
        "comfyui" => AdapterKind::Comfyui,
        _ => AdapterKind::Builtin,
    }
}

pub(super) fn adapter_name(a: AdapterKind) -> &'static str {
    match a {
        AdapterKind::Builtin => "builtin",
        AdapterKind::OpenaiCompatible => "openai_compatible",
        AdapterKind::Dashscope => "dashscope",
        AdapterKind::Comfyui => "comfyui",
    }
}

fn kind_of(s: &str) -> ModelKind {
    KINDS
        .into_iter()
        .chain([ModelKind::Embedding])
        .find(|k| kind_name(*k) == s)
        .unwrap_or(ModelKind::Llm)
}

const PROVIDER_COLUMNS: &str = "id, name, adapter, base_url, secret_masked, enabled, max_concurrency, builtin, created_at, updated_at";

fn provider_row(r: &Row<'_>) -> crate::db::sql::Result<Provider> {
    let masked: Option<String> = r.get(4)?;
    Ok(Provider {
        id: r.get(0)?,
        name: r.get(1)?,
        adapter: adapter_of(&r.get::<_, String>(2)?),
        base_url: r.get(3)?,
        has_api_key: masked.is_some(),
        api_key_masked: masked,
        enabled: r.get(5)?,
        max_concurrency: r.get(6)?,
        builtin: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

pub(super) fn list_providers(
    c: &Connection,
    offset: u64,
    limit: u32,
) -> Result<(Vec<Provider>, u64), DbError> {
    let total: i64 = c.query_row("SELECT COUNT(*) FROM ai_providers", [], |r| r.get(0))?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {PROVIDER_COLUMNS} FROM ai_providers ORDER BY builtin DESC, created_at, id LIMIT ?1 OFFSET ?2"
    ))?;
    let items = stmt
        .query_map(params![limit, offset as i64], provider_row)?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok((items, total as u64))
}

/// Cached, as is [`sealed_secret`]: the model router reads both on every call.
pub(super) fn provider(c: &Connection, id: &str) -> Result<Option<Provider>, DbError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {PROVIDER_COLUMNS} FROM ai_providers WHERE id = ?1"
    ))?
    .query_row([id], provider_row)
    .optional()?)
}

pub(super) fn provider_by_name(
    c: &Connection,
    name: &str,
    base_url: &str,
) -> Result<Option<Provider>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {PROVIDER_COLUMNS} FROM ai_providers WHERE lower(name) = lower(?1) AND base_url = ?2 AND builtin = 0"),
        params![name, base_url],
        provider_row,
    )
    .optional()?)
}

pub(super) fn sealed_secret(c: &Connection, id: &str) -> Result<Option<Vec<u8>>, DbError> {
    Ok(
        c.prepare_cached("SELECT secret_sealed FROM ai_providers WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten(),
    )
}

pub(super) struct ProviderRow {
    pub id: String,
    pub name: String,
    pub adapter: AdapterKind,
    pub base_url: String,
    pub secret_sealed: Option<Vec<u8>>,
    pub secret_masked: Option<String>,
    pub enabled: bool,
    pub max_concurrency: u32,
}

fn unique_name(e: crate::db::sql::Error, name: &str) -> RegistryError {
    match e {
        e if e.is_constraint_violation() => RegistryError::Conflict(format!(
            "a provider named '{name}' with this base URL exists already"
        )),
        other => other.into(),
    }
}

pub(super) fn insert_provider(
    c: &Connection,
    p: &ProviderRow,
    now: &str,
) -> Result<(), RegistryError> {
    c.execute(
        "INSERT INTO ai_providers (id, name, adapter, base_url, secret_sealed, secret_masked, enabled,
                                   max_concurrency, builtin, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?9)",
        params![p.id, p.name, adapter_name(p.adapter), p.base_url, p.secret_sealed, p.secret_masked,
                p.enabled, p.max_concurrency, now],
    )
    .map_err(|e| unique_name(e, &p.name))?;
    Ok(())
}

pub(super) struct ProviderUpdate {
    pub name: Option<String>,
    pub adapter: Option<AdapterKind>,
    pub base_url: Option<String>,
    /// (sealed bytes, mask): `Some((None, None))` removes the key.
    pub secret: Option<(Option<Vec<u8>>, Option<String>)>,
    pub enabled: Option<bool>,
    pub max_concurrency: Option<u32>,
}

pub(super) fn update_provider(
    c: &Connection,
    id: &str,
    u: &ProviderUpdate,
    now: &str,
) -> Result<(), RegistryError> {
    let (set_secret, sealed, masked) = match &u.secret {
        Some((s, m)) => (true, s.clone(), m.clone()),
        None => (false, None, None),
    };
    c.execute(
        "UPDATE ai_providers SET name = COALESCE(?2, name), adapter = COALESCE(?3, adapter),
                base_url = COALESCE(?4, base_url),
                secret_sealed = CASE WHEN ?5 THEN ?6 ELSE secret_sealed END,
                secret_masked = CASE WHEN ?5 THEN ?7 ELSE secret_masked END,
                enabled = COALESCE(?8, enabled), max_concurrency = COALESCE(?9, max_concurrency),
                updated_at = ?10
         WHERE id = ?1 AND builtin = 0",
        params![
            id,
            u.name,
            u.adapter.map(adapter_name),
            u.base_url,
            set_secret,
            sealed,
            masked,
            u.enabled,
            u.max_concurrency,
            now
        ],
    )
    .map_err(|e| unique_name(e, u.name.as_deref().unwrap_or("")))?;
    Ok(())
}

// ------------------------------------------------------------------------------------------ models

const MODEL_SELECT: &str =
    "SELECT m.id, m.provider_id, p.name, m.kind, m.name, m.model_name, m.category,
        m.credits_cost, m.output_credits_cost, m.config, m.is_active, m.builtin, m.popularity,
        m.created_at, m.updated_at, p.adapter, p.enabled,
        EXISTS (SELECT 1 FROM settings s WHERE s.key = 'ai.default.' || m.kind AND s.value = m.id),
        COALESCE(m.public_name, m.model_name), m.route_priority, m.route_weight
     FROM ai_models m JOIN ai_providers p ON p.id = m.provider_id";

fn model_row(r: &Row<'_>) -> crate::db::sql::Result<Model> {
    let kind = kind_of(&r.get::<_, String>(3)?);
    let config: String = r.get(9)?;
    let config = crate::db::json_column("ai_models.config", &config, serde_json::json!({}));
    Ok(Model {
        id: r.get(0)?,
        provider_id: r.get(1)?,
        provider: r.get(2)?,
        kind,
        name: r.get(4)?,
        model_name: r.get(5)?,
        category: r.get(6)?,
        credits_cost: r.get(7)?,
        output_credits_cost: r.get(8)?,
        unit: PriceUnit::of(kind),
        config,
        is_active: r.get(10)?,
        builtin: r.get(11)?,
        popularity: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        provider_enabled: r.get(16)?,
        is_default: r.get(17)?,
        public_name: r.get(18)?,
        route_priority: r.get(19)?,
        route_weight: r.get(20)?,
    })
}

pub(super) fn model(c: &Connection, id: &str) -> Result<Option<Model>, DbError> {
    Ok(c.query_row(
        &format!("{MODEL_SELECT} WHERE m.id = ?1 AND m.deleted_at IS NULL"),
        [id],
        model_row,
    )
    .optional()?)
}

pub(super) fn first_active_model(
    c: &Connection,
    provider_id: &str,
) -> Result<Option<Model>, DbError> {
    Ok(c.query_row(
        &format!(
            "{MODEL_SELECT} WHERE m.provider_id = ?1 AND m.deleted_at IS NULL AND m.is_active = 1
                  ORDER BY m.kind = 'llm' DESC, m.created_at LIMIT 1"
        ),
        [provider_id],
        model_row,
    )
    .optional()?)
}

/// The model router's channels: active models of `kind` on enabled OpenAI-compatible providers,
/// all of them or those serving `public_name`, highest priority first.
pub(super) fn router_channels(
    c: &Connection,
    kind: ModelKind,
    public_name: Option<&str>,
) -> Result<Vec<Model>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "{MODEL_SELECT} WHERE m.deleted_at IS NULL AND m.is_active = 1 AND p.enabled = 1
              AND m.builtin = 0 AND p.adapter = 'openai_compatible' AND m.kind = ?1
              AND (?2 IS NULL OR COALESCE(m.public_name, m.model_name) = ?2)
         ORDER BY COALESCE(m.public_name, m.model_name), m.route_priority DESC, m.id"
    ))?;
    let rows = stmt
        .query_map(params![kind_name(kind), public_name], model_row)?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok(rows)
}

/// `GET /models` filters (all optional).
#[derive(Debug, Clone, Default)]
pub struct ModelFilter {
    pub kind: Option<ModelKind>,
    pub category: Option<String>,
    /// A provider id or name.
    pub provider: Option<String>,
    pub is_active: Option<bool>,
    pub search: Option<String>,
    /// `popularity`, `price` or `name`.
    pub sort_by: Option<String>,
    pub descending: bool,
}

pub(super) fn list_models(
    c: &Connection,
    f: &ModelFilter,
    offset: u64,
    limit: u32,
) -> Result<(Vec<Model>, u64), DbError> {
    let search = f.search.as_deref().map(|s| {
        format!(
            "%{}%",
            s.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    let filter = "FROM ai_models m JOIN ai_providers p ON p.id = m.provider_id
        WHERE m.deleted_at IS NULL
          AND (?1 IS NULL OR m.kind = ?1)
          AND (?2 IS NULL OR m.category = ?2)
          AND (?3 IS NULL OR p.id = ?3 OR lower(p.name) = lower(?3))
          AND (?4 IS NULL OR m.is_active = ?4)
          AND (?5 IS NULL OR m.name LIKE ?5 ESCAPE '\\' OR m.model_name LIKE ?5 ESCAPE '\\'
               OR p.name LIKE ?5 ESCAPE '\\')";
    let kind = f.kind.map(kind_name);
    let args = params![kind, f.category, f.provider, f.is_active, search];
    let total: i64 = c.query_row(&format!("SELECT COUNT(*) {filter}"), args, |r| r.get(0))?;
    let dir = if f.descending { "DESC" } else { "ASC" };
    let order = match f.sort_by.as_deref() {
        Some("price") => format!("m.credits_cost {dir}, m.name"),
        Some("name") => format!("lower(m.name) {dir}"),
        Some("popularity") => format!("m.popularity {dir}, m.name"),
        _ => "m.builtin DESC, m.kind, m.created_at".to_string(),
    };
    let sql = format!(
        "{} {filter} ORDER BY {order}, m.id LIMIT ?6 OFFSET ?7",
        &MODEL_SELECT[..MODEL_SELECT.find("FROM ai_models").unwrap_or(0)]
    );
    let mut stmt = c.prepare(&sql)?;
    let items = stmt
        .query_map(
            params![
                kind,
                f.category,
                f.provider,
                f.is_active,
                search,
                limit,
                offset as i64
            ],
            model_row,
        )?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    Ok((items, total as u64))
}

pub(super) struct ModelRow {
    pub id: String,
    pub provider_id: String,
    pub kind: ModelKind,
    pub name: String,
    pub model_name: String,
    pub category: String,
    pub credits_cost: i64,
    pub output_credits_cost: i64,
    pub config: Value,
    pub is_active: bool,
    pub public_name: Option<String>,
    pub route_priority: i64,
    pub route_weight: i64,
}

pub(super) fn insert_model(c: &Connection, m: &ModelRow, now: &str) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO ai_models (id, provider_id, kind, name, model_name, category, credits_cost,
                                output_credits_cost, config, is_active, created_at, updated_at,
                                public_name, route_priority, route_weight)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14)",
        params![
            m.id,
            m.provider_id,
            kind_name(m.kind),
            m.name,
            m.model_name,
            m.category,
            m.credits_cost,
            m.output_credits_cost,
            m.config.to_string(),
            m.is_active,
            now,
            m.public_name,
            m.route_priority,
            m.route_weight
        ],
    )?;
    Ok(())
}

pub(super) struct ModelUpdate {
    pub name: Option<String>,
    pub model_name: Option<String>,
    pub category: Option<String>,
    pub config: Option<Value>,
    pub credits_cost: Option<i64>,
    pub output_credits_cost: Option<i64>,
    pub is_active: Option<bool>,
    /// `Some(None)` clears it (back to the model name).
    pub public_name: Option<Option<String>>,
    pub route_priority: Option<i64>,
    pub route_weight: Option<i64>,
}

pub(super) fn update_model(
    c: &Connection,
    id: &str,
    u: &ModelUpdate,
    now: &str,
) -> Result<(), DbError> {
    c.execute(
        "UPDATE ai_models SET name = COALESCE(?2, name), model_name = COALESCE(?3, model_name),
                category = COALESCE(?4, category), config = COALESCE(?5, config),
                credits_cost = COALESCE(?6, credits_cost), output_credits_cost = COALESCE(?7, output_credits_cost),
                is_active = COALESCE(?8, is_active), updated_at = ?9,
                public_name = CASE WHEN ?10 THEN ?11 ELSE public_name END,
                route_priority = COALESCE(?12, route_priority),
                route_weight = COALESCE(?13, route_weight)
         WHERE id = ?1 AND builtin = 0 AND deleted_at IS NULL",
        params![id, u.name, u.model_name, u.category, u.config.as_ref().map(Value::to_string),
                u.credits_cost, u.output_credits_cost, u.is_active, now,
                u.public_name.is_some(), u.public_name.clone().flatten(),
                u.route_priority, u.route_weight],
    )?;
    Ok(())
}

/// Soft delete: usage rows and assets keep naming the model.
pub(super) fn delete_model(c: &Connection, id: &str, now: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE ai_models SET deleted_at = ?2, is_active = 0, updated_at = ?2 WHERE id = ?1 AND builtin = 0",
        params![id, now],
    )?;
    Ok(())
}

/// Counts a call of the model (the catalog's popularity).
pub(crate) fn count_use(c: &Connection, id: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE ai_models SET popularity = popularity + 1 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

// ------------------------------------------------------------------------------------------ config

fn setting(c: &Connection, key: &str) -> Result<Option<String>, DbError> {
    Ok(
        c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?,
    )
}

pub(super) fn config(c: &Connection) -> Result<AiConfig, DbError> {
    let d = |k: ModelKind| setting(c, &format!("ai.default.{}", kind_name(k)));
    Ok(AiConfig {
        default_models: DefaultModels {
            llm: d(ModelKind::Llm)?,
            image: d(ModelKind::Image)?,
            video: d(ModelKind::Video)?,
            tts: d(ModelKind::Tts)?,
            asr: d(ModelKind::Asr)?,
        },
        max_concurrency: setting(c, "ai.max_concurrency")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(4),
        cost_cap: setting(c, "ai.cost_cap")?.and_then(|v| v.parse().ok()),
        payment_sandbox: setting(c, "payments.sandbox")?.is_some_and(|v| v == "true"),
    })
}

pub(super) fn write_config(
    c: &Connection,
    defaults: &[(ModelKind, Option<String>)],
    max_concurrency: Option<u32>,
    cost_cap: Option<Option<i64>>,
    payment_sandbox: Option<bool>,
) -> Result<(), DbError> {
    let put = |key: String, value: Option<String>| -> Result<(), DbError> {
        match value {
            Some(v) => c.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, v],
            )?,
            None => c.execute("DELETE FROM settings WHERE key = ?1", [key])?,
        };
        Ok(())
    };
    for (kind, id) in defaults {
        put(format!("ai.default.{}", kind_name(*kind)), id.clone())?;
    }
    if let Some(n) = max_concurrency {
        put("ai.max_concurrency".into(), Some(n.to_string()))?;
    }
    if let Some(cap) = cost_cap {
        put("ai.cost_cap".into(), cap.map(|v| v.to_string()))?;
    }
    if let Some(on) = payment_sandbox {
        put("payments.sandbox".into(), Some(on.to_string()))?;
    }
    Ok(())
}

/// The cost cap that applies to a project: its own, else the instance's default.
pub(crate) fn project_cost_cap(c: &Connection, project_id: &str) -> Result<Option<i64>, DbError> {
    let own: Option<i64> = c
        .query_row(
            "SELECT cost_cap FROM projects WHERE id = ?1",
            [project_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    match own {
        Some(v) => Ok(Some(v)),
        None => Ok(setting(c, "ai.cost_cap")?.and_then(|v| v.parse().ok())),
    }
}
