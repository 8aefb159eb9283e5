//! OpenAI's image API (`POST /images/generations`), and [`download`]'s limits.

use std::time::{Duration, Instant};

use axum::{body::Body, http::StatusCode};
use base64::Engine as _;
use bytes::Bytes;
use serde_json::json;
use storyloom::providers::{
    self, call_with_retry, check_image, download, AdapterKind, ImageOutput, ImageProvider,
    ImageRequest, ProviderError, ProviderErrorKind, ProviderLimiter,
};

use super::support::{self, serve, typed};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// OpenAI's answer with `b64_json`.
fn b64_answer(image: &[u8]) -> serde_json::Value {
    json!({"created": 1_713_833_628, "data": [{"b64_json": b64(image), "revised_prompt": "A rainy alley at night"}],
           "usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50}})
}

fn images(base: &str, config: serde_json::Value) -> std::sync::Arc<dyn ImageProvider> {
    providers::adapters::image(&support::target(
        AdapterKind::OpenaiCompatible,
        &format!("{base}/v1"),
        "dall-e-3",
        config,
    ))
    .unwrap()
}

fn request() -> ImageRequest {
    ImageRequest {
        prompt: "雨夜的小巷".into(),
        width: 640,
        height: 360,
        seed: Some(3),
        ..ImageRequest::default()
    }
}

async fn generate(
    p: &std::sync::Arc<dyn ImageProvider>,
) -> Result<(ImageOutput, u32), ProviderError> {
    let ctx = support::ctx_ms(5_000);
    let slots = ProviderLimiter::new(None).for_provider(p.as_ref());
    call_with_retry(&support::quick_policy(), &ctx, &slots, |_| {
        p.generate(request(), &ctx)
    })
    .await
}

#[tokio::test]
async fn openai_images_b64_success() {
    let fake = serve(|_, _| async {
        let mut r = support::json(StatusCode::OK, b64_answer(&support::png(8, 6)));
        r.headers_mut()
            .insert("x-request-id", "req_img_1".parse().unwrap());
        r
    })
    .await;
    let p = images(&fake.base, json!({"quality": "hd"}));
    let (out, attempts) = generate(&p).await.unwrap();
    assert_eq!(attempts, 1);
    assert_eq!(out.mime, "image/png");
    assert_eq!(check_image(&out.bytes).unwrap().0, 8);
    assert_eq!(out.request_id.as_deref(), Some("req_img_1"));
    assert_eq!(out.model, "dall-e-3");
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/v1/images/generations")
    );
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer sk-test-secret")
    );
    assert_eq!(
        seen[0].json(),
        json!({"model": "dall-e-3", "prompt": "雨夜的小巷", "n": 1, "size": "640x360",
               "response_format": "b64_json", "quality": "hd"})
    );
}

#[tokio::test]
async fn openai_images_config_size_and_url_answer() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            "/v1/images/generations" => support::json(
                StatusCode::OK,
                json!({"created": 1, "data": [{"url": format!("http://{}/files/out.jpg", r.header("host").unwrap())}]}),
            ),
            _ => {
                let mut jpg = std::io::Cursor::new(Vec::new());
                image::RgbImage::new(5, 4).write_to(&mut jpg, image::ImageFormat::Jpeg).unwrap();
                typed(StatusCode::OK, "image/jpeg", jpg.into_inner())
            }
        }
    })
    .await;
    let p = images(
        &fake.base,
        json!({"size": "1024x1024", "response_format": null}),
    );
    let (out, _) = generate(&p).await.unwrap();
    assert_eq!(
        (out.mime.as_str(), check_image(&out.bytes).unwrap().1),
        ("image/jpeg", 4)
    );
    let body = fake.to("/v1/images/generations")[0].json();
    assert_eq!(body["size"], "1024x1024");
    assert!(body.get("response_format").is_none());
    assert_eq!(fake.count("/files/out.jpg"), 1);
}

#[tokio::test]
async fn openai_images_429_then_success() {
    let fake = serve(|_, n| async move {
        if n == 0 {
            support::openai_429()
        } else {
            support::json(StatusCode::OK, b64_answer(&support::png(2, 2)))
        }
    })
    .await;
    let start = Instant::now();
    let (_, attempts) = generate(&images(&fake.base, json!({}))).await.unwrap();
    assert_eq!(attempts, 2);
    assert!(start.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn openai_images_500_gives_up_and_400_does_not_retry() {
    let fake = serve(|_, _| async { support::openai_500() }).await;
    let err = generate(&images(&fake.base, json!({}))).await.unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Upstream { status: 500 });
    assert_eq!(fake.count("/v1/images/generations"), 3);

    let fake = serve(|_, _| async {
        support::json(
            StatusCode::BAD_REQUEST,
            json!({"error": {"code": "content_policy_violation", "message": "Your request was rejected as a result of our safety system.", "param": null, "type": "invalid_request_error"}}),
        )
    })
    .await;
    let err = generate(&images(&fake.base, json!({}))).await.unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Invalid);
    assert!(err.message.contains("safety system"), "{}", err.message);
    assert_eq!(fake.count("/v1/images/generations"), 1);
}

