import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type MouseEvent } from 'react';
import { loadOf } from '../../api/load';
import { unbindAccount, usePlatforms, usePublishHistory, type Platform, type PublishItem, type PublishJob } from '../../api/publish';
import { keys } from '../../api/queries';
import { useLocale, useT } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { openExternal } from '../../lib/openExternal';
import {
  isJobActive,
  isScheduled,
  ITEM_STATUS_LABELS,
  itemNote,
  JOB_STATUS_LABELS,
  jobSummary,
  platformLabel,
  platformName,
  platformNote,
  publishErrorText,
} from '../../lib/publish';
import { routeHash } from '../../lib/route';
import { AlertIcon, LinkIcon } from '../Icons';
import { Modal } from '../Modal';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { useCanEdit } from '../team/WorkspaceContext';
import { BindAccountForm } from './BindAccountForm';
import './publish.css';

/**
 * Publishing: the workspace's jobs, newest first, each with its status and one row per platform
 * (its status, attempts, the post's id and link, the error of a failed one, when a waiting one is
 * tried), read again every few seconds while one is pending or running; and the accounts, bound
 * (with Unbind) or to bind.
 */
export function PublishHistoryPage({ initialPage = 1 }: { initialPage?: number } = {}) {
  const t = useT();
  useLocale();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(initialPage);
  const history = loadOf(usePublishHistory(page));
  const platforms = usePlatforms().data;
  const data = history.kind === 'ready' ? history.data : null;

  // The last page emptied: show the one before it.
  useEffect(() => {
    if (data && data.items.length === 0 && page > 1 && data.totalPages < page) setPage(Math.max(1, data.totalPages));
  }, [data, page]);

  return (
    <div className="page publish-page" data-testid="publish-page">
      <header className="page-header">
        <div>
          <h1>{t('publish.page.title')}</h1>
          <p className="page-subtitle">{t('publish.page.subtitle')}</p>
        </div>
        <a className="button secondary" href={routeHash({ name: 'creations' })} data-testid="publish-open-creations">
          {t('create.page.creations')}
        </a>
      </header>
      <div className="publish-layout">
        <section className="panel create-section" aria-labelledby="publish-jobs-title" data-testid="publish-jobs">
          <h2 id="publish-jobs-title">{t('publish.page.jobs')}</h2>
          {history.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
          {history.kind === 'error' && (
            <div className="load-error" role="alert" data-testid="publish-history-error">
              <AlertIcon size={22} />
              <div>
                <h3>{t('publish.page.loadError')}</h3>
                <p>{history.message}</p>
              </div>
              <button type="button" className="button secondary" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.publish.histories })}>
                {t('common.tryAgain')}
              </button>
            </div>
          )}
          {data && data.items.length === 0 && (
            <div className="empty-state" data-testid="publish-empty">
              <h2>{t('publish.page.empty')}</h2>
              <p>{t('publish.page.emptyBody')}</p>
            </div>
          )}
          {data && data.items.length > 0 && (
            <>
              <ul className="publish-jobs" data-testid="publish-job-list">
                {data.items.map((job) => (
                  <JobCard key={job.publish_id} job={job} platforms={platforms} />
                ))}
              </ul>
              <Pagination page={data.page} totalPages={data.totalPages} total={data.total} limit={data.limit} onPage={setPage} />
            </>
          )}
        </section>
        <AccountsPanel />
      </div>
    </div>
  );
}

/** A job's status as a badge. */
export function JobStatusBadge({ status }: { status: PublishJob['status'] }) {
  return (
    <span className={`badge publish-status publish-status-${status}`} data-testid="publish-job-status" data-status={status}>
      <span className="status-dot" aria-hidden="true" />
      {JOB_STATUS_LABELS[status] ?? status}
    </span>
  );
}

/** One job: title, status, summary, when; a row per platform. */
export function JobCard({ job, platforms }: { job: PublishJob; platforms: readonly Platform[] | undefined }) {
  const t = useT();
  const locale = useLocale();
  return (
    <li className="publish-job" data-testid="publish-job" data-publish-id={job.publish_id} data-status={job.status} aria-busy={isJobActive(job.status) || undefined}>
      <header className="publish-job-head">
        <strong className="publish-job-title" data-testid="publish-job-title">
          {job.title}
        </strong>
        <JobStatusBadge status={job.status} />
      </header>
      <p className="muted publish-job-meta">
        <span data-testid="publish-job-summary">{jobSummary(job)}</span>
        {' · '}
        <time dateTime={job.created_at}>{t('publish.job.created', { when: formatDateTime(job.created_at) })}</time>
        {!isScheduled(job) && job.schedule_time && Date.parse(job.schedule_time) - Date.parse(job.created_at) > 60_000 && (
          <>
            {' · '}
            <span>{t('publish.job.scheduledFor', { when: formatDateTime(job.schedule_time) })}</span>
          </>
        )}
        {job.finished_at && (
          <>
            {' · '}
            <time dateTime={job.finished_at}>{t('publish.job.finished', { when: formatDateTime(job.finished_at) })}</time>
          </>
        )}
      </p>
      <table className="publish-items">
        <thead>
          <tr>
            <th scope="col">{t('publish.item.platform')}</th>
            <th scope="col">{t('publish.item.status')}</th>
            <th scope="col">{t('publish.item.attempts')}</th>
            <th scope="col">{t('publish.item.post')}</th>
          </tr>
        </thead>
        <tbody>
          {job.items.map((item) => (
            <ItemRow key={item.platform} item={item} name={platformLabel(item.platform, platforms, locale)} />
          ))}
        </tbody>
      </table>
    </li>
  );
}

