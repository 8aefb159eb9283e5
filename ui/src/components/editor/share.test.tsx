import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Load } from '../../api/load';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { revokeShareLink } from '../../api/shares';
import type { Export, Page, Project, Share } from '../../api/types';
import { i18n } from '../../i18n';
import { DEFAULT_SHARE_FORM, absoluteShareUrl, copyShareLink, type ShareForm } from '../../lib/shares';
import { createFetchTransport, setTransport, type TransportKind } from '../../transport';
import { isTopDialog } from '../Modal';
import { ToastProvider } from '../Toasts';
import { ExportDialog } from './ExportDialog';
import { ShareDialogView, ShareExportButton, type ShareDialogViewProps } from './ShareDialog';
import { SHARES_LIMIT, SharedLinksView, type SharedLinksViewProps } from './SharedLinks';
import { HISTORY_LIMIT } from './useExportData';
import { submitShare } from './useShareForm';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
/** The text of the element with a test id (its first text run). */
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1];
/** The opening tag of the element with a test id (its attributes, in any order). */
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
  vi.unstubAllGlobals();
  await i18n.changeLanguage('en');
});

const NOW = new Date('2026-05-01T10:00:00Z');
const ID = 'q8T0mY1cW3s8Jd2pF6uXaA';

function exportOf(over: Partial<Export> = {}): Export {
  return {
    id: 'e1',
    export_id: 'e1',
    project_id: 'p1',
    project_name: 'Rain',
    version_id: 'v1',
    run_id: 'r1',
    status: 'completed',
    progress: 1,
    message: '',
    resolution: '720p',
    aspect_ratio: '9:16',
    width: 720,
    height: 1280,
    fps: 30,
    format: 'mp4',
    include_subtitles: 'soft',
    transition: 'cut',
    motion: true,
    frames: 900,
    video_length: 30,
    duration: 30,
    file_size: 1_000_000,
    cost_credits: 0,
    video_url: '/api/v1/assets/a1/download',
    created_at: '2026-04-30T10:00:00Z',
    ...over,
  };
}

function share(over: Partial<Share> = {}): Share {
  const id = over.id ?? ID;
  return {
    id,
    url: `/share/${id}`,
    project_id: 'p1',
    project_name: 'Rain',
    export_id: 'e1',
    version_id: 'v1',
    include_storyboard: true,
    has_password: false,
    status: 'active',
    created_by: 'u1',
    created_at: '2026-04-30T12:00:00Z',
    expires_at: null,
    revoked_at: null,
    view_count: 0,
    last_viewed_at: null,
    ...over,
  };
}

const pageOf = (items: Share[], over: Partial<Page<Share>> = {}): Page<Share> => ({ items, total: items.length, page: 1, limit: SHARES_LIMIT, totalPages: 1, ...over });

const withApp = (node: ReactNode, client: QueryClient = makeQueryClient()) =>
  renderToStaticMarkup(
    <QueryClientProvider client={client}>
      <ToastProvider>{node}</ToastProvider>
    </QueryClientProvider>,
  );