#[tokio::test]
async fn openai_images_malformed_answers() {
    let fake = serve(|_, n| async move {
        match n {
            0 => typed(StatusCode::OK, "text/html", support::HTML_PAGE),
            1 => typed(
                StatusCode::OK,
                "application/json",
                r#"{"created": 1, "data": [{"b64_json": "iVBOR"#,
            ),
            2 => support::json(StatusCode::OK, json!({"created": 1, "data": []})),
            _ => support::json(
                StatusCode::OK,
                json!({"created": 1, "data": [{"b64_json": b64(b"<html>not an image</html>")}]}),
            ),
        }
    })
    .await;
    let p = images(&fake.base, json!({}));
    for expected in [
        "HTML page",
        "truncated JSON",
        "has no data",
        "does not decode",
    ] {
        let err = generate(&p).await.unwrap_err();
        assert!(!err.retryable(), "{expected}");
        assert!(
            err.message.contains(expected),
            "{expected}: {}",
            err.message
        );
    }
    assert_eq!(fake.count("/v1/images/generations"), 4);
}

#[tokio::test]
async fn openai_images_timeout_and_refused_connection() {
    let fake = serve(|_, _| support::sleepy()).await;
    let p = images(&fake.base, json!({}));
    let start = Instant::now();
    let err = p
        .generate(request(), &support::ctx_ms(200))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Timeout);
    assert!(start.elapsed() < Duration::from_secs(3));

    let p = images(&support::refused_base(), json!({}));
    let err = p
        .generate(request(), &support::ctx_ms(2_000))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Unavailable);
    assert!(err.retryable());
}

#[tokio::test]
async fn openai_images_wrong_type_download_fails_clearly() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            "/v1/images/generations" => support::json(
                StatusCode::OK,
                json!({"created": 1, "data": [{"url": format!("http://{}/files/expired.png", r.header("host").unwrap())}]}),
            ),
            _ => typed(StatusCode::OK, "text/html; charset=utf-8", "<html><body>Link expired</body></html>"),
        }
    })
    .await;
    let err = generate(&images(&fake.base, json!({}))).await.unwrap_err();
    assert!(!err.retryable());
    assert!(
        err.message.contains("text/html, not image/") && err.message.contains("Link expired"),
        "{}",
        err.message
    );
}

/// A body streamed in 64 KiB chunks with no Content-Length.
fn streamed(total: usize) -> Body {
    let chunks =
        (0..total.div_ceil(65536)).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 65536])));
    Body::from_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn download_enforces_size_type_and_status() {
    let fake = serve(|r, _| async move {
        match r.path.as_str() {
            "/sized.png" => typed(StatusCode::OK, "image/png", vec![0u8; 300_000]),
            "/streamed.png" => typed(StatusCode::OK, "image/png", streamed(1 << 20)),
            "/small.png" => typed(StatusCode::OK, "image/png", support::png(2, 2)),
            "/page" => typed(StatusCode::OK, "text/html", support::HTML_PAGE),
            "/untyped" => axum::response::Response::new(Body::from(support::png(2, 2))),
            _ => typed(
                StatusCode::NOT_FOUND,
                "application/xml",
                "<Error><Code>NoSuchKey</Code></Error>",
            ),
        }
    })
    .await;
    let client = reqwest::Client::new();
    let ctx = support::ctx_ms(5_000);
    let url = |p: &str| format!("{}{p}", fake.base);

    let err = download(&client, &url("/sized.png"), 100_000, &["image/"], &ctx)
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("300000 bytes, over the limit of 100000"),
        "{}",
        err.message
    );
    let err = download(&client, &url("/streamed.png"), 100_000, &["image/"], &ctx)
        .await
        .unwrap_err();
    assert!(
        err.message.contains("over the limit of 100000"),
        "{}",
        err.message
    );
    assert!(!err.retryable());

    let (bytes, mime) = download(&client, &url("/small.png"), 100_000, &["image/"], &ctx)
        .await
        .unwrap();
    assert_eq!((mime.as_str(), bytes), ("image/png", support::png(2, 2)));
    let (_, mime) = download(&client, &url("/untyped"), 100_000, &["image/"], &ctx)
        .await
        .unwrap();
    assert_eq!(
        mime, "application/octet-stream",
        "a missing type is left to the caller's check"
    );

    let err = download(&client, &url("/page"), 100_000, &["image/"], &ctx)
        .await
        .unwrap_err();
    assert!(
        err.message.contains("text/html, not image/"),
        "{}",
        err.message
    );
    let err = download(&client, &url("/gone"), 100_000, &["image/"], &ctx)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Invalid);
    assert!(
        err.message.contains("404") && err.message.contains("NoSuchKey"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn download_honours_timeout_and_cancel() {
    let fake = serve(|_, _| support::sleepy()).await;
    let client = reqwest::Client::new();
    let start = Instant::now();
    let err = download(&client, &fake.base, 1000, &[], &support::ctx_ms(200))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProviderErrorKind::Timeout);
    let ctx = support::ctx_ms(60_000);
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let err = download(&client, &fake.base, 1000, &[], &ctx)
        .await
        .unwrap_err();
    assert!(err.is_cancelled());
    assert!(start.elapsed() < Duration::from_secs(3));
}
