//! One progress hub for everything that reports progress (workflow runs, exports): a broadcast of
//! typed events, each about one subject (a run id, an export id). The SSE streams, the progress
//! WebSocket and the desktop's Tauri events all read from it.
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::{self, error::RecvError};

/// An event the hub carries.
pub trait ProgressEvent: Clone + Send + 'static {
    /// The id of what it is about.
    fn subject(&self) -> &str;
}

pub struct ProgressHub<E> {
    events: broadcast::Sender<E>,
    /// Where events also go to reach the other processes on the database (see [`relay`]).
    relay: std::sync::OnceLock<Relay<E>>,
}

/// Sends an event on to the other processes (see [`relay`]).
type Relay<E> = Box<dyn Fn(&E) + Send + Sync>;

impl<E: ProgressEvent> ProgressHub<E> {
    /// A hub keeping up to `capacity` events for a slow subscriber (beyond that it skips ahead).
    pub fn new(capacity: usize) -> Self {
        Self {
            events: broadcast::channel(capacity).0,
            relay: std::sync::OnceLock::new(),
        }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<E> {
        self.events.subscribe()
    }

    /// Publishes an event, here and (with a [`relay`]) to the other processes on the database.
    /// Nobody listening is fine: late joiners read the same state with a GET.
    pub fn send(&self, event: E) {
        if let Some(relay) = self.relay.get() {
            relay(&event);
        }
        let _ = self.events.send(event);
    }

    fn send_here(&self, event: E) {
        let _ = self.events.send(event);
    }

    /// The events about `id` from now on (subscribed at the call, so reading the current state
    /// after it misses nothing). A subscriber that falls behind skips what it missed; the stream
    /// ends with the hub.
    pub fn events_of(&self, id: &str) -> impl Stream<Item = E> + Send + 'static {
        stream::unfold(
            (self.subscribe(), id.to_string()),
            |(mut rx, id)| async move {
                loop {
                    match rx.recv().await {
                        Ok(e) if e.subject() == id => return Some((e, (rx, id))),
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        )
    }
}

/// Makes the events of `owner`'s hub (`hub_of`) reach the subscribers of every process on `db`:
/// a run or an export goes on in one replica, its progress is followed from another
/// (docs/STORAGE.md). Each event is delivered here at once and sent to the others tagged with
/// this process's id, which skips its own when they come back. A no-op on SQLite.
pub fn relay<T, E>(
    db: &crate::db::Db,
    owner: &std::sync::Arc<T>,
    hub_of: fn(&T) -> &ProgressHub<E>,
    channel: &'static str,
) where
    T: Send + Sync + 'static,
    E: ProgressEvent + serde::Serialize + serde::de::DeserializeOwned,
{
    #[derive(serde::Deserialize)]
    struct Relayed<E> {
        from: String,
        event: E,
    }
    let me = crate::instances::me();
    let receiver = std::sync::Arc::downgrade(owner);
    let publish = db.bus(channel, move |payload| {
        let Some(owner) = receiver.upgrade() else {
            return;
        };
        match serde_json::from_str::<Relayed<E>>(&payload) {
            Ok(relayed) if relayed.from == me => {}
            Ok(relayed) => hub_of(&owner).send_here(relayed.event),
            Err(error) => tracing::warn!(channel, %error, "an unreadable progress event"),
        }
    });
    if let Some(publish) = publish {
        let _ = hub_of(owner).relay.set(Box::new(move |event: &E| {
            let payload = serde_json::json!({ "from": me, "event": event }).to_string();
            // NOTIFY carries at most 8,000 bytes; progress events are far smaller.
            if payload.len() < 8000 {
                let _ = publish.send(payload);
            }
        }));
    }
}

/// Hands every event to `deliver` until the hub goes away (the desktop forwards them as Tauri
/// events this way).
pub async fn forward<E: ProgressEvent>(
    mut rx: broadcast::Receiver<E>,
    mut deliver: impl FnMut(&E),
) {
    loop {
        match rx.recv().await {
            Ok(event) => deliver(&event),
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[derive(Clone, Debug, PartialEq)]
    struct Tick(&'static str, u32);

    impl ProgressEvent for Tick {
        fn subject(&self) -> &str {
            self.0
        }
    }

    #[tokio::test]
    async fn a_subscriber_sees_its_subject_only_from_when_it_asked() {
        let hub = ProgressHub::new(16);
        hub.send(Tick("a", 0));
        let of_a = hub.events_of("a");
        hub.send(Tick("b", 1));
        hub.send(Tick("a", 2));
        hub.send(Tick("a", 3));
        drop(hub);
        assert_eq!(
            of_a.collect::<Vec<_>>().await,
            vec![Tick("a", 2), Tick("a", 3)]
        );
    }

    #[tokio::test]
    async fn a_slow_subscriber_skips_ahead() {
        let hub = ProgressHub::new(2);
        let of_a = hub.events_of("a");
        for i in 0..5 {
            hub.send(Tick("a", i));
        }
        drop(hub);
        assert_eq!(
            of_a.collect::<Vec<_>>().await,
            vec![Tick("a", 3), Tick("a", 4)]
        );
    }
}
