/**
 * Share on the desktop (the share queue, api/remoteShares.ts): the export's Share opens the same
 * form, whose submit queues the share for the team server; "sign in first" when not signed in;
 * the queued share followed as it moves (waiting → sending → shared, with the link to copy), with
 * Send now, Try again and Cancel; the project's shares from this desktop under the export history.
 */
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Load } from '../../api/load';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { cancelShareAndCache, queuedSharesOptions, sendShareAndCache, type QueuedShare } from '../../api/remoteShares';
import { queuedShare } from '../../api/remoteShares.fixtures';
import type { Export } from '../../api/types';
import { i18n } from '../../i18n';
import { DEFAULT_SHARE_FORM, copyShareLink, type ShareForm } from '../../lib/shares';
import { createFetchTransport, setTransport, type TransportKind } from '../../transport';
import { status } from '../connection/fixtures';
import { publishConnection, resetConnectionStore } from '../connection/store';
import { ToastProvider } from '../Toasts';
import { DesktopShareDialogView, FollowedShare, type DesktopShareDialogViewProps } from './DesktopShareDialog';
import { QueuedShares, QueuedSharesView, type QueuedSharesViewProps } from './QueuedShares';
import { QueuedShareView, type QueuedShareViewProps } from './QueuedShareView';
import { ShareDialog } from './ShareDialog';
import { submitQueuedShare } from './useQueuedShareForm';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
/** The text of the element with a test id (its first text run). */
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1];
/** The opening tag of the element with a test id. */
const tagOf = (html: string, testId: string) => new RegExp(`<[^<>]*data-testid="${testId}"[^<>]*>`).exec(html)?.[0] ?? '';
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

type Call = { url: string; method: string; body?: unknown };
const BASE = 'app://localhost';

/** A transport of `kind` whose fetch answers "METHOD /path" with `respond`; records every call. */
function install(respond: (key: string) => Response = () => json({}), kind: TransportKind = 'desktop') {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = { url: url.replace(BASE, ''), method: init?.method ?? 'GET' };
    if (typeof init?.body === 'string') call.body = JSON.parse(init.body);
    calls.push(call);
    return respond(`${call.method} ${call.url}`);
  });
  setTransport(createFetchTransport({ kind, baseUrl: kind === 'desktop' ? BASE : '', fetch }));
  return calls;
}

afterEach(async () => {
  setTransport(undefined);
  resetConnectionStore();
  vi.unstubAllGlobals();
  await i18n.changeLanguage('en');
});

const NOW = new Date('2026-05-01T10:00:00Z');
const SERVER = 'https://team.example.com';
const LINK = `${SERVER}/share/q8T0mY1cW3s8Jd2pF6uXaA`;
const signedIn = status({ state: 'connected', server_url: SERVER, username: 'mei', checked_at: '2026-05-01T09:59:00Z' });

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

const withApp = (node: ReactNode, client: QueryClient = makeQueryClient()) =>
  renderToStaticMarkup(
    <QueryClientProvider client={client}>
      <ToastProvider>{node}</ToastProvider>
    </QueryClientProvider>,
  );

function dialogView(over: Partial<DesktopShareDialogViewProps> = {}): string {
  const props: DesktopShareDialogViewProps = {
    exportItem: exportOf(),
    mode: 'ready',
    connection: signedIn,
    form: DEFAULT_SHARE_FORM,
    errors: {},
    formError: null,
    busy: false,
    onChange: noop,
    onSubmit: noop,
    onClose: noop,
    ...over,
  };
  return renderToStaticMarkup(<DesktopShareDialogView {...props} />);
}

function shareView(share: QueuedShare, over: Partial<QueuedShareViewProps> = {}): string {
  const props: QueuedShareViewProps = {
    share,
    pending: null,
    error: null,
    copy: 'idle',
    onSend: noop,
    onCancel: noop,
    onCopy: noop,
    onOpen: noop,
    onClose: noop,
    now: NOW,
    ...over,
  };
  return renderToStaticMarkup(<QueuedShareView {...props} />);
}

