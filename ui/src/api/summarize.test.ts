import { environmentManager, QueryObserver } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFetchTransport, setTransport } from '../transport';
import { keys } from './queries';
import { makeQueryClient } from './queryClient';
import {
  BATCH_POLL_MS,
  batchOptions,
  INITIAL_STREAM_STATE,
  createBatch,
  docFromEntry,
  docFromStream,
  draftScript,
  getBatch,
  historyPath,
  listHistory,
  parseEventId,
  restoreHistoryEntry,
  streamSummary,
  summarizeForm,
  summarizeUrlPath,
  summaryStreamReducer,
  trashHistoryEntry,
  type BatchJob,
  type HistoryEntry,
  type HistoryItem,
  type StatusData,
  type SummaryData,
  type SummaryStreamEvent,
  type SummaryStreamState,
  type TranscriptData,
} from './summarize';
import type { Page } from './types';

/* ---------- fixtures ---------- */

const transcriptData = (over: Partial<TranscriptData> = {}): TranscriptData => ({
  transcript: '她推开门\n没想到是他',
  segments: [
    { start_ms: 0, end_ms: 2500, text: '她推开门' },
    { start_ms: 2500, end_ms: 6000, text: '没想到是他' },
  ],
  source: 'embedded_subtitles',
  videoFile: { name: 'ep1.mp4', size_bytes: 1024, duration_ms: 6000, sha256: 'ab'.repeat(32), has_audio: true },
  usage: { audio_seconds: 0, asr_calls: 0 },
  ...over,
});

const summaryData = (over: Partial<SummaryData> = {}): SummaryData => ({
  summary: '## Plot\nShe opens the door.',
  mindmap: '- Ep 1\n  - Hook [00:00]',
  beats: [
    { kind: 'hook', start_ms: 0, end_ms: 2500, text: 'She opens the door' },
    { kind: 'reversal', start_ms: 2500, end_ms: 6000, text: 'It is him' },
  ],
  summary_id: 's1',
  mode: 'beats',
  focus: '',
  model: 'gpt-x',
  cached: false,
  usage: { audio_seconds: 0, asr_calls: 0, llm_calls: 1, prompt_tokens: 900, completion_tokens: 200, credits_charged: 3, cached: false },
  ...over,
});

const status = (stage: StatusData['stage'], progress?: number, id: string | null = null): SummaryStreamEvent => ({
  type: 'status',
  id,
  data: progress === undefined ? { stage, message: `${stage}…` } : { stage, message: `${stage}…`, progress },
});

function run(events: SummaryStreamEvent[], from: SummaryStreamState = INITIAL_STREAM_STATE): SummaryStreamState {
  return events.reduce(summaryStreamReducer, from);
}

/* ---------- the reducer ---------- */

