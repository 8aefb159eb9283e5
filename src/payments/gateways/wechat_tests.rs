//! WeChat Pay's side is played with a platform key pair and certificate made here: callbacks are
//! sealed and signed as WeChat Pay does, requests' Authorization checked as it checks them.
use std::{
    sync::OnceLock,
    time::{Duration, SystemTime},
};

use axum::{body::Bytes, response::IntoResponse, Router};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use rsa::pkcs1v15::SigningKey;
use sha2::Sha256;
use x509_cert::{
    builder::{Builder, CertificateBuilder, Profile},
    der::EncodePem,
    name::Name,
    serial_number::SerialNumber,
    spki::SubjectPublicKeyInfoOwned,
    time::{Time, Validity},
};

use super::*;
use crate::payments::gateways::{
    rsa_verify,
    testkit::{self, GATEWAY as PLATFORM, MERCHANT, OTHER},
};

const MCHID: &str = "1900000001";
const APPID: &str = "wxd678efh567hg6787";
const API_V3_KEY: &str = "0123456789abcdef0123456789ABCDEF";
const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
/// 2024-05-01 04:00:00 UTC.
const NOW: i64 = 1_714_536_000;
const ORDER: &str = "SL20240501000001";

/// A platform certificate for `key`, valid 2020-01-01 to 2030-01-01.
fn certificate(serial: &[u8], key: usize) -> String {
    let unix =
        |secs: u64| Time::try_from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)).unwrap();
    let validity = Validity {
        not_before: unix(1_577_836_800),
        not_after: unix(1_893_456_000),
    };
    let subject: Name = "CN=Tenpay.com Root CA,O=Tenpay.com".parse().unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_key(testkit::public(key)).unwrap();
    let signer = SigningKey::<Sha256>::new(testkit::key(key).clone());
    let builder = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::new(serial).unwrap(),
        validity,
        subject,
        spki,
        &signer,
    )
    .unwrap();
    let cert = builder.build::<rsa::pkcs1v15::Signature>().unwrap();
    cert.to_pem(x509_cert::der::pem::LineEnding::LF).unwrap()
}

fn platform_key() -> PlatformKey {
    static CERT: OnceLock<String> = OnceLock::new();
    let pem = CERT.get_or_init(|| certificate(&hex::decode(SERIAL).unwrap(), PLATFORM));
    PlatformKey::from_certificate_pem(pem).unwrap()
}

fn cfg() -> WechatConfig {
    WechatConfig {
        mchid: MCHID.into(),
        appid: APPID.into(),
        merchant_serial_no: "3775B6A45ACD588826D15E583A95F5DD00000001".into(),
        merchant_private_key_pem: testkit::private_pkcs8_pem(MERCHANT),
        api_v3_key: API_V3_KEY.into(),
        platform: vec![platform_key()],
        notify_url: "https://studio.example/pay/wechat/notify".into(),
        ..WechatConfig::default()
    }
}

fn paid_transaction(mchid: &str, appid: &str) -> String {
    serde_json::json!({
        "appid": appid, "mchid": mchid, "out_trade_no": "SL20240501000001",
        "transaction_id": "4200000000202405010000000001", "trade_type": "NATIVE",
        "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
        "success_time": "2024-05-01T12:00:04+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 8888, "payer_total": 8800, "currency": "CNY", "payer_currency": "CNY"},
    })
    .to_string()
}

/// A callback body as WeChat Pay builds it around a sealed `plaintext`.
fn callback_body(plaintext: &str, original_type: &str, key: &str, aad: &str) -> Vec<u8> {
    let nonce = "fdasflkja484";
    serde_json::json!({
        "id": "EV-2018022511223320873", "create_time": "2024-05-01T12:00:05+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {
            "original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": encrypt_resource(key, plaintext.as_bytes(), nonce, aad).unwrap(),
            "associated_data": aad, "nonce": nonce,
        },
    })
    .to_string()
    .into_bytes()
}

fn signed_headers(body: &[u8], timestamp: i64, signer: usize, serial: &str) -> HeaderMap {
    let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
    let signature = sign_callback(testkit::key(signer), body, timestamp, nonce);
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("Wechatpay-Serial", serial.to_string()),
        ("Wechatpay-Timestamp", timestamp.to_string()),
        ("Wechatpay-Nonce", nonce.to_string()),
        ("Wechatpay-Signature", signature),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    headers
}

