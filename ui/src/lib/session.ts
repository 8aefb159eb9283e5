/**
 * The signed-in session of the web build in accounts mode (`storyloom serve --auth accounts`):
 * the access token (short-lived bearer token) and the refresh token (rotating, used once).
 *
 * Where: sessionStorage, not localStorage. The server rotates refresh tokens and treats a used
 * one presented again as stolen (it revokes the whole sign-in). With localStorage every tab would
 * share one refresh token, two tabs refreshing at the same moment would present it twice, and
 * both would be signed out. sessionStorage gives each tab its own sign-in, survives a reload of
 * the tab, and is gone when the tab closes, which also shortens how long a token sits on disk.
 * The price is signing in again in a new tab.
 *
 * The transport asks `accessToken()` on every request and calls `handleUnauthorized` on a 401:
 * an expired access token (401 AUTH_INVALID "… expired") is refreshed once (concurrent requests
 * share that one refresh) and the request is retried; a refused refresh, or any other 401 to a
 * request that carried the token (account suspended, token revoked), signs the session out and
 * tells the subscribers (the app shows the sign-in page).
 */
import { ApiError, parseErrorResponse } from '../transport/errors';
import type { FetchLike } from '../transport/http';

export const SESSION_STORAGE_KEY = 'storyloom.session';
export const REFRESH_PATH = '/api/v1/auth/refresh';

/** Paths whose 401 means "wrong password / bad refresh token", not "this session is dead". */
const CREDENTIAL_PATHS = ['/api/v1/auth/login', '/api/v1/auth/register', REFRESH_PATH, '/api/v1/auth/password', '/api/v1/auth/logout'];

export interface SessionTokens {
  access_token: string;
  refresh_token: string;
}

/** Why the session ended: the user signed out, or the server stopped accepting it. */
export type SignOutReason = { kind: 'signed-out' } | { kind: 'rejected'; detail: string };

export type SessionListener = (reason: SignOutReason) => void;

export type SessionStorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface SessionOptions {
  storage?: SessionStorageLike | undefined;
  fetch?: FetchLike;
  /** Prefix of the refresh URL ("" = same origin). */
  baseUrl?: string;
}

export interface Session {
  tokens(): SessionTokens | null;
  accessToken(): string | null;
  /** Keeps the pair of a register/login/refresh answer. */
  start(tokens: SessionTokens): void;
  /** Forgets the tokens and tells the subscribers. */
  end(reason?: SignOutReason): void;
  /** Exchanges the refresh token for a new pair; true when it worked. Signs out when refused. */
  refresh(): Promise<boolean>;
  /** The transport's 401 hook: true = a new token is in place, send the request again. */
  handleUnauthorized(error: ApiError, info: { path: string; token: string }): Promise<boolean>;
  subscribe(listener: SessionListener): () => void;
}

/** A 401 that says the access token is past its expiry (refreshing helps). */
export function isExpiredTokenError(e: unknown): boolean {
  return e instanceof ApiError && e.status === 401 && e.error_code === 'AUTH_INVALID' && /expired/i.test(e.detail);
}

function pathOnly(path: string): string {
  return path.split('?')[0]!.replace(/\/+$/, '');
}

function parseTokens(text: string | null): SessionTokens | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<SessionTokens>;
    if (typeof v.access_token === 'string' && v.access_token && typeof v.refresh_token === 'string' && v.refresh_token) {
      return { access_token: v.access_token, refresh_token: v.refresh_token };
    }
  } catch {
    // unreadable: no session
  }
  return null;
}

export function createSession(opts: SessionOptions = {}): Session {
  const storage = opts.storage;
  const doFetch: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const baseUrl = (opts.baseUrl ?? '').replace(/\/+$/, '');
  const listeners = new Set<SessionListener>();
  // Kept in memory too: storage may throw (disabled) or be absent, the session still works for the page.
  let memory: SessionTokens | null = null;
  let loaded = false;
  let inflight: Promise<boolean> | null = null;

  function tokens(): SessionTokens | null {
    if (!loaded) {
      loaded = true;
      try {
        memory = parseTokens(storage?.getItem(SESSION_STORAGE_KEY) ?? null);
      } catch {
        memory = null;
      }
    }
    return memory;
  }

  function save(t: SessionTokens | null) {
    memory = t;
    loaded = true;
    try {
      if (t) storage?.setItem(SESSION_STORAGE_KEY, JSON.stringify(t));
      else storage?.removeItem(SESSION_STORAGE_KEY);
    } catch {
      // storage unavailable: memory only
    }
  }

  function end(reason: SignOutReason = { kind: 'signed-out' }) {
    const had = tokens() !== null;
    save(null);
    if (had) for (const l of [...listeners]) l(reason);
  }

  async function doRefresh(): Promise<boolean> {
    const current = tokens();
    if (!current) return false;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${baseUrl}${REFRESH_PATH}`, {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: current.refresh_token }),
      });
      text = await res.text();
    } catch {
      // No answer: the refresh token may still be good; keep it and let this request fail.
      return false;
    }
    if (tokens()?.refresh_token !== current.refresh_token) {
      // Signed out (or in again) meanwhile: this answer is about a session that is gone.
      return tokens() !== null;
    }
    if (res.ok) {
      const next = parseTokens(text);
      if (next) {
        save(next);
        return true;
      }
    }
    if (res.status >= 500 || res.status === 429) return false;
    const err = parseErrorResponse(res.status, text, res.statusText);
    end({ kind: 'rejected', detail: res.ok ? 'The server sent an unreadable session' : err.detail });
    return false;
  }

  function refresh(): Promise<boolean> {
    if (!inflight) {
      inflight = doRefresh().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  async function handleUnauthorized(error: ApiError, info: { path: string; token: string }): Promise<boolean> {
    const current = tokens();
    if (!current) return false;
    if (isExpiredTokenError(error)) {
      // Another request refreshed already: just send again with the new token.
      if (current.access_token !== info.token) return true;
      return refresh();
    }
    if (CREDENTIAL_PATHS.includes(pathOnly(info.path))) return false;
    // Only the token this session holds now can end it (not a stale one from before a refresh).
    if (current.access_token === info.token) end({ kind: 'rejected', detail: error.detail });
    return false;
  }

  return {
    tokens,
    accessToken: () => tokens()?.access_token ?? null,
    start: (t) => save({ access_token: t.access_token, refresh_token: t.refresh_token }),
    end,
    refresh,
    handleUnauthorized,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

let current: Session | undefined;

/** The page's session (window.sessionStorage), created on first use. */
export function getSession(): Session {
  if (!current) {
    let storage: SessionStorageLike | undefined;
    try {
      storage = typeof window === 'undefined' ? undefined : window.sessionStorage;
    } catch {
      storage = undefined;
    }
    current = createSession({ storage });
  }
  return current;
}

/** Replaces the page's session (tests). */
export function setSession(s: Session | undefined): void {
  current = s;
}
