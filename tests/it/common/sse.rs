//! Reads Server-Sent Events off a response as they come (the summarizer's and the writing tools'
//! streams).
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::TestServer;

#[derive(Debug, Clone)]
pub struct Sse {
    pub id: String,
    pub name: String,
    pub data: Value,
}

/// Reads Server-Sent Events off a response as they come.
pub struct EventReader {
    response: reqwest::Response,
    buffer: String,
}

impl EventReader {
    pub async fn open(
        s: &TestServer,
        path: &str,
        last_event_id: Option<&str>,
    ) -> (StatusCode, Self) {
        let mut req = reqwest::Client::new().get(s.url(path));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let response = req.send().await.unwrap();
        (
            response.status(),
            Self {
                response,
                buffer: String::new(),
            },
        )
    }

    pub fn from(response: reqwest::Response) -> Self {
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event, or None when the stream ends.
    pub async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut name, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if name.is_empty() && data.is_empty() {
                    continue; // a heartbeat comment
                }
                return Some(Sse {
                    id,
                    name,
                    data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
                });
            }
            let chunk = tokio::time::timeout(Duration::from_secs(60), self.response.chunk())
                .await
                .expect("the stream went silent for a minute")
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    pub async fn all(mut self) -> Vec<Sse> {
        let mut out = Vec::new();
        while let Some(e) = self.next().await {
            out.push(e);
        }
        out
    }
}
