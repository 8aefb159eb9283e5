//! Sync under kill -9 (issue 19): a real desktop process (`serve --auth local`) and a real team
//! server process, each on its own data directory and a fixed port on 127.0.0.1. In each trial
//! both sides edit the same shot, the desktop adds an asset (so a blob is uploaded), a sync starts,
//! and after a seeded random delay one of the two processes is killed with SIGKILL and started
//! again on its data. Afterwards the desktop and the server hold the same project; every trial's
//! concurrent edit is recorded as a conflict exactly once (a mutation applied twice would record
//! it twice); the server's counter for the desktop is the desktop's own last counter, with
//! nothing left in its outbox; and every blob is on the server.
#![cfg(all(feature = "server", unix))]
use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use rand::{rngs::StdRng, Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Digest;

const SCRIPT: &str = include_str!("../../assets/samples/last_train.fountain");

struct Process {
    child: Child,
    dir: PathBuf,
    port: u16,
    auth: &'static str,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(dir: &Path, port: u16, auth: &'static str) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyloom"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--auth",
            auth,
        ])
        .arg("--data-dir")
        .arg(dir)
        .env("STORYLOOM_RATE_AUTH", "100000")
        .env("STORYLOOM_RATE_QUERIES", "100000")
        .env("STORYLOOM_RATE_OTHER", "100000")
        .env("STORYLOOM_SECRET_STORE", "file")
        .env("STORYLOOM_SYNC_INTERVAL_SECS", "0")
        .env_remove("STORYLOOM_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn storyloom serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("STORYLOOM_LISTENING"), "{line:?}");
    Process {
        child,
        dir: dir.to_path_buf(),
        port,
        auth,
    }
}

