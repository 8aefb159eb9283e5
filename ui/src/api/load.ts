import type { UseQueryResult } from '@tanstack/react-query';
import { errorMessage } from '../transport';

/**
 * What a screen shows of one read: loading, the data, or the error (a failed re-read replaces
 * what was shown, as the screens did before the query cache). A view of a `useQuery` result, so
 * presentational components (and their tests) need not know about the cache.
 */
export type Load<T> = { kind: 'loading' } | { kind: 'ready'; data: T } | { kind: 'error'; message: string; error?: unknown };

export function loadOf<T>(q: Pick<UseQueryResult<T>, 'status' | 'data' | 'error'>): Load<T> {
  if (q.status === 'error') return { kind: 'error', message: errorMessage(q.error), error: q.error };
  if (q.data === undefined) return { kind: 'loading' };
  return { kind: 'ready', data: q.data };
}
