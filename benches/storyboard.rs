//! Storyboard benchmark (issue 14 item 10): one tenant's very long script against everyone else.
//!
//! A real `storyloom` API on 127.0.0.1 (accounts mode, one SQLite file in a temp dir). Tenant A
//! saves a generated script of about 30,000 shots through `PUT …/script` (parsed into the
//! storyboard); tenant B has a 3-scene project. Then:
//! - A's `GET /projects/{id}/storyboard` (the whole 30k-shot version), several times;
//! - B's small storyboard read, with A's big version in the same database;
//! - B's `POST /projects` latency with the server idle, and again while A's storyboard is read in a
//!   loop by two clients (the case that used to time out: the read held the single writer).
//!
//! Bounded in count and time: a fixed number of requests per case, each with a 60 s timeout.
//!
//! Run: `cargo bench --bench storyboard`. Prints Markdown rows.
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use storyloom::{
    auth,
    config::{AuthMode, Config, RateConfig},
    AppState,
};

const TARGET_SHOTS: usize = 30_000;
const BIG_READS: usize = 10;
const SMALL_READS: usize = 50;
/// Writes per case, paced so that the busy case spans several big reads.
const WRITES: usize = 200;
const WRITE_PACE: Duration = Duration::from_millis(10);
/// The busy case also waits for this many big reads to finish while it writes (bounded by time).
const READS_DURING_WRITES: usize = 6;
const BUSY_LIMIT: Duration = Duration::from_secs(120);

/// One scene of the generated script: an action line and three lines of dialogue.
fn scene(i: usize) -> String {
    format!(
        "场景{i}：咖啡馆{i}号桌 日 内\n△林雪推门而入，看向窗外的雨。\n林雪：第{i}次见面，你还记得我吗？\n\
         陈默：当然记得。\n林雪：那就好。\n\n"
    )
}

fn script(scenes: usize) -> String {
    (1..=scenes).map(scene).collect()
}

