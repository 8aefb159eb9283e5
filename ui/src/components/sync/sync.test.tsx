import { QueryClientProvider } from '@tanstack/react-query';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import {
  getSyncStatus,
  linkAndCache,
  listConflicts,
  listSyncLinks,
  syncEvents,
  syncNowAndCache,
  unlinkAndCache,
  type SyncConflict,
  type SyncEvent,
  type SyncStatus,
} from '../../api/sync';
import { i18n } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import { createFetchTransport, setTransport, type TransportKind } from '../../transport';
import { status as connection } from '../connection/fixtures';
import { signedInToServer, defaultWorkspaceId, formatStamp, stampTime, syncBadgeView, truncate, VALUE_PREVIEW_CHARS } from './sync';
import { SyncBadge, SyncBadgeView } from './SyncBadge';
import { SyncDialogView, syncActions, type SyncDialogViewProps } from './SyncDialog';

const noop = () => undefined;
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1];
const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

type Call = { url: string; method: string; body?: unknown };

function install(respond: (call: Call) => Response = () => json({}), kind: TransportKind = 'desktop') {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = { url: url.replace('app://localhost', ''), method: init?.method ?? 'GET' };
    if (typeof init?.body === 'string') call.body = JSON.parse(init.body);
    calls.push(call);
    return respond(call);
  });
  setTransport(createFetchTransport({ kind, baseUrl: kind === 'desktop' ? 'app://localhost' : '', fetch }));
  return calls;
}

afterEach(async () => {
  setTransport(undefined);
  await i18n.changeLanguage('en');
});

function sync(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    project_id: 'p1',
    server_url: 'https://team.example.com',
    workspace_id: 'u1',
    state: 'synced',
    pending: 0,
    conflicts: 0,
    last_synced_at: '2026-05-01T10:00:00Z',
    last_error: null,
    next_try_at: null,
    workspace_balance: null,
    ...over,
  };
}

const STAMP = '001770544810000-00000-nodeA';

function conflict(over: Partial<SyncConflict> = {}): SyncConflict {
  return {
    id: 'c1',
    project_id: 'p1',
    entity: 'shot',
    row_id: 's1',
    field: 'description',
    kept_value: 'Rain on the window',
    kept_stamp: STAMP,
    kept_by: null,
    set_aside_value: 'Snow on the window',
    set_aside_stamp: '001770544820000-00001-nodeB',
    set_aside_by: 'ana',
    reason: 'concurrent edit',
    created_at: '2026-05-01T10:00:00Z',
    ...over,
  };
}

function event(over: Partial<SyncEvent> = {}, payload: Partial<SyncEvent['payload']> = {}): SyncEvent {
  return {
    id: 'e1',
    project_id: 'p1',
    kind: 'review_decision',
    payload: { shot_id: '0123456789abcdef', asset_id: 'a1', decision: 'approve', comment: 'Lovely light', at: '2026-05-01T09:30:00Z', ...payload },
    by: 'ana',
    created_at: '2026-05-01T09:31:00Z',
    ...over,
  };
}

const notFound = () => json({ detail: 'project p1 is not linked', error_code: 'NOT_FOUND', retryable: false }, 404);

describe('sync badge', () => {
  it('says Synced, Pending N, Offline, Conflicts N, or Not synced', () => {
    expect(syncBadgeView(sync()).text).toBe('Synced');
    expect(syncBadgeView(sync({ state: 'pending', pending: 3 })).text).toBe('Pending 3');
    expect(syncBadgeView(sync({ state: 'offline' })).text).toBe('Offline');
    expect(syncBadgeView(sync({ state: 'conflict', conflicts: 2 })).text).toBe('Conflicts 2');
    expect(syncBadgeView(null).text).toBe('Not synced');
    expect(syncBadgeView(sync({ state: 'offline' })).tone).toBe('warn');
    expect(syncBadgeView(sync({ state: 'conflict', conflicts: 1 })).tone).toBe('error');
  });

  it('puts the error and the next try in the offline tooltip', () => {
    const next = '2026-05-01T10:05:00Z';
    const v = syncBadgeView(sync({ state: 'offline', last_error: 'server unreachable', next_try_at: next }), 'en');
    expect(v.title).toBe(`server unreachable Tries again at ${formatDateTime(next, 'en')}.`);
  });

  it('speaks Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(syncBadgeView(sync({ state: 'pending', pending: 4 })).text).toBe('待同步 4');
    expect(syncBadgeView(sync({ state: 'conflict', conflicts: 1 })).text).toBe('冲突 1');
  });

  it('renders the state as a button with the tooltip', () => {
    const html = renderToStaticMarkup(<SyncBadgeView status={sync({ state: 'offline', last_error: 'boom' })} onOpen={noop} />);
    expect(html).toContain('data-state="offline"');
    expect(html).toContain('title="boom"');
    expect(html).toContain('>Offline<');
    expect(renderToStaticMarkup(<SyncBadgeView status={null} onOpen={noop} />)).toContain('data-state="unlinked"');
  });

  it('shows nothing in the browser (sync is the desktop’s)', () => {
    const calls = install(() => json(sync()), 'browser');
    const html = renderToStaticMarkup(
      <QueryClientProvider client={makeQueryClient()}>
        <SyncBadge projectId="p1" />
      </QueryClientProvider>,
    );
    expect(html).toBe('');
    expect(calls).toEqual([]);
  });

  it('is shown only while signed in to a team server', () => {
    expect(signedInToServer(null)).toBe(false);
    expect(signedInToServer(connection())).toBe(false);
    expect(signedInToServer(connection({ state: 'connected', server_url: 'https://team.example.com', username: 'ana' }))).toBe(true);
    expect(signedInToServer(connection({ state: 'unreachable', server_url: 'https://team.example.com', username: 'ana' }))).toBe(true);
  });
});

