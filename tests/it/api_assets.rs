//! The assets API over real TCP: multipart uploads (sniffed types, decoded images, thumbnails,
//! the 100 MB limit), filters, downloads, trash, and the two-step permanent delete.
use crate::common;

use std::io::Cursor;

use chrono::Duration;
use common::{assert_error, TestServer};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use storyloom::{auth, config::AuthMode};

fn image_bytes(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    }));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A well-formed PNG (correct CRCs) whose header declares `w`×`h` pixels but holds almost no data.
pub fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Text fields, files, the expected status and the field the error names.
type BadUpload<'a> = (
    Vec<(&'a str, &'a str)>,
    Vec<(&'a str, &'a str, Vec<u8>)>,
    StatusCode,
    Option<&'a str>,
);

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn project(s: &TestServer, auth: &[(&str, &str)]) -> String {
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "Assets test"})),
            auth,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// A multipart POST with extra headers (the common helper sends none).
async fn multipart_with(
    s: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
    texts: &[(&str, &str)],
    files: Vec<(&str, &str, Vec<u8>)>,
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in texts {
        form = form.text(k.to_string(), v.to_string());
    }
    for (field, filename, bytes) in files {
        form = form.part(
            field.to_string(),
            reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string()),
        );
    }
    let mut req = s.client.post(s.url(path)).multipart(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn upload(
    s: &TestServer,
    project_id: &str,
    kind: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> Value {
    let (status, body) = s
        .multipart(
            "/api/v1/assets",
            &[("project_id", project_id), ("type", kind)],
            vec![("file", filename, bytes)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn image_upload_detail_download_and_thumbnail() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, &[]).await;
    let png = image_bytes(600, 300, ImageFormat::Png);
    let asset = upload(
        &s,
        &pid,
        "keyframe_image",
        "镜头 1 \"final\".png",
        png.clone(),
    )
    .await;
    let id = asset["id"].as_str().unwrap();
    assert_eq!(asset["type"], "keyframe_image");
    assert_eq!(asset["project_id"], pid.as_str());
    assert_eq!(asset["mime_type"], "image/png");
    assert_eq!(asset["width"], 600);
    assert_eq!(asset["height"], 300);
    assert_eq!(asset["filesize"], png.len() as u64);
    assert_eq!(asset["sha256"], sha256_hex(&png));
    assert_eq!(asset["status"], "active");
    assert_eq!(asset["metadata"]["source"], "upload");
    assert_eq!(asset["url"], format!("/api/v1/assets/{id}/download"));
    assert_eq!(
        asset["thumbnail_url"],
        format!("/api/v1/assets/{id}/thumbnail")
    );
    assert_eq!(asset["created_at"], "2026-02-08T10:00:00.000Z");

    let (status, got) = s.get(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, asset);

    let res = s
        .client
        .get(s.url(&format!("/api/v1/assets/{id}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''%E9%95%9C%E5%A4%B4%201%20%22final%22.png"),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename=\"__ 1 _final_.png\""),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(
        headers["etag"],
        format!("\"{}\"", sha256_hex(&png)).as_str()
    );

    // Ranges, as a `<video>` element reads a long export: a piece, the tail, past the end.
    let len = png.len();
    let ranged = |range: String| {
        let req = s
            .client
            .get(s.url(&format!("/api/v1/assets/{id}/download")))
            .header("range", range);
        async move { req.send().await.unwrap() }
    };
    let res = ranged("bytes=0-99".into()).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 0-99/{len}").as_str()
    );
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers().contains_key("content-disposition"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), png[..100]);
    let res = ranged(format!("bytes={}-", len - 10)).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().to_vec(), png[len - 10..]);
    let res = ranged("bytes=-7".into()).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().to_vec(), png[len - 7..]);
    let res = ranged(format!("bytes={}-", len + 5)).await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{len}").as_str()
    );

    let res = s
        .client
        .get(s.url(&format!("/api/v1/assets/{id}/thumbnail")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (256, 128));
}

