//! Stripe's side is played with the webhook secret: events are signed as Stripe signs them, and a
//! fake API checks the forms and headers Stripe would.
use std::sync::{Arc, Mutex};

use axum::{
    extract::{Path, State},
    response::IntoResponse,
    routing::{get, post},
    Form, Router,
};
use http::{HeaderMap, StatusCode};

use super::*;
use crate::payments::gateways::testkit;

const SECRET: &str = "whsec_5f1ba7c4e4b0c9d2a8d94d71f0a3c3b1";
/// 2024-05-01 04:00:00 UTC.
const NOW: i64 = 1_714_536_000;

fn cfg() -> StripeConfig {
    StripeConfig {
        secret_key: "sk_test_51Storyloom".into(),
        webhook_secret: SECRET.into(),
        success_url: "https://studio.example/pay/done?session={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "https://studio.example/pay/cancelled".into(),
        ..StripeConfig::default()
    }
}

fn session_json(payment_status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "cs_test_a1B2c3", "object": "checkout.session", "client_reference_id": "ord_42",
        "metadata": {"order_id": "ord_42"}, "amount_total": 1999, "currency": "usd",
        "payment_status": payment_status, "status": "complete", "url": null, "mode": "payment",
    })
}

fn event(object: serde_json::Value) -> Vec<u8> {
    serde_json::json!({
        "id": "evt_1PabcD", "object": "event", "type": "checkout.session.completed",
        "created": NOW - 2, "livemode": false, "api_version": "2024-04-10",
        "data": {"object": object},
    })
    .to_string()
    .into_bytes()
}

#[test]
fn a_genuine_webhook_is_read() {
    let body = event(session_json("paid"));
    let got = verify_webhook(&cfg(), &sign_webhook(SECRET, &body, NOW), &body, NOW).unwrap();
    assert_eq!(
        (got.id.as_str(), got.event_type.as_str()),
        ("evt_1PabcD", "checkout.session.completed")
    );
    assert_eq!((got.created, got.livemode), (NOW - 2, false));
    let session = got.session.unwrap();
    assert_eq!(session.id, "cs_test_a1B2c3");
    assert_eq!(session.order_id(), Some("ord_42"));
    assert_eq!(
        (session.amount_total, session.currency.as_deref()),
        (Some(1999), Some("usd"))
    );
    assert_eq!(session.payment_status, StripePaymentStatus::Paid);
    assert_eq!(session.status, Some(StripeSessionStatus::Complete));
    // Other objects are verified but not read as sessions.
    let other = event(serde_json::json!({"id": "pi_1", "object": "payment_intent"}));
    let got = verify_webhook(&cfg(), &sign_webhook(SECRET, &other, NOW), &other, NOW).unwrap();
    assert_eq!(got.session, None);
    for (status, expected) in [
        ("unpaid", StripePaymentStatus::Unpaid),
        (
            "no_payment_required",
            StripePaymentStatus::NoPaymentRequired,
        ),
    ] {
        let body = event(session_json(status));
        let got = verify_webhook(&cfg(), &sign_webhook(SECRET, &body, NOW), &body, NOW).unwrap();
        assert_eq!(got.session.unwrap().payment_status, expected);
    }
}

#[test]
fn one_valid_v1_among_several_is_enough_and_v0_is_not() {
    let body = event(session_json("paid"));
    let good = sign_webhook(SECRET, &body, NOW);
    let v1 = good.split_once(",v1=").unwrap().1;
    let stale_secret = sign_webhook("whsec_old", &body, NOW);
    let old_v1 = stale_secret.split_once(",v1=").unwrap().1;
    let header = format!("t={NOW},v1={old_v1},v1=zz-not-hex,v1={v1},v0=abc");
    assert!(verify_webhook(&cfg(), &header, &body, NOW).is_ok());
    let v0_only = format!("t={NOW},v0={v1}");
    assert_eq!(
        verify_webhook(&cfg(), &v0_only, &body, NOW),
        Err(GatewayError::MissingField("Stripe-Signature v1".into()))
    );
    assert_eq!(
        verify_webhook(&cfg(), &stale_secret, &body, NOW),
        Err(GatewayError::BadSignature)
    );
}

