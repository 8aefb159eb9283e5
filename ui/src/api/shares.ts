/**
 * Share links (docs/API-SHARES.md; team server only): a link to a completed export that anyone
 * can watch in a browser, without an account, until it expires or is revoked. The calls, then
 * their TanStack Query hooks (keys under `keys.shares`).
 */
import { keepPreviousData, useQuery, type QueryClient } from '@tanstack/react-query';
import { request } from '../transport';
import { apiPath, query } from './paths';
import { keys } from './queries';
import type { NewShare, Page, Share } from './types';

export const SHARES_PATH = '/api/v1/share';

export interface ShareListQuery {
  /** Only this project's links. */
  projectId?: string;
  page?: number;
  limit?: number;
}

export function sharesPath(q: ShareListQuery = {}): string {
  return `${SHARES_PATH}${query({ project_id: q.projectId, page: q.page ?? 1, limit: q.limit ?? 20 })}`;
}

const sharePath = (id: string) => apiPath('share', id);

/**
 * Makes a link (201, `active`). 404 for a project (or export) not in the workspace; 422 with
 * `field` for an export that is not a completed one of the project (`export_id`), an expiry not
 * in the next 366 days (`expires_at`), a password not 4–128 characters (`password`).
 */
export function createShare(body: NewShare): Promise<Share> {
  return request<Share>('POST', SHARES_PATH, body);
}

/** The workspace's links (or one project's), newest first, with their status and view counts. */
export function listShares(q: ShareListQuery = {}, signal?: AbortSignal): Promise<Page<Share>> {
  return request<Page<Share>>('GET', sharesPath(q), undefined, signal);
}

export function getShare(id: string, signal?: AbortSignal): Promise<Share> {
  return request<Share>('GET', sharePath(id), undefined, signal);
}

/** Revokes a link for good (its page answers 410 from then on); revoking again changes nothing. */
export function revokeShare(id: string): Promise<Share> {
  return request<Share>('DELETE', sharePath(id));
}

/* ---------- queries ---------- */

export const useShares = (q: ShareListQuery, enabled = true) =>
  useQuery({ queryKey: keys.shares.list(q), queryFn: ({ signal }) => listShares(q, signal), placeholderData: keepPreviousData, enabled });

export const useShare = (id: string | null) =>
  useQuery({ queryKey: keys.shares.one(id ?? ''), queryFn: ({ signal }) => getShare(id!, signal), enabled: id !== null });

/** Puts a link's new state into every cached list and its own entry. */
export function putShare(queryClient: QueryClient, share: Share): void {
  queryClient.setQueriesData<Page<Share>>({ queryKey: keys.shares.lists }, (page) =>
    page ? { ...page, items: page.items.map((s) => (s.id === share.id ? share : s)) } : page,
  );
  queryClient.setQueryData(keys.shares.one(share.id), share);
}

/** After a link is made: the lists read afresh (the new one is first). */
export function refreshShares(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: keys.shares.all });
}

/**
 * Revokes a link: the lists show it revoked at once (the server's answer), then are read afresh.
 * Rejects with the server's error (the lists are then left as they were).
 */
export async function revokeShareLink(queryClient: QueryClient, id: string): Promise<Share> {
  const share = await revokeShare(id);
  putShare(queryClient, share);
  void refreshShares(queryClient);
  return share;
}
