//! The voices a TTS model offers (for the character form's picker) and auditions: one line spoken
//! in a voice, so a voice can be heard before a run uses it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{invalid, resolve, RegistryError, Resolved};
use crate::{
    providers::{
        voices::{self, VoiceInfo},
        CallContext, EspeakTts, ModelKind, TtsProvider, TtsRequest,
    },
    AppState,
};

/// An audition is a sentence or two, not a script.
pub const PREVIEW_MAX_CHARS: usize = 200;

/// What a picker shows for one TTS model.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoiceList {
    /// The model's id (`builtin.espeak`, …).
    pub provider: String,
    /// The language asked for, if any.
    pub language: Option<String>,
    pub voices: Vec<VoiceInfo>,
    /// espeak-ng's variants, appended to a voice with `+` (`cmn+f3`); empty for other models.
    pub variants: Vec<VoiceInfo>,
    /// A description (`温柔女声`) is also a valid voice: it is mapped to the nearest one.
    pub accepts_descriptions: bool,
    /// Why the list is empty, when it is (espeak-ng is not installed).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// A TTS model id; absent: the default TTS model.
    pub provider: Option<String>,
    /// A voice name or a description; absent: the language's voice.
    pub voice: Option<String>,
    /// What to say, 1–200 characters; its language picks the voice's language.
    pub text: String,
}

/// One spoken line.
#[derive(Debug, Clone)]
pub struct Preview {
    pub wav: Vec<u8>,
    pub duration_ms: u64,
    /// The voice espeak-ng was asked for (a description's mapping).
    pub voice: String,
    pub pitch: Option<u8>,
    pub note: Option<String>,
}

/// The TTS model `provider` names (absent: the default), as a field error when it is no such model.
async fn tts_model(state: &AppState, provider: Option<&str>) -> Result<Resolved, RegistryError> {
    resolve(state, ModelKind::Tts, provider)
        .await
        .map_err(|e| match e {
            RegistryError::NotFound(m) => invalid("provider", format!("{m} not found")),
            RegistryError::Invalid { message, .. } => invalid("provider", message),
            other => other,
        })
}

/// The voices of a TTS model: espeak-ng's installed voices for `language` (`--voices=<lang>`),
/// or the fixed list of an OpenAI-compatible speech model.
pub async fn list_voices(
    state: &AppState,
    provider: Option<&str>,
    language: Option<&str>,
) -> Result<VoiceList, RegistryError> {
    let language = language.map(str::trim).filter(|l| !l.is_empty());
    if let Some(l) = language {
        let ok = l.len() <= 16 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(invalid(
                "language",
                "a language code such as zh, cmn or en-us",
            ));
        }
    }
    let model = tts_model(state, provider).await?;
    let mut list = VoiceList {
        provider: model.model.id.clone(),
        language: language.map(str::to_owned),
        voices: Vec::new(),
        variants: Vec::new(),
        accepts_descriptions: model.is_builtin(),
        note: None,
    };
    if !model.is_builtin() {
        list.voices = voices::openai_voices();
        return Ok(list);
    }
    let tts = EspeakTts::new(&state.config.espeak_path);
    // `zh` is how people write Chinese; espeak-ng lists Mandarin under `cmn` and `zh`.
    match tts.list_voices(language).await {
        Some(found) => {
            list.voices = found;
            list.variants = tts.list_voices(Some("variant")).await.unwrap_or_default();
        }
        None => list.note = Some(crate::providers::ESPEAK_NOT_FOUND_NOTE.to_owned()),
    }
    Ok(list)
}

/// Speaks `text` in `voice` on the built-in model. A paid model's voices are heard in a run, where
/// the call is held and charged; an audition here costs nothing.
pub async fn preview(state: &AppState, req: PreviewRequest) -> Result<Preview, RegistryError> {
    let text = req.text.trim();
    if text.is_empty() {
        return Err(invalid("text", "say something: the text is empty"));
    }
    let chars = text.chars().count();
    if chars > PREVIEW_MAX_CHARS {
        return Err(invalid(
            "text",
            format!("an audition is at most {PREVIEW_MAX_CHARS} characters; this is {chars}"),
        ));
    }
    if req
        .voice
        .as_deref()
        .is_some_and(|v| v.chars().count() > 200)
    {
        return Err(invalid("voice", "a voice is at most 200 characters"));
    }
    let model = tts_model(state, req.provider.as_deref()).await?;
    if !model.is_builtin() {
        return Err(invalid(
            "provider",
            format!(
                "{} is a paid model: auditions use the built-in voices",
                model.model.name
            ),
        ));
    }
    let tts_req = TtsRequest {
        text: text.to_owned(),
        voice: req.voice.filter(|v| !v.trim().is_empty()),
        language: voices::language_of(text).to_owned(),
        speed: 1.0,
    };
    let choice = EspeakTts::choose(&tts_req);
    let call = CallContext::new(
        format!("voice-preview:{}", state.ids.new_id()),
        std::time::Duration::from_secs(30),
    );
    let audio = EspeakTts::new(&state.config.espeak_path)
        .speak(tts_req, &call)
        .await
        .map_err(|e| invalid("text", e.message))?;
    Ok(Preview {
        wav: audio.wav,
        duration_ms: audio.duration_ms,
        voice: choice.voice,
        pitch: choice.pitch,
        note: audio.note.or(choice.note),
    })
}
