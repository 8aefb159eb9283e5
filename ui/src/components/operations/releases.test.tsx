/**
 * The instance admin's desktop releases (docs/API-UPDATES.md): the list, the upload's multipart
 * fields, a refusal under its field (409 under the version, 422 under the field it names),
 * Withdraw (a DELETE, asked first), and the tab shown to instance admins only.
 */
import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../../api/accounts';
import type { Load } from '../../api/load';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { listReleases, uploadRelease, withdrawAndRefresh, type NewRelease, type Release } from '../../api/releases';
import type { Page } from '../../api/types';
import { i18n } from '../../i18n';
import { EMPTY_RELEASE_FORM, isSemver, readSignatureFile, releaseBody, releaseServerErrors, submitRelease, validateReleaseForm, type ReleaseForm } from '../../lib/releases';
import { ApiError, createFetchTransport, setTransport } from '../../transport';
import { AuthContext, type AuthApi } from '../account/AuthContext';
import { ToastProvider } from '../Toasts';
import { AdminOperationsPage } from './AdminOperationsPage';
import { ReleaseFormView, ReleasesTable, TAURI_SIGNING_URL, WithdrawReleaseDialog, type ReleaseFormViewProps } from './AdminReleases';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1];
const pageOf = <T,>(items: T[]): Page<T> => ({ items, total: items.length, page: 1, limit: 20, totalPages: 1 });
const ready = <T,>(data: T): Load<T> => ({ kind: 'ready', data });

const SIG = 'dW50cnVzdGVkIGNvbW1lbnQ6IHNpZ25hdHVyZSBmcm9tIHRhdXJpIHNlY3JldCBrZXkK';

function release(id: string, over: Partial<Release> = {}): Release {
  return {
    id,
    target: 'linux',
    arch: 'x86_64',
    version: '1.4.0',
    notes: 'Faster exports',
    filename: 'Storyloom_1.4.0_amd64.AppImage',
    sha256: 'ab'.repeat(32),
    signature: SIG,
    size: 23 * 1024 * 1024,
    uploaded_by: 'u-admin',
    created_at: '2026-12-07T06:40:00Z',
    withdrawn_at: null,
    ...over,
  };
}

type Call = { url: string; method: string; body: unknown };
const json = (body: unknown, code = 200) => new Response(JSON.stringify(body), { status: code, headers: { 'Content-Type': 'application/json' } });

/** A browser transport (FormData goes out as is) whose fetch answers from `answer` and records every call. */
function install(answer: (key: string) => Response | undefined) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ url, method, body: init?.body });
    return answer(`${method} ${url}`) ?? json({ detail: 'no', error_code: 'NOT_FOUND', retryable: false }, 404);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

const artifact = () => new File(['the build bytes'], 'Storyloom_1.4.0_amd64.AppImage', { type: 'application/octet-stream' });

const upload = (over: Partial<NewRelease> = {}): NewRelease => ({
  target: 'linux',
  arch: 'x86_64',
  version: '1.4.0',
  notes: 'Faster exports',
  signature: SIG,
  file: artifact(),
  ...over,
});

afterEach(async () => {
  setTransport(undefined);
  await i18n.changeLanguage('en');
});

describe('the list of builds', () => {
  it('shows version, platform, size, upload date, offered or withdrawn, notes; Withdraw only on those offered', () => {
    const html = renderToStaticMarkup(
      <ReleasesTable
        releases={ready(
          pageOf([
            release('r2', { version: '1.5.0-beta.1', target: 'darwin', arch: 'aarch64', size: 812, notes: 'Try the new editor' }),
            release('r1', { withdrawn_at: '2026-12-08T09:00:00Z' }),
          ]),
        )}
        onWithdraw={noop}
        onPage={noop}
      />,
    );
    expect(has(html, 'releases-table')).toBe(true);
    expect(html.match(/data-testid="release-row"/g)).toHaveLength(2);
    expect(html).toMatch(/data-release="r2" data-state="offered"><td class="cell-strong">1\.5\.0-beta\.1<\/td><td>macOS · aarch64<span class="muted ops-note">Storyloom_1\.4\.0_amd64\.AppImage<\/span><\/td><td class="num">812 B<\/td>/);
    expect(textOf(html, 'release-state-r2')).toBe('Offered');
    expect(html).toContain('Try the new editor');
    expect(html).toMatch(/data-release="r1" data-state="withdrawn"><td class="cell-strong">1\.4\.0<\/td><td>Linux · x86_64.*<td class="num">23 MB<\/td><td>Dec 7, 2026/);
    expect(textOf(html, 'release-state-r1')).toMatch(/^Withdrawn Dec 8, 2026/);
    expect(html).toMatch(/aria-label="Withdraw 1\.5\.0-beta\.1 for macOS · aarch64" data-testid="release-withdraw-r2">Withdraw</);
    expect(has(html, 'release-withdraw-r1')).toBe(false);
  });

  it('says when there is none, and the load error', () => {
    expect(textOf(renderToStaticMarkup(<ReleasesTable releases={ready(pageOf([]))} onWithdraw={noop} onPage={noop} />), 'releases-none')).toBe('No desktop build uploaded yet.');
    expect(textOf(renderToStaticMarkup(<ReleasesTable releases={{ kind: 'error', message: 'Forbidden' }} onWithdraw={noop} onPage={noop} />), 'releases-error')).toBe('Forbidden');
  });

  it('reads GET /api/v1/admin/updates a page at a time', async () => {
    const calls = install((key) => (key === 'GET /api/v1/admin/updates?page=2&limit=20' ? json(pageOf([release('r1')])) : undefined));
    expect((await listReleases({ page: 2, limit: 20 })).items[0]!.version).toBe('1.4.0');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /api/v1/admin/updates?page=2&limit=20']);
  });

  it('speaks Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    const html = renderToStaticMarkup(<ReleasesTable releases={ready(pageOf([release('r1'), release('r2', { withdrawn_at: '2026-12-08T09:00:00Z' })]))} onWithdraw={noop} onPage={noop} />);
    expect(textOf(html, 'release-state-r1')).toBe('提供中');
    expect(textOf(html, 'release-state-r2')).toMatch(/^已于 2026年12月8日.* 撤回$/);
    expect(html).toMatch(/data-testid="release-withdraw-r1">撤回</);
  });
});

