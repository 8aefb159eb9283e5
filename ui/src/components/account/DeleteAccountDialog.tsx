import { useState } from 'react';
import type { User } from '../../api/accounts';
import { Trans, i18n, useT } from '../../i18n';
import { Modal } from '../Modal';
import { deleteRefusal } from './userActions';

/** One's own account is deleted once its username is typed, exactly. */
export function canConfirmOwnDeletion(typed: string, username: string): boolean {
  return typed.trim() === username;
}

export interface DeleteAccountDialogViewProps {
  user: User;
  /** One's own account (the account page): say "you", and ask for the username first. */
  own: boolean;
  /** What has been typed into the username box (own only). */
  typed: string;
  onTyped: (text: string) => void;
  busy: boolean;
  /** Why the last try was refused (a 409's reason), shown in the dialog. */
  error: string | null;
  onClose: () => void;
  onConfirm: () => void;
}

/** Asks before deleting an account and says what deletion does. */
export function DeleteAccountDialogView(p: DeleteAccountDialogViewProps) {
  const t = useT();
  const ready = !p.busy && (!p.own || canConfirmOwnDeletion(p.typed, p.user.username));
  return (
    <Modal
      title={p.own ? t('account.deleteTitle') : t('users.deleteTitle', { name: p.user.username })}
      onClose={p.onClose}
      busy={p.busy}
      size="sm"
      testId="delete-account-dialog"
      initialFocus={p.own ? '[data-testid="confirm-username"]' : '[data-testid="cancel-delete"]'}
    >
      <div className="modal-body">
        <p className="confirm-text">
          <Trans
            i18n={i18n}
            t={t}
            i18nKey={p.own ? 'account.deleteBody' : 'users.deleteBody'}
            values={{ name: p.user.username }}
            components={{ name: <strong className="confirm-name" /> }}
          />
        </p>
        {p.own && (
          <div className="form-field">
            <label htmlFor="delete-account-username">{t('account.typeUsername', { name: p.user.username })}</label>
            <input
              id="delete-account-username"
              className="input"
              autoComplete="off"
              spellCheck={false}
              value={p.typed}
              disabled={p.busy}
              data-testid="confirm-username"
              onChange={(e) => p.onTyped(e.target.value)}
            />
          </div>
        )}
        {p.error && (
          <p className="form-error" role="alert" data-testid="delete-error">
            {p.error}
          </p>
        )}
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={p.onClose} disabled={p.busy} data-testid="cancel-delete">
          {t('common.cancel')}
        </button>
        <button type="button" className="button danger" disabled={!ready} data-testid="confirm-delete" onClick={p.onConfirm}>
          {p.busy ? t('common.deleting') : p.own ? t('account.deleteConfirm') : t('common.delete')}
        </button>
      </footer>
    </Modal>
  );
}

/**
 * The dialog with its state. `onConfirm` deletes: when it resolves the dialog closes; when it
 * rejects the dialog stays open and says why (a 409's reason whole, see deleteRefusal).
 */
export function DeleteAccountDialog({
  user,
  own,
  onClose,
  onConfirm,
}: {
  user: User;
  own: boolean;
  onClose: () => void;
  onConfirm: () => Promise<void>;
}) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <DeleteAccountDialogView
      user={user}
      own={own}
      typed={typed}
      onTyped={setTyped}
      busy={busy}
      error={error}
      onClose={onClose}
      onConfirm={() => {
        if (busy || (own && !canConfirmOwnDeletion(typed, user.username))) return;
        setBusy(true);
        setError(null);
        void onConfirm().then(onClose, (e: unknown) => {
          setBusy(false);
          setError(deleteRefusal(e));
        });
      }}
    />
  );
}
