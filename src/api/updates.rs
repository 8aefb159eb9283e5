//! HTTP handlers for desktop updates (docs/API-UPDATES.md): the instance admin uploads and
//! withdraws builds; the desktop's updater asks, without signing in, whether a newer one exists
//! and downloads it.
use axum::{
    extract::{DefaultBodyLimit, FromRequest, Path, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    access::{with_policy, Policy},
    error::{ApiError, ErrorBody},
    extract::ApiQuery,
    principal::Principal,
    upload::UploadForm,
};
use crate::{
    auth::Scope,
    paging::{Page, PageSpec},
    updates::{self, NewRelease, Release, UpdateManifest},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    // Builds are large: the upload enforces its own per-file limit while streaming to the store.
    let admin = OpenApiRouter::new()
        .routes(routes!(list_releases, upload_release))
        .routes(routes!(withdraw_release))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(with_policy(admin, Policy::InstanceAdmin))
        .routes(routes!(check_update))
        .routes(routes!(download_artifact))
}

/// The multipart form of `POST /admin/updates` (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReleaseUploadForm {
    /// `linux`, `windows` or `darwin`.
    target: String,
    /// `x86_64`, `aarch64`, `i686` or `armv7`.
    arch: String,
    /// Semantic version (a leading `v` is dropped).
    version: String,
    notes: Option<String>,
    /// The content of the artifact's `.sig` file (`tauri signer sign`).
    signature: String,
    /// The updater artifact (`.AppImage`, `.msi`, `.nsis.zip`, `.app.tar.gz`, …).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(post, path = "/api/v1/admin/updates", tag = "updates",
    request_body(content = inline(ReleaseUploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Published: desktops on an older version of this platform are offered it", body = Release),
        (status = 409, description = "This version was already uploaded for this platform", body = ErrorBody),
        (status = 413, description = "The file is over the upload limit", body = ErrorBody),
        (status = 422, description = "`target`, `arch`, `version`, `signature` (not a .sig file's content, or not verifying against the instance's update key) or `file`", body = ErrorBody)))]
pub async fn upload_release(
    State(state): State<AppState>,
    principal: Principal,
    req: Request,
) -> Result<(StatusCode, Json<Release>), ApiError> {
    principal.require(Scope::Admin)?;
    let form = UploadForm::from_request(req, &state).await?;
    let result = publish(&state, &principal, &form).await;
    if result.is_err() {
        let shas = form.files.iter().map(|f| f.blob.sha256.clone()).collect();
        crate::assets::discard_unreferenced(&state, shas).await;
    }
    Ok((StatusCode::CREATED, Json(result?)))
}

async fn publish(
    state: &AppState,
    principal: &Principal,
    form: &UploadForm,
) -> Result<Release, ApiError> {
    let file = form.require_file(&["file"])?;
    let input = NewRelease {
        target: form.require_text("target")?.to_string(),
        arch: form.require_text("arch")?.to_string(),
        version: form.require_text("version")?.to_string(),
        notes: form.text("notes").unwrap_or_default().to_string(),
        signature: form.require_text("signature")?.to_string(),
        filename: file.filename.clone(),
    };
    Ok(updates::publish(state, &principal.user_id, input, &file.blob).await?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListReleasesQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip; wins over `page`.
    pub skip: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/admin/updates", tag = "updates", params(ListReleasesQuery),
    responses((status = 200, description = "Every uploaded build, newest first, withdrawn ones too", body = Page<Release>)))]
pub async fn list_releases(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListReleasesQuery>,
) -> Result<Json<Page<Release>>, ApiError> {
    principal.require(Scope::Admin)?;
    let spec = PageSpec::resolve(q.page, q.limit, q.skip)?;
    let (items, total) = updates::list(&state, spec).await?;
    Ok(Json(Page::new(items, total, spec)))
}

#[utoipa::path(delete, path = "/api/v1/admin/updates/{id}", tag = "updates", params(("id" = String, Path)),
    responses(
        (status = 200, description = "Withdrawn: no longer offered (desktops that installed it keep it)", body = Release),
        (status = 404, body = ErrorBody)))]
pub async fn withdraw_release(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Release>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(updates::withdraw(&state, &id).await?))
}

#[utoipa::path(get, path = "/api/v1/updates/{target}/{arch}/{current_version}", tag = "updates",
    params(("target" = String, Path, description = "`linux`, `windows` or `darwin` (the updater's `{{target}}`)"),
        ("arch" = String, Path, description = "`x86_64`, `aarch64`, `i686` or `armv7` (the updater's `{{arch}}`)"),
        ("current_version" = String, Path, description = "The desktop's version (the updater's `{{current_version}}`)")),
    security(()),
    responses(
        (status = 200, description = "A newer build: what tauri-plugin-updater reads", body = UpdateManifest),
        (status = 204, description = "The desktop is current"),
        (status = 422, description = "`target`, `arch` or `current_version` not what the updater sends", body = ErrorBody)))]
pub async fn check_update(
    State(state): State<AppState>,
    Path((target, arch, current)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = super::extract::public_origin(&state, &headers)
        .unwrap_or_else(|| "http://localhost".into());
    Ok(
        match updates::check(&state, &target, &arch, &current, &base).await? {
            Some(manifest) => Json(manifest).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}

#[utoipa::path(get, path = "/api/v1/updates/artifacts/{id}", tag = "updates",
    params(("id" = String, Path, description = "A release id")),
    security(()),
    responses(
        (status = 200, description = "The build's file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The part a `Range` header asked for", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "No such build, or withdrawn", body = ErrorBody)))]
pub async fn download_artifact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (release, path) = updates::artifact(&state, &id).await?;
    let response = super::files::serve(&headers, &path, "application/octet-stream").await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        release
            .filename
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
            .collect::<String>()
    );
    let response = super::files::with_header(
        response,
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    Ok(super::files::with_header(
        response,
        header::ETAG,
        HeaderValue::from_str(&format!("\"{}\"", release.sha256))
            .unwrap_or_else(|_| HeaderValue::from_static("\"\"")),
    ))
}
