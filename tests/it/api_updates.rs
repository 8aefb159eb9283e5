//! Desktop updates over real TCP (docs/API-UPDATES.md): the instance admin uploads builds signed
//! the way `tauri signer sign` signs them (minisign, the crate the Tauri CLI uses); the updater's
//! endpoint answers 204 or the manifest tauri-plugin-updater reads, newest by semantic version;
//! the manifest's URL serves the file, whose signature verifies against the team's key.
use crate::common;

use base64::Engine;
use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use storyloom::config::AuthMode;

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A team update key: the private half, and the public half as the desktop's config holds it.
fn update_key() -> (minisign::SecretKey, String) {
    let minisign::KeyPair { pk, sk } = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    (sk, b64(&pk.to_box().unwrap().to_string()))
}

/// The content of the `.sig` file `tauri signer sign` writes for `bytes`.
fn sig_file(sk: &minisign::SecretKey, bytes: &[u8]) -> String {
    let signature = minisign::sign(
        None,
        sk,
        std::io::Cursor::new(bytes),
        Some("signature from tauri secret key"),
        None,
    )
    .unwrap();
    b64(&signature.to_string())
}

/// A fake build: different bytes per version.
fn build(version: &str) -> Vec<u8> {
    let mut bytes = b"\x7fELF storyloom-desktop AppImage ".to_vec();
    bytes.extend(version.as_bytes());
    bytes.extend((0..4096u32).map(|i| (i * 31 % 251) as u8));
    bytes
}

async fn upload(
    s: &TestServer,
    version: &str,
    bytes: Vec<u8>,
    signature: &str,
) -> (StatusCode, Value) {
    s.multipart(
        "/api/v1/admin/updates",
        &[
            ("target", "linux"),
            ("arch", "x86_64"),
            ("version", version),
            ("notes", "Faster exports"),
            ("signature", signature),
        ],
        vec![("file", "Storyloom_amd64.AppImage", bytes)],
    )
    .await
}

