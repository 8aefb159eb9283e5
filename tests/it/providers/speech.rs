//! OpenAI's audio API: `/audio/speech` (a streamed WAV) and `/audio/transcriptions` (multipart).

use std::time::{Duration, Instant};

use axum::{http::StatusCode, response::Response};
use serde_json::json;
use storyloom::providers::{
    self, call_with_retry, wav, AdapterKind, AsrRequest, ProviderErrorKind, ProviderLimiter,
    TtsRequest,
};

use super::support::{self, serve, typed};

/// A WAV as OpenAI streams it: 24 kHz mono 16-bit, the RIFF and data sizes left at 0xFFFFFFFF.
fn streamed_wav(ms: u64) -> Vec<u8> {
    let mut w = wav::silent_wav(ms, 24_000);
    w[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    w[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    w
}

fn speech(base: &str, config: serde_json::Value) -> std::sync::Arc<dyn providers::TtsProvider> {
    providers::adapters::tts(&support::target(
        AdapterKind::OpenaiCompatible,
        &format!("{base}/v1"),
        "tts-1",
        config,
    ))
    .unwrap()
}

fn say(text: &str) -> TtsRequest {
    TtsRequest {
        text: text.into(),
        voice: None,
        language: "zh".into(),
        speed: 1.25,
    }
}

#[tokio::test]
async fn openai_speech_success() {
    let fake = serve(|_, _| async {
        let mut r = typed(StatusCode::OK, "audio/wav", streamed_wav(1500));
        r.headers_mut()
            .insert("x-request-id", "req_tts_9".parse().unwrap());
        r
    })
    .await;
    let p = speech(&fake.base, json!({"voice": "nova"}));
    let out = p
        .speak(say("你好，我是林晓。"), &support::ctx_ms(5_000))
        .await
        .unwrap();
    assert_eq!(out.duration_ms, 1500);
    assert_eq!(out.request_id.as_deref(), Some("req_tts_9"));
    let riff = u32::from_le_bytes(out.wav[4..8].try_into().unwrap()) as usize;
    assert_eq!(
        riff + 8,
        out.wav.len(),
        "the placeholder header was rewritten"
    );
    let seen = fake.requests();
    assert_eq!(seen[0].path, "/v1/audio/speech");
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer sk-test-secret")
    );
    assert_eq!(
        seen[0].json(),
        json!({"model": "tts-1", "input": "你好，我是林晓。", "voice": "nova", "response_format": "wav", "speed": 1.25})
    );
}

#[tokio::test]
async fn openai_speech_429_then_success_and_500_gives_up() {
    let fake = serve(|_, n| async move {
        if n == 0 {
            support::openai_429()
        } else {
            typed(StatusCode::OK, "audio/wav", streamed_wav(200))
        }
    })
    .await;
    let p = speech(&fake.base, json!({}));
    let ctx = support::ctx_ms(5_000);
    let slots = ProviderLimiter::new(None).for_provider(p.as_ref());
    let start = Instant::now();
    let (out, attempts) = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.speak(say("hi"), &ctx)
    })
    .await
    .unwrap();
    assert_eq!((out.duration_ms, attempts), (200, 2));
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        fake.requests()[1].json()["voice"],
        "alloy",
        "the default voice"
    );

    let fake = serve(|_, _| async { support::openai_500() }).await;
    let p = speech(&fake.base, json!({}));
    let err = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.speak(say("hi"), &ctx)
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Upstream { status: 500 });
    assert_eq!(fake.count("/v1/audio/speech"), 3);
}

#[tokio::test]
async fn openai_speech_refuses_what_is_not_a_wav() {
    let fake = serve(|_, n| async move {
        match n {
            0 => typed(
                StatusCode::OK,
                "audio/mpeg",
                b"ID3\x04\x00\x00\x00\x00\x00\x00mp3 frames".to_vec(),
            ),
            1 => typed(StatusCode::OK, "text/html", support::HTML_PAGE),
            _ => typed(
                StatusCode::OK,
                "audio/wav",
                streamed_wav(1000)[..30].to_vec(),
            ),
        }
    })
    .await;
    let p = speech(&fake.base, json!({}));
    for expected in [
        "is not a PCM WAV (not a RIFF/WAVE file)",
        "text/html, not audio/",
        "is not a PCM WAV",
    ] {
        let err = p
            .speak(say("hi"), &support::ctx_ms(5_000))
            .await
            .unwrap_err();
        assert!(!err.retryable(), "{expected}");
        assert!(
            err.message.contains(expected),
            "{expected}: {}",
            err.message
        );
    }
}