/** The dialog's body for a queued share, as `FollowedShare` reads it from the cached list. */
const followed = (initial: QueuedShare, client: QueryClient) => withApp(<FollowedShare initial={initial} onClose={noop} />, client);

/** The password field's input and the error right below it. */
const PASSWORD_ERROR = /data-testid="share-password"[^>]*aria-invalid="true"[^>]*aria-describedby="share-password-error"[^>]*\/><p class="field-error" id="share-password-error" data-testid="field-error-password">([^<]*)<\/p>/;

describe('Share on the desktop', () => {
  it('signed in: the same form (storyboard, expiry, password), saying the link is made on the team server', () => {
    install();
    publishConnection(signedIn);
    const html = withApp(<ShareDialog subject={{ kind: 'export', exportItem: exportOf() }} onClose={noop} />);
    expect(has(html, 'share-dialog')).toBe(true);
    expect(html).toMatch(/<h2[^>]*>Share this video<\/h2>/);
    expect(has(html, 'share-form')).toBe(true);
    expect(html).toMatch(/<input type="checkbox" data-testid="share-include-storyboard"[^>]*checked=""/);
    expect(tagOf(html, 'share-expiry')).toContain('<select');
    expect(tagOf(html, 'share-password')).toContain('type="password"');
    expect(textOf(html, 'share-server-note')).toContain('The link is made on team.example.com, the team server this app is signed in to');
    expect(tagOf(html, 'share-create')).toContain('type="submit"');
    expect(has(html, 'share-sign-in')).toBe(false);
  });

  it('not signed in: the Share button is there, the dialog says links are made on the team server and links to sign in, with no form', () => {
    install();
    publishConnection(status());
    const html = withApp(<ShareDialog subject={{ kind: 'export', exportItem: exportOf() }} onClose={noop} />);
    expect(has(html, 'share-sign-in')).toBe(true);
    expect(html).toContain('Share links are made on the team server');
    expect(html).toContain('Sign in to a team server first');
    expect(tagOf(html, 'share-sign-in-link')).toContain('href="#/connection"');
    expect(textOf(html, 'share-sign-in-link')).toBe('Sign in to a team server');
    expect(has(html, 'share-form')).toBe(false);
    // The same when the core refuses a share for it (signed out meanwhile: 422 `server_url`).
    expect(has(dialogView({ mode: 'sign-in' }), 'share-sign-in')).toBe(true);
    // While the connection is not known yet: a spinner, neither the form nor the notice.
    const checking = dialogView({ mode: 'checking', connection: null });
    expect(tagOf(checking, 'share-checking')).toContain('role="status"');
    expect(has(checking, 'share-form')).toBe(false);
    expect(has(checking, 'share-sign-in')).toBe(false);
  });

  it('the server unreachable or the session ended: the form, saying the share waits', () => {
    const unreachable = dialogView({ connection: { ...signedIn, state: 'unreachable' } });
    expect(has(unreachable, 'share-form')).toBe(true);
    expect(textOf(unreachable, 'share-server-note')).toBe('team.example.com cannot be reached right now: the share waits on this computer and is sent as soon as it can be.');
    const expired = dialogView({ connection: { ...signedIn, state: 'session_expired' } });
    expect(textOf(expired, 'share-server-note')).toContain('Your session on team.example.com has ended');
    expect(tagOf(expired, 'share-sign-in-link')).toContain('href="#/connection"');
  });

  it('submitting queues the share (POST /remote/shares), then the dialog follows it: waiting → shared, with the link to copy', async () => {
    const queued = queuedShare({ has_password: true, expires_at: '2026-05-08T10:00:00Z', include_storyboard: false });
    const shared = { ...queued, status: 'shared' as const, share_id: 's9', url: LINK, attempts: 1, updated_at: '2026-05-01T10:00:05Z' };
    const calls = install((key) => (key === 'POST /api/v1/remote/shares' ? json(queued, 202) : json([shared])));
    const client = makeQueryClient();
    const form: ShareForm = { include_storyboard: false, expiry_days: 7, password: 'rain day' };
    const out = await submitQueuedShare(client, form, exportOf(), NOW);
    expect(calls[0]).toEqual({
      url: '/api/v1/remote/shares',
      method: 'POST',
      body: { export_id: 'e1', include_storyboard: false, expires_at: '2026-05-08T10:00:00Z', password: 'rain day' },
    });
    expect(out).toEqual({ kind: 'queued', share: queued });
    if (out.kind !== 'queued') return;
    // The list of this desktop's shares has it at once (first), before any read.
    expect(client.getQueryData<QueuedShare[]>(keys.remote.shares)?.[0]).toEqual(queued);

    const waiting = followed(out.share, client);
    expect(tagOf(waiting, 'queued-share')).toContain('data-status="queued"');
    expect(textOf(waiting, 'queued-share-title')).toBe('Waiting for the team server');
    expect(tagOf(waiting, 'queued-share-state')).toContain('aria-live="polite"');
    expect(textOf(waiting, 'queued-share-send')).toBe('Send now');
    expect(textOf(waiting, 'queued-share-cancel')).toBe('Cancel share');
    expect(has(waiting, 'share-url')).toBe(false);

    // The list (polled while the share moves) says it is made.
    await client.fetchQuery({ ...queuedSharesOptions(client), staleTime: 0 });
    const done = followed(out.share, client);
    expect(tagOf(done, 'queued-share')).toContain('data-status="shared"');
    expect(textOf(done, 'queued-share-title')).toBe('Shared');
    expect(tagOf(done, 'share-url')).toContain(`value="${LINK}"`);
    expect(tagOf(done, 'share-url')).toContain('readOnly=""');
    expect(textOf(done, 'share-copy')).toBe('Copy');
    expect(textOf(done, 'share-open')).toBe('Open');
    expect(done).toContain('viewers need the password');
    expect(textOf(done, 'share-expires')).toMatch(/^Expires May 8, 2026/);
    expect(has(done, 'queued-share-send')).toBe(false);
    expect(has(done, 'queued-share-cancel')).toBe(false);

    // Copy puts the team server's link on the clipboard, and the button says so.
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { clipboard: { writeText } });
    expect(await copyShareLink(LINK, 'app://localhost')).toBe(true);
    expect(writeText).toHaveBeenCalledWith(LINK);
    expect(textOf(shareView(shared, { copy: 'copied' }), 'share-copy')).toBe('Copied');
    expect(textOf(shareView(shared, { copy: 'failed' }), 'share-copy-failed')).toBe('Could not copy: the link is selected, copy it by hand.');
  });

  it('a queued share that could not be sent shows why, when it is tried next, Send now and Cancel; Send now POSTs …/send', async () => {
    const waiting = queuedShare({ attempts: 2, last_error: 'the team server cannot be reached: connection refused', next_try_at: '2026-05-01T10:02:00Z' });
    const html = shareView(waiting);
    expect(textOf(html, 'queued-share-title')).toBe('Waiting for the team server');
    expect(textOf(html, 'queued-share-last-error')).toBe('Last try: the team server cannot be reached: connection refused');
    expect(textOf(html, 'queued-share-next-try')).toBe('Next try in 2 minutes');
    expect(tagOf(html, 'queued-share-next-try')).toContain('dateTime="2026-05-01T10:02:00Z"');
    expect(textOf(html, 'queued-share-send')).toBe('Send now');
    expect(textOf(html, 'queued-share-cancel')).toBe('Cancel share');

    const sending = { ...waiting, status: 'sending' as const, updated_at: '2026-05-01T10:00:01Z' };
    const calls = install(() => json(sending));
    const client = makeQueryClient();
    client.setQueryData(keys.remote.shares, [waiting]);
    await sendShareAndCache(client, waiting.id);
    expect(calls).toEqual([{ url: '/api/v1/remote/shares/q1/send', method: 'POST', body: {} }]);
    expect(tagOf(followed(waiting, client), 'queued-share')).toContain('data-status="sending"');
  });

  it('while it is being sent: a spinner and what is happening, nothing to press but Done', () => {
    for (const html of [shareView(queuedShare({ status: 'sending' })), shareView(queuedShare(), { pending: 'send' })]) {
      expect(tagOf(html, 'queued-share')).toContain('data-status="sending"');
      expect(textOf(html, 'queued-share-title')).toBe('Sending to the team server…');
      expect(html).toContain('class="spinner spinner-sm"');
      expect(html).toContain('the video is uploaded once');
      expect(has(html, 'queued-share-send')).toBe(false);
      expect(has(html, 'queued-share-cancel')).toBe(false);
      expect(has(html, 'share-done')).toBe(true);
    }
  });

  it('failed: the reason and Try again (which sends), and Cancel', () => {
    const html = shareView(queuedShare({ status: 'failed', attempts: 20, last_error: 'export e1 has no video on the server' }));
    expect(textOf(html, 'queued-share-title')).toBe('The share failed');
    expect(textOf(html, 'queued-share-failed')).toBe('Reason: export e1 has no video on the server');
    expect(textOf(html, 'queued-share-send')).toBe('Try again');
    expect(textOf(html, 'queued-share-cancel')).toBe('Cancel share');
    const refused = shareView(queuedShare({ status: 'failed' }), { error: 'a sending share is not waiting to be sent' });
    expect(textOf(refused, 'queued-share-action-error')).toBe('a sending share is not waiting to be sent');
  });

  it('Cancel sends DELETE, and the share then shows cancelled, with nothing left to send or cancel', async () => {
    const calls = install(() => json(queuedShare({ status: 'cancelled', updated_at: '2026-05-01T10:00:02Z' })));
    const client = makeQueryClient();
    client.setQueryData(keys.remote.shares, [queuedShare()]);
    await cancelShareAndCache(client, 'q1');
    expect(calls).toEqual([{ url: '/api/v1/remote/shares/q1', method: 'DELETE' }]);
    const html = followed(queuedShare(), client);
    expect(textOf(html, 'queued-share-title')).toBe('Cancelled');
    expect(has(html, 'queued-share-send')).toBe(false);
    expect(has(html, 'queued-share-cancel')).toBe(false);
    expect(textOf(shareView(queuedShare(), { pending: 'cancel' }), 'queued-share-cancel')).toBe('Cancelling…');
  });

  it('the core’s field errors go where the browser form puts them; "sign in first" switches to the notice', async () => {
    const refuse = (field: string, detail: string) => install(() => json({ detail, error_code: 'VALIDATION_ERROR', retryable: false, field }, 422));
    const client = makeQueryClient();
    const form = { ...DEFAULT_SHARE_FORM, password: 'long enough' };

    refuse('password', 'a share password has 4–128 characters (200 given)');
    const pw = await submitQueuedShare(client, form, exportOf(), NOW);
    expect(pw).toEqual({ kind: 'refused', errors: { password: 'a share password has 4–128 characters (200 given)' }, formError: null });
    if (pw.kind === 'refused') expect(PASSWORD_ERROR.exec(dialogView({ form, errors: pw.errors }))?.[1]).toBe('a share password has 4–128 characters (200 given)');

    refuse('expires_at', 'a link lives at most 366 days');
    expect(await submitQueuedShare(client, form, exportOf(), NOW)).toEqual({ kind: 'refused', errors: { expiry_days: 'a link lives at most 366 days' }, formError: null });

    refuse('export_id', 'export e1 is processing: only a completed export can be shared');
    const other = await submitQueuedShare(client, form, exportOf(), NOW);
    expect(other).toEqual({ kind: 'refused', errors: {}, formError: 'export e1 is processing: only a completed export can be shared' });
    if (other.kind === 'refused') expect(textOf(dialogView({ formError: other.formError }), 'share-form-error')).toBe('export e1 is processing: only a completed export can be shared');

    refuse('server_url', 'sign in to a team server first: links are made there');
    expect(await submitQueuedShare(client, form, exportOf(), NOW)).toEqual({ kind: 'sign-in' });

    // A short password is refused here, without asking the core.
    const calls = install();
    expect(await submitQueuedShare(client, { ...form, password: 'abc' }, exportOf(), NOW)).toEqual({ kind: 'invalid', errors: { password: 'Password must be 4 to 128 characters' } });
    expect(calls).toEqual([]);
    expect(client.getQueryData(keys.remote.shares)).toBeUndefined();
  });
});