function dialog(over: Partial<ShareDialogViewProps> = {}): string {
  const props: ShareDialogViewProps = {
    subject: { kind: 'export', exportItem: exportOf() },
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

/** The dialog as it stands after a submit's outcome. */
function afterSubmit(form: ShareForm, out: Awaited<ReturnType<typeof submitShare>>): string {
  if (out.kind === 'created') return dialog({ form, created: { share: out.share, url: absoluteShareUrl(out.share.url, 'https://studio.example') } });
  return dialog({ form, errors: out.errors, formError: out.kind === 'refused' ? out.formError : null });
}

/** The password field's input and the error right below it, in the dialog's markup. */
const PASSWORD_ERROR = /data-testid="share-password"[^>]*aria-invalid="true"[^>]*aria-describedby="share-password-error"[^>]*\/><p class="field-error" id="share-password-error" data-testid="field-error-password">([^<]*)<\/p>/;

describe('the share dialog', () => {
  it('offers the storyboard (on), the expiry (never, 1, 7, 30 days) and an optional password', () => {
    const html = dialog();
    expect(html).toContain('data-testid="share-dialog"');
    expect(html).toMatch(/<h2[^>]*>Share this video<\/h2>/);
    expect(html).toMatch(/<input type="checkbox" data-testid="share-include-storyboard"[^>]*checked=""/);
    expect([...html.matchAll(/<option value="(\d+)"[^>]*>([^<]*)<\/option>/g)].map((m) => `${m[1]}=${m[2]}`)).toEqual([
      '0=Never',
      '1=After 1 day',
      '7=After 7 days',
      '30=After 30 days',
    ]);
    expect(tagOf(html, 'share-password')).toContain('type="password"');
    expect(tagOf(html, 'share-password')).not.toContain('aria-invalid');
    expect(html).toMatch(/data-testid="share-create"[^>]*>(<svg[\s\S]*?<\/svg>)?Create link<\/button>/);
    expect(tagOf(html, 'share-create')).toContain('type="submit"');
    expect(html).toContain('720p · MP4 · 30s');
    expect(has(html, 'share-created')).toBe(false);
  });

  it('a short password is refused next to the field, naming it, without asking the server', async () => {
    const calls = install();
    const form = { ...DEFAULT_SHARE_FORM, password: 'abc' };
    const out = await submitShare(form, exportOf(), NOW);
    expect(out).toEqual({ kind: 'invalid', errors: { password: 'Password must be 4 to 128 characters' } });
    expect(calls).toEqual([]);
    const html = afterSubmit(form, out);
    expect(PASSWORD_ERROR.exec(html)?.[1]).toBe('Password must be 4 to 128 characters');
    expect(has(html, 'share-form-error')).toBe(false);
  });

  it('a 422 from the server is shown next to the field it names', async () => {
    install(() => json({ detail: 'a share password has 4–128 characters (200 given)', error_code: 'VALIDATION_ERROR', retryable: false, field: 'password' }, 422));
    const form = { ...DEFAULT_SHARE_FORM, password: 'long enough' };
    const out = await submitShare(form, exportOf(), NOW);
    expect(out.kind).toBe('refused');
    const html = afterSubmit(form, out);
    expect(PASSWORD_ERROR.exec(html)?.[1]).toBe('a share password has 4–128 characters (200 given)');
    expect(has(html, 'share-form-error')).toBe(false);

    install(() => json({ detail: 'a link lives at most 366 days', error_code: 'VALIDATION_ERROR', retryable: false, field: 'expires_at' }, 422));
    const expiry = afterSubmit(form, await submitShare({ ...form, expiry_days: 30 }, exportOf(), NOW));
    expect(tagOf(expiry, 'share-expiry')).toContain('aria-invalid="true"');
    expect(tagOf(expiry, 'share-expiry')).toContain('aria-describedby="share-expiry-error"');
    expect(textOf(expiry, 'field-error-expires_at')).toBe('a link lives at most 366 days');
    expect(PASSWORD_ERROR.test(expiry)).toBe(false);

    // A field the form does not have (the export is no longer shareable): above the buttons.
    install(() => json({ detail: 'export e1 is not completed', error_code: 'VALIDATION_ERROR', retryable: false, field: 'export_id' }, 422));
    const other = afterSubmit(form, await submitShare(form, exportOf(), NOW));
    expect(textOf(other, 'share-form-error')).toBe('export e1 is not completed');
  });

  it('creates the link for the export, then shows it absolute with Copy, Open and its expiry', async () => {
    const made = share({ has_password: true, expires_at: '2026-05-08T10:00:00Z' });
    const calls = install(() => json(made, 201));
    const form: ShareForm = { include_storyboard: false, expiry_days: 7, password: 'rain day' };
    const out = await submitShare(form, exportOf(), NOW);
    expect(calls).toEqual([
      {
        url: '/api/v1/share',
        method: 'POST',
        body: { project_id: 'p1', export_id: 'e1', include_storyboard: false, expires_at: '2026-05-08T10:00:00Z', password: 'rain day' },
      },
    ]);
    const html = afterSubmit(form, out);
    expect(has(html, 'share-form')).toBe(false);
    expect(tagOf(html, 'share-url')).toContain(`value="https://studio.example/share/${ID}"`);
    expect(tagOf(html, 'share-url')).toContain('readOnly=""');
    const open = tagOf(html, 'share-open');
    expect(open).toMatch(/^<a /);
    expect(open).toContain(`href="https://studio.example/share/${ID}"`);
    expect(open).toContain('target="_blank"');
    expect(open).toContain('rel="noopener noreferrer"');
    expect(textOf(html, 'share-copy')).toBe('Copy');
    expect(textOf(html, 'share-expires')).toMatch(/^Expires May 8, 2026/);
    expect(html).toContain('viewers need the password');
  });

  it('Copy puts the absolute link on the clipboard and says so; a failed copy says to copy by hand', async () => {
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { clipboard: { writeText } });
    const url = absoluteShareUrl(share().url, 'https://studio.example');
    expect(await copyShareLink(url)).toBe(true);
    expect(writeText).toHaveBeenCalledWith(`https://studio.example/share/${ID}`);
    const created = { share: share(), url };
    expect(textOf(dialog({ created, copy: 'copied' }), 'share-copy')).toBe('Copied');
    const failed = dialog({ created, copy: 'failed' });
    expect(textOf(failed, 'share-copy-failed')).toBe('Could not copy: the link is selected, copy it by hand.');
    expect(textOf(dialog({ created }), 'share-expires')).toBe('Never expires');
  });

  it('while the link is being made nothing can be changed or sent twice', () => {
    const html = dialog({ busy: true });
    expect(tagOf(html, 'share-create')).toContain('disabled=""');
    expect(tagOf(html, 'share-password')).toContain('disabled=""');
    expect(tagOf(dialog(), 'share-create')).not.toContain('disabled');
    expect(html).toContain('Creating…');
  });

  it('speaks Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    const calls = install();
    const form = { ...DEFAULT_SHARE_FORM, password: 'ab' };
    const html = afterSubmit(form, await submitShare(form, exportOf(), NOW));
    expect(calls).toEqual([]);
    expect(html).toContain('分享这个视频');
    expect(html).toContain('创建链接');
    expect(html).toContain('7 天后过期');
    expect(PASSWORD_ERROR.exec(html)?.[1]).toBe('密码须为 4 到 128 个字符');
  });
});

