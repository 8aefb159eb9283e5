//! Where the team-server session's secrets live: the OS keyring when one is running, otherwise a
//! file under the data directory sealed with an AEAD under a key bound to this machine.
//!
//! What the encrypted file protects against, honestly: a copy of the data directory alone (a
//! backup, a synced folder, an archive mailed around, a stolen disk image *without* the OS
//! partition) does not reveal the refresh token, because the key is derived from this machine's
//! id (`/etc/machine-id`), which is not in the data directory, together with a random per-install
//! salt that is. It does **not** protect against anyone who can run code as this user (or as root)
//! on this machine: they can read both the machine id and the file. Tampering with the file is
//! detected (the AEAD tag), never silently accepted. The OS keyring is preferred because it
//! adds what the file cannot: the secret is encrypted under the user's login and, on most
//! desktops, locked while the session is locked.
use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use rand::RngCore;
use serde::Serialize;
use sha2::Sha256;
use utoipa::ToSchema;

/// The keyring service name every Storyloom secret is filed under.
pub const KEYRING_SERVICE: &str = "app.storyloom.studio";

/// The encrypted fallback's file name, in the data directory.
pub const SECRETS_FILE: &str = "secrets.enc";

const MAGIC: &[u8; 8] = b"SLSECv1\0";
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = MAGIC.len() + SALT_LEN + NONCE_LEN;

/// Where secrets are kept (reported to the UI as `secret_storage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretStorageKind {
    Keyring,
    EncryptedFile,
}

/// Which store to use (`STORYLOOM_SECRET_STORE`: `auto`, `keyring` or `file`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretStoreChoice {
    /// The OS keyring when it answers a probe, otherwise the encrypted file.
    #[default]
    Auto,
    Keyring,
    File,
}

impl std::str::FromStr for SecretStoreChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(Self::Auto),
            "keyring" => Ok(Self::Keyring),
            "file" | "encrypted_file" => Ok(Self::File),
            other => Err(format!(
                "unknown secret store '{other}' (expected auto, keyring or file)"
            )),
        }
    }
}

impl SecretStoreChoice {}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keyring failed: {0}")]
    Keyring(String),
    #[error(
        "the secrets file {path} cannot be decrypted: it was changed or damaged, or it was made on \
         another machine (its key comes from this machine's id); sign in again to replace it"
    )]
    Undecryptable { path: String },
    #[error("the secrets file {path} is not a Storyloom secrets file (or is truncated)")]
    Malformed { path: String },
    #[error("cannot read or write the secrets file {path}: {message}")]
    Io { path: String, message: String },
}

/// A small named-secret store. Calls may block (file I/O, D-Bus): run them off the async threads.
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError>;
    fn set(&self, name: &str, value: &str) -> Result<(), SecretError>;
    /// Deleting a secret that is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), SecretError>;
    fn kind(&self) -> SecretStorageKind;
    /// Where, for people: "the OS keyring (service app.storyloom.studio)" or the file's path.
    fn location(&self) -> String;
}

// ---------------------------------------------------------------------------------------------
// The OS keyring

/// The OS keyring (`keyring` crate): macOS Keychain, Windows Credential Manager, the Secret
/// Service (GNOME Keyring, KWallet) over D-Bus on Linux.
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new() -> Self {
        Self {
            service: KEYRING_SERVICE.to_string(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, name).map_err(|e| SecretError::Keyring(e.to_string()))
    }

    /// Whether a keyring service answers: reading an entry that is (normally) absent must give
    /// "no entry", not a platform failure. Blocks; the caller bounds it with a timeout.
    pub fn probe(&self) -> Result<(), String> {
        let entry = keyring::Entry::new(&self.service, "probe").map_err(|e| e.to_string())?;
        match entry.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        match self.entry(name)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretError::Keyring(e.to_string())),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        self.entry(name)?
            .set_password(value)
            .map_err(|e| SecretError::Keyring(e.to_string()))
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretError::Keyring(e.to_string())),
        }
    }

    fn kind(&self) -> SecretStorageKind {
        SecretStorageKind::Keyring
    }

    fn location(&self) -> String {
        format!("the OS keyring (service {})", self.service)
    }
}

