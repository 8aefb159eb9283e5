//! Desktop updates (docs/API-UPDATES.md): a team server hosts the builds of the desktop app that
//! its instance admin uploads, and answers the desktop updater's question "is there something
//! newer than `current_version` for my `target` and `arch`?" in the shape `tauri-plugin-updater`
//! reads (its "dynamic update server": `204` when current, else `{version, notes, pub_date, url,
//! signature}`).
//!
//! Every build is signed with the team's update key (`tauri signer sign`); the desktop verifies the
//! signature before installing. When the instance knows the public key (`STORYLOOM_UPDATE_PUBKEY`,
//! the same base64 text as the desktop's `plugins.updater.pubkey`), an upload whose signature does
//! not verify is refused here, instead of failing on every desktop that downloads it.
mod store;

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    blobs::BlobRef,
    clock::rfc3339,
    db::DbError,
    error::{CodedError, ErrorCode},
    paging::PageSpec,
    AppState,
};

pub use store::references_blob;

/// The operating systems the updater names (`{{target}}`).
pub const TARGETS: [&str; 3] = ["linux", "windows", "darwin"];
/// The processor architectures the updater names (`{{arch}}`).
pub const ARCHES: [&str; 4] = ["x86_64", "aarch64", "i686", "armv7"];

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CodedError for UpdateError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::ValidationError,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Internal(_) | Self::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> UpdateError {
    UpdateError::Invalid {
        field,
        message: message.into(),
    }
}

/// A build of the desktop app, as the admin sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Release {
    pub id: String,
    /// `linux`, `windows` or `darwin`.
    pub target: String,
    /// `x86_64`, `aarch64`, `i686` or `armv7`.
    pub arch: String,
    pub version: String,
    pub notes: String,
    /// The `.sig` file's content, as the updater wants it.
    pub signature: String,
    pub sha256: String,
    pub size: u64,
    pub filename: String,
    pub uploaded_by: String,
    pub created_at: String,
    pub withdrawn_at: Option<String>,
}

/// What the desktop's updater reads when there is something newer (the dynamic update server's
/// answer; `url` is absolute).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdateManifest {
    pub version: String,
    pub notes: String,
    /// RFC 3339.
    pub pub_date: String,
    pub url: String,
    pub signature: String,
}

/// An upload's fields (the file itself is already in the blob store).
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub target: String,
    pub arch: String,
    pub version: String,
    pub notes: String,
    pub signature: String,
    pub filename: String,
}

/// A version as the updater sends it (`v` prefix allowed), or the field's 422.
pub fn parse_version(field: &'static str, text: &str) -> Result<semver::Version, UpdateError> {
    let bare = text.trim().trim_start_matches(['v', 'V']);
    semver::Version::parse(bare).map_err(|e| {
        invalid(
            field,
            format!("'{text}' is not a semantic version like 1.4.2 ({e})"),
        )
    })
}

/// The target and arch, checked against what the updater can send.
pub fn check_platform(target: &str, arch: &str) -> Result<(), UpdateError> {
    if !TARGETS.contains(&target) {
        return Err(invalid(
            "target",
            format!(
                "unknown target '{target}'; expected one of: {}",
                TARGETS.join(", ")
            ),
        ));
    }
    if !ARCHES.contains(&arch) {
        return Err(invalid(
            "arch",
            format!(
                "unknown arch '{arch}'; expected one of: {}",
                ARCHES.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The minisign signature inside a `.sig` file's content (base64 of the signature file's text).
fn decode_signature(sig: &str) -> Result<minisign_verify::Signature, UpdateError> {
    use base64::Engine;
    let bad = |why: &str| {
        invalid(
            "signature",
            format!("signature must be the content of the artifact's .sig file ({why})"),
        )
    };
    let text = base64::engine::general_purpose::STANDARD
        .decode(sig.trim())
        .map_err(|_| bad("not base64"))?;
    let text = String::from_utf8(text).map_err(|_| bad("not text"))?;
    minisign_verify::Signature::decode(&text).map_err(|_| bad("not a minisign signature"))
}

/// The instance's update public key (`plugins.updater.pubkey`'s base64 text), if it has one.
fn public_key(state: &AppState) -> Result<Option<minisign_verify::PublicKey>, UpdateError> {
    use base64::Engine;
    let Some(b64) = state.config.update_public_key.as_deref() else {
        return Ok(None);
    };
    let text = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|t| String::from_utf8(t).ok())
        .ok_or_else(|| {
            UpdateError::Internal("STORYLOOM_UPDATE_PUBKEY is not base64 text".into())
        })?;
    minisign_verify::PublicKey::decode(&text)
        .map(Some)
        .map_err(|e| UpdateError::Internal(format!("STORYLOOM_UPDATE_PUBKEY: {e}")))
}

/// Stores a build: its fields checked, its signature verified against the instance's key when it
/// has one. One build per target, arch and version (409 for a second).
#[tracing::instrument(skip(state, input, blob), fields(target = %input.target, arch = %input.arch, version = %input.version))]
pub async fn publish(
    state: &AppState,
    uploaded_by: &str,
    input: NewRelease,
    blob: &BlobRef,
) -> Result<Release, UpdateError> {
    check_platform(&input.target, &input.arch)?;
    let version = parse_version("version", &input.version)?;
    let signature = decode_signature(&input.signature)?;
    if let Some(key) = public_key(state)? {
        let path = state
            .blobs
            .path_of(&blob.sha256)
            .map_err(|e| UpdateError::Internal(e.to_string()))?;
        // The whole artifact is read to check it: off the async workers.
        let verified = tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path)?;
            Ok::<_, std::io::Error>(key.verify(&bytes, &signature, false).is_ok())
        })
        .await
        .map_err(|e| UpdateError::Internal(e.to_string()))?
        .map_err(|e| UpdateError::Internal(format!("the uploaded file cannot be read: {e}")))?;
        if !verified {
            return Err(invalid(
                "signature",
                "the signature does not verify against this instance's update key \
                 (STORYLOOM_UPDATE_PUBKEY): sign the file with the matching private key",
            ));
        }
    }
    let release = Release {
        id: state.ids.new_id().to_string(),
        target: input.target,
        arch: input.arch,
        version: version.to_string(),
        notes: input.notes,
        signature: input.signature.trim().to_string(),
        sha256: blob.sha256.clone(),
        size: blob.size,
        filename: input.filename,
        uploaded_by: uploaded_by.to_string(),
        created_at: rfc3339(state.clock.now()),
        withdrawn_at: None,
    };
    let row = release.clone();
    state
        .db
        .write(move |c| {
            if store::exists(c, &row.target, &row.arch, &row.version)? {
                return Err(UpdateError::Conflict(format!(
                    "version {} for {}-{} was already uploaded: withdraw it first, or use a new version",
                    row.version, row.target, row.arch
                )));
            }
            store::insert(c, &row)?;
            Ok(())
        })
        .await?;
    tracing::info!(release = %release.id, "desktop release published");
    Ok(release)
}

