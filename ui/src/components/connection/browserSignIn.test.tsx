/**
 * The desktop signs in to its team server through the system browser: the four desktop calls, the
 * server's providers under the password form, Start (the page opened with openExternal), the
 * waiting attempt followed every second until signed in (the connection read again) or failed,
 * and Cancel.
 */
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { cancelBrowserSignIn, getBrowserSignIn, listSignInProviders, startBrowserSignIn, type BrowserSignIn as Attempt, type SignInProvider } from '../../api/remote';
import { i18n } from '../../i18n';
import { createFetchTransport, setTransport } from '../../transport';
import { BrowserSignIn, BrowserSignInView, type BrowserSignInViewProps } from './BrowserSignIn';
import { IDLE, createBrowserSignIn, providerName, providersAddress, providersServer, type BrowserStep } from './browserSignIn';
import { ConnectionPanelView } from './ConnectionPage';
import { status } from './fixtures';
import { currentConnection, resetConnectionStore } from './store';

const openUrl = vi.hoisted(() => vi.fn(async (_url: string) => undefined));
vi.mock('@tauri-apps/plugin-opener', () => ({ openUrl }));

const SERVER = 'https://team.example.com';
const AUTHORIZE = `${SERVER}/api/v1/auth/oauth/github?desktop_redirect=http%3A%2F%2F127.0.0.1%3A51234%2Foauth%2Fcallback&desktop_challenge=abc`;
const PROVIDERS: SignInProvider[] = [
  { id: 'github', name: 'GitHub' },
  { id: 'feishu', name: '飞书' },
];

const attempt = (over: Partial<Attempt> = {}): Attempt => ({
  attempt_id: 'att-1',
  authorize_url: AUTHORIZE,
  server_url: SERVER,
  provider: 'github',
  status: 'waiting',
  message: null,
  ...over,
});

const connected = status({ state: 'connected', server_url: SERVER, username: 'alice', checked_at: '2026-12-07T00:00:00Z', message: 'Connected.' });

type Call = { url: string; method: string; body: unknown };
const json = (body: unknown, code = 200) => new Response(JSON.stringify(body), { status: code, headers: { 'Content-Type': 'application/json' } });
const refusal = (code: number, body: Record<string, unknown>) => json({ retryable: false, ...body }, code);

/** A desktop transport whose fetch answers from `answer` ("METHOD /path" and the how-manieth such call) and records every call. */
function install(answer: (key: string, n: number) => Response | undefined) {
  const calls: Call[] = [];
  const counts = new Map<string, number>();
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ url, method, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
    const key = `${method} ${url.replace('app://localhost', '')}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return answer(key, n) ?? refusal(404, { detail: 'no browser sign-in', error_code: 'NOT_FOUND' });
  });
  setTransport(createFetchTransport({ kind: 'desktop', baseUrl: 'app://localhost', fetch }));
  return calls;
}

const BROWSER = '/api/v1/remote/sign-in/browser';
const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1]?.trim();
const withQueries = (node: ReactNode, client: QueryClient) => <QueryClientProvider client={client}>{node}</QueryClientProvider>;

function view(over: Partial<BrowserSignInViewProps> = {}): string {
  const props: BrowserSignInViewProps = {
    providers: PROVIDERS,
    step: IDLE,
    disabled: false,
    onStart: noop,
    onOpenAgain: noop,
    onCancel: noop,
    onRetry: noop,
    ...over,
  };
  return renderToStaticMarkup(<BrowserSignInView {...props} />);
}

beforeEach(() => {
  openUrl.mockClear();
});

afterEach(async () => {
  setTransport(undefined);
  resetConnectionStore();
  vi.useRealTimers();
  await i18n.changeLanguage('en');
});

describe('the desktop calls', () => {
  it('lists the providers, starts, reads and cancels the browser sign-in on the desktop core', async () => {
    const calls = install((key) => {
      if (key === `GET /api/v1/remote/sign-in/providers?server_url=${encodeURIComponent(SERVER)}`) return json(PROVIDERS);
      if (key === `POST ${BROWSER}`) return json(attempt());
      if (key === `GET ${BROWSER}`) return json(attempt({ status: 'signed_in' }));
      if (key === `DELETE ${BROWSER}`) return json(attempt({ status: 'cancelled' }));
      return undefined;
    });
    expect(await listSignInProviders(SERVER)).toEqual(PROVIDERS);
    expect((await startBrowserSignIn({ server_url: SERVER, provider: 'github' })).authorize_url).toBe(AUTHORIZE);
    expect((await getBrowserSignIn()).status).toBe('signed_in');
    expect((await cancelBrowserSignIn()).status).toBe('cancelled');
    expect(calls).toEqual([
      { url: `app://localhost/api/v1/remote/sign-in/providers?server_url=${encodeURIComponent(SERVER)}`, method: 'GET', body: undefined },
      { url: `app://localhost${BROWSER}`, method: 'POST', body: { server_url: SERVER, provider: 'github' } },
      { url: `app://localhost${BROWSER}`, method: 'GET', body: undefined },
      { url: `app://localhost${BROWSER}`, method: 'DELETE', body: undefined },
    ]);
  });
});

