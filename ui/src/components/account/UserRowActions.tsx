import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { User } from '../../api/accounts';
import { useT } from '../../i18n';
import { errorMessage } from '../../transport';
import { useToasts } from '../Toasts';
import { DeleteAccountDialog } from './DeleteAccountDialog';
import { deleteListedUser, toggleUserRole } from './userActions';

/**
 * The admin's actions on one row of the user list: make admin / make regular user, and delete
 * (`onDelete` opens the confirmation, DeleteListedUserDialog). None on the admin's own row: their
 * role is never theirs to change, and they delete their own account from the Account page.
 */
export function UserRowActions({ user, self, onDelete }: { user: User; self: boolean; onDelete: (u: User) => void }) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [changingRole, setChangingRole] = useState(false);
  if (self) return null;

  async function toggleRole() {
    setChangingRole(true);
    try {
      const updated = await toggleUserRole(queryClient, user);
      toasts.show({
        kind: 'success',
        message: updated.is_admin ? t('users.nowAdmin', { name: updated.username }) : t('users.nowUser', { name: updated.username }),
      });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setChangingRole(false);
    }
  }

  return (
    <>
      <button
        type="button"
        className="button secondary button-sm"
        disabled={changingRole}
        aria-label={user.is_admin ? t('users.makeUserOf', { name: user.username }) : t('users.makeAdminOf', { name: user.username })}
        data-testid={`user-role-${user.username}`}
        onClick={() => void toggleRole()}
      >
        {user.is_admin ? t('users.makeUser') : t('users.makeAdmin')}
      </button>{' '}
      <button
        type="button"
        className="button secondary button-sm"
        aria-label={t('users.deleteOf', { name: user.username })}
        data-testid={`user-delete-${user.username}`}
        onClick={() => onDelete(user)}
      >
        {t('common.delete')}
      </button>
    </>
  );
}

/** The admin's confirmation before deleting someone; on success a toast, and the list reloads. */
export function DeleteListedUserDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  return (
    <DeleteAccountDialog
      user={user}
      own={false}
      onClose={onClose}
      onConfirm={async () => {
        await deleteListedUser(queryClient, user);
        toasts.show({ kind: 'success', message: t('users.deleted', { name: user.username }) });
      }}
    />
  );
}
