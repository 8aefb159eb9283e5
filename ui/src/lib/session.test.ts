import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../transport/errors';
import { createFetchTransport } from '../transport/http';
import { createTransport } from '../transport';
import { SESSION_STORAGE_KEY, createSession, isExpiredTokenError, type SessionStorageLike } from './session';

function memoryStorage(init: Record<string, string> = {}): SessionStorageLike & { values: Record<string, string> } {
  const values = { ...init };
  return {
    values,
    getItem: (k) => (k in values ? values[k]! : null),
    setItem: (k, v) => {
      values[k] = v;
    },
    removeItem: (k) => {
      delete values[k];
    },
  };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const EXPIRED = { detail: 'the access token has expired', error_code: 'AUTH_INVALID', retryable: false };
const SUSPENDED = { detail: 'the account is suspended', error_code: 'AUTH_INVALID', retryable: false };

/**
 * A fake server: `valid` is the access token it accepts, `refreshTokens` the refresh tokens it
 * will exchange once each (for a new pair a2/r2, a3/r3, …).
 */
function fakeServer(opts: { valid: string; refreshable: string[]; refreshStatus?: number; stuck?: boolean }) {
  let valid = opts.valid;
  let n = 1;
  const refreshable = new Set(opts.refreshable);
  const log: string[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const auth = (init?.headers as Record<string, string> | undefined)?.Authorization;
    if (url.endsWith('/api/v1/auth/refresh')) {
      const rt = (JSON.parse(init!.body as string) as { refresh_token: string }).refresh_token;
      log.push(`refresh ${rt}`);
      await new Promise((r) => setTimeout(r, 5));
      if (opts.refreshStatus) return json(opts.refreshStatus, { detail: 'busy', error_code: 'X', retryable: true });
      if (!refreshable.delete(rt)) {
        return json(401, { detail: 'the refresh token has been used', error_code: 'AUTH_INVALID', retryable: false });
      }
      n += 1;
      if (!opts.stuck) valid = `a${n}`;
      const access = `a${n}`;
      refreshable.add(`r${n}`);
      return json(200, { access_token: access, refresh_token: `r${n}`, token_type: 'bearer', expires_in: 900, user: {} });
    }
    log.push(`${init?.method} ${url} ${auth ?? '-'}`);
    if (auth === `Bearer ${valid}`) return json(200, { ok: true });
    return json(401, EXPIRED);
  });
  return { fetch, log };
}

describe('isExpiredTokenError', () => {
  it('is a 401 AUTH_INVALID that says expired', () => {
    expect(isExpiredTokenError(new ApiError(401, EXPIRED))).toBe(true);
    expect(isExpiredTokenError(new ApiError(401, SUSPENDED))).toBe(false);
    expect(isExpiredTokenError(new ApiError(401, { ...EXPIRED, error_code: 'AUTH_REQUIRED' }))).toBe(false);
    expect(isExpiredTokenError(new Error('expired'))).toBe(false);
  });
});

describe('session storage', () => {
  it('keeps the pair in storage and reads it back in a new session object', () => {
    const storage = memoryStorage();
    const s = createSession({ storage });
    expect(s.accessToken()).toBeNull();
    s.start({ access_token: 'a1', refresh_token: 'r1' });
    expect(JSON.parse(storage.values[SESSION_STORAGE_KEY]!)).toEqual({ access_token: 'a1', refresh_token: 'r1' });
    expect(createSession({ storage }).accessToken()).toBe('a1');
  });

  it('ignores unreadable stored data and works without storage', () => {
    expect(createSession({ storage: memoryStorage({ [SESSION_STORAGE_KEY]: '{nope' }) }).tokens()).toBeNull();
    const s = createSession({});
    s.start({ access_token: 'a', refresh_token: 'r' });
    expect(s.accessToken()).toBe('a');
  });

  it('end() clears the tokens and tells subscribers once', () => {
    const storage = memoryStorage();
    const s = createSession({ storage });
    const seen = vi.fn();
    s.subscribe(seen);
    s.start({ access_token: 'a', refresh_token: 'r' });
    s.end();
    s.end();
    expect(storage.values[SESSION_STORAGE_KEY]).toBeUndefined();
    expect(seen).toHaveBeenCalledTimes(1);
    expect(seen).toHaveBeenCalledWith({ kind: 'signed-out' });
  });
});

