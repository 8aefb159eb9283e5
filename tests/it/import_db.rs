//! Moving a SQLite server's data into PostgreSQL (`storyloom import-db`, issue 16): the copy has the
//! same rows, balances and answers, and the ledger reconciles. Runs in the PostgreSQL pass of the
//! suite (`STORYLOOM_TEST_DATABASE_URL`); on SQLite alone there is no target to move to.
use reqwest::StatusCode;
use serde_json::json;
use storyloom::{
    config::{AuthMode, Config},
    db::{copy, Db},
    ledger::{self, GrantKind, HoldRequest, Purpose},
};

use crate::common::{self, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_populated_sqlite_server_moves_into_postgres_with_identical_counts_balances_and_answers()
{
    let Some(url) = common::fresh_postgres_database().await else {
        return;
    };
    // The old server, on SQLite: an owner with projects, a parsed script, credits spent.
    let old = TestServer::start_on_sqlite(AuthMode::Local).await;
    let owner = old.state.local_owner_id.clone().unwrap();
    let (project, _version) = old
        .project_with_script(
            "第一集",
            "9:16",
            "INT. 天台 - 夜\n\n林晚站在风里。\n\n林晚\n你终于来了。\n\n陈默\n我一直都在。\n",
        )
        .await;
    let (status, _) = old
        .post(
            "/api/v1/projects",
            json!({"name": "second", "aspect_ratio": "16:9"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    ledger::grant(&old.state, &owner, 50, GrantKind::Grant, None, "start")
        .await
        .unwrap();
    let hold = ledger::hold(
        &old.state,
        HoldRequest {
            owner_id: owner.clone(),
            amount: 7,
            purpose: Purpose::Job,
            work_id: "job-1".into(),
            key: "job-1".into(),
            description: String::new(),
            meta: serde_json::Value::Null,
            ttl_secs: None,
        },
    )
    .await
    .unwrap();
    ledger::settle(&old.state, &hold.id, 5).await.unwrap();
    let (_, projects_before) = old.get("/api/v1/projects?page=1&limit=20").await;
    let (_, storyboard_before) = old
        .get(&format!("/api/v1/projects/{project}/storyboard"))
        .await;
    let (_, credits_before) = old.get("/api/v1/credit/balance").await;

    let target = Db::open_postgres(&url, 4).unwrap();
    let report = {
        let source = old.state.db.clone();
        tokio::task::spawn_blocking(move || copy::copy_sqlite_to_postgres(&source, &target))
            .await
            .unwrap()
            .unwrap()
    };
    assert!(report.matches(), "{report:?}");
    let rows = |t: &str| report.tables.iter().find(|c| c.table == t).unwrap().target;
    assert_eq!(rows("projects"), 2);
    assert!(rows("shots") >= 3, "{report:?}");
    assert!(rows("ledger_entries") >= 6, "{report:?}");

    // A second copy into the same (now populated) database is refused, not merged.
    let again = {
        let source = old.state.db.clone();
        let target = Db::open_postgres(&url, 2).unwrap();
        tokio::task::spawn_blocking(move || copy::copy_sqlite_to_postgres(&source, &target))
            .await
            .unwrap()
    };
    assert!(again.unwrap_err().to_string().contains("already holds"));

    // The new server on PostgreSQL answers as the old one did.
    let new = TestServer::start_exactly(
        tempfile::tempdir().unwrap(),
        Config {
            database_url: Some(url),
            ..Config::server(old.dir.path().to_path_buf(), AuthMode::Local)
        },
    )
    .await;
    assert_eq!(new.state.local_owner_id.as_deref(), Some(owner.as_str()));
    let (_, projects_after) = new.get("/api/v1/projects?page=1&limit=20").await;
    assert_eq!(projects_after, projects_before);
    let (_, storyboard_after) = new
        .get(&format!("/api/v1/projects/{project}/storyboard"))
        .await;
    assert_eq!(storyboard_after, storyboard_before);
    let (_, credits_after) = new.get("/api/v1/credit/balance").await;
    assert_eq!(credits_after, credits_before);
    assert_eq!(credits_after["available"], 45, "{credits_after}");
    let check = ledger::reconcile::reconcile(&new.state, false)
        .await
        .unwrap();
    assert!(check.success, "{:?}", check.issues);
}
