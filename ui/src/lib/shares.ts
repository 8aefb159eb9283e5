/**
 * Pure logic of share links (docs/API-SHARES.md): where a link can be made, the form's
 * choices and checks (mirroring the server's: a password of 4–128 characters, an expiry in the
 * future), the request body, the server's field errors mapped onto the form, and the link as an
 * absolute URL.
 */
import type { NewSummaryShare } from '../api/summarize';
import type { Export, NewShare, ShareStatus } from '../api/types';
import { t } from '../i18n';
import type { TransportKind } from '../transport';
import { ApiError, errorMessage, fieldErrorMessage } from '../transport/errors';
import { copyText } from './clipboard';
import { formFieldFor, type FieldErrors } from './validation';

/** Same limits as the server (src/shares): counted in Unicode code points. */
export const SHARE_PASSWORD_MIN = 4;
export const SHARE_PASSWORD_MAX = 128;

/** How long a new link lives: 0 is "never expires". */
export const SHARE_EXPIRY_DAYS = [0, 1, 7, 30] as const;
export type ShareExpiryDays = (typeof SHARE_EXPIRY_DAYS)[number];

export interface ShareForm {
  include_storyboard: boolean;
  expiry_days: ShareExpiryDays;
  /** Empty: no password. */
  password: string;
}

export const DEFAULT_SHARE_FORM: ShareForm = { include_storyboard: true, expiry_days: 0, password: '' };

/** The form's fields a server error can name (`expires_at` is the expiry choice). */
export type ShareFormField = keyof ShareForm;
const SERVER_FIELDS: Record<string, ShareFormField> = {
  password: 'password',
  expires_at: 'expiry_days',
  include_storyboard: 'include_storyboard',
};

/**
 * What a link shows: a completed export (the video, the storyboard optionally), or a summary of
 * the history (its text, beat sheet and mind map).
 */
export type ShareSubject = { kind: 'export'; exportItem: Export } | { kind: 'summary'; summaryId: string; title: string | null };

/**
 * Whether links are made here directly (`POST /share`): only from a browser on the team server.
 * The desktop shell has no public address to hand out: its shares are queued and made on the team
 * server it is signed in to (`sharesQueued`), and a summary cannot be shared from it.
 */
export function canOfferShares(kind: TransportKind): boolean {
  return kind !== 'desktop';
}

/** Whether an export's share is queued by the desktop core and made on its team server. */
export function sharesQueued(kind: TransportKind): boolean {
  return kind === 'desktop';
}

/**
 * Only a completed export can be shared: from a browser on the team server (a link made at once),
 * or from the desktop (a share queued for its team server).
 */
export function canShareExport(e: Pick<Export, 'status'>): boolean {
  return e.status === 'completed';
}

/** "Never", "After 1 day", "After 7 days"… */
export function shareExpiryLabel(days: ShareExpiryDays): string {
  return days === 0 ? t('shares.expiryNever') : t('shares.expiryDays', { count: days });
}

/** RFC 3339 (UTC, whole seconds) `days` from `now`; null for a link that does not expire. */
export function shareExpiresAt(days: ShareExpiryDays, now: Date): string | null {
  if (days === 0) return null;
  return new Date(now.getTime() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The form's errors, each naming its field; empty when it can be sent. */
export function validateShareForm(f: ShareForm): FieldErrors {
  const errors: FieldErrors = {};
  const n = Array.from(f.password).length;
  if (n > 0 && (n < SHARE_PASSWORD_MIN || n > SHARE_PASSWORD_MAX)) {
    errors.password = t('shares.passwordLength', { min: SHARE_PASSWORD_MIN, max: SHARE_PASSWORD_MAX });
  }
  if (!(SHARE_EXPIRY_DAYS as readonly number[]).includes(f.expiry_days)) errors.expiry_days = t('shares.chooseExpiry');
  return errors;
}

/** `POST /share` for a completed export: no password and no expiry are left out. */
export function newShareBody(f: ShareForm, e: Pick<Export, 'id' | 'project_id'>, now: Date): NewShare {
  const body: NewShare = { project_id: e.project_id, export_id: e.id, include_storyboard: f.include_storyboard };
  const expires = shareExpiresAt(f.expiry_days, now);
  if (expires) body.expires_at = expires;
  if (f.password !== '') body.password = f.password;
  return body;
}

/** `POST /history/{id}/share`: the same choices as an export's link, without the storyboard. */
export function newSummaryShareBody(f: ShareForm, now: Date): NewSummaryShare {
  const body: NewSummaryShare = {};
  const expires = shareExpiresAt(f.expiry_days, now);
  if (expires) body.expires_at = expires;
  if (f.password !== '') body.password = f.password;
  return body;
}

/**
 * A refused `POST /share` (or `POST /history/{id}/share`) as the form shows it: a 422 naming one
 * of the form's fields goes next to that field; anything else (another field such as `export_id`,
 * a 404, no answer) above the buttons.
 */
export function shareSubmitErrors(e: unknown): { errors: FieldErrors; formError: string | null } {
  const field = e instanceof ApiError ? formFieldFor(e.field, Object.keys(SERVER_FIELDS)) : null;
  if (field) return { errors: { [SERVER_FIELDS[field]!]: fieldErrorMessage(e) }, formError: null };
  return { errors: {}, formError: errorMessage(e) };
}

/** The link to hand out: the server's URL when absolute, else on this page's origin. */
export function absoluteShareUrl(url: string, origin: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  const base = origin.replace(/\/+$/, '');
  return url.startsWith('/') ? `${base}${url}` : `${base}/${url}`;
}

/**
 * Copies a link (made absolute on `origin`) to the clipboard, else by a selection copy; false when
 * neither works (the caller then selects the link for copying by hand).
 */
export async function copyShareLink(url: string, origin: string = pageOrigin()): Promise<boolean> {
  try {
    return await copyText(absoluteShareUrl(url, origin));
  } catch {
    return false;
  }
}

/** This page's origin ('' outside a browser, where the link stays as the server sent it). */
export function pageOrigin(): string {
  return typeof window === 'undefined' ? '' : window.location.origin;
}

/** Whether the owner can still revoke it (revoking an expired link also stops it for good). */
export function canRevokeShare(s: { status: ShareStatus }): boolean {
  return s.status !== 'revoked';
}
