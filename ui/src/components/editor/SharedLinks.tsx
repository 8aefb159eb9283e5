import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { refreshShares, revokeShareLink, useShares } from '../../api/shares';
import type { Page, Share } from '../../api/types';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatDateTime, formatNumber, formatRelativeTime } from '../../lib/format';
import { absoluteShareUrl, canOfferShares, canRevokeShare, copyShareLink, pageOrigin, sharesQueued } from '../../lib/shares';
import { errorMessage, getTransport } from '../../transport';
import { AlertIcon } from '../Icons';
import { Modal } from '../Modal';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { QueuedShares } from './QueuedShares';
import { ShareLinkCell } from './ShareLinkCell';

export const SHARES_LIMIT = 10;

export interface RevokeConfirm {
  share: Share;
  busy: boolean;
  error: string | null;
}

export interface SharedLinksViewProps {
  load: Load<Page<Share>>;
  /** Where relative links are made absolute (this page's origin). */
  origin: string;
  /** The link just copied (its Copy reads "Copied"). */
  copiedId: string | null;
  onCopy: (share: Share, url: string) => void;
  /** Revoke pressed: asks first (`confirm`). */
  onAskRevoke: (share: Share) => void;
  /** The revoke being confirmed, or null. */
  confirm: RevokeConfirm | null;
  onCancelRevoke: () => void;
  onConfirmRevoke: () => void;
  onPage: (page: number) => void;
  onRetry: () => void;
  now?: Date;
}

