/**
 * The desktop's share queue (`/api/v1/remote/shares`): the calls' methods, paths and bodies, the
 * list read again every 2 s only while a share is queued or sending (TanStack Query runs no
 * interval under Node, so the interval is read from the options), and the answers of queue, Send
 * now and Cancel kept in the cached list.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import { keys } from './queries';
import { makeQueryClient } from './queryClient';
import {
  SHARE_QUEUE_POLL_MS,
  cancelQueuedShare,
  cancelShareAndCache,
  listQueuedShares,
  newerQueuedShare,
  putQueuedShare,
  queueShare,
  queueShareAndCache,
  queuePollInterval,
  queuedSharesOptions,
  sendQueuedShare,
  sendShareAndCache,
  type QueuedShare,
} from './remoteShares';
import { queuedShare } from './remoteShares.fixtures';

type Call = { url: string; method: string; body?: unknown };
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const BASE = 'app://localhost';

/** A desktop transport answering each "METHOD /path" with `respond`; records every call. */
function install(respond: (key: string, call: Call) => Response) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = { url: url.replace(BASE, ''), method: init?.method ?? 'GET' };
    if (typeof init?.body === 'string') call.body = JSON.parse(init.body);
    calls.push(call);
    return respond(`${call.method} ${call.url}`, call);
  });
  setTransport(createFetchTransport({ kind: 'desktop', baseUrl: BASE, fetch }));
  return calls;
}

afterEach(() => setTransport(undefined));

const SHARED_URL = 'https://team.example.com/share/s9';


