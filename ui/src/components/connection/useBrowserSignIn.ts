import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { useSignInProvidersOf, type SignInProvider } from '../../api/remote';
import { useDebounced } from '../../lib/useDebounced';
import { PROVIDERS_DEBOUNCE_MS, createBrowserSignIn, providersServer, type BrowserSignInFlow, type BrowserStep } from './browserSignIn';

const NO_PROVIDERS: readonly SignInProvider[] = [];

/**
 * The sign-in providers of the server address being typed, asked for once the address has stayed
 * the same for half a second and is a valid one; none while it changes, while the answer is out,
 * or when the server cannot be reached (the password form says why then). `serverUrl` is the
 * address they belong to.
 */
export function useServerProviders(raw: string): { serverUrl: string | null; providers: readonly SignInProvider[] } {
  const typed = raw.trim();
  const settled = useDebounced(typed, PROVIDERS_DEBOUNCE_MS);
  const serverUrl = providersServer(typed, settled);
  const read = useSignInProvidersOf(serverUrl);
  const providers = serverUrl !== null && Array.isArray(read.data) ? read.data : NO_PROVIDERS;
  return { serverUrl, providers };
}

/**
 * The browser sign-in of the connection page: its step, and start / open again / cancel / try
 * again. On arrival it picks up an attempt still waiting; leaving the page stops the reads (the
 * core keeps waiting).
 */
export function useBrowserSignIn(): { step: BrowserStep; flow: BrowserSignInFlow } {
  const queryClient = useQueryClient();
  const [flow] = useState(() => createBrowserSignIn({ queryClient }));
  const step = useSyncExternalStore(flow.subscribe, flow.getState, flow.getState);
  useEffect(() => {
    void flow.resume();
    return () => flow.dispose();
  }, [flow]);
  return { step, flow };
}
