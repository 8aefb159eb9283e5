/**
 * Follows an export by polling `GET /export/{id}` (docs/API-EXPORT.md: every 500 ms is fine; the
 * desktop's app:// scheme and the accounts mode's token cannot carry an EventSource anyway).
 * One request at a time; stops by itself when the export finishes, when it is gone (404) or on
 * an error a retry cannot fix; backs off on errors that may pass (network, 429, 5xx) and gives up
 * after a run of them. Pure of React and the DOM: timers and the fetch come in through `deps`.
 */
import type { Export } from '../api/types';
import { isExportFinished } from './exportStatus';

export interface PollPolicy {
  /** Between two successful polls. */
  intervalMs: number;
  /** The longest wait after errors. */
  maxBackoffMs: number;
  /** Consecutive errors after which polling gives up. */
  maxErrors: number;
}

export const DEFAULT_POLL_POLICY: PollPolicy = { intervalMs: 500, maxBackoffMs: 8000, maxErrors: 12 };

export type StopReason = 'finished' | 'gone' | 'error';

export type PollStep = { action: 'stop'; reason: StopReason } | { action: 'wait'; ms: number };

export type PollOutcome = { ok: true; status: string } | { ok: false; error: unknown };

interface ErrorLike {
  status?: number;
  retryable?: boolean;
  retry_after?: number;
}

/** Whether polling again might get a different answer after this error. */
export function isTransientPollError(error: unknown): boolean {
  const e = (error ?? {}) as ErrorLike;
  if (typeof e.status !== 'number') return true; // not an ApiError: treat like a network blip
  if (e.status === 0 || e.status === 408 || e.status === 429 || e.status >= 500) return true;
  return e.retryable === true;
}

/**
 * What to do after one poll. `errorsInARow` counts the consecutive failed polls including this
 * one (0 after a success).
 */
export function nextPollStep(outcome: PollOutcome, errorsInARow: number, policy: PollPolicy = DEFAULT_POLL_POLICY): PollStep {
  if (outcome.ok) {
    return isExportFinished(outcome.status) ? { action: 'stop', reason: 'finished' } : { action: 'wait', ms: policy.intervalMs };
  }
  const e = (outcome.error ?? {}) as ErrorLike;
  if (e.status === 404) return { action: 'stop', reason: 'gone' };
  if (!isTransientPollError(outcome.error) || errorsInARow >= policy.maxErrors) return { action: 'stop', reason: 'error' };
  const backoff = Math.min(policy.maxBackoffMs, policy.intervalMs * 2 ** Math.max(0, errorsInARow - 1));
  const server = typeof e.retry_after === 'number' && e.retry_after > 0 ? e.retry_after * 1000 : 0;
  return { action: 'wait', ms: Math.max(backoff, Math.min(server, policy.maxBackoffMs * 4)) };
}

export interface ExportWatchDeps {
  fetchExport: () => Promise<Export>;
  onExport: (e: Export) => void;
  /** Every failed poll (the UI may show "reconnecting"). */
  onError?: (e: unknown) => void;
  /** Once, when polling ends by itself. */
  onStop?: (reason: StopReason, lastError?: unknown) => void;
  policy?: PollPolicy;
  /** Poll right away (true) or first wait one interval (false: the caller already has a fresh Export). */
  immediate?: boolean;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface ExportWatcher {
  /** Polls now (after a cancel) and, if polling had stopped on errors, starts it again. */
  refresh: () => void;
  stop: () => void;
  readonly running: boolean;
}

export function watchExport(deps: ExportWatchDeps): ExportWatcher {
  const policy = deps.policy ?? DEFAULT_POLL_POLICY;
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  let stopped = false;
  /** Polling ended by itself (finished, gone, too many errors). */
  let ended = false;
  let timer: unknown = null;
  let inFlight = false;
  let again = false;
  let errors = 0;

  function schedule(ms: number) {
    if (stopped || ended || timer !== null) return;
    timer = setTimer(() => {
      timer = null;
      void poll();
    }, ms);
  }

  function cancelTimer() {
    if (timer !== null) {
      clearTimer(timer);
      timer = null;
    }
  }

  async function poll(): Promise<void> {
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    let outcome: PollOutcome;
    try {
      const e = await deps.fetchExport();
      if (stopped) return;
      errors = 0;
      deps.onExport(e);
      outcome = { ok: true, status: e.status };
    } catch (error) {
      if (stopped) return;
      errors += 1;
      deps.onError?.(error);
      outcome = { ok: false, error };
    } finally {
      inFlight = false;
    }
    if (again) {
      again = false;
      cancelTimer();
      void poll();
      return;
    }
    const step = nextPollStep(outcome, errors, policy);
    if (step.action === 'stop') {
      ended = true;
      cancelTimer();
      deps.onStop?.(step.reason, outcome.ok ? undefined : outcome.error);
    } else {
      schedule(step.ms);
    }
  }

  if (deps.immediate === false) schedule(policy.intervalMs);
  else void poll();

  return {
    refresh() {
      if (stopped) return;
      ended = false;
      errors = 0;
      cancelTimer();
      void poll();
    },
    stop() {
      stopped = true;
      cancelTimer();
    },
    get running() {
      return !stopped && !ended;
    },
  };
}
