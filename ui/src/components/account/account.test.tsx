import { QueryClientProvider, QueryObserver, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listUsers, type User } from '../../api/accounts';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import type { Page } from '../../api/types';
import { i18n, t } from '../../i18n';
import { createSession, SESSION_STORAGE_KEY, type SignOutReason } from '../../lib/session';
import { ApiError, createFetchTransport, errorMessage, setTransport } from '../../transport';
import { ToastProvider } from '../Toasts';
import { AccountPage } from './AccountPage';
import { AdminUsersPage } from './AdminUsersPage';
import { AuthContext, type AuthApi } from './AuthContext';
import { DeleteAccountDialogView, canConfirmOwnDeletion, type DeleteAccountDialogViewProps } from './DeleteAccountDialog';
import { deleteListedUser, deleteOwnAccount, deleteRefusal, toggleUserRole } from './userActions';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);

const ANN = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
const CARA = 'cccccccc-0000-4000-8000-000000000003';

const user = (over: Partial<User> = {}): User => ({
  id: BOB,
  username: 'bob',
  email: 'bob@example.com',
  display_name: null,
  role: 'user',
  is_admin: false,
  status: 'active',
  created_at: '2026-02-01T10:00:00Z',
  ...over,
});

const ann = user({ id: ANN, username: 'ann', email: 'ann@example.com', role: 'admin', is_admin: true });
const bob = user();
const cara = user({ id: CARA, username: 'cara', email: null, role: 'admin', is_admin: true });

/** The first page of "all" users, as AdminUsersPage asks for it. */
const FIRST_PAGE = { status: 'all', page: 1, limit: 20 } as const;
const LIST_URL = '/api/v1/admin/users?page=1&limit=20';
const pageOf = (items: User[]): Page<User> => ({ items, total: items.length, page: 1, limit: 20, totalPages: 1 });

const authOf = (u: User): AuthApi => ({ user: u, setUser: noop, signOut: async () => undefined });

const withApp = (node: ReactNode, auth: AuthApi | null, client: QueryClient = makeQueryClient()) =>
  renderToStaticMarkup(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <AuthContext.Provider value={auth}>{node}</AuthContext.Provider>
      </ToastProvider>
    </QueryClientProvider>,
  );

/** The `<tr>` of one user, by username. */
function row(html: string, username: string): string {
  const m = new RegExp(`<tr[^>]*data-username="${username}"[\\s\\S]*?</tr>`).exec(html);
  if (!m) throw new Error(`no row for ${username}`);
  return m[0];
}

type Call = { url: string; method: string; body: unknown; auth: string | undefined };
const json = (body: unknown, code = 200) => new Response(JSON.stringify(body), { status: code, headers: { 'Content-Type': 'application/json' } });

const OWNER_DETAIL = "this person owns the workspace 'Studio North', which has other members: remove them or delete the workspace first";
const conflict = () => json({ error_code: 'CONFLICT', detail: OWNER_DETAIL, retryable: false }, 409);

/** A browser transport whose fetch answers from `answer` ("METHOD /path" → Response) and records every call. */
function install(answer: (key: string) => Response | undefined, token?: () => string | null) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ url, method, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined, auth: headers.Authorization });
    return answer(`${method} ${url}`) ?? json({ error_code: 'NOT_FOUND', detail: 'no', retryable: false }, 404);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch, ...(token ? { getToken: token } : {}) }));
  return calls;
}

/** The user list as the page shows it: an observed query, so invalidating it reads it again. */
async function watchedList(client: QueryClient, calls: Call[]) {
  const observer = new QueryObserver(client, { queryKey: keys.account.users(FIRST_PAGE), queryFn: () => listUsers(FIRST_PAGE) });
  const stop = observer.subscribe(noop);
  await vi.waitFor(() => expect(observer.getCurrentResult().data?.items.length).toBeGreaterThan(0));
  expect(calls.filter((c) => c.url === LIST_URL)).toHaveLength(1);
  return stop;
}

afterEach(async () => {
  setTransport(undefined);
  await i18n.changeLanguage('en');
});

