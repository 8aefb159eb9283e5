import { environmentManager, QueryObserver } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFetchTransport, setTransport } from '../transport';
import { ApiError } from '../transport/errors';
import { generateDeck, generateImage, generateVideo, VIDEO_POLL_MS, videoPollInterval, videoTaskOptions, type VideoStatus, type VideoTask } from './create';
import { bindAccount, publishCreation, publishHistoryOptions, unbindAccount, type Platform, type PublishJob } from './publish';
import { keys } from './queries';
import { makeQueryClient } from './queryClient';
import { PUBLISH_POLL_MS } from '../lib/publish';

type Call = { url: string; method: string; headers: Record<string, string>; body: unknown };

const json = (body: unknown, status = 200) => new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function install(respond: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = {
      url,
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    return respond(call);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

afterEach(() => {
  setTransport(undefined);
  vi.useRealTimers();
  environmentManager.setIsServer(() => typeof window === 'undefined');
});

function task(status: VideoStatus, over: Partial<VideoTask> = {}): VideoTask {
  return {
    task_id: 't1',
    status,
    stage: status === 'completed' ? 'done' : 'running the animatic workflow',
    progress: status === 'completed' ? 1 : 0.4,
    video_url: status === 'completed' ? '/api/v1/creations/c9/file' : null,
    creation_id: status === 'completed' ? 'c9' : null,
    project_id: 'p1',
    credits_used: 0,
    error: status === 'failed' ? 'the export was cancelled' : null,
    created_at: '2026-05-01T10:00:00Z',
    updated_at: '2026-05-01T10:00:00Z',
    ...over,
  };
}

describe('decks and images', () => {
  it('posts the deck with an Idempotency-Key and reads the 201', async () => {
    const calls = install(() => json({ ppt_id: 'c1', creation_id: 'c1', download_url: '/api/v1/creations/c1/file', slide_count: 3, credits_used: 0, creation: { id: 'c1' } }, 201));
    const made = await generateDeck({ topic: 'Launch', outline: ['Why now', 'Core：离线；同步'] }, { idempotencyKey: 'k-1' });
    expect(made.slide_count).toBe(3);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/ppt/generate', body: { topic: 'Launch', outline: ['Why now', 'Core：离线；同步'] } });
    expect(calls[0]!.headers['Idempotency-Key']).toBe('k-1');
  });

  it('rejects a 402 and a 422 with the ApiError (its field, its code)', async () => {
    install(() => json({ detail: 'not enough credits: 3 available, 12 needed', error_code: 'CREDITS_EXCEEDED', retryable: false }, 402));
    await expect(generateImage({ prompt: 'x' })).rejects.toMatchObject({ status: 402, error_code: 'CREDITS_EXCEEDED' });
    install(() => json({ detail: 'size must be WxH', error_code: 'VALIDATION_ERROR', retryable: false, field: 'size' }, 422));
    const e = await generateImage({ prompt: 'x', size: '1x1' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).field).toBe('size');
  });

  it('starts a video task (no Idempotency-Key: each request is a new task)', async () => {
    const calls = install(() => json(task('pending'), 202));
    const started = await generateVideo({ script: 'INT. HALL', workflow: 'animatic', duration: 30 });
    expect(started.status).toBe('pending');
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/video/generate', body: { script: 'INT. HALL', workflow: 'animatic', duration: 30 } });
    expect(calls[0]!.headers['Idempotency-Key']).toBeUndefined();
  });
});

describe('the video poller', () => {
  it('reads again every second until the task is completed or failed', () => {
    expect(videoPollInterval(undefined)).toBe(VIDEO_POLL_MS);
    expect(videoPollInterval({ status: 'pending' })).toBe(1000);
    expect(videoPollInterval({ status: 'processing' })).toBe(1000);
    expect(videoPollInterval({ status: 'completed' })).toBe(false);
    expect(videoPollInterval({ status: 'failed' })).toBe(false);
  });

  for (const end of ['completed', 'failed'] as const) {
    it(`polls GET /video/{id}/status and stops once it is ${end}`, async () => {
      environmentManager.setIsServer(() => false);
      vi.useFakeTimers();
      const answers: VideoStatus[] = ['pending', 'processing', 'processing', end];
      const calls = install(() => json(task(answers.shift() ?? 'processing')));
      const qc = makeQueryClient();
      const seen: VideoStatus[] = [];
      const stop = new QueryObserver(qc, videoTaskOptions('t1')).subscribe((r) => {
        if (r.data && seen.at(-1) !== r.data.status) seen.push(r.data.status);
      });
      try {
        await vi.advanceTimersByTimeAsync(10);
        expect(calls).toHaveLength(1);
        expect(calls[0]!.url).toBe('/api/v1/video/t1/status');
        await vi.advanceTimersByTimeAsync(VIDEO_POLL_MS * 3);
        expect(calls).toHaveLength(4);
        expect(seen).toEqual(['pending', 'processing', end]);
        // Finished: no more reads, however long the screen stays open.
        await vi.advanceTimersByTimeAsync(VIDEO_POLL_MS * 10);
        expect(calls).toHaveLength(4);
        expect(qc.getQueryData<VideoTask>(keys.creations.videoTask('t1'))?.status).toBe(end);
      } finally {
        stop();
      }
    });
  }

  it('stops on an error (a task of another workspace: 404)', async () => {
    environmentManager.setIsServer(() => false);
    vi.useFakeTimers();
    const calls = install(() => json({ detail: 'no such task', error_code: 'NOT_FOUND', retryable: false }, 404));
    const stop = new QueryObserver(makeQueryClient(), videoTaskOptions('nope')).subscribe(() => undefined);
    try {
      await vi.advanceTimersByTimeAsync(VIDEO_POLL_MS * 5);
      expect(calls).toHaveLength(1);
    } finally {
      stop();
    }
  });
});

function job(status: PublishJob['status']): PublishJob {
  return { publish_id: 'p1', created_by: 'u1', title: 'The door', schedule_time: '2026-05-01T10:00:00Z', status, created_at: '2026-05-01T10:00:00Z', items: [] };
}

describe('publishing', () => {
  it('binds with the platform’s fields and puts the bound platform in the cached list', async () => {
    const bound: Platform = { platform: 'douyin', name: '抖音', name_en: 'Douyin', accepts: ['video'], credentials: ['access_token', 'open_id'], can_publish: true, note: '', bound: true, account: 'o1' };
    const calls = install(() => json(bound));
    const qc = makeQueryClient();
    qc.setQueryData(keys.publish.platforms, [{ ...bound, bound: false, account: null }]);
    await bindAccount(qc, 'douyin', { access_token: 'tok', open_id: 'o1' });
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/publish/platforms/bind', body: { platform: 'douyin', credentials: { access_token: 'tok', open_id: 'o1' } } });
    expect(qc.getQueryData<Platform[]>(keys.publish.platforms)?.[0]).toMatchObject({ bound: true, account: 'o1' });
  });

  it('unbinds with DELETE (204) and marks the platform unbound', async () => {
    const calls = install(() => json(null, 204));
    const qc = makeQueryClient();
    qc.setQueryData(keys.publish.platforms, [{ platform: 'wechat', bound: true, account: 'wx1' }]);
    await unbindAccount(qc, 'wechat');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['DELETE /api/v1/publish/platforms/wechat']);
    expect(qc.getQueryData<Platform[]>(keys.publish.platforms)?.[0]).toMatchObject({ bound: false, account: null });
  });

  it('publishes and makes the history stale', async () => {
    const calls = install(() => json(job('pending'), 202));
    const qc = makeQueryClient();
    qc.setQueryData(keys.publish.history({ page: 1, limit: 20 }), { items: [], total: 0, page: 1, limit: 20, totalPages: 0 });
    await publishCreation(qc, { creation_id: 'c1', platforms: ['douyin'] });
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/publish', body: { creation_id: 'c1', platforms: ['douyin'] } });
    expect(qc.getQueryState(keys.publish.history({ page: 1, limit: 20 }))?.isInvalidated).toBe(true);
  });

  it('reads the history again while a job is pending or running, then stops', async () => {
    environmentManager.setIsServer(() => false);
    vi.useFakeTimers();
    const answers: PublishJob['status'][] = ['pending', 'running', 'completed'];
    const calls = install(() => {
      const status = answers.shift() ?? 'completed';
      return json({ items: [job(status)], total: 1, page: 1, limit: 20, totalPages: 1 });
    });
    const stop = new QueryObserver(makeQueryClient(), publishHistoryOptions(1)).subscribe(() => undefined);
    try {
      await vi.advanceTimersByTimeAsync(10);
      expect(calls[0]!.url).toBe('/api/v1/publish/history?page=1&limit=20');
      await vi.advanceTimersByTimeAsync(PUBLISH_POLL_MS * 2);
      expect(calls).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(PUBLISH_POLL_MS * 5);
      expect(calls).toHaveLength(3);
    } finally {
      stop();
    }
  });
});
