//! The router's live topics (seed 001's WebSocket at `/ws`): a person's balance after each of
//! their calls (`billing.updates`), every finished call's usage without who made it
//! (`model.usage`), and channels the circuit breaker took out (`system.alerts`, the admin's).
//! Carried by a [`ProgressHub`](crate::progress::ProgressHub), so replicas relay them to each other.
use serde::{Deserialize, Serialize};

/// The topics a client may subscribe to.
pub const TOPICS: [&str; 3] = ["billing.updates", "model.usage", "system.alerts"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "topic")]
pub enum RouterEvent {
    #[serde(rename = "billing.updates")]
    Billing {
        user_id: String,
        request_id: String,
        charged: i64,
        available: i64,
        held: i64,
        at: String,
    },
    #[serde(rename = "model.usage")]
    Usage {
        model: String,
        endpoint: String,
        end_reason: String,
        prompt_tokens: Option<i64>,
        completion_tokens: Option<i64>,
        credits: i64,
        at: String,
    },
    #[serde(rename = "system.alerts")]
    Alert {
        model_id: String,
        model: String,
        message: String,
        at: String,
    },
}

impl RouterEvent {
    pub fn topic(&self) -> &'static str {
        match self {
            Self::Billing { .. } => "billing.updates",
            Self::Usage { .. } => "model.usage",
            Self::Alert { .. } => "system.alerts",
        }
    }

    /// Whether a subscriber (`user_id`, admin or not) may see this event.
    pub fn visible_to(&self, user_id: &str, is_admin: bool) -> bool {
        match self {
            Self::Billing { user_id: owner, .. } => owner == user_id,
            Self::Usage { .. } => true,
            Self::Alert { .. } => is_admin,
        }
    }
}

impl crate::progress::ProgressEvent for RouterEvent {
    fn subject(&self) -> &str {
        self.topic()
    }
}