#[test]
fn tampered_stale_or_unsigned_webhooks_are_refused() {
    let body = event(session_json("paid"));
    let header = sign_webhook(SECRET, &body, NOW);
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("1999", "1");
    assert_eq!(
        verify_webhook(&cfg(), &header, tampered.as_bytes(), NOW),
        Err(GatewayError::BadSignature)
    );
    // The timestamp is signed too: moving it breaks the signature.
    let moved = header.replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
    assert_eq!(
        verify_webhook(&cfg(), &moved, &body, NOW),
        Err(GatewayError::BadSignature)
    );
    for t in [NOW - 301, NOW + 301] {
        assert_eq!(
            verify_webhook(&cfg(), &sign_webhook(SECRET, &body, t), &body, NOW),
            Err(GatewayError::StaleTimestamp {
                timestamp: t,
                now: NOW
            })
        );
    }
    for t in [NOW - 300, NOW + 300] {
        assert!(verify_webhook(&cfg(), &sign_webhook(SECRET, &body, t), &body, NOW).is_ok());
    }
    assert_eq!(
        verify_webhook(&cfg(), "", &body, NOW),
        Err(GatewayError::MissingField("Stripe-Signature t".into()))
    );
    let v1 = header.split_once(",v1=").unwrap().1;
    assert_eq!(
        verify_webhook(&cfg(), &format!("v1={v1}"), &body, NOW),
        Err(GatewayError::MissingField("Stripe-Signature t".into()))
    );
    assert!(matches!(
        verify_webhook(&cfg(), &format!("t=yesterday,v1={v1}"), &body, NOW),
        Err(GatewayError::Malformed(_))
    ));
    let unset = StripeConfig {
        webhook_secret: String::new(),
        ..cfg()
    };
    assert_eq!(
        verify_webhook(&unset, &header, &body, NOW),
        Err(GatewayError::NotConfigured {
            gateway: "stripe",
            field: "webhook_secret"
        })
    );
}

