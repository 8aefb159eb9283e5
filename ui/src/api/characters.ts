import { request } from '../transport';
import { apiPath, query } from './paths';
import type { Character, CharacterPatch, CharacterStatus, NewCharacter, Page } from './types';

const characterPath = (id: string) => apiPath('characters', id);

export function listCharacters(
  projectId: string,
  opts: { status?: CharacterStatus; page?: number; limit?: number } = {},
  signal?: AbortSignal,
): Promise<Page<Character>> {
  const q = query({ project_id: projectId, status: opts.status, page: opts.page ?? 1, limit: opts.limit ?? 100 });
  return request<Page<Character>>('GET', `/api/v1/characters${q}`, undefined, signal);
}

export function createCharacter(input: NewCharacter): Promise<Character> {
  return request<Character>('POST', '/api/v1/characters', input);
}

export function updateCharacter(id: string, patch: CharacterPatch): Promise<Character> {
  return request<Character>('PATCH', characterPath(id), patch);
}

export function deleteCharacter(id: string): Promise<unknown> {
  return request<unknown>('DELETE', characterPath(id));
}

export function restoreCharacter(id: string): Promise<Character> {
  return request<Character>('POST', `${characterPath(id)}/restore`);
}

/** Accepts a character the parser proposed. */
export function confirmCharacter(id: string): Promise<Character> {
  return request<Character>('POST', `${characterPath(id)}/confirm`);
}

/** Adds a reference image; the first one becomes the character's picture. */
export function addCharacterImage(id: string, image: Blob, filename?: string): Promise<Character> {
  const form = new FormData();
  if (filename !== undefined) form.append('image', image, filename);
  else form.append('image', image);
  return request<Character>('POST', `${characterPath(id)}/images`, form);
}
