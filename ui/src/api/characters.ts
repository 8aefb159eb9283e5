import { request, requestBlob } from '../transport';
import { apiPath, query } from './paths';
import type { Character, CharacterPatch, CharacterStatus, NewCharacter, Page, VoiceList, VoiceMatch } from './types';

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

/** Takes a reference image off a character (it goes to the asset trash); the next becomes the main one. */
export function removeCharacterImage(id: string, assetId: string): Promise<Character> {
  return request<Character>('DELETE', `${characterPath(id)}/images/${encodeURIComponent(assetId)}`);
}

/** The voices of the default TTS model for a language (`zh`, `en`), for the voice picker. */
export function listVoices(language?: string, signal?: AbortSignal): Promise<VoiceList> {
  return request<VoiceList>('GET', `/api/v1/voices${query({ language })}`, undefined, signal);
}

/** Which built-in voice a voice name or description stands for in `language`. */
export function matchVoice(voice: string, language: string, signal?: AbortSignal): Promise<VoiceMatch> {
  return request<VoiceMatch>('GET', `/api/v1/voices/match${query({ voice, language })}`, undefined, signal);
}

/** An audition: `text` spoken in `voice` (a name or a description), as a WAV. */
export function previewVoice(voice: string, text: string, signal?: AbortSignal): Promise<Blob> {
  return requestBlob(`/api/v1/voices/preview${query({ voice, text })}`, signal);
}
