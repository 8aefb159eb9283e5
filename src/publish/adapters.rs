//! The platforms' open-platform APIs, as each documents them for publishing:
//!
//! - WeChat Official Account (公众号): an access token from the app id and secret, the cover
//!   uploaded as a permanent image, the article added as a draft, the draft submitted for
//!   publishing (`/cgi-bin/token`, `/cgi-bin/material/add_material`, `/cgi-bin/draft/add`,
//!   `/cgi-bin/freepublish/submit`).
//! - Douyin (抖音): the video uploaded, then a post made of it (`/api/douyin/v1/video/upload_video/`,
//!   `/api/douyin/v1/video/create_video/`), with a user's access token and open id.
//! - Kuaishou (快手): an upload started, the file sent to the endpoint it names, then published
//!   (`/openapi/photo/start_upload`, `/api/upload/multipart`, `/openapi/photo/publish`).
//!
//! Each call's failure is classed: transient (network, 5xx, 429, a platform's "busy" or rate-limit
//! codes) is retried with backoff by the scheduler; anything else is the platform saying no.
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

/// What one platform call failed with.
#[derive(Debug, Clone, PartialEq)]
pub struct AdapterError {
    pub message: String,
    /// Worth trying again later.
    pub transient: bool,
}

impl AdapterError {
    fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: false,
        }
    }
    fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: true,
        }
    }
}

/// What a platform made of a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    pub remote_id: String,
    pub url: Option<String>,
}

/// What is being published.
pub struct Content {
    pub title: String,
    /// Markdown text (writing) or the caption (video).
    pub text: String,
    /// A video file's bytes (an export or a video creation).
    pub video: Option<Vec<u8>>,
    /// A cover picture (JPEG or PNG).
    pub cover: Vec<u8>,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .connect_timeout(Duration::from_secs(15))
        .build()
        .expect("a reqwest client builds")
}

/// The body as JSON, with HTTP failures classed.
async fn json_of(
    what: &str,
    res: Result<reqwest::Response, reqwest::Error>,
) -> Result<Value, AdapterError> {
    let res = res.map_err(|e| AdapterError::transient(format!("{what}: {e}")))?;
    let status = res.status();
    let text = res
        .text()
        .await
        .map_err(|e| AdapterError::transient(format!("{what}: the answer broke off: {e}")))?;
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(AdapterError::transient(format!("{what}: HTTP {status}")));
    }
    if !status.is_success() {
        return Err(AdapterError::permanent(format!(
            "{what}: HTTP {status}: {}",
            text.chars().take(200).collect::<String>()
        )));
    }
    serde_json::from_str(&text)
        .map_err(|_| AdapterError::transient(format!("{what}: the answer is not JSON")))
}

// ------------------------------------------------------------------------------------------ WeChat

/// WeChat's error codes that mean "later": -1 system busy, 45009 the daily limit, 45011 too fast.
fn wechat_check(what: &str, v: &Value) -> Result<(), AdapterError> {
    match v["errcode"].as_i64() {
        None | Some(0) => Ok(()),
        Some(code @ (-1 | 45009 | 45011)) => Err(AdapterError::transient(format!(
            "{what}: WeChat error {code}: {}",
            v["errmsg"].as_str().unwrap_or("")
        ))),
        Some(code) => Err(AdapterError::permanent(format!(
            "{what}: WeChat error {code}: {}",
            v["errmsg"].as_str().unwrap_or("")
        ))),
    }
}

/// Markdown to the plain HTML a WeChat article body takes: headings, paragraphs, list items.
pub fn article_html(markdown: &str) -> String {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    markdown
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if let Some(h) = l.strip_prefix("### ") {
                format!("<h3>{}</h3>", esc(h))
            } else if let Some(h) = l.strip_prefix("## ") {
                format!("<h2>{}</h2>", esc(h))
            } else if let Some(h) = l.strip_prefix("# ") {
                format!("<h1>{}</h1>", esc(h))
            } else if let Some(i) = l.strip_prefix("- ").or_else(|| l.strip_prefix("* ")) {
                format!("<p>• {}</p>", esc(i))
            } else {
                format!("<p>{}</p>", esc(l.trim_start_matches("> ")))
            }
        })
        .collect()
}

