import { useState } from 'react';
import type { User } from '../../api/accounts';
import { useT } from '../../i18n';
import { navigate } from '../../lib/navigate';
import { useToasts } from '../Toasts';
import { DeleteAccountDialog } from './DeleteAccountDialog';
import { deleteOwnAccount } from './userActions';

/**
 * The account page's last section: delete one's own account, after typing one's username. On
 * success this tab's session ends locally and the sign-in page shows; a refusal (the last admin,
 * the owner of a team workspace with members) is said in the dialog.
 */
export function DeleteAccountSection({ user }: { user: User }) {
  const t = useT();
  const toasts = useToasts();
  const [open, setOpen] = useState(false);
  return (
    <section className="panel account-section account-danger" data-testid="delete-account-section">
      <h2>{t('account.deleteSection')}</h2>
      <p className="muted account-danger-text">{t('account.deleteIntro')}</p>
      <button type="button" className="button danger" onClick={() => setOpen(true)} data-testid="delete-account">
        {t('account.deleteButton')}
      </button>
      {open && (
        <DeleteAccountDialog
          user={user}
          own
          onClose={() => setOpen(false)}
          onConfirm={async () => {
            await deleteOwnAccount(user);
            toasts.show({ kind: 'success', message: t('account.deleted') });
            navigate({ name: 'sign-in' });
          }}
        />
      )}
    </section>
  );
}
