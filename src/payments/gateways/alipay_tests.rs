//! Alipay's side is played with the gateway's own key pair: notifications and answers are signed as
//! Alipay signs them, requests are checked as Alipay checks them.
use std::collections::BTreeMap;

use axum::{body::Bytes, extract::RawQuery, routing::post, Router};

use super::*;
use crate::payments::gateways::{
    rsa_sign, rsa_verify,
    testkit::{self, GATEWAY as ALIPAY, MERCHANT, OTHER},
};

const APP_ID: &str = "2021000000000001";
const SELLER: &str = "2088000000000001";

fn cfg() -> AlipayConfig {
    AlipayConfig {
        app_id: APP_ID.into(),
        seller_id: Some(SELLER.into()),
        app_private_key_pem: testkit::private_pkcs8_pem(MERCHANT),
        alipay_public_key: testkit::public_b64(ALIPAY),
        notify_url: "https://studio.example/pay/alipay/notify".into(),
        return_url: "https://studio.example/pay/done".into(),
        ..AlipayConfig::default()
    }
}

fn notify_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("notify_time", "2024-05-01 12:00:05"),
        ("notify_type", "trade_status_sync"),
        ("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("app_id", APP_ID),
        ("seller_id", SELLER),
        ("out_trade_no", "SL20240501000001"),
        ("trade_no", "2024050122001400000000000001"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "88.88"),
        ("subject", "Storyloom credits + more"),
        ("gmt_payment", "2024-05-01 12:00:04"),
        ("buyer_logon_id", ""),
    ]
}

/// Signs as Alipay does (without `sign` and `sign_type`) and form-encodes the notification.
fn notify_body(params: &[(&str, &str)], signer: usize) -> Vec<u8> {
    let map: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sign = rsa_sign(testkit::key(signer), sign_content(&map).as_bytes());
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().copied())
        .append_pair("sign_type", "RSA2")
        .append_pair("sign", &sign)
        .finish()
        .into_bytes()
}

fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut params = notify_params();
    for (key, value) in changes {
        params.retain(|(k, _)| k != key);
        if !value.is_empty() {
            params.push((key, value));
        }
    }
    params
}

fn bad_amount(text: &str) -> bool {
    matches!(cents_from_yuan(text), Err(GatewayError::BadAmount(_)))
}

#[test]
fn amounts_are_exact_cents() {
    assert_eq!(cents_from_yuan("0.01"), Ok(1));
    assert_eq!(cents_from_yuan("100"), Ok(10000));
    assert_eq!(cents_from_yuan("12.3"), Ok(1230));
    assert_eq!(cents_from_yuan("12.34"), Ok(1234));
    for bad in [
        "12.345",
        "-1",
        "abc",
        "",
        "1.",
        ".5",
        "+1",
        "1 ",
        "1e3",
        "99999999999999999999",
    ] {
        assert!(bad_amount(bad), "{bad:?} should be refused");
    }
    assert_eq!(yuan_from_cents(1).as_deref(), Ok("0.01"));
    assert_eq!(yuan_from_cents(1234).as_deref(), Ok("12.34"));
    assert_eq!(yuan_from_cents(10000).as_deref(), Ok("100.00"));
    assert!(matches!(
        yuan_from_cents(0),
        Err(GatewayError::BadAmount(_))
    ));
    assert!(matches!(
        yuan_from_cents(-5),
        Err(GatewayError::BadAmount(_))
    ));
}

#[test]
fn a_genuine_notification_is_read() {
    let notify = verify_notify(&cfg(), &notify_body(&notify_params(), ALIPAY)).unwrap();
    assert_eq!(
        notify,
        AlipayNotify {
            notify_id: "ac05099524730693a8b330c5ecf72da9786".into(),
            trade: AlipayTrade {
                out_trade_no: "SL20240501000001".into(),
                trade_no: "2024050122001400000000000001".into(),
                trade_status: AlipayTradeStatus::TradeSuccess,
                total_amount_cents: 8888,
            },
            gmt_payment: Some("2024-05-01 12:00:04".into()),
        }
    );
    assert!(notify.trade.trade_status.is_paid());
    // The public key as PEM works the same, and no seller check when none is configured.
    let mut pem = cfg();
    pem.alipay_public_key = testkit::public_pem(ALIPAY);
    pem.seller_id = None;
    let body = notify_body(&with(&[("seller_id", "2088999999999999")]), ALIPAY);
    assert!(verify_notify(&pem, &body).is_ok());
}

