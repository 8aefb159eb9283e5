import { useRef, type ReactNode } from 'react';
import type { ConnectionStatus } from '../../api/remote';
import { newerQueuedShare, useQueuedShares, type QueuedShare } from '../../api/remoteShares';
import type { Export } from '../../api/types';
import { useT } from '../../i18n';
import { openExternal } from '../../lib/openExternal';
import { desktopShareMode, queuedShareUrl, type DesktopShareMode } from '../../lib/queuedShares';
import { SIMPLE_ROUTES } from '../../lib/route';
import type { ShareForm, ShareFormField } from '../../lib/shares';
import type { FieldErrors } from '../../lib/validation';
import { hostOf } from '../connection/connection';
import { useConnectionStatus } from '../connection/store';
import { Modal } from '../Modal';
import { ShareFormView } from './ShareForm';
import { QueuedShareView } from './QueuedShareView';
import { useQueuedShareActions } from './useQueuedShareActions';
import { useQueuedShareForm } from './useQueuedShareForm';
import { useCopyLink } from './useShareForm';

/** The form's fields in the order they are shown (the first one in error gets the focus). */
const FIELD_ORDER: readonly ShareFormField[] = ['include_storyboard', 'expiry_days', 'password'];

/** Not signed in to a team server: where links are made, and the way to the sign-in page. */
export function TeamSignInNotice({ onClose }: { onClose: () => void }) {
  const t = useT();
  return (
    <div className="modal-body share-sign-in" data-testid="share-sign-in">
      <p>{t('shares.queue.signInBody')}</p>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} data-testid="share-cancel">
          {t('common.close')}
        </button>
        <a className="button primary" href={SIMPLE_ROUTES.connection} data-testid="share-sign-in-link" onClick={onClose}>
          {t('shares.queue.signIn')}
        </a>
      </footer>
    </div>
  );
}

/** Above the form: where the link is made, and why it may wait (server unreachable, session ended). */
export function TeamServerNote({ connection }: { connection: ConnectionStatus | null }) {
  const t = useT();
  const host = hostOf(connection?.server_url);
  if (!connection || !host) return null;
  const state = connection.state;
  return (
    <p className={state === 'connected' ? 'muted share-server-note' : 'share-server-note share-server-warn'} data-testid="share-server-note" data-state={state}>
      {state === 'unreachable'
        ? t('shares.queue.noteUnreachable', { host })
        : state === 'session_expired'
          ? t('shares.queue.noteExpired', { host })
          : t('shares.queue.note', { host })}
      {state === 'session_expired' && (
        <>
          {' '}
          <a href={SIMPLE_ROUTES.connection} data-testid="share-sign-in-link">
            {t('shares.queue.signIn')}
          </a>
        </>
      )}
    </p>
  );
}

export interface DesktopShareDialogViewProps {
  exportItem: Export;
  mode: DesktopShareMode;
  connection: ConnectionStatus | null;
  form: ShareForm;
  errors: FieldErrors;
  formError: string | null;
  busy: boolean;
  onChange: (patch: Partial<ShareForm>) => void;
  onSubmit: () => void;
  onClose: () => void;
  /** Once queued: the share as it stands (in place of the form). */
  queued?: ReactNode;
}

/**
 * Share on the desktop: the browser's form (storyboard, expiry, password), whose submit queues
 * the share for the team server; "sign in first" when the desktop is not signed in to one; then
 * the queued share as it stands. Escape closes (not while the share is being queued).
 */
export function DesktopShareDialogView(p: DesktopShareDialogViewProps) {
  const t = useT();
  return (
    <Modal title={t('shares.title')} onClose={p.onClose} busy={p.busy} size="md" testId="share-dialog">
      {p.queued ? (
        p.queued
      ) : p.mode === 'checking' ? (
        <div className="modal-body">
          <span className="spinner" role="status" aria-label={t('shares.queue.checking')} data-testid="share-checking" />
        </div>
      ) : p.mode === 'sign-in' ? (
        <TeamSignInNotice onClose={p.onClose} />
      ) : (
        <ShareFormView
          subject={{ kind: 'export', exportItem: p.exportItem }}
          form={p.form}
          errors={p.errors}
          formError={p.formError}
          busy={p.busy}
          note={<TeamServerNote connection={p.connection} />}
          onChange={p.onChange}
          onSubmit={p.onSubmit}
          onCancel={p.onClose}
        />
      )}
    </Modal>
  );
}

/**
 * A queued share followed as it moves: the newer of what the dialog was answered and what the
 * (polled) list of this desktop's shares says. Send now, Cancel, Copy and Open act on it.
 */
export function FollowedShare({ initial, onClose }: { initial: QueuedShare; onClose: () => void }) {
  const listed = useQueuedShares().data?.find((s) => s.id === initial.id);
  const share = listed ? newerQueuedShare(initial, listed) : initial;
  const actions = useQueuedShareActions();
  const { copy, copyLink } = useCopyLink();
  const urlRef = useRef<HTMLInputElement>(null);
  const url = queuedShareUrl(share);
  return (
    <QueuedShareView
      share={share}
      pending={actions.pendingOf(share.id)}
      error={actions.errorOf(share.id)}
      copy={copy}
      onSend={() => void actions.send(share.id)}
      onCancel={() => void actions.cancel(share.id)}
      onCopy={() => {
        if (!url) return;
        void copyLink(url).then((ok) => {
          // Not copied: the link is selected, to copy by hand.
          if (!ok) urlRef.current?.select();
        });
      }}
      onOpen={() => {
        if (url) void openExternal(url).catch(() => undefined);
      }}
      onClose={onClose}
      urlRef={urlRef}
    />
  );
}

/** The desktop's share dialog for a completed export. */
export function DesktopShareDialog({ exportItem, onClose }: { exportItem: Export; onClose: () => void }) {
  const { status: connection, read } = useConnectionStatus();
  const s = useQueuedShareForm(exportItem);
  const mode: DesktopShareMode = s.signIn ? 'sign-in' : desktopShareMode(connection, read.isError);
  return (
    <DesktopShareDialogView
      exportItem={exportItem}
      mode={mode}
      connection={connection}
      form={s.form}
      errors={s.errors}
      formError={s.formError}
      busy={s.busy}
      onChange={s.change}
      onSubmit={() =>
        void s.submit().then((out) => {
          if (!out || (out.kind !== 'invalid' && out.kind !== 'refused')) return;
          const field = FIELD_ORDER.find((f) => out.errors[f]);
          if (field) document.querySelector<HTMLElement>(`[data-testid="share-dialog"] [data-share-field="${field}"]`)?.focus();
        })
      }
      onClose={onClose}
      queued={s.queued ? <FollowedShare initial={s.queued} onClose={onClose} /> : undefined}
    />
  );
}
