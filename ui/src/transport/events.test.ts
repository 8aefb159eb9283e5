import { describe, expect, it, vi } from 'vitest';
import { openEventStream, type EventSourceLike } from './events';
import { createFetchTransport } from './http';

class FakeSource implements EventSourceLike {
  static last: FakeSource | null = null;
  listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  onerror: ((e: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSource.last = this;
  }
  addEventListener(type: string, l: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: string) {
    for (const l of this.listeners.get(type) ?? []) l(new MessageEvent(type, { data }));
  }
}

describe('openEventStream', () => {
  it('returns null when the transport cannot stream or there is no EventSource', () => {
    const onEvent = vi.fn();
    expect(openEventStream(null, ['state'], { onEvent, onError: vi.fn() }, FakeSource)).toBeNull();
    expect(openEventStream('/x', ['state'], { onEvent, onError: vi.fn() }, undefined)).toBeNull();
  });

  it('forwards the named events and closes on unsubscribe', () => {
    const onEvent = vi.fn();
    const close = openEventStream('/api/v1/workflow-runs/r1/events', ['state', 'progress'], { onEvent, onError: vi.fn() }, FakeSource)!;
    const src = FakeSource.last!;
    expect(src.url).toBe('/api/v1/workflow-runs/r1/events');
    src.emit('state', '{"id":"r1"}');
    src.emit('progress', '{"type":"progress_update"}');
    src.emit('other', 'ignored');
    expect(onEvent.mock.calls.map((c) => c[0])).toEqual([
      { event: 'state', data: '{"id":"r1"}' },
      { event: 'progress', data: '{"type":"progress_update"}' },
    ]);
    close();
    expect(src.closed).toBe(true);
    src.emit('progress', 'late');
    expect(onEvent).toHaveBeenCalledTimes(2);
  });

  it('closes the source on an error (no endless reconnects) and tells the caller once', () => {
    const onError = vi.fn();
    openEventStream('/e', ['progress'], { onEvent: vi.fn(), onError }, FakeSource);
    const src = FakeSource.last!;
    src.onerror?.(new Event('error'));
    src.onerror?.(new Event('error'));
    expect(src.closed).toBe(true);
    expect(onError).toHaveBeenCalledTimes(1);
  });
});

describe('eventStreamUrl', () => {
  const fetch = vi.fn();
  it('is the same-origin URL in the browser without a token', () => {
    const t = createFetchTransport({ kind: 'browser', baseUrl: '', fetch });
    expect(t.eventStreamUrl('/api/v1/workflow-runs/r1/events')).toBe('/api/v1/workflow-runs/r1/events');
  });
  it('is null on the desktop app:// scheme', () => {
    const t = createFetchTransport({ kind: 'desktop', baseUrl: 'app://localhost', fetch });
    expect(t.eventStreamUrl('/api/v1/workflow-runs/r1/events')).toBeNull();
  });
  it('is null when a bearer token is needed (EventSource cannot send it)', () => {
    const t = createFetchTransport({ kind: 'browser', baseUrl: '', fetch, getToken: () => 'tok' });
    expect(t.eventStreamUrl('/api/v1/workflow-runs/r1/events')).toBeNull();
  });
});

describe('mediaUrl', () => {
  it('gives the desktop the file URL (its bridge answers ranges) and the web build none', () => {
    const fetch = async () => new Response('');
    const desktop = createFetchTransport({ kind: 'desktop', baseUrl: 'app://localhost', fetch });
    expect(desktop.mediaUrl('/api/v1/assets/a1/download')).toBe('app://localhost/api/v1/assets/a1/download');
    const browser = createFetchTransport({ kind: 'browser', baseUrl: '', fetch });
    expect(browser.mediaUrl('/api/v1/assets/a1/download')).toBeNull();
  });
});
