/**
 * Publishing's plain helpers (api/publish.ts has the calls): which platforms a creation may go to
 * and why not, the bind form's fields, the schedule as the request's `schedule_time`, the request
 * body, a job's one-line summary and its statuses' labels, and when the history polls.
 */
import type { CreationKind } from '../api/create';
import type { ItemStatus, JobStatus, Platform, PublishItem, PublishJob, PublishRequest } from '../api/publish';
import { activeLocale, hasKey, t, translatedRecord, type Locale } from '../i18n';
import { ApiError, errorMessage } from '../transport/errors';
import { formatDateTime } from './format';
import type { FieldErrors } from './validation';

/* ---------- platforms ---------- */

/** The creation kinds a platform can publish at all (docs/PUBLISH.md): articles and videos. */
export const PUBLISHABLE_KINDS = ['writing', 'video'] as const satisfies readonly CreationKind[];

/** Whether a creation of this kind can be published anywhere (the Publish button shows for it). */
export function canPublishKind(kind: string): boolean {
  return (PUBLISHABLE_KINDS as readonly string[]).includes(kind);
}

/**
 * Whether a platform can take a creation of this kind now: `selectable`; `cannot_publish` (no open
 * publishing API: its note says what to do instead); `not_accepted` (it publishes other kinds);
 * `not_bound` (bind an account first).
 */
export type PlatformAvailability = 'selectable' | 'cannot_publish' | 'not_accepted' | 'not_bound';

export function platformAvailability(p: Pick<Platform, 'can_publish' | 'accepts' | 'bound'>, kind: string): PlatformAvailability {
  if (!p.can_publish || p.accepts.length === 0) return 'cannot_publish';
  if (!p.accepts.includes(kind)) return 'not_accepted';
  if (!p.bound) return 'not_bound';
  return 'selectable';
}

/** The platforms a creation of this kind can be published to now, by id. */
export function selectablePlatforms(platforms: readonly Platform[], kind: string): string[] {
  return platforms.filter((p) => platformAvailability(p, kind) === 'selectable').map((p) => p.platform);
}

/** The platform's name in the UI's language. */
export function platformName(p: Pick<Platform, 'name' | 'name_en'>, locale: Locale = activeLocale()): string {
  return locale === 'zh-CN' ? p.name || p.name_en : p.name_en || p.name;
}

/** A platform named by id (a job's item): its name when the list is known, else the id. */
export function platformLabel(id: string, platforms: readonly Platform[] | undefined, locale: Locale = activeLocale()): string {
  const p = platforms?.find((x) => x.platform === id);
  return p ? platformName(p, locale) : id;
}

/** What the server says about a platform, in the UI's language where the catalogue has it (the server's is English). */
export function platformNote(p: Pick<Platform, 'platform' | 'note'>, locale: Locale = activeLocale()): string {
  const key = `publish.note.${p.platform}`;
  if (locale === 'en' || !hasKey(key)) return p.note;
  return t(key as never) as string;
}

/** The kinds a platform publishes, named ("Writing and Video"), for "publishes … only". */
export function acceptedKindsLabel(p: Pick<Platform, 'accepts'>): string {
  return p.accepts.map((k) => (hasKey(`create.kind.${k}`) ? (t(`create.kind.${k}` as never) as string) : k)).join(t('publish.and'));
}

/* ---------- binding an account ---------- */

/** Whether a credential is a secret (typed in a password field, never shown): its name says `secret` or `token`. */
export function isSecretCredential(field: string): boolean {
  return /secret|token/i.test(field);
}

/** A credential's label: the catalogue's (`App ID`, `Access token`…), else its name. */
export function credentialLabel(field: string): string {
  const key = `publish.credential.${field}`;
  return hasKey(key) ? (t(key as never) as string) : field;
}

export function emptyCredentials(p: Pick<Platform, 'credentials'>): Record<string, string> {
  return Object.fromEntries(p.credentials.map((f) => [f, '']));
}

/** Every field the platform names must be filled in (up to 1,024 characters), as the server checks. */
export function validateCredentials(p: Pick<Platform, 'credentials'>, values: Record<string, string>): FieldErrors {
  const errors: FieldErrors = {};
  for (const f of p.credentials) {
    const v = (values[f] ?? '').trim();
    if (!v) errors[f] = t('publish.bind.required');
    else if (v.length > 1024) errors[f] = t('create.form.tooLong', { max: 1024 });
  }
  return errors;
}

/** The credentials to send: the platform's fields only, trimmed. */
export function credentialsBody(p: Pick<Platform, 'credentials'>, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(p.credentials.map((f) => [f, (values[f] ?? '').trim()]));
}

/* ---------- the schedule ---------- */

/** Now, or at a time typed in a `datetime-local` input (the browser's own time zone). */
export type Schedule = { mode: 'now' } | { mode: 'at'; value: string };

/** The server takes a time at most a year ahead. */
export const MAX_SCHEDULE_MS = 365 * 24 * 3600 * 1000;

/**
 * A `datetime-local` value (`2026-12-24T20:00`, the browser's time) as RFC 3339 (`new Date(value)
 * .toISOString()`: the same instant, in UTC); null when it is empty or not a time.
 */
