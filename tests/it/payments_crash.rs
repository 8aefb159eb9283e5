//! A real `storyloom serve` dies (SIGKILL) after an Alipay notification's transaction committed
//! and before it answered `success` (the moment the gateway cannot tell from a lost request). Alipay
//! retries; the restarted server finds the event it applied, answers `success`, and credits
//! nothing more: the order is paid once, the wallet holds its 100 credits once.
#![cfg(all(feature = "server", target_os = "linux"))]
use std::path::Path;

use serde_json::{json, Value};

use crate::payments_gateways::{
    alipay_notify, private_pem, public_pem, ALIPAY_APP, GATEWAY, MERCHANT,
};

fn start(data_dir: &Path, crash: bool) -> (std::process::Child, String) {
    crate::common::spawn_serve(|c| {
        c.args(["--auth", "local", "--data-dir"]).arg(data_dir);
        c.env("STORYLOOM_PUBLIC_URL", "https://studio.example")
            .env("STORYLOOM_ALIPAY_APP_ID", ALIPAY_APP)
            .env("STORYLOOM_ALIPAY_SELLER_ID", "2088000000000001")
            .env("STORYLOOM_ALIPAY_PRIVATE_KEY", private_pem(MERCHANT))
            .env("STORYLOOM_ALIPAY_PUBLIC_KEY", public_pem(GATEWAY))
            // Never reached: the reconciler waits two minutes before asking.
            .env("STORYLOOM_ALIPAY_GATEWAY", "http://127.0.0.1:9/gateway.do");
        if crash {
            c.env("STORYLOOM_TEST_CRASH", "alipay_callback_committed");
        }
    })
}

fn in_db(data: &Path) -> (String, i64, i64) {
    let c = rusqlite::Connection::open(data.join("storyloom.db")).unwrap();
    let status: String = c
        .query_row("SELECT status FROM payment_orders", [], |r| r.get(0))
        .unwrap();
    let events: i64 = c
        .query_row("SELECT COUNT(*) FROM payment_events", [], |r| r.get(0))
        .unwrap();
    let credits: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM ledger_transfers WHERE kind = 'recharge'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (status, events, credits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_before_answering_a_committed_callback_credits_once_after_the_retry() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let (mut server, base) = start(data.path(), true);
    let res = client
        .post(format!("{base}/api/v1/credit/recharge"))
        .json(&json!({"amount_cents": 1000, "payment_method": "alipay"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.unwrap();
    let order: Value = client
        .get(format!(
            "{base}/api/v1/payments/status/{}",
            order["order_id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notify = alipay_notify(
        order["out_trade_no"].as_str().unwrap(),
        "10.00",
        ALIPAY_APP,
        "notify-1",
        GATEWAY,
    );
    let url = format!("{base}/api/v1/payments/callback/alipay");
    // The server dies mid-request: Alipay sees no answer.
    let lost = client.post(&url).body(notify.clone()).send().await;
    assert!(lost.is_err(), "the server answered: {lost:?}");
    let status = server.wait().unwrap();
    assert!(!status.success());
    // What committed before it died: the order paid, its event, one credit.
    assert_eq!(in_db(data.path()), ("paid".into(), 1, 1));

    // Alipay retries the same notification against the restarted server.
    let (mut server, base) = start(data.path(), false);
    let url = format!("{base}/api/v1/payments/callback/alipay");
    for _ in 0..3 {
        let res = client.post(&url).body(notify.clone()).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "success");
    }
    assert_eq!(in_db(data.path()), ("paid".into(), 1, 1));
    let balance: Value = client
        .get(format!("{base}/api/v1/billing/balance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(balance["available"], 100, "{balance}");
    server.kill().unwrap();
    server.wait().unwrap();
}
