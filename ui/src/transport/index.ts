import { getSession, type Session } from '../lib/session';
import { getWorkspaceStore } from '../lib/workspace';
import { createFetchTransport, joinUrl, type FetchLike, type HttpMethod, type StreamOptions, type Transport } from './http';

export { ApiError, apiErrorFromOpenAI, apiErrorMessage, errorMessage, fieldErrorMessage, isApiError, openAIErrorOf, parseErrorResponse } from './errors';
export type { ErrorBody, OpenAIError } from './errors';
export { defaultEventSource, openEventStream } from './events';
export type { EventSourceCtor, EventSourceLike, EventStreamHandlers, ServerEvent, Unsubscribe } from './events';
export type { HttpMethod, StreamOptions, Transport, TransportKind } from './http';
export { WORKSPACE_HEADER, createFetchTransport, joinUrl } from './http';

/** Where the bearer token of the web build is kept (accounts mode). */
export const TOKEN_STORAGE_KEY = 'storyloom.token';

/** The bits of `window` the environment detection reads (so tests can pass a fake). */
export interface HostLike {
  __TAURI_INTERNALS__?: unknown;
  navigator?: { userAgent?: string };
  localStorage?: Pick<Storage, 'getItem'>;
}

export interface TransportTarget {
  kind: 'desktop' | 'browser';
  baseUrl: string;
}

/**
 * Desktop (Tauri 2 injects `__TAURI_INTERNALS__`): the shell answers the API on its `app`
 * custom protocol, which WebKit on Linux/macOS reaches as app://localhost, while WebView2 on
 * Windows (and the Android WebView) cannot register real custom schemes, so wry maps it to
 * http://app.localhost. Browser: the page's own origin.
 */
export function detectTarget(host: HostLike | undefined): TransportTarget {
  if (host && host.__TAURI_INTERNALS__ !== undefined) {
    const ua = host.navigator?.userAgent ?? '';
    return {
      kind: 'desktop',
      baseUrl: ua.includes('Windows') || ua.includes('Android') ? 'http://app.localhost' : 'app://localhost',
    };
  }
  return { kind: 'browser', baseUrl: '' };
}

export function readToken(host: HostLike | undefined): string | null {
  try {
    const t = host?.localStorage?.getItem(TOKEN_STORAGE_KEY);
    return t && t.trim() ? t.trim() : null;
  } catch {
    // Storage can throw (disabled cookies, sandboxed iframes): behave as "no token".
    return null;
  }
}

/**
 * `session` (browser only): the signed-in session of accounts mode (lib/session.ts); its access
 * token goes first, the manually stored `storyloom.token` is the fallback, and a 401 to a request
 * that carried the session's token goes to the session (refresh once and retry, or sign out).
 * `workspace` (browser only): the selected workspace (lib/workspace.ts), sent as `X-Workspace-Id`
 * when it isn't the personal one.
 */
export function createTransport(
  host: HostLike | undefined,
  fetchImpl?: FetchLike,
  session?: Session,
  workspace?: { headerValue(): string | null },
): Transport {
  const target = detectTarget(host);
  const opts: Parameters<typeof createFetchTransport>[0] = {
    kind: target.kind,
    baseUrl: target.baseUrl,
  };
  // The desktop shell is single-user and needs no credentials; the web build sends the
  // account's token when one is stored.
  if (target.kind === 'browser') {
    opts.getToken = () => session?.accessToken() ?? readToken(host);
    if (session) opts.onUnauthorized = (e, info) => session.handleUnauthorized(e, info);
    if (workspace) opts.getWorkspace = () => workspace.headerValue();
  }
  if (fetchImpl) opts.fetch = fetchImpl;
  return createFetchTransport(opts);
}

let current: Transport | undefined;

/** The transport of this page, created on first use. */
export function getTransport(): Transport {
  if (!current) {
    current = createTransport(typeof window === 'undefined' ? undefined : (window as HostLike), undefined, getSession(), getWorkspaceStore());
  }
  return current;
}

/** Replaces the page's transport (tests, storybook-like harnesses). */
export function setTransport(t: Transport | undefined): void {
  current = t;
}

export function request<T>(
  method: HttpMethod,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  return getTransport().request<T>(method, path, body, signal);
}

/** GETs an API path's bytes as a Blob (downloads, the export's video), with the page's credentials. */
export function requestBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  return getTransport().requestBlob(path, signal);
}

/**
 * Sends a request whose answer streams (the model router's chat, a video's summary), with the
 * page's credentials: a JSON POST by default, a GET or a multipart POST through `options`.
 */
export function requestStream(path: string, body: unknown, signal?: AbortSignal, options?: StreamOptions): Promise<Response> {
  return getTransport().stream(path, body, signal, options);
}

/**
 * A URL the page can put in `src`/`href` for an API path (downloads, thumbnails). Absolute URLs
 * are returned unchanged; null/empty gives null.
 */
export function apiUrl(path: string | null | undefined): string | null {
  if (!path) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return path;
  return joinUrl(getTransport().baseUrl, path.startsWith('/') ? path : `/${path}`);
}

/** The URL an EventSource can open for an API path, or null when the page's transport cannot stream. */
export function eventStreamUrl(path: string): string | null {
  return getTransport().eventStreamUrl(path);
}
