/**
 * Formatting for the active UI language (src/i18n): dates, relative times, durations, numbers,
 * credits and sizes go through `Intl` with the locale the user picked; labels come from the
 * catalogues (src/locales). Each formatter takes an explicit `locale` for tests.
 */
import type { AspectRatio, ProjectStatus } from '../api/types';
import { activeLocale, hasKey, t, translatedRecord } from '../i18n';

const STATUS_KEYS = {
  draft: 'status.draft',
  in_progress: 'status.in_progress',
  completed: 'status.completed',
} as const satisfies Record<ProjectStatus, string>;

const ASPECT_KEYS = {
  '9:16': 'aspect.vertical',
  '16:9': 'aspect.widescreen',
  '1:1': 'aspect.square',
} as const satisfies Record<AspectRatio, string>;

/** "Draft", "草稿"… per project status, in the active language. */
export const STATUS_LABELS: Record<ProjectStatus, string> = translatedRecord(STATUS_KEYS);

/** "Vertical", "竖屏"… per aspect ratio, in the active language. */
export const ASPECT_LABELS: Record<AspectRatio, string> = translatedRecord(ASPECT_KEYS);

export function statusLabel(status: string): string {
  const key = (STATUS_KEYS as Record<string, string>)[status];
  return key ? t(key as never) : status;
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
export function formatRelativeTime(iso: string, now: Date = new Date(), locale: string = activeLocale()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '';
  const diffSec = Math.round((time - now.getTime()) / 1000);
  if (diffSec > -45 && diffSec < 60) return t('time.justNow', { lng: locale });
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, secs] of UNITS) {
    if (Math.abs(diffSec) >= secs) {
      return rtf.format(Math.trunc(diffSec / secs), unit);
    }
  }
  return rtf.format(diffSec < 0 ? -1 : 1, 'minute');
}

/**
 * Full date and time for tooltips, e.g. "Mar 4, 2025, 2:05 PM" / "2025年3月4日 14:05".
 * Invalid input → "".
 */
export function formatDateTime(iso: string, locale: string = activeLocale()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '';
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(time));
}

/** A calendar date, e.g. "Mar 4, 2025" / "2025年3月4日". Invalid input → "". */
export function formatDate(iso: string, locale: string = activeLocale()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(time));
}

/** A number with the locale's grouping: 12345.5 → "12,345.5". */
export function formatNumber(n: number, locale: string = activeLocale(), options?: Intl.NumberFormatOptions): string {
  if (!Number.isFinite(n)) return '–';
  return new Intl.NumberFormat(locale, options).format(n);
}

/** Whole credits with the locale's grouping and a true minus sign: −12,345. */
export function formatCreditAmount(n: number, locale: string = activeLocale()): string {
  const sign = n < 0 ? '−' : '';
  return sign + formatNumber(Math.abs(Math.trunc(n)), locale, { maximumFractionDigits: 0 });
}

/** "1 project" / "12 projects" / "12 个项目" through the catalogue's plural forms (`count.project_one`…). */
export function formatCount(
  noun: 'project' | 'credit' | 'user' | 'member' | 'key' | 'episode' | 'scene' | 'shot' | 'voicedLine',
  count: number,
): string {
  return t(`count.${noun}`, { count, formatted: formatNumber(count) });
}

/** Whether the catalogue has a label for a value that comes from the server (codes, kinds). */
export function hasLabel(key: string): boolean {
  return hasKey(key);
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

/**
 * Seconds as "8s", "2.5s" (zh-CN "8秒", "2.5秒"), then "1:05", "1:02:03" (durations in the
 * storyboard and breakdown).
 */
export function formatDuration(secs: number, locale: string = activeLocale()): string {
  if (!Number.isFinite(secs) || secs < 0) return '–';
  if (secs < 60) {
    const r = Math.round(secs * 10) / 10;
    return new Intl.NumberFormat(locale, {
      style: 'unit',
      unit: 'second',
      unitDisplay: 'narrow',
      maximumFractionDigits: 1,
    }).format(r);
  }
  const total = Math.round(secs);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Bytes as "812 B", "1.4 KB", "23 MB" (1024-based, one decimal below 10; digits per locale). */
export function formatBytes(n: number, locale: string = activeLocale()): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  if (n < 1024) return `${formatNumber(n, locale)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  const digits = v < 10 ? { minimumFractionDigits: 1, maximumFractionDigits: 1 } : { maximumFractionDigits: 0 };
  return `${formatNumber(v, locale, digits)} ${units[u]}`;
}

/** "close_up" → "Close up". */
export function humanize(value: string): string {
  if (/^[a-z]{1,3}$/.test(value)) return value.toUpperCase(); // pov → POV
  const s = value.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
