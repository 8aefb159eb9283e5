import { ApiError, CLIENT_ERROR_CODES, networkError, parseErrorResponse } from './errors';
import { encodeMultipart } from './multipart';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type TransportKind = 'desktop' | 'browser';

/** The one interface the rest of the UI talks to. */
export interface Transport {
  readonly kind: TransportKind;
  /** Prefix put before every path: "" (same origin) or e.g. "app://localhost". */
  readonly baseUrl: string;
  /**
   * Sends a request. `path` is absolute from the API's origin, e.g. "/api/v1/projects". A
   * `FormData` body goes out as multipart (the browser sets the boundary); anything else as JSON.
   * Resolves with the parsed JSON body (undefined for 204 / empty bodies); rejects with ApiError.
   */
  request<T>(method: HttpMethod, path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  /**
   * GETs a binary resource (a video, a PDF, an .srt) as a Blob, with the same base URL and
   * credentials as `request`: the desktop's custom scheme and the accounts mode's bearer token
   * rule out a plain `src`/`href`. Rejects with ApiError like `request`.
   */
  requestBlob(path: string, signal?: AbortSignal): Promise<Blob>;
  /**
   * POSTs a JSON body whose answer is read as it arrives (server-sent events), with the same
   * credentials as `request`: resolves with the response once a success status is in (a 204
   * included), its body unread; rejects with ApiError otherwise (an OpenAI-shaped error body
   * included). `options`: a GET (no body) instead, a FormData body (sent as multipart, like
   * `request`), extra headers (`Last-Event-ID` when resuming).
   */
  stream(path: string, body: unknown, signal?: AbortSignal, options?: StreamOptions): Promise<Response>;
  /**
   * The URL an `EventSource` can open for a server-sent-events path, or null when this transport
   * cannot stream: the desktop shell's app:// scheme has no EventSource support, and EventSource
   * cannot send the bearer token the web build needs once signed in. Callers poll instead.
   */
  eventStreamUrl(path: string): string | null;
  /**
   * A URL a `<video>` element can read directly, in ranges, or null when this transport needs
   * `requestBlob` instead. The desktop's bridge answers range requests a piece at a time (so a
   * long export is never held whole); the web build's bearer token cannot go on a `src`.
   */
  mediaUrl(path: string): string | null;
}

/** How `Transport.stream` sends its request (default: a POST with a JSON body). */
export interface StreamOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
}

/** The header that names the workspace a request acts in (absent: the personal workspace). */
export const WORKSPACE_HEADER = 'X-Workspace-Id';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface FetchTransportOptions {
  kind: TransportKind;
  baseUrl: string;
  /** Returns the bearer token to send, if any; read on every request. */
  getToken?: () => string | null | undefined;
  /**
   * Returns the workspace to act in, sent as `X-Workspace-Id` (accounts mode); null/undefined
   * for the personal workspace (no header). Read on every request.
   */
  getWorkspace?: () => string | null | undefined;
  /**
   * Told about a 401 answer to a request that carried a bearer token. Resolves true when a new
   * token is in place and the request should be sent once more (the session refreshed an expired
   * access token); false to let the 401 through. Never called for the retry itself.
   */
  onUnauthorized?: (error: ApiError, info: { path: string; token: string }) => Promise<boolean>;
  fetch?: FetchLike;
}

function isFormData(body: unknown): body is FormData {
  return typeof FormData !== 'undefined' && body instanceof FormData;
}

export function joinUrl(baseUrl: string, path: string): string {
  if (!path.startsWith('/')) {
    throw new Error(`API path must start with "/": ${path}`);
  }
  return baseUrl.replace(/\/+$/, '') + path;
}

