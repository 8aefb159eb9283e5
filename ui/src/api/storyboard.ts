import { request } from '../transport';
import { apiPath, query } from './paths';
import type { DeletedShot, MoveTarget, NewShot, Shot, ShotPatch, SplitAt, Storyboard } from './types';

export function getStoryboard(projectId: string, versionId?: string, signal?: AbortSignal): Promise<Storyboard> {
  return request<Storyboard>(
    'GET',
    `${apiPath('projects', projectId, 'storyboard')}${query({ version_id: versionId })}`,
    undefined,
    signal,
  );
}

const shotPath = (id: string) => apiPath('storyboards', id);

export function createShot(input: NewShot): Promise<Shot> {
  return request<Shot>('POST', '/api/v1/storyboards', input);
}

export function updateShot(id: string, patch: ShotPatch): Promise<Shot> {
  return request<Shot>('PATCH', shotPath(id), patch);
}

export function deleteShot(id: string): Promise<DeletedShot> {
  return request<DeletedShot>('DELETE', shotPath(id));
}

export function restoreShot(id: string): Promise<Shot> {
  return request<Shot>('POST', `${shotPath(id)}/restore`);
}

export function moveShot(id: string, target: MoveTarget): Promise<Shot> {
  return request<Shot>('POST', `${shotPath(id)}/move`, target);
}

/** Default: split in half (dialogue lines, else description). */
export function splitShot(id: string, at: SplitAt = {}): Promise<[Shot, Shot]> {
  return request<[Shot, Shot]>('POST', `${shotPath(id)}/split`, at);
}

/** Merges the next shot (`withId`) into `id`. */
export function mergeShots(id: string, withId: string): Promise<Shot> {
  return request<Shot>('POST', `${shotPath(id)}/merge`, { with_id: withId });
}
