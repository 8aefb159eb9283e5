//! HTTP handlers for sign-in with an OpenID Connect provider (docs/API-WORKSPACES.md, "Sign-in
//! with a provider"). The browser navigates through these (they answer with redirects); the UI
//! reads the outcome from the address it is sent back to: `/#/oauth/done?access_token=…` or
//! `/#/sign-in?oauth_error=…`. Tokens travel in the fragment, which browsers never send to a
//! server, so they stay out of access logs and Referer headers.
use axum::{
    extract::{Path, RawQuery, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    access::{with_policy, Policy},
    error::{ApiError, ErrorBody},
    extract::{public_origin, ApiJson},
    principal::Principal,
};
use crate::{
    accounts::oauth::{self, Finished, Identity, OAuthError, ProviderInfo},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    let signed_in = OpenApiRouter::new()
        .routes(routes!(oauth_link))
        .routes(routes!(oauth_identities));
    OpenApiRouter::new()
        .routes(routes!(oauth_providers))
        .routes(routes!(oauth_desktop_token))
        .routes(routes!(oauth_start))
        .routes(routes!(oauth_callback))
        .merge(with_policy(signed_in, Policy::Person))
}

fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn base(state: &AppState, headers: &HeaderMap) -> String {
    public_origin(state, headers).unwrap_or_else(|| "http://localhost".into())
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Back to the sign-in page, saying what went wrong.
fn failed(e: &OAuthError) -> Response {
    tracing::warn!(error = %e, "a provider sign-in failed");
    Redirect::to(&format!(
        "/#/sign-in?oauth_error={}&oauth_message={}",
        e.code(),
        encode(&e.to_string())
    ))
    .into_response()
}

#[utoipa::path(get, path = "/api/v1/auth/oauth/providers", tag = "accounts", security(()),
    responses((status = 200, description = "The providers this instance offers (none when the admin configured none)", body = Vec<ProviderInfo>)))]
pub async fn oauth_providers(State(state): State<AppState>) -> Json<Vec<ProviderInfo>> {
    Json(oauth::providers(&state))
}

#[utoipa::path(get, path = "/api/v1/auth/oauth/{provider}", tag = "accounts", security(()),
    params(("provider" = String, Path, description = "A configured provider (`github`, `google`, `oidc`, `wechat`, `feishu`)"),
        ("return_to" = Option<String>, Query, description = "The app's page to end on (`/#/…`)"),
        ("desktop_redirect" = Option<String>, Query, description = "A desktop signing in through the system browser: its loopback address (`http://127.0.0.1:<port>/…`), where the browser ends with a one-time `code`"),
        ("desktop_challenge" = Option<String>, Query, description = "With `desktop_redirect`: the S256 challenge of the verifier the desktop keeps (43 base64url characters)")),
    responses((status = 303, description = "To the provider's sign-in page (or back to the sign-in page with `oauth_error`)"),
        (status = 422, description = "`desktop_redirect` not a loopback http address with a port, or `desktop_challenge` not an S256 challenge", body = ErrorBody)))]
pub async fn oauth_start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = query.as_deref();
    let return_to = query_value(q, "return_to");
    let desktop = match (
        query_value(q, "desktop_redirect"),
        query_value(q, "desktop_challenge"),
    ) {
        (None, None) => None,
        (redirect, challenge) => match oauth::desktop_return(
            redirect.as_deref().unwrap_or_default(),
            challenge.as_deref().unwrap_or_default(),
        ) {
            Ok(d) => Some(d),
            // The desktop's own mistake: said plainly, not sent anywhere.
            Err((field, message)) => return ApiError::validation(field, message).into_response(),
        },
    };
    match oauth::start(
        &state,
        &provider,
        &base(&state, &headers),
        return_to.as_deref(),
        None,
        desktop,
    )
    .await
    {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => failed(&e),
    }
}

#[utoipa::path(get, path = "/api/v1/auth/oauth/{provider}/callback", tag = "accounts", security(()),
    params(("provider" = String, Path), ("code" = Option<String>, Query), ("state" = Option<String>, Query),
        ("error" = Option<String>, Query)),
    responses((status = 303, description = "To `/#/oauth/done?access_token=…&refresh_token=…&expires_in=…&return_to=…`, or to `/#/sign-in?oauth_error=CODE&oauth_message=…`")))]