#[test]
fn a_tampered_amount_breaks_the_signature() {
    let body = String::from_utf8(notify_body(&notify_params(), ALIPAY)).unwrap();
    let tampered = body.replace("total_amount=88.88", "total_amount=0.01");
    assert_ne!(body, tampered);
    assert_eq!(
        verify_notify(&cfg(), tampered.as_bytes()),
        Err(GatewayError::BadSignature)
    );
}

#[test]
fn another_merchants_notification_is_refused() {
    let body = notify_body(&with(&[("app_id", "2021000000009999")]), ALIPAY);
    assert_eq!(
        verify_notify(&cfg(), &body),
        Err(GatewayError::WrongMerchant { field: "app_id" })
    );
    let body = notify_body(&with(&[("seller_id", "2088999999999999")]), ALIPAY);
    assert_eq!(
        verify_notify(&cfg(), &body),
        Err(GatewayError::WrongMerchant { field: "seller_id" })
    );
    let body = notify_body(&with(&[("seller_id", "")]), ALIPAY);
    assert_eq!(
        verify_notify(&cfg(), &body),
        Err(GatewayError::MissingField("seller_id".into()))
    );
}

#[test]
fn bad_or_foreign_signatures_are_refused() {
    let other = notify_body(&notify_params(), OTHER);
    assert_eq!(
        verify_notify(&cfg(), &other),
        Err(GatewayError::BadSignature)
    );
    // Signed by the app's own key (a merchant forging its own notification).
    let own = notify_body(&notify_params(), MERCHANT);
    assert_eq!(verify_notify(&cfg(), &own), Err(GatewayError::BadSignature));

    let body = String::from_utf8(notify_body(&notify_params(), ALIPAY)).unwrap();
    let (head, _) = body.split_once("&sign=").unwrap();
    let garbage = format!("{head}&sign=not%20base64!");
    assert!(matches!(
        verify_notify(&cfg(), garbage.as_bytes()),
        Err(GatewayError::Malformed(_))
    ));
    let short = format!("{head}&sign=AAAA");
    assert_eq!(
        verify_notify(&cfg(), short.as_bytes()),
        Err(GatewayError::BadSignature)
    );
    assert_eq!(
        verify_notify(&cfg(), head.as_bytes()),
        Err(GatewayError::MissingField("sign".into()))
    );
    let rsa1 = body.replace("sign_type=RSA2", "sign_type=RSA");
    assert!(matches!(
        verify_notify(&cfg(), rsa1.as_bytes()),
        Err(GatewayError::Malformed(_))
    ));
}

#[test]
fn signed_notifications_still_need_their_fields() {
    for field in [
        "out_trade_no",
        "trade_no",
        "notify_id",
        "total_amount",
        "trade_status",
        "app_id",
    ] {
        let body = notify_body(&with(&[(field, "")]), ALIPAY);
        assert_eq!(
            verify_notify(&cfg(), &body),
            Err(GatewayError::MissingField(field.into())),
            "{field}"
        );
    }
    let body = notify_body(&with(&[("total_amount", "12.345")]), ALIPAY);
    assert!(matches!(
        verify_notify(&cfg(), &body),
        Err(GatewayError::BadAmount(_))
    ));
    let body = notify_body(&with(&[("trade_status", "TRADE_PENDING")]), ALIPAY);
    assert!(matches!(
        verify_notify(&cfg(), &body),
        Err(GatewayError::Malformed(_))
    ));
    let body = notify_body(&with(&[("charset", "gbk")]), ALIPAY);
    assert!(matches!(
        verify_notify(&cfg(), &body),
        Err(GatewayError::Malformed(_))
    ));
    let body = notify_body(
        &with(&[("gmt_payment", ""), ("trade_status", "WAIT_BUYER_PAY")]),
        ALIPAY,
    );
    let notify = verify_notify(&cfg(), &body).unwrap();
    assert_eq!(notify.gmt_payment, None);
    assert!(!notify.trade.trade_status.is_paid());
}

