import { afterEach, describe, expect, it } from 'vitest';
import type { Platform, PublishItem, PublishJob } from '../api/publish';
import { i18n } from '../i18n';
import { ApiError } from '../transport/errors';
import {
  acceptedKindsLabel,
  canPublishKind,
  credentialLabel,
  credentialsBody,
  historyPollInterval,
  isSecretCredential,
  itemNote,
  jobSummary,
  platformAvailability,
  platformName,
  platformNote,
  PUBLISH_POLL_MS,
  publishErrorText,
  publishRequest,
  scheduleProblem,
  scheduleToIso,
  selectablePlatforms,
  toLocalInputValue,
  validateCredentials,
} from './publish';

afterEach(async () => {
  await i18n.changeLanguage('en');
});

function platform(over: Partial<Platform> = {}): Platform {
  return {
    platform: 'douyin',
    name: '抖音',
    name_en: 'Douyin',
    accepts: ['video'],
    credentials: ['access_token', 'open_id'],
    can_publish: true,
    note: 'Videos: uploaded, then posted with the title as the caption.',
    bound: true,
    account: 'open-123',
    ...over,
  };
}

/** The five platforms as the server lists them, Douyin bound. */
function platforms(): Platform[] {
  return [
    platform({ platform: 'wechat', name: '微信公众号', name_en: 'WeChat Official Account', accepts: ['writing'], credentials: ['app_id', 'app_secret'], bound: false, account: null }),
    platform(),
    platform({ platform: 'kuaishou', name: '快手', name_en: 'Kuaishou', credentials: ['app_id', 'access_token'], bound: false, account: null }),
    platform({
      platform: 'xiaohongshu',
      name: '小红书',
      name_en: 'Xiaohongshu',
      accepts: [],
      credentials: [],
      can_publish: false,
      bound: false,
      account: null,
      note: 'Xiaohongshu has no open publishing API for third-party apps: copy the note and post it in the app.',
    }),
    platform({ platform: 'toutiao', name: '今日头条', name_en: 'Toutiao', accepts: [], credentials: [], can_publish: false, bound: false, account: null, note: 'Toutiao offers no open publishing API.' }),
  ];
}

function item(over: Partial<PublishItem> = {}): PublishItem {
  return { platform: 'douyin', status: 'published', attempts: 1, next_attempt_at: '2026-05-01T10:00:00Z', updated_at: '2026-05-01T10:00:05Z', remote_id: 'v1', remote_url: null, error: null, error_code: null, ...over };
}

function job(over: Partial<PublishJob> = {}): PublishJob {
  return {
    publish_id: 'p1',
    created_by: 'u1',
    title: 'The door',
    schedule_time: '2026-05-01T10:00:00Z',
    status: 'completed',
    created_at: '2026-05-01T10:00:00Z',
    finished_at: '2026-05-01T10:00:05Z',
    items: [item()],
    ...over,
  };
}

