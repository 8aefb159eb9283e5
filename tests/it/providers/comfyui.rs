//! ComfyUI against a fake that speaks its HTTP API: `/upload/image`, `/prompt`,
//! `/history/{prompt_id}`, `/view`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{http::StatusCode, response::Response};
use serde_json::{json, Value};
use storyloom::providers::{
    self, call_with_retry, check_image, AdapterKind, ImageRequest, ProviderErrorKind,
    ProviderLimiter, VideoProvider, VideoRequest,
};

use super::support::{self, serve, typed, Recorded};

const PROMPT_ID: &str = "6d5a4c2e-3b1f-4e8a-9c7d-0123456789ab";

/// An SD1.5 text-to-image workflow in API format, as ComfyUI exports it, plus a LoadImage node.
fn workflow() -> Value {
    json!({
        "3": {"inputs": {"seed": 156680208700286u64, "steps": 20, "cfg": 8, "sampler_name": "euler", "scheduler": "normal",
                         "denoise": 1, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]},
              "class_type": "KSampler", "_meta": {"title": "KSampler"}},
        "4": {"inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}, "class_type": "CheckpointLoaderSimple", "_meta": {"title": "Load Checkpoint"}},
        "5": {"inputs": {"width": 512, "height": 512, "batch_size": 1}, "class_type": "EmptyLatentImage", "_meta": {"title": "Empty Latent Image"}},
        "6": {"inputs": {"text": "beautiful scenery", "clip": ["4", 1]}, "class_type": "CLIPTextEncode", "_meta": {"title": "Positive Prompt"}},
        "7": {"inputs": {"text": "text, watermark", "clip": ["4", 1]}, "class_type": "CLIPTextEncode", "_meta": {"title": "CLIP Text Encode (Prompt)"}},
        "8": {"inputs": {"samples": ["3", 0], "vae": ["4", 2]}, "class_type": "VAEDecode", "_meta": {"title": "VAE Decode"}},
        "9": {"inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}, "class_type": "SaveImage", "_meta": {"title": "Save Image"}},
        "10": {"inputs": {"image": "example.png"}, "class_type": "LoadImage", "_meta": {"title": "Load Image"}}
    })
}

fn comfy(base: &str, poll_ms: u64) -> providers::ModelTarget {
    support::target(
        AdapterKind::Comfyui,
        base,
        "sd15-basic",
        json!({"workflow": workflow(), "poll_ms": poll_ms,
               "nodes": {"prompt": "Positive Prompt", "negative": "7", "seed": "3", "image": "10", "width": "5"}}),
    )
}

fn queued() -> Response {
    support::json(
        StatusCode::OK,
        json!({"prompt_id": PROMPT_ID, "number": 3, "node_errors": {}}),
    )
}

fn history_done(outputs: Value) -> Response {
    support::json(
        StatusCode::OK,
        json!({PROMPT_ID: {
            "prompt": [3, PROMPT_ID, {}, {"client_id": "x"}, ["9"]],
            "outputs": outputs,
            "status": {"status_str": "success", "completed": true,
                       "messages": [["execution_start", {"prompt_id": PROMPT_ID, "timestamp": 1}],
                                    ["execution_success", {"prompt_id": PROMPT_ID, "timestamp": 2}]]},
            "meta": {"9": {"node_id": "9", "display_node": "9", "parent_node": null, "real_node_id": "9"}}
        }}),
    )
}

fn uploaded() -> Response {
    support::json(
        StatusCode::OK,
        json!({"name": "storyloom-ref.png", "subfolder": "", "type": "input"}),
    )
}

fn history_path() -> String {
    format!("/history/{PROMPT_ID}")
}

/// A ComfyUI that is queued on the first poll and done on the second.
async fn happy(r: Recorded, n: usize, outputs: Value, view: Response) -> Response {
    match r.path.as_str() {
        "/upload/image" => uploaded(),
        "/prompt" => queued(),
        p if p == history_path() && n == 0 => support::json(StatusCode::OK, json!({})),
        p if p == history_path() => history_done(outputs),
        "/view" => view,
        _ => typed(StatusCode::NOT_FOUND, "text/plain", "404: Not Found"),
    }
}

fn image_request() -> ImageRequest {
    ImageRequest {
        prompt: "雨夜的小巷".into(),
        negative_prompt: Some("blurry".into()),
        width: 768,
        height: 432,
        seed: Some(1234),
        reference_images: vec![support::png(4, 4)],
    }
}

#[tokio::test]
async fn comfyui_image_success_injects_the_workflow() {
    let fake = serve(|r, n| {
        let outputs = json!({"9": {"images": [{"filename": "ComfyUI_00042_.png", "subfolder": "shots", "type": "output"}]}});
        happy(r, n, outputs, typed(StatusCode::OK, "image/png", support::png(12, 7)))
    })
    .await;
    let p = providers::adapters::image(&comfy(&fake.base, 10)).unwrap();
    let (ctx, progress) = support::with_progress_log(support::ctx_ms(5_000));
    let out = p.generate(image_request(), &ctx).await.unwrap();
    assert_eq!(
        check_image(&out.bytes).unwrap(),
        (12, 7, "image/png".into())
    );
    assert_eq!(
        (out.seed, out.request_id.as_deref()),
        (Some(1234), Some(PROMPT_ID))
    );

    // The reference image went up first, as multipart field `image`.
    let upload = fake.to("/upload/image");
    assert_eq!(upload.len(), 1);
    let fields = upload[0].multipart().await;
    let image = fields
        .iter()
        .find(|f| f.name == "image")
        .expect("an `image` field");
    assert_eq!(image.bytes.as_ref(), support::png(4, 4).as_slice());
    assert!(image.filename.as_deref().unwrap().ends_with(".png"));
    assert_eq!(image.content_type.as_deref(), Some("image/png"));

    let body = fake.to("/prompt")[0].json();
    assert!(body["client_id"].as_str().is_some_and(|c| !c.is_empty()));
    let w = &body["prompt"];
    assert_eq!(w["6"]["inputs"]["text"], "雨夜的小巷");
    assert_eq!(w["7"]["inputs"]["text"], "blurry");
    assert_eq!(w["3"]["inputs"]["seed"], 1234);
    assert_eq!(
        (
            w["5"]["inputs"]["width"].clone(),
            w["5"]["inputs"]["height"].clone()
        ),
        (json!(768), json!(432))
    );
    assert_eq!(w["10"]["inputs"]["image"], "storyloom-ref.png");
    assert_eq!(
        w["4"],
        workflow()["4"],
        "other nodes are sent as configured"
    );

    let view = &fake.to("/view")[0];
    assert_eq!(
        view.param("filename").as_deref(),
        Some("ComfyUI_00042_.png")
    );
    assert_eq!(view.param("subfolder").as_deref(), Some("shots"));
    assert_eq!(view.param("type").as_deref(), Some("output"));
    assert_eq!(fake.count(&history_path()), 2);
    let progress = progress.lock().unwrap();
    assert!(
        progress.iter().any(|(_, m)| m == "queued or running"),
        "{progress:?}"
    );
    assert_eq!(progress.last().unwrap().0, 1.0);
}

#[tokio::test]
async fn comfyui_video_success_reads_gifs_output() {
    let fake = serve(|r, n| {
        // VideoHelperSuite's VHS_VideoCombine reports its file under `gifs`.
        let outputs = json!({
            "12": {"images": [{"filename": "preview_0001.png", "subfolder": "", "type": "temp"}]},
            "15": {"gifs": [{"filename": "AnimateDiff_00001.mp4", "subfolder": "", "type": "output", "format": "video/h264-mp4", "frame_rate": 8.0}]}
        });
        happy(r, n, outputs, typed(StatusCode::OK, "video/mp4", support::mp4()))
    })
    .await;
    let p: Arc<dyn VideoProvider> = providers::adapters::video(&comfy(&fake.base, 10)).unwrap();
    let req = VideoRequest {
        image: support::png(4, 4),
        prompt: "她转身".into(),
        duration_ms: 2000,
        width: 512,
        height: 512,
        seed: None,
    };
    let out = p.animate(req, &support::ctx_ms(5_000)).await.unwrap();
    assert_eq!((out.mime.as_str(), out.duration_ms), ("video/mp4", 2000));
    let w = &fake.to("/prompt")[0].json()["prompt"];
    assert_eq!(
        w["3"]["inputs"]["seed"],
        json!(out.seed.unwrap()),
        "a drawn seed is reported"
    );
    assert_eq!(w["10"]["inputs"]["image"], "storyloom-ref.png");
    assert_eq!(
        fake.to("/view")[0].param("filename").as_deref(),
        Some("AnimateDiff_00001.mp4")
    );
}

#[tokio::test]
async fn comfyui_node_errors_are_invalid_with_comfyuis_message() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            "/upload/image" => uploaded(),
            _ => support::json(
                StatusCode::BAD_REQUEST,
                json!({
                    "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
                    "node_errors": {"4": {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
                                                      "details": "ckpt_name: 'v1-5-pruned-emaonly.safetensors' not in []",
                                                      "extra_info": {"input_name": "ckpt_name"}}],
                                          "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"}}
                }),
            ),
        }
    })
    .await;
    let p = providers::adapters::image(&comfy(&fake.base, 10)).unwrap();
    let ctx = support::ctx_ms(5_000);
    let slots = ProviderLimiter::new(None).for_provider(p.as_ref());
    let err = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.generate(image_request(), &ctx)
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Invalid);
    assert!(
        err.message.contains("Prompt outputs failed validation")
            && err.message.contains("node 4 (CheckpointLoaderSimple)")
            && err.message.contains("not in []"),
        "{}",
        err.message
    );
    assert_eq!(fake.count("/prompt"), 1);
}

