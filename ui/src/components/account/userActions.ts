/**
 * What the admin's user list and the account page do to an account by id: change its instance
 * role, delete it (the admin, another person's), delete one's own. Plain functions over the query
 * client and the session, so the tests drive them with a fake transport.
 */
import type { QueryClient } from '@tanstack/react-query';
import { deleteUser, updateUser, type User } from '../../api/accounts';
import { keys } from '../../api/queries';
import { activeLocale, t } from '../../i18n';
import { getSession, type Session } from '../../lib/session';
import { ApiError, errorMessage } from '../../transport';

/** The row's role action: an admin becomes a regular user, anyone else an admin; the list reloads. */
export async function toggleUserRole(client: QueryClient, user: User): Promise<User> {
  const updated = await updateUser(user.id, { role: user.is_admin ? 'user' : 'admin' });
  await client.invalidateQueries({ queryKey: keys.account.usersAll });
  return updated;
}

/** Deletes `user` (the admin's list) and reloads the list. */
export async function deleteListedUser(client: QueryClient, user: User): Promise<void> {
  await deleteUser(user.id);
  await client.invalidateQueries({ queryKey: keys.account.usersAll });
}

/**
 * Deletes the signed-in person's own account, then ends this tab's session locally: the server
 * has revoked its tokens already, so there is no sign-out request to make. Ending the session
 * tells its subscribers (the app shows the sign-in page).
 */
export async function deleteOwnAccount(user: User, session: Session = getSession()): Promise<void> {
  await deleteUser(user.id);
  session.end();
}

/**
 * What a refused deletion says in its dialog. A 409 (the instance's last admin; the owner of a
 * team workspace that has other members) carries the server's reason, which names the workspace:
 * it is shown whole, never the catalogue's generic "conflicts" message. The server writes it in
 * English, so other languages say "can't delete" around it.
 */
export function deleteRefusal(e: unknown, locale: string = activeLocale()): string {
  if (e instanceof ApiError && e.status === 409 && e.detail) {
    return locale === 'en' ? e.detail : t('users.deleteConflict', { lng: locale, detail: e.detail });
  }
  return errorMessage(e, locale);
}
