//! The projects API over real TCP: CRUD, undoable delete, pagination, validation and error bodies.
use crate::common;

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use storyloom::config::AuthMode;

#[tokio::test]
async fn create_get_update_delete_restore() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, created) = s
        .post(
            "/api/v1/projects",
            json!({"name": "  我的第一个短剧 ", "description": "一个关于爱情的故事", "aspect_ratio": "16:9"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "我的第一个短剧", "name is trimmed");
    assert_eq!(created["aspect_ratio"], "16:9");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["created_at"], "2026-02-08T10:00:00.000Z");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);

    let (status, got) = s.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);

    s.clock.advance(chrono::Duration::minutes(5));
    let (status, updated) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/projects/{id}"),
            Some(
                json!({"name": "Renamed", "status": "in_progress", "script": "场景1：公园 日 外"}),
            ),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["status"], "in_progress");
    assert_eq!(updated["script"], "场景1：公园 日 外");
    assert_eq!(
        updated["description"], "一个关于爱情的故事",
        "untouched fields stay"
    );
    assert_eq!(updated["updated_at"], "2026-02-08T10:05:00.000Z");
    assert_eq!(updated["created_at"], created["created_at"]);

    let (status, put) = s
        .call(
            Method::PUT,
            &format!("/api/v1/projects/{id}"),
            Some(json!({"description": "new"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(put["description"], "new");
    assert_eq!(put["name"], "Renamed");

    let (status, deleted) = s
        .call(Method::DELETE, &format!("/api/v1/projects/{id}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["message"], "Project deleted successfully");
    assert_eq!(deleted["id"], id.as_str());

    let (status, body) = s.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
    let (_, list) = s.get("/api/v1/projects").await;
    assert_eq!(list["total"], 0);
    let (status, body) = s
        .call(Method::DELETE, &format!("/api/v1/projects/{id}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleting twice: {body}");

    let (status, restored) = s
        .post(&format!("/api/v1/projects/{id}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(restored["name"], "Renamed");
    let (_, list) = s.get("/api/v1/projects").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
}

#[tokio::test]
async fn pagination_bounds_and_status_filter() {
    let s = TestServer::start(AuthMode::Local).await;
    for i in 0..25 {
        s.clock.advance(chrono::Duration::seconds(1));
        let (status, p) = s
            .post("/api/v1/projects", json!({"name": format!("P{i:02}")}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        if i % 5 == 0 {
            let id = p["id"].as_str().unwrap();
            s.call(
                Method::PATCH,
                &format!("/api/v1/projects/{id}"),
                Some(json!({"status": "completed"})),
                &[],
            )
            .await;
        }
    }
    let (status, page1) = s.get("/api/v1/projects?page=1&limit=10").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page1["total"], 25);
    assert_eq!(page1["page"], 1);
    assert_eq!(page1["limit"], 10);
    assert_eq!(page1["totalPages"], 3);
    assert_eq!(page1["items"].as_array().unwrap().len(), 10);

    let (_, page3) = s.get("/api/v1/projects?page=3&limit=10").await;
    let names: Vec<_> = page3["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    // Newest first: page 3 holds the five oldest.
    assert_eq!(names, ["P04", "P03", "P02", "P01", "P00"]);

    let (_, beyond) = s.get("/api/v1/projects?page=9&limit=10").await;
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 25);

    let (_, skipped) = s.get("/api/v1/projects?skip=20&limit=10").await;
    assert_eq!(skipped["page"], 3);
    assert_eq!(skipped["items"], page3["items"], "skip=20 is page 3");

    let (_, default) = s.get("/api/v1/projects").await;
    assert_eq!(default["limit"], 20);
    assert_eq!(default["items"].as_array().unwrap().len(), 20);

    let (_, max) = s.get("/api/v1/projects?limit=100").await;
    assert_eq!(max["items"].as_array().unwrap().len(), 25);

    let (_, completed) = s.get("/api/v1/projects?status=completed").await;
    assert_eq!(completed["total"], 5);
    assert!(completed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "completed"));

    for (query, status, field) in [
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=101", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("page=0", StatusCode::UNPROCESSABLE_ENTITY, "page"),
        ("page=-1", StatusCode::BAD_REQUEST, "page"),
        ("page=abc", StatusCode::BAD_REQUEST, "page"),
        ("status=archived", StatusCode::BAD_REQUEST, "status"),
    ] {
        let (got, body) = s.get(&format!("/api/v1/projects?{query}")).await;
        assert_eq!(got, status, "{query}: {body}");
        // A parameter that cannot be read is a 400; one read but refused, a 422.
        let code = if status == StatusCode::BAD_REQUEST {
            "BAD_REQUEST"
        } else {
            "VALIDATION_ERROR"
        };
        assert_error(&body, code, Some(field));
    }
}

#[tokio::test]
async fn bad_bodies_get_clear_errors_naming_the_field() {
    let s = TestServer::start(AuthMode::Local).await;
    let raw = |body: &'static str, ct: &'static str| {
        s.client
            .post(s.url("/api/v1/projects"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let res = raw("{\"name\": \"x\"", "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_error(&res.json().await.unwrap(), "BAD_REQUEST", None);

    let res = raw("", "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = raw("name=x", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error(&res.json().await.unwrap(), "UNSUPPORTED_MEDIA_TYPE", None);

    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": 42}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": "ok", "aspect_ratio": "4:3"}), "aspect_ratio"),
        (json!({"name": "ok", "description": ["a"]}), "description"),
        (json!({"name": "ok", "style": "s".repeat(101)}), "style"),
    ] {
        let (status, err) = s.post("/api/v1/projects", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
        assert!(
            err["detail"].as_str().unwrap().contains(field),
            "the message names the field: {err}"
        );
    }
    let (_, list) = s.get("/api/v1/projects").await;
    assert_eq!(list["total"], 0, "no invalid project was stored");

    // A bad update changes nothing.
    let (_, p) = s.post("/api/v1/projects", json!({"name": "Keep"})).await;
    let id = p["id"].as_str().unwrap();
    let (status, err) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/projects/{id}"),
            Some(json!({"name": "", "description": "lost?"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&err, "VALIDATION_ERROR", Some("name"));
    let (_, still) = s.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(still, p);
}

#[tokio::test]
async fn unknown_ids_routes_and_methods() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, body) = s
        .get("/api/v1/projects/019b0000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
    let (status, body) = s.get("/api/v1/projects/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
    let (status, body) = s
        .call(
            Method::PATCH,
            "/api/v1/projects/nope",
            Some(json!({"name": "x"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
    let (status, body) = s.get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
    let (status, body) = s.call(Method::DELETE, "/api/v1/projects", None, &[]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&body, "METHOD_NOT_ALLOWED", None);
}

#[tokio::test]
async fn oversized_body_is_413_and_nothing_is_stored() {
    let s = TestServer::start(AuthMode::Local).await;
    let huge = "x".repeat(s.state.config.max_json_bytes + 1024);
    let res = s
        .client
        .post(s.url("/api/v1/projects"))
        .header("content-type", "application/json")
        .body(format!("{{\"name\":\"big\",\"description\":\"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&res.json().await.unwrap(), "PAYLOAD_TOO_LARGE", None);
    let (_, list) = s.get("/api/v1/projects").await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn health_openapi_and_request_ids() {
    let s = TestServer::start(AuthMode::Accounts).await;
    // Health needs no credentials, even in accounts mode.
    let (status, health) = s.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "connected");
    assert_eq!(health["storage"], "connected");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(health["uptime"].is_u64());

    let (status, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/projects",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{id}/restore",
        "/health",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    for method in ["get", "put", "patch", "delete"] {
        assert!(
            doc["paths"]["/api/v1/projects/{id}"].get(method).is_some(),
            "{method}"
        );
    }
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
    assert!(doc["components"]["securitySchemes"]
        .get("api_key")
        .is_some());

    let res = s.client.get(s.url("/health")).send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    let res = s
        .client
        .get(s.url("/health"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["x-request-id"],
        "trace-me-123",
        "a caller's id is kept"
    );
}

#[tokio::test]
async fn cors_answers_the_desktop_webview_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = storyloom::config::Config::desktop(dir.path().to_path_buf());
    let s = TestServer::start_in(dir, config).await;
    let preflight = |origin: &'static str| {
        s.client
            .request(Method::OPTIONS, s.url("/api/v1/projects"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight("tauri://localhost").await.unwrap();
    assert!(ok.status().is_success());
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "tauri://localhost"
    );
    let evil = preflight("http://evil.example").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
}

/// Runs the built-in animatic template on the project, continuing past its review gate.
async fn finish_animatic_run(s: &TestServer, pid: &str) -> serde_json::Value {
    let (status, run) = s
        .post(
            "/api/v1/workflow-runs",
            json!({"project_id": pid, "template_id": "animatic"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let id = run["id"].as_str().unwrap().to_string();
    for _ in 0..1200 {
        let (_, run) = s.get(&format!("/api/v1/workflow-runs/{id}")).await;
        match run["status"].as_str().unwrap() {
            "waiting_review" => {
                let gate = run["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|st| st["kind"] == "review")
                    .unwrap()["node_run_id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let (status, body) = s
                    .post(
                        &format!("/api/v1/workflow/node-runs/{gate}/review/continue"),
                        json!({}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
            "completed" => return run,
            "failed" | "cancelled" => panic!("run ended: {run}"),
            _ => {}
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("run {id} never finished");
}

/// The stored list columns (migration 0013) agree with their derivation from runs and exports.
fn assert_no_drift(s: &TestServer, after: &str) {
    let drift = s
        .state
        .db
        .read_sync(|c| {
            storyloom::projects::stored_list_columns_drift(c).map_err(storyloom::db::DbError::from)
        })
        .unwrap();
    assert!(drift.is_empty(), "after {after}: {drift:#?}");
}

fn listed<'a>(list: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

/// Issue 14, item 7: the list kept "draft", the creation time and no thumbnail after a run and an
/// export. Status, updated time and thumbnail follow the project's runs and exports.
#[tokio::test]
async fn status_updated_time_and_thumbnail_follow_runs_and_exports() {
    let s = TestServer::start(AuthMode::Local).await;
    let (_, p) = s
        .post("/api/v1/projects", json!({"name": "有进展的短剧"}))
        .await;
    let (pid, vid) = (
        p["id"].as_str().unwrap().to_string(),
        p["current_version_id"].as_str().unwrap().to_string(),
    );
    let (_, other) = s
        .post("/api/v1/projects", json!({"name": "Untouched"}))
        .await;
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/api/v1/projects/{pid}/versions/{vid}/script"),
            Some(json!({"text": "场景1：公园 日 外\n△ 林晓坐在长椅上看书。\n林晓：今天的风真舒服。\n"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_drift(&s, "a script save");
    let (_, list) = s.get("/api/v1/projects").await;
    assert_eq!(listed(&list, &pid)["status"], "draft");
    assert_eq!(
        listed(&list, &pid)["thumbnail_asset_id"],
        serde_json::Value::Null
    );

    s.clock.advance(chrono::Duration::hours(2));
    finish_animatic_run(&s, &pid).await;
    assert_no_drift(&s, "a run");
    let (_, list) = s.get("/api/v1/projects").await;
    let shown = listed(&list, &pid);
    assert_eq!(shown["status"], "in_progress", "{shown}");
    assert_eq!(
        shown["updated_at"], "2026-02-08T12:00:00.000Z",
        "the run's time"
    );
    assert_eq!(
        list["items"][0]["id"],
        pid.as_str(),
        "most recently worked on first"
    );
    let thumb = shown["thumbnail_asset_id"]
        .as_str()
        .expect("a keyframe thumbnail")
        .to_string();
    let (_, board) = s
        .get(&format!(
            "/api/v1/projects/{pid}/storyboard?version_id={vid}"
        ))
        .await;
    assert!(
        board.to_string().contains(&thumb),
        "a shot's keyframe: {board}"
    );
    let res = s
        .client
        .get(s.url(&format!("/api/v1/assets/{thumb}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mime = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(mime.starts_with("image/"), "{mime}");
    assert_eq!(
        listed(&list, other["id"].as_str().unwrap())["status"],
        "draft"
    );
    let (_, single) = s.get(&format!("/api/v1/projects/{pid}")).await;
    assert_eq!(&single, shown, "one project reads as the list shows it");

    s.clock.advance(chrono::Duration::hours(1));
    let (status, e) = s
        .post(
            "/api/v1/export",
            json!({"project_id": pid, "resolution": "480p", "format": "mp4", "fps": 24}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{e}");
    let export_id = e["export_id"].as_str().unwrap().to_string();
    for _ in 0..3000 {
        let (_, e) = s.get(&format!("/api/v1/export/{export_id}")).await;
        assert_ne!(e["status"], "failed", "{e}");
        if e["status"] == "completed" {
            break;
        }
        assert_no_drift(&s, "an export's progress");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_no_drift(&s, "an export");
    let (_, list) = s.get("/api/v1/projects").await;
    let shown = listed(&list, &pid);
    assert_eq!(shown["status"], "completed", "{shown}");
    assert_eq!(
        shown["updated_at"], "2026-02-08T13:00:00.000Z",
        "the export's time"
    );

    let (_, completed) = s.get("/api/v1/projects?status=completed").await;
    assert_eq!(completed["total"], 1);
    assert_eq!(completed["items"][0]["id"], pid.as_str());
    let (_, drafts) = s.get("/api/v1/projects?status=draft").await;
    assert_eq!(drafts["total"], 1, "only the untouched one: {drafts}");
}

/// The UI's API types are generated from `ui/openapi.json` (`npm run gen:api`, run by the UI's
/// build): that copy must be the document the server serves.
#[tokio::test]
async fn the_ui_copy_of_the_openapi_document_is_current() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, served) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/openapi.json");
    let copy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        copy == served,
        "ui/openapi.json is out of date: run `cargo run --features server -- openapi > ui/openapi.json`, \
         then `npm --prefix ui run gen:api`"
    );
}

/// The document is as strict as the server: a client generated from it does not send what the
/// server refuses (paging bounds, required parameters, the values a field is checked against).
#[tokio::test]
async fn the_openapi_document_states_the_constraints_the_server_checks() {
    let s = TestServer::start(AuthMode::Local).await;
    let (_, doc) = s.get("/api/v1/openapi.json").await;
    let mut lists = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let schema = &p["schema"];
                match (p["name"].as_str(), p["in"].as_str()) {
                    (Some("limit"), Some("query")) => {
                        lists += 1;
                        assert_eq!(schema["minimum"], 1, "{method} {path}");
                        assert_eq!(
                            schema["maximum"],
                            storyloom::paging::MAX_LIMIT,
                            "{method} {path}"
                        );
                    }
                    (Some("page"), Some("query")) => {
                        assert_eq!(schema["minimum"], 1, "{method} {path}")
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(lists >= 15, "every list is paged: {lists}");

    // Operation ids are unique (clients name their functions after them).
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operationId");

    let shots = &doc["paths"]["/api/v1/storyboards"]["get"]["parameters"];
    let project = shots
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "project_id")
        .unwrap();
    assert_eq!(project["required"], true);

    let schemas = &doc["components"]["schemas"];
    let patch = &schemas["ShotPatch"]["properties"];
    let sizes: Vec<&str> = patch["shot_type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let mut expected = storyloom::storyboard::SHOT_TYPES.to_vec();
    expected.push("");
    assert_eq!(sizes, expected);
    assert!(patch["camera_move"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("dolly_in")));
    assert!(patch["status"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("approved")));
    assert!(schemas["NewShot"]["properties"]["shot_type"]["enum"].is_array());

    let export = &schemas["ExportRequest"]["properties"];
    assert_eq!(export["fps"]["enum"], json!([24, 25, 30, null]));
    for (field, schema) in [
        ("resolution", "Resolution"),
        ("aspect_ratio", "Aspect"),
        ("format", "Container"),
        ("transition", "Transition"),
    ] {
        assert!(
            export[field]
                .to_string()
                .contains(&format!("#/components/schemas/{schema}")),
            "{field}: {}",
            export[field]
        );
    }
}
