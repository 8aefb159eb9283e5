//! The retry loop every provider call goes through, and the per-provider concurrency limits.
//!
//! Backoff is "full jitter": before retry `k` (0-based) the loop sleeps a uniform random time in
//! `[0, min(base * 2^k, max_delay)]`, so many nodes failing together do not retry in lock-step. A
//! 429's `Retry-After` is a floor on that sleep. The RNG lives in the policy and can be seeded, so
//! tests know the exact schedule ([`RetryPolicy::delay_schedule`]) and can check it on tokio's paused
//! clock instead of the wall clock.

use std::{
    collections::HashMap,
    fmt,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use rand::{rngs::StdRng, Rng, SeedableRng};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::{CallContext, ProviderError, ProviderInfo};

/// How often and how patiently to retry.
#[derive(Clone)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (at least 1).
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry; it doubles for each further retry.
    pub base_delay: Duration,
    /// The backoff ceiling never grows past this.
    pub max_delay: Duration,
    /// A 429 asking us to wait longer than this fails the call instead (the node can be retried later).
    pub max_retry_after: Duration,
    // Shared between clones so every call under one policy draws from one stream.
    rng: Arc<Mutex<StdRng>>,
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("max_retry_after", &self.max_retry_after)
            .finish_non_exhaustive()
    }
}

impl Default for RetryPolicy {
    /// 4 attempts, 0.5 s doubling up to 30 s, and at most 2 minutes of `Retry-After`.
    fn default() -> Self {
        Self::new(4, Duration::from_millis(500), Duration::from_secs(30))
    }
}

impl RetryPolicy {
    /// A policy whose jitter comes from the operating system's randomness.
    pub fn new(max_attempts: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            base_delay,
            max_delay,
            max_retry_after: Duration::from_secs(120),
            rng: Arc::new(Mutex::new(StdRng::from_os_rng())),
        }
    }

    /// The same policy with a seeded jitter stream, for reproducible tests.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        self
    }

    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// The largest backoff before retry `retry` (0-based): `base * 2^retry`, capped at `max_delay`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        self.base_delay
            .saturating_mul(1u32 << retry.min(31))
            .min(self.max_delay)
    }

    /// Draws the jittered backoff before retry `retry` (advances the RNG).
    pub fn next_delay(&self, retry: u32) -> Duration {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        jittered(self.ceiling(retry), &mut rng)
    }

    /// The backoffs the next call would sleep if every attempt failed retryably without a
    /// `Retry-After`: one per retry, `max_attempts - 1` in all. Does not advance the RNG.
    pub fn delay_schedule(&self) -> Vec<Duration> {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (0..self.max_attempts.saturating_sub(1))
            .map(|retry| jittered(self.ceiling(retry), &mut rng))
            .collect()
    }
}

/// Full jitter with millisecond resolution (finer buys nothing for backoff, and whole
/// milliseconds keep tokio's millisecond timer exact in paused-clock tests).
fn jittered(ceiling: Duration, rng: &mut StdRng) -> Duration {
    let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.random_range(0..=ceiling_ms))
}

/// The registry of per-provider semaphores, plus an optional limit across all providers.
/// Cheap to clone; clones share the semaphores.
#[derive(Clone, Default)]
pub struct ProviderLimiter {
    global: Option<Arc<Semaphore>>,
    per_provider: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl fmt::Debug for ProviderLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderLimiter")
            .field(
                "global_available",
                &self.global.as_ref().map(|s| s.available_permits()),
            )
            .finish_non_exhaustive()
    }
}

impl ProviderLimiter {
    /// `global`: how many provider calls may run at once in all, if limited.
    pub fn new(global: Option<usize>) -> Self {
        Self {
            global: global.map(|n| Arc::new(Semaphore::new(n.max(1)))),
            per_provider: Arc::default(),
        }
    }

