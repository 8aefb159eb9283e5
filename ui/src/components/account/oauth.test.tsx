import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../../api/accounts';
import { listOAuthProviders, type OAuthIdentity, type OAuthProvider } from '../../api/oauth';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { i18n } from '../../i18n';
import { createFetchTransport, setTransport } from '../../transport';
import { ToastProvider } from '../Toasts';
import { AccountPage } from './AccountPage';
import { AuthContext, type AuthApi } from './AuthContext';
import { SignInPage, SignUpPage } from './AuthPages';
import { OAuthErrorNotice, OAuthMethodsView, OAuthProviderButtons } from './OAuth';
import { oauthErrorText, startOAuthLink } from './oauthActions';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
const at = (html: string, testId: string) => html.indexOf(`data-testid="${testId}"`);

const PROVIDERS: OAuthProvider[] = [
  { id: 'google', name: 'Google' },
  { id: 'oidc', name: 'Company SSO' },
];

const bob: User = {
  id: 'bbbbbbbb-0000-4000-8000-000000000002',
  username: 'bob',
  email: 'bob@example.com',
  display_name: null,
  role: 'user',
  is_admin: false,
  status: 'active',
  created_at: '2026-02-01T10:00:00Z',
};
const authOf = (u: User): AuthApi => ({ user: u, setUser: noop, signOut: async () => undefined });

const withApp = (node: ReactNode, client: QueryClient) =>
  renderToStaticMarkup(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <AuthContext.Provider value={authOf(bob)}>{node}</AuthContext.Provider>
      </ToastProvider>
    </QueryClientProvider>,
  );

/** A link's `href`, by test id. */
function hrefOf(html: string, testId: string): string | null {
  const tag = new RegExp(`<a[^>]*data-testid="${testId}"[^>]*>`).exec(html)?.[0];
  const href = tag ? /href="([^"]*)"/.exec(tag)?.[1] : undefined;
  return href === undefined ? null : href.replace(/&amp;/g, '&');
}

afterEach(async () => {
  setTransport(undefined);
  await i18n.changeLanguage('en');
});

