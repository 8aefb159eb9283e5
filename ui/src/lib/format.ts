import type { AspectRatio, ProjectStatus } from '../api/types';

export const STATUS_LABELS: Record<ProjectStatus, string> = {
  draft: 'Draft',
  in_progress: 'In progress',
  completed: 'Completed',
};

export const ASPECT_LABELS: Record<AspectRatio, string> = {
  '9:16': 'Vertical',
  '16:9': 'Widescreen',
  '1:1': 'Square',
};

export function statusLabel(status: string): string {
  return (STATUS_LABELS as Record<string, string>)[status] ?? status;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/**
 * "just now", "5 minutes ago", "yesterday", "3 weeks ago"… for an RFC 3339 time, relative to
 * `now`. Times slightly in the future (clock skew) read as "just now". Invalid input → "".
 */
export function formatRelativeTime(iso: string, now: Date = new Date(), locale = 'en'): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const diffSec = Math.round((t - now.getTime()) / 1000);
  if (diffSec > -45 && diffSec < 60) return 'just now';
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, secs] of UNITS) {
    if (Math.abs(diffSec) >= secs) {
      return rtf.format(Math.trunc(diffSec / secs), unit);
    }
  }
  return rtf.format(diffSec < 0 ? -1 : 1, 'minute');
}

/** Full date and time for tooltips, e.g. "Mar 4, 2025, 14:05". Invalid input → "". */
export function formatDateTime(iso: string, locale?: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(t));
}

/** "1 project", "12 projects". */
export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** Page numbers to show, with null for a gap: [1, null, 4, 5, 6, null, 10]. */
export function pageWindow(page: number, totalPages: number, radius = 1): (number | null)[] {
  if (totalPages <= 1) return totalPages === 1 ? [1] : [];
  const p = Math.min(Math.max(1, page), totalPages);
  const out: (number | null)[] = [];
  const from = Math.max(2, p - radius);
  const to = Math.min(totalPages - 1, p + radius);
  out.push(1);
  if (from > 2) out.push(from === 3 ? 2 : null);
  for (let i = from; i <= to; i++) out.push(i);
  if (to < totalPages - 1) out.push(to === totalPages - 2 ? totalPages - 1 : null);
  out.push(totalPages);
  return out;
}

/** Seconds as "8s", "2.5s", "1:05", "1:02:03" (durations in the storyboard and breakdown). */
export function formatDuration(secs: number): string {
  if (!Number.isFinite(secs) || secs < 0) return '–';
  if (secs < 60) {
    const r = Math.round(secs * 10) / 10;
    return `${Number.isInteger(r) ? r : r.toFixed(1)}s`;
  }
  const total = Math.round(secs);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Bytes as "812 B", "1.4 KB", "23 MB" (1024-based, one decimal below 10). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** "close_up" → "Close up". */
export function humanize(value: string): string {
  if (/^[a-z]{1,3}$/.test(value)) return value.toUpperCase(); // pov → POV
  const s = value.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
