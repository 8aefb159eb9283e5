import { afterEach, describe, expect, it, vi } from 'vitest';
import { INITIAL_WRITING_STATE, writingStreamReducer } from '../lib/create';
import { createFetchTransport, setTransport } from '../transport';
import {
  creationsPath,
  listTools,
  openAsProject,
  restoreCreationEntry,
  saveCreation,
  streamWriting,
  trashCreation,
  type Creation,
  type CreationItem,
  type WritingStreamEvent,
} from './create';
import { keys } from './queries';
import { makeQueryClient } from './queryClient';
import type { Page } from './types';

const encoder = new TextEncoder();

function sse(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A response whose body sends `chunks`, then ends (`drop: 'error'`: as a connection that fails). */
function streamResponse(chunks: string[], opts: { drop?: 'end' | 'error' } = {}): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (i < chunks.length) ctrl.enqueue(encoder.encode(chunks[i++]!));
      else if (opts.drop === 'error') ctrl.error(new TypeError('network error'));
      else ctrl.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

type Call = { url: string; method: string; headers: Record<string, string>; body: unknown };

function install(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = {
      url,
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    };
    calls.push(call);
    return respond(call);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

afterEach(() => setTransport(undefined));

const creation = (over: Partial<Creation> = {}): Creation => ({
  id: 'c1',
  type: 'writing',
  tool_type: 'video_script',
  title: 'The door',
  content: 'INT. HALL - NIGHT',
  input: {},
  model: 'gpt-x',
  prompt_version: 'builtin:video_script@1',
  credits_used: 3,
  created_by: 'u1',
  created_at: '2026-05-01T10:00:00Z',
  updated_at: '2026-05-01T10:00:00Z',
  deleted_at: null,
  ...over,
});

const item = (over: Partial<CreationItem> = {}): CreationItem => ({
  id: 'c1',
  type: 'writing',
  tool_type: 'video_script',
  title: 'The door',
  content: 'INT. HALL',
  model: 'gpt-x',
  credits_used: 3,
  created_at: '2026-05-01T10:00:00Z',
  updated_at: '2026-05-01T10:00:00Z',
  ...over,
});

async function collect(respond: (call: Call) => Response, signal?: AbortSignal) {
  const calls = install(respond);
  const events: WritingStreamEvent[] = [];
  const opts = signal ? { signal, idempotencyKey: 'key-1' } : { idempotencyKey: 'key-1' };
  const outcome = await streamWriting('video_script', { title: 'The door', keywords: ['door'] }, (e) => events.push(e), opts);
  return { calls, events, outcome, state: events.reduce(writingStreamReducer, INITIAL_WRITING_STATE) };
}

const E = {
  start: sse('start', { creation_id: 'c1', model: 'gpt-x', estimate: 12 }),
  d1: sse('delta', { text: 'INT. HALL' }),
  d2: sse('delta', { text: ' - NIGHT' }),
  restart: sse('restart', { attempt: 2 }),
  done: sse('done', { creation_id: 'c1', content: 'INT. HALL - NIGHT', credits_used: 3, creation: creation() }),
};

describe('streamWriting', () => {
  it('POSTs the request with its Idempotency-Key and reports every event, the text growing', async () => {
    // An event split across chunks, two in one chunk, a keep-alive comment.
    const { calls, events, outcome, state } = await collect(() => streamResponse([E.start.slice(0, 10), E.start.slice(10) + ': keep-alive\n\n', E.d1 + E.d2, E.done]));
    expect(outcome).toBe('completed');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ url: '/api/v1/writing/video_script/generate/stream', method: 'POST', body: { title: 'The door', keywords: ['door'] } });
    expect(calls[0]!.headers['Idempotency-Key']).toBe('key-1');
    expect(calls[0]!.headers.Accept).toContain('text/event-stream');
    expect(events.map((e) => e.type)).toEqual(['begin', 'start', 'delta', 'delta', 'done']);
    expect(state).toMatchObject({ status: 'done', creationId: 'c1', text: 'INT. HALL - NIGHT' });
  });

  it('discards the text on restart', async () => {
    const { state } = await collect(() => streamResponse([E.start, E.d1, E.restart, sse('delta', { text: 'EXT.' })], { drop: 'end' }));
    expect(state).toMatchObject({ status: 'lost', text: 'EXT.', attempt: 2 });
  });

  it('ends on an error event (retryable or not)', async () => {
    const { outcome, state } = await collect(() => streamResponse([E.start, E.d1, sse('error', { code: 'UPSTREAM_FAILED', message: 'the provider failed', retryable: true })]));
    expect(outcome).toBe('error');
    expect(state.error).toEqual({ code: 'UPSTREAM_FAILED', message: 'the provider failed', retryable: true });
  });

  it('reports a request refused before the stream (422) as failed, with its field and status', async () => {
    const { outcome, state } = await collect(() => json({ detail: 'keywords: at most 20', error_code: 'VALIDATION_ERROR', retryable: false, field: 'keywords' }, 422));
    expect(outcome).toBe('failed');
    expect(state.error).toEqual({ code: 'VALIDATION_ERROR', message: 'keywords: at most 20', retryable: false, field: 'keywords', status: 422 });
  });

  it('reports 402 (not enough credits) as failed without a field', async () => {
    const { state } = await collect(() => json({ detail: 'the credits do not cover 12', error_code: 'CREDITS_EXCEEDED', retryable: false }, 402));
    expect(state.error).toMatchObject({ code: 'CREDITS_EXCEEDED', status: 402 });
    expect(state.error?.field).toBeUndefined();
  });

  it('ends lost when the connection drops before done (the server saves it all the same)', async () => {
    const { outcome, state } = await collect(() => streamResponse([E.start, E.d1], { drop: 'error' }));
    expect(outcome).toBe('lost');
    expect(state).toMatchObject({ status: 'lost', text: 'INT. HALL', creationId: 'c1' });
  });

  it('ends cancelled when aborted mid-stream', async () => {
    const ctrl = new AbortController();
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i++ === 0) c.enqueue(encoder.encode(E.start));
        else {
          ctrl.abort();
          c.error(new DOMException('aborted', 'AbortError'));
        }
      },
    });
    const { outcome, events } = await collect(() => new Response(body, { status: 200 }), ctrl.signal);
    expect(outcome).toBe('cancelled');
    expect(events.map((e) => e.type)).toEqual(['begin', 'start', 'cancelled']);
  });
});