describe('refresh on an expired access token', () => {
  function setup(opts: Parameters<typeof fakeServer>[0]) {
    const server = fakeServer(opts);
    const session = createSession({ storage: memoryStorage(), fetch: server.fetch });
    session.start({ access_token: 'a1', refresh_token: 'r1' });
    const transport = createFetchTransport({
      kind: 'browser',
      baseUrl: '',
      fetch: server.fetch,
      getToken: () => session.accessToken(),
      onUnauthorized: (e, info) => session.handleUnauthorized(e, info),
    });
    const signedOut = vi.fn();
    session.subscribe(signedOut);
    return { server, session, transport, signedOut };
  }

  it('refreshes once, keeps the new pair and retries the request with the new token', async () => {
    const { server, session, transport, signedOut } = setup({ valid: 'a-old', refreshable: ['r1'] });
    await expect(transport.request('GET', '/api/v1/projects')).resolves.toEqual({ ok: true });
    expect(server.log).toEqual(['GET /api/v1/projects Bearer a1', 'refresh r1', 'GET /api/v1/projects Bearer a2']);
    expect(session.tokens()).toEqual({ access_token: 'a2', refresh_token: 'r2' });
    expect(signedOut).not.toHaveBeenCalled();
  });

  it('shares one refresh between concurrent requests (the used refresh token is never sent twice)', async () => {
    const { server, transport } = setup({ valid: 'a-old', refreshable: ['r1'] });
    const results = await Promise.all([
      transport.request('GET', '/api/v1/projects'),
      transport.request('GET', '/api/v1/auth/me'),
      transport.requestBlob('/api/v1/assets/x/file'),
    ]);
    expect(results[0]).toEqual({ ok: true });
    expect(server.log.filter((l) => l.startsWith('refresh'))).toEqual(['refresh r1']);
    expect(server.log.filter((l) => l.endsWith('Bearer a2'))).toHaveLength(3);
  });

  it('signs out and lets the 401 through when the refresh is refused', async () => {
    const { server, session, transport, signedOut } = setup({ valid: 'a-old', refreshable: [] });
    const err = await transport.request('GET', '/api/v1/projects').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(server.log).toEqual(['GET /api/v1/projects Bearer a1', 'refresh r1']);
    expect(session.tokens()).toBeNull();
    expect(signedOut).toHaveBeenCalledWith({ kind: 'rejected', detail: 'the refresh token has been used' });
  });

  it('keeps the session when the refresh gets no answer or a 5xx/429', async () => {
    for (const refreshStatus of [503, 429]) {
      const { session, transport, signedOut } = setup({ valid: 'a-old', refreshable: ['r1'], refreshStatus });
      await expect(transport.request('GET', '/api/v1/projects')).rejects.toBeInstanceOf(ApiError);
      expect(session.tokens()).toEqual({ access_token: 'a1', refresh_token: 'r1' });
      expect(signedOut).not.toHaveBeenCalled();
    }
    const session = createSession({ fetch: async () => Promise.reject(new TypeError('offline')) });
    session.start({ access_token: 'a1', refresh_token: 'r1' });
    await expect(session.refresh()).resolves.toBe(false);
    expect(session.accessToken()).toBe('a1');
  });

  it('does not retry a second time when the retried request is refused too', async () => {
    const { server, transport } = setup({ valid: 'never', refreshable: ['r1'], stuck: true });
    await expect(transport.request('GET', '/api/v1/projects')).rejects.toBeInstanceOf(ApiError);
    expect(server.log).toEqual(['GET /api/v1/projects Bearer a1', 'refresh r1', 'GET /api/v1/projects Bearer a2']);
  });
});

describe('other 401 answers', () => {
  function setup(answer: (url: string) => Response) {
    const session = createSession({ storage: memoryStorage(), fetch: vi.fn() });
    session.start({ access_token: 'a1', refresh_token: 'r1' });
    const signedOut = vi.fn();
    session.subscribe(signedOut);
    const fetch = vi.fn(async (url: string) => answer(url));
    const transport = createFetchTransport({
      kind: 'browser',
      baseUrl: '',
      fetch,
      getToken: () => session.accessToken(),
      onUnauthorized: (e, info) => session.handleUnauthorized(e, info),
    });
    return { session, transport, signedOut, fetch };
  }

  it('a suspended account signs the session out without a refresh', async () => {
    const { session, transport, signedOut, fetch } = setup(() => json(401, SUSPENDED));
    await expect(transport.request('POST', '/api/v1/projects', { name: 'x' })).rejects.toMatchObject({ status: 401 });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(session.tokens()).toBeNull();
    expect(signedOut).toHaveBeenCalledWith({ kind: 'rejected', detail: 'the account is suspended' });
  });

  it('a 401 from a credential check (wrong current password) keeps the session', async () => {
    const { session, transport, signedOut } = setup(() =>
      json(401, { detail: 'wrong password', error_code: 'AUTH_INVALID', retryable: false }),
    );
    await expect(transport.request('POST', '/api/v1/auth/password', {})).rejects.toMatchObject({ status: 401 });
    expect(session.accessToken()).toBe('a1');
    expect(signedOut).not.toHaveBeenCalled();
  });

  it('403 and other errors leave the session alone', async () => {
    const { session, transport } = setup(() => json(403, { detail: 'admins only', error_code: 'FORBIDDEN', retryable: false }));
    await expect(transport.request('GET', '/api/v1/admin/users')).rejects.toMatchObject({ status: 403 });
    expect(session.accessToken()).toBe('a1');
  });
});

describe('createTransport with a session', () => {
  it('sends the session token first, then the stored storyloom.token; desktop sends neither', async () => {
    const calls: string[] = [];
    const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
      calls.push((init?.headers as Record<string, string>).Authorization ?? '-');
      return json(200, {});
    });
    const session = createSession({ storage: memoryStorage() });
    const host = { localStorage: { getItem: (k: string) => (k === 'storyloom.token' ? 'manual' : null) } };
    const t = createTransport(host, fetch, session);
    await t.request('GET', '/api/v1/projects');
    session.start({ access_token: 'a1', refresh_token: 'r1' });
    await t.request('GET', '/api/v1/projects');
    await createTransport({ __TAURI_INTERNALS__: {} }, fetch, session).request('GET', '/api/v1/projects');
    expect(calls).toEqual(['Bearer manual', 'Bearer a1', '-']);
  });
});
