//! The order the router tries a public model's channels in, and the circuit breaker that keeps it
//! off an unhealthy one for a while (one per process: each replica learns health from its own
//! calls).
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use rand::Rng;

use crate::{providers::ModelKind, registry::Channel};

/// How long a cached channel list may be used at most: other PostgreSQL replicas' registry
/// changes do not move this process's generation (the same bound as the key cache's).
const CHANNELS_MAX_AGE: Duration = Duration::from_secs(5);
/// Public names cached at most; the cache starts over when full.
const CHANNELS_CAPACITY: usize = 1024;

/// The channels of each public model, as last read: the router needs them on every call, and
/// reading them is a database read on a blocking thread (a fifth of a lone call's added time,
/// docs/BENCHMARKS.md "Session 20"). An entry holds while [`crate::db::Db::registry_generation`]
/// has not moved since it was read (a committed change to a model or a provider moves it) and
/// for at most [`CHANNELS_MAX_AGE`]. Prices come with the channels, so a price change applies to
/// the next call, as without the cache.
#[derive(Default)]
pub struct ChannelCache {
    entries: Mutex<HashMap<(ModelKind, String), CachedChannels>>,
}

struct CachedChannels {
    generation: u64,
    read_at: Instant,
    channels: Vec<Channel>,
}

impl ChannelCache {
    /// The cached channels of `public`, if read at `generation` and recently.
    pub fn get(
        &self,
        kind: ModelKind,
        public: &str,
        generation: u64,
        now: Instant,
    ) -> Option<Vec<Channel>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&(kind, public.to_string()))
            .filter(|e| {
                e.generation == generation && now.duration_since(e.read_at) < CHANNELS_MAX_AGE
            })
            .map(|e| e.channels.clone())
    }

    /// Keeps `channels`, read at `generation` (taken before the read, so a change committed
    /// during it leaves the entry stale). No channels are not kept: an unknown name costs a read.
    pub fn put(
        &self,
        kind: ModelKind,
        public: &str,
        generation: u64,
        read_at: Instant,
        channels: &[Channel],
    ) {
        if channels.is_empty() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CHANNELS_CAPACITY {
            entries.clear();
        }
        entries.insert(
            (kind, public.to_string()),
            CachedChannels {
                generation,
                read_at,
                channels: channels.to_vec(),
            },
        );
    }
}

/// Failures in a row that open a channel's circuit.
const TRIP_AFTER: u32 = 3;
/// How long an open circuit keeps the channel out (then one call tries it again).
const OPEN_FOR: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Health {
    failures_in_a_row: u32,
    open_until: Option<Instant>,
}

/// A channel the breaker has taken out, for `system.alerts` and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub model_id: String,
    pub public_name: String,
    pub message: String,
}

#[derive(Default)]
pub struct Breakers {
    health: Mutex<HashMap<String, Health>>,
    alerts: Mutex<Vec<Alert>>,
}

impl Breakers {
    fn is_open(&self, model_id: &str, now: Instant) -> bool {
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        health
            .get(model_id)
            .and_then(|h| h.open_until)
            .is_some_and(|until| until > now)
    }

