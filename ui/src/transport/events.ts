/**
 * Server-sent events. The API streams a run's progress on `GET /api/v1/workflow-runs/{id}/events`
 * (docs/API-WORKFLOWS.md "Events"). In the browser build that is a same-origin `EventSource`; the
 * desktop shell's app:// scheme cannot carry one (and EventSource cannot send a bearer token), so
 * there `openEventStream` returns null; the desktop follows the shell's Tauri events instead
 * (desktopEvents.ts), and a caller without either polls (see lib/liveRun.ts).
 */

export type Unsubscribe = () => void;

/** One received event: its `event:` name ("message" when it had none) and raw `data:` text. */
export interface ServerEvent {
  event: string;
  data: string;
}

export interface EventStreamHandlers {
  onEvent: (e: ServerEvent) => void;
  /** The connection failed or dropped; the stream is closed when this is called. */
  onError: () => void;
}

/** The bits of the DOM's EventSource the UI uses (so tests can pass a fake). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (e: MessageEvent) => void): void;
  close(): void;
  onerror: ((e: Event) => void) | null;
}

export type EventSourceCtor = new (url: string) => EventSourceLike;

/** The page's EventSource constructor, if it has one. */
export function defaultEventSource(): EventSourceCtor | undefined {
  return typeof globalThis.EventSource === 'function' ? (globalThis.EventSource as unknown as EventSourceCtor) : undefined;
}

/**
 * Opens `url` (null = this transport cannot stream) and forwards the named events. Returns the
 * function that closes it, or null when no stream could be opened. On an error the stream is
 * closed (EventSource would otherwise reconnect by itself, forever) and `onError` is told once.
 */
export function openEventStream(
  url: string | null,
  eventNames: readonly string[],
  handlers: EventStreamHandlers,
  Ctor: EventSourceCtor | undefined = defaultEventSource(),
): Unsubscribe | null {
  if (!url || !Ctor) return null;
  let source: EventSourceLike;
  try {
    source = new Ctor(url);
  } catch {
    return null;
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    source.close();
  };
  for (const name of eventNames) {
    source.addEventListener(name, (e: MessageEvent) => {
      if (!closed) handlers.onEvent({ event: name, data: typeof e.data === 'string' ? e.data : String(e.data) });
    });
  }
  source.onerror = () => {
    if (closed) return;
    close();
    handlers.onError();
  };
  return close;
}