pub async fn oauth_callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = query.as_deref();
    let finished = oauth::finish(
        &state,
        &provider,
        &base(&state, &headers),
        query_value(q, "code").as_deref(),
        query_value(q, "state").as_deref(),
        query_value(q, "error").as_deref(),
    )
    .await;
    match finished {
        Ok(Finished::Browser { session, return_to }) => {
            let t = &session.tokens;
            Redirect::to(&format!(
                "/#/oauth/done?access_token={}&refresh_token={}&expires_in={}&return_to={}",
                encode(&t.access_token),
                encode(&t.refresh_token),
                t.expires_in,
                encode(&return_to)
            ))
            .into_response()
        }
        Ok(Finished::Desktop { redirect }) => Redirect::to(&redirect).into_response(),
        Err(e) => failed(&e),
    }
}

/// `POST /auth/oauth/desktop/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesktopToken {
    /// The one-time code the browser brought to the desktop's loopback address.
    pub code: String,
    /// The verifier whose S256 challenge the sign-in was started with.
    pub code_verifier: String,
}

#[utoipa::path(post, path = "/api/v1/auth/oauth/desktop/token", tag = "accounts", security(()),
    request_body = DesktopToken,
    responses((status = 200, description = "Signed in: the same answer as `/auth/login`", body = crate::accounts::Session),
        (status = 401, description = "The code is unknown, used, expired, or the verifier does not match its challenge", body = ErrorBody),
        (status = 403, description = "The account is suspended", body = ErrorBody)))]
pub async fn oauth_desktop_token(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<DesktopToken>,
) -> Result<Json<crate::accounts::Session>, ApiError> {
    match oauth::desktop_session(&state, &input.code, &input.code_verifier).await {
        Ok(session) => Ok(Json(session)),
        Err(OAuthError::State) => Err(ApiError::new(
            super::error::ErrorCode::AuthInvalid,
            "this sign-in code is unknown, used or expired, or the verifier does not match: sign in again",
        )),
        Err(OAuthError::Account(e)) => Err(e.into()),
        Err(other) => Err(ApiError::new(
            super::error::ErrorCode::UpstreamFailed,
            other.to_string(),
        )),
    }
}

/// `POST /auth/oauth/{provider}/link`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkStart {
    /// The provider's sign-in page; once there, the provider is added to the caller's account.
    pub authorize_url: String,
}

#[utoipa::path(post, path = "/api/v1/auth/oauth/{provider}/link", tag = "accounts",
    params(("provider" = String, Path)),
    responses((status = 200, body = LinkStart), (status = 404, description = "No such provider here", body = ErrorBody)))]
pub async fn oauth_link(
    State(state): State<AppState>,
    principal: Principal,
    Path(provider): Path<String>,
    headers: HeaderMap,
) -> Result<Json<LinkStart>, ApiError> {
    // A sign-in method is added by the person, signed in: never with an API key.
    if matches!(principal.credential, crate::auth::Credential::ApiKey { .. }) {
        return Err(ApiError::forbidden(
            "sign in with your password to add a sign-in method",
        ));
    }
    let url = oauth::start(
        &state,
        &provider,
        &base(&state, &headers),
        Some("/#/account"),
        Some(&principal.user_id),
        None,
    )
    .await
    .map_err(|e| match e {
        OAuthError::UnknownProvider(_) => ApiError::not_found(e.to_string()),
        other => ApiError::new(super::error::ErrorCode::UpstreamFailed, other.to_string()),
    })?;
    Ok(Json(LinkStart { authorize_url: url }))
}

#[utoipa::path(get, path = "/api/v1/auth/oauth/identities", tag = "accounts",
    responses((status = 200, description = "The providers linked to the caller's account", body = Vec<Identity>)))]
pub async fn oauth_identities(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Identity>>, ApiError> {
    principal.require(crate::auth::Scope::Read)?;
    Ok(Json(oauth::identities(&state, &principal.user_id).await?))
}