describe('admin users page', () => {
  it('offers the role and delete actions on every row but the admin’s own', () => {
    const client = makeQueryClient();
    client.setQueryData(keys.account.users(FIRST_PAGE), pageOf([ann, bob, cara]));
    const html = withApp(<AdminUsersPage />, authOf(ann), client);
    expect(row(html, 'bob')).toMatch(/data-testid="user-role-bob">Make admin</);
    expect(row(html, 'cara')).toMatch(/data-testid="user-role-cara">Make regular user</);
    expect(row(html, 'bob')).toMatch(/data-testid="user-delete-bob">Delete</);
    expect(row(html, 'cara')).toContain('aria-label="Delete cara"');
    expect(row(html, 'ann')).toContain('(you)');
    expect(has(row(html, 'ann'), 'user-role-ann')).toBe(false);
    expect(has(row(html, 'ann'), 'user-delete-ann')).toBe(false);
  });

  it('Make admin sends PATCH {role} to /users/{id} and reads the list again', async () => {
    const calls = install((key) => {
      if (key === `GET ${LIST_URL}`) return json(pageOf([ann, bob]));
      if (key === `PATCH /api/v1/users/${BOB}`) return json({ ...bob, role: 'admin', is_admin: true });
      return undefined;
    });
    const client = makeQueryClient();
    const stop = await watchedList(client, calls);
    const updated = await toggleUserRole(client, bob);
    stop();
    expect(updated.is_admin).toBe(true);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`GET ${LIST_URL}`, `PATCH /api/v1/users/${BOB}`, `GET ${LIST_URL}`]);
    expect(calls[1]!.body).toEqual({ role: 'admin' });
  });

  it('Make regular user (on an admin’s row) sends role "user"', async () => {
    const calls = install((key) => (key === `PATCH /api/v1/users/${CARA}` ? json({ ...cara, role: 'user', is_admin: false }) : undefined));
    await toggleUserRole(makeQueryClient(), cara);
    expect(calls).toEqual([{ url: `/api/v1/users/${CARA}`, method: 'PATCH', body: { role: 'user' }, auth: undefined }]);
  });

  it('Delete sends DELETE /users/{id} and reads the list again', async () => {
    const calls = install((key) => {
      if (key === `GET ${LIST_URL}`) return json(pageOf([ann, bob]));
      if (key === `DELETE /api/v1/users/${BOB}`) return new Response(null, { status: 204 });
      return undefined;
    });
    const client = makeQueryClient();
    const stop = await watchedList(client, calls);
    await deleteListedUser(client, bob);
    stop();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`GET ${LIST_URL}`, `DELETE /api/v1/users/${BOB}`, `GET ${LIST_URL}`]);
  });

  it('a refused delete (409) says the server’s reason in the dialog, not the generic conflict message', async () => {
    const calls = install((key) => (key === `DELETE /api/v1/users/${BOB}` ? conflict() : undefined));
    const err = await deleteListedUser(makeQueryClient(), bob).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    // Refused: nothing reloads.
    expect(calls.map((c) => c.method)).toEqual(['DELETE']);

    const view = (error: string) => renderToStaticMarkup(<DeleteAccountDialogView {...dialog({ own: false, error })} />);
    const html = view(deleteRefusal(err, 'en'));
    expect(html).toMatch(/data-testid="delete-error">this person owns the workspace &#x27;Studio North&#x27;, which has other members/);

    await i18n.changeLanguage('zh-CN');
    const generic = t('errors.code.CONFLICT');
    expect(errorMessage(err, 'zh-CN')).toBe(generic); // what the catalogue alone would say
    const zh = view(deleteRefusal(err, 'zh-CN'));
    expect(zh).toContain('无法删除');
    expect(zh).toContain('Studio North');
    expect(zh).not.toContain(generic);
  });

  it('the admin’s dialog names the person and says what deletion does; no username to type', () => {
    const html = renderToStaticMarkup(<DeleteAccountDialogView {...dialog({ own: false })} />);
    expect(html).toContain('Delete bob?');
    expect(html).toContain('<strong class="confirm-name">bob</strong> can no longer sign in');
    expect(html).toContain('API keys stop working');
    expect(html).toContain('history (credits ledger, projects) is kept');
    expect(has(html, 'confirm-username')).toBe(false);
    expect(html).not.toMatch(/<button[^>]*disabled=""[^>]*data-testid="confirm-delete"/);
    expect(has(html, 'delete-error')).toBe(false);
  });
});

