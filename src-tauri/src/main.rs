//! # Storyloom desktop shell
//!
//! A Tauri 2 window around the Storyloom core. The shell holds no business logic: it opens the
//! core (`storyloom::AppState`) on a per-user data directory, builds the core's axum
//! [`Router`](axum::Router) once, and hands every request the webview makes to an `app://` URL to
//! that router, in process.
//!
//! ## Why a custom scheme (`app://`)
//!
//! The React UI is the same code the hosted server serves; it only needs "an HTTP API at some base
//! URL". In the desktop app that base URL is `app://localhost/api/...` on Linux and macOS, and
//! `http://app.localhost/api/...` on Windows and Android (WebView2 and the Android WebView cannot
//! register true custom schemes, so wry maps them onto `http://<scheme>.localhost`). WebKit/WebView2
//! call our handler ([`bridge::serve`]) for each such request with the method, URI, headers and body;
//! we turn it into an `http::Request<axum::body::Body>`, run the core router with
//! `tower::ServiceExt::oneshot`, and give the status, headers and body back to the webview. GET,
//! POST with JSON, PATCH, DELETE all take the same path. The page itself comes from `tauri://localhost`
//! (the embedded `ui/dist`), so the API is cross-origin for the browser engine: the core's router
//! answers CORS (including preflight `OPTIONS`) for exactly the Tauri webview origins listed in
//! `storyloom::config::Config::desktop`.
//!
//! ## Why no TCP port
//!
//! A local HTTP server on `127.0.0.1:<port>` would be reachable by every process of every user on
//! the machine, and by any web page the user visits (DNS rebinding, `fetch` to localhost), with the
//! rights of the local owner: the desktop runs in single-user "local" auth mode, where a request
//! without credentials *is* the owner. It would also need a free port, a way to tell the UI which
//! one, and firewall prompts on some systems. The custom scheme is only reachable from our own
//! webview: there is no socket to connect to. `tests/e2e/desktop/test_desktop.py` checks that the
//! app process and all its children (WebKit's web and network processes) have no listening TCP
//! socket.
//!
//! ## Data directory
//!
//! `STORYLOOM_DATA_DIR` if set (tests use a fresh temporary directory), else Tauri's per-app data
//! directory (`$XDG_DATA_HOME/app.storyloom.studio` on Linux, `~/Library/Application Support/...`
//! on macOS, `%APPDATA%\...` on Windows). It holds `storyloom.db` and `blobs/`.
//!
//! ## Failure at startup
//!
//! If there is no display, the data directory cannot be created or the database cannot be opened,
//! the shell logs one clear error (`tracing` to stderr) and exits with status 1; it never shows a
//! panic backtrace. A request that somehow arrives before the core is ready gets a 503 JSON error in
//! the API's error shape.
//!
//! ## Configuration
//!
//! `tauri.conf.json` lives at the repository root; paths in it are relative to the root (see
//! `build.rs` for how tauri-build finds it). The embedded frontend is `ui/dist` (there is no
//! `devUrl`, so even a plain `cargo build` embeds it). On Linux the window icon is the first PNG
//! listed in `bundle.icon` (`assets/icons/128x128@2x.png`). The CSP allows `connect-src`, `img-src`
//! and `media-src` to the `app` scheme.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bridge;
mod updates;

use std::path::PathBuf;

use anyhow::Context;
use tauri::Manager;

/// Overrides the data directory (absolute or relative to the working directory).
const DATA_DIR_ENV: &str = "STORYLOOM_DATA_DIR";

