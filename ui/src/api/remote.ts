/**
 * The desktop's link to a team server (issue 7): `/api/v1/remote/...` on the desktop core, which
 * signs in to the server, keeps the refresh token in the OS keyring (or its encrypted file) and
 * reports the connection. The page never sees a token. Desktop transport only: in the browser the
 * page *is* the team server's web UI, and a server answers these paths with 404.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { request } from '../transport';
import { query } from './paths';
import { keys } from './queries';
import type { components } from './schema.gen';

export type ConnectionState = 'signed_out' | 'connected' | 'unreachable' | 'session_expired';

export interface ConnectionStatus {
  state: ConnectionState;
  server_url: string | null;
  username: string | null;
  /** RFC 3339; null when the server was not reached or tried since the app started. */
  checked_at: string | null;
  secret_storage: 'keyring' | 'encrypted_file';
  secret_storage_location: string;
  /** Why the encrypted file is used instead of the OS keyring, when it is. */
  secret_storage_notice: string | null;
  message: string;
}

export interface SignInInput {
  server_url: string;
  username: string;
  password: string;
}

/** One of a team server's sign-in providers (GitHub, WeChat, Feishu, Google, company SSO). */
export interface SignInProvider {
  /** The path segment the server knows it by (`github`, `wechat`, `oidc`, …). */
  id: string;
  /** Its name for people. */
  name: string;
}

/** Where a browser sign-in stands: waiting for the browser, then signed in, failed or cancelled. */
export type BrowserSignInStatus = components['schemas']['BrowserSignInStatus'];

/** A sign-in through the system browser (`POST`/`GET`/`DELETE /remote/sign-in/browser`). */
export type BrowserSignIn = components['schemas']['BrowserSignIn'];

export interface BrowserSignInInput {
  server_url: string;
  provider: string;
}

export const REMOTE_PATHS = {
  connection: '/api/v1/remote/connection',
  signIn: '/api/v1/remote/sign-in',
  check: '/api/v1/remote/check',
  signOut: '/api/v1/remote/sign-out',
  providers: '/api/v1/remote/sign-in/providers',
  browserSignIn: '/api/v1/remote/sign-in/browser',
} as const;

/** The connection as last known; never waits on the server. */
export function getConnection(signal?: AbortSignal): Promise<ConnectionStatus> {
  return request<ConnectionStatus>('GET', REMOTE_PATHS.connection, undefined, signal);
}

/** 401 AUTH_INVALID: wrong username or password; 422 names `server_url`/`username`/`password`; 502: unreachable. */
export function signIn(input: SignInInput): Promise<ConnectionStatus> {
  return request<ConnectionStatus>('POST', REMOTE_PATHS.signIn, input);
}

/** Asks the server now (refreshing the session once when needed). */
export function checkConnection(): Promise<ConnectionStatus> {
  return request<ConnectionStatus>('POST', REMOTE_PATHS.check, {});
}

/** Signs out on this computer; the server is told when it can be reached. */
export function signOut(): Promise<ConnectionStatus> {
  return request<ConnectionStatus>('POST', REMOTE_PATHS.signOut, {});
}

/** The sign-in providers a team server offers (empty when none). 422 `server_url`: a bad address; 502: unreachable. */
export function listSignInProviders(serverUrl: string, signal?: AbortSignal): Promise<SignInProvider[]> {
  return request<SignInProvider[]>('GET', `${REMOTE_PATHS.providers}${query({ server_url: serverUrl })}`, undefined, signal);
}

/**
 * Starts signing in with `provider` through the system browser: the core listens on a loopback
 * address and answers the page to open (`authorize_url`), `waiting`. 422 names `server_url` or
 * `provider`; 502: unreachable.
 */
export function startBrowserSignIn(input: BrowserSignInInput): Promise<BrowserSignIn> {
  return request<BrowserSignIn>('POST', REMOTE_PATHS.browserSignIn, input);
}

/** The browser sign-in under way or last made; 404 when there is none. */
export function getBrowserSignIn(signal?: AbortSignal): Promise<BrowserSignIn> {
  return request<BrowserSignIn>('GET', REMOTE_PATHS.browserSignIn, undefined, signal);
}

/** Stops waiting for the browser (`cancelled`). */
export function cancelBrowserSignIn(): Promise<BrowserSignIn> {
  return request<BrowserSignIn>('DELETE', REMOTE_PATHS.browserSignIn);
}

/* ---------- queries ---------- */

export const signInProvidersOptions = (serverUrl: string) =>
  queryOptions({
    queryKey: keys.remote.signInProviders(serverUrl),
    queryFn: ({ signal }) => listSignInProviders(serverUrl, signal),
    staleTime: 60_000,
  });

/** A server's providers; `serverUrl` null: nothing to ask (no valid address yet). */
export const useSignInProvidersOf = (serverUrl: string | null) =>
  useQuery({ ...signInProvidersOptions(serverUrl ?? ''), enabled: serverUrl !== null });
