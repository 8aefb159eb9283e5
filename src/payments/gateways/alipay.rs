//! Alipay's open platform with RSA2 signatures: the desktop-website payment page
//! (`alipay.trade.page.pay`), its asynchronous notifications, and `alipay.trade.query`.
//!
//! RSA2 is SHA256withRSA (PKCS#1 v1.5), base64, over `k=v&k=v` of the non-empty parameters sorted
//! by key, without `sign`; notifications also leave `sign_type` out. Answers are signed over the
//! exact bytes of their `…_response` value.

use std::{collections::BTreeMap, fmt};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    parse_json, private_key, public_key, require, rsa_sign, rsa_verify, send, GatewayError,
    Redacted, Result,
};

const GATEWAY: &str = "alipay";

/// Alipay's production gateway.
pub const DEFAULT_GATEWAY_URL: &str = "https://openapi.alipay.com/gateway.do";

/// One app's settings, as Alipay's console gives them.
#[derive(Clone)]
pub struct AlipayConfig {
    pub app_id: String,
    /// The merchant's PID (`2088…`); when set, notifications for another seller are refused.
    pub seller_id: Option<String>,
    /// The app's private key: PKCS#8 or PKCS#1 PEM (or bare base64 DER).
    pub app_private_key_pem: String,
    /// Alipay's public key: SubjectPublicKeyInfo PEM, or the bare base64 DER the console shows.
    pub alipay_public_key: String,
    pub gateway_url: String,
    pub notify_url: String,
    pub return_url: String,
}

impl Default for AlipayConfig {
    fn default() -> Self {
        Self {
            app_id: String::new(),
            seller_id: None,
            app_private_key_pem: String::new(),
            alipay_public_key: String::new(),
            gateway_url: DEFAULT_GATEWAY_URL.to_string(),
            notify_url: String::new(),
            return_url: String::new(),
        }
    }
}

impl fmt::Debug for AlipayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlipayConfig")
            .field("app_id", &self.app_id)
            .field("seller_id", &self.seller_id)
            .field("app_private_key_pem", &Redacted(&self.app_private_key_pem))
            .field("alipay_public_key", &self.alipay_public_key)
            .field("gateway_url", &self.gateway_url)
            .field("notify_url", &self.notify_url)
            .field("return_url", &self.return_url)
            .finish()
    }
}

impl AlipayConfig {
    /// Checks that the app id and both keys are set and usable (for start-up, not per payment).
    pub fn validate(&self) -> Result<()> {
        require(&self.app_id, GATEWAY, "app_id")?;
        self.app_key()?;
        self.alipay_key()?;
        Ok(())
    }

    fn app_key(&self) -> Result<rsa::RsaPrivateKey> {
        let pem = require(&self.app_private_key_pem, GATEWAY, "app_private_key_pem")?;
        private_key(pem, "app_private_key_pem")
    }

    fn alipay_key(&self) -> Result<rsa::RsaPublicKey> {
        let text = require(&self.alipay_public_key, GATEWAY, "alipay_public_key")?;
        public_key(text, "alipay_public_key")
    }
}

/// `trade_status` of a notification or a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlipayTradeStatus {
    WaitBuyerPay,
    /// Paid; refunds are still possible.
    TradeSuccess,
    /// Paid and final (no refunds any more).
    TradeFinished,
    /// Closed unpaid, or fully refunded.
    TradeClosed,
}

impl AlipayTradeStatus {
    fn parse(text: &str) -> Result<Self> {
        match text {
            "WAIT_BUYER_PAY" => Ok(Self::WaitBuyerPay),
            "TRADE_SUCCESS" => Ok(Self::TradeSuccess),
            "TRADE_FINISHED" => Ok(Self::TradeFinished),
            "TRADE_CLOSED" => Ok(Self::TradeClosed),
            other => Err(GatewayError::Malformed(format!(
                "unknown trade_status {other:?}"
            ))),
        }
    }

    /// The buyer has paid (success or finished).
    pub fn is_paid(self) -> bool {
        matches!(self, Self::TradeSuccess | Self::TradeFinished)
    }
}