impl Process {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, then the same data on the same port.
    fn kill_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        *self = spawn(&self.dir.clone(), self.port, self.auth);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(
    http: &reqwest::Client,
    method: Method,
    url: String,
    body: Option<Value>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = http.request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(t) = token {
        req = req.header("authorization", t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Noise, so it does not compress: about 1 MB, an upload that takes a while.
fn png(seed: u8) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(u64::from(seed));
    let img = image::RgbImage::from_fn(580, 580, |_, _| {
        image::Rgb([rng.random(), rng.random(), rng.random()])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn setting(db: &Path, key: &str) -> Option<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_either_side_during_sync_loses_nothing_and_applies_nothing_twice() {
    let (server_dir, desk_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut server = spawn(server_dir.path(), free_port(), "accounts");
    let mut desk = spawn(desk_dir.path(), free_port(), "local");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let (status, alice) = call(
        &http,
        Method::POST,
        format!("{}/api/v1/auth/register", server.base()),
        Some(json!({"username": "alice", "email": "alice@example.com", "password": "correct horse battery"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{alice}");
    let workspace = alice["user"]["id"].as_str().unwrap().to_string();
    let token = format!("Bearer {}", alice["access_token"].as_str().unwrap());
    let (status, body) = call(
        &http,
        Method::POST,
        format!("{}/api/v1/remote/sign-in", desk.base()),
        Some(json!({"server_url": server.base(), "username": "alice", "password": "correct horse battery"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, p) = call(
        &http,
        Method::POST,
        format!("{}/api/v1/projects", desk.base()),
        Some(json!({"name": "Crash course"})),
        None,
    )
    .await;
    let project = p["id"].as_str().unwrap().to_string();
    let version = p["current_version_id"].as_str().unwrap().to_string();
    let (status, _) = call(
        &http,
        Method::PUT,
        format!(
            "{}/api/v1/projects/{project}/versions/{version}/script",
            desk.base()
        ),
        Some(json!({"text": SCRIPT})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, linked) = call(
        &http,
        Method::POST,
        format!("{}/api/v1/projects/{project}/sync", desk.base()),
        Some(json!({"workspace_id": workspace})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");
    let (_, board) = call(
        &http,
        Method::GET,
        format!("{}/api/v1/projects/{project}/storyboard", desk.base()),
        None,
        None,
    )
    .await;
    let shots: Vec<String> = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["shots"].as_array().unwrap().iter())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let trials = shots.len().min(6);
    assert!(trials >= 4, "{board}");

    // How long an uninterrupted sync of a trial's work takes here: kills land within it.
    for shot in &shots {
        call(
            &http,
            Method::PATCH,
            format!("{}/api/v1/storyboards/{shot}", desk.base()),
            Some(json!({"duration": 4.0})),
            None,
        )
        .await;
    }
    let started = std::time::Instant::now();
    let (status, calm) = call(
        &http,
        Method::POST,
        format!("{}/api/v1/projects/{project}/sync/now", desk.base()),
        Some(json!({})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{calm}");
    let calm_ms = (started.elapsed().as_millis() as u64).max(5);

    let mut rng = StdRng::seed_from_u64(19);
    let mut hashes = Vec::new();
    // How each sync fared: cut (the desktop died under it), failed (the server did), finished.
    let (mut cut, mut failed, mut finished) = (0, 0, 0);
    for (trial, shot) in shots.iter().take(trials).enumerate() {
        // Both sides edit the shot, the desktop first; the desktop retimes every shot and adds
        // an asset (a blob to upload).
        for other in &shots {
            call(
                &http,
                Method::PATCH,
                format!("{}/api/v1/storyboards/{other}", desk.base()),
                Some(json!({"duration": 2.0 + trial as f64})),
                None,
            )
            .await;
        }
        let (status, body) = call(
            &http,
            Method::PATCH,
            format!("{}/api/v1/storyboards/{shot}", desk.base()),
            Some(json!({"description": format!("desk {trial}")})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (status, body) = call(
            &http,
            Method::PATCH,
            format!("{}/api/v1/storyboards/{shot}", server.base()),
            Some(json!({"description": format!("server {trial}")})),
            Some(&token),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let bytes = png(trial as u8);
        hashes.push(hex::encode(sha2::Sha256::digest(&bytes)));
        let form = reqwest::multipart::Form::new()
            .text("type", "keyframe_image")
            .text("project_id", project.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(format!("f{trial}.png")),
            );
        let res = http
            .post(format!("{}/api/v1/assets", desk.base()))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);

        // A sync, and a kill -9 somewhere in it.
        let url = format!("{}/api/v1/projects/{project}/sync/now", desk.base());
        let client = http.clone();
        let syncing = tokio::spawn(async move { client.post(url).json(&json!({})).send().await });
        // The upload makes a sync take longer than the calm one measured: anywhere in twice that.
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..calm_ms * 2))).await;
        if rng.random_bool(0.5) {
            server.kill_and_restart();
        } else {
            desk.kill_and_restart();
        }
        match syncing.await.unwrap() {
            Err(_) => cut += 1,
            Ok(res) => match res.json::<Value>().await {
                Ok(status) if status["last_error"].is_null() => finished += 1,
                _ => failed += 1,
            },
        }
    }
    eprintln!("syncs cut by the desktop's death: {cut}, failed by the server's: {failed}, finished first: {finished}");

    // Calm: sync until nothing is pending.
    let mut last = Value::Null;
    for _ in 0..3 {
        let (status, body) = call(
            &http,
            Method::POST,
            format!("{}/api/v1/projects/{project}/sync/now", desk.base()),
            Some(json!({})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        last = body;
    }
    assert_eq!(last["last_error"], Value::Null, "{last}");
    assert_eq!(last["pending"], 0, "{last}");

    let seen_desk = crate::sync::seen(
        async |m, path| call(&http, m, format!("{}{path}", desk.base()), None, None).await,
        &project,
    )
    .await;
    let seen_server = crate::sync::seen(
        async |m, path| {
            call(
                &http,
                m,
                format!("{}{path}", server.base()),
                None,
                Some(&token),
            )
            .await
        },
        &project,
    )
    .await;
    assert_eq!(seen_desk, seen_server);

    // Every trial's concurrent edit is recorded once: never lost, never applied twice.
    let (_, conflicts) = call(
        &http,
        Method::GET,
        format!("{}/api/v1/projects/{project}/sync/conflicts", desk.base()),
        None,
        None,
    )
    .await;
    for trial in 0..trials {
        let desk_value = json!(format!("desk {trial}"));
        let records = conflicts
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["kept_value"] == desk_value || k["set_aside_value"] == desk_value)
            .count();
        assert_eq!(records, 1, "trial {trial}: {conflicts}");
    }
    for sha in &hashes {
        let res = http
            .get(format!("{}/api/v1/sync/blobs/{sha}", server.base()))
            .header("authorization", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "blob {sha}");
        let body = res.bytes().await.unwrap();
        assert_eq!(&hex::encode(sha2::Sha256::digest(&body)), sha);
    }

    // The server applied exactly the desktop's mutations, each once.
    drop(desk);
    drop(server);
    let desk_db = desk_dir.path().join("storyloom.db");
    let client_id = setting(&desk_db, "sync.client_id").unwrap();
    let counter: i64 = setting(&desk_db, "sync.counter").unwrap().parse().unwrap();
    let outbox: i64 = rusqlite::Connection::open(&desk_db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM sync_outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(outbox, 0);
    let applied: i64 = rusqlite::Connection::open(server_dir.path().join("storyloom.db"))
        .unwrap()
        .query_row(
            "SELECT last_counter FROM sync_clients WHERE client_id = ?1",
            [&client_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(applied, counter);
}
