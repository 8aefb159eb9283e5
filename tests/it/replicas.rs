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