/** The project's share links: when made, until when, password or not, status, views; Copy and Revoke. */
export function SharedLinksView(p: SharedLinksViewProps) {
  const t = useT();
  const locale = useLocale();
  const now = p.now ?? new Date();
  return (
    <section className="export-history shared-links" data-testid="shared-links" aria-label={t('shares.listLabel')}>
      <h3>{t('shares.list')}</h3>
      {p.load.kind === 'loading' && <span className="spinner" role="status" aria-label={t('shares.listLoading')} />}
      {p.load.kind === 'error' && (
        <p className="run-error" role="alert" data-testid="shared-links-error">
          <AlertIcon /> {p.load.message}{' '}
          <button type="button" className="button secondary button-sm" onClick={p.onRetry}>
            {t('common.tryAgain')}
          </button>
        </p>
      )}
      {p.load.kind === 'ready' && p.load.data.items.length === 0 && (
        <p className="muted" data-testid="shared-links-empty">
          {t('shares.listEmpty')}
        </p>
      )}
      {p.load.kind === 'ready' && p.load.data.items.length > 0 && (
        <>
          <table className="asset-table export-table share-table">
            <thead>
              <tr>
                <th scope="col">{t('shares.colCreated')}</th>
                <th scope="col">{t('shares.colExpires')}</th>
                <th scope="col">{t('shares.colPassword')}</th>
                <th scope="col">{t('shares.colStatus')}</th>
                <th scope="col" className="num">
                  {t('shares.colViews')}
                </th>
                <th scope="col">{t('shares.colLink')}</th>
                <th scope="col">
                  <span className="sr-only">{t('exportDialog.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.load.data.items.map((s) => {
                const url = absoluteShareUrl(s.url, p.origin);
                const made = formatDateTime(s.created_at, locale);
                return (
                  <tr key={s.id} data-testid="shared-link-row" data-share-id={s.id} data-status={s.status}>
                    <td>
                      <time dateTime={s.created_at} title={made}>
                        {formatRelativeTime(s.created_at, now, locale)}
                      </time>
                    </td>
                    <td data-testid="shared-link-expires">{s.expires_at ? formatDateTime(s.expires_at, locale) : t('shares.never')}</td>
                    <td data-testid="shared-link-password" data-has-password={s.has_password}>
                      {s.has_password ? t('shares.passwordYes') : t('shares.passwordNo')}
                    </td>
                    <td>
                      <span className={`badge share-status share-${s.status}`} data-testid="shared-link-status" data-status={s.status}>
                        {t(`shares.status.${s.status}`)}
                      </span>
                    </td>
                    <td
                      className="num"
                      data-testid="shared-link-views"
                      data-views={s.view_count}
                      title={s.last_viewed_at ? t('shares.lastViewed', { date: formatDateTime(s.last_viewed_at, locale) }) : undefined}
                    >
                      {formatNumber(s.view_count, locale)}
                    </td>
                    <td>
                      <ShareLinkCell
                        url={url}
                        id={s.id}
                        copied={p.copiedId === s.id}
                        inputLabel={t('shares.linkMade', { date: made })}
                        copyLabel={t('shares.copyAria', { date: made })}
                        testIdPrefix="shared-link"
                        onCopy={() => p.onCopy(s, url)}
                      />
                    </td>
                    <td>
                      {canRevokeShare(s) && (
                        <button
                          type="button"
                          className="button secondary button-sm"
                          data-testid="shared-link-revoke"
                          aria-label={t('shares.revokeAria', { date: made })}
                          onClick={() => p.onAskRevoke(s)}
                        >
                          {t('shares.revoke')}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Pagination page={p.load.data.page} totalPages={p.load.data.totalPages} total={p.load.data.total} limit={p.load.data.limit} onPage={p.onPage} />
        </>
      )}
      {p.confirm && (
        <RevokeShareDialog
          url={absoluteShareUrl(p.confirm.share.url, p.origin)}
          busy={p.confirm.busy}
          error={p.confirm.error}
          onCancel={p.onCancelRevoke}
          onConfirm={p.onConfirmRevoke}
        />
      )}
    </section>
  );
}

/** Asks before revoking: a revoked link stops working at once, for good. */
export function RevokeShareDialog(p: { url: string; busy: boolean; error: string | null; onCancel: () => void; onConfirm: () => void }) {
  const t = useT();
  return (
    <Modal title={t('shares.revokeTitle')} onClose={p.onCancel} busy={p.busy} size="sm" testId="revoke-share-dialog" initialFocus='[data-testid="cancel-revoke-share"]'>
      <div className="modal-body">
        <p className="confirm-text">
          <Trans i18n={i18n} t={t} i18nKey="shares.revokeBody" values={{ url: p.url }} components={{ url: <strong className="confirm-name share-confirm-url" /> }} />
        </p>
        {p.error && (
          <p className="form-error" role="alert" data-testid="revoke-share-error">
            {p.error}
          </p>
        )}
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={p.onCancel} disabled={p.busy} data-testid="cancel-revoke-share">
          {t('common.cancel')}
        </button>
        <button type="button" className="button danger" onClick={p.onConfirm} disabled={p.busy} data-testid="confirm-revoke-share">
          {p.busy ? t('shares.revoking') : t('shares.revoke')}
        </button>
      </footer>
    </Modal>
  );
}

/**
 * The project's share links under the export history: the team server's links in a browser; in
 * the desktop shell, the shares this desktop queued for its team server.
 */
export function SharedLinks({ projectId }: { projectId: string }) {
  const kind = getTransport().kind;
  if (sharesQueued(kind)) return <QueuedShares projectId={projectId} />;
  if (!canOfferShares(kind)) return null;
  return <SharedLinksPanel projectId={projectId} />;
}

function SharedLinksPanel({ projectId }: { projectId: string }) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const load = loadOf(useShares({ projectId, page, limit: SHARES_LIMIT }));
  const [copiedId, setCopiedId] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<RevokeConfirm | null>(null);

  function copy(share: Share, url: string) {
    void copyShareLink(url).then((ok) => {
      if (ok) {
        setCopiedId(share.id);
        return;
      }
      setCopiedId(null);
      // Not copied: the link is selected, to copy by hand.
      document.querySelector<HTMLInputElement>(`[data-testid="shared-link-url"][data-share-id="${CSS.escape(share.id)}"]`)?.select();
      toasts.show({ kind: 'error', message: t('shares.copyFailed') });
    });
  }

  function revoke() {
    if (!confirm || confirm.busy) return;
    const share = confirm.share;
    setConfirm({ share, busy: true, error: null });
    revokeShareLink(queryClient, share.id).then(
      () => {
        setConfirm(null);
        toasts.show({ kind: 'success', message: t('shares.revokedToast') });
      },
      (e: unknown) => setConfirm({ share, busy: false, error: errorMessage(e) }),
    );
  }

  return (
    <SharedLinksView
      load={load}
      origin={pageOrigin()}
      copiedId={copiedId}
      onCopy={copy}
      onAskRevoke={(share) => setConfirm({ share, busy: false, error: null })}
      confirm={confirm}
      onCancelRevoke={() => setConfirm(null)}
      onConfirmRevoke={revoke}
      onPage={setPage}
      onRetry={() => void refreshShares(queryClient)}
    />
  );
}