describe('provider buttons', () => {
  it('one "Continue with" link per provider, to its start address with the return route', () => {
    const html = renderToStaticMarkup(<OAuthProviderButtons providers={PROVIDERS} returnTo="/#/projects/p1/runs" />);
    expect(html).toMatch(/data-testid="oauth-provider-google">Continue with Google</);
    expect(html).toMatch(/data-testid="oauth-provider-oidc">Continue with Company SSO</);
    expect(hrefOf(html, 'oauth-provider-google')).toBe('/api/v1/auth/oauth/google?return_to=%2F%23%2Fprojects%2Fp1%2Fruns');
    expect(hrefOf(html, 'oauth-provider-oidc')).toBe('/api/v1/auth/oauth/oidc?return_to=%2F%23%2Fprojects%2Fp1%2Fruns');
    expect(html.match(/data-testid="oauth-provider-/g)).toHaveLength(2);
  });

  it('nothing at all when no provider is configured', () => {
    expect(renderToStaticMarkup(<OAuthProviderButtons providers={[]} returnTo="/#/projects" />)).toBe('');
  });

  it('the sign-in page offers them under the password form; none when the list is empty', () => {
    const html = renderToStaticMarkup(<SignInPage onSignedIn={noop} oauthProviders={PROVIDERS} returnTo="/#/credits" />);
    expect(has(html, 'sign-in-form')).toBe(true);
    expect(at(html, 'oauth-provider-google')).toBeGreaterThan(at(html, 'sign-in-submit'));
    expect(hrefOf(html, 'oauth-provider-oidc')).toBe('/api/v1/auth/oauth/oidc?return_to=%2F%23%2Fcredits');

    const none = renderToStaticMarkup(<SignInPage onSignedIn={noop} oauthProviders={[]} />);
    expect(has(none, 'sign-in-form')).toBe(true);
    expect(has(none, 'oauth-options')).toBe(false);
    expect(none).not.toContain('oauth-provider-');
  });

  it('the sign-up page offers them too', () => {
    const html = renderToStaticMarkup(<SignUpPage onSignedIn={noop} oauthProviders={[PROVIDERS[0]!]} />);
    expect(at(html, 'oauth-provider-google')).toBeGreaterThan(at(html, 'sign-up-submit'));
    expect(has(html, 'oauth-provider-oidc')).toBe(false);
    // No window here: the return address falls back to the projects list.
    expect(hrefOf(html, 'oauth-provider-google')).toBe('/api/v1/auth/oauth/google?return_to=%2F%23%2Fprojects');
  });

  it('are read from the server (none while loading): an unsigned GET of the providers', async () => {
    const calls: string[] = [];
    setTransport(
      createFetchTransport({
        kind: 'browser',
        baseUrl: '',
        fetch: vi.fn(async (url: string) => {
          calls.push(url);
          return new Response('[]', { status: 200 });
        }),
      }),
    );
    expect(await listOAuthProviders()).toEqual([]);
    expect(calls).toEqual(['/api/v1/auth/oauth/providers']);
    // The static render runs no effect: the page starts with no provider button.
    expect(renderToStaticMarkup(<SignInPage onSignedIn={noop} />)).not.toContain('oauth-provider-');
  });
});

describe('a failed provider sign-in', () => {
  const failure = { code: 'denied', message: 'You cancelled the sign-in at Google.' };

  it('is said as an alert above the form, and the form is still there', () => {
    const html = renderToStaticMarkup(<SignInPage onSignedIn={noop} oauthError={failure} oauthProviders={PROVIDERS} />);
    expect(html).toMatch(/role="alert" data-testid="oauth-error" data-code="denied">The sign-in was cancelled at the provider\.</);
    expect(at(html, 'oauth-error')).toBeLessThan(at(html, 'sign-in-form'));
    expect(html).toMatch(/<button type="submit"[^>]*data-testid="sign-in-submit">Sign in</);
    expect(html).not.toMatch(/data-testid="sign-in-submit"[^>]*disabled/);
    expect(has(html, 'oauth-provider-google')).toBe(true);
    expect(has(renderToStaticMarkup(<SignInPage onSignedIn={noop} oauthProviders={[]} />), 'oauth-error')).toBe(false);
  });

  it('says our own words for a code, never the address’s (anyone can craft a link), in the UI’s language', async () => {
    expect(oauthErrorText(failure, 'en')).toBe('The sign-in was cancelled at the provider.');
    expect(oauthErrorText({ code: 'state', message: 'Call +1 555 0100 to recover your account' }, 'en')).toBe(
      'The sign-in expired or was interrupted. Please start again.',
    );
    expect(oauthErrorText({ code: 'mystery', message: 'Visit evil.example' }, 'en')).toBe('Signing in with the provider failed.');
    await i18n.changeLanguage('zh-CN');
    expect(oauthErrorText(failure)).toBe('已在提供方处取消登录。');
    expect(renderToStaticMarkup(<OAuthErrorNotice error={{ code: 'state', message: 'expired' }} />)).toContain('登录已过期或被中断');
  });
});

describe('sign-in methods on the account page', () => {
  const identities: OAuthIdentity[] = [{ provider: 'google', email: 'bob@gmail.example', email_verified: true, created_at: '2026-03-01T10:00:00Z' }];

  function page(providers: OAuthProvider[], linked: OAuthIdentity[], oauthError?: { code: string; message: string }) {
    const client = makeQueryClient();
    client.setQueryData(keys.account.me, bob);
    client.setQueryData(keys.account.oauthProviders, providers);
    client.setQueryData(keys.account.oauthIdentities, linked);
    return withApp(<AccountPage oauthError={oauthError ?? null} />, client);
  }

  it('lists the linked providers and offers to link only the others', () => {
    const html = page(PROVIDERS, identities);
    expect(has(html, 'oauth-methods')).toBe(true);
    const row = /<li[^>]*data-testid="oauth-identity-google"[\s\S]*?<\/li>/.exec(html)![0];
    expect(row).toContain('<strong>Google</strong>');
    expect(row).toContain('bob@gmail.example');
    expect(row).toMatch(/data-testid="oauth-verified-google">Verified</);
    expect(has(html, 'oauth-link-google')).toBe(false);
    expect(html).toMatch(/<button type="button" class="button secondary" data-testid="oauth-link-oidc">Link Company SSO</);
    expect(has(html, 'oauth-none-linked')).toBe(false);
    // Between the password and the delete sections.
    expect(at(html, 'oauth-methods')).toBeGreaterThan(at(html, 'password-form'));
    expect(at(html, 'oauth-methods')).toBeLessThan(at(html, 'delete-account-section'));
  });

  it('nothing linked: says so and offers every provider; an unverified email says so', () => {
    const html = page(PROVIDERS, []);
    expect(has(html, 'oauth-none-linked')).toBe(true);
    expect(has(html, 'oauth-link-google')).toBe(true);
    expect(has(html, 'oauth-link-oidc')).toBe(true);
    const unverified = renderToStaticMarkup(
      <OAuthMethodsView providers={PROVIDERS} identities={[{ ...identities[0]!, email_verified: false }]} busy={null} error={null} onLink={noop} />,
    );
    expect(unverified).toMatch(/data-testid="oauth-unverified-google">Not verified</);
    expect(has(unverified, 'oauth-verified-google')).toBe(false);
  });

  it('no provider offered and none linked: no section', () => {
    const html = page([], []);
    expect(has(html, 'account-page')).toBe(true);
    expect(has(html, 'oauth-methods')).toBe(false);
  });

  it('every offered provider linked: no Link button; a link in progress waits; a failed one is an alert', () => {
    const all = page(PROVIDERS, [...identities, { provider: 'oidc', email: 'bob@corp.example', email_verified: true, created_at: '2026-03-02T10:00:00Z' }]);
    expect(all).not.toContain('data-testid="oauth-link-');
    expect(all).toMatch(/data-testid="oauth-identity-oidc"[\s\S]*?<strong>Company SSO<\/strong>/);

    const busy = renderToStaticMarkup(<OAuthMethodsView providers={PROVIDERS} identities={[]} busy="oidc" error={null} onLink={noop} />);
    expect(busy).toMatch(/disabled=""[^>]*data-testid="oauth-link-oidc">Opening Company SSO…</);
    expect(busy).toMatch(/disabled=""[^>]*data-testid="oauth-link-google">Link Google</);

    const failed = page(PROVIDERS, identities, { code: 'conflict', message: 'That Google account belongs to someone else.' });
    expect(failed).toMatch(/role="alert" data-testid="oauth-link-error">This provider account is already linked to another account, or its email belongs to one\.</);
  });
});

describe('starting a link', () => {
  function install(answer: Response) {
    const calls: { url: string; method: string; auth: string | undefined }[] = [];
    setTransport(
      createFetchTransport({
        kind: 'browser',
        baseUrl: '',
        getToken: () => 'acc-1',
        fetch: vi.fn(async (url: string, init?: RequestInit) => {
          calls.push({ url, method: init?.method ?? 'GET', auth: ((init?.headers ?? {}) as Record<string, string>).Authorization });
          return answer;
        }),
      }),
    );
    return calls;
  }
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

  it('POSTs the link call signed in, then goes to the provider’s address', async () => {
    const calls = install(json({ authorize_url: 'https://accounts.google.com/o/oauth2/auth?state=s1' }));
    const go = vi.fn();
    await startOAuthLink('google', go);
    expect(calls).toEqual([{ url: '/api/v1/auth/oauth/google/link', method: 'POST', auth: 'Bearer acc-1' }]);
    expect(go).toHaveBeenCalledWith('https://accounts.google.com/o/oauth2/auth?state=s1');
  });

  it('goes nowhere when the call fails or the address is not http(s)', async () => {
    install(json({ error_code: 'CONFLICT', detail: 'already linked', retryable: false }, 409));
    const go = vi.fn();
    await expect(startOAuthLink('google', go)).rejects.toThrow('already linked');
    install(json({ authorize_url: 'javascript:alert(1)' }));
    await expect(startOAuthLink('google', go)).rejects.toThrow('cannot be opened');
    expect(go).not.toHaveBeenCalled();
  });
});