    /// A call on the channel got an answer: its failures are forgotten.
    pub fn succeeded(&self, model_id: &str) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        health.remove(model_id);
    }

    /// A call on the channel failed retryably (429, 5xx, a timeout, a broken connection). Answers
    /// the alert when this failure took the channel out.
    pub fn failed(&self, channel: &Channel, why: &str, now: Instant) -> Option<Alert> {
        let tripped = {
            let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
            let h = health.entry(channel.model.id.clone()).or_default();
            h.failures_in_a_row += 1;
            if h.failures_in_a_row >= TRIP_AFTER && h.open_until.is_none_or(|u| u <= now) {
                h.open_until = Some(now + OPEN_FOR);
                true
            } else {
                false
            }
        };
        if tripped {
            let alert = Alert {
                model_id: channel.model.id.clone(),
                public_name: channel.model.public_name.clone(),
                message: format!(
                    "{} on {} failed {TRIP_AFTER} times in a row ({why}): skipped for {} s",
                    channel.model.model_name,
                    channel.model.provider,
                    OPEN_FOR.as_secs()
                ),
            };
            tracing::warn!(model_id = %alert.model_id, message = %alert.message, "router channel taken out");
            let mut alerts = self.alerts.lock().unwrap_or_else(|p| p.into_inner());
            alerts.push(alert.clone());
            let excess = alerts.len().saturating_sub(100);
            alerts.drain(..excess);
            return Some(alert);
        }
        None
    }

    /// The latest alerts, newest last.
    pub fn alerts(&self) -> Vec<Alert> {
        self.alerts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The order to try `channels` in: by priority, highest first; within one priority a weighted
    /// random order (a channel of weight 3 comes first three times as often as one of weight 1);
    /// channels whose circuit is open go last, so they are tried only when every healthy one failed.
    pub fn order(&self, channels: Vec<Channel>, rng: &mut impl Rng, now: Instant) -> Vec<Channel> {
        let mut by_priority: Vec<(i64, Vec<Channel>)> = Vec::new();
        for c in channels {
            match by_priority
                .iter_mut()
                .find(|(p, _)| *p == c.model.route_priority)
            {
                Some((_, group)) => group.push(c),
                None => by_priority.push((c.model.route_priority, vec![c])),
            }
        }
        by_priority.sort_by_key(|group| std::cmp::Reverse(group.0));
        let mut ordered = Vec::new();
        for (_, mut group) in by_priority {
            while !group.is_empty() {
                let total: i64 = group.iter().map(|c| c.model.route_weight.max(1)).sum();
                let mut pick = rng.random_range(0..total);
                let index = group
                    .iter()
                    .position(|c| {
                        pick -= c.model.route_weight.max(1);
                        pick < 0
                    })
                    .unwrap_or(0);
                ordered.push(group.remove(index));
            }
        }
        let (healthy, open): (Vec<_>, Vec<_>) = ordered
            .into_iter()
            .partition(|c| !self.is_open(&c.model.id, now));
        healthy.into_iter().chain(open).collect()
    }
}

#[cfg(test)]
mod cache_tests {
    use serde_json::json;

    use super::*;
    use crate::registry::{AdapterKind, Model, ModelTarget, PriceUnit};

    fn channel(id: &str) -> Channel {
        Channel {
            model: Model {
                id: id.into(),
                provider_id: "p".into(),
                provider: "P".into(),
                kind: ModelKind::Llm,
                name: id.into(),
                model_name: id.into(),
                category: "chat".into(),
                credits_cost: 1,
                output_credits_cost: 2,
                unit: PriceUnit::KiloTokens,
                config: json!({}),
                is_active: true,
                is_default: false,
                builtin: false,
                popularity: 0,
                public_name: "team-chat".into(),
                route_priority: 0,
                route_weight: 1,
                created_at: String::new(),
                updated_at: String::new(),
                provider_enabled: true,
            },
            target: ModelTarget {
                provider_id: "p".into(),
                adapter: AdapterKind::OpenaiCompatible,
                base_url: "http://127.0.0.1:9/v1".into(),
                api_key: None,
                model_name: id.into(),
                config: json!({}),
                max_concurrency: 4,
            },
        }
    }

    fn ids(channels: Option<Vec<Channel>>) -> Option<Vec<String>> {
        channels.map(|c| c.into_iter().map(|c| c.model.id).collect())
    }

    #[test]
    fn cached_channels_hold_for_their_generation_kind_and_name_and_five_seconds() {
        let cache = ChannelCache::default();
        let read_at = Instant::now();
        cache.put(
            ModelKind::Llm,
            "team-chat",
            7,
            read_at,
            &[channel("a"), channel("b")],
        );
        let later = read_at + Duration::from_secs(4);
        assert_eq!(
            ids(cache.get(ModelKind::Llm, "team-chat", 7, later)),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        // A registry change since the read, another kind or another name: not these channels.
        assert!(cache.get(ModelKind::Llm, "team-chat", 8, later).is_none());
        assert!(cache.get(ModelKind::Image, "team-chat", 7, later).is_none());
        assert!(cache.get(ModelKind::Llm, "other", 7, later).is_none());
        // Too old (another replica may have changed them).
        let stale = read_at + CHANNELS_MAX_AGE;
        assert!(cache.get(ModelKind::Llm, "team-chat", 7, stale).is_none());
        // No channels are not kept: a model added later is found at once.
        cache.put(ModelKind::Llm, "unknown", 7, read_at, &[]);
        assert!(cache.get(ModelKind::Llm, "unknown", 7, later).is_none());
    }
}
