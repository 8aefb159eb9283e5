//! Where providers' API keys are kept: sealed in the database under the instance's key on a server
//! (so every replica reads the same rows, and a database dump alone reveals nothing), or in the OS
//! keyring on the desktop (the same store the team-server sign-in uses, with its encrypted-file
//! fallback). Keys never leave this module except to the adapter that sends them.
use std::{
    io::Write,
    path::{Path, PathBuf},
};

use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use rand::RngCore;
use tokio::sync::OnceCell;

use crate::{
    config::ProviderSecrets,
    remote::secrets::{self as store, SecretStore},
};

const NONCE_LEN: usize = 24;
const KEY_FILE: &str = "provider-secrets.key";

/// What the vault did with a secret: the sealed bytes for the row, or nothing (kept elsewhere).
pub type Sealed = Option<Vec<u8>>;

pub struct SecretVault {
    mode: ProviderSecrets,
    store: store::SecretStoreChoice,
    data_dir: PathBuf,
    key: OnceCell<[u8; 32]>,
    keyring: OnceCell<std::sync::Arc<dyn SecretStore>>,
}

impl std::fmt::Debug for SecretVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretVault")
            .field("mode", &matches!(self.mode, ProviderSecrets::Keyring))
            .finish_non_exhaustive()
    }
}

/// `sk-…abcd`: enough to tell keys apart, never enough to use one.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 12 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else {
        let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
        format!("…{tail}")
    }
}

fn entry_name(provider_id: &str) -> String {
    format!("ai-provider:{provider_id}")
}

impl SecretVault {
    /// `store` is where keyring-mode secrets go (`Config::remote.secret_store`).
    pub fn new(mode: ProviderSecrets, store: store::SecretStoreChoice, data_dir: &Path) -> Self {
        Self {
            mode,
            store,
            data_dir: data_dir.to_path_buf(),
            key: OnceCell::new(),
            keyring: OnceCell::new(),
        }
    }

    async fn key(&self) -> Result<&[u8; 32], String> {
        self.key
            .get_or_try_init(|| async {
                if let ProviderSecrets::Sealed { key_hex: Some(h) } = &self.mode {
                    let bytes =
                        hex::decode(h.trim()).map_err(|_| "STORYLOOM_PROVIDER_KEY is not hex")?;
                    return <[u8; 32]>::try_from(bytes.as_slice())
                        .map_err(|_| "STORYLOOM_PROVIDER_KEY must be 64 hex digits".to_string());
                }
                let path = self.data_dir.join(KEY_FILE);
                tokio::task::spawn_blocking(move || load_or_create_key(&path))
                    .await
                    .map_err(|e| e.to_string())?
            })
            .await
    }

    async fn keyring(&self) -> std::sync::Arc<dyn SecretStore> {
        self.keyring
            .get_or_init(|| async {
                let chosen = store::choose(self.store, &self.data_dir).await;
                if let Some(n) = chosen.notice {
                    tracing::warn!("{n}");
                }
                std::sync::Arc::from(chosen.store)
            })
            .await
            .clone()
    }

    /// Keeps `secret` for `provider_id`; returns what goes in the row's `secret_sealed`.
    pub async fn put(&self, provider_id: &str, secret: &str) -> Result<Sealed, String> {
        match &self.mode {
            ProviderSecrets::Sealed { .. } => {
                let key = self.key().await?;
                Ok(Some(seal(key, provider_id, secret)?))
            }
            ProviderSecrets::Keyring => {
                let store = self.keyring().await;
                let (name, value) = (entry_name(provider_id), secret.to_string());
                // The keyring may block on D-Bus: keep it off the async threads.
                blocking(move || store.set(&name, &value)).await?;
                Ok(None)
            }
        }
    }

    /// The secret of `provider_id`, from its sealed bytes or the keyring.
    pub async fn get(&self, provider_id: &str, sealed: Option<&[u8]>) -> Result<String, String> {
        match (&self.mode, sealed) {
            (ProviderSecrets::Sealed { .. }, Some(bytes)) => {
                let key = self.key().await?;
                open(key, provider_id, bytes)
            }
            (ProviderSecrets::Sealed { .. }, None) => {
                Err("the provider's key is not stored on this server: enter it again".into())
            }
            (ProviderSecrets::Keyring, _) => {
                let store = self.keyring().await;
                let name = entry_name(provider_id);
                let location = store.location();
                blocking(move || store.get(&name)).await?.ok_or_else(|| {
                    format!("the provider's key is missing from {location}: enter it again")
                })
            }
        }
    }

    /// Forgets the secret of `provider_id` (the row's sealed bytes are cleared by the caller).
    pub async fn delete(&self, provider_id: &str) -> Result<(), String> {
        if let ProviderSecrets::Keyring = self.mode {
            let store = self.keyring().await;
            let name = entry_name(provider_id);
            blocking(move || store.delete(&name)).await?;
        }
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, store::SecretError> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

fn load_or_create_key(path: &Path) -> Result<[u8; 32], String> {
    match std::fs::read(path) {
        Ok(bytes) => <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| format!("{} is not a 32-byte key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts
                .open(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            f.write_all(&key)
                .and_then(|_| f.sync_all())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// nonce || ciphertext, with the provider id as associated data: a sealed key moved to another
/// row does not open.
fn seal(key: &[u8; 32], provider_id: &str, secret: &str) -> Result<Vec<u8>, String> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: provider_id.as_bytes(),
            },
        )
        .map_err(|_| "sealing the provider's key failed".to_string())?;
    let mut out = nonce.to_vec();
    out.extend(ct);
    Ok(out)
}

fn open(key: &[u8; 32], provider_id: &str, sealed: &[u8]) -> Result<String, String> {
    if sealed.len() <= NONCE_LEN {
        return Err("the stored provider key is damaged: enter it again".into());
    }
    let cipher = XChaCha20Poly1305::new(key.into());
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| "the stored provider key is damaged")?;
    let plain = cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: ct,
                aad: provider_id.as_bytes(),
            },
        )
        .map_err(|_| {
            "the stored provider key cannot be opened with this instance's key: enter it again"
                .to_string()
        })?;
    String::from_utf8(plain).map_err(|_| "the stored provider key is not text".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_little() {
        assert_eq!(mask("sk-abcdefghijklmnop1234"), "sk-…1234");
        assert_eq!(mask("short"), "…rt");
        assert!(!mask("sk-abcdefghijklmnop1234").contains("abcdef"));
    }

    #[test]
    fn sealed_keys_open_only_for_their_row_and_key() {
        let key = [7u8; 32];
        let sealed = seal(&key, "p1", "sk-secret").unwrap();
        assert!(!sealed.windows(9).any(|w| w == b"sk-secret"));
        assert_eq!(open(&key, "p1", &sealed).unwrap(), "sk-secret");
        assert!(open(&key, "p2", &sealed).is_err());
        assert!(open(&[8u8; 32], "p1", &sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(open(&key, "p1", &tampered).is_err());
    }
}
