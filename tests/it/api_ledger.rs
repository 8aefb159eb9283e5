//! Credits over real TCP: the billing scope, holds and their retries, 50 parallel spends against a
//! balance that covers one, the workflow runner's holds (402 before a run, charge on success, free on
//! failure, cancel and cache hits, zero-cost usage records for offline nodes), plans, the dashboard,
//! usage and invoices, and reconciliation of planted inconsistencies.
use crate::common;

use std::time::Duration;

use common::{assert_error, fake_llm, TestServer};
use storyloom::db::DbError;

/// Every ledger entry (id, account, amount) in id order.
async fn entries(s: &TestServer) -> Vec<(i64, String, i64)> {
    s.state
        .db
        .read(|c| {
            c.prepare("SELECT id, account_id, amount FROM ledger_entries ORDER BY id")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<storyloom::db::sql::Result<Vec<_>>>()
                .map_err(DbError::from)
        })
        .await
        .unwrap()
}
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::{
    auth::{self, Scope},
    config::AuthMode,
    ledger,
};

fn owner(s: &TestServer) -> String {
    s.state.local_owner_id.clone().unwrap()
}

async fn grant(s: &TestServer, user: &str, credits: i64) {
    let (status, body) = s
        .post(
            "/api/v1/admin/credits/grant",
            json!({"user_id": user, "credits": credits}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn balance(s: &TestServer) -> (i64, i64) {
    let (status, b) = s.get("/api/v1/billing/balance").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    (
        b["available"].as_i64().unwrap(),
        b["held"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn an_api_key_without_the_billing_scope_gets_403() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let user = storyloom::accounts::create_user(&s.state, "ann", false)
        .await
        .unwrap();
    let ro = auth::create_api_key(&s.state, &user, "ro", &[Scope::Read, Scope::Write], None)
        .await
        .unwrap();
    let bill = auth::create_api_key(&s.state, &user, "bill", &[Scope::Billing], None)
        .await
        .unwrap();
    for path in [
        "/api/v1/billing/balance",
        "/api/v1/credit/balance",
        "/api/v1/billing/transactions",
        "/api/v1/dashboard",
        "/api/v1/billing/usage",
        "/api/v1/billing/invoices",
        "/api/v1/subscriptions/me",
    ] {
        let (status, body) = s
            .call(Method::GET, path, None, &[("x-api-key", &ro.secret)])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_error(&body, "FORBIDDEN", None);
        let (status, body) = s
            .call(Method::GET, path, None, &[("x-api-key", &bill.secret)])
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (status, _) = s.get("/api/v1/billing/balance").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Not an admin: no grants, no reconciliation.
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/admin/reconciliation",
            None,
            &[("x-api-key", &bill.secret)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A server's user cannot set a budget (credits come from grants and payments).
    let (status, body) = s
        .call(
            Method::PUT,
            "/api/v1/billing/budget",
            Some(json!({"credits": 1000})),
            &[("x-api-key", &bill.secret)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_spends_against_a_balance_for_one_make_one_hold_and_49_402s() {
    let s = TestServer::start(AuthMode::Local).await;
    grant(&s, &owner(&s), 10).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (client, url) = (s.client.clone(), s.url("/api/v1/billing/holds"));
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .json(&json!({"amount": 10, "work_id": format!("job-{i}")}))
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::CREATED => ok += 1,
            StatusCode::PAYMENT_REQUIRED => {
                assert_error(&body, "CREDITS_EXCEEDED", None);
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, refused), (1, 49));
    assert_eq!(balance(&s).await, (0, 10));
}

#[tokio::test]
async fn holds_settle_once_and_retries_return_the_first_result() {
    let s = TestServer::start(AuthMode::Local).await;
    grant(&s, &owner(&s), 100).await;
    let (status, h) = s
        .post(
            "/api/v1/billing/holds",
            json!({"id": "job-1", "amount": 30, "work_id": "render-1", "description": "one job"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["status"], "pending");
    let id = h["id"].as_str().unwrap().to_string();
    // The same id and fields: the same hold, nothing moved twice.
    let (status, again) = s
        .post(
            "/api/v1/billing/holds",
            json!({"id": "job-1", "amount": 30, "work_id": "render-1", "description": "one job"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["id"], id.as_str());
    assert_eq!(balance(&s).await, (70, 30));
    // The same id with other fields is refused, naming the id.
    let (status, body) = s
        .post(
            "/api/v1/billing/holds",
            json!({"id": "job-1", "amount": 31, "work_id": "render-1", "description": "one job"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "CONFLICT", Some("id"));
    // Bad input names its field.
    let (status, body) = s
        .post(
            "/api/v1/billing/holds",
            json!({"amount": -1, "work_id": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("amount"));

    let settle_path = format!("/api/v1/billing/holds/{id}/settle");
    let settle = |amount: i64| s.post(&settle_path, json!({"amount": amount}));
    let (status, body) = settle(31).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "more than the hold"
    );
    assert_error(&body, "VALIDATION_ERROR", Some("amount"));
    let (status, settled) = settle(22).await;
    assert_eq!(status, StatusCode::OK, "{settled}");
    assert_eq!(
        (settled["charged"].as_i64(), settled["status"].as_str()),
        (Some(22), Some("settled"))
    );
    let (status, again) = settle(22).await;
    assert_eq!(status, StatusCode::OK, "a duplicated settle is idempotent");
    assert_eq!(again, settled);
    let (status, _) = settle(23).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = s
        .post(&format!("/api/v1/billing/holds/{id}/void"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a settled hold cannot be voided"
    );
    assert_eq!(balance(&s).await, (78, 0));

    // A second hold voided: everything returns.
    let (_, h2) = s
        .post(
            "/api/v1/billing/holds",
            json!({"amount": 50, "work_id": "render-2"}),
        )
        .await;
    let id2 = h2["id"].as_str().unwrap();
    let (status, v) = s
        .post(
            &format!("/api/v1/billing/holds/{id2}/void"),
            json!({"reason": "gave up"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["reason"], "gave up");
    assert_eq!(balance(&s).await, (78, 0));

    // Transactions: newest first, with types and the balance after each.
    let (status, page) = s.get("/api/v1/billing/transactions?limit=100").await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["void", "hold", "release", "charge", "hold", "grant"]
    );
    assert_eq!(page["items"][0]["balance_after"], 78);
    assert_eq!(page["items"][3]["held_change"], -22);
    let (_, charges) = s.get("/api/v1/billing/transactions?type=consumption").await;
    assert_eq!(charges["total"], 1);
    assert_eq!(charges["items"][0]["credits"], 22);
    let (status, body) = s.get("/api/v1/billing/transactions?type=bogus").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("type"));
    let (status, body) = s
        .get("/api/v1/billing/transactions?start_date=yesterday")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("start_date"));
    let (_, paged) = s
        .get("/api/v1/credit/transactions?page=1&page_size=2")
        .await;
    assert_eq!(
        (paged["limit"].as_u64(), paged["total"].as_u64()),
        (Some(2), Some(6))
    );

    // The dashboard, usage and invoices.
    let (status, d) = s.get("/api/v1/dashboard?days=7").await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["credits"], 78);
    assert_eq!(d["total_used"], 22);
    assert_eq!(d["cost_per_summary"], 22);
    assert_eq!(d["is_admin"], true);
    assert_eq!(d["usage_history"].as_array().unwrap().len(), 7);
    assert_eq!(
        d["usage_history"][6],
        json!({"date": "2026-02-08", "credits": 22, "count": 2})
    );
    let (_, u) = s.get("/api/v1/billing/usage").await;
    assert_eq!(u["costs"]["jobs"], 22);
    assert_eq!(u["usage"]["voided"], 1);
    assert_eq!(
        u["period"],
        json!({"start": "2026-02-01", "end": "2026-02-08"})
    );
    let (status, body) = s
        .get("/api/v1/billing/usage?start_date=2026-02-09&end_date=2026-02-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("end_date"));
    let (_, inv) = s.get("/api/v1/billing/invoices").await;
    assert_eq!(inv["items"][0]["period"], "2026-02");
    assert_eq!(inv["items"][0]["amount"], 22);
    assert_eq!(inv["items"][0]["amount_cents"], 220);
    assert_eq!(inv["items"][0]["status"], "open");
}

async fn project_with_script(s: &TestServer) -> String {
    let (status, p) = s.post("/api/v1/projects", json!({"name": "Paid"})).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (pid, vid) = (
        p["id"].as_str().unwrap().to_string(),
        p["current_version_id"].as_str().unwrap().to_string(),
    );
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/api/v1/projects/{pid}/versions/{vid}/script"),
            Some(json!({"text": "INT. ROOM - DAY\n\nMaya waits.\n\nMAYA\nHello.\n"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    pid
}

/// A one-node template calling a registered model on a fake OpenAI-compatible server (registered
/// on first use): it holds `estimate`, is charged `cost`, thinks `sleep_ms`, or is refused (`fail`).
async fn paid_template(s: &TestServer, name: &str, paid: Value) -> String {
    let (_, found) = s.get("/api/v1/models?search=fake-llm").await;
    let model = match found["items"][0]["id"].as_str() {
        Some(id) => id.to_string(),
        None => {
            let base = fake_llm::start().await;
            let (status, m) = s.post("/api/v1/models", fake_llm::model_body(&base)).await;
            assert_eq!(status, StatusCode::CREATED, "{m}");
            m["id"].as_str().unwrap().to_string()
        }
    };
    let n = |k: &str| paid[k].as_u64().unwrap_or(0);
    let graph = fake_llm::paid_graph(
        &model,
        n("estimate"),
        n("cost"),
        n("sleep_ms"),
        paid["fail"] == true,
    );
    let (status, t) = s
        .post(
            "/api/v1/workflows/templates",
            json!({"name": name, "graph": graph}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["id"].as_str().unwrap().to_string()
}

async fn wait_run(s: &TestServer, id: &str, until: &[&str]) -> Value {
    for _ in 0..600 {
        let (_, r) = s.get(&format!("/api/v1/workflow-runs/{id}")).await;
        if until.contains(&r["status"].as_str().unwrap_or("")) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("run {id} never reached {until:?}");
}

async fn holds_of(s: &TestServer) -> Vec<Value> {
    let (_, h) = s.get("/api/v1/billing/holds?limit=100").await;
    h["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_offline_run_needs_no_budget_and_leaves_zero_cost_usage_records() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project_with_script(&s).await;
    let (status, e) = s
        .post("/api/v1/workflow-runs/estimate", json!({"project_id": pid}))
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(
        (e["estimated_cost"].as_i64(), e["sufficient"].as_bool()),
        (Some(0), Some(true))
    );
    let (status, run) = s
        .post("/api/v1/workflow-runs", json!({"project_id": pid}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let run = wait_run(&s, run["id"].as_str().unwrap(), &["waiting_review"]).await;
    let holds = holds_of(&s).await;
    let done = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["status"] == "completed" || st["status"] == "waiting")
        .count();
    assert!(done >= 4, "{run}");
    assert_eq!(
        holds.len(),
        done,
        "one usage record per node that ran: {holds:?}"
    );
    for h in &holds {
        assert_eq!(
            (h["status"].as_str(), h["charged"].as_i64()),
            (Some("settled"), Some(0)),
            "{h}"
        );
        assert_eq!(h["purpose"], "node_run");
    }
    assert_eq!(balance(&s).await, (0, 0));
    let (_, u) = s.get("/api/v1/billing/usage").await;
    assert_eq!(u["usage"]["zero_cost"], done as i64);
    let (_, t) = s.get("/api/v1/billing/transactions").await;
    assert_eq!(t["total"], 0, "zero-cost work moves no credits");
}

#[tokio::test]
async fn a_paid_run_is_refused_with_402_then_charged_only_on_success() {
    let s = TestServer::start(AuthMode::Local).await;
    let pid = project_with_script(&s).await;
    let ok = paid_template(&s, "paid ok", json!({"estimate": 10, "cost": 7})).await;
    let (status, e) = s
        .post("/api/v1/workflow-runs/estimate", json!({"template_id": ok}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (e["estimated_cost"].as_i64(), e["sufficient"].as_bool()),
        (Some(10), Some(false))
    );
    // No budget: refused before anything starts.
    let (status, body) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": ok}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_error(&body, "CREDITS_EXCEEDED", None);
    let (status, body) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": "no-such-project", "template_id": ok}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("project_id"));

    // The desktop's budget.
    let (status, b) = s
        .call(
            Method::PUT,
            "/api/v1/billing/budget",
            Some(json!({"credits": 25})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(
        (b["available"].as_i64(), b["budget_mode"].as_bool()),
        (Some(25), Some(true))
    );

    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": ok}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let r = wait_run(&s, run["id"].as_str().unwrap(), &["completed", "failed"]).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(r["cost_credits"], 7);
    assert_eq!(balance(&s).await, (18, 0));
    let h = &holds_of(&s).await[0];
    assert_eq!(
        (h["estimate"].as_i64(), h["charged"].as_i64()),
        (Some(10), Some(7))
    );

    // A failing node is free.
    let failing = paid_template(
        &s,
        "paid fail",
        json!({"estimate": 10, "cost": 7, "fail": true}),
    )
    .await;
    let (_, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": failing}),
        )
        .await;
    let r = wait_run(&s, run["id"].as_str().unwrap(), &["failed"]).await;
    assert_eq!(r["status"], "failed");
    assert_eq!(balance(&s).await, (18, 0));
    assert_eq!(holds_of(&s).await[0]["status"], "voided");

    // A cache hit is free: the same prompt to the same model again.
    let (_, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": ok}),
        )
        .await;
    wait_run(&s, run["id"].as_str().unwrap(), &["completed"]).await;
    assert_eq!(balance(&s).await, (18, 0));
    assert_eq!(holds_of(&s).await[0]["charged"], 0);

    // Cancelling a run releases its holds.
    let slow = paid_template(
        &s,
        "paid slow",
        json!({"estimate": 10, "cost": 7, "sleep_ms": 30000}),
    )
    .await;
    let (_, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": slow}),
        )
        .await;
    let rid = run["id"].as_str().unwrap().to_string();
    for _ in 0..500 {
        if balance(&s).await == (8, 10) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        balance(&s).await,
        (8, 10),
        "the node holds its estimate while it runs"
    );
    let (status, _) = s
        .post(&format!("/api/v1/workflow-runs/{rid}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(balance(&s).await, (18, 0));
    let h = &holds_of(&s).await[0];
    assert_eq!(h["status"], "voided");
    assert_eq!(h["reason"], "the run was cancelled");

    // A member is not charged, even past the balance.
    let (status, m) = s
        .post(
            "/api/v1/credit/membership",
            json!({"membership_type": "monthly"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::PAYMENT_REQUIRED,
        "99 credits needed: {m}"
    );
    s.call(
        Method::PUT,
        "/api/v1/billing/budget",
        Some(json!({"credits": 100})),
        &[],
    )
    .await;
    let (status, m) = s
        .post(
            "/api/v1/credit/membership",
            json!({"membership_type": "monthly", "payment_method": "balance"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["amount_cents"], 990);
    let big = paid_template(&s, "paid big", json!({"estimate": 500, "cost": 400})).await;
    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": big}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    wait_run(&s, run["id"].as_str().unwrap(), &["completed"]).await;
    assert_eq!(balance(&s).await, (1, 0));
    let h = &holds_of(&s).await[0];
    assert_eq!(
        (
            h["waived"].as_str(),
            h["actual"].as_i64(),
            h["charged"].as_i64()
        ),
        (Some("member"), Some(400), Some(0))
    );
    let (_, b) = s.get("/api/v1/credit/balance").await;
    assert_eq!(
        (b["is_member"].as_bool(), b["membership_type"].as_str()),
        (Some(true), Some("monthly"))
    );
}

#[tokio::test]
async fn subscriptions_show_their_quota_and_upgrades_pay_from_the_balance() {
    let s = TestServer::start(AuthMode::Local).await;
    let (_, me) = s.get("/api/v1/subscriptions/me").await;
    assert_eq!(
        (me["tier"].as_str(), me["quota_total"].as_i64()),
        (Some("free"), Some(0))
    );
    let (status, body) = s
        .post(
            "/api/v1/subscriptions/upgrade",
            json!({"tier": "professional"}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    let (status, body) = s
        .post("/api/v1/subscriptions/upgrade", json!({"tier": "gold"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("tier"));
    let (status, body) = s
        .post(
            "/api/v1/subscriptions/upgrade",
            json!({"tier": "professional", "billing_cycle": "weekly"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("billing_cycle"));
    grant(&s, &owner(&s), 1000).await;
    let (status, up) = s
        .post(
            "/api/v1/subscriptions/upgrade",
            json!({"tier": "professional", "billing_cycle": "monthly"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{up}");
    assert_eq!(up["message"], "Subscription upgraded successfully");
    let (_, me) = s.get("/api/v1/subscriptions/me").await;
    assert_eq!(me["tier"], "professional");
    assert_eq!(
        (me["quota_total"].as_i64(), me["quota_remaining"].as_i64()),
        (Some(2000), Some(2000))
    );
    assert_eq!(me["next_billing_date"], "2026-03-08");
    assert_eq!(balance(&s).await, (10 + 2000, 0));
    let (status, _) = s
        .post(
            "/api/v1/subscriptions/upgrade",
            json!({"tier": "professional", "billing_cycle": "monthly"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already on that plan");
}

#[tokio::test]
async fn reconciliation_finds_each_planted_inconsistency_and_auto_fix_repairs_it_with_new_rows_only(
) {
    let s = TestServer::start(AuthMode::Local).await;
    let me = owner(&s);
    grant(&s, &me, 100).await;
    let (_, clean) = s.post("/api/v1/admin/reconciliation", json!({})).await;
    assert_eq!(clean["success"], true, "{clean}");
    assert_eq!(clean["issues"], json!([]));
    assert!(clean["checked_count"].as_u64().unwrap() >= 4);

    // A real paid run, to have a workflow run to plant into.
    let pid = project_with_script(&s).await;
    let t = paid_template(&s, "paid", json!({"estimate": 10, "cost": 4})).await;
    let (_, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": t}),
        )
        .await;
    let rid = run["id"].as_str().unwrap().to_string();
    wait_run(&s, &rid, &["completed"]).await;

    // Plants go through the instance's own database, whichever it is (SQLite or PostgreSQL).
    let plant = |sql: &'static str, arg: String| {
        let db = s.state.db.clone();
        async move {
            db.write(move |tx| tx.execute(sql, [arg]).map_err(DbError::from))
                .await
                .unwrap()
        }
    };
    // 1. A projection that drifted from its entries.
    plant(
        "UPDATE ledger_accounts SET balance = balance + 13 WHERE id = ?1",
        format!("wallet:{me}"),
    )
    .await;
    // 2. A stale hold (its lease runs out).
    let stale = ledger::hold(
        &s.state,
        ledger::HoldRequest {
            owner_id: me.clone(),
            amount: 5,
            purpose: ledger::Purpose::Export,
            work_id: "export-1".into(),
            key: "stale".into(),
            description: "an export that never came back".into(),
            meta: Value::Null,
            ttl_secs: Some(60),
        },
    )
    .await
    .unwrap();
    s.clock.advance(chrono::Duration::seconds(61));
    // 3. Succeeded paid work without a charge.
    plant(
        "INSERT INTO node_runs (id, run_id, node_id, kind, status, cost_credits, updated_at)
         VALUES ('ghost-node', ?1, 'ghost', 'llm.prompt', 'completed', 6, '2026-02-08T10:00:00.000Z')",
        rid.clone(),
    )
    .await;
    // 4. A charge for work that never succeeded.
    let orphan = ledger::hold(
        &s.state,
        ledger::HoldRequest {
            owner_id: me.clone(),
            amount: 3,
            purpose: ledger::Purpose::NodeRun,
            work_id: "no-such-node-run".into(),
            key: "orphan".into(),
            description: String::new(),
            meta: Value::Null,
            ttl_secs: None,
        },
    )
    .await
    .unwrap();
    ledger::settle(&s.state, &orphan.id, 3).await.unwrap();

    let entries_before: Vec<(i64, String, i64)> = { entries(&s).await };

    let (status, report) = s
        .post("/api/v1/admin/reconciliation?auto_fix=false", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["success"], false);
    assert_eq!(report["fixed_count"], 0);
    let kinds = &report["summary"]["by_kind"];
    assert_eq!(kinds["balance_mismatch"], 1, "{report}");
    assert_eq!(kinds["stale_hold"], 1, "{report}");
    assert_eq!(kinds["unsettled_work"], 1, "{report}");
    assert_eq!(kinds["charge_without_work"], 1, "{report}");
    let issue = |k: &str| {
        report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["kind"] == k)
            .unwrap()
            .clone()
    };
    assert_eq!(issue("stale_hold")["hold_id"], stale.id.as_str());
    assert_eq!(issue("unsettled_work")["work_id"], "ghost-node");
    assert_eq!(issue("charge_without_work")["hold_id"], orphan.id.as_str());
    assert_eq!(
        issue("balance_mismatch")["actual"].as_i64().unwrap()
            - issue("balance_mismatch")["expected"].as_i64().unwrap(),
        13
    );

    let (status, fixed) = s
        .post("/api/v1/admin/reconciliation?auto_fix=true", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(fixed["fixed_count"], 4, "{fixed}");
    assert_eq!(fixed["success"], true, "{fixed}");
    let (_, after) = s.post("/api/v1/admin/reconciliation", json!({})).await;
    assert_eq!(after["issues"], json!([]), "{after}");
    assert_eq!(after["summary"]["entries_total"], 0);

    // History is untouched: every earlier entry is still there, unchanged; fixes only appended.
    let entries_after: Vec<(i64, String, i64)> = { entries(&s).await };
    assert_eq!(&entries_after[..entries_before.len()], &entries_before[..]);
    assert!(entries_after.len() > entries_before.len());
    // 100 granted − 4 charged (the run) − 6 (compensating charge) − 3 + 3 (refund) = 90, hold returned.
    assert_eq!(balance(&s).await, (90, 0));
    // Entries can never be edited or deleted.
    for refused in [
        "UPDATE ledger_entries SET amount = 0",
        "DELETE FROM ledger_transfers",
    ] {
        let outcome = s
            .state
            .db
            .write(move |tx| tx.execute(refused, []).map_err(DbError::from))
            .await;
        assert!(outcome.is_err(), "{refused}");
    }

    // A stray entry (an unbalanced transfer) is reported and left for a person.
    let wallet = format!("wallet:{me}");
    s.state
        .db
        .write(move |tx| {
            let tid: String =
                tx.query_row("SELECT id FROM ledger_transfers LIMIT 1", [], |r| r.get(0))?;
            tx.execute(
                "INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at)
                 VALUES (?1, ?2, 50, 0, '2026-02-08T10:00:00.000Z')",
                storyloom::db::sql::params![tid, wallet],
            )
            .map_err(DbError::from)
        })
        .await
        .unwrap();
    let (_, r) = s
        .post("/api/v1/admin/reconciliation?auto_fix=true", json!({}))
        .await;
    assert_eq!(r["success"], false, "{r}");
    assert_eq!(r["summary"]["by_kind"]["unbalanced_transfer"], 1, "{r}");
    assert!(
        r["issues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["fixed"] == false),
        "{r}"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_billing_endpoints() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/billing/balance",
        "/api/v1/billing/transactions",
        "/api/v1/billing/holds",
        "/api/v1/billing/holds/{id}/settle",
        "/api/v1/dashboard",
        "/api/v1/billing/usage",
        "/api/v1/billing/invoices",
        "/api/v1/subscriptions/me",
        "/api/v1/subscriptions/upgrade",
        "/api/v1/credit/membership",
        "/api/v1/admin/credits/grant",
        "/api/v1/admin/reconciliation",
        "/api/v1/workflow-runs/estimate",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} is missing from the OpenAPI document"
        );
    }
    assert!(doc["paths"]["/api/v1/workflow-runs"]["post"]["responses"]
        .get("402")
        .is_some());
}
