//! What the gateway tests share: RSA keys made once per test binary, and fake gateways on 127.0.0.1.
use std::sync::OnceLock;

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use rsa::{
    pkcs1::{EncodeRsaPrivateKey, LineEnding},
    pkcs8::{EncodePrivateKey, EncodePublicKey},
    RsaPrivateKey, RsaPublicKey,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The merchant's (or app's) key.
pub const MERCHANT: usize = 0;
/// The gateway's own key (Alipay's, WeChat Pay's platform key).
pub const GATEWAY: usize = 1;
/// Somebody else's key.
pub const OTHER: usize = 2;

static KEYS: [OnceLock<RsaPrivateKey>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

/// 2048-bit keys are slow to make in a debug build: each is made once and shared by every test.
pub fn key(which: usize) -> &'static RsaPrivateKey {
    KEYS[which].get_or_init(|| {
        RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key generation")
    })
}

pub fn public(which: usize) -> RsaPublicKey {
    key(which).to_public_key()
}

pub fn private_pkcs8_pem(which: usize) -> String {
    key(which)
        .to_pkcs8_pem(LineEnding::LF)
        .expect("PKCS#8 PEM")
        .to_string()
}

pub fn private_pkcs1_pem(which: usize) -> String {
    key(which)
        .to_pkcs1_pem(LineEnding::LF)
        .expect("PKCS#1 PEM")
        .to_string()
}

pub fn public_pem(which: usize) -> String {
    public(which)
        .to_public_key_pem(LineEnding::LF)
        .expect("SPKI PEM")
}

/// The SubjectPublicKeyInfo as bare base64 DER, as Alipay's console shows it.
pub fn public_b64(which: usize) -> String {
    B64.encode(
        public(which)
            .to_public_key_der()
            .expect("SPKI DER")
            .as_bytes(),
    )
}

/// Serves `app` on an ephemeral port; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("fake gateway");
    });
    format!("http://{addr}")
}

/// Answers every connection with exactly `raw` (a hand-written HTTP response) and closes it:
/// for answers no well-behaved server would send, such as a body shorter than its Content-Length.
pub async fn serve_raw(raw: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(raw.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// A client that never waits long on a fake gateway.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client")
}

/// A plain 127.0.0.1 port nothing listens on (bound, then closed).
pub async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}")
}