#[tokio::test]
async fn the_updater_is_offered_the_newest_signed_build_and_can_verify_it() {
    let (sk, public_key) = update_key();
    let s = TestServer::start_with(AuthMode::Local, |c| {
        c.update_public_key = Some(public_key.clone())
    })
    .await;
    for version in ["1.2.0", "v1.10.0", "1.9.0"] {
        let bytes = build(version);
        let (status, release) = upload(&s, version, bytes.clone(), &sig_file(&sk, &bytes)).await;
        assert_eq!(status, StatusCode::CREATED, "{release}");
        assert_eq!(release["size"], bytes.len());
    }

    // Semantic order: 1.10.0 is the newest, not 1.9.0.
    let (status, manifest) = s.get("/api/v1/updates/linux/x86_64/1.0.0").await;
    assert_eq!(status, StatusCode::OK, "{manifest}");
    let mut keys: Vec<&str> = manifest
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["notes", "pub_date", "signature", "url", "version"]);
    assert_eq!(manifest["version"], "1.10.0");
    assert_eq!(manifest["notes"], "Faster exports");
    chrono::DateTime::parse_from_rfc3339(manifest["pub_date"].as_str().unwrap()).unwrap();
    let url = manifest["url"].as_str().unwrap();
    assert!(
        url.starts_with(&s.url("/api/v1/updates/artifacts/")),
        "{url}"
    );

    // What the desktop does next: download, and verify against the key in its config.
    let downloaded = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(downloaded.as_ref(), build("v1.10.0").as_slice());
    let decode = |b: &str| {
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap()).unwrap()
    };
    let key = minisign_verify::PublicKey::decode(&decode(&public_key)).unwrap();
    let signature =
        minisign_verify::Signature::decode(&decode(manifest["signature"].as_str().unwrap()))
            .unwrap();
    key.verify(&downloaded, &signature, false).unwrap();
    let part = s
        .client
        .get(url)
        .header("range", "bytes=0-3")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap().as_ref(), b"\x7fELF");

    // Current (with or without the `v`), ahead, or another platform: nothing to offer.
    for current in ["1.10.0", "v1.10.0", "2.0.0"] {
        let (status, body) = s
            .get(&format!("/api/v1/updates/linux/x86_64/{current}"))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{current}: {body}");
    }
    let (status, _) = s.get("/api/v1/updates/darwin/aarch64/0.1.0").await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Withdrawn: the next newest is offered, and the file is no longer served.
    let (_, list) = s.get("/api/v1/admin/updates").await;
    assert_eq!(list["total"], 3);
    let newest = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["version"] == "1.10.0")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, withdrawn) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/updates/{newest}"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert!(withdrawn["withdrawn_at"].is_string());
    let (_, manifest) = s.get("/api/v1/updates/linux/x86_64/1.0.0").await;
    assert_eq!(manifest["version"], "1.9.0");
    let gone = reqwest::get(url).await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_builds_are_refused_naming_the_field_and_nothing_is_kept() {
    let (sk, public_key) = update_key();
    let (other_sk, _) = update_key();
    let s = TestServer::start_with(AuthMode::Local, |c| {
        c.update_public_key = Some(public_key.clone())
    })
    .await;
    let bytes = build("1.0.0");
    let good = sig_file(&sk, &bytes);

    // Signed with another key, or for other bytes: the desktop would refuse it, so we do.
    let (status, e) = upload(&s, "1.0.0", bytes.clone(), &sig_file(&other_sk, &bytes)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_error(&e, "VALIDATION_ERROR", Some("signature"));
    let (status, e) = upload(&s, "1.0.0", build("1.0.1"), &good).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_error(&e, "VALIDATION_ERROR", Some("signature"));
    let (status, e) = upload(&s, "1.0.0", bytes.clone(), "not a signature").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_error(&e, "VALIDATION_ERROR", Some("signature"));
    let (status, e) = upload(&s, "one point oh", bytes.clone(), &good).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_error(&e, "VALIDATION_ERROR", Some("version"));
    for (field, value) in [("target", "macos"), ("arch", "amd64")] {
        let mut texts = vec![
            ("target", "linux"),
            ("arch", "x86_64"),
            ("version", "1.0.0"),
            ("signature", good.as_str()),
        ];
        texts.retain(|(k, _)| *k != field);
        texts.push((field, value));
        let (status, e) = s
            .multipart(
                "/api/v1/admin/updates",
                &texts,
                vec![("file", "a.AppImage", bytes.clone())],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_error(&e, "VALIDATION_ERROR", Some(field));
    }
    let (status, e) = s
        .multipart(
            "/api/v1/admin/updates",
            &[
                ("target", "linux"),
                ("arch", "x86_64"),
                ("version", "1.0.0"),
                ("signature", &good),
            ],
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_error(&e, "VALIDATION_ERROR", Some("file"));
    let (_, list) = s.get("/api/v1/admin/updates").await;
    assert_eq!(list["total"], 0, "nothing kept: {list}");
    let blobs = walk(&s.dir.path().join("blobs"));
    assert!(blobs.is_empty(), "refused files are not kept: {blobs:?}");

    // One build per platform and version.
    let (status, _) = upload(&s, "1.0.0", bytes.clone(), &good).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, e) = upload(&s, "v1.0.0", bytes.clone(), &good).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");

    // The updater's own question, malformed.
    let (status, e) = s.get("/api/v1/updates/macos/x86_64/1.0.0").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&e, "VALIDATION_ERROR", Some("target"));
    let (status, e) = s.get("/api/v1/updates/linux/x86_64/latest").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&e, "VALIDATION_ERROR", Some("current_version"));
}

/// Every file under `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "tmp") {
                continue;
            }
            found.extend(walk(&p));
        } else {
            found.push(p);
        }
    }
    found
}

#[tokio::test]
async fn only_the_instance_admin_uploads_and_anyone_may_ask() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let (_, first) = s.register("admin").await; // the first account is the instance admin
    let (_, member) = s.register("member").await;
    let (status, _) = s
        .call(
            Method::GET,
            "/api/v1/admin/updates",
            None,
            &[("authorization", &member)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list) = s
        .call(
            Method::GET,
            "/api/v1/admin/updates",
            None,
            &[("authorization", &first)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    // The updater asks without credentials.
    let (status, _) = s.get("/api/v1/updates/windows/x86_64/0.1.0").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