#[test]
fn signed_bodies_must_still_be_events() {
    let signed = |body: &[u8]| verify_webhook(&cfg(), &sign_webhook(SECRET, body, NOW), body, NOW);
    assert!(matches!(
        signed(b"id=evt_1&type=x"),
        Err(GatewayError::Malformed(_))
    ));
    assert!(matches!(
        signed(br#"{"id":"evt_1","type":"x","data":{"object":{"id":"cs_1""#),
        Err(GatewayError::Malformed(_))
    ));
    assert_eq!(
        signed(br#"{"type":"x","data":{"object":{"object":"charge"}}}"#),
        Err(GatewayError::MissingField("event id".into()))
    );
    let mut no_status = session_json("paid");
    no_status.as_object_mut().unwrap().remove("payment_status");
    assert_eq!(
        signed(&event(no_status)),
        Err(GatewayError::MissingField(
            "event data.object payment_status".into()
        ))
    );
    assert!(matches!(
        signed(&event(session_json("refunded"))),
        Err(GatewayError::Malformed(_))
    ));
}

/// What the fake API saw.
#[derive(Default)]
struct Seen {
    forms: Vec<Vec<(String, String)>>,
    keys: Vec<String>,
}

type Shared = Arc<Mutex<Seen>>;

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer sk_test_51Storyloom")
}

/// A fake Stripe API, answering in Stripe's formats (errors included).
async fn fake_stripe(seen: Shared) -> String {
    async fn create(
        State(seen): State<Shared>,
        headers: HeaderMap,
        Form(form): Form<Vec<(String, String)>>,
    ) -> axum::response::Response {
        if !authorised(&headers) {
            let error = r#"{"error":{"message":"Invalid API Key provided","type":"invalid_request_error"}}"#;
            return (StatusCode::UNAUTHORIZED, error).into_response();
        }
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut seen = seen.lock().unwrap();
        seen.forms.push(form);
        seen.keys.push(key);
        let answer = serde_json::json!({"id": "cs_test_a1B2c3", "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3", "payment_status": "unpaid", "status": "open"});
        axum::Json(answer).into_response()
    }
    async fn retrieve(Path(id): Path<String>, headers: HeaderMap) -> axum::response::Response {
        if !authorised(&headers) || id != "cs_test_a1B2c3" {
            let error = r#"{"error":{"code":"resource_missing","message":"No such checkout.session","type":"invalid_request_error"}}"#;
            return (StatusCode::NOT_FOUND, error).into_response();
        }
        axum::Json(session_json("paid")).into_response()
    }
    let app = Router::new()
        .route("/ok/v1/checkout/sessions", post(create))
        .route("/ok/v1/checkout/sessions/{id}", get(retrieve))
        .route(
            "/down/v1/checkout/sessions",
            post(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"error":{"type":"api_error"}}"#,
                )
            }),
        )
        .route(
            "/cut/v1/checkout/sessions/{id}",
            get(|| async { r#"{"id":"cs_test_a1B2c3","object":"checkout.se"# }),
        )
        .with_state(seen);
    testkit::serve(app).await
}

#[tokio::test]
async fn sessions_are_created_and_retrieved() {
    let seen = Shared::default();
    let base = fake_stripe(seen.clone()).await;
    let client = testkit::client();
    let at = |mode: &str| StripeConfig {
        api_base: format!("{base}/{mode}"),
        ..cfg()
    };
    let link = create_checkout_session(
        &client,
        &at("ok"),
        "ord_42",
        1999,
        "USD",
        "Storyloom credits",
        "pay-ord_42-1",
    )
    .await;
    assert_eq!(
        link,
        Ok(CheckoutLink {
            id: "cs_test_a1B2c3".into(),
            url: "https://checkout.stripe.com/c/pay/cs_test_a1B2c3".into()
        })
    );
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.keys, ["pay-ord_42-1"]);
        let form: BTreeMap<_, _> = seen.forms[0].iter().cloned().collect();
        let expect = [
            ("mode", "payment"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "1999"),
            (
                "line_items[0][price_data][product_data][name]",
                "Storyloom credits",
            ),
            ("line_items[0][quantity]", "1"),
            ("client_reference_id", "ord_42"),
            ("metadata[order_id]", "ord_42"),
            (
                "success_url",
                "https://studio.example/pay/done?session={CHECKOUT_SESSION_ID}",
            ),
            ("cancel_url", "https://studio.example/pay/cancelled"),
        ];
        let expect: BTreeMap<String, String> = expect
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(form, expect);
    }
    let session = retrieve_session(&client, &at("ok"), "cs_test_a1B2c3")
        .await
        .unwrap();
    assert_eq!(
        (session.payment_status, session.amount_total),
        (StripePaymentStatus::Paid, Some(1999))
    );

    assert!(matches!(
        retrieve_session(&client, &at("ok"), "cs_test_missing").await,
        Err(GatewayError::Upstream { status: 404, body }) if body.contains("resource_missing")
    ));
    let bad_key = StripeConfig {
        secret_key: "sk_test_wrong".into(),
        ..at("ok")
    };
    assert!(matches!(
        create_checkout_session(&client, &bad_key, "ord_42", 1999, "usd", "x", "k").await,
        Err(GatewayError::Upstream { status: 401, .. })
    ));
    assert!(matches!(
        create_checkout_session(&client, &at("down"), "ord_42", 1999, "usd", "x", "k").await,
        Err(GatewayError::Upstream { status: 500, .. })
    ));
    assert!(matches!(
        retrieve_session(&client, &at("cut"), "cs_test_a1B2c3").await,
        Err(GatewayError::Malformed(_))
    ));
    let nowhere = StripeConfig {
        api_base: testkit::closed_port().await,
        ..cfg()
    };
    assert!(matches!(
        retrieve_session(&client, &nowhere, "cs_1").await,
        Err(GatewayError::Transport(_))
    ));
    // Refused before anything is sent.
    assert!(matches!(
        retrieve_session(&client, &at("ok"), "../v1/charges").await,
        Err(GatewayError::Malformed(_))
    ));
    assert!(matches!(
        create_checkout_session(&client, &at("ok"), "o", 0, "usd", "x", "k").await,
        Err(GatewayError::BadAmount(_))
    ));
    assert!(matches!(
        create_checkout_session(&client, &at("ok"), "o", 1, "dollars", "x", "k").await,
        Err(GatewayError::Malformed(_))
    ));
    assert_eq!(
        create_checkout_session(&client, &at("ok"), "o", 1, "usd", "x", " ").await,
        Err(GatewayError::MissingField("idempotency_key".into()))
    );
    let unset = StripeConfig {
        secret_key: String::new(),
        ..at("ok")
    };
    assert_eq!(
        retrieve_session(&client, &unset, "cs_1").await,
        Err(GatewayError::NotConfigured {
            gateway: "stripe",
            field: "secret_key"
        })
    );
    assert_eq!(seen.lock().unwrap().forms.len(), 1);
}
