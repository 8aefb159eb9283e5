//! A recording fake upstream for the adapter tests: an axum server on 127.0.0.1:0 that keeps every
//! request it got (method, path, query, headers, body) and answers through a closure told which
//! request to that path this is (0, 1, …), so a test can script "429, then 200".

use std::{
    future::Future,
    io::Cursor,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, Multipart, Request},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use serde_json::Value;
use storyloom::providers::{AdapterKind, CallContext, ModelTarget, RetryPolicy};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter, decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The multipart form fields, parsed by axum as a real server would.
    pub async fn multipart(&self) -> Vec<Field> {
        let mut builder = Request::builder().method("POST").uri("/");
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        let request = builder.body(Body::from(self.body.clone())).unwrap();
        let mut form = Multipart::from_request(request, &())
            .await
            .expect("multipart");
        let mut fields = Vec::new();
        while let Some(field) = form.next_field().await.unwrap() {
            fields.push(Field {
                name: field.name().unwrap_or("").to_owned(),
                filename: field.file_name().map(str::to_owned),
                content_type: field.content_type().map(str::to_owned),
                bytes: field.bytes().await.unwrap(),
            });
        }
        fields
    }
}

pub struct FakeServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeServer {
    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }

    pub fn to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    pub fn count(&self, path: &str) -> usize {
        self.to(path).len()
    }
}

/// Starts a fake upstream; `handler(request, n)` answers the `n`th request (from 0) to its path.
pub async fn serve<F, Fut>(handler: F) -> FakeServer
where
    F: Fn(Recorded, usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let seen: Arc<Mutex<Vec<Recorded>>> = Arc::default();
    let log = seen.clone();
    let app = Router::new().fallback(move |request: Request| {
        let (log, handler) = (log.clone(), handler.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let recorded = Recorded {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().unwrap_or("").to_owned(),
                headers: parts.headers,
                body,
            };
            let n = {
                let mut log = log.lock().unwrap();
                let n = log.iter().filter(|r| r.path == recorded.path).count();
                log.push(recorded.clone());
                n
            };
            handler(recorded, n).await
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeServer {
        base: format!("http://{addr}"),
        seen,
    }
}

/// A base URL nothing listens on.
pub fn refused_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

pub fn json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A body with a given content type, as sent (no charset added).
pub fn typed(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_str(content_type).unwrap());
    r
}

/// OpenAI's 429 (`Retry-After: 1`).
pub fn openai_429() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", "1")],
        axum::Json(serde_json::json!({"error": {
            "message": "Rate limit reached for requests",
            "type": "requests", "param": null, "code": "rate_limit_exceeded"
        }})),
    )
        .into_response()
}

/// OpenAI's 500.
pub fn openai_500() -> Response {
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        serde_json::json!({"error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error", "param": null, "code": null
        }}),
    )
}

/// nginx's 502 page, the usual HTML answer in front of an API.
pub const HTML_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// A handler that answers long after any test's timeout.
pub async fn sleepy() -> Response {
    tokio::time::sleep(Duration::from_secs(10)).await;
    json(StatusCode::OK, serde_json::json!({}))
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 128]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The first bytes of an MP4 (`ftyp` box then an empty `mdat`): enough for the sniffing.
pub fn mp4() -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0x18];
    v.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    v.extend_from_slice(&[0, 0, 0, 8]);
    v.extend_from_slice(b"mdat");
    v
}

pub fn target(adapter: AdapterKind, base_url: &str, model: &str, config: Value) -> ModelTarget {
    ModelTarget {
        provider_id: format!("test-{adapter}"),
        adapter,
        base_url: base_url.into(),
        api_key: Some("sk-test-secret".into()),
        model_name: model.into(),
        config,
        max_concurrency: 2,
    }
}

pub fn ctx_ms(ms: u64) -> CallContext {
    CallContext::new("run-1/node-2/shot-3", Duration::from_millis(ms))
}

/// Three attempts, tiny backoff.
pub fn quick_policy() -> RetryPolicy {
    RetryPolicy::new(3, Duration::from_millis(10), Duration::from_millis(50)).with_seed(5)
}

/// The progress reports a call made: `(fraction, message)` in order.
pub type ProgressLog = Arc<Mutex<Vec<(f32, String)>>>;

/// Progress reports collected from a context.
pub fn with_progress_log(ctx: CallContext) -> (CallContext, ProgressLog) {
    let log: ProgressLog = Arc::default();
    let sink = log.clone();
    let ctx = ctx.with_progress(move |f, m| sink.lock().unwrap().push((f, m.to_owned())));
    (ctx, log)
}