describe('stamps', () => {
  it('reads the first 15 digits as epoch milliseconds', () => {
    expect(stampTime(STAMP)?.getTime()).toBe(1_770_544_810_000);
    expect(formatStamp(STAMP, 'en')).toBe(formatDateTime(new Date(1_770_544_810_000).toISOString(), 'en'));
    expect(formatStamp(STAMP, 'en')).not.toBe('');
  });

  it('gives nothing for a stamp it cannot read', () => {
    expect(stampTime('garbage')).toBeNull();
    expect(stampTime('12345-00000-x')).toBeNull();
    expect(formatStamp('')).toBe('');
  });
});

function dialog(over: Partial<SyncDialogViewProps> = {}): string {
  const props: SyncDialogViewProps = {
    status: sync(),
    serverUrl: 'https://team.example.com',
    workspaceId: '',
    fieldError: null,
    formError: null,
    busy: null,
    confirmingUnlink: false,
    conflicts: [],
    conflictsError: null,
    events: [],
    eventsError: null,
    onWorkspaceChange: noop,
    onLink: noop,
    onSyncNow: noop,
    onAskUnlink: noop,
    onCancelUnlink: noop,
    onUnlink: noop,
    onClose: noop,
    ...over,
  };
  return renderToStaticMarkup(<SyncDialogView {...props} />);
}

describe('sync dialog', () => {
  it('offers the link form when the project is not linked, with the field’s error', () => {
    const html = dialog({ status: null, workspaceId: 'u1', fieldError: 'workspace not found' });
    expect(has(html, 'sync-link-form')).toBe(true);
    expect(html).toContain('team.example.com');
    expect(html).toMatch(/data-testid="sync-workspace"[^>]*value="u1"|value="u1"[^>]*data-testid="sync-workspace"/);
    expect(textOf(html, 'field-error-workspace_id')).toBe('workspace not found');
    expect(textOf(html, 'sync-link')).toBe('Link to team server');
    expect(has(html, 'sync-now')).toBe(false);
  });

  it('defaults the workspace to the signed-in person’s id when the connection reports it', () => {
    expect(defaultWorkspaceId({ ...connection({ state: 'connected' }), user_id: 'u42' })).toBe('u42');
    expect(defaultWorkspaceId(connection())).toBe('');
    expect(defaultWorkspaceId(null)).toBe('');
  });

  it('shows the state, the last sync and the actions when linked', () => {
    const html = dialog({ status: sync({ state: 'offline', last_error: 'server unreachable' }) });
    expect(textOf(html, 'sync-state')).toBe('Offline');
    expect(textOf(html, 'sync-last-synced')).toBe(formatDateTime('2026-05-01T10:00:00Z'));
    expect(textOf(html, 'sync-last-error')).toBe('server unreachable');
    expect(textOf(html, 'sync-now')).toBe('Sync now');
    expect(textOf(html, 'sync-unlink')).toBe('Unlink');
    expect(has(html, 'sync-unlink-confirm')).toBe(false);
    expect(has(dialog({ confirmingUnlink: true }), 'sync-unlink-confirm')).toBe(true);
    expect(textOf(html, 'sync-no-conflicts')).toBe('No conflicts.');
    // The workspace's balance, read-only, only when the server shares it (owners and admins).
    expect(has(html, 'sync-balance')).toBe(false);
    expect(textOf(dialog({ status: sync({ workspace_balance: 12500 }) }), 'sync-balance')).toBe(formatNumber(12500, 'en'));
  });

  it('lists the conflicts side by side: what, both values, who and when', () => {
    const long = 'x'.repeat(VALUE_PREVIEW_CHARS + 40);
    const html = dialog({
      status: sync({ state: 'conflict', conflicts: 2 }),
      conflicts: [conflict(), conflict({ id: 'c2', entity: 'version', field: 'note', kept_value: { a: 1 }, set_aside_value: long, kept_by: 'ben', reason: 'script lines' })],
    });
    expect(html.match(/data-testid="sync-conflict"/g)).toHaveLength(2);
    expect(textOf(html, 'sync-conflict-what')).toBe('shot · description');
    expect(textOf(html, 'sync-conflict-reason')).toBe('Edited in two places at once');
    expect(textOf(html, 'sync-kept-value')).toBe('Rain on the window');
    expect(textOf(html, 'sync-set-aside-value')).toBe('Snow on the window');
    expect(html).toContain('on the server');
    expect(html).toContain('by ana');
    expect(html).toContain(formatStamp(STAMP));
    expect(html).toContain('by ben');
    expect(html).toContain('Script lines changed in two places');
    expect(decode(html)).toContain('"a": 1');
    // The long value is cut, with "Show all"; the set-aside value can be copied.
    expect(html).toContain(`${truncate(long).text}<`);
    expect(html).not.toContain(long);
    expect(has(html, 'sync-set-aside-toggle')).toBe(true);
    expect(has(html, 'sync-set-aside-copy')).toBe(true);
    expect(has(html, 'sync-kept-copy')).toBe(false);
  });
});

