//! Workflow templates over real TCP: the built-in templates, user templates with versions, and
//! validation that names the offending node.
use crate::common;

use common::{assert_error, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use storyloom::config::AuthMode;

fn small_graph() -> Value {
    json!({
        "nodes": [
            {"id": "parse", "kind": "script.parse"},
            {"id": "plan", "kind": "storyboard.plan"},
            {"id": "frames", "kind": "keyframe.render", "config": {"provider": "builtin.animatic"}}
        ],
        "edges": [
            {"from": "parse.breakdown", "to": "plan.breakdown"},
            {"from": "plan.storyboard", "to": "frames.storyboard"}
        ]
    })
}

#[tokio::test]
async fn builtin_templates_are_listed_valid_and_read_only() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, list) = s.get("/api/v1/workflows/templates").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["animatic", "full_production"]);
    for id in ["animatic", "full_production"] {
        let (status, t) = s.get(&format!("/api/v1/workflows/templates/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(t["builtin"], true);
        let vid = t["current_version"]["id"].as_str().unwrap();
        let (status, v) = s
            .get(&format!("/api/v1/workflows/versions/{vid}/validate"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["valid"], true, "{v}");
    }
    let (_, animatic) = s.get("/api/v1/workflows/templates/animatic").await;
    let kinds: Vec<&str> = animatic["current_version"]["graph"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    for k in [
        "script.parse",
        "keyframe.render",
        "review",
        "voice.tts",
        "video.compose",
    ] {
        assert!(kinds.contains(&k), "animatic lacks {k}");
    }
    let (status, body) = s
        .post(
            "/api/v1/workflows/templates/animatic/versions",
            json!({"graph": small_graph()}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "FORBIDDEN", None);

    let (status, kinds) = s.get("/api/v1/workflows/node-kinds").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kinds["items"].as_array().unwrap().len(), 11);
}

#[tokio::test]
async fn user_templates_have_numbered_versions() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, t) = s
        .post(
            "/api/v1/workflows/templates",
            json!({"name": "Frames only", "graph": small_graph(), "note": "first"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["builtin"], false);
    assert_eq!(t["current_version"]["number"], 1);
    let id = t["id"].as_str().unwrap();

    let mut g = small_graph();
    g["nodes"][2]["config"]["seed"] = json!(7);
    let (status, v2) = s
        .post(
            &format!("/api/v1/workflows/templates/{id}/versions"),
            json!({"graph": g}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["number"], 2);
    let (_, t) = s.get(&format!("/api/v1/workflows/templates/{id}")).await;
    assert_eq!(t["current_version"]["id"], v2["id"]);
    assert_eq!(t["version_count"], 2);
    let (_, versions) = s
        .get(&format!("/api/v1/workflows/templates/{id}/versions"))
        .await;
    assert_eq!(versions["total"], 2);
    let v1 = versions["items"][1]["id"].as_str().unwrap();
    let (status, old) = s
        .get(&format!("/api/v1/workflows/templates/{id}/versions/{v1}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(old["note"], "first");
    assert!(old["graph"]["nodes"][2]["config"].get("seed").is_none());

    let (status, body) = s
        .post(
            "/api/v1/workflows/templates",
            json!({"name": "Frames only", "graph": small_graph()}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "CONFLICT", Some("name"));
    let (status, _) = s
        .get(&format!(
            "/api/v1/workflows/templates/animatic/versions/{v1}"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_graphs_name_every_offending_node() {
    let s = TestServer::start(AuthMode::Local).await;
    let bad = json!({
        "nodes": [
            {"id": "parse", "kind": "script.parse"},
            {"id": "magic", "kind": "teleport"},
            {"id": "frames", "kind": "keyframe.render"},
            {"id": "r1", "kind": "review"},
            {"id": "r2", "kind": "review"}
        ],
        "edges": [
            {"from": "parse.breakdown", "to": "frames.storyboard"},
            {"from": "r1.images", "to": "r2.images"},
            {"from": "r2.images", "to": "r1.images"}
        ]
    });
    let (status, v) = s.post("/api/v1/workflows/validate", bad.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["valid"], false);
    let found: Vec<(String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["node_id"].as_str().unwrap_or("").to_string(),
                p["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("magic", "unknown_kind"),
        ("frames", "type_mismatch"),
        ("frames", "missing_input"),
        ("r1", "cycle"),
    ] {
        assert!(
            found.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not in {found:?}"
        );
    }

    // Storing it is a 422 whose errors name the nodes.
    let (status, body) = s
        .post(
            "/api/v1/workflows/templates",
            json!({"name": "Broken", "graph": bad}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("graph.nodes.magic"));
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"graph.nodes.frames") && fields.contains(&"graph.nodes.r1"),
        "{fields:?}"
    );

    // A graph that is not even the right shape is a 422 naming the JSON path.
    let (status, body) = s
        .post(
            "/api/v1/workflows/validate",
            json!({"nodes": [{"id": "a"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, v) = s.post("/api/v1/workflows/validate", small_graph()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v, json!({"valid": true, "problems": []}));
}