pub async fn wechat(base: &str, creds: &Value, content: &Content) -> Result<Posted, AdapterError> {
    let http = client();
    let (app_id, secret) = (
        creds["app_id"].as_str().unwrap_or_default(),
        creds["app_secret"].as_str().unwrap_or_default(),
    );
    let token = json_of(
        "getting an access token",
        http.get(format!("{base}/cgi-bin/token"))
            .query(&[
                ("grant_type", "client_credential"),
                ("appid", app_id),
                ("secret", secret),
            ])
            .send()
            .await,
    )
    .await?;
    wechat_check("getting an access token", &token)?;
    let token = token["access_token"]
        .as_str()
        .ok_or_else(|| AdapterError::permanent("WeChat gave no access token"))?
        .to_string();

    let cover = Part::bytes(content.cover.clone())
        .file_name("cover.jpg")
        .mime_str("image/jpeg")
        .map_err(|e| AdapterError::permanent(e.to_string()))?;
    let material = json_of(
        "uploading the cover",
        http.post(format!("{base}/cgi-bin/material/add_material"))
            .query(&[("access_token", token.as_str()), ("type", "image")])
            .multipart(Form::new().part("media", cover))
            .send()
            .await,
    )
    .await?;
    wechat_check("uploading the cover", &material)?;
    let thumb = material["media_id"]
        .as_str()
        .ok_or_else(|| AdapterError::permanent("WeChat gave the cover no media_id"))?;

    let digest: String = content
        .text
        .chars()
        .filter(|c| *c != '#')
        .take(54)
        .collect();
    let draft = json_of(
        "adding the draft",
        http.post(format!("{base}/cgi-bin/draft/add"))
            .query(&[("access_token", token.as_str())])
            .json(&json!({"articles": [{
                "title": content.title.chars().take(64).collect::<String>(),
                "author": "",
                "digest": digest.trim(),
                "content": article_html(&content.text),
                "thumb_media_id": thumb,
                "need_open_comment": 0,
                "only_fans_can_comment": 0
            }]}))
            .send()
            .await,
    )
    .await?;
    wechat_check("adding the draft", &draft)?;
    let media_id = draft["media_id"]
        .as_str()
        .ok_or_else(|| AdapterError::permanent("WeChat gave the draft no media_id"))?;

    let submitted = json_of(
        "submitting for publishing",
        http.post(format!("{base}/cgi-bin/freepublish/submit"))
            .query(&[("access_token", token.as_str())])
            .json(&json!({ "media_id": media_id }))
            .send()
            .await,
    )
    .await?;
    wechat_check("submitting for publishing", &submitted)?;
    Ok(Posted {
        remote_id: submitted["publish_id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| submitted["publish_id"].as_i64().map(|n| n.to_string()))
            .unwrap_or_else(|| media_id.to_string()),
        url: None,
    })
}

// ------------------------------------------------------------------------------------------ Douyin

/// Douyin answers `{data, extra: {error_code, description}}`; 2190004 and 2100004 are its "busy"
/// and "too often" codes.
fn douyin_check(what: &str, v: &Value) -> Result<(), AdapterError> {
    let code = v["extra"]["error_code"]
        .as_i64()
        .or_else(|| v["data"]["error_code"].as_i64())
        .unwrap_or(0);
    let description = v["extra"]["description"]
        .as_str()
        .or_else(|| v["data"]["description"].as_str())
        .unwrap_or("");
    match code {
        0 => Ok(()),
        2190004 | 2100004 => Err(AdapterError::transient(format!(
            "{what}: Douyin error {code}: {description}"
        ))),
        _ => Err(AdapterError::permanent(format!(
            "{what}: Douyin error {code}: {description}"
        ))),
    }
}

pub async fn douyin(base: &str, creds: &Value, content: &Content) -> Result<Posted, AdapterError> {
    let http = client();
    let (token, open_id) = (
        creds["access_token"].as_str().unwrap_or_default(),
        creds["open_id"].as_str().unwrap_or_default(),
    );
    let video = content
        .video
        .clone()
        .ok_or_else(|| AdapterError::permanent("Douyin publishes videos only"))?;
    let part = Part::bytes(video)
        .file_name("video.mp4")
        .mime_str("video/mp4")
        .map_err(|e| AdapterError::permanent(e.to_string()))?;
    let uploaded = json_of(
        "uploading the video",
        http.post(format!("{base}/api/douyin/v1/video/upload_video/"))
            .query(&[("open_id", open_id)])
            .header("access-token", token)
            .multipart(Form::new().part("video", part))
            .send()
            .await,
    )
    .await?;
    douyin_check("uploading the video", &uploaded)?;
    let video_id = uploaded["data"]["video"]["video_id"]
        .as_str()
        .ok_or_else(|| AdapterError::permanent("Douyin gave the upload no video_id"))?;
    let created = json_of(
        "posting the video",
        http.post(format!("{base}/api/douyin/v1/video/create_video/"))
            .query(&[("open_id", open_id)])
            .header("access-token", token)
            .json(&json!({"video_id": video_id, "text": caption(content, 55)}))
            .send()
            .await,
    )
    .await?;
    douyin_check("posting the video", &created)?;
    let item = created["data"]["item_id"]
        .as_str()
        .ok_or_else(|| AdapterError::permanent("Douyin gave the post no item_id"))?;
    Ok(Posted {
        remote_id: item.to_string(),
        url: None,
    })
}

fn caption(content: &Content, max: usize) -> String {
    let text = if content.text.trim().is_empty() {
        content.title.clone()
    } else {
        format!("{} {}", content.title, content.text.trim())
    };
    text.chars().take(max).collect()
}

// ------------------------------------------------------------------------------------------ Kuaishou

/// Kuaishou answers `{result: 1, …}` on success; 100200100 and 100200101 are its rate limits.
fn kuaishou_check(what: &str, v: &Value) -> Result<(), AdapterError> {
    match v["result"].as_i64() {
        Some(1) => Ok(()),
        Some(code @ (100200100 | 100200101)) => Err(AdapterError::transient(format!(
            "{what}: Kuaishou error {code}: {}",
            v["error_msg"].as_str().unwrap_or("")
        ))),
        other => Err(AdapterError::permanent(format!(
            "{what}: Kuaishou error {}: {}",
            other.unwrap_or(0),
            v["error_msg"].as_str().unwrap_or("")
        ))),
    }
}

pub async fn kuaishou(
    base: &str,
    creds: &Value,
    content: &Content,
) -> Result<Posted, AdapterError> {
    let http = client();
    let (app_id, token) = (
        creds["app_id"].as_str().unwrap_or_default(),
        creds["access_token"].as_str().unwrap_or_default(),
    );
    let video = content
        .video
        .clone()
        .ok_or_else(|| AdapterError::permanent("Kuaishou publishes videos only"))?;
    let started = json_of(
        "starting the upload",
        http.post(format!("{base}/openapi/photo/start_upload"))
            .query(&[("app_id", app_id), ("access_token", token)])
            .send()
            .await,
    )
    .await?;
    kuaishou_check("starting the upload", &started)?;
    let (upload_token, endpoint) = (
        started["upload_token"].as_str().unwrap_or_default(),
        started["endpoint"].as_str().unwrap_or_default(),
    );
    if upload_token.is_empty() || endpoint.is_empty() {
        return Err(AdapterError::permanent(
            "Kuaishou gave no upload token or endpoint",
        ));
    }
    let part = Part::bytes(video)
        .file_name("video.mp4")
        .mime_str("video/mp4")
        .map_err(|e| AdapterError::permanent(e.to_string()))?;
    let sent = json_of(
        "uploading the video",
        http.post(format!("http://{endpoint}/api/upload/multipart"))
            .query(&[("upload_token", upload_token)])
            .multipart(Form::new().part("file", part))
            .send()
            .await,
    )
    .await?;
    kuaishou_check("uploading the video", &sent)?;
    let cover = Part::bytes(content.cover.clone())
        .file_name("cover.jpg")
        .mime_str("image/jpeg")
        .map_err(|e| AdapterError::permanent(e.to_string()))?;
    let published = json_of(
        "publishing",
        http.post(format!("{base}/openapi/photo/publish"))
            .query(&[
                ("app_id", app_id),
                ("access_token", token),
                ("upload_token", upload_token),
            ])
            .multipart(
                Form::new()
                    .text("caption", caption(content, 500))
                    .part("cover", cover),
            )
            .send()
            .await,
    )
    .await?;
    kuaishou_check("publishing", &published)?;
    let photo = published["video_info"]["photo_id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            published["video_info"]["photo_id"]
                .as_i64()
                .map(|n| n.to_string())
        })
        .ok_or_else(|| AdapterError::permanent("Kuaishou gave the post no photo_id"))?;
    Ok(Posted {
        remote_id: photo,
        url: published["video_info"]["play_url"]
            .as_str()
            .map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_escaped_article_html() {
        assert_eq!(
            article_html("# 标题\n\n正文 <b>\n- 一点\n## 小节"),
            "<h1>标题</h1><p>正文 &lt;b&gt;</p><p>• 一点</p><h2>小节</h2>"
        );
    }

    #[test]
    fn platform_codes_are_classed() {
        assert!(wechat_check("x", &json!({"errcode": 0})).is_ok());
        assert!(
            wechat_check("x", &json!({"errcode": -1}))
                .unwrap_err()
                .transient
        );
        assert!(
            !wechat_check("x", &json!({"errcode": 40001}))
                .unwrap_err()
                .transient
        );
        assert!(
            douyin_check("x", &json!({"extra": {"error_code": 2190004}}))
                .unwrap_err()
                .transient
        );
        assert!(
            !douyin_check("x", &json!({"extra": {"error_code": 2190008}}))
                .unwrap_err()
                .transient
        );
        assert!(kuaishou_check("x", &json!({"result": 1})).is_ok());
        assert!(
            !kuaishou_check("x", &json!({"result": 100200103}))
                .unwrap_err()
                .transient
        );
    }
}
