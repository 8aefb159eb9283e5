//! Versions, script upload/edit/parse, and the storyboard (scenes and shots) over real TCP.
use crate::common;

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::{auth, config::AuthMode};

const CN: &str = include_str!("../../assets/samples/rebirth_ep1.txt");
const FOUNTAIN: &str = include_str!("../../assets/samples/last_train.fountain");

async fn project(s: &TestServer) -> (String, String) {
    let (status, p) = s.post("/api/v1/projects", json!({"name": "Ep 1"})).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let version = p["current_version_id"]
        .as_str()
        .expect("a current version")
        .to_string();
    (p["id"].as_str().unwrap().to_string(), version)
}

async fn put_script(s: &TestServer, p: &str, v: &str, text: &str) -> Value {
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/api/v1/projects/{p}/versions/{v}/script"),
            Some(json!({ "text": text })),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn board(s: &TestServer, p: &str) -> Value {
    let (status, body) = s.get(&format!("/api/v1/projects/{p}/storyboard")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn shots(board: &Value) -> Vec<Value> {
    board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["shots"].as_array().unwrap().clone())
        .collect()
}

fn ids(shots: &[Value]) -> Vec<String> {
    shots
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_new_project_has_version_one_and_versions_branch() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v1) = project(&s).await;
    put_script(&s, &p, &v1, CN).await;

    let (status, list) = s.get(&format!("/api/v1/projects/{p}/versions")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["number"], 1);
    assert_eq!(list["items"][0]["is_current"], true);
    assert_eq!(list["items"][0]["stage"], "PARSED");
    let shot_count = list["items"][0]["shot_count"].as_u64().unwrap();
    assert!(shot_count > 5, "{list}");

    // Branch: v2 copies the script and every shot (new ids), and becomes current.
    let (status, v2) = s
        .post(
            &format!("/api/v1/projects/{p}/versions"),
            json!({"note": "tighter cut"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["number"], 2);
    assert_eq!(v2["parent_version_id"], v1.as_str());
    assert_eq!(v2["is_current"], true);
    assert_eq!(v2["shot_count"].as_u64().unwrap(), shot_count);
    let v2id = v2["id"].as_str().unwrap();
    let (_, script) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v2id}/script"))
        .await;
    assert_eq!(script["text"], CN);
    assert!(script["breakdown"]["title"].is_string(), "{script}");

    // Editing v2 leaves v1 alone.
    put_script(&s, &p, v2id, FOUNTAIN).await;
    let (_, old) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v1}/script"))
        .await;
    assert_eq!(old["text"], CN);
    let (_, proj) = s.get(&format!("/api/v1/projects/{p}")).await;
    assert_eq!(
        proj["script"], FOUNTAIN,
        "the project mirrors its current version"
    );

    // Switch back to v1.
    let (status, proj) = s
        .post(
            &format!("/api/v1/projects/{p}/versions/{v1}/current"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{proj}");
    assert_eq!(proj["current_version_id"], v1.as_str());
    assert_eq!(proj["script"], CN);
    let b = board(&s, &p).await;
    assert_eq!(b["version_id"], v1.as_str());

    // Branch from a version that is not current, without switching.
    let (status, v3) = s
        .post(
            &format!("/api/v1/projects/{p}/versions"),
            json!({"from_version_id": v2id, "make_current": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v3["parent_version_id"], v2id);
    assert_eq!(v3["is_current"], false);

    // Bad input names the field.
    let (status, body) = s
        .post(
            &format!("/api/v1/projects/{p}/versions"),
            json!({"from_version_id": "nope"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("from_version_id"));
    let (status, body) = s
        .post(
            &format!("/api/v1/projects/{p}/versions"),
            json!({"metadata": [1]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("metadata"));
    let (status, body) = s
        .get(&format!(
            "/api/v1/projects/{p}/versions/00000000-0000-0000-0000-000000000000"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "NOT_FOUND", None);
}

#[tokio::test]
async fn parsing_stores_scenes_shots_and_proposes_characters_once() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    let result = put_script(&s, &p, &v, CN).await;
    assert_eq!(result["status"], "completed");
    assert!(result["scene_count"].as_u64().unwrap() >= 2, "{result}");
    assert_eq!(result["new_shots"], result["shot_count"]);
    let proposed: Vec<&str> = result["proposed_characters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        proposed.contains(&"林雪") && proposed.contains(&"顾辰"),
        "{result}"
    );

    let b = board(&s, &p).await;
    let all = shots(&b);
    assert_eq!(all.len() as u64, result["shot_count"].as_u64().unwrap());
    let numbers: Vec<u64> = all.iter().map(|s| s["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=all.len() as u64).collect::<Vec<_>>());
    let first_scene = &b["scenes"][0];
    assert_eq!(first_scene["number"], 1);
    assert!(
        first_scene["location"].as_str().unwrap().contains("医院"),
        "{first_scene}"
    );
    let dialogue = all.iter().find(|s| s["kind"] == "dialogue").unwrap();
    assert!(!dialogue["character_ids"].as_array().unwrap().is_empty());
    assert_eq!(
        dialogue["characters"][0], dialogue["dialogue"][0]["character"],
        "character ids resolve to the speaker's name"
    );
    assert!(dialogue["duration"].as_f64().unwrap() > 0.0);

    // Re-parse the same text: nothing new, nothing removed, no duplicate characters.
    let again = put_script(&s, &p, &v, CN).await;
    assert_eq!(again["new_shots"], 0);
    assert_eq!(again["removed_shots"], 0);
    assert_eq!(again["kept_shots"], result["shot_count"]);
    let (_, chars) = s
        .get(&format!("/api/v1/characters?project_id={p}&limit=100"))
        .await;
    if chars["items"].is_array() {
        let names: Vec<&str> = chars["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(names.len(), dedup.len(), "characters duplicated: {names:?}");
    }
}

#[tokio::test]
async fn reparse_keeps_ids_and_edits_of_unchanged_shots() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    put_script(&s, &p, &v, FOUNTAIN).await;
    let before = shots(&board(&s, &p).await);
    assert!(before.len() >= 6);

    // Hand edits: a description, a shot type, and a reorder (last shot to the front).
    let edited = before[2]["id"].as_str().unwrap().to_string();
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/storyboards/{edited}"),
            Some(json!({"description": "Hand-written framing note", "shot_type": "close_up", "duration": 4.5})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["edited"], true);
    let last = before.last().unwrap()["id"].as_str().unwrap().to_string();
    let first = before[0]["id"].as_str().unwrap().to_string();
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{last}/move"),
            json!({"before_id": first}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["number"], 1);

    // Change one line of dialogue in the script and re-parse.
    let changed = FOUNTAIN.replace("Tickets, please.", "Tickets! Now, please.");
    assert_ne!(changed, FOUNTAIN);
    let result = put_script(&s, &p, &v, &changed).await;
    assert_eq!(result["new_shots"], 1, "{result}");
    assert_eq!(result["removed_shots"], 1, "{result}");

    let after = shots(&board(&s, &p).await);
    assert_eq!(after.len(), before.len());
    let edited_now = after
        .iter()
        .find(|s| s["id"] == edited.as_str())
        .expect("kept id");
    assert_eq!(edited_now["description"], "Hand-written framing note");
    assert_eq!(edited_now["shot_type"], "close_up");
    assert_eq!(edited_now["duration"], 4.5);
    assert_eq!(
        after[0]["id"],
        last.as_str(),
        "the hand-made order survives a re-parse"
    );
    let new_shot = after
        .iter()
        .find(|s| {
            s["dialogue"][0]["text"]
                .as_str()
                .is_some_and(|t| t.contains("Now, please"))
        })
        .expect("the changed line is a new shot");
    assert!(!ids(&before).contains(&new_shot["id"].as_str().unwrap().to_string()));
    // The replacement sits where the old line was: right after the shot that preceded it.
    let old_pos = before
        .iter()
        .position(|s| s["dialogue"][0]["text"] == "Tickets, please.")
        .unwrap();
    let prev_id = before[old_pos - 1]["id"].as_str().unwrap();
    let new_pos = after
        .iter()
        .position(|s| s["id"] == new_shot["id"])
        .unwrap();
    assert_eq!(after[new_pos - 1]["id"], prev_id);

    // A hand-made shot survives a re-parse too.
    let (status, manual) = s
        .post(
            "/api/v1/storyboards",
            json!({"project_id": p, "scene_number": 1, "description": "Insert: the watch face", "duration": 2.0, "shot_type": "insert"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{manual}");
    assert_eq!(manual["source"], "manual");
    assert_eq!(manual["status"], "pending");
    assert_eq!(manual["image_url"], Value::Null);
    put_script(&s, &p, &v, FOUNTAIN).await;
    let again = shots(&board(&s, &p).await);
    assert!(again.iter().any(|s| s["id"] == manual["id"]));
}

#[tokio::test]
async fn a_deleted_shot_stays_deleted_across_reparse_and_can_be_restored() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    put_script(&s, &p, &v, FOUNTAIN).await;
    let before = shots(&board(&s, &p).await);
    let victim = before[1]["id"].as_str().unwrap().to_string();
    let (status, body) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/storyboards/{victim}"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = s.get(&format!("/api/v1/storyboards/{victim}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    put_script(&s, &p, &v, FOUNTAIN).await;
    let after = shots(&board(&s, &p).await);
    assert_eq!(after.len(), before.len() - 1);
    let (status, restored) = s
        .post(&format!("/api/v1/storyboards/{victim}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["number"], 2, "restored in its old place");
    assert_eq!(ids(&shots(&board(&s, &p).await)), ids(&before));
}

#[tokio::test]
async fn moving_a_shot_rewrites_only_its_own_key() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    put_script(&s, &p, &v, CN).await;
    let before = shots(&board(&s, &p).await);
    let keys_before: Vec<(String, String)> = before
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().into(),
                s["order_key"].as_str().unwrap().into(),
            )
        })
        .collect();
    let a = before[0]["id"].as_str().unwrap();
    let b = before[3]["id"].as_str().unwrap();
    let (status, moved) = s
        .post(
            &format!("/api/v1/storyboards/{a}/move"),
            json!({"after_id": b}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["number"], 4);
    let after = shots(&board(&s, &p).await);
    let mut expected = ids(&before);
    let x = expected.remove(0);
    expected.insert(3, x);
    assert_eq!(ids(&after), expected);
    for (id, key) in &keys_before {
        let now = after.iter().find(|s| s["id"] == id.as_str()).unwrap();
        if id != a {
            assert_eq!(
                now["order_key"],
                key.as_str(),
                "only the moved shot's key changes"
            );
        }
    }
    // To the front with no neighbour given.
    let z = after.last().unwrap()["id"].as_str().unwrap();
    let (_, moved) = s
        .post(&format!("/api/v1/storyboards/{z}/move"), json!({}))
        .await;
    assert_eq!(moved["number"], 1);
    // Bad neighbours name the field.
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{a}/move"),
            json!({"after_id": a}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("after_id"));
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{a}/move"),
            json!({"after_id": b, "before_id": b}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("before_id"));
}

#[tokio::test]
async fn split_and_merge_shots() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, _) = project(&s).await;
    let (status, shot) = s
        .post(
            "/api/v1/storyboards",
            json!({"project_id": p, "description": "Rain falls. A train arrives.", "duration": 6.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{shot}");
    let id = shot["id"].as_str().unwrap();
    let (status, parts) = s
        .post(&format!("/api/v1/storyboards/{id}/split"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{parts}");
    assert_eq!(parts[0]["id"], id);
    assert_eq!(parts[0]["description"], "Rain falls.");
    assert_eq!(parts[1]["description"], "A train arrives.");
    let total = parts[0]["duration"].as_f64().unwrap() + parts[1]["duration"].as_f64().unwrap();
    assert!(
        (total - 6.0).abs() < 0.002,
        "durations split, not invented: {total}"
    );
    assert_eq!(parts[1]["number"], 2);

    let second = parts[1]["id"].as_str().unwrap();
    let (status, merged) = s
        .post(
            &format!("/api/v1/storyboards/{id}/merge"),
            json!({"with_id": second}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["description"], "Rain falls. A train arrives.");
    assert!((merged["duration"].as_f64().unwrap() - 6.0).abs() < 0.002);
    let (status, _) = s.get(&format!("/api/v1/storyboards/{second}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the absorbed shot is in the trash"
    );

    // Only the next shot can be merged; a split needs a place to cut.
    let (_, other) = s
        .post(
            "/api/v1/storyboards",
            json!({"project_id": p, "description": "Later."}),
        )
        .await;
    let (_, third) = s
        .post(
            "/api/v1/storyboards",
            json!({"project_id": p, "description": "Much later."}),
        )
        .await;
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{id}/merge"),
            json!({"with_id": third["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("with_id"));
    let oid = other["id"].as_str().unwrap();
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{oid}/split"),
            json!({"at_line": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("at_line"));
}

#[tokio::test]
async fn seed_storyboard_endpoints_and_validation() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, _) = project(&s).await;
    let (status, shot) = s
        .post(
            "/api/v1/storyboards",
            json!({"project_id": p, "scene_number": 1, "description": "主角在公园散步，阳光明媚", "character_ids": [], "duration": 5.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{shot}");
    for field in [
        "id",
        "project_id",
        "scene_number",
        "description",
        "image_url",
        "status",
        "created_at",
    ] {
        assert!(
            shot.get(field).is_some(),
            "storyboard field {field} missing: {shot}"
        );
    }
    assert_eq!(shot["scene_number"], 1);
    assert_eq!(shot["duration"], 5.0);

    let (status, list) = s.get(&format!("/api/v1/storyboards?project_id={p}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["description"], "主角在公园散步，阳光明媚");

    let (status, body) = s.get("/api/v1/storyboards").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "BAD_REQUEST", Some("project_id"));

    for (body, field) in [
        (
            json!({"project_id": p, "description": "x", "duration": -1}),
            "duration",
        ),
        (
            json!({"project_id": p, "description": "x", "duration": 100000}),
            "duration",
        ),
        (
            json!({"project_id": p, "description": "x", "shot_type": "sideways"}),
            "shot_type",
        ),
        (
            json!({"project_id": p, "description": "x", "camera_move": "teleport"}),
            "camera_move",
        ),
        (
            json!({"project_id": p, "description": "x", "character_ids": ["nobody"]}),
            "character_ids",
        ),
        (json!({"project_id": p, "description": ""}), "description"),
        (
            json!({"project_id": "nope", "description": "x"}),
            "project_id",
        ),
        (
            json!({"project_id": p, "description": "x", "scene_number": 0}),
            "scene_number",
        ),
    ] {
        let (status, err) = s.post("/api/v1/storyboards", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {err}");
        assert_error(&err, "VALIDATION_ERROR", Some(field));
    }
    let (status, err) = s
        .post(
            "/api/v1/storyboards",
            json!({"project_id": p, "description": "x", "duration": "long"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&err, "VALIDATION_ERROR", Some("duration"));

    let id = shot["id"].as_str().unwrap();
    let (status, err) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/storyboards/{id}"),
            Some(json!({"status": "done"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&err, "VALIDATION_ERROR", Some("status"));
    let (status, ok) = s
        .call(
            Method::PUT,
            &format!("/api/v1/storyboards/{id}"),
            Some(json!({"camera_move": "dolly_in"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ok["camera_move"], "dolly_in");
}

#[tokio::test]
async fn scenes_crud() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    let (status, scene) = s
        .post(
            &format!("/api/v1/projects/{p}/versions/{v}/scenes"),
            json!({"heading": "场景1：公园 日 外", "location": "公园", "time_of_day": "日"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{scene}");
    assert_eq!(scene["number"], 1);
    let sid = scene["id"].as_str().unwrap();
    let (status, patched) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/scenes/{sid}"),
            Some(json!({"time_of_day": "夜"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["time_of_day"], "夜");
    assert_eq!(patched["location"], "公园");
    let (_, shot) = s
        .post(
            "/api/v1/storyboards",
            json!({"project_id": p, "scene_id": sid, "description": "x"}),
        )
        .await;
    let (status, body) = s
        .call(Method::DELETE, &format!("/api/v1/scenes/{sid}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "CONFLICT", None);
    let shot_id = shot["id"].as_str().unwrap();
    s.call(
        Method::DELETE,
        &format!("/api/v1/storyboards/{shot_id}"),
        None,
        &[],
    )
    .await;
    let (status, _) = s
        .call(Method::DELETE, &format!("/api/v1/scenes/{sid}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v}/scenes"))
        .await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn script_upload_detects_encodings_and_keeps_the_file_as_an_asset() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    let (gb, _, _) = encoding_rs::GB18030.encode(CN);
    let (status, up) = s
        .multipart(
            &format!("/api/v1/projects/{p}/versions/{v}/script/upload"),
            &[],
            vec![("file", "重生.txt", gb.to_vec())],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    assert_eq!(up["encoding"], "gb18030");
    assert_eq!(up["filename"], "重生.txt");
    assert!(up["parse"]["shot_count"].as_u64().unwrap() > 5);
    let (_, script) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v}/script"))
        .await;
    assert_eq!(script["text"], CN);
    assert_eq!(script["script_asset_id"], up["asset_id"]);
    let (_, version) = s.get(&format!("/api/v1/projects/{p}/versions/{v}")).await;
    assert_eq!(version["stage"], "PARSED");

    // The upload is downloadable as it was sent.
    let url = up["url"].as_str().unwrap();
    let res = s.client.get(s.url(url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), gb.as_ref());

    // Re-parse from the stored asset (`script/parse` with scriptAssetId).
    put_script(&s, &p, &v, FOUNTAIN).await;
    let (status, parsed) = s
        .post(
            &format!("/api/v1/projects/{p}/versions/{v}/script/parse"),
            json!({"script_asset_id": up["asset_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{parsed}");
    let (_, script) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v}/script"))
        .await;
    assert_eq!(script["text"], CN);

    // Fountain in UTF-8 with a BOM.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(FOUNTAIN.as_bytes());
    let (status, up) = s
        .multipart(
            &format!("/api/v1/projects/{p}/versions/{v}/script/upload"),
            &[],
            vec![("file", "last_train.fountain", bom)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    assert_eq!(up["encoding"], "utf-8");

    // Wrong kind of file, binary, empty, missing file.
    for (name, bytes, field) in [
        ("movie.mp4", b"hello".to_vec(), "file"),
        ("bin.txt", vec![0u8, 1, 2, 3, 0, 5], "file"),
        ("empty.txt", b"   \n".to_vec(), "file"),
    ] {
        let (status, body) = s
            .multipart(
                &format!("/api/v1/projects/{p}/versions/{v}/script/upload"),
                &[],
                vec![("file", name, bytes)],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert_error(&body, "VALIDATION_ERROR", Some(field));
    }
    let (status, body) = s
        .multipart(
            &format!("/api/v1/projects/{p}/versions/{v}/script/upload"),
            &[("note", "no file")],
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("file"));
    // JSON where multipart is expected.
    let (status, body) = s
        .post(
            &format!("/api/v1/projects/{p}/versions/{v}/script/upload"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error(&body, "UNSUPPORTED_MEDIA_TYPE", None);
}

#[tokio::test]
async fn oversized_scripts_are_413() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    // Over the 4 MiB script limit but under the 100 MB upload limit.
    let big = "林雪：我回来了。\n".repeat(17 * 1024 * 1024 / 24 + 1);
    assert!(big.len() > storyloom::script::MAX_SCRIPT_BYTES);
    let (status, body) = s
        .multipart(
            &format!("/api/v1/projects/{p}/versions/{v}/script/upload"),
            &[],
            vec![("file", "big.txt", big.into_bytes())],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "PAYLOAD_TOO_LARGE", Some("file"));
    // The version's script is untouched.
    let (_, script) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v}/script"))
        .await;
    assert_eq!(script["text"], "");
}

#[tokio::test]
async fn preview_parses_without_storing_and_samples_open() {
    let s = TestServer::start(AuthMode::Local).await;
    let (status, b) = s
        .post("/api/v1/script/preview", json!({"text": FOUNTAIN}))
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["title"], "The Last Train");
    assert!(b["shots"].as_array().unwrap().len() > 5);
    let (status, body) = s
        .post("/api/v1/script/preview", json!({"text": "  "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("text"));
    let (status, body) = s.post("/api/v1/script/preview", json!({"txt": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, samples) = s.get("/api/v1/samples").await;
    assert_eq!(status, StatusCode::OK);
    let list = samples.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let langs: Vec<&str> = list
        .iter()
        .map(|s| s["language"].as_str().unwrap())
        .collect();
    assert!(langs.contains(&"zh-CN") && langs.contains(&"en"));
    let (status, proj) = s.post("/api/v1/samples/rebirth-ep1/open", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{proj}");
    assert_eq!(proj["script"], CN);
    let pid = proj["id"].as_str().unwrap();
    assert!(shots(&board(&s, pid).await).len() > 5);
    // The sample is the version's script asset, as if uploaded.
    let (status, assets) = s
        .get(&format!(
            "/api/v1/assets?project_id={pid}&type=original_script"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{assets}");
    assert_eq!(assets["total"], 1);
    assert_eq!(assets["items"][0]["filename"], "rebirth_ep1.txt");
    let (status, _) = s.post("/api/v1/samples/nope/open", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_users_storyboard_is_404() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let alice = storyloom::accounts::create_user(&s.state, "alice", false)
        .await
        .unwrap();
    let bob = storyloom::accounts::create_user(&s.state, "bob", false)
        .await
        .unwrap();
    let a = format!(
        "Bearer {}",
        auth::issue_access_token(&s.state, &alice).unwrap()
    );
    let b = format!(
        "Bearer {}",
        auth::issue_access_token(&s.state, &bob).unwrap()
    );
    let (_, p) = s
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"name": "A"})),
            &[("authorization", &a)],
        )
        .await;
    let pid = p["id"].as_str().unwrap();
    let vid = p["current_version_id"].as_str().unwrap();
    let (status, _) = s
        .call(
            Method::PUT,
            &format!("/api/v1/projects/{pid}/versions/{vid}/script"),
            Some(json!({"text": FOUNTAIN})),
            &[("authorization", &a)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, board) = s
        .call(
            Method::GET,
            &format!("/api/v1/projects/{pid}/storyboard"),
            None,
            &[("authorization", &a)],
        )
        .await;
    let shot = shots(&board)[0]["id"].as_str().unwrap().to_string();

    for (method, path, body) in [
        (
            Method::GET,
            format!("/api/v1/projects/{pid}/storyboard"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/projects/{pid}/versions"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/projects/{pid}/versions/{vid}/script"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/projects/{pid}/versions/{vid}/script"),
            Some(json!({"text": "x"})),
        ),
        (Method::GET, format!("/api/v1/storyboards/{shot}"), None),
        (
            Method::PATCH,
            format!("/api/v1/storyboards/{shot}"),
            Some(json!({"description": "mine"})),
        ),
        (Method::DELETE, format!("/api/v1/storyboards/{shot}"), None),
        (
            Method::POST,
            format!("/api/v1/storyboards/{shot}/move"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/storyboards?project_id={pid}"),
            None,
        ),
    ] {
        let (status, err) = s
            .call(method.clone(), &path, body, &[("authorization", &b)])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {err}");
        assert_error(&err, "NOT_FOUND", None);
    }
    let (status, err) = s
        .call(
            Method::POST,
            "/api/v1/storyboards",
            Some(json!({"project_id": pid, "description": "x"})),
            &[("authorization", &b)],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&err, "VALIDATION_ERROR", Some("project_id"));
    // Alice's shot is untouched.
    let (_, still) = s
        .call(
            Method::GET,
            &format!("/api/v1/storyboards/{shot}"),
            None,
            &[("authorization", &a)],
        )
        .await;
    assert_ne!(still["description"], "mine");
}

#[tokio::test]
async fn reordering_the_script_reorders_shots_the_user_did_not_place() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    let script = "INT. KITCHEN - DAY\n\nAnna pours coffee.\n\nBen reads the paper.\n\nThe cat jumps on the table.\n";
    put_script(&s, &p, &v, script).await;
    let before = shots(&board(&s, &p).await);
    assert_eq!(before.len(), 3);
    let swapped = "INT. KITCHEN - DAY\n\nThe cat jumps on the table.\n\nAnna pours coffee.\n\nBen reads the paper.\n";
    let result = put_script(&s, &p, &v, swapped).await;
    assert_eq!(result["kept_shots"], 3, "same ids: {result}");
    let after = shots(&board(&s, &p).await);
    let descriptions: Vec<&str> = after
        .iter()
        .map(|s| s["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        descriptions,
        [
            "The cat jumps on the table.",
            "Anna pours coffee.",
            "Ben reads the paper."
        ]
    );
    let mut want = ids(&before);
    want.rotate_right(1);
    assert_eq!(ids(&after), want);
}

#[tokio::test]
async fn a_save_based_on_an_old_revision_is_a_conflict_not_an_overwrite() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    let path = format!("/api/v1/projects/{p}/versions/{v}/script");
    let (_, doc) = s.get(&path).await;
    let base = doc["revision"].as_i64().unwrap();

    // Window A saves on top of what it loaded.
    let (status, a) = s
        .call(
            Method::PUT,
            &path,
            Some(json!({"text": "Window A.", "base_revision": base})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["revision"].as_i64().unwrap(), base + 1);

    // Window B still holds the old revision: refused, and A's text survives.
    let (status, err) = s
        .call(
            Method::PUT,
            &path,
            Some(json!({"text": "Window B.", "base_revision": base})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_error(&err, "CONFLICT", None);
    let (_, doc) = s.get(&path).await;
    assert_eq!(doc["text"], "Window A.");
    assert_eq!(doc["revision"].as_i64().unwrap(), base + 1);

    // Re-saving the same text (a re-parse) is not a new revision.
    let (status, same) = s
        .call(
            Method::PUT,
            &path,
            Some(json!({"text": "Window A.", "base_revision": base + 1})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["revision"].as_i64().unwrap(), base + 1);

    // After reloading, B saves fine; a save without a base revision always goes through.
    let (status, _) = s
        .call(
            Method::PUT,
            &path,
            Some(json!({"text": "Window B.", "base_revision": base + 1})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .call(
            Method::PUT,
            &path,
            Some(json!({"text": "Script tool."})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_merge_stays_inside_its_scene_and_joins_chinese_without_a_space() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, _) = project(&s).await;
    let shot = |scene: u32, text: &'static str| json!({"project_id": p, "scene_number": scene, "description": text, "duration": 2.0});
    let (_, a) = s
        .post("/api/v1/storyboards", shot(1, "雨夜，街道空无一人。"))
        .await;
    let (_, b) = s.post("/api/v1/storyboards", shot(1, "她撑伞走过。")).await;
    let (status, c) = s.post("/api/v1/storyboards", shot(2, "清晨的站台。")).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (a, b, c) = (
        a["id"].as_str().unwrap(),
        b["id"].as_str().unwrap(),
        c["id"].as_str().unwrap(),
    );

    let (status, merged) = s
        .post(
            &format!("/api/v1/storyboards/{a}/merge"),
            json!({"with_id": b}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["description"], "雨夜，街道空无一人。她撑伞走过。");

    // The merged shot ends scene 1; the next shot opens scene 2.
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{a}/merge"),
            json!({"with_id": c}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("with_id"));
    let (status, _) = s.get(&format!("/api/v1/storyboards/{c}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused merge left scene 2's shot alone"
    );
}

/// The fields `POST .../revert` takes back, read from a shot as the API returned it.
fn state_of(shot: &Value) -> Value {
    json!({
        "kind": shot["kind"], "description": shot["description"], "dialogue": shot["dialogue"],
        "character_ids": shot["character_ids"], "shot_type": shot["shot_type"],
        "camera_move": shot["camera_move"], "duration": shot["duration"], "edited": shot["edited"],
    })
}

/// What undo must give back exactly: everything but the update time.
fn without_time(shot: &Value) -> Value {
    let mut s = shot.clone();
    s.as_object_mut().unwrap().remove("updated_at");
    s
}

#[tokio::test]
async fn revert_undoes_a_merge_and_a_split_exactly_and_never_overwrites_a_later_edit() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    put_script(&s, &p, &v, CN).await;
    let before = shots(&board(&s, &p).await);
    // Two parser shots of one scene: the first action, the second dialogue.
    let pair = before
        .windows(2)
        .find(|w| w[0]["scene_id"] == w[1]["scene_id"] && w[0]["kind"] == "action")
        .expect("two shots in one scene")
        .to_vec();
    let (a, b) = (
        pair[0]["id"].as_str().unwrap(),
        pair[1]["id"].as_str().unwrap(),
    );

    let (status, merged) = s
        .post(
            &format!("/api/v1/storyboards/{a}/merge"),
            json!({"with_id": b}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");

    // A revert that does not know the shot's latest change is refused; nothing is written.
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{a}/revert"),
            json!({"expected": state_of(&pair[0]), "state": state_of(&pair[0]), "restore_ids": [b]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        ids(&shots(&board(&s, &p).await)).len(),
        before.len() - 1,
        "the refused revert restored nothing"
    );

    // Undo the merge: the storyboard is as it was, ids, order, text and flags.
    let (status, reverted) = s
        .post(
            &format!("/api/v1/storyboards/{a}/revert"),
            json!({"expected": state_of(&merged), "state": state_of(&pair[0]), "restore_ids": [b]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reverted}");
    let after = shots(&board(&s, &p).await);
    assert_eq!(
        after.iter().map(without_time).collect::<Vec<_>>(),
        before.iter().map(without_time).collect::<Vec<_>>(),
        "undoing the merge gives the storyboard back exactly"
    );

    // Split, then undo: the new shot goes to the trash (restorable), the first gets its text back.
    let (status, parts) = s
        .post(
            &format!("/api/v1/storyboards/{a}/split"),
            json!({"at_char": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{parts}");
    let made = parts[1]["id"].as_str().unwrap();
    let (status, reverted) = s
        .post(
            &format!("/api/v1/storyboards/{a}/revert"),
            json!({"expected": state_of(&parts[0]), "state": state_of(&pair[0]), "trash_ids": [made]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reverted}");
    assert_eq!(
        shots(&board(&s, &p).await)
            .iter()
            .map(without_time)
            .collect::<Vec<_>>(),
        before.iter().map(without_time).collect::<Vec<_>>(),
        "undoing the split gives the storyboard back exactly"
    );
    // Redo the split with the same ids: the part that was made comes back from the trash.
    let (status, redone) = s
        .post(
            &format!("/api/v1/storyboards/{a}/revert"),
            json!({"expected": state_of(&reverted), "state": state_of(&parts[0]), "restore_ids": [made]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{redone}");
    let (status, back) = s.get(&format!("/api/v1/storyboards/{made}")).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(without_time(&back), without_time(&parts[1]));

    // Bad input names its field.
    let mut bad = state_of(&pair[0]);
    bad["kind"] = json!("montage");
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{a}/revert"),
            json!({"expected": state_of(&redone), "state": bad}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("state.kind"));
    let (status, body) = s
        .post(
            &format!("/api/v1/storyboards/{a}/revert"),
            json!({"expected": state_of(&redone), "state": state_of(&parts[0]), "trash_ids": [a]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("trash_ids"));
}

/// A script just over the limit, in JSON: 413 naming `text`, with the limit in the message, and
/// nothing saved (docs/API-EDITOR.md, "Script size").
#[tokio::test]
async fn a_script_over_the_limit_is_413_naming_text_and_the_limit() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    let limit = storyloom::script::MAX_SCRIPT_BYTES;
    // Newlines double in JSON, so the body is larger than the general 4 MB JSON limit too.
    let big = "林雪：我回来了。\n".repeat(limit / 24 + 1);
    assert!(big.len() > limit);
    for (method, path) in [
        (
            Method::PUT,
            format!("/api/v1/projects/{p}/versions/{v}/script"),
        ),
        (Method::POST, "/api/v1/script/preview".to_string()),
    ] {
        let (status, body) = s
            .call(method, &path, Some(json!({ "text": big })), &[])
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
        assert_error(&body, "PAYLOAD_TOO_LARGE", Some("text"));
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(&limit.to_string()) && detail.contains("4 MiB"),
            "the message gives the limit: {detail}"
        );
    }
    // The project's `script` field writes the same script: the same limit, naming `script`.
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/projects/{p}"),
            Some(json!({ "script": big })),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("script"));
    assert!(body["detail"].as_str().unwrap().contains("4 MiB"));
    let (_, script) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v}/script"))
        .await;
    assert_eq!(script["text"], "");
    // Just under the limit is accepted (saved without parsing here, to keep the test quick).
    let fits = "a".repeat(limit);
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/api/v1/projects/{p}/versions/{v}/script"),
            Some(json!({ "text": fits, "parse": false })),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Reads never take the writer: while a write transaction is held open, the storyboard and the
/// version list still answer (before, both ran on the writer and waited for it).
#[tokio::test]
async fn the_storyboard_reads_while_the_writer_is_busy() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    put_script(&s, &p, &v, CN).await;

    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let writer = {
        let (db, released) = (s.state.db.clone(), released.clone());
        tokio::spawn(async move {
            db.write(move |_tx| {
                let _ = started_tx.send(());
                // Bounded: if a read waits for the writer, the test fails instead of hanging.
                let _ = release_rx.recv_timeout(std::time::Duration::from_secs(30));
                released.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok::<_, storyloom::db::DbError>(())
            })
            .await
        })
    };
    started_rx.await.unwrap();

    let body = board(&s, &p).await;
    let (status, versions) = s.get(&format!("/api/v1/projects/{p}/versions")).await;
    assert!(
        !released.load(std::sync::atomic::Ordering::SeqCst),
        "the reads answered only after the writer was released"
    );
    assert_eq!(status, StatusCode::OK, "{versions}");
    assert_eq!(versions["total"], 1);
    assert!(!body["scenes"].as_array().unwrap().is_empty());
    release_tx.send(()).unwrap();
    writer.await.unwrap().unwrap();
}
