import { describe, expect, it, vi } from 'vitest';
import { createOpQueue, optimistic } from './optimistic';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createOpQueue', () => {
  it('runs ops one at a time, in order', async () => {
    const q = createOpQueue();
    const log: string[] = [];
    const d1 = deferred<string>();
    const p1 = q.run(async () => {
      log.push('start 1');
      const v = await d1.promise;
      log.push('end 1');
      return v;
    });
    const p2 = q.run(async () => {
      log.push('start 2');
      return 'two';
    });
    await Promise.resolve();
    expect(log).toEqual(['start 1']);
    d1.resolve('one');
    await expect(p1).resolves.toBe('one');
    await expect(p2).resolves.toBe('two');
    expect(log).toEqual(['start 1', 'end 1', 'start 2']);
  });

  it('a failed op rejects its own promise but does not stop the next', async () => {
    const q = createOpQueue();
    const p1 = q.run(async () => {
      throw new Error('boom');
    });
    const p2 = q.run(async () => 2);
    await expect(p1).rejects.toThrow('boom');
    await expect(p2).resolves.toBe(2);
    await expect(q.idle()).resolves.toBeUndefined();
  });
});

describe('optimistic', () => {
  it('shows the new state at once and keeps it on success', async () => {
    const states: string[] = [];
    const onOk = vi.fn();
    const ok = await optimistic({
      queue: createOpQueue(),
      before: 'A B',
      next: 'B A',
      set: (s) => states.push(s),
      op: async () => 'server copy',
      onOk,
      onError: () => {},
    });
    expect(ok).toBe(true);
    expect(states).toEqual(['B A']);
    expect(onOk).toHaveBeenCalledWith('server copy');
  });

  it('rolls back to the state before the change and reports the error', async () => {
    const states: string[] = [];
    const onError = vi.fn();
    const ok = await optimistic({
      queue: createOpQueue(),
      before: 'A B',
      next: 'B A',
      set: (s) => states.push(s),
      op: async () => {
        throw new Error('409 conflict');
      },
      onError,
    });
    expect(ok).toBe(false);
    expect(states).toEqual(['B A', 'A B']);
    expect(onError).toHaveBeenCalledWith(new Error('409 conflict'));
  });

  it('queued changes go out in order even when the first is slow', async () => {
    const q = createOpQueue();
    const sent: string[] = [];
    const slow = deferred<void>();
    const first = optimistic({
      queue: q,
      before: 0,
      next: 1,
      set: () => {},
      op: async () => {
        await slow.promise;
        sent.push('move 1');
      },
      onError: () => {},
    });
    const second = optimistic({
      queue: q,
      before: 1,
      next: 2,
      set: () => {},
      op: async () => {
        sent.push('move 2');
      },
      onError: () => {},
    });
    slow.resolve();
    await Promise.all([first, second]);
    expect(sent).toEqual(['move 1', 'move 2']);
  });
});
