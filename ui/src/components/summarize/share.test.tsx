import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { shareSummary, type HistoryEntry, type SummaryDoc } from '../../api/summarize';
import type { Page, Share } from '../../api/types';
import { i18n } from '../../i18n';
import { DEFAULT_SHARE_FORM, type ShareForm } from '../../lib/shares';
import { createFetchTransport, setTransport, type TransportKind } from '../../transport';
import { ToastProvider } from '../Toasts';
import { ShareDialogView, type ShareDialogViewProps } from '../editor/ShareDialog';
import { SHARES_LIMIT } from '../editor/SharedLinks';
import { submitSummaryShare, useShareForm } from '../editor/useShareForm';
import { Analyzer } from './Analyzer';
import { SummaryResult } from './SummaryResult';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
/** The text of the element with a test id (its first text run). */
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1];
/** The opening tag of the element with a test id. */
const tagOf = (html: string, testId: string) => new RegExp(`<[^<>]*data-testid="${testId}"[^<>]*>`).exec(html)?.[0] ?? '';
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

type Call = { url: string; method: string; body?: unknown };

/** A transport of `kind` whose fetch answers with `respond` and records every call. */
function install(respond: (call: Call) => Response = () => json({}), kind: TransportKind = 'browser') {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = { url, method: init?.method ?? 'GET' };
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

const NOW = new Date('2026-05-01T10:00:00Z');
const ID = 'Zr3kP0qL9mN2bV5cX8wT1a';

function share(over: Partial<Share> = {}): Share {
  return {
    id: ID,
    url: `/share/${ID}`,
    project_id: 'p1',
    project_name: 'Episode 1 — the door',
    export_id: null,
    version_id: null,
    summary_id: 's1',
    include_storyboard: false,
    has_password: false,
    status: 'active',
    created_by: 'u1',
    created_at: '2026-05-01T10:00:00Z',
    expires_at: null,
    revoked_at: null,
    view_count: 0,
    last_viewed_at: null,
    ...over,
  };
}

const doc: SummaryDoc = {
  id: 's1',
  title: 'Episode 1 — the door',
  summary: 'She opens the door.',
  mindmap: '- Episode 1',
  beats: [{ kind: 'hook', start_ms: 0, end_ms: 3000, text: 'She opens the door' }],
  transcript: [],
  mode: 'beats',
  focus: '',
  model: 'gpt-x',
  cached: false,
  creditsCharged: 4,
};

const SUBJECT = { kind: 'summary', summaryId: 's1', title: 'Episode 1 — the door' } as const;

function dialog(over: Partial<ShareDialogViewProps> = {}): string {
  const props: ShareDialogViewProps = {
    subject: SUBJECT,
    form: DEFAULT_SHARE_FORM,
    errors: {},
    formError: null,
    busy: false,
    created: null,
    copy: 'idle',
    onChange: noop,
    onSubmit: noop,
    onCopy: noop,
    onClose: noop,
    ...over,
  };
  return renderToStaticMarkup(<ShareDialogView {...props} />);
}

const wrap = (qc: QueryClient, node: ReactNode) =>
  renderToStaticMarkup(
    <QueryClientProvider client={qc}>
      <ToastProvider>{node}</ToastProvider>
    </QueryClientProvider>,
  );

describe('sharing a summary: the request', () => {
  it('shareSummary POSTs the body to /api/v1/history/{id}/share and returns the link', async () => {
    const calls = install(() => json(share({ has_password: true }), 201));
    const body = { expires_at: '2026-05-08T10:00:00Z', password: 'rain day' };
    const made = await shareSummary('s1', body);
    expect(calls).toEqual([{ url: '/api/v1/history/s1/share', method: 'POST', body }]);
    expect(made).toMatchObject({ id: ID, summary_id: 's1', has_password: true, status: 'active' });
  });

  it('the form sends only the expiry and the password (no storyboard, no project); none when left empty', async () => {
    const calls = install(() => json(share(), 201));
    const form: ShareForm = { include_storyboard: true, expiry_days: 7, password: 'rain day' };
    const out = await submitSummaryShare(form, 's1', NOW);
    expect(out).toMatchObject({ kind: 'created', share: { id: ID } });
    await submitSummaryShare(DEFAULT_SHARE_FORM, 's 2', NOW);
    expect(calls).toEqual([
      { url: '/api/v1/history/s1/share', method: 'POST', body: { expires_at: '2026-05-08T10:00:00Z', password: 'rain day' } },
      { url: '/api/v1/history/s%202/share', method: 'POST', body: {} },
    ]);
  });

  it('checks the password first, and shows the server’s 422 next to the field it names', async () => {
    const calls = install(() => json({ detail: 'a link lives at most 366 days', error_code: 'VALIDATION_ERROR', retryable: false, field: 'expires_at' }, 422));
    expect(await submitSummaryShare({ ...DEFAULT_SHARE_FORM, password: 'abc' }, 's1', NOW)).toEqual({
      kind: 'invalid',
      errors: { password: 'Password must be 4 to 128 characters' },
    });
    expect(calls).toEqual([]);
    const out = await submitSummaryShare({ ...DEFAULT_SHARE_FORM, expiry_days: 30 }, 's1', NOW);
    expect(out).toEqual({ kind: 'refused', errors: { expiry_days: 'a link lives at most 366 days' }, formError: null });
    expect(textOf(dialog({ errors: out.kind === 'refused' ? out.errors : {} }), 'field-error-expires_at')).toBe('a link lives at most 366 days');

    install(() => json({ detail: "summary 's9' not found", error_code: 'NOT_FOUND', retryable: false }, 404));
    expect(await submitSummaryShare(DEFAULT_SHARE_FORM, 's9', NOW)).toEqual({ kind: 'refused', errors: {}, formError: "summary 's9' not found" });
  });

  it('once made, the lists of links are read afresh (SharedLinks shows the new one)', async () => {
    install(() => json(share(), 201));
    const qc = makeQueryClient();
    const q = { projectId: 'p1', page: 1, limit: SHARES_LIMIT };
    const empty: Page<Share> = { items: [], total: 0, page: 1, limit: SHARES_LIMIT, totalPages: 0 };
    qc.setQueryData(keys.shares.list(q), empty);
    let api: ReturnType<typeof useShareForm> | null = null;
    function Probe() {
      api = useShareForm(SUBJECT);
      return null;
    }
    wrap(qc, <Probe />);
    expect(qc.getQueryState(keys.shares.list(q))?.isInvalidated).toBe(false);
    const out = await api!.submit();
    expect(out).toMatchObject({ kind: 'created', share: { id: ID } });
    expect(qc.getQueryState(keys.shares.list(q))?.isInvalidated).toBe(true);
  });
});

describe('sharing a summary: the dialog', () => {
  it('is the export’s form without the storyboard choice, naming the summary', () => {
    const html = dialog();
    expect(html).toMatch(/<h2[^>]*>Share this summary<\/h2>/);
    expect(html).toContain('can read “Episode 1 — the door”');
    expect(has(html, 'share-include-storyboard')).toBe(false);
    expect(has(html, 'share-expiry')).toBe(true);
    expect(tagOf(html, 'share-password')).toContain('type="password"');
    expect(html).toMatch(/data-testid="share-create"[^>]*>(<svg[\s\S]*?<\/svg>)?Create link<\/button>/);
    expect(dialog({ subject: { ...SUBJECT, title: null } })).toContain('can read this summary');
  });

  it('then shows the link, absolute, with Copy', () => {
    const created = { share: share({ has_password: true }), url: `https://team.example/share/${ID}` };
    const html = dialog({ created });
    expect(has(html, 'share-form')).toBe(false);
    expect(tagOf(html, 'share-url')).toContain(`value="https://team.example/share/${ID}"`);
    expect(textOf(html, 'share-copy')).toBe('Copy');
    expect(html).toContain('readers need the password');
  });

  it('speaks Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    const html = dialog();
    expect(html).toContain('分享这份摘要');
    expect(html).toContain('创建链接');
  });
});

