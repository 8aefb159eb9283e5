import { request, requestBlob } from '../transport';
import { apiPath, query } from './paths';
import type { Export, ExportEstimate, ExportPreview, ExportPreviewRequest, ExportRequest, Page } from './types';

/* Export (docs/API-EXPORT.md): estimate before start, status, cancel, history, storyboard sheet. */

/**
 * Length, frames, cost and encode time of an export with these settings, and whether the budget
 * covers it. 409 when the version has no completed run; 422 (with `field`) for a bad setting or
 * a shot that cannot be exported; 503 when ffmpeg is missing.
 */
export function estimateExport(input: ExportRequest, signal?: AbortSignal): Promise<ExportEstimate> {
  return request<ExportEstimate>('POST', '/api/v1/export/estimate', input, signal);
}

/** Starts an export (202, status `queued` or `processing`). Same errors as the estimate. */
export function startExport(input: ExportRequest): Promise<Export> {
  return request<Export>('POST', '/api/v1/export', input);
}

/**
 * An instant preview of the storyboard as it stands (approved or latest frames, voices of the latest
 * run, cues): one encoded frame per shot, ready in about a second. 422 without a project; 503
 * without ffmpeg.
 */
export function previewExport(input: ExportPreviewRequest, signal?: AbortSignal): Promise<ExportPreview> {
  return request<ExportPreview>('POST', '/api/v1/export/preview', input, signal);
}

const exportPath = (id: string) => apiPath('export', id);

export function getExport(id: string, signal?: AbortSignal): Promise<Export> {
  return request<Export>('GET', exportPath(id), undefined, signal);
}

/** Kills ffmpeg and removes the partial file; 409 when the export has already finished. */
export function cancelExport(id: string): Promise<Export> {
  return request<Export>('POST', `${exportPath(id)}/cancel`);
}

export interface ExportHistoryQuery {
  projectId?: string;
  page?: number;
  limit?: number;
}

export function exportHistoryPath(q: ExportHistoryQuery = {}): string {
  return `/api/v1/export/history${query({ project_id: q.projectId, page: q.page ?? 1, limit: q.limit ?? 20 })}`;
}

/** Past exports, newest first. */
export function listExportHistory(q: ExportHistoryQuery = {}, signal?: AbortSignal): Promise<Page<Export>> {
  return request<Page<Export>>('GET', exportHistoryPath(q), undefined, signal);
}

/** The path of the export's server-sent events (`state`, then `progress`). */
export function exportEventsPath(id: string): string {
  return `${exportPath(id)}/events`;
}

export function storyboardSheetPath(projectId: string, versionId: string): string {
  return `${apiPath('projects', projectId, 'versions', versionId)}/storyboard.pdf`;
}

/** The storyboard sheet (PDF, six shots to a page) of a version. */
export function downloadStoryboardSheet(projectId: string, versionId: string, signal?: AbortSignal): Promise<Blob> {
  return requestBlob(storyboardSheetPath(projectId, versionId), signal);
}

/**
 * The bytes behind an export's `video_url` / `subtitles_url` (API paths). Fetched through the
 * transport, since the desktop's custom scheme and the accounts mode's token rule out a bare URL.
 */
export function fetchExportFile(url: string, signal?: AbortSignal): Promise<Blob> {
  return requestBlob(toApiPath(url), signal);
}

/**
 * An API path for a URL the server sent: paths stay as they are; an absolute URL (a server that
 * names its own origin) keeps its path and query, which the transport then sends to its own base.
 */
export function toApiPath(url: string): string {
  if (url.startsWith('/')) return url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  }
  return `/${url}`;
}
