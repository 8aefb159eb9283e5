//! The payment gateways' wire formats: Alipay (RSA2), WeChat Pay API v3 and Stripe Checkout.
//!
//! Pure code over raw bytes, headers and strings, returning typed results; the clock is always passed
//! in (`now_unix`), so replay windows are testable. Orders, storage and HTTP routes are built on top.
//! Each gateway's callbacks are verified before anything in them is believed, and every way a
//! callback can be wrong has its own [`GatewayError`], so handlers can answer 4xx (the sender's
//! fault) or 5xx (ours, or the gateway's) precisely.

use std::fmt;

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use http::{HeaderMap, StatusCode};
use rsa::{
    pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey},
    pkcs1v15::{Signature, SigningKey, VerifyingKey},
    pkcs8::{DecodePrivateKey, DecodePublicKey},
    signature::{SignatureEncoding, Signer, Verifier},
    traits::PublicKeyParts,
    RsaPrivateKey, RsaPublicKey,
};
use serde::de::DeserializeOwned;
use sha2::Sha256;

pub mod alipay;
pub mod stripe;
#[cfg(test)]
mod testkit;
pub mod wechat;

/// Signed callbacks and answers further than this from now are refused: WeChat Pay's and Stripe's
/// replay window (5 minutes), in both directions.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 300;

/// Both RSA gateways use 2048-bit keys; anything shorter is a misconfiguration, not a key to trust.
const MIN_RSA_BITS: usize = 2048;

/// Gateways' answers are small JSON documents; anything larger is not one of them.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Upstream bodies quoted in errors are for logs; keep them short.
const SNIPPET_CHARS: usize = 300;

/// What was wrong with a callback, an answer or the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// A setting the call needs is empty (the gateway is switched off or half set up).
    #[error("{gateway} is not configured: {field} is empty")]
    NotConfigured {
        gateway: &'static str,
        field: &'static str,
    },
    /// A configured key or certificate cannot be used.
    #[error("{field} is not a usable key: {reason}")]
    InvalidKey { field: &'static str, reason: String },
    /// The signature is well formed but was not made over this message with the expected key.
    #[error("the signature does not verify")]
    BadSignature,
    /// A header, parameter or JSON field the scheme requires is absent.
    #[error("missing {0}")]
    MissingField(String),
    /// The message is not in the gateway's format (not a form, not JSON, bad base64, wrong type…).
    #[error("malformed: {0}")]
    Malformed(String),
    /// An amount that is not a positive sum of whole cents.
    #[error("bad amount: {0}")]
    BadAmount(String),
    /// The signed timestamp is outside [`TIMESTAMP_TOLERANCE_SECS`] of now (a replay, or a skewed clock).
    #[error("timestamp {timestamp} is more than {TIMESTAMP_TOLERANCE_SECS} s from now ({now})")]
    StaleTimestamp { timestamp: i64, now: i64 },
    /// WeChat Pay signed with a platform key this merchant has not configured.
    #[error("no platform key with serial {0}")]
    UnknownSerial(String),
    /// The platform certificate that signed is not valid at this time.
    #[error("platform certificate {serial} is not valid now")]
    CertificateNotValid { serial: String },
    /// Genuinely signed, but for another merchant or app.
    #[error("{field} is not this merchant's")]
    WrongMerchant { field: &'static str },
    /// AES-256-GCM refused the resource: wrong APIv3 key, nonce, associated data or tag.
    #[error("cannot decrypt the resource (wrong APIv3 key, nonce, associated data or tag)")]
    Decrypt,
    /// A verified event of a kind this module does not handle (e.g. a refund notice).
    #[error("unsupported event: {0}")]
    UnsupportedEvent(String),
    /// The gateway answered with an HTTP error.
    #[error("the gateway answered HTTP {status}: {body}")]
    Upstream { status: u16, body: String },
    /// The gateway answered with a business error (Alipay's `code` other than 10000).
    #[error("the gateway refused: {code} {}: {message}", .sub_code.as_deref().unwrap_or("-"))]
    Rejected {
        code: String,
        sub_code: Option<String>,
        message: String,
    },
    /// The gateway could not be reached, or its answer was cut off.
    #[error("cannot reach the gateway: {0}")]
    Transport(String),
}

pub type Result<T, E = GatewayError> = std::result::Result<T, E>;

/// `value`, or `NotConfigured` when it is blank.
fn require<'a>(value: &'a str, gateway: &'static str, field: &'static str) -> Result<&'a str> {
    let value = value.trim();
    if value.is_empty() {
        return Err(GatewayError::NotConfigured { gateway, field });
    }
    Ok(value)
}

fn invalid_key(field: &'static str, reason: impl fmt::Display) -> GatewayError {
    GatewayError::InvalidKey {
        field,
        reason: reason.to_string(),
    }
}

