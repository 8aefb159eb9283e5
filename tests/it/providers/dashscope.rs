//! DashScope asynchronous tasks against a fake that speaks its JSON envelopes: submit with
//! `X-DashScope-Async: enable`, poll `GET /tasks/{id}`, download the result.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{http::StatusCode, response::Response};
use base64::Engine as _;
use serde_json::{json, Value};
use storyloom::providers::{
    self, call_with_retry, AdapterKind, ImageRequest, ProviderErrorKind, ProviderLimiter,
    VideoProvider, VideoRequest,
};

use super::support::{self, serve, typed, Recorded};

const IMAGE_PATH: &str = "/api/v1/services/aigc/text2image/image-synthesis";
const VIDEO_PATH: &str = "/api/v1/services/aigc/video-generation/video-synthesis";
const TASK_PATH: &str = "/api/v1/tasks/0385dc79-5ff8-4d82-bcb6-xxxxxx";

fn submitted() -> Response {
    support::json(
        StatusCode::OK,
        json!({"output": {"task_status": "PENDING", "task_id": "0385dc79-5ff8-4d82-bcb6-xxxxxx"},
               "request_id": "4909100c-7b5a-9f92-bfe5-xxxxxx"}),
    )
}

fn task(status: &str, extra: Value, usage: Option<Value>) -> Response {
    let mut output = json!({"task_id": "0385dc79-5ff8-4d82-bcb6-xxxxxx", "task_status": status,
                            "submit_time": "2025-01-08 16:03:59.840", "scheduled_time": "2025-01-08 16:03:59.863"});
    for (k, v) in extra.as_object().unwrap() {
        output[k] = v.clone();
    }
    let mut body = json!({"request_id": "e5d70b02-ebd3-98ce-9fe8-xxxxxx", "output": output});
    if let Some(usage) = usage {
        body["usage"] = usage;
    }
    support::json(StatusCode::OK, body)
}

fn host(r: &Recorded) -> String {
    r.header("host").unwrap().to_owned()
}

fn target(base: &str, model: &str, config: Value) -> providers::ModelTarget {
    support::target(
        AdapterKind::Dashscope,
        &format!("{base}/api/v1"),
        model,
        config,
    )
}

fn image_request() -> ImageRequest {
    ImageRequest {
        prompt: "雨夜的小巷，霓虹灯".into(),
        negative_prompt: Some("模糊".into()),
        width: 1024,
        height: 576,
        seed: Some(42),
        reference_images: vec![],
    }
}

#[tokio::test]
async fn dashscope_image_task_succeeds() {
    let fake = serve(|r, n| async move {
        match r.path.as_str() {
            IMAGE_PATH => submitted(),
            TASK_PATH if n == 0 => task("RUNNING", json!({}), None),
            TASK_PATH => task(
                "SUCCEEDED",
                json!({"end_time": "2025-01-08 16:04:09.591",
                       "results": [{"orig_prompt": "雨夜的小巷，霓虹灯", "actual_prompt": "…",
                                    "url": format!("http://{}/oss/1d/out.png?Expires=1736410000&Signature=abc", host(&r))}],
                       "task_metrics": {"TOTAL": 1, "SUCCEEDED": 1, "FAILED": 0}}),
                Some(json!({"image_count": 1})),
            ),
            _ => typed(StatusCode::OK, "image/png", support::png(16, 9)),
        }
    })
    .await;
    let p = providers::adapters::image(&target(
        &fake.base,
        "wanx2.1-t2i-turbo",
        json!({"poll_ms": 10}),
    ))
    .unwrap();
    let (ctx, progress) = support::with_progress_log(support::ctx_ms(5_000));
    let out = p.generate(image_request(), &ctx).await.unwrap();
    assert_eq!(out.mime, "image/png");
    assert_eq!(storyloom::providers::check_image(&out.bytes).unwrap().0, 16);
    assert_eq!(out.seed, Some(42));
    assert_eq!(
        out.request_id.as_deref(),
        Some("0385dc79-5ff8-4d82-bcb6-xxxxxx")
    );

    let submit = &fake.to(IMAGE_PATH)[0];
    assert_eq!(submit.header("x-dashscope-async"), Some("enable"));
    assert_eq!(
        submit.header("authorization"),
        Some("Bearer sk-test-secret")
    );
    assert_eq!(
        submit.json(),
        json!({"model": "wanx2.1-t2i-turbo",
               "input": {"prompt": "雨夜的小巷，霓虹灯", "negative_prompt": "模糊"},
               "parameters": {"size": "1024*576", "n": 1, "seed": 42}})
    );
    let polls = fake.to(TASK_PATH);
    assert_eq!(polls.len(), 2);
    assert!(polls
        .iter()
        .all(|p| p.method == "GET" && p.header("authorization") == Some("Bearer sk-test-secret")));
    assert_eq!(fake.count("/oss/1d/out.png"), 1);
    let progress = progress.lock().unwrap();
    assert!(progress.iter().any(|(_, m)| m == "running"), "{progress:?}");
    assert_eq!(progress.last().unwrap(), &(1.0, "done".to_owned()));
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress only grows: {progress:?}"
    );
}

