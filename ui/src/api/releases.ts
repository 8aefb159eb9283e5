/**
 * The desktop builds a team server offers its desktops (docs/API-UPDATES.md): the instance admin
 * uploads each signed build, lists them and withdraws one. The calls, their TanStack Query hook
 * (keys under `keys.operations.releases`) and the flows that read the list again afterwards.
 */
import { keepPreviousData, useQuery, type QueryClient } from '@tanstack/react-query';
import { request } from '../transport';
import type { PageQuery } from './operations';
import { apiPath, query } from './paths';
import { keys } from './queries';
import type { components } from './schema.gen';
import type { Page } from './types';

/** A build of the desktop app, as the admin sees it (`withdrawn_at` set: no longer offered). */
export type Release = components['schemas']['Release'];

/** The platforms the updater asks for (its `{{target}}` and `{{arch}}`). */
export const RELEASE_TARGETS = ['linux', 'windows', 'darwin'] as const;
export type ReleaseTarget = (typeof RELEASE_TARGETS)[number];
export const RELEASE_ARCHES = ['x86_64', 'aarch64', 'i686', 'armv7'] as const;
export type ReleaseArch = (typeof RELEASE_ARCHES)[number];

/** `POST /admin/updates`: what an upload carries. */
export interface NewRelease {
  target: ReleaseTarget;
  arch: ReleaseArch;
  /** Semantic version (a leading `v` is dropped by the server). */
  version: string;
  notes: string;
  /** The content of the artifact's `.sig` file (base64 of a minisign signature). */
  signature: string;
  /** The updater artifact (`.AppImage`, `.msi`, `.app.tar.gz`, …). */
  file: File;
}

export const RELEASE_PATHS = {
  releases: '/api/v1/admin/updates',
  release: (id: string) => apiPath('admin', 'updates', id),
} as const;

/** The multipart form of an upload, its fields named as the server reads them. */
export function releaseFormData(input: NewRelease): FormData {
  const form = new FormData();
  form.append('target', input.target);
  form.append('arch', input.arch);
  form.append('version', input.version);
  form.append('notes', input.notes);
  form.append('signature', input.signature);
  form.append('file', input.file, input.file.name);
  return form;
}

/** Every uploaded build, newest first, withdrawn ones too. */
export function listReleases(q: PageQuery, signal?: AbortSignal): Promise<Page<Release>> {
  return request<Page<Release>>('GET', `${RELEASE_PATHS.releases}${query({ page: q.page, limit: q.limit })}`, undefined, signal);
}

/**
 * Uploads a build (201). 409: that version exists for the target and arch; 422 names `target`,
 * `arch`, `version`, `signature` (not a .sig file's content, or it does not verify against the
 * server's update key) or `file`; 413: over the upload limit.
 */
export function uploadRelease(input: NewRelease): Promise<Release> {
  return request<Release>('POST', RELEASE_PATHS.releases, releaseFormData(input));
}

/** Withdraws a build: no longer offered or served (withdrawing twice changes nothing). */
export function withdrawRelease(id: string): Promise<Release> {
  return request<Release>('DELETE', RELEASE_PATHS.release(id));
}

/* ---------- flows ---------- */

/** Uploads a build, then the list reads again. */
export async function uploadAndRefresh(queryClient: QueryClient, input: NewRelease): Promise<Release> {
  const made = await uploadRelease(input);
  await queryClient.invalidateQueries({ queryKey: keys.operations.releasesAll });
  return made;
}

/** Withdraws a build, then the list reads again. */
export async function withdrawAndRefresh(queryClient: QueryClient, id: string): Promise<Release> {
  const withdrawn = await withdrawRelease(id);
  await queryClient.invalidateQueries({ queryKey: keys.operations.releasesAll });
  return withdrawn;
}

/* ---------- queries ---------- */

export const useReleases = (q: PageQuery) =>
  useQuery({ queryKey: keys.operations.releases(q), queryFn: ({ signal }) => listReleases(q, signal), placeholderData: keepPreviousData });
