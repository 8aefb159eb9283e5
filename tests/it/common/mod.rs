//! Test harness: a real Storyloom API on a real TCP port on 127.0.0.1, over a real SQLite file in a
//! temp dir, with a manual clock and deterministic ids.
#![allow(dead_code)]

pub mod fake_llm;
pub mod fake_openai;
pub mod fake_platforms;
pub mod sse;

use std::{net::SocketAddr, sync::Arc};

use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use storyloom::{
    clock::{ManualClock, SequentialIds},
    config::{AuthMode, Config},
    AppState,
};

pub struct TestServer {
    pub base: String,
    pub state: AppState,
    pub clock: ManualClock,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// With `STORYLOOM_TEST_DATABASE_URL` set (a PostgreSQL server, e.g. from
/// `scripts/pg-cluster.sh start`), a new empty database on it for one test; else None (SQLite).
pub async fn fresh_postgres_database() -> Option<String> {
    let admin = std::env::var("STORYLOOM_TEST_DATABASE_URL").ok()?;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        uuid::Uuid::now_v7().simple()
    );
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL server answers");
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "CREATE DATABASE {name} LOCALE 'C' TEMPLATE template0"
        ))
        .await
        .expect("a test database is created");
    drop(client);
    let _ = driver.await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A real `storyloom serve` on 127.0.0.1 (a free port) with what `configure` adds (data dir,
/// auth, database…), started and listening: the child and its base URL, from the
/// `STORYLOOM_LISTENING` line it prints once it listens. Its stderr is dropped.
pub fn spawn_serve(
    configure: impl FnOnce(&mut std::process::Command),
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_storyloom"));
    command.args(["serve", "--addr", "127.0.0.1:0"]);
    configure(&mut command);
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
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
    (child, base)
}

/// True when the tests run on PostgreSQL (`STORYLOOM_TEST_DATABASE_URL`).
pub fn on_postgres() -> bool {
    std::env::var_os("STORYLOOM_TEST_DATABASE_URL").is_some()
}

impl TestServer {
    pub async fn start(mode: AuthMode) -> Self {
        Self::start_with(mode, |_| {}).await
    }

    pub async fn start_with(mode: AuthMode, tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::server(dir.path().to_path_buf(), mode);
        // Tests make many calls quickly; the ones about limits set their own.
        config.rates = storyloom::config::RateConfig {
            queries_per_minute: 1_000_000,
            other_per_minute: 1_000_000,
            generation_per_hour: 1_000_000,
            router_per_hour: 1_000_000,
        };
        tweak(&mut config);
        Self::start_in(dir, config).await
    }

    pub async fn start_in(dir: tempfile::TempDir, mut config: Config) -> Self {
        if config.database_url.is_none() {
            config.database_url = fresh_postgres_database().await;
        }
        Self::start_exactly(dir, config).await
    }

    /// An instance on SQLite whatever the suite runs on (the source of a move to PostgreSQL).
    pub async fn start_on_sqlite(mode: AuthMode) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::server(dir.path().to_path_buf(), mode);
        Self::start_exactly(dir, config).await
    }

    /// `config` as given: its database, or SQLite in `dir`.
    pub async fn start_exactly(dir: tempfile::TempDir, config: Config) -> Self {
        Self::start_with_ids(dir, config, Arc::new(SequentialIds::default())).await
    }

    /// A desktop core (local mode, SQLite, its own data directory) with real UUIDv7 ids, so two
    /// of them never make the same id (sync's tests): background sync off, the test syncs.
    pub async fn start_desktop() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::server(dir.path().to_path_buf(), AuthMode::Local);
        config.remote.secret_store = storyloom::remote::SecretStoreChoice::File;
        config.sync_interval_secs = 0;
        Self::start_with_ids(dir, config, Arc::new(storyloom::clock::UuidV7Ids)).await
    }

    /// A team server (accounts mode; PostgreSQL when the suite runs on it) with real UUIDv7 ids.
    pub async fn start_team_server() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::server(dir.path().to_path_buf(), AuthMode::Accounts);
        config.rates = storyloom::config::RateConfig {
            queries_per_minute: 1_000_000,
            other_per_minute: 1_000_000,
            generation_per_hour: 1_000_000,
            router_per_hour: 1_000_000,
        };
        config.auth_rate_per_minute = 1000;
        if config.database_url.is_none() {
            config.database_url = fresh_postgres_database().await;
        }
        Self::start_with_ids(dir, config, Arc::new(storyloom::clock::UuidV7Ids)).await
    }

    pub async fn start_with_ids(
        dir: tempfile::TempDir,
        config: Config,
        ids: Arc<dyn storyloom::clock::IdSource>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve_on(listener, dir, config, ids).await
    }

    /// Stops the server; `start_again` brings it back on the same address, data and database
    /// (a team server that was down for a while).
    pub async fn stop_for_now(mut self) -> Stopped {
        let config = (*self.state.config).clone();
        let addr: SocketAddr = self.base.trim_start_matches("http://").parse().unwrap();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // The port is free once the listener is dropped.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Stopped {
            dir: self.dir,
            config,
            addr,
        }
    }

    async fn serve_on(
        listener: tokio::net::TcpListener,
        dir: tempfile::TempDir,
        config: Config,
        ids: Arc<dyn storyloom::clock::IdSource>,
    ) -> Self {
        if std::env::var_os("STORYLOOM_TEST_LOG").is_some() {
            // The server's log on stderr (not captured per test): what a 500 logged.
            storyloom::telemetry::init_with_default("warn");
        }
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 2, 8, 10, 0, 0).unwrap());
        let state = AppState::open_with(config, Arc::new(clock.clone()), ids).unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = storyloom::api::router(state.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            state,
            clock,
            client: reqwest::Client::new(),
            dir,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request with optional JSON body and extra headers; returns status and parsed body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None, &[]).await
    }

    /// A project (`name`, `aspect_ratio`) whose current version holds `text`, saved and parsed:
    /// its id and its version's.
    pub async fn project_with_script(
        &self,
        name: &str,
        aspect_ratio: &str,
        text: &str,
    ) -> (String, String) {
        let (status, p) = self
            .post(
                "/api/v1/projects",
                serde_json::json!({"name": name, "aspect_ratio": aspect_ratio}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        let (pid, vid) = (
            p["id"].as_str().unwrap().to_string(),
            p["current_version_id"].as_str().unwrap().to_string(),
        );
        let (status, body) = self
            .call(
                Method::PUT,
                &format!("/api/v1/projects/{pid}/versions/{vid}/script"),
                Some(serde_json::json!({"text": text})),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (pid, vid)
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body), &[]).await
    }

    /// Sends a multipart form: `texts` as text fields, `files` as (field, filename, bytes).
    pub async fn multipart(
        &self,
        path: &str,
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
        let res = self
            .client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// Registers `name` (email `name@example.com`) in accounts mode: the user's id and a bearer
    /// `Authorization` value.
    pub async fn register(&self, name: &str) -> (String, String) {
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                serde_json::json!({"username": name, "email": format!("{name}@example.com"),
                                   "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["user"]["id"].as_str().unwrap().to_string(),
            format!("Bearer {}", body["access_token"].as_str().unwrap()),
        )
    }

    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.dir
    }
}

/// A server stopped by [`TestServer::stop_for_now`].
pub struct Stopped {
    dir: tempfile::TempDir,
    config: Config,
    addr: SocketAddr,
}

impl Stopped {
    pub async fn start_again(self) -> TestServer {
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{} stays taken: {e}", self.addr),
            }
        };
        TestServer::serve_on(
            listener,
            self.dir,
            self.config,
            Arc::new(storyloom::clock::UuidV7Ids),
        )
        .await
    }
}