fn good_body() -> Vec<u8> {
    callback_body(
        &paid_transaction(MCHID, APPID),
        "transaction",
        API_V3_KEY,
        "transaction",
    )
}

fn verify(body: &[u8], headers: &HeaderMap) -> Result<WechatNotify> {
    verify_callback(&cfg(), headers, body, NOW)
}

#[test]
fn platform_keys_come_from_certificates_or_public_keys() {
    let key = platform_key();
    assert_eq!(key.serial, SERIAL);
    assert_eq!(
        (key.not_before, key.not_after),
        (Some(1_577_836_800), Some(1_893_456_000))
    );
    assert_eq!(key.public_key, testkit::public(PLATFORM));
    // A serial with its high bit set is DER-encoded with a sign byte WeChat Pay does not write.
    let high =
        PlatformKey::from_certificate_pem(&certificate(&[0x9A, 0x01, 0xBC], PLATFORM)).unwrap();
    assert_eq!(high.serial, "9A01BC");
    let id = "PUB_KEY_ID_0114232134912410000000000000";
    let pk = PlatformKey::from_public_key_pem(id, &testkit::public_pem(PLATFORM)).unwrap();
    assert_eq!((pk.serial.as_str(), pk.not_after), (id, None));
    assert!(matches!(
        PlatformKey::from_certificate_pem("not a cert"),
        Err(GatewayError::InvalidKey { .. })
    ));
    assert!(same_serial("0ABC", "abc") && !same_serial("ABC", "ABD"));
}

#[test]
fn requests_are_signed_by_the_merchant() {
    let body = r#"{"a":1}"#;
    let auth = authorization(
        &cfg(),
        "POST",
        "/v3/pay/transactions/native",
        body,
        NOW,
        "abc123",
    )
    .unwrap();
    let params = parse_authorization(&auth).unwrap();
    assert_eq!(params["mchid"], MCHID);
    assert_eq!(params["nonce_str"], "abc123");
    assert_eq!(params["timestamp"], NOW.to_string());
    assert_eq!(
        params["serial_no"],
        "3775B6A45ACD588826D15E583A95F5DD00000001"
    );
    let message = format!("POST\n/v3/pay/transactions/native\n{NOW}\nabc123\n{body}\n");
    assert_eq!(
        rsa_verify(
            &testkit::public(MERCHANT),
            message.as_bytes(),
            &params["signature"]
        ),
        Ok(())
    );
    assert!(matches!(
        authorization(&cfg(), "GET", "/v3/x", "", NOW, "a\"b"),
        Err(GatewayError::Malformed(_))
    ));
}

#[test]
fn a_genuine_callback_is_decrypted_and_read() {
    let body = good_body();
    let notify = verify(&body, &signed_headers(&body, NOW, PLATFORM, SERIAL)).unwrap();
    assert_eq!(notify.event_id, "EV-2018022511223320873");
    assert_eq!(notify.event_type, "TRANSACTION.SUCCESS");
    let tx = notify.transaction;
    assert_eq!(tx.trade_state, WechatTradeState::Success);
    assert_eq!(
        (tx.out_trade_no.as_str(), tx.transaction_id.as_deref()),
        ("SL20240501000001", Some("4200000000202405010000000001"))
    );
    assert_eq!(
        tx.amount,
        Some(WechatAmount {
            total: 8888,
            payer_total: Some(8800),
            currency: "CNY".into()
        })
    );
    assert_eq!(
        tx.success_time.as_deref(),
        Some("2024-05-01T12:00:04+08:00")
    );
    // The edges of the window, and a serial written in lower case.
    for ts in [NOW - 300, NOW + 300] {
        assert!(verify(
            &body,
            &signed_headers(&body, ts, PLATFORM, &SERIAL.to_lowercase())
        )
        .is_ok());
    }
    // The WeChat Pay public key instead of a certificate.
    let id = "PUB_KEY_ID_0114232134912410000000000000";
    let mut by_id = cfg();
    by_id.platform =
        vec![PlatformKey::from_public_key_pem(id, &testkit::public_pem(PLATFORM)).unwrap()];
    assert!(verify_callback(
        &by_id,
        &signed_headers(&body, NOW, PLATFORM, id),
        &body,
        NOW
    )
    .is_ok());
}

