//! Payment callbacks as each gateway sends them (issue 18): keys made here, the gateway's side of
//! each key pair signing, against a real server on 127.0.0.1 whose gateways' APIs are fakes that
//! speak their wire formats. A valid callback credits once; repeated, concurrent, tampered,
//! misaddressed, stale, forged and malformed ones credit nothing and leave the order as it was.
use std::{collections::BTreeMap, net::SocketAddr, sync::OnceLock};

use axum::{routing::post, Json, Router};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use reqwest::{Method, StatusCode};
use rsa::{
    pkcs1v15::SigningKey,
    pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding},
    signature::{SignatureEncoding, Signer},
    RsaPrivateKey,
};
use serde_json::{json, Value};
use sha2::Sha256;
use storyloom::{
    config::AuthMode,
    ledger,
    payments::{
        gateways::{
            alipay::{self, AlipayConfig},
            stripe::{self, StripeConfig},
            wechat::{self, PlatformKey, WechatConfig},
        },
        settings::PaymentSettings,
    },
};

use crate::common::TestServer;

/// 0: the merchant's (our) key; 1: the gateway's; 2: somebody else's. Made once: slow in debug.
pub(crate) fn key(which: usize) -> &'static RsaPrivateKey {
    static KEYS: [OnceLock<RsaPrivateKey>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    KEYS[which].get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap())
}
pub(crate) const MERCHANT: usize = 0;
pub(crate) const GATEWAY: usize = 1;
const OTHER: usize = 2;

pub(crate) fn private_pem(which: usize) -> String {
    key(which).to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}