describe('the upload', () => {
  it('POSTs multipart target, arch, version, notes, signature and file to /api/v1/admin/updates', async () => {
    const calls = install((key) => (key === 'POST /api/v1/admin/updates' ? json(release('r1'), 201) : undefined));
    const made = await uploadRelease(upload({ target: 'windows', arch: 'i686', version: 'v1.4.0' }));
    expect(made.id).toBe('r1');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.url).toBe('/api/v1/admin/updates');
    const form = calls[0]!.body as FormData;
    expect(form).toBeInstanceOf(FormData);
    expect([...form.keys()]).toEqual(['target', 'arch', 'version', 'notes', 'signature', 'file']);
    expect(form.get('target')).toBe('windows');
    expect(form.get('arch')).toBe('i686');
    expect(form.get('version')).toBe('v1.4.0');
    expect(form.get('notes')).toBe('Faster exports');
    expect(form.get('signature')).toBe(SIG);
    const file = form.get('file') as File;
    expect(file.name).toBe('Storyloom_1.4.0_amd64.AppImage');
    expect(await file.text()).toBe('the build bytes');
  });

  it('checks the form first: a semantic version, a signature, a file', () => {
    expect(validateReleaseForm(EMPTY_RELEASE_FORM)).toEqual({
      version: "Enter the build's version, e.g. 1.4.0",
      signature: "Paste the content of the build's .sig file, or choose the file",
      file: 'Choose the build file',
    });
    const ok: ReleaseForm = { ...EMPTY_RELEASE_FORM, version: ' 1.4.0 ', signature: ` ${SIG}\n`, file: artifact() };
    expect(validateReleaseForm(ok)).toEqual({});
    expect(validateReleaseForm({ ...ok, version: '1.4' }).version).toMatch(/semantic version/);
    expect(['1.4.0', 'v2.0.0-beta.1', '1.0.0+build.5', '1.10.0'].every(isSemver)).toBe(true);
    expect(['1.4', '01.2.3', 'latest', '1.4.0.1'].some(isSemver)).toBe(false);
    expect(releaseBody(ok)).toMatchObject({ version: '1.4.0', signature: SIG, notes: '', target: 'linux', arch: 'x86_64' });
    expect(releaseBody(EMPTY_RELEASE_FORM)).toBeNull();
  });

  it('reads the signature from a chosen .sig file', async () => {
    expect(await readSignatureFile(new Blob([`${SIG}\n`]))).toBe(SIG);
  });

  it('puts a 409 under the version and a 422 under the field it names; anything else above the button', async () => {
    const form: ReleaseForm = { ...EMPTY_RELEASE_FORM, version: '1.4.0', signature: SIG, file: artifact() };
    let answer = json({ detail: 'version 1.4.0 already exists for linux/x86_64', error_code: 'CONFLICT', retryable: false }, 409);
    const calls = install((key) => (key === 'POST /api/v1/admin/updates' ? answer : undefined));
    expect(await submitRelease(makeQueryClient(), form)).toEqual({ kind: 'refused', errors: { version: '1.4.0 is already uploaded for Linux · x86_64' }, formError: null });

    answer = json({ detail: 'signature does not verify against the update key', error_code: 'VALIDATION_ERROR', retryable: false, field: 'signature' }, 422);
    expect(await submitRelease(makeQueryClient(), form)).toEqual({ kind: 'refused', errors: { signature: 'signature does not verify against the update key' }, formError: null });

    answer = json({ detail: 'arch must be x86_64, aarch64, i686 or armv7', error_code: 'VALIDATION_ERROR', retryable: false, field: 'arch' }, 422);
    expect(await submitRelease(makeQueryClient(), form)).toEqual({ kind: 'refused', errors: { arch: 'arch must be x86_64, aarch64, i686 or armv7' }, formError: null });

    answer = json({ detail: 'the file is over the upload limit', error_code: 'PAYLOAD_TOO_LARGE', retryable: false }, 413);
    expect(await submitRelease(makeQueryClient(), form)).toEqual({ kind: 'refused', errors: {}, formError: 'the file is over the upload limit' });
    expect(calls).toHaveLength(4);

    // The form's own checks first: nothing is sent.
    expect(await submitRelease(makeQueryClient(), { ...form, version: '1.4' })).toEqual({ kind: 'refused', errors: { version: expect.stringMatching(/semantic version/) }, formError: null });
    expect(calls).toHaveLength(4);

    // In Chinese: a refused signature and a taken version in the UI's words.
    await i18n.changeLanguage('zh-CN');
    const badSig = new ApiError(422, { detail: 'signature does not verify', error_code: 'VALIDATION_ERROR', retryable: false, field: 'signature' });
    expect(releaseServerErrors(badSig, form)).toEqual({ signature: '签名无法通过本服务器的更新密钥和此文件的校验' });
    const taken = new ApiError(409, { detail: 'exists', error_code: 'CONFLICT', retryable: false });
    expect(releaseServerErrors(taken, form)).toEqual({ version: 'Linux · x86_64 的 1.4.0 已经上传过了' });
  });

  it('uploaded: the list reads again', async () => {
    install((key) => (key === 'POST /api/v1/admin/updates' ? json(release('r9', { version: '1.5.0' }), 201) : undefined));
    const client = makeQueryClient();
    client.setQueryData(keys.operations.releases({ page: 1, limit: 20 }), pageOf([release('r1')]));
    const result = await submitRelease(client, { ...EMPTY_RELEASE_FORM, version: '1.5.0', signature: SIG, file: artifact() });
    expect(result).toMatchObject({ kind: 'uploaded', release: { id: 'r9', version: '1.5.0' } });
    expect(client.getQueryState(keys.operations.releases({ page: 1, limit: 20 }))?.isInvalidated).toBe(true);
  });
});

