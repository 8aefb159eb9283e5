import { t } from '../i18n';
import { formatNumber } from '../lib/format';
import { request } from '../transport';
import { versionCountsChanged, versionsPath } from './versions';
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
  return request<ParseResult>('PUT', scriptPath(projectId, versionId), body).then((r) => {
    if (parse) versionCountsChanged(projectId);
    return r;
  });
}

export function uploadScript(projectId: string, versionId: string, file: Blob, filename?: string): Promise<ScriptUpload> {
  const form = new FormData();
  if (filename !== undefined) form.append('file', file, filename);
  else form.append('file', file);
  return request<ScriptUpload>('POST', `${scriptPath(projectId, versionId)}/upload`, form).then((r) => {
    versionCountsChanged(projectId);
    return r;
  });
}

export function parseScript(projectId: string, versionId: string, scriptAssetId?: string): Promise<ParseResult> {
  return request<ParseResult>(
    'POST',
    `${scriptPath(projectId, versionId)}/parse`,
    scriptAssetId ? { script_asset_id: scriptAssetId } : {},
  ).then((r) => {
    versionCountsChanged(projectId);
    return r;
  });
}

/** The parser's breakdown of `text`; nothing is stored (live breakdown while typing). */
export function previewScript(text: string, signal?: AbortSignal): Promise<Breakdown> {
  return request<Breakdown>('POST', '/api/v1/script/preview', { text }, signal);
}

/** The server's limit on a script, in bytes of UTF-8 (docs/API-EDITOR.md, "Script size"). */
export const SCRIPT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Past this many characters a script is "large": the editor stops highlighting and live-previewing
 * it, saves it without re-parsing, and warns before a parse (about 5,000 shots; a 100-episode short
 * drama is ~150,000 characters).
 */
export const LARGE_SCRIPT_CHARS = 200_000;

export type ScriptSize =
  | { kind: 'normal' }
  | { kind: 'large'; chars: number; bytes: number }
  | { kind: 'too-large'; chars: number; bytes: number };

/** The UTF-8 length of `text`, counted without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * How the editor should treat `text`. Constant time for an ordinary script; the byte count is
 * only taken for a large one (callers run this after a pause in typing, not per keystroke).
 */
export function scriptSize(text: string): ScriptSize {
  if (text.length < LARGE_SCRIPT_CHARS && text.length * 3 <= SCRIPT_MAX_BYTES) return { kind: 'normal' };
  const bytes = utf8Length(text);
  if (bytes > SCRIPT_MAX_BYTES) return { kind: 'too-large', chars: text.length, bytes };
  if (text.length >= LARGE_SCRIPT_CHARS) return { kind: 'large', chars: text.length, bytes };
  return { kind: 'normal' };
}

/** `2.1 MiB`, `640 KiB`: the units of the server's limit message (digits per locale). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) {
    return `${formatNumber(bytes / (1024 * 1024), undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} MiB`;
  }
  return `${formatNumber(Math.max(1, Math.round(bytes / 1024)))} KiB`;
}

/** The message for a script over the limit (the same facts as the server's 413), in the active language. */
export function tooLargeMessage(bytes: number): string {
  return t('scriptTab.tooLarge', { size: formatBytes(bytes), limit: formatBytes(SCRIPT_MAX_BYTES) });
}
