/**
 * Signing in to the team server with one of its providers through the system browser
 * (docs/API-WORKSPACES.md, "The desktop signs in through the browser"): start (the core answers
 * the page to open, opened at once with `openExternal`), follow the attempt every second while it
 * waits, then read the connection again once signed in; cancel stops the waiting. A small store
 * outside React, so the flow can be followed (and tested) without a screen; `useBrowserSignIn`
 * renders it.
 */
import type { QueryClient } from '@tanstack/react-query';
import {
  cancelBrowserSignIn,
  getBrowserSignIn,
  startBrowserSignIn,
  type BrowserSignIn,
  type BrowserSignInInput,
  type SignInProvider,
} from '../../api/remote';
import { t } from '../../i18n';
import { openExternal } from '../../lib/openExternal';
import { ApiError, errorMessage } from '../../transport';
import { reloadConnection } from './store';
import { validateServerUrl } from './connection';

/** How often a waiting sign-in is read. */
export const BROWSER_POLL_MS = 1000;

/** How long the server address must stay unchanged before its providers are asked for. */
export const PROVIDERS_DEBOUNCE_MS = 500;

/** Where the browser sign-in stands, as the page shows it. */
export type BrowserStep =
  /** The provider buttons (when the server has any). */
  | { kind: 'idle' }
  /** Asking the core to start (the button says so). */
  | { kind: 'starting'; provider: string }
  /** The page is open in the browser; `error`: Cancel failed. */
  | { kind: 'waiting'; attempt: BrowserSignIn; cancelling: boolean; error: string | null }
  | { kind: 'signed_in'; attempt: BrowserSignIn }
  /** The attempt failed, or could not start: why, and Try again. */
  | { kind: 'failed'; provider: string; message: string };

export const IDLE: BrowserStep = { kind: 'idle' };

/** The address whose providers to ask for, or null while it is not a valid server address. */
export function providersAddress(raw: string): string | null {
  return validateServerUrl(raw) === null ? raw.trim() : null;
}

/**
 * Which server's providers to ask for and show: the typed address once it has stayed the same
 * (`settled` is the debounced value) and is a valid one; null while it changes or is not valid.
 */
export function providersServer(typed: string, settled: string): string | null {
  return typed.trim() === settled.trim() ? providersAddress(settled) : null;
}

/** A provider's name for people (its id when the list does not have it). */
export function providerName(providers: readonly SignInProvider[], id: string): string {
  return providers.find((p) => p.id === id)?.name ?? id;
}

export interface BrowserSignInFlow {
  getState(): BrowserStep;
  subscribe(listener: () => void): () => void;
  /** Starts signing in with `provider` on `server_url` and opens its page in the browser. */
  start(input: BrowserSignInInput): Promise<void>;
  /** Opens the waiting attempt's page again. */
  openAgain(): Promise<void>;
  /** Stops waiting for the browser. */
  cancel(): Promise<void>;
  /** Starts again with the last provider and server. */
  retry(): Promise<void>;
  /** Picks up an attempt still waiting (the page was left and opened again), or follows this one again. */
  resume(): Promise<void>;
  /** Stops following (the page is left); the core keeps waiting. */
  dispose(): void;
}

export interface BrowserSignInOptions {
  queryClient: QueryClient;
  open?: (url: string) => Promise<void>;
  intervalMs?: number;
}

export function createBrowserSignIn({ queryClient, open = openExternal, intervalMs = BROWSER_POLL_MS }: BrowserSignInOptions): BrowserSignInFlow {
  let state: BrowserStep = IDLE;
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every start, cancel and dispose: an answer to an older read is dropped. */
  let generation = 0;
  let last: BrowserSignInInput | null = null;

  function set(next: BrowserStep) {
    state = next;
    for (const l of listeners) l();
  }

  function stopFollowing(): number {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    generation += 1;
    return generation;
  }

  function follow(gen: number) {
    timer = setTimeout(() => void tick(gen), intervalMs);
  }

  async function tick(gen: number) {
    let attempt: BrowserSignIn;
    try {
      attempt = await getBrowserSignIn();
    } catch (e) {
      if (gen !== generation) return;
      // Gone (the core restarted): nothing to wait for. Anything else passes: read again.
      if (e instanceof ApiError && e.isNotFound) set(IDLE);
      else follow(gen);
      return;
    }
    if (gen === generation) adopt(attempt, gen);
  }

  function adopt(attempt: BrowserSignIn, gen: number) {
    switch (attempt.status) {
      case 'waiting':
        set({ kind: 'waiting', attempt, cancelling: false, error: null });
        follow(gen);
        return;
      case 'signed_in':
        set({ kind: 'signed_in', attempt });
        // The core holds the session now: the badge and the page read it (a failed read says so there).
        void reloadConnection(queryClient).catch(() => undefined);
        return;
      case 'failed':
        set({ kind: 'failed', provider: attempt.provider, message: attempt.message?.trim() || t('connection.browser.failedGeneric') });
        return;
      case 'cancelled':
        set(IDLE);
        return;
    }
  }

  async function start(input: BrowserSignInInput) {
    if (state.kind === 'starting' || state.kind === 'waiting') return;
    last = input;
    const gen = stopFollowing();
    set({ kind: 'starting', provider: input.provider });
    let attempt: BrowserSignIn;
    try {
      attempt = await startBrowserSignIn(input);
    } catch (e) {
      if (gen === generation) set({ kind: 'failed', provider: input.provider, message: errorMessage(e) });
      return;
    }
    if (gen !== generation) return;
    adopt(attempt, gen);
    // A browser that fails to open is not a failed sign-in: the panel offers the page again.
    if (attempt.status === 'waiting') await open(attempt.authorize_url).catch(() => undefined);
  }

  async function openAgain() {
    if (state.kind === 'waiting') await open(state.attempt.authorize_url).catch(() => undefined);
  }

  async function cancel() {
    if (state.kind !== 'waiting' || state.cancelling) return;
    const waiting = state;
    const gen = stopFollowing();
    set({ ...waiting, cancelling: true, error: null });
    try {
      const answer = await cancelBrowserSignIn();
      if (gen === generation) adopt(answer, gen);
    } catch (e) {
      if (gen !== generation) return;
      set({ ...waiting, cancelling: false, error: errorMessage(e) });
      follow(gen);
    }
  }

  async function retry() {
    if (last && state.kind === 'failed') await start(last);
  }

  async function resume() {
    if (state.kind === 'waiting' && !state.cancelling) {
      follow(stopFollowing());
      return;
    }
    if (state.kind !== 'idle') return;
    const gen = stopFollowing();
    try {
      const attempt = await getBrowserSignIn();
      if (gen === generation && state.kind === 'idle' && attempt.status === 'waiting') {
        last = { server_url: attempt.server_url, provider: attempt.provider };
        adopt(attempt, gen);
      }
    } catch {
      // None (404), or the core did not answer: the buttons are all there is.
    }
  }

  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start,
    openAgain,
    cancel,
    retry,
    resume,
    dispose: () => void stopFollowing(),
  };
}
