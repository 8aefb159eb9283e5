/**
 * Live progress in the desktop app. The shell (src-tauri/src/main.rs) emits every run's progress
 * as the Tauri event `run-progress`, with the same payload as the server's SSE `progress` event
 * (docs/API-WORKFLOWS.md "Events"), so the desktop UI follows a run by events instead of polling.
 */
import { listen } from '@tauri-apps/api/event';
import type { EventStreamHandlers, Unsubscribe } from './events';

export const RUN_PROGRESS_EVENT = 'run-progress';
/** The shell's export progress (the payload of the server's export SSE: `ExportEvent`). */
export const EXPORT_PROGRESS_EVENT = 'export-progress';

/** Tauri's `listen`, or a stand-in in tests. */
export type ListenFn = (event: string, handler: (e: { payload: unknown }) => void) => Promise<() => void>;

/**
 * Forwards `run-progress` events of one run as `progress` server events. Once subscribed it sends
 * one empty `progress` event, so the watcher reads the current state after the subscription
 * (nothing between the two is missed), as the SSE stream's first `state` event does. A failed
 * subscription closes the stream and calls `onError` (the watcher then polls).
 */
export function openDesktopRunStream(runId: string, handlers: EventStreamHandlers, listenFn: ListenFn = listen): Unsubscribe {
  let closed = false;
  let unlisten: (() => void) | null = null;
  listenFn(RUN_PROGRESS_EVENT, (e) => {
    if (closed) return;
    const payload = e.payload as { run_id?: unknown } | null;
    if (payload && payload.run_id === runId) handlers.onEvent({ event: 'progress', data: JSON.stringify(payload) });
  }).then(
    (stop) => {
      if (closed) {
        stop();
        return;
      }
      unlisten = stop;
      handlers.onEvent({ event: 'progress', data: '' });
    },
    () => {
      if (closed) return;
      closed = true;
      handlers.onError();
    },
  );
  return () => {
    if (closed) return;
    closed = true;
    unlisten?.();
  };
}

/**
 * Calls `onProgress` for each `export-progress` event of one export (the dialog then reads the
 * export at once instead of waiting for its next poll). `onReady` says the subscription holds, so
 * the caller may poll rarely; a failed subscription leaves the caller polling as before.
 */
export function listenExportProgress(
  exportId: string,
  onProgress: () => void,
  onReady: () => void,
  listenFn: ListenFn = listen,
): Unsubscribe {
  let closed = false;
  let unlisten: (() => void) | null = null;
  listenFn(EXPORT_PROGRESS_EVENT, (e) => {
    const payload = e.payload as { export_id?: unknown } | null;
    if (!closed && payload && payload.export_id === exportId) onProgress();
  }).then(
    (stop) => {
      if (closed) return stop();
      unlisten = stop;
      onReady();
    },
    () => undefined,
  );
  return () => {
    closed = true;
    unlisten?.();
  };
}