describe('creations calls', () => {
  it('builds the list path from the filters', () => {
    expect(creationsPath()).toBe('/api/v1/creations?page=1&limit=20');
    expect(creationsPath({ type: 'writing', toolType: 'video_script', trashed: true, page: 2, limit: 10 })).toBe(
      '/api/v1/creations?type=writing&tool_type=video_script&trashed=true&page=2&limit=10',
    );
    expect(creationsPath({ trashed: false })).toBe('/api/v1/creations?page=1&limit=20');
  });

  it('prices the tools on a model when asked', async () => {
    const calls = install(() => json([]));
    await listTools('m 1');
    await listTools();
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/writing/tools?model_id=m+1', '/api/v1/writing/tools']);
  });

  it('trashes a creation out of the cached lists, and restores it', async () => {
    const calls = install((c) => json(creation(c.method === 'DELETE' ? { deleted_at: '2026-05-02T10:00:00Z' } : {})));
    const qc = makeQueryClient();
    const page: Page<CreationItem> = { items: [item(), item({ id: 'c2' })], total: 2, page: 1, limit: 20, totalPages: 1 };
    qc.setQueryData(keys.creations.list({ page: 1, limit: 20 }), page);
    await trashCreation(qc, 'c1');
    const after = qc.getQueryData<Page<CreationItem>>(keys.creations.list({ page: 1, limit: 20 }));
    expect(after?.items.map((i) => i.id)).toEqual(['c2']);
    expect(after?.total).toBe(1);
    expect(qc.getQueryData<Creation>(keys.creations.one('c1'))?.deleted_at).toBe('2026-05-02T10:00:00Z');
    await restoreCreationEntry(qc, 'c1');
    expect(qc.getQueryData<Creation>(keys.creations.one('c1'))?.deleted_at).toBeNull();
    expect(calls.map((c) => `${c.method} ${c.url}`).filter((s) => !s.startsWith('GET'))).toEqual(['DELETE /api/v1/creations/c1', 'POST /api/v1/creations/c1/restore']);
  });

  it('saves edits (PUT) and opens a video script as a project (POST …/project)', async () => {
    const calls = install((c) => (c.url.endsWith('/project') ? json({ id: 'p9', name: 'The door' }, 201) : json(creation({ content: 'EXT. ROOF' }))));
    const qc = makeQueryClient();
    const saved = await saveCreation(qc, 'c1', { content: 'EXT. ROOF' });
    expect(saved.content).toBe('EXT. ROOF');
    expect(qc.getQueryData<Creation>(keys.creations.one('c1'))?.content).toBe('EXT. ROOF');
    const p = await openAsProject(qc, 'c1');
    expect(p.id).toBe('p9');
    expect(calls.filter((c) => c.method !== 'GET').map((c) => [c.method, c.url, c.body])).toEqual([
      ['PUT', '/api/v1/creations/c1', { content: 'EXT. ROOF' }],
      ['POST', '/api/v1/creations/c1/project', {}],
    ]);
  });
});