/** A transport that speaks HTTP with `fetch`; both the desktop and the browser flavours use it. */
export function createFetchTransport(opts: FetchTransportOptions): Transport {
  const doFetch: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));

  function addWorkspace(headers: Record<string, string>) {
    const ws = opts.getWorkspace?.();
    if (ws) headers[WORKSPACE_HEADER] = ws;
  }

  /** Runs `send` with the current token; on a 401 lets `onUnauthorized` decide on one retry. */
  async function withAuthRetry<T>(path: string, send: (token: string | null) => Promise<T>): Promise<T> {
    const token = opts.getToken?.() || null;
    try {
      return await send(token);
    } catch (e) {
      if (!(token && opts.onUnauthorized && e instanceof ApiError && e.status === 401)) throw e;
      if (!(await opts.onUnauthorized(e, { path, token }))) throw e;
      return send(opts.getToken?.() || null);
    }
  }

  function request<T>(method: HttpMethod, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return withAuthRetry(path, (token) => requestOnce<T>(method, path, body, signal, token));
  }

  async function requestOnce<T>(
    method: HttpMethod,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    token: string | null,
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers };
    if (isFormData(body) && opts.kind === 'desktop') {
      // WebKitGTK drops an app:// request whose body holds a File: send the multipart bytes.
      const encoded = await encodeMultipart(body);
      headers['Content-Type'] = encoded.contentType;
      init.body = encoded.body;
    } else if (isFormData(body)) {
      // No Content-Type: fetch writes `multipart/form-data; boundary=…` itself.
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    addWorkspace(headers);
    if (signal) init.signal = signal;

    let res: Response;
    try {
      res = await doFetch(joinUrl(opts.baseUrl, path), init);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw networkError(e);
    }

    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw networkError(e);
    }

    if (!res.ok) {
      throw parseErrorResponse(res.status, text, res.statusText, res.headers.get('Retry-After'));
    }
    if (res.status === 204 || text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, {
        detail: `The server sent an unreadable answer to ${method} ${path}`,
        error_code: CLIENT_ERROR_CODES.badResponse,
        retryable: false,
      });
    }
  }

  function requestBlob(path: string, signal?: AbortSignal): Promise<Blob> {
    return withAuthRetry(path, (token) => requestBlobOnce(path, signal, token));
  }

  async function requestBlobOnce(path: string, signal: AbortSignal | undefined, token: string | null): Promise<Blob> {
    const headers: Record<string, string> = { Accept: '*/*' };
    const init: RequestInit = { method: 'GET', headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    addWorkspace(headers);
    if (signal) init.signal = signal;
    let res: Response;
    try {
      res = await doFetch(joinUrl(opts.baseUrl, path), init);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw networkError(e);
    }
    if (!res.ok) {
      let text = '';
      try {
        text = await res.text();
      } catch {
        // the status alone makes the error
      }
      throw parseErrorResponse(res.status, text, res.statusText, res.headers.get('Retry-After'));
    }
    try {
      return await res.blob();
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw networkError(e);
    }
  }

  function stream(path: string, body: unknown, signal?: AbortSignal, options: StreamOptions = {}): Promise<Response> {
    return withAuthRetry(path, (token) => streamOnce(path, body, signal, token, options));
  }

  async function streamOnce(
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    token: string | null,
    options: StreamOptions,
  ): Promise<Response> {
    const method = options.method ?? 'POST';
    const headers: Record<string, string> = { ...options.headers, Accept: 'text/event-stream, application/json' };
    const init: RequestInit = { method, headers };
    if (method === 'GET') {
      // no body
    } else if (isFormData(body) && opts.kind === 'desktop') {
      // As in `request`: WebKitGTK drops an app:// request whose body holds a File.
      const encoded = await encodeMultipart(body);
      headers['Content-Type'] = encoded.contentType;
      init.body = encoded.body;
    } else if (isFormData(body)) {
      init.body = body;
    } else {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    addWorkspace(headers);
    if (signal) init.signal = signal;
    let res: Response;
    try {
      res = await doFetch(joinUrl(opts.baseUrl, path), init);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw networkError(e);
    }
    if (res.ok) return res;
    let text = '';
    try {
      text = await res.text();
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      // the status alone makes the error
    }
    throw parseErrorResponse(res.status, text, res.statusText, res.headers.get('Retry-After'));
  }

  function eventStreamUrl(path: string): string | null {
    if (opts.kind !== 'browser') return null;
    // EventSource sends neither the bearer token nor the workspace header.
    if (opts.getToken?.() || opts.getWorkspace?.()) return null;
    return joinUrl(opts.baseUrl, path);
  }

  function mediaUrl(path: string): string | null {
    return opts.kind === 'desktop' ? joinUrl(opts.baseUrl, path) : null;
  }

  return { kind: opts.kind, baseUrl: opts.baseUrl, request, requestBlob, stream, eventStreamUrl, mediaUrl };
}
