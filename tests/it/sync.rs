//! Sync (issue 19; docs/SYNC.md): two real desktop cores (two data directories, the code the
//! shell runs) and one team server, over real TCP. Both desktops edit one project offline and
//! converge; a deleted shot edited elsewhere stays deleted; an approved keyframe is never
//! replaced; a decision made on the server reaches the desktop; concurrent edits are listed as
//! conflicts; seeded random edits on both sides always converge.
use crate::common::{assert_error, TestServer};
use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::TestRunner,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SCRIPT: &str = include_str!("../../assets/samples/last_train.fountain");

struct Team {
    server: TestServer,
    token: String,
    workspace: String,
}

async fn team() -> Team {
    let server = TestServer::start_team_server().await;
    let (id, token) = server.register("alice").await;
    Team {
        server,
        token,
        workspace: id,
    }
}

async fn desktop(team: &Team) -> TestServer {
    let desk = TestServer::start_desktop().await;
    let (status, body) = desk
        .post(
            "/api/v1/remote/sign-in",
            json!({"server_url": team.server.base, "username": "alice", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    desk
}

impl Team {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.server
            .call(method, path, body, &[("authorization", &self.token)])
            .await
    }
}

/// Drops what legitimately differs between machines (times, local URLs).
fn normalized(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| {
                    !k.ends_with("_at") && !k.ends_with("_url") && k != "script_revision"
                });
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// What a person sees of a project: its fields, its current version's script, its storyboard.
pub(crate) async fn seen(
    call: impl AsyncFn(Method, String) -> (StatusCode, Value),
    project: &str,
) -> Value {
    let (status, p) = call(Method::GET, format!("/api/v1/projects/{project}")).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let version = p["current_version_id"].as_str().unwrap().to_string();
    let (status, script) = call(
        Method::GET,
        format!("/api/v1/projects/{project}/versions/{version}/script"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{script}");
    let (status, board) = call(
        Method::GET,
        format!("/api/v1/projects/{project}/storyboard"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    normalized(json!({
        "name": p["name"], "description": p["description"], "aspect_ratio": p["aspect_ratio"],
        "version": version, "script": script["text"], "board": board,
    }))
}

async fn seen_on_desk(desk: &TestServer, project: &str) -> Value {
    seen(
        async |m, path| desk.call(m, &path, None, &[]).await,
        project,
    )
    .await
}

async fn seen_on_server(team: &Team, project: &str) -> Value {
    seen(async |m, path| team.call(m, &path, None).await, project).await
}

fn shot_ids(state: &Value) -> Vec<String> {
    state["board"]["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["shots"].as_array().unwrap().iter())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

async fn sync(desk: &TestServer, project: &str) -> Value {
    let (status, body) = desk
        .post(&format!("/api/v1/projects/{project}/sync/now"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["last_error"], Value::Null, "{body}");
    body
}

async fn patch_shot(desk: &TestServer, shot: &str, body: Value) {
    let (status, answer) = desk
        .call(
            Method::PATCH,
            &format!("/api/v1/storyboards/{shot}"),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// A project linked from desktop A and pulled onto desktop B.
async fn shared_project(team: &Team) -> (TestServer, TestServer, String) {
    let a = desktop(team).await;
    let (project, _) = a.project_with_script("Last train", "9:16", SCRIPT).await;
    let (status, linked) = a
        .post(
            &format!("/api/v1/projects/{project}/sync"),
            json!({"workspace_id": team.workspace}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");
    assert_eq!(linked["state"], "synced", "{linked}");
    assert_eq!(linked["pending"], 0);
    // The workspace's balance on the server, shown read-only to its owner.
    let (_, balance) = team.call(Method::GET, "/api/v1/credit/balance", None).await;
    assert_eq!(
        linked["workspace_balance"], balance["available"],
        "{linked}"
    );
    let b = desktop(team).await;
    let (status, pulled) = b
        .post(
            "/api/v1/sync/projects",
            json!({"project_id": project, "workspace_id": team.workspace}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pulled}");
    (a, b, project)
}

#[tokio::test]
async fn two_desktops_edit_offline_and_converge_with_the_server() {
    let team = team().await;
    let (a, b, project) = shared_project(&team).await;
    let on_a = seen_on_desk(&a, &project).await;
    assert_eq!(on_a, seen_on_server(&team, &project).await, "pushed whole");
    assert_eq!(on_a, seen_on_desk(&b, &project).await, "pulled whole");
    let shots = shot_ids(&on_a);
    assert!(shots.len() >= 4, "{on_a}");

    // Offline on both: A edits shot 0, and shot 1 which B deletes; B edits shot 2 and the name.
    a.clock.advance(chrono::Duration::seconds(10));
    b.clock.advance(chrono::Duration::seconds(20));
    patch_shot(
        &a,
        &shots[0],
        json!({"description": "A: the platform at dawn"}),
    )
    .await;
    patch_shot(
        &a,
        &shots[1],
        json!({"description": "A: edited while B deleted it"}),
    )
    .await;
    let (status, _) = b
        .call(
            Method::DELETE,
            &format!("/api/v1/storyboards/{}", shots[1]),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    patch_shot(
        &b,
        &shots[2],
        json!({"description": "B: close on the ticket"}),
    )
    .await;
    let (status, body) = b
        .call(
            Method::PATCH,
            &format!("/api/v1/projects/{project}"),
            Some(json!({"name": "Last train (B's title)"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Both edit shot 3 at once: B's edit is later and is kept; A's is set aside, and listed.
    patch_shot(&a, &shots[3], json!({"description": "A's take"})).await;
    patch_shot(&b, &shots[3], json!({"description": "B's take"})).await;

    let pending = sync(&a, &project).await;
    assert_eq!(pending["pending"], 0, "{pending}");
    sync(&b, &project).await;
    sync(&a, &project).await;

    let on_a = seen_on_desk(&a, &project).await;
    let on_b = seen_on_desk(&b, &project).await;
    assert_eq!(on_a, on_b);
    assert_eq!(on_a, seen_on_server(&team, &project).await);
    assert_eq!(on_a["name"], "Last train (B's title)");
    let ids = shot_ids(&on_a);
    assert!(
        !ids.contains(&shots[1]),
        "a deleted shot edited elsewhere stays deleted"
    );
    let shot = |id: &str| {
        on_a["board"]["scenes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["shots"].as_array().unwrap().iter())
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(shot(&shots[0])["description"], "A: the platform at dawn");
    assert_eq!(shot(&shots[2])["description"], "B: close on the ticket");
    assert_eq!(shot(&shots[3])["description"], "B's take");

    for desk in [&a, &b] {
        let (status, conflicts) = desk
            .get(&format!("/api/v1/projects/{project}/sync/conflicts"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let list = conflicts.as_array().unwrap();
        let about_3: Vec<&Value> = list
            .iter()
            .filter(|k| k["row_id"] == shots[3].as_str() && k["field"] == "description")
            .collect();
        assert_eq!(about_3.len(), 1, "{conflicts}");
        assert_eq!(about_3[0]["kept_value"], "B's take");
        assert_eq!(about_3[0]["set_aside_value"], "A's take");
        assert_eq!(about_3[0]["kept_by"], "alice", "named, not by id");
    }
    let (_, status) = a.get(&format!("/api/v1/projects/{project}/sync")).await;
    assert_eq!(status["state"], "conflict", "{status}");
}

#[tokio::test]
async fn scripts_edited_on_both_sides_merge_by_line() {
    let team = team().await;
    let (a, b, project) = shared_project(&team).await;
    let version = seen_on_desk(&a, &project).await["version"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/projects/{project}/versions/{version}/script");
    let first_line = SCRIPT.lines().next().unwrap();
    let last_line = SCRIPT.lines().last().unwrap();
    let ours = SCRIPT.replacen(first_line, "Title: Last Train (A's title)", 1);
    let theirs = format!("{SCRIPT}\n\nB adds a closing line.\n");
    for (desk, text) in [(&a, &ours), (&b, &theirs)] {
        let (status, body) = desk
            .call(Method::PUT, &path, Some(json!({"text": text})), &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    sync(&a, &project).await;
    sync(&b, &project).await;
    sync(&a, &project).await;
    let script = seen_on_desk(&a, &project).await["script"].clone();
    let text = script.as_str().unwrap();
    assert!(text.contains("Title: Last Train (A's title)"), "{text}");
    assert!(text.contains("B adds a closing line."), "{text}");
    assert!(text.contains(last_line));
    assert_eq!(seen_on_desk(&b, &project).await["script"], script);
}

#[tokio::test]
async fn an_approved_keyframe_is_never_replaced_and_the_servers_decision_reaches_the_desktop() {
    let team = team().await;
    let (a, _b, project) = shared_project(&team).await;
    let shots = shot_ids(&seen_on_desk(&a, &project).await);
    // Meanwhile on the server's web UI: the shot is approved.
    team.server.clock.advance(chrono::Duration::seconds(5));
    let (status, body) = team
        .call(
            Method::PATCH,
            &format!("/api/v1/storyboards/{}", shots[0]),
            Some(json!({"status": "approved"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let server_shot = |board: &Value| -> Value {
        board["board"]["scenes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["shots"].as_array().unwrap().iter())
            .find(|s| s["id"] == shots[0].as_str())
            .cloned()
            .unwrap()
    };
    let approved_keyframe =
        server_shot(&seen_on_server(&team, &project).await)["keyframe_asset_id"].clone();
    // Offline, later, the desktop points the shot at another keyframe without seeing the approval.
    a.clock.advance(chrono::Duration::seconds(60));
    let asset = a
        .multipart(
            "/api/v1/assets",
            &[("type", "keyframe_image"), ("project_id", &project)],
            vec![("file", "frame.png", tiny_png())],
        )
        .await;
    assert_eq!(asset.0, StatusCode::CREATED, "{}", asset.1);
    let asset_id = asset.1["id"].as_str().unwrap().to_string();
    let sha = asset.1["sha256"].as_str().unwrap().to_string();
    let first = shots[0].clone();
    a.state
        .db
        .write(move |c| {
            c.execute(
                "UPDATE shots SET keyframe_asset_id = ?1, updated_at = '2026-02-08T10:01:00.000Z' WHERE id = ?2",
                [asset_id.as_str(), first.as_str()],
            )
            .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap();
    sync(&a, &project).await;
    // The asset's file travelled once, by hash, and the server serves it to the workspace.
    let res = reqwest::Client::new()
        .get(team.server.url(&format!("/api/v1/sync/blobs/{sha}")))
        .header("authorization", &team.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), tiny_png());
    let on_server = server_shot(&seen_on_server(&team, &project).await);
    assert_eq!(on_server["status"], "approved");
    assert_eq!(
        on_server["keyframe_asset_id"], approved_keyframe,
        "the approved keyframe stays"
    );
    let on_desk = server_shot(&seen_on_desk(&a, &project).await);
    assert_eq!(
        on_desk["status"], "approved",
        "the decision reached the desktop"
    );
    assert_eq!(on_desk["keyframe_asset_id"], approved_keyframe);
    let (_, conflicts) = a
        .get(&format!("/api/v1/projects/{project}/sync/conflicts"))
        .await;
    assert!(
        conflicts
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["reason"] == "approved keyframe is locked"),
        "{conflicts}"
    );
}

fn tiny_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(4, 4, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn the_protocol_refuses_what_it_must() {
    let team = team().await;
    let (_a, _b, project) = shared_project(&team).await;
    let schema = storyloom::db::latest_schema_version();
    // Another protocol version: 409 naming the field.
    let (status, body) = team
        .call(
            Method::POST,
            "/api/v1/sync/pull",
            Some(
                json!({"protocol": 99, "schema": schema, "client_id": "c1", "project_id": project}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("protocol"));
    // A gap in the counters: 409; a bad mutation is rejected for good and the counter advances.
    let mutation = |counter: i64, field: &str, value: Value| {
        json!({"id": format!("m{counter}"), "counter": counter, "name": "set_fields", "version": 1,
               "project_id": project, "entity": "project", "row_id": project,
               "fields": {field: {"value": value, "stamp": format!("{:015}-00000-c9", 4_000_000_000_000i64)}}})
    };
    let push = |mutations: Vec<Value>| json!({"protocol": 1, "schema": schema, "client_id": "c9", "mutations": mutations});
    let (status, body) = team
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(push(vec![mutation(1, "name", json!("x"))])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["status"], "applied");
    let (status, body) = team
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(push(vec![mutation(3, "name", json!("y"))])),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "CONFLICT", Some("counter"));
    let (status, body) = team
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(push(vec![
                mutation(1, "name", json!("again")),
                mutation(2, "owner_id", json!("me")),
                mutation(3, "name", json!(42)),
                mutation(4, "description", json!("fine")),
            ])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let statuses: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["skipped", "rejected", "rejected", "applied"],
        "{body}"
    );
    assert_eq!(body["last_applied"], 4);
    // A stamp from a clock far ahead is pulled back to the bound: a normal later edit still wins.
    let (_, p) = team
        .call(Method::GET, &format!("/api/v1/projects/{project}"), None)
        .await;
    assert_eq!(p["name"], "x");
    assert_eq!(p["description"], "fine");
    // A client the server never saw, starting past 1: reset.
    let (status, body) = team
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(
                json!({"protocol": 1, "schema": schema, "client_id": "new", "mutations": [
                {"id": "z", "counter": 7, "name": "set_fields", "version": 1, "project_id": project,
                 "entity": "project", "row_id": project, "fields": {}}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["reset"], true);
    // Blobs: a body whose hash is not its name is refused.
    let (status, body) = team
        .server
        .call(
            Method::PUT,
            &format!("/api/v1/sync/blobs/{}", "ab".repeat(32)),
            None,
            &[("authorization", &team.token)],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("sha256"));
}

#[derive(Debug, Clone)]
enum Edit {
    Describe { shot: usize, text: String },
    Duration { shot: usize, seconds: u8 },
    Delete { shot: usize },
    Restore { shot: usize },
    Rename { name: String },
    Sync,
}

fn edits() -> impl Strategy<Value = Vec<(bool, Edit)>> {
    use proptest::prelude::*;
    let edit = prop_oneof![
        4 => (0..6usize, "[a-z]{1,8}").prop_map(|(shot, text)| Edit::Describe { shot, text }),
        2 => (0..6usize, 1..9u8).prop_map(|(shot, seconds)| Edit::Duration { shot, seconds }),
        1 => (0..6usize).prop_map(|shot| Edit::Delete { shot }),
        1 => (0..6usize).prop_map(|shot| Edit::Restore { shot }),
        1 => "[A-Z][a-z]{2,6}".prop_map(|name| Edit::Rename { name }),
        2 => Just(Edit::Sync),
    ];
    proptest::collection::vec((any::<bool>(), edit), 4..14)
}

async fn perform(desk: &TestServer, project: &str, shots: &[String], edit: &Edit) {
    desk.clock.advance(chrono::Duration::milliseconds(700));
    match edit {
        Edit::Describe { shot, text } => {
            // A deleted shot answers 404 here; that is fine (its edit is not made).
            let _ = desk
                .call(
                    Method::PATCH,
                    &format!("/api/v1/storyboards/{}", shots[*shot % shots.len()]),
                    Some(json!({ "description": text })),
                    &[],
                )
                .await;
        }
        Edit::Duration { shot, seconds } => {
            let _ = desk
                .call(
                    Method::PATCH,
                    &format!("/api/v1/storyboards/{}", shots[*shot % shots.len()]),
                    Some(json!({ "duration": *seconds as f64 })),
                    &[],
                )
                .await;
        }
        Edit::Delete { shot } => {
            let _ = desk
                .call(
                    Method::DELETE,
                    &format!("/api/v1/storyboards/{}", shots[*shot % shots.len()]),
                    None,
                    &[],
                )
                .await;
        }
        Edit::Restore { shot } => {
            let _ = desk
                .post(
                    &format!("/api/v1/storyboards/{}/restore", shots[*shot % shots.len()]),
                    json!({}),
                )
                .await;
        }
        Edit::Rename { name } => {
            let (status, body) = desk
                .call(
                    Method::PATCH,
                    &format!("/api/v1/projects/{project}"),
                    Some(json!({ "name": name })),
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        Edit::Sync => {
            sync(desk, project).await;
        }
    }
}

/// Seeded random edits on both desktops, interleaved with syncs in random order: after a final
/// round both desktops and the server hold the same project.
#[tokio::test]
async fn random_offline_edits_on_two_desktops_always_converge() {
    let mut runner = TestRunner::deterministic();
    let strategy = edits();
    let plans: Vec<Vec<(bool, Edit)>> = (0..4)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    let team = team().await;
    for plan in plans {
        let (a, b, project) = shared_project(&team).await;
        let shots = shot_ids(&seen_on_desk(&a, &project).await);
        for (on_a, edit) in &plan {
            let desk = if *on_a { &a } else { &b };
            perform(desk, &project, &shots, edit).await;
        }
        sync(&a, &project).await;
        sync(&b, &project).await;
        sync(&a, &project).await;
        let on_a = seen_on_desk(&a, &project).await;
        assert_eq!(on_a, seen_on_desk(&b, &project).await, "plan: {plan:?}");
        assert_eq!(
            on_a,
            seen_on_server(&team, &project).await,
            "plan: {plan:?}"
        );
    }
}
