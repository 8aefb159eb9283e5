//! Which gateways this instance takes payments through, and their settings (docs/API-PAYMENTS.md,
//! "Settings"). A gateway whose settings are missing or do not validate is off: its orders are
//! refused (503) and its callbacks answered 503, never accepted unverified.
use std::path::Path;

use super::gateways::{
    alipay::AlipayConfig,
    stripe::StripeConfig,
    wechat::{PlatformKey, WechatConfig},
};

#[derive(Debug, Clone, Default)]
pub struct PaymentSettings {
    pub alipay: Option<AlipayConfig>,
    pub wechat: Option<WechatConfig>,
    pub stripe: Option<StripeConfig>,
    /// Where people reach this instance (`STORYLOOM_PUBLIC_URL`, no trailing slash; empty when
    /// not set): the base of referral links.
    pub public_url: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A setting given inline (`NAME`) or as a file (`NAME_FILE`, for keys and certificates).
fn text(name: &str) -> Result<Option<String>, String> {
    if let Some(v) = var(name) {
        return Ok(Some(v));
    }
    match var(&format!("{name}_FILE")) {
        Some(path) => std::fs::read_to_string(Path::new(&path))
            .map(Some)
            .map_err(|e| format!("{name}_FILE ({path}): {e}")),
        None => Ok(None),
    }
}

fn required(name: &str) -> Result<String, String> {
    text(name)?.ok_or_else(|| format!("{name} is not set"))
}

impl PaymentSettings {
    /// From the environment: a gateway is on when its first setting is given; a gateway given but
    /// incomplete or invalid is logged and left off.
    pub fn from_env() -> Self {
        let public = var("STORYLOOM_PUBLIC_URL").unwrap_or_default();
        let public = public.trim_end_matches('/').to_string();
        let mut s = Self {
            public_url: public.clone(),
            ..Self::default()
        };
        let report = |gateway: &str, r: Result<(), String>| {
            if let Err(e) = r {
                tracing::error!(gateway, error = %e, "payment gateway settings are incomplete: it stays off");
            }
        };
        if var("STORYLOOM_ALIPAY_APP_ID").is_some() {
            let made = (|| -> Result<AlipayConfig, String> {
                let mut c = AlipayConfig {
                    app_id: required("STORYLOOM_ALIPAY_APP_ID")?,
                    seller_id: text("STORYLOOM_ALIPAY_SELLER_ID")?,
                    app_private_key_pem: required("STORYLOOM_ALIPAY_PRIVATE_KEY")?,
                    alipay_public_key: required("STORYLOOM_ALIPAY_PUBLIC_KEY")?,
                    notify_url: format!("{public}/api/v1/payments/callback/alipay"),
                    return_url: format!("{public}/billing"),
                    ..Default::default()
                };
                if let Some(url) = var("STORYLOOM_ALIPAY_GATEWAY") {
                    c.gateway_url = url;
                }
                c.validate().map_err(|e| e.to_string())?;
                Ok(c)
            })();
            match made {
                Ok(c) => s.alipay = Some(c),
                Err(e) => report("alipay", Err(e)),
            }
        }
        if var("STORYLOOM_WECHAT_MCHID").is_some() {
            let made = (|| -> Result<WechatConfig, String> {
                let mut platform = Vec::new();
                for path in var("STORYLOOM_WECHAT_PLATFORM_CERT_FILES")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    let pem = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
                    platform
                        .push(PlatformKey::from_certificate_pem(&pem).map_err(|e| e.to_string())?);
                }
                if let Some(pem) = text("STORYLOOM_WECHAT_PUBLIC_KEY")? {
                    let id = required("STORYLOOM_WECHAT_PUBLIC_KEY_ID")?;
                    platform.push(
                        PlatformKey::from_public_key_pem(&id, &pem).map_err(|e| e.to_string())?,
                    );
                }
                let mut c = WechatConfig {
                    mchid: required("STORYLOOM_WECHAT_MCHID")?,
                    appid: required("STORYLOOM_WECHAT_APPID")?,
                    merchant_serial_no: required("STORYLOOM_WECHAT_SERIAL_NO")?,
                    merchant_private_key_pem: required("STORYLOOM_WECHAT_PRIVATE_KEY")?,
                    api_v3_key: required("STORYLOOM_WECHAT_API_V3_KEY")?,
                    platform,
                    notify_url: format!("{public}/api/v1/payments/callback/wechat"),
                    ..Default::default()
                };
                if let Some(url) = var("STORYLOOM_WECHAT_BASE_URL") {
                    c.base_url = url;
                }
                c.validate().map_err(|e| e.to_string())?;
                Ok(c)
            })();
            match made {
                Ok(c) => s.wechat = Some(c),
                Err(e) => report("wechat", Err(e)),
            }
        }
        if var("STORYLOOM_STRIPE_SECRET_KEY").is_some() {
            let made = (|| -> Result<StripeConfig, String> {
                let mut c = StripeConfig {
                    secret_key: required("STORYLOOM_STRIPE_SECRET_KEY")?,
                    webhook_secret: required("STORYLOOM_STRIPE_WEBHOOK_SECRET")?,
                    success_url: format!("{public}/billing?paid=1"),
                    cancel_url: format!("{public}/billing"),
                    ..Default::default()
                };
                if let Some(url) = var("STORYLOOM_STRIPE_API_BASE") {
                    c.api_base = url;
                }
                c.validate().map_err(|e| e.to_string())?;
                Ok(c)
            })();
            match made {
                Ok(c) => s.stripe = Some(c),
                Err(e) => report("stripe", Err(e)),
            }
        }
        s
    }
}
