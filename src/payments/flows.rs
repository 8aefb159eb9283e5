//! Each gateway's side of an order: where the payer pays, what a callback says, and what an active
//! query says, turned into [`GatewayEvent`]s for [`super::apply`]. The wire formats are in
//! `gateways`; this is the glue between them and the orders.
use std::{sync::OnceLock, time::Duration};

use chrono::{DateTime, FixedOffset, Utc};

use super::{
    apply,
    gateways::{
        alipay::{self, AlipayQuery, AlipayTradeStatus},
        stripe::{self, StripePaymentStatus},
        wechat::{self, WechatQuery, WechatTradeState, WechatTransaction},
        GatewayError,
    },
    Applied, Gateway, GatewayEvent, Order, Outcome, PaymentError, Source,
};
use crate::AppState;

/// The gateways' HTTP client (their calls are short; a stuck one must not hold an order's page).
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_default()
    })
}

/// The refusal for a gateway whose settings are not given here.
pub(super) fn unconfigured(gateway: Gateway) -> PaymentError {
    PaymentError::Unavailable {
        gateway: gateway.as_str(),
        reason: "its settings are not configured (docs/API-PAYMENTS.md, \"Settings\")".into(),
    }
}

/// Alipay's timestamps are Beijing time (UTC+8).
fn beijing(now: DateTime<Utc>) -> String {
    const FORMAT: &str = "%Y-%m-%d %H:%M:%S";
    match FixedOffset::east_opt(8 * 3600) {
        Some(east8) => now.with_timezone(&east8).format(FORMAT).to_string(),
        None => now.format(FORMAT).to_string(),
    }
}

/// WeChat Pay's request nonce: 32 letters and digits.
fn nonce(state: &AppState) -> String {
    state.ids.new_id().simple().to_string()
}

fn subject(order: &Order) -> String {
    match order.kind {
        super::OrderKind::Recharge => format!("Storyloom credits × {}", order.credits),
        super::OrderKind::Membership => format!("Storyloom {} membership", order.product),
    }
}

/// Where the payer pays `order`, and the gateway's own reference for it (Stripe's session).
pub(super) async fn payment_link(
    state: &AppState,
    order: &Order,
) -> Result<(String, Option<String>), PaymentError> {
    let settings = &state.config.payments;
    let now = state.clock.now();
    match order.gateway {
        Gateway::Sandbox => Ok((format!("/#/pay/sandbox/{}", order.id), None)),
        Gateway::Alipay => {
            let cfg = settings
                .alipay
                .as_ref()
                .ok_or_else(|| unconfigured(order.gateway))?;
            let url = alipay::page_pay_url(
                cfg,
                &order.out_trade_no,
                order.amount_cents,
                &subject(order),
                &beijing(now),
            )?;
            Ok((url, None))
        }
        Gateway::Wechat => {
            let cfg = settings
                .wechat
                .as_ref()
                .ok_or_else(|| unconfigured(order.gateway))?;
            let code_url = wechat::native_pay(
                client(),
                cfg,
                &order.out_trade_no,
                order.amount_cents,
                &subject(order),
                now.timestamp(),
                &nonce(state),
            )
            .await?;
            Ok((code_url, None))
        }
        Gateway::Stripe => {
            let cfg = settings
                .stripe
                .as_ref()
                .ok_or_else(|| unconfigured(order.gateway))?;
            let link = stripe::create_checkout_session(
                client(),
                cfg,
                &order.out_trade_no,
                order.amount_cents,
                &order.currency.to_ascii_lowercase(),
                &subject(order),
                &order.id,
            )
            .await?;
            Ok((link.url, Some(link.id)))
        }
    }
}

/// Whether `gateway` has its settings here.
pub fn configured(state: &AppState, gateway: Gateway) -> bool {
    let s = &state.config.payments;
    match gateway {
        Gateway::Alipay => s.alipay.is_some(),
        Gateway::Wechat => s.wechat.is_some(),
        Gateway::Stripe => s.stripe.is_some(),
        Gateway::Sandbox => true,
    }
}

