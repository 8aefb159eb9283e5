import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashQuery, parseRoute } from '../lib/route';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import {
  DEFAULT_RETURN_TO,
  isNavigableUrl,
  linkOAuth,
  listOAuthIdentities,
  listOAuthProviders,
  oauthStartUrl,
  parseOAuthDone,
  parseOAuthError,
  returnToFor,
  safeReturnTo,
  sessionFromOAuth,
} from './oauth';

type Call = { url: string; method: string; body: unknown; auth: string | undefined };
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** A browser transport answering from `answers` ("METHOD /path" → body) and recording every call. */
function install(answers: Record<string, unknown>, opts: { baseUrl?: string; token?: string } = {}) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ url, method, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined, auth: headers.Authorization });
    const key = `${method} ${url}`;
    return key in answers ? json(answers[key]) : json({ error_code: 'NOT_FOUND', detail: 'no', retryable: false }, 404);
  });
  const token = opts.token;
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: opts.baseUrl ?? '', fetch, ...(token ? { getToken: () => token } : {}) }));
  return calls;
}

afterEach(() => setTransport(undefined));

describe('OAuth client', () => {
  it('lists the configured providers without credentials, keeping only complete entries', async () => {
    const calls = install({
      'GET /api/v1/auth/oauth/providers': [{ id: 'google', name: 'Google' }, { id: 'oidc', name: 'Company SSO' }, { id: '', name: 'Blank' }, { name: 'No id' }],
    });
    expect(await listOAuthProviders()).toEqual([
      { id: 'google', name: 'Google' },
      { id: 'oidc', name: 'Company SSO' },
    ]);
    expect(calls).toEqual([{ url: '/api/v1/auth/oauth/providers', method: 'GET', body: undefined, auth: undefined }]);
  });

  it('an empty or unexpected providers answer is no providers', async () => {
    install({ 'GET /api/v1/auth/oauth/providers': [] });
    expect(await listOAuthProviders()).toEqual([]);
    install({ 'GET /api/v1/auth/oauth/providers': { items: [{ id: 'google', name: 'Google' }] } });
    expect(await listOAuthProviders()).toEqual([]);
  });

  it('the start address is a navigation to /auth/oauth/{id} with return_to encoded, on the transport’s base', () => {
    install({});
    expect(oauthStartUrl('google', '/#/projects')).toBe('/api/v1/auth/oauth/google?return_to=%2F%23%2Fprojects');
    expect(oauthStartUrl('oidc', '/#/projects/p%201/storyboard')).toBe('/api/v1/auth/oauth/oidc?return_to=%2F%23%2Fprojects%2Fp%25201%2Fstoryboard');
    // An id is one path segment, a return address outside the app becomes the projects list.
    expect(oauthStartUrl('a/b', 'https://evil.example/#/x')).toBe('/api/v1/auth/oauth/a%2Fb?return_to=%2F%23%2Fprojects');
    install({}, { baseUrl: 'https://team.example.com/' });
    expect(oauthStartUrl('google', '/#/credits')).toBe('https://team.example.com/api/v1/auth/oauth/google?return_to=%2F%23%2Fcredits');
  });

  it('linking POSTs /auth/oauth/{id}/link with the session’s token and answers the provider’s address', async () => {
    const calls = install({ 'POST /api/v1/auth/oauth/google/link': { authorize_url: 'https://accounts.google.com/o/oauth2/auth?x=1' } }, { token: 'acc-1' });
    expect(await linkOAuth('google')).toEqual({ authorize_url: 'https://accounts.google.com/o/oauth2/auth?x=1' });
    expect(calls).toEqual([{ url: '/api/v1/auth/oauth/google/link', method: 'POST', body: undefined, auth: 'Bearer acc-1' }]);
  });

  it('lists the linked identities (signed in), normalising what is missing', async () => {
    const calls = install(
      {
        'GET /api/v1/auth/oauth/identities': [
          { provider: 'google', email: 'a@example.com', email_verified: true, created_at: '2026-03-01T10:00:00Z' },
          { provider: 'oidc', email: null, created_at: '2026-03-02T10:00:00Z' },
          { email: 'orphan@example.com' },
        ],
      },
      { token: 'acc-1' },
    );
    expect(await listOAuthIdentities()).toEqual([
      { provider: 'google', email: 'a@example.com', email_verified: true, created_at: '2026-03-01T10:00:00Z' },
      { provider: 'oidc', email: null, email_verified: false, created_at: '2026-03-02T10:00:00Z' },
    ]);
    expect(calls).toEqual([{ url: '/api/v1/auth/oauth/identities', method: 'GET', body: undefined, auth: 'Bearer acc-1' }]);
  });
});

describe('return addresses', () => {
  it('keeps a route of this app, written the router’s way', () => {
    expect(safeReturnTo('/#/projects')).toBe('/#/projects');
    expect(safeReturnTo('/#/projects/abc/runs')).toBe('/#/projects/abc/runs');
    expect(safeReturnTo('/#/account/')).toBe('/#/account');
    expect(safeReturnTo('/#/invite/tok123')).toBe('/#/invite/tok123');
  });

  it('sends anything else to the projects list', () => {
    expect(DEFAULT_RETURN_TO).toBe('/#/projects');
    for (const bad of [
      null,
      '',
      'https://evil.example/#/projects',
      '//evil.example/#/projects',
      'javascript:alert(1)//#/projects',
      '/projects',
      '#/projects',
      '/#//evil.example',
      '/#/no-such-page',
      '/#/sign-in',
      '/#/sign-up?ref=X',
      '/#/oauth/done?access_token=a',
    ]) {
      expect(safeReturnTo(bad), String(bad)).toBe('/#/projects');
    }
  });

  it('a sign-in started on a page returns to that page; from the sign-in pages, to the list', () => {
    expect(returnToFor('#/projects/p1/storyboard')).toBe('/#/projects/p1/storyboard');
    expect(returnToFor('#/credits')).toBe('/#/credits');
    expect(returnToFor('#/sign-in?oauth_error=state')).toBe('/#/projects');
    expect(returnToFor('')).toBe('/#/projects');
  });
});

