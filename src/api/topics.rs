//! Live topics over a WebSocket at `/ws` (seed 001; docs/API-ROUTER.md, "Live topics"): a client
//! sends `{"action": "subscribe", "topic": "billing.updates"}` (or `model.usage`,
//! `system.alerts`) and receives `{"type": "event", "topic", "data"}` messages. Browsers connect
//! with `?token=` and a ticket from `POST /api/v1/ws/tickets`, never their long-lived credentials.
use std::collections::HashSet;

use axum::{
    extract::{
        ws::{Message, WebSocket},
        State, WebSocketUpgrade,
    },
    http::StatusCode,
    response::Response,
    routing::{get, post},
    Extension, Json, Router,
};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::{access::Policy, error::ApiError, principal::Principal};
use crate::{
    auth,
    router::events::{RouterEvent, TOPICS},
    AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ws", get(socket))
        .route("/api/v1/ws", get(socket))
        .route("/api/v1/ws/tickets", post(ticket))
        .route_layer(Extension(Policy::Person))
}

/// A ticket that opens a WebSocket (`?token=`) for a minute.
async fn ticket(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ticket = auth::issue_ws_ticket(&state, &principal.user_id)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"ticket": ticket, "expires_in": auth::WS_TICKET_TTL_SECS})),
    ))
}

async fn socket(
    State(state): State<AppState>,
    principal: Principal,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| serve(state, principal, socket))
}

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

#[tracing::instrument(skip_all, fields(user = %principal.user_id))]
async fn serve(state: AppState, principal: Principal, mut socket: WebSocket) {
    let mut events = state.router.events.subscribe();
    let mut topics: HashSet<&'static str> = HashSet::new();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    if !topics.contains(event.topic())
                        || !event.visible_to(&principal.user_id, principal.is_admin)
                    {
                        continue;
                    }
                    if socket.send(text(event_message(&event))).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let note = json!({"type": "lagged", "missed": missed});
                    if socket.send(text(note)).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    let reply = command(&t, &principal, &mut topics);
                    if socket.send(text(reply)).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

fn event_message(event: &RouterEvent) -> Value {
    let mut data = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Some(o) = data.as_object_mut() {
        o.remove("topic");
    }
    json!({"type": "event", "topic": event.topic(), "data": data})
}

/// One client message: subscribe or unsubscribe; anything else is answered with an error.
fn command(text: &str, principal: &Principal, topics: &mut HashSet<&'static str>) -> Value {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return json!({"type": "error", "message": "send JSON: {\"action\": \"subscribe\", \"topic\": …}"});
    };
    let action = v["action"].as_str().unwrap_or_default();
    let asked = v["topic"].as_str().unwrap_or_default();
    let Some(topic) = TOPICS.iter().copied().find(|t| *t == asked) else {
        return json!({"type": "error", "topic": asked,
                      "message": format!("unknown topic {asked:?}: one of {}", TOPICS.join(", "))});
    };
    match action {
        "subscribe" if topic == "system.alerts" && !principal.is_admin => {
            json!({"type": "error", "topic": topic, "message": "system.alerts is the instance admin's"})
        }
        "subscribe" => {
            topics.insert(topic);
            json!({"type": "subscribed", "topic": topic})
        }
        "unsubscribe" => {
            topics.remove(topic);
            json!({"type": "unsubscribed", "topic": topic})
        }
        other => json!({"type": "error", "topic": topic,
                        "message": format!("unknown action {other:?}: subscribe or unsubscribe")}),
    }
}