    /// The slots of one provider. The first registration of an id fixes its limit; later calls
    /// with the same id share those slots (a limit cannot shrink under calls already running).
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn slots(&self, provider_id: &str, max_concurrency: usize) -> ProviderSlots {
        let mut map = self.per_provider.lock().unwrap_or_else(|p| p.into_inner());
        let sem = map
            .entry(provider_id.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(max_concurrency.max(1))))
            .clone();
        ProviderSlots {
            id: provider_id.into(),
            provider: Some(sem),
            global: self.global.clone(),
        }
    }

    /// The slots of a provider, by its own id and limit.
    pub fn for_provider(&self, provider: &(impl ProviderInfo + ?Sized)) -> ProviderSlots {
        self.slots(provider.id(), provider.max_concurrency())
    }
}

/// One provider's share of the limiter: what [`call_with_retry`] acquires for each attempt.
#[derive(Clone, Debug)]
pub struct ProviderSlots {
    id: Arc<str>,
    provider: Option<Arc<Semaphore>>,
    global: Option<Arc<Semaphore>>,
}

/// Held while an attempt runs; dropping it frees the slots.
#[derive(Debug)]
pub struct SlotPermit {
    _provider: Option<OwnedSemaphorePermit>,
    _global: Option<OwnedSemaphorePermit>,
}

