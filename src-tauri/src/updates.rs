//! Desktop updates (docs/API-UPDATES.md): the shell asks its linked team server, and the default
//! update URL it was built or started with, whether a newer build exists, through
//! `tauri-plugin-updater` (which verifies the build's signature against the team's public key
//! before installing anything). It checks once at start and when asked (the Help menu's "Check
//! for Updates…", or the UI); an update found is announced to the UI as the `update-available`
//! event, and installed only when the person agrees (the `install_update` command).
//!
//! Without a public key the build cannot verify anything, so it does not check: the key comes
//! from `STORYLOOM_UPDATE_PUBKEY` at build time (release builds), or at run time in debug builds
//! (the end-to-end tests).
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, Url};
use tauri_plugin_updater::{Update, UpdaterExt};

/// Sent when a check finds a newer build ([`UpdateInfo`]).
pub const UPDATE_AVAILABLE_EVENT: &str = "update-available";
/// Sent after a check the person asked for that found nothing, or failed ([`UpdateStatus`]).
pub const UPDATE_STATUS_EVENT: &str = "update-status";
/// The default place to look (a base URL, or a full template with `{{target}}` and the rest).
const URL_ENV: &str = "STORYLOOM_UPDATE_URL";
const PUBKEY_ENV: &str = "STORYLOOM_UPDATE_PUBKEY";
/// A team server's updater route (src/api/updates.rs).
const SERVER_PATH: &str = "/api/v1/updates/{{target}}/{{arch}}/{{current_version}}";

/// The update the last check found, kept for the install the person agrees to.
#[derive(Default)]
pub struct Pending(tokio::sync::Mutex<Option<Update>>);

/// What the UI shows of an available update.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateInfo {
    pub version: String,
    pub current_version: String,
    pub notes: Option<String>,
    pub date: Option<String>,
}

/// The answer to a check the person asked for.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateStatus {
    /// `up_to_date`, `not_configured` or `failed`.
    pub state: &'static str,
    pub message: String,
}

/// The team's public key: built in, or (debug builds only) from the environment.
fn public_key() -> Option<String> {
    let runtime = cfg!(debug_assertions)
        .then(|| std::env::var(PUBKEY_ENV).ok())
        .flatten();
    runtime
        .or_else(|| option_env!("STORYLOOM_UPDATE_PUBKEY").map(str::to_string))
        .filter(|k| !k.trim().is_empty())
}

/// Where to ask: the linked team server first, then the default URL. A base URL gets the
/// server's updater path; a URL that names `{{current_version}}` is used as it is.
pub fn endpoints(linked_server: Option<&str>, default_url: Option<&str>) -> Vec<Url> {
    let mut urls = Vec::new();
    for base in [linked_server, default_url].into_iter().flatten() {
        let base = base.trim();
        if base.is_empty() {
            continue;
        }
        let full = if base.contains("{{current_version}}") {
            base.to_string()
        } else {
            format!("{}{SERVER_PATH}", base.trim_end_matches('/'))
        };
        match Url::parse(&full) {
            Ok(url) if !urls.contains(&url) => urls.push(url),
            Ok(_) => {}
            Err(e) => tracing::warn!(url = %full, error = %e, "ignoring an update URL"),
        }
    }
    urls
}

/// Asks for a newer build. `Ok(None)`: current, or nowhere to ask.
#[tracing::instrument(skip(app, state))]
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    state: &storyloom::AppState,
) -> Result<Option<UpdateInfo>, String> {
    let Some(key) = public_key() else {
        return Err("this build has no update key, so it cannot verify updates".into());
    };
    let linked = state.remote.server_url().await;
    let default_url = std::env::var(URL_ENV).ok();
    let urls = endpoints(linked.as_deref(), default_url.as_deref());
    if urls.is_empty() {
        return Ok(None);
    }
    let updater = app
        .updater_builder()
        .pubkey(key)
        .endpoints(urls)
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    let found = updater.check().await.map_err(|e| e.to_string())?;
    let info = found.as_ref().map(|u| UpdateInfo {
        version: u.version.clone(),
        current_version: u.current_version.clone(),
        notes: u.body.clone(),
        date: u.date.map(|d| d.to_string()),
    });
    *app.state::<Pending>().0.lock().await = found;
    Ok(info)
}

