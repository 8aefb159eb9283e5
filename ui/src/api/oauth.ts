/**
 * OAuth2 / OpenID Connect sign-in (team server, accounts mode). The instance admin configures the
 * providers (`GET /auth/oauth/providers`, no sign-in needed; often none). Signing in is a page
 * navigation, not a fetch: the browser goes to `/api/v1/auth/oauth/{id}?return_to=/#/…`, the
 * server sends it on to the provider, and at the end back to the UI, either at
 * `/#/oauth/done?access_token=…&refresh_token=…&expires_in=…&return_to=…` or at
 * `/#/sign-in?oauth_error=<code>&oauth_message=<text>`. Linking a provider to the signed-in
 * account (`POST /auth/oauth/{id}/link`) answers the provider's address to navigate to; it ends at
 * the same two places. `GET /auth/oauth/identities` lists the providers linked to the account.
 *
 * What comes back in the address bar is anyone's to forge: `parseOAuthDone` and `parseOAuthError`
 * take only a complete token pair (never half a session) and only a return address inside this
 * app (`/#/…`, a route it knows).
 */
import { AUTH_PATHS, type SessionResponse, type Tokens, type User } from './accounts';
import { apiPath, query } from './paths';
import { createFetchTransport, getTransport, joinUrl, request } from '../transport';
import type { FetchLike } from '../transport/http';
import { parseRoute, routeHash } from '../lib/route';
import type { components } from './schema.gen';

type Schemas = components['schemas'];

/** A configured provider: `id` (`google`, `oidc`, …) is the start and link calls' path segment. */
export type OAuthProvider = Schemas['ProviderInfo'];

/** A provider account linked to the signed-in person. */
export type OAuthIdentity = Schemas['Identity'];

/** `POST /auth/oauth/{id}/link`: the provider's page to navigate to. */
export type OAuthLinkStart = Schemas['LinkStart'];

/** A failed sign-in or link: the server's code (`state`, `denied`, …) and its message, if any. */
export interface OAuthFailure {
  code: string;
  /** The server's words (English), possibly empty. */
  message: string;
}

/** The outcome of `#/oauth/done?…`: a complete session and where to go, or why not. */
export type OAuthDone = { ok: true; tokens: Tokens; returnTo: string } | { ok: false; error: OAuthFailure };

/** The codes the server sends, plus `incomplete` (the UI's own: the done address lacked a token). */
export const OAUTH_ERROR_CODES = ['state', 'denied', 'exchange', 'token', 'suspended', 'conflict', 'unknown_provider', 'incomplete'] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

export const OAUTH_PATHS = {
  providers: '/api/v1/auth/oauth/providers',
  identities: '/api/v1/auth/oauth/identities',
} as const;

/** Where a sign-in goes when it has nowhere better (or was given somewhere it may not go). */
export const DEFAULT_RETURN_TO = `/${routeHash({ name: 'projects' })}`;

/** Routes a finished sign-in must not return to (the sign-in pages and the done page itself). */
const NO_RETURN = new Set(['sign-in', 'sign-up', 'oauth-done']);

/**
 * A return address inside this app: `/#/` followed by a route the app knows, written the way the
 * router writes it (so any query, or an unknown path, is dropped). Anything else (another site,
 * `//host`, `javascript:`, a bare path) and the sign-in pages give the projects list.
 */
export function safeReturnTo(value: string | null | undefined): string {
  const v = (value ?? '').trim();
  if (!v.startsWith('/#/')) return DEFAULT_RETURN_TO;
  const route = parseRoute(v.slice(1));
  if (NO_RETURN.has(route.name)) return DEFAULT_RETURN_TO;
  return `/${routeHash(route)}`;
}

