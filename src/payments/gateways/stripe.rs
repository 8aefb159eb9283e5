//! Stripe Checkout: hosted payment sessions, their webhooks, and retrieval for reconciliation.
//!
//! Webhooks carry `Stripe-Signature: t=…,v1=…`: HMAC-SHA256, hex, keyed with the endpoint's whole
//! `whsec_…` secret, over `{t}.{raw body}`; any one `v1` may match (several during secret rolls).

use std::{collections::BTreeMap, fmt};

use hmac::{Hmac, Mac};
use http::header;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use super::{check_timestamp, parse_json, require, send, GatewayError, Redacted, Result};

const GATEWAY: &str = "stripe";

/// Stripe's API.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

#[derive(Clone)]
pub struct StripeConfig {
    /// `sk_live_…` / `sk_test_…` (or a restricted `rk_…` key).
    pub secret_key: String,
    /// The webhook endpoint's signing secret, `whsec_…`.
    pub webhook_secret: String,
    pub api_base: String,
    pub success_url: String,
    pub cancel_url: String,
}

impl Default for StripeConfig {
    fn default() -> Self {
        Self {
            secret_key: String::new(),
            webhook_secret: String::new(),
            api_base: DEFAULT_API_BASE.to_string(),
            success_url: String::new(),
            cancel_url: String::new(),
        }
    }
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &Redacted(&self.secret_key))
            .field("webhook_secret", &Redacted(&self.webhook_secret))
            .field("api_base", &self.api_base)
            .field("success_url", &self.success_url)
            .field("cancel_url", &self.cancel_url)
            .finish()
    }
}

impl StripeConfig {
    /// Checks that the keys and return URLs are set (for start-up, not per payment).
    pub fn validate(&self) -> Result<()> {
        require(&self.secret_key, GATEWAY, "secret_key")?;
        require(&self.webhook_secret, GATEWAY, "webhook_secret")?;
        require(&self.success_url, GATEWAY, "success_url")?;
        require(&self.cancel_url, GATEWAY, "cancel_url")?;
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base.trim_end_matches('/'))
    }
}

/// A new Checkout Session: its id (kept with the order) and the page to send the buyer to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutLink {
    pub id: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StripePaymentStatus {
    Paid,
    Unpaid,
    NoPaymentRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StripeSessionStatus {
    Open,
    Complete,
    Expired,
}

/// The fields of a Checkout Session payments need.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    /// The order id given at creation.
    pub client_reference_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub metadata: BTreeMap<String, String>,
    /// In the currency's smallest unit (cents).
    pub amount_total: Option<i64>,
    /// Lower case, e.g. `usd`.
    pub currency: Option<String>,
    pub payment_status: StripePaymentStatus,
    pub status: Option<StripeSessionStatus>,
    pub url: Option<String>,
}

impl CheckoutSession {
    /// The order this session pays: `client_reference_id`, else `metadata.order_id`.
    pub fn order_id(&self) -> Option<&str> {
        self.client_reference_id
            .as_deref()
            .or(self.metadata.get("order_id").map(String::as_str))
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(de: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::deserialize(de)?.unwrap_or_default())
}

/// A verified webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeEvent {
    /// `evt_…`: redeliveries of one event share it.
    pub id: String,
    /// e.g. `checkout.session.completed`, `checkout.session.async_payment_succeeded`.
    pub event_type: String,
    pub created: i64,
    pub livemode: bool,
    /// The event's object when it is a Checkout Session; `None` for other objects.
    pub session: Option<CheckoutSession>,
}

#[derive(Deserialize)]
struct EventWire {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    created: i64,
    #[serde(default)]
    livemode: bool,
    data: DataWire,
}

#[derive(Deserialize)]
struct DataWire {
    object: Box<RawValue>,
}

#[derive(Deserialize)]
struct ObjectKind {
    object: String,
}