describe('the providers under the password form', () => {
  it('are asked for only for a valid address, trimmed', () => {
    expect(providersAddress(` ${SERVER} `)).toBe(SERVER);
    expect(providersAddress('team.example.com')).toBeNull();
    expect(providersAddress('')).toBeNull();
    // While the address is being typed (not settled for half a second yet), none are shown.
    expect(providersServer(`${SERVER} `, SERVER)).toBe(SERVER);
    expect(providersServer(`${SERVER}/x`, SERVER)).toBeNull();
    expect(providersServer('team.example.com', 'team.example.com')).toBeNull();
    expect(providerName(PROVIDERS, 'feishu')).toBe('飞书');
    expect(providerName(PROVIDERS, 'oidc')).toBe('oidc');
  });

  it("shows a Sign in with {name} button per provider of the typed server, and nothing for another or a bad address", () => {
    install(() => undefined);
    const client = makeQueryClient();
    client.setQueryData(keys.remote.signInProviders(SERVER), PROVIDERS);
    client.setQueryData(keys.remote.signInProviders('https://other.example.com'), []);
    // Not a server address: never shown, whatever the cache holds.
    client.setQueryData(keys.remote.signInProviders('team.example.com'), PROVIDERS);
    const html = renderToStaticMarkup(withQueries(<BrowserSignIn serverUrl={` ${SERVER} `} disabled={false} />, client));
    expect(has(html, 'conn-browser')).toBe(true);
    expect(html).toContain('role="group" aria-label="Other ways to sign in"');
    expect(textOf(html, 'conn-browser-provider-github')).toBe('Sign in with GitHub');
    expect(textOf(html, 'conn-browser-provider-feishu')).toBe('Sign in with 飞书');
    expect(html).toMatch(/<button type="button" class="button secondary oauth-button"/);
    // A server without providers (or not asked yet, or a bad address): nothing extra.
    expect(renderToStaticMarkup(withQueries(<BrowserSignIn serverUrl="https://other.example.com" disabled={false} />, client))).toBe('');
    expect(renderToStaticMarkup(withQueries(<BrowserSignIn serverUrl="https://unknown.example.com" disabled={false} />, client))).toBe('');
    expect(renderToStaticMarkup(withQueries(<BrowserSignIn serverUrl="team.example.com" disabled={false} />, client))).toBe('');
  });

  it('sit under the password form of the connection page', () => {
    const html = renderToStaticMarkup(
      <ConnectionPanelView
        status={status()}
        loadError={null}
        form={{ server_url: SERVER, username: '', password: '' }}
        errors={{}}
        formError={null}
        busy={null}
        onChange={noop}
        onSignIn={noop}
        onCheck={noop}
        onSignOut={noop}
        alternatives={<BrowserSignInView providers={PROVIDERS} step={IDLE} disabled={false} onStart={noop} onOpenAgain={noop} onCancel={noop} onRetry={noop} />}
      />,
    );
    expect(html).toMatch(/data-testid="connection-sign-in">Sign in<\/button><div class="oauth-options conn-browser"[^>]*>.*data-testid="conn-browser-provider-github"[^>]*>Sign in with GitHub<\/button>.*Sign in with 飞书<\/button><\/div><\/form>/);
  });

  it('speak Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(textOf(view(), 'conn-browser-provider-feishu')).toBe('使用 飞书 登录');
    expect(view({ step: { kind: 'waiting', attempt: attempt(), cancelling: false, error: null } })).toContain('请在浏览器中完成登录…');
  });
});

