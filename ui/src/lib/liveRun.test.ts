import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Run } from '../api/types';
import type { EventStreamHandlers } from '../transport/events';
import { isRunFinished, watchRun, type LiveRunDeps } from './liveRun';

function run(status: Run['status'], n = 0): Run {
  return { id: 'r1', status, progress: n, updated_at: `2026-01-01T00:00:0${n}Z` } as unknown as Run;
}

/** A fetchRun whose answers come from a list (the last one repeats). */
function fetcher(...answers: Run[]) {
  let i = 0;
  return vi.fn(async () => answers[Math.min(i++, answers.length - 1)]!);
}

async function flush() {
  // let the awaited fetch promises settle
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('isRunFinished', () => {
  it('knows the terminal statuses', () => {
    expect(['completed', 'failed', 'cancelled'].every(isRunFinished)).toBe(true);
    expect(['queued', 'running', 'paused', 'waiting_review'].some(isRunFinished)).toBe(false);
  });
});

describe('watchRun with server-sent events', () => {
  function withStream(extra: Partial<LiveRunDeps> = {}) {
    let handlers: EventStreamHandlers | null = null;
    const close = vi.fn();
    const onRun = vi.fn();
    const onMode = vi.fn();
    const fetchRun = extra.fetchRun ?? fetcher(run('running', 1));
    const w = watchRun({
      openStream: (h) => {
        handlers = h;
        return close;
      },
      fetchRun,
      onRun,
      onMode,
      ...extra,
    });
    return { w, handlers: handlers!, close, onRun, onMode, fetchRun };
  }

  it('takes the state event as the run without fetching', () => {
    const { w, handlers, onRun, fetchRun, onMode } = withStream();
    expect(w.mode).toBe('sse');
    expect(onMode).toHaveBeenCalledWith('sse');
    handlers.onEvent({ event: 'state', data: JSON.stringify(run('running', 2)) });
    expect(onRun).toHaveBeenCalledWith(run('running', 2));
    expect(fetchRun).not.toHaveBeenCalled();
  });

  it('refetches once per burst of progress events, after the throttle', async () => {
    const { handlers, fetchRun, onRun } = withStream();
    for (let i = 0; i < 10; i++) handlers.onEvent({ event: 'progress', data: '{}' });
    expect(fetchRun).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(249);
    expect(fetchRun).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchRun).toHaveBeenCalledTimes(1);
    await flush();
    expect(onRun).toHaveBeenCalledWith(run('running', 1));
    // quiet afterwards: no polling while the stream is up
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchRun).toHaveBeenCalledTimes(1);
  });

  it('fetches again after a fetch that was overtaken by new events', async () => {
    let resolve: (r: Run) => void = () => {};
    const fetchRun = vi.fn(() => new Promise<Run>((r) => (resolve = r)));
    const { handlers } = withStream({ fetchRun });
    handlers.onEvent({ event: 'progress', data: '{}' });
    await vi.advanceTimersByTimeAsync(250);
    expect(fetchRun).toHaveBeenCalledTimes(1);
    handlers.onEvent({ event: 'progress', data: '{}' }); // arrives while the fetch is in flight
    resolve(run('running', 1));
    await flush();
    await vi.advanceTimersByTimeAsync(250);
    expect(fetchRun).toHaveBeenCalledTimes(2);
  });

  it('falls back to polling when the stream fails', async () => {
    const { handlers, fetchRun, onMode, w } = withStream({ fetchRun: fetcher(run('running', 1)) });
    handlers.onError();
    expect(w.mode).toBe('poll');
    expect(onMode).toHaveBeenLastCalledWith('poll');
    await flush();
    expect(fetchRun).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchRun).toHaveBeenCalledTimes(2);
  });

  it('stop closes the stream and drops late events', async () => {
    const { w, handlers, close, fetchRun, onRun } = withStream();
    w.stop();
    expect(close).toHaveBeenCalled();
    handlers.onEvent({ event: 'state', data: JSON.stringify(run('running')) });
    handlers.onEvent({ event: 'progress', data: '{}' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(onRun).not.toHaveBeenCalled();
    expect(fetchRun).not.toHaveBeenCalled();
  });
});

describe('watchRun by polling (desktop transport, no EventSource)', () => {
  it('polls every second until the run is finished, and again after refresh()', async () => {
    const fetchRun = fetcher(run('running', 1), run('waiting_review', 2), run('completed', 3), run('running', 4), run('running', 5));
    const onRun = vi.fn();
    const w = watchRun({ openStream: () => null, fetchRun, onRun });
    expect(w.mode).toBe('poll');
    await flush();
    expect(fetchRun).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchRun).toHaveBeenCalledTimes(3);
    expect(onRun).toHaveBeenLastCalledWith(run('completed', 3));
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchRun).toHaveBeenCalledTimes(3); // finished: polling stopped
    w.refresh(); // e.g. after Retry
    await flush();
    expect(fetchRun).toHaveBeenCalledTimes(4);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchRun).toHaveBeenCalledTimes(5); // going again: polling resumed
    w.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchRun).toHaveBeenCalledTimes(5);
  });

  it('keeps polling through errors and reports them', async () => {
    const fetchRun = vi
      .fn<() => Promise<Run>>()
      .mockRejectedValueOnce(new Error('offline'))
      .mockResolvedValue(run('running', 1));
    const onError = vi.fn();
    const onRun = vi.fn();
    watchRun({ openStream: () => null, fetchRun, onRun, onError });
    await flush();
    expect(onError).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(onRun).toHaveBeenCalledWith(run('running', 1));
  });
});