describe('summaryStreamReducer', () => {
  it('follows the events in order: stages, transcript, result', () => {
    const states: SummaryStreamState[] = [];
    let s = INITIAL_STREAM_STATE;
    for (const e of [
      { type: 'start' } as const,
      status('fetching', 0.25),
      status('fetching', 0.5),
      status('probing'),
      status('transcribing', 0.1),
      { type: 'transcript_complete', id: 'r:4', data: transcriptData() } as const,
      status('summarizing'),
      { type: 'summary_complete', id: 'r:6', data: summaryData() } as const,
    ]) {
      s = summaryStreamReducer(s, e);
      states.push(s);
    }
    expect(states.map((x) => [x.phase, x.stage, x.progress])).toEqual([
      ['running', null, null],
      ['running', 'fetching', 0.25],
      ['running', 'fetching', 0.5],
      // A new stage without progress empties the bar.
      ['running', 'probing', null],
      ['running', 'transcribing', 0.1],
      ['running', 'transcribing', 0.1],
      ['running', 'summarizing', null],
      ['done', 'summarizing', 1],
    ]);
    expect(s.message).toBe('summarizing…');
    expect(s.transcript?.segments).toHaveLength(2);
    expect(s.result?.summary_id).toBe('s1');
    expect(s.error).toBeNull();
  });

  it('keeps the bar within a stage when a status has no progress, and clamps it to 0–1', () => {
    const s = run([{ type: 'start' }, status('transcribing', 0.4), status('transcribing')]);
    expect(s.progress).toBe(0.4);
    expect(run([{ type: 'start' }, status('fetching', 1.7)]).progress).toBe(1);
    expect(run([{ type: 'start' }, status('fetching', -3)]).progress).toBe(0);
  });

  it('ends on an error event, with its code, and ignores anything after it', () => {
    const s = run([
      { type: 'start' },
      status('subtitles'),
      { type: 'error', id: 'r:2', data: { code: 'NO_TRANSCRIPT', message: 'no subtitles and no speech model', retryable: false } },
      status('summarizing'),
      { type: 'summary_complete', id: 'r:3', data: summaryData() },
    ]);
    expect(s.phase).toBe('error');
    expect(s.error).toEqual({ code: 'NO_TRANSCRIPT', message: 'no subtitles and no speech model', retryable: false });
    expect(s.stage).toBe('subtitles');
    expect(s.result).toBeNull();
  });

  it('shows a cached result (a cache hit is free)', () => {
    const cached = summaryData({ cached: true, usage: { ...summaryData().usage, credits_charged: 0, cached: true, llm_calls: 0 } });
    const s = run([{ type: 'start' }, status('probing'), status('cached'), { type: 'summary_complete', id: 'r:3', data: cached }]);
    expect(s.phase).toBe('done');
    expect(s.stage).toBe('cached');
    expect(s.result?.cached).toBe(true);
    // No transcript event on a cache hit: the result stands on its own.
    expect(s.transcript).toBeNull();
    const doc = docFromStream(s)!;
    expect(doc).toMatchObject({ id: 's1', cached: true, creditsCharged: 0, transcript: [], title: null });
  });

  it('keeps a result once done: late events, a lost stream or a cancel change nothing', () => {
    const done = run([{ type: 'start' }, { type: 'summary_complete', id: 'r:0', data: summaryData() }]);
    for (const late of [
      status('saving', 0.9),
      { type: 'error', id: 'r:9', data: { code: 'INTERNAL', message: 'x', retryable: false } },
      { type: 'lost', reason: 'gone' },
      { type: 'cancelled' },
      { type: 'reconnecting', attempt: 1 },
    ] as SummaryStreamEvent[]) {
      expect(summaryStreamReducer(done, late)).toBe(done);
    }
  });

  it('reports reconnecting, then goes on with the resumed events', () => {
    const s1 = run([{ type: 'start' }, status('transcribing', 0.3), { type: 'reconnecting', attempt: 1 }]);
    expect(s1.phase).toBe('reconnecting');
    expect(s1.reconnects).toBe(1);
    expect(s1.progress).toBe(0.3);
    const s2 = run([status('transcribing', 0.6)], s1);
    expect(s2.phase).toBe('running');
    expect(s2.progress).toBe(0.6);
  });

  it('ends lost (204, 410, dropped for good), failed (refused before the stream) or cancelled', () => {
    expect(run([{ type: 'start' }, { type: 'lost', reason: 'gone' }])).toMatchObject({ phase: 'lost', lost: 'gone' });
    expect(run([{ type: 'start' }, { type: 'lost', reason: 'nothing-left' }])).toMatchObject({ phase: 'lost', lost: 'nothing-left' });
    const failed = run([{ type: 'start' }, { type: 'failed', error: { code: 'VALIDATION_ERROR', message: 'url is required', retryable: false, field: 'url' } }]);
    expect(failed).toMatchObject({ phase: 'error', error: { code: 'VALIDATION_ERROR', field: 'url' } });
    expect(run([{ type: 'start' }, status('fetching'), { type: 'cancelled' }]).phase).toBe('cancelled');
  });

  it('starts afresh on start, and goes back to idle on reset', () => {
    const old = run([{ type: 'start' }, { type: 'error', id: null, data: { code: 'UPSTREAM_FAILED', message: 'x', retryable: true } }]);
    expect(run([{ type: 'start' }], old)).toEqual({ ...INITIAL_STREAM_STATE, phase: 'running' });
    expect(run([{ type: 'reset' }], old)).toBe(INITIAL_STREAM_STATE);
  });
});

/* ---------- the stream client ---------- */

const encoder = new TextEncoder();