/// A trade as Alipay reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayTrade {
    pub out_trade_no: String,
    /// Alipay's own trade number.
    pub trade_no: String,
    pub trade_status: AlipayTradeStatus,
    pub total_amount_cents: i64,
}

/// A verified asynchronous notification. Answer the literal `success` once it is committed, or
/// Alipay sends it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayNotify {
    /// The event's id: repeats of one notification share it.
    pub notify_id: String,
    pub trade: AlipayTrade,
    /// `yyyy-MM-dd HH:mm:ss`, Beijing time; absent until paid.
    pub gmt_payment: Option<String>,
}

/// What `alipay.trade.query` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlipayQuery {
    Found(AlipayTrade),
    /// `ACQ.TRADE_NOT_EXIST`: the buyer has not opened the payment page yet, or no such trade.
    NotFound,
}

/// Yuan with two decimals, as Alipay's `total_amount` wants it: 1234 → "12.34".
pub fn yuan_from_cents(cents: i64) -> Result<String> {
    if cents <= 0 {
        return Err(GatewayError::BadAmount(format!(
            "{cents} cents: a payment must be positive"
        )));
    }
    Ok(crate::payments::yuan(cents))
}

/// Exact cents from Alipay's yuan: "0.01" → 1, "100" → 10000, "12.3" → 1230. No rounding: a third
/// decimal, a sign or anything but digits is an error.
pub fn cents_from_yuan(text: &str) -> Result<i64> {
    let bad = || GatewayError::BadAmount(format!("{text:?} is not yuan with at most 2 decimals"));
    let (whole, frac) = match text.split_once('.') {
        Some((whole, frac)) if !frac.is_empty() && frac.len() <= 2 => (whole, frac),
        Some(_) => return Err(bad()),
        None => (text, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(frac.is_empty() || digits(frac)) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(frac))
        .ok_or_else(bad)
}

/// The string RSA2 signs: `k=v&k=v` of the non-empty parameters sorted by key, without `sign`.
pub fn sign_content(params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (key, value) in params {
        if key == "sign" || key.is_empty() || value.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// RSA2 signature (base64) of a request's parameters with the app's private key.
pub fn sign_params(params: &BTreeMap<String, String>, key: &rsa::RsaPrivateKey) -> String {
    rsa_sign(key, sign_content(params).as_bytes())
}

/// The common parameters of a request to `method`, without `sign`.
fn common_params(cfg: &AlipayConfig, method: &str, timestamp: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for (key, value) in [
        ("app_id", cfg.app_id.trim()),
        ("method", method),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", timestamp),
        ("version", "1.0"),
    ] {
        params.insert(key.to_string(), value.to_string());
    }
    params
}

/// The gateway URL with `params` as its query.
fn url_with(gateway_url: &str, params: &BTreeMap<String, String>) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let joiner = if gateway_url.contains('?') { '&' } else { '?' };
    format!("{gateway_url}{joiner}{query}")
}

/// The signed GET URL of Alipay's payment page for an order (`alipay.trade.page.pay`,
/// `FAST_INSTANT_TRADE_PAY`). `timestamp` is `yyyy-MM-dd HH:mm:ss`, Beijing time.
pub fn page_pay_url(
    cfg: &AlipayConfig,
    out_trade_no: &str,
    total_amount_cents: i64,
    subject: &str,
    timestamp: &str,
) -> Result<String> {
    require(&cfg.app_id, GATEWAY, "app_id")?;
    let key = cfg.app_key()?;
    let biz = serde_json::json!({
        "out_trade_no": out_trade_no,
        "total_amount": yuan_from_cents(total_amount_cents)?,
        "subject": subject,
        "product_code": "FAST_INSTANT_TRADE_PAY",
    });
    let mut params = common_params(cfg, "alipay.trade.page.pay", timestamp);
    for (key, value) in [
        ("notify_url", &cfg.notify_url),
        ("return_url", &cfg.return_url),
    ] {
        if !value.trim().is_empty() {
            params.insert(key.to_string(), value.trim().to_string());
        }
    }
    params.insert("biz_content".into(), biz.to_string());
    let sign = sign_params(&params, &key);
    params.insert("sign".into(), sign);
    Ok(url_with(&cfg.gateway_url, &params))
}

/// Parses and verifies an asynchronous notification (`application/x-www-form-urlencoded`, UTF-8):
/// the signature with Alipay's public key, then that it is for this app (and seller, if set).
pub fn verify_notify(cfg: &AlipayConfig, raw_body: &[u8]) -> Result<AlipayNotify> {
    let alipay_key = cfg.alipay_key()?;
    let app_id = require(&cfg.app_id, GATEWAY, "app_id")?;
    let mut params = parse_form(raw_body)?;
    if let Some(charset) = params.get("charset") {
        if !charset.eq_ignore_ascii_case("utf-8") {
            return Err(GatewayError::Malformed(format!(
                "charset {charset:?}: the app must be set to utf-8"
            )));
        }
    }
    let sign = params
        .remove("sign")
        .ok_or_else(|| GatewayError::MissingField("sign".into()))?;
    if let Some(sign_type) = params.remove("sign_type") {
        if sign_type != "RSA2" {
            return Err(GatewayError::Malformed(format!(
                "sign_type {sign_type:?}: only RSA2 is accepted"
            )));
        }
    }
    rsa_verify(&alipay_key, sign_content(&params).as_bytes(), &sign)?;

    let field = |name: &'static str| {
        params
            .get(name)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| GatewayError::MissingField(name.into()))
    };
    if field("app_id")? != app_id {
        return Err(GatewayError::WrongMerchant { field: "app_id" });
    }
    if let Some(seller_id) = cfg.seller_id.as_deref().filter(|s| !s.trim().is_empty()) {
        if field("seller_id")? != seller_id.trim() {
            return Err(GatewayError::WrongMerchant { field: "seller_id" });
        }
    }
    Ok(AlipayNotify {
        notify_id: field("notify_id")?,
        trade: AlipayTrade {
            out_trade_no: field("out_trade_no")?,
            trade_no: field("trade_no")?,
            trade_status: AlipayTradeStatus::parse(&field("trade_status")?)?,
            total_amount_cents: cents_from_yuan(&field("total_amount")?)?,
        },
        gmt_payment: field("gmt_payment").ok(),
    })
}