describe('which platforms a creation can go to', () => {
  it('publishes articles and videos only', () => {
    expect(canPublishKind('writing')).toBe(true);
    expect(canPublishKind('video')).toBe(true);
    expect(canPublishKind('image')).toBe(false);
    expect(canPublishKind('ppt')).toBe(false);
  });

  it('says why a platform cannot be ticked: no open API, another kind, no account', () => {
    const [wechat, douyin, kuaishou, xhs] = platforms();
    expect(platformAvailability(douyin!, 'video')).toBe('selectable');
    expect(platformAvailability(douyin!, 'writing')).toBe('not_accepted');
    expect(platformAvailability(kuaishou!, 'video')).toBe('not_bound');
    expect(platformAvailability(wechat!, 'writing')).toBe('not_bound');
    expect(platformAvailability(wechat!, 'video')).toBe('not_accepted');
    // No open API wins over everything else, even with an account somehow bound.
    expect(platformAvailability({ ...xhs!, bound: true }, 'writing')).toBe('cannot_publish');
    expect(platformAvailability({ ...douyin!, can_publish: false }, 'video')).toBe('cannot_publish');

    expect(selectablePlatforms(platforms(), 'video')).toEqual(['douyin']);
    expect(selectablePlatforms(platforms(), 'writing')).toEqual([]);
    const all = platforms().map((p) => ({ ...p, bound: true }));
    expect(selectablePlatforms(all, 'video')).toEqual(['douyin', 'kuaishou']);
    expect(selectablePlatforms(all, 'writing')).toEqual(['wechat']);
  });

  it('names platforms and their notes in the UI’s language', async () => {
    const [wechat, , , xhs] = platforms();
    expect(platformName(wechat!, 'en')).toBe('WeChat Official Account');
    expect(platformName(wechat!, 'zh-CN')).toBe('微信公众号');
    expect(platformNote(xhs!, 'en')).toBe(xhs!.note);
    await i18n.changeLanguage('zh-CN');
    expect(platformNote(xhs!, 'zh-CN')).toContain('小红书没有面向第三方应用的开放发布接口');
    // A platform the catalogue does not know keeps the server's note.
    expect(platformNote({ platform: 'weibo', note: 'No API.' }, 'zh-CN')).toBe('No API.');
    expect(acceptedKindsLabel({ accepts: ['writing', 'video'] })).toBe('文字和视频');
    await i18n.changeLanguage('en');
    expect(acceptedKindsLabel({ accepts: ['writing', 'video'] })).toBe('Writing and Video');
  });
});

describe('binding an account', () => {
  it('types secrets and tokens in password fields', () => {
    expect(isSecretCredential('app_secret')).toBe(true);
    expect(isSecretCredential('access_token')).toBe(true);
    expect(isSecretCredential('app_id')).toBe(false);
    expect(isSecretCredential('open_id')).toBe(false);
    expect(credentialLabel('app_secret')).toBe('App secret');
    expect(credentialLabel('refresh_key')).toBe('refresh_key');
  });

  it('asks for every field the platform names and sends only those, trimmed', () => {
    const douyin = platform();
    expect(validateCredentials(douyin, { access_token: ' ', open_id: 'o1' })).toEqual({ access_token: 'Required.' });
    expect(validateCredentials(douyin, { access_token: 'tok', open_id: 'o1' })).toEqual({});
    expect(credentialsBody(douyin, { access_token: ' tok ', open_id: 'o1', extra: 'x' })).toEqual({ access_token: 'tok', open_id: 'o1' });
  });
});

