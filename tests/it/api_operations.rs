//! Operations (issue 18, seed 003 §9; docs/API-PAYMENTS.md): referral codes and rewards,
//! activities and their offers, the operations statistics and the admin's list of orders, over
//! real TCP with the sandbox gateway.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::{config::AuthMode, ledger};

use crate::common::{assert_error, TestServer};

struct Ops {
    s: TestServer,
    admin: String,
}

async fn ops() -> Ops {
    let s = TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 1000).await;
    let (_, admin) = s.register("ann").await;
    let o = Ops { s, admin };
    let (status, body) = o
        .call(
            &o.admin,
            Method::PATCH,
            "/api/v1/admin/config",
            Some(json!({"payment_sandbox": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    o
}

impl Ops {
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

    /// Signs `name` up (with a referral code when given): the whole answer.
    async fn sign_up(&self, name: &str, referral_code: Option<&str>) -> (StatusCode, Value) {
        let mut body = json!({"username": name, "email": format!("{name}@example.com"),
                              "password": "correct horse battery"});
        if let Some(code) = referral_code {
            body["referral_code"] = json!(code);
        }
        self.s.post("/api/v1/auth/register", body).await
    }

    async fn order(&self, who: &str, body: Value) -> Value {
        let (status, order) = self
            .call(who, Method::POST, "/api/v1/credit/recharge", Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        order
    }

    async fn membership(&self, who: &str) -> Value {
        let (status, order) = self
            .call(
                who,
                Method::POST,
                "/api/v1/credit/membership",
                Some(json!({"membership_type": "monthly", "payment_method": "sandbox"})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{order}");
        order
    }

    async fn pay(&self, order: &Value, transaction_id: &str) -> StatusCode {
        let id = order["order_id"].as_str().unwrap();
        self.call(
            &self.admin,
            Method::POST,
            "/api/v1/credit/payment/callback",
            Some(json!({"order_id": id, "payment_method": "sandbox",
                        "transaction_id": transaction_id, "status": "success"})),
        )
        .await
        .0
    }

    /// Signs `name` in again (their access token expired): a fresh bearer.
    async fn sign_in(&self, name: &str) -> String {
        let (status, session) = self
            .s
            .post(
                "/api/v1/auth/login",
                json!({"username": name, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{session}");
        bearer(&session)
    }

    async fn balance(&self, user_id: &str) -> i64 {
        ledger::balance(&self.s.state, user_id)
            .await
            .unwrap()
            .available
    }

    async fn activity(&self, body: Value) -> (StatusCode, Value) {
        self.call(
            &self.admin,
            Method::POST,
            "/api/v1/operation/activities",
            Some(body),
        )
        .await
    }
}

fn bearer(session: &Value) -> String {
    format!("Bearer {}", session["access_token"].as_str().unwrap())
}

/// Every person has a code; signing up with someone's code makes them the referrer, but only the
/// referred person's first paid order rewards them, once, however many payments follow or arrive
/// at once.
#[tokio::test]
async fn a_referral_is_rewarded_once_on_the_first_paid_order() {
    let o = ops().await;
    let (status, bob) = o.sign_up("bob", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let user = &bob["user"];
    let code = user["referral_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8, "{user}");
    assert!(code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    assert_eq!(
        (
            user["credit_balance"].clone(),
            user["is_member"].clone(),
            user["membership_type"].clone()
        ),
        (json!(0), json!(false), Value::Null),
        "seed 003's fields on register: {user}"
    );
    let (bob_id, bob_auth) = (user["id"].as_str().unwrap().to_string(), bearer(&bob));

    let (status, refused) = o.sign_up("mallory", Some("NOSUCH99")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_error(&refused, "VALIDATION_ERROR", Some("referral_code"));
    let (status, _) = o.sign_up("mallory", None).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the refused sign-up made no account"
    );

    // Typed in lower case, the code still finds bob.
    let (status, carol) = o.sign_up("carol", Some(&code.to_lowercase())).await;
    assert_eq!(status, StatusCode::CREATED, "{carol}");
    let carol_auth = bearer(&carol);
    let carol_id = carol["user"]["id"].as_str().unwrap().to_string();

    let (status, link) = o
        .call(
            &bob_auth,
            Method::POST,
            "/api/v1/operation/referral/generate",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["referral_code"], code.as_str());
    assert!(
        link["referral_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/#/sign-up?ref={code}")),
        "{link}"
    );
    let records = |who: String| {
        let o = &o;
        async move {
            let (status, r) = o
                .call(
                    &who,
                    Method::GET,
                    "/api/v1/operation/referral/records",
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{r}");
            r
        }
    };
    let r = records(bob_auth.clone()).await;
    assert_eq!(
        (r["total"].clone(), r["total_rewards"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(
        (
            r["items"][0]["referred_user"].clone(),
            r["items"][0]["status"].clone()
        ),
        (json!("carol"), json!("pending"))
    );
    assert_eq!(
        o.balance(&bob_id).await,
        0,
        "never a reward on sign-up alone"
    );

    // Carol's first order is paid by ten copies of its callback at once, then a second order.
    let first = o
        .order(
            &carol_auth,
            json!({"amount_cents": 1000, "payment_method": "sandbox"}),
        )
        .await;
    let copies = (0..10).map(|_| o.pay(&first, "FIRST"));
    for status in futures_util::future::join_all(copies).await {
        assert_eq!(status, StatusCode::OK);
    }
    let second = o
        .order(
            &carol_auth,
            json!({"amount_cents": 2000, "payment_method": "sandbox"}),
        )
        .await;
    assert_eq!(o.pay(&second, "SECOND").await, StatusCode::OK);
    assert_eq!(o.balance(&carol_id).await, 300);
    assert_eq!(
        o.balance(&bob_id).await,
        storyloom::payments::referrals::DEFAULT_REWARD_CREDITS,
        "one reward for carol, whatever paid after"
    );
    let r = records(bob_auth.clone()).await;
    assert_eq!(r["total_rewards"], 50);
    assert_eq!(
        (
            r["items"][0]["status"].clone(),
            r["items"][0]["reward_amount"].clone()
        ),
        (json!("completed"), json!(50))
    );
    let (_, txs) = o
        .call(
            &bob_auth,
            Method::GET,
            "/api/v1/credit/transactions?type=referral",
            None,
        )
        .await;
    assert_eq!(txs["total"], 1, "{txs}");

    // Login and me show the balance carol bought.
    let (status, me) = o
        .call(&carol_auth, Method::GET, "/api/v1/auth/me", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["credit_balance"], 300, "{me}");
    assert_eq!(me["referral_code"].as_str().map(str::len), Some(8));
    let (status, login) =
        o.s.post(
            "/api/v1/auth/login",
            json!({"username": "bob", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login["user"]["credit_balance"], 50, "{login}");
}

/// Activities: admins make them (fields checked by name); a person joins each once (ten joins
/// at once grant a gift once); an ended one is refused; an offer is held by an order, comes back
/// when that order expires, is used by the order that is paid; a referral bonus sets the reward.
#[tokio::test]
async fn activities_are_joined_once_and_their_offers_apply_once() {
    let mut o = ops().await;
    let (status, dan) = o.sign_up("dan", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let (dan_auth, dan_id) = (
        bearer(&dan),
        dan["user"]["id"].as_str().unwrap().to_string(),
    );
    let act = |name: &str, kind: &str, config: Value, start: &str, end: &str| {
        json!({"name": name, "type": kind, "description": format!("{name} for everyone"),
               "config": config, "start_time": start, "end_time": end})
    };
    let (status, _) = o
        .call(
            &dan_auth,
            Method::POST,
            "/api/v1/operation/activities",
            Some(act(
                "x",
                "credit_gift",
                json!({"credits": 5}),
                "2026-01-01T00:00:00",
                "2026-12-31T00:00:00",
            )),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only an admin makes activities"
    );
    for (body, field) in [
        (
            act(
                "x",
                "lottery",
                json!({"credits": 5}),
                "2026-01-01T00:00:00",
                "2026-12-31T00:00:00",
            ),
            "type",
        ),
        (
            act(
                "x",
                "credit_gift",
                json!({}),
                "2026-01-01T00:00:00",
                "2026-12-31T00:00:00",
            ),
            "config.credits",
        ),
        (
            act(
                "x",
                "first_purchase",
                json!({"percent": 100}),
                "2026-01-01T00:00:00",
                "2026-12-31T00:00:00",
            ),
            "config.percent",
        ),
        (
            act(
                "x",
                "credit_gift",
                json!({"credits": 5}),
                "2026-03-01T00:00:00",
                "2026-02-01T00:00:00",
            ),
            "end_time",
        ),
        (
            act(
                "x",
                "credit_gift",
                json!({"credits": 5}),
                "yesterday",
                "2026-02-01T00:00:00",
            ),
            "start_time",
        ),
    ] {
        let (status, answer) = o.activity(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_error(&answer, "VALIDATION_ERROR", Some(field));
    }
    // The clock reads 2026-02-08.
    let window = ("2026-02-01T00:00:00", "2026-03-01T00:00:00");
    let mut ids = std::collections::HashMap::new();
    for (name, kind, config) in [
        ("gift", "credit_gift", json!({"credits": 100})),
        ("members", "membership_discount", json!({"percent": 20})),
        ("first", "first_purchase", json!({"discount": 10})),
        ("bring friends", "referral_bonus", json!({"credits": 80})),
    ] {
        let (status, a) = o
            .activity(act(name, kind, config, window.0, window.1))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        assert_eq!(a["status"], "active");
        ids.insert(name, a["id"].as_str().unwrap().to_string());
    }
    let (_, ended) = o
        .activity(act(
            "last year",
            "credit_gift",
            json!({"credits": 5}),
            "2025-01-01T00:00:00",
            "2025-02-01T00:00:00",
        ))
        .await;
    let (_, listed) = o
        .call(&dan_auth, Method::GET, "/api/v1/operation/activities", None)
        .await;
    assert_eq!(listed["total"], 4, "the ended one is not running: {listed}");
    let (status, _) = o
        .call(
            &dan_auth,
            Method::GET,
            "/api/v1/operation/activities?status=all",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, all) = o
        .call(
            &o.admin,
            Method::GET,
            "/api/v1/operation/activities?status=all",
            None,
        )
        .await;
    assert_eq!(all["total"], 5);
    assert!(all["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["status"] == "ended"));

    let join = |id: String| {
        let (o, who) = (&o, dan_auth.clone());
        async move {
            o.call(
                &who,
                Method::POST,
                &format!("/api/v1/operation/activities/{id}/participate"),
                None,
            )
            .await
        }
    };
    let answers = futures_util::future::join_all((0..10).map(|_| join(ids["gift"].clone()))).await;
    let granted: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .collect();
    assert_eq!(granted.len(), 1, "{answers:?}");
    assert_eq!(granted[0].1["credits_granted"], 100);
    assert!(answers
        .iter()
        .filter(|(s, _)| *s != StatusCode::OK)
        .all(|(s, _)| *s == StatusCode::CONFLICT));
    assert_eq!(o.balance(&dan_id).await, 100, "the gift, once");
    let (status, late) = join(ended["id"].as_str().unwrap().to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{late}");
    assert_error(&late, "VALIDATION_ERROR", Some("activity"));
    for name in ["members", "first", "bring friends"] {
        let (status, joined) = join(ids[name].clone()).await;
        assert_eq!(status, StatusCode::OK, "{joined}");
    }
    let (_, listed) = o
        .call(&dan_auth, Method::GET, "/api/v1/operation/activities", None)
        .await;
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["joined"] == true));

    // A membership takes the best offer (20% over 10%): ¥9.90 → ¥7.92, held by the order.
    let held = o.membership(&dan_auth).await;
    assert_eq!(held["amount_cents"], 792, "{held}");
    // Held: a recharge meanwhile gets the first-purchase offer, not the membership's.
    let recharge = o
        .order(
            &dan_auth,
            json!({"amount_cents": 1000, "payment_method": "sandbox"}),
        )
        .await;
    assert_eq!(recharge["amount_cents"], 900, "{recharge}");
    assert_eq!(
        recharge["credits"], 100,
        "an offer lowers the price, not the credits"
    );
    // Both expire unpaid: their offers come back.
    o.s.clock.advance(chrono::Duration::minutes(31));
    let report = storyloom::payments::reconcile::reconcile(&o.s.state)
        .await
        .unwrap();
    assert_eq!(report.expired, 2, "{report:?}");
    // Half an hour on, the access tokens have expired: dan and the admin sign in again.
    let dan_auth = o.sign_in("dan").await;
    o.admin = o.sign_in("ann").await;
    let again = o.membership(&dan_auth).await;
    assert_eq!(
        again["amount_cents"], 792,
        "given back by the expired order"
    );
    assert_eq!(o.pay(&again, "M1").await, StatusCode::OK);
    // Paid: the membership offer is used for good, and with a paid order behind him the
    // first-purchase offer no longer applies to dan: no offer is left.
    let plain = o
        .order(
            &dan_auth,
            json!({"amount_cents": 1000, "payment_method": "sandbox"}),
        )
        .await;
    assert_eq!(plain["amount_cents"], 1000, "no offer left: {plain}");
    let (_, me) = o
        .call(&dan_auth, Method::GET, "/api/v1/auth/me", None)
        .await;
    assert_eq!(
        (me["is_member"].clone(), me["membership_type"].clone()),
        (json!(true), json!("monthly"))
    );

    // Dan joined the referral bonus: erin's first paid order brings him 80, not 50.
    let code = me["referral_code"].as_str().unwrap().to_string();
    let (_, erin) = o.sign_up("erin", Some(&code)).await;
    let first = o
        .order(
            &bearer(&erin),
            json!({"amount_cents": 1000, "payment_method": "sandbox"}),
        )
        .await;
    let before = o.balance(&dan_id).await;
    assert_eq!(o.pay(&first, "E1").await, StatusCode::OK);
    assert_eq!(o.balance(&dan_id).await - before, 80);
}

/// The statistics count people, money, credits and members over a range of days; the admin's
/// order list shows every order with who made it. Both are the instance admin's alone.
#[tokio::test]
async fn statistics_and_the_order_list_show_what_was_paid() {
    let o = ops().await;
    let (_, fay) = o.sign_up("fay", None).await;
    let (_, gus) = o.sign_up("gus", None).await;
    let (fay, gus) = (bearer(&fay), bearer(&gus));
    let paid = o
        .order(
            &fay,
            json!({"amount_cents": 1000, "payment_method": "sandbox"}),
        )
        .await;
    assert_eq!(o.pay(&paid, "P1").await, StatusCode::OK);
    let member = o.membership(&fay).await;
    assert_eq!(o.pay(&member, "P2").await, StatusCode::OK);
    let _pending = o
        .order(
            &gus,
            json!({"amount_cents": 5000, "payment_method": "sandbox"}),
        )
        .await;

    let stats = |q: &'static str| {
        let o = &o;
        async move {
            o.call(
                &o.admin,
                Method::GET,
                &format!("/api/v1/operation/statistics{q}"),
                None,
            )
            .await
        }
    };
    let (status, s) = stats("?start_date=2026-02-01&end_date=2026-02-08").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        (
            s["total_users"].clone(),
            s["new_users"].clone(),
            s["total_revenue_cents"].clone(),
            s["total_revenue"].clone(),
            s["total_credits_sold"].clone(),
            s["paid_orders"].clone(),
            s["paying_users"].clone(),
            s["active_members"].clone(),
        ),
        (
            json!(3),
            json!(3),
            json!(1990),
            json!(19.9),
            json!(100),
            json!(2),
            json!(1),
            json!(1)
        ),
        "{s}"
    );
    assert_eq!(s["conversion_rate"], 0.3333);
    let (_, before) = stats("?start_date=2026-01-01&end_date=2026-01-31").await;
    assert_eq!(
        (
            before["total_users"].clone(),
            before["total_revenue_cents"].clone(),
            before["active_members"].clone()
        ),
        (json!(0), json!(0), json!(0)),
        "nothing before the range: {before}"
    );
    let (_, default) = stats("").await;
    assert_eq!(
        (default["start_date"].clone(), default["end_date"].clone()),
        (json!("2026-01-10"), json!("2026-02-08"))
    );
    for (q, field) in [
        ("?start_date=2026-02-31", "start_date"),
        ("?start_date=2026-02-09&end_date=2026-02-01", "start_date"),
        ("?end_date=tomorrow", "end_date"),
    ] {
        let (status, body) = stats(q).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {body}");
        assert_error(&body, "VALIDATION_ERROR", Some(field));
    }
    let (status, _) = o
        .call(&fay, Method::GET, "/api/v1/operation/statistics", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, orders) = o
        .call(&o.admin, Method::GET, "/api/v1/admin/payments/orders", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{orders}");
    assert_eq!(orders["total"], 3);
    let (_, pending) = o
        .call(
            &o.admin,
            Method::GET,
            "/api/v1/admin/payments/orders?status=pending&gateway=sandbox",
            None,
        )
        .await;
    assert_eq!(pending["total"], 1);
    assert_eq!(
        (
            pending["items"][0]["username"].clone(),
            pending["items"][0]["amount_cents"].clone()
        ),
        (json!("gus"), json!(5000))
    );
    let (status, bad) = o
        .call(
            &o.admin,
            Method::GET,
            "/api/v1/admin/payments/orders?status=lost",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&bad, "VALIDATION_ERROR", Some("status"));
    let (status, _) = o
        .call(&gus, Method::GET, "/api/v1/admin/payments/orders", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
