import { afterEach, describe, expect, it, vi } from 'vitest';
import { boardLoad } from '../components/editor/useStoryboardEdits';
import { withItems } from '../components/editor/useReviewQueue';
import { createFetchTransport, setTransport } from '../transport';
import {
  isRedrawingQueue,
  keys,
  latestRunOptions,
  newerRun,
  readTemplateGraph,
  readThumbnail,
  REDRAW_POLL_MS,
  reviewQueueOptions,
} from './queries';
import { makeQueryClient } from './queryClient';
import type { ReviewItem, ReviewQueue, Run, Storyboard } from './types';

/** Answers each request with `respond(url)`: a body (200 JSON), a status number (an error), or a Blob. */
function install(respond: (url: string) => unknown) {
  const urls: string[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    urls.push(url);
    // As fetch does: an aborted request rejects.
    if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const r = respond(url);
    if (typeof r === 'number') {
      return new Response(JSON.stringify({ error: { code: r === 404 ? 'NOT_FOUND' : 'INTERNAL', message: `status ${r}` } }), {
        status: r,
        headers: { 'Content-Type': 'application/json' },
      });
    }
    if (r instanceof Blob) return new Response(r, { status: 200 });
    return new Response(JSON.stringify(r), { status: 200, headers: { 'Content-Type': 'application/json' } });
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return urls;
}

afterEach(() => setTransport(undefined));

const runAt = (id: string, updated_at: string, status = 'running') => ({ id, updated_at, status, steps: [] }) as unknown as Run;

function item(key: string, decision: ReviewItem['decision'] = null, redraw: ReviewItem['redraw'] = null): ReviewItem {
  return { item_key: key, shot_number: 1, scene_number: 1, decision, redraw } as unknown as ReviewItem;
}
const queue = (items: ReviewItem[], status: ReviewQueue['status'] = 'waiting'): ReviewQueue => ({
  node_run_id: 'n1',
  run_id: 'r1',
  status,
  items,
  approved: 0,
  rejected: 0,
  undecided: items.length,
  unresolved: 0,
});

describe('latest run query', () => {
  it('is null when the version has no run yet', async () => {
    install(() => 404);
    const qc = makeQueryClient();
    expect(await qc.fetchQuery(latestRunOptions(qc, 'p1', 'v1'))).toBeNull();
  });

  it('a re-read never replaces a newer snapshot of the same run (a live event wrote it)', async () => {
    const older = runAt('r1', '2026-03-01T10:00:00Z', 'running');
    const live = runAt('r1', '2026-03-01T10:00:05Z', 'completed');
    const urls = install(() => older);
    const qc = makeQueryClient();
    qc.setQueryData(keys.workflows.latestRun('p1', 'v1'), live);
    expect(await qc.fetchQuery(latestRunOptions(qc, 'p1', 'v1'))).toEqual(live);
    expect(urls).toEqual(['/api/v1/projects/p1/versions/v1/workflow/run']);
  });

  it('a re-read shows a newer snapshot, and another run outright', async () => {
    const qc = makeQueryClient();
    qc.setQueryData(keys.workflows.latestRun('p1', 'v1'), runAt('r1', '2026-03-01T10:00:05Z'));
    install(() => runAt('r1', '2026-03-01T10:00:09Z', 'completed'));
    expect((await qc.fetchQuery(latestRunOptions(qc, 'p1', 'v1')))?.status).toBe('completed');
    install(() => runAt('r2', '2026-03-01T09:00:00Z'));
    expect((await qc.fetchQuery({ ...latestRunOptions(qc, 'p1', 'v1'), staleTime: 0 }))?.id).toBe('r2');
  });

  it('newerRun keeps the later of two snapshots of one run', () => {
    const a = runAt('r1', '2026-03-01T10:00:00Z');
    const b = runAt('r1', '2026-03-01T10:00:01Z');
    expect(newerRun(b, a)).toBe(b);
    expect(newerRun(a, b)).toBe(b);
    expect(newerRun(null, a)).toBe(a);
  });
});

describe('review queue query', () => {
  it('drops a read that lands while decisions are pending, and takes it otherwise', async () => {
    const server = queue([item('s1')]);
    install(() => server);
    const qc = makeQueryClient();
    const shown = queue([item('s1', 'approve')]);
    qc.setQueryData(keys.workflows.review('n1', 'waiting'), shown);
    expect(await qc.fetchQuery(reviewQueueOptions(qc, 'n1', 'waiting', () => true))).toEqual(shown);
    expect(await qc.fetchQuery({ ...reviewQueueOptions(qc, 'n1', 'waiting', () => false), staleTime: 0 })).toEqual(server);
  });

  it('the first read is shown even while decisions are pending (nothing is shown yet)', async () => {
    const server = queue([item('s1')]);
    install(() => server);
    const qc = makeQueryClient();
    expect(await qc.fetchQuery(reviewQueueOptions(qc, 'n1', 'waiting', () => true))).toEqual(server);
  });

  it('a change of the node status is another query (the queue is re-read)', () => {
    expect(keys.workflows.review('n1', 'waiting')).not.toEqual(keys.workflows.review('n1', 'completed'));
  });

  it('is re-read while an open review has shots being redrawn', () => {
    const redrawing = item('s2', 'reject', { status: 'running' } as ReviewItem['redraw']);
    expect(isRedrawingQueue(queue([item('s1'), redrawing]))).toBe(true);
    expect(isRedrawingQueue(queue([item('s1'), redrawing], 'completed'))).toBe(false);
    expect(isRedrawingQueue(queue([item('s1', 'reject', { status: 'failed' } as ReviewItem['redraw'])]))).toBe(false);
    expect(isRedrawingQueue(undefined)).toBe(false);
    expect(REDRAW_POLL_MS).toBe(700);
    const opts = reviewQueueOptions(makeQueryClient(), 'n1', 'waiting', () => false);
    const interval = opts.refetchInterval as (q: { state: { data: ReviewQueue | undefined } }) => number | false;
    expect(interval({ state: { data: queue([redrawing]) } })).toBe(700);
    expect(interval({ state: { data: queue([item('s1')]) } })).toBe(false);
  });

  it('a locally shown queue has its counts recomputed', () => {
    const q = withItems(queue([item('s1'), item('s2')]), [item('s1', 'approve'), item('s2', 'reject')]);
    expect([q.approved, q.rejected, q.undecided]).toEqual([1, 1, 0]);
  });
});

describe('template graph', () => {
  const graph = { nodes: [{ id: 'a' }], edges: [] };
  it('is the run’s exact template version', async () => {
    const urls = install(() => ({ graph }));
    expect(await readTemplateGraph('animatic', 'tv1')).toEqual(graph);
    expect(urls).toEqual(['/api/v1/workflows/templates/animatic/versions/tv1']);
  });

  it('falls back to the template’s current version, then to none', async () => {
    const current = { nodes: [{ id: 'b' }], edges: [] };
    install((url) => (url.includes('/versions/') ? 404 : { current_version: { graph: current } }));
    expect(await readTemplateGraph('animatic', 'gone')).toEqual(current);
    install(() => 500);
    expect(await readTemplateGraph('animatic', 'gone')).toBeNull();
  });

  it('an aborted read is not turned into "no graph"', async () => {
    install(() => ({ graph }));
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(readTemplateGraph('animatic', 'tv1', ctrl.signal)).rejects.toBeTruthy();
  });
});

describe('keyframe thumbnail', () => {
  it('is the stored thumbnail, else the image itself', async () => {
    let urls = install(() => new Blob(['png']));
    expect(await (await readThumbnail('a 1')).text()).toBe('png');
    expect(urls).toEqual(['/api/v1/assets/a%201/thumbnail']);
    urls = install((url) => (url.endsWith('/thumbnail') ? 404 : new Blob(['full'])));
    expect(await (await readThumbnail('a1')).text()).toBe('full');
    expect(urls).toEqual(['/api/v1/assets/a1/thumbnail', '/api/v1/assets/a1/download']);
  });
});

describe('storyboard load', () => {
  const sb = { scenes: [] } as unknown as Storyboard;
  it('keeps the board on screen when a re-read fails; a first read that fails is the error', () => {
    expect(boardLoad({ data: sb, error: new Error('down') })).toEqual({ kind: 'ready', sb });
    expect(boardLoad({ data: undefined, error: new Error('down') })).toEqual({ kind: 'error', message: 'down' });
    expect(boardLoad({ data: undefined, error: null })).toEqual({ kind: 'loading' });
  });
});