function ItemRow({ item, name }: { item: PublishItem; name: string }) {
  const t = useT();
  const note = itemNote(item);
  const open = (e: MouseEvent<HTMLAnchorElement>) => {
    if (!item.remote_url) return;
    e.preventDefault();
    void openExternal(item.remote_url);
  };
  return (
    <>
      <tr className={`publish-item publish-item-${item.status}`} data-testid="publish-item" data-platform={item.platform} data-status={item.status}>
        <td data-testid="publish-item-platform">{name}</td>
        <td>
          <span className={`badge publish-status publish-status-${item.status}`} data-testid="publish-item-status">
            <span className="status-dot" aria-hidden="true" />
            {ITEM_STATUS_LABELS[item.status] ?? item.status}
          </span>
        </td>
        <td data-testid="publish-item-attempts">{item.attempts}</td>
        <td>
          {item.remote_url ? (
            <a href={item.remote_url} target="_blank" rel="noopener noreferrer" onClick={open} data-testid="publish-item-link">
              <LinkIcon size={13} /> {item.remote_id || t('publish.item.open')}
            </a>
          ) : item.remote_id ? (
            <code data-testid="publish-item-remote-id">{item.remote_id}</code>
          ) : (
            <span className="muted">{t('publish.item.noPost')}</span>
          )}
        </td>
      </tr>
      {note && (
        <tr className="publish-item-note-row">
          <td colSpan={4} className={item.status === 'failed' ? 'publish-item-error' : 'muted'} data-testid={item.status === 'failed' ? 'publish-item-error' : 'publish-item-note'}>
            {note}
          </td>
        </tr>
      )}
    </>
  );
}

/** The platforms with this workspace's accounts: bound ones with Unbind (after a confirmation), the others to bind. */
export function AccountsPanel({ initialBinding = null }: { initialBinding?: string | null } = {}) {
  const t = useT();
  const locale = useLocale();
  const canEdit = useCanEdit();
  const queryClient = useQueryClient();
  const platforms = loadOf(usePlatforms());
  const [binding, setBinding] = useState<string | null>(initialBinding);
  const [unbinding, setUnbinding] = useState<Platform | null>(null);
  return (
    <section className="panel create-section publish-accounts" aria-labelledby="publish-accounts-title" data-testid="publish-accounts">
      <h2 id="publish-accounts-title">{t('publish.accounts.title')}</h2>
      <p className="muted create-hint">{t('publish.accounts.intro')}</p>
      {platforms.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {platforms.kind === 'error' && (
        <div className="form-error" role="alert" data-testid="publish-accounts-error">
          <AlertIcon size={14} /> {platforms.message}{' '}
          <button type="button" className="button secondary button-sm" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.publish.platforms })}>
            {t('common.tryAgain')}
          </button>
        </div>
      )}
      {platforms.kind === 'ready' && (
        <ul className="publish-account-list">
          {platforms.data.map((p) => (
            <li key={p.platform} className="publish-account" data-testid="publish-account-row" data-platform={p.platform} data-bound={p.bound}>
              <div className="publish-platform-head">
                <strong className="publish-platform-name">{platformName(p, locale)}</strong>
                {p.bound ? (
                  <span className="chip" data-testid="publish-account-bound">
                    {p.account ? t('publish.accounts.boundAs', { account: p.account }) : t('publish.accounts.bound')}
                  </span>
                ) : p.can_publish ? (
                  <span className="muted create-hint">{t('publish.accounts.notBound')}</span>
                ) : null}
                {canEdit && p.bound && (
                  <button type="button" className="button danger button-sm publish-bind-open" onClick={() => setUnbinding(p)} data-testid="publish-unbind">
                    {t('publish.accounts.unbind')}
                  </button>
                )}
                {canEdit && !p.bound && p.can_publish && binding !== p.platform && (
                  <button type="button" className="button secondary button-sm publish-bind-open" onClick={() => setBinding(p.platform)} data-testid="publish-bind-open">
                    {t('publish.bind.open')}
                  </button>
                )}
              </div>
              {!p.can_publish && (
                <p className="muted create-hint" data-testid="publish-note">
                  {platformNote(p, locale)}
                </p>
              )}
              {binding === p.platform && <BindAccountForm platform={p} onCancel={() => setBinding(null)} onBound={() => setBinding(null)} />}
            </li>
          ))}
        </ul>
      )}
      {unbinding && <UnbindDialog platform={unbinding} onClose={() => setUnbinding(null)} />}
    </section>
  );
}

/** Are you sure? Unbinding deletes the credentials; a post not sent yet to that platform then fails. */
export function UnbindDialog({ platform, onClose }: { platform: Platform; onClose: () => void }) {
  const t = useT();
  const locale = useLocale();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = platformName(platform, locale);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await unbindAccount(queryClient, platform.platform);
      toasts.show({ kind: 'success', message: t('publish.accounts.unbound', { name }) });
      onClose();
    } catch (e) {
      setError(publishErrorText(e));
      setBusy(false);
    }
  }

  return (
    <Modal title={t('publish.accounts.unbindTitle', { name })} onClose={onClose} busy={busy} size="sm" testId="unbind-dialog" initialFocus='[data-testid="cancel-unbind"]'>
      <div className="modal-body">
        <p className="confirm-text">{t('publish.accounts.unbindBody', { name })}</p>
        {error && (
          <p className="form-error" role="alert" data-testid="unbind-error">
            <AlertIcon size={14} /> {error}
          </p>
        )}
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-unbind">
          {t('common.cancel')}
        </button>
        <button type="button" className="button danger" onClick={() => void confirm()} disabled={busy} data-testid="confirm-unbind">
          {busy ? t('publish.accounts.unbinding') : t('publish.accounts.unbind')}
        </button>
      </footer>
    </Modal>
  );
}
