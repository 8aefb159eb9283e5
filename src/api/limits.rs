//! Rate limits (seeds 001–004; DESIGN §9): the sign-in routes allow a number of requests a minute
//! per client address (GCRA through `governor`), answering 429 `RATE_LIMITED` with `retry_after`,
//! `Retry-After` and the `X-RateLimit-*` headers. Requests through the desktop bridge carry no
//! address and share one bucket ("local").
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
use crate::AppState;

type KeyedLimiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// The limiters of one instance.
pub struct RateLimits {
    auth: KeyedLimiter,
    auth_per_minute: u32,
}

impl RateLimits {
    pub fn new(auth_per_minute: u32) -> Self {
        let n = NonZeroU32::new(auth_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            auth: RateLimiter::keyed(Quota::per_minute(n))
                .with_middleware::<StateInformationMiddleware>(),
            auth_per_minute: n.get(),
        }
    }
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
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                let mut res = ApiError::rate_limited(
                    format!(
                        "too many sign-in requests from this address: at most {} a minute; try again in {secs} s",
                        limits.auth_per_minute
                    ),
                    secs,
                )
                .into_response();
                for (k, v) in headers(limits.auth_per_minute, 0, Some(secs.max(1))) {
                    res.headers_mut().insert(k, v);
                }
                Err(res)
            }
        }
    }
}
