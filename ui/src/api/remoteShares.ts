/**
 * The desktop's shares (docs/API-SHARES.md, "From the desktop"): "Share" on a completed export
 * queues a share that the desktop core sends to the team server it is signed in to (it links and
 * syncs the project, which uploads the video once, then the server makes the link). Offline, the
 * share waits in the queue and is retried. The calls, then their TanStack Query hooks (key
 * `keys.remote.shares`). Desktop transport only: a team server answers these paths with 404.
 */
import { queryOptions, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { request } from '../transport';
import { apiPath } from './paths';
import { keys } from './queries';
import type { components } from './schema.gen';

type Schemas = components['schemas'];

/** `POST /remote/shares`: a completed export, and the link's choices. */
export type QueueShareInput = Schemas['QueueShare'];
/** A share asked for on this desktop, and where it stands. */
export type QueuedShare = Schemas['QueuedShare'];
export type QueuedShareStatus = Schemas['QueuedShareStatus'];

/** How often the list is read again while a share is waiting or being sent. */
export const SHARE_QUEUE_POLL_MS = 2_000;

export const REMOTE_SHARE_PATHS = {
  shares: '/api/v1/remote/shares',
  share: (id: string) => apiPath('remote', 'shares', id),
  send: (id: string) => apiPath('remote', 'shares', id, 'send'),
} as const;

/**
 * Queues a share (202) and sends it at once when the team server can be reached. 422 with
 * `field`: `server_url` (not signed in to a team server), `export_id` (not a completed export),
 * `expires_at`, `password`; 404: no such export.
 */
export function queueShare(body: QueueShareInput): Promise<QueuedShare> {
  return request<QueuedShare>('POST', REMOTE_SHARE_PATHS.shares, body);
}

/** This desktop's shares (every project's), newest first. */
export function listQueuedShares(signal?: AbortSignal): Promise<QueuedShare[]> {
  return request<QueuedShare[]>('GET', REMOTE_SHARE_PATHS.shares, undefined, signal);
}

/** Cancels a share not made yet (queued or failed); 422 `status` otherwise. */
export function cancelQueuedShare(id: string): Promise<QueuedShare> {
  return request<QueuedShare>('DELETE', REMOTE_SHARE_PATHS.share(id));
}

/**
 * Tries now (a failed share is queued again first) and answers where it stands after the try;
 * 422 `status` when it is shared, cancelled or being sent.
 */
export function sendQueuedShare(id: string): Promise<QueuedShare> {
  return request<QueuedShare>('POST', REMOTE_SHARE_PATHS.send(id), {});
}

/* ---------- queries ---------- */

/** Waiting for the team server or being sent: its state will change without anyone asking. */
export function isShareMoving(s: Pick<QueuedShare, 'status'>): boolean {
  return s.status === 'queued' || s.status === 'sending';
}

/** The later of two snapshots of the same share (a slow read must not undo a newer answer). */
export function newerQueuedShare(prev: QueuedShare | null | undefined, next: QueuedShare): QueuedShare {
  if (!prev || prev.id !== next.id) return next;
  return Date.parse(next.updated_at) >= Date.parse(prev.updated_at) ? next : prev;
}

/** How soon the list is read again: every 2 s while a share is queued or sending, else not. */
export function queuePollInterval(query: { state: { data?: readonly QueuedShare[] | undefined } }): number | false {
  return query.state.data?.some(isShareMoving) ? SHARE_QUEUE_POLL_MS : false;
}

/** A fresh list with any newer snapshot the cache holds kept (a Send now's answer). */
function mergeNewer(cached: QueuedShare[] | undefined, read: QueuedShare[]): QueuedShare[] {
  if (!cached) return read;
  const byId = new Map(cached.map((s) => [s.id, s]));
  return read.map((s) => newerQueuedShare(byId.get(s.id), s));
}

/**
 * The list, read again every 2 s while any share is queued or sending (TanStack Query pauses
 * interval reads while the page is hidden), not otherwise.
 */
export const queuedSharesOptions = (queryClient: QueryClient) =>
  queryOptions({
    queryKey: keys.remote.shares,
    queryFn: async ({ signal }) => mergeNewer(queryClient.getQueryData<QueuedShare[]>(keys.remote.shares), await listQueuedShares(signal)),
    refetchInterval: queuePollInterval,
  });

/** `enabled`: only on the desktop. */
export function useQueuedShares(enabled = true) {
  return useQuery({ ...queuedSharesOptions(useQueryClient()), enabled });
}

/** Puts a share's new state into the cached list (first when it is new), keeping a newer one. */
export function putQueuedShare(queryClient: QueryClient, share: QueuedShare): void {
  queryClient.setQueryData<QueuedShare[]>(keys.remote.shares, (list) => {
    if (!list) return [share];
    if (!list.some((s) => s.id === share.id)) return [share, ...list];
    return list.map((s) => (s.id === share.id ? newerQueuedShare(s, share) : s));
  });
}

/** Marks the list stale (read again where it is shown). */
export function refreshQueuedShares(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: keys.remote.shares });
}

/** Queue, then the list holds the answer (and is read again, to follow it). */
export async function queueShareAndCache(queryClient: QueryClient, body: QueueShareInput): Promise<QueuedShare> {
  const share = await queueShare(body);
  putQueuedShare(queryClient, share);
  void refreshQueuedShares(queryClient);
  return share;
}

/** Send now; the list holds the answer. A refusal reads the list again (it may have moved on). */
export async function sendShareAndCache(queryClient: QueryClient, id: string): Promise<QueuedShare> {
  try {
    const share = await sendQueuedShare(id);
    putQueuedShare(queryClient, share);
    return share;
  } catch (e) {
    void refreshQueuedShares(queryClient);
    throw e;
  }
}

/** Cancel; the list holds the answer. A refusal reads the list again. */
export async function cancelShareAndCache(queryClient: QueryClient, id: string): Promise<QueuedShare> {
  try {
    const share = await cancelQueuedShare(id);
    putQueuedShare(queryClient, share);
    return share;
  } catch (e) {
    void refreshQueuedShares(queryClient);
    throw e;
  }
}
