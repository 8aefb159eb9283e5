//! A real `storyloom serve` is killed with SIGKILL between a node's hold and its settle. After the
//! restart the sweeper has voided the dead process's hold before anything else runs, the re-run node
//! holds and settles once, the balance is whole, and a duplicated settle of a job hold is idempotent.
//! The paid node calls a registered model on a fake OpenAI-compatible server that thinks 2.5 s.
#![cfg(all(feature = "server", unix))]
use crate::common;

use std::{path::Path, process::Child, time::Duration};

use serde_json::{json, Value};

fn start(data_dir: &Path) -> (Child, String) {
    crate::common::spawn_serve(|c| {
        c.args(["--auth", "local", "--data-dir"]).arg(data_dir);
    })
}

async fn get(client: &reqwest::Client, url: String) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let res = client.post(url).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// (id, purpose, status, charged, reason)
type HoldRow = (String, String, String, Option<i64>, Option<String>);

fn holds_in_db(data: &Path) -> Vec<HoldRow> {
    let c = rusqlite::Connection::open(data.join("storyloom.db")).unwrap();
    let mut stmt = c
        .prepare(
            "SELECT id, purpose, status, charged, reason FROM ledger_holds ORDER BY created_at, id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_between_hold_and_settle_is_swept_and_the_balance_is_whole() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let (mut server, base) = start(data.path());

    let res = client
        .put(format!("{base}/api/v1/billing/budget"))
        .json(&json!({"credits": 50}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, p) = post(
        &client,
        format!("{base}/api/v1/projects"),
        json!({"name": "Crash"}),
    )
    .await;
    let pid = p["id"].as_str().unwrap().to_string();
    let fake = common::fake_llm::start().await;
    let (status, model) = post(
        &client,
        format!("{base}/api/v1/models"),
        common::fake_llm::model_body(&fake),
    )
    .await;
    assert_eq!(status, 201, "{model}");
    let graph = common::fake_llm::paid_graph(model["id"].as_str().unwrap(), 10, 7, 2500, false);
    let (status, t) = post(
        &client,
        format!("{base}/api/v1/workflows/templates"),
        json!({"name": "paid", "graph": graph}),
    )
    .await;
    assert_eq!(status, 201, "{t}");
    // A job hold held by an API client (it survives the restart: the client settles it).
    let (status, job) = post(
        &client,
        format!("{base}/api/v1/billing/holds"),
        json!({"id": "job-1", "amount": 5, "work_id": "client-job"}),
    )
    .await;
    assert_eq!(status, 201, "{job}");
    let (status, run) = post(
        &client,
        format!("{base}/api/v1/workflow-runs"),
        json!({"project_id": pid, "template_id": t["id"]}),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    let run_id = run["id"].as_str().unwrap().to_string();

    // Kill it while the node holds its estimate and sleeps before settling.
    let mut held = false;
    for _ in 0..500 {
        let b = get(&client, format!("{base}/api/v1/billing/balance")).await;
        if b["held"] == 15 {
            assert_eq!(b["available"], 35);
            held = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(held, "the node never held its estimate");
    server.kill().unwrap(); // SIGKILL: no shutdown code runs
    server.wait().unwrap();
    let before = holds_in_db(data.path());
    let pending: Vec<_> = before.iter().filter(|h| h.2 == "pending").collect();
    assert_eq!(pending.len(), 2, "{before:?}");
    let dead_node_hold = pending
        .iter()
        .find(|h| h.1 == "node_run")
        .unwrap()
        .0
        .clone();

    // Restart: the dead process's node hold is voided before the server says it is listening.
    let (mut server, base) = start(data.path());
    let after_start = holds_in_db(data.path());
    let swept = after_start.iter().find(|h| h.0 == dead_node_hold).unwrap();
    assert_eq!(swept.2, "voided", "{after_start:?}");
    assert!(
        swept.4.as_deref().unwrap_or("").starts_with("swept:"),
        "{swept:?}"
    );

    // The run resumes, the node runs again, holds afresh, and is charged once.
    let mut done = None;
    for _ in 0..600 {
        let r = get(&client, format!("{base}/api/v1/workflow-runs/{run_id}")).await;
        if r["status"] == "completed" || r["status"] == "failed" {
            done = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = done.expect("the resumed run finished");
    assert_eq!(r["status"], "completed", "{r}");

    // The client settles its job twice (a retry): one charge.
    let job_id = job["id"].as_str().unwrap();
    let settle = format!("{base}/api/v1/billing/holds/{job_id}/settle");
    let (s1, first) = post(&client, settle.clone(), json!({"amount": 5})).await;
    let (s2, second) = post(&client, settle.clone(), json!({"amount": 5})).await;
    assert_eq!((s1, s2), (200, 200), "{first} {second}");
    assert_eq!(first, second);
    let (s3, _) = post(&client, settle, json!({"amount": 4})).await;
    assert_eq!(s3, 409, "a settle for another amount is refused");

    let b = get(&client, format!("{base}/api/v1/billing/balance")).await;
    assert_eq!(
        (b["available"].as_i64(), b["held"].as_i64()),
        (Some(50 - 7 - 5), Some(0)),
        "{b}"
    );
    let holds = holds_in_db(data.path());
    let node_holds: Vec<_> = holds.iter().filter(|h| h.1 == "node_run").collect();
    assert_eq!(node_holds.len(), 2, "{holds:?}");
    assert_eq!(
        node_holds
            .iter()
            .filter(|h| h.2 == "settled" && h.3 == Some(7))
            .count(),
        1,
        "charged exactly once: {holds:?}"
    );
    let (status, recon) = post(
        &client,
        format!("{base}/api/v1/admin/reconciliation"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(recon["success"], true, "{recon}");
    server.kill().unwrap();
    server.wait().unwrap();
}
