//! Rate limits (docs/API-WORKSPACES.md, "Rate limits"): the sign-in routes allow a number of
//! requests a minute per client address (GCRA, src/limits/: shared by the replicas on
//! PostgreSQL), answering 429 `RATE_LIMITED` with `retry_after`, `Retry-After` and the
//! `X-RateLimit-*` headers. Requests through the desktop bridge carry no address and share one
//! bucket ("local").
//!
//! Signed-in callers of a team server are also limited per caller (a person, or an API key) and
//! route class: queries and other requests a minute, generation (runs, exports, regenerations) an
//! hour unless the workspace has a membership. The desktop's local owner is never limited.
use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{request::Parts, HeaderName, HeaderValue},
    response::{IntoResponse, IntoResponseParts, Response, ResponseParts},
};

use super::error::ApiError;
use crate::{
    config::RateConfig,
    db::Db,
    limits::{Limiter, LimiterFamily},
    AppState,
};

/// The limiters of one server (shared by its replicas on PostgreSQL: src/limits/).
pub struct RateLimits {
    auth: Limiter,
    queries: Limiter,
    other: Limiter,
    generation: Limiter,
    router: Limiter,
    /// Keys made with their own router allowance.
    router_per_key: LimiterFamily,
    /// Password guesses on a share link's page, per link and address.
    share_passwords: Limiter,
    rates: RateConfig,
}

/// Password guesses a share link's page allows each address a minute.
pub const SHARE_PASSWORD_TRIES_PER_MINUTE: u32 = 5;

/// The route classes of the rate-limit table (docs/API-WORKSPACES.md): generation starts paid
/// provider work, queries read, the rest is other. Routes declare it (src/api/access.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    Query,
    Generation,
    /// Calls through the model router (`/v1`): an hour's allowance per caller.
    Router,
    Other,
}

const MINUTE: Duration = Duration::from_secs(60);

impl RateLimits {
    pub fn new(auth_per_minute: u32, rates: RateConfig, db: &Db) -> Self {
        Self {
            auth: Limiter::new("auth", auth_per_minute, MINUTE, db),
            queries: Limiter::new("queries", rates.queries_per_minute, MINUTE, db),
            other: Limiter::new("other", rates.other_per_minute, MINUTE, db),
            // A burst of the whole hour's allowance, refilled evenly over the hour.
            generation: Limiter::new(
                "generation",
                rates.generation_per_hour,
                Duration::from_secs(3600),
                db,
            ),
            router: Limiter::new(
                "router",
                rates.router_per_hour,
                Duration::from_secs(3600),
                db,
            ),
            router_per_key: LimiterFamily::new("router-key", Duration::from_secs(3600), db),
            share_passwords: Limiter::new(
                "share-password",
                SHARE_PASSWORD_TRIES_PER_MINUTE,
                MINUTE,
                db,
            ),
            rates,
        }
    }

    /// Admits one model-router call of an API key made with its own allowance (`per_hour`).
    pub async fn check_key_router(&self, key: &str, per_hour: u32) -> Result<(), ApiError> {
        self.router_per_key
            .check(per_hour, key)
            .await
            .map(|_| ())
            .map_err(|refused| {
                rejection(
                    format!("too many model router requests: this key allows {per_hour} an hour"),
                    per_hour,
                    refused.wait,
                )
            })
    }

