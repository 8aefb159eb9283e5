//! HTTP handlers for voices: the voices a TTS model offers (for the character form's picker) and
//! auditions (thin: parse, check scope, call `registry::voices`).
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::access::{with_policy, Policy};
use super::principal::Principal;
use super::{
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Scope,
    providers::voices as voice_map,
    registry::voices::{self, PreviewRequest, VoiceList},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_voices))
        .merge(with_policy(
            OpenApiRouter::new().routes(routes!(preview_voice, preview_voice_get)),
            Policy::Audition,
        ))
        .routes(routes!(match_voice))
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// A TTS model id; absent: the default TTS model.
    pub provider: Option<String>,
    /// A voice name or a description; absent: the language's voice.
    pub voice: Option<String>,
    /// What to say, 1–200 characters.
    pub text: String,
}

/// `POST /voices/preview` as a GET, so a page can fetch an audition as a plain download.
#[utoipa::path(get, path = "/api/v1/voices/preview", tag = "characters", params(PreviewQuery),
    responses(
        (status = 200, description = "The line spoken (a WAV), as for the POST", content_type = "audio/wav", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Empty or too long `text`, or a paid `provider`", body = ErrorBody)))]
pub async fn preview_voice_get(
    state: State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> Result<Response, ApiError> {
    let req = PreviewRequest {
        provider: q.provider,
        voice: q.voice,
        text: q.text,
    };
    preview_voice(state, principal, ApiJson(req)).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchQuery {
    /// A voice name or a description (`温柔女声，略带沙哑`).
    pub voice: Option<String>,
    /// The language of the lines (`zh`, `en`); absent: `zh`.
    pub language: Option<String>,
}

/// Which built-in voice a character's `voice` stands for.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoiceMatch {
    /// The espeak-ng voice (`cmn+f3`).
    pub voice: String,
    /// The espeak-ng pitch (0–99) when the description moved it.
    pub pitch: Option<u8>,
    /// Whether `voice` was read as a description (and mapped) rather than a voice name.
    pub described: bool,
    pub note: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/voices/match", tag = "characters", params(MatchQuery),
    responses(
        (status = 200, description = "The nearest built-in voice (a description never fails)", body = VoiceMatch),
        (status = 401, body = ErrorBody),
        (status = 422, description = "A `voice` over 200 characters", body = ErrorBody)))]
pub async fn match_voice(
    principal: Principal,
    ApiQuery(q): ApiQuery<MatchQuery>,
) -> Result<Json<VoiceMatch>, ApiError> {
    principal.require(Scope::Read)?;
    let voice = q.voice.as_deref().map(str::trim).filter(|v| !v.is_empty());
    if voice.is_some_and(|v| v.chars().count() > 200) {
        return Err(ApiError::validation(
            "voice",
            "a voice is at most 200 characters",
        ));
    }
    let language = q.language.as_deref().unwrap_or("zh");
    let choice = voice_map::choose(voice, language);
    Ok(Json(VoiceMatch {
        described: voice.is_some_and(|v| !voice_map::is_voice_name(v)),
        voice: choice.voice,
        pitch: choice.pitch,
        note: choice.note,
    }))
}
