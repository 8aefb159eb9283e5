//! Rate limiters (docs/API-WORKSPACES.md, "Rate limits"): GCRA, a burst of `burst` requests
//! refilled one per `interval`. Where one process serves the database (the desktop, a server on
//! SQLite) the cells live in its memory (`governor`); on PostgreSQL, where several replicas serve
//! one database, they live in the database, so a caller has the same allowance whichever replica
//! answers (issue 16). Counting is never in the write lock: one upsert per request.
use std::{num::NonZeroU32, time::Duration};

use governor::{
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
    Quota, RateLimiter,
};

use crate::db::{sql, Db, DbError};

mod store;

type KeyedLimiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// One limit: `burst` requests at once, one more every `interval`.
pub struct Limiter {
    /// Prefixes the key of each cell in the database, so limiters share one table.
    name: &'static str,
    interval: Duration,
    burst: NonZeroU32,
    cells: Cells,
}

enum Cells {
    InMemory(KeyedLimiter),
    Shared(Db),
}

/// A request let through, with what is left of the burst (for `X-RateLimit-Remaining`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub remaining: u32,
}

/// A request turned away: the earliest a next one may pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub wait: Duration,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limiter {
    /// `per_period` requests per `period`, all of them allowed at once. The cells are shared
    /// through `db` when it is PostgreSQL, else kept in this process.
    pub fn new(name: &'static str, per_period: u32, period: Duration, db: &Db) -> Self {
        let burst = nonzero(per_period);
        let interval = (period / burst.get()).max(Duration::from_millis(1));
        let cells = if db.dialect() == sql::Dialect::Postgres {
            Cells::Shared(db.clone())
        } else {
            let quota = Quota::with_period(interval)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
                .allow_burst(burst);
            Cells::InMemory(
                RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            )
        };
        Self {
            name,
            interval,
            burst,
            cells,
        }
    }

    /// The most requests let through at once.
    pub fn burst(&self) -> u32 {
        self.burst.get()
    }

    /// Counts one request of `key`. If the shared cells cannot be reached the request passes
    /// (and the failure is logged): the database being down fails the request anyway.
    #[tracing::instrument(skip(self), fields(limiter = self.name))]
    pub async fn check(&self, key: &str) -> Result<Admitted, Refused> {
        match &self.cells {
            Cells::InMemory(limiter) => limiter
                .check_key(&key.to_string())
                .map(|snapshot| Admitted {
                    remaining: snapshot.remaining_burst_capacity(),
                })
                .map_err(|not_until| Refused {
                    wait: not_until.wait_time_from(DefaultClock::default().now()),
                }),
            Cells::Shared(db) => {
                let cell = format!("{}:{key}", self.name);
                let (interval, burst) = (self.interval, self.burst.get());
                let counted = db
                    .write_unserialised(move |c| store::take(c, &cell, interval, burst))
                    .await;
                match counted {
                    Ok(decision) => decision,
                    Err(error) => {
                        tracing::warn!(%error, "rate limit not counted: the database failed");
                        Ok(Admitted { remaining: 0 })
                    }
                }
            }
        }
    }
}

/// Limiters of one kind whose allowance differs by caller (an API key's own calls an hour): one
/// [`Limiter`] per allowance, made when first needed.
pub struct LimiterFamily {
    name: &'static str,
    period: Duration,
    db: Db,
    members: std::sync::Mutex<std::collections::HashMap<u32, std::sync::Arc<Limiter>>>,
}

impl LimiterFamily {
    pub fn new(name: &'static str, period: Duration, db: &Db) -> Self {
        Self {
            name,
            period,
            db: db.clone(),
            members: Default::default(),
        }
    }

    /// Counts one request of `key`, allowed `per_period` a period.
    pub async fn check(&self, per_period: u32, key: &str) -> Result<Admitted, Refused> {
        let limiter = {
            let mut members = self.members.lock().unwrap_or_else(|p| p.into_inner());
            members
                .entry(per_period)
                .or_insert_with(|| {
                    std::sync::Arc::new(Limiter::new(self.name, per_period, self.period, &self.db))
                })
                .clone()
        };
        limiter.check(key).await
    }
}

/// Deletes the shared cells that are full again (a cell whose next request would pass with the
/// whole burst is the same as no cell). Nothing on SQLite.
#[tracing::instrument(skip(db))]
pub async fn forget_full_cells(db: &Db) -> Result<usize, DbError> {
    if db.dialect() != sql::Dialect::Postgres {
        return Ok(0);
    }
    db.write_unserialised(store::delete_full).await
}

/// Keeps the shared cells' table small: every `every`, on PostgreSQL only.
pub fn spawn_sweeper(db: Db, every: Duration) {
    if db.dialect() != sql::Dialect::Postgres {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(error) = forget_full_cells(&db).await {
                tracing::warn!(%error, "rate-limit sweep failed");
            }
        }
    });
}
