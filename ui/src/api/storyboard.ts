import { request } from '../transport';
import { apiPath, query } from './paths';
import type { DeletedShot, MoveTarget, NewShot, Shot, ShotPatch, SplitAt, Storyboard } from './types';
import { versionCountsChanged } from './versions';

export function getStoryboard(projectId: string, versionId?: string, signal?: AbortSignal): Promise<Storyboard> {
  return request<Storyboard>(
    'GET',
    `${apiPath('projects', projectId, 'storyboard')}${query({ version_id: versionId })}`,
    undefined,
    signal,
  );
}

const shotPath = (id: string) => apiPath('storyboards', id);

/** Resolves with `r` after telling the version picker that the shot's project changed. */
function counted<T>(projectId: (r: T) => string | undefined) {
  return (r: T): T => {
    const p = projectId(r);
    if (p) versionCountsChanged(p);
    return r;
  };
}

export function createShot(input: NewShot): Promise<Shot> {
  return request<Shot>('POST', '/api/v1/storyboards', input).then(counted((s) => s?.project_id));
}

export function getShot(id: string, signal?: AbortSignal): Promise<Shot> {
  return request<Shot>('GET', shotPath(id), undefined, signal);
}

export function updateShot(id: string, patch: ShotPatch): Promise<Shot> {
  return request<Shot>('PATCH', shotPath(id), patch);
}

/** `projectId` (when known) refreshes the version picker's counts afterwards. */
export function deleteShot(id: string, projectId?: string): Promise<DeletedShot> {
  return request<DeletedShot>('DELETE', shotPath(id)).then(counted(() => projectId));
}

export function restoreShot(id: string): Promise<Shot> {
  return request<Shot>('POST', `${shotPath(id)}/restore`).then(counted((s) => s?.project_id));
}

export function moveShot(id: string, target: MoveTarget): Promise<Shot> {
  return request<Shot>('POST', `${shotPath(id)}/move`, target);
}

/** Default: split in half (dialogue lines, else description). */
export function splitShot(id: string, at: SplitAt = {}): Promise<[Shot, Shot]> {
  return request<[Shot, Shot]>('POST', `${shotPath(id)}/split`, at).then(counted((r) => r?.[0]?.project_id));
}

/** Merges the next shot (`withId`) into `id`. */
export function mergeShots(id: string, withId: string): Promise<Shot> {
  return request<Shot>('POST', `${shotPath(id)}/merge`, { with_id: withId }).then(counted((s) => s?.project_id));
}

/** The fields a revert puts back (and checks): a shot's text and framing. */
export interface ShotState {
  kind: Shot['kind'];
  description: string;
  dialogue: Shot['dialogue'];
  character_ids: string[];
  shot_type: Shot['shot_type'];
  camera_move: Shot['camera_move'];
  duration: number;
  edited: boolean;
}

export function shotState(s: Shot): ShotState {
  return {
    kind: s.kind,
    description: s.description,
    dialogue: s.dialogue,
    character_ids: s.character_ids,
    shot_type: s.shot_type,
    camera_move: s.camera_move,
    duration: s.duration,
    edited: s.edited,
  };
}

/** Whether two copies of a shot have the same text and framing (what a revert checks). */
export function sameShotState(a: Shot, b: Shot): boolean {
  return JSON.stringify(shotState(a)) === JSON.stringify(shotState(b));
}

export interface RevertShot {
  /** The shot as last seen: the server refuses (409) when it changed since. */
  expected: ShotState;
  state: ShotState;
  /** Trashed shots to bring back (the one a merge absorbed). */
  restore_ids?: string[];
  /** Shots to move to the trash (the one a split made). */
  trash_ids?: string[];
}

/** Undo/redo of a split, merge or edit, in one request (see docs/API-EDITOR.md). */
export function revertShot(id: string, input: RevertShot): Promise<Shot> {
  return request<Shot>('POST', `${shotPath(id)}/revert`, input).then(counted((s) => s?.project_id));
}
