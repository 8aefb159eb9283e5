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
