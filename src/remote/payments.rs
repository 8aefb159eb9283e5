//! Purchases on a linked desktop (issue 18): credits and memberships are bought on the team server
//! the desktop is signed in to, never on the desktop (it takes no money). The desktop forwards the
//! order to the server as the signed-in person, gives the UI the server's payment page (made
//! absolute, for the system browser to open), and reads the order's status and the person's
//! balance back from the server. The server's answers, errors included, pass through unchanged, so
//! a refused coupon names its field here as it does there.
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{invalid, RemoteError};
use crate::AppState;

/// What is bought: `recharge` (credits) or `membership`.
fn order_path(body: &Value) -> Result<&'static str, RemoteError> {
    match body
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("recharge")
    {
        "recharge" => Ok("/api/v1/credit/recharge"),
        "membership" => Ok("/api/v1/credit/membership"),
        other => Err(invalid(
            "kind",
            format!("kind is recharge or membership (got '{other}')"),
        )),
    }
}

/// A server's 5xx is the server's failure, not the person's: a 502 here; anything else passes.
fn passed(url: &str, status: StatusCode, body: Value) -> Result<(StatusCode, Value), RemoteError> {
    if status.is_server_error() {
        return Err(RemoteError::Upstream {
            url: url.to_string(),
            message: format!(
                "HTTP {}{}",
                status.as_u16(),
                body["detail"]
                    .as_str()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
        });
    }
    Ok((status, body))
}

/// A relative payment page (the server's sandbox page, `/#/pay/sandbox/…`) made absolute on the
/// server, so the system browser can open it.
fn absolute(server_url: &str, body: &mut Value) {
    if let Some(url) = body.get("payment_url").and_then(Value::as_str) {
        if url.starts_with('/') {
            body["payment_url"] = Value::String(format!("{server_url}{url}"));
        }
    }
}

/// Makes an order on the team server (`kind` chooses recharge or membership; the rest of the body
/// is the server's own).
#[tracing::instrument(skip(state, body))]
pub async fn buy(state: &AppState, mut body: Value) -> Result<(StatusCode, Value), RemoteError> {
    let path = order_path(&body)?;
    if let Some(o) = body.as_object_mut() {
        o.remove("kind");
    }
    let server = state
        .remote
        .server_url()
        .await
        .ok_or_else(|| invalid("server_url", "not signed in to a team server"))?;
    let (status, mut answer) = state
        .remote
        .call_as_person(state.clock.as_ref(), Method::POST, path, Some(body))
        .await?;
    absolute(&server, &mut answer);
    passed(&server, status, answer)
}

/// An order's status on the team server.
#[tracing::instrument(skip(state))]
pub async fn order(state: &AppState, order_id: &str) -> Result<(StatusCode, Value), RemoteError> {
    if order_id.is_empty()
        || order_id.len() > 64
        || !order_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(invalid(
            "order_id",
            "an order id is letters, digits and '-'",
        ));
    }
    get(state, &format!("/api/v1/payments/status/{order_id}")).await
}

/// `what` of the signed-in person on the team server: their balance (`/credit/balance`) or the
/// ways to pay there (`/payments/gateways`).
#[tracing::instrument(skip(state))]
pub async fn get(state: &AppState, path: &str) -> Result<(StatusCode, Value), RemoteError> {
    let server = state
        .remote
        .server_url()
        .await
        .ok_or_else(|| invalid("server_url", "not signed in to a team server"))?;
    let (status, mut answer) = state
        .remote
        .call_as_person(state.clock.as_ref(), Method::GET, path, None)
        .await?;
    absolute(&server, &mut answer);
    passed(&server, status, answer)
}
