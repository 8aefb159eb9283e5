//! Fakes of the publishing platforms' open APIs on 127.0.0.1, speaking their wire formats:
//! WeChat Official Account (token, permanent material, draft, free publish), Douyin (upload and
//! create video) and Kuaishou (start upload, multipart upload at the endpoint it names, publish).
//! They misbehave on purpose when told to: `fail_next` makes the next call of a path answer the
//! platform's own error, transient or not.
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Multipart, Query, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

#[derive(Clone, Default)]
pub struct Platforms {
    /// Calls per path.
    pub calls: Arc<Mutex<HashMap<String, u32>>>,
    /// The last JSON body or form (field → text, or byte count for files) per path.
    pub last: Arc<Mutex<HashMap<String, Value>>>,
    /// When each call of a path came (Unix ms).
    pub times: Arc<Mutex<HashMap<String, Vec<i64>>>>,
    /// Path → answers to give instead of the normal one, in order.
    pub fail_next: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    /// Query strings and headers seen, for checking credentials.
    pub auth: Arc<Mutex<Vec<String>>>,
}

impl Platforms {
    pub fn calls(&self, path: &str) -> u32 {
        self.calls.lock().unwrap().get(path).copied().unwrap_or(0)
    }
    pub fn last(&self, path: &str) -> Value {
        self.last
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or(Value::Null)
    }
    pub fn times(&self, path: &str) -> Vec<i64> {
        self.times
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default()
    }
    /// The next calls of `path` answer these bodies, in order.
    pub fn fail(&self, path: &str, answers: Vec<Value>) {
        self.fail_next
            .lock()
            .unwrap()
            .insert(path.to_string(), answers);
    }

    fn seen(
        &self,
        path: &str,
        body: Value,
        query: &HashMap<String, String>,
        headers: &HeaderMap,
    ) -> Option<Value> {
        *self.calls.lock().unwrap().entry(path.into()).or_default() += 1;
        self.last.lock().unwrap().insert(path.into(), body);
        self.times
            .lock()
            .unwrap()
            .entry(path.into())
            .or_default()
            .push(chrono::Utc::now().timestamp_millis());
        let mut q: Vec<_> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        q.sort();
        if let Some(t) = headers.get("access-token") {
            q.push(format!("access-token={}", t.to_str().unwrap_or("")));
        }
        self.auth
            .lock()
            .unwrap()
            .push(format!("{path}?{}", q.join("&")));
        let mut fails = self.fail_next.lock().unwrap();
        let queue = fails.get_mut(path)?;
        (!queue.is_empty()).then(|| queue.remove(0))
    }
}

async fn form(mut m: Multipart) -> Value {
    let mut out = serde_json::Map::new();
    while let Some(field) = m.next_field().await.unwrap() {
        let name = field.name().unwrap_or_default().to_string();
        if field.file_name().is_some() {
            out.insert(name, json!(field.bytes().await.unwrap().len()));
        } else {
            out.insert(name, json!(field.text().await.unwrap()));
        }
    }
    Value::Object(out)
}

type Q = Query<HashMap<String, String>>;

async fn wx_token(State(p): State<Platforms>, Query(q): Q, h: HeaderMap) -> Response {
    if let Some(v) = p.seen("/cgi-bin/token", Value::Null, &q, &h) {
        return Json(v).into_response();
    }
    if q.get("secret").map(String::as_str) != Some("wx-secret") {
        return Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"})).into_response();
    }
    Json(json!({"access_token": "WX-TOKEN", "expires_in": 7200})).into_response()
}

async fn wx_material(
    State(p): State<Platforms>,
    Query(q): Q,
    h: HeaderMap,
    m: Multipart,
) -> Response {
    let body = form(m).await;
    if let Some(v) = p.seen("/cgi-bin/material/add_material", body, &q, &h) {
        return Json(v).into_response();
    }
    Json(json!({"media_id": "THUMB-1", "url": "http://mmbiz.qpic.cn/x.jpg"})).into_response()
}

