//! The creator tools (docs/CREATE.md): the fourteen writing tools against a fake OpenAI-compatible
//! server that speaks the wire format (and fails on purpose), and the creations with their trash.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

use crate::common::{
    assert_error,
    fake_openai::{self, PROMPT_TOKENS},
    libreoffice_pages, pptx_part,
    sse::{EventReader, Sse},
    TestServer,
};

/// Credits per 1,000 input and output tokens of the fake chat model.
const INPUT_PRICE: i64 = 1_000;
const OUTPUT_PRICE: i64 = 2_000;

/// What the fake's answer (11 prompt and 3 completion tokens) costs.
fn answer_cost() -> i64 {
    cost_of(3)
}

/// What the fake's prompt and `completion` tokens cost, rounded up.
fn cost_of(completion: i64) -> i64 {
    (PROMPT_TOKENS * INPUT_PRICE + completion * OUTPUT_PRICE + 999) / 1000
}

/// A provider on the fake and a chat model called `model_name` on it; returns the model's id.
async fn chat_model(s: &TestServer, base: &str, model_name: &str, default: bool) -> String {
    let (status, p) = s
        .post(
            "/api/v1/admin/providers",
            json!({"name": format!("Fake {model_name}"), "adapter": "openai_compatible", "base_url": base,
                   "api_key": "sk-test-0123456789abcd", "max_concurrency": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, m) = s
        .post(
            "/api/v1/models",
            json!({"name": format!("Chat {model_name}"), "provider_id": p["id"], "model_name": model_name,
                   "kind": "llm", "credits_cost": INPUT_PRICE, "output_credits_cost": OUTPUT_PRICE}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    if default {
        let (status, cfg) = s
            .call(
                Method::PATCH,
                "/api/v1/admin/config",
                Some(json!({"default_models": {"llm": id}})),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cfg}");
    }
    id
}

async fn grant(s: &TestServer, credits: i64) {
    let owner = s.state.local_owner_id.clone().unwrap();
    let (status, body) = s
        .post(
            "/api/v1/admin/credits/grant",
            json!({"user_id": owner, "credits": credits}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// (spendable, held)
async fn balances(s: &TestServer) -> (i64, i64) {
    let (status, b) = s.get("/api/v1/billing/balance").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    (
        b["credit_balance"].as_i64().unwrap(),
        b["held"].as_i64().unwrap(),
    )
}

/// (pending, settled, voided) holds of writing tools.
async fn holds(s: &TestServer) -> (i64, i64, i64) {
    s.state
        .db
        .read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN status = 'settled' THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN status = 'voided' THEN 1 ELSE 0 END), 0)
                   FROM ledger_holds WHERE key LIKE 'create:%'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap()
}

/// The reconciliation report's verdict: every account equals its entries, every hold resolved
/// consistently.
async fn reconciled(s: &TestServer) {
    let report = storyloom::ledger::reconcile::reconcile(&s.state, false)
        .await
        .unwrap();
    assert!(report.success, "{:?}", report.issues);
}

fn request_for(tool: &Value) -> Value {
    let t = tool["type"].as_str().unwrap();
    let mut body = json!({
        "title": format!("标题-{t}"),
        "keywords": ["效率", format!("词-{t}")],
        "requirements": format!("要求-{t}：800 字"),
    });
    if tool["needs_content"] == true {
        body["content"] = json!(format!("原文-{t}：今天天气很好。"));
    }
    body
}

fn user_prompt(body: &Value) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap()
        .to_string()
}

async fn open_stream(s: &TestServer, path: &str, body: Value) -> (StatusCode, EventReader) {
    let response = reqwest::Client::new()
        .post(s.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), EventReader::from(response))
}

fn names(events: &[Sse]) -> Vec<&str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

// ------------------------------------------------------------------------------------------ tests

#[tokio::test]
async fn every_writing_tool_sends_its_structure_and_the_users_fields_and_is_charged_once() {
    let (base, seen) = fake_openai::start().await;
    let s = TestServer::start(AuthMode::Local).await;
    let model = chat_model(&s, &base, "ok", true).await;
    grant(&s, 10_000_000).await;
    let (before, _) = balances(&s).await;

    let (status, tools) = s.get("/api/v1/writing/tools").await;
    assert_eq!(status, StatusCode::OK, "{tools}");
    let tools = tools.as_array().unwrap().clone();
    let types: Vec<&str> = tools.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "wechat_article",
            "xiaohongshu_note",
            "official_document",
            "academic_paper",
            "marketing_copy",
            "news_article",
            "video_script",
            "story_novel",
            "business_plan",
            "work_report",
            "resume",
            "lesson_plan",
            "content_rewrite",
            "translation"
        ]
    );

    let mut charged = 0;
    for tool in &tools {
        let t = tool["type"].as_str().unwrap();
        assert_eq!(tool["model"], model.as_str(), "{tool}");
        // The catalog's price is the most a generation may cost: above what this answer costs.
        assert!(
            tool["credits_cost"].as_i64().unwrap() > answer_cost(),
            "{tool}"
        );
        let (status, out) = s
            .post(&format!("/api/v1/writing/{t}/generate"), request_for(tool))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}: {out}");
        assert_eq!(out["content"], "Hello there", "{t}");
        assert_eq!(out["credits_used"], answer_cost(), "{t}");
        assert_eq!(out["creation"]["tool_type"], t);
        assert_eq!(out["creation"]["type"], "writing");
        assert_eq!(out["creation"]["prompt_version"], format!("builtin:{t}@1"));
        charged += answer_cost();

        // The prompt carries the tool's structure and every field the user gave.
        let sent = seen.last();
        assert_eq!(sent["stream"], true, "{t}");
        assert_eq!(sent["max_tokens"], tool["max_tokens"], "{t}");
        let prompt = user_prompt(&sent);
        for needle in [
            format!("标题-{t}"),
            format!("效率、词-{t}"),
            format!("要求-{t}：800 字"),
        ] {
            assert!(prompt.contains(&needle), "{t}: {needle} not in {prompt}");
        }
        for section in tool["sections"].as_array().unwrap() {
            let section = section.as_str().unwrap();
            assert!(
                prompt.contains(section),
                "{t}: section {section} not in the prompt"
            );
        }
        if tool["needs_content"] == true {
            assert!(
                prompt.contains(&format!("原文-{t}")),
                "{t}: the source text"
            );
        }
        assert!(!prompt.contains("{{"), "{t}: a placeholder left: {prompt}");
    }
    assert_eq!(seen.calls("ok"), 14);
    assert_eq!(
        balances(&s).await,
        (before - charged, 0),
        "charged once each"
    );
    assert_eq!(holds(&s).await, (0, 14, 0));
    reconciled(&s).await;

    // Every one is in the creations, newest first.
    let (status, page) = s.get("/api/v1/creations?type=writing&page_size=50").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 14);
    assert_eq!(page["items"][0]["tool_type"], "translation");
}

