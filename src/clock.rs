//! Time and identity sources, passed in so that domain logic is deterministic under test.
use std::sync::{
    atomic::{AtomicI64, AtomicU64, Ordering},
    Arc,
};

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use uuid::Uuid;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(AtomicI64::new(start.timestamp_millis())))
    }
    pub fn advance(&self, by: chrono::Duration) {
        self.0.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0.load(Ordering::SeqCst))
            .single()
            .unwrap_or_default()
    }
}

pub trait IdSource: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
}

/// UUIDv7: time-ordered, generated offline without coordination (needed for sync).
pub struct UuidV7Ids;

impl IdSource for UuidV7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Deterministic UUIDv7s from a counter (tests): same sequence on every run.
#[derive(Default)]
pub struct SequentialIds(AtomicU64);

impl IdSource for SequentialIds {
    fn new_id(&self) -> Uuid {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, 1_700_000_000 + n, 0);
        let mut bytes = *Uuid::new_v7(ts).as_bytes();
        bytes[8..16].copy_from_slice(&n.to_be_bytes());
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // keep the RFC 4122 variant bits
        Uuid::from_bytes(bytes)
    }
}

/// RFC 3339 in UTC with millisecond precision, the one time format of the API and the database.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