describe('parseOAuthDone', () => {
  const done = (q: string) => parseOAuthDone(hashQuery(`#/oauth/done?${q}`));

  it('the done route is a route of its own, whatever its query', () => {
    expect(parseRoute('#/oauth/done?access_token=a&refresh_token=b')).toEqual({ name: 'oauth-done' });
  });

  it('takes a complete token pair and the return address', () => {
    expect(done('access_token=acc.x.y&refresh_token=slr_1&expires_in=900&return_to=%2F%23%2Fcredits')).toEqual({
      ok: true,
      tokens: { access_token: 'acc.x.y', refresh_token: 'slr_1', token_type: 'Bearer', expires_in: 900 },
      returnTo: '/#/credits',
    });
    // A plain query string reads the same.
    expect(parseOAuthDone('?access_token=a&refresh_token=b&return_to=/%23/team')).toMatchObject({ ok: true, returnTo: '/#/team' });
  });

  it('refuses a missing or empty token: an error, never half a session', () => {
    for (const q of [
      '',
      'access_token=a',
      'refresh_token=b',
      'access_token=&refresh_token=b',
      'access_token=a&refresh_token=',
      'access_token=%20%20&refresh_token=b',
      'access_token=a%20b&refresh_token=c',
    ]) {
      const r = done(`${q}&expires_in=900&return_to=%2F%23%2Fprojects`);
      expect(r, q).toEqual({ ok: false, error: { code: 'incomplete', message: '' } });
      expect('tokens' in r, q).toBe(false);
    }
  });

  it('refuses an off-site return address: the projects list instead', () => {
    for (const to of ['https://evil.example/', '//evil.example/#/projects', '/elsewhere', 'javascript:alert(1)']) {
      const r = done(`access_token=a&refresh_token=b&return_to=${encodeURIComponent(to)}`);
      expect(r.ok && r.returnTo, to).toBe('/#/projects');
    }
    const none = done('access_token=a&refresh_token=b');
    expect(none.ok && none.returnTo).toBe('/#/projects');
  });

  it('an odd expires_in does not spoil the sign-in', () => {
    const r = done('access_token=a&refresh_token=b&expires_in=soon');
    expect(r.ok && r.tokens.expires_in).toBe(0);
  });

  it('an error on the done address wins over any token', () => {
    expect(done('oauth_error=denied&access_token=a&refresh_token=b')).toEqual({ ok: false, error: { code: 'denied', message: '' } });
  });
});

describe('parseOAuthError', () => {
  it('reads the code and the decoded message', () => {
    const q = hashQuery('#/sign-in?oauth_error=state&oauth_message=The%20sign-in%20expired%3A%20start%20again');
    expect(parseOAuthError(q)).toEqual({ code: 'state', message: 'The sign-in expired: start again' });
    expect(parseOAuthError('oauth_error=unknown_provider')).toEqual({ code: 'unknown_provider', message: '' });
  });

  it('is null without an error; an odd code reads as unknown; the message is plain and short', () => {
    expect(parseOAuthError(hashQuery('#/sign-in'))).toBeNull();
    expect(parseOAuthError('oauth_error=%20&oauth_message=x')).toBeNull();
    expect(parseOAuthError('oauth_error=%3Cscript%3E')?.code).toBe('unknown');
    const long = parseOAuthError(`oauth_error=token&oauth_message=${'a'.repeat(1000)}%0Aend`)!;
    expect(long.message.length).toBe(300);
    expect(long.message).not.toContain('\n');
  });
});

describe('sessionFromOAuth', () => {
  const tokens = { access_token: 'acc-new', refresh_token: 'ref-new', token_type: 'Bearer', expires_in: 900 };
  const me = { id: 'u1', username: 'ann', email: 'a@example.com', display_name: null, role: 'user', is_admin: false, status: 'active', created_at: '2026-01-01T00:00:00Z' };

  it('reads the account with the new access token (not the page’s) and answers like a password sign-in', async () => {
    const pageCalls = install({}, { token: 'acc-old' });
    const seen: { url: string; auth: string | undefined }[] = [];
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      seen.push({ url, auth: ((init?.headers ?? {}) as Record<string, string>).Authorization });
      return json(me);
    });
    const s = await sessionFromOAuth(tokens, fetch);
    expect(seen).toEqual([{ url: '/api/v1/auth/me', auth: 'Bearer acc-new' }]);
    expect(pageCalls).toEqual([]);
    expect(s.user.username).toBe('ann');
    expect(s.tokens).toEqual(tokens);
    expect(s.access_token).toBe('acc-new');
  });

  it('rejects tokens the server does not take', async () => {
    install({});
    const fetch = vi.fn(async () => json({ error_code: 'AUTH_INVALID', detail: 'invalid token', retryable: false }, 401));
    await expect(sessionFromOAuth(tokens, fetch)).rejects.toBeInstanceOf(ApiError);
  });
});

describe('isNavigableUrl', () => {
  it('follows only http(s) addresses', () => {
    expect(isNavigableUrl('https://accounts.google.com/o/oauth2/auth?x=1')).toBe(true);
    expect(isNavigableUrl('http://127.0.0.1:9000/authorize')).toBe(true);
    for (const bad of ['javascript:alert(1)', 'data:text/html,hi', '/relative', '', undefined, 42]) expect(isNavigableUrl(bad), String(bad)).toBe(false);
  });
});
