import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Platform, PublishItem, PublishJob } from '../../api/publish';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import type { Page } from '../../api/types';
import { i18n } from '../../i18n';
import { createFetchTransport, setTransport } from '../../transport';
import { ToastProvider } from '../Toasts';
import { PublishDialog, sendPublish } from './PublishDialog';
import { PublishHistoryPage, UnbindDialog } from './PublishHistoryPage';

const count = (html: string, testId: string) => html.split(`data-testid="${testId}"`).length - 1;
const has = (html: string, testId: string) => count(html, testId) > 0;
const textsOf = (html: string, testId: string) => [...html.matchAll(new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`, 'g'))].map((m) => m[1]);
/** The opening tags of every element with a test id. */
const tagsOf = (html: string, testId: string) => [...html.matchAll(new RegExp(`<[^<>]*data-testid="${testId}"[^<>]*>`, 'g'))].map((m) => m[0]);
const tagOf = (html: string, testId: string) => tagsOf(html, testId)[0] ?? '';
/** The markup of the platform row `id` in the dialog (up to the next row). */
const rowOf = (html: string, id: string) => {
  const at = html.indexOf(`data-platform="${id}"`);
  const next = html.indexOf('data-testid="publish-platform"', at + 1);
  return html.slice(at, next < 0 ? undefined : next);
};
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

type Call = { url: string; method: string; body?: unknown };

function install(respond: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = { url, method: init?.method ?? 'GET' };
    if (typeof init?.body === 'string') call.body = JSON.parse(init.body);
    calls.push(call);
    return respond(call);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

afterEach(async () => {
  setTransport(undefined);
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

/** As the server lists them: WeChat (articles) and Kuaishou (videos) not bound, Douyin (videos) bound, two without an open API. */
function platforms(): Platform[] {
  return [
    platform({ platform: 'wechat', name: '微信公众号', name_en: 'WeChat Official Account', accepts: ['writing'], credentials: ['app_id', 'app_secret'], bound: false, account: null, note: 'Articles: a draft.' }),
    platform(),
    platform({ platform: 'kuaishou', name: '快手', name_en: 'Kuaishou', credentials: ['app_id', 'access_token'], bound: false, account: null, note: 'Videos.' }),
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
  ];
}

function wrap(qc: QueryClient, node: ReactNode): string {
  return renderToStaticMarkup(
    <QueryClientProvider client={qc}>
      <ToastProvider>{node}</ToastProvider>
    </QueryClientProvider>,
  );
}

function withPlatforms(list = platforms()): QueryClient {
  const qc = makeQueryClient();
  qc.setQueryData(keys.publish.platforms, list);
  return qc;
}

const noop = () => undefined;

describe('the publish dialog', () => {
  it('lets a video go only where it can now: a platform that takes videos, with an account bound', () => {
    const html = wrap(withPlatforms(), <PublishDialog creation={{ id: 'c1', type: 'video', title: 'Rain' }} onClose={noop} />);
    expect(html).toContain('Publish “Rain”');
    expect(count(html, 'publish-platform')).toBe(4);
    const checks = tagsOf(html, 'publish-check');
    expect(checks).toHaveLength(4);
    // wechat (articles only), douyin (bound), kuaishou (not bound), xiaohongshu (no open API)
    expect(checks.map((c) => /\bdisabled=""/.test(c))).toEqual([true, false, true, true]);
    expect(rowOf(html, 'douyin')).toContain('data-availability="selectable"');
    expect(textsOf(rowOf(html, 'douyin'), 'publish-account')).toEqual(['Bound: open-123']);
    expect(textsOf(rowOf(html, 'wechat'), 'publish-not-accepted')).toEqual(['Publishes Writing only.']);
    expect(has(rowOf(html, 'wechat'), 'publish-bind-open')).toBe(false);
    expect(has(rowOf(html, 'kuaishou'), 'publish-bind-open')).toBe(true);
    expect(textsOf(rowOf(html, 'xiaohongshu'), 'publish-note')).toEqual(['Xiaohongshu has no open publishing API for third-party apps: copy the note and post it in the app.']);
    expect(has(rowOf(html, 'xiaohongshu'), 'publish-bind-open')).toBe(false);
    // Nothing ticked yet: Publish waits.
    expect(tagOf(html, 'publish-submit')).toContain('disabled');
  });

  it('for an article: WeChat can take it once bound, the video platforms cannot', () => {
    const html = wrap(withPlatforms(), <PublishDialog creation={{ id: 'c1', type: 'writing', title: 'Sleep well' }} onClose={noop} />);
    expect(rowOf(html, 'wechat')).toContain('data-availability="not_bound"');
    expect(has(rowOf(html, 'wechat'), 'publish-bind-open')).toBe(true);
    expect(rowOf(html, 'douyin')).toContain('data-availability="not_accepted"');
    expect(tagsOf(html, 'publish-check').every((c) => /\bdisabled=""/.test(c))).toBe(true);
    expect(has(html, 'publish-none-selectable')).toBe(true);

    const bound = wrap(withPlatforms(platforms().map((p) => (p.platform === 'wechat' ? { ...p, bound: true, account: 'wx-app' } : p))), <PublishDialog creation={{ id: 'c1', type: 'writing' }} onClose={noop} />);
    expect(rowOf(bound, 'wechat')).toContain('data-availability="selectable"');
    expect(tagOf(rowOf(bound, 'wechat'), 'publish-check')).not.toMatch(/\bdisabled=""/);
  });

  it('binds in place: one input per credential, secrets and tokens as passwords', () => {
    const wechat = wrap(withPlatforms(), <PublishDialog creation={{ id: 'c1', type: 'writing' }} onClose={noop} initialBinding="wechat" />);
    expect(count(wechat, 'bind-form')).toBe(1);
    expect(tagOf(wechat, 'bind-form')).toContain('data-platform="wechat"');
    expect(tagOf(wechat, 'bind-app_id')).toContain('type="text"');
    expect(tagOf(wechat, 'bind-app_secret')).toContain('type="password"');
    expect(wechat).toContain('App secret');
    // The form replaces the row's Bind account button.
    expect(has(rowOf(wechat, 'wechat'), 'publish-bind-open')).toBe(false);

    const kuaishou = wrap(withPlatforms(), <PublishDialog creation={{ id: 'c1', type: 'video' }} onClose={noop} initialBinding="kuaishou" />);
    expect(tagsOf(kuaishou, 'bind-app_id')).toHaveLength(1);
    expect(tagOf(kuaishou, 'bind-access_token')).toContain('type="password"');
    expect(has(kuaishou, 'bind-app_secret')).toBe(false);
  });

  it('shows the chosen platforms and the time, and schedules rather than publishes', () => {
    const html = wrap(
      withPlatforms(),
      <PublishDialog creation={{ id: 'c1', type: 'video' }} onClose={noop} initialSelected={['douyin', 'kuaishou']} initialSchedule={{ mode: 'at', value: '2026-12-24T20:00' }} />,
    );
    expect(tagOf(rowOf(html, 'douyin'), 'publish-check')).toContain('checked=""');
    // Kuaishou is not bound: not ticked, whatever was asked.
    expect(tagOf(rowOf(html, 'kuaishou'), 'publish-check')).not.toContain('checked=""');
    expect(tagOf(html, 'publish-at')).toContain('checked=""');
    expect(tagOf(html, 'publish-schedule-time')).toContain('value="2026-12-24T20:00"');
    expect(tagOf(html, 'publish-schedule-time')).toContain('type="datetime-local"');
    expect(tagOf(html, 'publish-submit')).not.toContain('disabled');
    expect(textsOf(html, 'publish-submit')).toEqual(['Schedule']);
  });

  it('submits the creation, the platforms in the list’s order and schedule_time as RFC 3339', async () => {
    const job: PublishJob = { publish_id: 'j1', created_by: 'u1', title: 'Rain', schedule_time: '2026-12-24T12:00:00Z', status: 'pending', created_at: '2026-05-01T10:00:00Z', items: [] };
    const calls = install(() => json(job, 202));
    const list = platforms().map((p) => ({ ...p, bound: true }));
    await sendPublish(makeQueryClient(), 'c1', list, new Set(['kuaishou', 'douyin']), { mode: 'at', value: '2026-12-24T20:00' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.url).toBe('/api/v1/publish');
    expect(calls[0]!.body).toEqual({ creation_id: 'c1', platforms: ['douyin', 'kuaishou'], schedule_time: new Date(2026, 11, 24, 20, 0).toISOString() });

    await sendPublish(makeQueryClient(), 'c1', list, new Set(['douyin']), { mode: 'now' });
    expect(calls[1]!.body).toEqual({ creation_id: 'c1', platforms: ['douyin'] });
  });

  it('a refusal rejects with its detail (the dialog shows it)', async () => {
    install(() => json({ detail: 'no Kuaishou account is bound: bind one first', error_code: 'PLATFORM_NOT_BOUND', retryable: false, field: 'platforms' }, 422));
    await expect(sendPublish(makeQueryClient(), 'c1', platforms(), new Set(['kuaishou']), { mode: 'now' })).rejects.toMatchObject({
      error_code: 'PLATFORM_NOT_BOUND',
      detail: 'no Kuaishou account is bound: bind one first',
    });
  });
});

function item(over: Partial<PublishItem> = {}): PublishItem {
  return { platform: 'douyin', status: 'published', attempts: 1, next_attempt_at: '2026-05-01T10:00:00Z', updated_at: '2026-05-01T10:00:05Z', remote_id: 'v-77', remote_url: 'https://www.douyin.com/video/77', error: null, error_code: null, ...over };
}

describe('the publishing history', () => {
  function page(): Page<PublishJob> {
    return {
      items: [
        {
          publish_id: 'j2',
          created_by: 'u1',
          title: 'Rain',
          schedule_time: '2099-12-24T12:00:00Z',
          status: 'pending',
          created_at: '2026-05-02T10:00:00Z',
          finished_at: null,
          items: [item({ status: 'pending', attempts: 0, next_attempt_at: '2099-12-24T12:00:00Z', remote_id: null, remote_url: null })],
        },
        {
          publish_id: 'j1',
          created_by: 'u1',
          title: 'The door',
          schedule_time: '2026-05-01T10:00:00Z',
          status: 'partial',
          created_at: '2026-05-01T10:00:00Z',
          finished_at: '2026-05-01T10:00:09Z',
          items: [
            item(),
            item({ platform: 'kuaishou', status: 'failed', attempts: 5, remote_id: null, remote_url: null, error: 'Kuaishou error 100200: token expired (gave up after 5 attempts)', error_code: 'PUBLISH_FAILED' }),
          ],
        },
      ],
      total: 2,
      page: 1,
      limit: 20,
      totalPages: 1,
    };
  }

  it('shows each job with its status and a row per platform: status, attempts, the post, the error', () => {
    const qc = withPlatforms();
    qc.setQueryData(keys.publish.history({ page: 1, limit: 20 }), page());
    const html = wrap(qc, <PublishHistoryPage />);
    expect(count(html, 'publish-job')).toBe(2);
    expect(tagsOf(html, 'publish-job-status').map((t) => /data-status="(\w+)"/.exec(t)?.[1])).toEqual(['pending', 'partial']);
    expect(html).toContain('Partly published');
    expect(textsOf(html, 'publish-job-title')).toEqual(['Rain', 'The door']);
    expect(textsOf(html, 'publish-job-summary')[1]).toBe('1 of 2 published · 1 failed');
    expect(textsOf(html, 'publish-job-summary')[0]).toMatch(/^Scheduled for Dec 24, 2099/);

    expect(tagsOf(html, 'publish-item').map((t) => /data-platform="(\w+)"[^>]*data-status="(\w+)"/.exec(t)?.slice(1).join(':'))).toEqual([
      'douyin:pending',
      'douyin:published',
      'kuaishou:failed',
    ]);
    expect(textsOf(html, 'publish-item-platform')).toEqual(['Douyin', 'Douyin', 'Kuaishou']);
    expect(textsOf(html, 'publish-item-attempts')).toEqual(['0', '1', '5']);
    expect(tagOf(html, 'publish-item-link')).toContain('href="https://www.douyin.com/video/77"');
    expect(html).toContain('v-77');
    expect(textsOf(html, 'publish-item-error')).toEqual(['Kuaishou error 100200: token expired (gave up after 5 attempts)']);
    expect(textsOf(html, 'publish-item-note')[0]).toMatch(/^Scheduled for Dec 24, 2099/);
  });

  it('lists the accounts: bound ones with Unbind, the others to bind, and the note of one that cannot publish', () => {
    const qc = withPlatforms();
    qc.setQueryData(keys.publish.history({ page: 1, limit: 20 }), { items: [], total: 0, page: 1, limit: 20, totalPages: 0 });
    const html = wrap(qc, <PublishHistoryPage />);
    expect(has(html, 'publish-empty')).toBe(true);
    const rows = tagsOf(html, 'publish-account-row');
    expect(rows.map((r) => /data-platform="(\w+)"/.exec(r)?.[1])).toEqual(['wechat', 'douyin', 'kuaishou', 'xiaohongshu']);
    expect(count(html, 'publish-unbind')).toBe(1);
    expect(textsOf(html, 'publish-account-bound')).toEqual(['Bound: open-123']);
    expect(count(html, 'publish-bind-open')).toBe(2);
    expect(html).toContain('Xiaohongshu has no open publishing API');
  });

  it('asks before unbinding', () => {
    const html = wrap(makeQueryClient(), <UnbindDialog platform={platform()} onClose={noop} />);
    expect(html).toContain('Unbind Douyin?');
    expect(html).toContain('Posts to Douyin not sent yet will fail.');
    expect(has(html, 'confirm-unbind')).toBe(true);
    expect(has(html, 'cancel-unbind')).toBe(true);
  });
});
