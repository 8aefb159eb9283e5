//! HTTP handlers for the AI registry (docs/API-PROVIDERS.md): the admin's providers and global
//! configuration, and the model catalog (reads for everyone signed in, writes for the admin).
use crate::paging::{Page, PageSpec};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    registry::{
        self, AiConfig, ConfigPatch, Model, ModelFilter, ModelKind, ModelPatch, NewModel,
        NewProvider, Pricing, Provider, ProviderPatch, ProviderTest, TestRequest,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    let admin = OpenApiRouter::new()
        .routes(routes!(list_providers, create_provider))
        .routes(routes!(patch_provider))
        .routes(routes!(enable_provider))
        .routes(routes!(disable_provider))
        .routes(routes!(test_provider))
        .routes(routes!(get_config, patch_config))
        .routes(routes!(put_pricing));
    let catalog = OpenApiRouter::new()
        .routes(routes!(list_models, create_model))
        .routes(routes!(search_models))
        .routes(routes!(get_model, put_model, delete_model));
    with_policy(admin, Policy::InstanceAdmin)
        .merge(with_policy(catalog, Policy::PersonReadsAdminWrites))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/admin/providers", tag = "providers", params(PageQuery),
    responses((status = 200, description = "Providers, the built-in one first", body = Page<Provider>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_providers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<Provider>>, ApiError> {
    principal.require(Scope::Admin)?;
    let spec = PageSpec::resolve(q.page, q.limit, None)?;
    let (items, total) = registry::list_providers(&state, spec.offset, spec.limit).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/admin/providers", tag = "providers", request_body = NewProvider,
    responses((status = 201, description = "Created; the key is stored and only its mask returned", body = Provider),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_provider(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewProvider>,
) -> Result<(StatusCode, Json<Provider>), ApiError> {
    principal.require(Scope::Admin)?;
    Ok((
        StatusCode::CREATED,
        Json(registry::create_provider(&state, input).await?),
    ))
}

#[utoipa::path(patch, path = "/api/v1/admin/providers/{id}", tag = "providers",
    params(("id" = String, Path, description = "Provider id")), request_body = ProviderPatch,
    responses((status = 200, body = Provider), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "The built-in provider", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn patch_provider(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ProviderPatch>,
) -> Result<Json<Provider>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(registry::update_provider(&state, &id, patch).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/providers/{id}/enable", tag = "providers",
    params(("id" = String, Path, description = "Provider id")),
    responses((status = 200, body = Provider), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enable_provider(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Provider>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(
        registry::set_provider_enabled(&state, &id, true).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/admin/providers/{id}/disable", tag = "providers",
    params(("id" = String, Path, description = "Provider id")),
    responses((status = 200, body = Provider), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn disable_provider(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Provider>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(
        registry::set_provider_enabled(&state, &id, false).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/admin/providers/{id}/test", tag = "providers",
    params(("id" = String, Path, description = "Provider id")), request_body(content = TestRequest, content_type = "application/json"),
    responses((status = 200, description = "A real minimal call: its latency, or the upstream's error with `ok: false`", body = ProviderTest),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn test_provider(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ProviderTest>, ApiError> {
    principal.require(Scope::Admin)?;
    // The body is optional: nothing tests the provider's first active model.
    let req: TestRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TestRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::validation(
                "model_id",
                format!("the body must be {{\"model_id\": \"…\"}}: {e}"),
            )
        })?
    };
    Ok(Json(registry::test_provider(&state, &id, req).await?))
}

#[utoipa::path(get, path = "/api/v1/admin/config", tag = "providers",
    responses((status = 200, body = AiConfig), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_config(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<AiConfig>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(registry::get_config(&state).await?))
}

#[utoipa::path(patch, path = "/api/v1/admin/config", tag = "providers", request_body = ConfigPatch,
    responses((status = 200, body = AiConfig), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`field` names the bad setting, e.g. `default_models.llm`", body = ErrorBody)))]
pub async fn patch_config(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(patch): ApiJson<ConfigPatch>,
) -> Result<Json<AiConfig>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(registry::patch_config(&state, patch).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModelsQuery {
    #[param(minimum = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub kind: Option<ModelKind>,
    pub category: Option<String>,
    /// A provider id or name.
    pub provider: Option<String>,
    pub is_active: Option<bool>,
    pub search: Option<String>,
    /// `popularity`, `price` or `name`.
    #[param(pattern = "^(popularity|price|name)$")]
    pub sort_by: Option<String>,
    /// `asc` or `desc`.
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
}

fn model_filter(q: ModelsQuery) -> Result<(ModelFilter, PageSpec), ApiError> {
    let spec = PageSpec::resolve(q.page, q.limit, None)?;
    if let Some(s) = &q.sort_by {
        if !matches!(s.as_str(), "popularity" | "price" | "name") {
            return Err(ApiError::validation(
                "sort_by",
                "sort_by is popularity, price or name",
            ));
        }
    }
    let descending = match q.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::validation("order", "order is asc or desc")),
    };
    Ok((
        ModelFilter {
            kind: q.kind,
            category: q.category,
            provider: q.provider,
            is_active: q.is_active,
            search: q.search.filter(|s| !s.trim().is_empty()),
            sort_by: q.sort_by,
            descending,
        },
        spec,
    ))
}

#[utoipa::path(get, path = "/api/v1/models", tag = "providers", params(ModelsQuery),
    responses((status = 200, description = "The model catalog with prices", body = Page<Model>),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_models(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ModelsQuery>,
) -> Result<Json<Page<Model>>, ApiError> {
    // The catalog is for anyone signed in; an API key needs its `read` scope.
    principal.require(Scope::Read)?;
    let (filter, spec) = model_filter(q)?;
    let (items, total) = registry::list_models(&state, filter, spec.offset, spec.limit).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words in the model's name, model name or provider.
    pub q: Option<String>,
    #[param(minimum = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/models/search", tag = "providers", params(SearchQuery),
    responses((status = 200, body = Page<Model>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search_models(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Page<Model>>, ApiError> {
    principal.require(Scope::Read)?;
    let spec = PageSpec::resolve(q.page, q.limit, None)?;
    let filter = ModelFilter {
        search: q.q.filter(|s| !s.trim().is_empty()),
        sort_by: Some("popularity".into()),
        descending: true,
        ..Default::default()
    };
    let (items, total) = registry::list_models(&state, filter, spec.offset, spec.limit).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(post, path = "/api/v1/models", tag = "providers", request_body = NewModel,
    responses((status = 201, body = Model), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_model(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewModel>,
) -> Result<(StatusCode, Json<Model>), ApiError> {
    principal.require(Scope::Admin)?;
    Ok((
        StatusCode::CREATED,
        Json(registry::create_model(&state, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/models/{id}", tag = "providers",
    params(("id" = String, Path, description = "Model id")),
    responses((status = 200, body = Model), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_model(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Model>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(registry::get_model(&state, &id).await?))
}

#[utoipa::path(put, path = "/api/v1/models/{id}", tag = "providers",
    params(("id" = String, Path, description = "Model id")), request_body = ModelPatch,
    responses((status = 200, body = Model), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_model(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ModelPatch>,
) -> Result<Json<Model>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(registry::update_model(&state, &id, patch).await?))
}

#[utoipa::path(delete, path = "/api/v1/models/{id}", tag = "providers",
    params(("id" = String, Path, description = "Model id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "A default or built-in model", body = ErrorBody)))]
pub async fn delete_model(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Admin)?;
    registry::delete_model(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/admin/models/{id}/pricing", tag = "providers",
    params(("id" = String, Path, description = "Model id")), request_body = Pricing,
    responses((status = 200, body = Model), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_pricing(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<Pricing>,
) -> Result<Json<Model>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(registry::set_pricing(&state, &id, p).await?))
}
