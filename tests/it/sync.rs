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

/// The live shots of what `seen` answered, in order.
fn board_shots(state: &Value) -> impl Iterator<Item = &Value> {
    state["board"]["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["shots"].as_array().unwrap().iter())
}

/// A live shot of what `seen` answered (None: deleted).
fn shot_in<'a>(state: &'a Value, id: &str) -> Option<&'a Value> {
    board_shots(state).find(|s| s["id"] == id)
}

fn shot_ids(state: &Value) -> Vec<String> {
    board_shots(state)
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
    let shot = |id: &str| shot_in(&on_a, id).unwrap().clone();
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
    let server_shot = |state: &Value| shot_in(state, &shots[0]).unwrap().clone();
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
    write_under_the_api(
        &a,
        "UPDATE shots SET keyframe_asset_id = ?1, updated_at = '2026-02-08T10:01:00.000Z' WHERE id = ?2",
        [asset_id, shots[0].clone()],
    )
    .await;
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

/// Changes a desktop's row the way no API call can (sync finds edits by comparing rows, whoever
/// made them).
async fn write_under_the_api(desk: &TestServer, sql: &'static str, params: [String; 2]) {
    desk.state
        .db
        .write(move |c| {
            c.execute(sql, [params[0].as_str(), params[1].as_str()])
                .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap();
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
    // Events are append-only: a second push of an event's id does not replace the first.
    let event = |comment: &str| {
        json!({"record": {"value": {"id": "ev1", "project_id": project, "kind": "review_decision",
            "payload": {"shot_id": "s", "decision": "approve", "comment": comment},
            "by": "mallory", "created_at": "2026-02-08T10:00:00.000Z"},
            "stamp": format!("{:015}-00000-c9", 1_770_000_000_000i64)}})
    };
    let pushed = |counter: i64, comment: &str| {
        json!({"id": format!("e{counter}"), "counter": counter, "name": "set_fields", "version": 1,
               "project_id": project, "entity": "event", "row_id": "ev1", "fields": event(comment)})
    };
    let (status, body) = team
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(push(vec![pushed(5, "first"), pushed(6, "second")])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][1]["status"], "applied", "{body}");
    let (_, pulled) = team
        .call(
            Method::POST,
            "/api/v1/sync/pull",
            Some(
                json!({"protocol": 1, "schema": schema, "client_id": "c9", "project_id": project}),
            ),
        )
        .await;
    let events: Vec<&Value> = pulled["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["entity"] == "event")
        .collect();
    assert_eq!(events.len(), 1, "{pulled}");
    assert_eq!(events[0]["value"]["payload"]["comment"], "first");
    assert_eq!(
        events[0]["value"]["by"], "alice",
        "named after who pushed it, not what it says"
    );
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

/// Performs one edit; a field write that was made answers (shot, synced field, value as synced).
async fn perform(
    desk: &TestServer,
    project: &str,
    shots: &[String],
    edit: &Edit,
) -> Option<(String, &'static str, Value)> {
    desk.clock.advance(chrono::Duration::milliseconds(700));
    match edit {
        Edit::Describe { shot, text } => {
            // A deleted shot answers 404 here; that is fine (its edit is not made).
            let id = &shots[*shot % shots.len()];
            let (status, _) = desk
                .call(
                    Method::PATCH,
                    &format!("/api/v1/storyboards/{id}"),
                    Some(json!({ "description": text })),
                    &[],
                )
                .await;
            return (status == StatusCode::OK).then(|| (id.clone(), "description", json!(text)));
        }
        Edit::Duration { shot, seconds } => {
            let id = &shots[*shot % shots.len()];
            let (status, _) = desk
                .call(
                    Method::PATCH,
                    &format!("/api/v1/storyboards/{id}"),
                    Some(json!({ "duration": *seconds as f64 })),
                    &[],
                )
                .await;
            return (status == StatusCode::OK)
                .then(|| (id.clone(), "duration_ms", json!(i64::from(*seconds) * 1000)));
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
    None
}

/// Seeded random edits on both desktops, interleaved with syncs in random order: after a final
/// round both desktops and the server hold the same project, and no edit is lost but by the
/// documented rule: a desktop's last write of a field is what stands, or was overwritten by the
/// other desktop after it had pulled that write, or is in the conflict list, set aside.
#[tokio::test]
async fn random_offline_edits_on_two_desktops_always_converge() {
    let mut runner = TestRunner::deterministic();
    let strategy = edits();
    let plans: Vec<Vec<(bool, Edit)>> = (0..8)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    let team = team().await;
    type Writes = [Option<(usize, Value)>; 2];
    for plan in plans {
        let (a, b, project) = shared_project(&team).await;
        let shots = shot_ids(&seen_on_desk(&a, &project).await);
        // When each desktop synced, and each desktop's last write of each field (and when).
        let mut syncs: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut last: std::collections::BTreeMap<(String, &str), Writes> = Default::default();
        for (t, (on_a, edit)) in plan.iter().enumerate() {
            let (desk, d) = if *on_a { (&a, 0) } else { (&b, 1) };
            if matches!(edit, Edit::Sync) {
                syncs[d].push(t);
            }
            if let Some((shot, field, value)) = perform(desk, &project, &shots, edit).await {
                last.entry((shot, field)).or_default()[d] = Some((t, value));
            }
        }
        let end = plan.len();
        sync(&a, &project).await;
        sync(&b, &project).await;
        sync(&a, &project).await;
        syncs[0].extend([end, end + 2]);
        syncs[1].push(end + 1);
        let on_a = seen_on_desk(&a, &project).await;
        assert_eq!(on_a, seen_on_desk(&b, &project).await, "plan: {plan:?}");
        assert_eq!(
            on_a,
            seen_on_server(&team, &project).await,
            "plan: {plan:?}"
        );

        let (_, conflicts) = a
            .get(&format!("/api/v1/projects/{project}/sync/conflicts"))
            .await;
        for ((shot, field), writes) in &last {
            let Some(now) = shot_in(&on_a, shot) else {
                continue; // deleted in the end
            };
            let standing = match *field {
                "description" => now["description"].clone(),
                _ => json!((now["duration"].as_f64().unwrap() * 1000.0).round() as i64),
            };
            for d in 0..2 {
                let Some((written, value)) = &writes[d] else {
                    continue;
                };
                if &standing == value {
                    continue;
                }
                // Pushed at this desktop's first sync after the write; the other desktop's later
                // write replaced it knowingly if that desktop pulled in between.
                let pushed = syncs[d].iter().find(|&&s| s > *written).unwrap();
                let replaced = writes[1 - d].as_ref().is_some_and(|(theirs, _)| {
                    syncs[1 - d].iter().any(|&s| s > *pushed && s < *theirs)
                });
                if replaced {
                    continue;
                }
                let set_aside = conflicts.as_array().unwrap().iter().any(|k| {
                    k["row_id"] == shot.as_str()
                        && k["field"] == *field
                        && &k["set_aside_value"] == value
                });
                assert!(
                    set_aside,
                    "{field} of {shot}: {value} was lost without a conflict (stands: {standing}); plan: {plan:?}; conflicts: {conflicts}"
                );
            }
        }
    }
}

/// A script near the size limit, full of characters JSON escapes, travels in a push of its own
/// (larger than the API's ordinary JSON limit) and arrives whole.
#[tokio::test]
async fn a_script_at_the_size_limit_syncs() {
    let team = team().await;
    let (a, b, project) = shared_project(&team).await;
    let version = seen_on_desk(&a, &project).await["version"]
        .as_str()
        .unwrap()
        .to_string();
    // Written under the parser (which would make thousands of shots of it): sync sees the row.
    let line = "\"Quoted\"\t\\ line\n";
    let big = line.repeat((storyloom::script::MAX_SCRIPT_BYTES - 1024) / line.len());
    write_under_the_api(
        &a,
        "UPDATE project_versions SET script_text = ?1, updated_at = '2026-02-08T10:05:00.000Z' WHERE id = ?2",
        [big.clone(), version.clone()],
    )
    .await;
    let status = sync(&a, &project).await;
    assert_eq!(status["pending"], 0, "{status}");
    sync(&b, &project).await;
    let (status, script) = b
        .get(&format!(
            "/api/v1/projects/{project}/versions/{version}/script"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(script["text"].as_str().map(str::len), Some(big.len()));
    assert!(script["text"] == big.as_str());
}

/// The whole story: a creator edits a linked project on the desktop offline while, on the
/// team server, a run draws the keyframes and a reviewer (the workspace's `reviewer` role) approves
/// one in the review queue; the creator comes online and both sides hold the project with both
/// changes, the approved frame's file included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_and_a_reviewers_approval_on_the_server_both_land() {
    let team = team().await;
    let s = &team.server;
    let alice = team.token.clone();
    let (status, ws) = s
        .call(
            Method::POST,
            "/api/v1/workspaces",
            Some(json!({"name": "Studio"})),
            &[("authorization", &alice)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ws}");
    let ws = ws["id"].as_str().unwrap().to_string();
    let (status, invitation) = s
        .call(
            Method::POST,
            &format!("/api/v1/workspaces/{ws}/invitations"),
            Some(json!({"role": "reviewer"})),
            &[("authorization", &alice)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    let (_, bob) = s.register("bob").await;
    let (status, joined) = s
        .call(
            Method::POST,
            &format!(
                "/api/v1/invitations/{}/accept",
                invitation["token"].as_str().unwrap()
            ),
            None,
            &[("authorization", &bob)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");

    let a = desktop(&team).await;
    let (project, _) = a.project_with_script("Last train", "9:16", SCRIPT).await;
    let (status, linked) = a
        .post(
            &format!("/api/v1/projects/{project}/sync"),
            json!({"workspace_id": ws}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");
    assert_eq!(linked["state"], "synced", "{linked}");
    let shots = shot_ids(&seen_on_desk(&a, &project).await);

    // On the server: a run draws every keyframe and waits for review.
    let in_ws = |token: &str| {
        vec![
            ("authorization", token.to_string()),
            ("x-workspace-id", ws.clone()),
        ]
    };
    let call_as = async |token: &str, method: Method, path: String, body: Option<Value>| {
        let headers = in_ws(token);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        s.call(method, &path, body, &headers).await
    };
    let (status, run) = call_as(
        &alice,
        Method::POST,
        "/api/v1/workflow-runs".into(),
        Some(json!({"project_id": project, "template_id": "animatic"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let run_id = run["id"].as_str().unwrap().to_string();
    let mut run = run;
    for _ in 0..600 {
        let (_, now) = call_as(
            &alice,
            Method::GET,
            format!("/api/v1/workflow-runs/{run_id}"),
            None,
        )
        .await;
        run = now;
        if run["status"] == "waiting_review" {
            break;
        }
        assert_ne!(run["status"], "failed", "{run}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(run["status"], "waiting_review", "{run}");

    // Meanwhile the creator, offline, retitles the project and rewrites a shot.
    a.clock.advance(chrono::Duration::seconds(30));
    let (status, _) = a
        .call(
            Method::PATCH,
            &format!("/api/v1/projects/{project}"),
            Some(json!({"name": "Last train, recut"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    patch_shot(
        &a,
        &shots[1],
        json!({"description": "Offline: the doors close on her coat."}),
    )
    .await;

    // The reviewer approves the first frame in the review queue.
    let review_id = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["node_id"] == "review")
        .unwrap()["node_run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, queue) = call_as(
        &bob,
        Method::GET,
        format!("/api/v1/workflow/node-runs/{review_id}/review/assets"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let item = queue["items"][0].clone();
    let (status, decided) = call_as(
        &bob,
        Method::POST,
        format!("/api/v1/workflow/node-runs/{review_id}/review/decision"),
        Some(json!({"item_key": item["item_key"], "decision": "approve"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    let on_server = seen_on_server_in(&team, &project, &ws).await;
    let approved: Vec<&Value> = board_shots(&on_server)
        .filter(|s| s["status"] == "approved")
        .collect();
    assert_eq!(approved.len(), 1, "{on_server}");
    let approved = approved[0].clone();

    // Online again.
    sync(&a, &project).await;
    let on_desk = seen_on_desk(&a, &project).await;
    assert_eq!(on_desk, seen_on_server_in(&team, &project, &ws).await);
    assert_eq!(on_desk["name"], "Last train, recut");
    assert_eq!(
        shot_in(&on_desk, &shots[1]).unwrap()["description"],
        "Offline: the doors close on her coat."
    );
    let mine = shot_in(&on_desk, approved["id"].as_str().unwrap()).unwrap();
    assert_eq!(mine["status"], "approved");
    assert_eq!(mine["keyframe_asset_id"], approved["keyframe_asset_id"]);
    // The decision itself is on the desktop too, as an event: who, what, which shot.
    let (status, events) = a
        .get(&format!("/api/v1/projects/{project}/sync/events"))
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let decisions: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "review_decision")
        .collect();
    assert_eq!(decisions.len(), 1, "{events}");
    assert_eq!(decisions[0]["by"], "bob");
    assert_eq!(decisions[0]["payload"]["decision"], "approve");
    assert_eq!(decisions[0]["payload"]["shot_id"], approved["id"]);
    // The approved frame's file came down with it, byte for byte.
    let frame = approved["keyframe_asset_id"].as_str().unwrap();
    let local = a
        .client
        .get(a.url(&format!("/api/v1/assets/{frame}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), StatusCode::OK);
    let remote = s
        .client
        .get(s.url(&format!("/api/v1/assets/{frame}/download")))
        .header("authorization", &alice)
        .header("x-workspace-id", &ws)
        .send()
        .await
        .unwrap();
    assert_eq!(remote.status(), StatusCode::OK);
    assert_eq!(local.bytes().await.unwrap(), remote.bytes().await.unwrap());
}

async fn seen_on_server_in(team: &Team, project: &str, workspace: &str) -> Value {
    seen(
        async |m, path| {
            team.server
                .call(
                    m,
                    &path,
                    None,
                    &[
                        ("authorization", &team.token),
                        ("x-workspace-id", workspace),
                    ],
                )
                .await
        },
        project,
    )
    .await
}
