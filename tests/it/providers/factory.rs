//! The adapter factory: which adapter/kind pairs exist, what the providers say about themselves,
//! and that the key never reaches Debug output.

use serde_json::json;
use storyloom::providers::{adapters, AdapterKind, ModelKind, ProviderErrorKind, ProviderInfo};

use super::support;

fn comfy_config() -> serde_json::Value {
    json!({"workflow": {"6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}},
                        "10": {"class_type": "LoadImage", "inputs": {"image": "x.png"}}},
           "nodes": {"prompt": "6", "image": "10"}})
}

/// Builds `kind` from `adapter`; `Ok((id, model, debug))` or the error.
fn build(
    adapter: AdapterKind,
    kind: ModelKind,
) -> Result<(String, String, String), storyloom::providers::ProviderError> {
    let config = if adapter == AdapterKind::Comfyui {
        comfy_config()
    } else {
        json!({})
    };
    let t = support::target(adapter, "http://127.0.0.1:9/v1", "model-x", config);
    fn info<P: ProviderInfo + ?Sized>(p: &P, debug: String) -> (String, String, String) {
        (p.id().to_owned(), p.model().to_owned(), debug)
    }
    Ok(match kind {
        ModelKind::Llm => {
            let p = adapters::llm(&t)?;
            info(p.as_ref(), String::new())
        }
        ModelKind::Image => {
            let p = adapters::image(&t)?;
            info(p.as_ref(), String::new())
        }
        ModelKind::Video => {
            let p = adapters::video(&t)?;
            info(p.as_ref(), String::new())
        }
        ModelKind::Tts => {
            let p = adapters::tts(&t)?;
            info(p.as_ref(), String::new())
        }
        ModelKind::Asr => {
            let p = adapters::asr(&t)?;
            info(p.as_ref(), format!("{t:?}"))
        }
        // Only the model router calls embedding models; no studio provider is built for them.
        ModelKind::Embedding => unreachable!("the factory builds no embedding provider"),
    })
}

#[test]
fn factory_builds_exactly_the_documented_pairs() {
    use AdapterKind::*;
    use ModelKind::*;
    let supported = [
        (OpenaiCompatible, Llm),
        (OpenaiCompatible, Image),
        (OpenaiCompatible, Tts),
        (OpenaiCompatible, Asr),
        (Dashscope, Image),
        (Dashscope, Video),
        (Comfyui, Image),
        (Comfyui, Video),
    ];
    for adapter in [Builtin, OpenaiCompatible, Dashscope, Comfyui] {
        for kind in [Llm, Image, Video, Tts, Asr] {
            let got = build(adapter, kind);
            if supported.contains(&(adapter, kind)) {
                let (id, model, debug) = got.unwrap_or_else(|e| panic!("{adapter} {kind}: {e}"));
                assert_eq!(id, format!("test-{adapter}"));
                assert_eq!(model, "model-x");
                assert!(!debug.contains("sk-test-secret"), "{debug}");
            } else {
                let e = got
                    .err()
                    .unwrap_or_else(|| panic!("{adapter} {kind} should not exist"));
                assert_eq!(e.kind, ProviderErrorKind::Invalid);
                assert!(
                    e.message.contains(adapter.as_str()) && e.message.contains(kind.as_str()),
                    "{adapter} {kind}: {}",
                    e.message
                );
            }
        }
    }
}

#[test]
fn factory_refuses_bad_targets() {
    let mut t = support::target(
        AdapterKind::OpenaiCompatible,
        "ftp://example.com",
        "m",
        json!({}),
    );
    let e = adapters::image(&t).err().unwrap();
    assert!(e.message.contains("base_url"), "{}", e.message);
    t.base_url = "http://127.0.0.1:9".into();
    t.config = json!(["not", "an", "object"]);
    assert!(adapters::tts(&t).is_err());
    // A ComfyUI model without a workflow fails when it is built, not when it is first called.
    let t = support::target(
        AdapterKind::Comfyui,
        "http://127.0.0.1:9",
        "m",
        json!({"nodes": {"prompt": "6"}}),
    );
    let e = adapters::image(&t).err().unwrap();
    assert!(e.message.contains("workflow"), "{}", e.message);
}

#[tokio::test]
async fn every_adapter_maps_connection_refused_to_retryable_unavailable() {
    use storyloom::providers::{AsrRequest, ImageRequest, LlmRequest, TtsRequest, VideoRequest};
    let base = support::refused_base();
    let ctx = support::ctx_ms(2_000);
    let t = |adapter, config| support::target(adapter, &base, "m", config);
    let image = ImageRequest {
        prompt: "p".into(),
        width: 64,
        height: 64,
        ..ImageRequest::default()
    };
    let video = VideoRequest {
        image: support::png(2, 2),
        prompt: "p".into(),
        ..VideoRequest::default()
    };
    let llm_req = LlmRequest {
        messages: vec![storyloom::providers::ChatMessage::user("hi")],
        ..LlmRequest::default()
    };
    let errors = vec![
        (
            "chat",
            adapters::llm(&t(AdapterKind::OpenaiCompatible, json!({})))
                .unwrap()
                .complete(llm_req, &ctx)
                .await
                .err(),
        ),
        (
            "images",
            adapters::image(&t(AdapterKind::OpenaiCompatible, json!({})))
                .unwrap()
                .generate(image.clone(), &ctx)
                .await
                .err(),
        ),
        (
            "speech",
            adapters::tts(&t(AdapterKind::OpenaiCompatible, json!({})))
                .unwrap()
                .speak(
                    TtsRequest {
                        text: "hi".into(),
                        ..TtsRequest::default()
                    },
                    &ctx,
                )
                .await
                .err(),
        ),
        (
            "asr",
            adapters::asr(&t(AdapterKind::OpenaiCompatible, json!({})))
                .unwrap()
                .transcribe(
                    AsrRequest {
                        audio: vec![1],
                        ..AsrRequest::default()
                    },
                    &ctx,
                )
                .await
                .err(),
        ),
        (
            "dashscope image",
            adapters::image(&t(AdapterKind::Dashscope, json!({})))
                .unwrap()
                .generate(image.clone(), &ctx)
                .await
                .err(),
        ),
        (
            "dashscope video",
            adapters::video(&t(AdapterKind::Dashscope, json!({})))
                .unwrap()
                .animate(video.clone(), &ctx)
                .await
                .err(),
        ),
        (
            "comfyui image",
            adapters::image(&t(AdapterKind::Comfyui, comfy_config()))
                .unwrap()
                .generate(image, &ctx)
                .await
                .err(),
        ),
        (
            "comfyui video",
            adapters::video(&t(AdapterKind::Comfyui, comfy_config()))
                .unwrap()
                .animate(video, &ctx)
                .await
                .err(),
        ),
    ];
    for (name, err) in errors {
        let err = err.unwrap_or_else(|| panic!("{name}: nothing listens, yet it succeeded"));
        assert_eq!(err.kind, ProviderErrorKind::Unavailable, "{name}: {err}");
        assert!(err.retryable(), "{name}");
    }
}