#[tokio::test]
async fn types_are_sniffed_from_the_bytes_and_bad_uploads_are_4xx() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, &[]).await;

    // The bytes decide, not the name or the client's content type.
    let jpeg = image_bytes(40, 30, ImageFormat::Jpeg);
    let a = upload(&s, &pid, "character_image", "looks.png", jpeg).await;
    assert_eq!(a["mime_type"], "image/jpeg");
    let a = upload(
        &s,
        &pid,
        "other",
        "notes.txt",
        image_bytes(8, 8, ImageFormat::Png),
    )
    .await;
    assert_eq!(a["mime_type"], "image/png");
    assert!(
        a["thumbnail_url"].is_string(),
        "any image gets a thumbnail: {a}"
    );
    let script = "第1集\n场景1：公园 日 外\n".as_bytes().to_vec();
    let a = upload(&s, &pid, "original_script", "剧本.txt", script).await;
    assert_eq!(a["mime_type"], "text/plain; charset=utf-8");
    assert_eq!(a["thumbnail_url"], Value::Null);
    assert_eq!(a["width"], Value::Null);
    let id = a["id"].as_str().unwrap();
    let (status, body) = s.get(&format!("/api/v1/assets/{id}/thumbnail")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
    let a = upload(&s, &pid, "other", "page.html", b"<html><script>".to_vec()).await;
    assert_eq!(a["mime_type"], "application/octet-stream");

    // A non-image sent as an image: 422 naming the file field, and its bytes are not kept.
    let text = b"definitely not a picture".to_vec();
    let (status, body) = s
        .multipart(
            "/api/v1/assets",
            &[("project_id", &pid), ("type", "keyframe_image")],
            vec![("file", "fake.png", text.clone())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("file"));
    assert!(!s.state.blobs.exists(&sha256_hex(&text)));

    let png = image_bytes(4, 4, ImageFormat::Png);
    let cases: Vec<BadUpload> = vec![
        (
            vec![("project_id", &pid), ("type", "hologram")],
            vec![("file", "a.png", png.clone())],
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("type"),
        ),
        (
            vec![("project_id", &pid)],
            vec![("file", "a.png", png.clone())],
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("type"),
        ),
        (
            vec![("type", "other")],
            vec![("file", "a.png", png.clone())],
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("project_id"),
        ),
        (
            vec![("project_id", &pid), ("type", "other")],
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("file"),
        ),
        (
            vec![("project_id", "no-such-project"), ("type", "other")],
            vec![("file", "a.png", png.clone())],
            StatusCode::NOT_FOUND,
            Some("project_id"),
        ),
        (
            vec![
                ("project_id", &pid),
                ("type", "other"),
                ("version_id", "nope"),
            ],
            vec![("file", "a.png", png.clone())],
            StatusCode::NOT_FOUND,
            Some("version_id"),
        ),
        (
            vec![
                ("project_id", &pid),
                ("type", "other"),
                ("metadata", "[1, 2]"),
            ],
            vec![("file", "a.png", png.clone())],
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("metadata"),
        ),
    ];
    for (texts, files, want, field) in cases {
        let (status, body) = s.multipart("/api/v1/assets", &texts, files).await;
        assert_eq!(status, want, "{texts:?}: {body}");
        let code = if want == StatusCode::NOT_FOUND {
            "NOT_FOUND"
        } else {
            "VALIDATION_ERROR"
        };
        assert_error(&body, code, field);
    }

    // JSON is not an upload.
    let (status, body) = s
        .post(
            "/api/v1/assets",
            json!({"project_id": pid, "type": "other"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
}

#[tokio::test]
async fn decompression_bombs_are_422_not_a_crash() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, &[]).await;
    let bomb = bomb_png(100_000, 100_000);
    assert!(bomb.len() < 100, "the bomb is tiny on the wire");
    for kind in ["keyframe_image", "other"] {
        let (status, body) = s
            .multipart(
                "/api/v1/assets",
                &[("project_id", &pid), ("type", kind)],
                vec![("file", "bomb.png", bomb.clone())],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}: {body}");
        assert_error(&body, "VALIDATION_ERROR", Some("file"));
        assert!(
            body["detail"].as_str().unwrap().contains("100000"),
            "{body}"
        );
    }
    // Over the allocation limit though within the side limit.
    let (status, body) = s
        .multipart(
            "/api/v1/assets",
            &[("project_id", &pid), ("type", "keyframe_image")],
            vec![("file", "bomb.png", bomb_png(16_000, 16_000))],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("file"));
    // The server is fine afterwards.
    let (status, page) = s.get("/api/v1/assets").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 0);
}

#[tokio::test]
async fn uploads_over_the_configured_limit_are_413_and_json_keeps_its_limit() {
    let s = TestServer::start_with(AuthMode::Local, |c| c.max_upload_bytes = 1024 * 1024).await;
    let pid = project(&s, &[]).await;
    let (status, body) = s
        .multipart(
            "/api/v1/assets",
            &[("project_id", &pid), ("type", "other")],
            vec![("file", "big.bin", vec![7u8; 1024 * 1024 + 1])],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "PAYLOAD_TOO_LARGE", None);
    let a = upload(&s, &pid, "other", "exact.bin", vec![7u8; 1024 * 1024]).await;
    assert_eq!(a["filesize"], 1024 * 1024);
    assert_eq!(a["mime_type"], "application/octet-stream");

    // The upload routes lift axum's default body limit; other routes keep the JSON limit.
    let big_name = "x".repeat(s.state.config.max_json_bytes + 1);
    let (status, body) = s.post("/api/v1/projects", json!({"name": big_name})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}

#[tokio::test]
async fn the_default_limit_is_100_mb() {
    let s = TestServer::start(AuthMode::Local).await;
    assert_eq!(s.state.config.max_upload_bytes, 100 * 1024 * 1024);
    let pid = project(&s, &[]).await;
    let (status, body) = s
        .multipart(
            "/api/v1/assets",
            &[("project_id", &pid), ("type", "video_clip")],
            vec![("file", "huge.mp4", vec![0u8; 100 * 1024 * 1024 + 1])],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "PAYLOAD_TOO_LARGE", None);
    assert!(
        body["detail"].as_str().unwrap().contains("100 MB"),
        "{body}"
    );
    // Nothing was kept: the store's temp dir is empty and no asset exists.
    let tmp = s.state.blobs.root().join("tmp");
    assert_eq!(std::fs::read_dir(tmp).unwrap().count(), 0);
    let (_, page) = s.get("/api/v1/assets?status=all").await;
    assert_eq!(page["total"], 0);

    // Files above the JSON body limit are fine: the upload route lifts it.
    let size = s.state.config.max_json_bytes + 1024 * 1024;
    let a = upload(&s, &pid, "video_clip", "clip.mp4", vec![5u8; size]).await;
    assert_eq!(a["filesize"], size as u64);
}

#[tokio::test]
async fn lists_filter_by_project_version_type_and_status_with_aliases() {
    let s = TestServer::start(AuthMode::Local).await;
    let p1 = project(&s, &[]).await;
    let p2 = project(&s, &[]).await;
    // A version of p1 made directly (the versions API is another module).
    let vid = "0190f000-0000-7000-8000-00000000abcd".to_string();
    {
        let (p1, vid) = (p1.clone(), vid.clone());
        s.state
            .db
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO project_versions (id, project_id, number, created_at, updated_at)
                     VALUES (?1, ?2, 99, '2026-02-08T10:00:00.000Z', '2026-02-08T10:00:00.000Z')",
                    [&vid, &p1],
                )?;
                Ok::<_, storyloom::db::DbError>(())
            })
            .await
            .unwrap();
    }
    let png = image_bytes(10, 10, ImageFormat::Png);
    let k1 = upload(&s, &p1, "keyframe_image", "k1.png", png.clone()).await;
    s.clock.advance(Duration::seconds(1));
    let (status, k2) = s
        .multipart(
            "/api/v1/assets",
            &[
                ("project_id", &p1),
                ("type", "keyframe_image"),
                ("version_id", &vid),
            ],
            vec![("file", "k2.png", image_bytes(12, 10, ImageFormat::Png))],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{k2}");
    assert_eq!(k2["version_id"], vid.as_str());
    s.clock.advance(Duration::seconds(1));
    let audio = upload(&s, &p1, "audio", "line.mp3", b"ID3\x04\0\0rest".to_vec()).await;
    assert_eq!(audio["mime_type"], "audio/mpeg");
    let other = upload(&s, &p2, "other", "x.bin", vec![1, 2, 3]).await;

    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, all) = s.get("/api/v1/assets").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total"], 4);
    let (_, page) = s.get(&format!("/api/v1/assets?project_id={p1}")).await;
    assert_eq!(
        ids(&page),
        [&audio, &k2, &k1].map(|a| a["id"].as_str().unwrap().to_string()),
        "newest first"
    );
    let (_, page) = s.get(&format!("/api/v1/assets?taskId={p2}")).await;
    assert_eq!(ids(&page), [other["id"].as_str().unwrap()]);
    let (_, page) = s.get(&format!("/api/v1/assets?versionId={vid}")).await;
    assert_eq!(ids(&page), [k2["id"].as_str().unwrap()]);
    let (_, page) = s
        .get(&format!("/api/v1/assets?version_id={vid}&type=audio"))
        .await;
    assert_eq!(page["total"], 0);
    let (_, page) = s
        .get(&format!(
            "/api/v1/assets?project_id={p1}&type=keyframe_image&limit=1&page=2"
        ))
        .await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["totalPages"], 2);
    assert_eq!(ids(&page), [k1["id"].as_str().unwrap()]);

    let (status, body) = s.get("/api/v1/assets?type=hologram").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "BAD_REQUEST", Some("type"));
    let (status, body) = s.get("/api/v1/assets?status=gone").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "BAD_REQUEST", Some("status"));

    // Trash and restore move an asset between the default list and the trash.
    s.clock.advance(Duration::minutes(1));
    let aid = audio["id"].as_str().unwrap();
    let (status, trashed) = s
        .call(
            Method::POST,
            &format!("/api/v1/assets/{aid}/trash"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{trashed}");
    assert_eq!(trashed["status"], "trashed");
    assert_eq!(trashed["trashed_at"], "2026-02-08T10:01:02.000Z");
    assert_eq!(trashed["updated_at"], "2026-02-08T10:01:02.000Z");
    let (_, page) = s.get(&format!("/api/v1/assets?project_id={p1}")).await;
    assert_eq!(page["total"], 2);
    let (_, page) = s.get("/api/v1/assets?status=trashed").await;
    assert_eq!(ids(&page), [aid]);
    let (_, page) = s.get("/api/v1/assets?status=all").await;
    assert_eq!(page["total"], 4);
    let (status, restored) = s
        .call(
            Method::POST,
            &format!("/api/v1/assets/{aid}/restore"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(restored["status"], "active");
    assert_eq!(restored["trashed_at"], Value::Null);
    let (_, page) = s.get("/api/v1/assets?status=trashed").await;
    assert_eq!(page["total"], 0);

    let (status, body) = s
        .call(Method::POST, "/api/v1/assets/nope/trash", None, &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
}

async fn delete(s: &TestServer, id: &str, query: &str) -> (StatusCode, Value) {
    s.call(
        Method::DELETE,
        &format!("/api/v1/assets/{id}{query}"),
        None,
        &[],
    )
    .await
}

async fn trash(s: &TestServer, id: &str) {
    let (status, body) = s
        .call(
            Method::POST,
            &format!("/api/v1/assets/{id}/trash"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn permanent_delete_needs_the_trash_and_a_fresh_single_use_token() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, &[]).await;
    let png = image_bytes(30, 20, ImageFormat::Png);
    let a = upload(&s, &pid, "keyframe_image", "a.png", png.clone()).await;
    let id = a["id"].as_str().unwrap().to_string();
    let blob = s.state.blobs.path_of(&sha256_hex(&png)).unwrap();
    assert!(blob.exists());

    // Only trashed assets can be deleted.
    let (status, body) = delete(&s, &id, "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("status"));
    trash(&s, &id).await;

    let (status, first) = delete(&s, &id, "").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["status"], "confirmation_required");
    assert_eq!(first["expires_at"], "2026-02-08T10:05:00.000Z");
    let t1 = first["confirm_token"].as_str().unwrap().to_string();
    assert!(t1.len() >= 32);
    // Only the token's hash is stored.
    let stored: Vec<String> = s
        .state
        .db
        .read(|c| {
            let mut st = c.prepare("SELECT token_hash FROM asset_delete_tokens")?;
            let rows = st.query_map([], |r| r.get(0))?;
            rows.collect::<storyloom::db::sql::Result<Vec<String>>>()
                .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(stored, [sha256_hex(t1.as_bytes())]);

    // A wrong token.
    let (status, body) = delete(&s, &id, "?confirmToken=not-the-token").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("confirmToken"));

    // A newer token replaces the older one.
    let (_, second) = delete(&s, &id, "").await;
    let t2 = second["confirm_token"].as_str().unwrap().to_string();
    assert_ne!(t1, t2);
    let (status, body) = delete(&s, &id, &format!("?confirmToken={t1}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("confirmToken"));

    // Expired after five minutes.
    s.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let (status, body) = delete(&s, &id, &format!("?confirmToken={t2}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("confirmToken"));
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    let (status, _) = s.get(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(status, StatusCode::OK, "still there");

    // A token is for a trashed asset only: restoring in between refuses it.
    let (_, third) = delete(&s, &id, "").await;
    let t3 = third["confirm_token"].as_str().unwrap().to_string();
    s.call(
        Method::POST,
        &format!("/api/v1/assets/{id}/restore"),
        None,
        &[],
    )
    .await;
    let (status, body) = delete(&s, &id, &format!("?confirmToken={t3}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    trash(&s, &id).await;

    // The right token (snake_case alias) deletes the row and the file.
    let (status, done) = delete(&s, &id, &format!("?confirm_token={t3}")).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"status": "deleted", "id": id}));
    let (status, _) = s.get(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!blob.exists(), "the file is removed with its last asset");
    let (status, _) = delete(&s, &id, &format!("?confirmToken={t3}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Used once: the same token does nothing for another asset (even with the same bytes).
    let b = upload(&s, &pid, "keyframe_image", "b.png", png.clone()).await;
    let bid = b["id"].as_str().unwrap().to_string();
    trash(&s, &bid).await;
    let (status, body) = delete(&s, &bid, &format!("?confirmToken={t3}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("confirmToken"));
}

#[tokio::test]
async fn shared_bytes_keep_their_file_until_the_last_asset_goes() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, &[]).await;
    let png = image_bytes(50, 50, ImageFormat::Png);
    let a = upload(&s, &pid, "keyframe_image", "a.png", png.clone()).await;
    let b = upload(&s, &pid, "character_image", "b.png", png.clone()).await;
    assert_eq!(a["sha256"], b["sha256"]);
    let blob = s.state.blobs.path_of(&sha256_hex(&png)).unwrap();

    async fn purge(s: &TestServer, id: &str) {
        trash(s, id).await;
        let (_, first) = delete(s, id, "").await;
        let token = first["confirm_token"].as_str().unwrap();
        let (status, body) = delete(s, id, &format!("?confirmToken={token}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    purge(&s, a["id"].as_str().unwrap()).await;
    assert!(blob.exists(), "b still uses the bytes");
    let res = s
        .client
        .get(s.url(&format!(
            "/api/v1/assets/{}/thumbnail",
            b["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the shared thumbnail survives"
    );
    purge(&s, b["id"].as_str().unwrap()).await;
    assert!(!blob.exists());
    // Only tmp/ is left in the store: the thumbnails went too.
    let files: usize = walk(s.state.blobs.root());
    assert_eq!(files, 0);
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p)
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test]
async fn owners_delete_for_good_and_nobody_sees_another_users_assets() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let admin = storyloom::accounts::create_user(&s.state, "admin", true)
        .await
        .unwrap();
    let user = storyloom::accounts::create_user(&s.state, "bob", false)
        .await
        .unwrap();
    let admin_bearer = format!(
        "Bearer {}",
        auth::issue_access_token(&s.state, &admin).unwrap()
    );
    let user_bearer = format!(
        "Bearer {}",
        auth::issue_access_token(&s.state, &user).unwrap()
    );
    let as_admin = [("authorization", admin_bearer.as_str())];
    let as_user = [("authorization", user_bearer.as_str())];

    let bob_project = project(&s, &as_user).await;
    let (status, asset) = multipart_with(
        &s,
        "/api/v1/assets",
        &as_user,
        &[("project_id", &bob_project), ("type", "keyframe_image")],
        vec![("file", "k.png", image_bytes(8, 8, ImageFormat::Png))],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    let id = asset["id"].as_str().unwrap().to_string();

    // The admin cannot upload into bob's project, nor see his asset.
    let (status, body) = multipart_with(
        &s,
        "/api/v1/assets",
        &as_admin,
        &[("project_id", &bob_project), ("type", "other")],
        vec![("file", "x.bin", vec![1])],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(&body, "NOT_FOUND", Some("project_id"));
    for (method, path) in [
        (Method::GET, format!("/api/v1/assets/{id}")),
        (Method::GET, format!("/api/v1/assets/{id}/download")),
        (Method::GET, format!("/api/v1/assets/{id}/thumbnail")),
        (Method::POST, format!("/api/v1/assets/{id}/trash")),
        (Method::POST, format!("/api/v1/assets/{id}/restore")),
        (Method::DELETE, format!("/api/v1/assets/{id}")),
    ] {
        let (status, body) = s.call(method.clone(), &path, None, &as_admin).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_error(&body, "NOT_FOUND", None);
    }
    let (_, page) = s
        .call(Method::GET, "/api/v1/assets?status=all", None, &as_admin)
        .await;
    assert_eq!(page["total"], 0);

    // Bob may trash his asset; deleting it for good takes a workspace owner or admin (Bob owns
    // his personal workspace, so he is asked to confirm; tests/it/authz_matrix.rs refuses editors).
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/api/v1/assets/{id}/trash"),
            None,
            &as_user,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/assets/{id}"),
            None,
            &as_user,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "confirmation_required");

    // A read-only key is refused before its upload is stored.
    let ro = auth::create_api_key(&s.state, &user, "ro", &[auth::Scope::Read], None)
        .await
        .unwrap();
    let big = vec![3u8; 256 * 1024];
    let (status, body) = multipart_with(
        &s,
        "/api/v1/assets",
        &[("x-api-key", ro.secret.as_str())],
        &[("project_id", &bob_project), ("type", "other")],
        vec![("file", "x.bin", big.clone())],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!s.state.blobs.exists(&sha256_hex(&big)));
    // An admin's key needs the admin scope to delete permanently.
    let admin_rw = auth::create_api_key(
        &s.state,
        &admin,
        "rw",
        &[auth::Scope::Read, auth::Scope::Write],
        None,
    )
    .await
    .unwrap();

    // Without credentials: 401.
    let (status, _) = s.get(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The admin's own trashed asset goes through the two steps.
    let admin_project = project(&s, &as_admin).await;
    let (_, own) = multipart_with(
        &s,
        "/api/v1/assets",
        &as_admin,
        &[("taskId", &admin_project), ("type", "subtitle")],
        vec![(
            "file",
            "a.srt",
            b"1\n00:00:01,000 --> 00:00:02,000\nHi\n".to_vec(),
        )],
    )
    .await;
    assert_eq!(own["mime_type"], "application/x-subrip", "{own}");
    let own_id = own["id"].as_str().unwrap().to_string();
    s.call(
        Method::POST,
        &format!("/api/v1/assets/{own_id}/trash"),
        None,
        &as_admin,
    )
    .await;
    let (status, first) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/assets/{own_id}"),
            None,
            &as_admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let token = first["confirm_token"].as_str().unwrap();
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/assets/{own_id}?confirmToken={token}"),
            None,
            &[("x-api-key", admin_rw.secret.as_str())],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a key without the admin scope"
    );
    // Bob cannot use the admin's token, even on the admin's asset id: it isn't in his workspace.
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/assets/{own_id}?confirmToken={token}"),
            None,
            &as_user,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, done) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/assets/{own_id}?confirmToken={token}"),
            None,
            &as_admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "deleted");
}

#[tokio::test]
async fn the_openapi_document_lists_the_asset_routes() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = &doc["paths"];
    assert!(paths["/api/v1/assets"]["get"].is_object());
    assert!(
        paths["/api/v1/assets"]["post"]["requestBody"]["content"]["multipart/form-data"]
            .is_object(),
        "{}",
        paths["/api/v1/assets"]
    );
    for p in [
        "/api/v1/assets/{id}",
        "/api/v1/assets/{id}/download",
        "/api/v1/assets/{id}/thumbnail",
        "/api/v1/assets/{id}/trash",
        "/api/v1/assets/{id}/restore",
    ] {
        assert!(paths[p].is_object(), "{p} missing");
    }
    assert!(paths["/api/v1/assets/{id}"]["delete"].is_object());
}
