/**
 * Publishing (`openapi.json`, tag `publish`; docs/PUBLISH.md): the platforms with what each
 * publishes and whether this workspace has bound an account, binding and unbinding one (the
 * credentials are sealed by the server and never come back), publishing a creation now or at a
 * time (a job, 202), and the jobs with each platform's result. The calls and their TanStack Query
 * hooks (keys under `keys.publish`); the plain helpers (which platforms a creation may go to, the
 * schedule, the job's summary) are in lib/publish.ts.
 */
import { keepPreviousData, queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { historyPollInterval } from '../lib/publish';
import { request } from '../transport';
import { apiPath, query } from './paths';
import { keys } from './queries';
import type { components } from './schema.gen';
import type { Page } from './types';

type Schemas = components['schemas'];

/** A platform: what its open API publishes (`accepts`), the credentials it takes, the bound account (never a secret). */
export type Platform = Schemas['Platform'];
/** A publish job: one creation (or export) to some platforms, with each platform's part in `items`. */
export type PublishJob = Schemas['PublishJob'];
export type PublishItem = Schemas['PublishItem'];
/** `pending` → `running` → `completed`, `partial` (some platforms published) or `failed`. */
export type JobStatus = Schemas['JobStatus'];
/** `pending` → `sending` → `published` or `failed`; a transient failure goes back to `pending`. */
export type ItemStatus = Schemas['ItemStatus'];
export type PublishRequest = Schemas['PublishRequest'];
/** The document types `credentials` as an object; it is a string per field the platform names. */
export type BindRequest = Omit<Schemas['BindRequest'], 'credentials'> & { credentials: Record<string, string> };

export const JOB_STATUSES = ['pending', 'running', 'completed', 'partial', 'failed'] as const satisfies readonly JobStatus[];
export const ITEM_STATUSES = ['pending', 'sending', 'published', 'failed'] as const satisfies readonly ItemStatus[];

export const PUBLISH_PATHS = {
  publish: '/api/v1/publish',
  platforms: '/api/v1/publish/platforms',
  bind: '/api/v1/publish/platforms/bind',
  platform: (platform: string) => apiPath('publish', 'platforms', platform),
  job: (id: string) => apiPath('publish', id),
  history: (q: { page?: number | undefined; limit?: number | undefined } = {}) =>
    `/api/v1/publish/history${query({ page: q.page ?? 1, limit: q.limit ?? PUBLISH_HISTORY_LIMIT })}`,
} as const;

export const PUBLISH_HISTORY_LIMIT = 20;

/* ---------- calls ---------- */

export function listPlatforms(signal?: AbortSignal): Promise<Platform[]> {
  return request<Platform[]>('GET', PUBLISH_PATHS.platforms, undefined, signal);
}

/**
 * Binds (or re-binds) an account: the answer is the platform (`bound: true`, `account`), never the
 * credentials. 422 `PUBLISH_UNSUPPORTED` for a platform that cannot publish; `VALIDATION_ERROR`
 * with `field: credentials` for a missing field.
 */
export function bindPlatform(body: BindRequest): Promise<Platform> {
  return request<Platform>('POST', PUBLISH_PATHS.bind, body);
}

/** Deletes the bound credentials (204); 404 when nothing is bound. A job not sent yet then fails on that platform. */
export function unbindPlatform(platform: string): Promise<void> {
  return request<void>('DELETE', PUBLISH_PATHS.platform(platform));
}

/**
 * Publishes a creation (or an export) to some platforms, now or at `schedule_time` (202 with the
 * job). 422 `PLATFORM_NOT_BOUND` / `PUBLISH_UNSUPPORTED` (both `field: platforms`) before anything
 * is stored; `VALIDATION_ERROR` for a bad `schedule_time` or source.
 */
export function createPublish(body: PublishRequest): Promise<PublishJob> {
  return request<PublishJob>('POST', PUBLISH_PATHS.publish, body);
}

export function getPublishJob(id: string, signal?: AbortSignal): Promise<PublishJob> {
  return request<PublishJob>('GET', PUBLISH_PATHS.job(id), undefined, signal);
}

/** The workspace's jobs, newest first, each with every platform's result. */
export function listPublishHistory(q: { page?: number; limit?: number } = {}, signal?: AbortSignal): Promise<Page<PublishJob>> {
  return request<Page<PublishJob>>('GET', PUBLISH_PATHS.history(q), undefined, signal);
}

/* ---------- queries ---------- */

export const usePlatforms = (enabled = true) =>
  useQuery({ queryKey: keys.publish.platforms, queryFn: ({ signal }) => listPlatforms(signal), enabled });

/** A page of jobs, read again every few seconds while one of them is pending or running. */
export const publishHistoryOptions = (page: number, limit = PUBLISH_HISTORY_LIMIT) =>
  queryOptions({
    queryKey: keys.publish.history({ page, limit }),
    queryFn: ({ signal }) => listPublishHistory({ page, limit }, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.status === 'error' ? false : historyPollInterval(q.state.data?.items)),
  });

export const usePublishHistory = (page: number, limit = PUBLISH_HISTORY_LIMIT) => useQuery(publishHistoryOptions(page, limit));

/* ---------- changes ---------- */

/** Puts a platform's new state (after a bind) in the cached list, then reads the list afresh. */
function replacePlatform(queryClient: QueryClient, p: Platform): void {
  queryClient.setQueryData<Platform[]>(keys.publish.platforms, (list) => list?.map((x) => (x.platform === p.platform ? p : x)));
  void queryClient.invalidateQueries({ queryKey: keys.publish.platforms });
}

export async function bindAccount(queryClient: QueryClient, platform: string, credentials: Record<string, string>): Promise<Platform> {
  const p = await bindPlatform({ platform, credentials });
  replacePlatform(queryClient, p);
  return p;
}

export async function unbindAccount(queryClient: QueryClient, platform: string): Promise<void> {
  await unbindPlatform(platform);
  queryClient.setQueryData<Platform[]>(keys.publish.platforms, (list) =>
    list?.map((x) => (x.platform === platform ? { ...x, bound: false, account: null } : x)),
  );
  void queryClient.invalidateQueries({ queryKey: keys.publish.platforms });
}

/** Publishes; the history reads afresh (the new job on top). */
export async function publishCreation(queryClient: QueryClient, body: PublishRequest): Promise<PublishJob> {
  const job = await createPublish(body);
  queryClient.setQueryData(keys.publish.one(job.publish_id), job);
  void queryClient.invalidateQueries({ queryKey: keys.publish.histories });
  return job;
}