function formView(over: Partial<ReleaseFormViewProps> = {}): string {
  const props: ReleaseFormViewProps = {
    form: EMPTY_RELEASE_FORM,
    errors: {},
    busy: false,
    formError: null,
    onChange: noop,
    onSignatureFile: noop,
    onSubmit: noop,
    ...over,
  };
  return renderToStaticMarkup(<ReleaseFormView {...props} />);
}

describe('the upload form', () => {
  it('has the selects, the version, notes, the signature (pasted or from a .sig file), the file, and the signing hint', () => {
    const html = formView({ form: { ...EMPTY_RELEASE_FORM, target: 'darwin', arch: 'aarch64' } });
    expect(html).toMatch(/data-testid="release-target">.*<option value="darwin" selected="">macOS<\/option>/);
    expect(html).toMatch(/data-testid="release-arch">.*<option value="aarch64" selected="">aarch64<\/option>/);
    expect(html.match(/<option value="(linux|windows|darwin)"/g)).toHaveLength(3);
    expect(html.match(/<option value="(x86_64|aarch64|i686|armv7)"/g)).toHaveLength(4);
    expect(has(html, 'version-input')).toBe(true);
    expect(has(html, 'release-notes')).toBe(true);
    expect(html).toMatch(/<textarea id="rel-signature"/);
    expect(html).toMatch(/<label for="rel-sigfile"[^>]*>Or read it from the \.sig file:<\/label><input id="rel-sigfile" class="input" type="file" accept="\.sig"/);
    expect(html).toMatch(/<label for="rel-file">Build file<\/label><input id="rel-file"[^>]*type="file"/);
    expect(html).toContain('<code>tauri signer sign</code>');
    expect(html).toContain('<code>docs/API-UPDATES.md</code>');
    expect(html).toContain(`href="${TAURI_SIGNING_URL}" target="_blank" rel="noopener noreferrer" data-testid="release-signing-link">Tauri&#x27;s guide to signing updates</a>`);
    expect(textOf(html, 'release-upload')).toBe('Upload build');
  });

  it('shows each refusal under its own field', () => {
    const html = formView({ errors: { version: '1.4.0 is already uploaded for Linux · x86_64', signature: 'signature does not verify', file: 'Choose the build file' } });
    expect(textOf(html, 'field-error-version')).toBe('1.4.0 is already uploaded for Linux · x86_64');
    expect(html).toMatch(/id="rel-version"[^>]*aria-invalid="true" aria-describedby="rel-version-error"/);
    expect(textOf(html, 'field-error-signature')).toBe('signature does not verify');
    expect(html).toMatch(/<textarea id="rel-signature" class="input textarea ops-release-signature invalid"[^>]*aria-invalid="true" aria-describedby="rel-signature-error"/);
    expect(textOf(html, 'field-error-file')).toBe('Choose the build file');
    expect(has(html, 'field-error-target')).toBe(false);
    expect(has(html, 'field-error-arch')).toBe(false);
    expect(textOf(formView({ formError: 'The body is too large' }), 'release-form-error')).toBe('The body is too large');
  });

  it('while uploading: the button is busy and says which file goes up', () => {
    const html = formView({ busy: true, form: { ...EMPTY_RELEASE_FORM, file: artifact() } });
    expect(html).toMatch(/disabled="" data-testid="release-upload">Uploading…/);
    expect(html).toMatch(/data-testid="release-uploading"><span class="spinner spinner-sm" aria-hidden="true"><\/span> Uploading Storyloom_1\.4\.0_amd64\.AppImage \(15 B\)/);
  });
});