fn hmac_sha256(secret: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The `Stripe-Signature` header Stripe would send for `body` at `timestamp` (fake gateway, tests).
pub fn sign_webhook(secret: &str, body: &[u8], timestamp: i64) -> String {
    let t = timestamp.to_string();
    format!("t={t},v1={}", hex::encode(hmac_sha256(secret, &t, body)))
}

/// Verifies a webhook's `Stripe-Signature` (a `v1` matches in constant time, the timestamp is within
/// the window) and parses the event.
pub fn verify_webhook(
    cfg: &StripeConfig,
    stripe_signature_header: &str,
    raw_body: &[u8],
    now_unix: i64,
) -> Result<StripeEvent> {
    let secret = require(&cfg.webhook_secret, GATEWAY, "webhook_secret")?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for item in stripe_signature_header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => candidates.push(value),
            _ => {} // v0 (test-mode legacy) and future schemes are not trusted.
        }
    }
    let t_text =
        timestamp.ok_or_else(|| GatewayError::MissingField("Stripe-Signature t".into()))?;
    let t: i64 = t_text
        .parse()
        .map_err(|_| GatewayError::Malformed(format!("Stripe-Signature t={t_text:?}")))?;
    if candidates.is_empty() {
        return Err(GatewayError::MissingField("Stripe-Signature v1".into()));
    }
    let expected = hmac_sha256(secret, t_text, raw_body);
    let matched = candidates
        .iter()
        .filter_map(|c| hex::decode(c).ok())
        .fold(Choice::from(0), |acc, c| acc | expected.ct_eq(&c));
    if !bool::from(matched) {
        return Err(GatewayError::BadSignature);
    }
    check_timestamp(t, now_unix)?;

    let event: EventWire = parse_json(raw_body, "event")?;
    let kind: ObjectKind = parse_json(event.data.object.get().as_bytes(), "event data.object")?;
    let session = match kind.object.as_str() {
        "checkout.session" => Some(parse_json(
            event.data.object.get().as_bytes(),
            "event data.object",
        )?),
        _ => None,
    };
    Ok(StripeEvent {
        id: event.id,
        event_type: event.event_type,
        created: event.created,
        livemode: event.livemode,
        session,
    })
}

/// Creates a Checkout Session for one order (one line item, price given inline). The idempotency
/// key makes a retried create return the same session instead of a second one.
#[allow(clippy::too_many_arguments)]
pub async fn create_checkout_session(
    client: &reqwest::Client,
    cfg: &StripeConfig,
    order_id: &str,
    amount_cents: i64,
    currency: &str,
    product_name: &str,
    idempotency_key: &str,
) -> Result<CheckoutLink> {
    let secret = require(&cfg.secret_key, GATEWAY, "secret_key")?;
    let success_url = require(&cfg.success_url, GATEWAY, "success_url")?;
    let cancel_url = require(&cfg.cancel_url, GATEWAY, "cancel_url")?;
    if amount_cents <= 0 {
        return Err(GatewayError::BadAmount(format!(
            "{amount_cents}: a payment must be positive"
        )));
    }
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(GatewayError::Malformed(format!(
            "currency {currency:?} is not an ISO 4217 code"
        )));
    }
    for (name, value) in [
        ("order_id", order_id),
        ("product_name", product_name),
        ("idempotency_key", idempotency_key),
    ] {
        if value.trim().is_empty() {
            return Err(GatewayError::MissingField(name.into()));
        }
    }
    let amount = amount_cents.to_string();
    let currency = currency.to_ascii_lowercase();
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("mode", "payment"),
            ("line_items[0][price_data][currency]", currency.as_str()),
            ("line_items[0][price_data][unit_amount]", amount.as_str()),
            (
                "line_items[0][price_data][product_data][name]",
                product_name,
            ),
            ("line_items[0][quantity]", "1"),
            ("client_reference_id", order_id),
            ("metadata[order_id]", order_id),
            ("success_url", success_url),
            ("cancel_url", cancel_url),
        ])
        .finish();
    let answer = send(
        client
            .post(cfg.url("/v1/checkout/sessions"))
            .bearer_auth(secret)
            .header("Idempotency-Key", idempotency_key)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form),
    )
    .await?;
    if !answer.status.is_success() {
        return Err(answer.upstream_error());
    }
    parse_json(&answer.body, "answer")
}

/// Fetches a Checkout Session (the reconciler's check when no webhook came).
pub async fn retrieve_session(
    client: &reqwest::Client,
    cfg: &StripeConfig,
    session_id: &str,
) -> Result<CheckoutSession> {
    let secret = require(&cfg.secret_key, GATEWAY, "secret_key")?;
    // Ids go into the path: `cs_test_a1B2…` only, so nothing can reach another endpoint.
    if session_id.is_empty()
        || !session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(GatewayError::Malformed(format!(
            "session id {session_id:?}"
        )));
    }
    let answer = send(
        client
            .get(cfg.url(&format!("/v1/checkout/sessions/{session_id}")))
            .bearer_auth(secret),
    )
    .await?;
    if !answer.status.is_success() {
        return Err(answer.upstream_error());
    }
    parse_json(&answer.body, "answer")
}

#[cfg(test)]
#[path = "stripe_tests.rs"]
mod tests;