fn alipay_outcome(status: AlipayTradeStatus) -> Outcome {
    match status {
        s if s.is_paid() => Outcome::Paid,
        AlipayTradeStatus::TradeClosed => Outcome::Closed,
        _ => Outcome::Waiting,
    }
}

fn wechat_event(event_id: String, t: &WechatTransaction) -> Result<GatewayEvent, PaymentError> {
    let amount = t.amount.as_ref().ok_or_else(|| {
        PaymentError::Gateway(GatewayError::MissingField("transaction amount".into()))
    })?;
    Ok(GatewayEvent {
        gateway: Gateway::Wechat,
        event_id,
        out_trade_no: t.out_trade_no.clone(),
        trade_no: t.transaction_id.clone().unwrap_or_default(),
        amount_cents: amount.total,
        currency: Some(amount.currency.clone()),
        outcome: match t.trade_state {
            WechatTradeState::Success => Outcome::Paid,
            WechatTradeState::Closed | WechatTradeState::Revoked | WechatTradeState::PayError => {
                Outcome::Closed
            }
            _ => Outcome::Waiting,
        },
    })
}

/// Applies a callback's event; a payment for an order that already expired is confirmed by
/// asking the gateway before it revives the order.
async fn apply_callback(state: &AppState, ev: GatewayEvent) -> Result<Applied, PaymentError> {
    match apply(state, ev, Source::Callback).await? {
        Applied::NeedsQuery(order) => match query(state, &order).await? {
            Some(confirmed) => apply(state, confirmed, Source::Query).await,
            None => Ok(Applied::NeedsQuery(order)),
        },
        applied => Ok(applied),
    }
}

/// `POST /payments/callback/alipay`: Alipay's asynchronous notification (a signed form).
#[tracing::instrument(skip_all)]
pub async fn alipay_callback(state: &AppState, body: &[u8]) -> Result<Applied, PaymentError> {
    let cfg = state
        .config
        .payments
        .alipay
        .as_ref()
        .ok_or_else(|| unconfigured(Gateway::Alipay))?;
    let n = alipay::verify_notify(cfg, body)?;
    let ev = GatewayEvent {
        gateway: Gateway::Alipay,
        event_id: n.notify_id,
        outcome: alipay_outcome(n.trade.trade_status),
        out_trade_no: n.trade.out_trade_no,
        trade_no: n.trade.trade_no,
        amount_cents: n.trade.total_amount_cents,
        currency: None,
    };
    apply_callback(state, ev).await
}

