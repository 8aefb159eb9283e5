//! The crash test: a real `storyloom serve` is killed with SIGKILL in the middle of rendering
//! keyframes and started again on the same data. Finished nodes and items are not redone, the
//! interrupted ones finish, and nothing is rendered (or would be charged) twice.
#![cfg(all(feature = "server", unix))]

use std::{collections::BTreeSet, path::Path, process::Child, time::Duration};

use serde_json::{json, Value};

fn start(data_dir: &Path) -> (Child, String) {
    crate::common::spawn_serve(|c| {
        c.args(["--auth", "local", "--data-dir"]).arg(data_dir);
    })
}

fn script(shots: usize) -> String {
    let mut s = String::from("INT. STATION - NIGHT\n\n");
    for i in 0..shots {
        s.push_str(&format!("Maya checks the clock for the {i}th time.\n\n"));
    }
    s
}

async fn run_state(client: &reqwest::Client, base: &str, id: &str) -> Value {
    client
        .get(format!("{base}/api/v1/workflow-runs/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn step<'a>(run: &'a Value, node: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["node_id"] == node)
        .unwrap()
}

/// (item key, status, attempts) of the keyframe node's items, read straight from the database.
fn keyframe_items(data: &Path) -> Vec<(String, String, u32)> {
    let c = rusqlite::Connection::open(data.join("storyloom.db")).unwrap();
    let mut stmt = c
        .prepare(
            "SELECT i.item_key, i.status, i.attempts FROM node_items i
             JOIN node_runs n ON n.id = i.node_run_id WHERE n.node_id = 'keyframes' ORDER BY i.item_key",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

fn node_attempts(data: &Path, node: &str) -> u32 {
    let c = rusqlite::Connection::open(data.join("storyloom.db")).unwrap();
    c.query_row(
        "SELECT attempts FROM node_runs WHERE node_id = ?1",
        [node],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumes_without_redoing_finished_work() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let (mut server, base) = start(data.path());

    let p: Value = client
        .post(format!("{base}/api/v1/projects"))
        .json(&json!({"name": "Crash"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (pid, vid) = (
        p["id"].as_str().unwrap().to_string(),
        p["current_version_id"].as_str().unwrap().to_string(),
    );
    let shots = 40;
    let res = client
        .put(format!(
            "{base}/api/v1/projects/{pid}/versions/{vid}/script"
        ))
        .json(&json!({"text": script(shots)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let run: Value = client
        .post(format!("{base}/api/v1/workflow-runs"))
        .json(&json!({"project_id": pid}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = run["id"].as_str().unwrap().to_string();

    // Kill it once a few keyframes are done and some are not.
    let mut killed_at = None;
    for _ in 0..3000 {
        let r = run_state(&client, &base, &id).await;
        let done = step(&r, "keyframes")["items_done"].as_u64().unwrap_or(0);
        if done >= 3 {
            killed_at = Some(done);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed_at = killed_at.expect("keyframes started");
    server.kill().unwrap(); // SIGKILL: no shutdown code runs
    server.wait().unwrap();
    assert!(
        (killed_at as usize) < shots,
        "the kill came too late to interrupt anything"
    );

    let before = keyframe_items(data.path());
    let done_before: BTreeSet<String> = before
        .iter()
        .filter(|(_, s, _)| s == "completed")
        .map(|(k, _, _)| k.clone())
        .collect();
    assert!(
        done_before.len() >= 3 && done_before.len() < shots,
        "{before:?}"
    );
    assert_eq!(node_attempts(data.path(), "parse"), 1);

    // Restart on the same data: the run resumes by itself and reaches its review.
    let (mut server, base) = start(data.path());
    let mut finished = None;
    for _ in 0..3000 {
        let r = run_state(&client, &base, &id).await;
        assert_ne!(r["status"], "failed", "{r}");
        if r["status"] == "waiting_review" {
            finished = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = finished.expect("the resumed run reached its review");
    assert_eq!(step(&r, "keyframes")["items_done"], shots as u64);

    // Finished nodes ran once; finished items were not redone; each shot has exactly one keyframe.
    for node in ["parse", "characters", "plan"] {
        assert_eq!(node_attempts(data.path(), node), 1, "{node} was redone");
    }
    let after = keyframe_items(data.path());
    assert_eq!(after.len(), shots);
    for (key, status, attempts) in &after {
        assert_eq!(status, "completed");
        if done_before.contains(key) {
            assert_eq!(*attempts, 1, "finished item {key} was redone");
        }
    }
    let assets: Value = client
        .get(format!(
            "{base}/api/v1/assets?project_id={pid}&type=keyframe_image&limit=100"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        assets["total"], shots as u64,
        "a keyframe was rendered twice"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
