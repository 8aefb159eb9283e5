/**
 * Keeps a workflow run fresh: pushed events when the transport has them — server-sent events in
 * the browser (the first `state` event carries the run), the shell's Tauri events on the desktop
 * (transport/desktopEvents.ts) — where every `progress` event triggers a throttled refetch;
 * otherwise (no EventSource, a dropped stream) polling every second while the run is not
 * finished. Pure of React and the DOM: everything it touches comes in through `deps`.
 */
import type { Run, RunStatus } from '../api/types';
import type { EventStreamHandlers, Unsubscribe } from '../transport/events';

export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

export function isRunFinished(status: string): boolean {
  return (FINISHED_RUN_STATUSES as readonly string[]).includes(status);
}

export type LiveMode = 'sse' | 'poll';

export interface LiveRunDeps {
  /** Opens the run's event stream; null when this transport cannot stream. */
  openStream: (handlers: EventStreamHandlers) => Unsubscribe | null;
  fetchRun: () => Promise<Run>;
  onRun: (run: Run) => void;
  onError?: (e: unknown) => void;
  /** Told when the watcher switches from events to polling (or starts polling). */
  onMode?: (mode: LiveMode) => void;
  throttleMs?: number;
  pollMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface LiveRunWatcher {
  readonly mode: LiveMode;
  /** Refetches now (after an action), and restarts polling if the run is going again. */
  refresh: () => void;
  stop: () => void;
}

export function watchRun(deps: LiveRunDeps): LiveRunWatcher {
  const throttleMs = deps.throttleMs ?? 250;
  const pollMs = deps.pollMs ?? 1000;
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  let stopped = false;
  let mode: LiveMode = 'sse';
  let closeStream: Unsubscribe | null = null;
  let timer: unknown = null;
  let inFlight = false;
  /** Another fetch is wanted once the one in flight is done. */
  let again = false;
  let lastStatus: string | null = null;

  function schedule(ms: number) {
    if (stopped || timer !== null) return;
    timer = setTimer(() => {
      timer = null;
      void fetchNow();
    }, ms);
  }

  function cancelTimer() {
    if (timer !== null) {
      clearTimer(timer);
      timer = null;
    }
  }

  function deliver(run: Run) {
    if (stopped) return;
    lastStatus = run.status;
    deps.onRun(run);
  }

  async function fetchNow(): Promise<void> {
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      deliver(await deps.fetchRun());
    } catch (e) {
      if (!stopped) deps.onError?.(e);
    } finally {
      inFlight = false;
    }
    if (stopped) return;
    if (again) {
      again = false;
      schedule(mode === 'sse' ? throttleMs : 0);
    } else if (mode === 'poll' && !(lastStatus !== null && isRunFinished(lastStatus))) {
      schedule(pollMs);
    }
  }

  function startPolling() {
    mode = 'poll';
    deps.onMode?.('poll');
    cancelTimer();
    void fetchNow();
  }

  closeStream = deps.openStream({
    onEvent: (e) => {
      if (stopped) return;
      if (e.event === 'state') {
        try {
          deliver(JSON.parse(e.data) as Run);
          return;
        } catch {
          // unreadable: fall through to a refetch
        }
      }
      if (inFlight) again = true;
      else schedule(throttleMs);
    },
    onError: () => {
      if (stopped) return;
      closeStream = null;
      startPolling();
    },
  });
  if (closeStream) deps.onMode?.('sse');
  else startPolling();

  return {
    get mode() {
      return mode;
    },
    refresh() {
      if (stopped) return;
      cancelTimer();
      void fetchNow();
    },
    stop() {
      stopped = true;
      cancelTimer();
      closeStream?.();
      closeStream = null;
    },
  };
}
