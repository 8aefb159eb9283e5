/**
 * Project sync (desktop only): a project on the desktop linked to a workspace on the team server
 * it is signed in to. The desktop core keeps the outbox, pushes and pulls in the background, and
 * records what it had to set aside as conflicts. The calls, then their TanStack Query hooks (keys
 * under `keys.sync`). A team server answers these desktop paths with 404.
 */
import { useQuery, type QueryClient } from '@tanstack/react-query';
import { ApiError, request } from '../transport';
import { apiPath } from './paths';
import { keys } from './queries';
import type { components } from './schema.gen';

type Schemas = components['schemas'];

export type SyncState = 'synced' | 'pending' | 'offline' | 'conflict';
/** A linked project's sync state (`state` narrowed to the four the core reports). */
export type SyncStatus = Omit<Schemas['SyncStatus'], 'state'> & { state: SyncState };
export type SyncConflict = Schemas['Conflict'];
export type LinkInput = Schemas['LinkInput'];

export type ReviewDecision = 'approve' | 'reject' | 'replace' | 'select' | 'unlock';
/** The server's `Event`, with the review decision's payload spelled out (the schema has it as an object). */
export type SyncEvent = Omit<Schemas['Event'], 'payload' | 'kind'> & {
  kind: 'review_decision';
  payload: { shot_id: string; asset_id: string | null; decision: ReviewDecision; comment: string; at: string };
};

/** How often a linked project's status is read again while the page is visible. */
export const SYNC_POLL_MS = 5_000;

export const SYNC_PATHS = {
  links: '/api/v1/sync/links',
  project: (projectId: string) => apiPath('projects', projectId, 'sync'),
  now: (projectId: string) => apiPath('projects', projectId, 'sync', 'now'),
  conflicts: (projectId: string) => apiPath('projects', projectId, 'sync', 'conflicts'),
  events: (projectId: string) => apiPath('projects', projectId, 'sync', 'events'),
} as const;

/** Every linked project's status. */
export function listSyncLinks(signal?: AbortSignal): Promise<SyncStatus[]> {
  return request<SyncStatus[]>('GET', SYNC_PATHS.links, undefined, signal);
}

/** The project's status; null when it is not linked (the core answers 404 NOT_FOUND). */
export async function getSyncStatus(projectId: string, signal?: AbortSignal): Promise<SyncStatus | null> {
  try {
    return await request<SyncStatus>('GET', SYNC_PATHS.project(projectId), undefined, signal);
  } catch (e) {
    if (e instanceof ApiError && e.isNotFound) return null;
    throw e;
  }
}

/**
 * Links the project to a workspace and runs the first sync (201). 422 `server_url`: not signed in
 * to a team server; 409: linked already.
 */
export function linkProject(projectId: string, body: LinkInput): Promise<SyncStatus> {
  return request<SyncStatus>('POST', SYNC_PATHS.project(projectId), body);
}

/** Unlinks (204): the project stays on the desktop and on the server. */
export function unlinkProject(projectId: string): Promise<void> {
  return request<void>('DELETE', SYNC_PATHS.project(projectId));
}

/** Syncs now; a failure is reported as state `offline` with `last_error`, not as an error. */
export function syncNow(projectId: string): Promise<SyncStatus> {
  return request<SyncStatus>('POST', SYNC_PATHS.now(projectId), {});
}

/** The project's conflicts, newest first. */
export function listConflicts(projectId: string, signal?: AbortSignal): Promise<SyncConflict[]> {
  return request<SyncConflict[]>('GET', SYNC_PATHS.conflicts(projectId), undefined, signal);
}

/** The project's review decisions (made on the team server or on this desktop), newest first. */
export function syncEvents(projectId: string, signal?: AbortSignal): Promise<SyncEvent[]> {
  return request<SyncEvent[]>('GET', SYNC_PATHS.events(projectId), undefined, signal);
}

/* ---------- queries ---------- */

/**
 * The project's sync status, read every 5 s while the page is visible (TanStack Query pauses
 * interval reads in the background). `data` is null when the project is not linked.
 * `enabled`: only on the desktop while it is signed in to a team server.
 */
export const useSyncStatus = (projectId: string, enabled = true) =>
  useQuery({
    queryKey: keys.sync.project(projectId),
    queryFn: ({ signal }) => getSyncStatus(projectId, signal),
    refetchInterval: SYNC_POLL_MS,
    enabled,
  });

export const useSyncLinks = (enabled = true) =>
  useQuery({ queryKey: keys.sync.links, queryFn: ({ signal }) => listSyncLinks(signal), enabled });

/** The conflict list, read again whenever the status's conflict count changes (it is in the key). */
export const useSyncConflicts = (projectId: string, count: number, enabled = true) =>
  useQuery({ queryKey: keys.sync.conflicts(projectId, count), queryFn: ({ signal }) => listConflicts(projectId, signal), enabled });

/**
 * The review decisions, read again whenever the status's `last_synced_at` changes (it is in the
 * key) and after link / "Sync now" / unlink (`putSyncStatus` invalidates them).
 */
export const useSyncEvents = (projectId: string, enabled = true, lastSyncedAt: string | null = null) =>
  useQuery({ queryKey: keys.sync.events(projectId, lastSyncedAt), queryFn: ({ signal }) => syncEvents(projectId, signal), enabled });

/** Puts a status (or "not linked") into the cache and marks the other sync reads stale. */
export function putSyncStatus(queryClient: QueryClient, projectId: string, status: SyncStatus | null): void {
  queryClient.setQueryData(keys.sync.project(projectId), status);
  void queryClient.invalidateQueries({ queryKey: keys.sync.links });
  void queryClient.invalidateQueries({ queryKey: keys.sync.conflictsAll(projectId) });
  void queryClient.invalidateQueries({ queryKey: keys.sync.eventsAll(projectId) });
}

/** Link, then the cache holds the answer. */
export async function linkAndCache(queryClient: QueryClient, projectId: string, workspaceId: string): Promise<SyncStatus> {
  const s = await linkProject(projectId, { workspace_id: workspaceId.trim() });
  putSyncStatus(queryClient, projectId, s);
  return s;
}

export async function syncNowAndCache(queryClient: QueryClient, projectId: string): Promise<SyncStatus> {
  const s = await syncNow(projectId);
  putSyncStatus(queryClient, projectId, s);
  return s;
}

export async function unlinkAndCache(queryClient: QueryClient, projectId: string): Promise<void> {
  await unlinkProject(projectId);
  putSyncStatus(queryClient, projectId, null);
}
