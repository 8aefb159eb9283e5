//! Summaries being streamed in this process, and each one's events so far (docs/SUMMARIZE.md,
//! "Streams"). The work runs in its own task, not in the request: a client that loses its
//! connection reconnects with `Last-Event-ID` and gets what it missed, then the rest. A summary
//! nobody listens to for `abandon_secs` is interrupted, and an interruption is free.
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{Event, Options, Requester, Source, SummarizeError};
use crate::AppState;

/// How long a finished stream's events stay for a late reconnect.
const KEEP_FINISHED: Duration = Duration::from_secs(600);

/// One summary's events and listeners.
pub struct RunLog {
    pub id: String,
    pub workspace_id: String,
    events: Mutex<Vec<Event>>,
    /// The number of events so far, for waiting listeners.
    count: watch::Sender<usize>,
    listeners: AtomicUsize,
    cancel: CancellationToken,
    finished: Mutex<Option<Instant>>,
    abandon_after: Duration,
}

impl RunLog {
    fn push(&self, event: Event) {
        let last = event.is_last();
        let n = {
            let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
            events.push(event);
            events.len()
        };
        if last {
            *self.finished.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
        self.count.send_replace(n);
    }

    /// Events so far.
    pub fn event_count(&self) -> usize {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_finished(&self) -> bool {
        self.finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// The events after the first `seen`, and whether the last of them ends the stream.
    fn after(&self, seen: usize) -> Vec<(usize, Event)> {
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events
            .iter()
            .enumerate()
            .skip(seen)
            .map(|(i, e)| (i + 1, e.clone()))
            .collect()
    }

    /// A listener from event number `seen` on: the events as `(seq, event)`, ending after the
    /// last one. While it is held the work goes on; when the last listener goes, the work is
    /// interrupted unless someone comes back within `abandon_after`.
    pub fn listen(self: &Arc<Self>, seen: usize) -> Listener {
        self.listeners.fetch_add(1, Ordering::SeqCst);
        Listener {
            log: self.clone(),
            seen,
            count: self.count.subscribe(),
            done: false,
        }
    }
}

/// One client's place in a stream.
pub struct Listener {
    log: Arc<RunLog>,
    seen: usize,
    count: watch::Receiver<usize>,
    done: bool,
}

impl Listener {
    /// The next event (with its number), or `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<(usize, Event)> {
        loop {
            if self.done {
                return None;
            }
            if let Some((seq, event)) = self.log.after(self.seen).into_iter().next() {
                self.seen = seq;
                self.done = event.is_last();
                return Some((seq, event));
            }
            if self.count.changed().await.is_err() {
                return None;
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let left = self.log.listeners.fetch_sub(1, Ordering::SeqCst) - 1;
        if left == 0 && !self.log.is_finished() {
            let log = self.log.clone();
            tokio::spawn(async move {
                tokio::time::sleep(log.abandon_after).await;
                if log.listeners.load(Ordering::SeqCst) == 0 && !log.is_finished() {
                    tracing::info!(run = %log.id, "nobody listens to the summary any more: interrupting it");
                    log.cancel.cancel();
                }
            });
        }
    }
}

/// The summaries this process streams.
#[derive(Default)]
pub struct SummaryHub {
    runs: Mutex<HashMap<String, Arc<RunLog>>>,
}

impl SummaryHub {
    /// A stream of this workspace, when this process still has it.
    pub fn get(&self, workspace_id: &str, run_id: &str) -> Option<Arc<RunLog>> {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.get(run_id)
            .filter(|r| r.workspace_id == workspace_id)
            .cloned()
    }

    fn forget_old(&self) {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.retain(|_, r| {
            r.finished
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_none_or(|at| at.elapsed() < KEEP_FINISHED)
        });
    }
}

/// Starts a summary in its own task and returns its log (listen to it before returning the
/// response, so the work is never without a listener it did not lose).
#[tracing::instrument(skip(state, source, opts))]
pub fn start(state: &AppState, who: Requester, source: Source, opts: Options) -> Arc<RunLog> {
    let hub = state.summaries.clone();
    hub.forget_old();
    let (count, _) = watch::channel(0);
    let log = Arc::new(RunLog {
        id: state.ids.new_id().to_string(),
        workspace_id: who.workspace_id.clone(),
        events: Mutex::new(Vec::new()),
        count,
        listeners: AtomicUsize::new(0),
        cancel: CancellationToken::new(),
        finished: Mutex::new(None),
        abandon_after: super::abandon_after(state),
    });
    hub.runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(log.id.clone(), log.clone());
    let (state, task_log) = (state.clone(), log.clone());
    let span = tracing::info_span!("summary_run", run = %log.id);
    tokio::spawn(
        async move {
            let sink_log = task_log.clone();
            let sink: super::Sink = Arc::new(move |e| sink_log.push(e));
            let result = super::summarize(
                &state,
                &who,
                source,
                opts,
                &task_log.id,
                sink,
                task_log.cancel.clone(),
            )
            .await;
            if let Err(e) = result {
                push_error(&task_log, &e);
            }
        }
        .instrument(span),
    );
    log
}

fn push_error(log: &RunLog, e: &SummarizeError) {
    log.push(Event::error(e));
}
