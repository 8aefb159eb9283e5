/**
 * Presentation of exports: status labels, which actions a status allows, progress text, the
 * estimate's facts, file names for downloads, and the history's order.
 */
import type { Export, ExportEstimate, ExportStatus } from '../api/types';
import { formatDuration, pluralize } from './format';

export const EXPORT_STATUS_LABELS: Record<ExportStatus, string> = {
  queued: 'Queued',
  processing: 'Exporting',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function exportStatusLabel(status: string): string {
  return (EXPORT_STATUS_LABELS as Record<string, string>)[status] ?? status;
}

export const FINISHED_EXPORT_STATUSES: readonly ExportStatus[] = ['completed', 'failed', 'cancelled'];

export function isExportFinished(status: string): boolean {
  return (FINISHED_EXPORT_STATUSES as readonly string[]).includes(status);
}

/** Queued and processing exports can be cancelled; a finished one cannot (the server says 409). */
export function canCancelExport(status: string): boolean {
  return status === 'queued' || status === 'processing';
}

/** Whether an export has a file to play and download. */
export function isPlayable(e: Pick<Export, 'status' | 'video_url'>): boolean {
  return e.status === 'completed' && !!e.video_url;
}

/** 0–1 as a whole percentage, clamped; NaN/absent is 0. */
export function progressPercent(p: number | null | undefined): number {
  if (typeof p !== 'number' || !Number.isFinite(p)) return 0;
  return Math.round(Math.min(1, Math.max(0, p)) * 100);
}

/** Whole seconds until `iso`, or null when unknown or already past. */
export function secondsLeft(iso: string | null | undefined, now: Date): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const s = Math.ceil((t - now.getTime()) / 1000);
  return s > 0 ? s : null;
}

/**
 * Seconds an encode still needs. Once a few percent are done, from the measured rate (elapsed since
 * `started_at` × remaining / done): the server's `estimated_completion` comes from the estimate,
 * made before ffmpeg started, and is off on a busy machine. Before that, the server's time.
 */
export function etaSeconds(
  e: Pick<Export, 'progress' | 'started_at' | 'estimated_completion'>,
  now: Date,
  minProgress = 0.05,
): number | null {
  const started = e.started_at ? Date.parse(e.started_at) : Number.NaN;
  const p = e.progress;
  if (Number.isFinite(started) && typeof p === 'number' && p >= minProgress && p < 1) {
    const elapsed = (now.getTime() - started) / 1000;
    if (elapsed > 0) return Math.max(1, Math.ceil((elapsed * (1 - p)) / p));
  }
  return secondsLeft(e.estimated_completion, now);
}

/** "about 12 s", "about 2 min", "under a second". */
export function formatEncodeTime(secs: number): string {
  if (!Number.isFinite(secs) || secs < 0) return '–';
  if (secs < 1) return 'under a second';
  if (secs < 90) return `about ${Math.round(secs)} s`;
  return `about ${Math.round(secs / 60)} min`;
}

/**
 * The line under the progress bar: "Queued", "42% · encoding 0:12 of 0:30 · about 8 s left",
 * "Completed", "Failed: <error>". ffmpeg's own message is shown as the server sends it.
 */
export function progressText(
  e: Pick<Export, 'status' | 'progress' | 'message' | 'error' | 'estimated_completion' | 'started_at'>,
  now: Date,
): string {
  switch (e.status) {
    case 'queued':
      return e.message ? `Queued · ${e.message}` : 'Queued';
    case 'processing': {
      const parts = [`${progressPercent(e.progress)}%`];
      if (e.message) parts.push(e.message);
      const left = etaSeconds(e, now);
      if (left !== null) parts.push(`${formatEncodeTime(left)} left`);
      return parts.join(' · ');
    }
    case 'completed':
      return 'Completed';
    case 'failed':
      return `Failed: ${e.error || e.message || 'the export did not finish'}`;
    case 'cancelled':
      return 'Cancelled';
    default:
      return exportStatusLabel(e.status);
  }
}

/** "free" for 0 credits, else "12 credits". */
export function costText(credits: number): string {
  return credits === 0 ? 'free' : pluralize(credits, 'credit');
}

/** The estimate's budget line: what is left, or why it is not enough. */
export function quotaText(est: Pick<ExportEstimate, 'user_quota_remaining' | 'sufficient_quota' | 'estimated_cost'>): string {
  if (est.user_quota_remaining === null) return est.sufficient_quota ? 'No budget set' : 'Not covered by the budget';
  if (!est.sufficient_quota) {
    return `Not enough credits: ${pluralize(est.user_quota_remaining, 'credit')} left, ${pluralize(est.estimated_cost, 'credit')} needed`;
  }
  return `${pluralize(est.user_quota_remaining, 'credit')} left`;
}

/** A video length for the UI ("42s", "1:05"), or "–" when unknown. */
export function videoLengthText(secs: number | null | undefined): string {
  return typeof secs === 'number' ? formatDuration(secs) : '–';
}

function slug(s: string): string {
  const cleaned = s
    .normalize('NFKC')
    // characters file systems reject, and control characters
    .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 80);
  return cleaned || 'storyloom';
}

/**
 * The name a download is saved under: "<project>-<resolution>-<aspect>.<format>" (aspect with
 * "x": 9x16), and the same with `.srt` for the subtitles.
 */
export function exportFileName(
  e: Pick<Export, 'project_name' | 'resolution' | 'aspect_ratio' | 'format'>,
  kind: 'video' | 'subtitles',
): string {
  const base = `${slug(e.project_name || '')}-${e.resolution}-${String(e.aspect_ratio).replace(':', 'x')}`;
  return `${base}.${kind === 'video' ? e.format : 'srt'}`;
}

/** "<project>-storyboard-v<version>.pdf" for the storyboard sheet. */
export function storyboardSheetFileName(projectName: string, versionNumber?: number | null): string {
  return `${slug(projectName)}-storyboard${typeof versionNumber === 'number' ? `-v${versionNumber}` : ''}.pdf`;
}

/** Newest first by `created_at` (ties: by id, also newest first, since ids are UUIDv7). */
export function newestFirst<T extends Pick<Export, 'created_at' | 'id'>>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.created_at === b.created_at ? cmp(b.id, a.id) : cmp(b.created_at, a.created_at)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const STATUS_RANK: Record<string, number> = { queued: 0, processing: 1, completed: 2, failed: 2, cancelled: 2 };

/**
 * Keeps the newer of two snapshots of the same export: a poll answered after the cancel's answer
 * must not bring a cancelled export back to "processing", nor move the bar backwards.
 */
export function newerExport(prev: Export | null, next: Export): Export {
  if (!prev || prev.id !== next.id) return next;
  const rp = STATUS_RANK[prev.status] ?? 0;
  const rn = STATUS_RANK[next.status] ?? 0;
  if (rn < rp) return prev;
  if (rn === rp && rn === 2 && prev.status !== next.status) return prev;
  if (rn === rp && next.status === 'processing' && next.progress < prev.progress) return { ...next, progress: prev.progress };
  return next;
}