#[test]
fn tampered_or_foreign_signatures_are_refused() {
    let body = good_body();
    let headers = signed_headers(&body, NOW, PLATFORM, SERIAL);
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("EV-2018", "EV-2019");
    assert_eq!(
        verify(tampered.as_bytes(), &headers),
        Err(GatewayError::BadSignature)
    );
    let foreign = signed_headers(&body, NOW, OTHER, SERIAL);
    assert_eq!(verify(&body, &foreign), Err(GatewayError::BadSignature));
    let mut garbage = headers.clone();
    garbage.insert(
        "Wechatpay-Signature",
        HeaderValue::from_static("WECHATPAY/SIGNTEST/!!"),
    );
    assert!(matches!(
        verify(&body, &garbage),
        Err(GatewayError::Malformed(_))
    ));
    assert_eq!(
        verify(
            &body,
            &signed_headers(
                &body,
                NOW,
                PLATFORM,
                "7132D72A03E93CDDF8C03BBD1F37EEDF00000001"
            )
        ),
        Err(GatewayError::UnknownSerial(
            "7132D72A03E93CDDF8C03BBD1F37EEDF00000001".into()
        ))
    );
}

#[test]
fn stale_callbacks_are_refused_both_ways() {
    let body = good_body();
    for ts in [NOW - 301, NOW + 301] {
        assert_eq!(
            verify(&body, &signed_headers(&body, ts, PLATFORM, SERIAL)),
            Err(GatewayError::StaleTimestamp {
                timestamp: ts,
                now: NOW
            })
        );
    }
    // After the certificate expires, nothing it signed is taken.
    let later = 1_893_456_001;
    assert_eq!(
        verify_callback(
            &cfg(),
            &signed_headers(&body, later, PLATFORM, SERIAL),
            &body,
            later
        ),
        Err(GatewayError::CertificateNotValid {
            serial: SERIAL.into()
        })
    );
}

#[test]
fn every_signature_header_is_required() {
    let body = good_body();
    for name in [
        "Wechatpay-Serial",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
    ] {
        let mut headers = signed_headers(&body, NOW, PLATFORM, SERIAL);
        headers.remove(name);
        assert_eq!(
            verify(&body, &headers),
            Err(GatewayError::MissingField(format!("header {name}")))
        );
    }
    let mut headers = signed_headers(&body, NOW, PLATFORM, SERIAL);
    headers.insert("Wechatpay-Timestamp", HeaderValue::from_static("soon"));
    assert!(matches!(
        verify(&body, &headers),
        Err(GatewayError::Malformed(_))
    ));
}

#[test]
fn another_merchants_transaction_is_refused() {
    for (tx, field) in [
        (paid_transaction("1900009999", APPID), "mchid"),
        (paid_transaction(MCHID, "wx0000000000000000"), "appid"),
    ] {
        let body = callback_body(&tx, "transaction", API_V3_KEY, "transaction");
        let headers = signed_headers(&body, NOW, PLATFORM, SERIAL);
        assert_eq!(
            verify(&body, &headers),
            Err(GatewayError::WrongMerchant { field })
        );
    }
}

/// Signs `body` properly, so that only what is inside it can be wrong.
fn verify_signed_body(body: &[u8]) -> Result<WechatNotify> {
    verify(body, &signed_headers(body, NOW, PLATFORM, SERIAL))
}

