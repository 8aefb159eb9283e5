//! Publishing (docs/PUBLISH.md) against local fakes of WeChat's, Douyin's and Kuaishou's open
//! APIs: bindings sealed and never returned, each platform's result, retries with backoff, clear
//! refusals, and a scheduled job that survives a kill -9 and fires once.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

use crate::common::{assert_error, fake_platforms, TestServer};

async fn platforms_server(base: &str) -> TestServer {
    let base = base.to_string();
    TestServer::start_with(AuthMode::Local, move |c| {
        c.publish.wechat_base = base.clone();
        c.publish.douyin_base = base.clone();
        c.publish.kuaishou_base = base;
        c.publish.retry_base_ms = 10;
        c.publish.poll_ms = 50;
    })
    .await
}

/// A job's final state (it ends in `completed`, `partial` or `failed`).
async fn finished(s: &TestServer, id: &str) -> Value {
    for _ in 0..400 {
        let (status, job) = s.get(&format!("/api/v1/publish/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["finished_at"].is_string() {
            return job;
        }
        // Retries wait on the server's clock, which this test moves.
        s.clock.advance(chrono::Duration::milliseconds(200));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the publish job did not finish");
}

fn item<'a>(job: &'a Value, platform: &str) -> &'a Value {
    job["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["platform"] == platform)
        .unwrap_or_else(|| panic!("no {platform} in {job}"))
}

async fn article(s: &TestServer) -> String {
    let (status, out) = s
        .post(
            "/api/v1/writing/wechat_article/generate",
            json!({"title": "雨夜来电 <幕后>", "keywords": ["短剧"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    out["creation_id"].as_str().unwrap().to_string()
}

async fn video(s: &TestServer) -> String {
    let (status, task) = s
        .post(
            "/api/v1/video/generate",
            json!({"script": "场景1：公园 日 外\n△ 林晓坐在长椅上看书。\n林晓：今天的风真舒服。\n", "duration": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    let id = task["task_id"].as_str().unwrap();
    for _ in 0..1200 {
        let (_, v) = s.get(&format!("/api/v1/video/{id}/status")).await;
        match v["status"].as_str() {
            Some("completed") => return v["creation_id"].as_str().unwrap().to_string(),
            Some("failed") => panic!("{v}"),
            _ => tokio::time::sleep(Duration::from_millis(150)).await,
        }
    }
    panic!("no video");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_platform_reports_its_own_result_and_refusals_are_clear() {
    let (base, fake) = fake_platforms::start().await;
    let s = platforms_server(&base).await;
    storyloom::publish::spawn_scheduler(&s.state);

    let (status, list) = s.get("/api/v1/publish/platforms").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["platform"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["wechat", "douyin", "kuaishou", "xiaohongshu", "toutiao"]
    );
    assert!(list.as_array().unwrap().iter().all(|p| p["bound"] == false));

    // Binding: refused for a platform without an open publishing API, or a missing field.
    let (status, body) = s
        .post(
            "/api/v1/publish/platforms/bind",
            json!({"platform": "xiaohongshu", "credentials": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "PUBLISH_UNSUPPORTED", Some("platform"));
    let (status, body) = s
        .post(
            "/api/v1/publish/platforms/bind",
            json!({"platform": "wechat", "credentials": {"app_id": "wx123"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("credentials"));
    for (platform, creds) in [
        (
            "wechat",
            json!({"app_id": "wx123", "app_secret": "wx-secret"}),
        ),
        (
            "douyin",
            json!({"access_token": "dy-token", "open_id": "open-9"}),
        ),
        (
            "kuaishou",
            json!({"app_id": "ks1", "access_token": "ks-token"}),
        ),
    ] {
        let (status, bound) = s
            .post(
                "/api/v1/publish/platforms/bind",
                json!({"platform": platform, "credentials": creds}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{bound}");
        assert_eq!(bound["bound"], true);
        let text = bound.to_string();
        assert!(
            !text.contains("wx-secret") && !text.contains("dy-token") && !text.contains("ks-token"),
            "{text}"
        );
    }
    // Sealed at rest: the secret is not in the database in the clear.
    let sealed: Vec<Vec<u8>> = s
        .state
        .db
        .read(|c| {
            let mut stmt = c.prepare("SELECT credentials_sealed FROM platform_bindings")?;
            let rows = stmt
                .query_map([], |r| r.get::<_, Vec<u8>>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, storyloom::db::DbError>(rows)
        })
        .await
        .unwrap();
    assert_eq!(sealed.len(), 3);
    assert!(sealed
        .iter()
        .all(|b| !String::from_utf8_lossy(b).contains("secret")
            && !String::from_utf8_lossy(b).contains("token")));

    // An article to WeChat: token, cover, draft, submit; its HTML escaped.
    let text = article(&s).await;
    let (status, body) = s
        .post(
            "/api/v1/publish",
            json!({"creation_id": text, "platforms": ["douyin"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "PUBLISH_UNSUPPORTED", Some("platforms"));
    let (status, job) = s
        .post(
            "/api/v1/publish",
            json!({"creation_id": text, "platforms": ["wechat"]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], "pending");
    let job = finished(&s, job["publish_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(item(&job, "wechat")["remote_id"], "2247483647");
    let draft = fake.last("/cgi-bin/draft/add");
    let article = &draft["articles"][0];
    assert_eq!(article["title"], "雨夜来电 <幕后>");
    assert_eq!(article["thumb_media_id"], "THUMB-1");
    assert!(
        article["content"]
            .as_str()
            .unwrap()
            .contains("<h1>雨夜来电 &lt;幕后&gt;</h1>"),
        "{article}"
    );
    assert!(
        fake.last("/cgi-bin/material/add_material")["media"]
            .as_u64()
            .unwrap()
            > 1000,
        "a real cover"
    );
    assert!(fake
        .auth
        .lock()
        .unwrap()
        .iter()
        .any(|a| a.contains("secret=wx-secret")));
    assert_eq!(
        fake.last("/cgi-bin/freepublish/submit")["media_id"],
        "DRAFT-1"
    );

    // WeChat busy once: retried with backoff, published on the second attempt.
    fake.fail(
        "/cgi-bin/freepublish/submit",
        vec![json!({"errcode": -1, "errmsg": "system error"})],
    );
    let (_, job) = s
        .post(
            "/api/v1/publish",
            json!({"creation_id": text, "platforms": ["wechat"]}),
        )
        .await;
    let job = finished(&s, job["publish_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(item(&job, "wechat")["attempts"], 2);

    // A video to Douyin (which refuses it) and Kuaishou (which takes it): partial, each named.
    let clip = video(&s).await;
    fake.fail(
        "/api/douyin/v1/video/create_video/",
        vec![json!({"data": {}, "extra": {"error_code": 2190008, "description": "access_token过期"}})],
    );
    let (status, job) = s
        .post(
            "/api/v1/publish",
            json!({"creation_id": clip, "platforms": ["douyin", "kuaishou"]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished(&s, job["publish_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "partial", "{job}");
    let dy = item(&job, "douyin");
    assert_eq!(dy["status"], "failed");
    assert_eq!(dy["error_code"], "PUBLISH_FAILED");
    assert!(
        dy["error"]
            .as_str()
            .unwrap()
            .contains("Douyin error 2190008"),
        "{dy}"
    );
    assert_eq!(dy["attempts"], 1, "a refusal is not retried");
    let ks = item(&job, "kuaishou");
    assert_eq!(ks["status"], "published", "{ks}");
    assert_eq!(ks["remote_id"], "5210000001");
    assert!(
        fake.last("/api/upload/multipart")["file"].as_u64().unwrap() > 10_000,
        "the video itself"
    );
    assert!(
        fake.last("/api/douyin/v1/video/upload_video/")["video"]
            .as_u64()
            .unwrap()
            > 10_000
    );
    assert!(fake
        .auth
        .lock()
        .unwrap()
        .iter()
        .any(|a| a.contains("access-token=dy-token") && a.contains("open_id=open-9")));

    // History: newest first, each job with its platforms.
    let (_, history) = s.get("/api/v1/publish/history?page_size=10").await;
    assert_eq!(history["total"], 3);
    assert_eq!(history["items"][0]["status"], "partial");

    // Unbound: refused with the seed's meaning (40008), before anything is stored.
    let (status, _) = s
        .call(
            Method::DELETE,
            "/api/v1/publish/platforms/kuaishou",
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = s
        .post(
            "/api/v1/publish",
            json!({"creation_id": clip, "platforms": ["kuaishou"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "PLATFORM_NOT_BOUND", Some("platforms"));
    for (body, field) in [
        (json!({"platforms": ["wechat"]}), "creation_id"),
        (json!({"creation_id": text, "platforms": []}), "platforms"),
        (
            json!({"creation_id": text, "platforms": ["myspace"]}),
            "platforms",
        ),
        (
            json!({"creation_id": text, "platforms": ["wechat"], "schedule_time": "tomorrow"}),
            "schedule_time",
        ),
    ] {
        let (status, answer) = s.post("/api/v1/publish", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{answer}");
    }
    let (_, history) = s.get("/api/v1/publish/history").await;
    assert_eq!(history["total"], 3, "refused requests stored nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_publish_survives_a_kill_and_fires_once_at_its_time() {
    let (base, fake) = fake_platforms::start().await;
    let data = tempfile::tempdir().unwrap();
    let start = || {
        crate::common::spawn_serve(|c| {
            c.args(["--auth", "local", "--data-dir"])
                .arg(data.path())
                .env("STORYLOOM_PUBLISH_WECHAT_BASE", &base)
                .env("STORYLOOM_PUBLISH_POLL_MS", "100");
        })
    };
    let client = reqwest::Client::new();
    let post = |url: String, body: Value| {
        let client = client.clone();
        async move {
            let r = client.post(url).json(&body).send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (mut server, url) = start();
    let (status, _) = post(
        format!("{url}/api/v1/publish/platforms/bind"),
        json!({"platform": "wechat", "credentials": {"app_id": "wx123", "app_secret": "wx-secret"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, text) = post(
        format!("{url}/api/v1/writing/news_article/generate"),
        json!({"title": "定时发布"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let at = chrono::Utc::now() + chrono::Duration::seconds(4);
    let (status, job) = post(
        format!("{url}/api/v1/publish"),
        json!({"creation_id": text["creation_id"], "platforms": ["wechat"],
               "schedule_time": at.to_rfc3339()}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["publish_id"].as_str().unwrap().to_string();
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        fake.calls("/cgi-bin/freepublish/submit"),
        0,
        "not before its time"
    );

    let (mut server, url) = start();
    let mut done = Value::Null;
    for _ in 0..200 {
        let j: Value = client
            .get(format!("{url}/api/v1/publish/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if j["finished_at"].is_string() {
            done = j;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A while longer: nothing fires a second time.
    tokio::time::sleep(Duration::from_millis(800)).await;
    server.kill().unwrap();
    let _ = server.wait();
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(fake.calls("/cgi-bin/freepublish/submit"), 1, "fired once");
    let fired = fake.times("/cgi-bin/freepublish/submit")[0];
    assert!(
        fired >= at.timestamp_millis(),
        "fired at its time, not before"
    );
}
