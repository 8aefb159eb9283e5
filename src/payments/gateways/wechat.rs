//! WeChat Pay API v3: Native payments (a QR code's `code_url`), their callbacks, and order queries.
//!
//! Requests carry `WECHATPAY2-SHA256-RSA2048` authorisation: SHA256withRSA with the merchant's key
//! over `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n`. Callbacks and answers are signed by WeChat Pay
//! (a platform certificate's key, or the "WeChat Pay public key") over `TIMESTAMP\nNONCE\nBODY\n`,
//! named by `Wechatpay-Serial`; a callback's transaction is sealed with AES-256-GCM under the
//! merchant's APIv3 key.

use std::fmt;

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use http::{header, HeaderMap, Method, StatusCode};
use rsa::{pkcs8::DecodePublicKey, traits::PublicKeyParts, RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use x509_cert::{
    der::{DecodePem, Encode},
    Certificate,
};

use super::{
    check_bits, check_timestamp, header as header_str, invalid_key, parse_json, private_key,
    public_key, require, rsa_sign, rsa_verify, send, Answer, GatewayError, Redacted, Result,
};

const GATEWAY: &str = "wechat";

/// WeChat Pay's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";

const SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";

/// A key WeChat Pay signs with, named as `Wechatpay-Serial` names it.
#[derive(Clone)]
pub struct PlatformKey {
    /// A platform certificate's serial (hex, upper case), or a public key's id (`PUB_KEY_ID_…`).
    pub serial: String,
    pub public_key: RsaPublicKey,
    /// The certificate's validity, in Unix seconds; `None` for a WeChat Pay public key.
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
}

impl fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformKey")
            .field("serial", &self.serial)
            .field("bits", &(self.public_key.size() * 8))
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish()
    }
}

impl PlatformKey {
    /// A platform certificate (PEM X.509): its serial number and SubjectPublicKeyInfo.
    pub fn from_certificate_pem(pem: &str) -> Result<Self> {
        const FIELD: &str = "platform certificate";
        let cert = Certificate::from_pem(pem.trim()).map_err(|e| invalid_key(FIELD, e))?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| invalid_key(FIELD, e))?;
        let public_key =
            RsaPublicKey::from_public_key_der(&spki).map_err(|e| invalid_key(FIELD, e))?;
        check_bits(public_key.size() * 8, FIELD)?;
        let unix = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
        Ok(Self {
            serial: serial_hex(tbs.serial_number.as_bytes()),
            public_key,
            not_before: Some(unix(tbs.validity.not_before)),
            not_after: Some(unix(tbs.validity.not_after)),
        })
    }

    /// The "WeChat Pay public key" (SubjectPublicKeyInfo PEM) with its id (`PUB_KEY_ID_…`).
    pub fn from_public_key_pem(id: &str, pem: &str) -> Result<Self> {
        let id = require(id, GATEWAY, "public key id")?;
        Ok(Self {
            serial: id.to_string(),
            public_key: public_key(pem, "WeChat Pay public key")?,
            not_before: None,
            not_after: None,
        })
    }
}

/// Hex, upper case, without the sign byte DER may prepend: as WeChat Pay writes serials.
fn serial_hex(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    hex::encode_upper(&bytes[start..])
}

/// One merchant's settings.
#[derive(Clone)]
pub struct WechatConfig {
    pub mchid: String,
    pub appid: String,
    /// The serial of the merchant's API certificate, sent with every request.
    pub merchant_serial_no: String,
    /// The merchant's API private key (`apiclient_key.pem`, PKCS#8).
    pub merchant_private_key_pem: String,
    /// The APIv3 key: 32 bytes of text, set in the merchant platform.
    pub api_v3_key: String,
    pub platform: Vec<PlatformKey>,
    pub base_url: String,
    pub notify_url: String,
}