#[test]
fn sealed_resources_must_open() {
    let tx = paid_transaction(MCHID, APPID);
    let other_key = "ffffffffffffffffffffffffffffffff";
    let wrong_key = callback_body(&tx, "transaction", other_key, "transaction");
    assert_eq!(verify_signed_body(&wrong_key), Err(GatewayError::Decrypt));

    let mut doc: serde_json::Value = serde_json::from_slice(&good_body()).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut d = doc.clone();
        f(&mut d);
        d.to_string().into_bytes()
    };
    let flip_tag = edit(&|d| {
        let mut raw = B64
            .decode(d["resource"]["ciphertext"].as_str().unwrap())
            .unwrap();
        *raw.last_mut().unwrap() ^= 1;
        d["resource"]["ciphertext"] = B64.encode(raw).into();
    });
    assert_eq!(verify_signed_body(&flip_tag), Err(GatewayError::Decrypt));
    let other_aad = edit(&|d| d["resource"]["associated_data"] = "certificate".into());
    assert_eq!(verify_signed_body(&other_aad), Err(GatewayError::Decrypt));
    let not_b64 = edit(&|d| d["resource"]["ciphertext"] = "%%%".into());
    assert!(matches!(
        verify_signed_body(&not_b64),
        Err(GatewayError::Malformed(_))
    ));
    let short_nonce = edit(&|d| d["resource"]["nonce"] = "abc".into());
    assert!(matches!(
        verify_signed_body(&short_nonce),
        Err(GatewayError::Malformed(_))
    ));
    let other_alg = edit(&|d| d["resource"]["algorithm"] = "AEAD_SM4_GCM".into());
    assert!(matches!(
        verify_signed_body(&other_alg),
        Err(GatewayError::Malformed(_))
    ));
    let no_ciphertext = edit(&|d| {
        d["resource"].as_object_mut().unwrap().remove("ciphertext");
    });
    assert_eq!(
        verify_signed_body(&no_ciphertext),
        Err(GatewayError::MissingField(
            "callback resource.ciphertext".into()
        ))
    );
    doc["resource"]["original_type"] = "refund".into();
    assert!(matches!(
        verify_signed_body(doc.to_string().as_bytes()),
        Err(GatewayError::UnsupportedEvent(_))
    ));
    assert!(matches!(
        verify_signed_body(b"<xml>v2</xml>"),
        Err(GatewayError::Malformed(_))
    ));
    let unknown_state = paid_transaction(MCHID, APPID).replace("\"SUCCESS\"", "\"PENDING\"");
    let body = callback_body(&unknown_state, "transaction", API_V3_KEY, "transaction");
    assert!(matches!(
        verify_signed_body(&body),
        Err(GatewayError::Malformed(_))
    ));
    let no_id = paid_transaction(MCHID, APPID).replace("transaction_id", "tx_id");
    let body = callback_body(&no_id, "transaction", API_V3_KEY, "transaction");
    assert_eq!(
        verify_signed_body(&body),
        Err(GatewayError::MissingField(
            "transaction transaction_id".into()
        ))
    );
}

#[test]
fn unconfigured_merchants_take_no_callbacks() {
    let body = good_body();
    let headers = signed_headers(&body, NOW, PLATFORM, SERIAL);
    let mut no_key = cfg();
    no_key.api_v3_key.clear();
    assert_eq!(
        verify_callback(&no_key, &headers, &body, NOW),
        Err(GatewayError::NotConfigured {
            gateway: "wechat",
            field: "api_v3_key"
        })
    );
    no_key.api_v3_key = API_V3_KEY[1..].into();
    assert!(matches!(
        verify_callback(&no_key, &headers, &body, NOW),
        Err(GatewayError::InvalidKey { .. })
    ));
    let mut no_platform = cfg();
    no_platform.platform.clear();
    assert_eq!(
        verify_callback(&no_platform, &headers, &body, NOW),
        Err(GatewayError::NotConfigured {
            gateway: "wechat",
            field: "platform"
        })
    );
    assert_eq!(cfg().validate(), Ok(()));
}

/// `WECHATPAY2-SHA256-RSA2048 k="v",…` as a map.
fn parse_authorization(value: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let params = value.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    params
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((
                k.to_string(),
                v.strip_prefix('"')?.strip_suffix('"')?.to_string(),
            ))
        })
        .collect()
}

/// A fake WeChat Pay: the first path segment picks its behaviour, the rest is the API path.
async fn fake_wechat(
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let path_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let (mode, api_path) = path_query[1..].split_once('/').unwrap_or(("", ""));
    let api_path = format!("/{api_path}");
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_authorization);
    let sign_error = (
        StatusCode::UNAUTHORIZED,
        r#"{"code":"SIGN_ERROR","message":"签名错误"}"#,
    );
    let Some(auth) = auth.filter(|a| a["mchid"] == MCHID) else {
        return sign_error.into_response();
    };
    let body_text = String::from_utf8_lossy(&body);
    let (ts, nonce) = (&auth["timestamp"], &auth["nonce_str"]);
    let message = format!("{method}\n{api_path}\n{ts}\n{nonce}\n{body_text}\n");
    let merchant = testkit::public(MERCHANT);
    if rsa_verify(&merchant, message.as_bytes(), &auth["signature"]).is_err()
        || headers.get("user-agent").is_none()
    {
        return sign_error.into_response();
    }
    let (status, answer) = if api_path == "/v3/pay/transactions/native" {
        let order: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let expect = serde_json::json!({"appid": APPID, "mchid": MCHID, "description": "Storyloom credits",
            "out_trade_no": ORDER, "notify_url": "https://studio.example/pay/wechat/notify",
            "amount": {"total": 8888, "currency": "CNY"}});
        assert_eq!(order, expect);
        (
            StatusCode::OK,
            r#"{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}"#.to_string(),
        )
    } else if api_path == format!("/v3/pay/transactions/out-trade-no/{ORDER}?mchid={MCHID}") {
        (StatusCode::OK, paid_transaction(MCHID, APPID))
    } else {
        (
            StatusCode::NOT_FOUND,
            r#"{"code":"ORDER_NOT_EXIST","message":"订单不存在"}"#.to_string(),
        )
    };
    let timestamp: i64 = auth["timestamp"].parse().unwrap();
    let (status, answer, signer) = match mode {
        "down" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"code":"SYSTEM_ERROR","message":"系统错误"}"#.into(),
            Some(PLATFORM),
        ),
        "cut" => (
            status,
            answer[..answer.len() / 2].to_string(),
            Some(PLATFORM),
        ),
        "forged" => (status, answer, Some(OTHER)),
        "unsigned" => (status, answer, None),
        _ => (status, answer, Some(PLATFORM)),
    };
    let mut response = (status, answer.clone()).into_response();
    if let Some(signer) = signer {
        response
            .headers_mut()
            .extend(signed_headers(answer.as_bytes(), timestamp, signer, SERIAL));
    }
    response
}

