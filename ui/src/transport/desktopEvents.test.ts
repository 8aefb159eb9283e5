import { describe, expect, it, vi } from 'vitest';
import { EXPORT_PROGRESS_EVENT, listenExportProgress, openDesktopRunStream, RUN_PROGRESS_EVENT, type ListenFn } from './desktopEvents';
import type { ServerEvent } from './events';

function fakeListen() {
  let handler: ((e: { payload: unknown }) => void) | null = null;
  const unlisten = vi.fn();
  let resolve: (stop: () => void) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const listenFn: ListenFn = (event, h) => {
    expect(event).toBe(RUN_PROGRESS_EVENT);
    handler = h;
    return new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
  };
  return {
    listenFn,
    unlisten,
    emit: (payload: unknown) => handler?.({ payload }),
    subscribed: async () => {
      resolve(unlisten);
      await Promise.resolve();
      await Promise.resolve();
    },
    failed: async () => {
      reject(new Error('no IPC'));
      await Promise.resolve();
      await Promise.resolve();
    },
  };
}

describe('desktop run events', () => {
  it('forwards only this run, asks for a read once subscribed, and unlistens on close', async () => {
    const f = fakeListen();
    const events: ServerEvent[] = [];
    const onError = vi.fn();
    const close = openDesktopRunStream('r1', { onEvent: (e) => events.push(e), onError }, f.listenFn);
    await f.subscribed();
    expect(events).toEqual([{ event: 'progress', data: '' }]);
    f.emit({ run_id: 'r2', progress: 0.5 });
    f.emit({ run_id: 'r1', progress: 0.25, status: 'running' });
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[1]!.data)).toMatchObject({ run_id: 'r1', progress: 0.25 });
    close();
    expect(f.unlisten).toHaveBeenCalledOnce();
    f.emit({ run_id: 'r1', progress: 0.5 });
    expect(events).toHaveLength(2);
    expect(onError).not.toHaveBeenCalled();
  });

  it('reports a failed subscription once so the watcher polls', async () => {
    const f = fakeListen();
    const onError = vi.fn();
    openDesktopRunStream('r1', { onEvent: () => {}, onError }, f.listenFn);
    await f.failed();
    expect(onError).toHaveBeenCalledOnce();
  });

  it('unlistens a subscription that arrives after the stream was closed', async () => {
    const f = fakeListen();
    const close = openDesktopRunStream('r1', { onEvent: () => {}, onError: () => {} }, f.listenFn);
    close();
    await f.subscribed();
    expect(f.unlisten).toHaveBeenCalledOnce();
  });
});

describe('listenExportProgress', () => {
  it('passes on the events of its export only, and stops when unsubscribed', async () => {
    let handler: ((e: { payload: unknown }) => void) | null = null;
    let stopped = 0;
    const listenFn: ListenFn = async (event, h) => {
      expect(event).toBe(EXPORT_PROGRESS_EVENT);
      handler = h;
      return () => {
        stopped += 1;
      };
    };
    const seen: string[] = [];
    let ready = 0;
    const stop = listenExportProgress('e1', () => seen.push('e1'), () => (ready += 1), listenFn);
    await Promise.resolve();
    await Promise.resolve();
    expect(ready).toBe(1);
    handler!({ payload: { export_id: 'e2', status: 'processing' } });
    handler!({ payload: { export_id: 'e1', status: 'processing' } });
    handler!({ payload: null });
    expect(seen).toEqual(['e1']);
    stop();
    expect(stopped).toBe(1);
    handler!({ payload: { export_id: 'e1', status: 'completed' } });
    expect(seen).toEqual(['e1']);
  });
});