#[tokio::test]
async fn the_stream_sends_the_text_as_it_is_written_and_the_saved_creation_matches() {
    let (base, _seen) = fake_openai::start().await;
    let s = TestServer::start(AuthMode::Local).await;
    chat_model(&s, &base, "slow", true).await;
    grant(&s, 10_000_000).await;
    let (before, _) = balances(&s).await;

    let (status, mut reader) = open_stream(
        &s,
        "/api/v1/writing/xiaohongshu_note/generate/stream",
        json!({"title": "周末去哪儿", "keywords": "露营, 徒步"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let first = reader.next().await.unwrap();
    assert_eq!(first.name, "start", "{first:?}");
    let estimate = first.data["estimate"].as_i64().unwrap();
    // While the model writes, the most it may cost is held.
    let second = reader.next().await.unwrap();
    assert_eq!(second.name, "delta");
    assert_eq!(balances(&s).await, (before - estimate, estimate));
    // The hold is the server's: a client cannot void it halfway and keep the text.
    let hold_id: String = s
        .state
        .db
        .read(|c| {
            c.query_row(
                "SELECT id FROM ledger_holds WHERE key LIKE 'create:%' AND status = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(storyloom::db::DbError::from)
        })
        .await
        .unwrap();
    let (status, body) = s
        .post(&format!("/api/v1/billing/holds/{hold_id}/void"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let mut events = vec![first, second];
    events.extend(reader.all().await);
    let order = names(&events);
    assert_eq!(order.last(), Some(&"done"), "{order:?}");
    let deltas: String = events
        .iter()
        .filter(|e| e.name == "delta")
        .map(|e| e.data["text"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "x".repeat(20));
    assert!(
        events.iter().filter(|e| e.name == "delta").count() >= 10,
        "the text came in pieces: {order:?}"
    );
    let done = &events.last().unwrap().data;
    assert_eq!(done["content"], deltas);
    let cost = cost_of(20);
    assert_eq!(done["credits_used"], cost);
    assert_eq!(balances(&s).await, (before - cost, 0));

    let id = done["creation_id"].as_str().unwrap();
    let (status, saved) = s.get(&format!("/api/v1/creations/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["content"], deltas);
    assert_eq!(saved["input"]["keywords"], json!(["露营", "徒步"]));
    reconciled(&s).await;
}

#[tokio::test]
async fn a_failed_generation_refunds_everything_and_saves_nothing() {
    let (base, seen) = fake_openai::start().await;
    let s = TestServer::start(AuthMode::Local).await;
    let broken = chat_model(&s, &base, "error500", false).await;
    let cut = chat_model(&s, &base, "mid-stream-500", false).await;
    let silent = chat_model(&s, &base, "no-usage", false).await;
    grant(&s, 10_000_000).await;
    let (before, _) = balances(&s).await;

    // A 500 on every attempt: retried, then a 502 naming the upstream; nothing charged.
    let (status, body) = s
        .post(
            "/api/v1/writing/marketing_copy/generate",
            json!({"title": "新品", "model_id": broken}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_error(&body, "UPSTREAM_FAILED", None);
    assert!(seen.calls("error500") > 1, "retried");
    assert_eq!(balances(&s).await, (before, 0));

    // A stream that breaks after two chunks: the client sees the text start over on each retry,
    // then the error; nothing charged.
    let (status, reader) = open_stream(
        &s,
        "/api/v1/writing/marketing_copy/generate/stream",
        json!({"title": "新品", "model_id": cut}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let events = reader.all().await;
    let order = names(&events);
    assert_eq!(order.first(), Some(&"start"), "{order:?}");
    assert!(
        order.contains(&"delta") && order.contains(&"restart"),
        "{order:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last.name, "error", "{order:?}");
    assert_eq!(last.data["code"], "UPSTREAM_FAILED");
    assert_eq!(last.data["retryable"], true);
    assert_eq!(balances(&s).await, (before, 0));

    assert_eq!(holds(&s).await, (0, 0, 2), "both holds voided");
    let (_, page) = s.get("/api/v1/creations").await;
    assert_eq!(page["total"], 0, "nothing saved: {page}");

    // A model that never reports usage is charged what it was allowed to cost, never more.
    let (status, out) = s
        .post(
            "/api/v1/writing/marketing_copy/generate",
            json!({"title": "新品", "model_id": silent}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let charged = out["credits_used"].as_i64().unwrap();
    assert!(
        charged > answer_cost(),
        "the hold, not the answer: {charged}"
    );
    assert_eq!(balances(&s).await, (before - charged, 0));
    reconciled(&s).await;

    // Too few credits for the most it may cost: 402 before the model is called.
    let s2 = TestServer::start(AuthMode::Local).await;
    let (base2, seen2) = fake_openai::start().await;
    chat_model(&s2, &base2, "ok", true).await;
    grant(&s2, 10).await;
    let (status, body) = s2
        .post(
            "/api/v1/writing/resume/generate",
            json!({"title": "求职信"}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(seen2.total(), 0);
    assert_eq!(balances(&s2).await, (10, 0));
}

#[tokio::test]
async fn an_idempotency_key_returns_the_first_creation_and_charges_once() {
    let (base, seen) = fake_openai::start().await;
    let s = TestServer::start(AuthMode::Local).await;
    chat_model(&s, &base, "ok", true).await;
    grant(&s, 10_000_000).await;
    let (before, _) = balances(&s).await;
    let body = json!({"title": "季度总结", "requirements": "简洁"});
    let key = [("Idempotency-Key", "report-2026-q4")];
    let (status, first) = s
        .call(
            Method::POST,
            "/api/v1/writing/work_report/generate",
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = s
        .call(
            Method::POST,
            "/api/v1/writing/work_report/generate",
            Some(body),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["creation_id"], first["creation_id"]);
    assert_eq!(seen.calls("ok"), 1);
    assert_eq!(balances(&s).await, (before - answer_cost(), 0));

    // The same key on another tool is another request.
    let (status, other) = s
        .call(
            Method::POST,
            "/api/v1/image/generate",
            Some(json!({"prompt": "季度总结", "size": "256x256"})),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_ne!(other["creation_id"], first["creation_id"]);
    assert_eq!(other["creation"]["type"], "image");

    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/writing/work_report/generate",
            Some(json!({"title": "x"})),
            &[("Idempotency-Key", "")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "VALIDATION_ERROR", Some("Idempotency-Key"));
}

#[tokio::test]
async fn bad_requests_name_their_field() {
    let s = TestServer::start(AuthMode::Local).await;
    let cases = [
        (
            "/api/v1/writing/wechat_article/generate",
            json!({"title": "  "}),
            "title",
        ),
        (
            "/api/v1/writing/wechat_article/generate",
            json!({"title": "x".repeat(201)}),
            "title",
        ),
        (
            "/api/v1/writing/wechat_article/generate",
            json!({"title": "t", "keywords": 3}),
            "keywords",
        ),
        (
            "/api/v1/writing/wechat_article/generate",
            json!({"title": "t", "keywords": vec!["k"; 21]}),
            "keywords",
        ),
        (
            "/api/v1/writing/wechat_article/generate",
            json!({"title": "t", "requirements": "r".repeat(2001)}),
            "requirements",
        ),
        (
            "/api/v1/writing/translation/generate",
            json!({"title": "t"}),
            "content",
        ),
        (
            "/api/v1/writing/content_rewrite/generate",
            json!({"title": "t", "content": " "}),
            "content",
        ),
        (
            "/api/v1/writing/wechat_article/generate",
            json!({"title": "t", "model_id": "no-such-model"}),
            "model_id",
        ),
        (
            "/api/v1/writing/wechat_article/generate",
            json!({"title": "t", "project_id": "nope"}),
            "project_id",
        ),
    ];
    for (path, body, field) in cases {
        let (status, answer) = s.post(path, body.clone()).await;
        assert!(status.is_client_error(), "{body}: {status} {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
    let (status, body) = s
        .post("/api/v1/writing/sonnet/generate", json!({"title": "t"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("wechat_article"));
    let (status, body) = s.get("/api/v1/creations?type=poem").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "VALIDATION_ERROR", Some("type"));
    let (_, page) = s.get("/api/v1/creations").await;
    assert_eq!(page["total"], 0, "nothing stored by a refused request");
}

#[tokio::test]
async fn offline_the_builtin_writer_lays_out_the_structure_free_and_creations_edit_trash_and_restore(
) {
    let s = TestServer::start(AuthMode::Local).await;
    let (before, _) = balances(&s).await;
    let (status, tools) = s.get("/api/v1/writing/tools").await;
    assert_eq!(status, StatusCode::OK);
    let plan = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "business_plan")
        .unwrap()
        .clone();
    assert_eq!(plan["credits_cost"], 0);
    assert_eq!(plan["model"], "builtin");

    let (status, out) = s
        .post(
            "/api/v1/writing/business_plan/generate",
            json!({"title": "咖啡车", "keywords": ["社区", "早餐"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["credits_used"], 0);
    assert_eq!(out["creation"]["model"], "builtin");
    let content = out["content"].as_str().unwrap();
    assert!(content.starts_with("# 咖啡车"), "{content}");
    assert!(content.contains("社区、早餐"), "{content}");
    for section in plan["sections"].as_array().unwrap() {
        assert!(
            content.contains(&format!("## {}", section.as_str().unwrap())),
            "{section} in {content}"
        );
    }
    assert_eq!(balances(&s).await.0, before);
    let id = out["creation_id"].as_str().unwrap().to_string();

    // Edit, then delete to the trash and undo.
    let (status, edited) = s
        .call(
            Method::PUT,
            &format!("/api/v1/creations/{id}"),
            Some(json!({"title": "咖啡车计划", "content": "# 咖啡车计划\n\n已改"})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["title"], "咖啡车计划");
    let (status, bad) = s
        .call(
            Method::PUT,
            &format!("/api/v1/creations/{id}"),
            Some(json!({"title": ""})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&bad, "VALIDATION_ERROR", Some("title"));

    let (status, gone) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/creations/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert!(gone["deleted_at"].is_string());
    let (status, _) = s.get(&format!("/api/v1/creations/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, live) = s.get("/api/v1/creations").await;
    assert_eq!(live["total"], 0);
    let (_, trash) = s.get("/api/v1/creations?trashed=true").await;
    assert_eq!(trash["total"], 1);
    assert_eq!(trash["items"][0]["id"], id.as_str());
    let (status, back) = s
        .post(&format!("/api/v1/creations/{id}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["content"], "# 咖啡车计划\n\n已改", "nothing lost");
    let (status, _) = s
        .post(&format!("/api/v1/creations/{id}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in the trash any more");

    // Only a video script opens as a project.
    let (status, body) = s
        .post(&format!("/api/v1/creations/{id}/project"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, script) = s
        .post(
            "/api/v1/writing/video_script/generate",
            json!({"title": "雨夜来电", "keywords": ["来电", "重逢"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{script}");
    let sid = script["creation_id"].as_str().unwrap();
    let (status, project) = s
        .post(&format!("/api/v1/creations/{sid}/project"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    assert_eq!(project["name"], "雨夜来电");
    let (pid, vid) = (
        project["id"].as_str().unwrap(),
        project["current_version_id"].as_str().unwrap(),
    );
    let (status, text) = s
        .get(&format!("/api/v1/projects/{pid}/versions/{vid}/script"))
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        text.to_string().contains("INT. 场景1"),
        "the project's script is the creation's: {text}"
    );
    let (_, linked) = s.get(&format!("/api/v1/creations/{sid}")).await;
    assert_eq!(linked["project_id"], pid);
    let (_, again) = s
        .post(&format!("/api/v1/creations/{sid}/project"), json!({}))
        .await;
    assert_eq!(
        again["id"], pid,
        "opened again: the same project, not a copy"
    );
}

#[tokio::test]
async fn an_admins_prompt_template_replaces_the_shipped_one() {
    let (base, seen) = fake_openai::start().await;
    let s = TestServer::start(AuthMode::Local).await;
    chat_model(&s, &base, "ok", true).await;
    grant(&s, 10_000_000).await;
    let (status, template) = s
        .post(
            "/api/v1/prompts",
            json!({"name": "writing.news_article", "body": "OVERRIDE {{title}} / {{keywords}}",
                   "variables": [{"name": "title", "type": "string"}, {"name": "keywords", "type": "string"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let (status, out) = s
        .post(
            "/api/v1/writing/news_article/generate",
            json!({"title": "发布会", "keywords": ["新品"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(user_prompt(&seen.last()), "OVERRIDE 发布会 / 新品");
    assert_eq!(
        out["creation"]["prompt_version"],
        template["current_version"]["id"]
    );
}

async fn download(s: &TestServer, url: &str) -> (StatusCode, String, Vec<u8>) {
    let res = s.client.get(s.url(url)).send().await.unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deck_is_a_pptx_libreoffice_renders_a_page_per_slide_with_notes() {
    let (base, seen) = fake_openai::start().await;
    let s = TestServer::start(AuthMode::Local).await;

    // Offline: the outline itself is the deck, free.
    let (status, made) = s
        .post(
            "/api/v1/ppt/generate",
            json!({"topic": "产品发布会", "outline": ["产品介绍", "核心功能：离线；多端同步", "市场分析"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["slide_count"], 4, "a title slide and one per point");
    assert_eq!(made["credits_used"], 0);
    assert_eq!(made["creation"]["type"], "ppt");
    let (status, kind, pptx) = download(&s, made["download_url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        kind,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    );
    let slide3 = pptx_part(&pptx, "ppt/slides/slide3.xml");
    assert!(
        slide3.contains("核心功能") && slide3.contains("多端同步"),
        "{slide3}"
    );
    if let Some(pages) = libreoffice_pages(&pptx) {
        assert_eq!(pages, 4, "LibreOffice renders one page per slide");
    }

    // With a model: it writes the points and the notes; charged what it used, once.
    let model = chat_model(&s, &base, "deck", true).await;
    grant(&s, 10_000_000).await;
    let (before, _) = balances(&s).await;
    let (status, made) = s
        .post(
            "/api/v1/ppt/generate",
            json!({"topic": "Launch", "outline": ["Intro", "Features", "Pricing"], "model_id": model}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["slide_count"], 4);
    let cost = cost_of(40);
    assert_eq!(made["credits_used"], cost);
    assert_eq!(balances(&s).await, (before - cost, 0));
    let prompt = user_prompt(&seen.last());
    assert!(
        prompt.contains("Launch") && prompt.contains("3. Pricing"),
        "{prompt}"
    );
    let (_, _, pptx) = download(&s, made["download_url"].as_str().unwrap()).await;
    assert!(pptx_part(&pptx, "ppt/slides/slide2.xml").contains("Model slide one"));
    assert!(pptx_part(&pptx, "ppt/notesSlides/notesSlide2.xml").contains("Notes one"));
    // The model wrote two slides for three points: the third keeps its point.
    assert!(pptx_part(&pptx, "ppt/slides/slide4.xml").contains("Pricing"));
    if let Some(pages) = libreoffice_pages(&pptx) {
        assert_eq!(pages, 4);
    }

    // A model that answers prose, not the deck: 502, nothing charged, nothing stored.
    let chatty = chat_model(&s, &base, "ok", false).await;
    let (before, _) = balances(&s).await;
    let (_, list_before) = s.get("/api/v1/creations?type=ppt").await;
    let (status, body) = s
        .post(
            "/api/v1/ppt/generate",
            json!({"topic": "Launch", "outline": ["Intro"], "model_id": chatty}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_error(&body, "UPSTREAM_FAILED", None);
    assert_eq!(balances(&s).await, (before, 0));
    let (_, list_after) = s.get("/api/v1/creations?type=ppt").await;
    assert_eq!(list_after["total"], list_before["total"]);
    reconciled(&s).await;

    for (body, field) in [
        (json!({"topic": "", "outline": ["a"]}), "topic"),
        (json!({"topic": "t", "outline": []}), "outline"),
        (json!({"topic": "t", "outline": vec!["a"; 31]}), "outline"),
    ] {
        let (status, answer) = s.post("/api/v1/ppt/generate", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_error(&answer, "VALIDATION_ERROR", Some(field));
    }
    // A writing creation has no file.
    let (_, text) = s
        .post(
            "/api/v1/writing/resume/generate",
            json!({"title": "x", "model_id": chatty}),
        )
        .await;
    let (status, _, _) = download(
        &s,
        &format!(
            "/api/v1/creations/{}/file",
            text["creation_id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_are_drawn_offline_free_or_by_the_model_at_its_price_and_a_failure_refunds() {
    let (base, seen) = fake_openai::start().await;
    let s = TestServer::start(AuthMode::Local).await;

    // Offline: the built-in renderer's frame at the asked size.
    let (status, made) = s
        .post(
            "/api/v1/image/generate",
            json!({"prompt": "雨夜的街角，一个撑伞的女孩", "size": "512x768"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["credits_used"], 0);
    assert_eq!(made["creation"]["type"], "image");
    let (status, kind, png) = download(&s, made["image_url"].as_str().unwrap()).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/png"));
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (512, 768));

    // A model: charged its price per image, once; the prompt and size reach it.
    let (status, p) = s
        .post(
            "/api/v1/admin/providers",
            json!({"name": "Fake images", "adapter": "openai_compatible", "base_url": base,
                   "api_key": "sk-test-0123456789abcd", "max_concurrency": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let mut models = Vec::new();
    for name in ["img-ok", "img-500"] {
        let (status, m) = s
            .post(
                "/api/v1/models",
                json!({"name": name, "provider_id": p["id"], "model_name": name, "kind": "image",
                       "credits_cost": 20}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
        models.push(m["id"].as_str().unwrap().to_string());
    }
    grant(&s, 100).await;
    let (before, _) = balances(&s).await;
    let (status, made) = s
        .post(
            "/api/v1/image/generate",
            json!({"prompt": "a cat in a garden", "size": "1024x1024", "model_id": models[0]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["credits_used"], 20);
    assert_eq!(seen.last()["prompt"], "a cat in a garden");
    assert_eq!(seen.last()["size"], "1024x1024");
    let (_, kind, png) = download(&s, made["image_url"].as_str().unwrap()).await;
    assert_eq!(kind, "image/png");
    assert_eq!(png, fake_openai_png());
    assert_eq!(balances(&s).await, (before - 20, 0));

    // A failing model: 502, nothing charged, nothing stored.
    let (status, body) = s
        .post(
            "/api/v1/image/generate",
            json!({"prompt": "a cat", "model_id": models[1]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(balances(&s).await, (before - 20, 0));
    let (_, page) = s.get("/api/v1/creations?type=image").await;
    assert_eq!(page["total"], 2);
    reconciled(&s).await;

    for (body, field) in [
        (json!({"prompt": " "}), "prompt"),
        (json!({"prompt": "x", "size": "100x100"}), "size"),
        (json!({"prompt": "x", "size": "big"}), "size"),
        (json!({"prompt": "x", "model_id": "nope"}), "model_id"),
    ] {
        let (status, answer) = s.post("/api/v1/image/generate", body.clone()).await;
        assert!(status.is_client_error(), "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
}

fn fake_openai_png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(fake_openai::PNG_B64)
        .unwrap()
}

const VIDEO_SCRIPT: &str = "第1集\n\
场景1：公园 日 外\n\
△ 林晓坐在长椅上看书。\n\
林晓：今天的风真舒服。\n\
场景2：咖啡馆 夜 内\n\
△ 两人面对面坐着，窗外下着雨。\n\
王磊：我给你带了咖啡。\n";

/// Polls a video task until it ends; its last status.
async fn video_done(client: &reqwest::Client, base: &str, task: &str) -> Value {
    for _ in 0..1200 {
        let v: Value = client
            .get(format!("{base}/api/v1/video/{task}/status"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if matches!(v["status"].as_str(), Some("completed" | "failed")) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    panic!("the video task did not end in 3 minutes");
}

/// The downloaded video, checked by ffprobe: (video streams, seconds).
async fn probe_video(client: &reqwest::Client, base: &str, url: &str) -> (usize, f64) {
    let res = client.get(format!("{base}{url}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "video/mp4");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("video.mp4");
    std::fs::write(&file, res.bytes().await.unwrap()).unwrap();
    let info = crate::common::ffprobe(&file);
    let videos = info["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["codec_type"] == "video")
        .count();
    let seconds = info["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (videos, seconds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_becomes_a_video_in_the_background_and_bad_asks_are_refused() {
    let s = TestServer::start(AuthMode::Local).await;
    for (body, field) in [
        (json!({"script": "  "}), "script"),
        (json!({"script": VIDEO_SCRIPT, "duration": 3}), "duration"),
        (
            json!({"script": VIDEO_SCRIPT, "workflow": "magic"}),
            "workflow",
        ),
        (
            json!({"script": VIDEO_SCRIPT.repeat(20), "duration": 5}),
            "duration",
        ),
        (
            json!({"script": VIDEO_SCRIPT, "model_id": "nope"}),
            "model_id",
        ),
    ] {
        let (status, answer) = s.post("/api/v1/video/generate", body.clone()).await;
        assert!(status.is_client_error(), "{body}: {status} {answer}");
        assert_eq!(answer["field"], field, "{answer}");
    }

    let (status, task) = s
        .post(
            "/api/v1/video/generate",
            json!({"script": VIDEO_SCRIPT, "duration": 30, "title": "公园与咖啡馆"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    assert!(
        matches!(task["status"].as_str(), Some("pending" | "processing")),
        "{task}"
    );
    let id = task["task_id"].as_str().unwrap();
    let done = video_done(&s.client, &s.base, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["credits_used"], 0, "the offline animatic is free");
    let (videos, seconds) =
        probe_video(&s.client, &s.base, done["video_url"].as_str().unwrap()).await;
    assert_eq!(videos, 1);
    assert!(seconds > 2.0, "{seconds} s");
    // A player seeks: a range is answered with just that part.
    let part = s
        .client
        .get(s.url(done["video_url"].as_str().unwrap()))
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap().len(), 100);

    let (_, page) = s.get("/api/v1/creations?type=video").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["title"], "公园与咖啡馆");
    assert_eq!(page["items"][0]["project_id"], done["project_id"]);
    let (status, _) = s.get("/api/v1/video/nope/status").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_task_goes_on_after_its_server_is_killed_and_makes_one_video() {
    let data = tempfile::tempdir().unwrap();
    let start = || {
        crate::common::spawn_serve(|c| {
            c.args(["--auth", "local", "--data-dir"]).arg(data.path());
        })
    };
    let client = reqwest::Client::new();
    let (mut server, url) = start();
    let task: Value = client
        .post(format!("{url}/api/v1/video/generate"))
        .json(&json!({"script": VIDEO_SCRIPT.repeat(2), "duration": 60}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = task["task_id"].as_str().unwrap().to_string();
    // Kill it once the workflow runs, before the video exists.
    for _ in 0..400 {
        let v: Value = client
            .get(format!("{url}/api/v1/video/{id}/status"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["stage"].as_str().unwrap_or("").starts_with("running") {
            assert_ne!(v["status"], "completed", "{v}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let (mut server, url) = start();
    let done = video_done(&client, &url, &id).await;
    let (videos, _) = if done["status"] == "completed" {
        probe_video(&client, &url, done["video_url"].as_str().unwrap()).await
    } else {
        (0, 0.0)
    };
    server.kill().unwrap();
    let _ = server.wait();
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(videos, 1);

    let c = rusqlite::Connection::open(data.path().join("storyloom.db")).unwrap();
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT COUNT(*) FROM creations WHERE kind = 'video'"),
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM projects"),
        1,
        "the project was not made twice"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM workflow_runs"),
        1,
        "nor the run"
    );
}

#[tokio::test]
async fn a_member_writes_without_being_charged() {
    let (base, seen) = fake_openai::start().await;
    let s = TestServer::start(AuthMode::Local).await;
    chat_model(&s, &base, "ok", true).await;
    grant(&s, 100).await;
    let (status, m) = s
        .post(
            "/api/v1/credit/membership",
            json!({"membership_type": "monthly", "payment_method": "balance"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let (before, _) = balances(&s).await;
    assert!(before < 10, "the membership took the credits: {before}");
    // The worst case is far past the balance; a member may still write, and is charged nothing.
    let (status, out) = s
        .post(
            "/api/v1/writing/business_plan/generate",
            json!({"title": "咖啡车"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["credits_used"], 0);
    assert_eq!(seen.calls("ok"), 1);
    assert_eq!(balances(&s).await, (before, 0));
    reconciled(&s).await;
}
