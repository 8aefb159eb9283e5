import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { refreshQueuedShares, useQueuedShares, type QueuedShare } from '../../api/remoteShares';
import { useLocale, useT } from '../../i18n';
import { formatDateTime, formatRelativeTime } from '../../lib/format';
import { canCancelQueuedShare, canSendQueuedShare, projectShares, queuedShareUrl } from '../../lib/queuedShares';
import { copyShareLink } from '../../lib/shares';
import { AlertIcon } from '../Icons';
import { useToasts } from '../Toasts';
import { NextTry, shownStatus } from './QueuedShareView';
import { useQueuedShareActions, type QueuedShareAction } from './useQueuedShareActions';
import { ShareLinkCell } from './ShareLinkCell';

export interface QueuedSharesViewProps {
  /** The project's shares from this desktop, newest first. */
  load: Load<QueuedShare[]>;
  pendingOf: (id: string) => QueuedShareAction | null;
  errorOf: (id: string) => string | null;
  /** The share whose link was just copied (its Copy reads "Copied"). */
  copiedId: string | null;
  onSend: (share: QueuedShare) => void;
  onCancel: (share: QueuedShare) => void;
  onCopy: (share: QueuedShare, url: string) => void;
  onRetry: () => void;
  now?: Date;
}

/**
 * The project's shares from this desktop: when asked for, until when, password or not, where each
 * stands (why it waits, when it is tried next), the link once made with Copy; Send now (Try again
 * when failed) and Cancel while it is not made.
 */
