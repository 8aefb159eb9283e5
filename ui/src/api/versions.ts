import { request } from '../transport';
import { apiPath, query } from './paths';
import type { NewVersion, Page, Project, Version } from './types';

export function versionsPath(projectId: string, versionId?: string): string {
  return versionId ? apiPath('projects', projectId, 'versions', versionId) : apiPath('projects', projectId, 'versions');
}

/** Newest number first. */
export function listVersions(projectId: string, signal?: AbortSignal): Promise<Page<Version>> {
  return request<Page<Version>>('GET', `${versionsPath(projectId)}${query({ page: 1, limit: 100 })}`, undefined, signal);
}

export function getVersion(projectId: string, versionId: string, signal?: AbortSignal): Promise<Version> {
  return request<Version>('GET', versionsPath(projectId, versionId), undefined, signal);
}

/** A copy of `from_version_id` (default: the current version); becomes current unless told not to. */
export function createVersion(projectId: string, input: NewVersion = {}): Promise<Version> {
  return request<Version>('POST', versionsPath(projectId), input);
}

export function setCurrentVersion(projectId: string, versionId: string): Promise<Project> {
  return request<Project>('POST', `${versionsPath(projectId, versionId)}/current`);
}

/*
 * A version's scene and shot counts change with every parse and storyboard edit; the version
 * picker listens here and re-reads them (issue 14: they went stale after a parse or a delete).
 */
const countListeners = new Set<(projectId: string) => void>();

/** Tells the version picker that `projectId`'s counts may have changed. */
export function versionCountsChanged(projectId: string): void {
  for (const listener of countListeners) listener(projectId);
}

/** Subscribes to [`versionCountsChanged`]; returns the unsubscribe function. */
export function onVersionCountsChanged(listener: (projectId: string) => void): () => void {
  countListeners.add(listener);
  return () => countListeners.delete(listener);
}