// ---------------------------------------------------------------------------------------------
// The encrypted file

/// This machine's id, the part of the file key that a copy of the data directory does not carry.
/// Linux: `/etc/machine-id` (systemd) or `/var/lib/dbus/machine-id`. None elsewhere or when
/// unreadable; the file is then sealed by the salt alone and says so (see [`MachineKey`]).
pub fn machine_id() -> Option<Vec<u8>> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|p| {
            let id = std::fs::read_to_string(p).ok()?;
            let id = id.trim();
            (!id.is_empty()).then(|| id.as_bytes().to_vec())
        })
}

/// The machine-bound input to the file key.
#[derive(Clone)]
pub struct MachineKey {
    secret: Vec<u8>,
    /// False when no machine id could be read: then a copy of the data dir *does* decrypt.
    pub bound_to_machine: bool,
}

impl MachineKey {
    /// This machine's id (see [`machine_id`]).
    pub fn this_machine() -> Self {
        match machine_id() {
            Some(secret) => Self {
                secret,
                bound_to_machine: true,
            },
            None => Self {
                secret: b"no-machine-id".to_vec(),
                bound_to_machine: false,
            },
        }
    }

    /// A given machine secret (tests: "another machine").
    pub fn from_bytes(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
            bound_to_machine: true,
        }
    }
}

/// A secrets file's salt and its secrets.
type Contents = ([u8; SALT_LEN], BTreeMap<String, String>);

/// Secrets as one JSON map, sealed with XChaCha20-Poly1305. File layout: magic (8 bytes) ‖ salt
/// (32, random per install, kept across writes) ‖ nonce (24, fresh on every write) ‖ ciphertext
/// with its 16-byte tag; the magic and salt are authenticated as associated data. The key is
/// HKDF-SHA256(ikm = machine id, salt = salt, info = "storyloom secrets file v1"). Written to a
/// temp file in the same directory (mode 0600) and renamed over the old one.
pub struct EncryptedFileStore {
    path: PathBuf,
    machine: MachineKey,
    lock: Mutex<()>,
}

impl EncryptedFileStore {
    pub fn new(path: impl Into<PathBuf>, machine: MachineKey) -> Self {
        Self {
            path: path.into(),
            machine,
            lock: Mutex::new(()),
        }
    }

    /// `secrets.enc` in the data directory, keyed to this machine.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::new(data_dir.join(SECRETS_FILE), MachineKey::this_machine())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn bound_to_machine(&self) -> bool {
        self.machine.bound_to_machine
    }

    fn display(&self) -> String {
        self.path.display().to_string()
    }

    fn io(&self, e: impl std::fmt::Display) -> SecretError {
        SecretError::Io {
            path: self.display(),
            message: e.to_string(),
        }
    }

    fn cipher(&self, salt: &[u8]) -> XChaCha20Poly1305 {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(salt), &self.machine.secret);
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 × 32: this cannot fail.
        hk.expand(b"storyloom secrets file v1", &mut key)
            .unwrap_or_default();
        XChaCha20Poly1305::new(&key.into())
    }

    /// The salt and the secrets, or None when there is no file yet.
    fn load(&self) -> Result<Option<Contents>, SecretError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        if bytes.len() < HEADER_LEN + 16 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(SecretError::Malformed {
                path: self.display(),
            });
        }
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&bytes[MAGIC.len()..MAGIC.len() + SALT_LEN]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[MAGIC.len() + SALT_LEN..HEADER_LEN]);
        let nonce = XNonce::from(nonce);
        let plain = self
            .cipher(&salt)
            .decrypt(
                &nonce,
                Payload {
                    msg: &bytes[HEADER_LEN..],
                    aad: &bytes[..MAGIC.len() + SALT_LEN],
                },
            )
            .map_err(|_| SecretError::Undecryptable {
                path: self.display(),
            })?;
        let map = serde_json::from_slice(&plain).map_err(|_| SecretError::Malformed {
            path: self.display(),
        })?;
        Ok(Some((salt, map)))
    }

    fn save(
        &self,
        salt: &[u8; SALT_LEN],
        map: &BTreeMap<String, String>,
    ) -> Result<(), SecretError> {
        let plain = serde_json::to_vec(map).map_err(|e| self.io(e))?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(salt);
        let sealed = self
            .cipher(salt)
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &header,
                },
            )
            .map_err(|_| self.io("encryption failed"))?;
        header.extend_from_slice(&nonce);
        header.extend_from_slice(&sealed);
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        // NamedTempFile is created 0600 on Unix; set it anyway in case a umask or platform differs.
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.io(e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600))
                .map_err(|e| self.io(e))?;
        }
        tmp.write_all(&header).map_err(|e| self.io(e))?;
        tmp.as_file().sync_all().map_err(|e| self.io(e))?;
        tmp.persist(&self.path).map_err(|e| self.io(e.error))?;
        Ok(())
    }

    /// The current salt and map for a change; an unreadable file is replaced (its secrets are
    /// lost either way), with a warning in the log.
    fn load_for_change(&self) -> Result<Contents, SecretError> {
        match self.load() {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Ok((new_salt(), BTreeMap::new())),
            Err(e @ (SecretError::Undecryptable { .. } | SecretError::Malformed { .. })) => {
                tracing::warn!(error = %e, "replacing an unreadable secrets file");
                Ok((new_salt(), BTreeMap::new()))
            }
            Err(e) => Err(e),
        }
    }
}

