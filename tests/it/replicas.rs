//! Two instances ("replicas") on one database behave as one server (issue 16): on PostgreSQL when
//! the suite runs with `STORYLOOM_TEST_DATABASE_URL`, else two instances on one SQLite file.
use std::sync::Arc;

use storyloom::{
    clock::{SystemClock, UuidV7Ids},
    config::{AuthMode, Config},
    ledger::{self, GrantKind, HoldRequest, Purpose},
    AppState,
};

use crate::common;

/// Two instances on one database: each its own pool, its own writer, its own caches.
async fn two_replicas() -> (tempfile::TempDir, AppState, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_postgres_database().await;
    let open = |url: Option<String>| {
        let config = Config {
            database_url: url,
            ..Config::server(dir.path().to_path_buf(), AuthMode::Accounts)
        };
        // Ids from both replicas share the tables: random ones, as in production.
        AppState::open_with(config, Arc::new(SystemClock), Arc::new(UuidV7Ids)).unwrap()
    };
    let a = open(url.clone());
    let b = open(url);
    (dir, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_holds_on_a_balance_for_one_across_two_replicas_leave_exactly_one() {
    let (_dir, a, b) = two_replicas().await;
    let owner = storyloom::accounts::create_user(&a, "sam", false)
        .await
        .unwrap();
    ledger::grant(&a, &owner, 1, GrantKind::Grant, None, "one credit")
        .await
        .unwrap();
    let holds = (0..50).map(|i| {
        let replica = if i % 2 == 0 { a.clone() } else { b.clone() };
        let owner = owner.clone();
        tokio::spawn(async move {
            ledger::hold(
                &replica,
                HoldRequest {
                    owner_id: owner,
                    amount: 1,
                    purpose: Purpose::Job,
                    work_id: format!("job-{i}"),
                    key: format!("hold-{i}"),
                    description: String::new(),
                    meta: serde_json::Value::Null,
                    ttl_secs: Some(3600),
                },
            )
            .await
        })
    });
    let mut granted = Vec::new();
    let mut refused = 0;
    for outcome in futures_util::future::join_all(holds).await {
        match outcome.unwrap() {
            Ok(hold) => granted.push(hold),
            Err(ledger::LedgerError::InsufficientCredits { needed, available }) => {
                assert_eq!((needed, available), (1, 0));
                refused += 1;
            }
            Err(other) => panic!("a hold failed otherwise: {other}"),
        }
    }
    assert_eq!(granted.len(), 1, "exactly one hold is granted");
    assert_eq!(refused, 49);
    for replica in [&a, &b] {
        let balance = ledger::balance(replica, &owner).await.unwrap();
        assert_eq!(
            (balance.available, balance.held),
            (0, 1),
            "seen from both replicas"
        );
    }
    // Settled once from one replica, refused a second time from the other.
    ledger::settle(&b, &granted[0].id, 1).await.unwrap();
    let again = ledger::settle(&a, &granted[0].id, 1).await;
    let balance = ledger::balance(&a, &owner).await.unwrap();
    assert_eq!((balance.available, balance.held), (0, 0));
    if let Ok(hold) = again {
        // An idempotent repeat of the same settle returns the one resolution.
        assert_eq!(hold.id, granted[0].id);
    }
    let report = ledger::reconcile::reconcile(&a, false).await.unwrap();
    assert!(report.success, "{:?}", report.issues);
    assert!(report.checked_count > 0);
}

/// A real `storyloom serve` on the shared database and data directory, with a short lease so a
/// killed replica's work is taken over within seconds.
#[cfg(unix)]
fn start_replica(data_dir: &std::path::Path, url: &str) -> (std::process::Child, String) {
    common::spawn_serve(|c| {
        c.args(["--auth", "local", "--data-dir"])
            .arg(data_dir)
            .args(["--database", url])
            .env("STORYLOOM_INSTANCE_LEASE_SECS", "2");
    })
}

/// Rows of one query on the test's PostgreSQL database.
async fn pg_rows(url: &str, sql: &str) -> Vec<tokio_postgres::Row> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let rows = client.query(sql, &[]).await.unwrap();
    drop(client);
    let _ = driver.await;
    rows
}

/// Runs statements on the test's PostgreSQL database in one session.
async fn pg_batch(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
    drop(client);
    let _ = driver.await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_on_a_killed_replica_finishes_on_the_other_without_redoing_work() {
    use serde_json::{json, Value};
    let Some(url) = common::fresh_postgres_database().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let (mut a, base_a) = start_replica(data.path(), &url);
    let (mut b, base_b) = start_replica(data.path(), &url);
    let client = reqwest::Client::new();
    let get = |url: String| {
        let client = client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let p: Value = client
        .post(format!("{base_a}/api/v1/projects"))
        .json(&json!({"name": "Replicas"}))
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
    let mut script = String::from("INT. STATION - NIGHT\n\n");
    for i in 0..shots {
        script.push_str(&format!("Maya checks the clock for the {i}th time.\n\n"));
    }
    let saved = client
        .put(format!(
            "{base_a}/api/v1/projects/{pid}/versions/{vid}/script"
        ))
        .json(&json!({ "text": script }))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    let run: Value = client
        .post(format!("{base_a}/api/v1/workflow-runs"))
        .json(&json!({"project_id": pid}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = run["id"].as_str().unwrap().to_string();
    let keyframes_done = |r: &Value| {
        r["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["node_id"] == "keyframes"))
            .and_then(|s| s["items_done"].as_u64())
            .unwrap_or(0)
    };

    // Replica A drives the run (it started it); a client of replica B follows its progress.
    let mut stream = client
        .get(format!("{base_b}/api/v1/workflow-runs/{id}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut text = String::new();
    // One deadline for all of it: the stream's keep-alives alone must not keep the test waiting.
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while !text.contains("progress_update") {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("B streams progress of the run A drives");
    assert!(text.contains(&id), "{text}");
    drop(stream);

    // Kill A once a few keyframes are done.
    let mut killed_at = None;
    for _ in 0..3000 {
        let r = get(format!("{base_a}/api/v1/workflow-runs/{id}")).await;
        if keyframes_done(&r) >= 3 {
            killed_at = Some(keyframes_done(&r));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let killed_at = killed_at.expect("keyframes started on A");
    a.kill().unwrap(); // SIGKILL: no shutdown code runs
    a.wait().unwrap();
    assert!((killed_at as usize) < shots, "the kill came too late");
    let done_before: Vec<String> = pg_rows(
        &url,
        "SELECT i.item_key FROM node_items i JOIN node_runs n ON n.id = i.node_run_id
          WHERE n.node_id = 'keyframes' AND i.status = 'completed'",
    )
    .await
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert!(done_before.len() >= 3 && done_before.len() < shots);

    // Replica B, which never saw the run start, takes it over and brings it to its review.
    let mut finished = None;
    for _ in 0..1200 {
        let r = get(format!("{base_b}/api/v1/workflow-runs/{id}")).await;
        assert_ne!(r["status"], "failed", "{r}");
        if r["status"] == "waiting_review" {
            finished = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = finished.expect("replica B finished the run");
    assert_eq!(keyframes_done(&r), shots as u64);
    for row in pg_rows(
        &url,
        "SELECT node_id, attempts FROM node_runs WHERE node_id IN ('parse', 'characters', 'plan')",
    )
    .await
    {
        assert_eq!(
            row.get::<_, i64>(1),
            1,
            "{} was redone",
            row.get::<_, String>(0)
        );
    }
    for row in pg_rows(
        &url,
        "SELECT i.item_key, i.status, i.attempts FROM node_items i JOIN node_runs n ON n.id = i.node_run_id
          WHERE n.node_id = 'keyframes'",
    )
    .await
    {
        let (key, status, attempts): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(status, "completed");
        if done_before.contains(&key) {
            assert_eq!(attempts, 1, "finished item {key} was redone");
        }
    }
    let assets = get(format!(
        "{base_b}/api/v1/assets?project_id={pid}&type=keyframe_image&limit=100"
    ))
    .await;
    assert_eq!(
        assets["total"], shots as u64,
        "a keyframe was rendered twice"
    );
    // Nothing is held for the dead replica any more, and the ledger reconciles.
    let pending = pg_rows(
        &url,
        "SELECT COUNT(*) FROM ledger_holds WHERE status = 'pending'",
    )
    .await;
    assert_eq!(pending[0].get::<_, i64>(0), 0);
    let check: Value = client
        .post(format!("{base_b}/api/v1/admin/reconciliation"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["success"], true, "{check}");
    b.kill().unwrap();
    b.wait().unwrap();
}

/// Rate limits hold across replicas on PostgreSQL: a caller's allowance is counted in the
/// database, so spreading requests over both replicas, one after another or all at once, gets
/// no more through than one replica would let through. (On SQLite one process serves the file
/// and counts in memory: nothing to share.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limits_hold_across_two_replicas() {
    use std::time::Duration;
    use storyloom::limits::Limiter;
    let (_dir, a, b) = two_replicas().await;
    if a.db.dialect() != storyloom::db::sql::Dialect::Postgres {
        return;
    }
    let minute = Duration::from_secs(60);
    let on_a = Limiter::new("test", 6, minute, &a.db);
    let on_b = Limiter::new("test", 6, minute, &b.db);
    // One after another, alternating replicas: six pass, counting down the burst.
    let mut remaining = Vec::new();
    for i in 0..6 {
        let replica = if i % 2 == 0 { &on_a } else { &on_b };
        remaining.push(replica.check("user:ann").await.unwrap().remaining);
    }
    assert_eq!(remaining, [5, 4, 3, 2, 1, 0]);
    for replica in [&on_a, &on_b] {
        let refused = replica.check("user:ann").await.unwrap_err();
        // One request comes back every ten seconds (six a minute).
        assert!(
            refused.wait > Duration::from_secs(8) && refused.wait <= Duration::from_secs(10),
            "{refused:?}"
        );
    }
    // Another caller has a bucket of its own.
    assert_eq!(on_b.check("user:bob").await.unwrap().remaining, 5);

    // Forty at once from both replicas on a fresh caller: exactly six pass.
    let (on_a, on_b) = (std::sync::Arc::new(on_a), std::sync::Arc::new(on_b));
    let calls = (0..40).map(|i| {
        let replica = if i % 2 == 0 {
            on_a.clone()
        } else {
            on_b.clone()
        };
        tokio::spawn(async move { replica.check("key:k1").await.is_ok() })
    });
    let passed = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .filter(|ok| *ok.as_ref().unwrap())
        .count();
    assert_eq!(passed, 6, "the burst is shared, not per replica");

    // The server's own limiters are shared too (queries: 100 a minute by default). One query
    // comes back every 0.6 s, so a slow database lets a few more through while the loop runs;
    // unshared counting would let 200 through.
    let started = std::time::Instant::now();
    let mut passed = 0;
    let refused = loop {
        let replica = if passed % 2 == 0 { &a } else { &b };
        match replica
            .limits
            .check_caller(storyloom::api::limits::RouteClass::Query, "user:cy")
            .await
        {
            Ok(_) => passed += 1,
            Err(refused) => break refused,
        }
        assert!(passed <= 200, "the query limit is not shared");
    };
    let refilled = (started.elapsed().as_secs_f64() / 0.6).ceil() as usize;
    assert!(
        (100..=100 + refilled).contains(&passed),
        "{passed} passed in {:?}",
        started.elapsed()
    );
    assert_eq!(refused.rate_limit, Some(100));

    // A cell that has refilled is swept; spent ones stay.
    let quick = Limiter::new("quick", 1000, minute, &a.db);
    quick.check("user:dee").await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        storyloom::limits::forget_full_cells(&a.db).await.unwrap(),
        1
    );
    assert!(
        on_a.check("user:ann").await.is_err(),
        "a spent cell is kept"
    );
}

/// API keys work on every replica, and revoking one on replica A stops it on replica B at once:
/// B's cached key check is dropped when A's change commits (a trigger's NOTIFY), not after the
/// cache's five seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_revoked_on_one_replica_stops_working_on_the_other_at_once() {
    use std::time::{Duration, Instant};
    use storyloom::auth::{self, AuthError, Scope};
    let (_dir, a, b) = two_replicas().await;
    let Some(url) = a.config.database_url.clone() else {
        return;
    };
    let owner = storyloom::accounts::create_user(&a, "kim", false)
        .await
        .unwrap();
    let key = auth::create_api_key(&a, &owner, "ci", &[Scope::Read], None)
        .await
        .unwrap();
    // B knows the key (its first use records the time; the second is served from B's cache).
    for _ in 0..2 {
        let caller = auth::authenticate_api_key(&b, &key.secret).await.unwrap();
        assert_eq!(caller.user_id, owner);
    }
    // That first use's write comes back to B as a NOTIFY, which moves B's generation on and drops
    // the entry; under load it can arrive after the second use. Let it arrive (or a second pass),
    // then cache the key once more, so the check below sees the cache and not that echo.
    let settled = b.db.credentials_generation();
    let waiting = Instant::now();
    while b.db.credentials_generation() == settled && waiting.elapsed() < Duration::from_secs(1) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    auth::authenticate_api_key(&b, &key.secret).await.unwrap();
    // A change that announces nothing (triggers off for this session) stays hidden by B's cache:
    // the cache is real, so only the announcement can explain what follows.
    pg_batch(
        &url,
        &format!(
            "SET session_replication_role = replica;
             UPDATE users SET status = 'suspended' WHERE id = '{owner}'"
        ),
    )
    .await;
    assert!(auth::authenticate_api_key(&b, &key.secret).await.is_ok());
    pg_batch(
        &url,
        &format!(
            "SET session_replication_role = replica;
             UPDATE users SET status = 'active' WHERE id = '{owner}'"
        ),
    )
    .await;

    // Revoked through A: B refuses it well within the cache's maximum age.
    let revoked_at = Instant::now();
    assert!(auth::revoke_api_key(&a, &key.id).await.unwrap());
    loop {
        match auth::authenticate_api_key(&b, &key.secret).await {
            Err(AuthError::RevokedApiKey) => break,
            Ok(_) => assert!(
                revoked_at.elapsed() < Duration::from_secs(1),
                "B still accepts the key a second after A revoked it"
            ),
            Err(other) => panic!("{other}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(auth::KEY_CACHE_MAX_AGE > Duration::from_secs(2));
}