describe('the Share action on an export', () => {
  const history = (items: Export[]) => ({ items, total: items.length, page: 1, limit: HISTORY_LIMIT, totalPages: 1 });
  const project = { id: 'p1', name: 'Rain', aspect_ratio: '9:16' } as Project;

  function exportDialog(kind: TransportKind): string {
    install(() => json({}), kind);
    const client = makeQueryClient();
    client.setQueryData(
      keys.exports.history({ projectId: 'p1', page: 1, limit: HISTORY_LIMIT }),
      history([
        exportOf({ id: 'done', created_at: '2026-04-30T12:00:00Z' }),
        exportOf({ id: 'broken', status: 'failed', video_url: null, error: 'ffmpeg exited', created_at: '2026-04-30T11:00:00Z' }),
        exportOf({ id: 'going', status: 'processing', progress: 0.4, video_url: null, created_at: '2026-04-30T10:00:00Z' }),
      ]),
    );
    client.setQueryData(keys.shares.list({ projectId: 'p1', page: 1, limit: SHARES_LIMIT }), pageOf([share({ view_count: 12 })]));
    return withApp(<ExportDialog project={project} versionId="v1" onClose={noop} />, client);
  }

  /** The history row of one export. */
  const row = (html: string, id: string) => new RegExp(`<tr[^>]*data-export-id="${id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';

  it('in a browser: on completed exports only, and the project’s links are listed', () => {
    const html = exportDialog('browser');
    expect(row(html, 'done')).toMatch(/data-testid="export-history-share"[^>]*data-export-id="done"/);
    expect(row(html, 'done')).toContain('aria-label="Share the 720p mp4 export"');
    expect(has(row(html, 'broken'), 'export-history-share')).toBe(false);
    expect(has(row(html, 'going'), 'export-history-share')).toBe(false);
    expect(row(html, 'broken')).not.toBe('');
    expect(textOf(html, 'shared-link-views')).toBe('12');
  });

  it('in the desktop shell: Share on completed exports too, and this desktop’s queued shares instead of the server’s links', () => {
    const html = exportDialog('desktop');
    expect(row(html, 'done')).toContain('data-testid="export-history-play"');
    expect(row(html, 'done')).toMatch(/data-testid="export-history-share"[^>]*data-export-id="done"/);
    expect(has(row(html, 'broken'), 'export-history-share')).toBe(false);
    expect(has(row(html, 'going'), 'export-history-share')).toBe(false);
    expect(has(html, 'shared-links')).toBe(false);
    expect(has(html, 'shared-link-views')).toBe(false);
    expect(has(html, 'queued-shares')).toBe(true);
  });

  it('the labelled button follows the same rule', () => {
    install(() => json({}), 'browser');
    expect(has(withApp(<ShareExportButton exportItem={exportOf()} />), 'export-share')).toBe(true);
    expect(renderToStaticMarkup(<ShareExportButton exportItem={exportOf({ status: 'cancelled' })} />)).toBe('');
    install(() => json({}), 'desktop');
    expect(has(withApp(<ShareExportButton exportItem={exportOf()} />), 'export-share')).toBe(true);
    expect(renderToStaticMarkup(<ShareExportButton exportItem={exportOf({ status: 'processing' })} />)).toBe('');
  });
});

describe('the shared links list', () => {
  function list(over: Partial<SharedLinksViewProps> = {}): string {
    const props: SharedLinksViewProps = {
      load: { kind: 'ready', data: pageOf([]) },
      origin: 'https://studio.example',
      copiedId: null,
      onCopy: noop,
      onAskRevoke: noop,
      confirm: null,
      onCancelRevoke: noop,
      onConfirmRevoke: noop,
      onPage: noop,
      onRetry: noop,
      now: NOW,
      ...over,
    };
    return renderToStaticMarkup(<SharedLinksView {...props} />);
  }
  const row = (html: string, id: string) => new RegExp(`<tr[^>]*data-share-id="${id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
  const ready = (items: Share[], over: Partial<Page<Share>> = {}): Load<Page<Share>> => ({ kind: 'ready', data: pageOf(items, over) });

  const links = [
    share({ id: 'open', view_count: 1234, created_at: '2026-04-30T10:00:00Z' }),
    share({ id: 'locked', has_password: true, status: 'expired', expires_at: '2026-04-30T18:00:00Z', view_count: 0 }),
    share({ id: 'off', status: 'revoked', revoked_at: '2026-04-30T19:00:00Z', view_count: 5 }),
  ];

  it('shows each link’s views, status, password and expiry, with Copy; Revoke until revoked', () => {
    const html = list({ load: ready(links) });
    expect(row(html, 'open')).toMatch(/data-testid="shared-link-views" data-views="1234"[^>]*>1,234</);
    expect(row(html, 'open')).toMatch(/data-testid="shared-link-status" data-status="active">Active</);
    expect(textOf(row(html, 'open'), 'shared-link-password')).toBe('No');
    expect(textOf(row(html, 'open'), 'shared-link-expires')).toBe('Never');
    expect(row(html, 'open')).toContain('value="https://studio.example/share/open"');
    expect(textOf(row(html, 'open'), 'shared-link-copy')).toBe('Copy');
    expect(row(html, 'locked')).toMatch(/data-status="expired">Expired</);
    expect(textOf(row(html, 'locked'), 'shared-link-password')).toBe('Yes');
    expect(textOf(row(html, 'locked'), 'shared-link-expires')).toMatch(/^Apr 30, 2026/);
    expect(row(html, 'off')).toMatch(/data-status="revoked">Revoked</);
    expect(has(row(html, 'open'), 'shared-link-revoke')).toBe(true);
    expect(has(row(html, 'locked'), 'shared-link-revoke')).toBe(true);
    expect(has(row(html, 'off'), 'shared-link-revoke')).toBe(false);
    expect(has(html, 'pagination')).toBe(false);
  });

  it('Revoke asks first, naming the link and that it is for good', () => {
    expect(has(list({ load: ready(links) }), 'revoke-share-dialog')).toBe(false);
    const asking = list({ load: ready(links), confirm: { share: links[0]!, busy: false, error: null } });
    expect(has(asking, 'revoke-share-dialog')).toBe(true);
    expect(asking).toContain('https://studio.example/share/open</strong> stops working at once');
    expect(asking).toContain('cannot be undone');
    expect(textOf(asking, 'confirm-revoke-share')).toBe('Revoke');
    const refused = list({ load: ready(links), confirm: { share: links[0]!, busy: false, error: 'no such link' } });
    expect(textOf(refused, 'revoke-share-error')).toBe('no such link');
    expect(list({ load: ready(links), confirm: { share: links[0]!, busy: true, error: null } })).toMatch(/data-testid="confirm-revoke-share"[^>]*>Revoking…</);
  });

  it('confirming sends DELETE, and the row then shows revoked without Revoke', async () => {
    const revoked = { ...links[0]!, status: 'revoked' as const, revoked_at: '2026-05-01T10:00:00Z' };
    const calls = install((c) => (c.method === 'DELETE' ? json(revoked) : json(pageOf(links))));
    const client = makeQueryClient();
    const q = { projectId: 'p1', page: 1, limit: SHARES_LIMIT };
    client.setQueryData(keys.shares.list(q), pageOf(links));
    await revokeShareLink(client, 'open');
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/v1/share/open']);
    const html = list({ load: { kind: 'ready', data: client.getQueryData<Page<Share>>(keys.shares.list(q))! } });
    expect(row(html, 'open')).toMatch(/data-testid="shared-link-status" data-status="revoked">Revoked</);
    expect(has(row(html, 'open'), 'shared-link-revoke')).toBe(false);
    expect(row(html, 'open')).toMatch(/data-views="1234"/);
  });

  it('pages with the shared pagination; says when there is none; a failed read has Try again', () => {
    expect(list({ load: ready(links, { total: 23, totalPages: 3 }) })).toContain('data-testid="pagination"');
    expect(textOf(list(), 'shared-links-empty')).toBe('No shared links yet: share a completed export to make one.');
    expect(list({ load: { kind: 'error', message: 'offline' } })).toMatch(/data-testid="shared-links-error"[\s\S]*offline[\s\S]*Try again/);
  });
});

describe('a dialog over another', () => {
  it('only the last dialog open takes the keys (Escape closes the share dialog, not the export dialog under it)', () => {
    const exportPanel = { id: 'export' } as unknown as Element;
    const sharePanel = { id: 'share' } as unknown as Element;
    const root = (...open: Element[]) => ({ querySelectorAll: () => open as unknown as NodeListOf<Element> });
    expect(isTopDialog(sharePanel, root(exportPanel, sharePanel))).toBe(true);
    expect(isTopDialog(exportPanel, root(exportPanel, sharePanel))).toBe(false);
    expect(isTopDialog(exportPanel, root(exportPanel))).toBe(true);
    expect(isTopDialog(null, root())).toBe(false);
  });
});