async fn wx_draft(
    State(p): State<Platforms>,
    Query(q): Q,
    h: HeaderMap,
    Json(b): Json<Value>,
) -> Response {
    if let Some(v) = p.seen("/cgi-bin/draft/add", b, &q, &h) {
        return Json(v).into_response();
    }
    Json(json!({"media_id": "DRAFT-1"})).into_response()
}

async fn wx_submit(
    State(p): State<Platforms>,
    Query(q): Q,
    h: HeaderMap,
    Json(b): Json<Value>,
) -> Response {
    if let Some(v) = p.seen("/cgi-bin/freepublish/submit", b, &q, &h) {
        return Json(v).into_response();
    }
    Json(json!({"errcode": 0, "errmsg": "ok", "publish_id": "2247483647"})).into_response()
}

async fn dy_upload(
    State(p): State<Platforms>,
    Query(q): Q,
    h: HeaderMap,
    m: Multipart,
) -> Response {
    let body = form(m).await;
    if let Some(v) = p.seen("/api/douyin/v1/video/upload_video/", body, &q, &h) {
        return Json(v).into_response();
    }
    Json(
        json!({"data": {"video": {"video_id": "v0200f-1", "width": 1080, "height": 1920}},
                "extra": {"error_code": 0, "description": "", "logid": "1"}}),
    )
    .into_response()
}

async fn dy_create(
    State(p): State<Platforms>,
    Query(q): Q,
    h: HeaderMap,
    Json(b): Json<Value>,
) -> Response {
    if let Some(v) = p.seen("/api/douyin/v1/video/create_video/", b, &q, &h) {
        return Json(v).into_response();
    }
    Json(json!({"data": {"item_id": "@9VwL-1"}, "extra": {"error_code": 0, "description": ""}}))
        .into_response()
}

async fn ks_start(State(p): State<Platforms>, Query(q): Q, h: HeaderMap) -> Response {
    let host = h
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if let Some(v) = p.seen("/openapi/photo/start_upload", Value::Null, &q, &h) {
        return Json(v).into_response();
    }
    Json(json!({"result": 1, "upload_token": "UP-1", "endpoint": host})).into_response()
}

async fn ks_upload(
    State(p): State<Platforms>,
    Query(q): Q,
    h: HeaderMap,
    m: Multipart,
) -> Response {
    let body = form(m).await;
    if let Some(v) = p.seen("/api/upload/multipart", body, &q, &h) {
        return Json(v).into_response();
    }
    Json(json!({"result": 1})).into_response()
}

async fn ks_publish(
    State(p): State<Platforms>,
    Query(q): Q,
    h: HeaderMap,
    m: Multipart,
) -> Response {
    let body = form(m).await;
    if let Some(v) = p.seen("/openapi/photo/publish", body, &q, &h) {
        return Json(v).into_response();
    }
    Json(
        json!({"result": 1, "video_info": {"photo_id": "5210000001", "caption": "",
                "play_url": "https://www.kuaishou.com/short-video/5210000001"}}),
    )
    .into_response()
}

/// Starts the fakes: their base URL (one server for all three) and what they saw.
pub async fn start() -> (String, Platforms) {
    let p = Platforms::default();
    let app = Router::new()
        .route("/cgi-bin/token", get(wx_token))
        .route("/cgi-bin/material/add_material", post(wx_material))
        .route("/cgi-bin/draft/add", post(wx_draft))
        .route("/cgi-bin/freepublish/submit", post(wx_submit))
        .route("/api/douyin/v1/video/upload_video/", post(dy_upload))
        .route("/api/douyin/v1/video/create_video/", post(dy_create))
        .route("/openapi/photo/start_upload", post(ks_start))
        .route("/api/upload/multipart", post(ks_upload))
        .route("/openapi/photo/publish", post(ks_publish))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024 * 1024))
        .with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), p)
}
