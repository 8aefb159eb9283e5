import { request } from '../transport';
import { versionsPath } from './versions';
import type { Breakdown, ParseResult, ScriptDocument, ScriptUpload } from './types';

/** File types the script upload accepts (for `<input accept>`). */
export const SCRIPT_FILE_ACCEPT = '.txt,.fountain,.md,.docx';

export function scriptPath(projectId: string, versionId: string): string {
  return `${versionsPath(projectId, versionId)}/script`;
}

export function getScript(projectId: string, versionId: string, signal?: AbortSignal): Promise<ScriptDocument> {
  return request<ScriptDocument>('GET', scriptPath(projectId, versionId), undefined, signal);
}

/**
 * Saves the text and (unless `parse` is false) re-parses it into scenes and shots. With
 * `baseRevision`, the server refuses (409) when the script was saved elsewhere since that revision.
 */
export function saveScript(
  projectId: string,
  versionId: string,
  text: string,
  parse = true,
  baseRevision?: number,
): Promise<ParseResult> {
  const body: Record<string, unknown> = { text };
  if (!parse) body.parse = false;
  if (baseRevision !== undefined) body.base_revision = baseRevision;
  return request<ParseResult>('PUT', scriptPath(projectId, versionId), body);
}

export function uploadScript(projectId: string, versionId: string, file: Blob, filename?: string): Promise<ScriptUpload> {
  const form = new FormData();
  if (filename !== undefined) form.append('file', file, filename);
  else form.append('file', file);
  return request<ScriptUpload>('POST', `${scriptPath(projectId, versionId)}/upload`, form);
}

export function parseScript(projectId: string, versionId: string, scriptAssetId?: string): Promise<ParseResult> {
  return request<ParseResult>(
    'POST',
    `${scriptPath(projectId, versionId)}/parse`,
    scriptAssetId ? { script_asset_id: scriptAssetId } : {},
  );
}

/** The parser's breakdown of `text`; nothing is stored (live breakdown while typing). */
export function previewScript(text: string, signal?: AbortSignal): Promise<Breakdown> {
  return request<Breakdown>('POST', '/api/v1/script/preview', { text }, signal);
}
