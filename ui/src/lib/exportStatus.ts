/**
 * Presentation of exports: status labels, which actions a status allows, progress text, the
 * estimate's facts, file names for downloads, and the history's order. Text comes from the
 * catalogues (`exportDialog.*`) in the active language, read when it is made.
 */
import type { Export, ExportEstimate, ExportStatus } from '../api/types';
import { t, translatedRecord } from '../i18n';
import { formatCount, formatDuration, formatNumber } from './format';
import { canBecome, EXPORT_TRANSITIONS } from './states';

/** "Exporting", "导出中"… per export status, in the active language. */
export const EXPORT_STATUS_LABELS: Record<ExportStatus, string> = translatedRecord({
  queued: 'exportDialog.exportStatus.queued',
  processing: 'exportDialog.exportStatus.processing',
  completed: 'exportDialog.exportStatus.completed',
  failed: 'exportDialog.exportStatus.failed',
  cancelled: 'exportDialog.exportStatus.cancelled',
});

export function exportStatusLabel(status: string): string {
  return (EXPORT_STATUS_LABELS as Record<string, string>)[status] ?? status;
}

export const FINISHED_EXPORT_STATUSES: readonly ExportStatus[] = ['completed', 'failed', 'cancelled'];

export function isExportFinished(status: string): boolean {
  return (FINISHED_EXPORT_STATUSES as readonly string[]).includes(status);
}

/** Queued and processing exports can be cancelled; a finished one cannot (the server says 409). */
export function canCancelExport(status: string): boolean {
  return canBecome(EXPORT_TRANSITIONS, status, 'cancelled');
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

/** "about 12 s", "about 2 min", "under a second" ("约 12 秒"…). */
export function formatEncodeTime(secs: number): string {
  if (!Number.isFinite(secs) || secs < 0) return '–';
  if (secs < 1) return t('exportDialog.underASecond');
  if (secs < 90) return t('exportDialog.aboutSeconds', { n: formatNumber(Math.round(secs)) });
  return t('exportDialog.aboutMinutes', { n: formatNumber(Math.round(secs / 60)) });
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
      return e.message ? t('exportDialog.queuedWith', { message: e.message }) : exportStatusLabel('queued');
    case 'processing': {
      const parts = [formatNumber(progressPercent(e.progress) / 100, undefined, { style: 'percent' })];
      if (e.message) parts.push(e.message);
      const left = etaSeconds(e, now);
      if (left !== null) parts.push(t('exportDialog.timeLeft', { time: formatEncodeTime(left) }));
      return parts.join(' · ');
    }
    case 'completed':
      return exportStatusLabel('completed');
    case 'failed':
      return t('exportDialog.failedWith', { error: e.error || e.message || t('exportDialog.didNotFinish') });
    case 'cancelled':
      return exportStatusLabel('cancelled');
    default:
      return exportStatusLabel(e.status);
  }
}

/** "free" for 0 credits, else "12 credits" ("免费", "12 积分"). */
export function costText(credits: number): string {
  return credits === 0 ? t('exportDialog.free') : formatCount('credit', credits);
}

/** The estimate's budget line: what is left, or why it is not enough. */
export function quotaText(est: Pick<ExportEstimate, 'user_quota_remaining' | 'sufficient_quota' | 'estimated_cost'>): string {
  if (est.user_quota_remaining == null) return t(est.sufficient_quota ? 'exportDialog.noBudget' : 'exportDialog.notCovered');
  const left = formatCount('credit', est.user_quota_remaining);
  if (!est.sufficient_quota) {
    return t('exportDialog.notEnough', { left, needed: formatCount('credit', est.estimated_cost) });
  }
  return t('exportDialog.creditsLeft', { left });
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
