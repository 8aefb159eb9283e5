import { useEffect, useRef, type RefObject } from 'react';
import type { QueuedShare, QueuedShareStatus } from '../../api/remoteShares';
import { useLocale, useT } from '../../i18n';
import { formatDateTime, formatRelativeTime } from '../../lib/format';
import { canCancelQueuedShare, canSendQueuedShare, queuedShareUrl } from '../../lib/queuedShares';
import { AlertIcon, CheckIcon } from '../Icons';
import type { QueuedShareAction } from './useQueuedShareActions';
import type { CopyState } from './useShareForm';

/** What a share shows while an action is in flight: a Send now is "sending" until it answers. */
export function shownStatus(share: Pick<QueuedShare, 'status'>, pending: QueuedShareAction | null): QueuedShareStatus {
  return pending === 'send' && canSendQueuedShare(share) ? 'sending' : share.status;
}

/** When the next try is: "in 2 minutes", with the full time in its title. */
export function NextTry({ at, now, testId }: { at: string; now: Date; testId: string }) {
  const t = useT();
  const locale = useLocale();
  return (
    <time dateTime={at} title={formatDateTime(at, locale)} data-testid={testId}>
      {t('shares.queue.nextTry', { when: formatRelativeTime(at, now, locale) })}
    </time>
  );
}

export interface QueuedShareViewProps {
  share: QueuedShare;
  /** The action in flight on it, if any. */
  pending: QueuedShareAction | null;
  /** The last refused Send now or Cancel. */
  error: string | null;
  copy: CopyState;
  onSend: () => void;
  onCancel: () => void;
  onCopy: () => void;
  /** Opens the made link in the system browser. */
  onOpen: () => void;
  onClose: () => void;
  /** The link's field, selected when copying fails (to copy by hand). */
  urlRef?: RefObject<HTMLInputElement | null>;
  now?: Date;
}

/**
 * A share queued on the desktop, as it stands: waiting for the team server (why the last try
 * failed, when the next is, Send now), being sent, shared (the link, Copy, Open), failed (why, Try
 * again) or cancelled. Cancel while it is not made yet. The state is announced as it changes.
 */
export function QueuedShareView(p: QueuedShareViewProps) {
  const t = useT();
  useLocale();
  const now = p.now ?? new Date();
  const status = shownStatus(p.share, p.pending);
  const url = queuedShareUrl(p.share);
  const primaryRef = useRef<HTMLButtonElement>(null);
  // The form is gone (and the focus with it); each new state focuses what comes next.
  useEffect(() => primaryRef.current?.focus(), [status]);
  const canSend = canSendQueuedShare(p.share) && status !== 'sending';
  const canCancel = canCancelQueuedShare(p.share) && status !== 'sending';
  return (
    <div className="modal-body form queued-share" data-testid="queued-share" data-share-id={p.share.id} data-status={status}>
      <div className="queued-share-state" role="status" aria-live="polite" data-testid="queued-share-state" data-status={status}>
        {status === 'sending' && <span className="spinner spinner-sm" aria-hidden="true" />}
        {status === 'shared' && <CheckIcon />}
        {status === 'failed' && <AlertIcon />}
        <strong data-testid="queued-share-title">{t(`shares.queue.title.${status}`)}</strong>
      </div>
      {status === 'queued' && <p className="muted">{t('shares.queue.queuedBody')}</p>}
      {status === 'sending' && <p className="muted">{t('shares.queue.sendingBody')}</p>}
      {status === 'cancelled' && <p className="muted">{t('shares.queue.cancelledBody')}</p>}
      {status === 'queued' && p.share.last_error && (
        <p className="queued-share-error" data-testid="queued-share-last-error">
          {t('shares.queue.lastError', { error: p.share.last_error })}
        </p>
      )}
      {status === 'queued' && p.share.next_try_at && (
        <p className="muted">
          <NextTry at={p.share.next_try_at} now={now} testId="queued-share-next-try" />
        </p>
      )}
      {status === 'failed' && (
        <p className="run-error" data-testid="queued-share-failed">
          {p.share.last_error ? t('shares.queue.failedReason', { error: p.share.last_error }) : t('shares.queue.failedNoReason')}
        </p>
      )}
      {url && <SharedLink url={url} share={p.share} copy={p.copy} onCopy={p.onCopy} onOpen={p.onOpen} urlRef={p.urlRef} copyRef={primaryRef} />}
      {p.error && (
        <p className="form-error" role="alert" data-testid="queued-share-action-error">
          {p.error}
        </p>
      )}
      <footer className="modal-footer">
        {canCancel && (
          <button type="button" className="button secondary" data-testid="queued-share-cancel" disabled={p.pending !== null} onClick={p.onCancel}>
            {p.pending === 'cancel' ? t('shares.queue.cancelling') : t('shares.queue.cancel')}
          </button>
        )}
        {canSend && (
          <button
            type="button"
            ref={primaryRef}
            className="button primary"
            data-testid="queued-share-send"
            disabled={p.pending !== null}
            onClick={p.onSend}
          >
            {status === 'failed' ? t('shares.queue.tryAgain') : t('shares.queue.sendNow')}
          </button>
        )}
        <button type="button" className="button secondary" onClick={p.onClose} data-testid="share-done" ref={canSend || url ? undefined : primaryRef}>
          {t('secret.done')}
        </button>
      </footer>
    </div>
  );
}

interface SharedLinkProps {
  url: string;
  share: QueuedShare;
  copy: CopyState;
  onCopy: () => void;
  onOpen: () => void;
  urlRef?: RefObject<HTMLInputElement | null>;
  copyRef: RefObject<HTMLButtonElement | null>;
}

/** The made link: the URL with Copy and Open (in the system browser), and its expiry. */
function SharedLink(p: SharedLinkProps) {
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <p className="muted">{p.share.has_password ? t('shares.createdProtected') : t('shares.createdOpen')}</p>
      <div className="form-field">
        <label htmlFor="queued-share-url">{t('shares.link')}</label>
        <div className="secret-row">
          <input
            id="queued-share-url"
            ref={p.urlRef}
            className="input secret-input"
            readOnly
            value={p.url}
            data-testid="share-url"
            onFocus={(ev) => ev.currentTarget.select()}
          />
          <button type="button" ref={p.copyRef} className="button secondary" data-testid="share-copy" data-copy={p.copy} onClick={p.onCopy}>
            {p.copy === 'copied' ? t('common.copied') : t('common.copy')}
          </button>
          <button type="button" className="button secondary" data-testid="share-open" title={t('shares.queue.openTitle')} onClick={p.onOpen}>
            {t('shares.open')}
          </button>
        </div>
        {p.copy === 'failed' && (
          <p className="field-error" role="alert" data-testid="share-copy-failed">
            {t('shares.copyFailed')}
          </p>
        )}
      </div>
      <p className="muted" data-testid="share-expires" data-expires-at={p.share.expires_at ?? ''}>
        {p.share.expires_at ? t('shares.expiresOn', { date: formatDateTime(p.share.expires_at, locale) }) : t('shares.neverExpires')}
      </p>
    </>
  );
}
