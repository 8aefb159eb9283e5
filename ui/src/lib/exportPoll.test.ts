import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Export } from '../api/types';
import { ApiError } from '../transport';
import { DEFAULT_POLL_POLICY, isTransientPollError, nextPollStep, watchExport } from './exportPoll';

function exp(status: Export['status'], progress = 0): Export {
  return { id: 'e1', status, progress } as unknown as Export;
}

function apiError(status: number, extra: { retryable?: boolean; retry_after?: number } = {}) {
  return new ApiError(status, { detail: `HTTP ${status}`, error_code: 'X', retryable: extra.retryable ?? false, ...extra });
}

async function flush() {
  for (let i = 0; i < 6; i++) await Promise.resolve();
}

describe('nextPollStep', () => {
  const policy = { intervalMs: 500, maxBackoffMs: 4000, maxErrors: 5 };

  it('polls again after the interval while the export runs', () => {
    expect(nextPollStep({ ok: true, status: 'queued' }, 0, policy)).toEqual({ action: 'wait', ms: 500 });
    expect(nextPollStep({ ok: true, status: 'processing' }, 0, policy)).toEqual({ action: 'wait', ms: 500 });
  });

  it('stops when the export has finished', () => {
    for (const s of ['completed', 'failed', 'cancelled']) {
      expect(nextPollStep({ ok: true, status: s }, 0, policy)).toEqual({ action: 'stop', reason: 'finished' });
    }
  });

  it('stops on a 404 (the export is gone) and on errors a retry cannot fix', () => {
    expect(nextPollStep({ ok: false, error: apiError(404) }, 1, policy)).toEqual({ action: 'stop', reason: 'gone' });
    expect(nextPollStep({ ok: false, error: apiError(401) }, 1, policy)).toEqual({ action: 'stop', reason: 'error' });
    expect(nextPollStep({ ok: false, error: apiError(403) }, 1, policy)).toEqual({ action: 'stop', reason: 'error' });
  });

  it('backs off exponentially on transient errors, capped, then gives up', () => {
    const net = { ok: false as const, error: apiError(0, { retryable: true }) };
    expect(nextPollStep(net, 1, policy)).toEqual({ action: 'wait', ms: 500 });
    expect(nextPollStep(net, 2, policy)).toEqual({ action: 'wait', ms: 1000 });
    expect(nextPollStep(net, 3, policy)).toEqual({ action: 'wait', ms: 2000 });
    expect(nextPollStep(net, 4, policy)).toEqual({ action: 'wait', ms: 4000 });
    expect(nextPollStep(net, 5, policy)).toEqual({ action: 'stop', reason: 'error' });
    expect(nextPollStep({ ok: false, error: apiError(503) }, 2, policy)).toEqual({ action: 'wait', ms: 1000 });
  });

  it('waits at least the server’s retry_after on a 429', () => {
    expect(nextPollStep({ ok: false, error: apiError(429, { retry_after: 3 }) }, 1, policy)).toEqual({ action: 'wait', ms: 3000 });
  });

  it('classifies errors', () => {
    expect(isTransientPollError(new TypeError('Failed to fetch'))).toBe(true);
    expect(isTransientPollError(apiError(502))).toBe(true);
    expect(isTransientPollError(apiError(408))).toBe(true);
    expect(isTransientPollError(apiError(409))).toBe(false);
    expect(isTransientPollError(apiError(400, { retryable: true }))).toBe(true);
  });

  it('uses the documented 500 ms by default', () => {
    expect(DEFAULT_POLL_POLICY.intervalMs).toBe(500);
  });
});