#[tokio::test]
async fn dashscope_video_task_succeeds() {
    let fake = serve(|r, n| async move {
        match r.path.as_str() {
            VIDEO_PATH => submitted(),
            TASK_PATH if n == 0 => task("PENDING", json!({}), None),
            TASK_PATH => task(
                "SUCCEEDED",
                json!({"video_url": format!("http://{}/oss/clip.mp4?Expires=1", host(&r)),
                       "orig_prompt": "她转身", "actual_prompt": "…"}),
                Some(json!({"video_duration": 5, "video_ratio": "832*480", "video_count": 1})),
            ),
            _ => typed(StatusCode::OK, "video/mp4", support::mp4()),
        }
    })
    .await;
    let p = providers::adapters::video(&target(
        &fake.base,
        "wanx2.1-i2v-turbo",
        json!({"poll_ms": 10, "duration": 5, "parameters": {"resolution": "480P"}}),
    ))
    .unwrap();
    let keyframe = support::png(8, 8);
    let req = VideoRequest {
        image: keyframe.clone(),
        prompt: "她转身".into(),
        duration_ms: 3000,
        width: 832,
        height: 480,
        seed: Some(7),
    };
    let out = p.animate(req, &support::ctx_ms(5_000)).await.unwrap();
    assert_eq!((out.mime.as_str(), out.duration_ms), ("video/mp4", 5000));
    assert_eq!(out.bytes, support::mp4());
    let submit = &fake.to(VIDEO_PATH)[0];
    assert_eq!(submit.header("x-dashscope-async"), Some("enable"));
    let body = submit.json();
    assert_eq!(body["model"], "wanx2.1-i2v-turbo");
    assert_eq!(body["input"]["prompt"], "她转身");
    assert_eq!(
        body["parameters"],
        json!({"duration": 5, "seed": 7, "resolution": "480P"})
    );
    let img_url = body["input"]["img_url"].as_str().unwrap();
    let b64 = img_url
        .strip_prefix("data:image/png;base64,")
        .expect(img_url);
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
        keyframe
    );
}

#[tokio::test]
async fn dashscope_failed_task_fails_with_its_message_and_no_retry() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            IMAGE_PATH => submitted(),
            _ => task(
                "FAILED",
                json!({"code": "DataInspectionFailed", "message": "Input data may contain inappropriate content."}),
                None,
            ),
        }
    })
    .await;
    let p = providers::adapters::image(&target(
        &fake.base,
        "wanx2.1-t2i-turbo",
        json!({"poll_ms": 10}),
    ))
    .unwrap();
    let ctx = support::ctx_ms(5_000);
    let slots = ProviderLimiter::new(None).for_provider(p.as_ref());
    let err = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.generate(image_request(), &ctx)
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Invalid);
    assert!(
        err.message.contains("FAILED")
            && err.message.contains("DataInspectionFailed")
            && err.message.contains("inappropriate content"),
        "{}",
        err.message
    );
    assert_eq!(fake.count(IMAGE_PATH), 1, "not submitted again");
}

