import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import {
  cancelRun,
  continueReview,
  humanSelect,
  decide,
  findLatestRun,
  getLatestRun,
  getReviewQueue,
  getRun,
  getTemplate,
  getTemplateVersion,
  listTemplates,
  pauseRun,
  resumeRun,
  retryRun,
  runEventsPath,
  startRun,
  uploadReplacement,
} from './workflows';

type Call = { url: string; method?: string; body?: unknown; form?: Record<string, string>; contentType?: string };

function install(respond: (call: Call) => Response = () => new Response('{}', { status: 200 })) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = { url, method: init?.method };
    if (init?.body instanceof FormData) {
      call.form = {};
      for (const [k, v] of init.body.entries()) call.form[k] = typeof v === 'string' ? v : `file:${(v as File).name}`;
    } else if (typeof init?.body === 'string') {
      call.body = JSON.parse(init.body);
    }
    if (headers['Content-Type']) call.contentType = headers['Content-Type'];
    calls.push(call);
    return respond(call);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

afterEach(() => setTransport(undefined));

describe('workflow templates client', () => {
  it('uses the documented paths', async () => {
    const calls = install();
    await listTemplates();
    await getTemplate('animatic');
    await getTemplateVersion('animatic', 'animatic@1');
    expect(calls.map(({ url, method }) => ({ url, method }))).toEqual([
      { url: '/api/v1/workflows/templates', method: 'GET' },
      { url: '/api/v1/workflows/templates/animatic', method: 'GET' },
      { url: '/api/v1/workflows/templates/animatic/versions/animatic%401', method: 'GET' },
    ]);
  });
});

describe('workflow runs client', () => {
  it('starts a run with the project, version and template', async () => {
    const calls = install(() => new Response('{"id":"r1"}', { status: 201 }));
    await expect(startRun({ project_id: 'p1', version_id: 'v1', template_id: 'full_production' })).resolves.toEqual({ id: 'r1' });
    expect(calls[0]).toEqual({
      url: '/api/v1/workflow-runs',
      method: 'POST',
      body: { project_id: 'p1', version_id: 'v1', template_id: 'full_production' },
      contentType: 'application/json',
    });
  });

  it('reads and controls runs on the documented paths', async () => {
    const calls = install();
    await getRun('r 1');
    await getLatestRun('p1', 'v1');
    await pauseRun('r1');
    await resumeRun('r1');
    await cancelRun('r1');
    await retryRun('r1');
    expect(calls.map(({ url, method, body }) => ({ url, method, body }))).toEqual([
      { url: '/api/v1/workflow-runs/r%201', method: 'GET', body: undefined },
      { url: '/api/v1/projects/p1/versions/v1/workflow/run', method: 'GET', body: undefined },
      { url: '/api/v1/workflow-runs/r1/pause', method: 'POST', body: undefined },
      { url: '/api/v1/workflow-runs/r1/resume', method: 'POST', body: undefined },
      { url: '/api/v1/workflow-runs/r1/cancel', method: 'POST', body: undefined },
      { url: '/api/v1/workflow/runs/r1/retry', method: 'POST', body: undefined },
    ]);
    expect(runEventsPath('r/1')).toBe('/api/v1/workflow-runs/r%2F1/events');
  });

  it('findLatestRun gives null for a version without runs and throws other errors', async () => {
    install(() => new Response('{"detail":"no run","error_code":"NOT_FOUND","retryable":false}', { status: 404 }));
    await expect(findLatestRun('p1', 'v1')).resolves.toBeNull();
    install(() => new Response('{"detail":"boom","error_code":"INTERNAL","retryable":false}', { status: 500 }));
    await expect(findLatestRun('p1', 'v1')).rejects.toBeInstanceOf(ApiError);
    install(() => new Response('{"id":"r9"}', { status: 200 }));
    await expect(findLatestRun('p1', 'v1')).resolves.toEqual({ id: 'r9' });
  });
});

describe('review client', () => {
  it('reads the queue, decides and continues on the node run', async () => {
    const calls = install();
    await getReviewQueue('n1');
    await decide('n1', { item_key: 's1', decision: 'approve' });
    await decide('n1', { item_key: 's2', decision: 'reject', comment: '更暗一些' });
    await decide('n1', { item_key: 's1', decision: 'unlock' });
    await humanSelect('r1', 'n1', { s1: ['a2'] });
    await continueReview('n1');
    expect(calls.map(({ url, method, body }) => ({ url, method, body }))).toEqual([
      { url: '/api/v1/workflow/node-runs/n1/review/assets', method: 'GET', body: undefined },
      { url: '/api/v1/workflow/node-runs/n1/review/decision', method: 'POST', body: { item_key: 's1', decision: 'approve' } },
      {
        url: '/api/v1/workflow/node-runs/n1/review/decision',
        method: 'POST',
        body: { item_key: 's2', decision: 'reject', comment: '更暗一些' },
      },
      { url: '/api/v1/workflow/node-runs/n1/review/decision', method: 'POST', body: { item_key: 's1', decision: 'unlock' } },
      {
        url: '/api/v1/workflow-runs/r1/actions/human-select',
        method: 'POST',
        body: { node_run_id: 'n1', selections: { s1: ['a2'] } },
      },
      { url: '/api/v1/workflow/node-runs/n1/review/continue', method: 'POST', body: undefined },
    ]);
  });

  it('uploads a replacement as multipart item_key + file', async () => {
    const calls = install();
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'better.png', { type: 'image/png' });
    await uploadReplacement('n1', 's3', file);
    expect(calls[0]).toEqual({
      url: '/api/v1/workflow/node-runs/n1/review/upload',
      method: 'POST',
      form: { item_key: 's3', file: 'file:better.png' },
    });
  });
});
