/**
 * Pure logic of the desktop's shares (api/remoteShares.ts): whether the desktop can queue one
 * (signed in to a team server), the request body from the share form, which actions a share's
 * state allows, and a refusal that means "sign in first".
 */
import type { ConnectionStatus } from '../api/remote';
import type { QueueShareInput, QueuedShare } from '../api/remoteShares';
import type { Export } from '../api/types';
import { ApiError } from '../transport/errors';
import { shareExpiresAt, type ShareForm } from './shares';

/**
 * What the desktop's share dialog shows: `checking` while the connection is not known yet,
 * `sign-in` when the desktop is not signed in to a team server (links are made there), else the
 * form (`ready`; an unreachable server or an ended session only delays the share, which waits in
 * the queue).
 */
export type DesktopShareMode = 'checking' | 'sign-in' | 'ready';

export function desktopShareMode(status: ConnectionStatus | null, readFailed = false): DesktopShareMode {
  // The connection could not be read: offer the form; the core says `server_url` if need be.
  if (!status) return readFailed ? 'ready' : 'checking';
  return status.state === 'signed_out' || !status.server_url ? 'sign-in' : 'ready';
}

/** The refusal of a desktop that is not signed in to a team server (422 `server_url`). */
export function isTeamSignInError(e: unknown): boolean {
  return e instanceof ApiError && e.status === 422 && e.field === 'server_url';
}

/** `POST /remote/shares` for a completed export: no password and no expiry are left out. */
export function queueShareBody(f: ShareForm, e: Pick<Export, 'id'>, now: Date): QueueShareInput {
  const body: QueueShareInput = { export_id: e.id, include_storyboard: f.include_storyboard };
  const expires = shareExpiresAt(f.expiry_days, now);
  if (expires) body.expires_at = expires;
  if (f.password !== '') body.password = f.password;
  return body;
}

/** "Send now" (queued) or "Try again" (failed); not while it is being sent, nor once made or cancelled. */
export function canSendQueuedShare(s: Pick<QueuedShare, 'status'>): boolean {
  return s.status === 'queued' || s.status === 'failed';
}

/** Only a share not made yet can be cancelled (a made link is revoked on the team server). */
export function canCancelQueuedShare(s: Pick<QueuedShare, 'status'>): boolean {
  return s.status === 'queued' || s.status === 'failed';
}

/** The made link, once shared (absolute: the team server's). */
export function queuedShareUrl(s: Pick<QueuedShare, 'status' | 'url'>): string | null {
  return s.status === 'shared' && s.url ? s.url : null;
}

/** A project's shares, newest first (the list is every project's, newest first). */
export function projectShares(list: readonly QueuedShare[], projectId: string): QueuedShare[] {
  return list.filter((s) => s.project_id === projectId);
}
