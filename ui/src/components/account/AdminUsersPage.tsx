import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { loadOf } from '../../api/load';
import { keys, useUsers } from '../../api/queries';
import { USER_STATUSES, setUserStatus, type User, type UserStatus } from '../../api/accounts';
import type { Page } from '../../api/types';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatCount, formatDateTime } from '../../lib/format';
import { errorMessage } from '../../transport';
import { Modal } from '../Modal';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { useAuth } from './AuthContext';
import { DeleteListedUserDialog, UserRowActions } from './UserRowActions';

type Filter = UserStatus | 'all';
const FILTERS: Filter[] = ['all', ...USER_STATUSES];
const LIMIT = 20;

export function AdminUsersPage() {
  const t = useT();
  const locale = useLocale();
  const label = (s: Filter) => t(`users.status.${s}`);
  const auth = useAuth();
  const toasts = useToasts();
  const [filter, setFilter] = useState<Filter>('all');
  const [page, setPage] = useState(1);
  const [pending, setPending] = useState<{ user: User; status: UserStatus } | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const isAdmin = auth?.user.is_admin ?? false;
  const queryClient = useQueryClient();
  const users = useUsers({ status: filter, page, limit: LIMIT }, isAdmin);
  const reload = () => void queryClient.invalidateQueries({ queryKey: keys.account.usersAll });
  const load = loadOf(users);

  // Past the last page (e.g. after a status change emptied it): go to the last one there is.
  const usersData = users.data;
  useEffect(() => {
    if (usersData && usersData.items.length === 0 && usersData.page > 1) setPage(Math.max(1, usersData.totalPages));
  }, [usersData]);

  if (!isAdmin) {
    return (
      <div className="page">
        <h1>{t('nav.users')}</h1>
        <p className="muted">{t('users.adminOnly')}</p>
      </div>
    );
  }

  const data = load.kind === 'ready' ? load.data : null;

  return (
    <div className="page" data-testid="admin-users-page">
      <header className="page-header">
        <div>
          <h1>{t('nav.users')}</h1>
          <p className="page-subtitle" data-testid="user-count">
            {data ? formatCount('user', data.total) : '\u00a0'}
          </p>
        </div>
      </header>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label={t('projects.filterByStatus')} data-testid="user-status-filter">
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
        {load.kind === 'loading' && <p className="muted account-empty">{t('common.loadingEllipsis')}</p>}
        {load.kind === 'error' && (
          <div className="load-error" role="alert">
            <div>
              <h2>{t('users.loadFailed')}</h2>
              <p>{load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={reload}>
              {t('common.tryAgain')}
            </button>
          </div>
        )}
        {data && data.items.length === 0 && <p className="muted account-empty">{t('users.none')}</p>}
        {data && data.items.length > 0 && (
          <>
            <table className="data-table" data-testid="user-list">
              <thead>
                <tr>
                  <th>{t('users.colUser')}</th>
                  <th>{t('auth.email')}</th>
                  <th>{t('users.colRole')}</th>
                  <th>{t('users.colJoined')}</th>
                  <th>{t('projects.colStatus')}</th>
                  <th />
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
                        {self && <span className="muted"> {t('users.you')}</span>}
                      </td>
                      <td>{u.email ?? '—'}</td>
                      <td>{u.is_admin ? t('users.roleAdmin') : t('users.roleUser')}</td>
                      <td>{formatDateTime(u.created_at, locale)}</td>
                      <td>
                        <select
                          className="input select input-sm"
                          aria-label={t('users.statusOf', { name: u.username })}
                          data-testid="user-status-select"
                          value={u.status}
                          disabled={self}
                          title={self ? t('users.notOwnStatus') : undefined}
                          onChange={(e) => setPending({ user: u, status: e.target.value as UserStatus })}
                        >
                          {USER_STATUSES.map((s) => (
                            <option key={s} value={s}>
                              {label(s)}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td className="cell-actions-inline">
                        <UserRowActions user={u} self={self} onDelete={setDeleting} />
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
      {deleting && <DeleteListedUserDialog user={deleting} onClose={() => setDeleting(null)} />}
      {pending && (
        <ConfirmStatusDialog
          user={pending.user}
          status={pending.status}
          onClose={() => setPending(null)}
          onConfirm={async () => {
            try {
              const updated = await setUserStatus(pending.user.id, pending.status);
              queryClient.setQueriesData<Page<User>>({ queryKey: keys.account.usersAll }, (d) =>
                d ? { ...d, items: d.items.map((x) => (x.id === updated.id ? updated : x)) } : d,
              );
              toasts.show({ kind: 'success', message: t('users.nowStatus', { name: updated.username, status: t(`users.status.${updated.status}`) }) });
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
  const t = useT();
  const [busy, setBusy] = useState(false);
  const statusName = t(`users.status.${status}`);
  return (
    <Modal
      title={t('users.makeTitle', { name: user.username, status: statusName })}
      onClose={onClose}
      busy={busy}
      size="sm"
      testId="user-status-dialog"
      initialFocus='[data-testid="cancel-status"]'
    >
      <div className="modal-body">
        <p className="confirm-text">
          <Trans
            i18n={i18n}
            t={t}
            i18nKey={status === 'active' ? 'users.activeBody' : 'users.inactiveBody'}
            values={{ name: user.username }}
            components={{ name: <strong className="confirm-name" /> }}
          />
        </p>
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-status">
          {t('common.cancel')}
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
          {busy ? t('common.saving') : t('users.make', { status: statusName })}
        </button>
      </footer>
    </Modal>
  );
}
