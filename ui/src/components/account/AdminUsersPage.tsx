import { useCallback, useEffect, useState } from 'react';
import { USER_STATUSES, listUsers, setUserStatus, type User, type UserStatus } from '../../api/accounts';
import type { Page } from '../../api/types';
import { formatDateTime, pluralize } from '../../lib/format';
import { errorMessage } from '../../transport';
import { Modal } from '../Modal';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { useAuth } from './AuthContext';

type Filter = UserStatus | 'all';
const FILTERS: Filter[] = ['all', ...USER_STATUSES];
const LIMIT = 20;
const label = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

type Load = { kind: 'loading' } | { kind: 'ready'; data: Page<User> } | { kind: 'error'; message: string };

export function AdminUsersPage() {
  const auth = useAuth();
  const toasts = useToasts();
  const [filter, setFilter] = useState<Filter>('all');
  const [page, setPage] = useState(1);
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [reloadKey, setReloadKey] = useState(0);
  const [pending, setPending] = useState<{ user: User; status: UserStatus } | null>(null);
  const reload = useCallback(() => setReloadKey((k) => k + 1), []);
  const isAdmin = auth?.user.is_admin ?? false;

  useEffect(() => {
    if (!isAdmin) return;
    const ctrl = new AbortController();
    listUsers({ status: filter, page, limit: LIMIT }, ctrl.signal)
      .then((data) => {
        if (data.items.length === 0 && page > 1) setPage(Math.max(1, data.totalPages));
        else setLoad({ kind: 'ready', data });
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setLoad({ kind: 'error', message: errorMessage(e) });
      });
    return () => ctrl.abort();
  }, [filter, page, reloadKey, isAdmin]);

  if (!isAdmin) {
    return (
      <div className="page">
        <h1>Users</h1>
        <p className="muted">Only an instance admin can manage users.</p>
      </div>
    );
  }

  const data = load.kind === 'ready' ? load.data : null;

  return (
    <div className="page" data-testid="admin-users-page">
      <header className="page-header">
        <div>
          <h1>Users</h1>
          <p className="page-subtitle" data-testid="user-count">
            {data ? pluralize(data.total, 'user') : '\u00a0'}
          </p>
        </div>
      </header>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Filter by status" data-testid="user-status-filter">
          {FILTERS.map((f) => (
            <button
              key={f}
              type="button"
              className={`segment${filter === f ? ' active' : ''}`}
              aria-pressed={filter === f}
              data-testid={`user-filter-${f}`}
              onClick={() => {
                setFilter(f);
                setPage(1);
              }}
            >
              {label(f)}
            </button>
          ))}
        </div>
      </div>
      <section className="panel">
        {load.kind === 'loading' && <p className="muted account-empty">Loading…</p>}
        {load.kind === 'error' && (
          <div className="load-error" role="alert">
            <div>
              <h2>Couldn’t load users</h2>
              <p>{load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={reload}>
              Try again
            </button>
          </div>
        )}
        {data && data.items.length === 0 && <p className="muted account-empty">No users with this status.</p>}
        {data && data.items.length > 0 && (
          <>
            <table className="data-table" data-testid="user-list">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Email</th>
                  <th>Role</th>
                  <th>Joined</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((u) => {
                  const self = u.id === auth?.user.id;
                  return (
                    <tr key={u.id} data-testid="user-row" data-username={u.username} data-status={u.status}>
                      <td className="cell-strong">
                        {u.username}
                        {u.display_name && <span className="muted"> · {u.display_name}</span>}
                        {self && <span className="muted"> (you)</span>}
                      </td>
                      <td>{u.email ?? '—'}</td>
                      <td>{u.is_admin ? 'Admin' : 'User'}</td>
                      <td>{formatDateTime(u.created_at)}</td>
                      <td>
                        <select
                          className="input select input-sm"
                          aria-label={`Status of ${u.username}`}
                          data-testid="user-status-select"
                          value={u.status}
                          disabled={self}
                          title={self ? 'You cannot change your own status' : undefined}
                          onChange={(e) => setPending({ user: u, status: e.target.value as UserStatus })}
                        >
                          {USER_STATUSES.map((s) => (
                            <option key={s} value={s}>
                              {label(s)}
                            </option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <Pagination page={data.page} totalPages={data.totalPages} total={data.total} limit={data.limit} onPage={setPage} />
          </>
        )}
      </section>
      {pending && (
        <ConfirmStatusDialog
          user={pending.user}
          status={pending.status}
          onClose={() => setPending(null)}
          onConfirm={async () => {
            try {
              const updated = await setUserStatus(pending.user.id, pending.status);
              setLoad((s) =>
                s.kind === 'ready'
                  ? { ...s, data: { ...s.data, items: s.data.items.map((x) => (x.id === updated.id ? updated : x)) } }
                  : s,
              );
              toasts.show({ kind: 'success', message: `${updated.username} is now ${updated.status}` });
            } catch (e) {
              toasts.show({ kind: 'error', message: errorMessage(e) });
            }
            reload();
          }}
        />
      )}
    </div>
  );
}

function ConfirmStatusDialog({
  user,
  status,
  onClose,
  onConfirm,
}: {
  user: User;
  status: UserStatus;
  onClose: () => void;
  onConfirm: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const what =
    status === 'active'
      ? 'can sign in and use the API again.'
      : 'is signed out everywhere at once: their sessions and API keys stop working until an admin makes the account active again.';
  return (
    <Modal
      title={`Make ${user.username} ${status}?`}
      onClose={onClose}
      busy={busy}
      size="sm"
      testId="user-status-dialog"
      initialFocus='[data-testid="cancel-status"]'
    >
      <div className="modal-body">
        <p className="confirm-text">
          <strong className="confirm-name">{user.username}</strong> {what}
        </p>
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-status">
          Cancel
        </button>
        <button
          type="button"
          className={`button ${status === 'active' ? 'primary' : 'danger'}`}
          disabled={busy}
          data-testid="confirm-status"
          onClick={() => {
            setBusy(true);
            void onConfirm().finally(onClose);
          }}
        >
          {busy ? 'Saving…' : `Make ${status}`}
        </button>
      </footer>
    </Modal>
  );
}