#[tokio::test]
async fn comfyui_execution_error_fails_the_call() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            "/upload/image" => uploaded(),
            "/prompt" => queued(),
            _ => support::json(StatusCode::OK, json!({PROMPT_ID: {
                "prompt": [], "outputs": {},
                "status": {"status_str": "error", "completed": false, "messages": [
                    ["execution_start", {"prompt_id": PROMPT_ID, "timestamp": 1}],
                    ["execution_error", {"prompt_id": PROMPT_ID, "node_id": "3", "node_type": "KSampler",
                                         "executed": [], "exception_message": "Allocation on device 0 would exceed allowed memory. (out of memory)\n",
                                         "exception_type": "torch.OutOfMemoryError", "traceback": [], "current_inputs": {}, "current_outputs": {}}]]},
                "meta": {}}})),
        }
    })
    .await;
    let p = providers::adapters::image(&comfy(&fake.base, 10)).unwrap();
    let err = p
        .generate(image_request(), &support::ctx_ms(5_000))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Invalid);
    assert!(
        err.message
            .contains("node 3 (KSampler): Allocation on device 0"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn comfyui_429_then_success_and_500_gives_up() {
    let fake = serve(|r, n| async move {
        match r.path.as_str() {
            "/prompt" if n == 0 => Response::builder()
                .status(429)
                .header("retry-after", "1")
                .body("Too Many Requests".into())
                .unwrap(),
            _ => {
                let outputs = json!({"9": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]}});
                // The history poll is always done here.
                happy(r, 1, outputs, typed(StatusCode::OK, "image/png", support::png(2, 2))).await
            }
        }
    })
    .await;
    let p = providers::adapters::image(&comfy(&fake.base, 10)).unwrap();
    let ctx = support::ctx_ms(5_000);
    let slots = ProviderLimiter::new(None).for_provider(p.as_ref());
    let start = Instant::now();
    let (_, attempts) = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.generate(image_request(), &ctx)
    })
    .await
    .unwrap();
    assert_eq!(attempts, 2);
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.count("/prompt"), 2);

    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            "/upload/image" => uploaded(),
            _ => typed(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                "500 Internal Server Error\n\nServer got itself in trouble",
            ),
        }
    })
    .await;
    let p = providers::adapters::image(&comfy(&fake.base, 10)).unwrap();
    let err = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.generate(image_request(), &ctx)
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Upstream { status: 500 });
    assert_eq!(fake.count("/prompt"), 3);
}