#[tokio::test]
async fn dashscope_429_then_success_and_500_gives_up() {
    let fake = serve(|r, n| async move {
        match r.path.as_str() {
            IMAGE_PATH if n == 0 => Response::builder()
                .status(429)
                .header("retry-after", "1")
                .header("content-type", "application/json")
                .body(r#"{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded, please try again later.","request_id":"a1"}"#.into())
                .unwrap(),
            IMAGE_PATH => submitted(),
            TASK_PATH => task("SUCCEEDED", json!({"results": [{"url": format!("http://{}/o.png", host(&r))}]}), None),
            _ => typed(StatusCode::OK, "image/png", support::png(2, 2)),
        }
    })
    .await;
    let p = providers::adapters::image(&target(&fake.base, "m", json!({"poll_ms": 10}))).unwrap();
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

    let fake = serve(|_, _| async {
        support::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"code": "InternalError", "message": "An internal error has occured, please try again later.", "request_id": "b2"}),
        )
    })
    .await;
    let p = providers::adapters::image(&target(&fake.base, "m", json!({"poll_ms": 10}))).unwrap();
    let err = call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.generate(image_request(), &ctx)
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Upstream { status: 500 });
    assert!(err.message.contains("internal error"), "{}", err.message);
    assert_eq!(fake.count(IMAGE_PATH), 3);
}

#[tokio::test]
async fn dashscope_a_failing_poll_is_tolerated() {
    let fake = serve(|r, n| async move {
        match r.path.as_str() {
            IMAGE_PATH => submitted(),
            TASK_PATH if n == 0 => support::json(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"code": "ServiceUnavailable", "message": "busy"}),
            ),
            TASK_PATH => task(
                "SUCCEEDED",
                json!({"results": [{"url": format!("http://{}/o.png", host(&r))}]}),
                None,
            ),
            _ => typed(StatusCode::OK, "image/png", support::png(2, 2)),
        }
    })
    .await;
    let p = providers::adapters::image(&target(&fake.base, "m", json!({"poll_ms": 10}))).unwrap();
    p.generate(image_request(), &support::ctx_ms(5_000))
        .await
        .unwrap();
    assert_eq!((fake.count(IMAGE_PATH), fake.count(TASK_PATH)), (1, 2));
}

#[tokio::test]
async fn dashscope_malformed_answers_and_bad_downloads() {
    let fake = serve(|r, n| async move {
        match r.path.as_str() {
            IMAGE_PATH if n == 0 => typed(StatusCode::OK, "text/html", support::HTML_PAGE),
            IMAGE_PATH if n == 1 => typed(
                StatusCode::OK,
                "application/json",
                r#"{"output": {"task_status": "PEND"#,
            ),
            IMAGE_PATH if n == 2 => {
                support::json(StatusCode::OK, json!({"request_id": "x", "output": {}}))
            }
            IMAGE_PATH => submitted(),
            TASK_PATH => task(
                "SUCCEEDED",
                json!({"results": [{"url": format!("http://{}/page", host(&r))}]}),
                None,
            ),
            _ => typed(StatusCode::OK, "text/html", "<html>Access denied</html>"),
        }
    })
    .await;
    let p = providers::adapters::image(&target(&fake.base, "m", json!({"poll_ms": 10}))).unwrap();
    for expected in [
        "HTML page",
        "truncated JSON",
        "has no output.task_id",
        "text/html, not image/",
    ] {
        let err = p
            .generate(image_request(), &support::ctx_ms(5_000))
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
async fn dashscope_polling_is_bounded_by_the_timeout_and_cancel() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            VIDEO_PATH => submitted(),
            _ => task("RUNNING", json!({}), None),
        }
    })
    .await;
    let p: Arc<dyn VideoProvider> =
        providers::adapters::video(&target(&fake.base, "m", json!({"poll_ms": 10}))).unwrap();
    let req = VideoRequest {
        image: support::png(4, 4),
        prompt: "p".into(),
        ..VideoRequest::default()
    };
    let start = Instant::now();
    let err = p
        .animate(req.clone(), &support::ctx_ms(1_000))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Timeout);
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1_000) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    // A second of 10 ms polls: room for a busy machine (250 ms gave fewer than three there).
    let polls = fake.count(TASK_PATH);
    assert!(polls >= 3, "it polled until the deadline: {polls}");

    let ctx = support::ctx_ms(60_000);
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let start = Instant::now();
    assert!(p
        .animate(req.clone(), &ctx)
        .await
        .unwrap_err()
        .is_cancelled());
    assert!(start.elapsed() < Duration::from_secs(3));

    // A keyframe that is not an image is refused before anything is sent.
    let before = fake.count(VIDEO_PATH);
    let bad = VideoRequest {
        image: b"GIF? no".to_vec(),
        ..req
    };
    let err = p.animate(bad, &support::ctx_ms(5_000)).await.unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Invalid);
    assert_eq!(fake.count(VIDEO_PATH), before);
}
