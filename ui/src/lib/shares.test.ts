import { afterEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../i18n';
import { ApiError } from '../transport/errors';
import {
  DEFAULT_SHARE_FORM,
  absoluteShareUrl,
  canOfferShares,
  canRevokeShare,
  canShareExport,
  copyShareLink,
  newShareBody,
  shareExpiresAt,
  shareExpiryLabel,
  shareSubmitErrors,
  sharesQueued,
  validateShareForm,
} from './shares';

afterEach(async () => {
  vi.unstubAllGlobals();
  await i18n.changeLanguage('en');
});

const NOW = new Date('2026-05-01T10:00:00.123Z');
const EXPORT = { id: 'e1', project_id: 'p1' };

describe('where a share link is offered', () => {
  it('only for a completed export', () => {
    expect(canShareExport({ status: 'completed' })).toBe(true);
    for (const status of ['queued', 'processing', 'failed', 'cancelled'] as const) expect(canShareExport({ status })).toBe(false);
  });

  it('a browser on the team server makes links itself; the desktop queues them for its team server', () => {
    expect(canOfferShares('browser')).toBe(true);
    expect(sharesQueued('browser')).toBe(false);
    expect(canOfferShares('desktop')).toBe(false);
    expect(sharesQueued('desktop')).toBe(true);
  });

  it('a revoked link cannot be revoked again; an expired one can', () => {
    expect(canRevokeShare({ status: 'active' })).toBe(true);
    expect(canRevokeShare({ status: 'expired' })).toBe(true);
    expect(canRevokeShare({ status: 'revoked' })).toBe(false);
  });
});

describe('the share form', () => {
  it('defaults to the storyboard shown, no expiry and no password', () => {
    expect(DEFAULT_SHARE_FORM).toEqual({ include_storyboard: true, expiry_days: 0, password: '' });
    expect(validateShareForm(DEFAULT_SHARE_FORM)).toEqual({});
  });

  it('expires_at is RFC 3339 in UTC, whole seconds, the chosen days from now; never is null', () => {
    expect(shareExpiresAt(0, NOW)).toBeNull();
    expect(shareExpiresAt(1, NOW)).toBe('2026-05-02T10:00:00Z');
    expect(shareExpiresAt(7, NOW)).toBe('2026-05-08T10:00:00Z');
    expect(shareExpiresAt(30, NOW)).toBe('2026-05-31T10:00:00Z');
    expect(shareExpiryLabel(0)).toBe('Never');
    expect(shareExpiryLabel(1)).toBe('After 1 day');
    expect(shareExpiryLabel(30)).toBe('After 30 days');
  });

  it('a password has 4 to 128 characters (code points, as the server counts), and the message names the field', () => {
    const err = (password: string) => validateShareForm({ ...DEFAULT_SHARE_FORM, password }).password;
    expect(err('abc')).toBe('Password must be 4 to 128 characters');
    expect(err('abcd')).toBeUndefined();
    expect(err('x'.repeat(128))).toBeUndefined();
    expect(err('x'.repeat(129))).toBe('Password must be 4 to 128 characters');
    // Four emoji are eight UTF-16 units but four characters.
    expect(err('🎬🎬🎬🎬')).toBeUndefined();
    expect(err('🎬🎬🎬')).toBeDefined();
    expect(err('')).toBeUndefined();
  });

  it('the body names the export; a password and an expiry only when given', () => {
    expect(newShareBody(DEFAULT_SHARE_FORM, EXPORT, NOW)).toEqual({ project_id: 'p1', export_id: 'e1', include_storyboard: true });
    expect(newShareBody({ include_storyboard: false, expiry_days: 7, password: 'rain day' }, EXPORT, NOW)).toEqual({
      project_id: 'p1',
      export_id: 'e1',
      include_storyboard: false,
      expires_at: '2026-05-08T10:00:00Z',
      password: 'rain day',
    });
  });

  it('a 422 naming a field of the form goes next to it; anything else above the buttons', () => {
    const refusal = (field: string | undefined, detail: string, status = 422) =>
      new ApiError(status, { detail, error_code: status === 422 ? 'VALIDATION_ERROR' : 'NOT_FOUND', retryable: false, ...(field ? { field } : {}) });
    expect(shareSubmitErrors(refusal('password', 'a share password has 4–128 characters (2 given)'))).toEqual({
      errors: { password: 'a share password has 4–128 characters (2 given)' },
      formError: null,
    });
    expect(shareSubmitErrors(refusal('expires_at', 'a link lives at most 366 days'))).toEqual({
      errors: { expiry_days: 'a link lives at most 366 days' },
      formError: null,
    });
    expect(shareSubmitErrors(refusal('export_id', 'not a completed export'))).toEqual({ errors: {}, formError: 'not a completed export' });
    expect(shareSubmitErrors(refusal(undefined, 'no such project', 404))).toEqual({ errors: {}, formError: 'no such project' });
  });
});

describe('the link', () => {
  it('a relative URL is made absolute on the page’s origin; an absolute one is kept', () => {
    expect(absoluteShareUrl('/share/abc', 'https://studio.example')).toBe('https://studio.example/share/abc');
    expect(absoluteShareUrl('share/abc', 'https://studio.example/')).toBe('https://studio.example/share/abc');
    expect(absoluteShareUrl('https://team.example/share/abc', 'https://studio.example')).toBe('https://team.example/share/abc');
  });

  it('copies the absolute link to the clipboard', async () => {
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { clipboard: { writeText } });
    await expect(copyShareLink('/share/abc', 'https://studio.example')).resolves.toBe(true);
    expect(writeText).toHaveBeenCalledWith('https://studio.example/share/abc');
  });

  it('without a clipboard it falls back to a selection copy, and says when that fails too', async () => {
    vi.stubGlobal('navigator', { clipboard: { writeText: async () => Promise.reject(new Error('denied')) } });
    const selected: string[] = [];
    let copies = true;
    vi.stubGlobal('document', {
      body: { appendChild: () => undefined },
      createElement: () => {
        const ta = { value: '', style: {}, setAttribute: () => undefined, select: () => selected.push(ta.value), remove: () => undefined };
        return ta;
      },
      execCommand: () => copies,
    });
    await expect(copyShareLink('/share/abc', 'https://studio.example')).resolves.toBe(true);
    expect(selected).toEqual(['https://studio.example/share/abc']);
    copies = false;
    await expect(copyShareLink('/share/abc', 'https://studio.example')).resolves.toBe(false);
  });
});