impl Default for WechatConfig {
    fn default() -> Self {
        Self {
            mchid: String::new(),
            appid: String::new(),
            merchant_serial_no: String::new(),
            merchant_private_key_pem: String::new(),
            api_v3_key: String::new(),
            platform: Vec::new(),
            base_url: DEFAULT_BASE_URL.to_string(),
            notify_url: String::new(),
        }
    }
}

impl fmt::Debug for WechatConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatConfig")
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field(
                "merchant_private_key_pem",
                &Redacted(&self.merchant_private_key_pem),
            )
            .field("api_v3_key", &Redacted(&self.api_v3_key))
            .field("platform", &self.platform)
            .field("base_url", &self.base_url)
            .field("notify_url", &self.notify_url)
            .finish()
    }
}

impl WechatConfig {
    /// Checks every setting the calls and callbacks need (for start-up, not per payment).
    pub fn validate(&self) -> Result<()> {
        self.merchant()?;
        self.merchant_key()?;
        self.api_v3_key()?;
        self.platform_keys()?;
        require(&self.notify_url, GATEWAY, "notify_url")?;
        Ok(())
    }

    /// `(mchid, appid)`.
    fn merchant(&self) -> Result<(&str, &str)> {
        Ok((
            require(&self.mchid, GATEWAY, "mchid")?,
            require(&self.appid, GATEWAY, "appid")?,
        ))
    }

    fn merchant_key(&self) -> Result<RsaPrivateKey> {
        let pem = require(
            &self.merchant_private_key_pem,
            GATEWAY,
            "merchant_private_key_pem",
        )?;
        private_key(pem, "merchant_private_key_pem")
    }

    fn api_v3_key(&self) -> Result<&[u8]> {
        let key = require(&self.api_v3_key, GATEWAY, "api_v3_key")?.as_bytes();
        if key.len() != 32 {
            return Err(invalid_key(
                "api_v3_key",
                format!("{} bytes; the APIv3 key is 32", key.len()),
            ));
        }
        Ok(key)
    }

    fn platform_keys(&self) -> Result<&[PlatformKey]> {
        if self.platform.is_empty() {
            return Err(GatewayError::NotConfigured {
                gateway: GATEWAY,
                field: "platform",
            });
        }
        Ok(&self.platform)
    }
}

/// `trade_state` of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WechatTradeState {
    Success,
    /// Paid, then (partly) refunded.
    Refund,
    NotPay,
    Closed,
    Revoked,
    UserPaying,
    PayError,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WechatAmount {
    /// The order's amount in fen (cents).
    pub total: i64,
    /// What the buyer paid, after coupons.
    pub payer_total: Option<i64>,
    pub currency: String,
}

/// A transaction, from a callback or a query.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WechatTransaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    /// WeChat Pay's own number; present once paid.
    pub transaction_id: Option<String>,
    pub trade_state: WechatTradeState,
    pub trade_state_desc: Option<String>,
    /// Present on queries only when paid.
    pub amount: Option<WechatAmount>,
    /// RFC 3339, present once paid.
    pub success_time: Option<String>,
}

/// A verified, decrypted callback. Answer 2xx once it is committed, or WeChat Pay sends it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatNotify {
    /// The event's id: repeats of one callback share it.
    pub event_id: String,
    /// `TRANSACTION.SUCCESS` for a payment.
    pub event_type: String,
    pub create_time: String,
    pub transaction: WechatTransaction,
}

/// What a query by `out_trade_no` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WechatQuery {
    Found(WechatTransaction),
    /// `ORDER_NOT_EXIST`.
    NotFound,
}

