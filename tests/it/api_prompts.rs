//! The prompt templates API over real TCP: CRUD, versions, rendering with typed variables, every
//! bad variable in one 422, validation naming fields, and one user never seeing another's templates.
use crate::common;

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::{
    auth::{self, Scope},
    config::AuthMode,
};

/// A template using one variable of every type; `tone` has a default, `extra` is optional.
fn scene_prompt(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Keyframe prompt",
        "body": "{{ who }} in {{place}}, {{count}} shots at {{ speed }}x, night={{night}}; tags: {{tags}}; {{tone}}{{extra}}",
        "variables": [
            {"name": "who", "type": "string", "description": "The main character"},
            {"name": "place", "type": "string"},
            {"name": "count", "type": "integer"},
            {"name": "speed", "type": "number"},
            {"name": "night", "type": "boolean"},
            {"name": "tags", "type": "list"},
            {"name": "tone", "type": "string", "default": "cinematic"},
            {"name": "extra", "type": "string", "required": false},
        ],
        "note": "first draft",
    })
}

async fn create(s: &TestServer, body: Value) -> Value {
    let (status, created) = s.post("/api/v1/prompts", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// The `field` of each entry of `errors`, in order.
fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors array in {body}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

fn error_detail<'a>(body: &'a Value, field: &str) -> &'a str {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .unwrap_or_else(|| panic!("no error for {field} in {body}"))["detail"]
        .as_str()
        .unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn create_get_patch_delete() {
    let s = TestServer::start(AuthMode::Local).await;
    let created = create(&s, scene_prompt("  Keyframe  ")).await;
    assert_eq!(created["name"], "Keyframe", "name is trimmed");
    assert_eq!(created["description"], "Keyframe prompt");
    assert_eq!(created["version_count"], 1);
    assert_eq!(created["created_at"], "2026-02-08T10:00:00.000Z");
    assert_eq!(created["updated_at"], created["created_at"]);
    let tid = id(&created);
    assert_eq!(uuid::Uuid::parse_str(&tid).unwrap().get_version_num(), 7);

    let v1 = &created["current_version"];
    assert_eq!(v1["number"], 1);
    assert_eq!(v1["template_id"], tid.as_str());
    assert_eq!(v1["note"], "first draft");
    assert_eq!(v1["warnings"], json!([]));
    assert_eq!(v1["variables"].as_array().unwrap().len(), 8);
    let who = &v1["variables"][0];
    assert_eq!(
        who,
        &json!({"name": "who", "type": "string", "required": true, "default": null,
                "description": "The main character"})
    );
    assert_eq!(v1["variables"][6]["default"], "cinematic");
    assert_eq!(v1["variables"][7]["required"], false);

    let (status, got) = s.get(&format!("/api/v1/prompts/{tid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);

    s.clock.advance(chrono::Duration::minutes(3));
    let (status, patched) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/prompts/{tid}"),
            Some(json!({"name": "Keyframe v2", "description": ""})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "Keyframe v2");
    assert_eq!(patched["description"], "");
    assert_eq!(patched["updated_at"], "2026-02-08T10:03:00.000Z");
    assert_eq!(patched["created_at"], created["created_at"]);
    assert_eq!(
        patched["current_version"], created["current_version"],
        "a patch never touches the body"
    );

    let (status, only_desc) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/prompts/{tid}"),
            Some(json!({"description": "again"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(only_desc["name"], "Keyframe v2", "absent fields stay");

    let (status, deleted) = s
        .call(Method::DELETE, &format!("/api/v1/prompts/{tid}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["id"], tid.as_str());
    assert_eq!(deleted["deleted_at"], "2026-02-08T10:03:00.000Z");

    for path in [
        format!("/api/v1/prompts/{tid}"),
        format!("/api/v1/prompts/{tid}/versions"),
    ] {
        let (status, body) = s.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_error(&body, "NOT_FOUND", None);
    }
    let (status, _) = s
        .post(
            "/api/v1/prompts/render",
            json!({"template_id": tid, "variables": {}}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a deleted template cannot render"
    );
    let (status, _) = s
        .call(Method::DELETE, &format!("/api/v1/prompts/{tid}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleting twice");
    let (_, list) = s.get("/api/v1/prompts").await;
    assert_eq!(list["total"], 0);

    // The deleted template's name is free again.
    create(&s, scene_prompt("Keyframe v2")).await;
}

#[tokio::test]
async fn list_is_paginated_newest_updated_first_and_searchable() {
    let s = TestServer::start(AuthMode::Local).await;
    let mut ids = Vec::new();
    for name in [
        "Scene Writer",
        "Shot list",
        "Voice line",
        "Character sheet",
        "100% _literal_",
    ] {
        s.clock.advance(chrono::Duration::seconds(1));
        let t = create(&s, json!({"name": name, "body": "Write."})).await;
        ids.push(id(&t));
    }
    // Touching the oldest moves it to the front.
    s.clock.advance(chrono::Duration::seconds(1));
    let (status, _) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/prompts/{}", ids[0]),
            Some(json!({"description": "touched"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, page1) = s.get("/api/v1/prompts?page=1&limit=2").await;
    assert_eq!(status, StatusCode::OK, "{page1}");
    assert_eq!(page1["total"], 5);
    assert_eq!(page1["totalPages"], 3);
    assert_eq!(names(&page1), ["Scene Writer", "100% _literal_"]);
    assert_eq!(page1["items"][0]["current_version"]["body"], "Write.");
    let (_, page3) = s.get("/api/v1/prompts?page=3&limit=2").await;
    assert_eq!(names(&page3), ["Shot list"]);

    let (_, found) = s.get("/api/v1/prompts?q=SH").await;
    assert_eq!(found["total"], 2, "case-insensitive: {found}");
    assert_eq!(names(&found), ["Character sheet", "Shot list"]);
    let (_, literal) = s.get("/api/v1/prompts?q=%25%20_").await;
    assert_eq!(
        names(&literal),
        ["100% _literal_"],
        "% and _ are not wildcards"
    );
    let (_, blank) = s.get("/api/v1/prompts?q=%20").await;
    assert_eq!(blank["total"], 5, "a blank query does not filter");
    let (_, none) = s.get("/api/v1/prompts?q=nothing").await;
    assert_eq!(none["total"], 0);

    for (query, status, field) in [
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=101", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("page=abc", StatusCode::BAD_REQUEST, "page"),
    ] {
        let (got, body) = s.get(&format!("/api/v1/prompts?{query}")).await;
        assert_eq!(got, status, "{query}: {body}");
        // A parameter that cannot be read is a 400; one read but refused, a 422.
        let code = if status == StatusCode::BAD_REQUEST {
            "BAD_REQUEST"
        } else {
            "VALIDATION_ERROR"
        };
        assert_error(&body, code, Some(field));
    }
    let (status, body) = s
        .get(&format!("/api/v1/prompts?q={}", "x".repeat(201)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("q"));
}

#[tokio::test]
async fn versions_number_up_switch_current_and_old_ones_still_render() {
    let s = TestServer::start(AuthMode::Local).await;
    let t = create(
        &s,
        json!({"name": "Greeting", "body": "Hello {{name}}",
               "variables": [{"name": "name", "type": "string"}]}),
    )
    .await;
    let tid = id(&t);
    let v1 = id(&t["current_version"]);

    s.clock.advance(chrono::Duration::minutes(1));
    let (status, v2) = s
        .post(
            &format!("/api/v1/prompts/{tid}/versions"),
            json!({"body": "Hi {{ name }}, meet {{friend}}", "note": "two people",
                   "variables": [{"name": "name", "type": "string"},
                                 {"name": "friend", "type": "string"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["number"], 2);
    assert_eq!(v2["note"], "two people");
    assert_eq!(v2["template_id"], tid.as_str());
    assert_eq!(v2["created_at"], "2026-02-08T10:01:00.000Z");

    s.clock.advance(chrono::Duration::minutes(1));
    let (status, v3) = s
        .post(
            &format!("/api/v1/prompts/{tid}/versions"),
            json!({"body": "Yo {{name}}!", "variables": [{"name": "name", "type": "string"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v3}");
    assert_eq!(v3["number"], 3);
    assert_eq!(v3["note"], "");

    let (_, got) = s.get(&format!("/api/v1/prompts/{tid}")).await;
    assert_eq!(got["current_version"], v3, "the newest version is current");
    assert_eq!(got["version_count"], 3);
    assert_eq!(got["updated_at"], "2026-02-08T10:02:00.000Z");
    assert_eq!(got["created_at"], "2026-02-08T10:00:00.000Z");

    let (status, list) = s.get(&format!("/api/v1/prompts/{tid}/versions")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 3);
    let numbers: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1], "newest first");
    let (_, paged) = s
        .get(&format!("/api/v1/prompts/{tid}/versions?page=2&limit=2"))
        .await;
    assert_eq!(paged["items"][0]["id"], v1.as_str());

    let (status, old) = s.get(&format!("/api/v1/prompts/{tid}/versions/{v1}")).await;
    assert_eq!(status, StatusCode::OK, "{old}");
    assert_eq!(old["number"], 1);
    assert_eq!(old["body"], "Hello {{name}}");

    let render = |version: Option<&str>, vars: Value| {
        let mut req = json!({"template_id": tid, "variables": vars});
        if let Some(v) = version {
            req["version_id"] = json!(v);
        }
        s.post("/api/v1/prompts/render", req)
    };
    let (status, current) = render(None, json!({"name": "林晓"})).await;
    assert_eq!(status, StatusCode::OK, "{current}");
    assert_eq!(
        current,
        json!({"text": "Yo 林晓!", "template_id": tid, "version_id": id(&v3), "version_number": 3})
    );
    let (status, first) = render(Some(&v1), json!({"name": "林晓"})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["text"], "Hello 林晓");
    assert_eq!(first["version_number"], 1);
    // Each version checks its own declarations: `friend` is known only to version 2.
    let (status, second) = render(Some(&id(&v2)), json!({"name": "A", "friend": "B"})).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["text"], "Hi A, meet B");
    let (status, body) = render(Some(&v1), json!({"name": "A", "friend": "B"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_fields(&body), ["variables.friend"]);
}

#[tokio::test]
async fn render_fills_every_type_and_applies_defaults() {
    let s = TestServer::start(AuthMode::Local).await;
    let t = create(&s, scene_prompt("Keyframe")).await;
    let tid = id(&t);
    let cases = [
        (
            json!({"who": "林晓", "place": "雨夜的车站", "count": 3, "speed": 1.5, "night": true,
                   "tags": ["wet", "neon", 2, false]}),
            "林晓 in 雨夜的车站, 3 shots at 1.5x, night=true; tags: wet, neon, 2, false; cinematic",
        ),
        (
            // 2.0 is a whole number: an integer, shown without `.0`; the default is overridden.
            json!({"who": "A", "place": "B", "count": 2.0, "speed": 2, "night": false,
                   "tags": [], "tone": "noir", "extra": " (slow)"}),
            "A in B, 2 shots at 2x, night=false; tags: ; noir (slow)",
        ),
        (
            // null counts as not given: the default applies and the optional one renders empty.
            json!({"who": "A", "place": "B", "count": -1, "speed": 0.25, "night": true,
                   "tags": ["x"], "tone": null, "extra": null}),
            "A in B, -1 shots at 0.25x, night=true; tags: x; cinematic",
        ),
    ];
    for (vars, want) in cases {
        let (status, out) = s
            .post(
                "/api/v1/prompts/render",
                json!({"template_id": tid, "variables": vars}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{vars}: {out}");
        assert_eq!(out["text"], want, "{vars}");
        assert_eq!(out["version_id"], t["current_version"]["id"]);
        assert_eq!(out["version_number"], 1);
    }

    // Escapes and whitespace inside braces.
    let t = create(
        &s,
        json!({"name": "Escapes", "body": "\\{{x}} is literal, {{\tx  }} is not",
               "variables": [{"name": "x", "type": "integer", "default": 7}]}),
    )
    .await;
    let (status, out) = s
        .post("/api/v1/prompts/render", json!({"template_id": id(&t)}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["text"], "{{x}} is literal, 7 is not");
}

#[tokio::test]
async fn render_lists_every_bad_variable_in_one_422() {
    let s = TestServer::start(AuthMode::Local).await;
    let tid = id(&create(&s, scene_prompt("Keyframe")).await);
    let (status, body) = s
        .post(
            "/api/v1/prompts/render",
            json!({"template_id": tid, "variables": {
                // missing: who, place (required, no default)
                "count": 2.5,              // not an integer
                "speed": "fast",           // not a number
                "night": "yes",            // not a boolean
                "tags": ["ok", ["nested"]], // lists hold scalars only
                "tone": 5,                 // a default does not excuse a wrong type
                "mood": "sad",             // not declared
                "zeta": 1,                 // not declared
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("variables.who"));
    assert_eq!(
        error_fields(&body),
        [
            "variables.who",
            "variables.place",
            "variables.count",
            "variables.speed",
            "variables.night",
            "variables.tags",
            "variables.tone",
            "variables.mood",
            "variables.zeta",
        ]
    );
    assert!(error_detail(&body, "variables.who").contains("missing"));
    assert!(error_detail(&body, "variables.place").contains("missing"));
    assert!(error_detail(&body, "variables.count").contains("expected integer, got number"));
    assert!(error_detail(&body, "variables.speed").contains("expected number, got string"));
    assert!(error_detail(&body, "variables.night").contains("expected boolean"));
    assert!(error_detail(&body, "variables.tags").contains("expected list"));
    assert!(error_detail(&body, "variables.tone").contains("expected string, got integer"));
    assert!(error_detail(&body, "variables.mood").contains("unknown"));
    assert!(
        body["detail"].as_str().unwrap().contains("variables.zeta"),
        "the summary names every field: {body}"
    );

    // Wrong body shapes are the extractor's 422s naming the field.
    let (status, body) = s
        .post(
            "/api/v1/prompts/render",
            json!({"template_id": tid, "variables": ["who"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("variables"));
    let (status, body) = s
        .post("/api/v1/prompts/render", json!({"variables": {}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("template_id"));
}

#[tokio::test]
async fn create_and_new_versions_validate_every_field() {
    let s = TestServer::start(AuthMode::Local).await;

    let (status, body) = s
        .post(
            "/api/v1/prompts",
            json!({"name": "", "body": "{{a}} {{ghost}} {{ phantom }} {{a}}",
            "variables": [
                {"name": "a", "type": "string"},
                {"name": "b", "type": "integer", "default": "seven"},
                {"name": "2bad", "type": "string"},
                {"name": "a", "type": "list"},
                {"name": "ok", "type": "list", "default": [1, "x"]},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("name"));
    assert_eq!(
        error_fields(&body),
        [
            "name",
            "body",
            "variables[1].default",
            "variables[2].name",
            "variables[3].name"
        ]
    );
    let undeclared = error_detail(&body, "body");
    assert!(
        undeclared.contains("'ghost'") && undeclared.contains("'phantom'"),
        "{undeclared}"
    );
    assert!(!undeclared.contains("'a'"), "{undeclared}");
    assert!(error_detail(&body, "variables[3].name").contains("variables[0]"));

    // One bad field alone is named at the top level too.
    for (input, field, needle) in [
        (
            json!({"name": "x", "body": "{{who}}", "variables": [
                {"name": "who", "type": "string"}, {"name": "w", "type": "string"},
                {"name": "my-var", "type": "string"}]}),
            "variables[2].name",
            "not a valid variable name",
        ),
        (
            json!({"name": "x", "body": "Dear {{ who }}"}),
            "body",
            "'who'",
        ),
        (
            json!({"name": "x", "body": "Dear {{ who is }}"}),
            "body",
            "not a placeholder",
        ),
        (
            json!({"name": "x", "body": "Dear {{who"}),
            "body",
            "never closed",
        ),
        (json!({"name": "x", "body": "  "}), "body", "empty"),
        (
            json!({"name": "x", "body": "b".repeat(100_001)}),
            "body",
            "100000",
        ),
        (json!({"name": "n".repeat(201), "body": "b"}), "name", "200"),
        (
            json!({"name": "x", "body": "b", "note": "n".repeat(2001)}),
            "note",
            "2000",
        ),
    ] {
        let (status, body) = s.post("/api/v1/prompts", input.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{input}: {body}");
        assert_error(&body, "VALIDATION_ERROR", Some(field));
        assert!(
            body["detail"].as_str().unwrap().contains(needle),
            "{field}: {body}"
        );
    }

    // Shapes serde rejects: an unknown type, a missing body.
    for (input, field) in [
        (
            json!({"name": "x", "body": "b", "variables": [{"name": "v", "type": "date"}]}),
            "variables[0].type",
        ),
        (json!({"name": "x"}), "body"),
    ] {
        let (status, body) = s.post("/api/v1/prompts", input.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{input}: {body}");
        assert_error(&body, "VALIDATION_ERROR", Some(field));
    }
    let (_, list) = s.get("/api/v1/prompts").await;
    assert_eq!(list["total"], 0, "nothing invalid was stored");

    // Duplicate names per owner: 409 on create and on rename.
    let first = create(&s, json!({"name": "Shot", "body": "b"})).await;
    let other = create(&s, json!({"name": "Other", "body": "b"})).await;
    let (status, body) = s
        .post("/api/v1/prompts", json!({"name": " Shot ", "body": "c"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("name"));
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/prompts/{}", id(&other)),
            Some(json!({"name": "Shot"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("name"));
    let (status, same) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/prompts/{}", id(&first)),
            Some(json!({"name": "Shot"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "renaming to its own name: {same}");
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/prompts/{}", id(&first)),
            Some(json!({"name": "  "})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("name"));

    // New versions are checked the same way and a rejected one changes nothing.
    let (status, body) = s
        .post(
            &format!("/api/v1/prompts/{}/versions", id(&first)),
            json!({"body": "{{x}} {{y}}", "variables": [{"name": "x", "type": "string"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("body"));
    assert!(body["detail"].as_str().unwrap().contains("'y'"), "{body}");
    let (_, got) = s.get(&format!("/api/v1/prompts/{}", id(&first))).await;
    assert_eq!(got["version_count"], 1);
}

#[tokio::test]
async fn unused_variables_are_warnings_not_errors() {
    let s = TestServer::start(AuthMode::Local).await;
    let t = create(
        &s,
        json!({"name": "W", "body": "Only {{used}} here, \\{{unused}} is escaped",
               "variables": [{"name": "used", "type": "string"},
                             {"name": "unused", "type": "string", "required": false}]}),
    )
    .await;
    let warnings = t["current_version"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().contains("'unused'"));

    let (status, v2) = s
        .post(
            &format!("/api/v1/prompts/{}/versions", id(&t)),
            json!({"body": "{{used}} {{unused}}", "variables": [
                {"name": "used", "type": "string"}, {"name": "unused", "type": "string"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["warnings"], json!([]));
}

#[tokio::test]
async fn another_users_templates_do_not_exist_for_them() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let alice = storyloom::accounts::create_user(&s.state, "alice", false)
        .await
        .unwrap();
    let bob = storyloom::accounts::create_user(&s.state, "bob", false)
        .await
        .unwrap();
    let alice_auth = format!(
        "Bearer {}",
        auth::issue_access_token(&s.state, &alice).unwrap()
    );
    let bob_auth = format!(
        "Bearer {}",
        auth::issue_access_token(&s.state, &bob).unwrap()
    );
    let as_alice = [("authorization", alice_auth.as_str())];
    let as_bob = [("authorization", bob_auth.as_str())];

    let (status, body) = s.get("/api/v1/prompts").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "AUTH_REQUIRED", None);

    let (status, t) = s
        .call(
            Method::POST,
            "/api/v1/prompts",
            Some(json!({"name": "Secret", "body": "Hi {{x}}",
                        "variables": [{"name": "x", "type": "string", "default": "there"}]})),
            &as_alice,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let tid = id(&t);
    let vid = id(&t["current_version"]);

    for (method, path, body) in [
        (Method::GET, format!("/api/v1/prompts/{tid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/prompts/{tid}"),
            Some(json!({"name": "Mine now"})),
        ),
        (Method::DELETE, format!("/api/v1/prompts/{tid}"), None),
        (Method::GET, format!("/api/v1/prompts/{tid}/versions"), None),
        (
            Method::POST,
            format!("/api/v1/prompts/{tid}/versions"),
            Some(json!({"body": "overwritten"})),
        ),
        (
            Method::GET,
            format!("/api/v1/prompts/{tid}/versions/{vid}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/prompts/render".to_string(),
            Some(json!({"template_id": tid})),
        ),
    ] {
        let (status, res) = s.call(method.clone(), &path, body, &as_bob).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {res}");
        assert_error(&res, "NOT_FOUND", None);
    }
    let (_, bobs) = s.call(Method::GET, "/api/v1/prompts", None, &as_bob).await;
    assert_eq!(bobs["total"], 0);
    // Names are unique per owner only.
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/prompts",
            Some(json!({"name": "Secret", "body": "b"})),
            &as_bob,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Untouched by bob, and still renderable by alice.
    let (status, out) = s
        .call(
            Method::POST,
            "/api/v1/prompts/render",
            Some(json!({"template_id": tid})),
            &as_alice,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["text"], "Hi there");
    let (_, mine) = s
        .call(
            Method::GET,
            &format!("/api/v1/prompts/{tid}"),
            None,
            &as_alice,
        )
        .await;
    assert_eq!(mine["name"], "Secret");
    assert_eq!(mine["version_count"], 1);

    // A read-only key may list and render but not write.
    let key = auth::create_api_key(&s.state, &alice, "ro", &[Scope::Read], None)
        .await
        .unwrap();
    let ro = [("x-api-key", key.secret.as_str())];
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/prompts/render",
            Some(json!({"template_id": tid})),
            &ro,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s
        .call(
            Method::POST,
            &format!("/api/v1/prompts/{tid}/versions"),
            Some(json!({"body": "b"})),
            &ro,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "FORBIDDEN", None);
}

#[tokio::test]
async fn unknown_ids_are_404_and_malformed_json_is_400() {
    let s = TestServer::start(AuthMode::Local).await;
    let a = create(&s, json!({"name": "A", "body": "a"})).await;
    let b = create(&s, json!({"name": "B", "body": "b"})).await;
    let (aid, bvid) = (id(&a), id(&b["current_version"]));
    let missing = "01900000-0000-7000-8000-000000000000";

    for (method, path, body) in [
        (Method::GET, format!("/api/v1/prompts/{missing}"), None),
        (Method::GET, "/api/v1/prompts/not-a-uuid".to_string(), None),
        (
            Method::PATCH,
            format!("/api/v1/prompts/{missing}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/prompts/{missing}"), None),
        (
            Method::POST,
            format!("/api/v1/prompts/{missing}/versions"),
            Some(json!({"body": "b"})),
        ),
        (
            Method::GET,
            format!("/api/v1/prompts/{aid}/versions/{missing}"),
            None,
        ),
        // A version of another template is not a version of this one.
        (
            Method::GET,
            format!("/api/v1/prompts/{aid}/versions/{bvid}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/prompts/render".to_string(),
            Some(json!({"template_id": missing})),
        ),
        (
            Method::POST,
            "/api/v1/prompts/render".to_string(),
            Some(json!({"template_id": aid, "version_id": bvid})),
        ),
    ] {
        let (status, res) = s.call(method.clone(), &path, body, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {res}");
        assert_error(&res, "NOT_FOUND", None);
    }

    for path in [
        "/api/v1/prompts",
        "/api/v1/prompts/render",
        &format!("/api/v1/prompts/{aid}/versions"),
    ] {
        let res = s
            .client
            .post(s.url(path))
            .header("content-type", "application/json")
            .body("{\"name\": \"x\",")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_error(&res.json().await.unwrap(), "BAD_REQUEST", None);
    }
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/prompts/{aid}")))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // `render` is a static route beside `{id}`: GET on it is not a template lookup.
    let (status, body) = s.get("/api/v1/prompts/render").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}

#[tokio::test]
async fn openapi_documents_the_prompt_routes() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/api/v1/prompts", &["get", "post"][..]),
        ("/api/v1/prompts/render", &["post"][..]),
        ("/api/v1/prompts/{id}", &["get", "patch", "delete"][..]),
        ("/api/v1/prompts/{id}/versions", &["get", "post"][..]),
        ("/api/v1/prompts/{id}/versions/{version_id}", &["get"][..]),
    ] {
        for m in methods {
            assert_eq!(
                paths[path][m]["tags"],
                json!(["prompts"]),
                "{m} {path} in the OpenAPI document"
            );
        }
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "PromptTemplate",
        "PromptVersion",
        "VariableSpec",
        "RenderRequest",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name}");
    }
}