describe('review decisions', () => {
  it('lists an approval with its shot, comment, who and when', () => {
    const html = dialog({ events: [event()] });
    expect(html.match(/data-testid="sync-event"/g)).toHaveLength(1);
    expect(has(html, 'sync-events')).toBe(true);
    expect(html).toContain('data-decision="approve"');
    expect(html).toContain('>Review decisions<');
    expect(textOf(html, 'sync-event-decision')).toBe('Approved');
    expect(textOf(html, 'sync-event-shot')).toBe('shot 01234567');
    expect(html).not.toContain('shot 0123456789');
    expect(textOf(html, 'sync-event-comment')).toBe('Lovely light');
    expect(decode(textOf(html, 'sync-event-meta') ?? '')).toBe(`by ana · at ${formatDateTime('2026-05-01T09:30:00Z', 'en')}`);
  });

  it('says "on this desktop" for a decision made here, with no comment line when empty', () => {
    const html = dialog({ events: [event({ id: 'e2', by: null }, { decision: 'reject', comment: '' })] });
    expect(html).toContain('data-decision="reject"');
    expect(textOf(html, 'sync-event-decision')).toBe('Rejected');
    expect(has(html, 'sync-event-comment')).toBe(false);
    expect(textOf(html, 'sync-event-meta')).toContain('on this desktop');
    expect(html).not.toContain('by ana');
  });

  it('falls back to the recorded time and names every decision', () => {
    const decisions = ['approve', 'reject', 'replace', 'select', 'unlock'] as const;
    const html = dialog({ events: decisions.map((d, i) => event({ id: `e${i}`, created_at: '2026-05-02T08:00:00Z' }, { decision: d, at: '' })) });
    expect([...html.matchAll(/data-testid="sync-event-decision"[^>]*>([^<]*)/g)].map((m) => m[1])).toEqual(['Approved', 'Rejected', 'Replaced', 'Selected', 'Unlocked']);
    expect(html).toContain(formatDateTime('2026-05-02T08:00:00Z', 'en'));
  });

  it('shows the empty state, loading and an error', () => {
    const html = dialog({ events: [] });
    expect(textOf(html, 'sync-no-events')).toBe('No review decisions yet.');
    expect(has(html, 'sync-events')).toBe(false);
    expect(dialog({ events: undefined })).toContain('Loading the review decisions…');
    expect(dialog({ eventsError: 'boom' })).toContain('>boom<');
  });

  it('speaks Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    const html = dialog({ events: [event({ by: null })] });
    expect(textOf(html, 'sync-event-decision')).toBe('已通过');
    expect(textOf(html, 'sync-event-meta')).toContain('在这台电脑上');
    expect(textOf(dialog({ events: [] }), 'sync-no-events')).toBe('还没有审阅决定。');
  });

  it('GETs /api/v1/projects/{id}/sync/events', async () => {
    const calls = install(() => json([event(), event({ id: 'e2', by: null })]));
    expect(await syncEvents('p1')).toEqual([event(), event({ id: 'e2', by: null })]);
    expect(calls).toEqual([{ url: '/api/v1/projects/p1/sync/events', method: 'GET' }]);
  });

  it('marks the review decisions stale after "Sync now"', async () => {
    const client = makeQueryClient();
    client.setQueryData(keys.sync.events('p1', '2026-05-01T10:00:00Z'), [event()]);
    install(() => json(sync()));
    await syncNowAndCache(client, 'p1');
    expect(client.getQueryState(keys.sync.events('p1', '2026-05-01T10:00:00Z'))?.isInvalidated).toBe(true);
    expect(keys.sync.events('p1', 'a')).not.toEqual(keys.sync.events('p1', 'b'));
  });
});