/// The `Authorization` header of a request: the merchant's SHA256withRSA signature over
/// `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n` (`BODY` empty for a GET).
pub fn authorization(
    cfg: &WechatConfig,
    method: &str,
    url_path_with_query: &str,
    body: &str,
    timestamp: i64,
    nonce: &str,
) -> Result<String> {
    let mchid = require(&cfg.mchid, GATEWAY, "mchid")?;
    let serial = require(&cfg.merchant_serial_no, GATEWAY, "merchant_serial_no")?;
    check_nonce(nonce)?;
    let message = format!("{method}\n{url_path_with_query}\n{timestamp}\n{nonce}\n{body}\n");
    let signature = rsa_sign(&cfg.merchant_key()?, message.as_bytes());
    Ok(format!(
        r#"{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",timestamp="{timestamp}",serial_no="{serial}""#
    ))
}

/// A nonce goes into a quoted header parameter: letters and digits only.
fn check_nonce(nonce: &str) -> Result<()> {
    if nonce.is_empty() || nonce.len() > 32 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(GatewayError::Malformed(format!(
            "nonce {nonce:?}: 1-32 letters or digits"
        )));
    }
    Ok(())
}

/// WeChat Pay's signature over a callback or answer: `TIMESTAMP\nNONCE\nBODY\n`, base64. What the
/// fake gateway and tests sign with; WeChat Pay's side of the scheme.
pub fn sign_callback(
    private_key: &RsaPrivateKey,
    body: &[u8],
    timestamp: i64,
    nonce: &str,
) -> String {
    rsa_sign(
        private_key,
        &signed_message(&timestamp.to_string(), nonce, body),
    )
}

fn signed_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// Seals a resource as WeChat Pay does (AES-256-GCM, the tag appended, base64): for the fake
/// gateway and tests.
pub fn encrypt_resource(
    api_v3_key: &str,
    plaintext: &[u8],
    nonce: &str,
    aad: &str,
) -> Result<String> {
    let cipher = Aes256Gcm::new_from_slice(api_v3_key.as_bytes())
        .map_err(|_| invalid_key("api_v3_key", "the APIv3 key is 32 bytes"))?;
    let nonce = gcm_nonce(nonce)?;
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| GatewayError::Decrypt)?;
    Ok(B64.encode(sealed))
}

fn gcm_nonce(nonce: &str) -> Result<Nonce<aes_gcm::aead::consts::U12>> {
    let bytes: [u8; 12] = nonce.as_bytes().try_into().map_err(|_| {
        GatewayError::Malformed(format!(
            "resource.nonce is {} bytes; AES-GCM's is 12",
            nonce.len()
        ))
    })?;
    Ok(Nonce::from(bytes))
}

/// Checks WeChat Pay's signature headers over `body`: a known serial, a timestamp within the
/// window, and SHA256withRSA with that key.
fn verify_signed(
    cfg: &WechatConfig,
    headers: &HeaderMap,
    body: &[u8],
    now_unix: i64,
) -> Result<()> {
    let keys = cfg.platform_keys()?;
    let serial = header_str(headers, "Wechatpay-Serial")?;
    let timestamp_text = header_str(headers, "Wechatpay-Timestamp")?;
    let nonce = header_str(headers, "Wechatpay-Nonce")?;
    let signature = header_str(headers, "Wechatpay-Signature")?;
    let key = keys
        .iter()
        .find(|k| same_serial(&k.serial, serial))
        .ok_or_else(|| GatewayError::UnknownSerial(serial.to_string()))?;
    let before = key.not_before.is_some_and(|t| now_unix < t);
    let after = key.not_after.is_some_and(|t| now_unix > t);
    if before || after {
        return Err(GatewayError::CertificateNotValid {
            serial: key.serial.clone(),
        });
    }
    let timestamp: i64 = timestamp_text.trim().parse().map_err(|_| {
        GatewayError::Malformed(format!(
            "Wechatpay-Timestamp {timestamp_text:?} is not a number"
        ))
    })?;
    check_timestamp(timestamp, now_unix)?;
    rsa_verify(
        &key.public_key,
        &signed_message(timestamp_text, nonce, body),
        signature,
    )
}

