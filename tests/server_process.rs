//! The real `storyloom serve` process: ready line, UI served at `/`, graceful SIGTERM, and data that
//! survives a restart.
#![cfg(all(feature = "server", unix))]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

struct Server {
    child: Child,
    base: String,
}

fn start(data_dir: &std::path::Path, ui_dir: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyloom"))
        .args(["serve", "--addr", "127.0.0.1:0", "--auth", "local"])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--ui-dir")
        .arg(ui_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn storyloom serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("STORYLOOM_LISTENING ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    Server { child, base }
}

fn terminate(mut server: Server) -> std::process::ExitStatus {
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn serves_ui_survives_restart_and_stops_gracefully() {
    let data = tempfile::tempdir().unwrap();
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(
        ui.path().join("index.html"),
        "<!doctype html><title>Storyloom UI</title>",
    )
    .unwrap();
    let client = reqwest::Client::new();

    let server = start(data.path(), ui.path());
    let page = client
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Storyloom UI"));
    // Client-side routes fall back to index.html; unknown API paths stay JSON 404s.
    let deep = client
        .get(format!("{}/projects/abc", server.base))
        .send()
        .await
        .unwrap();
    assert!(deep.text().await.unwrap().contains("Storyloom UI"));
    let missing = client
        .get(format!("{}/api/v1/nope", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error_code"],
        "NOT_FOUND"
    );

    let created: Value = client
        .post(format!("{}/api/v1/projects", server.base))
        .json(&json!({"name": "Survivor"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status = terminate(server);
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );

    let server = start(data.path(), ui.path());
    let list: Value = client
        .get(format!("{}/api/v1/projects", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], created["id"]);
    assert!(terminate(server).success());
}

#[test]
fn refuses_local_mode_on_a_public_address_and_missing_ui() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_storyloom"))
        .args(["serve", "--addr", "0.0.0.0:0", "--auth", "local"])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));

    let out = Command::new(env!("CARGO_BIN_EXE_storyloom"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--auth",
            "local",
            "--ui-dir",
            "/nonexistent",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("index.html"));
}