pub(crate) fn public_pem(which: usize) -> String {
    key(which)
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

pub(crate) const ALIPAY_APP: &str = "2021000000000001";
const ALIPAY_SELLER: &str = "2088000000000001";
const MCHID: &str = "1900000001";
const APPID: &str = "wx0000000000000001";
const API_V3_KEY: &str = "0123456789abcdef0123456789abcdef";
const PLATFORM_SERIAL: &str = "PUB_KEY_ID_0000000000000001";
const WEBHOOK_SECRET: &str = "whsec_test_secret";

/// Fake gateway APIs: WeChat Pay's Native order, Stripe's Checkout Session, Alipay's trade query
/// (answering TRADE_SUCCESS for the amount the test set, signed by "Alipay").
async fn fake_gateways(alipay_paid_cents: i64) -> String {
    let app = Router::new()
        .route(
            "/v3/pay/transactions/native",
            post(|| async { Json(json!({"code_url": "weixin://wxpay/bizpayurl?pr=fake"})) }),
        )
        .route(
            "/v1/checkout/sessions",
            post(|form: axum::extract::Form<BTreeMap<String, String>>| async move {
                Json(json!({"id": "cs_test_1", "object": "checkout.session",
                            "url": "https://checkout.stripe.com/c/pay/cs_test_1",
                            "client_reference_id": form.get("client_reference_id"),
                            "amount_total": form.get("line_items[0][price_data][unit_amount]").and_then(|a| a.parse::<i64>().ok()),
                            "currency": "cny", "payment_status": "unpaid", "status": "open"}))
            }),
        )
        .route(
            "/gateway.do",
            post(move |form: axum::extract::Form<BTreeMap<String, String>>| async move {
                let biz: Value = serde_json::from_str(&form["biz_content"]).unwrap();
                let inner = json!({"code": "10000", "msg": "Success",
                    "out_trade_no": biz["out_trade_no"], "trade_no": "2026020822001400000000000001",
                    "trade_status": "TRADE_SUCCESS",
                    "total_amount": format!("{}.{:02}", alipay_paid_cents / 100, alipay_paid_cents % 100)})
                .to_string();
                let sign = B64.encode(SigningKey::<Sha256>::new(key(GATEWAY).clone()).sign(inner.as_bytes()).to_bytes());
                format!("{{\"alipay_trade_query_response\":{inner},\"sign\":\"{sign}\"}}")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn settings(fake: &str) -> PaymentSettings {
    PaymentSettings {
        alipay: Some(AlipayConfig {
            app_id: ALIPAY_APP.into(),
            seller_id: Some(ALIPAY_SELLER.into()),
            app_private_key_pem: private_pem(MERCHANT),
            alipay_public_key: public_pem(GATEWAY),
            gateway_url: format!("{fake}/gateway.do"),
            notify_url: "https://team.example/api/v1/payments/callback/alipay".into(),
            return_url: "https://team.example/billing".into(),
        }),
        wechat: Some(WechatConfig {
            mchid: MCHID.into(),
            appid: APPID.into(),
            merchant_serial_no: "MERCHANT_SERIAL_1".into(),
            merchant_private_key_pem: private_pem(MERCHANT),
            api_v3_key: API_V3_KEY.into(),
            platform: vec![
                PlatformKey::from_public_key_pem(PLATFORM_SERIAL, &public_pem(GATEWAY)).unwrap(),
            ],
            base_url: fake.to_string(),
            notify_url: "https://team.example/api/v1/payments/callback/wechat".into(),
        }),
        stripe: Some(StripeConfig {
            secret_key: "sk_test_fake".into(),
            webhook_secret: WEBHOOK_SECRET.into(),
            api_base: fake.to_string(),
            success_url: "https://team.example/billing?paid=1".into(),
            cancel_url: "https://team.example/billing".into(),
        }),
        public_url: "https://team.example".into(),
    }
}

struct Shop {
    s: TestServer,
    buyer: String,
    buyer_id: String,
}

async fn shop(alipay_paid_cents: i64) -> Shop {
    let fake = fake_gateways(alipay_paid_cents).await;
    let s = TestServer::start_with(AuthMode::Accounts, |c| c.payments = settings(&fake)).await;
    let _admin = s.register("ann").await;
    let (buyer_id, buyer) = s.register("bob").await;
    Shop { s, buyer, buyer_id }
}

impl Shop {
    /// A ¥10.00 recharge through `gateway`: the order as the API answered it.
    async fn order(&self, gateway: &str) -> Value {
        let (status, order) = self
            .s
            .call(
                Method::POST,
                "/api/v1/credit/recharge",
                Some(json!({"amount_cents": 1000, "payment_method": gateway})),
                &[("authorization", &self.buyer)],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        let (_, full) = self
            .s
            .call(
                Method::GET,
                &format!(
                    "/api/v1/payments/status/{}",
                    order["order_id"].as_str().unwrap()
                ),
                None,
                &[("authorization", &self.buyer)],
            )
            .await;
        full
    }

    async fn status_of(&self, order: &Value) -> String {
        let (_, o) = self
            .s
            .call(
                Method::GET,
                &format!("/api/v1/payments/status/{}", order["id"].as_str().unwrap()),
                None,
                &[("authorization", &self.buyer)],
            )
            .await;
        o["status"].as_str().unwrap().to_string()
    }

    async fn balance(&self) -> i64 {
        ledger::balance(&self.s.state, &self.buyer_id)
            .await
            .unwrap()
            .available
    }

    async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> (StatusCode, String) {
        let mut req = self.s.client.post(self.s.url(path)).body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let res = req.send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }

    fn now(&self) -> i64 {
        use storyloom::clock::Clock;
        self.s.clock.now().timestamp()
    }
}

// ------------------------------------------------------------------------------------------ Alipay

/// An Alipay notification's form, signed with `signer` over every parameter but `sign` and
/// `sign_type`, as Alipay does.
pub(crate) fn alipay_notify(
    out_trade_no: &str,
    amount: &str,
    app_id: &str,
    notify_id: &str,
    signer: usize,
) -> Vec<u8> {
    let mut p = BTreeMap::new();
    for (k, v) in [
        ("notify_id", notify_id),
        ("notify_type", "trade_status_sync"),
        ("notify_time", "2026-02-08 18:00:01"),
        ("app_id", app_id),
        ("seller_id", ALIPAY_SELLER),
        ("out_trade_no", out_trade_no),
        ("trade_no", "2026020822001400000000000001"),
        ("total_amount", amount),
        ("trade_status", "TRADE_SUCCESS"),
        ("charset", "utf-8"),
        ("version", "1.0"),
    ] {
        p.insert(k.to_string(), v.to_string());
    }
    let sign = alipay::sign_params(&p, key(signer));
    p.insert("sign_type".into(), "RSA2".into());
    p.insert("sign".into(), sign);
    serde_urlencoded::to_string(&p).unwrap().into_bytes()
}

#[tokio::test]
async fn alipay_notifications_credit_once_and_every_tampered_one_is_refused() {
    let t = shop(1000).await;
    let order = t.order("alipay").await;
    let url = order["payment_url"].as_str().unwrap();
    assert!(
        url.contains("/gateway.do?") && url.contains("sign="),
        "{url}"
    );
    assert!(url.contains("alipay.trade.page.pay"), "{url}");
    let no = order["out_trade_no"].as_str().unwrap().to_string();
    let path = "/api/v1/payments/callback/alipay";

    // Refused, each leaving the order pending: the amount changed after signing, another app's
    // notification, another key's signature, a body that is not a form.
    let mut tampered =
        String::from_utf8(alipay_notify(&no, "10.00", ALIPAY_APP, "n-1", GATEWAY)).unwrap();
    tampered = tampered.replace("total_amount=10.00", "total_amount=0.01");
    for (what, body) in [
        ("amount changed after signing", tampered.into_bytes()),
        (
            "signed amount differs from the order",
            alipay_notify(&no, "0.01", ALIPAY_APP, "n-2", GATEWAY),
        ),
        (
            "another app",
            alipay_notify(&no, "10.00", "2021999999999999", "n-3", GATEWAY),
        ),
        (
            "another key",
            alipay_notify(&no, "10.00", ALIPAY_APP, "n-4", OTHER),
        ),
        ("not a form", b"\xff\xfe not a form".to_vec()),
        (
            "unknown order",
            alipay_notify(
                "00000000000000000000000000000000",
                "10.00",
                ALIPAY_APP,
                "n-5",
                GATEWAY,
            ),
        ),
    ] {
        let (status, text) = t
            .post_raw(
                path,
                body,
                &[("content-type", "application/x-www-form-urlencoded".into())],
            )
            .await;
        assert!(status.is_client_error(), "{what}: {status} {text}");
        assert_ne!(text, "success", "{what}");
        assert_eq!(t.status_of(&order).await, "pending", "{what}");
    }
    assert_eq!(t.balance().await, 0);

    // Valid: "success" after the credit; ten concurrent redeliveries change nothing.
    let valid = alipay_notify(&no, "10.00", ALIPAY_APP, "n-ok", GATEWAY);
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    let answers =
        futures_util::future::join_all((0..10).map(|_| t.post_raw(path, valid.clone(), &form)))
            .await;
    for (status, text) in answers {
        assert_eq!((status, text.as_str()), (StatusCode::OK, "success"));
    }
    assert_eq!(t.status_of(&order).await, "paid");
    assert_eq!(t.balance().await, 100);
    // A later notification of the same payment (TRADE_FINISHED comes with a new notify_id).
    let (status, _) = t
        .post_raw(
            path,
            alipay_notify(&no, "10.00", ALIPAY_APP, "n-finished", GATEWAY),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t.balance().await, 100);

    // An Alipay-signed notification naming another gateway's order changes nothing.
    let stripe_order = t.order("stripe").await;
    let (status, _) = t
        .post_raw(
            path,
            alipay_notify(
                stripe_order["out_trade_no"].as_str().unwrap(),
                "10.00",
                ALIPAY_APP,
                "n-x",
                GATEWAY,
            ),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(t.status_of(&stripe_order).await, "pending");
    let report = ledger::reconcile::reconcile(&t.s.state, false)
        .await
        .unwrap();
    assert!(report.success, "{:?}", report.issues);
}

// ------------------------------------------------------------------------------------------ WeChat

/// A WeChat Pay notification as WeChat sends it: the transaction encrypted with the APIv3 key,
/// the body signed with the platform key over `timestamp\nnonce\nbody\n`.
fn wechat_notify(
    out_trade_no: &str,
    total: i64,
    mchid: &str,
    event_id: &str,
    timestamp: i64,
    signer: usize,
    serial: &str,
) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let transaction = json!({"appid": APPID, "mchid": mchid, "out_trade_no": out_trade_no,
        "transaction_id": "4200000000202602080000000001", "trade_type": "NATIVE",
        "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "success_time": "2026-02-08T18:00:01+08:00",
        "payer": {"openid": "o-test"}, "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"}});
    let nonce = "fakeNonce123";
    let ciphertext = wechat::encrypt_resource(
        API_V3_KEY,
        transaction.to_string().as_bytes(),
        nonce,
        "transaction",
    )
    .unwrap();
    let body = json!({"id": event_id, "create_time": "2026-02-08T18:00:02+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": ciphertext, "associated_data": "transaction", "nonce": nonce}})
    .to_string()
    .into_bytes();
    let header_nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    let signature = wechat::sign_callback(key(signer), &body, timestamp, header_nonce);
    let headers = vec![
        ("wechatpay-timestamp", timestamp.to_string()),
        ("wechatpay-nonce", header_nonce.to_string()),
        ("wechatpay-signature", signature),
        ("wechatpay-serial", serial.to_string()),
        ("content-type", "application/json".to_string()),
    ];
    (body, headers)
}

#[tokio::test]
async fn wechat_notifications_credit_once_and_every_tampered_one_is_refused() {
    let t = shop(1000).await;
    let order = t.order("wechat").await;
    assert_eq!(order["payment_url"], "weixin://wxpay/bizpayurl?pr=fake");
    let no = order["out_trade_no"].as_str().unwrap().to_string();
    let path = "/api/v1/payments/callback/wechat";
    let now = t.now();
    for (what, (body, headers)) in [
        (
            "stale timestamp",
            wechat_notify(&no, 1000, MCHID, "e-1", now - 301, GATEWAY, PLATFORM_SERIAL),
        ),
        (
            "future timestamp",
            wechat_notify(&no, 1000, MCHID, "e-2", now + 301, GATEWAY, PLATFORM_SERIAL),
        ),
        (
            "another amount",
            wechat_notify(&no, 1, MCHID, "e-3", now, GATEWAY, PLATFORM_SERIAL),
        ),
        (
            "another merchant",
            wechat_notify(
                &no,
                1000,
                "1900000009",
                "e-4",
                now,
                GATEWAY,
                PLATFORM_SERIAL,
            ),
        ),
        (
            "another key",
            wechat_notify(&no, 1000, MCHID, "e-5", now, OTHER, PLATFORM_SERIAL),
        ),
        (
            "unknown serial",
            wechat_notify(&no, 1000, MCHID, "e-6", now, GATEWAY, "PUB_KEY_ID_UNKNOWN"),
        ),
    ] {
        let (status, text) = t.post_raw(path, body, &headers).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {text}");
        let answer: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["code"], "FAIL", "{what}");
        assert_eq!(t.status_of(&order).await, "pending", "{what}");
    }
    let (status, _) = t.post_raw(path, b"{}".to_vec(), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no signature headers");
    assert_eq!(t.balance().await, 0);

    let (body, headers) = wechat_notify(&no, 1000, MCHID, "e-ok", now, GATEWAY, PLATFORM_SERIAL);
    let answers =
        futures_util::future::join_all((0..10).map(|_| t.post_raw(path, body.clone(), &headers)))
            .await;
    for (status, text) in answers {
        assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    }
    assert_eq!(t.status_of(&order).await, "paid");
    assert_eq!(t.balance().await, 100);
}

// ------------------------------------------------------------------------------------------ Stripe

fn stripe_event(out_trade_no: &str, amount: i64, event_id: &str) -> Vec<u8> {
    json!({"id": event_id, "object": "event", "type": "checkout.session.completed",
        "created": 1_770_544_800, "livemode": false, "api_version": "2025-10-29",
        "data": {"object": {"id": "cs_test_1", "object": "checkout.session",
            "client_reference_id": out_trade_no, "metadata": {"order_id": out_trade_no},
            "amount_total": amount, "currency": "cny", "payment_status": "paid", "status": "complete"}}})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn stripe_webhooks_credit_once_and_every_tampered_one_is_refused() {
    let t = shop(1000).await;
    let order = t.order("stripe").await;
    assert_eq!(
        order["payment_url"],
        "https://checkout.stripe.com/c/pay/cs_test_1"
    );
    let no = order["out_trade_no"].as_str().unwrap().to_string();
    let path = "/api/v1/payments/callback/stripe";
    let now = t.now();
    let valid = stripe_event(&no, 1000, "evt_ok");
    let sig = |body: &[u8], secret: &str, at: i64| {
        vec![("stripe-signature", stripe::sign_webhook(secret, body, at))]
    };
    let mut tampered_after_signing = sig(&valid, WEBHOOK_SECRET, now);
    let cheap = stripe_event(&no, 1, "evt_cheap");
    tampered_after_signing[0].1 = stripe::sign_webhook(WEBHOOK_SECRET, &valid, now);
    for (what, body, headers) in [
        (
            "too old",
            valid.clone(),
            sig(&valid, WEBHOOK_SECRET, now - 301),
        ),
        (
            "another secret",
            valid.clone(),
            sig(&valid, "whsec_other", now),
        ),
        (
            "body changed after signing",
            cheap.clone(),
            tampered_after_signing,
        ),
        (
            "signed, another amount",
            cheap.clone(),
            sig(&cheap, WEBHOOK_SECRET, now),
        ),
        ("no signature", valid.clone(), vec![]),
        (
            "not JSON",
            b"nope".to_vec(),
            sig(b"nope", WEBHOOK_SECRET, now),
        ),
    ] {
        let (status, text) = t.post_raw(path, body, &headers).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {text}");
        assert_eq!(t.status_of(&order).await, "pending", "{what}");
    }
    assert_eq!(t.balance().await, 0);
    for _ in 0..3 {
        let (status, text) = t
            .post_raw(path, valid.clone(), &sig(&valid, WEBHOOK_SECRET, now))
            .await;
        assert_eq!(status, StatusCode::OK, "{text}");
    }
    assert_eq!(t.status_of(&order).await, "paid");
    assert_eq!(t.balance().await, 100);
}

// ------------------------------------------------------------------------------------------ reconciler

/// A payment whose callback never came is found by asking the gateway; a sandbox order nobody
/// paid expires when its time runs out; a gateway that reports another amount credits nothing.
#[tokio::test]
async fn the_reconciler_settles_what_the_gateway_reports_and_expires_the_rest() {
    let t = shop(1000).await;
    let order = t.order("alipay").await;
    let (status, _) =
        t.s.call(
            Method::PATCH,
            "/api/v1/admin/config",
            Some(json!({"payment_sandbox": true})),
            &[],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an admin's session is needed"
    );
    // Too fresh to ask about.
    let r = storyloom::payments::reconcile::reconcile(&t.s.state)
        .await
        .unwrap();
    assert_eq!(r.checked, 0);
    t.s.clock.advance(chrono::Duration::minutes(3));
    let r = storyloom::payments::reconcile::reconcile(&t.s.state)
        .await
        .unwrap();
    assert_eq!((r.checked, r.paid), (1, 1), "{r:?}");
    assert_eq!(t.status_of(&order).await, "paid");
    assert_eq!(t.balance().await, 100);
    // A second pass finds nothing pending; a late callback for it changes nothing.
    let r = storyloom::payments::reconcile::reconcile(&t.s.state)
        .await
        .unwrap();
    assert_eq!(r.checked, 0);
    let no = order["out_trade_no"].as_str().unwrap();
    let (status, text) = t
        .post_raw(
            "/api/v1/payments/callback/alipay",
            alipay_notify(no, "10.00", ALIPAY_APP, "late", GATEWAY),
            &[],
        )
        .await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "success"));
    assert_eq!(t.balance().await, 100);

    // The fake reports ¥10.00 paid for any order: a ¥20.00 order is not credited by it, and
    // expires once its 30 minutes are over.
    let (status, big) =
        t.s.call(
            Method::POST,
            "/api/v1/credit/recharge",
            Some(json!({"amount_cents": 2000, "payment_method": "alipay"})),
            &[("authorization", &t.buyer)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    t.s.clock.advance(chrono::Duration::minutes(31));
    let r = storyloom::payments::reconcile::reconcile(&t.s.state)
        .await
        .unwrap();
    assert_eq!(
        (r.checked, r.paid, r.errors, r.expired),
        (1, 0, 1, 0),
        "{r:?}"
    );
    assert_eq!(t.balance().await, 100);
    // (The buyer's access token expired with the clock: read the order directly.)
    let o = storyloom::payments::get(&t.s.state, &t.buyer_id, big["order_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        o.status.as_str(),
        "pending",
        "a mismatching answer leaves the order for a person to look at"
    );
    let report = ledger::reconcile::reconcile(&t.s.state, false)
        .await
        .unwrap();
    assert!(report.success, "{:?}", report.issues);
}