describe('sync requests', () => {
  it('reads a status, and a 404 as "not linked"', async () => {
    let linked = true;
    const calls = install(() => (linked ? json(sync()) : notFound()));
    expect(await getSyncStatus('p1')).toMatchObject({ state: 'synced' });
    linked = false;
    expect(await getSyncStatus('p1')).toBeNull();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /api/v1/projects/p1/sync', 'GET /api/v1/projects/p1/sync']);
  });

  it('lets other errors through', async () => {
    install(() => json({ detail: 'boom', error_code: 'INTERNAL_ERROR', retryable: true }, 500));
    await expect(getSyncStatus('p1')).rejects.toMatchObject({ status: 500 });
  });

  it('lists the links and the conflicts', async () => {
    const calls = install((c) => json(c.url.endsWith('/conflicts') ? [conflict()] : [sync()]));
    expect(await listSyncLinks()).toHaveLength(1);
    expect(await listConflicts('p1')).toEqual([conflict()]);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /api/v1/sync/links', 'GET /api/v1/projects/p1/sync/conflicts']);
  });

  it('links with the workspace id and caches the answer', async () => {
    const client = makeQueryClient();
    const calls = install(() => json(sync({ state: 'pending', pending: 2 }), 201));
    const s = await linkAndCache(client, 'p1', ' u1 ');
    expect(calls).toEqual([{ url: '/api/v1/projects/p1/sync', method: 'POST', body: { workspace_id: 'u1' } }]);
    expect(s.state).toBe('pending');
    expect(client.getQueryData(keys.sync.project('p1'))).toEqual(s);
  });

  it('syncs now and unlinks', async () => {
    const client = makeQueryClient();
    const calls = install((c) => (c.method === 'DELETE' ? new Response(null, { status: 204 }) : json(sync({ state: 'offline', last_error: 'unreachable' }))));
    expect((await syncNowAndCache(client, 'p1')).state).toBe('offline');
    expect(client.getQueryData<SyncStatus>(keys.sync.project('p1'))?.last_error).toBe('unreachable');
    await unlinkAndCache(client, 'p1');
    expect(client.getQueryData(keys.sync.project('p1'))).toBeNull();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /api/v1/projects/p1/sync/now', 'DELETE /api/v1/projects/p1/sync']);
  });
});

describe('sync dialog actions', () => {
  function harness() {
    const log: { busy: unknown[]; reports: [string | null, string | null][]; confirmed: number } = { busy: [], reports: [], confirmed: 0 };
    const actions = syncActions(makeQueryClient(), 'p1', {
      busy: (b) => log.busy.push(b),
      report: (f, m) => log.reports.push([f, m]),
      confirmed: () => (log.confirmed += 1),
    });
    return { actions, log };
  }

  it('link: POSTs the workspace and puts a field error next to the field it names', async () => {
    const calls = install(() => json({ detail: 'workspace u9 not found on the server', error_code: 'VALIDATION_ERROR', retryable: false, field: 'workspace_id' }, 422));
    const { actions, log } = harness();
    await actions.link('u9');
    expect(calls).toEqual([{ url: '/api/v1/projects/p1/sync', method: 'POST', body: { workspace_id: 'u9' } }]);
    expect(log.busy).toEqual(['link', null]);
    expect(log.reports.at(-1)).toEqual(['workspace_id', 'workspace u9 not found on the server']);
  });

  it('link: "not signed in" (422 server_url) and "linked already" (409) go to the form', async () => {
    install(() => json({ detail: 'not signed in to a team server', error_code: 'VALIDATION_ERROR', retryable: false, field: 'server_url' }, 422));
    const a = harness();
    await a.actions.link('u1');
    expect(a.log.reports.at(-1)).toEqual([null, 'not signed in to a team server']);
    install(() => json({ detail: 'project p1 is linked already', error_code: 'CONFLICT', retryable: false }, 409));
    const b = harness();
    await b.actions.link('u1');
    expect(b.log.reports.at(-1)?.[0]).toBeNull();
    expect(b.log.reports.at(-1)?.[1]).toBeTruthy();
  });

  it('sync now and unlink send their requests; unlink closes the confirmation', async () => {
    const calls = install((c) => (c.method === 'DELETE' ? new Response(null, { status: 204 }) : json(sync())));
    const { actions, log } = harness();
    await actions.syncNow();
    await actions.unlink();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /api/v1/projects/p1/sync/now', 'DELETE /api/v1/projects/p1/sync']);
    expect(log.confirmed).toBe(1);
    expect(log.reports.every(([, m]) => m === null)).toBe(true);
  });
});