describe('the share queue’s calls', () => {
  it('queues with POST /api/v1/remote/shares and the body as given, answered 202 with the queued share', async () => {
    const calls = install(() => json(queuedShare({ has_password: true }), 202));
    const body = { export_id: 'e1', include_storyboard: false, expires_at: '2026-05-08T10:00:00Z', password: 'rain day' };
    const made = await queueShare(body);
    expect(calls).toEqual([{ url: '/api/v1/remote/shares', method: 'POST', body }]);
    expect(made).toMatchObject({ id: 'q1', status: 'queued', has_password: true });
  });

  it('lists with GET, cancels with DELETE and sends with POST …/send and an empty JSON body (ids encoded)', async () => {
    const calls = install((key) => (key === 'GET /api/v1/remote/shares' ? json([queuedShare()]) : json(queuedShare())));
    expect(await listQueuedShares()).toHaveLength(1);
    await cancelQueuedShare('a/b');
    await sendQueuedShare('a/b');
    expect(calls).toEqual([
      { url: '/api/v1/remote/shares', method: 'GET' },
      { url: '/api/v1/remote/shares/a%2Fb', method: 'DELETE' },
      { url: '/api/v1/remote/shares/a%2Fb/send', method: 'POST', body: {} },
    ]);
  });

  it('not signed in to a team server is a 422 naming `server_url`', async () => {
    install(() => json({ detail: 'sign in to a team server first: links are made there', error_code: 'VALIDATION_ERROR', retryable: false, field: 'server_url' }, 422));
    const err = await queueShare({ export_id: 'e1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, field: 'server_url' });
  });
});

describe('the list, polled while a share moves', () => {
  it('is read again every 2 s while a share is queued or sending, not otherwise', () => {
    const client = makeQueryClient();
    expect(queuedSharesOptions(client).refetchInterval).toBe(queuePollInterval);
    const interval = (list: QueuedShare[]) => {
      client.setQueryData(keys.remote.shares, list);
      return queuePollInterval(client.getQueryCache().find<QueuedShare[]>({ queryKey: keys.remote.shares, exact: true })!);
    };
    expect(SHARE_QUEUE_POLL_MS).toBe(2_000);
    expect(interval([queuedShare({ status: 'shared' }), queuedShare({ id: 'b', status: 'queued' })])).toBe(2_000);
    expect(interval([queuedShare({ status: 'sending' })])).toBe(2_000);
    expect(interval([queuedShare({ status: 'shared' }), queuedShare({ id: 'b', status: 'failed' }), queuedShare({ id: 'c', status: 'cancelled' })])).toBe(false);
    expect(interval([])).toBe(false);
    expect(queuePollInterval({ state: {} })).toBe(false);
  });

  it('each read follows the share as it moves (queued → sending → shared)', async () => {
    const answers: QueuedShare[][] = [
      [queuedShare({ status: 'queued' })],
      [queuedShare({ status: 'sending', updated_at: '2026-05-01T09:00:02Z' })],
      [queuedShare({ status: 'shared', url: SHARED_URL, share_id: 's9', updated_at: '2026-05-01T09:00:04Z' })],
    ];
    const calls = install(() => json(answers[calls.length - 1]));
    const client = makeQueryClient();
    const read = () => client.fetchQuery({ ...queuedSharesOptions(client), staleTime: 0 });
    expect((await read())[0]!.status).toBe('queued');
    expect((await read())[0]!.status).toBe('sending');
    expect((await read())[0]).toMatchObject({ status: 'shared', url: SHARED_URL, share_id: 's9' });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(Array(3).fill('GET /api/v1/remote/shares'));
  });

  it('a read that lands after a newer answer does not undo it', async () => {
    const sent = queuedShare({ status: 'shared', url: SHARED_URL, updated_at: '2026-05-01T09:00:05Z' });
    install(() => json([queuedShare({ status: 'sending', updated_at: '2026-05-01T09:00:01Z' })]));
    const client = makeQueryClient();
    putQueuedShare(client, sent);
    const list = await client.fetchQuery({ ...queuedSharesOptions(client), staleTime: 0 });
    expect(list[0]).toMatchObject({ status: 'shared', url: SHARED_URL });
    expect(newerQueuedShare(sent, queuedShare({ status: 'queued' }))).toBe(sent);
    expect(newerQueuedShare(queuedShare({ id: 'other' }), sent)).toBe(sent);
  });
});

describe('queue, Send now and Cancel through the cache', () => {
  it('a queued share goes first in the cached list; Send now’s and Cancel’s answers replace it', async () => {
    const older = queuedShare({ id: 'older', status: 'shared', url: SHARED_URL });
    const calls = install((key) => {
      if (key === 'POST /api/v1/remote/shares') return json(queuedShare(), 202);
      if (key === 'POST /api/v1/remote/shares/q1/send') return json(queuedShare({ status: 'queued', attempts: 1, last_error: 'offline', updated_at: '2026-05-01T09:00:03Z' }));
      if (key === 'DELETE /api/v1/remote/shares/q1') return json(queuedShare({ status: 'cancelled', updated_at: '2026-05-01T09:00:04Z' }));
      return json([queuedShare(), older]);
    });
    const client = makeQueryClient();
    client.setQueryData(keys.remote.shares, [older]);
    const cached = () => client.getQueryData<QueuedShare[]>(keys.remote.shares)!;

    await queueShareAndCache(client, { export_id: 'e1', include_storyboard: true });
    expect(cached().map((s) => `${s.id}:${s.status}`)).toEqual(['q1:queued', 'older:shared']);

    await sendShareAndCache(client, 'q1');
    expect(cached()[0]).toMatchObject({ id: 'q1', status: 'queued', attempts: 1, last_error: 'offline' });

    await cancelShareAndCache(client, 'q1');
    expect(cached().map((s) => `${s.id}:${s.status}`)).toEqual(['q1:cancelled', 'older:shared']);
    expect(calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /api/v1/remote/shares',
      'POST /api/v1/remote/shares/q1/send',
      'DELETE /api/v1/remote/shares/q1',
    ]);
  });

  it('a refused Send now rejects and marks the list to be read again (it may have moved on)', async () => {
    install(() => json({ detail: 'a sending share is not waiting to be sent', error_code: 'VALIDATION_ERROR', retryable: false, field: 'status' }, 422));
    const client = makeQueryClient();
    client.setQueryData(keys.remote.shares, [queuedShare()]);
    await expect(sendShareAndCache(client, 'q1')).rejects.toMatchObject({ status: 422, field: 'status' });
    expect(client.getQueryState(keys.remote.shares)?.isInvalidated).toBe(true);
  });

  it('a refused Cancel rejects, leaves the cached share as it was and marks the list to be read again', async () => {
    const calls = install(() =>
      json({ detail: 'a shared share cannot become cancelled', error_code: 'VALIDATION_ERROR', retryable: false, field: 'status' }, 422),
    );
    const client = makeQueryClient();
    client.setQueryData(keys.remote.shares, [queuedShare()]);
    expect(client.getQueryState(keys.remote.shares)?.isInvalidated).toBe(false);
    await expect(cancelShareAndCache(client, 'q1')).rejects.toMatchObject({ status: 422, field: 'status' });
    expect(calls).toEqual([{ url: '/api/v1/remote/shares/q1', method: 'DELETE' }]);
    expect(client.getQueryData<QueuedShare[]>(keys.remote.shares)![0]!.status).toBe('queued');
    expect(client.getQueryState(keys.remote.shares)?.isInvalidated).toBe(true);
  });
});