fn new_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    salt
}

impl SecretStore for EncryptedFileStore {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.load()?.and_then(|(_, mut m)| m.remove(name)))
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let (salt, mut map) = self.load_for_change()?;
        map.insert(name.to_string(), value.to_string());
        self.save(&salt, &map)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let (salt, mut map) = match self.load() {
            Ok(Some(v)) => v,
            Ok(None) => return Ok(()),
            // Nothing can be read from it, so nothing of it can be kept: remove it.
            Err(SecretError::Undecryptable { .. } | SecretError::Malformed { .. }) => {
                return std::fs::remove_file(&self.path).map_err(|e| self.io(e));
            }
            Err(e) => return Err(e),
        };
        if map.remove(name).is_none() {
            return Ok(());
        }
        if map.is_empty() {
            return std::fs::remove_file(&self.path).map_err(|e| self.io(e));
        }
        self.save(&salt, &map)
    }

    fn kind(&self) -> SecretStorageKind {
        SecretStorageKind::EncryptedFile
    }

    fn location(&self) -> String {
        self.display()
    }
}

// ---------------------------------------------------------------------------------------------
// Choosing

/// The chosen store and, when it is the file, a message for people saying why.
pub struct ChosenStore {
    pub store: Box<dyn SecretStore>,
    pub notice: Option<String>,
}

/// How long the keyring probe may take (a D-Bus service that hangs must not hang sign-in).
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

fn file_notice(file: &EncryptedFileStore, why: &str) -> String {
    let binding = if file.bound_to_machine() {
        "it can be decrypted only on this machine (the key comes from its machine id), but anyone who can run programs as you here can read it"
    } else {
        "no machine id could be read, so the file is only obfuscated: a copy of the data folder can be decrypted"
    };
    format!(
        "{why}; tokens are kept in an encrypted file at {} instead: {binding}.",
        file.path().display()
    )
}

