/**
 * Progress streams (render jobs, generation progress, …) — NOT IMPLEMENTED YET.
 *
 * TODO(events): the server side of progress events does not exist yet. When it does, each
 * transport gets an `events` member implementing this interface:
 *   - desktop: Tauri events (`@tauri-apps/api/event` `listen`) forwarded by the shell, or an
 *     SSE stream on the app:// protocol, whichever the shell exposes;
 *   - browser: `EventSource` on `/api/v1/events?topic=…` (with the bearer token passed the way
 *     the server specifies, since EventSource cannot set headers).
 * Until then nothing in the UI subscribes, and there is deliberately no fake implementation.
 */
export interface ProgressEvent<T = unknown> {
  /** e.g. "job.progress", "job.completed" */
  type: string;
  /** the topic the event belongs to, e.g. a job or project id */
  topic: string;
  data: T;
}

export type Unsubscribe = () => void;

export interface EventChannel {
  subscribe<T = unknown>(topic: string, onEvent: (event: ProgressEvent<T>) => void): Unsubscribe;
}
