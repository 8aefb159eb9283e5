//! The authorization matrix (issue 7): every operation in the generated OpenAPI document × anonymous,
//! each workspace role, a user of another workspace, the instance admin, and API keys with and
//! without each scope, with the exact status where access is refused. The expected access comes
//! from the table below (written from the product rules, not read from the code); the test fails
//! when the document has an operation the table doesn't classify.
//!
//! How a refusal is told apart from an allowed call that fails for another reason: refusals are
//! decided before the body is read (401, 403, or 404 for a workspace one isn't in), so an allowed
//! mutating call is sent with fake ids and a body that can't be parsed, and answers 400/404/422
//! without changing anything. Allowed reads use real ids and must succeed.
use crate::common;

use std::collections::BTreeMap;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

const FAKE: &str = "0190a3f0-0000-7000-8000-000000000000";

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in person (their own account; workspaces they belong to).
    Person,
    /// Workspace data: viewer and up; key scope `read`.
    Read,
    /// Review decisions: reviewer and up; key scope `write`.
    Review,
    /// Editing: editor and up; key scope `write`.
    Write,
    /// The workspace's credits: admin and up; key scope `billing`.
    Billing,
    /// The workflow-run estimate: editor and up; key scope `billing`.
    Estimate,
    /// The instance admin; key scope `admin`.
    InstanceAdmin,
    /// A workspace's invitations: the workspace's owner or admin.
    WorkspaceManage,
    /// Deleting an asset for good: the workspace's owner or admin; key scope `write`.
    Manage,
    /// One's API keys: a person, or a key with the `admin` scope.
    Keys,
    /// The desktop's link to a team server: not there on a team server, for anyone.
    DesktopOnly,
    /// One account by id: the instance admin (key scope `admin`) or the person themself; the
    /// matrix names an id that is nobody's, so everyone else is refused.
    SelfOrAdmin,
}

fn classify(method: &Method, path: &str) -> Class {
    use Class::*;
    let public = [
        "/health",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/invitations/{token}",
    ];
    // The payment gateways' callbacks: they are verified by the gateways' signatures, not by a
    // sign-in.
    // The desktop updater's question and its download, and a provider sign-in (its list, its
    // start and its callback): before anyone signs in.
    let provider_sign_in = path.starts_with("/api/v1/auth/oauth/")
        && !path.ends_with("/link")
        && !path.ends_with("/identities");
    if public.contains(&path)
        || path.starts_with("/api/v1/payments/callback/")
        || path.starts_with("/api/v1/updates/")
        || provider_sign_in
    {
        return Public;
    }
    // Completing a sandbox payment is the instance admin's.
    if path == "/api/v1/credit/payment/callback" {
        return InstanceAdmin;
    }
    // The desktop's projects' sync (the server's side, /api/v1/sync/push and the rest, is any
    // signed-in person's; the service checks their role in each project's workspace).
    if path.starts_with("/api/v1/remote/")
        || path == "/api/v1/sync/links"
        || path == "/api/v1/sync/projects"
        || path.starts_with("/api/v1/projects/{id}/sync")
    {
        return DesktopOnly;
    }
    if path.starts_with("/api/v1/sync/") {
        return Person;
    }
    if path.starts_with("/api/v1/admin/") {
        return InstanceAdmin;
    }
    // Coupons and activities: made by the instance admin; listed, claimed, joined and used by
    // any signed-in person, as are referrals. The statistics are the admin's.
    if path.starts_with("/api/v1/operation/") {
        let admin_made = *method == Method::POST
            && (path == "/api/v1/operation/coupons" || path == "/api/v1/operation/activities");
        return if admin_made || path == "/api/v1/operation/statistics" {
            InstanceAdmin
        } else {
            Person
        };
    }
    // The model catalog is read by anyone signed in; the registry is the instance admin's.
    if path == "/api/v1/models" || path.starts_with("/api/v1/models/") {
        return if *method == Method::GET {
            Person
        } else {
            InstanceAdmin
        };
    }
    if path.starts_with("/api/v1/workspaces/{id}/invitations") {
        return WorkspaceManage;
    }
    if path.starts_with("/api/v1/users/me/api-keys") {
        return Keys;
    }
    if path == "/api/v1/users/{id}" {
        return SelfOrAdmin;
    }
    if *method == Method::DELETE && path == "/api/v1/assets/{id}" {
        return Manage;
    }
    if path.starts_with("/api/v1/auth/")
        || path.starts_with("/api/v1/users/me")
        || path.starts_with("/api/v1/workspaces")
        || path.starts_with("/api/v1/invitations/")
        || path.starts_with("/api/v1/remote/")
    {
        return Person;
    }
    if path == "/api/v1/workflow-runs/estimate" {
        return Estimate;
    }
    if [
        "/api/v1/billing/",
        "/api/v1/credit/",
        "/api/v1/payments/",
        "/api/v1/subscriptions/",
        "/api/v1/dashboard",
    ]
    .iter()
    .any(|p| path.starts_with(p))
    {
        return Billing;
    }
    let read_posts = [
        "/api/v1/export/estimate",
        "/api/v1/prompts/render",
        "/api/v1/script/preview",
        "/api/v1/workflows/validate",
        "/api/v1/workflows/versions/{version_id}/validate",
    ];
    // A voice audition is a GET (a page fetches it as a download) that spends the machine's time:
    // for those who edit, like its POST twin.
    // So is a summary's stream (it spends credits).
    if path == "/api/v1/voices/preview" || path == "/api/v1/summarize" {
        return Write;
    }
    if *method == Method::GET || read_posts.contains(&path) {
        return Read;
    }
    if path.ends_with("/review/decision")
        || path.ends_with("/review/continue")
        || path.ends_with("/actions/human-select")
    {
        return Review;
    }
    Write
}