describe('the sign-in states', () => {
  const waiting: BrowserStep = { kind: 'waiting', attempt: attempt(), cancelling: false, error: null };

  it('starting: the chosen button says so, none can be pressed', () => {
    const html = view({ step: { kind: 'starting', provider: 'github' } });
    expect(html).toMatch(/disabled="" data-testid="conn-browser-provider-github">Opening GitHub…/);
    expect(html).toMatch(/disabled="" data-testid="conn-browser-provider-feishu">Sign in with 飞书/);
  });

  it('waiting: finish in the browser, Open the page again and Cancel; no provider buttons', () => {
    const html = view({ step: waiting });
    expect(html).toContain('data-step="waiting"');
    expect(html).toMatch(/role="status">.*Finish signing in in your browser…/);
    expect(html).toContain('The sign-in page of GitHub is open in your browser.');
    expect(textOf(html, 'conn-browser-open-again')).toBe('Open the page again');
    expect(textOf(html, 'conn-browser-cancel')).toBe('Cancel');
    expect(has(html, 'conn-browser-provider-github')).toBe(false);
    const cancelling = view({ step: { ...waiting, cancelling: true } });
    expect(cancelling).toMatch(/disabled="" data-testid="conn-browser-cancel">Cancelling…/);
    expect(textOf(view({ step: { ...waiting, error: 'Cannot reach the desktop core' } }), 'conn-browser-cancel-error')).toBe('Cannot reach the desktop core');
  });

  it('waiting shows even when the address field has no providers (an attempt picked up again)', () => {
    expect(has(view({ providers: [], step: waiting }), 'conn-browser-waiting')).toBe(true);
    expect(view({ providers: [] })).toBe('');
  });

  it('signed in, or failed with the message and Try again', () => {
    const done = view({ step: { kind: 'signed_in', attempt: attempt({ status: 'signed_in' }) } });
    expect(textOf(done, 'conn-browser-signed-in')).toBe('Signed in with GitHub.');
    expect(has(done, 'conn-browser-open-again')).toBe(false);
    const failed = view({ step: { kind: 'failed', provider: 'github', message: 'The sign-in was cancelled at the provider.' } });
    expect(failed).toMatch(/role="alert">Signing in with GitHub did not work: <span data-testid="conn-browser-failed-message">The sign-in was cancelled at the provider.</);
    expect(textOf(failed, 'conn-browser-retry')).toBe('Try again');
    expect(has(failed, 'conn-browser-provider-feishu')).toBe(true);
  });
});

