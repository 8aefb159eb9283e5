import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import {
  cancelExport,
  downloadStoryboardSheet,
  estimateExport,
  exportEventsPath,
  exportHistoryPath,
  fetchExportFile,
  getExport,
  listExportHistory,
  startExport,
  storyboardSheetPath,
  toApiPath,
} from './export';

type Call = { url: string; method?: string; body?: unknown; headers: Record<string, string> };

function install(respond: (call: Call) => Response = () => new Response('{}', { status: 200 }), opts: { baseUrl?: string; token?: string } = {}) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = { url, method: init?.method, headers: { ...((init?.headers ?? {}) as Record<string, string>) } };
    if (typeof init?.body === 'string') call.body = JSON.parse(init.body);
    calls.push(call);
    return respond(call);
  });
  setTransport(
    createFetchTransport({
      kind: opts.baseUrl ? 'desktop' : 'browser',
      baseUrl: opts.baseUrl ?? '',
      fetch,
      getToken: () => opts.token ?? null,
    }),
  );
  return calls;
}

afterEach(() => setTransport(undefined));

const settings = {
  project_id: 'p1',
  version_id: 'v1',
  resolution: '720p',
  aspect_ratio: '9:16',
  fps: 30,
  format: 'mp4',
  include_subtitles: 'soft',
  transition: 'cut',
  motion: true,
} as const;

describe('export client', () => {
  it('posts the settings to estimate and to start, and returns the answers', async () => {
    const calls = install((c) =>
      c.url.endsWith('/estimate')
        ? new Response(JSON.stringify({ video_length: 12.5, frames: 375 }), { status: 200 })
        : new Response(JSON.stringify({ id: 'e1', status: 'queued' }), { status: 202 }),
    );
    await expect(estimateExport(settings)).resolves.toEqual({ video_length: 12.5, frames: 375 });
    await expect(startExport(settings)).resolves.toEqual({ id: 'e1', status: 'queued' });
    expect(calls.map(({ url, method, body }) => ({ url, method, body }))).toEqual([
      { url: '/api/v1/export/estimate', method: 'POST', body: settings },
      { url: '/api/v1/export', method: 'POST', body: settings },
    ]);
    expect(calls[0]!.headers['Content-Type']).toBe('application/json');
  });

  it('reads, cancels and lists exports on the documented paths', async () => {
    const calls = install(() => new Response('{"items":[],"total":0,"page":1,"limit":20,"totalPages":0}', { status: 200 }));
    await getExport('e 1');
    await cancelExport('e1');
    await listExportHistory({ projectId: 'p1', page: 2, limit: 10 });
    await listExportHistory();
    expect(calls.map(({ url, method }) => `${method} ${url}`)).toEqual([
      'GET /api/v1/export/e%201',
      'POST /api/v1/export/e1/cancel',
      'GET /api/v1/export/history?project_id=p1&page=2&limit=10',
      'GET /api/v1/export/history?page=1&limit=20',
    ]);
    expect(exportHistoryPath({ projectId: 'a&b' })).toBe('/api/v1/export/history?project_id=a%26b&page=1&limit=20');
    expect(exportEventsPath('e/1')).toBe('/api/v1/export/e%2F1/events');
    expect(storyboardSheetPath('p1', 'v 2')).toBe('/api/v1/projects/p1/versions/v%202/storyboard.pdf');
  });

  it('turns a 422 into an ApiError naming the field', async () => {
    install(
      () =>
        new Response(JSON.stringify({ detail: 'unknown resolution "8k"', error_code: 'VALIDATION_ERROR', retryable: false, field: 'resolution' }), {
          status: 422,
        }),
    );
    const err = await estimateExport({ project_id: 'p1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, field: 'resolution', detail: 'unknown resolution "8k"', isValidation: true });
  });

  it('a 409 on cancel (already finished) is an ApiError with the status', async () => {
    install(() => new Response(JSON.stringify({ detail: 'the export has finished', error_code: 'CONFLICT', retryable: false }), { status: 409 }));
    await expect(cancelExport('e1')).rejects.toMatchObject({ status: 409, error_code: 'CONFLICT' });
  });
});

describe('export files through the transport', () => {
  it('fetches the video as a Blob from the transport’s base, with the bearer token', async () => {
    const bytes = new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112]); // ....ftyp
    const calls = install(() => new Response(bytes, { status: 200, headers: { 'content-type': 'video/mp4' } }), {
      baseUrl: 'app://localhost',
      token: 'tok',
    });
    const blob = await fetchExportFile('/api/v1/assets/a1/download');
    expect(blob.type).toBe('video/mp4');
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
    expect(calls[0]).toMatchObject({ url: 'app://localhost/api/v1/assets/a1/download', method: 'GET' });
    expect(calls[0]!.headers.Authorization).toBe('Bearer tok');
    expect(calls[0]!.headers.Accept).toBe('*/*');
  });

  it('downloads the storyboard sheet as a PDF Blob', async () => {
    const calls = install(() => new Response('%PDF-1.7\n', { status: 200, headers: { 'content-type': 'application/pdf' } }));
    const blob = await downloadStoryboardSheet('p1', 'v1');
    expect(await blob.text()).toBe('%PDF-1.7\n');
    expect(calls[0]!.url).toBe('/api/v1/projects/p1/versions/v1/storyboard.pdf');
  });

  it('a failed file fetch is an ApiError with the server’s detail, not a Blob of the error page', async () => {
    install(() => new Response(JSON.stringify({ detail: 'no such asset', error_code: 'NOT_FOUND', retryable: false }), { status: 404 }));
    await expect(fetchExportFile('/api/v1/assets/zz/download')).rejects.toMatchObject({ status: 404, detail: 'no such asset', isNotFound: true });
  });

  it('a file fetch that gets no answer is a network ApiError', async () => {
    setTransport(
      createFetchTransport({
        kind: 'browser',
        baseUrl: '',
        fetch: async () => {
          throw new TypeError('Failed to fetch');
        },
      }),
    );
    await expect(fetchExportFile('/api/v1/assets/a1/download')).rejects.toMatchObject({ status: 0, error_code: 'NETWORK_ERROR' });
  });

  it('toApiPath keeps paths and reduces absolute URLs to path + query', () => {
    expect(toApiPath('/api/v1/assets/a1/download')).toBe('/api/v1/assets/a1/download');
    expect(toApiPath('http://127.0.0.1:8080/api/v1/assets/a1/download?x=1')).toBe('/api/v1/assets/a1/download?x=1');
    expect(toApiPath('api/v1/assets/a1/download')).toBe('/api/v1/assets/a1/download');
  });
});