describe('Withdraw', () => {
  it('asks first, naming the build', () => {
    const html = renderToStaticMarkup(<WithdrawReleaseDialog confirm={{ release: release('r1'), busy: false, error: null }} onCancel={noop} onConfirm={noop} />);
    expect(html).toContain('role="dialog" aria-modal="true"');
    expect(html).toContain('Withdraw this build?');
    expect(html).toContain('<strong class="confirm-name">1.4.0 for Linux · x86_64</strong>');
    expect(textOf(html, 'confirm-withdraw-release')).toBe('Withdraw');
    const busy = renderToStaticMarkup(<WithdrawReleaseDialog confirm={{ release: release('r1'), busy: true, error: 'Forbidden' }} onCancel={noop} onConfirm={noop} />);
    expect(busy).toMatch(/disabled="" data-testid="confirm-withdraw-release">Withdrawing…/);
    expect(textOf(busy, 'withdraw-release-error')).toBe('Forbidden');
  });

  it('DELETEs /api/v1/admin/updates/{id}, then the list reads again', async () => {
    const calls = install((key) => (key === 'DELETE /api/v1/admin/updates/r%201' ? json(release('r 1', { withdrawn_at: '2026-12-08T09:00:00Z' })) : undefined));
    const client = makeQueryClient();
    client.setQueryData(keys.operations.releases({ page: 1, limit: 20 }), pageOf([release('r 1')]));
    const withdrawn = await withdrawAndRefresh(client, 'r 1');
    expect(withdrawn.withdrawn_at).toBe('2026-12-08T09:00:00Z');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['DELETE /api/v1/admin/updates/r%201']);
    expect(client.getQueryState(keys.operations.releases({ page: 1, limit: 20 }))?.isInvalidated).toBe(true);
  });
});

const user = (over: Partial<User> = {}): User => ({
  id: 'u1',
  username: 'olga',
  email: null,
  display_name: null,
  role: 'user',
  is_admin: false,
  status: 'active',
  created_at: '2026-02-01T10:00:00Z',
  ...over,
});

const authOf = (u: User): AuthApi => ({ user: u, setUser: noop, signOut: async () => undefined });

const withApp = (node: ReactNode, auth: AuthApi | null) =>
  renderToStaticMarkup(
    <QueryClientProvider client={makeQueryClient()}>
      <ToastProvider>
        <AuthContext.Provider value={auth}>{node}</AuthContext.Provider>
      </ToastProvider>
    </QueryClientProvider>,
  );

describe('the Desktop releases tab', () => {
  it('is for instance admins only', () => {
    const admin = withApp(<AdminOperationsPage tab="admin-releases" />, authOf(user({ is_admin: true })));
    expect(admin).toMatch(/data-testid="admin-ops-page" data-tab="admin-releases"/);
    expect(admin).toMatch(/class="tab active" href="#\/admin\/releases" aria-current="page" data-testid="admin-ops-tab-releases">Desktop releases</);
    expect(has(admin, 'admin-releases')).toBe(true);
    expect(has(admin, 'release-form')).toBe(true);
    expect(has(withApp(<AdminOperationsPage tab="admin-coupons" />, authOf(user({ is_admin: true }))), 'admin-ops-tab-releases')).toBe(true);

    const member = withApp(<AdminOperationsPage tab="admin-releases" />, authOf(user()));
    expect(has(member, 'admin-ops-forbidden')).toBe(true);
    expect(has(member, 'release-form')).toBe(false);
    expect(has(member, 'admin-ops-tab-releases')).toBe(false);
  });
});
