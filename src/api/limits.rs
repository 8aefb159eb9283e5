//! Rate limits (docs/API-WORKSPACES.md, "Rate limits"): the sign-in routes allow a number of
//! requests a minute per client address (GCRA through `governor`), answering 429 `RATE_LIMITED`
//! with `retry_after`, `Retry-After` and the `X-RateLimit-*` headers. Requests through the desktop
//! bridge carry no address and share one bucket ("local").
//!
//! Signed-in callers of a team server are also limited per caller (a person, or an API key) and
//! route class: queries and other requests a minute, generation (runs, exports, regenerations) an
//! hour unless the workspace has a membership. The desktop's local owner is never limited.
use std::{net::SocketAddr, num::NonZeroU32};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{request::Parts, HeaderName, HeaderValue},
    response::{IntoResponse, IntoResponseParts, Response, ResponseParts},
};
use governor::{
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
    Quota, RateLimiter,
};

use super::error::ApiError;
use crate::{config::RateConfig, AppState};

type KeyedLimiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// The limiters of one instance.
pub struct RateLimits {
    auth: KeyedLimiter,
    auth_per_minute: u32,
    queries: KeyedLimiter,
    other: KeyedLimiter,
    generation: KeyedLimiter,
    rates: RateConfig,
}

/// The route classes of the rate-limit table (docs/API-WORKSPACES.md): generation starts paid
/// provider work, queries read, the rest is other. Routes declare it (src/api/access.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    Query,
    Generation,
    Other,
}

fn keyed(quota: Quota) -> KeyedLimiter {
    RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>()
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(auth_per_minute: u32, rates: RateConfig) -> Self {
        let hourly = nonzero(rates.generation_per_hour);
        Self {
            auth: keyed(Quota::per_minute(nonzero(auth_per_minute))),
            auth_per_minute: nonzero(auth_per_minute).get(),
            queries: keyed(Quota::per_minute(nonzero(rates.queries_per_minute))),
            other: keyed(Quota::per_minute(nonzero(rates.other_per_minute))),
            // A burst of the whole hour's allowance, refilled evenly over the hour.
            generation: keyed(
                Quota::with_period(std::time::Duration::from_secs(3600) / hourly.get())
                    .unwrap_or_else(|| Quota::per_hour(hourly))
                    .allow_burst(hourly),
            ),
            rates,
        }
    }

    /// Admits one request of `class` from `caller`, or answers 429 with the standard headers.
    pub fn check_caller(&self, class: RouteClass, caller: &str) -> Result<(), ApiError> {
        let (limiter, limit, per) = match class {
            RouteClass::Query => (&self.queries, self.rates.queries_per_minute, "a minute"),
            RouteClass::Other => (&self.other, self.rates.other_per_minute, "a minute"),
            RouteClass::Generation => (
                &self.generation,
                self.rates.generation_per_hour,
                "an hour without a membership",
            ),
        };
        let what = match class {
            RouteClass::Query => "queries",
            RouteClass::Other => "requests",
            RouteClass::Generation => "generation requests",
        };
        limiter
            .check_key(&caller.to_string())
            .map(|_| ())
            .map_err(|not_until| {
                rejection(
                    format!("too many {what}: at most {limit} {per}"),
                    limit,
                    not_until.wait_time_from(DefaultClock::default().now()),
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

/// An extractor that admits one sign-in request (register, login, refresh) or rejects it with 429.
pub struct AuthRateLimit(pub RateHeaders);

impl FromRequestParts<AppState> for AuthRateLimit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let key = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "local".into());
        let limits = &state.limits;
        match limits.auth.check_key(&key) {
            Ok(snapshot) => Ok(Self(RateHeaders {
                limit: limits.auth_per_minute,
                remaining: snapshot.remaining_burst_capacity(),
            })),
            Err(not_until) => Err(rejection(
                format!(
                    "too many sign-in requests from this address: at most {} a minute",
                    limits.auth_per_minute
                ),
                limits.auth_per_minute,
                not_until.wait_time_from(DefaultClock::default().now()),
            )
            .into_response()),
        }
    }
}
