import { describe, expect, it } from 'vitest';
import type { QueuedShareStatus } from '../api/remoteShares';
import { queuedShare } from '../api/remoteShares.fixtures';
import { status } from '../components/connection/fixtures';
import { ApiError } from '../transport/errors';
import {
  canCancelQueuedShare,
  canSendQueuedShare,
  desktopShareMode,
  isTeamSignInError,
  projectShares,
  queueShareBody,
  queuedShareUrl,
} from './queuedShares';
import { DEFAULT_SHARE_FORM } from './shares';

const NOW = new Date('2026-05-01T10:00:00.123Z');
const SERVER = 'https://team.example.com';
const ALL: QueuedShareStatus[] = ['queued', 'sending', 'shared', 'failed', 'cancelled'];

const queued = queuedShare;

describe('whether the desktop can queue a share', () => {
  it('the form once signed in to a team server (even unreachable, or with the session ended); sign in first otherwise', () => {
    expect(desktopShareMode(status({ state: 'connected', server_url: SERVER, username: 'mei' }))).toBe('ready');
    expect(desktopShareMode(status({ state: 'unreachable', server_url: SERVER, username: 'mei' }))).toBe('ready');
    expect(desktopShareMode(status({ state: 'session_expired', server_url: SERVER, username: 'mei' }))).toBe('ready');
    expect(desktopShareMode(status())).toBe('sign-in');
    // Signed out, the last server's address may still be known: still "sign in first".
    expect(desktopShareMode(status({ state: 'signed_out', server_url: SERVER }))).toBe('sign-in');
    expect(desktopShareMode(status({ state: 'connected', server_url: null }))).toBe('sign-in');
  });

  it('while the connection is not known yet it is being checked; when it cannot be read the form is offered', () => {
    expect(desktopShareMode(null)).toBe('checking');
    expect(desktopShareMode(null, true)).toBe('ready');
  });

  it('the core’s 422 `server_url` means "sign in first"; other refusals do not', () => {
    const refusal = (status: number, field?: string) =>
      new ApiError(status, { detail: 'no', error_code: status === 422 ? 'VALIDATION_ERROR' : 'NOT_FOUND', retryable: false, ...(field ? { field } : {}) });
    expect(isTeamSignInError(refusal(422, 'server_url'))).toBe(true);
    expect(isTeamSignInError(refusal(422, 'password'))).toBe(false);
    expect(isTeamSignInError(refusal(404))).toBe(false);
    expect(isTeamSignInError(new Error('server_url'))).toBe(false);
  });
});

describe('the queued share’s body', () => {
  it('names the export (not the project); an expiry and a password only when given', () => {
    expect(queueShareBody(DEFAULT_SHARE_FORM, { id: 'e1' }, NOW)).toEqual({ export_id: 'e1', include_storyboard: true });
    expect(queueShareBody({ include_storyboard: false, expiry_days: 7, password: 'rain day' }, { id: 'e1' }, NOW)).toEqual({
      export_id: 'e1',
      include_storyboard: false,
      expires_at: '2026-05-08T10:00:00Z',
      password: 'rain day',
    });
  });
});

describe('what a queued share allows', () => {
  it('Send now and Cancel while it is queued or failed; neither while sending, nor once shared or cancelled', () => {
    expect(ALL.filter((s) => canSendQueuedShare({ status: s }))).toEqual(['queued', 'failed']);
    expect(ALL.filter((s) => canCancelQueuedShare({ status: s }))).toEqual(['queued', 'failed']);
  });

  it('the link only once shared', () => {
    const url = `${SERVER}/share/abc`;
    expect(queuedShareUrl({ status: 'shared', url })).toBe(url);
    expect(queuedShareUrl({ status: 'shared', url: null })).toBeNull();
    expect(queuedShareUrl({ status: 'queued', url })).toBeNull();
  });

  it('a project’s shares are its own, in the list’s order', () => {
    const list = [queued({ id: 'a' }), queued({ id: 'b', project_id: 'p2' }), queued({ id: 'c' })];
    expect(projectShares(list, 'p1').map((s) => s.id)).toEqual(['a', 'c']);
    expect(projectShares(list, 'p3')).toEqual([]);
  });
});