function sse(name: string, id: string, data: unknown): string {
  return `event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A response whose body sends `chunks` and then ends (`drop`: as a dropped connection, erroring). */
function streamResponse(chunks: string[], opts: { drop?: 'end' | 'error' } = {}): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (i < chunks.length) {
        ctrl.enqueue(encoder.encode(chunks[i++]!));
      } else if (opts.drop === 'error') {
        ctrl.error(new TypeError('network error'));
      } else {
        ctrl.close();
      }
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

type StreamCall = { url: string; method: string; headers: Record<string, string>; body: unknown };

function installStream(respond: (call: StreamCall, n: number) => Response | Promise<Response>) {
  const calls: StreamCall[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: StreamCall = { url, method: init?.method ?? 'GET', headers: { ...(init?.headers as Record<string, string>) }, body: init?.body };
    calls.push(call);
    return respond(call, calls.length);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

const E = {
  s0: sse('status', 'run7:0', { stage: 'fetching', message: 'Fetching', progress: 0.5 }),
  s1: sse('status', 'run7:1', { stage: 'probing', message: 'Probing' }),
  s2: sse('transcript_complete', 'run7:2', transcriptData()),
  s3: sse('status', 'run7:3', { stage: 'summarizing', message: 'Summarizing' }),
  s4: sse('summary_complete', 'run7:4', summaryData()),
};

afterEach(() => setTransport(undefined));

async function collect(input: Parameters<typeof streamSummary>[0], opts: Parameters<typeof streamSummary>[2] = {}) {
  const events: SummaryStreamEvent[] = [];
  const outcome = await streamSummary(input, (e) => events.push(e), { resumeDelayMs: 0, ...opts });
  return { events, outcome, state: events.reduce(summaryStreamReducer, INITIAL_STREAM_STATE) };
}

const ids = (events: SummaryStreamEvent[]) => events.map((e) => ('id' in e ? `${e.type}@${e.id}` : e.type));

describe('streamSummary', () => {
  it('GETs the stream for an address, with the fields and project_id, and reports every event once', async () => {
    const calls = installStream(() => streamResponse([E.s0, E.s1 + E.s2, E.s3, E.s4]));
    const { events, outcome, state } = await collect({ url: ' https://v.example/ep1.mp4 ', mode: 'beats', focus: ' hooks ', projectId: 'p1' });
    expect(outcome).toBe('completed');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.method).toBe('GET');
    expect(calls[0]!.url).toBe('/api/v1/summarize?url=https%3A%2F%2Fv.example%2Fep1.mp4&mode=beats&focus=hooks&project_id=p1');
    expect(calls[0]!.headers.Accept).toContain('text/event-stream');
    expect(calls[0]!.headers['Last-Event-ID']).toBeUndefined();
    expect(ids(events)).toEqual([
      'start',
      'status@run7:0',
      'status@run7:1',
      'transcript_complete@run7:2',
      'status@run7:3',
      'summary_complete@run7:4',
    ]);
    expect(state.phase).toBe('done');
    expect(state.result?.beats).toHaveLength(2);
  });

  it('resumes a dropped stream with Last-Event-ID and reports no event twice', async () => {
    const calls = installStream((call, n) => {
      // The first connection drops after two events.
      if (n === 1) return streamResponse([E.s0, E.s1], { drop: 'end' });
      // The resumed one: the server sends what came after the id (plus, here, a repeat to be dropped).
      expect(call.headers['Last-Event-ID']).toBe('run7:1');
      return streamResponse([E.s1, E.s2, E.s3, E.s4]);
    });
    const { events, outcome, state } = await collect({ url: 'https://v.example/ep1.mp4', mode: 'beats' });
    expect(outcome).toBe('completed');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.method).toBe('GET');
    expect(calls[1]!.url).toBe(calls[0]!.url);
    expect(calls[1]!.headers['Last-Event-ID']).toBe('run7:1');
    expect(ids(events)).toEqual([
      'start',
      'status@run7:0',
      'status@run7:1',
      'reconnecting',
      'transcript_complete@run7:2',
      'status@run7:3',
      'summary_complete@run7:4',
    ]);
    const serverIds = events.flatMap((e) => ('id' in e ? [e.id] : []));
    expect(new Set(serverIds).size).toBe(serverIds.length);
    expect(state).toMatchObject({ phase: 'done', reconnects: 1 });
  });

  it('resumes after a read that fails mid-event, and after a resume that cannot connect', async () => {
    let n = 0;
    const calls = installStream((call) => {
      n += 1;
      if (n === 1) return streamResponse([E.s0, E.s1, 'event: status\nid: run7:2\ndata: {"sta'], { drop: 'error' });
      if (n === 2) throw new TypeError('Failed to fetch');
      expect(call.headers['Last-Event-ID']).toBe('run7:1');
      return streamResponse([E.s2, E.s3, E.s4]);
    });
    const { events, outcome } = await collect({ url: 'https://v.example/a.mp4' });
    expect(outcome).toBe('completed');
    expect(calls.map((c) => c.headers['Last-Event-ID'] ?? null)).toEqual([null, 'run7:1', 'run7:1']);
    expect(events.filter((e) => e.type === 'reconnecting').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2]);
  });

  it('gives up after two resumes in a row that bring nothing: lost, the summary may be in the history', async () => {
    const calls = installStream((_, n) => (n === 1 ? streamResponse([E.s0], { drop: 'end' }) : streamResponse([], { drop: 'end' })));
    const { outcome, state } = await collect({ url: 'https://v.example/a.mp4' });
    expect(outcome).toBe('lost');
    expect(calls).toHaveLength(3);
    expect(state).toMatchObject({ phase: 'lost', lost: 'dropped', reconnects: 2 });
  });

  it('ends lost on 204 (nothing left) and 410 (gone) when resuming', async () => {
    installStream((_, n) => (n === 1 ? streamResponse([E.s0, E.s1], { drop: 'end' }) : new Response(null, { status: 204 })));
    expect((await collect({ url: 'https://v.example/a.mp4' })).state).toMatchObject({ phase: 'lost', lost: 'nothing-left' });

    installStream((_, n) =>
      n === 1
        ? streamResponse([E.s0], { drop: 'end' })
        : new Response(JSON.stringify({ detail: 'gone', error_code: 'NOT_FOUND', retryable: false }), { status: 410, headers: { 'Content-Type': 'application/json' } }),
    );
    const gone = await collect({ url: 'https://v.example/a.mp4' });
    expect(gone.outcome).toBe('lost');
    expect(gone.state).toMatchObject({ phase: 'lost', lost: 'gone' });
  });

  it('POSTs a file as multipart, and resumes it by GET without sending the file again', async () => {
    const calls = installStream((call, n) => {
      if (n === 1) return streamResponse([E.s0, E.s1], { drop: 'end' });
      expect(call.headers['Last-Event-ID']).toBe('run7:1');
      return streamResponse([E.s2, E.s3, E.s4]);
    });
    const file = new File(['video bytes'], 'ep1.mp4', { type: 'video/mp4' });
    const subtitles = new File(['1\n00:00:00,000 --> 00:00:02,000\nHi\n'], 'ep1.srt');
    const { outcome } = await collect({ file, subtitles, mode: 'detailed', focus: 'twists', projectId: 'p1' });
    expect(outcome).toBe('completed');
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.url).toBe('/api/v1/summarize');
    const form = calls[0]!.body as FormData;
    expect((form.get('file') as File).name).toBe('ep1.mp4');
    expect((form.get('subtitles') as File).name).toBe('ep1.srt');
    expect([form.get('mode'), form.get('focus'), form.get('project_id')]).toEqual(['detailed', 'twists', 'p1']);
    expect(calls[1]).toMatchObject({ method: 'GET', url: '/api/v1/summarize', body: undefined });
  });

  it('reports a request refused before the stream as failed, with the field', async () => {
    installStream(() =>
      new Response(JSON.stringify({ detail: 'url is an http(s) address', error_code: 'VALIDATION_ERROR', retryable: false, field: 'url' }), {
        status: 422,
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    const { outcome, state } = await collect({ url: 'ftp://x' });
    expect(outcome).toBe('failed');
    expect(state.error).toEqual({ code: 'VALIDATION_ERROR', message: 'url is an http(s) address', retryable: false, field: 'url' });
  });

  it('does not resume a connection that dropped before its first event', async () => {
    const calls = installStream(() => streamResponse([': keep-alive\n\n'], { drop: 'end' }));
    const { outcome, state } = await collect({ url: 'https://v.example/a.mp4' });
    expect(outcome).toBe('failed');
    expect(calls).toHaveLength(1);
    expect(state.error?.code).toBe('NETWORK_ERROR');
  });

  it('passes an error event through as the end (nothing charged)', async () => {
    installStream(() => streamResponse([E.s0, sse('error', 'run7:1', { code: 'NO_TRANSCRIPT', message: 'no speech', retryable: false })]));
    const { outcome, state } = await collect({ url: 'https://v.example/a.mp4' });
    expect(outcome).toBe('error');
    expect(state).toMatchObject({ phase: 'error', error: { code: 'NO_TRANSCRIPT' } });
  });

  it('stops when aborted', async () => {
    const ctrl = new AbortController();
    installStream(() => {
      ctrl.abort();
      throw new DOMException('aborted', 'AbortError');
    });
    const { outcome, events } = await collect({ url: 'https://v.example/a.mp4' }, { signal: ctrl.signal });
    expect(outcome).toBe('cancelled');
    expect(events.at(-1)).toEqual({ type: 'cancelled' });
  });

  it('reads ids as run:seq', () => {
    expect(parseEventId('a1b2:7')).toEqual({ run: 'a1b2', seq: 7 });
    expect(parseEventId('x:y:12')).toEqual({ run: 'x:y', seq: 12 });
    expect(parseEventId('nope')).toBeNull();
    expect(parseEventId(null)).toBeNull();
    expect(parseEventId('r:-1')).toBeNull();
  });

  it('builds the GET path and the multipart form from the same fields', () => {
    expect(summarizeUrlPath({ url: 'https://a.example/v', mode: 'brief', focus: '  ' })).toBe('/api/v1/summarize?url=https%3A%2F%2Fa.example%2Fv&mode=brief');
    const form = summarizeForm({ file: new Blob(['x']), mode: 'mindmap' });
    expect((form.get('file') as File).name).toBe('video');
    expect(form.get('mode')).toBe('mindmap');
    expect(form.has('focus')).toBe(false);
  });
});

/* ---------- history and batches ---------- */

type Call = { url: string; method: string; body?: unknown };
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function install(respond: (key: string, call: Call) => Response) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = { url, method: init?.method ?? 'GET' };
    if (typeof init?.body === 'string') call.body = JSON.parse(init.body);
    calls.push(call);
    return respond(`${call.method} ${url}`, call);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

function item(over: Partial<HistoryItem> = {}): HistoryItem {
  return {
    id: 's1',
    title: 'ep1.mp4',
    project_id: 'p1',
    source_url: null,
    source_name: 'ep1.mp4',
    mode: 'beats',
    focus: '',
    model: 'gpt-x',
    transcript_source: 'asr',
    duration_ms: 61_000,
    excerpt: 'She opens the door.',
    beat_count: 2,
    credits_charged: 3,
    cached: false,
    created_at: '2026-05-01T10:00:00Z',
    ...over,
  };
}

function entry(over: Partial<HistoryEntry> = {}): HistoryEntry {
  const d = summaryData();
  return {
    id: 's1',
    title: 'ep1.mp4',
    project_id: 'p1',
    source_url: null,
    source_name: 'ep1.mp4',
    source_sha256: null,
    mode: 'beats',
    focus: '',
    model: 'gpt-x',
    transcript_source: 'asr',
    duration_ms: 6000,
    transcript: transcriptData().segments,
    summary: d.summary,
    mindmap: d.mindmap,
    beats: d.beats,
    usage: d.usage,
    credits_charged: 3,
    cached_from: null,
    created_by: 'u1',
    created_at: '2026-05-01T10:00:00Z',
    deleted_at: null,
    ...over,
  };
}

const pageOf = (items: HistoryItem[]): Page<HistoryItem> => ({ items, total: items.length, page: 1, limit: 20, totalPages: 1 });

function batch(over: Partial<BatchJob> = {}): BatchJob {
  return {
    job_id: 'b1',
    status: 'running',
    progress: 0.5,
    total: 2,
    completed_count: 1,
    failed_count: 0,
    results: [{ index: 0, url: 'https://v.example/1.mp4', summary_id: 's1', credits_charged: 2 }],
    errors: [],
    mode: 'beats',
    focus: '',
    credits_charged: 2,
    created_at: '2026-05-01T10:00:00Z',
    completed_at: null,
    ...over,
  };
}

describe('history and batch calls', () => {
  it('lists a project’s history a page at a time', async () => {
    expect(historyPath({ projectId: 'p 1', page: 2, limit: 8 })).toBe('/api/v1/history?page=2&limit=8&project_id=p+1');
    const calls = install(() => json(pageOf([item()])));
    const page = await listHistory({ projectId: 'p1' });
    expect(calls).toEqual([{ url: '/api/v1/history?page=1&limit=20&project_id=p1', method: 'GET' }]);
    expect(page.items[0]!.beat_count).toBe(2);
  });

  it('asks for a script draft from a summary’s beats', async () => {
    const calls = install(() => json({ title: 'ep1', script: 'INT. ROOM - NIGHT\n\nShe opens the door.' }));
    const d = await draftScript('s/1');
    expect(calls).toEqual([{ url: '/api/v1/history/s%2F1/script', method: 'POST', body: {} }]);
    expect(d.title).toBe('ep1');
  });

  it('trashes an entry out of the cached lists, and restores it', async () => {
    const calls = install((key) => (key.startsWith('DELETE') ? json(entry({ deleted_at: '2026-05-02T00:00:00Z' })) : json(entry())));
    const qc = makeQueryClient();
    qc.setQueryData(keys.summaries.list({ projectId: 'p1' }), pageOf([item(), item({ id: 's2' })]));
    await trashHistoryEntry(qc, 's1');
    const after = qc.getQueryData<Page<HistoryItem>>(keys.summaries.list({ projectId: 'p1' }))!;
    expect(after.items.map((i) => i.id)).toEqual(['s2']);
    expect(after.total).toBe(1);
    await restoreHistoryEntry(qc, 's1');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['DELETE /api/v1/history/s1', 'POST /api/v1/history/s1/restore']);
    expect(qc.getQueryData<HistoryEntry>(keys.summaries.one('s1'))?.deleted_at).toBeNull();
  });

  it('starts a batch and reads it', async () => {
    const calls = install((key) => (key.startsWith('POST') ? json({ job_id: 'b1', count: 2, credits_charged: 0, status: 'pending' }, 202) : json(batch())));
    const created = await createBatch({ urls: ['https://v.example/1.mp4', 'https://v.example/2.mp4'], mode: 'beats', focus: null });
    expect(created).toEqual({ job_id: 'b1', count: 2, credits_charged: 0, status: 'pending' });
    expect((await getBatch('b1')).results).toHaveLength(1);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /api/v1/batch/summarize', 'GET /api/v1/batch/b1']);
    expect(calls[0]!.body).toEqual({ urls: ['https://v.example/1.mp4', 'https://v.example/2.mp4'], mode: 'beats', focus: null });
  });

  it('polls a batch every 2 s while it is pending or running, then stops', async () => {
    // Node has no window, which the query cache takes for a server, where it schedules no polling.
    environmentManager.setIsServer(() => false);
    vi.useFakeTimers();
    try {
      let reads = 0;
      install(() => {
        reads += 1;
        return json(batch(reads < 3 ? { status: reads === 1 ? 'pending' : 'running' } : { status: 'partial', progress: 1, failed_count: 1 }));
      });
      const qc = makeQueryClient();
      // useBatch's options, observed without React.
      const observer = new QueryObserver(qc, batchOptions('b1'));
      const off = observer.subscribe(() => undefined);
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toBe(1);
      await vi.advanceTimersByTimeAsync(BATCH_POLL_MS);
      expect(reads).toBe(2);
      await vi.advanceTimersByTimeAsync(BATCH_POLL_MS);
      expect(reads).toBe(3);
      expect(qc.getQueryData<BatchJob>(keys.summaries.batch('b1'))?.status).toBe('partial');
      await vi.advanceTimersByTimeAsync(BATCH_POLL_MS * 3);
      expect(reads).toBe(3);
      off();
    } finally {
      vi.useRealTimers();
      environmentManager.setIsServer(() => typeof window === 'undefined');
    }
  });

  it('shows a history entry with its whole transcript; a copied one is a cache hit', () => {
    expect(docFromEntry(entry())).toMatchObject({ id: 's1', title: 'ep1.mp4', cached: false, creditsCharged: 3 });
    expect(docFromEntry(entry()).transcript).toHaveLength(2);
    expect(docFromEntry(entry({ cached_from: 's0', credits_charged: 0 })).cached).toBe(true);
  });
});