fn check_bits(bits: usize, field: &'static str) -> Result<()> {
    if bits < MIN_RSA_BITS {
        return Err(invalid_key(
            field,
            format!("{bits}-bit RSA; at least {MIN_RSA_BITS} bits are needed"),
        ));
    }
    Ok(())
}

/// An RSA private key from PKCS#8 or PKCS#1 PEM, or bare base64 DER of either (as Alipay's key
/// tool writes it).
fn private_key(text: &str, field: &'static str) -> Result<RsaPrivateKey> {
    let text = text.trim();
    let key = if text.starts_with("-----BEGIN") {
        RsaPrivateKey::from_pkcs8_pem(text)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(text))
            .map_err(|e| invalid_key(field, e))?
    } else {
        let der = decode_b64_lines(text).ok_or_else(|| invalid_key(field, "not PEM or base64"))?;
        RsaPrivateKey::from_pkcs8_der(&der)
            .or_else(|_| RsaPrivateKey::from_pkcs1_der(&der))
            .map_err(|e| invalid_key(field, e))?
    };
    check_bits(key.size() * 8, field)?;
    Ok(key)
}

/// An RSA public key from SubjectPublicKeyInfo PEM (or PKCS#1 PEM), or bare base64 DER of the
/// SubjectPublicKeyInfo, as Alipay's and WeChat Pay's consoles give it.
fn public_key(text: &str, field: &'static str) -> Result<RsaPublicKey> {
    let text = text.trim();
    let key = if text.starts_with("-----BEGIN") {
        RsaPublicKey::from_public_key_pem(text)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(text))
            .map_err(|e| invalid_key(field, e))?
    } else {
        let der = decode_b64_lines(text).ok_or_else(|| invalid_key(field, "not PEM or base64"))?;
        RsaPublicKey::from_public_key_der(&der).map_err(|e| invalid_key(field, e))?
    };
    check_bits(key.size() * 8, field)?;
    Ok(key)
}

/// Base64 that may be wrapped over several lines.
fn decode_b64_lines(text: &str) -> Option<Vec<u8>> {
    let joined: String = text.split_whitespace().collect();
    B64.decode(joined).ok()
}

/// SHA256withRSA (PKCS#1 v1.5), base64: the signature both RSA gateways use.
fn rsa_sign(key: &RsaPrivateKey, message: &[u8]) -> String {
    let signature: Signature = SigningKey::<Sha256>::new(key.clone()).sign(message);
    B64.encode(signature.to_bytes())
}

/// Checks a base64 SHA256withRSA signature over `message`.
fn rsa_verify(key: &RsaPublicKey, message: &[u8], signature_b64: &str) -> Result<()> {
    let raw = B64
        .decode(signature_b64.trim())
        .map_err(|_| GatewayError::Malformed("the signature is not base64".into()))?;
    let signature = Signature::try_from(raw.as_slice()).map_err(|_| GatewayError::BadSignature)?;
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(message, &signature)
        .map_err(|_| GatewayError::BadSignature)
}

/// Refuses a signed timestamp further than the tolerance from now, either way.
fn check_timestamp(timestamp: i64, now: i64) -> Result<()> {
    if timestamp.abs_diff(now) > TIMESTAMP_TOLERANCE_SECS as u64 {
        return Err(GatewayError::StaleTimestamp { timestamp, now });
    }
    Ok(())
}

/// The start of a body, for error messages and logs.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(SNIPPET_CHARS).collect();
    if text.chars().nth(SNIPPET_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Parses JSON, naming the field that was missing or wrong (`resource.ciphertext`), not just a column.
fn parse_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let full = if path == "." || path.is_empty() {
                field.to_string()
            } else {
                format!("{path}.{field}")
            };
            return GatewayError::MissingField(format!("{what} {full}"));
        }
        GatewayError::Malformed(format!(
            "{what} is not the expected JSON: {path}: {message}"
        ))
    })
}

/// A header's value as text, or `MissingField` naming it.
fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str> {
    let value = headers
        .get(name)
        .ok_or_else(|| GatewayError::MissingField(format!("header {name}")))?;
    value
        .to_str()
        .map_err(|_| GatewayError::Malformed(format!("header {name} is not ASCII")))
}

/// An answer read in full (up to [`MAX_ANSWER_BYTES`]).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn upstream_error(&self) -> GatewayError {
        GatewayError::Upstream {
            status: self.status.as_u16(),
            body: snippet(&self.body),
        }
    }
}

/// Sends a request and reads the whole answer; a failed connection or a body cut short is `Transport`.
async fn send(request: reqwest::RequestBuilder) -> Result<Answer> {
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(GatewayError::Malformed(format!(
                "the answer is over {MAX_ANSWER_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// reqwest's message with its causes ("error sending request: connection refused").
fn transport(error: reqwest::Error) -> GatewayError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    GatewayError::Transport(message)
}

/// Secrets never reach logs through `{:?}`.
struct Redacted<'a>(&'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.trim().is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("<redacted>")
        }
    }
}