describe('the schedule', () => {
  it('sends a datetime-local time as RFC 3339 (the same instant, from the browser’s time zone)', () => {
    const local = new Date(2026, 11, 24, 20, 0);
    expect(toLocalInputValue(local)).toBe('2026-12-24T20:00');
    expect(scheduleToIso('2026-12-24T20:00')).toBe(local.toISOString());
    expect(scheduleToIso('2026-12-24T20:00')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(scheduleToIso('')).toBeNull();
    expect(scheduleToIso('tomorrow')).toBeNull();
  });

  it('builds the request: schedule_time only for a time', () => {
    expect(publishRequest('c1', ['douyin'], { mode: 'now' })).toEqual({ creation_id: 'c1', platforms: ['douyin'] });
    const body = publishRequest('c1', ['douyin', 'kuaishou'], { mode: 'at', value: '2026-12-24T20:00' });
    expect(body).toEqual({ creation_id: 'c1', platforms: ['douyin', 'kuaishou'], schedule_time: new Date(2026, 11, 24, 20, 0).toISOString() });
  });

  it('refuses no time, a time past and one more than a year ahead', () => {
    const now = new Date(2026, 4, 1, 12, 0);
    expect(scheduleProblem({ mode: 'now' }, now)).toBeNull();
    expect(scheduleProblem({ mode: 'at', value: '' }, now)).toBe('Choose a date and time.');
    expect(scheduleProblem({ mode: 'at', value: '2026-05-01T11:00' }, now)).toMatch(/has passed/);
    expect(scheduleProblem({ mode: 'at', value: '2026-05-01T12:30' }, now)).toBeNull();
    expect(scheduleProblem({ mode: 'at', value: '2027-06-01T12:00' }, now)).toBe('At most a year ahead.');
  });
});

describe('jobs', () => {
  it('polls the history while a job is pending or running, and not otherwise', () => {
    expect(historyPollInterval(undefined)).toBe(false);
    expect(historyPollInterval([])).toBe(false);
    expect(historyPollInterval([job(), job({ status: 'partial' }), job({ status: 'failed' })])).toBe(false);
    expect(historyPollInterval([job(), job({ status: 'pending' })])).toBe(PUBLISH_POLL_MS);
    expect(historyPollInterval([job({ status: 'running' })])).toBe(PUBLISH_POLL_MS);
  });

  it('sums a job up in one line', () => {
    const now = new Date('2026-05-01T10:01:00Z');
    expect(jobSummary(job(), now)).toBe('1 of 1 published');
    const partial = job({
      status: 'partial',
      items: [item(), item({ platform: 'kuaishou', status: 'failed', error: 'Kuaishou error 100200: token expired', error_code: 'PUBLISH_FAILED' })],
    });
    expect(jobSummary(partial, now)).toBe('1 of 2 published · 1 failed');
    const running = job({ status: 'running', items: [item(), item({ platform: 'kuaishou', status: 'sending' }), item({ platform: 'x', status: 'pending', attempts: 0 })] });
    expect(jobSummary(running, now)).toBe('1 of 3 published · 2 waiting');
    const later = job({ status: 'pending', schedule_time: '2026-12-24T12:00:00Z', items: [item({ status: 'pending', attempts: 0 }), item({ platform: 'kuaishou', status: 'pending', attempts: 0 })] });
    expect(jobSummary(later, now)).toMatch(/^Scheduled for Dec 24, 2026, .+ · 2 platforms$/);
  });

  it('says when a waiting platform is tried and why a failed one failed', () => {
    expect(itemNote(item())).toBeNull();
    expect(itemNote(item({ status: 'pending', attempts: 0, next_attempt_at: '2026-12-24T12:00:00Z' }))).toMatch(/^Scheduled for Dec 24, 2026/);
    expect(itemNote(item({ status: 'pending', attempts: 2, next_attempt_at: '2026-12-24T12:00:00Z' }))).toMatch(/^Trying again Dec 24, 2026/);
    expect(itemNote(item({ status: 'failed', error: 'Douyin error 2190008: access_token过期', error_code: 'PUBLISH_FAILED' }))).toBe('Douyin error 2190008: access_token过期');
    expect(itemNote(item({ status: 'failed', error: 'the process stopped while sending', error_code: 'INTERRUPTED' }))).toBe(
      'the process stopped while sending Check the platform before publishing it again.',
    );
    expect(itemNote(item({ status: 'failed', error: null }))).toBe('The platform did not take it.');
  });

  it('shows a refused publish’s detail, which names the platform', async () => {
    const e = new ApiError(422, { detail: 'no Douyin account is bound: bind one first', error_code: 'PLATFORM_NOT_BOUND', retryable: false, field: 'platforms' });
    expect(publishErrorText(e, 'en')).toBe('no Douyin account is bound: bind one first');
    await i18n.changeLanguage('zh-CN');
    expect(publishErrorText(e, 'zh-CN')).toBe('发布平台：该平台尚未绑定账号，请先绑定（no Douyin account is bound: bind one first）');
    const other = new ApiError(500, { detail: 'boom', error_code: 'INTERNAL', retryable: false });
    expect(publishErrorText(other, 'zh-CN')).toBe('服务器出错了');
  });
});