struct Who {
    name: &'static str,
    headers: Vec<(String, String)>,
    /// The role in the team workspace (None: not a member, or no workspace header).
    role: Option<&'static str>,
    /// For API keys: the scopes.
    scopes: Option<Vec<&'static str>>,
    instance_admin: bool,
    anonymous: bool,
}

fn rank(role: &str) -> u8 {
    match role {
        "owner" => 0,
        "admin" => 1,
        "editor" => 2,
        "reviewer" => 3,
        _ => 4,
    }
}

/// The exact refusal for `who` calling an operation of `class`, or None when it is allowed.
fn refusal(class: Class, who: &Who) -> Option<StatusCode> {
    use Class::*;
    if class == DesktopOnly {
        return Some(StatusCode::NOT_FOUND);
    }
    if who.anonymous {
        return (class != Public).then_some(StatusCode::UNAUTHORIZED);
    }
    let scope_ok = |scope: &str| who.scopes.as_ref().is_none_or(|s| s.contains(&scope));
    let role_ok = |needed: &str| who.role.is_some_and(|r| rank(r) <= rank(needed));
    let (scope, role) = match class {
        Public | DesktopOnly => return None,
        SelfOrAdmin => {
            let ok = who.instance_admin && scope_ok("admin");
            return (!ok).then_some(StatusCode::FORBIDDEN);
        }
        // Tested with GETs only: a key needs `read`.
        Person => return (!scope_ok("read")).then_some(StatusCode::FORBIDDEN),
        Keys => {
            return (who.scopes.is_some() && !scope_ok("admin")).then_some(StatusCode::FORBIDDEN)
        }
        // Keys need `admin` on top (see src/api/assets.rs), which the owner's keys don't have.
        Manage if who.scopes.is_some() => return Some(StatusCode::FORBIDDEN),
        Manage => ("write", "admin"),
        Read => ("read", "viewer"),
        Review => ("write", "reviewer"),
        Write => ("write", "editor"),
        Billing => ("billing", "admin"),
        Estimate => ("billing", "editor"),
        InstanceAdmin => {
            let ok = who.instance_admin && scope_ok("admin");
            return (!ok).then_some(StatusCode::FORBIDDEN);
        }
        // The workspace is in the path, not the header; a key needs `read` to list, `write` to revoke.
        WorkspaceManage => return None,
    };
    if who.role.is_none() {
        // Not a member of the workspace named by X-Workspace-Id: it doesn't exist for them.
        return Some(StatusCode::NOT_FOUND);
    }
    (!scope_ok(scope) || !role_ok(role)).then_some(StatusCode::FORBIDDEN)
}

