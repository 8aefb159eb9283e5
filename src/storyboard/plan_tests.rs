//! Every statement the storyboard's hot paths run uses an index: the test traces the statements
//! of real reads and a real re-parse on a real database file, asks SQLite for each one's plan
//! (EXPLAIN QUERY PLAN) and fails on a full scan of a table (issue 14 item 10: one tenant's big
//! script made everyone's storyboard scan its shots).
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use rusqlite::{
    trace::{TraceEvent, TraceEventCodes},
    Connection,
};

use super::*;
use crate::{
    clock::{ManualClock, SequentialIds},
    config::{AuthMode, Config},
    projects, script,
    versions::{self, ScriptEdit},
};

static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(event: TraceEvent<'_>) {
    if let TraceEvent::Stmt(_, sql) = event {
        // Trigger sub-programs are reported as "-- TRIGGER name"; their plans are the table's own.
        if !sql.trim_start().starts_with("--") {
            STATEMENTS.lock().unwrap().push(sql.to_string());
        }
    }
}

/// The plan rows of `sql` that read a whole table (or a whole index in place of it). Scanning a
/// subquery's or a CTE's own result, or a constant row, is not a table scan.
fn full_scans(c: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = c
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|e| panic!("cannot explain {sql}: {e}"));
    // Parameters stay unbound (NULL): a plan does not depend on their values.
    let mut rows = stmt.raw_query();
    let mut details = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        details.push(row.get::<_, String>(3).unwrap());
    }
    details
        .into_iter()
        .filter(|d| {
            d.starts_with("SCAN ")
                && !d.starts_with("SCAN CONSTANT ROW")
                && !d.starts_with("SCAN (")
                && !d.contains("VIRTUAL TABLE")
        })
        .collect()
}

fn script_of(scenes: usize, tag: &str) -> String {
    let mut s = String::new();
    for i in 1..=scenes {
        s.push_str(&format!(
            "场景{i}：{tag}咖啡馆 日 内\n△林雪推门而入，看向窗外。\n林雪：第{i}次见面。\n陈默：好久不见。\n\n"
        ));
    }
    s
}

#[tokio::test]
async fn the_hot_storyboard_queries_use_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 2, 8, 10, 0, 0).unwrap());
    let state = AppState::open_with(
        Config::server(dir.path().to_path_buf(), AuthMode::Local),
        Arc::new(clock),
        Arc::new(SequentialIds::default()),
    )
    .unwrap();
    let owner = state.local_owner_id.clone().unwrap();
    let mut made = Vec::new();
    for (name, scenes) in [("another tenant's long script", 60), ("ours", 3)] {
        let project = projects::create(
            &state,
            &owner,
            projects::NewProject {
                name: name.into(),
                description: None,
                aspect_ratio: None,
                style: None,
            },
        )
        .await
        .unwrap();
        let version = project.current_version_id.clone().unwrap();
        let edit = ScriptEdit {
            text: script_of(scenes, name),
            parse: Some(true),
            base_revision: None,
        };
        versions::save_script(&state, &owner, &project.id, &version, edit)
            .await
            .unwrap();
        made.push((project.id, version));
    }
    let (p, v) = made.pop().unwrap();

    // The same statements the services run, on a connection of our own that is traced.
    let raw = Connection::open(dir.path().join("storyloom.db")).unwrap();
    raw.pragma_update(None, "foreign_keys", "ON").unwrap();
    raw.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(record));
    let c = crate::db::sql::Connection::sqlite(&raw);

    // Reads: the storyboard, its scenes, a scene, a shot, the versions.
    let version = versions::current_version(&c, &owner, &p).unwrap().unwrap();
    assert_eq!(version.id, v);
    let view = storyboard_view(&c, &p, &v).unwrap();
    assert_eq!(view.scenes.len(), 3);
    assert!(view.scenes.iter().all(|s| s.scene.shot_count > 0));
    let scenes = version_scenes(&c, &v).unwrap();
    assert_eq!(scenes[0].shot_count, view.scenes[0].scene.shot_count);
    load_scene(&c, &owner, &scenes[1].id).unwrap();
    let shot = &view.scenes[1].shots[0];
    let (row, project_id) = load_shot(&c, &owner, &shot.id, false).unwrap();
    assert_eq!(shot_view(&c, row, &project_id).unwrap().number, shot.number);
    versions::list_page(
        &c,
        &p,
        crate::paging::PageSpec::resolve(None, None, None).unwrap(),
    )
    .unwrap();
    // The project list: each project's shown status, updated time and thumbnail come from its
    // runs, exports and shots.
    let (listed, _) = projects::list_page(
        &c,
        &owner,
        None,
        crate::paging::PageSpec::resolve(None, None, None).unwrap(),
    )
    .unwrap();
    assert!(!listed.is_empty());
    projects::list_page(
        &c,
        &owner,
        Some("draft"),
        crate::paging::PageSpec::resolve(None, None, None).unwrap(),
    )
    .unwrap();
    // Writes on the hot path: a re-parse of a changed script, and a new project.
    let breakdown = script::parse(&script_of(4, "ours, longer")).unwrap();
    let ids = SequentialIds::default();
    let tx = raw.unchecked_transaction().unwrap();
    let in_tx = crate::db::sql::Connection::sqlite(&tx);
    apply_breakdown_in_tx(
        &in_tx,
        &ids,
        &p,
        &v,
        Some(&breakdown),
        "2026-02-08T10:01:00Z",
    )
    .unwrap();
    tx.rollback().unwrap();

    raw.trace_v2(TraceEventCodes::empty(), None);
    let statements = std::mem::take(&mut *STATEMENTS.lock().unwrap());
    assert!(
        statements.iter().any(|s| s.contains("FROM shots")),
        "the shots' queries were traced: {statements:#?}"
    );
    let mut scanned = Vec::new();
    for sql in statements.iter().filter(|s| {
        let upper = s.trim_start().to_ascii_uppercase();
        upper.starts_with("SELECT")
            || upper.starts_with("UPDATE")
            || upper.starts_with("DELETE")
            || upper.starts_with("INSERT")
    }) {
        for scan in full_scans(&raw, sql) {
            scanned.push(format!(
                "{scan}\n    in: {}",
                sql.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    assert!(
        scanned.is_empty(),
        "hot queries scan whole tables:\n{}",
        scanned.join("\n")
    );
}
