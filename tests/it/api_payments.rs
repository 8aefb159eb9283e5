//! Payments (issue 18, docs/API-PAYMENTS.md) over real TCP: orders, the sandbox gateway end to
//! end, and the exactly-once crediting every gateway's events go through.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::{config::AuthMode, ledger};

use crate::common::{assert_error, TestServer};

struct People {
    s: TestServer,
    /// The instance admin (the first to register).
    admin: String,
    buyer: String,
    buyer_id: String,
}

async fn people() -> People {
    // Many people sign up in one test (the coupon rush).
    let s = TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 1000).await;
    let (_, admin) = s.register("ann").await;
    let (buyer_id, buyer) = s.register("bob").await;
    People {
        s,
        admin,
        buyer,
        buyer_id,
    }
}

impl People {
    async fn call(
        &self,
        who: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.s
            .call(method, path, body, &[("authorization", who)])
            .await
    }

    async fn enable_sandbox(&self) {
        let (status, body) = self
            .call(
                &self.admin,
                Method::PATCH,
                "/api/v1/admin/config",
                Some(json!({"payment_sandbox": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["payment_sandbox"], true);
    }

    async fn complete(
        &self,
        order_id: &str,
        transaction_id: &str,
        status: &str,
    ) -> (StatusCode, Value) {
        self.call(
            &self.admin,
            Method::POST,
            "/api/v1/credit/payment/callback",
            Some(json!({"order_id": order_id, "payment_method": "sandbox",
                        "transaction_id": transaction_id, "status": status})),
        )
        .await
    }

    async fn balance(&self) -> i64 {
        ledger::balance(&self.s.state, &self.buyer_id)
            .await
            .unwrap()
            .available
    }
}

/// A sandbox recharge: refused while the sandbox is off; once an admin enables it, an order for
/// ¥10.00 credits 100 exactly once however many times (and however concurrently) its completion
/// arrives; the order, the history and the transactions show it.
#[tokio::test]
async fn a_sandbox_recharge_credits_exactly_once() {
    let p = people().await;
    let recharge = json!({"amount": 10.00, "payment_method": "sandbox"});
    let (status, body) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/credit/recharge",
            Some(recharge.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("payment_method"));
    assert!(body["detail"].as_str().unwrap().contains("payment_sandbox"));

    let sandbox = |g: &Value| {
        g.as_array()
            .unwrap()
            .iter()
            .find(|x| x["gateway"] == "sandbox")
            .unwrap()["available"]
            .clone()
    };
    let (_, gateways) = p
        .call(&p.buyer, Method::GET, "/api/v1/payments/gateways", None)
        .await;
    assert_eq!(sandbox(&gateways), false);
    p.enable_sandbox().await;
    let (_, gateways) = p
        .call(&p.buyer, Method::GET, "/api/v1/payments/gateways", None)
        .await;
    assert_eq!(sandbox(&gateways), true);
    assert_eq!(
        gateways[0],
        json!({"gateway": "alipay", "available": false, "sandbox": false})
    );
    let (status, order) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/credit/recharge",
            Some(recharge),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["amount"], "10.00");
    assert_eq!(order["amount_cents"], 1000);
    assert_eq!(order["credits"], 100);
    assert_eq!(order["status"], "pending");
    let id = order["order_id"].as_str().unwrap().to_string();
    assert_eq!(order["payment_url"], format!("/#/pay/sandbox/{id}"));

    // Only an admin completes a sandbox order.
    let (status, _) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/credit/payment/callback",
            Some(json!({"order_id": id, "payment_method": "sandbox", "transaction_id": "T1", "status": "success"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(p.balance().await, 0);

    // Ten copies of one completion and five others for the same order, all at once.
    let calls = (0..15).map(|i| {
        let tx = if i < 10 {
            "T1".to_string()
        } else {
            format!("T{i}")
        };
        let p = &p;
        let id = id.clone();
        async move { p.complete(&id, &tx, "success").await }
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut credited = 0;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body["order"]["status"], "paid");
        if body["result"] == "credited" {
            credited += 1;
        } else {
            assert_eq!(body["result"], "already_done", "{body}");
        }
    }
    assert_eq!(credited, 1);
    assert_eq!(p.balance().await, 100);

    let (status, paid) = p
        .call(
            &p.buyer,
            Method::GET,
            &format!("/api/v1/payments/status/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(paid["status"], "paid");
    assert!(paid["transfer_id"].is_string());
    assert!(paid["paid_at"].is_string());
    let (_, history) = p
        .call(
            &p.buyer,
            Method::GET,
            "/api/v1/credit/recharge/orders?page_size=5",
            None,
        )
        .await;
    assert_eq!(history["total"], 1);
    assert_eq!(history["items"][0]["id"], id);
    let (_, txs) = p
        .call(
            &p.buyer,
            Method::GET,
            "/api/v1/credit/transactions?kind=recharge",
            None,
        )
        .await;
    assert_eq!(txs["total"], 1, "{txs}");
    assert_eq!(txs["items"][0]["amount"], 100);
    assert_eq!(txs["items"][0]["type"], "recharge");
    let (_, only) = p
        .call(
            &p.buyer,
            Method::GET,
            "/api/v1/credit/transactions?type=recharge",
            None,
        )
        .await;
    assert_eq!(only["total"], 1, "{only}");

    // Failing a paid order changes nothing; another person's order is not found.
    let (status, body) = p.complete(&id, "T99", "failed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["order"]["status"], "paid");
    let (status, _) = p
        .call(
            &p.admin,
            Method::GET,
            &format!("/api/v1/payments/status/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(p.balance().await, 100);
    let report = ledger::reconcile::reconcile(&p.s.state, false)
        .await
        .unwrap();
    assert!(report.success, "{:?}", report.issues);
}

/// Bad orders are refused naming their field; real gateways without settings fail closed.
#[tokio::test]
async fn orders_are_checked_and_unconfigured_gateways_fail_closed() {
    let p = people().await;
    p.enable_sandbox().await;
    for (body, field) in [
        (
            json!({"amount": 10.001, "payment_method": "sandbox"}),
            "amount",
        ),
        (
            json!({"amount_cents": 50, "payment_method": "sandbox"}),
            "amount",
        ),
        (
            json!({"amount_cents": 1000, "payment_method": "paypal"}),
            "payment_method",
        ),
        (json!({"payment_method": "sandbox"}), "amount_cents"),
        (
            json!({"amount_cents": 1000, "payment_method": "sandbox", "coupon_code": "NOPE"}),
            "coupon_code",
        ),
    ] {
        let (status, answer) = p
            .call(
                &p.buyer,
                Method::POST,
                "/api/v1/credit/recharge",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_error(&answer, "VALIDATION_ERROR", Some(field));
    }
    for gateway in ["alipay", "wechat", "stripe"] {
        let (status, answer) = p
            .call(
                &p.buyer,
                Method::POST,
                "/api/v1/credit/recharge",
                Some(json!({"amount_cents": 1000, "payment_method": gateway})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{gateway}: {answer}"
        );
        assert_error(&answer, "VALIDATION_ERROR", Some("payment_method"));
    }
    // A callback to a gateway with no settings is refused without being read (404: there is no
    // such gateway here, so the sender is told so, not to retry later).
    for gateway in ["alipay", "wechat", "stripe"] {
        let res =
            p.s.client
                .post(p.s.url(&format!("/api/v1/payments/callback/{gateway}")))
                .body("trade_status=TRADE_SUCCESS&out_trade_no=x&total_amount=10.00")
                .send()
                .await
                .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{gateway}");
    }
    let (status, body) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/payments/create?plan_id=credits_999&provider=sandbox",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("plan_id"));
    let (status, body) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/billing/payments",
            Some(json!({"amount": 100.00, "currency": "USD", "payment_method": "wechat_pay"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("currency"));
    let (_, history) = p
        .call(
            &p.buyer,
            Method::GET,
            "/api/v1/credit/recharge/orders",
            None,
        )
        .await;
    assert_eq!(history["total"], 0, "no refused request made an order");
}

/// A membership paid at a gateway: `POST /credit/membership` answers an order (202); when it is
/// paid the person is a member; seed 000's plan form makes the same kind of order.
#[tokio::test]
async fn a_membership_paid_in_the_sandbox_makes_a_member() {
    let p = people().await;
    p.enable_sandbox().await;
    let (status, order) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/credit/membership",
            Some(json!({"membership_type": "monthly", "payment_method": "sandbox"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{order}");
    assert_eq!(order["amount_cents"], 990);
    assert_eq!(order["credits"], 0);
    let id = order["order_id"].as_str().unwrap().to_string();
    let (_, before) = p
        .call(&p.buyer, Method::GET, "/api/v1/credit/balance", None)
        .await;
    assert_eq!(before["is_member"], false, "{before}");
    let (status, done) = p.complete(&id, "M1", "success").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["result"], "credited");
    assert!(done["order"]["plan_id"].is_string());
    let (_, after) = p
        .call(&p.buyer, Method::GET, "/api/v1/credit/balance", None)
        .await;
    assert_eq!(after["is_member"], true, "{after}");
    assert_eq!(after["membership_type"], "monthly");
    assert_eq!(
        p.balance().await,
        0,
        "a membership bought with money costs no credits"
    );
    let (_, list) = p
        .call(
            &p.buyer,
            Method::GET,
            "/api/v1/credit/membership/orders",
            None,
        )
        .await;
    assert_eq!(list["items"][0]["status"], "paid");

    let (status, order) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/payments/create?plan_id=membership_yearly&provider=sandbox",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["amount_cents"], 9900);
    assert_eq!(order["billing_id"], order["order_id"]);
    // A failed completion fails the order; no membership is added.
    let id = order["order_id"].as_str().unwrap();
    let (_, failed) = p.complete(id, "M2", "failed").await;
    assert_eq!(failed["order"]["status"], "failed");
    let (_, plans) = p
        .call(&p.buyer, Method::GET, "/api/v1/payments/plans", None)
        .await;
    assert!(plans
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["plan_id"] == "credits_100"));
}

/// Coupons: an admin makes them; a person claims one and uses it on a recharge (10 % off, the
/// credits at the list price), once; a coupon with one use left given to fifty concurrent orders
/// is applied exactly once; an order that expires gives its coupon back.
#[tokio::test]
async fn coupons_apply_once_and_come_back_when_an_order_expires() {
    let p = people().await;
    p.enable_sandbox().await;
    let coupon = |code: &str, kind: &str, value: f64, max_usage: i64| {
        json!({"code": code, "name": format!("Coupon {code}"), "type": kind, "value": value,
               "min_amount": 10.0, "max_usage": max_usage,
               "valid_from": "2026-01-01T00:00:00", "valid_until": "2026-12-31T23:59:59"})
    };
    let (status, _) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/operation/coupons",
            Some(coupon("X", "discount", 10.0, 5)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only an admin makes coupons");
    for (body, field) in [
        (coupon("BAD", "discount", 100.0, 5), "value"),
        (coupon("BAD", "deduction", 0.001, 5), "value"),
        (coupon("BAD", "discount", 10.0, 0), "max_usage"),
        (coupon("has space", "discount", 10.0, 5), "code"),
    ] {
        let (status, answer) = p
            .call(
                &p.admin,
                Method::POST,
                "/api/v1/operation/coupons",
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_error(&answer, "VALIDATION_ERROR", Some(field));
    }
    let (status, ten) = p
        .call(
            &p.admin,
            Method::POST,
            "/api/v1/operation/coupons",
            Some(coupon("DISCOUNT10", "discount", 10.0, 1000)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ten}");
    let (status, _) = p
        .call(
            &p.admin,
            Method::POST,
            "/api/v1/operation/coupons",
            Some(coupon("DISCOUNT10", "discount", 5.0, 1)),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a code is unique");

    // Claimed, then used on a ¥100 recharge: ¥90 to pay, 1,000 credits.
    let (_, listed) = p
        .call(&p.buyer, Method::GET, "/api/v1/operation/coupons", None)
        .await;
    assert_eq!(listed["items"][0]["code"], "DISCOUNT10");
    let (status, claimed) = p
        .call(
            &p.buyer,
            Method::POST,
            &format!(
                "/api/v1/operation/coupons/{}/claim",
                ten["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["claim_status"], "unused");
    let recharge = |cents: i64, code: &str| json!({"amount_cents": cents, "payment_method": "sandbox", "coupon_code": code});
    let (status, order) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/credit/recharge",
            Some(recharge(10000, "DISCOUNT10")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(
        (order["amount_cents"].clone(), order["credits"].clone()),
        (json!(9000), json!(1000))
    );
    let (_, mine) = p
        .call(
            &p.buyer,
            Method::GET,
            "/api/v1/operation/my-coupons?status=reserved",
            None,
        )
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let (status, again) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/credit/recharge",
            Some(recharge(10000, "DISCOUNT10")),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, small) = p
        .call(
            &p.buyer,
            Method::POST,
            "/api/v1/credit/recharge",
            Some(recharge(500, "DISCOUNT10")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{small}");
    assert_error(&small, "VALIDATION_ERROR", Some("coupon_code"));
    let (status, _) = p
        .complete(order["order_id"].as_str().unwrap(), "C1", "success")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p.balance().await, 1000);
    let (_, mine) = p
        .call(
            &p.buyer,
            Method::GET,
            "/api/v1/operation/my-coupons?status=used",
            None,
        )
        .await;
    assert_eq!(mine[0]["code"], "DISCOUNT10");
    let (_, paid) = p
        .call(
            &p.buyer,
            Method::GET,
            &format!(
                "/api/v1/payments/status/{}",
                order["order_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(
        (
            paid["list_amount_cents"].clone(),
            paid["discount_cents"].clone()
        ),
        (json!(10000), json!(1000))
    );

    // One use left, fifty orders at once from ten people: exactly one gets it.
    let (_, one) = p
        .call(
            &p.admin,
            Method::POST,
            "/api/v1/operation/coupons",
            Some(coupon("ONLYONE", "credit_bonus", 50.0, 1)),
        )
        .await;
    let mut people = Vec::new();
    for i in 0..10 {
        people.push(p.s.register(&format!("rush{i}")).await.1);
    }
    let rush = people
        .iter()
        .flat_map(|who| (0..5).map(move |_| who))
        .map(|who| {
            p.call(
                who,
                Method::POST,
                "/api/v1/credit/recharge",
                Some(recharge(1000, "ONLYONE")),
            )
        });
    let answers = futures_util::future::join_all(rush).await;
    let made: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .collect();
    assert_eq!(made.len(), 1, "{answers:?}");
    assert_eq!(made[0].1["credits"], 150, "100 credits and the bonus of 50");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
    }
    let (_, all) = p
        .call(
            &p.admin,
            Method::GET,
            "/api/v1/operation/coupons?status=all",
            None,
        )
        .await;
    let only = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == one["id"])
        .unwrap()
        .clone();
    assert_eq!(only["used_count"], 1);

    // The order holding it expires unpaid: the use comes back, and someone else can have it.
    p.s.clock.advance(chrono::Duration::minutes(31));
    let report = storyloom::payments::reconcile::reconcile(&p.s.state)
        .await
        .unwrap();
    assert!(report.expired >= 1, "{report:?}");
    let (_, all) = p
        .call(
            &p.admin,
            Method::GET,
            "/api/v1/operation/coupons?status=all",
            None,
        )
        .await;
    let _ = all;
    let coupons = storyloom::payments::coupons::list(
        &p.s.state,
        false,
        storyloom::paging::PageSpec::resolve(None, Some(100), None).unwrap(),
    )
    .await
    .unwrap();
    let only = coupons.items.iter().find(|c| c.code == "ONLYONE").unwrap();
    assert_eq!(only.used_count, 0, "given back by the expired order");
    let report = ledger::reconcile::reconcile(&p.s.state, false)
        .await
        .unwrap();
    assert!(report.success, "{:?}", report.issues);
}
