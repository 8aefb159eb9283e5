//! The characters API over real TCP: JSON and multipart creation, unique names, CRUD with soft
//! delete, reference images, parser proposals, and the built-in consistency model.
use crate::common;

use std::io::Cursor;

use common::{assert_error, TestServer};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::{auth, config::AuthMode};

/// Three quarters `main`, one quarter `accent` (left to right).
fn two_colour_png(main: [u8; 3], accent: [u8; 3]) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(200, 120, |x, _| {
        if x < 150 {
            Rgb(main)
        } else {
            Rgb(accent)
        }
    }));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn project(s: &TestServer, name: &str) -> String {
    let (status, body) = s.post("/api/v1/projects", json!({"name": name})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn create(s: &TestServer, project_id: &str, name: &str) -> Value {
    let (status, body) = s
        .post(
            "/api/v1/characters",
            json!({"project_id": project_id, "name": name}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn add_image(s: &TestServer, id: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    s.multipart(
        &format!("/api/v1/characters/{id}/images"),
        &[],
        vec![("image", "ref.png", bytes)],
    )
    .await
}

async fn call(
    s: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    s.call(method, path, body, &[]).await
}

#[tokio::test]
async fn create_as_json_or_multipart_with_an_image() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, "Drama").await;
    let (status, li) = s
        .post(
            "/api/v1/characters",
            json!({"project_id": pid, "name": "  李雷 ", "description": "男主", "voice": "warm-male"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{li}");
    assert_eq!(li["name"], "李雷");
    assert_eq!(li["description"], "男主");
    assert_eq!(li["voice"], "warm-male");
    assert_eq!(li["status"], "confirmed");
    assert_eq!(li["project_id"], pid.as_str());
    assert_eq!(li["image_url"], Value::Null);
    assert_eq!(li["reference_asset_ids"], json!([]));
    assert_eq!(li["consistency_profile"], json!({}));
    assert_eq!(li["consistency_model_id"], Value::Null);
    assert_eq!(li["created_at"], "2026-02-08T10:00:00.000Z");

    // The multipart create: name/project_id/image.
    let png = two_colour_png([200, 30, 30], [20, 20, 220]);
    let (status, han) = s
        .multipart(
            "/api/v1/characters",
            &[
                ("project_id", &pid),
                ("name", "韩梅梅"),
                ("voice", "bright"),
            ],
            vec![("image", "han.png", png.clone())],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{han}");
    assert_eq!(han["name"], "韩梅梅");
    assert_eq!(han["voice"], "bright");
    let refs = han["reference_asset_ids"].as_array().unwrap();
    assert_eq!(refs.len(), 1);
    let image_id = refs[0].as_str().unwrap();
    assert_eq!(
        han["image_url"],
        format!("/api/v1/assets/{image_id}/download")
    );
    assert_eq!(
        han["thumbnail_url"],
        format!("/api/v1/assets/{image_id}/thumbnail")
    );

    // The image is an ordinary asset of the project, tagged with the character.
    let (status, asset) = s.get(&format!("/api/v1/assets/{image_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(asset["type"], "character_image");
    assert_eq!(asset["project_id"], pid.as_str());
    assert_eq!(asset["metadata"]["character_id"], han["id"]);
    assert_eq!(asset["width"], 200);
    let res = s
        .client
        .get(s.url(han["image_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);

    // A multipart form with a non-image refuses the whole character.
    let (status, body) = s
        .multipart(
            "/api/v1/characters",
            &[("project_id", &pid), ("name", "王五")],
            vec![("image", "x.png", b"not an image".to_vec())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("image"));
    let (_, page) = s.get(&format!("/api/v1/characters?project_id={pid}")).await;
    assert_eq!(page["total"], 2, "nothing was created: {page}");

    // Missing fields name themselves, in both encodings.
    let (status, body) = s
        .multipart("/api/v1/characters", &[("project_id", &pid)], vec![])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("name"));
    let (status, body) = s.post("/api/v1/characters", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("project_id"));
    let (status, body) = s
        .post(
            "/api/v1/characters",
            json!({"project_id": pid, "name": "   "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("name"));
    let (status, body) = s
        .post(
            "/api/v1/characters",
            json!({"project_id": "nope", "name": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", Some("project_id"));
    let res = s
        .client
        .post(s.url("/api/v1/characters"))
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // The JSON branch keeps the JSON body limit although the route lifts axum's default.
    let huge = "x".repeat(s.state.config.max_json_bytes + 10);
    let (status, body) = s
        .post(
            "/api/v1/characters",
            json!({"project_id": pid, "name": "x", "description": huge}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "PAYLOAD_TOO_LARGE", None);
}

#[tokio::test]
async fn names_are_unique_per_project_case_insensitively() {
    let s = TestServer::start(AuthMode::Local).await;
    let p1 = project(&s, "One").await;
    let p2 = project(&s, "Two").await;
    let alice = create(&s, &p1, "Alice").await;
    let (status, body) = s
        .post(
            "/api/v1/characters",
            json!({"project_id": p1, "name": " alice "}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("name"));
    let (status, body) = s
        .multipart(
            "/api/v1/characters",
            &[("project_id", &p1), ("name", "ALICE")],
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("name"));
    create(&s, &p2, "alice").await; // another project is fine

    // Beyond ASCII too: SQLite's lower() alone let 'Émile' and 'émile' both in.
    create(&s, &p1, "Émile").await;
    for name in ["émile", "ÉMILE"] {
        let (status, body) = s
            .post(
                "/api/v1/characters",
                json!({"project_id": p1, "name": name}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}: {body}");
        assert_error(&body, "CONFLICT", Some("name"));
    }

    // Renaming onto a taken name is a conflict; a case change of one's own name is not.
    let bob = create(&s, &p1, "Bob").await;
    let bob_id = bob["id"].as_str().unwrap();
    let (status, body) = call(
        &s,
        Method::PATCH,
        &format!("/api/v1/characters/{bob_id}"),
        Some(json!({"name": "ALICE"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("name"));
    let (status, body) = call(
        &s,
        Method::PATCH,
        &format!("/api/v1/characters/{bob_id}"),
        Some(json!({"name": "BOB"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "BOB");

    // A deleted character frees its name; restoring it while the name is taken is a conflict.
    let alice_id = alice["id"].as_str().unwrap();
    let (status, deleted) = call(
        &s,
        Method::DELETE,
        &format!("/api/v1/characters/{alice_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["id"], alice_id);
    let new_alice = create(&s, &p1, "alice").await;
    let (status, body) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{alice_id}/restore"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("name"));
    let new_id = new_alice["id"].as_str().unwrap();
    call(
        &s,
        Method::DELETE,
        &format!("/api/v1/characters/{new_id}"),
        None,
    )
    .await;
    let (status, restored) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{alice_id}/restore"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["name"], "Alice");

    // The parser's proposals reuse the existing character instead of duplicating it.
    let (p1c, id_source) = (p1.clone(), s.state.ids.clone());
    let ids = s
        .state
        .db
        .write(move |tx| {
            storyloom::characters::propose_in_tx(
                tx,
                id_source.as_ref(),
                &p1c,
                &["ALICE".to_string(), "Carol".to_string()],
                "2026-02-08T10:00:00.000Z",
            )
            .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(ids["ALICE"], alice_id);
    let (_, page) = s.get(&format!("/api/v1/characters?project_id={p1}")).await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alice", "BOB", "Carol", "Émile"]);
}

#[tokio::test]
async fn read_update_delete_restore_and_confirm() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, "Drama").await;
    let other = project(&s, "Other").await;
    let c = create(&s, &pid, "Zed").await;
    let id = c["id"].as_str().unwrap().to_string();
    create(&s, &other, "Yan").await;

    let (status, got) = s.get(&format!("/api/v1/characters/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, c);

    s.clock.advance(chrono::Duration::minutes(2));
    let (status, patched) = call(
        &s,
        Method::PATCH,
        &format!("/api/v1/characters/{id}"),
        Some(
            json!({"description": "villain", "voice": "deep", "status": "proposed",
                    "consistency_profile": {"style": "ink"}}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "Zed", "untouched fields stay");
    assert_eq!(patched["description"], "villain");
    assert_eq!(patched["voice"], "deep");
    assert_eq!(patched["status"], "proposed");
    assert_eq!(patched["consistency_profile"], json!({"style": "ink"}));
    assert_eq!(patched["updated_at"], "2026-02-08T10:02:00.000Z");
    assert_eq!(patched["created_at"], c["created_at"]);

    let (status, put) = call(
        &s,
        Method::PUT,
        &format!("/api/v1/characters/{id}"),
        Some(json!({"voice": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(put["voice"], Value::Null, "an empty voice clears it");
    assert_eq!(put["description"], "villain");

    for (body, field) in [
        (json!({"status": "famous"}), "status"),
        (json!({"consistency_profile": [1]}), "consistency_profile"),
        (json!({"name": ""}), "name"),
        (json!({"description": "d".repeat(10_001)}), "description"),
        (
            json!({"image_asset_id": "not-a-reference"}),
            "image_asset_id",
        ),
    ] {
        let (status, err) = call(
            &s,
            Method::PATCH,
            &format!("/api/v1/characters/{id}"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }

    // Status and project filters.
    let (_, page) = s.get("/api/v1/characters?status=proposed").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], id.as_str());
    let (_, page) = s.get("/api/v1/characters?status=confirmed").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["name"], "Yan");
    let (_, page) = s
        .get(&format!("/api/v1/characters?project_id={other}"))
        .await;
    assert_eq!(page["total"], 1);
    let (_, page) = s.get("/api/v1/characters?limit=1").await;
    assert_eq!(
        (page["total"].as_u64(), page["totalPages"].as_u64()),
        (Some(2), Some(2))
    );
    let (status, body) = s.get("/api/v1/characters?status=famous").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "BAD_REQUEST", Some("status"));

    let (status, confirmed) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{id}/confirm"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(confirmed["status"], "confirmed");

    let (status, _) = call(
        &s,
        Method::DELETE,
        &format!("/api/v1/characters/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s.get(&format!("/api/v1/characters/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
    let (_, page) = s.get(&format!("/api/v1/characters?project_id={pid}")).await;
    assert_eq!(page["total"], 0);
    let (status, _) = call(
        &s,
        Method::DELETE,
        &format!("/api/v1/characters/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleting twice");
    let (status, back) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{id}/restore"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(back["name"], "Zed");
    let (status, _) = call(&s, Method::POST, "/api/v1/characters/nope/restore", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reference_images_and_the_main_image() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, "Drama").await;
    let c = create(&s, &pid, "Mei").await;
    let id = c["id"].as_str().unwrap();

    let (status, first) = add_image(&s, id, two_colour_png([255, 0, 0], [0, 0, 255])).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let r1 = first["reference_asset_ids"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(first["image_url"], format!("/api/v1/assets/{r1}/download"));
    let (status, second) = add_image(&s, id, two_colour_png([0, 255, 0], [0, 0, 0])).await;
    assert_eq!(status, StatusCode::OK);
    let refs: Vec<String> = second["reference_asset_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(refs.len(), 2);
    assert_eq!(refs[0], r1);
    assert_eq!(
        second["image_url"], first["image_url"],
        "the first stays the main image"
    );

    // Another reference can be made the main image.
    let (status, chosen) = call(
        &s,
        Method::PATCH,
        &format!("/api/v1/characters/{id}"),
        Some(json!({"image_asset_id": refs[1]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{chosen}");
    assert_eq!(
        chosen["image_url"],
        format!("/api/v1/assets/{}/download", refs[1])
    );

    // Bad images: 422 naming the field; the `file` field name works too.
    let (status, body) = add_image(&s, id, b"GIF89a broken".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("image"));
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend_from_slice(&[0, 0, 0, 13]);
    let ihdr = [
        b"IHDR".as_slice(),
        &100_000u32.to_be_bytes(),
        &100_000u32.to_be_bytes(),
        &[8, 6, 0, 0, 0],
    ]
    .concat();
    bomb.extend_from_slice(&ihdr);
    bomb.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let (status, body) = s
        .multipart(
            &format!("/api/v1/characters/{id}/images"),
            &[],
            vec![("file", "bomb.png", bomb)],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("file"));
    let (status, body) = s
        .multipart(
            &format!("/api/v1/characters/{id}/images"),
            &[("name", "x")],
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("image"));
    let (status, _) = add_image(&s, "nope", two_colour_png([1, 1, 1], [2, 2, 2])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Trashed images stop being references.
    call(
        &s,
        Method::POST,
        &format!("/api/v1/assets/{}/trash", refs[0]),
        None,
    )
    .await;
    let (_, got) = s.get(&format!("/api/v1/characters/{id}")).await;
    assert_eq!(got["reference_asset_ids"], json!([refs[1]]));
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

#[tokio::test]
async fn the_builtin_consistency_model_is_deterministic() {
    let s = TestServer::start(AuthMode::Local).await;
    let p1 = project(&s, "One").await;
    let p2 = project(&s, "Two").await;
    let a = create(&s, &p1, "Red").await;
    let aid = a["id"].as_str().unwrap();

    let (status, body) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{aid}/consistency-model"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("image"));
    assert!(
        body["detail"].as_str().unwrap().contains("reference image"),
        "{body}"
    );

    let red = two_colour_png([255, 0, 0], [0, 0, 255]);
    add_image(&s, aid, red.clone()).await;
    let (status, m1) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{aid}/consistency-model"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{m1}");
    assert_eq!(m1["character_id"], aid);
    assert_eq!(m1["status"], "ready");
    assert!(m1["processing_time"].as_f64().unwrap() >= 0.0);
    let model_id = m1["model_id"].as_str().unwrap().to_string();
    assert!(model_id.starts_with("local-"), "{model_id}");
    assert_eq!(model_id.len(), "local-".len() + 12);
    assert!(model_id[6..].bytes().all(|b| b.is_ascii_hexdigit()));
    let profile = &m1["profile"];
    assert_eq!(profile["provider"], "builtin");
    assert_eq!(profile["model_id"], model_id.as_str());
    assert!(profile["seed"].is_u64());
    let palette: Vec<&str> = profile["palette"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(!palette.is_empty() && palette.len() <= 5, "{palette:?}");
    assert_eq!(
        palette[0], "#ff0000",
        "the dominant colour comes first: {palette:?}"
    );
    assert!(palette.contains(&"#0000ff"), "{palette:?}");
    let (_, got) = s.get(&format!("/api/v1/characters/{aid}")).await;
    assert_eq!(profile["reference_asset_ids"], got["reference_asset_ids"]);
    assert_eq!(got["consistency_model_id"], model_id.as_str());
    assert_eq!(&got["consistency_profile"], profile);

    // Again: the same model. Keys set by hand survive.
    call(
        &s,
        Method::PATCH,
        &format!("/api/v1/characters/{aid}"),
        Some(json!({"consistency_profile": {"style": "ink"}})),
    )
    .await;
    let (_, m2) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{aid}/consistency-model"),
        None,
    )
    .await;
    assert_eq!(m2["model_id"], m1["model_id"]);
    assert_eq!(m2["profile"]["seed"], m1["profile"]["seed"]);
    assert_eq!(m2["profile"]["palette"], m1["profile"]["palette"]);
    assert_eq!(m2["profile"]["style"], "ink");

    // Same bytes elsewhere → same seed; a different image → a different model.
    let b = create(&s, &p2, "Also red").await;
    let bid = b["id"].as_str().unwrap();
    add_image(&s, bid, red.clone()).await;
    let (_, mb) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{bid}/consistency-model"),
        None,
    )
    .await;
    assert_eq!(mb["model_id"], m1["model_id"]);
    assert_eq!(mb["profile"]["seed"], m1["profile"]["seed"]);
    let c = create(&s, &p2, "Green").await;
    let cid = c["id"].as_str().unwrap();
    add_image(&s, cid, two_colour_png([0, 200, 0], [250, 250, 250])).await;
    let (_, mc) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{cid}/consistency-model"),
        None,
    )
    .await;
    assert_ne!(mc["model_id"], m1["model_id"]);
    assert_ne!(mc["profile"]["seed"], m1["profile"]["seed"]);
    assert_eq!(mc["profile"]["palette"][0], "#00c800");
    // Adding a reference changes the model.
    add_image(&s, aid, two_colour_png([0, 200, 0], [250, 250, 250])).await;
    let (_, m3) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{aid}/consistency-model"),
        None,
    )
    .await;
    assert_ne!(m3["model_id"], m1["model_id"]);
    assert_eq!(
        m3["profile"]["reference_asset_ids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        m3["profile"]["palette"], m1["profile"]["palette"],
        "the palette comes from the first image"
    );
}

#[tokio::test]
async fn another_users_characters_and_projects_are_404() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let alice = storyloom::accounts::create_user(&s.state, "alice", false)
        .await
        .unwrap();
    let bob = storyloom::accounts::create_user(&s.state, "bob", false)
        .await
        .unwrap();
    let a = format!(
        "Bearer {}",
        auth::issue_access_token(&s.state, &alice).unwrap()
    );
    let b = format!(
        "Bearer {}",
        auth::issue_access_token(&s.state, &bob).unwrap()
    );
    let as_a = [("authorization", a.as_str())];
    let as_b = [("authorization", b.as_str())];

    let (_, p) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "A"})),
            &as_a,
        )
        .await;
    let pid = p["id"].as_str().unwrap();
    let (status, c) = s
        .call(
            Method::POST,
            "/api/v1/characters",
            Some(json!({"project_id": pid, "name": "Hero"})),
            &as_a,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().unwrap();

    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/characters",
            Some(json!({"project_id": pid, "name": "Spy"})),
            &as_b,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(&body, "NOT_FOUND", Some("project_id"));
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/characters/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/characters/{id}"),
            Some(json!({"name": "Mine"})),
        ),
        (Method::DELETE, format!("/api/v1/characters/{id}"), None),
        (
            Method::POST,
            format!("/api/v1/characters/{id}/restore"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/characters/{id}/confirm"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/characters/{id}/consistency-model"),
            None,
        ),
    ] {
        let (status, err) = s.call(method.clone(), &path, body, &as_b).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {err}");
        assert_error(&err, "NOT_FOUND", None);
    }
    let (_, page) = s.call(Method::GET, "/api/v1/characters", None, &as_b).await;
    assert_eq!(page["total"], 0);
    let (_, page) = s
        .call(
            Method::GET,
            &format!("/api/v1/characters?project_id={pid}"),
            None,
            &as_b,
        )
        .await;
    assert_eq!(page["total"], 0);
    let (_, page) = s.call(Method::GET, "/api/v1/characters", None, &as_a).await;
    assert_eq!(page["total"], 1);
    let (status, _) = s.get("/api/v1/characters").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_openapi_document_describes_both_encodings() {
    let s = TestServer::start(AuthMode::Local).await;
    let (_, doc) = s.get("/api/v1/openapi.json").await;
    let content = &doc["paths"]["/api/v1/characters"]["post"]["requestBody"]["content"];
    assert!(content["application/json"].is_object(), "{content}");
    assert!(content["multipart/form-data"].is_object(), "{content}");
    for p in [
        "/api/v1/characters/{id}",
        "/api/v1/characters/{id}/restore",
        "/api/v1/characters/{id}/images",
        "/api/v1/characters/{id}/confirm",
        "/api/v1/characters/{id}/consistency-model",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
    let ops = &doc["paths"]["/api/v1/characters/{id}"];
    for m in ["get", "put", "patch", "delete"] {
        assert!(ops[m].is_object(), "{m} missing");
    }
}

/// The voice picker: espeak-ng's installed voices for a language (or OpenAI's six for an
/// OpenAI-compatible model), and the field named when the model or language is wrong.
#[tokio::test]
async fn voices_are_listed_for_a_picker() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, list) = s
        .get("/api/v1/voices?provider=builtin.espeak&language=zh")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["provider"], "builtin.espeak");
    assert_eq!(list["accepts_descriptions"], true);
    let installed = storyloom::providers::EspeakTts::default()
        .version()
        .await
        .is_some();
    if installed {
        let ids: Vec<&str> = list["voices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"cmn"), "{list}");
        assert!(!ids.iter().any(|i| i.starts_with("mb/")), "{list}");
        assert!(
            list["variants"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["id"] == "f3" && v["gender"] == "female"),
            "{list}"
        );
    } else {
        assert!(list["note"].is_string(), "{list}");
    }
    // The default TTS model, every language.
    let (status, all) = s.get("/api/v1/voices").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["provider"], "builtin.espeak");

    // An OpenAI-compatible speech model: the fixed list.
    let (status, p) = s
        .post(
            "/api/v1/admin/providers",
            json!({"name": "Speech", "adapter": "openai_compatible", "base_url": "http://127.0.0.1:9/v1",
                   "api_key": "sk-test-0123456789abcd"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, m) = s
        .post(
            "/api/v1/models",
            json!({"name": "Speech", "provider_id": p["id"], "model_name": "tts-1", "kind": "tts"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let (status, list) = s
        .get(&format!(
            "/api/v1/voices?provider={}",
            m["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<&str> = list["voices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alloy", "echo", "fable", "onyx", "nova", "shimmer"]);
    assert_eq!(list["accepts_descriptions"], false);

    for (query, field) in [
        ("provider=nope", "provider"),
        ("provider=builtin.animatic", "provider"),
        ("language=zh%3Brm", "language"),
    ] {
        let (status, err) = s.get(&format!("/api/v1/voices?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }
}

/// An audition: a description is heard as the voice it maps to, as a real WAV.
#[tokio::test]
async fn a_voice_can_be_auditioned() {
    let s = TestServer::start(AuthMode::Local).await;
    let res = s
        .client
        .post(s.url("/api/v1/voices/preview"))
        .json(&json!({"provider": "builtin.espeak", "voice": "温柔女声，略带沙哑", "text": "你好，我是林雪。"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "audio/wav");
    assert_eq!(res.headers()["x-voice"], "cmn+f3");
    assert_eq!(res.headers()["x-voice-pitch"], "42");
    let wav = res.bytes().await.unwrap();
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    let info = storyloom::providers::wav::parse_wav(&wav).unwrap();
    assert!(info.duration_ms() > 0);

    // No voice: the language's own; English text, an English voice.
    let res = s
        .client
        .post(s.url("/api/v1/voices/preview"))
        .json(&json!({"text": "Hello there."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-voice"], "en");

    let long = "好".repeat(201);
    for (body, field) in [
        (json!({"text": "  "}), "text"),
        (json!({"text": long}), "text"),
        (json!({"text": "hi", "provider": "nope"}), "provider"),
    ] {
        let (status, err) = s.post("/api/v1/voices/preview", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }
}

/// Two scripts, one Chinese and one English; each names its cast.
const CAST_SCRIPTS: [(&str, &[&str]); 2] = [
    (
        "场景1：客厅 日 内\n林晓：你回来了。\n顾辰：嗯，我回来了。\n陈母：都别站着，先吃饭吧。\n\n场景2：公园 夜 外\n△林晓和顾辰并肩走着。\n林晓：今天谢谢你。\n顾辰：不用谢。\n",
        &["林晓", "顾辰", "陈母"],
    ),
    (
        "INT. KITCHEN - DAY\n\nANNA\nWhere were you?\n\nBEN\nOut.\n\nMRS. CHEN\nSit down, both of you.\n\nDETECTIVE HALE\nNobody leaves.\n\nEXT. STREET - NIGHT\n\nANNA\nBen, wait.\n\nBEN\nI can't.\n",
        &["ANNA", "BEN", "MRS. CHEN", "DETECTIVE HALE"],
    ),
];

/// Issue 14: two characters of a pasted script came out as the same figure in the animatic. Each
/// shot's keyframe is rendered by the server; the renderer's own layout says where each figure is;
/// every character wears one colour in all its shots, and no two characters share one.
#[tokio::test]
async fn animatic_frames_draw_each_character_of_a_script_distinctly() {
    use storyloom::render::{figures, frame_size, FrameCharacter, FrameSpec};
    let s = TestServer::start(AuthMode::Local).await;
    for (script, cast) in CAST_SCRIPTS {
        let (status, p) = s.post("/api/v1/projects", json!({"name": cast[0]})).await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        let (pid, vid) = (
            p["id"].as_str().unwrap(),
            p["current_version_id"].as_str().unwrap(),
        );
        let (status, body) = call(
            &s,
            Method::PUT,
            &format!("/api/v1/projects/{pid}/versions/{vid}/script"),
            Some(json!({"text": script})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, chars) = s.get(&format!("/api/v1/characters?project_id={pid}")).await;
        let chars = chars["items"].as_array().unwrap().clone();
        let mut names: Vec<&str> = chars.iter().map(|c| c["name"].as_str().unwrap()).collect();
        names.sort();
        let mut expected = cast.to_vec();
        expected.sort();
        assert_eq!(names, expected, "the parser proposed the cast");
        let slot_of = |id: &str| {
            chars.iter().find(|c| c["id"] == id).unwrap()["look_slot"]
                .as_u64()
                .unwrap() as u32
        };
        let (_, board) = s.get(&format!("/api/v1/projects/{pid}/storyboard")).await;
        let shots: Vec<Value> = board["scenes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|sc| sc["shots"].as_array().unwrap().clone())
            .collect();
        let mut clothes: std::collections::BTreeMap<String, Vec<[u8; 3]>> = Default::default();
        for shot in &shots {
            let ids: Vec<&str> = shot["character_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let (status, done) = s
                .post(
                    &format!(
                        "/api/v1/storyboards/{}/generate",
                        shot["id"].as_str().unwrap()
                    ),
                    json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{done}");
            let png = s
                .client
                .get(s.url(done["image_url"].as_str().unwrap()))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let img = image::load_from_memory(&png).unwrap().to_rgb8();
            let (width, height) = frame_size("9:16");
            let spec = FrameSpec {
                width,
                height,
                shot_type: shot["shot_type"].as_str().map(str::to_string),
                characters: ids
                    .iter()
                    .map(|id| FrameCharacter::new(*id, "", Some(slot_of(id))))
                    .collect(),
                ..FrameSpec::default()
            };
            for f in figures(&spec) {
                let (x, y) = f.torso_center;
                let seen = img.get_pixel(x as u32, y as u32).0;
                assert_eq!(
                    seen, f.clothes,
                    "shot {} figure {}",
                    shot["number"], f.index
                );
                clothes
                    .entry(ids[f.index].to_string())
                    .or_default()
                    .push(seen);
            }
        }
        assert_eq!(
            clothes.len(),
            cast.len(),
            "every character was drawn: {clothes:?}"
        );
        for (id, seen) in &clothes {
            assert!(seen.iter().all(|c| *c == seen[0]), "{id}: {seen:?}");
        }
        let colours: Vec<[u8; 3]> = clothes.values().map(|v| v[0]).collect();
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                let d: f32 = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (f32::from(*x) - f32::from(*y)).powi(2))
                    .sum::<f32>()
                    .sqrt();
                assert!(d >= 60.0, "{a:?} and {b:?} look alike ({cast:?})");
            }
        }
    }
}

/// Issue 14: the character page removes reference images. Removing the main one makes the next the
/// main image; a main image trashed from the asset browser no longer leaves `image_url` pointing at
/// the trash; a removed image is in the trash and can be restored.
#[tokio::test]
async fn reference_images_can_be_removed_and_the_main_image_moves_on() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, "Drama").await;
    let c = create(&s, &pid, "Mei").await;
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["image_asset_id"], Value::Null);
    let mut refs = Vec::new();
    for colour in [[255, 0, 0], [0, 255, 0], [0, 0, 255]] {
        let (status, body) = add_image(&s, id, two_colour_png(colour, [0, 0, 0])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        refs.push(
            body["reference_asset_ids"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let remove = |asset: String| {
        let path = format!("/api/v1/characters/{id}/images/{asset}");
        let s = &s;
        async move { call(s, Method::DELETE, &path, None).await }
    };
    // The main image (the first) goes: the second becomes the main one.
    let (status, after) = remove(refs[0].clone()).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["reference_asset_ids"], json!([refs[1], refs[2]]));
    assert_eq!(after["image_asset_id"], refs[1].as_str());
    assert_eq!(
        after["image_url"],
        format!("/api/v1/assets/{}/download", refs[1])
    );
    let (_, asset) = s.get(&format!("/api/v1/assets/{}", refs[0])).await;
    assert_eq!(
        asset["status"], "trashed",
        "removed images wait in the trash"
    );
    // Restoring it from the trash brings it back as a reference, not as the main image.
    call(
        &s,
        Method::POST,
        &format!("/api/v1/assets/{}/restore", refs[0]),
        None,
    )
    .await;
    let (_, got) = s.get(&format!("/api/v1/characters/{id}")).await;
    assert_eq!(
        got["reference_asset_ids"],
        json!([refs[0], refs[1], refs[2]])
    );
    assert_eq!(got["image_asset_id"], refs[1].as_str());

    // Not one of its images, or already removed: 404 naming the field.
    let (status, body) = remove("nope".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(&body, "NOT_FOUND", Some("asset_id"));
    let other = create(&s, &pid, "Lei").await;
    let (status, _) = call(
        &s,
        Method::DELETE,
        &format!(
            "/api/v1/characters/{}/images/{}",
            other["id"].as_str().unwrap(),
            refs[1]
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The main image trashed from the asset browser: the character shows its next image.
    call(
        &s,
        Method::POST,
        &format!("/api/v1/assets/{}/trash", refs[1]),
        None,
    )
    .await;
    let (_, got) = s.get(&format!("/api/v1/characters/{id}")).await;
    assert_eq!(got["image_asset_id"], refs[0].as_str());
    assert_eq!(
        got["image_url"],
        format!("/api/v1/assets/{}/download", refs[0])
    );
    assert_eq!(
        got["thumbnail_url"],
        format!("/api/v1/assets/{}/thumbnail", refs[0])
    );

    // Removing the last images leaves none.
    for r in [&refs[0], &refs[2]] {
        let (status, _) = remove(r.clone()).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, got) = s.get(&format!("/api/v1/characters/{id}")).await;
    assert_eq!(got["reference_asset_ids"], json!([]));
    assert_eq!(got["image_url"], Value::Null);
    assert_eq!(got["image_asset_id"], Value::Null);
}

/// Look slots are given at creation and never reused: a deleted character keeps its slot, so no
/// character's look changes when another comes or goes.
#[tokio::test]
async fn look_slots_are_given_once_per_project() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project(&s, "Drama").await;
    let a = create(&s, &pid, "A").await;
    let b = create(&s, &pid, "B").await;
    assert_eq!(
        (a["look_slot"].as_u64(), b["look_slot"].as_u64()),
        (Some(0), Some(1))
    );
    let aid = a["id"].as_str().unwrap();
    call(
        &s,
        Method::DELETE,
        &format!("/api/v1/characters/{aid}"),
        None,
    )
    .await;
    let c = create(&s, &pid, "C").await;
    assert_eq!(c["look_slot"], 2);
    let (_, a) = call(
        &s,
        Method::POST,
        &format!("/api/v1/characters/{aid}/restore"),
        None,
    )
    .await;
    assert_eq!(a["look_slot"], 0);
    // Another project starts again at 0.
    let other = project(&s, "Other").await;
    assert_eq!(create(&s, &other, "A").await["look_slot"], 0);
}

/// Issue 14: the character editor shows which voice a description stands for, and fetches
/// auditions with a GET (as a plain download through the page's transport).
#[tokio::test]
async fn a_description_shows_its_voice_and_auditions_come_by_get() {
    let s = TestServer::start(AuthMode::Local).await;
    for (voice, language, expected, pitch, described) in [
        ("温柔女声，略带沙哑", "zh", "cmn+f3", Some(42), true),
        ("deep old man", "en", "en+m3", Some(30), true),
        ("cmn+m3", "zh", "cmn+m3", None, false),
        ("", "en", "en", None, false),
    ] {
        let path = format!(
            "/api/v1/voices/match?voice={}&language={language}",
            form_urlencoded::byte_serialize(voice.as_bytes()).collect::<String>()
        );
        let (status, m) = s.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{voice}: {m}");
        assert_eq!(m["voice"], expected, "{voice}");
        assert_eq!(m["pitch"].as_u64(), pitch.map(|p: u64| p), "{voice}");
        assert_eq!(m["described"], described, "{voice}");
    }
    let long = "好".repeat(201);
    let (status, err) = s.get(&format!("/api/v1/voices/match?voice={long}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&err, "VALIDATION_ERROR", Some("voice"));

    let res = s
        .client
        .get(s.url("/api/v1/voices/preview"))
        .query(&[
            ("voice", "温柔女声，略带沙哑"),
            ("text", "你好，我是林雪。"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-voice"], "cmn+f3");
    assert_eq!(&res.bytes().await.unwrap()[..4], b"RIFF");
    let (status, err) = s.get("/api/v1/voices/preview?text=%20").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_error(&err, "VALIDATION_ERROR", Some("text"));
}