/** The return address for a sign-in started on the page at `hash` (the page the person was going to). */
export function returnToFor(hash: string): string {
  return safeReturnTo(`/${hash.startsWith('#') ? hash : `#${hash}`}`);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** The configured providers (possibly none); entries without an id or a name are left out. */
export async function listOAuthProviders(signal?: AbortSignal): Promise<OAuthProvider[]> {
  const list = await request<unknown>('GET', OAUTH_PATHS.providers, undefined, signal);
  return asList(list)
    .filter((p): p is OAuthProvider => !!p && typeof p === 'object' && isText((p as OAuthProvider).id) && isText((p as OAuthProvider).name))
    .map((p) => ({ id: p.id, name: p.name }));
}

/** The path a sign-in with provider `id` starts at (the page navigates there). */
export function oauthStartPath(id: string, returnTo: string): string {
  return `${apiPath('auth', 'oauth', id)}${query({ return_to: safeReturnTo(returnTo) })}`;
}

/** The address a sign-in with provider `id` starts at: an `href`, not a fetch. */
export function oauthStartUrl(id: string, returnTo: string): string {
  return joinUrl(getTransport().baseUrl, oauthStartPath(id, returnTo));
}

/** Starts linking provider `id` to the signed-in account: the provider's page to navigate to. */
export function linkOAuth(id: string): Promise<OAuthLinkStart> {
  return request<OAuthLinkStart>('POST', `${apiPath('auth', 'oauth', id)}/link`);
}

/** The providers linked to the signed-in account. */
export async function listOAuthIdentities(signal?: AbortSignal): Promise<OAuthIdentity[]> {
  const list = await request<unknown>('GET', OAUTH_PATHS.identities, undefined, signal);
  return asList(list)
    .filter((i): i is OAuthIdentity => !!i && typeof i === 'object' && isText((i as OAuthIdentity).provider))
    .map((i) => ({
      provider: i.provider,
      email: isText(i.email) ? i.email : null,
      email_verified: i.email_verified === true,
      created_at: typeof i.created_at === 'string' ? i.created_at : '',
    }));
}

/** Only an http(s) address is followed (never `javascript:` or the like from a confused server). */
export function isNavigableUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

const params = (q: URLSearchParams | string) => (typeof q === 'string' ? new URLSearchParams(q.replace(/^\?/, '')) : q);

/** A token as it may be kept: present, not blank, no whitespace inside. */
const token = (v: string | null): string | null => (v !== null && /^\S+$/.test(v.trim()) ? v.trim() : null);

/** Message text from the address bar: control characters out, at most 300 characters. */
function cleanMessage(v: string | null): string {
  // eslint-disable-next-line no-control-regex
  const s = (v ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return s.length > 300 ? `${s.slice(0, 299)}…` : s;
}

/**
 * The error of an OAuth redirect (`#/sign-in?oauth_error=state&oauth_message=…`), or null when
 * the address carries none. A code that is not a plain word reads as `unknown`.
 */
export function parseOAuthError(hashQuery: URLSearchParams | string): OAuthFailure | null {
  const q = params(hashQuery);
  const raw = (q.get('oauth_error') ?? '').trim();
  if (!raw) return null;
  return { code: /^[a-z][a-z0-9_]{0,39}$/.test(raw) ? raw : 'unknown', message: cleanMessage(q.get('oauth_message')) };
}

/**
 * What `#/oauth/done?…` brought: both tokens or an error (`incomplete`), never one token alone;
 * `returnTo` is the app's route to go to (see safeReturnTo). `expires_in` is informative (the
 * session refreshes on the server's word, not on a timer): a missing or odd one reads as 0.
 */
export function parseOAuthDone(hashQuery: URLSearchParams | string): OAuthDone {
  const q = params(hashQuery);
  const error = parseOAuthError(q);
  if (error) return { ok: false, error };
  const access = token(q.get('access_token'));
  const refresh = token(q.get('refresh_token'));
  if (!access || !refresh) return { ok: false, error: { code: 'incomplete', message: '' } };
  const expires = Number(q.get('expires_in'));
  return {
    ok: true,
    tokens: {
      access_token: access,
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: Number.isFinite(expires) && expires > 0 ? Math.floor(expires) : 0,
    },
    returnTo: safeReturnTo(q.get('return_to')),
  };
}

/**
 * The sign-in answer for tokens an OAuth redirect brought: the account is read with those tokens
 * (not the page's session, which is left alone until they prove good), and the result has the
 * shape of a password sign-in's, for the same `onSignedIn`.
 */
export async function sessionFromOAuth(tokens: Tokens, fetch?: FetchLike): Promise<SessionResponse> {
  const probe = createFetchTransport({
    kind: 'browser',
    baseUrl: getTransport().baseUrl,
    getToken: () => tokens.access_token,
    ...(fetch ? { fetch } : {}),
  });
  const user = await probe.request<User>('GET', AUTH_PATHS.me);
  if (!user || typeof user !== 'object' || !isText(user.id)) throw new Error('unreadable account');
  return { ...tokens, tokens, user };
}