describe('the browser’s share dialog is unchanged', () => {
  it('in a browser the dialog is the team server’s own form: no note about a team server, no sign-in notice, even when no connection is known', () => {
    install(() => json({}), 'browser');
    publishConnection(status());
    const html = withApp(<ShareDialog subject={{ kind: 'export', exportItem: exportOf() }} onClose={noop} />);
    expect(has(html, 'share-form')).toBe(true);
    expect(has(html, 'share-server-note')).toBe(false);
    expect(has(html, 'share-sign-in')).toBe(false);
    expect(html).toMatch(/data-testid="share-create"[^>]*>(<svg[\s\S]*?<\/svg>)?Create link<\/button>/);
  });
});

describe('this desktop’s shares of the project', () => {
  function list(over: Partial<QueuedSharesViewProps> = {}): string {
    const props: QueuedSharesViewProps = {
      load: { kind: 'ready', data: [] },
      pendingOf: () => null,
      errorOf: () => null,
      copiedId: null,
      onSend: noop,
      onCancel: noop,
      onCopy: noop,
      onRetry: noop,
      now: NOW,
      ...over,
    };
    return renderToStaticMarkup(<QueuedSharesView {...props} />);
  }
  const row = (html: string, id: string) => new RegExp(`<tr[^>]*data-share-id="${id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
  const ready = (items: QueuedShare[]): Load<QueuedShare[]> => ({ kind: 'ready', data: items });

  const shares = [
    queuedShare({ id: 'wait', last_error: 'offline', next_try_at: '2026-05-01T10:05:00Z' }),
    queuedShare({ id: 'send', status: 'sending' }),
    queuedShare({ id: 'done', status: 'shared', url: LINK, has_password: true, expires_at: '2026-05-08T10:00:00Z' }),
    queuedShare({ id: 'bad', status: 'failed', last_error: 'refused by the server' }),
    queuedShare({ id: 'off', status: 'cancelled' }),
  ];

  it('shows where each stands, the link with Copy once shared, Send now / Try again and Cancel while not made', () => {
    const html = list({ load: ready(shares) });
    expect(row(html, 'wait')).toMatch(/data-testid="queued-share-status" data-status="queued">Waiting</);
    expect(textOf(row(html, 'wait'), 'queued-share-row-error')).toBe('offline');
    expect(textOf(row(html, 'wait'), 'queued-share-row-next-try')).toBe('Next try in 5 minutes');
    expect(textOf(row(html, 'wait'), 'queued-share-row-send')).toBe('Send now');
    expect(tagOf(row(html, 'wait'), 'queued-share-row-send')).toMatch(/aria-label="Send the share asked for [^"]+ now"/);
    expect(textOf(row(html, 'wait'), 'queued-share-row-cancel')).toBe('Cancel');
    expect(tagOf(row(html, 'wait'), 'queued-share-row-cancel')).toMatch(/aria-label="Cancel the share asked for [^"]+"/);
    expect(has(row(html, 'wait'), 'queued-share-url')).toBe(false);

    expect(row(html, 'send')).toMatch(/data-status="sending"><span class="spinner spinner-sm" aria-hidden="true"><\/span>Sending</);
    expect(has(row(html, 'send'), 'queued-share-row-send')).toBe(false);
    expect(has(row(html, 'send'), 'queued-share-row-cancel')).toBe(false);

    expect(row(html, 'done')).toMatch(/data-status="shared">Shared</);
    expect(tagOf(row(html, 'done'), 'queued-share-url')).toContain(`value="${LINK}"`);
    expect(textOf(row(html, 'done'), 'queued-share-copy')).toBe('Copy');
    expect(textOf(row(html, 'done'), 'queued-share-password')).toBe('Yes');
    expect(textOf(row(html, 'done'), 'queued-share-expires')).toMatch(/^May 8, 2026/);
    expect(has(row(html, 'done'), 'queued-share-row-send')).toBe(false);
    expect(has(row(html, 'done'), 'queued-share-row-cancel')).toBe(false);

    expect(row(html, 'bad')).toMatch(/data-status="failed">Failed</);
    expect(textOf(row(html, 'bad'), 'queued-share-row-error')).toBe('refused by the server');
    expect(textOf(row(html, 'bad'), 'queued-share-row-send')).toBe('Try again');
    expect(has(row(html, 'bad'), 'queued-share-row-cancel')).toBe(true);

    expect(row(html, 'off')).toMatch(/data-status="cancelled">Cancelled</);
    expect(has(row(html, 'off'), 'queued-share-row-send')).toBe(false);
    expect(has(row(html, 'off'), 'queued-share-row-cancel')).toBe(false);

    const copied = list({ load: ready(shares), copiedId: 'done' });
    expect(textOf(row(copied, 'done'), 'queued-share-copy')).toBe('Copied');
    const busy = list({ load: ready(shares), pendingOf: (id) => (id === 'wait' ? 'send' : id === 'bad' ? 'cancel' : null), errorOf: (id) => (id === 'bad' ? 'no' : null) });
    expect(row(busy, 'wait')).toMatch(/data-status="sending">/);
    expect(tagOf(row(busy, 'bad'), 'queued-share-row-cancel')).toContain('disabled=""');
    expect(textOf(row(busy, 'bad'), 'queued-share-row-cancel')).toBe('Cancelling…');
    expect(textOf(row(busy, 'bad'), 'queued-share-row-action-error')).toBe('no');
  });

  it('says when there is none; a failed read has Try again', () => {
    expect(textOf(list(), 'queued-shares-empty')).toBe('No shares from this computer yet: share a completed export to make a link on the team server.');
    expect(list({ load: { kind: 'error', message: 'offline' } })).toMatch(/data-testid="queued-shares-error"[\s\S]*offline[\s\S]*Try again/);
  });

  it('lists only this project’s shares from the cached list', () => {
    install();
    const client = makeQueryClient();
    client.setQueryData(keys.remote.shares, [queuedShare({ id: 'mine' }), queuedShare({ id: 'theirs', project_id: 'p2' })]);
    const html = withApp(<QueuedShares projectId="p1" />, client);
    expect(has(html, 'queued-shares')).toBe(true);
    expect(row(html, 'mine')).not.toBe('');
    expect(row(html, 'theirs')).toBe('');
  });

  it('speaks Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    const html = list({ load: ready(shares) });
    expect(row(html, 'wait')).toMatch(/data-status="queued">等待中</);
    expect(textOf(row(html, 'wait'), 'queued-share-row-send')).toBe('立即发送');
    expect(textOf(row(html, 'bad'), 'queued-share-row-send')).toBe('重试');
    expect(textOf(shareView(queuedShare()), 'queued-share-title')).toBe('正在等待团队服务器');
    expect(dialogView({ mode: 'sign-in' })).toContain('请先登录团队服务器');
  });
});