    /// Admits one password guess on a share link (`key`: the link and the guesser's address), or
    /// says how many seconds to wait.
    pub async fn check_share_password(&self, key: &str) -> Result<(), u64> {
        self.share_passwords
            .check(key)
            .await
            .map(|_| ())
            .map_err(|refused| {
                let wait = refused.wait;
                (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
            })
    }

    /// Admits one request of `class` from `caller`, or answers 429 with the standard headers.
    pub async fn check_caller(&self, class: RouteClass, caller: &str) -> Result<(), ApiError> {
        let (limiter, limit, per) = match class {
            RouteClass::Query => (&self.queries, self.rates.queries_per_minute, "a minute"),
            RouteClass::Other => (&self.other, self.rates.other_per_minute, "a minute"),
            RouteClass::Generation => (
                &self.generation,
                self.rates.generation_per_hour,
                "an hour without a membership",
            ),
            RouteClass::Router => (&self.router, self.rates.router_per_hour, "an hour"),
        };
        let what = match class {
            RouteClass::Query => "queries",
            RouteClass::Other => "requests",
            RouteClass::Generation => "generation requests",
            RouteClass::Router => "model router requests",
        };
        limiter.check(caller).await.map(|_| ()).map_err(|refused| {
            rejection(
                format!("too many {what}: at most {limit} {per}"),
                limit,
                refused.wait,
            )
        })
    }
}

fn rejection(detail: String, limit: u32, wait: std::time::Duration) -> ApiError {
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let mut e = ApiError::rate_limited(format!("{detail}; try again in {secs} s"), secs);
    e.rate_limit = Some(limit);
    e
}

/// The `X-RateLimit-*` headers of an allowed request.
pub struct RateHeaders {
    limit: u32,
    remaining: u32,
}

fn headers(limit: u32, remaining: u32, reset: Option<u64>) -> Vec<(HeaderName, HeaderValue)> {
    let mut h = vec![
        (
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderValue::from(limit),
        ),
        (
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderValue::from(remaining),
        ),
    ];
    if let Some(r) = reset {
        h.push((
            HeaderName::from_static("x-ratelimit-reset"),
            HeaderValue::from(r),
        ));
    }
    h
}

impl IntoResponseParts for RateHeaders {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        for (k, v) in headers(self.limit, self.remaining, None) {
            res.headers_mut().insert(k, v);
        }
        Ok(res)
    }
}

/// The address a request comes from: its peer's, unless the peer is a trusted proxy; then the
/// last address in `X-Forwarded-For` that is not itself a trusted proxy (the entries to its left
/// are the client's to write, so they cannot be believed).
pub fn client_address<'h>(
    peer: IpAddr,
    forwarded: impl IntoIterator<Item = &'h HeaderValue>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

/// An extractor that admits one sign-in request (register, login, refresh) or rejects it with 429.
pub struct AuthRateLimit(pub RateHeaders);

impl FromRequestParts<AppState> for AuthRateLimit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let key = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| {
                let forwarded = parts.headers.get_all("x-forwarded-for");
                client_address(c.0.ip(), forwarded, &state.config.trusted_proxies).to_string()
            })
            .unwrap_or_else(|| "local".into());
        let auth = &state.limits.auth;
        match auth.check(&key).await {
            Ok(admitted) => Ok(Self(RateHeaders {
                limit: auth.burst(),
                remaining: admitted.remaining,
            })),
            Err(refused) => Err(rejection(
                format!(
                    "too many sign-in requests from this address: at most {} a minute",
                    auth.burst()
                ),
                auth.burst(),
                refused.wait,
            )
            .into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_address_is_believed_only_from_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let xff = |v: &str| vec![HeaderValue::from_str(v).unwrap()];
        // Straight from the client: X-Forwarded-For is the client's own invention.
        let h = xff("1.2.3.4");
        assert_eq!(client_address(ip("5.6.7.8"), &h, &trusted), ip("5.6.7.8"));
        // Through the proxy: the address it appended.
        assert_eq!(client_address(ip("10.0.0.2"), &h, &trusted), ip("1.2.3.4"));
        // A forged hop on the left is skipped: the rightmost address not a proxy is the client.
        let h = xff("9.9.9.9, 1.2.3.4, 10.0.0.7");
        assert_eq!(client_address(ip("10.0.0.2"), &h, &trusted), ip("1.2.3.4"));
        // Several headers count as one list; garbage is ignored.
        let h = vec![
            HeaderValue::from_static("nonsense, 2001:db8::1"),
            HeaderValue::from_static("10.1.1.1"),
        ];
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, &trusted),
            ip("2001:db8::1")
        );
        // A trusted peer with no header is the client itself.
        assert_eq!(
            client_address(ip("10.0.0.2"), &[], &trusted),
            ip("10.0.0.2")
        );
        // Nothing trusted: the peer, always.
        assert_eq!(client_address(ip("10.0.0.2"), &h, &[]), ip("10.0.0.2"));
    }
}