/// Serials compare without case or leading zeros (hex written by different tools).
fn same_serial(configured: &str, sent: &str) -> bool {
    let norm = |s: &str| s.trim().trim_start_matches('0').to_ascii_uppercase();
    !sent.trim().is_empty() && norm(configured) == norm(sent)
}

#[derive(Deserialize)]
struct Callback {
    id: String,
    create_time: String,
    event_type: String,
    resource: Resource,
}

#[derive(Deserialize)]
struct Resource {
    algorithm: String,
    ciphertext: String,
    nonce: String,
    #[serde(default)]
    associated_data: String,
    original_type: String,
}

/// Verifies a payment callback (signature headers, replay window), decrypts its transaction and
/// checks it is for this merchant and app.
pub fn verify_callback(
    cfg: &WechatConfig,
    headers: &HeaderMap,
    raw_body: &[u8],
    now_unix: i64,
) -> Result<WechatNotify> {
    let api_v3_key = cfg.api_v3_key()?;
    cfg.merchant()?;
    verify_signed(cfg, headers, raw_body, now_unix)?;
    let callback: Callback = parse_json(raw_body, "callback")?;
    let resource = &callback.resource;
    if resource.algorithm != "AEAD_AES_256_GCM" {
        return Err(GatewayError::Malformed(format!(
            "resource.algorithm {:?}: only AEAD_AES_256_GCM is known",
            resource.algorithm
        )));
    }
    if resource.original_type != "transaction" {
        return Err(GatewayError::UnsupportedEvent(format!(
            "{} ({})",
            callback.event_type, resource.original_type
        )));
    }
    let sealed = B64
        .decode(resource.ciphertext.trim())
        .map_err(|_| GatewayError::Malformed("resource.ciphertext is not base64".into()))?;
    let cipher = Aes256Gcm::new_from_slice(api_v3_key).map_err(|_| GatewayError::Decrypt)?;
    let nonce = gcm_nonce(&resource.nonce)?;
    let plaintext = cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &sealed,
                aad: resource.associated_data.as_bytes(),
            },
        )
        .map_err(|_| GatewayError::Decrypt)?;
    Ok(WechatNotify {
        transaction: transaction(cfg, &plaintext)?,
        event_id: callback.id,
        event_type: callback.event_type,
        create_time: callback.create_time,
    })
}

/// Parses a transaction and checks it is this merchant's; a paid one must say what was paid.
fn transaction(cfg: &WechatConfig, json: &[u8]) -> Result<WechatTransaction> {
    let (mchid, appid) = cfg.merchant()?;
    let tx: WechatTransaction = parse_json(json, "transaction")?;
    if tx.mchid != mchid {
        return Err(GatewayError::WrongMerchant { field: "mchid" });
    }
    if tx.appid != appid {
        return Err(GatewayError::WrongMerchant { field: "appid" });
    }
    if tx.trade_state == WechatTradeState::Success {
        if tx.transaction_id.as_deref().unwrap_or("").is_empty() {
            return Err(GatewayError::MissingField(
                "transaction transaction_id".into(),
            ));
        }
        if tx.amount.is_none() {
            return Err(GatewayError::MissingField("transaction amount".into()));
        }
    }
    Ok(tx)
}

/// WeChat Pay's `out_trade_no`: 6-32 of `0-9 A-Z a-z _ - | *`.
fn check_out_trade_no(out_trade_no: &str) -> Result<()> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"_-|*".contains(&b);
    if !(6..=32).contains(&out_trade_no.len()) || !out_trade_no.bytes().all(allowed) {
        return Err(GatewayError::Malformed(format!(
            "out_trade_no {out_trade_no:?}: 6-32 of 0-9 A-Z a-z _ - | *"
        )));
    }
    Ok(())
}

