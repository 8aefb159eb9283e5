//! Ledger benchmark (issue 6): holds + settles per second through the real service on one SQLite file
//! (WAL, `synchronous = NORMAL`, one writer connection), with 1, 8 and 64 concurrent writers, beside
//! SQLite's own raw insert rate on the same machine in the same run:
//! - raw, one row per `BEGIN IMMEDIATE` transaction (the shape of every ledger write);
//! - raw, 200,000 rows in one transaction (SQLite's ceiling).
//!
//! A hold + settle is two writes: the hold (balance check and debit, one transfer with two entries,
//! the hold row) and the settle (charge, release of the rest, the hold's resolution). Concurrent
//! writes share commits (`Db::write`'s group commit); each row says how many per commit.
//!
//! Run: `cargo bench --bench ledger`. Prints Markdown rows.
use std::{sync::Arc, time::Instant};

use rusqlite::{params, Connection};
use storyloom::{
    config::{AuthMode, Config},
    ledger::{self, GrantKind, HoldRequest, Purpose},
    AppState,
};

const PAIRS: usize = 4000;

fn raw_rates(dir: &std::path::Path) -> (f64, f64) {
    let c = Connection::open(dir.join("raw.db")).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "NORMAL").unwrap();
    c.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT NOT NULL, v INTEGER NOT NULL, at TEXT NOT NULL)",
    )
    .unwrap();
    let n = 20_000;
    let t = Instant::now();
    for i in 0..n {
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        c.execute(
            "INSERT INTO t (k, v, at) VALUES (?1, ?2, '2026-02-08T10:00:00.000Z')",
            params![format!("key-{i}"), i],
        )
        .unwrap();
        c.execute_batch("COMMIT").unwrap();
    }
    let per_tx = n as f64 / t.elapsed().as_secs_f64();
    let n = 200_000;
    let t = Instant::now();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    {
        let mut stmt = c
            .prepare("INSERT INTO t (k, v, at) VALUES (?1, ?2, '2026-02-08T10:00:00.000Z')")
            .unwrap();
        for i in 0..n {
            stmt.execute(params![format!("bulk-{i}"), i]).unwrap();
        }
    }
    c.execute_batch("COMMIT").unwrap();
    let bulk = n as f64 / t.elapsed().as_secs_f64();
    (per_tx, bulk)
}

async fn pairs(state: &AppState, user: &str, writer: usize, n: usize) {
    for i in 0..n {
        let h = ledger::hold(
            state,
            HoldRequest {
                owner_id: user.to_string(),
                amount: 10,
                purpose: Purpose::Job,
                work_id: format!("w{writer}-{i}"),
                key: format!("bench:{writer}:{i}:{}", state.ids.new_id()),
                description: String::new(),
                meta: serde_json::Value::Null,
                ttl_secs: None,
            },
        )
        .await
        .unwrap();
        ledger::settle(state, &h.id, 7).await.unwrap();
    }
}

/// Pairs per second, and the mean number of writes each committed transaction carried.
async fn ledger_rate(state: &AppState, users: &[String], writers: usize) -> (f64, f64) {
    let per = PAIRS / writers;
    let before = state.db.write_counts();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (state, user) = (state.clone(), users[w % users.len()].clone());
        tasks.push(tokio::spawn(
            async move { pairs(&state, &user, w, per).await },
        ));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = (per * writers) as f64 / t.elapsed().as_secs_f64();
    let after = state.db.write_counts();
    let batch = (after.0 - before.0) as f64 / (after.1 - before.1).max(1) as f64;
    (rate, batch)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (raw_tx, raw_bulk) = raw_rates(dir.path());
    let state =
        AppState::open(Config::server(dir.path().join("data"), AuthMode::Accounts)).unwrap();
    let state = Arc::new(state);
    let (one, eight, one_shared, many) = rt.block_on(async {
        let mut users = Vec::new();
        for i in 0..8 {
            let u = storyloom::accounts::create_user(&state, &format!("bench{i}"), false)
                .await
                .unwrap();
            ledger::grant(&state, &u, 1_000_000_000, GrantKind::Grant, None, "bench")
                .await
                .unwrap();
            users.push(u);
        }
        // Warm-up.
        pairs(&state, &users[0], 99, 200).await;
        let one = ledger_rate(&state, &users[..1], 1).await;
        let eight = ledger_rate(&state, &users, 8).await;
        let one_shared = ledger_rate(&state, &users[..1], 8).await;
        let many = ledger_rate(&state, &users, 64).await;
        (one, eight, one_shared, many)
    });
    let report = rt
        .block_on(ledger::reconcile::reconcile(&state, false))
        .unwrap();
    assert!(report.success, "the benchmark left the ledger inconsistent");
    println!("| case | rate |");
    println!("|---|---|");
    println!("| SQLite raw insert, one row per BEGIN IMMEDIATE transaction | {raw_tx:.0} rows/s |");
    println!("| SQLite raw insert, 200,000 rows in one transaction | {raw_bulk:.0} rows/s |");
    for (case, (rate, batch)) in [
        ("1 writer", one),
        ("8 concurrent writers (8 wallets)", eight),
        ("8 concurrent writers on one wallet", one_shared),
        ("64 concurrent writers (8 wallets)", many),
    ] {
        println!(
            "| ledger hold + settle, {case} | {rate:.0} pairs/s ({:.0} writes/s, {batch:.1} per commit) |",
            rate * 2.0
        );
    }
    println!(
        "\n{PAIRS} pairs per case; reconciliation after the run: {} checked, {} issues",
        report.checked_count,
        report.issues.len()
    );
}
