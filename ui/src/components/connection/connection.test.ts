import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkConnection, getConnection, signIn, signOut, type ConnectionStatus } from '../../api/remote';
import { ApiError, createFetchTransport, setTransport } from '../../transport';
import { badgeView, hostOf, initialForm, needsFirstCheck, signInError, validateConnectionForm, validateServerUrl } from './connection';
import { status } from './fixtures';
import { currentConnection, refreshConnection, resetConnectionStore, subscribeConnection } from './store';

const signedIn = (over: Partial<ConnectionStatus> = {}) =>
  status({
    state: 'connected',
    server_url: 'https://team.example.com:8443',
    username: 'alice',
    checked_at: '2026-02-08T10:00:00.000Z',
    message: 'Connected to team.example.com:8443 as alice.',
    ...over,
  });

describe('badge', () => {
  it('says what each state means', () => {
    expect(badgeView(null)).toMatchObject({ tone: 'local', text: 'Offline · local' });
    expect(badgeView(status())).toMatchObject({ tone: 'local', text: 'Offline · local' });
    expect(badgeView(signedIn())).toMatchObject({ tone: 'ok', text: 'Connected to team.example.com:8443 as alice' });
    expect(badgeView(signedIn({ state: 'unreachable', message: 'Cannot reach …' }))).toEqual({
      tone: 'warn',
      text: 'Server unreachable',
      title: 'Cannot reach …',
    });
    expect(badgeView(signedIn({ state: 'session_expired' }))).toMatchObject({ tone: 'error', text: 'Session expired' });
  });

  it('hosts for people', () => {
    expect(hostOf('http://127.0.0.1:8080')).toBe('127.0.0.1:8080');
    expect(hostOf('https://team.example.com/storyloom')).toBe('team.example.com');
    expect(hostOf(null)).toBe('');
    expect(hostOf('not a url')).toBe('not a url');
  });

  it('asks the server once after start only when signed in and unchecked', () => {
    expect(needsFirstCheck(null)).toBe(false);
    expect(needsFirstCheck(status())).toBe(false);
    expect(needsFirstCheck(signedIn())).toBe(false);
    expect(needsFirstCheck(signedIn({ checked_at: null }))).toBe(true);
    expect(needsFirstCheck(signedIn({ state: 'session_expired', checked_at: null }))).toBe(false);
  });
});

describe('sign-in form', () => {
  it('checks the server address like the core does', () => {
    expect(validateServerUrl('')).toMatch(/address/);
    expect(validateServerUrl('team.example.com')).toMatch(/http:\/\/ or https:\/\//);
    expect(validateServerUrl('ftp://team.example.com')).toMatch(/http:\/\/ or https:\/\//);
    expect(validateServerUrl('https://alice:pw@team.example.com')).toMatch(/username and password/);
    expect(validateServerUrl('https://team.example.com/?a=1')).toMatch(/query/);
    expect(validateServerUrl(' https://team.example.com/ ')).toBeNull();
    expect(validateServerUrl('http://127.0.0.1:8080')).toBeNull();
  });

  it('names every missing field', () => {
    expect(validateConnectionForm({ server_url: '', username: ' ', password: '' })).toEqual({
      server_url: expect.stringMatching(/address/),
      username: expect.stringMatching(/username/),
      password: 'Enter your password',
    });
    expect(validateConnectionForm({ server_url: 'https://t.example.com', username: 'alice', password: 'pw' })).toEqual({});
  });

  it('puts server errors where they belong', () => {
    const e422 = new ApiError(422, { detail: 'server_url must name a host', error_code: 'VALIDATION_ERROR', retryable: false, field: 'server_url' });
    expect(signInError(e422)).toEqual({ field: 'server_url', message: 'server_url must name a host' });
    const e401 = new ApiError(401, { detail: 'the server rejected the username or password', error_code: 'AUTH_INVALID', retryable: false });
    expect(signInError(e401)).toEqual({ field: 'password', message: 'The server rejected the username or password' });
    const e502 = new ApiError(502, { detail: 'cannot reach the team server at http://x: refused', error_code: 'UPSTREAM_FAILED', retryable: true });
    expect(signInError(e502)).toEqual({ field: null, message: 'cannot reach the team server at http://x: refused' });
    expect(signInError(new Error('boom'))).toEqual({ field: null, message: 'boom' });
  });

  it('starts from the last server and username, never a password', () => {
    expect(initialForm(signedIn({ state: 'session_expired' }))).toEqual({
      server_url: 'https://team.example.com:8443',
      username: 'alice',
      password: '',
    });
    expect(initialForm(status(), { server_url: 'http://a', username: 'bob' })).toEqual({ server_url: 'http://a', username: 'bob', password: '' });
    expect(initialForm(null)).toEqual({ server_url: '', username: '', password: '' });
  });
});

type Call = { url: string; method: string | undefined; body: unknown };

function install(answers: Record<string, () => Response>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, method: init?.method, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
    const path = url.replace('app://localhost', '');
    const answer = answers[`${init?.method ?? 'GET'} ${path}`];
    return answer ? answer() : new Response('{"detail":"no","error_code":"NOT_FOUND","retryable":false}', { status: 404 });
  });
  setTransport(createFetchTransport({ kind: 'desktop', baseUrl: 'app://localhost', fetch }));
  return calls;
}

