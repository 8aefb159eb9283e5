//! Local mode's guard, as a router layer: a credential-less instance (the desktop, or
//! `serve --auth local` for one person) answers only requests addressed to a loopback host, and
//! refuses state-changing requests from another site. Without it a page on a DNS-rebinding domain
//! could read and write everything, and any page could fire body-less cross-site POSTs.
use axum::{
    extract::{Request, State},
    http::{header, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::error::ApiError;
use crate::{config::AuthMode, AppState};

/// `localhost`, `*.localhost`, `127.0.0.0/8` or `[::1]`, with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default().to_string()
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host.as_str(), |(name, _)| name)
            .to_string()
    };
    name == "localhost"
        || name.ends_with(".localhost")
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The host a request is addressed to: its `Host` header, else its URI's authority.
fn addressed_host(req: &Request) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
}

/// Whether `origin` is the page's own server (same host and port) or a configured origin.
fn origin_allowed(state: &AppState, origin: &str, host: Option<&str>) -> bool {
    if state.config.cors_origins.iter().any(|o| o == origin) {
        return true;
    }
    let authority = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.config.auth_mode != AuthMode::Local {
        return next.run(req).await;
    }
    let host = addressed_host(&req);
    if let Some(h) = &host {
        if !is_loopback_host(h) {
            return ApiError::forbidden(format!(
                "this Storyloom runs in local mode and answers only requests addressed to localhost (got Host '{h}')"
            ))
            .into_response();
        }
    }
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        let cross_site = req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            == Some("cross-site");
        let foreign = origin.is_some_and(|o| !origin_allowed(&state, o, host.as_deref()));
        if foreign || (cross_site && origin.is_none()) {
            return ApiError::forbidden(format!(
                "a {} from another site ({}) is refused in local mode",
                req.method(),
                origin.unwrap_or("cross-site")
            ))
            .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "localhost:8080",
            "app.localhost",
            "127.0.0.1:3000",
            "127.9.9.9",
            "[::1]:80",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "10.0.0.1",
            "[2001:db8::1]",
            "127.0.0.1.nip.io",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