/// Every build, newest first (withdrawn ones too).
#[tracing::instrument(skip(state))]
pub async fn list(state: &AppState, spec: PageSpec) -> Result<(Vec<Release>, u64), UpdateError> {
    Ok(state
        .db
        .read(move |c| store::list(c, spec.limit, spec.offset))
        .await?)
}

/// Stops offering a build (desktops that have it keep it). Withdrawing twice changes nothing.
#[tracing::instrument(skip(state))]
pub async fn withdraw(state: &AppState, id: &str) -> Result<Release, UpdateError> {
    let (rid, now) = (id.to_string(), rfc3339(state.clock.now()));
    state
        .db
        .write(move |c| {
            store::withdraw(c, &rid, &now)?;
            store::get(c, &rid)
        })
        .await?
        .ok_or_else(|| UpdateError::NotFound(format!("release '{id}' not found")))
}

/// The newest offered build for `target`/`arch` when it is newer than `current`; `None` when the
/// desktop is current. `base_url` is where this instance is reached (the artifact's URL).
#[tracing::instrument(skip(state))]
pub async fn check(
    state: &AppState,
    target: &str,
    arch: &str,
    current: &str,
    base_url: &str,
) -> Result<Option<UpdateManifest>, UpdateError> {
    check_platform(target, arch)?;
    let current = parse_version("current_version", current)?;
    let (t, a) = (target.to_string(), arch.to_string());
    let offered = state.db.read(move |c| store::offered(c, &t, &a)).await?;
    // Semantic order (1.10.0 after 1.9.0; a pre-release before its release), not text order.
    let newest = offered
        .into_iter()
        .filter_map(|r| parse_version("version", &r.version).ok().map(|v| (v, r)))
        .max_by(|a, b| a.0.cmp(&b.0));
    Ok(match newest {
        Some((version, r)) if version > current => Some(UpdateManifest {
            version: r.version,
            notes: r.notes,
            pub_date: r.created_at,
            url: format!(
                "{}/api/v1/updates/artifacts/{}",
                base_url.trim_end_matches('/'),
                r.id
            ),
            signature: r.signature,
        }),
        _ => None,
    })
}

/// An offered build's file, for the updater's download.
#[tracing::instrument(skip(state))]
pub async fn artifact(
    state: &AppState,
    id: &str,
) -> Result<(Release, std::path::PathBuf), UpdateError> {
    let rid = id.to_string();
    let release = state
        .db
        .read(move |c| store::get(c, &rid))
        .await?
        .filter(|r| r.withdrawn_at.is_none())
        .ok_or_else(|| UpdateError::NotFound(format!("release '{id}' not found")))?;
    let (blobs, sha) = (state.blobs.clone(), release.sha256.clone());
    let path = tokio::task::spawn_blocking(move || blobs.path_of(&sha))
        .await
        .map_err(|e| UpdateError::Internal(e.to_string()))?
        .map_err(|e| UpdateError::Internal(e.to_string()))?;
    Ok((release, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_semantic_with_an_optional_v() {
        assert_eq!(parse_version("v", "v1.4.2").unwrap().to_string(), "1.4.2");
        assert!(parse_version("v", "1.10.0").unwrap() > parse_version("v", "1.9.0").unwrap());
        assert!(parse_version("v", "2.0.0-beta.1").unwrap() < parse_version("v", "2.0.0").unwrap());
        let e = parse_version("current_version", "latest").unwrap_err();
        assert_eq!(e.field(), Some("current_version"));
    }

    #[test]
    fn platforms_are_what_the_updater_sends() {
        check_platform("linux", "x86_64").unwrap();
        check_platform("darwin", "aarch64").unwrap();
        assert_eq!(
            check_platform("macos", "x86_64").unwrap_err().field(),
            Some("target")
        );
        assert_eq!(
            check_platform("linux", "amd64").unwrap_err().field(),
            Some("arch")
        );
    }

    #[test]
    fn a_signature_must_be_a_sig_files_content() {
        assert_eq!(
            decode_signature("not base64 !").err().unwrap().field(),
            Some("signature")
        );
        use base64::Engine;
        let junk = base64::engine::general_purpose::STANDARD.encode("untrusted comment: x\nAAAA\n");
        assert_eq!(
            decode_signature(&junk).err().unwrap().field(),
            Some("signature")
        );
    }
}
