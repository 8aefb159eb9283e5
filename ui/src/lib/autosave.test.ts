import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../transport/errors';
import { AutoSaver, type SaveStatus } from './autosave';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(save: (text: string) => Promise<string>) {
  const states: SaveStatus[] = [];
  const saved: string[] = [];
  const s = new AutoSaver<string>({
    initial: 'A',
    delayMs: 1000,
    save,
    onState: (st) => states.push(st.status),
    onSaved: (_r, text) => saved.push(text),
  });
  return { s, states, saved };
}

describe('AutoSaver', () => {
  it('debounces: one save of the last text after the quiet period', async () => {
    const save = vi.fn(async (t: string) => t);
    const { s, states, saved } = setup(save);
    s.edit('AB');
    await vi.advanceTimersByTimeAsync(500);
    s.edit('ABC');
    await vi.advanceTimersByTimeAsync(999);
    expect(save).not.toHaveBeenCalled();
    expect(s.state.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith('ABC');
    expect(saved).toEqual(['ABC']);
    expect(s.state.status).toBe('saved');
    expect(states).toEqual(['pending', 'pending', 'saving', 'saved']);
    expect(s.dirty).toBe(false);
  });

  it('going back to the saved text needs no save', async () => {
    const save = vi.fn(async (t: string) => t);
    const { s } = setup(save);
    s.edit('AB');
    s.edit('A');
    expect(s.state.status).toBe('saved');
    await vi.advanceTimersByTimeAsync(2000);
    expect(save).not.toHaveBeenCalled();
  });

  it('edits during a save are saved right after it, one save at a time', async () => {
    const first = deferred<string>();
    const save = vi.fn((t: string) => (t === 'AB' ? first.promise : Promise.resolve(t)));
    const { s, saved } = setup(save);
    s.edit('AB');
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.state.status).toBe('saving');
    s.edit('ABC');
    s.edit('ABCD');
    await vi.advanceTimersByTimeAsync(5000);
    expect(save).toHaveBeenCalledTimes(1); // still waiting on the first one
    first.resolve('AB');
    await vi.advanceTimersByTimeAsync(0);
    expect(save.mock.calls.map((c) => c[0])).toEqual(['AB', 'ABCD']);
    expect(saved).toEqual(['AB', 'ABCD']);
    expect(s.state.status).toBe('saved');
  });

  it('a failed save keeps the text, reports the error, and is retried on the next edit', async () => {
    let fail = true;
    const save = vi.fn(async (t: string) => {
      if (fail) throw new ApiError(503, { detail: 'database is busy', error_code: 'SERVICE_UNAVAILABLE', retryable: true });
      return t;
    });
    const { s } = setup(save);
    s.edit('AB');
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.state).toEqual({ status: 'error', error: 'database is busy' });
    expect(s.text).toBe('AB');
    expect(s.dirty).toBe(true);
    // No retry storm: nothing happens until the user does something.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(save).toHaveBeenCalledTimes(1);

    fail = false;
    s.edit('ABC');
    expect(s.state.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1000);
    expect(save).toHaveBeenLastCalledWith('ABC');
    expect(s.state.status).toBe('saved');
  });

  it('flush saves at once (Ctrl+S) and resolves true when saved', async () => {
    const save = vi.fn(async (t: string) => t);
    const { s } = setup(save);
    s.edit('AB');
    await expect(s.flush()).resolves.toBe(true);
    expect(save).toHaveBeenCalledWith('AB');
    await vi.advanceTimersByTimeAsync(5000);
    expect(save).toHaveBeenCalledTimes(1); // the debounce timer was cancelled
  });

  it('flush waits for a running save, then saves what came after', async () => {
    const first = deferred<string>();
    const save = vi.fn((t: string) => (t === 'AB' ? first.promise : Promise.resolve(t)));
    const { s } = setup(save);
    s.edit('AB');
    await vi.advanceTimersByTimeAsync(1000);
    s.edit('ABC');
    const flushed = s.flush();
    first.resolve('AB');
    await expect(flushed).resolves.toBe(true);
    expect(save.mock.calls.map((c) => c[0])).toEqual(['AB', 'ABC']);
  });

  it('flush resolves false when the save fails, and retry() tries again', async () => {
    let fail = true;
    const save = vi.fn(async (t: string) => {
      if (fail) throw new Error('offline');
      return t;
    });
    const { s } = setup(save);
    s.edit('AB');
    await expect(s.flush()).resolves.toBe(false);
    expect(s.state.error).toBe('offline');
    fail = false;
    await expect(s.retry()).resolves.toBe(true);
    expect(s.state.status).toBe('saved');
  });

  it('flush with nothing to save does not call save', async () => {
    const save = vi.fn(async (t: string) => t);
    const { s } = setup(save);
    await expect(s.flush()).resolves.toBe(true);
    expect(save).not.toHaveBeenCalled();
  });

  it('dispose cancels a pending save and stops state callbacks', async () => {
    const save = vi.fn(async (t: string) => t);
    const { s, states } = setup(save);
    s.edit('AB');
    s.dispose();
    await vi.advanceTimersByTimeAsync(2000);
    expect(save).not.toHaveBeenCalled();
    expect(states).toEqual(['pending']);
  });
});

describe('AutoSaver on unmount', () => {
  it('flush then dispose still saves what was typed, even behind a running save', async () => {
    const first = deferred<string>();
    const save = vi.fn((t: string) => (t === 'AB' ? first.promise : Promise.resolve(t)));
    const s = new AutoSaver<string>({ initial: 'A', delayMs: 1000, save });
    s.edit('AB');
    await vi.advanceTimersByTimeAsync(1000);
    s.edit('ABC');
    const done = s.flush();
    s.dispose();
    first.resolve('AB');
    await expect(done).resolves.toBe(true);
    expect(save.mock.calls.map((c) => c[0])).toEqual(['AB', 'ABC']);
  });
});