/// Sends a signed request and verifies the answer's signature when it carries one.
async fn call(
    client: &reqwest::Client,
    cfg: &WechatConfig,
    method: Method,
    path: &str,
    body: Option<String>,
    now_unix: i64,
    nonce: &str,
) -> Result<Answer> {
    let text = body.as_deref().unwrap_or("");
    let auth = authorization(cfg, method.as_str(), path, text, now_unix, nonce)?;
    let url = format!("{}{path}", cfg.base_url.trim_end_matches('/'));
    let mut request = client
        .request(method, url)
        .header(header::AUTHORIZATION, auth)
        .header(header::ACCEPT, "application/json")
        // WeChat Pay refuses requests without a User-Agent.
        .header(
            header::USER_AGENT,
            concat!("storyloom/", env!("CARGO_PKG_VERSION")),
        );
    if let Some(body) = body {
        request = request
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
    }
    let answer = send(request).await?;
    if answer.headers.contains_key("Wechatpay-Signature") {
        verify_signed(cfg, &answer.headers, &answer.body, now_unix)?;
    }
    Ok(answer)
}

/// Creates a Native payment; returns the `code_url` to show as a QR code.
pub async fn native_pay(
    client: &reqwest::Client,
    cfg: &WechatConfig,
    out_trade_no: &str,
    amount_cents: i64,
    description: &str,
    now_unix: i64,
    nonce: &str,
) -> Result<String> {
    let (mchid, appid) = cfg.merchant()?;
    let notify_url = require(&cfg.notify_url, GATEWAY, "notify_url")?;
    check_out_trade_no(out_trade_no)?;
    if amount_cents <= 0 {
        return Err(GatewayError::BadAmount(format!(
            "{amount_cents} fen: a payment must be positive"
        )));
    }
    if description.trim().is_empty() {
        return Err(GatewayError::MissingField("description".into()));
    }
    let body = serde_json::json!({
        "appid": appid,
        "mchid": mchid,
        "description": description,
        "out_trade_no": out_trade_no,
        "notify_url": notify_url,
        "amount": { "total": amount_cents, "currency": "CNY" },
    })
    .to_string();
    let path = "/v3/pay/transactions/native";
    let answer = call(client, cfg, Method::POST, path, Some(body), now_unix, nonce).await?;
    if !answer.status.is_success() {
        return Err(answer.upstream_error());
    }
    #[derive(Deserialize)]
    struct Created {
        code_url: String,
    }
    let created: Created = parse_json(&answer.body, "answer")?;
    Ok(created.code_url)
}

/// Asks WeChat Pay for an order's transaction by `out_trade_no` (the reconciler's check).
pub async fn query(
    client: &reqwest::Client,
    cfg: &WechatConfig,
    out_trade_no: &str,
    now_unix: i64,
    nonce: &str,
) -> Result<WechatQuery> {
    let (mchid, _) = cfg.merchant()?;
    check_out_trade_no(out_trade_no)?;
    // `|` is the one allowed character a URL path must escape; the path is signed as sent.
    let path = format!(
        "/v3/pay/transactions/out-trade-no/{}?mchid={}",
        out_trade_no.replace('|', "%7C"),
        form_urlencoded::byte_serialize(mchid.as_bytes()).collect::<String>()
    );
    let answer = call(client, cfg, Method::GET, &path, None, now_unix, nonce).await?;
    if answer.status == StatusCode::NOT_FOUND {
        #[derive(Deserialize)]
        struct Failure {
            code: String,
        }
        if let Ok(failure) = serde_json::from_slice::<Failure>(&answer.body) {
            if failure.code == "ORDER_NOT_EXIST" {
                return Ok(WechatQuery::NotFound);
            }
        }
    }
    if !answer.status.is_success() {
        return Err(answer.upstream_error());
    }
    let tx = transaction(cfg, &answer.body)?;
    if tx.out_trade_no != out_trade_no {
        return Err(GatewayError::Malformed(format!(
            "asked for {out_trade_no}, answered for {}",
            tx.out_trade_no
        )));
    }
    Ok(WechatQuery::Found(tx))
}

#[cfg(test)]
#[path = "wechat_tests.rs"]
mod tests;