impl ProviderSlots {
    /// No limit at all (tests, one-off calls).
    pub fn unlimited(provider_id: &str) -> Self {
        Self {
            id: provider_id.into(),
            provider: None,
            global: None,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Free slots of this provider right now (`None` when unlimited).
    pub fn available(&self) -> Option<usize> {
        self.provider.as_ref().map(|s| s.available_permits())
    }

    /// Waits for a slot of this provider and then one of the global limit (in that order, so a call
    /// queued behind its own provider holds no global slot), or returns `Cancelled`.
    pub async fn acquire(&self, cancel: &CancellationToken) -> Result<SlotPermit, ProviderError> {
        let get = async {
            let provider = match &self.provider {
                Some(s) => Some(s.clone().acquire_owned().await),
                None => None,
            }
            .transpose();
            let global = match &self.global {
                Some(s) => Some(s.clone().acquire_owned().await),
                None => None,
            }
            .transpose();
            match (provider, global) {
                (Ok(p), Ok(g)) => Ok(SlotPermit {
                    _provider: p,
                    _global: g,
                }),
                // Only a closed semaphore errs, and ours are never closed.
                _ => Err(ProviderError::unavailable("the limiter was closed", false)),
            }
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(ProviderError::cancelled()),
            r = get => r,
        }
    }
}

/// Runs `op` under the policy: each attempt holds a slot of `slots`, is bounded by `ctx.timeout`,
/// and is abandoned as soon as `ctx.cancel` fires. Retryable errors are retried after a jittered
/// backoff (at least the server's `Retry-After`), up to `policy.max_attempts`. `op` is given the
/// attempt number, starting at 1. Returns the value and how many attempts it took.
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(provider = %slots.id(), key = %ctx.idempotency_key)
)]
pub async fn call_with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    ctx: &CallContext,
    slots: &ProviderSlots,
    mut op: F,
) -> Result<(T, u32), ProviderError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let max_attempts = policy.max_attempts.max(1);
    let mut attempt = 0u32;
    loop {
        if ctx.cancel.is_cancelled() {
            return Err(ProviderError::cancelled());
        }
        attempt += 1;
        let result = {
            // The slot is held for the attempt only, never during the backoff sleep.
            let _permit = slots.acquire(&ctx.cancel).await?;
            tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => Err(ProviderError::cancelled()),
                r = tokio::time::timeout(ctx.timeout, op(attempt)) => r.unwrap_or_else(|_| {
                    Err(ProviderError::timeout(format!(
                        "attempt {attempt} took longer than {:.1}s",
                        ctx.timeout.as_secs_f64()
                    )))
                }),
            }
        };
        let err = match result {
            Ok(value) => return Ok((value, attempt)),
            Err(e) => e,
        };
        if err.is_cancelled() || !err.retryable() || attempt >= max_attempts {
            if attempt > 1 || err.retryable() {
                tracing::warn!(attempt, error = %err, "provider call failed, giving up");
            }
            return Err(err);
        }
        let backoff = policy.next_delay(attempt - 1);
        let delay = match err.retry_after() {
            Some(wait) if wait > policy.max_retry_after => {
                tracing::warn!(attempt, error = %err, "Retry-After is longer than we wait");
                return Err(err);
            }
            Some(wait) => wait.max(backoff),
            None => backoff,
        };
        tracing::info!(
            attempt,
            delay_ms = delay.as_millis() as u64,
            error = %err,
            "provider call failed, retrying"
        );
        tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => return Err(ProviderError::cancelled()),
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(6, Duration::from_millis(100), Duration::from_secs(1)).with_seed(7)
    }

    #[test]
    fn ceilings_double_and_cap() {
        let p = policy();
        let got: Vec<u128> = (0..6).map(|k| p.ceiling(k).as_millis()).collect();
        assert_eq!(got, [100, 200, 400, 800, 1000, 1000]);
        // Huge retry numbers saturate instead of overflowing.
        assert_eq!(p.ceiling(200), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_within_ceiling_and_is_seeded() {
        let p = policy();
        let schedule = p.delay_schedule();
        assert_eq!(schedule.len(), 5);
        for (k, d) in schedule.iter().enumerate() {
            assert!(*d <= p.ceiling(k as u32), "retry {k}: {d:?}");
        }
        // Same seed, same schedule; a different seed gives another one.
        assert_eq!(policy().delay_schedule(), schedule);
        assert_ne!(policy().with_seed(8).delay_schedule(), schedule);
        // The schedule is a preview: drawing the delays yields exactly it.
        let drawn: Vec<Duration> = (0..5).map(|k| p.next_delay(k)).collect();
        assert_eq!(drawn, schedule);
        // And drawing advanced the stream.
        assert_ne!(p.delay_schedule(), schedule);
    }

    #[test]
    fn jitter_covers_the_range() {
        let p =
            RetryPolicy::new(2, Duration::from_millis(1000), Duration::from_secs(1)).with_seed(1);
        let draws: Vec<Duration> = (0..500).map(|_| p.next_delay(0)).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_secs(1)));
        // Full jitter: both halves of the range are used.
        assert!(draws.iter().any(|d| *d < Duration::from_millis(250)));
        assert!(draws.iter().any(|d| *d > Duration::from_millis(750)));
    }

    #[test]
    fn limiter_shares_slots_per_id() {
        let limiter = ProviderLimiter::new(None);
        let a = limiter.slots("a", 2);
        let a_again = limiter.slots("a", 9);
        let b = limiter.slots("b", 1);
        assert_eq!(a.available(), Some(2));
        assert_eq!(a_again.available(), Some(2), "first registration wins");
        assert_eq!(b.available(), Some(1));
        assert_eq!(ProviderSlots::unlimited("x").available(), None);
    }

    #[tokio::test]
    async fn permits_are_released_on_drop() {
        let limiter = ProviderLimiter::new(Some(1));
        let a = limiter.slots("a", 2);
        let cancel = CancellationToken::new();
        let p = a.acquire(&cancel).await.unwrap();
        assert_eq!(a.available(), Some(1));
        drop(p);
        assert_eq!(a.available(), Some(2));
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_is_cancellable() {
        let limiter = ProviderLimiter::new(None);
        let a = limiter.slots("a", 1);
        let cancel = CancellationToken::new();
        let _held = a.acquire(&cancel).await.unwrap();
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            c2.cancel();
        });
        let err = a.acquire(&cancel).await.unwrap_err();
        assert!(err.is_cancelled());
    }
}
