//! Share links over real TCP (docs/API-SHARES.md): the owner's API, and the public page a visitor
//! opens without signing in: the video in ranges, the poster and storyboard pictures, the preview
//! tags, views counted, passwords (limited guesses, a cookie-free unlock), expiry and revocation.
use crate::api_export::{finished_run, start_export, wait_export, SCRIPT};
use crate::common;

use common::{assert_error, TestServer};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use storyloom::{clock::Clock, config::AuthMode};

/// A project with a finished run and a completed 480p export: (project id, export).
async fn exported_project(s: &TestServer) -> (String, Value) {
    let (pid, _) = s.project_with_script("雨中的约定", "9:16", SCRIPT).await;
    finished_run(s, &pid).await;
    let e = start_export(s, json!({"project_id": pid, "resolution": "480p"})).await;
    let done = wait_export(s, e["id"].as_str().unwrap(), |e| e["status"] == "completed").await;
    (pid, done)
}

async fn share(s: &TestServer, body: Value) -> Value {
    let (status, share) = s.post("/api/v1/share", body).await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    share
}

/// A raw GET of the public side: status, headers, body bytes.
async fn fetch(
    s: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let mut req = s.client.get(s.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let (status, h) = (res.status(), res.headers().clone());
    (status, h, res.bytes().await.unwrap().to_vec())
}

async fn page(s: &TestServer, path: &str) -> (StatusCode, header::HeaderMap, String) {
    let (status, h, body) = fetch(s, path, &[]).await;
    (status, h, String::from_utf8(body).unwrap())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn try_password(
    s: &TestServer,
    id: &str,
    password: &str,
) -> (StatusCode, header::HeaderMap, String) {
    let res = no_redirects()
        .post(s.url(&format!("/share/{id}")))
        .form(&[("password", password)])
        .send()
        .await
        .unwrap();
    let (status, h) = (res.status(), res.headers().clone());
    (status, h, res.text().await.unwrap())
}

#[tokio::test]
async fn a_link_plays_in_ranges_previews_counts_views_and_dies_when_revoked() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, export) = exported_project(&s).await;
    let link = share(&s, json!({"project_id": pid, "include_storyboard": true})).await;
    let id = link["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 22, "{link}");
    assert_eq!(
        link["export_id"], export["id"],
        "the newest completed export"
    );
    assert_eq!(link["status"], "active");
    assert_eq!(link["has_password"], false);
    assert_eq!(link["view_count"], 0);
    assert_eq!(
        link["url"],
        format!("/share/{id}"),
        "relative without a public URL"
    );

    // The page: no sign-in, no cookie, no script, the video and the storyboard.
    let (status, h, html) = page(&s, &format!("/share/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(h[header::CACHE_CONTROL], "no-cache");
    assert!(h.get(header::SET_COOKIE).is_none());
    assert!(h[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    assert!(!html.contains("<script"), "works without JavaScript");
    assert!(html.contains("<h1>雨中的约定</h1>"), "{html}");
    assert!(html.contains("<meta property=\"og:title\" content=\"雨中的约定\">"));
    assert!(html.contains("<meta property=\"og:type\" content=\"video.other\">"));
    let origin = s.url("");
    assert!(
        html.contains(&format!(
            "<meta property=\"og:image\" content=\"{origin}/share/{id}/poster.jpg\">"
        )),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<source src=\"/share/{id}/video\" type=\"video/mp4\">"
    )));
    assert!(html.contains("twitter:card\" content=\"summary_large_image\""));
    let (_, board) = s.get(&format!("/api/v1/projects/{pid}/storyboard")).await;
    let shots: usize = board["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sc| sc["shots"].as_array().unwrap().len())
        .sum();
    assert!(shots >= 3, "{board}");
    assert_eq!(html.matches("<li class=\"shot\">").count(), shots);
    assert!(html.contains("今天的风真舒服"), "dialogue is shown");
    // Nothing on the page names the project, the export or the workspace.
    for secret in [
        pid.as_str(),
        export["id"].as_str().unwrap(),
        export["asset_id"].as_str().unwrap(),
    ] {
        assert!(!html.contains(secret), "{secret} leaked: {html}");
    }

    // The video in ranges: what a player seeking asks for, and nothing more.
    let (status, h, whole) = fetch(&s, &format!("/share/{id}/video"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::ACCEPT_RANGES], "bytes");
    assert_eq!(h[header::CACHE_CONTROL], "private, max-age=300");
    assert_eq!(&whole[4..8], b"ftyp", "an MP4");
    assert_eq!(whole.len() as u64, export["file_size"].as_u64().unwrap());
    let size = whole.len();
    let (status, h, part) = fetch(
        &s,
        &format!("/share/{id}/video"),
        &[("range", "bytes=100-199")],
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        h[header::CONTENT_RANGE],
        format!("bytes 100-199/{size}").as_str()
    );
    assert_eq!(part, whole[100..200]);
    let (status, _, tail) =
        fetch(&s, &format!("/share/{id}/video"), &[("range", "bytes=-16")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail, whole[size - 16..]);
    let past = format!("bytes={}-", size + 10);
    let (status, _, _) = fetch(&s, &format!("/share/{id}/video"), &[("range", &past)]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);

    // The poster and each shot's picture, as JPEGs no larger than 720 px.
    let (status, h, poster) = fetch(&s, &format!("/share/{id}/poster.jpg"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "image/jpeg");
    let poster = image::load_from_memory_with_format(&poster, image::ImageFormat::Jpeg).unwrap();
    assert!(poster.width().max(poster.height()) <= 720);
    assert!(poster.height() > poster.width(), "9:16 keyframes");
    let (status, _, last) = fetch(&s, &format!("/share/{id}/frames/{}", shots - 1), &[]).await;
    assert_eq!(status, StatusCode::OK);
    image::load_from_memory(&last).unwrap();
    for missing in [format!("{shots}"), "x".into(), "-1".into()] {
        let (status, _, _) = fetch(&s, &format!("/share/{id}/frames/{missing}"), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "frame {missing}");
    }

    // One page view so far (media requests are not views); a second one counts too.
    page(&s, &format!("/share/{id}")).await;
    let (status, list) = s.get(&format!("/api/v1/share?project_id={pid}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert_eq!(list["items"][0]["view_count"], 2);
    assert_eq!(list["items"][0]["project_name"], "雨中的约定");
    assert!(list["items"][0]["last_viewed_at"].is_string());

    // Revoked: 410 for the page and everything on it, whatever the caller tries; once is enough.
    let (status, revoked) = s
        .call(Method::DELETE, &format!("/api/v1/share/{id}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    let (status, again) = s
        .call(Method::DELETE, &format!("/api/v1/share/{id}"), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);
    let (status, h, html) = page(&s, &format!("/share/{id}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(html.contains("turned off"), "{html}");
    assert!(
        !html.contains("雨中的约定"),
        "nothing of the project on a dead link"
    );
    for media in ["video", "poster.jpg", "frames/0"] {
        let (status, _, _) = fetch(&s, &format!("/share/{id}/{media}"), &[]).await;
        assert_eq!(status, StatusCode::GONE, "{media}");
    }
    let (status, one) = s.get(&format!("/api/v1/share/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["view_count"], 2, "a dead link's page is not a view");

    // Unknown and malformed ids: the same plain 404.
    for unknown in ["AAAAAAAAAAAAAAAAAAAAAA", "nope", "..%2F..%2Fetc"] {
        let (status, _, html) = page(&s, &format!("/share/{unknown}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        assert!(html.contains("Link not found"));
    }
}

#[tokio::test]
async fn bad_input_is_a_4xx_naming_the_field_and_links_expire() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, export) = exported_project(&s).await;
    let (other, _) = s.project_with_script("另一个", "16:9", SCRIPT).await;
    let now = s.clock.now();

    let cases = [
        (
            json!({"project_id": pid, "expires_at": "tomorrow"}),
            "expires_at",
        ),
        (
            json!({"project_id": pid, "expires_at": (now - chrono::Duration::minutes(1)).to_rfc3339()}),
            "expires_at",
        ),
        (
            json!({"project_id": pid, "expires_at": (now + chrono::Duration::days(400)).to_rfc3339()}),
            "expires_at",
        ),
        (json!({"project_id": pid, "password": "abc"}), "password"),
        (
            json!({"project_id": other, "export_id": export["id"]}),
            "export_id",
        ),
        // A project with no export, shared without its storyboard: nothing to show.
        (json!({"project_id": other}), "export_id"),
    ];
    for (body, field) in cases {
        let (status, e) = s.post("/api/v1/share", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_error(&e, "VALIDATION_ERROR", Some(field));
    }
    let (status, e) = s
        .post("/api/v1/share", json!({"project_id": pid, "surprise": 1}))
        .await;
    assert!(status.is_client_error(), "unknown fields are refused: {e}");
    let (status, e) = s
        .post(
            "/api/v1/share",
            json!({"project_id": "0190f0f0-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");
    let (status, e) = s
        .post(
            "/api/v1/share",
            json!({"project_id": pid, "export_id": "no-such-export"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");
    let (_, list) = s.get("/api/v1/share").await;
    assert_eq!(list["total"], 0, "nothing was made: {list}");

    // A storyboard-only link of a project never exported: a page without a video.
    let board_only = share(&s, json!({"project_id": other, "include_storyboard": true})).await;
    assert!(board_only["export_id"].is_null());
    let (status, _, html) = page(
        &s,
        &format!("/share/{}", board_only["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<video"));
    assert!(html.contains("Storyboard"));
    let (status, _, _) = fetch(
        &s,
        &format!("/share/{}/video", board_only["id"].as_str().unwrap()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::GONE);

    // An hour's link, made a minute later (the list is newest first): fine now, expired (410,
    // said so) once the hour has passed.
    s.clock.advance(chrono::Duration::minutes(1));
    let expires = (s.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    let hour = share(&s, json!({"project_id": pid, "expires_at": expires})).await;
    let id = hour["id"].as_str().unwrap();
    let (status, _, html) = page(&s, &format!("/share/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    // Without the storyboard: the video with its poster, and no shots.
    assert!(
        html.contains(&format!("poster=\"/share/{id}/poster.jpg\"")),
        "{html}"
    );
    assert_eq!(html.matches("<li class=\"shot\">").count(), 0);
    let (status, _, _) = fetch(&s, &format!("/share/{id}/poster.jpg"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = fetch(&s, &format!("/share/{id}/frames/1"), &[]).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no storyboard pictures when it is not shared"
    );
    s.clock.advance(chrono::Duration::minutes(61));
    let (status, _, html) = page(&s, &format!("/share/{id}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("expired"), "{html}");
    assert_eq!(
        fetch(&s, &format!("/share/{id}/video"), &[]).await.0,
        StatusCode::GONE
    );
    let (_, one) = s.get(&format!("/api/v1/share/{id}")).await;
    assert_eq!(one["status"], "expired");
    // The storyboard-only link has no expiry: still there.
    let (_, list) = s.get("/api/v1/share").await;
    let statuses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["expired", "active"], "newest first: {list}");
}

#[tokio::test]
async fn a_password_link_needs_its_password_limits_guesses_and_sets_no_cookie() {
    let s = TestServer::start(AuthMode::Local).await;
    let (pid, _) = exported_project(&s).await;
    let link = share(
        &s,
        json!({"project_id": pid, "password": "letmein!", "include_storyboard": true}),
    )
    .await;
    assert_eq!(link["has_password"], true);
    assert!(link.get("password").is_none() && link.get("password_hash").is_none());
    let id = link["id"].as_str().unwrap().to_string();

    // Locked: a form, and nothing of what is shared (not even its title).
    let (status, h, html) = page(&s, &format!("/share/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(html.contains("type=\"password\""), "{html}");
    assert!(!html.contains("<video") && !html.contains("雨中的约定") && !html.contains("og:image"));
    for media in ["video", "poster.jpg", "frames/0"] {
        let (status, _, _) = fetch(&s, &format!("/share/{id}/{media}"), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{media}");
    }

    let (status, _, html) = try_password(&s, &id, "wrong guess").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("not right"), "{html}");
    let (status, h, _) = try_password(&s, &id, "letmein!").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(h.get(header::SET_COOKIE).is_none(), "no cookie");
    let location = h[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("/share/{id}?k=")),
        "{location}"
    );
    let token = location.split("?k=").nth(1).unwrap().to_string();

    let (status, _, html) = page(&s, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("雨中的约定") && html.contains("<video"),
        "{html}"
    );
    assert!(html.contains(&format!("/share/{id}/video?k={token}")));
    assert!(html.contains(&format!("/share/{id}/frames/0?k={token}")));
    let (status, _, _) = fetch(
        &s,
        &format!("/share/{id}/video?k={token}"),
        &[("range", "bytes=0-9")],
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    // A token is for its link, unaltered, and for a while.
    let forged = format!("{}0", &token[..token.len() - 1]);
    let forged = if forged == token {
        format!("{}1", &token[..token.len() - 1])
    } else {
        forged
    };
    let (status, _, _) = fetch(&s, &format!("/share/{id}/video?k={forged}"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let other = share(&s, json!({"project_id": pid, "password": "letmein!"})).await;
    let (status, _, _) = fetch(
        &s,
        &format!("/share/{}/video?k={token}", other["id"].as_str().unwrap()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another link's token");

    // Five guesses a minute per link and address, counted before any hash is computed.
    for _ in 0..3 {
        assert_eq!(
            try_password(&s, &id, "still wrong").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, h, html) = try_password(&s, &id, "letmein!").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{html}");
    assert!(
        h[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert!(html.contains("Too many tries"));
    // The other link's guesses are its own.
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(
        try_password(&s, other_id, "letmein!").await.0,
        StatusCode::SEE_OTHER
    );

    // The unlock runs out after 12 hours: the form again, saying so.
    s.clock.advance(chrono::Duration::hours(13));
    let (status, _, html) = page(&s, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("run out") && !html.contains("<video"),
        "{html}"
    );
    let (status, _, _) = fetch(&s, &format!("/share/{id}/video?k={token}"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn links_belong_to_their_workspace() {
    let s = TestServer::start(AuthMode::Accounts).await;
    let (_, alice) = s.register("alice").await;
    let (_, bob) = s.register("bob").await;
    let auth = |who: &str| vec![("authorization", who.to_string())];
    let call = |method: Method, path: String, body: Option<Value>, who: &str| {
        let headers = auth(who);
        let s = &s;
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.call(method, &path, body, &h).await
        }
    };
    let (status, p) = call(
        Method::POST,
        "/api/v1/projects".into(),
        Some(json!({"name": "Alice's"})),
        &alice,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_str().unwrap().to_string();
    let (status, link) = call(
        Method::POST,
        "/api/v1/share".into(),
        Some(json!({"project_id": pid, "include_storyboard": true})),
        &alice,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let id = link["id"].as_str().unwrap().to_string();

    // Bob can neither share Alice's project nor see, nor revoke, her link.
    let (status, _) = call(
        Method::POST,
        "/api/v1/share".into(),
        Some(json!({"project_id": pid, "include_storyboard": true})),
        &bob,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = call(Method::GET, "/api/v1/share".into(), None, &bob).await;
    assert_eq!(list["total"], 0);
    let (status, _) = call(Method::DELETE, format!("/api/v1/share/{id}"), None, &bob).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(Method::GET, "/api/v1/share".into(), None, "Bearer nonsense").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Anyone, signed in or not, can open the page.
    let (status, _, html) = page(&s, &format!("/share/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Alice&#39;s"));
}

async fn queued_share(desk: &TestServer, id: &str) -> Value {
    let (status, list) = desk.get("/api/v1/remote/shares").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

/// Issue 20, item 3: "Share" on a desktop's export while its team server is down is queued and
/// says why; once the server is back the share completes: the project is linked to the person's
/// own workspace and synced (the video uploaded by hash), and the link plays the desktop's video.
#[tokio::test]
async fn a_share_queued_offline_on_the_desktop_completes_after_the_server_comes_up() {
    let server = TestServer::start_team_server().await;
    let (alice, token) = server.register("alice").await;
    let desk = TestServer::start_desktop().await;
    let (status, body) = desk
        .post("/api/v1/remote/shares", json!({"export_id": "x"}))
        .await;
    assert_error(&body, "VALIDATION_ERROR", Some("server_url"));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = desk
        .post(
            "/api/v1/remote/sign-in",
            json!({"server_url": server.base, "username": "alice", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (pid, export) = exported_project(&desk).await;
    let export_id = export["id"].as_str().unwrap();
    // The team server has no desktop routes.
    let (status, _) = server
        .call(
            Method::GET,
            "/api/v1/remote/shares",
            None,
            &[("authorization", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let down = server.stop_for_now().await;
    for (body, code, field) in [
        (json!({"export_id": "nope"}), "NOT_FOUND", None),
        (
            json!({"export_id": export_id, "password": "abc"}),
            "VALIDATION_ERROR",
            Some("password"),
        ),
        (
            json!({"export_id": export_id, "expires_at": "2020-01-01T00:00:00Z"}),
            "VALIDATION_ERROR",
            Some("expires_at"),
        ),
    ] {
        let (status, answer) = desk.post("/api/v1/remote/shares", body).await;
        assert!(status.is_client_error(), "{answer}");
        assert_error(&answer, code, field);
    }
    let (status, queued) = desk
        .post(
            "/api/v1/remote/shares",
            json!({"export_id": export_id, "password": "opensesame", "include_storyboard": true}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["project_id"], pid.as_str());
    let qid = queued["id"].as_str().unwrap().to_string();
    // The first try (made at once) finds the server down: still queued, with the reason and
    // its next try.
    let mut seen = queued_share(&desk, &qid).await;
    for _ in 0..200 {
        if seen["attempts"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        seen = queued_share(&desk, &qid).await;
    }
    assert_eq!(seen["status"], "queued", "{seen}");
    assert_eq!(seen["attempts"], 1, "{seen}");
    assert!(seen["next_try_at"].is_string(), "{seen}");
    assert!(
        seen["last_error"].as_str().unwrap().contains("reach"),
        "{seen}"
    );
    assert_eq!(seen["url"], Value::Null);
    let (_, tried) = desk
        .post(&format!("/api/v1/remote/shares/{qid}/send"), json!({}))
        .await;
    assert_eq!(tried["status"], "queued", "{tried}");
    assert_eq!(tried["attempts"], 2, "{tried}");

    // The server is back: the next try makes the link.
    let server = down.start_again().await;
    let (status, shared) = desk
        .post(&format!("/api/v1/remote/shares/{qid}/send"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{shared}");
    assert_eq!(shared["status"], "shared", "{shared}");
    assert_eq!(shared["last_error"], Value::Null, "{shared}");
    let link_id = shared["share_id"].as_str().unwrap().to_string();
    assert_eq!(
        shared["url"],
        format!("{}/share/{link_id}", server.base),
        "{shared}"
    );
    // Nothing more to send or cancel.
    let (status, answer) = desk
        .post(&format!("/api/v1/remote/shares/{qid}/send"), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_error(&answer, "VALIDATION_ERROR", Some("status"));
    let (status, _) = desk
        .call(
            Method::DELETE,
            &format!("/api/v1/remote/shares/{qid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // On the server: the project in alice's workspace, the link to the synced video.
    let auth = [("authorization", token.as_str())];
    let (status, link) = server
        .call(
            Method::GET,
            &format!("/api/v1/share/{link_id}"),
            None,
            &auth,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["project_id"], pid.as_str());
    assert_eq!(link["video_asset_id"], export["asset_id"]);
    assert_eq!(link["has_password"], true);
    assert_eq!(link["include_storyboard"], true);
    let (status, project) = server
        .call(Method::GET, &format!("/api/v1/projects/{pid}"), None, &auth)
        .await;
    assert_eq!(status, StatusCode::OK, "{project}");
    let (status, linked) = desk.get(&format!("/api/v1/projects/{pid}/sync")).await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(linked["workspace_id"], alice.as_str());

    // The page asks for the password; then plays the very bytes the desktop exported.
    let (status, _, html) = page(&server, &format!("/share/{link_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("type=\"password\"") && !html.contains("<video"),
        "{html}"
    );
    let (status, h, _) = try_password(&server, &link_id, "opensesame").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = h[header::LOCATION].to_str().unwrap().to_string();
    let (status, _, html) = page(&server, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<video"), "{html}");
    let k = to.split_once("?k=").map(|(_, k)| k).unwrap();
    let video = format!("/share/{link_id}/video?k={k}");
    let (status, h, part) = fetch(&server, &video, &[("range", "bytes=0-99")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.len(), 100);
    let (_, _, whole) = fetch(&server, &video, &[]).await;
    let local = desk
        .client
        .get(desk.url(export["video_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(whole.len(), local.len());
    assert!(
        whole == local.as_ref(),
        "the server's video is the desktop's"
    );
    assert!(h[header::CONTENT_RANGE]
        .to_str()
        .unwrap()
        .starts_with("bytes 0-99/"));

    // The desktop's request carried its queue id as the Idempotency-Key: a repeat answers the
    // same link.
    let (status, again) = server
        .call(
            Method::POST,
            "/api/v1/share",
            Some(json!({"project_id": pid, "asset_id": export["asset_id"]})),
            &[("authorization", &token), ("idempotency-key", &qid)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], link_id.as_str());
    let (_, all) = server.call(Method::GET, "/api/v1/share", None, &auth).await;
    assert_eq!(all["total"], 1, "{all}");
    // The server checks what it is given: an asset that is not an exported video.
    let (status, answer) = server
        .call(
            Method::POST,
            "/api/v1/share",
            Some(json!({"project_id": pid, "asset_id": export["asset_id"], "export_id": "e"})),
            &auth,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_error(&answer, "VALIDATION_ERROR", Some("asset_id"));
}