/// `POST /payments/callback/wechat`: WeChat Pay's signed, encrypted notification. None for a
/// verified event that is not a payment's (acknowledged, nothing to do).
#[tracing::instrument(skip_all)]
pub async fn wechat_callback(
    state: &AppState,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Option<Applied>, PaymentError> {
    let cfg = state
        .config
        .payments
        .wechat
        .as_ref()
        .ok_or_else(|| unconfigured(Gateway::Wechat))?;
    let n = match wechat::verify_callback(cfg, headers, body, state.clock.now().timestamp()) {
        Ok(n) => n,
        Err(GatewayError::UnsupportedEvent(kind)) => {
            tracing::info!(%kind, "wechat event acknowledged, not a payment");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let ev = wechat_event(n.event_id, &n.transaction)?;
    apply_callback(state, ev).await.map(Some)
}

/// `POST /payments/callback/stripe`: a Stripe webhook. None for events about anything but a
/// Checkout Session's payment.
#[tracing::instrument(skip_all)]
pub async fn stripe_callback(
    state: &AppState,
    signature: &str,
    body: &[u8],
) -> Result<Option<Applied>, PaymentError> {
    let cfg = state
        .config
        .payments
        .stripe
        .as_ref()
        .ok_or_else(|| unconfigured(Gateway::Stripe))?;
    let event = stripe::verify_webhook(cfg, signature, body, state.clock.now().timestamp())?;
    let Some(session) = event.session else {
        return Ok(None);
    };
    let outcome = match event.event_type.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded"
            if session.payment_status == StripePaymentStatus::Paid =>
        {
            Outcome::Paid
        }
        "checkout.session.expired" | "checkout.session.async_payment_failed" => Outcome::Closed,
        _ => return Ok(None),
    };
    let out_trade_no = session
        .order_id()
        .ok_or_else(|| {
            PaymentError::Gateway(GatewayError::MissingField("client_reference_id".into()))
        })?
        .to_string();
    let ev = GatewayEvent {
        gateway: Gateway::Stripe,
        event_id: event.id,
        out_trade_no,
        trade_no: session.id.clone(),
        amount_cents: session.amount_total.unwrap_or(0),
        currency: session.currency.clone(),
        outcome,
    };
    apply_callback(state, ev).await.map(Some)
}

/// Asks the order's gateway what became of it: an event to apply, or None when the gateway does
/// not know the payment yet (or, for the sandbox, never will).
pub async fn query(state: &AppState, order: &Order) -> Result<Option<GatewayEvent>, PaymentError> {
    let settings = &state.config.payments;
    let now = state.clock.now();
    match order.gateway {
        Gateway::Sandbox => Ok(None),
        Gateway::Alipay => {
            let cfg = settings
                .alipay
                .as_ref()
                .ok_or_else(|| unconfigured(order.gateway))?;
            match alipay::query(client(), cfg, &order.out_trade_no, &beijing(now)).await? {
                AlipayQuery::NotFound => Ok(None),
                AlipayQuery::Found(t) => Ok(Some(GatewayEvent {
                    gateway: Gateway::Alipay,
                    event_id: format!("query:{}:{:?}", t.trade_no, t.trade_status),
                    outcome: alipay_outcome(t.trade_status),
                    out_trade_no: t.out_trade_no,
                    trade_no: t.trade_no,
                    amount_cents: t.total_amount_cents,
                    currency: None,
                })),
            }
        }
        Gateway::Wechat => {
            let cfg = settings
                .wechat
                .as_ref()
                .ok_or_else(|| unconfigured(order.gateway))?;
            match wechat::query(
                client(),
                cfg,
                &order.out_trade_no,
                now.timestamp(),
                &nonce(state),
            )
            .await?
            {
                WechatQuery::NotFound => Ok(None),
                WechatQuery::Found(t) => {
                    let id = format!(
                        "query:{}:{:?}",
                        t.transaction_id.as_deref().unwrap_or(&order.out_trade_no),
                        t.trade_state
                    );
                    wechat_event(id, &t).map(Some)
                }
            }
        }
        Gateway::Stripe => {
            let cfg = settings
                .stripe
                .as_ref()
                .ok_or_else(|| unconfigured(order.gateway))?;
            let Some(session_id) = order.gateway_ref.as_deref() else {
                return Ok(None);
            };
            let s = stripe::retrieve_session(client(), cfg, session_id).await?;
            let outcome = match (s.payment_status, s.status) {
                (StripePaymentStatus::Paid, _) => Outcome::Paid,
                (_, Some(stripe::StripeSessionStatus::Expired)) => Outcome::Closed,
                _ => Outcome::Waiting,
            };
            Ok(Some(GatewayEvent {
                gateway: Gateway::Stripe,
                event_id: format!("query:{}:{outcome:?}", s.id),
                out_trade_no: s.order_id().unwrap_or(&order.out_trade_no).to_string(),
                trade_no: s.id.clone(),
                amount_cents: s.amount_total.unwrap_or(0),
                currency: s.currency.clone(),
                outcome,
            }))
        }
    }
}