fn main() {
    storyloom::telemetry::init();
    install_panic_hook();

    if let Err(error) = run() {
        tracing::error!("Storyloom could not start: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    #[cfg(all(unix, not(target_os = "macos")))]
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        anyhow::bail!("no graphical display: neither DISPLAY nor WAYLAND_DISPLAY is set");
    }

    let app = tauri::Builder::default()
        // The system browser, for a team server's payment page (the UI's `openUrl`).
        .plugin(tauri_plugin_opener::init())
        // Updates from the linked team server (src/updates.rs; docs/API-UPDATES.md).
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updates::Pending::default())
        .invoke_handler(tauri::generate_handler![
            updates::check_for_updates,
            updates::install_update
        ])
        .menu(app_menu)
        .on_menu_event(|app, event| {
            if event.id() == CHECK_FOR_UPDATES {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    if let Some(core) = app.try_state::<Core>() {
                        updates::check_and_announce(&app, &core.0, true).await;
                    }
                });
            }
        })
        .register_asynchronous_uri_scheme_protocol(bridge::SCHEME, bridge::serve)
        .build(tauri::generate_context!("../tauri.conf.json"))
        .context("cannot create the application window system")?;

    let data_dir = data_dir(app.handle())?;
    tracing::info!(data_dir = %data_dir.display(), "opening the Storyloom data directory");
    let config = storyloom::config::Config::desktop(data_dir);
    let state = storyloom::AppState::open(config)?;
    // Run and export progress go to the webview as Tauri events, the same payloads as the
    // server's SSE.
    use storyloom::progress::forward;
    use tauri::Emitter;
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(forward(state.runs.progress.subscribe(), move |event| {
        let _ = handle.emit(RUN_PROGRESS_EVENT, event);
    }));
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(forward(state.exports.progress.subscribe(), move |event| {
        let _ = handle.emit(EXPORT_PROGRESS_EVENT, event);
    }));
    // Workflow runs interrupted by the last exit carry on from their last committed step; exports
    // that were encoding start again.
    let resume_state = state.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = storyloom::workflow::runs::resume_interrupted(&resume_state).await {
            tracing::error!(error = %e, "cannot resume interrupted workflow runs");
        }
        if let Err(e) = storyloom::export::resume_interrupted(&resume_state).await {
            tracing::error!(error = %e, "cannot restart interrupted exports");
        }
        if let Err(e) = storyloom::summarize::batch::resume_interrupted(&resume_state).await {
            tracing::error!(error = %e, "cannot resume summary batches");
        }
        if let Err(e) = storyloom::create::video::resume_interrupted(&resume_state).await {
            tracing::error!(error = %e, "cannot resume video tasks");
        }
        storyloom::publish::spawn_scheduler(&resume_state);
    });
    // Linked projects sync with the team server in the background (docs/SYNC.md).
    if state.config.sync_interval_secs > 0 {
        let sync_state = state.clone();
        let every = std::time::Duration::from_secs(state.config.sync_interval_secs);
        tauri::async_runtime::spawn(async move {
            storyloom::sync::client::spawn(&sync_state, every);
            // Shares queued while offline go when the team server can be reached.
            storyloom::shares::queue::spawn(&sync_state, every);
        });
    }
    // Managed before the event loop starts, i.e. before the window (created from the config when the
    // loop becomes ready) can load a page and send a request.
    app.manage(Core(state.clone()));
    app.manage(bridge::Api::new(storyloom::api::router(state)));

    app.run(|_app, _event| {});
    Ok(())
}

/// The core, for the shell's own commands (update checks ask the linked server's address).
pub struct Core(pub storyloom::AppState);

/// The Help menu's item that checks for updates.
const CHECK_FOR_UPDATES: &str = "check-for-updates";

/// The window's menu: Help → Check for Updates… (the UI also checks once at start).
fn app_menu<R: tauri::Runtime>(
    handle: &tauri::AppHandle<R>,
) -> tauri::Result<tauri::menu::Menu<R>> {
    use tauri::menu::{MenuBuilder, MenuItemBuilder, SubmenuBuilder};
    let check = MenuItemBuilder::with_id(CHECK_FOR_UPDATES, "Check for Updates…").build(handle)?;
    let help = SubmenuBuilder::new(handle, "Help").item(&check).build()?;
    MenuBuilder::new(handle).item(&help).build()
}

/// The Tauri event carrying workflow progress (`RunEvent` payloads).
const RUN_PROGRESS_EVENT: &str = "run-progress";
/// Export progress (`storyloom::export::ExportEvent`), the payload of the server's export SSE.
const EXPORT_PROGRESS_EVENT: &str = "export-progress";

/// `STORYLOOM_DATA_DIR`, or the platform's per-app data directory; created if missing.
fn data_dir(app: &tauri::AppHandle) -> anyhow::Result<PathBuf> {
    let dir = match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                std::env::current_dir()
                    .context("cannot read the current directory")?
                    .join(dir)
            }
        }
        None => app
            .path()
            .app_data_dir()
            .context("cannot determine the per-user data directory (set STORYLOOM_DATA_DIR)")?,
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    Ok(dir)
}

/// One readable log line for a panic instead of Rust's default message and backtrace hint. A panic
/// on the main thread (e.g. the window system failing to initialise) ends the app with status 1; one
/// in a request task is answered with a 500 by the bridge and the app goes on.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown error".to_string());
        let location = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        if std::thread::current().name() == Some("main") {
            tracing::error!("Storyloom stopped on an unexpected error: {message}{location}");
            std::process::exit(1);
        }
        tracing::error!("unexpected error: {message}{location}");
    }));
}
