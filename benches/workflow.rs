//! Workflow benchmarks (issue 4), through the real run service on a real SQLite file:
//! - scheduler overhead: a 1,000-item keyframe fan-out whose items are no-ops (every shot is approved,
//!   so nothing is rendered), i.e. only the per-item commits, progress events and task hand-offs;
//! - end to end: 100 shots rendered at 1080×1920 through the run (render, PNG, blob store, asset rows).
//!
//! Run: `cargo bench --bench workflow`. Prints Markdown rows.
use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::json;
use storyloom::{
    config::{AuthMode, Config},
    projects::{self, NewProject},
    versions::{self, ScriptEdit},
    workflow::{
        graph::Graph,
        runs::{self, StartRun},
        templates::{self, NewTemplate},
    },
    AppState,
};

const RUNS: usize = 5;

fn graph() -> Graph {
    serde_json::from_value(json!({
        "nodes": [
            {"id": "parse", "kind": "script.parse"},
            {"id": "plan", "kind": "storyboard.plan"},
            {"id": "keyframes", "kind": "keyframe.render"}
        ],
        "edges": [
            {"from": "parse.breakdown", "to": "plan.breakdown"},
            {"from": "plan.storyboard", "to": "keyframes.storyboard"}
        ]
    }))
    .unwrap()
}

fn script(shots: usize, salt: usize) -> String {
    let mut s = String::from("INT. ARCHIVE - NIGHT\n\n");
    for i in 0..shots {
        s.push_str(&format!("Clerk {salt} files folder {i}.\n\n"));
    }
    s
}

async fn project(state: &AppState, owner: &str, shots: usize, salt: usize, ratio: &str) -> String {
    let p = projects::create(
        state,
        owner,
        NewProject {
            name: format!("bench {salt}"),
            description: None,
            aspect_ratio: serde_json::from_value(json!(ratio)).ok(),
            style: None,
        },
    )
    .await
    .unwrap();
    let v = p.current_version_id.clone().unwrap();
    versions::save_script(
        state,
        owner,
        &p.id,
        &v,
        ScriptEdit {
            text: script(shots, salt),
            parse: Some(true),
            base_revision: None,
        },
    )
    .await
    .unwrap();
    p.id
}

/// Runs the template on the project; returns (wall time, keyframe node time).
async fn run(
    state: &AppState,
    owner: &str,
    project_id: &str,
    template_id: &str,
) -> (Duration, Duration) {
    let t0 = Instant::now();
    let started = runs::start(
        state,
        owner,
        StartRun {
            project_id: Some(project_id.into()),
            template_id: Some(template_id.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    loop {
        let r = runs::get(state, owner, &started.id).await.unwrap();
        match r.status.as_str() {
            "completed" => {
                let k = r.steps.iter().find(|s| s.node_id == "keyframes").unwrap();
                let at = |s: &Option<String>| {
                    DateTime::parse_from_rfc3339(s.as_deref().unwrap()).unwrap()
                };
                let node = (at(&k.completed_at) - at(&k.started_at)).to_std().unwrap();
                return (t0.elapsed(), node);
            }
            "failed" => panic!("run failed: {:?}", r.error),
            _ => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(Config::server(dir.path().to_path_buf(), AuthMode::Local)).unwrap();
        let owner = state.local_owner_id.clone().unwrap();
        let template = templates::create(
            &state,
            &owner,
            NewTemplate {
                name: "bench".into(),
                description: None,
                graph: graph(),
                note: None,
            },
        )
        .await
        .unwrap();

        // Scheduler overhead: 1,000 no-op items.
        let items = 1_000;
        let (mut walls, mut nodes) = (Vec::new(), Vec::new());
        for i in 0..RUNS {
            let p = project(&state, &owner, items, i, "9:16").await;
            state
                .db
                .write(|tx| {
                    tx.execute("UPDATE shots SET status = 'approved'", [])
                        .map(|_| ())
                        .map_err(storyloom::db::DbError::from)
                })
                .await
                .unwrap();
            let (wall, node) = run(&state, &owner, &p, &template.id).await;
            walls.push(wall);
            nodes.push(node);
        }
        let node = median(nodes);
        println!("| case | median | per item |");
        println!("|---|---|---|");
        println!(
            "| 1,000-item fan-out of no-op items (keyframe node) | {} | {:.3} ms |",
            ms(node),
            node.as_secs_f64() * 1000.0 / items as f64
        );
        println!("| whole run: parse + plan + the fan-out | {} | |", ms(median(walls)));

        // End to end: 100 real 1080×1920 frames through the run.
        let shots = 100;
        let p = project(&state, &owner, shots, 99, "9:16").await;
        let (wall, node) = run(&state, &owner, &p, &template.id).await;
        println!(
            "| 100 keyframes rendered at 1080×1920 through the run (keyframe node) | {} | {:.1} frames/s |",
            ms(node),
            shots as f64 / node.as_secs_f64()
        );
        println!("| whole run with rendering | {} | |", ms(wall));
    });
}
