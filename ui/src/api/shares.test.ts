import { QueryObserver } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import { keys } from './queries';
import { makeQueryClient } from './queryClient';
import { createShare, getShare, listShares, revokeShare, revokeShareLink, sharesPath } from './shares';
import type { Page, Share } from './types';

type Call = { url: string; method: string; body?: unknown };
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** A browser transport answering each "METHOD /path" with `respond`; records every call. */
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

afterEach(() => setTransport(undefined));

const ID = 'q8T0mY1cW3s8Jd2pF6uXaA';

function share(over: Partial<Share> = {}): Share {
  return {
    id: ID,
    url: `https://team.example/share/${ID}`,
    project_id: 'p1',
    project_name: '雨中的约定',
    export_id: 'e1',
    version_id: 'v1',
    include_storyboard: true,
    has_password: false,
    status: 'active',
    created_by: 'u1',
    created_at: '2026-05-01T10:00:00Z',
    expires_at: null,
    revoked_at: null,
    view_count: 0,
    last_viewed_at: null,
    ...over,
  };
}

const pageOf = (items: Share[]): Page<Share> => ({ items, total: items.length, page: 1, limit: 10, totalPages: 1 });

describe('share client', () => {
  it('POSTs the new link’s body to /api/v1/share and returns the link', async () => {
    const calls = install(() => json(share({ has_password: true }), 201));
    const body = { project_id: 'p1', export_id: 'e1', include_storyboard: true, expires_at: '2026-05-08T10:00:00Z', password: 'rain' };
    const made = await createShare(body);
    expect(calls).toEqual([{ url: '/api/v1/share', method: 'POST', body }]);
    expect(made).toMatchObject({ id: ID, has_password: true, status: 'active', view_count: 0 });
  });

  it('lists with the project filter and paging, reads one, and revokes with DELETE', async () => {
    const calls = install((key) => (key.startsWith('GET /api/v1/share?') ? json(pageOf([share({ view_count: 3 })])) : json(share())));
    const page = await listShares({ projectId: 'p 1', page: 2, limit: 10 });
    await listShares();
    await getShare(ID);
    await revokeShare('a/b');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v1/share?project_id=p+1&page=2&limit=10',
      'GET /api/v1/share?page=1&limit=20',
      `GET /api/v1/share/${ID}`,
      'DELETE /api/v1/share/a%2Fb',
    ]);
    expect(calls[3]!.body).toBeUndefined();
    expect(page.items[0]!.view_count).toBe(3);
    expect(sharesPath({ projectId: 'a&b' })).toBe('/api/v1/share?project_id=a%26b&page=1&limit=20');
  });

  it('a refused link is an ApiError naming the field', async () => {
    install(() =>
      json({ detail: 'a share password has 4–128 characters (2 given)', error_code: 'VALIDATION_ERROR', retryable: false, field: 'password' }, 422),
    );
    const err = await createShare({ project_id: 'p1', password: 'ab' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, field: 'password', isValidation: true });
  });
});

describe('revoking through the cache', () => {
  it('sends DELETE, shows the link revoked in the cached list at once, then reads the list again', async () => {
    const revoked = share({ status: 'revoked', revoked_at: '2026-05-02T09:00:00Z', view_count: 7 });
    let listed = [share({ view_count: 7 }), share({ id: 'other', view_count: 1 })];
    const calls = install((key) => {
      if (key.startsWith('GET /api/v1/share?')) return json(pageOf(listed));
      if (key === `DELETE /api/v1/share/${ID}`) {
        listed = [revoked, listed[1]!];
        return json(revoked);
      }
      return json({ detail: 'no', error_code: 'NOT_FOUND', retryable: false }, 404);
    });
    const client = makeQueryClient();
    const q = { projectId: 'p1', page: 1, limit: 10 };
    const observer = new QueryObserver(client, { queryKey: keys.shares.list(q), queryFn: () => listShares(q) });
    const stop = observer.subscribe(() => undefined);
    await vi.waitFor(() => expect(observer.getCurrentResult().data?.items).toHaveLength(2));

    const answer = await revokeShareLink(client, ID);
    expect(answer.status).toBe('revoked');
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([`/api/v1/share/${ID}`]);
    const cached = client.getQueryData<Page<Share>>(keys.shares.list(q))!;
    expect(cached.items.map((s) => s.status)).toEqual(['revoked', 'active']);
    await vi.waitFor(() => expect(calls.filter((c) => c.method === 'GET')).toHaveLength(2));
    stop();
  });

  it('a failed revoke leaves the cached list as it was', async () => {
    install((key) => (key.startsWith('DELETE') ? json({ detail: 'no such link', error_code: 'NOT_FOUND', retryable: false }, 404) : json(pageOf([share()]))));
    const client = makeQueryClient();
    const q = { projectId: 'p1', page: 1, limit: 10 };
    client.setQueryData(keys.shares.list(q), pageOf([share()]));
    await expect(revokeShareLink(client, ID)).rejects.toMatchObject({ status: 404 });
    expect(client.getQueryData<Page<Share>>(keys.shares.list(q))!.items[0]!.status).toBe('active');
  });
});
