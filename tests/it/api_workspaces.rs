//! Workspaces over real TCP: create, invite by link (email-bound, once, revocable), accept, roles
//! and what each may do, changing and removing members, leaving, and deleting a workspace without
//! losing data.
use crate::common;

use common::{assert_error, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storyloom::config::AuthMode;

async fn server() -> TestServer {
    TestServer::start_with(AuthMode::Accounts, |c| c.auth_rate_per_minute = 10_000).await
}

struct User {
    id: String,
    token: String,
}

async fn register(s: &TestServer, name: &str) -> User {
    let (id, auth) = s.register(name).await;
    User {
        id,
        token: auth.trim_start_matches("Bearer ").to_string(),
    }
}

async fn call(
    s: &TestServer,
    u: &User,
    ws: Option<&str>,
    m: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let auth = format!("Bearer {}", u.token);
    let mut h = vec![("authorization", auth.as_str())];
    if let Some(ws) = ws {
        h.push(("x-workspace-id", ws));
    }
    s.call(m, path, body, &h).await
}

async fn invite(s: &TestServer, by: &User, ws: &str, role: &str, email: Option<&str>) -> Value {
    let (st, inv) = call(
        s,
        by,
        None,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/invitations"),
        Some(json!({"role": role, "email": email})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{inv}");
    inv
}

async fn join(s: &TestServer, who: &User, inv: &Value) -> (StatusCode, Value) {
    let token = inv["token"].as_str().unwrap();
    call(
        s,
        who,
        None,
        Method::POST,
        &format!("/api/v1/invitations/{token}/accept"),
        None,
    )
    .await
}

async fn team(s: &TestServer, owner: &User) -> String {
    let (st, ws) = call(
        s,
        owner,
        None,
        Method::POST,
        "/api/v1/workspaces",
        Some(json!({"name": "  Studio 9  "})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{ws}");
    assert_eq!(ws["name"], "Studio 9", "names are trimmed");
    assert_eq!(ws["role"], "owner");
    assert_eq!(ws["personal"], false);
    ws["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn everyone_has_a_personal_workspace_and_creates_teams() {
    let s = server().await;
    let ann = register(&s, "ann").await;
    let (st, list) = call(&s, &ann, None, Method::GET, "/api/v1/workspaces", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        list[0]["id"],
        ann.id.as_str(),
        "the personal workspace has the person's id"
    );
    assert_eq!(list[0]["personal"], true);
    assert_eq!(list[0]["role"], "owner");

    // A project made without a header lands in the personal workspace.
    let (st, p) = call(
        &s,
        &ann,
        None,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"name": "Mine"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(p["workspace_id"], ann.id.as_str());

    let ws = team(&s, &ann).await;
    let (st, p) = call(
        &s,
        &ann,
        Some(&ws),
        Method::POST,
        "/api/v1/projects",
        Some(json!({"name": "Ours"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(p["workspace_id"], ws.as_str());
    // Each workspace lists only its own projects.
    let (_, mine) = call(&s, &ann, None, Method::GET, "/api/v1/projects", None).await;
    let (_, ours) = call(&s, &ann, Some(&ws), Method::GET, "/api/v1/projects", None).await;
    assert_eq!(mine["items"][0]["name"], "Mine");
    assert_eq!(mine["total"], 1);
    assert_eq!(ours["items"][0]["name"], "Ours");
    assert_eq!(ours["total"], 1);
    let (_, list) = call(&s, &ann, None, Method::GET, "/api/v1/workspaces", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["project_count"], 1);

    // Bad names and bad headers name the field.
    let (st, b) = call(
        &s,
        &ann,
        None,
        Method::POST,
        "/api/v1/workspaces",
        Some(json!({"name": " "})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&b, "VALIDATION_ERROR", Some("name"));
    let (st, b) = call(
        &s,
        &ann,
        None,
        Method::POST,
        "/api/v1/workspaces",
        Some(json!({"name": "x".repeat(81)})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&b, "VALIDATION_ERROR", Some("name"));
    let (st, b) = call(
        &s,
        &ann,
        Some("not-a-uuid"),
        Method::GET,
        "/api/v1/projects",
        None,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_error(&b, "VALIDATION_ERROR", Some("X-Workspace-Id"));

    // A personal workspace can't be shared or deleted.
    let (st, b) = call(
        &s,
        &ann,
        None,
        Method::POST,
        &format!("/api/v1/workspaces/{}/invitations", ann.id),
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    let (st, _) = call(
        &s,
        &ann,
        None,
        Method::DELETE,
        &format!("/api/v1/workspaces/{}", ann.id),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT);
}

#[tokio::test]
async fn invitations_work_once_for_the_right_person_and_can_be_revoked() {
    let s = server().await;
    let ann = register(&s, "ann").await;
    let bob = register(&s, "bob").await;
    let cat = register(&s, "cat").await;
    let ws = team(&s, &ann).await;

    let inv = invite(&s, &ann, &ws, "reviewer", Some("bob@example.com")).await;
    assert!(inv["token"].as_str().unwrap().starts_with("inv_"));
    assert_eq!(inv["status"], "pending");
    // Anyone holding the link may see what it offers, before signing in.
    let token = inv["token"].as_str().unwrap();
    let (st, preview) = s.get(&format!("/api/v1/invitations/{token}")).await;
    assert_eq!(st, StatusCode::OK, "{preview}");
    assert_eq!(preview["workspace_name"], "Studio 9");
    assert_eq!(preview["role"], "reviewer");
    assert_eq!(preview["invited_by"], "ann");
    // The link is bound to bob's email: cat can't use it.
    let (st, b) = join(&s, &cat, &inv).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    let (st, joined) = join(&s, &bob, &inv).await;
    assert_eq!(st, StatusCode::OK, "{joined}");
    assert_eq!(joined["role"], "reviewer");
    // Once only.
    let (st, b) = join(&s, &bob, &inv).await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("accepted"));

    // An open link, revoked before use, stops working.
    let open = invite(&s, &ann, &ws, "viewer", None).await;
    let (st, list) = call(
        &s,
        &ann,
        None,
        Method::GET,
        &format!("/api/v1/workspaces/{ws}/invitations"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list[0].get("token").is_none(),
        "tokens are shown once: {list}"
    );
    let (st, _) = call(
        &s,
        &ann,
        None,
        Method::DELETE,
        &format!(
            "/api/v1/workspaces/{ws}/invitations/{}",
            open["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b) = join(&s, &cat, &open).await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("revoked"));
    let (st, _) = s.get("/api/v1/invitations/inv_nonsense").await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // A reviewer can't invite; the owner can't be invited as owner.
    let (st, _) = call(
        &s,
        &bob,
        None,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/invitations"),
        Some(json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = call(
        &s,
        &ann,
        None,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/invitations"),
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_error(&b, "VALIDATION_ERROR", Some("role"));
    let (st, b) = call(
        &s,
        &ann,
        None,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/invitations"),
        Some(json!({"role": "editor", "email": "not an email"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_error(&b, "VALIDATION_ERROR", Some("email"));
}

#[tokio::test]
async fn roles_decide_what_members_may_do() {
    let s = server().await;
    let ann = register(&s, "ann").await;
    let rev = register(&s, "rev").await;
    let ed = register(&s, "eddy").await;
    let ws = team(&s, &ann).await;
    join(&s, &rev, &invite(&s, &ann, &ws, "reviewer", None).await).await;
    join(&s, &ed, &invite(&s, &ann, &ws, "editor", None).await).await;
    let (st, p) = call(
        &s,
        &ed,
        Some(&ws),
        Method::POST,
        "/api/v1/projects",
        Some(json!({"name": "Pilot"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "an editor creates projects: {p}");
    let (pid, vid) = (
        p["id"].as_str().unwrap(),
        p["current_version_id"].as_str().unwrap(),
    );
    let script = format!("/api/v1/projects/{pid}/versions/{vid}/script");

    // The reviewer reads but can't edit the script, whatever the body.
    let (st, _) = call(
        &s,
        &rev,
        Some(&ws),
        Method::GET,
        &format!("/api/v1/projects/{pid}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) = call(
        &s,
        &rev,
        Some(&ws),
        Method::PUT,
        &script,
        Some(json!({"text": "INT. HALL - DAY"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    assert_error(&b, "FORBIDDEN", None);
    assert!(b["detail"].as_str().unwrap().contains("reviewer"), "{b}");
    let (st, _) = call(&s, &rev, Some(&ws), Method::PUT, &script, Some(json!(42))).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "refused before the body is read");
    // A review decision gets past authorisation (there is nothing to review: 404, not 403).
    let (st, b) = call(
        &s,
        &rev,
        Some(&ws),
        Method::POST,
        "/api/v1/workflow/node-runs/0190a3f0-0000-7000-8000-000000000000/review/decision",
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    // The editor edits.
    let (st, b) = call(
        &s,
        &ed,
        Some(&ws),
        Method::PUT,
        &script,
        Some(json!({"text": "INT. HALL - DAY\n\nAnn waits."})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    // Billing is for owners and admins.
    let (st, _) = call(
        &s,
        &ed,
        Some(&ws),
        Method::GET,
        "/api/v1/billing/balance",
        None,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = call(
        &s,
        &ann,
        Some(&ws),
        Method::GET,
        "/api/v1/billing/balance",
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);

    // Promote the reviewer to editor: the same edit now works. Demote the editor to viewer.
    let (st, m) = call(
        &s,
        &ann,
        None,
        Method::PATCH,
        &format!("/api/v1/workspaces/{ws}/members/{}", rev.id),
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert_eq!(m["role"], "editor");
    let (st, _) = call(
        &s,
        &rev,
        Some(&ws),
        Method::PUT,
        &script,
        Some(json!({"text": "INT. HALL - NIGHT"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    call(
        &s,
        &ann,
        None,
        Method::PATCH,
        &format!("/api/v1/workspaces/{ws}/members/{}", ed.id),
        Some(json!({"role": "viewer"})),
    )
    .await;
    let (st, _) = call(
        &s,
        &ed,
        Some(&ws),
        Method::DELETE,
        &format!("/api/v1/projects/{pid}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Members see each other; only the owner holds the owner role, which can't be changed.
    let (st, members) = call(
        &s,
        &ed,
        None,
        Method::GET,
        &format!("/api/v1/workspaces/{ws}/members"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let names: Vec<_> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["username"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        vec![("ann", "owner"), ("rev", "editor"), ("eddy", "viewer")]
    );
    let (st, _) = call(
        &s,
        &ann,
        None,
        Method::PATCH,
        &format!("/api/v1/workspaces/{ws}/members/{}", ann.id),
        Some(json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = call(
        &s,
        &ann,
        None,
        Method::PATCH,
        &format!("/api/v1/workspaces/{ws}/members/{}", ed.id),
        Some(json!({"role": "boss"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["field"], "role", "{b}");
    // A non-admin can't change roles.
    let (st, _) = call(
        &s,
        &rev,
        None,
        Method::PATCH,
        &format!("/api/v1/workspaces/{ws}/members/{}", ed.id),
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Leaving, and being removed: access ends at once.
    let (st, _) = call(
        &s,
        &ed,
        None,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/members/{}", ed.id),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = call(
        &s,
        &ed,
        Some(&ws),
        Method::GET,
        &format!("/api/v1/projects/{pid}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = call(
        &s,
        &ann,
        None,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/members/{}", rev.id),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = call(&s, &rev, Some(&ws), Method::GET, "/api/v1/projects", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = call(
        &s,
        &ann,
        None,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/members/{}", ann.id),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the owner can't leave");
}

#[tokio::test]
async fn a_workspace_with_projects_is_not_deleted() {
    let s = server().await;
    let ann = register(&s, "ann").await;
    let adm = register(&s, "adm").await;
    let ws = team(&s, &ann).await;
    join(&s, &adm, &invite(&s, &ann, &ws, "admin", None).await).await;
    let (_, p) = call(
        &s,
        &ann,
        Some(&ws),
        Method::POST,
        "/api/v1/projects",
        Some(json!({"name": "Keep me"})),
    )
    .await;
    let pid = p["id"].as_str().unwrap();
    // An admin renames but can't delete; the owner can't delete while projects remain.
    let (st, w) = call(
        &s,
        &adm,
        None,
        Method::PATCH,
        &format!("/api/v1/workspaces/{ws}"),
        Some(json!({"name": "Studio 10"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{w}");
    assert_eq!(w["name"], "Studio 10");
    let (st, _) = call(
        &s,
        &adm,
        None,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = call(
        &s,
        &ann,
        None,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    // A project in the trash still counts: nothing is lost by deleting a workspace.
    call(
        &s,
        &ann,
        Some(&ws),
        Method::DELETE,
        &format!("/api/v1/projects/{pid}"),
        None,
    )
    .await;
    let (st, _) = call(
        &s,
        &ann,
        None,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (_, list) = call(&s, &ann, None, Method::GET, "/api/v1/workspaces", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    // An empty workspace goes, and its members lose it.
    let ws2 = team(&s, &ann).await;
    join(&s, &adm, &invite(&s, &ann, &ws2, "editor", None).await).await;
    let (st, _) = call(
        &s,
        &ann,
        None,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws2}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = call(
        &s,
        &adm,
        None,
        Method::GET,
        &format!("/api/v1/workspaces/{ws2}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = call(&s, &adm, Some(&ws2), Method::GET, "/api/v1/projects", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

/// A token whose subject is a workspace's own user row (a team is stored as a user of kind
/// 'workspace') is not a person's token: 401, not a lookup that fails later as a missing user.
#[tokio::test]
async fn a_token_naming_a_workspace_row_is_refused_as_invalid() {
    let s = server().await;
    let ann = register(&s, "ann").await;
    let ws = team(&s, &ann).await;
    let forged = User {
        id: ws.clone(),
        token: storyloom::auth::issue_access_token(&s.state, &ws).unwrap(),
    };
    for path in ["/api/v1/auth/me", "/api/v1/projects", "/api/v1/workspaces"] {
        let (st, body) = call(&s, &forged, None, Method::GET, path, None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert_error(&body, "AUTH_INVALID", None);
    }
    // The person's own token still works.
    let (st, _) = call(&s, &ann, None, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(st, StatusCode::OK);
}