/// Checks and tells the UI what was found. `asked`: the person asked, so "nothing new" and
/// failures are said too (a check at start stays quiet about them, and only logs).
pub async fn check_and_announce<R: Runtime>(
    app: &AppHandle<R>,
    state: &storyloom::AppState,
    asked: bool,
) {
    let status = match check(app, state).await {
        Ok(Some(info)) => {
            tracing::info!(version = %info.version, "an update is available");
            let _ = app.emit(UPDATE_AVAILABLE_EVENT, info);
            return;
        }
        Ok(None) => UpdateStatus {
            state: "up_to_date",
            message: "Storyloom is up to date.".into(),
        },
        Err(message) if public_key().is_none() => UpdateStatus {
            state: "not_configured",
            message,
        },
        Err(message) => {
            tracing::warn!(error = %message, "the update check failed");
            UpdateStatus {
                state: "failed",
                message: format!("The update check failed: {message}"),
            }
        }
    };
    if asked {
        let _ = app.emit(UPDATE_STATUS_EVENT, status);
    }
}

/// The UI's "Check for updates": the same as the menu item, answered directly.
#[tauri::command]
pub async fn check_for_updates(
    app: AppHandle,
    state: tauri::State<'_, crate::Core>,
) -> Result<Option<UpdateInfo>, String> {
    check(&app, &state.0).await
}

/// Installs the update the last check found (after the person agreed), then restarts into it.
/// The plugin verifies the download's signature first; a bad one is an error and nothing changes.
#[tauri::command]
pub async fn install_update(
    app: AppHandle,
    pending: tauri::State<'_, Pending>,
) -> Result<(), String> {
    let update = pending
        .0
        .lock()
        .await
        .take()
        .ok_or("no update to install: check for updates first")?;
    tracing::info!(version = %update.version, "installing an update");
    update
        .download_and_install(|_, _| {}, || {})
        .await
        .map_err(|e| e.to_string())?;
    app.restart();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_gets_the_servers_path_and_a_template_is_kept() {
        let urls = endpoints(
            Some("https://team.example/"),
            Some("http://127.0.0.1:9/u/{{target}}/{{arch}}/{{current_version}}"),
        );
        let urls: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            urls,
            [
                "https://team.example/api/v1/updates/%7B%7Btarget%7D%7D/%7B%7Barch%7D%7D/%7B%7Bcurrent_version%7D%7D",
                "http://127.0.0.1:9/u/%7B%7Btarget%7D%7D/%7B%7Barch%7D%7D/%7B%7Bcurrent_version%7D%7D",
            ]
        );
        assert!(endpoints(None, None).is_empty());
        assert!(endpoints(Some("not a url"), Some(" ")).is_empty());
        assert_eq!(
            endpoints(Some("https://a.example"), Some("https://a.example/")).len(),
            1,
            "the same server once"
        );
    }

    /// The team server's answer (storyloom::updates::UpdateManifest, as it serialises) is read by
    /// the plugin's own type, the one its check deserialises.
    #[test]
    fn the_servers_manifest_is_what_the_plugin_reads() {
        let manifest = storyloom::updates::UpdateManifest {
            version: "1.10.0".into(),
            notes: "Faster exports".into(),
            pub_date: "2026-12-07T06:40:00.000Z".into(),
            url: "https://team.example/api/v1/updates/artifacts/0193".into(),
            signature: "dW50cnVzdGVkIGNvbW1lbnQ6".into(),
        };
        let json = serde_json::to_value(&manifest).unwrap();
        let release: tauri_plugin_updater::RemoteRelease = serde_json::from_value(json).unwrap();
        assert_eq!(release.version.to_string(), "1.10.0");
        assert_eq!(release.notes.as_deref(), Some("Faster exports"));
        assert!(release.pub_date.is_some(), "the date is read");
        assert_eq!(
            release.download_url("linux-x86_64").unwrap().as_str(),
            "https://team.example/api/v1/updates/artifacts/0193"
        );
        assert_eq!(
            release.signature("linux-x86_64").unwrap(),
            "dW50cnVzdGVkIGNvbW1lbnQ6"
        );
    }
}