/// A strict `application/x-www-form-urlencoded` parse: UTF-8, every pair has `=`, no key twice
/// (a repeated key could be signed with one value and read with another).
fn parse_form(body: &[u8]) -> Result<BTreeMap<String, String>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| GatewayError::Malformed("the body is not UTF-8".into()))?
        .trim();
    if text.is_empty() {
        return Err(GatewayError::Malformed("the body is empty".into()));
    }
    let mut params = BTreeMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| GatewayError::Malformed("not a form: a pair without '='".into()))?;
        let key = percent_decode(key)?;
        if key.is_empty() {
            return Err(GatewayError::Malformed("not a form: an empty key".into()));
        }
        if params.contains_key(&key) {
            return Err(GatewayError::Malformed(format!("{key} appears twice")));
        }
        params.insert(key, percent_decode(value)?);
    }
    Ok(params)
}

fn percent_decode(text: &str) -> Result<String> {
    let bad = || GatewayError::Malformed(format!("bad percent-encoding in {text:?}"));
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = rest.get(..2).ok_or_else(bad)?;
                let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
                bytes.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                rest = &rest[2..];
            }
            _ => bytes.push(b),
        }
    }
    String::from_utf8(bytes).map_err(|_| GatewayError::Malformed("a value is not UTF-8".into()))
}

/// `alipay.trade.query` for an order: the URL (common parameters and `sign`) and the form body
/// (`biz_content`) to POST to it.
pub fn query_request(
    cfg: &AlipayConfig,
    out_trade_no: &str,
    timestamp: &str,
) -> Result<(String, String)> {
    require(&cfg.app_id, GATEWAY, "app_id")?;
    let key = cfg.app_key()?;
    let biz = serde_json::json!({ "out_trade_no": out_trade_no }).to_string();
    let mut params = common_params(cfg, "alipay.trade.query", timestamp);
    params.insert("biz_content".into(), biz.clone());
    let sign = sign_params(&params, &key);
    params.remove("biz_content");
    params.insert("sign".into(), sign);
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("biz_content", &biz)
        .finish();
    Ok((url_with(&cfg.gateway_url, &params), body))
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    alipay_trade_query_response: Option<&'a RawValue>,
    /// Gateway-level failures (a bad app id, a bad signature) come under this name instead.
    #[serde(borrow, default)]
    error_response: Option<&'a RawValue>,
    #[serde(default)]
    sign: Option<String>,
}