struct Api {
    client: Client,
    base: String,
    auth: String,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Vec<u8>) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("authorization", &self.auth)
            .timeout(Duration::from_secs(60));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        (status, res.bytes().await.expect("body").to_vec())
    }

    async fn new_project(&self, name: &str) -> (String, String) {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/projects",
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let p: Value = serde_json::from_slice(&body).unwrap();
        (
            p["id"].as_str().unwrap().to_string(),
            p["current_version_id"].as_str().unwrap().to_string(),
        )
    }

    async fn put_script(&self, p: &str, v: &str, text: &str) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::PUT,
                &format!("/api/v1/projects/{p}/versions/{v}/script"),
                Some(json!({ "text": text })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    /// How long the storyboard took to arrive (whole body), and the body.
    async fn storyboard(&self, p: &str) -> (Duration, Vec<u8>) {
        let t = Instant::now();
        let (status, body) = self
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/projects/{p}/storyboard"),
                None,
            )
            .await;
        let took = t.elapsed();
        assert_eq!(status, StatusCode::OK);
        (took, body)
    }

    /// The storyboard's shots, counted from its JSON.
    async fn shot_count(&self, p: &str) -> usize {
        let body = self.storyboard(p).await.1;
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["scenes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["shots"].as_array().unwrap().len())
            .sum()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// min / median / p90 / max in milliseconds.
fn summary(mut xs: Vec<Duration>) -> String {
    xs.sort();
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    format!(
        "{:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms",
        ms(xs[0]),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(xs[xs.len() - 1])
    )
}

/// `n` paced project creations, then more until `keep_going` says stop (bounded by [`BUSY_LIMIT`]).
async fn post_projects(
    api: &Api,
    n: usize,
    tag: &str,
    keep_going: impl Fn() -> bool,
) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    let started = Instant::now();
    let mut i = 0;
    while i < n || (keep_going() && started.elapsed() < BUSY_LIMIT) {
        i += 1;
        tokio::time::sleep(WRITE_PACE).await;
        let t = Instant::now();
        let (status, _) = api
            .send(
                reqwest::Method::POST,
                "/api/v1/projects",
                Some(json!({ "name": format!("{tag} {i}") })),
            )
            .await;
        out.push(t.elapsed());
        assert_eq!(status, StatusCode::CREATED);
    }
    out
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::server(dir.path().join("data"), AuthMode::Accounts);
    config.rates = RateConfig {
        queries_per_minute: 1_000_000,
        other_per_minute: 1_000_000,
        generation_per_hour: 1_000_000,
        router_per_hour: 1_000_000,
    };
    let state = AppState::open(config).unwrap();
    // The server has its own runtime (as `storyloom serve` does: one worker a core), so the
    // clients' work never takes its threads.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
    {
        let state = state.clone();
        std::thread::spawn(move || {
            let server_rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap();
            server_rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = storyloom::api::router(state);
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
                .unwrap();
            });
        });
    }
    let addr = addr_rx.recv().unwrap();
    rt.block_on(async move {
        let client = Client::new();
        let mut tenants = Vec::new();
        for name in ["big-tenant", "other-tenant"] {
            let id = storyloom::accounts::create_user(&state, name, false).await.unwrap();
            let token = auth::issue_access_token(&state, &id).unwrap();
            tenants.push(Arc::new(Api {
                client: client.clone(),
                base: format!("http://{addr}"),
                auth: format!("Bearer {token}"),
            }));
        }
        let (a, b) = (tenants[0].clone(), tenants[1].clone());

        // B's small project first: its read is measured again once A's big version exists.
        let (bp, bv) = b.new_project("small").await;
        b.put_script(&bp, &bv, &script(3)).await;
        let mut small_alone = Vec::new();
        for _ in 0..SMALL_READS {
            small_alone.push(b.storyboard(&bp).await.0);
        }

        // A's big version, through the real save + parse.
        let per_scene = {
            let (p, v) = a.new_project("probe").await;
            let r = a.put_script(&p, &v, &script(10)).await;
            r["shot_count"].as_u64().unwrap() as usize / 10
        };
        let scenes = TARGET_SHOTS.div_ceil(per_scene);
        let text = script(scenes);
        let (ap, av) = a.new_project("long").await;
        let t = Instant::now();
        let parsed = a.put_script(&ap, &av, &text).await;
        let save_took = t.elapsed();

        let shots = a.shot_count(&ap).await;
        let mut big = Vec::new();
        let mut bytes = 0;
        for _ in 0..BIG_READS {
            let (took, body) = a.storyboard(&ap).await;
            big.push(took);
            bytes = body.len();
        }
        let mut small_beside = Vec::new();
        for _ in 0..SMALL_READS {
            small_beside.push(b.storyboard(&bp).await.0);
        }

        let idle = post_projects(&b, WRITES, "idle", || false).await;
        // Two clients read A's storyboard back to back while B creates projects.
        let stop = Arc::new(AtomicBool::new(false));
        let reads_done = Arc::new(AtomicUsize::new(0));
        let mut readers = Vec::new();
        for _ in 0..2 {
            let (a, ap, stop, reads_done) = (a.clone(), ap.clone(), stop.clone(), reads_done.clone());
            readers.push(tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    a.storyboard(&ap).await;
                    reads_done.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
        // Let both reads get going before the first write.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        let reads_done = reads_done.clone();
        let reads_at_start = reads_done.load(Ordering::SeqCst);
        let busy = post_projects(&b, WRITES, "busy", || {
            reads_done.load(Ordering::SeqCst) < reads_at_start + READS_DURING_WRITES
        })
        .await;
        let busy_window = t.elapsed();
        let reads_during = reads_done.load(Ordering::SeqCst) - reads_at_start;
        stop.store(true, Ordering::SeqCst);
        for r in readers {
            r.await.unwrap();
        }

        println!(
            "Big version: {scenes} scenes, {shots} shots ({} parsed), script {:.2} MB, storyboard JSON {:.1} MB",
            parsed["shot_count"],
            text.len() as f64 / 1e6,
            bytes as f64 / 1e6
        );
        println!("Save + parse of the big script (PUT …/script): {:.0} ms\n", ms(save_took));
        println!("| case | n | min | median | p90 | max |");
        println!("|---|---|---|---|---|---|");
        println!("| A: GET storyboard, {shots} shots | {BIG_READS} | {} |", summary(big));
        println!(
            "| B: GET storyboard, 3 scenes, before A's script existed | {SMALL_READS} | {} |",
            summary(small_alone)
        );
        println!(
            "| B: GET storyboard, 3 scenes, beside A's {shots} shots | {SMALL_READS} | {} |",
            summary(small_beside)
        );
        println!("| B: POST /projects, server idle | {} | {} |", idle.len(), summary(idle));
        println!(
            "| B: POST /projects while 2 clients read A's storyboard in a loop | {} | {} |",
            busy.len(),
            summary(busy)
        );
        println!(
            "\n{reads_during} big storyboard reads completed during the {:.1} s of busy writes",
            busy_window.as_secs_f64()
        );
    });
}