/// Asserts the error body (docs/API-ERRORS.md): `{detail, error_code, retryable[, field]}`.
pub fn assert_error(body: &Value, code: &str, field: Option<&str>) {
    assert_eq!(body["error_code"], code, "error_code in {body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        !detail.is_empty(),
        "detail must be a non-empty string: {body}"
    );
    assert!(
        body["retryable"].is_boolean(),
        "retryable must be a bool: {body}"
    );
    match field {
        Some(f) => assert_eq!(body["field"], f, "field in {body}"),
        None => assert!(body.get("field").is_none(), "unexpected field in {body}"),
    }
}

/// What ffprobe says of a media file (format and streams, as JSON); the exported videos are
/// checked with it.
pub fn ffprobe(file: &std::path::Path) -> Value {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(file)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Opens a `.pptx` in LibreOffice (headless), converts it to PDF and returns the PDF's page count
/// (poppler's `pdfinfo`). `None` when LibreOffice is not installed, unless
/// `STORYLOOM_REQUIRE_LIBREOFFICE` is set (the test command sets it), then it panics.
pub fn libreoffice_pages(pptx: &[u8]) -> Option<usize> {
    use std::process::Command;
    if Command::new("soffice").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("STORYLOOM_REQUIRE_LIBREOFFICE").is_none(),
            "LibreOffice (soffice) is required (STORYLOOM_REQUIRE_LIBREOFFICE) but missing"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deck.pptx");
    std::fs::write(&file, pptx).unwrap();
    // A profile of its own: two LibreOffice processes sharing one refuse to run together.
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let out = Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&file)
        .output()
        .unwrap();
    let pdf = dir.path().join("deck.pdf");
    assert!(
        pdf.exists(),
        "LibreOffice did not convert the deck: {} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap_or_else(|| panic!("pdfinfo: {info}"))
        .trim()
        .parse()
        .unwrap();
    Some(pages)
}

/// The text of one part of a `.pptx` (a zip).
pub fn pptx_part(pptx: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(pptx)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_string(&mut text)
        .unwrap();
    text
}