#[derive(Deserialize)]
struct QueryBody {
    code: String,
    #[serde(default)]
    msg: String,
    sub_code: Option<String>,
    sub_msg: Option<String>,
    out_trade_no: Option<String>,
    trade_no: Option<String>,
    trade_status: Option<String>,
    total_amount: Option<String>,
}

/// Parses and verifies `alipay.trade.query`'s answer. The signature covers the exact bytes of the
/// response object as sent; a success must be signed, an unsigned error is taken as it is (Alipay
/// does not sign some gateway-level errors). Callers compare `out_trade_no` with the order asked for
/// ([`query`] does).
pub fn parse_query_response(cfg: &AlipayConfig, body: &[u8]) -> Result<AlipayQuery> {
    let alipay_key = cfg.alipay_key()?;
    let text = std::str::from_utf8(body)
        .map_err(|_| GatewayError::Malformed("the answer is not UTF-8".into()))?;
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| {
        GatewayError::Malformed(format!("the answer is not the expected JSON: {e}"))
    })?;
    let raw = envelope
        .alipay_trade_query_response
        .or(envelope.error_response)
        .ok_or_else(|| GatewayError::MissingField("alipay_trade_query_response".into()))?;
    let answer: QueryBody = parse_json(raw.get().as_bytes(), "alipay_trade_query_response")?;
    match envelope.sign.as_deref().filter(|s| !s.is_empty()) {
        Some(sign) => rsa_verify(&alipay_key, raw.get().as_bytes(), sign)?,
        None if answer.code == "10000" => return Err(GatewayError::MissingField("sign".into())),
        None => {}
    }
    match (answer.code.as_str(), answer.sub_code.as_deref()) {
        ("10000", _) => {
            let need = |value: Option<String>, name: &str| {
                value.filter(|v| !v.is_empty()).ok_or_else(|| {
                    GatewayError::MissingField(format!("alipay_trade_query_response.{name}"))
                })
            };
            Ok(AlipayQuery::Found(AlipayTrade {
                out_trade_no: need(answer.out_trade_no, "out_trade_no")?,
                trade_no: need(answer.trade_no, "trade_no")?,
                trade_status: AlipayTradeStatus::parse(&need(
                    answer.trade_status,
                    "trade_status",
                )?)?,
                total_amount_cents: cents_from_yuan(&need(answer.total_amount, "total_amount")?)?,
            }))
        }
        ("40004", Some("ACQ.TRADE_NOT_EXIST")) => Ok(AlipayQuery::NotFound),
        _ => Err(GatewayError::Rejected {
            code: answer.code,
            message: answer.sub_msg.unwrap_or(answer.msg),
            sub_code: answer.sub_code,
        }),
    }
}

/// Asks Alipay for an order's trade (the reconciler's check when a notification never came).
pub async fn query(
    client: &reqwest::Client,
    cfg: &AlipayConfig,
    out_trade_no: &str,
    timestamp: &str,
) -> Result<AlipayQuery> {
    let (url, body) = query_request(cfg, out_trade_no, timestamp)?;
    let answer = send(
        client
            .post(url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(body),
    )
    .await?;
    if !answer.status.is_success() {
        return Err(answer.upstream_error());
    }
    let found = parse_query_response(cfg, &answer.body)?;
    if let AlipayQuery::Found(trade) = &found {
        if trade.out_trade_no != out_trade_no {
            return Err(GatewayError::Malformed(format!(
                "asked for {out_trade_no}, answered for {}",
                trade.out_trade_no
            )));
        }
    }
    Ok(found)
}

#[cfg(test)]
#[path = "alipay_tests.rs"]
mod tests;