/// Picks the store once: the OS keyring when it answers a probe, otherwise the encrypted file in
/// `data_dir`, with a message naming why. The probe runs on a blocking thread, bounded in time.
#[tracing::instrument(skip_all, fields(choice = ?choice))]
pub async fn choose(choice: SecretStoreChoice, data_dir: &Path) -> ChosenStore {
    let file = EncryptedFileStore::in_data_dir(data_dir);
    match choice {
        SecretStoreChoice::File => {
            let notice = file_notice(
                &file,
                "The secret store is set to the encrypted file (STORYLOOM_SECRET_STORE=file)",
            );
            ChosenStore {
                store: Box::new(file),
                notice: Some(notice),
            }
        }
        SecretStoreChoice::Keyring => ChosenStore {
            store: Box::new(KeyringStore::new()),
            notice: None,
        },
        SecretStoreChoice::Auto => {
            let probe = tokio::task::spawn_blocking(|| KeyringStore::new().probe());
            let why = match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
                Ok(Ok(Ok(()))) => {
                    return ChosenStore {
                        store: Box::new(KeyringStore::new()),
                        notice: None,
                    }
                }
                Ok(Ok(Err(e))) => format!(
                    "No OS keyring service ({}) is running ({e})",
                    keyring_service_name()
                ),
                Ok(Err(e)) => format!("The OS keyring probe failed ({e})"),
                Err(_) => format!(
                    "The OS keyring ({}) did not answer within {} s",
                    keyring_service_name(),
                    PROBE_TIMEOUT.as_secs()
                ),
            };
            tracing::warn!(reason = %why, "using the encrypted secrets file");
            let notice = file_notice(&file, &why);
            ChosenStore {
                store: Box::new(file),
                notice: Some(notice),
            }
        }
    }
}

