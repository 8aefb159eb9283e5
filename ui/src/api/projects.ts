import { request } from '../transport';
import type {
  DeletedProject,
  Health,
  NewProject,
  Page,
  Project,
  ProjectPatch,
  ProjectStatus,
} from './types';

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 20;

export type StatusFilter = ProjectStatus | 'all';

export interface ListQuery {
  page?: number;
  limit?: number;
  status?: StatusFilter;
}

/** `/api/v1/projects?…` for a list query; page ≥ 1, 1 ≤ limit ≤ 100, no status for "all". */
export function projectsListPath(q: ListQuery = {}): string {
  const page = Math.max(1, Math.floor(q.page ?? 1));
  const limit = Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(q.limit ?? DEFAULT_PAGE_LIMIT)));
  const params = new URLSearchParams({ page: String(page), limit: String(limit) });
  if (q.status && q.status !== 'all') params.set('status', q.status);
  return `/api/v1/projects?${params.toString()}`;
}

export function projectPath(id: string): string {
  return `/api/v1/projects/${encodeURIComponent(id)}`;
}

export function listProjects(q: ListQuery = {}, signal?: AbortSignal): Promise<Page<Project>> {
  return request<Page<Project>>('GET', projectsListPath(q), undefined, signal);
}

export function getProject(id: string, signal?: AbortSignal): Promise<Project> {
  return request<Project>('GET', projectPath(id), undefined, signal);
}

export function createProject(input: NewProject): Promise<Project> {
  return request<Project>('POST', '/api/v1/projects', input);
}

export function updateProject(id: string, patch: ProjectPatch): Promise<Project> {
  return request<Project>('PATCH', projectPath(id), patch);
}

export function deleteProject(id: string): Promise<DeletedProject> {
  return request<DeletedProject>('DELETE', projectPath(id));
}

export function restoreProject(id: string): Promise<Project> {
  return request<Project>('POST', `${projectPath(id)}/restore`);
}

export function getHealth(signal?: AbortSignal): Promise<Health> {
  return request<Health>('GET', '/health', undefined, signal);
}
