//! The team's models on a linked desktop (issue 17): once signed in to a team server, the desktop
//! gets a provider named "Team server" whose models are the server's model router (`/v1`), so a
//! creator's runs use the team's models and are charged to the person's credits there. The
//! desktop prices them at 0 (it never grants itself credit); the server holds, meters and charges.
//!
//! Linking mints an API key on the server for this desktop (kept sealed in the registry, like any
//! provider's key) and imports the router's chat and image models; signing out revokes that key on
//! the server when it can be reached and disables the provider here.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::RemoteError;
use crate::{
    providers::{AdapterKind, ModelKind},
    registry::{self, ModelFilter, NewModel},
    AppState,
};

/// The provider's name in the desktop's registry.
pub const TEAM_PROVIDER: &str = "Team server";
/// Where the minted key's id is kept (to revoke it at sign-out).
const KEY_ID_SECRET: &str = "team-router-key-id";

/// What linking did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Linked {
    pub provider_id: String,
    /// The team's models now in the registry (new and already there).
    pub models: Vec<String>,
}

fn upstream(url: &str, what: &str, status: StatusCode, body: &Value) -> RemoteError {
    RemoteError::Upstream {
        url: url.to_string(),
        message: format!(
            "{what}: HTTP {}{}",
            status.as_u16(),
            body["detail"]
                .as_str()
                .or(body["error"]["message"].as_str())
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
    }
}

fn registry_error(e: registry::RegistryError) -> RemoteError {
    RemoteError::Internal(format!("the registry refused the team's models: {e}"))
}

/// Links the signed-in team server's model router as the "Team server" provider, or refreshes
/// its model list (models added on the server since appear; none are removed here).
#[tracing::instrument(skip(state))]
pub async fn link(state: &AppState) -> Result<Linked, RemoteError> {
    let remote = &state.remote;
    let base = remote
        .server_url()
        .await
        .ok_or_else(|| super::invalid("server_url", "not signed in to a team server"))?;
    // The list first (as the person): a server with nothing to lend gets no key minted.
    let (status, list) = remote
        .call_as_person(state.clock.as_ref(), Method::GET, "/v1/models", None)
        .await?;
    let Some(data) = list["data"].as_array().filter(|_| status.is_success()) else {
        return Err(upstream(&base, "the team's model list", status, &list));
    };
    let wanted: Vec<(&str, ModelKind)> = data
        .iter()
        .filter_map(|m| {
            let kind = match m["kind"].as_str()? {
                "llm" => ModelKind::Llm,
                "image" => ModelKind::Image,
                _ => return None, // the router speaks chat and images
            };
            Some((m["id"].as_str()?, kind))
        })
        .collect();
    if wanted.is_empty() {
        return Err(RemoteError::Upstream {
            url: base,
            message: "the team server's model router serves no chat or image model yet".into(),
        });
    }
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "this computer".into());
    let (status, key) = remote
        .call_as_person(
            state.clock.as_ref(),
            Method::POST,
            "/api/v1/users/me/api-keys",
            Some(
                json!({"name": format!("Storyloom desktop ({host})"), "scopes": ["read", "write"]}),
            ),
        )
        .await?;
    let (Some(secret), Some(key_id)) = (key["key"].as_str(), key["id"].as_str()) else {
        return Err(upstream(&base, "an API key for this desktop", status, &key));
    };
    let (secret, key_id) = (secret.to_string(), key_id.to_string());
    let router_base = format!("{base}/v1");
    let mut provider_id = registry::provider_named(state, TEAM_PROVIDER, &router_base)
        .await
        .map_err(registry_error)?
        .map(|p| p.id);
    let mut linked = Vec::new();
    for (name, kind) in wanted {
        let existing = match &provider_id {
            Some(pid) => find_model(state, pid, name).await?,
            None => None,
        };
        if existing.is_some() {
            linked.push(name.to_string());
            continue;
        }
        // The first model creates (or finds, by name and address) the provider and stores the
        // key; the rest join it.
        let created = registry::create_model(
            state,
            NewModel {
                name: format!("{name} (team)"),
                model_name: name.to_string(),
                provider: provider_id.is_none().then(|| TEAM_PROVIDER.to_string()),
                provider_id: provider_id.clone(),
                api_key: provider_id.is_none().then(|| secret.clone()),
                api_base: provider_id.is_none().then(|| router_base.clone()),
                adapter: Some(AdapterKind::OpenaiCompatible),
                kind: Some(kind),
                category: Some("team".into()),
                config: None,
                credits_cost: Some(0),
                output_credits_cost: Some(0),
                is_active: Some(true),
                public_name: None,
                route_priority: None,
                route_weight: None,
            },
        )
        .await
        .map_err(registry_error)?;
        if provider_id.is_none() {
            provider_id = Some(created.provider_id.clone());
        }
        linked.push(name.to_string());
    }
    let Some(provider_id) = provider_id else {
        return Err(RemoteError::Internal("no model was added".into()));
    };
    // A relink: the provider may have been disabled at sign-out, and holds an older key.
    registry::update_provider(
        state,
        &provider_id,
        registry::ProviderPatch {
            api_key: Some(secret),
            enabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .map_err(registry_error)?;
    let store = remote.secret_store().await;
    let old = super::run_blocking({
        let store = store.clone();
        move || store.get(KEY_ID_SECRET)
    })
    .await?;
    super::run_blocking(move || store.set(KEY_ID_SECRET, &key_id)).await?;
    if let Some(old) = old {
        revoke_key(state, &old).await;
    }
    Ok(Linked {
        provider_id,
        models: linked,
    })
}

async fn find_model(
    state: &AppState,
    provider_id: &str,
    model_name: &str,
) -> Result<Option<registry::Model>, RemoteError> {
    let filter = ModelFilter {
        provider: Some(provider_id.to_string()),
        ..Default::default()
    };
    let (models, _) = registry::list_models(state, filter, 0, 500)
        .await
        .map_err(registry_error)?;
    Ok(models.into_iter().find(|m| m.model_name == model_name))
}

/// Revokes a key this desktop minted (best effort: an unreachable server keeps it until an admin
/// or the person revokes it).
async fn revoke_key(state: &AppState, key_id: &str) {
    let path = format!("/api/v1/users/me/api-keys/{key_id}");
    match state
        .remote
        .call_as_person(state.clock.as_ref(), Method::DELETE, &path, None)
        .await
    {
        Ok((s, _)) if s.is_success() || s == StatusCode::NOT_FOUND => {}
        Ok((s, _)) => tracing::warn!(
            status = s.as_u16(),
            "the team server kept the desktop's key"
        ),
        Err(e) => tracing::warn!(error = %e, "the desktop's key could not be revoked"),
    }
}

/// Before signing out: revokes the desktop's key on the server and disables the provider here
/// (its models stay, so past runs still name them).
#[tracing::instrument(skip(state))]
pub async fn unlink(state: &AppState) {
    let store = state.remote.secret_store().await;
    let key_id = super::run_blocking({
        let store = store.clone();
        move || store.get(KEY_ID_SECRET)
    })
    .await
    .ok()
    .flatten();
    if let Some(key_id) = key_id {
        revoke_key(state, &key_id).await;
        let _ = super::run_blocking(move || store.delete(KEY_ID_SECRET)).await;
    }
    let filter = registry::ModelFilter {
        provider: Some(TEAM_PROVIDER.to_string()),
        ..Default::default()
    };
    if let Ok((models, _)) = registry::list_models(state, filter, 0, 1).await {
        if let Some(m) = models.first() {
            if let Err(e) = registry::set_provider_enabled(state, &m.provider_id, false).await {
                tracing::warn!(error = %e, "the Team server provider could not be disabled");
            }
        }
    }
}