describe('watchExport', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls every 500 ms until the export completes, then stops by itself', async () => {
    const answers = [exp('processing', 0.2), exp('processing', 0.7), exp('completed', 1)];
    let i = 0;
    const fetchExport = vi.fn(async () => answers[Math.min(i++, answers.length - 1)]!);
    const onExport = vi.fn();
    const onStop = vi.fn();
    const w = watchExport({ fetchExport, onExport, onStop, immediate: false });

    expect(fetchExport).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(499);
    expect(fetchExport).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchExport).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(500);
    await vi.advanceTimersByTimeAsync(500);
    expect(onExport.mock.calls.map((c) => (c[0] as Export).status)).toEqual(['processing', 'processing', 'completed']);
    expect(onStop).toHaveBeenCalledExactlyOnceWith('finished', undefined);
    expect(w.running).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchExport).toHaveBeenCalledTimes(3);
  });

  it('polls right away when asked, one request at a time', async () => {
    let resolve: (e: Export) => void = () => {};
    const fetchExport = vi.fn(() => new Promise<Export>((r) => (resolve = r)));
    const w = watchExport({ fetchExport, onExport: () => {}, immediate: true });
    expect(fetchExport).toHaveBeenCalledTimes(1);
    w.refresh(); // while one is in flight: queued, not a second request
    await vi.advanceTimersByTimeAsync(2000);
    expect(fetchExport).toHaveBeenCalledTimes(1);
    resolve(exp('processing'));
    await flush();
    expect(fetchExport).toHaveBeenCalledTimes(2); // the queued refresh
    w.stop();
  });

  it('stop() ends polling and drops answers that arrive afterwards', async () => {
    let resolve: (e: Export) => void = () => {};
    const fetchExport = vi.fn(() => new Promise<Export>((r) => (resolve = r)));
    const onExport = vi.fn();
    const onStop = vi.fn();
    const w = watchExport({ fetchExport, onExport, onStop });
    w.stop();
    resolve(exp('processing'));
    await flush();
    await vi.advanceTimersByTimeAsync(5000);
    expect(onExport).not.toHaveBeenCalled();
    expect(onStop).not.toHaveBeenCalled();
    expect(fetchExport).toHaveBeenCalledTimes(1);
    expect(w.running).toBe(false);
  });

  it('reports errors, backs off, and recovers', async () => {
    const answers: (Export | Error)[] = [apiError(0, { retryable: true }), apiError(503), exp('processing', 0.5), exp('completed', 1)];
    let i = 0;
    const fetchExport = vi.fn(async () => {
      const a = answers[Math.min(i++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    });
    const onError = vi.fn();
    const onExport = vi.fn();
    const onStop = vi.fn();
    watchExport({ fetchExport, onExport, onError, onStop });
    await flush();
    expect(onError).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(500); // 1st error: 500 ms
    expect(fetchExport).toHaveBeenCalledTimes(2);
    expect(onError).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(999); // 2nd error: 1000 ms
    expect(fetchExport).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(onExport).toHaveBeenCalledWith(exp('processing', 0.5));
    await vi.advanceTimersByTimeAsync(500); // back to the interval after a success
    expect(onStop).toHaveBeenCalledWith('finished', undefined);
  });

  it('stops on a 404 and can be restarted with refresh()', async () => {
    const answers: (Export | Error)[] = [apiError(404), exp('processing')];
    let i = 0;
    const fetchExport = vi.fn(async () => {
      const a = answers[Math.min(i++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    });
    const onStop = vi.fn();
    const onExport = vi.fn();
    const w = watchExport({ fetchExport, onExport, onStop });
    await flush();
    expect(onStop).toHaveBeenCalledWith('gone', expect.any(ApiError));
    expect(w.running).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchExport).toHaveBeenCalledTimes(1);
    w.refresh();
    await flush();
    expect(onExport).toHaveBeenCalledWith(exp('processing'));
    expect(w.running).toBe(true);
    w.stop();
  });

  it('gives up after too many errors in a row', async () => {
    const fetchExport = vi.fn(async () => {
      throw apiError(502);
    });
    const onStop = vi.fn();
    watchExport({ fetchExport, onExport: () => {}, onStop, policy: { intervalMs: 100, maxBackoffMs: 200, maxErrors: 3 } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchExport).toHaveBeenCalledTimes(3);
    expect(onStop).toHaveBeenCalledExactlyOnceWith('error', expect.any(ApiError));
  });
});
