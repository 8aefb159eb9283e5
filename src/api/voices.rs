//! HTTP handlers for voices: the voices a TTS model offers (for the character form's picker) and
//! auditions (thin: parse, check scope, call `registry::voices`).
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::{Principal, Scope},
    registry::voices::{self, PreviewRequest, VoiceList},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_voices))
        .routes(routes!(preview_voice))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VoicesQuery {
    /// A TTS model id (`builtin.espeak`, …); absent: the default TTS model.
    pub provider: Option<String>,
    /// Only voices for this language (`zh`, `en`, `en-us`); absent: all.
    pub language: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/voices", tag = "characters", params(VoicesQuery),
    responses(
        (status = 200, description = "The model's voices, for a picker", body = VoiceList),
        (status = 401, body = ErrorBody),
        (status = 422, description = "No such TTS model (field `provider`) or a bad `language`", body = ErrorBody)))]
pub async fn list_voices(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<VoicesQuery>,
) -> Result<Json<VoiceList>, ApiError> {
    principal.require(Scope::Read)?;
    let list = voices::list_voices(&state, q.provider.as_deref(), q.language.as_deref()).await?;
    Ok(Json(list))
}

#[utoipa::path(post, path = "/api/v1/voices/preview", tag = "characters",
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The line spoken (a WAV); `X-Voice` and `X-Voice-Pitch` say which voice a description mapped to",
         content_type = "audio/wav", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Empty or too long `text`, or a paid `provider`", body = ErrorBody)))]
pub async fn preview_voice(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> Result<Response, ApiError> {
    // Changes nothing, but spends the machine's time: for those who edit characters.
    principal.require(Scope::Write)?;
    let preview = voices::preview(&state, req).await?;
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"))],
        preview.wav,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&preview.voice) {
        headers.insert("x-voice", v);
    }
    if let Some(p) = preview.pitch {
        headers.insert("x-voice-pitch", HeaderValue::from(u16::from(p)));
    }
    headers.insert("x-duration-ms", HeaderValue::from(preview.duration_ms));
    Ok(response)
}
