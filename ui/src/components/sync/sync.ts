/**
 * Pure logic of project sync: the badge's text and tone for each state, a change stamp read as a
 * time, a conflict's values as text, and a failed link mapped onto the form.
 */
import type { ConnectionStatus } from '../../api/remote';
import type { ReviewDecision, SyncConflict, SyncEvent, SyncStatus } from '../../api/sync';
import { t } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { ApiError, errorMessage, fieldErrorMessage } from '../../transport/errors';

export type SyncTone = 'ok' | 'busy' | 'warn' | 'error' | 'local';

export interface SyncBadgeView {
  tone: SyncTone;
  text: string;
  /** The longer explanation (tooltip). */
  title: string;
}

/** Whether the desktop is signed in to a team server (the badge shows nothing otherwise). */
export function signedInToServer(c: ConnectionStatus | null): boolean {
  return !!c && c.state !== 'signed_out' && !!c.server_url;
}

/** The header badge: Synced / Pending N / Offline / Conflicts N, or "Not synced" when not linked. */
export function syncBadgeView(s: SyncStatus | null, locale?: string): SyncBadgeView {
  if (!s) return { tone: 'local', text: t('sync.notLinked'), title: t('sync.notLinkedTitle') };
  switch (s.state) {
    case 'synced':
      return { tone: 'ok', text: t('sync.synced'), title: t('sync.syncedTitle') };
    case 'pending':
      return { tone: 'busy', text: t('sync.pending', { count: s.pending }), title: t('sync.pendingTitle', { count: s.pending }) };
    case 'conflict':
      return { tone: 'error', text: t('sync.conflicts', { count: s.conflicts }), title: t('sync.conflictsTitle') };
    case 'offline':
    default: {
      const retry = s.next_try_at ? formatDateTime(s.next_try_at, locale) : '';
      const title = [s.last_error ?? '', retry ? t('sync.retryAt', { time: retry }) : ''].filter(Boolean).join(' ');
      return { tone: 'warn', text: t('sync.offline'), title };
    }
  }
}

/**
 * The time of a change stamp `001770544810000-00000-<node>`: its first 15 digits are epoch
 * milliseconds. Null when the stamp does not start that way.
 */
export function stampTime(stamp: string): Date | null {
  const m = /^(\d{15})-/.exec(stamp);
  if (!m) return null;
  const d = new Date(Number(m[1]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A stamp as a local date and time ("" when it cannot be read). */
export function formatStamp(stamp: string, locale?: string): string {
  const d = stampTime(stamp);
  return d ? formatDateTime(d.toISOString(), locale) : '';
}

/** A conflict's value as text: strings as they are, anything else as JSON; null/empty as "". */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v, null, 2);
}

/** Longer values are cut to this many characters until "Show all". */
export const VALUE_PREVIEW_CHARS = 160;

export function truncate(text: string, max: number = VALUE_PREVIEW_CHARS): { text: string; cut: boolean } {
  const chars = Array.from(text);
  return chars.length > max ? { text: `${chars.slice(0, max).join('')}…`, cut: true } : { text, cut: false };
}

/** Who made a value: the name the core recorded, or "on the server" for null. */
export function whoLabel(by: string | null | undefined): string {
  return by ? t('sync.by', { who: by }) : t('sync.onServer');
}

/** The reason in words (the server's text when it is not one of the known ones). */
export function reasonLabel(reason: string): string {
  switch (reason) {
    case 'concurrent edit':
      return t('sync.reasons.concurrentEdit');
    case 'script lines':
      return t('sync.reasons.scriptLines');
    case 'approved keyframe is locked':
      return t('sync.reasons.keyframeLocked');
    default:
      return reason;
  }
}

/** What a conflict is about: `shot · description`. */
export function conflictWhat(c: SyncConflict): string {
  return c.field ? `${c.entity} · ${c.field}` : c.entity;
}

/** A review decision in words (Approved / Rejected / …; the raw value when it is not a known one). */
export function decisionLabel(decision: ReviewDecision | string): string {
  switch (decision) {
    case 'approve':
    case 'reject':
    case 'replace':
    case 'select':
    case 'unlock':
      return t(`sync.decisions.${decision}`);
    default:
      return decision;
  }
}

/** An id cut to its first 8 characters, enough to tell shots apart. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** Who made a review decision: the username, or "on this desktop" for null. */
export function eventWho(by: string | null | undefined): string {
  return by ? t('sync.by', { who: by }) : t('sync.onThisDesktop');
}

/** When a review decision was made: its own time, else when the event was recorded. */
export function eventTime(e: SyncEvent, locale?: string): string {
  return formatDateTime(e.payload.at || e.created_at, locale);
}

/**
 * Where a failed link's message goes: under the workspace field (422 `workspace_id`), or the form
 * as a whole (`server_url`: not signed in; 409: linked already; anything else).
 */
export function linkError(e: unknown): { field: 'workspace_id' | null; message: string } {
  if (e instanceof ApiError) {
    if (e.field === 'workspace_id') return { field: 'workspace_id', message: fieldErrorMessage(e) };
    return { field: null, message: e.field ? fieldErrorMessage(e) : errorMessage(e) };
  }
  return { field: null, message: errorMessage(e) };
}

/**
 * The link form's starting workspace: the signed-in person's personal workspace, whose id is their
 * user id. The connection status carries it only when the core reports it (`user_id`); otherwise
 * the field starts empty.
 */
export function defaultWorkspaceId(c: (ConnectionStatus & { user_id?: string | null }) | null): string {
  return c?.user_id ?? '';
}