describe('the Share button on a finished summary', () => {
  it('on the team server (a browser): shown, for the summary’s id', () => {
    install(() => json({}), 'browser');
    const html = renderToStaticMarkup(<SummaryResult doc={doc} />);
    expect(tagOf(html, 'summary-share')).toContain('data-summary-id="s1"');
    expect(html).toMatch(/data-testid="summary-share"[^>]*>(<svg[\s\S]*?<\/svg>)?Share<\/button>/);
  });

  it('in the desktop shell: not shown (nor any share link UI), as for exports', () => {
    install(() => json({}), 'desktop');
    const html = renderToStaticMarkup(<SummaryResult doc={doc} onScriptDraft={noop} />);
    expect(has(html, 'summary-result')).toBe(true);
    expect(has(html, 'script-draft')).toBe(true);
    expect(has(html, 'summary-share')).toBe(false);
  });

  it('on an analysis opened from the history, too', () => {
    const entry = { id: 's1', title: 'Episode 1', project_id: 'p1', mode: 'brief', focus: '', model: 'gpt-x', summary: 'x', mindmap: '', beats: [], transcript: [] };
    const open = (kind: TransportKind) => {
      install(() => json({}), kind);
      const qc = makeQueryClient();
      qc.setQueryData(keys.summaries.one('s1'), { ...entry, usage: { cached: false }, credits_charged: 0, cached_from: null } as unknown as HistoryEntry);
      return wrap(qc, <Analyzer canStart scriptTarget={null} openId="s1" onOpenId={noop} />);
    };
    expect(has(open('browser'), 'summary-share')).toBe(true);
    expect(has(open('desktop'), 'summary-share')).toBe(false);
  });
});