function dialog(over: Partial<DeleteAccountDialogViewProps> = {}): DeleteAccountDialogViewProps {
  return { user: bob, own: true, typed: '', onTyped: noop, busy: false, error: null, onClose: noop, onConfirm: noop, ...over };
}

describe('deleting one’s own account', () => {
  const confirmButton = (html: string) => /<button[^>]*data-testid="confirm-delete"[^>]*>/.exec(html)![0];

  it('the account page ends with the Delete account section', () => {
    const html = withApp(<AccountPage />, authOf(bob));
    expect(has(html, 'delete-account-section')).toBe(true);
    expect(html.indexOf('data-testid="delete-account-section"')).toBeGreaterThan(html.indexOf('data-testid="password-form"'));
    expect(html).toMatch(/class="button danger"[^>]*data-testid="delete-account">Delete account…</);
    // No account (local mode, the desktop's owner): no page, so no delete either.
    const local = withApp(<AccountPage />, null);
    expect(has(local, 'account-page')).toBe(false);
    expect(has(local, 'delete-account')).toBe(false);
  });

  it('Delete my account stays disabled until the username is typed exactly', () => {
    for (const typed of ['', 'bo', 'Bob', 'bobby']) {
      expect(confirmButton(renderToStaticMarkup(<DeleteAccountDialogView {...dialog({ typed })} />))).toContain('disabled=""');
    }
    const ready = renderToStaticMarkup(<DeleteAccountDialogView {...dialog({ typed: 'bob' })} />);
    expect(confirmButton(ready)).not.toContain('disabled');
    expect(ready).toMatch(/data-testid="confirm-delete">Delete my account</);
    expect(ready).toContain('Type your username, bob, to confirm');
    expect(ready).toMatch(/data-testid="confirm-username"[^>]*value="bob"|value="bob"[^>]*data-testid="confirm-username"/);
    // Busy: disabled again.
    expect(confirmButton(renderToStaticMarkup(<DeleteAccountDialogView {...dialog({ typed: 'bob', busy: true })} />))).toContain('disabled=""');
    expect(canConfirmOwnDeletion(' bob ', 'bob')).toBe(true);
    expect(canConfirmOwnDeletion('bob', 'Bob')).toBe(false);
  });

  function signedIn() {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    const session = createSession({ storage });
    session.start({ access_token: 'acc-1', refresh_token: 'ref-1' });
    const ended: SignOutReason[] = [];
    session.subscribe((r) => ended.push(r));
    return { session, data, ended };
  }

  it('after the 204 the session is gone: tokens, stored copy, and the app is told', async () => {
    const { session, data, ended } = signedIn();
    const calls = install((key) => (key === `DELETE /api/v1/users/${BOB}` ? new Response(null, { status: 204 }) : undefined), () => session.accessToken());
    expect(data.has(SESSION_STORAGE_KEY)).toBe(true);
    await deleteOwnAccount(bob, session);
    expect(calls).toEqual([{ url: `/api/v1/users/${BOB}`, method: 'DELETE', body: undefined, auth: 'Bearer acc-1' }]);
    expect(session.tokens()).toBeNull();
    expect(data.has(SESSION_STORAGE_KEY)).toBe(false);
    expect(ended).toEqual([{ kind: 'signed-out' }]);
  });

  it('a refused deletion (409) keeps the session and says why', async () => {
    const { session, ended } = signedIn();
    install((key) => (key === `DELETE /api/v1/users/${BOB}` ? conflict() : undefined), () => session.accessToken());
    const err = await deleteOwnAccount(bob, session).then(
      () => null,
      (e: unknown) => e,
    );
    expect(session.tokens()).toEqual({ access_token: 'acc-1', refresh_token: 'ref-1' });
    expect(ended).toEqual([]);
    const html = renderToStaticMarkup(<DeleteAccountDialogView {...dialog({ typed: 'bob', error: deleteRefusal(err, 'en') })} />);
    expect(html).toMatch(/role="alert" data-testid="delete-error">this person owns the workspace/);
  });
});