#[test]
fn bodies_that_are_not_forms_are_malformed() {
    let good = String::from_utf8(notify_body(&notify_params(), ALIPAY)).unwrap();
    for body in [
        br#"{"app_id":"2021000000000001"}"#.to_vec(),
        b"".to_vec(),
        b"a=%zz".to_vec(),
        b"a=%e4%b8".to_vec(),
        vec![0xff, 0xfe, b'=', b'1'],
        format!("{good}&total_amount=0.01").into_bytes(),
    ] {
        assert!(
            matches!(
                verify_notify(&cfg(), &body),
                Err(GatewayError::Malformed(_))
            ),
            "{:?}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[test]
fn missing_or_unusable_keys_are_configuration_errors() {
    let body = notify_body(&notify_params(), ALIPAY);
    let mut unset = cfg();
    unset.alipay_public_key = " ".into();
    assert_eq!(
        verify_notify(&unset, &body),
        Err(GatewayError::NotConfigured {
            gateway: "alipay",
            field: "alipay_public_key"
        })
    );
    let mut no_app = cfg();
    no_app.app_id.clear();
    assert!(matches!(
        no_app.validate(),
        Err(GatewayError::NotConfigured {
            field: "app_id",
            ..
        })
    ));
    let mut no_key = cfg();
    no_key.app_private_key_pem.clear();
    assert!(matches!(
        page_pay_url(&no_key, "SL1", 100, "x", "2024-05-01 12:00:00"),
        Err(GatewayError::NotConfigured {
            field: "app_private_key_pem",
            ..
        })
    ));
    let mut garbage = cfg();
    garbage.alipay_public_key = "MIIBIjANBgkqhkiG9w0BAQ==".into();
    assert!(matches!(
        verify_notify(&garbage, &body),
        Err(GatewayError::InvalidKey { .. })
    ));
    // A 1024-bit key is refused outright.
    let small = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
    let mut weak = cfg();
    weak.alipay_public_key = {
        use rsa::pkcs8::EncodePublicKey;
        small
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
    };
    assert!(matches!(
        verify_notify(&weak, &body),
        Err(GatewayError::InvalidKey { .. })
    ));
    assert_eq!(cfg().validate(), Ok(()));
}

/// The query parameters of a URL, as Alipay's gateway reads them.
fn query_of(url: &str) -> BTreeMap<String, String> {
    let (_, query) = url.split_once('?').unwrap();
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Alipay's check of a request: `sign` over everything else, with the app's public key.
fn check_request(params: &BTreeMap<String, String>) -> Result<()> {
    rsa_verify(
        &testkit::public(MERCHANT),
        sign_content(params).as_bytes(),
        &params["sign"],
    )
}

#[test]
fn the_payment_page_url_is_signed_by_the_app() {
    let url = page_pay_url(
        &cfg(),
        "SL20240501000001",
        1234,
        "Credits & more",
        "2024-05-01 12:00:00",
    )
    .unwrap();
    assert!(url.starts_with("https://openapi.alipay.com/gateway.do?"));
    let params = query_of(&url);
    assert_eq!(check_request(&params), Ok(()));
    assert_eq!(params["method"], "alipay.trade.page.pay");
    assert_eq!(params["app_id"], APP_ID);
    assert_eq!(params["sign_type"], "RSA2");
    assert_eq!(params["charset"], "utf-8");
    assert_eq!(params["version"], "1.0");
    assert_eq!(params["timestamp"], "2024-05-01 12:00:00");
    assert_eq!(
        params["notify_url"],
        "https://studio.example/pay/alipay/notify"
    );
    assert_eq!(params["return_url"], "https://studio.example/pay/done");
    let biz: serde_json::Value = serde_json::from_str(&params["biz_content"]).unwrap();
    assert_eq!(
        biz,
        serde_json::json!({"out_trade_no": "SL20240501000001", "total_amount": "12.34",
            "subject": "Credits & more", "product_code": "FAST_INSTANT_TRADE_PAY"})
    );
    // A changed amount no longer verifies.
    let mut tampered = params.clone();
    tampered.insert(
        "biz_content".into(),
        params["biz_content"].replace("12.34", "0.01"),
    );
    assert_eq!(check_request(&tampered), Err(GatewayError::BadSignature));
    // PKCS#1 PEM signs identically (PKCS#1 v1.5 signatures are deterministic).
    let mut pkcs1 = cfg();
    pkcs1.app_private_key_pem = testkit::private_pkcs1_pem(MERCHANT);
    let again = page_pay_url(
        &pkcs1,
        "SL20240501000001",
        1234,
        "Credits & more",
        "2024-05-01 12:00:00",
    );
    assert_eq!(again.as_deref(), Ok(url.as_str()));
    assert!(matches!(
        page_pay_url(&cfg(), "SL1", 0, "x", "2024-05-01 12:00:00"),
        Err(GatewayError::BadAmount(_))
    ));
}

/// An answer as Alipay writes it: the response object's own bytes signed, spacing and escapes kept.
fn answer(inner: &str, signer: Option<usize>) -> String {
    match signer {
        Some(who) => {
            let sign = rsa_sign(testkit::key(who), inner.as_bytes());
            format!(r#"{{"alipay_trade_query_response": {inner},"sign":"{sign}"}}"#)
        }
        None => format!(r#"{{"alipay_trade_query_response":{inner}}}"#),
    }
}

const PAID: &str = r#"{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","out_trade_no":"SL20240501000001","trade_no":"2024050122001400000000000001","trade_status":"TRADE_SUCCESS","total_amount":"88.88","note":"a\/b \u4e2d"}"#;
const NOT_EXIST: &str = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}"#;

#[test]
fn query_answers_are_verified_over_their_raw_bytes() {
    let found = parse_query_response(&cfg(), answer(PAID, Some(ALIPAY)).as_bytes()).unwrap();
    assert_eq!(
        found,
        AlipayQuery::Found(AlipayTrade {
            out_trade_no: "SL20240501000001".into(),
            trade_no: "2024050122001400000000000001".into(),
            trade_status: AlipayTradeStatus::TradeSuccess,
            total_amount_cents: 8888,
        })
    );
    let forged = answer(PAID, Some(ALIPAY)).replace("88.88", "99.99");
    assert_eq!(
        parse_query_response(&cfg(), forged.as_bytes()),
        Err(GatewayError::BadSignature)
    );
    let foreign = answer(PAID, Some(OTHER));
    assert_eq!(
        parse_query_response(&cfg(), foreign.as_bytes()),
        Err(GatewayError::BadSignature)
    );
    let unsigned = answer(PAID, None);
    assert_eq!(
        parse_query_response(&cfg(), unsigned.as_bytes()),
        Err(GatewayError::MissingField("sign".into()))
    );
    for signer in [Some(ALIPAY), None] {
        assert_eq!(
            parse_query_response(&cfg(), answer(NOT_EXIST, signer).as_bytes()),
            Ok(AlipayQuery::NotFound)
        );
    }
    let other_error = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"busy"}"#;
    assert_eq!(
        parse_query_response(&cfg(), answer(other_error, Some(ALIPAY)).as_bytes()),
        Err(GatewayError::Rejected {
            code: "40004".into(),
            sub_code: Some("ACQ.SYSTEM_ERROR".into()),
            message: "busy".into()
        })
    );
    let gateway_error = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}"#;
    assert!(matches!(
        parse_query_response(&cfg(), gateway_error.as_bytes()),
        Err(GatewayError::Rejected { code, .. }) if code == "40002"
    ));
    let no_trade_no = r#"{"code":"10000","msg":"Success","out_trade_no":"SL1","trade_status":"TRADE_SUCCESS","total_amount":"1.00"}"#;
    assert_eq!(
        parse_query_response(&cfg(), answer(no_trade_no, Some(ALIPAY)).as_bytes()),
        Err(GatewayError::MissingField(
            "alipay_trade_query_response.trade_no".into()
        ))
    );
    for body in [
        "<html>busy</html>",
        r#"{"alipay_trade_query_response":{"code":"10000""#,
        "{}",
    ] {
        assert!(
            matches!(
                parse_query_response(&cfg(), body.as_bytes()),
                Err(GatewayError::Malformed(_) | GatewayError::MissingField(_))
            ),
            "{body}"
        );
    }
}

/// A fake Alipay gateway: checks the request's signature and method, answers as Alipay does.
async fn fake_alipay() -> String {
    async fn gateway(RawQuery(query): RawQuery, body: Bytes) -> String {
        let mut params: BTreeMap<String, String> =
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        params.extend(form_urlencoded::parse(&body).into_owned());
        if check_request(&params).is_err() || params["method"] != "alipay.trade.query" {
            let inner =
                r#"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}"#;
            return format!(r#"{{"error_response":{inner}}}"#);
        }
        let biz: serde_json::Value = serde_json::from_str(&params["biz_content"]).unwrap();
        if biz["out_trade_no"] == "SL-UNKNOWN" {
            answer(NOT_EXIST, Some(ALIPAY))
        } else {
            answer(PAID, Some(ALIPAY))
        }
    }
    let app = Router::new()
        .route("/gateway.do", post(gateway))
        .route(
            "/down",
            post(|| async { (http::StatusCode::INTERNAL_SERVER_ERROR, "busy") }),
        )
        .route(
            "/cut",
            post(|| async { r#"{"alipay_trade_query_response":{"code":"10000","# }),
        );
    testkit::serve(app).await
}

#[tokio::test]
async fn query_talks_to_the_gateway() {
    let base = fake_alipay().await;
    let client = testkit::client();
    let mut cfg = cfg();
    cfg.gateway_url = format!("{base}/gateway.do");
    let ts = "2024-05-01 12:10:00";
    let found = query(&client, &cfg, "SL20240501000001", ts).await.unwrap();
    assert!(matches!(found, AlipayQuery::Found(t) if t.total_amount_cents == 8888));
    assert_eq!(
        query(&client, &cfg, "SL-UNKNOWN", ts).await,
        Ok(AlipayQuery::NotFound)
    );
    // A genuine answer about another order is not taken for this one.
    assert!(matches!(
        query(&client, &cfg, "SL-OTHER", ts).await,
        Err(GatewayError::Malformed(m)) if m.contains("SL-OTHER")
    ));

    let mut wrong_key = cfg.clone();
    wrong_key.app_private_key_pem = testkit::private_pkcs8_pem(OTHER);
    assert!(matches!(
        query(&client, &wrong_key, "SL1", ts).await,
        Err(GatewayError::Rejected { sub_code: Some(s), .. }) if s == "isv.invalid-signature"
    ));
    cfg.gateway_url = format!("{base}/down");
    assert_eq!(
        query(&client, &cfg, "SL1", ts).await,
        Err(GatewayError::Upstream {
            status: 500,
            body: "busy".into()
        })
    );
    cfg.gateway_url = format!("{base}/cut");
    assert!(matches!(
        query(&client, &cfg, "SL1", ts).await,
        Err(GatewayError::Malformed(_))
    ));
    cfg.gateway_url = testkit::closed_port().await;
    assert!(matches!(
        query(&client, &cfg, "SL1", ts).await,
        Err(GatewayError::Transport(_))
    ));
}
