/**
 * Optimistic edits sent to the server one at a time, in the order they were made. The view shows
 * `next` at once; if the request fails, the view goes back to the state from before the change
 * and `onError` is told (the caller usually re-reads the server too, since later queued changes
 * were built on the failed one).
 */
export interface OpQueue {
  /** Runs `op` after every earlier op has settled (failed ones included). */
  run<T>(op: () => Promise<T>): Promise<T>;
  /** Resolves once everything queued so far has settled. */
  idle(): Promise<void>;
}

export function createOpQueue(): OpQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(op: () => Promise<T>): Promise<T> {
      const result = tail.then(op, op);
      tail = result.catch(() => undefined);
      return result;
    },
    idle() {
      return tail.then(() => undefined);
    },
  };
}

export interface OptimisticChange<S, T> {
  queue: OpQueue;
  /** The state before the change (restored on failure). */
  before: S;
  /** The state to show right away. */
  next: S;
  set: (s: S) => void;
  op: () => Promise<T>;
  onOk?: (result: T) => void;
  onError: (e: unknown) => void;
}

/** Applies `next`, queues `op`; resolves true when it succeeded, false after a rollback. */
export async function optimistic<S, T>(c: OptimisticChange<S, T>): Promise<boolean> {
  c.set(c.next);
  try {
    const r = await c.queue.run(c.op);
    c.onOk?.(r);
    return true;
  } catch (e) {
    c.set(c.before);
    c.onError(e);
    return false;
  }
}
