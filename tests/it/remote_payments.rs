//! A linked desktop buys on its team server (issue 18): the desktop core (local mode) signed in to
//! a server-mode instance over real TCP makes the order there, gets an absolute payment page, reads
//! the order and the server balance back once the server's sandbox completes it; a refused order
//! passes through with the server's own field; an unlinked desktop is told so.
use crate::common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use storyloom::{
    config::{AuthMode, Config},
    remote::SecretStoreChoice,
};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_linked_desktop_buys_credits_on_the_team_server() {
    let server =
        TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 1000).await;
    let (_, admin) = server.register("alice").await;
    let (status, _) = server
        .call(
            Method::PATCH,
            "/api/v1/admin/config",
            Some(json!({"payment_sandbox": true})),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let desk = TestServer::start_with(AuthMode::Local, |c: &mut Config| {
        c.remote.secret_store = SecretStoreChoice::File
    })
    .await;

    let (status, unlinked) = desk
        .post(
            "/api/v1/remote/payments",
            json!({"amount_cents": 1000, "payment_method": "sandbox"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unlinked}");
    assert_error(&unlinked, "VALIDATION_ERROR", Some("server_url"));

    let (status, body) = desk
        .post(
            "/api/v1/remote/sign-in",
            json!({"server_url": server.base, "username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, gateways) = desk.get("/api/v1/remote/payments/gateways").await;
    assert_eq!(status, StatusCode::OK, "{gateways}");
    assert!(gateways.to_string().contains("sandbox"), "{gateways}");

    // The server's refusal, field and all.
    let (status, refused) = desk
        .post(
            "/api/v1/remote/payments",
            json!({"amount_cents": 1000, "payment_method": "sandbox", "coupon_code": "NOPE"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_error(&refused, "VALIDATION_ERROR", Some("coupon_code"));
    let (status, bad) = desk
        .post("/api/v1/remote/payments", json!({"kind": "lottery"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&bad, "VALIDATION_ERROR", Some("kind"));

    let (status, order) = desk
        .post(
            "/api/v1/remote/payments",
            json!({"amount_cents": 1000, "payment_method": "sandbox"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let url = order["payment_url"].as_str().unwrap();
    assert!(
        url.starts_with(&server.base),
        "absolute on the server, for the system browser: {url}"
    );
    let id = order["order_id"].as_str().unwrap();
    let (_, pending) = desk.get(&format!("/api/v1/remote/payments/{id}")).await;
    assert_eq!(pending["status"], "pending", "{pending}");
    let (status, _) = desk.get("/api/v1/remote/payments/..%2Fadmin").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an id is only an id"
    );

    // Paid on the server (its sandbox, completed by its admin): the desktop reads it back.
    let (status, _) = server
        .call(
            Method::POST,
            "/api/v1/credit/payment/callback",
            Some(json!({"order_id": id, "payment_method": "sandbox",
                        "transaction_id": "T1", "status": "success"})),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, paid) = desk.get(&format!("/api/v1/remote/payments/{id}")).await;
    assert_eq!(paid["status"], "paid", "{paid}");
    let (status, balance) = desk.get("/api/v1/remote/credits").await;
    assert_eq!(status, StatusCode::OK, "{balance}");
    assert_eq!(balance["available"], 100, "{balance}");
    // The desktop's own ledger took nothing: it never sells credits.
    let (_, local) = desk.get("/api/v1/credit/transactions?type=recharge").await;
    assert_eq!(local["total"], 0, "{local}");
}