const json = (body: unknown, status = 200) => () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

afterEach(() => {
  setTransport(undefined);
  resetConnectionStore();
});

describe('the remote API client', () => {
  it('calls the four endpoints on the desktop core', async () => {
    const calls = install({
      'GET /api/v1/remote/connection': json(status()),
      'POST /api/v1/remote/sign-in': json(signedIn()),
      'POST /api/v1/remote/check': json(signedIn()),
      'POST /api/v1/remote/sign-out': json(status()),
    });
    expect((await getConnection()).state).toBe('signed_out');
    expect((await signIn({ server_url: 'https://t', username: 'alice', password: 'pw' })).state).toBe('connected');
    expect((await checkConnection()).state).toBe('connected');
    expect((await signOut()).state).toBe('signed_out');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET app://localhost/api/v1/remote/connection',
      'POST app://localhost/api/v1/remote/sign-in',
      'POST app://localhost/api/v1/remote/check',
      'POST app://localhost/api/v1/remote/sign-out',
    ]);
    expect(calls[1]!.body).toEqual({ server_url: 'https://t', username: 'alice', password: 'pw' });
  });

  it('turns a refused sign-in into an ApiError with the server detail', async () => {
    install({
      'POST /api/v1/remote/sign-in': json({ detail: 'the server rejected the username or password', error_code: 'AUTH_INVALID', retryable: false }, 401),
    });
    const err = await signIn({ server_url: 'https://t', username: 'a', password: 'b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(signInError(err).field).toBe('password');
  });
});

describe('the shared connection store', () => {
  it('publishes the status and checks once in the background when unchecked since start', async () => {
    // Like the core: the status reads what the last check found.
    let known = signedIn({ checked_at: null });
    const calls = install({
      'GET /api/v1/remote/connection': () => json(known)(),
      'POST /api/v1/remote/check': () => {
        known = signedIn({ state: 'unreachable', message: 'Cannot reach' });
        return json(known)();
      },
    });
    const seen: string[] = [];
    subscribeConnection((s) => seen.push(s.state));
    const first = await refreshConnection();
    expect(first.state).toBe('connected');
    await refreshConnection();
    await vi.waitFor(() => expect(seen).toContain('unreachable'));
    expect(currentConnection()?.state).toBe('unreachable');
    expect(calls.filter((c) => c.url.endsWith('/check'))).toHaveLength(1);
  });

  it('never asks the server when signed out', async () => {
    const calls = install({ 'GET /api/v1/remote/connection': json(status()) });
    await refreshConnection();
    await refreshConnection();
    expect(calls.every((c) => c.url.endsWith('/connection'))).toBe(true);
    expect(currentConnection()?.state).toBe('signed_out');
  });
});