/// The user's id and raw access token.
async fn register(s: &TestServer, name: &str) -> (String, String) {
    let (id, auth) = s.register(name).await;
    (id, auth.trim_start_matches("Bearer ").to_string())
}

async fn call(
    s: &TestServer,
    m: Method,
    path: &str,
    body: Option<Value>,
    h: &[(String, String)],
) -> (StatusCode, Value) {
    if path.ends_with("/events") {
        // A server-sent-events stream never ends: the status is the answer.
        let mut req = s.client.request(m, s.url(path));
        for (k, v) in h {
            req = req.header(k.as_str(), v.as_str());
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let body = if status.is_success() {
            Value::Null
        } else {
            res.json().await.unwrap_or(Value::Null)
        };
        return (status, body);
    }
    let hs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.call(m, path, body, &hs).await
}

fn bearer(token: &str) -> (String, String) {
    ("authorization".into(), format!("Bearer {token}"))
}

struct Team {
    ws: String,
    ids: BTreeMap<&'static str, String>,
}

/// The team workspace with one of everything the paths name.
async fn team_fixture(s: &TestServer, owner: &[(String, String)]) -> Team {
    let (st, ws) = call(
        s,
        Method::POST,
        "/api/v1/workspaces",
        Some(json!({"name": "Team"})),
        owner,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{ws}");
    let ws = ws["id"].as_str().unwrap().to_string();
    let mut h = owner.to_vec();
    h.push(("x-workspace-id".into(), ws.clone()));
    let (st, p) = call(
        s,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"name": "Team drama"})),
        &h,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    assert_eq!(
        p["workspace_id"],
        ws.as_str(),
        "the project belongs to the team workspace"
    );
    let (pid, vid) = (
        p["id"].as_str().unwrap().to_string(),
        p["current_version_id"].as_str().unwrap().to_string(),
    );
    let text = include_str!("../../assets/samples/rebirth_ep1.txt");
    let (st, b) = call(
        s,
        Method::PUT,
        &format!("/api/v1/projects/{pid}/versions/{vid}/script"),
        Some(json!({"text": text})),
        &h,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, board) = call(
        s,
        Method::GET,
        &format!("/api/v1/projects/{pid}/storyboard"),
        None,
        &h,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{board}");
    let scene = &board["scenes"][0];
    let shot = scene["shots"][0]["id"]
        .as_str()
        .or_else(|| board["shots"][0]["id"].as_str());
    let mut ids = BTreeMap::new();
    ids.insert("project", pid.clone());
    ids.insert("version", vid);
    if let Some(scene) = scene["id"].as_str() {
        ids.insert("scene", scene.to_string());
    }
    if let Some(shot) = shot {
        ids.insert("shot", shot.to_string());
    }
    let (st, c) = call(
        s,
        Method::POST,
        "/api/v1/characters",
        Some(json!({"project_id": pid, "name": "林晚"})),
        &h,
    )
    .await;
    if st == StatusCode::CREATED || st == StatusCode::OK {
        ids.insert("character", c["id"].as_str().unwrap().to_string());
    }
    let (st, t) = call(s, Method::POST, "/api/v1/prompts", Some(json!({"name": "shot", "template": "A shot of {{subject}}", "variables": [{"name": "subject", "type": "string"}]})), &h).await;
    if st == StatusCode::CREATED {
        ids.insert("prompt", t["id"].as_str().unwrap().to_string());
    }
    let (st, r) = call(
        s,
        Method::POST,
        "/api/v1/workflow-runs",
        Some(json!({"project_id": pid, "template_id": "animatic"})),
        &h,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    ids.insert("run", r["id"].as_str().unwrap().to_string());
    ids.insert("workspace", ws.clone());
    Team { ws, ids }
}

/// The concrete path: real ids where the fixture has one (for reads), fake ones otherwise.
fn concrete(path: &str, team: &Team, real: bool) -> (String, bool) {
    let mut out = String::new();
    let mut all_real = true;
    let mut rest = path;
    let mut prev = "";
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[..start]);
        let seg_before = rest[..start]
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(prev);
        let name = &rest[start + 1..end];
        let key = match (seg_before, name) {
            ("projects", _) => Some("project"),
            ("versions", _) | (_, "vid") | (_, "version_id") if out.contains("/projects/") => {
                Some("version")
            }
            ("storyboards", _) | ("shots", _) => Some("shot"),
            ("scenes", _) => Some("scene"),
            ("characters", _) => Some("character"),
            ("prompts", _) => Some("prompt"),
            ("workflow-runs", _) | ("runs", _) => Some("run"),
            ("workspaces", _) => Some("workspace"),
            ("samples", _) => None,
            _ => None,
        };
        let value = match (real, key.and_then(|k| team.ids.get(k))) {
            (true, Some(v)) => v.clone(),
            // The workspace endpoints name the team's workspace whoever calls.
            (false, Some(v)) if key == Some("workspace") => v.clone(),
            _ if seg_before == "samples" && real => "rebirth_ep1".to_string(),
            _ => {
                all_real = false;
                FAKE.to_string()
            }
        };
        out.push_str(&value);
        prev = seg_before;
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    (out, all_real)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_each_caller_as_the_rules_say() {
    let s = TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 10_000).await;
    // The first account is the instance admin; it belongs to no team.
    let (_, root) = register(&s, "root").await;
    let (_, olivia) = register(&s, "olivia").await;
    let owner = vec![bearer(&olivia)];
    let team = team_fixture(&s, &owner).await;
    let ws_header = ("x-workspace-id".to_string(), team.ws.clone());

    let mut people = Vec::new();
    for (name, role) in [
        ("adam", "admin"),
        ("eddie", "editor"),
        ("rita", "reviewer"),
        ("vic", "viewer"),
    ] {
        let (_, token) = register(&s, name).await;
        let (st, inv) = call(
            &s,
            Method::POST,
            &format!("/api/v1/workspaces/{}/invitations", team.ws),
            Some(json!({"role": role, "email": format!("{name}@example.com")})),
            &owner,
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{inv}");
        let (st, joined) = call(
            &s,
            Method::POST,
            &format!(
                "/api/v1/invitations/{}/accept",
                inv["token"].as_str().unwrap()
            ),
            None,
            &[bearer(&token)],
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{joined}");
        assert_eq!(joined["role"], role);
        people.push((name, role, token));
    }
    let (_, otto) = register(&s, "otto").await;

    let mut callers = vec![
        Who {
            name: "anonymous",
            headers: vec![ws_header.clone()],
            role: None,
            scopes: None,
            instance_admin: false,
            anonymous: true,
        },
        Who {
            name: "owner",
            headers: vec![bearer(&olivia), ws_header.clone()],
            role: Some("owner"),
            scopes: None,
            instance_admin: false,
            anonymous: false,
        },
    ];
    for (name, role, token) in &people {
        callers.push(Who {
            name,
            headers: vec![bearer(token), ws_header.clone()],
            role: Some(role),
            scopes: None,
            instance_admin: false,
            anonymous: false,
        });
    }
    callers.push(Who {
        name: "other workspace's user",
        headers: vec![bearer(&otto), ws_header.clone()],
        role: None,
        scopes: None,
        instance_admin: false,
        anonymous: false,
    });
    callers.push(Who {
        name: "instance admin (not a member)",
        headers: vec![bearer(&root), ws_header.clone()],
        role: None,
        scopes: None,
        instance_admin: true,
        anonymous: false,
    });
    // The owner's API keys, one per scope and one with none of read/write.
    for scopes in [
        vec!["read"],
        vec!["write"],
        vec!["billing"],
        vec!["read", "write", "billing"],
    ] {
        let (st, key) = call(
            &s,
            Method::POST,
            "/api/v1/users/me/api-keys",
            Some(json!({"name": scopes.join("+"), "scopes": scopes})),
            &owner,
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{key}");
        let name: &'static str =
            Box::leak(format!("owner's key [{}]", scopes.join(",")).into_boxed_str());
        callers.push(Who {
            name,
            headers: vec![
                (
                    "x-api-key".into(),
                    key["secret"]
                        .as_str()
                        .or(key["key"].as_str())
                        .unwrap()
                        .to_string(),
                ),
                ws_header.clone(),
            ],
            role: Some("owner"),
            scopes: Some(scopes),
            instance_admin: false,
            anonymous: false,
        });
    }
    // The instance admin's keys, with and without `admin`.
    for scopes in [vec!["admin"], vec!["read", "write"]] {
        let (st, key) = call(
            &s,
            Method::POST,
            "/api/v1/users/me/api-keys",
            Some(json!({"name": scopes.join("+"), "scopes": scopes})),
            &[bearer(&root)],
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{key}");
        let name: &'static str =
            Box::leak(format!("instance admin's key [{}]", scopes.join(",")).into_boxed_str());
        callers.push(Who {
            name,
            headers: vec![(
                "x-api-key".into(),
                key["secret"]
                    .as_str()
                    .or(key["key"].as_str())
                    .unwrap()
                    .to_string(),
            )],
            role: None,
            scopes: Some(scopes),
            instance_admin: true,
            anonymous: false,
        });
    }

    let (st, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["get", "post", "put", "patch", "delete"] {
            if item.get(m).is_some() {
                operations.push((
                    Method::from_bytes(m.to_uppercase().as_bytes()).unwrap(),
                    path.clone(),
                ));
            }
        }
    }
    assert!(
        operations.len() > 100,
        "the document lists {} operations",
        operations.len()
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, path) in &operations {
        let class = classify(method, path);
        if matches!(class, Class::Person | Class::Public) && *method != Method::GET {
            continue; // sign-in, sign-out, one's own account: covered by tests/it/api_accounts.rs
        }
        if class == Class::SelfOrAdmin && *method == Method::PATCH {
            continue; // its body is read before the account is: tests/it/api_accounts.rs
        }
        if path.starts_with("/api/v1/workspaces") && class == Class::Person {
            continue; // path-scoped roles: covered by tests/it/api_workspaces.rs
        }
        let read = *method == Method::GET && class != Class::Write;
        for who in &callers {
            // The instance admin's keys carry no workspace header: they act in their own.
            if who.instance_admin && who.scopes.is_some() && class != Class::InstanceAdmin {
                continue;
            }
            let mut expected = refusal(class, who);
            if class == Class::WorkspaceManage && !who.anonymous {
                let scope = if read { "read" } else { "write" };
                expected = if who.scopes.as_ref().is_some_and(|s| !s.contains(&scope)) {
                    Some(StatusCode::FORBIDDEN)
                } else if who.role.is_none() {
                    Some(StatusCode::NOT_FOUND)
                } else if rank(who.role.unwrap()) > rank("admin") {
                    Some(StatusCode::FORBIDDEN)
                } else {
                    None
                };
            }
            let (mut url, all_real) = concrete(
                path,
                &team,
                read && (expected.is_none() || who.role.is_none()),
            );
            // Reads whose query is required get one, so a successful read is what is checked.
            match path.as_str() {
                "/api/v1/storyboards" => {
                    url.push_str(&format!("?project_id={}", team.ids["project"]))
                }
                "/api/v1/voices/preview" => url.push_str("?text=hello&voice=en"),
                _ => {}
            }
            let body = (!read).then(|| json!(["not an object"]));
            let (status, answer) = call(&s, method.clone(), &url, body, &who.headers).await;
            checked += 1;
            let ok = match expected {
                Some(code) => status == code,
                None if status.is_server_error() => false,
                None if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN => {
                    false
                }
                // Reads of real objects succeed; of a fake id, they are 404s.
                None if read && all_real => status.is_success(),
                None => true,
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {}: expected {:?}, got {status} {answer}",
                    who.name,
                    expected.map(|c| c.as_u16()).unwrap_or(0)
                ));
            }
        }
    }
    assert!(checked > 1000, "checked {checked} calls");
    assert!(
        failures.is_empty(),
        "{} of {checked} calls answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Another workspace's user, acting in their own workspace with real ids and valid bodies, can
/// neither read nor change the team's data; the team's project is unchanged afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_workspace_cannot_reach_the_teams_data() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .try_init();
    let s = TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 10_000).await;
    let (_, olivia) = register(&s, "olivia").await;
    let owner = vec![bearer(&olivia)];
    let team = team_fixture(&s, &owner).await;
    let (_, otto) = register(&s, "otto").await;
    let mallory = vec![bearer(&otto)];
    let (pid, vid) = (&team.ids["project"], &team.ids["version"]);

    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/projects/{pid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/projects/{pid}"),
            Some(json!({"name": "pwned"})),
        ),
        (Method::DELETE, format!("/api/v1/projects/{pid}"), None),
        (
            Method::PUT,
            format!("/api/v1/projects/{pid}/versions/{vid}/script"),
            Some(json!({"text": "INT. NOWHERE"})),
        ),
        (
            Method::GET,
            format!("/api/v1/projects/{pid}/storyboard"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/workflow-runs".into(),
            Some(json!({"project_id": pid, "template_id": "animatic"})),
        ),
        (
            Method::GET,
            format!("/api/v1/workflow-runs/{}", team.ids["run"]),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/workflow-runs/{}/cancel", team.ids["run"]),
            None,
        ),
        (
            Method::POST,
            "/api/v1/export".into(),
            Some(json!({"project_id": pid})),
        ),
        (
            Method::POST,
            format!("/api/v1/workspaces/{}/invitations", team.ws),
            Some(json!({"role": "admin"})),
        ),
        (
            Method::GET,
            format!("/api/v1/workspaces/{}/members", team.ws),
            None,
        ),
    ];
    for (m, path, body) in attempts {
        let (st, b) = call(&s, m.clone(), &path, body.clone(), &mallory).await;
        assert!(
            matches!(st, StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY),
            "{m} {path} as another workspace's user: {st} {b}"
        );
        assert_ne!(st, StatusCode::OK);
        // With the team's workspace named explicitly: the workspace doesn't exist for them.
        let mut h = mallory.clone();
        h.push(("x-workspace-id".into(), team.ws.clone()));
        let (st, b) = call(&s, m.clone(), &path, body, &h).await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "{m} {path} naming the team's workspace: {b}"
        );
    }
    // Lists in their own workspace don't show the team's project.
    let (st, list) = call(&s, Method::GET, "/api/v1/projects", None, &mallory).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["total"], 0, "{list}");
    // The team's project is as it was.
    let mut h = owner.clone();
    h.push(("x-workspace-id".into(), team.ws.clone()));
    let (st, p) = call(
        &s,
        Method::GET,
        &format!("/api/v1/projects/{pid}"),
        None,
        &h,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["name"], "Team drama");
    // And in the owner's personal workspace (no header) the team's project isn't there either.
    let (st, _) = call(
        &s,
        Method::GET,
        &format!("/api/v1/projects/{pid}"),
        None,
        &owner,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