#[tokio::test]
async fn comfyui_malformed_history_and_wrong_view_type() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            "/upload/image" => uploaded(),
            "/prompt" => queued(),
            _ => typed(StatusCode::OK, "text/html", support::HTML_PAGE),
        }
    })
    .await;
    let p = providers::adapters::image(&comfy(&fake.base, 10)).unwrap();
    let err = p
        .generate(image_request(), &support::ctx_ms(5_000))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("history") && err.message.contains("HTML page"),
        "{}",
        err.message
    );

    let fake = serve(|r, n| {
        let outputs =
            json!({"9": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]}});
        happy(
            r,
            n,
            outputs,
            typed(StatusCode::OK, "text/html", "<html>login</html>"),
        )
    })
    .await;
    let p = providers::adapters::image(&comfy(&fake.base, 10)).unwrap();
    let err = p
        .generate(image_request(), &support::ctx_ms(5_000))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("text/html, not image/"),
        "{}",
        err.message
    );
    assert!(!err.retryable());
}

#[tokio::test]
async fn comfyui_wait_is_bounded_by_the_timeout() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            "/upload/image" => uploaded(),
            "/prompt" => queued(),
            _ => support::json(StatusCode::OK, json!({})),
        }
    })
    .await;
    let p = providers::adapters::image(&comfy(&fake.base, 10)).unwrap();
    let start = Instant::now();
    let err = p
        .generate(image_request(), &support::ctx_ms(1_000))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Timeout);
    assert!(start.elapsed() < Duration::from_secs(5));
    // Polled again and again until the deadline (a second of 10 ms polls leaves room for a busy
    // machine: with 250 ms, a loaded CI box managed fewer than three).
    let polls = fake.count(&history_path());
    assert!(polls >= 3, "{polls} history polls");
}