describe('the browser sign-in flow', () => {
  it('Start POSTs the server and provider, opens authorize_url with openExternal, then follows it every second until signed in and reads the connection', async () => {
    vi.useFakeTimers();
    const calls = install((key, n) => {
      if (key === `POST ${BROWSER}`) return json(attempt());
      if (key === `GET ${BROWSER}`) return json(attempt({ status: n < 2 ? 'waiting' : 'signed_in' }));
      if (key === 'GET /api/v1/remote/connection') return json(connected);
      return undefined;
    });
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    const seen: string[] = [];
    flow.subscribe(() => seen.push(flow.getState().kind));

    await flow.start({ server_url: SERVER, provider: 'github' });
    expect(calls[0]).toEqual({ url: `app://localhost${BROWSER}`, method: 'POST', body: { server_url: SERVER, provider: 'github' } });
    // The desktop's openExternal: the system browser, through the opener plugin.
    expect(openUrl).toHaveBeenCalledExactlyOnceWith(AUTHORIZE);
    expect(flow.getState()).toMatchObject({ kind: 'waiting', attempt: { attempt_id: 'att-1' } });

    const reads = () => calls.filter((c) => c.method === 'GET' && c.url.endsWith(BROWSER)).length;
    expect(reads()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads()).toBe(1);
    expect(flow.getState().kind).toBe('waiting');
    expect(currentConnection()).toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads()).toBe(2);
    expect(flow.getState().kind).toBe('signed_in');
    await vi.waitFor(() => expect(currentConnection()?.state).toBe('connected'));
    expect(calls.filter((c) => c.url.endsWith('/remote/connection'))).toHaveLength(1);
    // Signed in: no more reads.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads()).toBe(2);
    expect(seen).toEqual(['starting', 'waiting', 'waiting', 'signed_in']);
  });

  it('Open the page again opens the same page', async () => {
    install((key) => (key === `POST ${BROWSER}` ? json(attempt()) : undefined));
    vi.useFakeTimers();
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    await flow.start({ server_url: SERVER, provider: 'github' });
    await flow.openAgain();
    expect(openUrl.mock.calls).toEqual([[AUTHORIZE], [AUTHORIZE]]);
    flow.dispose();
  });

  it('waiting → failed: the message, no more reads, and Try again starts afresh', async () => {
    vi.useFakeTimers();
    const calls = install((key) => {
      if (key === `POST ${BROWSER}`) return json(attempt());
      if (key === `GET ${BROWSER}`) return json(attempt({ status: 'failed', message: 'The provider refused the sign-in.' }));
      return undefined;
    });
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    await flow.start({ server_url: SERVER, provider: 'github' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(flow.getState()).toEqual({ kind: 'failed', provider: 'github', message: 'The provider refused the sign-in.' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1);
    expect(calls.some((c) => c.url.endsWith('/remote/connection'))).toBe(false);

    await flow.retry();
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.body)).toEqual([
      { server_url: SERVER, provider: 'github' },
      { server_url: SERVER, provider: 'github' },
    ]);
    expect(openUrl).toHaveBeenCalledTimes(2);
    expect(flow.getState().kind).toBe('waiting');
    flow.dispose();
  });

  it('a failure without a message still says so', async () => {
    vi.useFakeTimers();
    install((key) => {
      if (key === `POST ${BROWSER}`) return json(attempt());
      if (key === `GET ${BROWSER}`) return json(attempt({ status: 'failed', message: null }));
      return undefined;
    });
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    await flow.start({ server_url: SERVER, provider: 'github' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(flow.getState()).toEqual({ kind: 'failed', provider: 'github', message: 'the sign-in did not finish.' });
  });

  it('a refused start opens nothing and says why', async () => {
    install((key) => (key === `POST ${BROWSER}` ? refusal(502, { detail: 'cannot reach the team server at https://team.example.com', error_code: 'UPSTREAM_FAILED' }) : undefined));
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    await flow.start({ server_url: SERVER, provider: 'github' });
    expect(flow.getState()).toEqual({ kind: 'failed', provider: 'github', message: 'cannot reach the team server at https://team.example.com' });
    expect(openUrl).not.toHaveBeenCalled();
  });

  it('Cancel DELETEs, goes back to the buttons and stops reading', async () => {
    vi.useFakeTimers();
    const calls = install((key) => {
      if (key === `POST ${BROWSER}`) return json(attempt());
      if (key === `GET ${BROWSER}`) return json(attempt());
      if (key === `DELETE ${BROWSER}`) return json(attempt({ status: 'cancelled' }));
      return undefined;
    });
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    await flow.start({ server_url: SERVER, provider: 'github' });
    await vi.advanceTimersByTimeAsync(1000);
    await flow.cancel();
    expect(calls.filter((c) => c.method === 'DELETE')).toEqual([{ url: `app://localhost${BROWSER}`, method: 'DELETE', body: undefined }]);
    expect(flow.getState()).toEqual(IDLE);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1);
  });

  it('a failed Cancel keeps waiting, says why, and goes on reading', async () => {
    vi.useFakeTimers();
    const calls = install((key) => {
      if (key === `POST ${BROWSER}`) return json(attempt());
      if (key === `GET ${BROWSER}`) return json(attempt());
      if (key === `DELETE ${BROWSER}`) return refusal(500, { detail: 'the core failed', error_code: 'INTERNAL' });
      return undefined;
    });
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    await flow.start({ server_url: SERVER, provider: 'github' });
    await flow.cancel();
    expect(flow.getState()).toMatchObject({ kind: 'waiting', cancelling: false, error: 'the core failed' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1);
    flow.dispose();
  });

  it('on arrival picks up an attempt still waiting; none (404) leaves the buttons', async () => {
    vi.useFakeTimers();
    install((key) => (key === `GET ${BROWSER}` ? json(attempt({ provider: 'feishu' })) : undefined));
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    await flow.resume();
    expect(flow.getState()).toMatchObject({ kind: 'waiting', attempt: { provider: 'feishu' } });
    expect(openUrl).not.toHaveBeenCalled();
    flow.dispose();

    install(() => undefined);
    const none = createBrowserSignIn({ queryClient: makeQueryClient() });
    await none.resume();
    expect(none.getState()).toEqual(IDLE);
  });

  it('leaving the page stops the reads', async () => {
    vi.useFakeTimers();
    const calls = install((key) => (key === `POST ${BROWSER}` || key === `GET ${BROWSER}` ? json(attempt()) : undefined));
    const flow = createBrowserSignIn({ queryClient: makeQueryClient() });
    await flow.start({ server_url: SERVER, provider: 'github' });
    await vi.advanceTimersByTimeAsync(1000);
    flow.dispose();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1);
  });
});