fn keyring_service_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "the macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "Secret Service over D-Bus, e.g. GNOME Keyring or KWallet"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, machine: &str) -> EncryptedFileStore {
        EncryptedFileStore::new(dir.join(SECRETS_FILE), MachineKey::from_bytes(machine))
    }

    #[test]
    fn round_trip_set_get_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), "machine-a");
        assert_eq!(s.get("session").unwrap(), None);
        s.set("session", "refresh-token-123").unwrap();
        s.set("other", "x").unwrap();
        assert_eq!(
            s.get("session").unwrap().as_deref(),
            Some("refresh-token-123")
        );
        // A second store over the same file (the app restarted) reads the same.
        let again = store(dir.path(), "machine-a");
        assert_eq!(again.get("other").unwrap().as_deref(), Some("x"));
        again.delete("session").unwrap();
        assert_eq!(s.get("session").unwrap(), None);
        assert_eq!(s.get("other").unwrap().as_deref(), Some("x"));
        s.delete("other").unwrap();
        assert!(
            !s.path().exists(),
            "the last secret deleted removes the file"
        );
        s.delete("never-there").unwrap();
    }

    #[test]
    fn the_file_holds_no_plain_text_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), "machine-a");
        s.set("session", "very-secret-refresh-token").unwrap();
        let bytes = std::fs::read(s.path()).unwrap();
        let needle = b"very-secret-refresh-token";
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
        assert!(!bytes.windows(7).any(|w| w == b"session"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(s.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The salt survives rewrites; the nonce does not repeat.
        let first = bytes.clone();
        s.set("session", "very-secret-refresh-token").unwrap();
        let second = std::fs::read(s.path()).unwrap();
        assert_eq!(first[8..40], second[8..40], "salt kept");
        assert_ne!(first[40..64], second[40..64], "fresh nonce");
    }

    #[test]
    fn tampered_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), "machine-a");
        s.set("session", "token").unwrap();
        let mut bytes = std::fs::read(s.path()).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        std::fs::write(s.path(), &bytes).unwrap();
        let err = s.get("session").unwrap_err();
        assert!(matches!(err, SecretError::Undecryptable { .. }), "{err}");
        assert!(err.to_string().contains("cannot be decrypted"), "{err}");

        // A changed salt (associated data) is caught too.
        s.set("session", "token").unwrap();
        let mut bytes = std::fs::read(s.path()).unwrap();
        bytes[10] ^= 0xff;
        std::fs::write(s.path(), &bytes).unwrap();
        assert!(matches!(
            s.get("session"),
            Err(SecretError::Undecryptable { .. })
        ));

        // Truncated or foreign files are "malformed", not a panic.
        std::fs::write(s.path(), b"hello").unwrap();
        assert!(matches!(
            s.get("session"),
            Err(SecretError::Malformed { .. })
        ));
        // Writing replaces an unreadable file; deleting removes it.
        s.set("session", "new").unwrap();
        assert_eq!(s.get("session").unwrap().as_deref(), Some("new"));
        std::fs::write(
            s.path(),
            b"garbage garbage garbage garbage garbage garbage garbage garbage garbage",
        )
        .unwrap();
        s.delete("session").unwrap();
        assert!(!s.path().exists());
    }

    #[test]
    fn another_machine_cannot_decrypt_a_copied_file() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        store(a.path(), "machine-a")
            .set("session", "token")
            .unwrap();
        std::fs::copy(a.path().join(SECRETS_FILE), b.path().join(SECRETS_FILE)).unwrap();
        let err = store(b.path(), "machine-b").get("session").unwrap_err();
        assert!(matches!(err, SecretError::Undecryptable { .. }), "{err}");
        // The same machine reads its copy.
        assert_eq!(
            store(b.path(), "machine-a")
                .get("session")
                .unwrap()
                .as_deref(),
            Some("token")
        );
    }

    #[test]
    fn choice_parses() {
        assert_eq!("file".parse(), Ok(SecretStoreChoice::File));
        assert_eq!("KEYRING".parse(), Ok(SecretStoreChoice::Keyring));
        assert_eq!("".parse(), Ok(SecretStoreChoice::Auto));
        assert!("vault".parse::<SecretStoreChoice>().is_err());
    }

    #[tokio::test]
    async fn forced_file_store_says_where_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let chosen = choose(SecretStoreChoice::File, dir.path()).await;
        assert_eq!(chosen.store.kind(), SecretStorageKind::EncryptedFile);
        let notice = chosen.notice.unwrap();
        assert!(notice.contains(SECRETS_FILE), "{notice}");
        assert!(notice.contains("STORYLOOM_SECRET_STORE"), "{notice}");
    }

    /// Against a real Secret Service (not in plain CI, which has none). Run it with:
    /// `dbus-run-session -- bash -c 'export XDG_RUNTIME_DIR=$(mktemp -d); eval "$(printf pw |
    /// gnome-keyring-daemon --unlock --components=secrets)"; cargo test -p storyloom --lib
    /// keyring_store -- --ignored'`
    #[tokio::test]
    #[ignore = "needs a running Secret Service (see the doc comment)"]
    async fn keyring_store_round_trip_against_a_real_keyring() {
        let dir = tempfile::tempdir().unwrap();
        let chosen = choose(SecretStoreChoice::Auto, dir.path()).await;
        assert_eq!(
            chosen.store.kind(),
            SecretStorageKind::Keyring,
            "{:?}",
            chosen.notice
        );
        let name = format!("test-{}", std::process::id());
        tokio::task::spawn_blocking(move || {
            let k = KeyringStore::new();
            assert_eq!(k.get(&name).unwrap(), None);
            k.set(&name, "refresh-token").unwrap();
            assert_eq!(k.get(&name).unwrap().as_deref(), Some("refresh-token"));
            k.set(&name, "rotated").unwrap();
            assert_eq!(k.get(&name).unwrap().as_deref(), Some("rotated"));
            k.delete(&name).unwrap();
            assert_eq!(k.get(&name).unwrap(), None);
            k.delete(&name).unwrap();
        })
        .await
        .unwrap();
        assert!(!dir.path().join(SECRETS_FILE).exists(), "no file fallback");
    }

    #[tokio::test]
    async fn auto_choice_answers_in_bounded_time() {
        // Headless CI has no Secret Service: the file must be chosen with a reason. Where a keyring
        // does run, the keyring is chosen with no notice. Either way within the probe timeout.
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let chosen = choose(SecretStoreChoice::Auto, dir.path()).await;
        assert!(started.elapsed() < PROBE_TIMEOUT + Duration::from_secs(1));
        match chosen.store.kind() {
            SecretStorageKind::EncryptedFile => {
                let notice = chosen.notice.unwrap();
                eprintln!("fallback notice: {notice}");
                assert!(notice.contains("keyring"), "{notice}");
                assert!(notice.contains(SECRETS_FILE), "{notice}");
            }
            SecretStorageKind::Keyring => assert!(chosen.notice.is_none()),
        }
    }
}