export function scheduleToIso(value: string): string | null {
  if (!value.trim()) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The `datetime-local` value of an instant, in the browser's time (the input's `min`). */
export function toLocalInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** What is wrong with the schedule, or null: no time typed, a time past, more than a year ahead. */
export function scheduleProblem(schedule: Schedule, now: Date = new Date()): string | null {
  if (schedule.mode === 'now') return null;
  const iso = scheduleToIso(schedule.value);
  if (!iso) return t('publish.schedule.required');
  const at = Date.parse(iso);
  if (at < now.getTime() - 60_000) return t('publish.schedule.past');
  if (at > now.getTime() + MAX_SCHEDULE_MS) return t('publish.schedule.tooFar');
  return null;
}

/** The request body: the creation, the platforms in the list's order, and `schedule_time` only for a time. */
export function publishRequest(creationId: string, platforms: readonly string[], schedule: Schedule): PublishRequest {
  const body: PublishRequest = { creation_id: creationId, platforms: [...platforms] };
  if (schedule.mode === 'at') {
    const iso = scheduleToIso(schedule.value);
    if (iso) body.schedule_time = iso;
  }
  return body;
}

/* ---------- jobs ---------- */

export const JOB_STATUS_LABELS: Record<JobStatus, string> = translatedRecord({
  pending: 'publish.jobStatus.pending',
  running: 'publish.jobStatus.running',
  completed: 'publish.jobStatus.completed',
  partial: 'publish.jobStatus.partial',
  failed: 'publish.jobStatus.failed',
});

export const ITEM_STATUS_LABELS: Record<ItemStatus, string> = translatedRecord({
  pending: 'publish.itemStatus.pending',
  sending: 'publish.itemStatus.sending',
  published: 'publish.itemStatus.published',
  failed: 'publish.itemStatus.failed',
});

/** Whether a job may still change (the history polls while one does). */
export function isJobActive(status: JobStatus): boolean {
  return status === 'pending' || status === 'running';
}

/** How often the history is read while a job is pending or running. */
export const PUBLISH_POLL_MS = 3_000;

/** Every few seconds while some job on the page may change; not at all otherwise. */
export function historyPollInterval(jobs: readonly Pick<PublishJob, 'status'>[] | undefined): number | false {
  return jobs?.some((j) => isJobActive(j.status)) ? PUBLISH_POLL_MS : false;
}

/** Whether a job waits for a time still ahead. */
export function isScheduled(job: Pick<PublishJob, 'status' | 'schedule_time'>, now: Date = new Date()): boolean {
  return job.status === 'pending' && Date.parse(job.schedule_time) > now.getTime();
}

/**
 * A job in one line: "Scheduled for Dec 24, 2026, 8:00 PM · 2 platforms" while it waits for its
 * time; else "1 of 2 published · 1 failed" (and how many are still waiting or sending).
 */
export function jobSummary(job: Pick<PublishJob, 'status' | 'schedule_time' | 'items'>, now: Date = new Date()): string {
  const total = job.items.length;
  if (isScheduled(job, now)) {
    return [t('publish.summary.scheduled', { when: formatDateTime(job.schedule_time) }), t('publish.summary.platforms', { count: total })].join(' · ');
  }
  const count = (s: ItemStatus) => job.items.filter((i) => i.status === s).length;
  const parts = [t('publish.summary.published', { published: count('published'), total })];
  const failed = count('failed');
  if (failed) parts.push(t('publish.summary.failed', { count: failed }));
  const waiting = count('pending') + count('sending');
  if (waiting) parts.push(t('publish.summary.waiting', { count: waiting }));
  return parts.join(' · ');
}

/**
 * What a platform's row says beside its status: when a waiting one is (next) tried ("scheduled
 * for …" before any attempt, "next attempt …" after a transient failure); a failed one's error.
 */
export function itemNote(item: Pick<PublishItem, 'status' | 'attempts' | 'next_attempt_at' | 'error' | 'error_code'>): string | null {
  if (item.status === 'pending') {
    const when = formatDateTime(item.next_attempt_at);
    if (!when) return null;
    return item.attempts > 0 ? t('publish.item.retryAt', { when }) : t('publish.item.scheduledFor', { when });
  }
  if (item.status === 'failed') {
    const error = item.error?.trim() || t('publish.item.failedNoReason');
    return item.error_code === 'INTERRUPTED' ? `${error} ${t('publish.item.interrupted')}` : error;
  }
  return null;
}

/**
 * A refused publish or bind in the UI's language. The server's `detail` names the platform at
 * fault ("no Douyin account is bound…"), which the catalogue's message cannot: for
 * `PLATFORM_NOT_BOUND`, `PUBLISH_UNSUPPORTED` and `VALIDATION_ERROR` the Chinese UI shows it after
 * its own message (the English UI shows the detail as it is).
 */
export function publishErrorText(e: unknown, locale: Locale = activeLocale()): string {
  const message = errorMessage(e, locale);
  if (!(e instanceof ApiError) || locale === 'en') return message;
  const named = e.error_code === 'PLATFORM_NOT_BOUND' || e.error_code === 'PUBLISH_UNSUPPORTED' || e.error_code === 'VALIDATION_ERROR';
  return named && e.detail && e.detail !== message ? `${message}（${e.detail}）` : message;
}