/// A Native payment of 88.88 for the usual order.
async fn pay(client: &reqwest::Client, cfg: &WechatConfig) -> Result<String> {
    native_pay(client, cfg, ORDER, 8888, "Storyloom credits", NOW, "n1").await
}

#[tokio::test]
async fn native_pay_and_query_talk_to_the_gateway() {
    let base = testkit::serve(Router::new().fallback(fake_wechat)).await;
    let client = &testkit::client();
    let at = |mode: &str| WechatConfig {
        base_url: format!("{base}/{mode}"),
        ..cfg()
    };
    let ok = at("ok");
    assert_eq!(
        pay(client, &ok).await.as_deref(),
        Ok("weixin://wxpay/bizpayurl?pr=p4lpSuKzz")
    );
    let found = query(client, &ok, ORDER, NOW, "n2").await.unwrap();
    assert!(
        matches!(found, WechatQuery::Found(tx) if tx.amount.as_ref().map(|a| a.total) == Some(8888))
    );
    assert_eq!(
        query(client, &ok, "SL2024|unknown", NOW, "n3").await,
        Ok(WechatQuery::NotFound)
    );
    let unsigned = query(client, &at("unsigned"), ORDER, NOW, "n4").await;
    assert!(matches!(unsigned, Ok(WechatQuery::Found(_))));

    let other_key = testkit::private_pkcs8_pem(OTHER);
    let wrong_key = WechatConfig {
        merchant_private_key_pem: other_key,
        ..ok.clone()
    };
    assert!(matches!(
        pay(client, &wrong_key).await,
        Err(GatewayError::Upstream { status: 401, .. })
    ));
    assert_eq!(
        pay(client, &at("forged")).await,
        Err(GatewayError::BadSignature)
    );
    assert!(matches!(
        pay(client, &at("down")).await,
        Err(GatewayError::Upstream { status: 500, body }) if body.contains("SYSTEM_ERROR")
    ));
    assert!(matches!(
        pay(client, &at("cut")).await,
        Err(GatewayError::Malformed(_))
    ));
    let cut_query = query(client, &at("cut"), ORDER, NOW, "n9").await;
    assert!(matches!(cut_query, Err(GatewayError::Malformed(_))));
    // The body ends before its Content-Length: the connection's fault, said so.
    let raw = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{\"code_url\":\"weixin://";
    let short = WechatConfig {
        base_url: testkit::serve_raw(raw).await,
        ..cfg()
    };
    assert!(matches!(
        pay(client, &short).await,
        Err(GatewayError::Transport(_))
    ));
    // Refused before anything is sent.
    let bad_no = native_pay(client, &ok, "SL1", 8888, "x", NOW, "n").await;
    assert!(matches!(bad_no, Err(GatewayError::Malformed(_))));
    let zero = native_pay(client, &ok, ORDER, 0, "x", NOW, "n").await;
    assert!(matches!(zero, Err(GatewayError::BadAmount(_))));
    let no_mchid = WechatConfig {
        mchid: String::new(),
        ..cfg()
    };
    assert!(matches!(
        query(client, &no_mchid, ORDER, NOW, "n").await,
        Err(GatewayError::NotConfigured { field: "mchid", .. })
    ));
}