#[tokio::test]
async fn openai_speech_timeout() {
    let fake = serve(|_, _| support::sleepy()).await;
    let start = Instant::now();
    let err = speech(&fake.base, json!({}))
        .speak(say("hi"), &support::ctx_ms(200))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Timeout);
    assert!(start.elapsed() < Duration::from_secs(3));
}

fn asr(base: &str, config: serde_json::Value) -> std::sync::Arc<dyn providers::AsrProvider> {
    providers::adapters::asr(&support::target(
        AdapterKind::OpenaiCompatible,
        &format!("{base}/v1"),
        "whisper-1",
        config,
    ))
    .unwrap()
}

fn clip() -> AsrRequest {
    AsrRequest {
        audio: wav::silent_wav(300, 16_000),
        filename: "line-3.wav".into(),
        mime: "audio/wav".into(),
        language: Some("zh".into()),
        timestamps: false,
    }
}

#[tokio::test]
async fn openai_transcription_success() {
    let fake = serve(|_, _| async {
        support::json(
            StatusCode::OK,
            json!({"task": "transcribe", "language": "chinese", "duration": 2.5, "text": "你好，我是林晓。",
                   "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": 2.5, "text": "你好，我是林晓。"}]}),
        )
    })
    .await;
    let p = asr(&fake.base, json!({"response_format": "verbose_json"}));
    let t = p.transcribe(clip(), &support::ctx_ms(5_000)).await.unwrap();
    assert_eq!(
        (t.text.as_str(), t.duration_ms),
        ("你好，我是林晓。", Some(2500))
    );
    let seen = &fake.to("/v1/audio/transcriptions")[0];
    assert_eq!(seen.header("authorization"), Some("Bearer sk-test-secret"));
    let fields = seen.multipart().await;
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let file = field("file");
    assert_eq!(file.filename.as_deref(), Some("line-3.wav"));
    assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
    assert_eq!(file.bytes.as_ref(), clip().audio.as_slice());
    assert_eq!(field("model").bytes.as_ref(), b"whisper-1");
    assert_eq!(field("response_format").bytes.as_ref(), b"verbose_json");
    assert_eq!(field("language").bytes.as_ref(), b"zh");
}

#[tokio::test]
async fn openai_transcription_failures() {
    let fake = serve(|_, n| async move {
        match n {
            0 => support::openai_429(),
            1 => support::json(StatusCode::OK, json!({"text": "ok"})),
            2 => typed(StatusCode::OK, "application/json", r#"{"text": "你好"#),
            3 => support::json(StatusCode::OK, json!({"transcript": "wrong field"})),
            _ => Response::builder()
                .status(503)
                .body("upstream connect error".into())
                .unwrap(),
        }
    })
    .await;
    let p = asr(&fake.base, json!({}));
    let ctx = support::ctx_ms(5_000);
    let slots = ProviderLimiter::new(None).for_provider(p.as_ref());
    let (t, attempts) = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.transcribe(clip(), &ctx)
    })
    .await
    .unwrap();
    assert_eq!((t.text.as_str(), t.duration_ms, attempts), ("ok", None, 2));
    assert_eq!(
        fake.requests()[1]
            .multipart()
            .await
            .iter()
            .find(|f| f.name == "response_format")
            .unwrap()
            .bytes
            .as_ref(),
        b"json"
    );
    for expected in ["truncated JSON", "expected shape"] {
        let err = p.transcribe(clip(), &ctx).await.unwrap_err();
        assert!(
            err.message.contains(expected),
            "{expected}: {}",
            err.message
        );
    }
    let err = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.transcribe(clip(), &ctx)
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Upstream { status: 503 });
    assert_eq!(fake.count("/v1/audio/transcriptions"), 7);
}
