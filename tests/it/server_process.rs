//! The real `storyloom serve` process: ready line, UI served at `/`, graceful SIGTERM, and data that
//! survives a restart.
#![cfg(all(feature = "server", unix))]

use std::{
    process::{Child, Command},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

struct Server {
    child: Child,
    base: String,
}

fn start(data_dir: &std::path::Path, ui_dir: &std::path::Path) -> Server {
    let (child, base) = crate::common::spawn_serve(|c| {
        c.args(["--auth", "local", "--data-dir"])
            .arg(data_dir)
            .arg("--ui-dir")
            .arg(ui_dir);
    });
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

/// The accept loop times out clients that never finish sending headers (idle or half-sent), while
/// complete requests are answered with the peer address and a slow response is not cut.
#[tokio::test]
async fn idle_and_half_sent_requests_are_closed_after_the_header_timeout() {
    use axum::{body::Body, extract::ConnectInfo, routing::get, Router};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn read_all(stream: &mut tokio::net::TcpStream) -> Result<String, &'static str> {
        let mut out = Vec::new();
        match tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await {
            Ok(_) => Ok(String::from_utf8_lossy(&out).into_owned()),
            Err(_) => Err("still open after 5 s"),
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route(
            "/peer",
            get(
                |ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>| async move {
                    format!("peer {}", peer.ip())
                },
            ),
        )
        .route(
            "/slow",
            get(|| async {
                let chunks = async_stream_chunks();
                Body::from_stream(chunks)
            }),
        );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(storyloom::server::serve_connections(
        listener,
        app,
        Duration::from_millis(400),
        async {
            stopped.await.ok();
        },
    ));

    // A whole request is answered, and the handler sees the peer's address.
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_all(&mut ok).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("peer 127.0.0.1"), "{answer}");

    // Half a request, then silence: the connection is closed, not kept forever.
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = read_all(&mut half)
        .await
        .expect("a half-sent request is timed out");
    assert!(!answer.contains("200 OK"), "{answer}");

    // A connection that never sends a byte is closed too.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    read_all(&mut idle)
        .await
        .expect("an idle connection is timed out");

    // A response that streams for longer than the header timeout is not cut.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_all(&mut slow).await.unwrap();
    assert!(
        answer.contains("tick 0") && answer.contains("tick 4"),
        "{answer}"
    );

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("the server stops on its signal")
        .unwrap();
}

/// Five chunks 250 ms apart: 1.25 s of response, three times the test's header timeout.
fn async_stream_chunks(
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::convert::Infallible>> {
    futures_util::stream::unfold(0u32, |n| async move {
        if n == 5 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        Some((Ok(bytes::Bytes::from(format!("tick {n}\n"))), n + 1))
    })
}