export function QueuedSharesView(p: QueuedSharesViewProps) {
  const t = useT();
  useLocale();
  const now = p.now ?? new Date();
  return (
    <section className="export-history shared-links queued-shares" data-testid="queued-shares" aria-label={t('shares.listLabel')}>
      <h3>{t('shares.list')}</h3>
      <p className="muted queued-shares-hint">{t('shares.queue.listHint')}</p>
      {p.load.kind === 'loading' && <span className="spinner" role="status" aria-label={t('shares.listLoading')} />}
      {p.load.kind === 'error' && (
        <p className="run-error" role="alert" data-testid="queued-shares-error">
          <AlertIcon /> {p.load.message}{' '}
          <button type="button" className="button secondary button-sm" onClick={p.onRetry}>
            {t('common.tryAgain')}
          </button>
        </p>
      )}
      {p.load.kind === 'ready' && p.load.data.length === 0 && (
        <p className="muted" data-testid="queued-shares-empty">
          {t('shares.queue.listEmpty')}
        </p>
      )}
      {p.load.kind === 'ready' && p.load.data.length > 0 && (
        <table className="asset-table export-table share-table">
          <thead>
            <tr>
              <th scope="col">{t('shares.colCreated')}</th>
              <th scope="col">{t('shares.colExpires')}</th>
              <th scope="col">{t('shares.colPassword')}</th>
              <th scope="col">{t('shares.colStatus')}</th>
              <th scope="col">{t('shares.colLink')}</th>
              <th scope="col">
                <span className="sr-only">{t('exportDialog.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {p.load.data.map((s) => (
              <QueuedShareRow key={s.id} share={s} {...p} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function QueuedShareRow({ share: s, now, ...p }: Omit<QueuedSharesViewProps, 'load'> & { share: QueuedShare; now: Date }) {
  const t = useT();
  const locale = useLocale();
  const pending = p.pendingOf(s.id);
  const error = p.errorOf(s.id);
  const status = shownStatus(s, pending);
  const url = queuedShareUrl(s);
  const made = formatDateTime(s.created_at, locale);
  const waitReason = (status === 'queued' || status === 'failed') && s.last_error ? s.last_error : null;
  return (
    <tr data-testid="queued-share-row" data-share-id={s.id} data-status={status}>
      <td>
        <time dateTime={s.created_at} title={made}>
          {formatRelativeTime(s.created_at, now, locale)}
        </time>
      </td>
      <td data-testid="queued-share-expires">{s.expires_at ? formatDateTime(s.expires_at, locale) : t('shares.never')}</td>
      <td data-testid="queued-share-password" data-has-password={s.has_password}>
        {s.has_password ? t('shares.passwordYes') : t('shares.passwordNo')}
      </td>
      <td>
        <div className="queued-share-cell" aria-live="polite">
          <span className={`badge share-status share-queue-${status}`} data-testid="queued-share-status" data-status={status}>
            {status === 'sending' && <span className="spinner spinner-sm" aria-hidden="true" />}
            {t(`shares.queue.status.${status}`)}
          </span>
          {waitReason && (
            <span className="queued-share-reason" data-testid="queued-share-row-error" title={waitReason}>
              {waitReason}
            </span>
          )}
          {status === 'queued' && s.next_try_at && <NextTry at={s.next_try_at} now={now} testId="queued-share-row-next-try" />}
          {error && (
            <span className="field-error" role="alert" data-testid="queued-share-row-action-error">
              {error}
            </span>
          )}
        </div>
      </td>
      <td>
        {url ? (
          <ShareLinkCell
            url={url}
            id={s.id}
            copied={p.copiedId === s.id}
            inputLabel={t('shares.queue.linkAria', { date: made })}
            copyLabel={t('shares.queue.copyAria', { date: made })}
            testIdPrefix="queued-share"
            onCopy={() => p.onCopy(s, url)}
          />
        ) : (
          <span className="muted">{t('shares.queue.notYet')}</span>
        )}
      </td>
      <td>
        <div className="asset-actions">
          {canSendQueuedShare(s) && status !== 'sending' && (
            <button
              type="button"
              className="button secondary button-sm"
              data-testid="queued-share-row-send"
              aria-label={s.status === 'failed' ? t('shares.queue.tryAgainAria', { date: made }) : t('shares.queue.sendNowAria', { date: made })}
              disabled={pending !== null}
              onClick={() => p.onSend(s)}
            >
              {s.status === 'failed' ? t('shares.queue.tryAgain') : t('shares.queue.sendNow')}
            </button>
          )}
          {canCancelQueuedShare(s) && status !== 'sending' && (
            <button
              type="button"
              className="button secondary button-sm"
              data-testid="queued-share-row-cancel"
              aria-label={t('shares.queue.cancelAria', { date: made })}
              disabled={pending !== null}
              onClick={() => p.onCancel(s)}
            >
              {pending === 'cancel' ? t('shares.queue.cancelling') : t('common.cancel')}
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

/** This desktop's shares of the project, under the export history (polled while one moves). */
export function QueuedShares({ projectId }: { projectId: string }) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const q = useQueuedShares();
  const data = useMemo(() => (q.data ? projectShares(q.data, projectId) : undefined), [q.data, projectId]);
  const load = loadOf({ status: q.status, error: q.error, data });
  const actions = useQueuedShareActions();
  const [copiedId, setCopiedId] = useState<string | null>(null);

  function copy(share: QueuedShare, url: string) {
    void copyShareLink(url).then((ok) => {
      if (ok) {
        setCopiedId(share.id);
        return;
      }
      setCopiedId(null);
      // Not copied: the link is selected, to copy by hand.
      document.querySelector<HTMLInputElement>(`[data-testid="queued-share-url"][data-share-id="${CSS.escape(share.id)}"]`)?.select();
      toasts.show({ kind: 'error', message: t('shares.copyFailed') });
    });
  }

  return (
    <QueuedSharesView
      load={load}
      pendingOf={actions.pendingOf}
      errorOf={actions.errorOf}
      copiedId={copiedId}
      onSend={(s) => void actions.send(s.id)}
      onCancel={(s) =>
        void actions.cancel(s.id).then((done) => {
          if (done) toasts.show({ kind: 'info', message: t('shares.queue.cancelledToast') });
        })
      }
      onCopy={copy}
      onRetry={() => void refreshQueuedShares(queryClient)}
    />
  );
}
