/**
 * The connection status shared by the header badge and the connection page: one fetch, and
 * every change (sign in, check, sign out) published to both at once.
 */
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { checkConnection, getConnection, type ConnectionStatus } from '../../api/remote';
import { needsFirstCheck } from './connection';

type Listener = (s: ConnectionStatus) => void;

let current: ConnectionStatus | null = null;
/** Counts publications, so a read that started before a newer answer does not overwrite it. */
let published = 0;
const listeners = new Set<Listener>();
let firstCheck: Promise<void> | null = null;

export function currentConnection(): ConnectionStatus | null {
  return current;
}

export function publishConnection(s: ConnectionStatus): void {
  current = s;
  published += 1;
  for (const l of listeners) l(s);
}

export function subscribeConnection(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/**
 * Reads the status (local, instant) and publishes it. When signed in but not checked since the
 * app started, asks the server once in the background: nothing waits on that answer.
 */
export async function refreshConnection(signal?: AbortSignal): Promise<ConnectionStatus> {
  const before = published;
  const s = await getConnection(signal);
  if (published !== before && current) return current;
  publishConnection(s);
  if (needsFirstCheck(s) && !firstCheck) {
    firstCheck = checkConnection()
      .then(publishConnection)
      .catch(() => undefined);
  }
  return s;
}

/**
 * The status as React state, read (and re-read every `refetchInterval` ms) through the query
 * cache: the badge and the page share one read; sign in, check and sign out publish to both.
 */
export function useConnectionStatus(refetchInterval?: number) {
  // The same snapshot when rendered to a string (tests render screens that read it).
  const status = useSyncExternalStore(subscribeConnection, currentConnection, currentConnection);
  const read = useQuery({ ...connectionQuery, refetchInterval });
  return { status, read };
}

const CONNECTION_KEY = ['connection'] as const;

const connectionQuery = {
  queryKey: CONNECTION_KEY,
  queryFn: ({ signal }: { signal: AbortSignal }) => refreshConnection(signal),
};

/**
 * Reads the status again now through the same query (after a sign-in made elsewhere, e.g. in the
 * system browser): the badge and the page show what the core says.
 */
export function reloadConnection(queryClient: QueryClient): Promise<ConnectionStatus> {
  return queryClient.fetchQuery({ ...connectionQuery, staleTime: 0 });
}

/** Tests: forget everything. */
export function resetConnectionStore(): void {
  current = null;
  published = 0;
  firstCheck = null;
  listeners.clear();
}
